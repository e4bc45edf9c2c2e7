"""Each test starts from a fresh registry index (the index lives per process)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from detente.matching import registry


@pytest.fixture(autouse=True)
def _fresh_registry_index() -> Iterator[None]:
    registry.reset()
    yield
    registry.reset()
