"""docs/architecture.md stays true (issue 18, point 7): it names every app, its layers
are the ones tests/foundation/test_layering.py holds, and the diagram of a claim's way
from a form to the public page names code that exists."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

from tests.foundation.test_layering import LAYERS

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "architecture.md"
SRC = ROOT / "src" / "detente"


def _section(text: str, title: str) -> str:
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def _diagram(text: str) -> str:
    found = re.search(r"```mermaid\n(.*?)```", text, re.DOTALL)
    assert found, "no ```mermaid block in docs/architecture.md"
    return found.group(1)


def test_every_app_is_named_with_its_job() -> None:
    apps = sorted(p.parent.name for p in SRC.glob("*/__init__.py"))
    assert {p.parent.name for p in SRC.glob("*/apps.py")} <= set(apps)
    table = _section(DOC.read_text(encoding="utf-8"), "The apps")
    rows = dict(re.findall(r"^\| `(\w+)/` \| (.+) \|$", table, re.MULTILINE))
    assert sorted(rows) == apps
    assert all(len(job) > 20 for job in rows.values())


def test_the_layers_are_the_tested_ones() -> None:
    table = _section(DOC.read_text(encoding="utf-8"), "Layers")
    rows = re.findall(r"^\| \d+ ([\w ]+?) \| ([^|]+) \|", table, re.MULTILINE)
    documented = [(name, tuple(re.findall(r"`(\w+)`", apps))) for name, apps in rows]
    assert documented == LAYERS


def test_the_diagram_follows_a_claim_from_a_form_to_the_public_page() -> None:
    diagram = _diagram(DOC.read_text(encoding="utf-8"))
    assert diagram.startswith("flowchart")
    for step in ("form", "import", "claim_record", "audit.ledger.append", "Disclosure"):
        assert step in diagram
    assert "Public page" in diagram and "web.views" in diagram


def test_the_diagram_names_code_that_exists() -> None:
    diagram = _diagram(DOC.read_text(encoding="utf-8"))
    apps = {p.parent.name for p in SRC.glob("*/__init__.py")}
    for path in re.findall(r"\b(\w+/\w+\.py)\b", diagram):
        assert (SRC / path).is_file(), path
    dotted = {
        name
        for name in re.findall(r"\b[a-z_]+(?:\.[a-z_]+)+\b", diagram)
        if name.split(".")[0] in apps and not name.endswith(".py")
    }
    assert len(dotted) > 8
    for name in sorted(dotted):
        parts = name.split(".")
        # The longest importable module, then attributes from there.
        for cut in range(len(parts), 0, -1):
            try:
                found: object = importlib.import_module(".".join(["detente", *parts[:cut]]))
            except ModuleNotFoundError:
                continue
            for attribute in parts[cut:]:
                assert hasattr(found, attribute), name
                found = getattr(found, attribute)
            break
        else:
            raise AssertionError(f"{name} names no module")
