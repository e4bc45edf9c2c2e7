"""Two code trees measured side by side: ``REV``'s ``src`` (exported to a scratch folder)
and this tree's, each run in its own process on its own scratch data directory (SQLite;
``DATABASE_URL`` is dropped), so that alternating rounds meet the same load.

Shared by the before/after benchmarks run as scripts (``bench/encryption.py``,
``bench/index_disk.py``, ``bench/identities.py``)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()  # noqa: S607


def trees(rev: str, prefix: str) -> tuple[Path, dict[str, Path]]:
    """A scratch folder, and the two ``src`` trees by label: ``before (<sha>)``, ``now``."""
    sha = subprocess.run(  # noqa: S603
        ["git", "-C", str(REPO), "rev-parse", "--short", rev],  # noqa: S607
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    scratch = Path(tempfile.mkdtemp(prefix=prefix))
    before = scratch / "before"
    before.mkdir()
    archive = subprocess.run(  # noqa: S603
        ["git", "-C", str(REPO), "archive", sha, "src"],  # noqa: S607
        capture_output=True,
        check=True,
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(before)], input=archive, check=True)  # noqa: S603, S607
    return scratch, {f"before ({sha})": before / "src", "now": REPO / "src"}


def run(script: str, tree: Path, data: Path, *args: str) -> str:
    """``script`` with these arguments on ``tree``'s code and the data directory ``data``;
    what it printed."""
    env = {**os.environ, "PYTHONPATH": str(tree), "DETENTE_DATA_DIR": str(data)}
    env.pop("DATABASE_URL", None)
    env["OPENBLAS_NUM_THREADS"] = "1"
    return subprocess.run(  # noqa: S603
        [sys.executable, script, *args], env=env, capture_output=True, text=True, check=True
    ).stdout
