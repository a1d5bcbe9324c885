"""The démarches the portal offers, as each declares itself when it starts (its AppConfig.ready): the journey a
family goes through, the dossiers a household has with it, the households an agent handles through it. The core
reads them here and never imports a démarche."""

from collections.abc import Callable
from dataclasses import dataclass


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
class Demarche:
    key: str
    journey: Journey
    start_url_name: str  # where a family starts it, from its dashboard
    start_label: str
    dossier_row_template: str  # one of its dossiers on the dashboard (the dossier is `dossier`)
    dossiers_for_household: Callable  # household -> its dossiers, newest first
    households_handled_by: Callable  # agent -> a queryset of household ids (values)


_demarches: dict[str, Demarche] = {}


def demarche_register(demarche: Demarche) -> None:
    _demarches[demarche.key] = demarche


def demarches() -> list[Demarche]:
    return list(_demarches.values())


def demarche(key: str) -> Demarche:
    return _demarches[key]
