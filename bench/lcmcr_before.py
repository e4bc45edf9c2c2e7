"""The latent-class sampler as it was at an earlier commit, for before/after benchmarks.

``sampler_at(rev)`` loads ``src/detente/estimation/lcmcr.py`` as committed at ``rev``
(through ``git show``) as a separate module and returns its ``_run_chains``;
``using(run_chains)`` puts it in place of today's for the duration of a ``with`` block, so
``lcmcr()`` and ``detente.estimation.estimate`` run the old sweep with today's checks and
diagnostics. The two sweeps have the same signature.
"""

from __future__ import annotations

import importlib
import importlib.util
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MODULE = "src/detente/estimation/lcmcr.py"


def sampler_at(rev: str) -> Callable[..., Any]:
    source = subprocess.run(  # noqa: S603 - git, fixed arguments
        ["git", "show", f"{rev}:{MODULE}"],  # noqa: S607
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    name = f"lcmcr_at_{rev.replace('~', '_').replace('^', '_')}"
    spec = importlib.util.spec_from_loader(name, loader=None)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up
    exec(compile(source, f"{rev}:{MODULE}", "exec"), module.__dict__)  # noqa: S102
    return module.__dict__["_run_chains"]  # type: ignore[no-any-return]


@contextmanager
def using(run_chains: Callable[..., Any] | None) -> Iterator[None]:
    """Run ``lcmcr()`` with ``run_chains`` as its sweep (``None``: today's)."""
    module = importlib.import_module("detente.estimation.lcmcr")
    today = module._run_chains
    if run_chains is not None:
        module._run_chains = run_chains
    try:
        yield
    finally:
        module._run_chains = today
