import pytest

from stationnement.models import ParkingGrid
from stationnement.services import zone_map_import

BEAUVAL_ZONES = """zone;nom_voie;code_postal;commune;numero_min;numero_max;parite
A;Rue des Écoles;99999;Beauval;;;tous
A;Rue des Tilleuls;99999;Beauval;;;tous
A;Place de la Mairie;99999;Beauval;;;tous
B;Avenue de la Gare;99999;Beauval;1;99;tous
B;Rue du Port;99999;Beauval;;;tous
"""
GRID = {
    "kind": "parking",
    "prices": {"month": "15", "quarter": "40", "year": "150"},
    "prices_by_rank": {"2": {"month": "30", "quarter": "80", "year": "300"}},
    "max_vehicles": 2,
    "environment": {"Euro 1": "refused", "Euro 2": "refused", "Euro 5": "20", "Euro 6d": "-10"},
}


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path


@pytest.fixture
def zones(db):
    return zone_map_import(text=BEAUVAL_ZONES, label="arrêté de test", activate=True)


@pytest.fixture
def grid(db):
    return ParkingGrid.objects.create(version=1, label="délibération de test", data=GRID, is_active=True)
