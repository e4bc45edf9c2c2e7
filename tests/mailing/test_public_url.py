"""``DETENTE_PUBLIC_URL``, the address links in emails and invitations point to, is
checked when the server and the worker start (issue 14)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from detente.core.public_url import public_url_problems


@pytest.mark.parametrize(
    ("value", "production", "errors", "warnings"),
    [
        ("https://detente.example.org", True, 0, 0),
        ("https://detente.example.org:8443/", True, 0, 0),
        (None, False, 0, 0),  # development: `detente serve` uses the served address
        (None, True, 1, 0),
        ("", True, 1, 0),
        ("http://detente.example.org", True, 0, 1),
        ("http://127.0.0.1:8000", False, 0, 0),
        ("http://127.0.0.1:8000", True, 1, 0),
        ("https://localhost", True, 1, 0),
        ("detente.example.org", False, 1, 0),  # no scheme
        ("ftp://detente.example.org", False, 1, 0),
        ("https://", False, 1, 0),
        ("https://detente.example.org:99999", False, 1, 0),
        ("https://detente.example.org/?next=x", False, 1, 0),
        ("https://user:pw@detente.example.org", False, 1, 0),
    ],
)
def test_public_url_problems(
    value: str | None, production: bool, errors: int, warnings: int
) -> None:
    found = public_url_problems(value, production=production)
    assert (len(found.errors), len(found.warnings)) == (errors, warnings), found
    for message in found.errors + found.warnings:
        assert "DETENTE_PUBLIC_URL" in message


def test_serve_refuses_to_start_without_it_in_production(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.PRODUCTION = True
    monkeypatch.delenv("DETENTE_PUBLIC_URL", raising=False)
    # Refused before anything runs (no static files collected, no server started).
    with pytest.raises(CommandError, match="DETENTE_PUBLIC_URL is not set"):
        call_command("serve")
    monkeypatch.setenv("DETENTE_PUBLIC_URL", "https://127.0.0.1")
    with pytest.raises(CommandError, match="names this machine"):
        call_command("serve")


def test_serve_refuses_a_malformed_address_anywhere(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.PRODUCTION = False
    monkeypatch.setenv("DETENTE_PUBLIC_URL", "detente.example.org")
    with pytest.raises(CommandError, match="is not a web address"):
        call_command("serve")
