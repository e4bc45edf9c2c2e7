"""A job run every so many seconds in a thread of the background worker, until stopped.

A failing run is logged and the next one tried: the worker's task loop goes on whatever
the job does. Each run starts and ends with fresh database connections (a thread keeps
its own, and a connection left open across a long wait may have been closed by the
server).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from django.db import close_old_connections

log = logging.getLogger(__name__)


class Every(threading.Thread):
    def __init__(self, name: str, interval: float, job: Callable[[], Any]) -> None:
        super().__init__(name=name, daemon=True)
        self.interval = interval
        self.job = job
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            close_old_connections()
            try:
                self.job()
            except Exception:
                log.exception("%s: the run failed; trying again later", self.name)
            finally:
                close_old_connections()
            self.stopped.wait(self.interval)

    def stop(self) -> None:
        self.stopped.set()
