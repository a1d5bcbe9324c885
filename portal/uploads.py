"""Uploads refused early, before a worker spends time and disk on them (issue 15, gap 6).

Three floors, from the outside in (the reverse proxy's own body limit and timeouts come first, see the README):

1. `RequestBodyLimitMiddleware`: a request whose Content-Length exceeds UPLOAD_MAX_REQUEST_BYTES is answered at
   once, its body never read. On a form marked with `@form_shown_again_when_too_large` the family is sent back to
   the form (a GET) with a French message; anywhere else a French 413 page.
2. `SizeLimitedUploadHandler` (first of FILE_UPLOAD_HANDLERS): counts each file's bytes as they stream in and skips
   the file past FILE_UPLOAD_MAX_BYTES, so nothing larger is ever written to disk; the view learns it with
   `too_large(request, field)`.
3. DATA_UPLOAD_MAX_MEMORY_SIZE / FILE_UPLOAD_MAX_MEMORY_SIZE (settings): Django's own caps on non-file fields and on
   what is kept in memory before a temporary file."""

import functools
import logging

import filetype
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.shortcuts import redirect, render
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _

from portal.documents import document_check

logger = logging.getLogger(__name__)

TOO_LARGE_ATTRIBUTE = "_uploads_too_large"  # on the request: the names of the fields whose file was skipped


def too_large_message(max_bytes: int | None = None) -> str:
    return _("Le fichier dépasse %(max)d Mo : envoyez une version plus légère (une photo lisible suffit).") % {
        "max": (max_bytes or settings.FILE_UPLOAD_MAX_BYTES) // (1024 * 1024)
    }


def form_shown_again_when_too_large(view):
    """Mark an upload form's view: a request too large for the portal is sent back to the form with the message."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        return view(*args, **kwargs)

    wrapper.form_shown_again_when_too_large = True
    return wrapper


class RequestBodyLimitMiddleware:
    """Placed after the session, authentication and messages middleware, before any view reads the body. It runs
    before CSRF's check (a view's middleware hooks all run after every middleware's request phase), so the body is
    never read: the answer only shows a message, it changes nothing."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length <= settings.UPLOAD_MAX_REQUEST_BYTES:
            return self.get_response(request)
        logger.warning("upload refused before reading: %d bytes announced for %s", length, request.path)
        try:
            view = resolve(request.path_info, getattr(request, "urlconf", None)).func
        except Resolver404:
            view = None
        if getattr(view, "form_shown_again_when_too_large", False) and hasattr(request, "_messages"):
            messages.error(request, too_large_message())
            return redirect(request.get_full_path())
        return render(request, "413.html", {"message": too_large_message()}, status=413)


class SizeLimitedUploadHandler(FileUploadHandler):
    """Streams each file through a counter: past FILE_UPLOAD_MAX_BYTES the file is skipped (the handlers after this
    one drop what they held, a temporary file included) and the field is recorded on the request."""

    def new_file(self, field_name, *args, **kwargs):
        super().new_file(field_name, *args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > settings.FILE_UPLOAD_MAX_BYTES:
            if self.request is not None:
                skipped = getattr(self.request, TOO_LARGE_ATTRIBUTE, set())
                skipped.add(self.field_name)
                setattr(self.request, TOO_LARGE_ATTRIBUTE, skipped)
            raise SkipFile()
        return raw_data

    def file_complete(self, file_size):
        return None  # the next handler (memory or temporary file) makes the file


def too_large(request, field_name: str) -> bool:
    """Whether the file sent in `field_name` was skipped for its size (read request.FILES first)."""
    return field_name in getattr(request, TOO_LARGE_ATTRIBUTE, ())


DOCUMENT_TYPES = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}  # accepted, and extension


def document_content_type(uploaded, *, max_bytes: int) -> str:
    """A proof any démarche accepts: its size, its type read from its first bytes (never its name nor the
    browser's claim), and its whole structure (portal.documents). The type, or a French ValidationError on `file`."""
    if uploaded.size > max_bytes:
        raise ValidationError({"file": ValidationError(too_large_message(max_bytes), code="too_large")})
    head = uploaded.read(261)
    uploaded.seek(0)
    kind = filetype.guess(head)
    if kind is None or kind.mime not in DOCUMENT_TYPES:
        raise ValidationError(
            {
                "file": ValidationError(
                    _("Ce fichier n'est ni un PDF, ni une image JPEG ou PNG : envoyez-le dans l'un de ces formats."),
                    code="bad_type",
                )
            }
        )
    data = uploaded.read()
    uploaded.seek(0)
    try:
        document_check(data, kind.mime)
    except ValidationError as error:
        raise ValidationError({"file": error}) from None
    return kind.mime
