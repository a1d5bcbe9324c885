"""Zones from the commune's street list, and the zone an address lies in (never a guess)."""

import json
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from stationnement.models import ZoneMap
from stationnement.selectors import domicile_locate
from stationnement.services import zone_map_activate, zone_map_import

pytestmark = pytest.mark.django_db

ZONES = """zone;nom_voie;code_postal;commune;numero_min;numero_max;parite
A;Rue du Centre;93160;Noisy-le-Grand;;;tous
A;Avenue de la République;93160;Noisy-le-Grand;1;99;impair
B;Avenue de la République;93160;Noisy-le-Grand;2;98;pair
B;Boulevard du Général-de-Gaulle;93160;Noisy-le-Grand;1;40;tous
C;Boulevard du Général-de-Gaulle;93160;Noisy-le-Grand;30;80;tous
C;Place de la Mairie;93160;Noisy-le-Grand;;;
"""


@pytest.fixture
def zones():
    return zone_map_import(text=ZONES, label="arrêté du 3 mars 2026", activate=True)


@pytest.mark.parametrize(
    ("aft", "zone"),
    [
        ("BAT 3 APT 93 10 RUE DU CENTRE 93160 NOISY LE GRAND", "A"),
        ("RUE DU CENTRE 93160 NOISY LE GRAND", "A"),  # a whole street: with or without number
        ("11 AV DE LA REPUBLIQUE 93160 NOISY LE GRAND", "A"),
        ("12 AV DE LA REPUBLIQUE 93160 NOISY LE GRAND", "B"),
        ("12 BIS AVENUE DE LA REPUBLIQUE 93160 NOISY-LE-GRAND", "B"),
        ("3 BD DU GAL DE GAULLE 93160 NOISY LE GRAND", "B"),
        ("60 BD DU GAL DE GAULLE 93160 NOISY LE GRAND", "C"),
        ("APT 4 PL DE LA MAIRIE 93160 NOISY LE GRAND", "C"),
    ],
)
def test_an_address_in_a_zone_finds_it(zones, aft, zone):
    domicile = domicile_locate(aft=aft)
    assert domicile.zone is not None and domicile.zone.code == zone
    assert domicile.reason == ""


@pytest.mark.parametrize(
    ("aft", "reason"),
    [
        ("5 RUE DES LILAS 93160 NOISY LE GRAND", "street_not_in_zones"),
        ("10 RUE DU CENTRE 75002 PARIS", "street_not_in_zones"),  # same name, another commune
        ("101 AV DE LA REPUBLIQUE 93160 NOISY LE GRAND", "number_not_in_zones"),
        (
            "AV DE LA REPUBLIQUE 93160 NOISY LE GRAND",
            "number_not_in_zones",
        ),  # no number, street split in zones
        (
            "35 BD DU GAL DE GAULLE 93160 NOISY LE GRAND",
            "ambiguous",
        ),  # two segments overlap: an agent decides
        ("10 RUE DU CENTRE", "no_postcode"),
    ],
)
def test_an_address_outside_or_between_zones_says_why(zones, aft, reason):
    domicile = domicile_locate(aft=aft)
    assert domicile.zone is None and domicile.reason == reason
    assert domicile.reason_label


def test_without_zones_in_force_nothing_is_matched():
    zone_map_import(text=ZONES, label="brouillon")
    assert domicile_locate(aft="10 RUE DU CENTRE 93160 NOISY LE GRAND").reason == "no_zone_map"


def test_an_import_is_a_new_version_and_the_older_ones_stay(zones):
    newer = zone_map_import(
        text=ZONES.replace("A;Rue du Centre", "D;Rue du Centre"), label="arrêté du 1er juin"
    )
    assert (zones.version, newer.version) == (1, 2) and not newer.is_active
    assert domicile_locate(aft="10 RUE DU CENTRE 93160 NOISY LE GRAND").zone.code == "A"
    zone_map_activate(zone_map=newer)
    assert list(ZoneMap.objects.filter(is_active=True)) == [newer]
    assert domicile_locate(aft="10 RUE DU CENTRE 93160 NOISY LE GRAND").zone.code == "D"
    assert domicile_locate(aft="10 RUE DU CENTRE 93160 NOISY LE GRAND", zone_map=zones).zone.code == "A"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("zone;nom_voie\nA;Rue", "Colonnes manquantes"),
        (ZONES.splitlines()[0] + "\n", "aucun tronçon"),
        (ZONES + "A;Rue X;93160;Noisy;12;4;tous\n", "Ligne 8 : le numéro minimum dépasse le maximum."),
        (ZONES + "A;Rue X;93160;Noisy;;;pairs\n", "Ligne 8 : parité « pairs » inconnue"),
        (ZONES + "A;Rue X;93160;Noisy;1a;;tous\n", "Ligne 8 : « 1a » n'est pas un numéro"),
        (
            ZONES + ";Rue X;93160;Noisy;;;tous\n",
            "Ligne 8 : la zone, la voie et le code postal sont obligatoires.",
        ),
    ],
)
def test_a_bad_file_is_refused_whole_with_its_lines(text, message):
    with pytest.raises(ValidationError) as raised:
        zone_map_import(text=text, label="x")
    assert any(message in line for line in raised.value.messages)
    assert not ZoneMap.objects.exists()


def test_zones_import_command(tmp_path):
    path = tmp_path / "zones.csv"
    path.write_text("\ufeff" + ZONES, encoding="utf-8")
    out = StringIO()
    call_command("zones_import", str(path), "--activate", stdout=out)
    assert "Version 1 : 3 zone(s), 6 tronçon(s), en vigueur." in out.getvalue()
    bad = tmp_path / "bad.csv"
    bad.write_text("zone;voie\n", encoding="utf-8")
    with pytest.raises(CommandError, match="Colonnes manquantes"):
        call_command("zones_import", str(bad))


def test_domicile_check_command(zones):
    out = StringIO()
    call_command("domicile_check", "BAT 3 APT 93 10 BIS RUE DU CENTRE 93160 NOISY LE GRAND", stdout=out)
    assert json.loads(out.getvalue()) == {
        "zone": "A",
        "number": 10,
        "suffix": "BIS",
        "street": "RUE DU CENTRE",
        "postcode": "93160",
        "commune": "NOISY LE GRAND",
    }
    out = StringIO()
    call_command("domicile_check", "5 RUE DES LILAS 93160 NOISY LE GRAND", stdout=out)
    assert json.loads(out.getvalue())["zone"] is None
    assert json.loads(out.getvalue())["reason"] == "street_not_in_zones"


def test_seed_parking_demo_is_idempotent():
    call_command("seed_parking_demo", stdout=StringIO())
    call_command("seed_parking_demo", stdout=StringIO())
    assert ZoneMap.objects.count() == 1
    assert domicile_locate(aft="4 RUE DES ECOLES 99999 BEAUVAL").zone.code == "A"
