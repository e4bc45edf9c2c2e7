"""Fixtures for the reconciliation tests: a small registry with realistic names."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from tests.support import World

from detente.matching import registry as matching_registry
from detente.registry.models import Person
from detente.registry.services import person_create

COLUMNS = ["name", "birth_date", "province", "municipality", "status", "event_date"]


@pytest.fixture(autouse=True)
def _fresh_index() -> Iterator[None]:
    """Each test loads the registry index from its own database."""
    matching_registry.reset()
    yield
    matching_registry.reset()


@pytest.fixture
def registry(world: World, actor: User) -> dict[str, Person]:
    """Three well-known people besides the world's members."""
    specs = {
        "jose": ("José Luis", "Gómez", "Vázquez", dt.date(1980, 2, 3), "Holguín", "Banes"),
        "maria": (
            "María del Carmen",
            "Pérez",
            "González",
            dt.date(1975, 7, 21),
            "Granma",
            "Bayamo",
        ),
        "yoany": ("Yoany", "Rodríguez", "Cardet", dt.date(1990, 11, 5), "La Habana", "Playa"),
    }
    return {
        key: person_create(
            actor=actor,
            given_names=g,
            paternal_surname=p,
            maternal_surname=m,
            birth_date=b,
            province=prov,
            municipality=mun,
        )
        for key, (g, p, m, b, prov, mun) in specs.items()
    }


def write_list(path: Path, rows: list[dict[str, Any]], columns: list[str] | None = None) -> Path:
    columns = columns or COLUMNS
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns)
        writer.writeheader()
        for row in rows:
            writer.writerow({c: row.get(c, "") for c in columns})
    return path


def table_counts() -> dict[str, int]:
    """Rows in every table the project owns or uses (auth, ledger included)."""
    return {
        m._meta.label_lower: m._default_manager.count()
        for m in apps.get_models()
        if not m._meta.proxy
    }
