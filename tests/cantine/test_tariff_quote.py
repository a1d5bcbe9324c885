"""`manage.py tariff_quote`: every reference case as support would type it, the JSON it prints, and the French
messages it ends with on bad input."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from cantine.models import PsuResourceLimit
from tests.cantine.grids import BUBRY, CHAMPCEVINEL, FAY_AUX_LOGES, PARIS

pytestmark = pytest.mark.django_db


def run(*args, **options) -> dict:
    out = StringIO()
    call_command("tariff_quote", *args, stdout=out, **options)
    return json.loads(out.getvalue())


@pytest.fixture
def grid_file(tmp_path):
    def write(data, name="grid.json"):
        path = tmp_path / name
        path.write_text(json.dumps(data), encoding="utf-8")
        return str(path)

    return write


def error(*args, **options) -> str:
    with pytest.raises(CommandError) as raised:
        run(*args, **options)
    return str(raised.value)


@pytest.mark.parametrize(
    "case, args, amount",
    [
        ("1", ["--date", "2019-10-15", "--monthly-resources", "500"], "0.43"),
        ("2", ["--date", "2020-06-15", "--monthly-resources", "0"], "0.43"),
        ("3", ["--date", "2020-06-15", "--children", "2", "--monthly-resources", "5600"], "2.84"),
        ("3 above", ["--date", "2020-06-15", "--children", "2", "--monthly-resources", "7000"], "2.84"),
        ("4", ["--date", "2023-06-15", "--monthly-resources", "754.16"], "0.47"),
        ("5", ["--date", "2024-03-15", "--monthly-resources", "9000"], "3.71"),
        ("6", ["--date", "2024-10-15", "--children", "2", "--monthly-resources", "0"], "0.40"),
        ("7", ["--date", "2025-10-15", "--children", "2", "--monthly-resources", "3000"], "1.55"),
    ],
)
def test_psu_worked_cases(case, args, amount):
    printed = run("--psu", "--establishment", "collective", *args)
    assert (printed["amount"], printed["unit"]) == (amount, "hour")
    assert "qf" not in printed and "monthly" not in printed
    assert printed["explanation"][0].startswith("Barème national des participations familiales de la CNAF")


@pytest.mark.parametrize(
    "case, grid, args, amount, qf",
    [
        ("8", PARIS, ["--qf", "234"], "0.13", "234.00"),
        ("8", PARIS, ["--qf", "235"], "0.85", "235.00"),
        ("8", PARIS, ["--qf", "0"], "0.13", "0.00"),
        ("9", PARIS, ["--rfr", "28000", "--parts", "2.5"], "2.28", "933.33"),
        ("10", CHAMPCEVINEL, ["--rfr", "30000", "--parts", "3"], "3.30", "833.33"),
        ("10", CHAMPCEVINEL, ["--qf", "622"], "1.00", "622.00"),
        ("10", CHAMPCEVINEL, ["--qf", "1000"], "3.30", "1000.00"),
        ("10", CHAMPCEVINEL, ["--qf", "1001"], "3.40", "1001.00"),
        ("11", BUBRY, ["--qf", "1500"], "3.15", "1500.00"),
        ("Bubry 3rd child", BUBRY, ["--qf", "1500", "--rank", "3"], "1.58", "1500.00"),
        ("Fay-aux-Loges", FAY_AUX_LOGES, ["--qf", "500"], "2.60", "500.00"),
    ],
)
def test_canteen_worked_cases(grid_file, case, grid, args, amount, qf):
    printed = run("--grid", grid_file(grid), *args)
    assert (printed["amount"], printed["unit"], printed["qf"]) == (amount, "meal", qf)


def test_the_output_is_the_quote_as_json(grid_file):
    out = StringIO()
    call_command("tariff_quote", grid=grid_file(PARIS), rfr="28000", parts="2,5", stdout=out)
    assert out.getvalue().startswith('{\n  "amount": "2.28",\n  "unit": "meal",\n  "qf": "933.33",')
    printed = json.loads(out.getvalue())
    assert "28 000 € ÷ 12 ÷ 2,5 = 933,33 €" in printed["explanation"][2].replace("\u00a0", " ")
    assert "(saisi directement)" in printed["explanation"][0]
    assert printed["criteria"]["bracket"] == 3


def test_annual_resources_are_divided_by_12():
    printed = run(
        "--psu",
        "--establishment",
        "collective",
        "--date",
        "2025-10-15",
        "--children",
        "2",
        "--annual-resources",
        "36000",
    )
    assert printed["amount"] == "1.55"
    assert any("36 000 € ÷ 12 = 3 000,00 €" in line.replace("\u00a0", " ") for line in printed["explanation"])


def test_aeeh_and_ceiling_lifted():
    base = ["--psu", "--establishment", "collective", "--date", "2024-03-15", "--monthly-resources", "9000"]
    assert run(*base)["amount"] == "3.71"
    assert run(*base, "--ceiling-lifted")["amount"] == "5.57"
    assert run(*base, "--aeeh", "1")["amount"] == "3.10"  # 6000 × 0.0516 %: the 2-children rate


def test_the_monthly_fee():
    printed = run(
        "--psu",
        "--establishment",
        "collective",
        "--date",
        "2025-10-15",
        "--children",
        "2",
        "--monthly-resources",
        "3000",
        "--hours-per-week",
        "40",
        "--weeks-per-year",
        "45",
        "--months",
        "11",
    )
    assert (printed["amount"], printed["monthly"]) == ("1.55", "253.64")  # 40 × 45 ÷ 11 × 1.55


def test_keyword_options_as_scripts_pass_them(grid_file):
    printed = call_and_read(
        psu=True, establishment="family", date="2025-10-15", monthly_resources=3000, children=1, aeeh=0
    )
    assert printed["amount"] == "1.55"  # family crèche, 1 child: 0.0516 %
    assert call_and_read(grid=grid_file(BUBRY), qf=1500, rank=3)["amount"] == "1.58"


def call_and_read(**options) -> dict:
    out = StringIO()
    call_command("tariff_quote", stdout=out, **options)
    return json.loads(out.getvalue())


def test_declined_pays_the_highest_price(grid_file):
    printed = run("--grid", grid_file(PARIS), "--declined")
    assert printed["amount"] == "4.61" and "qf" not in printed
    assert "Vous avez choisi de ne pas communiquer vos revenus" in printed["explanation"][0]
    printed = run("--psu", "--establishment", "collective", "--date", "2025-10-15", "--declined")
    assert printed["amount"] == "5.26"  # ceiling 8500 × 0.0619 %


def test_a_psu_grid_file_works_like_psu(grid_file):
    path = grid_file({"kind": "psu", "establishment": "collective", "ceiling_lifted": True})
    assert run("--grid", path, "--date", "2024-03-15", "--monthly-resources", "9000")["amount"] == "5.57"


def test_the_barème_is_the_one_agents_edit():
    """The command reads the database (cantine.selectors.psu_bareme), not the shipped copy."""
    PsuResourceLimit.objects.filter(valid_from="2025-09-01").update(ceiling=9000)
    printed = run(
        "--psu", "--establishment", "collective", "--date", "2025-10-15", "--monthly-resources", "20000"
    )
    assert printed["amount"] == "5.57"  # 9000 × 0.0619 %, where the shipped 8500 would give 5.26


def test_an_invalid_grid_prints_its_messages(grid_file):
    path = grid_file(
        {"kind": "brackets", "brackets": [{"up_to": "500", "price": "2"}, {"up_to": "400", "price": "-1"}]}
    )
    message = error("--grid", path, "--qf", "300")
    assert message.startswith(f"La grille {path} n'est pas valide :")
    assert "- brackets.1.up_to : Les bornes doivent être croissantes" in message
    assert "- brackets.1.price : Le prix ne peut pas être négatif." in message
    assert "- brackets : La dernière tranche doit être sans borne haute" in message


@pytest.mark.parametrize(
    "args, message",
    [
        ([], "Indiquez une grille (--grid FICHIER.json) ou le barème des crèches (--psu)."),
        (["--grid", "/nonexistent/grid.json", "--qf", "1"], "Fichier introuvable : /nonexistent/grid.json"),
        (
            ["--grid", "PARIS", "--qf", "1", "--rfr", "2", "--parts", "1"],
            "Indiquez --qf, ou --rfr avec --parts, pas les deux.",
        ),
        (["--grid", "PARIS"], "Indiquez --qf, ou --rfr avec --parts, ou --declined."),
        (["--grid", "PARIS", "--declined", "--qf", "1"], "--declined exclut --qf, --rfr et --parts"),
        (["--grid", "PARIS", "--rfr", "28000"], "- --parts : Indiquez le nombre de parts"),
        (["--grid", "PARIS", "--qf", "beaucoup"], "--qf : « beaucoup » n'est pas un nombre"),
        (["--grid", "PARIS", "--qf", "-3"], "- --qf : Le quotient familial ne peut pas être négatif."),
        (
            ["--grid", "PARIS", "--qf", "300", "--rank", "deux"],
            "--rank : « deux » n'est pas un nombre entier.",
        ),
        (
            ["--grid", "PARIS", "--qf", "300", "--rank", "0"],
            "- --rank : Un nombre entier à partir de 1 est attendu.",
        ),
        (["--grid", "PARIS", "--qf", "300", "--date", "2025-01-01"], "--date : ne s'applique pas ici"),
        (
            ["--grid", "PARIS", "--psu", "--establishment", "collective"],
            "Indiquez --grid ou --psu, pas les deux.",
        ),
        (
            ["--psu", "--date", "2025-01-01", "--monthly-resources", "1"],
            "Avec --psu, indiquez --establishment",
        ),
        (
            ["--psu", "--establishment", "halte", "--date", "2025-01-01", "--monthly-resources", "1"],
            "- --establishment : Type d'établissement inconnu : « halte »",
        ),
        (
            ["--psu", "--establishment", "collective", "--monthly-resources", "1"],
            "Indiquez --date AAAA-MM-JJ",
        ),
        (
            ["--psu", "--establishment", "collective", "--date", "15/10/2025", "--monthly-resources", "1"],
            "--date : « 15/10/2025 » n'est pas une date AAAA-MM-JJ.",
        ),
        (
            ["--psu", "--establishment", "collective", "--date", "2025-10-15"],
            "Indiquez --monthly-resources ou --annual-resources",
        ),
        (
            [
                "--psu",
                "--establishment",
                "collective",
                "--date",
                "2025-10-15",
                "--monthly-resources",
                "1",
                "--annual-resources",
                "12",
            ],
            "pas les deux",
        ),
        (
            [
                "--psu",
                "--establishment",
                "collective",
                "--date",
                "2025-10-15",
                "--monthly-resources",
                "1",
                "--qf",
                "3",
            ],
            "--qf : ne s'applique pas ici",
        ),
        (
            ["--psu", "--establishment", "micro", "--date", "2019-06-01", "--monthly-resources", "1000"],
            "Impossible de calculer le tarif :\n- Le barème ne contient aucun taux d'effort pour une micro-crèche au 01/06/2019.",
        ),
        (
            [
                "--psu",
                "--establishment",
                "collective",
                "--date",
                "2025-10-15",
                "--monthly-resources",
                "1",
                "--hours-per-week",
                "40",
            ],
            "- --weeks-per-year : Pour la mensualisation, indiquez ensemble",
        ),
        (
            [
                "--psu",
                "--establishment",
                "collective",
                "--date",
                "2025-10-15",
                "--monthly-resources",
                "1",
                "--children",
                "1",
                "--aeeh",
                "2",
            ],
            "- --aeeh : Il ne peut pas y avoir plus d'enfants bénéficiaires de l'AEEH",
        ),
    ],
)
def test_bad_input_ends_with_a_french_message(grid_file, args, message):
    args = [grid_file(PARIS) if arg == "PARIS" else arg for arg in args]
    assert message in error(*args)


def test_a_file_that_is_not_json(tmp_path):
    path = tmp_path / "grid.json"
    path.write_text('{"kind": "brackets",\n "brackets": [}', encoding="utf-8")
    assert (
        error("--grid", str(path), "--qf", "1") == f"{path} n'est pas du JSON valide (ligne 2, colonne 15)."
    )


def test_an_unreadable_barème_is_said_not_dumped(monkeypatch):
    from django.db import OperationalError

    from cantine import selectors

    def broken():
        raise OperationalError("no such table: cantine_psueffortrate")

    monkeypatch.setattr(selectors, "psu_bareme", broken)
    message = error(
        "--psu", "--establishment", "collective", "--date", "2025-10-15", "--monthly-resources", "1"
    )
    assert message == (
        "Impossible de lire le barème PSU dans la base de données (no such table: cantine_psueffortrate). "
        "Les migrations sont-elles appliquées (manage.py migrate) ?"
    )
