"""Every setting in one place (issue 18, point 5): each environment variable the code reads
is in `detente config`'s table and in docs/operations.md, and the command hides secrets."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from detente.core.config import INTERNAL, VARIABLES

ROOT = Path(__file__).resolve().parents[2]
NAME = re.compile(r"\bDETENTE_[A-Z0-9_]+\b")


def _read_by_code() -> set[str]:
    found: set[str] = set()
    for path in (ROOT / "src" / "detente").rglob("*.py"):
        found |= set(NAME.findall(path.read_text(encoding="utf-8")))
    # Names of settings (not variables) that only look like them: the variable is _MB.
    return (
        found
        - {"DETENTE_IMPORT_MAX_BYTES", "DETENTE_ATTACHMENT_MAX_BYTES"}
        - {"DETENTE_ATTACHMENT_MAX_UNPACKED_BYTES"}
    )


def test_every_variable_the_code_reads_is_in_the_table() -> None:
    table = {v.name for v in VARIABLES}
    assert _read_by_code() - INTERNAL - table == set()
    assert len(table) == len(VARIABLES)  # each once


def test_every_variable_is_listed_once_in_the_operators_guide() -> None:
    text = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    section = text.split("## Every setting", 1)[1].split("\n## ", 1)[0]
    listed = re.findall(r"^\| `([A-Z_0-9]+)` \|", section, re.M)
    assert sorted(listed) == sorted(v.name for v in VARIABLES)


def test_the_command_hides_secrets_and_says_where_each_value_came_from(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DETENTE_EMAIL_PASSWORD", "correct-horse-battery")
    monkeypatch.setenv("DATABASE_URL", "postgres://detente:s3cret-pw@db.internal:5432/detente")
    monkeypatch.setenv("DETENTE_SUPPRESSION_THRESHOLD", "9")
    out = io.StringIO()
    call_command("config", "--json", stdout=out)
    shown = {r["name"]: r for r in json.loads(out.getvalue())}
    assert "correct-horse-battery" not in out.getvalue() and "s3cret-pw" not in out.getvalue()
    assert shown["DETENTE_EMAIL_PASSWORD"]["from"] == "environment"
    assert shown["DATABASE_URL"]["value"] == "postgres://detente:•••@db.internal:5432/detente"
    assert (
        shown["DETENTE_SUPPRESSION_THRESHOLD"]["value"],
        shown["DETENTE_MAIL_RATE"]["from"],
    ) == (
        "9",
        "default",
    )
    text = io.StringIO()
    call_command("config", "--set", stdout=text)
    assert re.search(r"^DETENTE_SUPPRESSION_THRESHOLD +9$", text.getvalue(), re.M)
    assert "DETENTE_MAIL_RATE" not in text.getvalue()


def test_the_knobs_once_fixed_in_code_are_read_from_the_environment(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "DETENTE_DATA_DIR": str(tmp_path),
        "DETENTE_SUPPRESSION_THRESHOLD": "11",
        "DETENTE_API_RATE_PER_MINUTE": "7",
        "DETENTE_LOGIN_MAX_FAILURES": "3",
        "DETENTE_LOGIN_WINDOW_SECONDS": "60",
        "DETENTE_INVITATION_HOURS": "24",
        "DETENTE_PROVINCES": "Norte, Sur",
        "DETENTE_STATISTICS_REGIONS": '{"Este": ["CU-13"]}',
        "DETENTE_LEDGER_ORIGIN": "example-ledger",
    }
    env.pop("DATABASE_URL", None)
    code = (
        "import django, json; django.setup(); from django.conf import settings as s; "
        "from detente.accounts import throttle; from detente.publishing import statistics; "
        "from detente.audit.checkpoints import default_origin; "
        "lim = throttle.limits(); print(json.dumps([statistics.threshold(), "
        "s.DETENTE_API_RATE_PER_MINUTE, lim.max_failures, lim.window.seconds, "
        "s.DETENTE_INVITATION_HOURS, s.DETENTE_PROVINCES, s.DETENTE_STATISTICS_REGIONS, "
        "default_origin()]))"
    )
    env["DJANGO_SETTINGS_MODULE"] = "detente.settings"
    done = subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert json.loads(done.stdout.strip().splitlines()[-1]) == [
        11,
        7,
        3,
        60,
        24,
        ["Norte", "Sur"],
        {"Este": ["CU-13"]},
        "example-ledger",
    ]


def test_regions_that_are_not_json_stop_the_start_with_the_reason(tmp_path: Path) -> None:
    env = {**os.environ, "DETENTE_DATA_DIR": str(tmp_path), "DETENTE_STATISTICS_REGIONS": "Este"}
    env["DJANGO_SETTINGS_MODULE"] = "detente.settings"
    done = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode != 0 and "DETENTE_STATISTICS_REGIONS is not JSON" in done.stderr
