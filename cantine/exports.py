"""Billing exports: the accepted dossiers of a service and period, one row per dossier, in the columns the
commune's billing software imports (documented in the README). CSV is UTF-8 with a BOM and dot decimals;
XLSX holds real numbers with a two-decimal format, which French spreadsheet software shows as « 2,60 ».

At 30 000 rows: the dossiers are read in chunks (iterator), the CSV is written row by row as it is sent, the XLSX
by XlsxWriter in its constant-memory mode (each row goes to a temporary file as the next starts; twice as fast as
openpyxl's write-only mode here), and the encrypted figures the export never writes (the quote's QF and
explanation, the grid's JSON) are never read nor decrypted."""

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal

import xlsxwriter
from django.db import transaction
from django.utils.translation import gettext_lazy as _

import pricing
from cantine.models import Dossier, Service, Weekday
from portal.audit import audit_record
from portal.models import AuditEntry
from portal.selectors import holder_name

COLUMNS = [
    ("reference", _("Référence")),
    ("child_last_name", _("Nom de l'enfant")),
    ("child_first_names", _("Prénoms de l'enfant")),
    ("child_birth_date", _("Date de naissance")),
    ("family", _("Responsable du foyer")),
    ("family_email", _("Courriel du foyer")),
    ("establishment", _("Établissement")),
    ("days", _("Jours de repas")),
    ("hours_per_week", _("Heures par semaine")),
    ("tariff", _("Tarif (€)")),
    ("unit", _("Unité")),
    ("qf_bracket", _("Tranche de QF")),
    ("grid_version", _("Version de la grille")),
    ("monthly_fee", _("Mensualité du contrat d'accueil (€)")),
]
AMOUNT_COLUMNS = {"tariff", "hours_per_week", "monthly_fee"}
# The « Unité » column in words: the grid's unit codes (pricing.UNITS) are the engine's, not the agents'.
UNIT_NAMES = {
    "meal": _("repas"),
    "hour": _("heure"),
    "day": _("jour"),
    "half_day": _("demi-journée"),
    "session": _("séance"),
    "month": _("mois"),
}
XLSX_NUMBER_FORMAT = "0.00"


EXPORT_READS = (
    "canteen_days",
    "creche_schedule",
    "child__last_name",
    "child__first_names",
    "child__birth_date",
    "child__household__owner__email",
    "service__kind",
    "establishment__name",
    "quote__amount",
    "quote__overridden_amount",
    "quote__unit",
    "quote__criteria",
    "quote__grid__version",
    "creche_contract__monthly_fee",
)


def accepted_dossiers(*, service: Service, period):
    return (
        Dossier.objects.filter(service=service, period=period, status=Dossier.Status.ACCEPTED)
        .select_related("child__household__owner", "service", "establishment", "quote__grid", "creche_contract")
        .annotate(holder=holder_name())  # no Adult built per row, nor prefetched per chunk
        # The columns row_for reads: the other columns of the dossier and of the rows joined to it, built into
        # models for every row, were half of the export's time (and the quote's QF and explanation, encrypted, would
        # be decrypted).
        .only(*EXPORT_READS)
        .order_by("child__last_name", "child__first_names", "pk")
    )


CHUNK = 2000


def export_rows(*, service: Service, period):
    """The export's rows, read CHUNK dossiers at a time; the units' and days'
    names translated once, not in every row."""
    words = Words.translated()
    for dossier in accepted_dossiers(service=service, period=period).iterator(chunk_size=CHUNK):
        yield row_for(dossier, words=words)


@dataclass(frozen=True)
class Words:
    units: dict[str, str]
    days: dict[str, str]

    @classmethod
    def translated(cls) -> "Words":
        return cls(
            units={code: str(name) for code, name in UNIT_NAMES.items()},
            days={code: str(name) for code, name in Weekday.choices},
        )


def _bracket(quote) -> str:
    return "".join(pricing.criteria_words(quote.criteria, brief=True))


