"""Real, small documents for the upload tests, made by the libraries that read them: a one-page PDF (fpdf2), a
PNG and a JPEG (Pillow), and their hostile variants (pypdf adds the active content); and the text of a PDF."""

import io

from fpdf import FPDF
from PIL import Image
from pypdf import PdfReader, PdfWriter
from pypdf.actions import JavaScript


def pdf(pages: int = 1) -> bytes:
    document = FPDF()
    document.set_font("helvetica", size=12)
    for number in range(pages):
        document.add_page()
        document.cell(text=f"Avis d'imposition 2025 - page {number + 1}")
    return bytes(document.output())


def pdf_text(content: bytes) -> str:
    """The text a reader of the PDF sees, through its fonts' ToUnicode maps (an embedded font codes its glyphs),
    every run of spaces and line breaks as one space."""
    pages = PdfReader(io.BytesIO(content)).pages
    return " ".join(" ".join(page.extract_text() for page in pages).split())


def image(kind: str, size=(48, 32)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (30, 90, 160)).save(buffer, kind)
    return buffer.getvalue()


def _rewritten(data: bytes, change) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    change(writer)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def pdf_with_javascript() -> bytes:
    return _rewritten(pdf(), lambda writer: writer.add_open_action(JavaScript("app.alert('bonjour');")))


def pdf_with_attachment() -> bytes:
    return _rewritten(pdf(), lambda writer: writer.add_attachment("page.html", b"<p>bonjour</p>"))


PDF = pdf()
PNG = image("PNG")
JPEG = image("JPEG")
