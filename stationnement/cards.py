"""The resident card as a PDF: number, plate, zone, dates, amount, and a QR code to its public check (which shows
neither name nor plate)."""

import io

import qrcode
from django.conf import settings
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from portal import pdf as documents


def card_pdf(card, *, verify_url: str) -> bytes:
    pdf = documents.document(_("Carte de stationnement résident %(number)s") % {"number": card.number})
    documents.line(
        pdf,
        9,
        _("%(commune)s — carte de stationnement résident") % {"commune": settings.COMMUNE_NAME},
        style="B",
        size=16,
    )
    pdf.ln(3)
    rows = [
        (_("Numéro"), card.number),
        (_("Immatriculation"), ", ".join(card.plates)),
        (_("Zone"), str(card.zone)),
        (_("Valable du"), card.starts_on.strftime("%d/%m/%Y")),
        (_("Jusqu'au"), card.ends_on.strftime("%d/%m/%Y")),
        (_("Montant"), f"{number_format(card.amount, decimal_pos=2)}\u00a0€"),
    ]
    for label, value in rows:
        documents.line(pdf, 7, f"{label} : {value}")
    image = qrcode.make(verify_url, box_size=6, border=2)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    buffer.seek(0)
    pdf.ln(4)
    pdf.image(buffer, w=45)
    documents.line(
        pdf,
        5,
        _(
            "Le code QR mène à la page de vérification de la commune : elle indique seulement si la carte est valide, sa zone et sa date de fin."
        ),
        size=9,
    )
    documents.line(pdf, 5, _("À placer derrière le pare-brise, lisible de l'extérieur."), size=9)
    return bytes(pdf.output())