def row_for(dossier: Dossier, *, words: Words | None = None) -> dict:
    words = words or Words.translated()
    quote = getattr(dossier, "quote", None)
    creche = dossier.service.kind == Service.Kind.CRECHE
    contract = getattr(dossier, "creche_contract", None) if creche else None
    return {
        "reference": dossier.reference,
        "child_last_name": dossier.child.last_name,
        "child_first_names": dossier.child.first_names,
        "child_birth_date": dossier.child.birth_date,
        "family": dossier.holder or "",
        "family_email": dossier.child.household.owner.email,
        "establishment": str(dossier.establishment or ""),
        "days": ", ".join(dossier.canteen_days_display(words.days)),
        "hours_per_week": dossier.creche_weekly_hours().quantize(Decimal("0.01")) if creche else None,
        "tariff": quote.final_amount if quote else None,
        "unit": words.units.get(quote.unit, quote.unit) if quote else "",
        "qf_bracket": _bracket(quote) if quote else "",
        "grid_version": quote.grid.version if quote else None,
        "monthly_fee": contract.monthly_fee if contract else None,
    }


# A text cell starting with one of these is read as a formula (or, after a tab or CR, shifted to one) by
# spreadsheet software: a child named =HYPERLINK(…) would run in the agent's spreadsheet (OWASP CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def is_formula_like(value) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def csv_text(value) -> str:
    """A CSV cell: text that could be read as a formula gets a leading apostrophe, as OWASP advises."""
    if value is None:
        return ""
    return f"'{value}" if is_formula_like(value) else str(value)


class _Line:
    """A file-like object csv.writer writes one line into, handed back at once."""

    def write(self, value):
        return value


def csv_chunks(rows):
    """The CSV, as it is written: UTF-8 with a BOM, one piece per row, for a StreamingHttpResponse or a file."""
    writer = csv.writer(_Line(), delimiter=";", lineterminator="\r\n")
    yield "\ufeff".encode() + writer.writerow([str(label) for _key, label in COLUMNS]).encode()
    for row in rows:
        yield writer.writerow([csv_text(row[key]) for key, _label in COLUMNS]).encode()


def to_csv(rows) -> bytes:
    return b"".join(csv_chunks(rows))


def xlsx_write(rows, out) -> None:
    """The workbook in constant-memory mode, saved into the binary file `out`: memory stays flat whatever the rows.
    Every cell is written by its type: text always as text (XlsxWriter's write() would read « =… » as a formula),
    the one that could be read as a formula with Excel's quote prefix besides (see FORMULA_STARTS)."""
    workbook = xlsxwriter.Workbook(out, {"constant_memory": True})
    sheet = workbook.add_worksheet("Demandes acceptées")
    amount = workbook.add_format({"num_format": XLSX_NUMBER_FORMAT})
    day = workbook.add_format({"num_format": "DD/MM/YYYY"})
    quoted = workbook.add_format({"quote_prefix": True})
    sheet.write_row(0, 0, [str(label) for _key, label in COLUMNS])
    for line, row in enumerate(rows, start=1):
        for column, (key, _label) in enumerate(COLUMNS):
            value = row[key]
            if value is None:
                continue
            if key in AMOUNT_COLUMNS:
                sheet.write_number(line, column, float(value), amount)
            elif isinstance(value, date):
                sheet.write_datetime(line, column, datetime.combine(value, time()), day)
            elif isinstance(value, str):
                sheet.write_string(line, column, value, quoted if is_formula_like(value) else None)
            else:
                sheet.write_number(line, column, value)
    workbook.close()


def to_xlsx(rows) -> bytes:
    buffer = io.BytesIO()
    xlsx_write(rows, buffer)
    return buffer.getvalue()


def export_write(rows, file_format: str, out) -> None:
    """The export in `file_format` into the binary file `out`."""
    if file_format == "xlsx":
        xlsx_write(rows, out)
    else:
        for chunk in csv_chunks(rows):
            out.write(chunk)


FORMATS = {
    "csv": (to_csv, "text/csv; charset=utf-8"),
    "xlsx": (to_xlsx, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
}


def dossiers_export_audit(*, agent, service: Service, period, file_format: str, ip: str | None = None) -> int:
    """Record who exported what, when, from where (no personal data); the rows exported, counted in SQL."""
    rows = accepted_dossiers(service=service, period=period).count()
    audit_record(
        actor=agent,
        action=AuditEntry.Action.EXPORTED,
        ip=ip,
        service=service.slug,
        period=period.pk,
        format=file_format,
        rows=rows,
    )
    return rows


@transaction.atomic
def dossiers_export(
    *, agent, service: Service, period, file_format: str, ip: str | None = None
) -> tuple[bytes, str]:
    """The file and its content type; the export itself is audited (who exported what, when, from where)."""
    render, content_type = FORMATS[file_format]
    dossiers_export_audit(agent=agent, service=service, period=period, file_format=file_format, ip=ip)
    return render(export_rows(service=service, period=period)), content_type
