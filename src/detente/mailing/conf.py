"""Typed access to the ``MAILING`` settings block (see docs/mailing.md)."""

from __future__ import annotations

from django.conf import settings


def text(name: str) -> str:
    return str(settings.MAILING[name])


def number(name: str) -> int:
    value = settings.MAILING[name]
    assert isinstance(value, int)  # noqa: S101 - settings.py makes every number an int
    return value


def flag(name: str) -> bool:
    return bool(settings.MAILING[name])
