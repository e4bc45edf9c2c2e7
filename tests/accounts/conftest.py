"""Fixtures for the accounts tests (the shared ones are in tests/conftest.py)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from tests.accounts.kit import ADDRESS_A, ADDRESS_B, START, Clock, member


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """Freeze ``timezone.now`` (services, sessions, the ledger, the throttle all read it)."""
    frozen = Clock(START)
    monkeypatch.setattr("django.utils.timezone.now", frozen)
    return frozen


@pytest.fixture
def analyst(actor: User, clock: Clock) -> User:
    return member(actor, "ana", "analyst", now=clock.now)


@pytest.fixture
def client_a(db: Any) -> Client:
    return Client(REMOTE_ADDR=ADDRESS_A)


@pytest.fixture
def client_b(db: Any) -> Client:
    return Client(REMOTE_ADDR=ADDRESS_B)


@pytest.fixture(autouse=True)
def fast_hasher(settings: Any) -> None:
    # Argon2 is the production hasher (settings.py); these tests check the rules around
    # the password, not its hash, and make dozens of login attempts.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
