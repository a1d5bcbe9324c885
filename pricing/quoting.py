"""The one entry point of a quote: the grid's kind chooses the rules."""

from pricing import bareme as shipped
from pricing.bareme import Bareme
from pricing.errors import GridError
from pricing.facts import Facts, Quote, check_income_source
from pricing.grids import BracketsGrid, EffortRateGrid, Grid, PsuGrid
from pricing.psu import quote_psu
from pricing.qf import quote_on_qf
from pricing.words import _


def quote(grid: Grid, facts: Facts, *, bareme: Bareme | None = None, explain: bool = True) -> Quote:
    """The price for this household, with every step a family needs to check it. A PricingError in French,
    keyed by the Facts field at fault, when an input is missing or impossible. PSU grids read `bareme`
    (the one agents maintain), the shipped barème if none is given. `explain=False`: the same amount, QF and
    criteria with no explanation, whose wording is most of the work (the council comparison prices every
    dossier twice and reads none)."""
    check_income_source(facts, grid)
    if isinstance(grid, PsuGrid):
        return quote_psu(grid, facts, shipped.SHIPPED if bareme is None else bareme, explain=explain)
    if isinstance(grid, BracketsGrid | EffortRateGrid):
        return quote_on_qf(grid, facts, explain=explain)
    raise GridError(_("Grille inconnue : passez une grille lue par parse_grid."))
