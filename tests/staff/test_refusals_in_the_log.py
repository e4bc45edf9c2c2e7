"""An ordinary refusal (403) is one line in the server log, not a traceback; a failure of
the server itself still logs its traceback."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

import pytest
from django.test import Client
from tests.support import World, make_user

from detente.api.services import token_create


class Lines(logging.Handler):
    """What the server's console would print, formatted as the console does."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.setFormatter(logging.Formatter())
        self.text: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.text.append(self.format(record))


@pytest.fixture
def log() -> Iterator[Lines]:
    # On the root logger, where settings.LOGGING's console handler is: records reach it
    # after the django.request logger's filters, as they reach the console.
    lines = Lines()
    logging.getLogger().addHandler(lines)
    yield lines
    logging.getLogger().removeHandler(lines)


def test_a_page_the_role_may_not_open_is_one_line(
    world: World, signed_in: Callable[..., Client], log: Lines
) -> None:
    analyst = signed_in("analyst")
    legislator = signed_in("legislature")
    assert analyst.get("/staff/ledger/").status_code == 403  # an oversight page
    assert legislator.get("/staff/people/").status_code == 403  # a staff page
    refusals = [line for line in log.text if line.startswith("Forbidden")]
    assert refusals == [
        "Forbidden (Permission denied): /staff/ledger/",
        "Forbidden (Permission denied): /staff/people/",
    ]
    assert not any("Traceback" in line or "\n" in line for line in log.text), log.text


def test_an_api_call_without_the_right_is_one_line(world: World, log: Lines) -> None:
    user = make_user("reader", "analyst")
    token = token_create(actor=user, user=user, name="read only", scope="read")[1]
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    refused = client.post("/api/claims", "{}", content_type="application/json")
    assert refused.status_code == 403
    assert [line for line in log.text if "/api/claims" in line] == ["Forbidden: /api/claims"]
    assert not any("Traceback" in line for line in log.text), log.text


def test_a_server_error_keeps_its_traceback(log: Lines) -> None:
    """The filter is for client errors only: a 500 is still logged with what broke."""
    record = logging.LogRecord(
        "django.request", logging.ERROR, __file__, 1, "Internal Server Error: /x", (), None
    )
    try:
        raise RuntimeError("broken")
    except RuntimeError:
        import sys

        record.exc_info = sys.exc_info()
    record.status_code = 500
    logging.getLogger("django.request").handle(record)
    assert any("Traceback" in line and "RuntimeError: broken" in line for line in log.text)
