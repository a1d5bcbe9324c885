"""`manage.py particulier_lookup ROUTE --nom-naissance X --prenoms "A B" --sexe F|M --date-naissance YYYY-MM-DD
--pays-naissance COG [--commune-naissance COG] [--annee YYYY --mois MM]`: one `identite` lookup against the API
Particulier the settings name, for the commune's own recette. It prints the figures the portal would use and how
many allocataires answered, never their names; the client's log lines carry no personal data."""

import json
from datetime import date

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from api_particulier import client
from api_particulier.situation import IdentityPivot, ParticulierError

FIGURES = ("provider", "qf", "year", "month", "annual_resources", "children", "aeeh_children", "allocataires")


class Command(BaseCommand):
    help = (
        "Interroge API Particulier (API_PARTICULIER_URL) par l'identité pivot et affiche le résultat en JSON : "
        "outcome, provider, qf, year, month, annual_resources, children, aeeh_children, allocataires."
    )

    def add_arguments(self, parser):
        parser.add_argument("route", choices=(client.QUOTIENT_FAMILIAL, client.EAJE))
        parser.add_argument("--nom-naissance", required=True)
        parser.add_argument("--prenoms", required=True, help="séparés par des espaces, trois au plus")
        parser.add_argument("--sexe", required=True, choices=("F", "M"))
        parser.add_argument("--date-naissance", required=True, help="AAAA-MM-JJ")
        parser.add_argument(
            "--pays-naissance", required=True, help="code COG à 5 chiffres, 99100 pour la France"
        )
        parser.add_argument("--commune-naissance", default="", help="code COG de la commune, né en France")
        parser.add_argument(
            "--annee", type=int, help="année du quotient familial (quotient_familial seulement)"
        )
        parser.add_argument(
            "--mois", type=int, help="mois du quotient familial (quotient_familial seulement)"
        )

    def handle(self, *args, route, annee, mois, **options):
        if not settings.API_PARTICULIER_URL:
            raise CommandError("API_PARTICULIER_URL doit être configurée (voir .env.example).")
        if route == client.EAJE and (annee or mois):
            raise CommandError("--annee et --mois ne valent que pour quotient_familial.")
        try:
            born = date.fromisoformat(options["date_naissance"])
        except ValueError as error:
            raise CommandError("La date de naissance s'écrit AAAA-MM-JJ, par exemple 1985-03-21.") from error
        identity = IdentityPivot(
            nom_naissance=options["nom_naissance"],
            prenoms=tuple(options["prenoms"].split()),
            sexe=options["sexe"],
            date_naissance=born,
            code_cog_insee_pays_naissance=options["pays_naissance"],
            code_cog_insee_commune_naissance=options["commune_naissance"],
        )
        result = {"outcome": "ok", **dict.fromkeys(FIGURES), "correlation_id": "", "detail": ""}
        try:
            if route == client.QUOTIENT_FAMILIAL:
                qf = client.quotient_familial_by_identity(identity, year=annee, month=mois)
                result |= {"provider": qf.provider, "qf": qf.value, "year": qf.year, "month": qf.month}
                answer = qf
            else:
                answer = client.eaje_resources_by_identity(identity)
                result |= {
                    "provider": answer.provider or None,
                    "year": answer.year,
                    "annual_resources": answer.annual_resources,
                    "children": answer.children,
                    "aeeh_children": answer.aeeh_children,
                }
            result |= {"allocataires": len(answer.allocataires), "correlation_id": answer.correlation_id}
        except ParticulierError as error:
            result |= {
                "outcome": error.reason,
                "provider": error.provider or None,
                "correlation_id": error.correlation_id,
                "detail": error.detail,  # for support: an HTTP status and API Particulier's code, an exception's name
            }
        self.stdout.write(json.dumps(result, ensure_ascii=False))
