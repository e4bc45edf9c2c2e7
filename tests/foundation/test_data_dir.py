"""`detente` from any folder finds its data or says what to set (issue 14, point 10).

Unset, ``DETENTE_DATA_DIR`` is the source checkout's own ``var/`` (whatever the current
folder), else a ``./var`` already holding Detente's data; otherwise `detente` prints one
line saying to set it, exits 2, and leaves no ``./var`` behind.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import detente
from detente.cli import DATA_DIR_VARIABLE, find_data_dir, source_checkout

REPO = Path(__file__).resolve().parents[2]
# Run as an ordinary install would be (site-packages, no checkout around it).
NOT_A_CHECKOUT = (
    "import sys, detente.cli as cli; cli.source_checkout = lambda: None; cli.main(sys.argv[1:])"
)


def env_without_data_dir() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in (DATA_DIR_VARIABLE, "DATABASE_URL")}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return env


def detente_in(cwd: Path, *args: str, checkout: bool = True) -> subprocess.CompletedProcess[str]:
    argv = ["-m", "detente.cli"] if checkout else ["-c", NOT_A_CHECKOUT]
    return subprocess.run(  # noqa: S603 - our own command
        [sys.executable, *argv, *args],
        cwd=cwd,
        env=env_without_data_dir(),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_variable_wins_then_the_checkout_then_a_var_with_data(tmp_path: Path) -> None:
    checkout, here = tmp_path / "checkout", tmp_path / "here"
    here.mkdir()
    chosen = tmp_path / "chosen"
    assert find_data_dir({DATA_DIR_VARIABLE: str(chosen)}, here, checkout) == chosen.resolve()
    assert find_data_dir({DATA_DIR_VARIABLE: ""}, here, checkout) == checkout / "var"
    assert find_data_dir({}, here, checkout) == checkout / "var"
    # Outside a checkout: only a ./var that is already Detente's.
    assert find_data_dir({}, here, None) is None
    (here / "var").mkdir()
    assert find_data_dir({}, here, None) is None  # an empty or unrelated var/ is not ours
    (here / "var" / "detente.sqlite3").touch()
    assert find_data_dir({}, here, None) == (here / "var").resolve()


def test_this_checkout_is_recognised() -> None:
    if Path(detente.__file__).resolve().parents[2] != REPO:
        pytest.skip("detente is not installed from this checkout (pip install -e)")
    assert source_checkout() == REPO


def test_from_another_folder_a_checkout_finds_its_own_var(tmp_path: Path) -> None:
    if Path(detente.__file__).resolve().parents[2] != REPO:
        pytest.skip("detente is not installed from this checkout (pip install -e)")
    done = detente_in(tmp_path, "help")
    assert done.returncode == 0, done.stderr
    assert "demo" in done.stdout and "import" in done.stdout
    assert list(tmp_path.iterdir()) == []  # no stray ./var


@pytest.mark.parametrize("args", [["match", "Ana Pérez"], ["--help"], ["migrate"]])
def test_without_data_it_says_what_to_set_and_creates_nothing(
    tmp_path: Path, args: list[str]
) -> None:
    done = detente_in(tmp_path, *args, checkout=False)
    assert done.returncode == 2, done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert "set DETENTE_DATA_DIR" in lines[0]
    assert done.stdout == ""
    assert list(tmp_path.iterdir()) == []


def test_a_var_here_with_data_is_used_and_an_unmigrated_one_is_named(tmp_path: Path) -> None:
    (tmp_path / "var").mkdir()
    (tmp_path / "var" / "detente.sqlite3").touch()  # Detente's, but never migrated
    done = detente_in(tmp_path, "agreement", "list", checkout=False)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert str(tmp_path / "var") in done.stderr
    assert "detente migrate" in done.stderr
