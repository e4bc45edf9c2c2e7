"""docs/cli.md names every command of Detente's own and every subcommand (issue 18,
point 7): a command nobody can find is as good as missing."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from django.core.management import get_commands, load_command_class

DOC = Path(__file__).resolve().parents[2] / "docs" / "cli.md"


def _commands() -> list[str]:
    out = []
    for name, app in sorted(get_commands().items()):
        if not app.startswith("detente"):
            continue
        parser = load_command_class(app, name).create_parser("detente", name)
        subs = [
            sub
            for action in parser._actions
            if isinstance(action, argparse._SubParsersAction)
            for sub in action.choices
        ]
        out += [f"{name} {sub}" for sub in subs] or [name]
    return out


def _named(command: str, text: str) -> bool:
    """`detente NAME SUB…`, `detente NAME a|SUB|b …` or `` / `NAME SUB …` `` in a row."""
    name, _, sub = command.partition(" ")
    if not sub:
        return f"`detente {name}" in text
    alternatives = rf"`detente {re.escape(name)} (?:[\w-]+\\\|)*{re.escape(sub)}(?:\\\||[ `])"
    return bool(
        re.search(alternatives, text)
        or re.search(rf"`{re.escape(name)} {re.escape(sub)}[ `]", text)
    )


def test_every_command_and_subcommand_is_in_the_cli_guide() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert [c for c in _commands() if not _named(c, text)] == []
