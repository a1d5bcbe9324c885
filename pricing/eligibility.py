"""Rules a grid meets or not, read from the grid alone: its highest price, and the State's « cantine à 1 € »."""

from datetime import date
from decimal import Decimal

from pricing.explanation import bracket_range, eur, lower_bound
from pricing.grids import BracketsGrid, EffortRateGrid, Grid, PsuGrid
from pricing.words import _

CANTINE_A_1_EURO_QF_RULE_FROM = date(2022, 8, 1)  # agreements signed from then: ≤ 1 € for every QF ≤ 1000


def highest_price(grid: Grid) -> Decimal | None:
    """What a household that declined (or has no tax data yet) pays. None for PSU: it depends on the date."""
    if isinstance(grid, BracketsGrid):
        return max(
            price
            for bracket in grid.brackets
            for price in (bracket.price, *(price for _rank, price in bracket.price_by_rank))
        )
    if isinstance(grid, EffortRateGrid):
        return grid.maximum
    return None


def cantine_a_1_euro(grid: Grid, *, agreement_signed_on: date | None = None) -> tuple[bool, tuple[str, ...]]:
    """Does this canteen grid meet the State's "cantine à 1 €" conditions? The reasons name each unmet one.
    The ≤ 1 € for every QF ≤ 1000 rule binds agreements signed from 1 Aug 2022: pass an earlier signature date
    to check an older agreement. Prices are the base prices (rank prices only lower them)."""
    if isinstance(grid, PsuGrid):
        return False, (
            _("La cantine à 1 € concerne les repas des écoles primaires, pas le barème des crèches."),
        )
    if isinstance(grid, EffortRateGrid):
        return False, (
            _(
                "La cantine à 1 € demande une grille d'au moins 3 tranches de prix ; une grille à taux d'effort n'en a pas."
            ),
        )
    reasons = []
    brackets = grid.brackets
    prices = [bracket.price for bracket in brackets]
    if len(brackets) < 3:
        reasons.append(_("La grille compte %(n)s tranche(s) : il en faut au moins 3.") % {"n": len(brackets)})
    if not any(price <= 1 for price in prices):
        reasons.append(_("Aucune tranche n'est à 1 € ou moins."))
    if not any(price > 1 for price in prices):
        reasons.append(_("Aucune tranche n'est à plus de 1 €."))
    for index in range(1, len(prices)):
        if prices[index] < prices[index - 1]:
            reasons.append(
                _(
                    "La grille doit être progressive : la tranche %(n)s (%(price)s) coûte moins que la précédente (%(previous)s)."
                )
                % {"n": index + 1, "price": eur(prices[index]), "previous": eur(prices[index - 1])}
            )
            break
    if agreement_signed_on is None or agreement_signed_on >= CANTINE_A_1_EURO_QF_RULE_FROM:
        for index, bracket in enumerate(brackets):
            lower = lower_bound(brackets, index)
            if lower <= 1000 and bracket.price > 1:
                reasons.append(
                    _(
                        "Depuis le 1er août 2022, le tarif à 1 € au plus doit couvrir tous les QF jusqu'à 1\u00a0000 € : la tranche %(n)s (%(range)s) est à %(price)s."
                    )
                    % {"n": index + 1, "range": bracket_range(brackets, index), "price": eur(bracket.price)}
                )
                break
    return not reasons, tuple(reasons)
