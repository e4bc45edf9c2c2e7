"""Fixtures for the staff application tests (shared ones are in tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from tests.support import make_user


@pytest.fixture(autouse=True)
def fast_hasher(settings: Any) -> None:
    # Argon2 is the production hasher; these tests are about the pages, not the hash.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def signed_in(db: Any) -> Callable[..., Client]:
    """A client signed in with one role (or none: ``"public"``), optionally in Spanish."""

    def make(role: str, *, language: str = "en", username: str = "") -> Client:
        user = make_user(username or f"staff-{role}", None if role == "public" else role)
        client = Client(HTTP_ACCEPT_LANGUAGE=language)
        client.force_login(user)
        return client

    return make


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Freeze ``timezone.now`` so one-time codes can be computed for the login tests."""
    from tests.accounts.kit import START, Clock

    frozen = Clock(START)
    monkeypatch.setattr("django.utils.timezone.now", frozen)
    return frozen
