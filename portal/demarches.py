"""The démarches the portal offers, as each declares itself when it starts (its AppConfig.ready): the journey a
family goes through, the dossiers a household has with it, the households an agent handles through it. The core
reads them here and never imports a démarche."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Step:
    key: str
    label: str


@dataclass(frozen=True)
class StepPosition:
    """What the step indicator shows: « Étape 2 sur 5 : période »."""

    number: int
    total: int
    label: str

    @property
    def bar(self) -> list[str]:
        """Each step's state for the indicator's bar: « is-done », « is-current » or « is-todo »."""
        return [
            "is-done" if n < self.number else "is-current" if n == self.number else "is-todo"
            for n in range(1, self.total + 1)
        ]


@dataclass(frozen=True)
class Journey:
    steps: tuple[Step, ...]

    def position(self, key: str) -> StepPosition:
        keys = [step.key for step in self.steps]
        index = keys.index(key)
        return StepPosition(number=index + 1, total=len(keys), label=self.steps[index].label)


@dataclass(frozen=True)
class DataItem:
    """One thing « Mes données » shows (a dossier, a consent, a document...): its title, its fields as the family
    reads them (label, value: strings), and at most one action: a POST button to `action_url`, or a link when
    `action_is_link` (to a confirmation page)."""

    title: str
    fields: tuple[tuple[str, str], ...] = ()
    action_url: str = ""
    action_label: str = ""
    action_is_link: bool = False

    def as_json(self) -> dict:
        return {"titre": self.title, **dict(self.fields)}


@dataclass(frozen=True)
class DataSection:
    """A part of « Mes données » (and of its JSON download, under `key`)."""

    key: str
    title: str
    items: tuple[DataItem, ...]
    note: str = ""  # what the family should know about this part (its source, why some figures are not shown)


@dataclass(frozen=True)
class PendingAction:
    """Something the family must do, shown first on its dashboard: what and for whom (`label`), the link that does
    it, and by when if there is a deadline."""

    label: str
    url: str
    action_label: str
    deadline: date | None = None


@dataclass(frozen=True)
class Demarche:
    key: str
    journey: Journey
    start_url_name: str  # where a family starts it, from its dashboard
    start_label: str
    dossier_row_template: str  # one of its dossiers on the dashboard (the dossier is `dossier`)
    dossiers_for_household: Callable  # household -> its dossiers, newest first
    households_handled_by: Callable  # agent -> a queryset of household ids (values)
    # The family's rights (RGPD), each optional so a new démarche can start without them:
    household_data: Callable | None = None  # household -> list[DataSection]: what it holds, for « Mes données »
    erasure_refusals: Callable | None = None  # household -> list[str]: why the account cannot be erased now
    household_erase: Callable | None = None  # household -> dict[str, int]: erases its data, counts by kind
    child_in_use: Callable | None = None  # child -> bool: the child has a dossier here (it cannot be deleted)
    purges: Callable | None = None  # today -> dict[str, int]: its retention purges, counts by kind
    kept_after_erasure: Callable | None = None  # () -> list[str]: what it keeps of an erased account, how long
    pending_actions: Callable | None = None  # household -> list[PendingAction]: what the family must do now


_demarches: dict[str, Demarche] = {}


def demarche_register(demarche: Demarche) -> None:
    _demarches[demarche.key] = demarche


def demarches() -> list[Demarche]:
    return list(_demarches.values())


def demarche(key: str) -> Demarche:
    return _demarches[key]
