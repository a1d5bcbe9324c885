"""The commune's zone maps, imported from its street list, and the card's tariff grid: versions never edited in place."""

import csv
import io

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from portal.audit import audit_record
from portal.models import AuditEntry
from portal.versions import next_version, version_activate, version_save
from pricing.errors import PricingError
from pricing.parking import parse_parking_grid
from stationnement.models import (
    ParkingGrid,
    StreetSegment,
    Zone,
    ZoneMap,
)

COLUMNS = ("zone", "nom_voie", "code_postal", "commune", "numero_min", "numero_max", "parite")


def _number(value: str, *, line: int, column: str) -> int | None:
    value = value.strip()
    if not value:
        return None
    if not value.isdigit():
        raise ValidationError(
            _("Ligne %(line)d : « %(value)s » n'est pas un numéro (colonne %(column)s).")
            % {"line": line, "value": value, "column": column},
            code="bad_number",
        )
    return int(value)


def _rows(text: str):
    """The file's rows as segments' fields, every error named by its line (the import writes nothing then)."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")), delimiter=";")
    missing = [column for column in COLUMNS if column not in (reader.fieldnames or ())]
    if missing:
        raise ValidationError(
            _("Colonnes manquantes : %(columns)s. Attendu : %(expected)s.")
            % {"columns": ", ".join(missing), "expected": ";".join(COLUMNS)},
            code="bad_header",
        )
    parities = {choice.value for choice in StreetSegment.Parity}
    errors, rows = [], []
    for line, row in enumerate(reader, start=2):
        try:
            values = {column: (row.get(column) or "").strip() for column in COLUMNS}
            if not values["zone"] or not values["nom_voie"] or not values["code_postal"]:
                raise ValidationError(
                    _("Ligne %(line)d : la zone, la voie et le code postal sont obligatoires.")
                    % {"line": line},
                    code="incomplete",
                )
            parity = values["parite"].lower() or StreetSegment.Parity.ALL
            if parity not in parities:
                raise ValidationError(
                    _("Ligne %(line)d : parité « %(value)s » inconnue (tous, pair ou impair).")
                    % {"line": line, "value": values["parite"]},
                    code="bad_parity",
                )
            low = _number(values["numero_min"], line=line, column="numero_min")
            high = _number(values["numero_max"], line=line, column="numero_max")
            if low is not None and high is not None and low > high:
                raise ValidationError(
                    _("Ligne %(line)d : le numéro minimum dépasse le maximum.") % {"line": line},
                    code="bounds",
                )
            rows.append((values, low, high, parity))
        except ValidationError as error:
            errors.extend(error.messages)
    if errors:
        raise ValidationError(errors)
    if not rows:
        raise ValidationError(_("Le fichier ne contient aucun tronçon."), code="empty")
    return rows


@transaction.atomic
def zone_map_import(*, text: str, label: str, agent=None, activate: bool = False) -> ZoneMap:
    """A new version of the zones from the file `zone;nom_voie;code_postal;commune;numero_min;numero_max;parite`
    (empty numbers: the whole street). The versions before it stay for the cards issued on them."""
    rows = _rows(text)
    zone_map = ZoneMap.objects.create(version=next_version(ZoneMap.objects), label=label, created_by=agent)
    zones = {}
    for values, low, high, parity in rows:
        code = values["zone"]
        if code not in zones:
            zones[code] = Zone.objects.create(zone_map=zone_map, code=code, name=code)
        StreetSegment(
            zone=zones[code],
            street=values["nom_voie"],
            postcode=values["code_postal"],
            commune=values["commune"],
            number_min=low,
            number_max=high,
            parity=parity,
        ).save()
    if agent is not None:
        audit_record(
            actor=agent, action=AuditEntry.Action.CHANGED_ZONES, zone_map=zone_map.pk, change="imported"
        )
    if activate:
        zone_map_activate(zone_map=zone_map, agent=agent)
    return zone_map


@transaction.atomic
def zone_map_activate(*, zone_map: ZoneMap, agent=None) -> ZoneMap:
    version_activate(versions=ZoneMap.objects, version=zone_map)
    if agent is not None:
        audit_record(
            actor=agent, action=AuditEntry.Action.CHANGED_ZONES, zone_map=zone_map.pk, change="activated"
        )
    return zone_map


@transaction.atomic
def zone_map_edit(*, zone_map: ZoneMap, agent) -> tuple[ZoneMap, dict]:
    """The map an agent's change (its label, zones, segments) is to be made on: the map itself when no card nor
    application uses it; otherwise a new version copied from it, zones and segments, in force if it was, so the
    cards keep the zones they were issued in. Returns that map and the copies made, {Zone: {pk: copy's pk},
    StreetSegment: {…}} ({} when the map is changed in place)."""
    locked = ZoneMap.objects.select_for_update().get(pk=zone_map.pk)
    if not locked.in_use:
        audit_record(actor=agent, action=AuditEntry.Action.CHANGED_ZONES, zone_map=locked.pk, change="edited")
        return locked, {}
    copy = ZoneMap.objects.create(version=next_version(ZoneMap.objects), label=locked.label, created_by=agent)
    zones, segments = {}, {}
    for zone in locked.zones.prefetch_related("segments"):
        zones[zone.pk] = Zone.objects.create(zone_map=copy, code=zone.code, name=zone.name)
        for segment in zone.segments.all():
            original = segment.pk
            segment.pk, segment.zone, segment._state.adding = None, zones[zone.pk], True
            segment.save()
            segments[original] = segment.pk
    if locked.is_active:
        version_activate(versions=ZoneMap.objects, version=copy)
    audit_record(
        actor=agent,
        action=AuditEntry.Action.CHANGED_ZONES,
        zone_map=copy.pk,
        change="new_version",
        copied_from=locked.version,
    )
    return copy, {Zone: {pk: zone.pk for pk, zone in zones.items()}, StreetSegment: segments}


def parking_grid_check(data) -> None:
    """The grid's JSON as the tariff engine reads it, or its French messages."""
    try:
        parse_parking_grid(data)
    except PricingError as error:
        raise ValidationError(error.messages, code="bad_grid") from error


@transaction.atomic
def parking_grid_save(*, data: dict, label: str, agent, grid: ParkingGrid | None = None) -> ParkingGrid:
    """Save a parking grid. A version no application was priced on is changed in place; one in use stays as it is
    and the change becomes the next version (in force if the old one was), like cantine's tariff grids."""
    parking_grid_check(data)
    saved = version_save(
        versions=ParkingGrid.objects, edited=grid, changes={"data": data, "label": label}, agent=agent
    )
    _audit_parking_grid(saved, agent=agent, change="saved")
    return saved


@transaction.atomic
def parking_grid_activate(*, grid: ParkingGrid, agent=None) -> ParkingGrid:
    """Put a version in force for the applications priced from now on; those already priced keep theirs."""
    version_activate(versions=ParkingGrid.objects, version=grid)
    _audit_parking_grid(grid, agent=agent, change="activated")
    return grid


def _audit_parking_grid(grid: ParkingGrid, *, agent, change: str) -> None:
    if agent is not None:  # None: seed_parking_demo and tests, not an agent's act
        audit_record(
            actor=agent,
            action=AuditEntry.Action.CHANGED_GRID,
            parking_grid=grid.pk,
            version=grid.version,
            change=change,
        )
