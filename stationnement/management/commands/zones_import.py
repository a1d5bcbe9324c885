"""manage.py zones_import FILE.csv: a new version of the resident zones from the commune's street list."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from stationnement.services import COLUMNS, zone_map_import


class Command(BaseCommand):
    help = f"Importe les zones de stationnement résidentiel (CSV séparé par « ; », colonnes {';'.join(COLUMNS)})."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument(
            "--label", default="", help="Libellé de la version (par défaut : le nom du fichier)."
        )
        parser.add_argument("--activate", action="store_true", help="Mettre cette version en vigueur.")

    def handle(self, *args, file, label, activate, **options):
        try:
            with open(file, encoding="utf-8-sig") as handle:
                text = handle.read()
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"Lecture impossible de {file} : {error}") from error
        try:
            zone_map = zone_map_import(text=text, label=label or file, activate=activate)
        except ValidationError as error:
            raise CommandError("\n".join(error.messages)) from error
        segments = sum(zone.segments.count() for zone in zone_map.zones.all())
        state = "en vigueur" if zone_map.is_active else "non activée (--activate pour la mettre en vigueur)"
        self.stdout.write(
            f"Version {zone_map.version} : {zone_map.zones.count()} zone(s), {segments} tronçon(s), {state}."
        )
