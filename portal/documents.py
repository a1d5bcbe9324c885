"""Whether an uploaded document is wholly what its first bytes say, read by maintained parsers: pypdf for PDF,
Pillow for JPEG and PNG. A file is refused when:

- the parser cannot read its whole structure (truncated, malformed, a PDF header over something else);
- bytes follow the end of the format (after the last `%%EOF` of a PDF, after a PNG's IEND chunk, after a JPEG's
  last end-of-image marker): where a polyglot hides its second format;
- it holds HTML in its first kilobyte (what a browser sniffs), or a script tag anywhere;
- a PDF carries active content: JavaScript (/JS, /JavaScript), automatic actions (/AA, an /OpenAction that is an
  action rather than a page to show), launching or submitting (/Launch, /SubmitForm, /ImportData), embedded files,
  rich media or XFA forms; or it is encrypted (an agent could not read it, nor this check).

Each refusal is a ValidationError with a French message for the family and a code; nothing of the content is
logged."""

import io
import re
import warnings

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from PIL import Image
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

HTML_SNIFF_BYTES = 1024
HTML_AT_START = re.compile(rb"<\s*(!doctype|html|head|body|script|iframe|svg|object|embed)\b", re.IGNORECASE)
SCRIPT_ANYWHERE = re.compile(rb"<\s*script\b", re.IGNORECASE)
PDF_ACTIVE_KEYS = {
    "/JS",
    "/JavaScript",
    "/AA",
    "/Launch",
    "/SubmitForm",
    "/ImportData",
    "/EmbeddedFile",
    "/EmbeddedFiles",
    "/RichMedia",
    "/XFA",
}
PDF_ACTIVE_ACTIONS = {"/JavaScript", "/Launch", "/SubmitForm", "/ImportData", "/RichMediaExecute", "/Rendition"}
MAX_DEPTH = 64  # nested direct objects walked; deeper is no honest notice

MALFORMED = _(
    "Ce fichier est abîmé ou n'est pas un %(format)s complet : enregistrez à nouveau votre avis d'imposition "
    "(ou prenez-en une photo) et envoyez-le."
)
ACTIVE_CONTENT = _(
    "Ce PDF contient du contenu actif (script, action automatique ou fichier joint) : pour la sécurité des agents "
    "qui le liront, il est refusé. Imprimez-le en PDF depuis votre lecteur, ou envoyez une photo de l'avis."
)
ENCRYPTED = _("Ce PDF est protégé par un mot de passe : envoyez une version sans protection, ou une photo de l'avis.")
HIDDEN_CONTENT = _(
    "Ce fichier contient autre chose qu'un %(format)s (des données après la fin du document, ou du code web) : "
    "il est refusé. Envoyez l'avis tel que vous l'avez téléchargé, ou une photo."
)
FORMATS = {"application/pdf": "PDF", "image/jpeg": "JPEG", "image/png": "PNG"}


class _Refused(Exception):
    def __init__(self, message, code):
        self.message, self.code = message, code


def document_check(data: bytes, content_type: str) -> None:
    """Raise ValidationError (message for the family, code for the tests and logs) unless `data` is a complete,
    inert document of `content_type`."""
    label = FORMATS[content_type]
    try:
        if HTML_AT_START.search(data[:HTML_SNIFF_BYTES]) or SCRIPT_ANYWHERE.search(data):
            raise _Refused(HIDDEN_CONTENT, "hidden_content")
        if content_type == "application/pdf":
            _check_pdf(data)
        else:
            _check_image(data, label)
    except _Refused as refused:
        raise ValidationError(refused.message, code=refused.code, params={"format": label}) from None


def _trailing(data: bytes, end: int, allowed: bytes = b"\r\n\t \x00") -> bool:
    return bool(data[end:].strip(allowed))


