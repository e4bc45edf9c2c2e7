"""Logging filters (``settings.LOGGING``).

Django logs a refused request (``PermissionDenied``: a signed-in user opening a page their
role may not see) with the exception attached, so every ordinary 403 filled the server log
with a traceback that says nothing an operator needs and buried the failures that do. A
client error keeps its one line ("Forbidden (Permission denied): /staff/ledger/"); a
server error (5xx) keeps its traceback.
"""

from __future__ import annotations

import logging


class OneLineClientErrors(logging.Filter):
    """Drops the traceback from a 4xx answer's log record (``django.request``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if isinstance(status, int) and 400 <= status < 500 and record.exc_info:
            record.exc_info = None
            record.exc_text = None
        return True
