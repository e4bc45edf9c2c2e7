"""docs/api.md names every operation of the API and no operation it does not have
(issue 18, point 7): compared with the OpenAPI schema the server publishes."""

from __future__ import annotations

import re
from pathlib import Path

from detente.api.main import api

DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"
METHOD = r"(?:GET|POST|PATCH|PUT|DELETE)"


def _shape(path: str) -> str:
    """A path with its parameters' names dropped: the docs say {id} where the schema
    says {release_id}."""
    return re.sub(r"\{[^}]+\}", "{}", path)


def _schema() -> set[tuple[str, str]]:
    paths = api.get_openapi_schema()["paths"]
    return {(m.upper(), _shape(p)) for p, methods in paths.items() for m in methods}


def _documented() -> set[tuple[str, str]]:
    """The operations the guide's tables list (a row's first cell; prose may name an
    operation that is refused, such as GET /api/match)."""
    rows = "\n".join(
        line.split(" | ")[0] for line in DOC.read_text().splitlines() if line.startswith("| `")
    )
    found = set()
    for methods, path in re.findall(rf"`({METHOD}(?:\|{METHOD})*) (/api/[^`?\s\[]*)", rows):
        found |= {(m, _shape(path.rstrip("/"))) for m in methods.split("|")}
    return found


def test_every_operation_is_in_the_api_guide() -> None:
    assert sorted(_schema() - _documented()) == []


def test_the_api_guide_names_no_operation_the_api_lacks() -> None:
    assert sorted(_documented() - _schema()) == []
