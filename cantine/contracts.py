"""The crèche contract as a PDF (fpdf2), for the family to download and keep."""

from django.conf import settings
from django.utils.translation import gettext as _
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from portal import formats

# fpdf2's built-in fonts are Latin-1: these characters of French text are not.
_LATIN1 = str.maketrans({"€": "EUR", "œ": "oe", "Œ": "OE", "’": "'", "…": "...", "\u202f": " ", "—": "-"})


def _text(value) -> str:
    return str(value).translate(_LATIN1).encode("latin-1", "replace").decode("latin-1")


def _line(pdf: FPDF, height: int, text) -> None:
    pdf.multi_cell(0, height, _text(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def contract_pdf(contract) -> bytes:
    dossier = contract.dossier
    child = dossier.child
    pdf = FPDF(format="A4")
    pdf.set_title(_text(_("Contrat d'accueil %(ref)s") % {"ref": dossier.reference}))
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    _line(pdf, 9, _("%(commune)s — contrat d'accueil en crèche") % {"commune": settings.COMMUNE_NAME})
    pdf.set_font("Helvetica", size=11)
    rows = [
        (_("Demande"), dossier.reference),
        (_("Enfant"), f"{child.first_names} {child.last_name}"),
        (_("Crèche"), contract.offer.establishment.name),
        (_("Section"), contract.offer.get_age_group_display()),
        (_("Date d'entrée"), contract.start_date.strftime("%d/%m/%Y")),
        (_("Heures réservées par semaine"), formats.number(contract.hours_per_week)),
        (_("Semaines d'accueil par an"), contract.weeks_per_year),
        (_("Mois facturés"), contract.months_billed),
        (_("Tarif horaire (barème PSU de la CNAF)"), formats.euros(contract.hourly_rate)),
        (_("Mensualité"), formats.euros(contract.monthly_fee)),
    ]
    pdf.ln(4)
    for label, value in rows:
        _line(pdf, 7, f"{label} : {value}")
    pdf.ln(4)
    pdf.set_font("Helvetica", "B", 12)
    _line(pdf, 8, _("Calcul"))
    pdf.set_font("Helvetica", size=10)
    for line in contract.explanation:
        _line(pdf, 6, line)
    pdf.ln(4)
    confirmed = (
        _("Confirmé en ligne par la famille le %(day)s.")
        % {"day": contract.confirmed_at.strftime("%d/%m/%Y")}
        if contract.confirmed_at
        else _("À confirmer en ligne sur la page de la demande.")
    )
    _line(pdf, 7, confirmed)
    return bytes(pdf.output())
