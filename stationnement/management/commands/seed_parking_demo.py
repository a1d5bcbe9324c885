"""The demo commune's resident zones and card tariff, for `make run` (idempotent: nothing changes once they exist).
The zones cover some of the streets of Beauval where the DGFiP simulator's households live."""

from django.core.management.base import BaseCommand

from portal.versions import next_version
from stationnement.models import ParkingGrid, ZoneMap
from stationnement.services import zone_map_import

DEMO_ZONES = """zone;nom_voie;code_postal;commune;numero_min;numero_max;parite
A;Rue des Écoles;99999;Beauval;;;tous
A;Rue des Tilleuls;99999;Beauval;;;tous
A;Place de la Mairie;99999;Beauval;;;tous
A;Rue du Moulin;99999;Beauval;;;tous
B;Avenue de la Gare;99999;Beauval;1;99;tous
B;Rue du Port;99999;Beauval;;;tous
"""
DEMO_GRID = {
    "kind": "parking",
    "prices": {"month": "15", "quarter": "40", "year": "150"},
    "prices_by_rank": {"2": {"month": "30", "quarter": "80", "year": "300"}},
    "max_vehicles": 2,
    # Half price up to a quotient familial of 900 €: the CAF's first (Angela DUBOIS, identity « test »: 715 €),
    # then the fiscal one (RFR ÷ 12 ÷ parts) for a resident the CAF does not know.
    "social": {"qf_up_to": "900", "percent": "-50"},
    "income": ["caf", "dgfip"],
    "environment": {
        "Euro 1": "refused",
        "Euro 2": "refused",
        "Euro 3": "refused",
        "Euro 5": "20",
        "Euro 6d": "-10",
    },
    "environment_default": "0",
}


class Command(BaseCommand):
    help = "Crée les zones et le tarif de démonstration du stationnement résidentiel (s'ils n'existent pas)."

    def handle(self, *args, **options):
        if not ZoneMap.objects.exists():
            zone_map_import(text=DEMO_ZONES, label="Arrêté de démonstration", activate=True)
        if not ParkingGrid.objects.exists():
            ParkingGrid.objects.create(
                version=1, label="Délibération de démonstration", data=DEMO_GRID, is_active=True
            )
        elif not ParkingGrid.objects.filter(data__has_key="social").exists():
            # A demo database seeded before the social tariff: its grid in force gives way to the new demo grid.
            ParkingGrid.objects.filter(is_active=True).update(is_active=False)
            ParkingGrid.objects.create(
                version=next_version(ParkingGrid.objects),
                label="Délibération de démonstration (tarif social)",
                data=DEMO_GRID,
                is_active=True,
            )
        self.stdout.write("Stationnement résidentiel : zones A et B, tarif en vigueur (avec tarif social).")
