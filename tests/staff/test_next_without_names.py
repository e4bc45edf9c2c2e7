"""A name in a query string is never carried on: not into the login address, not into the
language switch's ``next`` (issue 13, point 3)."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from django.test import Client
from tests.support import make_user

from detente.access.policy import Role


def test_the_login_address_drops_a_query_that_could_hold_a_name(db: Any) -> None:
    response = Client().get("/staff/people/?q=Yoandri+Perez")
    assert response.status_code == 302
    assert "Yoandri" not in unquote(response["Location"])
    assert response["Location"].endswith("next=/staff/people/")
    # Other queries (a tab, a page) are kept, so signing in lands where one was.
    kept = Client().get("/staff/matches/?page=2")
    assert "page%3D2" in kept["Location"] or "page=2" in unquote(kept["Location"])


def test_the_language_switch_does_not_carry_the_query(db: Any) -> None:
    client = Client()
    client.force_login(make_user("ana", Role.ANALYST))
    page = client.get("/staff/people/?q=Yoandri+Perez").content.decode()
    assert "Yoandri" not in page
    assert 'name="next" value="/staff/people/"' in page
