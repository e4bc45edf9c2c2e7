"""Shared pieces of the matching benchmarks: scoring links, timing, the machine's load."""

from __future__ import annotations

import logging
import os
import platform
import resource
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

Pair = tuple[str, str]


@dataclass(frozen=True)
class Quality:
    predicted: int
    true_positives: int
    truth: int

    @property
    def precision(self) -> float:
        return self.true_positives / self.predicted if self.predicted else 1.0

    @property
    def recall(self) -> float:
        return self.true_positives / self.truth if self.truth else 1.0

    @property
    def f1(self) -> float:
        total = self.predicted + self.truth
        return 2 * self.true_positives / total if total else 1.0

    def row(self) -> str:
        return f"P {self.precision:.4f}  R {self.recall:.4f}  F1 {self.f1:.4f}"


def quality(predicted: Iterable[Pair], truth: set[Pair]) -> Quality:
    found = set(predicted)
    return Quality(len(found), len(found & truth), len(truth))


@contextmanager
def timer(into: dict[str, float], name: str) -> Iterator[None]:
    start = time.perf_counter()
    try:
        yield
    finally:
        into[name] = into.get(name, 0.0) + time.perf_counter() - start


def machine() -> str:
    load = os.getloadavg()
    return (
        f"Python {platform.python_version()}, {os.cpu_count()} cores, "
        f"load average {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} at start"
    )


def peak_memory_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def quiet_splink() -> None:
    for name in ("splink", "duckdb"):
        logging.getLogger(name).setLevel(logging.ERROR)
