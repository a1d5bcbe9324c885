"""Income declined, withdrawn or not known yet: the highest price, said so, and no figure accepted."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from cantine.tariffs.errors import as_validation_error
from pricing import Facts, highest_price, parse_grid, quote
from tests.cantine.grids import BUBRY, COLLECTIVE, FAY_AUX_LOGES, PARIS, VAL_DE_MARNE
from tests.pricing.helpers import D, text


@pytest.mark.parametrize(
    "grid, amount", [(PARIS, "4.61"), (BUBRY, "3.15"), (VAL_DE_MARNE, "5.95"), (FAY_AUX_LOGES, "4.50")]
)
@pytest.mark.parametrize(
    "source, said",
    [
        (
            "declined",
            "Vous avez choisi de ne pas communiquer vos revenus : le tarif le plus élevé de la grille s'applique",
        ),
        ("none", "Vos revenus ne sont pas encore connus : le tarif le plus élevé de la grille s'applique"),
    ],
)
def test_no_income_pays_the_highest_price_and_is_told_so(grid, amount, source, said):
    result = quote(parse_grid(grid), Facts(income_source=source, rank=3))
    assert (result.amount, result.qf) == (D(amount), None)
    assert result.criteria["highest_price"] is True
    assert result.explanation == (
        f"{said}, {amount.replace('.', ',')}\u00a0€ par repas."
        + ("" if source == "declined" else " Il pourra être recalculé quand ils le seront."),
    )
    assert "qf" not in result.as_json()


def test_withdrawn_consent_pays_the_highest_price_and_no_figure_is_accepted():
    result = quote(parse_grid(PARIS), Facts(income_source="withdrawn"))
    assert (result.amount, result.qf, result.criteria["highest_price"]) == (D("4.61"), None, True)
    assert result.explanation == (
        "Vous avez retiré votre accord : vos revenus ont été effacés et le tarif le plus élevé de la grille "
        "s'applique, 4,61\u00a0€ par repas. Il pourra être recalculé si vous transmettez votre avis d'imposition "
        "aux services de la commune.",
    )
    with pytest.raises(ValidationError) as error, as_validation_error():
        quote(parse_grid(PARIS), Facts(income_source="withdrawn", rfr=D("38500"), parts=D("2.5")))
    assert "income_source" in error.value.message_dict


def test_psu_without_income_uses_the_ceiling():
    result = quote(parse_grid(COLLECTIVE), Facts(on=date(2024, 3, 15), income_source="declined", children=2))
    assert result.amount == D("3.10")  # 6000 × 0.0516 %
    assert result.criteria["highest_price"] is True
    assert (
        "Vous avez choisi de ne pas communiquer vos revenus : le tarif le plus élevé du barème s'applique, "
        "calculé sur le plafond de ressources de la CNAF (6 000,00 € par mois depuis le 01/01/2024)."
    ) in text(result)
    not_yet = quote(parse_grid(COLLECTIVE), Facts(on=date(2025, 10, 15)))
    assert not_yet.amount == D("5.26")  # 8500 × 0.0619 %
    assert "Vos revenus ne sont pas encore connus" in text(not_yet)


def test_figures_next_to_a_refusal_are_refused():
    with pytest.raises(ValidationError) as error, as_validation_error():
        quote(parse_grid(PARIS), Facts(rfr=D("28000"), parts=D("2"), income_source="declined"))
    assert "refusé de communiquer" in error.value.message_dict["income_source"][0]


def test_income_announced_without_figures_is_an_error_not_the_highest_price():
    with pytest.raises(ValidationError) as error, as_validation_error():
        quote(parse_grid(PARIS), Facts(income_source="dgfip"))
    assert "aucun chiffre" in error.value.message_dict["rfr"][0]


def test_highest_price():
    assert highest_price(parse_grid(BUBRY)) == D("3.15")
    assert highest_price(parse_grid(FAY_AUX_LOGES)) == D("4.50")
    assert highest_price(parse_grid(COLLECTIVE)) is None
    odd = {
        "kind": "brackets",
        "brackets": [
            {"up_to": "100", "price": "2", "price_by_rank": {"2": "7"}},
            {"up_to": None, "price": "3"},
        ],
    }
    assert highest_price(parse_grid(odd)) == D("7")  # any bracket, any rank
