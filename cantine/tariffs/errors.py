"""The one place where the engine's PricingError becomes what Django shows: a ValidationError for services and
forms, errors on the fields of a form, or messages that each name the field at fault."""

from collections.abc import Mapping
from contextlib import contextmanager

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

import pricing
from pricing import PricingError


def validation_error(error: PricingError) -> ValidationError:
    """Keyed by the engine's field (grid path or Facts name), NON_FIELD_ERRORS for the others."""
    return ValidationError(
        {NON_FIELD_ERRORS if name is None else name: messages for name, messages in error.errors.items()}
    )


@contextmanager
def as_validation_error():
    """Around engine calls in services and forms, whose callers already handle ValidationError."""
    try:
        yield
    except PricingError as error:
        raise validation_error(error) from error


def error_messages(error: PricingError, labels: Mapping[str, str] | None = None) -> list[str]:
    """One line per message, naming what is at fault: the field, or the label its caller gives it (an option)."""
    labels = labels or {}
    return [
        message if name is None else f"{labels.get(name, name)} : {message}"
        for name, messages in error.errors.items()
        for message in messages
    ]


def clean_grid(data) -> pricing.Grid:
    """parse_grid for a form's clean method: one ValidationError message per fault, each naming its field."""
    try:
        return pricing.parse_grid(data)
    except pricing.GridError as error:
        raise ValidationError(error_messages(error)) from error


def add_form_errors(form, error: PricingError, fields: Mapping[str, str], default: str | None = None):
    """Each message on the form field that sets the Facts field it names (`fields`), the others on `default` or
    at the top of the error summary."""
    for name, messages in error.errors.items():
        target = fields.get(name, default) if name is not None else default
        form.add_error(target if target in form.fields else None, messages)
