"""The public pages' shared copies (detente.web.pages): made once per change for every server
process, made by the worker in background mode, never served stale past the grace time."""

from __future__ import annotations

import datetime as dt
from typing import Any
from unittest import mock

import pytest
from django.contrib.auth.models import User
from django.test import Client
from tests.support import World, make_user
from tests.web.test_public_site import disclose, figure, make_public, release, text

from detente.access.models import DisclosureAction
from detente.access.policy import Role
from detente.access.services import disclosure_approve, disclosure_propose
from detente.agreements.selectors import agreement_members
from detente.web import pages
from detente.web.models import RenderedPage

BACKGROUND = {"MODE": "background", "MAX_AGE": 600, "GRACE": 60, "SLOW_SECONDS": 0.5}


@pytest.fixture
def public(world: World) -> World:
    return make_public(world)


@pytest.fixture
def background(settings: Any) -> None:
    settings.PUBLIC_PAGES = {**settings.PUBLIC_PAGES, **BACKGROUND, "WORKER_LATE": 30}


def approver() -> User:
    return User.objects.filter(username="v").first() or make_user("v", Role.VERIFIER)


def withdraw_public(w: World) -> None:
    proposer = User.objects.filter(username="a").first() or make_user("a", Role.ANALYST)
    d = disclosure_propose(
        actor=proposer,
        audience="public",
        reason="a risk came to light",
        agreement=w.agreement,
        action=DisclosureAction.WITHDRAW,
    )
    disclosure_approve(actor=approver(), disclosure=d)


def later(seconds: float) -> Any:
    """The pages module's clock moved on by ``seconds``."""
    moved = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=seconds)
    return mock.patch("detente.web.pages.timezone.now", return_value=moved)


def test_another_server_process_serves_the_copy_without_rendering_it(
    client: Client, public: World, django_assert_max_num_queries: Any
) -> None:
    first = client.get("/agreements/deal/")
    pages._bytes.clear()  # another process: none of the bytes in memory
    with (
        mock.patch("detente.web.views.agreement_progress") as progress,
        django_assert_max_num_queries(2),  # the copy's record, then its bytes
    ):
        again = client.get("/agreements/deal/")
    progress.assert_not_called()
    assert again.content == first.content and again["ETag"] == first["ETag"]
    assert RenderedPage.objects.filter(path="/agreements/deal/", language="en").count() == 1


def test_staff_reading_names_does_not_make_the_public_copy_stale(
    client: Client, public: World
) -> None:
    client.get("/agreements/deal/")
    made = RenderedPage.objects.get(path="/agreements/deal/", language="en").rendered_at
    # A signed-in reader's view is recorded in the ledger (an access entry) ...
    reader = make_user("reader", Role.VERIFIER)
    agreement_members(reader, public.agreement)
    # ... but the public saw nothing new, so the copy stays.
    client.get("/agreements/deal/")
    assert RenderedPage.objects.get(path="/agreements/deal/", language="en").rendered_at == made


def test_in_background_a_slow_page_is_never_made_while_a_visitor_waits(
    client: Client, public: World, background: None
) -> None:
    with mock.patch("detente.web.views.agreement_progress") as progress:
        waiting = client.get("/agreements/deal/")
    progress.assert_not_called()
    assert waiting.status_code == 503 and waiting["Retry-After"] == "5"
    assert "being brought up to date" in text(waiting)
    assert waiting["Cache-Control"] == "no-store"
    # The worker makes it (in both languages), and the next visitor gets it at once.
    made = pages.refresh()
    assert ("/agreements/deal/", "en") in made and ("/agreements/deal/", "es") in made
    page = client.get("/agreements/deal/")
    assert page.status_code == 200 and figure(text(page), "Independently confirmed") == "1"
    spanish = client.get("/agreements/deal/", HTTP_ACCEPT_LANGUAGE="es")
    assert figure(text(spanish), "Confirmadas de forma independiente") == "1"


