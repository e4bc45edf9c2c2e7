"""An arrow between two things ("Open identities → Public", "3 → 5") is seen as an arrow and
heard as a word: a screen reader reads the sign itself as "right arrow"."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.template.loader import render_to_string
from django.test import Client
from tests.support import World, make_user

from detente.access.policy import Role
from detente.access.services import disclosure_propose

VOID = {"br", "img", "input", "meta", "link", "hr", "wbr", "source"}  # no end tag


class _Text(HTMLParser):
    """The text of a piece of HTML as one kind of reader gets it: ``heard`` skips what is
    aria-hidden, ``seen`` what is visually hidden."""

    def __init__(self, skip: str) -> None:
        super().__init__()
        self.skip = skip
        self.depth = 0  # above 0: inside a skipped element
        self.parts: list[str] = []
        self.stack: list[bool] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in VOID:
            return
        a = dict(attrs)
        skipped = (
            a.get("aria-hidden") == "true"
            if self.skip == "aria-hidden"
            else "visually-hidden" in (a.get("class") or "").split()
        )
        self.stack.append(skipped)
        self.depth += skipped

    def handle_endtag(self, tag: str) -> None:
        if self.stack and tag not in VOID:
            self.depth -= self.stack.pop()

    def handle_data(self, data: str) -> None:
        if not self.depth:
            self.parts.append(data)


def _text(html: str, skip: str) -> str:
    parser = _Text(skip)
    parser.feed(html)
    return re.sub(r"\s+", " ", "".join(parser.parts))


def heard(html: str) -> str:
    return _text(html, "aria-hidden")


def seen(html: str) -> str:
    return _text(html, "visually-hidden")


@pytest.mark.django_db
def test_a_disclosure_reads_its_action_to_its_audience_in_the_list_and_on_its_page(
    world: World,
) -> None:
    d = disclosure_propose(
        actor=make_user("a", Role.ANALYST),
        audience="public",
        reason="The agreement is public.",
        agreement=world.agreement,
    )
    client = Client()
    client.force_login(make_user("v", Role.VERIFIER))
    for address in ("/staff/disclosures/", f"/staff/disclosures/{d.pk}/"):
        html = client.get(address).content.decode()
        assert "Open identities → Public" in seen(html), address
        assert "Open identities to Public" in heard(html), address
        assert "→" not in heard(html), address


def test_a_figure_that_moved_too_little_reads_from_before_to_after() -> None:
    html = render_to_string(
        "oversight/_statistics_conflicts.html",
        {
            "conflicts": [
                {"release": 4, "moved": [{"row": "Havana", "col": "2024", "before": 3, "after": 5}]}
            ]
        },
    )
    assert "Since release #4: Havana, 2024: 3 → 5" in seen(html)
    assert "Since release #4: Havana, 2024: 3 to 5" in heard(html)
