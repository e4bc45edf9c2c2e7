"""Errors that carry what was wrong and where, in the user's language."""

from __future__ import annotations

from django.core.exceptions import ValidationError


def invalid(field: str, message: str) -> ValidationError:
    """A validation error about one field (``message`` already translated)."""
    return ValidationError({field: [message]})
