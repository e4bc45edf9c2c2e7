"""Fixtures shared by every test (helpers live in tests/support.py)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from tests.support import World, build_world

from detente.access.policy import cli_actor


@pytest.fixture
def actor(db: Any) -> User:
    return cli_actor()  # type: ignore[no-any-return]


@pytest.fixture
def world(actor: User) -> World:
    return build_world(actor)


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    """Each test starts with an empty cache: the public pages key theirs on the ledger head,
    and a new test database starts its ledger again at the same positions."""
    from django.core.cache import cache

    cache.clear()
