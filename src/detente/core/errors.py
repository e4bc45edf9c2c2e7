"""Errors that carry what was wrong and where, in the user's language."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


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


def check_slug(field: str, value: object, message: str | None = None) -> str:
    """Return ``value`` if it is a slug (lower-case letters, digits, hyphens; ≤ 64)."""
    from django.utils.translation import gettext as _

    if not isinstance(value, str) or not _SLUG.match(value):
        raise invalid(field, message or _("Use lower-case letters, digits and hyphens."))
    return value


def check_precision(field: str, precision: object) -> None:
    from django.utils.translation import gettext as _

    from detente.core.dates import DatePrecision

    if precision not in DatePrecision.values:
        raise invalid(
            field,
            _("Unknown date precision “%(value)s”; use day, month or year.") % {"value": precision},
        )
