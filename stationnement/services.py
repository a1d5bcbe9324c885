"""Writes on zones: a zone map imported from the commune's street list, and the version put in force."""

import csv
import io

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from portal.audit import audit_record
from portal.models import AuditEntry
from stationnement.models import StreetSegment, Zone, ZoneMap

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
    latest = ZoneMap.objects.select_for_update().aggregate(latest=Max("version"))["latest"] or 0
    zone_map = ZoneMap.objects.create(version=latest + 1, label=label, created_by=agent)
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
    ZoneMap.objects.select_for_update().filter(is_active=True).exclude(pk=zone_map.pk).update(is_active=False)
    zone_map.is_active = True
    zone_map.save(update_fields=["is_active"])
    if agent is not None:
        audit_record(
            actor=agent, action=AuditEntry.Action.CHANGED_ZONES, zone_map=zone_map.pk, change="activated"
        )
    return zone_map
