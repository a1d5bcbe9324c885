"""PDFs with a Unicode font (DejaVu Sans, shipped in portal/fonts): every démarche's documents print names and
French text as typed."""

from pathlib import Path

from fpdf import FPDF
from fpdf.enums import Align, TableBordersLayout, XPos, YPos
from fpdf.fonts import FontFace

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
    pdf.multi_cell(0, height, str(text), align=Align.L, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def heading(pdf: FPDF, text, *, size: float = 12) -> None:
    """A section's title, never left alone at the foot of a page."""
    if pdf.will_page_break(size * 1.6):
        pdf.add_page()
    line(pdf, size * 0.6, text, style="B", size=size)


def rows(pdf: FPDF, pairs, *, size: float = 10, label_width: float = 0.38) -> None:
    """Label and value pairs in two columns, the label in bold; long values (a 147-character name) wrap in their
    column."""
    pdf.set_font(FAMILY, "", size)
    width = pdf.epw
    with pdf.table(
        col_widths=(width * label_width, width * (1 - label_width)),
        borders_layout=TableBordersLayout.NONE,
        first_row_as_headings=False,
        text_align=Align.L,
        line_height=size * 0.5,
        padding=(0.4, 1, 0.4, 0),
    ) as table:
        for label, value in pairs:
            row = table.row()
            row.cell(str(label), style=FontFace(emphasis="BOLD"))
            row.cell(str(value))
