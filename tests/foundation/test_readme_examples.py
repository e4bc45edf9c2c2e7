"""The README's command-line examples run on the demo as written (issue 14, point 10).

Every ``.venv/bin/detente …`` line in README.md's shell blocks (a trailing ``\\`` joins the
next line) and every inline ``.venv/bin/detente …`` is run, in the README's order, on a
freshly loaded demo: first with the options in brackets left out, then with them in. A
changed demo slug, handle, source or example file fails here instead of on a new user.
"""

from __future__ import annotations

import io
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from detente.demo.scenario import load_demo

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"
PREFIX = ".venv/bin/detente "
OPTIONAL = re.compile(r"\s*\[([^\]]*)\]")
# `demo --reset` erases everything and loads the demo again: the bare `demo` is run, the
# reset is left to tests/foundation/test_demo_cli_admin.py.
NOT_RUN_WITH = ("--reset",)


def readme_commands() -> list[str]:
    """The ``detente`` command lines of README.md, in order, without the prefix."""
    text = README.read_text(encoding="utf-8")
    commands = []
    for block in re.findall(r"^```(?:sh|console|bash)\n(.*?)^```", text, re.M | re.S):
        joined = re.sub(r"\\\n\s*", " ", block)
        commands += [line[len(PREFIX) :] for line in joined.splitlines() if line.startswith(PREFIX)]
    prose = re.sub(r"^```.*?^```", "", text, flags=re.M | re.S)
    commands += [
        span[len(PREFIX) :] for span in re.findall(r"`([^`\n]+)`", prose) if span.startswith(PREFIX)
    ]
    return commands


def variants(command: str) -> tuple[list[str], list[str] | None]:
    """The command with its bracketed options left out, and with them in (None when it has
    none, or one of them is not run here)."""
    bare = shlex.split(OPTIONAL.sub("", command))
    full = OPTIONAL.sub(lambda m: " " + m.group(1), command)
    if not OPTIONAL.search(command) or any(f in shlex.split(full) for f in NOT_RUN_WITH):
        return bare, None
    return bare, shlex.split(full)


def run(argv: list[str]) -> str:
    out, err = io.StringIO(), io.StringIO()
    call_command(*argv, stdout=out, stderr=err)
    return out.getvalue()


def test_the_readme_has_examples_to_run() -> None:
    commands = readme_commands()
    assert len(commands) >= 10
    assert any(c.startswith("import examples/") for c in commands)
    assert (REPO / "examples" / "ngo-list.csv").is_file()


@pytest.fixture
def demo(db: Any, tmp_path: Path, settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    settings.DATA_DIR = tmp_path
    monkeypatch.chdir(REPO)  # the README's paths (examples/…) are the checkout's
    load_demo()


HANDLE = re.compile(r"\bP-(\d{4,})\b")


def _as_loaded(command: str) -> str:
    """The README's handles are those of a fresh database (the demo's nth person is
    P-000n); on PostgreSQL the tests' sequences run on between tests, so each is mapped to
    the handle the demo's nth person got here."""
    from detente.registry.models import Person

    handles = list(Person.objects.order_by("pk").values_list("handle", flat=True))
    return HANDLE.sub(lambda m: handles[int(m.group(1)) - 1], command)


def test_every_readme_example_runs_on_the_demo(demo: None) -> None:
    commands = [_as_loaded(c) for c in readme_commands()]
    outputs = {}
    for command in commands:
        bare, _ = variants(command)
        try:
            outputs[command] = run(bare)
        except Exception as exc:
            pytest.fail(f"README example failed: detente {command}\n  {exc!r}")
    for command in commands:
        _, full = variants(command)
        if full is None:
            continue
        try:
            run(full)
        except Exception as exc:
            pytest.fail(f"README example failed (with its options): detente {command}\n  {exc!r}")

    # What the README says of them.
    match = next(out for c, out in outputs.items() if c.startswith("match "))
    assert match.splitlines()[0].startswith(_as_loaded("P-0180")), match
    imported = next(out for c, out in outputs.items() if c.startswith("import "))
    assert "linked 6  queued 3  new 4  rejected 0" in imported, imported
