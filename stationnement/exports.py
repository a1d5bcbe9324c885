"""The valid cards of a zone for the enforcement system: number, plates, zone, end date (CSV, no name)."""

import csv

from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.text import slugify

from portal.audit import audit_record
from portal.models import AuditEntry
from stationnement.selectors import cards_valid_in_zone

HEADER = ("numero", "immatriculations", "zone", "debut", "fin")


class _Echo:
    def write(self, value):
        return value


def rows(zone_code: str, *, today=None):
    yield HEADER
    for card in cards_valid_in_zone(zone_code, today=today).iterator():
        yield (
            card.number,
            " ".join(card.plates),
            card.zone.code,
            card.starts_on.isoformat(),
            card.last_day.isoformat(),
        )


def export_response(*, zone_code: str, agent) -> StreamingHttpResponse:
    audit_record(actor=agent, action=AuditEntry.Action.EXPORTED, export="parking_cards", zone=zone_code)
    writer = csv.writer(_Echo(), delimiter=";")
    response = StreamingHttpResponse(
        (writer.writerow(row) for row in rows(zone_code)), content_type="text/csv; charset=utf-8"
    )
    day = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="cartes-resident-{slugify(zone_code)}-{day}.csv"'
    return response