def test_an_address_that_is_not_a_public_agreement_answers_404_not_wait(
    client: Client, public: World, background: None
) -> None:
    assert client.get("/agreements/nothing-here/").status_code == 404
    assert not RenderedPage.objects.filter(path="/agreements/nothing-here/").exists()


def test_after_a_change_the_old_copy_is_served_while_the_worker_makes_the_new(
    client: Client, public: World, background: None
) -> None:
    pages.refresh()
    release(public, "embassy", 0, "2020-03-01")
    # Within the grace time the visitor gets the copy made before the change ...
    stale = client.get("/agreements/deal/")
    assert stale.status_code == 200 and figure(text(stale), "Independently confirmed") == "1"
    row = RenderedPage.objects.get(path="/agreements/deal/", language="en")
    assert row.wanted_at is not None
    # ... and once the worker has been round, the new figure.
    pages.refresh()
    fresh = client.get("/agreements/deal/")
    assert figure(text(fresh), "Independently confirmed") == "2"
    assert RenderedPage.objects.get(pk=row.pk).wanted_at is None


def test_a_withdrawn_name_is_not_served_from_a_copy_past_the_grace_time(
    client: Client, public: World, background: None
) -> None:
    disclose(public, "public")
    handle = public.person(0).handle
    assert "Yoandri 0 Pérez" in text(client.get(f"/people/{handle}/"))
    withdraw_public(public)
    # Past the grace time, whatever the worker did, the copy holding the name is not used:
    # the person page (quick to make) is made again and is missing, like any unknown handle.
    with later(61):
        assert client.get(f"/people/{handle}/").status_code == 404
    assert not RenderedPage.objects.filter(path=f"/people/{handle}/").exists()


def test_a_slow_page_past_the_grace_time_waits_for_the_worker_rather_than_show_old_names(
    client: Client, public: World, background: None
) -> None:
    disclose(public, "public")
    pages.refresh()
    assert "Yoandri 0 Pérez" in text(client.get("/agreements/deal/"))
    withdraw_public(public)
    with later(61):
        waiting = client.get("/agreements/deal/")
    assert waiting.status_code == 503 and "Yoandri" not in text(waiting)
    pages.refresh()
    assert "Yoandri 0 Pérez" not in text(client.get("/agreements/deal/"))


def test_when_the_worker_is_down_the_request_makes_the_page_itself(
    client: Client, public: World, background: None
) -> None:
    assert client.get("/agreements/deal/").status_code == 503  # asked for, not made
    with later(31):  # nobody made it: the worker is taken to be down
        page = client.get("/agreements/deal/")
    assert page.status_code == 200 and figure(text(page), "Promised") == "5"


def test_a_scheduled_disclosure_makes_the_copies_stale_when_it_comes_into_force(
    public: World,
) -> None:
    proposer = make_user("a", Role.ANALYST)
    opens = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    d = disclosure_propose(
        actor=proposer,
        audience="public",
        reason="hearing",
        agreement=public.agreement,
        effective_from=opens,
    )
    disclosure_approve(actor=approver(), disclosure=d)
    before = pages.data_version(opens - dt.timedelta(seconds=1))
    assert pages.data_version(opens + dt.timedelta(seconds=1)) != before


def test_the_worker_keeps_every_standing_page_made_and_current(
    client: Client, public: World
) -> None:
    made = set(pages.refresh())
    assert {"/", "/statistics/", "/methods/", "/agreements/deal/"} <= {p for p, _ in made}
    assert {lang for _, lang in made} == {"en", "es"}
    assert pages.refresh() == []  # nothing changed: nothing to make
    release(public, "embassy", 0, "2020-03-01")
    assert ("/agreements/deal/", "en") in pages.refresh()
    with later(601):  # "as of" and the chart's today move without a change
        assert ("/agreements/deal/", "en") in pages.refresh()


