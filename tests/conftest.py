"""Fixtures shared by every test (helpers live in tests/support.py)."""

from __future__ import annotations

import os
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


@pytest.fixture(autouse=True)
def _keys_outside_home(settings: Any, tmp_path_factory: Any) -> None:
    """The ledger's signing key, the master key and a witness's state default to the
    user's home folders (outside the data directory); every test gets its own, never the
    real ones."""
    import uuid

    base = tmp_path_factory.getbasetemp() / "home" / uuid.uuid4().hex
    settings.DETENTE_SIGNING_KEY_FILE = base / "config" / "ledger-ed25519.pem"
    settings.DETENTE_WITNESS_DIR = base / "witness"
    # The master key too (docs/keys.md), made there on first use as in development: one for
    # the whole run, since rows some tests keep for the next (a module's data) are sealed
    # with data keys it wraps.
    settings.DETENTE_MASTER_KEY = ""
    settings.DETENTE_MASTER_KEY_FILE = tmp_path_factory.getbasetemp() / "home" / "master-key"
    from detente.keys import ring

    ring.forget()  # keys held in memory belong to an earlier test's (rolled back) database


@pytest.fixture(autouse=True)
def _default_language() -> Any:
    """Every test starts in the default language: a request in Spanish leaves Spanish active
    in the thread (LocaleMiddleware), which would otherwise leak into the next test."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix: None) -> None:
    """A test database of this run's own on PostgreSQL, so two runs on one server (two
    terminals, or CI beside a developer) never drop each other's database."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("postgresql"):
        db.setdefault("TEST", {})["NAME"] = f"test_{db['NAME']}_{os.getpid()}"
