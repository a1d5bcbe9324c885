"""Every worked case of the reference, as a family's dossier: the figure on the dossier page is the one
`tariff_quote` prints for the same inputs, and the one the reference expects."""

import json
from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from cantine import services
from cantine.models import TariffGrid
from tests.cantine.backoffice import with_income
from tests.cantine.grids import BUBRY, CHAMPCEVINEL, COLLECTIVE, PARIS
from tests.factories import CrecheServiceFactory, DossierFactory, PeriodFactory, creche_dossier

pytestmark = pytest.mark.django_db

# (case, grid, RFR, parts, expected). A QF q is the RFR 12 × q with one part.
CANTEEN_CASES = [
    ("8 QF 234", PARIS, 2808, "1", "0.13"),
    ("8 QF 235", PARIS, 2820, "1", "0.85"),
    ("8 QF 0", PARIS, 0, "1", "0.13"),
    ("9", PARIS, 28000, "2.5", "2.28"),
    ("10 RFR", CHAMPCEVINEL, 30000, "3", "3.30"),
    ("10 QF 622", CHAMPCEVINEL, 7464, "1", "1.00"),
    ("10 QF 1000", CHAMPCEVINEL, 12000, "1", "3.30"),
    ("10 QF 1001", CHAMPCEVINEL, 12012, "1", "3.40"),
    ("11", BUBRY, 18000, "1", "3.15"),
]
# (case, start date, annual resources = monthly × 12, children, expected €/h)
PSU_CASES = [
    ("1", date(2019, 10, 15), 6000, 1, "0.43"),
    ("2", date(2020, 6, 1), 0, 1, "0.43"),
    ("3", date(2020, 6, 1), 67200, 2, "2.84"),
    ("4", date(2023, 6, 1), 9050, 1, "0.47"),  # 754.17 a month: an RFR is whole euros
    ("5", date(2024, 3, 15), 108000, 1, "3.71"),
    ("6", date(2024, 10, 15), 0, 2, "0.40"),
    ("7", date(2025, 10, 15), 36000, 2, "1.55"),
]


def printed(**options):
    out = StringIO()
    call_command("tariff_quote", stdout=out, **options)
    return json.loads(out.getvalue())


def page_of(family_client, dossier):
    services.dossier_submit(dossier=dossier, user=dossier.child.household.owner)
    return family_client.get(reverse("cantine:dossier_detail", args=[dossier.pk])).content.decode()


def french(amount: str) -> str:
    return amount.replace(".", ",")


@pytest.mark.parametrize(
    ("case", "grid", "rfr", "parts", "expected"), CANTEEN_CASES, ids=[c[0] for c in CANTEEN_CASES]
)
def test_canteen_case(family_client, household, tmp_path, case, grid, rfr, parts, expected):
    dossier = with_income(
        DossierFactory(child__household=household, income_declined=False), rfr=rfr, parts=parts
    )
    TariffGrid.objects.create(period=dossier.period, version=1, label="Référence", data=grid, is_active=True)
    (tmp_path / "grid.json").write_text(json.dumps(grid))
    command = printed(grid=str(tmp_path / "grid.json"), rfr=str(rfr), parts=parts)
    assert command["amount"] == expected
    assert f"{french(expected)}\xa0€ par repas" in page_of(family_client, dossier)


@pytest.mark.parametrize(
    ("case", "on", "annual", "children", "expected"), PSU_CASES, ids=[c[0] for c in PSU_CASES]
)
def test_psu_case(family_client, household, case, on, annual, children, expected):
    period = PeriodFactory(service=CrecheServiceFactory())
    TariffGrid.objects.create(period=period, version=1, label="CNAF", data=COLLECTIVE, is_active=True)
    dossier = creche_dossier(period=period, start=on, household=household, siblings=children - 1)
    with_income(dossier, rfr=annual, parts="1", nb_pac=children)
    command = printed(
        psu=True,
        date=on.isoformat(),
        establishment="collective",
        annual_resources=str(annual),
        children=str(children),
    )
    assert command["amount"] == expected
    assert f"{french(expected)}\xa0€ de l&#x27;heure" in page_of(family_client, dossier)
    assert dossier.quote.amount == Decimal(expected)