def test_a_starting_worker_makes_every_standing_page_again(public: World) -> None:
    pages.refresh()
    assert pages.refresh() == []
    # New code may make a page differently with the same data: a worker started after an
    # upgrade makes them all again.
    again = {path for path, _ in pages.refresh(every=True)}
    assert {"/", "/statistics/", "/methods/", "/agreements/deal/"} <= again


def test_under_a_server_that_sends_files_the_copy_is_sent_as_a_file(
    client: Client, public: World, settings: Any, tmp_path: Any
) -> None:
    from wsgiref.util import FileWrapper

    settings.DATA_DIR = tmp_path
    made = client.get("/agreements/deal/")
    pages._bytes.clear()
    # gunicorn offers wsgi.file_wrapper: the copy goes out as a file of this host's, like a
    # static file, with the same bytes and ETag, and a conditional GET still answers 304.
    sent = client.get("/agreements/deal/", **{"wsgi.file_wrapper": FileWrapper})
    assert sent.streaming and "Content-Disposition" not in sent
    assert b"".join(sent.streaming_content) == made.content
    assert sent["ETag"] == made["ETag"] and sent["Content-Type"] == made["Content-Type"]
    assert list((tmp_path / "pages").iterdir())
    again = client.get(
        "/agreements/deal/",
        HTTP_IF_NONE_MATCH=made["ETag"],
        **{"wsgi.file_wrapper": FileWrapper},
    )
    assert again.status_code == 304


def test_the_worker_deletes_the_files_of_copies_no_longer_kept(
    client: Client, public: World, settings: Any, tmp_path: Any
) -> None:
    import os
    import time
    from wsgiref.util import FileWrapper

    settings.DATA_DIR = tmp_path
    client.get("/agreements/deal/")
    client.get("/agreements/deal/", **{"wsgi.file_wrapper": FileWrapper})
    (first,) = (tmp_path / "pages").iterdir()
    release(public, "embassy", 0, "2020-03-01")
    pages.refresh()  # a new copy: the old file is kept a while (a server may be sending it)
    assert first.exists()
    hour_ago = time.time() - 3600
    os.utime(first, (hour_ago, hour_ago))
    pages.refresh()
    assert not first.exists()


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_visitor_with_no_session_gets_the_copy_early_with_the_same_headers(
    client: Client, public: World, language: str, django_assert_max_num_queries: Any
) -> None:
    """The early path (PublicCopyMiddleware) answers what the normal path answers: the same
    bytes and headers; only a visitor with no session cookie takes it."""
    url, lang = "/agreements/deal/", {"HTTP_ACCEPT_LANGUAGE": language}
    client.get(url, **lang)  # the copy is made
    with (
        mock.patch("detente.web.views.pages.serve") as normal,
        django_assert_max_num_queries(1),
    ):
        early = client.get(url, **lang)
    normal.assert_not_called()
    # A session cookie (an anonymous one here) sends the visitor down the normal path.
    client.cookies["sessionid"] = "none-such"
    usual = client.get(url, **lang)
    assert early.content == usual.content and early.status_code == usual.status_code == 200
    moving = {"X-Request-ID", "Date"}
    assert {k: v for k, v in early.items() if k not in moving} == {
        k: v for k, v in usual.items() if k not in moving
    }
    assert early["Content-Language"] == language
    # A conditional GET is answered early too, with the same headers as a 304 elsewhere.
    del client.cookies["sessionid"]
    again = client.get(url, HTTP_IF_NONE_MATCH=early["ETag"], **lang)
    assert again.status_code == 304 and again["ETag"] == early["ETag"]
    assert again["Cache-Control"] == "public, max-age=60"


def test_the_early_path_never_serves_a_stale_copy(client: Client, public: World) -> None:
    client.get("/agreements/deal/")
    release(public, "embassy", 0, "2020-03-01")
    assert figure(text(client.get("/agreements/deal/")), "Independently confirmed") == "2"
