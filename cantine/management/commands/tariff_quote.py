"""`python manage.py tariff_quote`: the quote the portal would give, as JSON, for support and scripting.

Same engine as the dossier page and the estimator (the pricing package), so a figure a family questions can be
replayed here. Bad input ends with a French message, never a traceback."""

import json
from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

import pricing
from cantine.tariffs.errors import error_messages

# Facts fields as the options that set them, so pricing's messages name what the user typed.
OPTION_OF_FIELD = {
    "qf": "--qf",
    "rfr": "--rfr",
    "parts": "--parts",
    "rank": "--rank",
    "income_source": "--declined",
    "on": "--date",
    "monthly_resources": "--monthly-resources",
    "children": "--children",
    "aeeh": "--aeeh",
    "hours_per_week": "--hours-per-week",
    "weeks_per_year": "--weeks-per-year",
    "months": "--months",
}
QF_OPTIONS = ("qf", "rfr", "parts", "rank")
PSU_OPTIONS = (
    "date",
    "establishment",
    "monthly_resources",
    "annual_resources",
    "children",
    "aeeh",
    "ceiling_lifted",
    "hours_per_week",
    "weeks_per_year",
    "months",
)


class Command(BaseCommand):
    help = (
        "Affiche en JSON le tarif calculé pour une grille et un foyer, avec son explication. "
        "Cantine : --grid FICHIER.json avec --qf X, ou --rfr X --parts Y [--rank N], ou --declined. "
        "Crèche : --psu --date AAAA-MM-JJ --establishment collective|family|micro avec --monthly-resources X "
        "ou --annual-resources X, --children N, --aeeh N [--ceiling-lifted], "
        "et pour la mensualisation --hours-per-week H --weeks-per-year S --months M."
    )

    def add_arguments(self, parser):
        parser.add_argument("--grid", help="Grille au format JSON d'import/export.")
        parser.add_argument("--qf", help="Quotient familial, déjà calculé.")
        parser.add_argument("--rfr", help="Revenu fiscal de référence (euros).")
        parser.add_argument("--parts", help="Nombre de parts fiscales.")
        parser.add_argument(
            "--rank", help="Rang de l'enfant parmi les enfants inscrits du foyer (1 par défaut)."
        )
        parser.add_argument(
            "--declined", action="store_true", help="La famille refuse de communiquer ses revenus."
        )
        parser.add_argument("--psu", action="store_true", help="Barème national de la CNAF pour les crèches.")
        parser.add_argument("--date", help="Date à laquelle lire le barème (AAAA-MM-JJ).")
        parser.add_argument("--establishment", help="collective, family ou micro.")
        parser.add_argument("--monthly-resources", help="Ressources mensuelles (euros).")
        parser.add_argument("--annual-resources", help="Ressources annuelles (euros), divisées par 12.")
        parser.add_argument("--children", help="Enfants à charge du foyer (1 par défaut).")
        parser.add_argument("--aeeh", help="Enfants du foyer bénéficiaires de l'AEEH (0 par défaut).")
        parser.add_argument(
            "--ceiling-lifted", action="store_true", help="Déplafonnement : taux appliqué au-delà du plafond."
        )
        parser.add_argument("--hours-per-week", help="Heures réservées par semaine.")
        parser.add_argument("--weeks-per-year", help="Semaines d'accueil par an.")
        parser.add_argument("--months", help="Nombre de mois facturés.")

    def handle(self, *args, **options):
        grid = self._grid(options)
        facts = self._psu_facts(options) if isinstance(grid, pricing.PsuGrid) else self._qf_facts(options)
        bareme = None
        if isinstance(grid, pricing.PsuGrid):
            from cantine.selectors import psu_bareme  # the barème agents maintain, not the shipped copy

            try:
                bareme = psu_bareme()
            except DatabaseError as error:
                raise CommandError(
                    f"Impossible de lire le barème PSU dans la base de données ({error}). "
                    "Les migrations sont-elles appliquées (manage.py migrate) ?"
                ) from error
        try:
            result = pricing.quote(grid, facts, bareme=bareme)
        except pricing.PricingError as error:
            raise CommandError(
                _messages("Impossible de calculer le tarif :", error, OPTION_OF_FIELD)
            ) from error
        self.stdout.write(json.dumps(result.as_json(), ensure_ascii=False, indent=2))

    def _grid(self, options) -> pricing.Grid:
        if options["psu"]:
            if options["grid"]:
                raise CommandError("Indiquez --grid ou --psu, pas les deux.")
            if not options["establishment"]:
                raise CommandError("Avec --psu, indiquez --establishment collective, family ou micro.")
            data = {
                "kind": "psu",
                "establishment": options["establishment"],
                "ceiling_lifted": bool(options["ceiling_lifted"]),
            }
            return _parsed(data, "Options du barème PSU incorrectes :", {"establishment": "--establishment"})
        if not options["grid"]:
            raise CommandError("Indiquez une grille (--grid FICHIER.json) ou le barème des crèches (--psu).")
        path = Path(options["grid"])
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as error:
            raise CommandError(f"Fichier introuvable : {path}") from error
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"Impossible de lire {path} : {error}") from error
        except json.JSONDecodeError as error:
            raise CommandError(
                f"{path} n'est pas du JSON valide (ligne {error.lineno}, colonne {error.colno})."
            ) from error
        grid = _parsed(data, f"La grille {path} n'est pas valide :", {})
        if isinstance(grid, pricing.PsuGrid):
            _refuse(
                options,
                ("establishment", "ceiling_lifted"),
                "l'établissement et le déplafonnement sont dans la grille",
            )
        return grid

    def _qf_facts(self, options) -> pricing.Facts:
        _refuse(options, PSU_OPTIONS, "cette grille ne relève pas du barème PSU des crèches")
        given = [name for name in ("qf", "rfr", "parts") if options[name] is not None]
        if options["declined"] and given:
            raise CommandError(
                "--declined exclut --qf, --rfr et --parts : la famille n'a pas donné ses revenus."
            )
        if options["qf"] is not None and (options["rfr"] is not None or options["parts"] is not None):
            raise CommandError("Indiquez --qf, ou --rfr avec --parts, pas les deux.")
        if not given and not options["declined"]:
            raise CommandError("Indiquez --qf, ou --rfr avec --parts, ou --declined.")
        return pricing.Facts(
            qf=_number(options, "qf"),
            rfr=_number(options, "rfr"),
            parts=_number(options, "parts"),
            rank=_whole(options, "rank", default=1),
            income_source="declined" if options["declined"] else "direct",
        )

    def _psu_facts(self, options) -> pricing.Facts:
        _refuse(options, QF_OPTIONS, "le barème PSU se calcule sur les ressources mensuelles")
        if not options["date"]:
            raise CommandError("Indiquez --date AAAA-MM-JJ : le barème de la CNAF change avec les années.")
        on = options["date"]
        if not isinstance(on, date):
            try:
                on = date.fromisoformat(str(on))
            except ValueError as error:
                raise CommandError(f"--date : « {on} » n'est pas une date AAAA-MM-JJ.") from error
        monthly, annual = options["monthly_resources"], options["annual_resources"]
        if monthly is not None and annual is not None:
            raise CommandError("Indiquez --monthly-resources ou --annual-resources, pas les deux.")
        if options["declined"] and (monthly is not None or annual is not None):
            raise CommandError("--declined exclut --monthly-resources et --annual-resources.")
        if monthly is None and annual is None and not options["declined"]:
            raise CommandError("Indiquez --monthly-resources ou --annual-resources (ou --declined).")
        return pricing.Facts(
            on=on,
            monthly_resources=_number(options, "monthly_resources"),
            rfr=_number(options, "annual_resources"),  # explained as annual resources ÷ 12
            children=_whole(options, "children", default=1),
            aeeh=_whole(options, "aeeh", default=0),
            hours_per_week=_number(options, "hours_per_week"),
            weeks_per_year=_number(options, "weeks_per_year"),
            months=_number(options, "months"),
            income_source="declined" if options["declined"] else "direct",
        )


def _option(name: str) -> str:
    return "--" + name.replace("_", "-")


def _parsed(data, title: str, options: dict) -> pricing.Grid:
    try:
        return pricing.parse_grid(data)
    except pricing.GridError as error:
        raise CommandError(_messages(title, error, options)) from error


def _messages(title: str, error: pricing.PricingError, options: dict) -> str:
    """One line per message, naming the option (or the grid field) at fault."""
    return "\n".join([title, *(f"- {line}" for line in error_messages(error, options))])


def _refuse(options, names, why: str):
    given = [_option(name) for name in names if options.get(name) not in (None, False)]
    if given:
        raise CommandError(f"{', '.join(given)} : ne s'applique pas ici ({why}).")


def _number(options, name):
    value = options[name]
    if value is None:
        return None
    try:
        return pricing.parse_decimal(value)
    except ValueError as error:
        raise CommandError(f"{_option(name)} : {error}") from error


def _whole(options, name, *, default: int) -> int:
    value = options[name]
    if value is None:
        return default
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = str(value).strip()
    if not text.isdigit():
        raise CommandError(f"{_option(name)} : « {value} » n'est pas un nombre entier.")
    return int(text)
