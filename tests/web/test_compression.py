"""gzip for anonymous answers, the public pages' kept copies included; never for a signed-in
user (BREACH: detente.web.compression)."""

from __future__ import annotations

import gzip

from django.test import Client
from tests.support import World, make_user
from tests.web.test_public_site import make_public

from detente.access.policy import Role
from detente.web import pages

GZIP = {"HTTP_ACCEPT_ENCODING": "gzip, deflate, br"}


def _vary(response: object) -> set[str]:
    return {v.strip().lower() for v in response["Vary"].split(",")}  # type: ignore[index]


def test_a_public_page_and_its_kept_copy_are_compressed_and_revalidate(world: World) -> None:
    make_public(world)
    client = Client()
    made = client.get("/agreements/deal/", **GZIP)  # rendered, and kept
    assert made["Content-Encoding"] == "gzip" and "accept-encoding" in _vary(made)
    html = gzip.decompress(made.content).decode()
    assert "<!doctype html>" in html and '<meta name="description"' in html
    assert made["ETag"].startswith('W/"')  # weak: the bytes differ from the stored copy's
    pages._bytes.clear()
    kept = client.get("/agreements/deal/", **GZIP)  # the copy, before the session middleware
    assert kept["Content-Encoding"] == "gzip" and "accept-encoding" in _vary(kept)
    body = b"".join(kept.streaming_content) if kept.streaming else kept.content  # type: ignore[attr-defined]
    assert gzip.decompress(body).decode() == html
    assert kept["ETag"] == made["ETag"]
    again = client.get("/agreements/deal/", HTTP_IF_NONE_MATCH=made["ETag"], **GZIP)
    assert again.status_code == 304 and again["ETag"] == made["ETag"]
    assert "accept-encoding" in _vary(again) and "accept-language" in _vary(again)
    plain = client.get("/agreements/deal/")  # a client that reads no gzip gets the page as is
    assert "Content-Encoding" not in plain and plain.content.startswith(b"<!doctype html>")


def test_a_signed_in_users_pages_are_never_compressed(world: World) -> None:
    make_public(world)
    client = Client()
    client.force_login(make_user("reader", Role.VERIFIER))
    for path in ("/agreements/deal/", "/staff/verification/"):
        response = client.get(path, **GZIP)
        assert response.status_code == 200
        assert "Content-Encoding" not in response, path


def test_only_text_is_compressed(world: World) -> None:
    make_public(world)
    briefing = Client().get("/agreements/deal/briefing.pdf", **GZIP)
    assert briefing.status_code == 200 and "Content-Encoding" not in briefing
    data = Client().get("/open/agreements.json", **GZIP)
    assert data["Content-Encoding"] == "gzip"
