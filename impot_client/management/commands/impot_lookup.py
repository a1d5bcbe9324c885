"""`manage.py impot_lookup SPI [--year YYYY]`: one lookup by numéro fiscal against the gateway the settings name,
as DataPass's functional test ("recette") on DGFiP's sandbox asks. It prints what the portal would keep, never
the declarants' names; the client's log lines carry no personal data."""

import json

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from impot_client import client
from impot_client.situation import ImpotError, InvalidTaxNumber


class Command(BaseCommand):
    help = (
        "Interroge l'API Impôt particulier configurée (IMPOT_API_URL) pour un numéro fiscal et affiche le résultat "
        "en JSON : outcome, year, rfr, parts, dependants, correlation_id, token_requests."
    )

    def add_arguments(self, parser):
        parser.add_argument("spi", help="numéro fiscal, 13 chiffres")
        parser.add_argument(
            "--year", help="cette année de revenus seulement (AAAA), sans repli sur la précédente"
        )

    def handle(self, *args, spi, year, **options):
        if not (settings.IMPOT_API_URL and settings.IMPOT_TOKEN_URL):
            raise CommandError(
                "IMPOT_API_URL et IMPOT_TOKEN_URL doivent être configurés (voir .env.example)."
            )
        if year is not None and not (len(year) == 4 and year.isascii() and year.isdigit()):
            raise CommandError("L'année de revenus s'écrit sur 4 chiffres, par exemple --year 2024.")
        try:
            lookup = client.numero_fiscal_lookup(spi)
        except InvalidTaxNumber as error:
            raise CommandError(
                "Le numéro fiscal doit compter 13 chiffres (les espaces sont ignorés)."
            ) from error
        situation, outcome, detail = None, "ok", ""
        try:
            situation = lookup.run(year=int(year) if year else None)
        except ImpotError as error:
            outcome, detail = error.reason, error.detail
        figures = (
            {"rfr": situation.rfr, "parts": float(situation.nb_parts), "dependants": situation.nb_pac}
            if situation
            else dict.fromkeys(("rfr", "parts", "dependants"))
        )
        result = {
            "outcome": outcome,
            "year": lookup.year,  # the year that answered, or the last one asked
            **figures,
            "correlation_id": lookup.correlation_id,
            "token_requests": lookup.token_requests,
            "detail": detail,  # what went wrong, for support: an HTTP status, DGFiP's code, an exception's name
        }
        self.stdout.write(json.dumps(result, ensure_ascii=False))
