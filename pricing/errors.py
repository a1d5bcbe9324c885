"""The engine's error tree, in the spirit of Entr'ouvert lingo's pricing/errors.py: the engine knows nothing of
Django forms, so it says what is wrong in French and which field it concerns; the Django edge
(cantine.tariffs.errors) turns that into form errors or messages."""


class PricingError(Exception):
    """A French message per field concerned (None: no field, e.g. the barème has no figure for that date)."""

    def __init__(self, message: str | None = None, *, field: str | None = None, errors: dict | None = None):
        self.errors: dict[str | None, list[str]] = (
            {name: list(messages) for name, messages in errors.items()} if errors else {field: [message]}
        )
        super().__init__(" ".join(self.messages))

    @property
    def messages(self) -> list[str]:
        return [message for messages in self.errors.values() for message in messages]

    @property
    def field(self) -> str | None:
        """The field concerned, when there is exactly one."""
        return next(iter(self.errors)) if len(self.errors) == 1 else None


class GridError(PricingError):
    """A grid's JSON is wrong: every faulty field at once ("brackets.2.price"), so an agent fixes all in one go."""


class FormulaError(GridError):
    """A grid's QF formula cannot be read."""

    def __init__(self, message: str):
        super().__init__(message, field="qf_formula")


class FactsError(PricingError):
    """What the household brings cannot be quoted, keyed by the Facts field at fault."""


class MissingFacts(FactsError):
    """A figure the grid needs is not given."""


class InvalidFacts(FactsError):
    """A figure is given but impossible (negative, out of range, next to a refusal...)."""


class BaremeError(PricingError):
    """The CNAF barème has no figure for that date, establishment or number of children."""
