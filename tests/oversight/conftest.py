"""Fixtures for the oversight pages: a signed-in client for each role."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from tests.support import make_user

from detente.access.policy import Role

STAFF_ROLES = (Role.ANALYST, Role.VERIFIER, Role.ADMINISTRATOR)


@pytest.fixture
def login(db: Any) -> Callable[..., Client]:
    """``login(role)`` or ``login(user)``: a client signed in as a new user of that role
    (``"public"`` for an account without one), or as the given user."""

    def make(who: str | User, *, username: str | None = None, language: str = "en") -> Client:
        if isinstance(who, User):
            user = who
        else:
            name = username or f"{who}-{User.objects.count()}"
            user = make_user(name, None if who == "public" else who, staff=who in STAFF_ROLES)
        client = Client(HTTP_ACCEPT_LANGUAGE=language)
        client.force_login(user)
        client.user = user  # type: ignore[attr-defined]
        return client

    return make
