"""Billing exports: the accepted dossiers of a service and period, one row per dossier, in the columns the
commune's billing software imports (documented in the README). CSV is UTF-8 with a BOM and dot decimals;
XLSX holds real numbers with a two-decimal format, which French spreadsheet software shows as « 2,60 »."""

import csv
import io
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook

import pricing
from cantine.models import Dossier, Service
from portal.audit import audit_record
from portal.models import AuditEntry

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
]
AMOUNT_COLUMNS = {"tariff", "hours_per_week"}
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


def accepted_dossiers(*, service: Service, period):
    return (
        Dossier.objects.filter(service=service, period=period, status=Dossier.Status.ACCEPTED)
        .select_related("child__household__owner", "service", "establishment", "quote__grid")
        .prefetch_related("child__household__adults")
        .order_by("child__last_name", "child__first_names", "pk")
    )


def _bracket(quote) -> str:
    return "".join(pricing.criteria_words(quote.criteria, brief=True))


def row_for(dossier: Dossier) -> dict:
    holder = next((adult for adult in dossier.child.household.adults.all() if adult.role == "holder"), None)
    quote = getattr(dossier, "quote", None)
    creche = dossier.service.kind == Service.Kind.CRECHE
    return {
        "reference": dossier.reference,
        "child_last_name": dossier.child.last_name,
        "child_first_names": dossier.child.first_names,
        "child_birth_date": dossier.child.birth_date,
        "family": str(holder) if holder else "",
        "family_email": dossier.child.household.owner.email,
        "establishment": str(dossier.establishment or ""),
        "days": ", ".join(str(day) for day in dossier.canteen_days_display()),
        "hours_per_week": dossier.creche_weekly_hours().quantize(Decimal("0.01")) if creche else None,
        "tariff": quote.final_amount if quote else None,
        "unit": str(UNIT_NAMES.get(quote.unit, quote.unit)) if quote else "",
        "qf_bracket": _bracket(quote) if quote else "",
        "grid_version": quote.grid.version if quote else None,
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


def to_csv(rows) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([str(label) for _key, label in COLUMNS])
    for row in rows:
        writer.writerow([csv_text(row[key]) for key, _label in COLUMNS])
    return buffer.getvalue().encode("utf-8-sig")


def to_xlsx(rows) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Demandes acceptées"
    sheet.append([str(label) for _key, label in COLUMNS])
    for number, row in enumerate(rows, start=2):
        sheet.append([row[key] for key, _label in COLUMNS])
        for index, (key, _label) in enumerate(COLUMNS, start=1):
            cell = sheet.cell(row=number, column=index)
            if key in AMOUNT_COLUMNS and row[key] is not None:
                cell.value, cell.number_format = float(row[key]), XLSX_NUMBER_FORMAT
            elif key == "child_birth_date" and row[key] is not None:
                cell.number_format = "DD/MM/YYYY"
            elif is_formula_like(row[key]):  # kept as the text typed, never a formula (see FORMULA_STARTS)
                cell.data_type, cell.quotePrefix = "s", True
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


FORMATS = {
    "csv": (to_csv, "text/csv; charset=utf-8"),
    "xlsx": (to_xlsx, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
}


@transaction.atomic
def dossiers_export(
    *, agent, service: Service, period, file_format: str, ip: str | None = None
) -> tuple[bytes, str]:
    """The file and its content type; the export itself is audited (who exported what, when, from where)."""
    render, content_type = FORMATS[file_format]
    rows = [row_for(dossier) for dossier in accepted_dossiers(service=service, period=period)]
    audit_record(
        actor=agent,
        action=AuditEntry.Action.EXPORTED,
        ip=ip,
        service=service.slug,
        period=period.pk,
        format=file_format,
        rows=len(rows),
    )
    return render(rows), content_type