def _check_pdf(data: bytes) -> None:
    last_eof = data.rfind(b"%%EOF")
    if last_eof < 0:
        raise _Refused(MALFORMED, "malformed")
    if _trailing(data, last_eof + len(b"%%EOF")):
        raise _Refused(HIDDEN_CONTENT, "trailing_data")
    try:
        reader = PdfReader(io.BytesIO(data), strict=True)
        if reader.is_encrypted:
            raise _Refused(ENCRYPTED, "encrypted")
        len(reader.pages)  # the page tree must be whole
        for number, generation in _object_ids(reader):
            _check_pdf_object(reader.get_object(IndirectObject(number, generation, reader)), depth=0)
    except _Refused:
        raise
    except Exception as error:  # a hostile file may make the parser fail anywhere: every failure refuses
        raise _Refused(MALFORMED, "malformed") from error


def _object_ids(reader: PdfReader):
    """Every indirect object the file declares, in its cross-reference tables and its object streams."""
    for generation, numbers in reader.xref.items():
        for number in numbers:
            if number:  # object 0 is the free list's head
                yield number, generation
    for number in reader.xref_objStm:
        yield number, 0


def _check_pdf_object(obj, *, depth: int) -> None:
    """The object and the direct objects inside it (indirect ones are walked on their own)."""
    if depth > MAX_DEPTH:
        raise _Refused(MALFORMED, "malformed")
    if isinstance(obj, DictionaryObject):
        keys = {str(key) for key in obj}
        if keys & PDF_ACTIVE_KEYS or str(obj.get("/S", "")) in PDF_ACTIVE_ACTIONS:
            raise _Refused(ACTIVE_CONTENT, "active_content")
        if isinstance(obj.get("/OpenAction"), DictionaryObject | IndirectObject) and not isinstance(
            obj["/OpenAction"].get_object(), ArrayObject
        ):  # a page to open on is an array; a dictionary is an action run at opening
            raise _Refused(ACTIVE_CONTENT, "active_content")
        children = (value for key, value in obj.items() if key != NameObject("/Parent"))
    elif isinstance(obj, ArrayObject):
        children = iter(obj)
    else:
        return
    for child in children:
        if not isinstance(child, IndirectObject):
            _check_pdf_object(child, depth=depth + 1)


def _check_image(data: bytes, label: str) -> None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                if image.format != label:
                    raise _Refused(MALFORMED, "malformed")
                image.verify()  # the chunks' checksums and structure
            with Image.open(io.BytesIO(data)) as image:
                image.load()  # every pixel decodes: nothing truncated
    except _Refused:
        raise
    except Exception as error:  # Pillow raises many kinds on a hostile file: every failure refuses
        raise _Refused(MALFORMED, "malformed") from error
    end = _png_end(data) if label == "PNG" else _jpeg_end(data)
    if end is None:
        raise _Refused(MALFORMED, "malformed")
    if _trailing(data, end):
        raise _Refused(HIDDEN_CONTENT, "trailing_data")


def _png_end(data: bytes) -> int | None:
    """Just after the IEND chunk, walking the chunks from the signature (length, type, data, CRC)."""
    position = 8
    while position + 12 <= len(data):
        length = int.from_bytes(data[position : position + 4], "big")
        kind = data[position + 4 : position + 8]
        position += 12 + length
        if kind == b"IEND":
            return position if position <= len(data) else None
    return None


def _jpeg_end(data: bytes) -> int | None:
    """Just after the end-of-image marker of the main image, walking the segments (a thumbnail's own markers sit
    inside an APP segment, skipped by its length) and the entropy-coded data after each start of scan."""
    position, size = 2, len(data)
    while position + 2 <= size:
        if data[position] != 0xFF:
            return None
        marker = data[position + 1]
        if marker == 0xFF:  # fill byte
            position += 1
            continue
        if marker == 0xD9:  # end of image
            return position + 2
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:  # no length
            position += 2
            continue
        if position + 4 > size:
            return None
        position += 2 + int.from_bytes(data[position + 2 : position + 4], "big")
        if marker == 0xDA:  # start of scan: entropy-coded data up to the next marker that is not a stuffed byte
            while position + 1 < size and not (
                data[position] == 0xFF and data[position + 1] not in (0x00, *range(0xD0, 0xD8))
            ):
                position += 1
    return None
