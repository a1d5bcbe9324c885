"""Reads on zones: which zone an address lies in, or why none can be said without an agent."""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from stationnement.addresses import Address, AddressUnreadable, read
from stationnement.models import StreetSegment, Zone, ZoneMap


@dataclass(frozen=True)
class Domicile:
    """Where an address lies. `zone` is None with a `reason`: unreadable, a street the commune's zones do not
    name, a number outside them, or several zones (never a guess: an agent decides)."""

    address: Address | None
    zone: Zone | None
    reason: str = ""

    @property
    def reason_label(self) -> str:
        return str(self.REASONS.get(self.reason, self.reason))

    REASONS = {
        "no_postcode": _("aucun code postal dans l'adresse"),
        "no_street": _("aucune voie dans l'adresse"),
        "no_zone_map": _("aucun plan des zones en vigueur"),
        "street_not_in_zones": _("voie hors des zones résidentielles"),
        "number_not_in_zones": _("numéro hors des tronçons de la voie en zone résidentielle"),
        "ambiguous": _("adresse dans plusieurs zones : un agent doit trancher"),
    }


def zone_map_in_force() -> ZoneMap | None:
    return ZoneMap.objects.filter(is_active=True).first()


def domicile_locate(
    *, aft: str = "", detail: dict | None = None, zone_map: ZoneMap | None = None
) -> Domicile:
    try:
        address = read(aft, detail)
    except AddressUnreadable as error:
        return Domicile(address=None, zone=None, reason=error.reason)
    zone_map = zone_map or zone_map_in_force()
    if zone_map is None:
        return Domicile(address=address, zone=None, reason="no_zone_map")
    segments = [
        segment
        for segment in StreetSegment.objects.filter(
            zone__zone_map=zone_map, street_key=address.street_key
        ).select_related("zone")
        if segment.postcode == address.postcode or segment.commune_key == address.commune
    ]
    if not segments:
        return Domicile(address=address, zone=None, reason="street_not_in_zones")
    zones = {segment.zone for segment in segments if segment.covers(address.number)}
    if not zones:
        return Domicile(address=address, zone=None, reason="number_not_in_zones")
    if len(zones) > 1:
        return Domicile(address=address, zone=None, reason="ambiguous")
    return Domicile(address=address, zone=zones.pop())
