"""Errors that carry what was wrong and where, in the user's language."""

from __future__ import annotations

from django.core.exceptions import ValidationError


def invalid(field: str, message: str) -> ValidationError:
    """A validation error about one field (``message`` already translated)."""
    return ValidationError({field: [message]})


def check_text(field: str, value: object, max_length: int, *, required: bool = False) -> str:
    """Return ``value`` stripped, or raise a clear error when it is not fitting text."""
    from django.utils.translation import gettext as _

    if not isinstance(value, str):
        raise invalid(field, _("Expected text."))
    text = value.strip()
    if required and not text:
        raise invalid(field, _("This field is required."))
    if len(text) > max_length:
        raise invalid(
            field,
            _("At most %(max)d characters (this has %(n)d).") % {"max": max_length, "n": len(text)},
        )
    return text
