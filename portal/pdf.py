"""PDFs with a Unicode font (DejaVu Sans, shipped in portal/fonts): every démarche's documents print names and
French text as typed."""

from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos

FONTS = Path(__file__).resolve().parent / "fonts"
FAMILY = "DejaVu"


def document(title: str) -> FPDF:
    pdf = FPDF(format="A4")
    pdf.add_font(FAMILY, "", FONTS / "DejaVuSans.ttf")
    pdf.add_font(FAMILY, "B", FONTS / "DejaVuSans-Bold.ttf")
    pdf.set_title(title)
    pdf.add_page()
    pdf.set_font(FAMILY, size=11)
    return pdf


def line(pdf: FPDF, height: float, text, *, style: str = "", size: float = 11) -> None:
    pdf.set_font(FAMILY, style, size)
    pdf.multi_cell(0, height, str(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
