"""What every démarche checks on a file a family sends: its size, and its type read from its first bytes (never
from its name or the browser's claim)."""

import filetype
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

DOCUMENT_TYPES = {
    "application/pdf": "pdf",
    "image/jpeg": "jpg",
    "image/png": "png",
}  # accepted, and extension


def document_content_type(uploaded, *, max_bytes: int) -> str:
    """The file's type, or a French ValidationError keyed `file` saying what to send instead."""
    if uploaded.size > max_bytes:
        raise ValidationError(
            {
                "file": ValidationError(
                    _("Le fichier dépasse %(max)d Mo : envoyez une version plus légère (une photo suffit).")
                    % {"max": max_bytes // (1024 * 1024)},
                    code="too_large",
                )
            }
        )
    head = uploaded.read(261)
    uploaded.seek(0)
    kind = filetype.guess(head)
    if kind is None or kind.mime not in DOCUMENT_TYPES:
        raise ValidationError(
            {
                "file": ValidationError(
                    _(
                        "Ce fichier n'est ni un PDF, ni une image JPEG ou PNG : envoyez-le dans l'un de ces formats."
                    ),
                    code="bad_type",
                )
            }
        )
    return kind.mime
