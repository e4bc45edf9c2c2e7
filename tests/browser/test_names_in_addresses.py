"""No name typed into a staff search ever reaches an address (SECURITY.md).

An administrator searches names in a real browser, against the real server with the demo: from
the dashboard, on the people page (live with htmx, and by pressing Enter), in the
suggestions of the new-person form, and in the review page's search for another person;
then once more without JavaScript. Every address the browser asks for (pages, htmx
requests, static files), every address a page was at, and the tab's history as the
browser keeps it (addresses and titles) are recorded; none may hold any part of a name
typed. The searches must still have found the person, and the names must have been sent
in the requests' bodies: the test would otherwise prove nothing.
"""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus

import pytest
from tests.browser import test_staff
from tests.browser.test_staff import DESKTOP, ENGLISH, Demo, sign_in

# The staff tests' fixtures: the demo behind the real server, and the console watch.
demo = test_staff.demo
watch = test_staff.watch

pytestmark = pytest.mark.browser

# Someone in the demo's registry on no agreement (the Spanish staff test uses them too).
PERSON = "P-0060"


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


class Recorder:
    """What one browser context asked for and where its page went."""

    def __init__(self, context: Any) -> None:
        self.requested: list[str] = []
        self.bodies: list[str] = []
        self.visited: list[str] = []
        context.on("request", self._request)

    def _request(self, request: Any) -> None:
        self.requested.append(request.url)
        if request.method == "POST":
            self.bodies.append(unquote_plus(request.post_data or ""))

    def follow(self, page: Any) -> None:
        page.on(
            "framenavigated",
            lambda frame: self.visited.append(frame.url) if frame == page.main_frame else None,
        )

    def history(self, page: Any) -> list[tuple[str, str]]:
        """The tab's session history as Chromium keeps it (DevTools protocol)."""
        session = page.context.new_cdp_session(page)
        entries = session.send("Page.getNavigationHistory")["entries"]
        session.detach()
        return [(e["url"], e.get("title", "")) for e in entries]


def _leaks(texts: list[str], parts: list[str]) -> list[tuple[str, str]]:
    """(text, name part) for every text holding a part: as a word, or inside a word for
    parts long enough not to occur by chance (accents and case folded, URL-decoded)."""
    found = []
    for text in texts:
        plain = _fold(unquote_plus(text))
        words = set(re.split(r"[^a-z0-9]+", plain))
        for part in parts:
            if part in words or (len(part) >= 4 and part in plain):
                found.append((text, part))
    return found


def new_page(browser: Any, problems: list[str], **options: Any) -> Any:
    """A page that does not ask for the site's (missing) icon: the browser's console would
    count that 404 as an error, without naming the address."""
    page = test_staff.new_page(browser, problems, **options)
    page.route("**/favicon.ico", lambda route: route.fulfill(status=204, body=""))
    return page


def _identity(demo: Demo) -> dict[str, str]:
    shown = json.loads(demo.operator("person", "show", PERSON, "--json"))
    identity = shown["identity"]
    assert identity and identity["given_names"] and identity["paternal_surname"], shown
    return identity


def _queue_a_row(demo: Demo, tmp_path: Path, identity: dict[str, str]) -> int:
    """An import of one row naming the person, queued for review whatever its score."""
    path = tmp_path / "list.csv"
    name = " ".join(
        identity[f] for f in ("given_names", "paternal_surname", "maternal_surname") if identity[f]
    )
    path.write_text(f"name,status,event_date\n{name},detained,2024-05-02\n", encoding="utf-8")
    summary = json.loads(
        demo.operator(
            "import",
            str(path),
            "--source",
            "families",
            "--link-above",
            "0.999999",
            "--review-above",
            "0.0001",
            "--json",
        )
    )
    return int(summary["run"])


def test_no_name_typed_in_a_staff_search_reaches_an_address(
    browser: Any, demo: Demo, tmp_path: Path, watch: list[str]
) -> None:
    identity = _identity(demo)
    given = identity["given_names"].split()[0]
    paternal, maternal = identity["paternal_surname"], identity["maternal_surname"]
    # As someone would type it: lower case, no accents, one given name and a surname.
    typed = _fold(f"{given} {paternal}")
    parts = sorted(
        {_fold(w) for w in f"{identity['given_names']} {paternal} {maternal}".split()} - {""}
    )
    run = _queue_a_row(demo, tmp_path, identity)
    result = f"a[href='/staff/people/{PERSON}/']"

    page = new_page(browser, watch, locale="en-US", viewport=DESKTOP)
    record = Recorder(page.context)  # before the page has asked for anything
    record.follow(page)
    page.goto(demo.base + "/staff/login/")
    # An administrator (who may decide review rows), signed in once: the demo's one-time
    # codes are few, and the other browser tests sign in as the verifier.
    sign_in(page, demo, "admin", ENGLISH)

    # The dashboard's box: a plain form, sent by POST; the answer is the people page.
    page.goto(demo.base + "/staff/")
    page.get_by_label("Find a person by name or handle").fill(typed)
    page.get_by_label("Find a person by name or handle").press("Enter")
    page.wait_for_load_state()
    page.locator(f"#results {result}").wait_for()
    assert page.url == demo.base + "/staff/people/"

    # The people page, live: htmx posts as one types; the address stays as it is.
    page.goto(demo.base + "/staff/people/")
    box = page.get_by_label("Name or handle")
    box.press_sequentially(typed, delay=20)
    page.locator(f"#results {result}").wait_for()
    assert page.url == demo.base + "/staff/people/"
    # And by pressing Enter: the whole page comes back, at the same address.
    box.press("Enter")
    page.wait_for_load_state()
    page.locator(f"#results {result}").wait_for()
    assert page.url == demo.base + "/staff/people/"
    assert _fold(page.title()).find(_fold(paternal)) == -1
    page.locator(f"#results {result}").click()
    page.wait_for_load_state()
    assert page.url == demo.base + f"/staff/people/{PERSON}/"

    # Recording a new person: the suggestions come by POST as the names are typed.
    page.goto(demo.base + "/staff/people/new/")
    page.get_by_label("Given names").fill(identity["given_names"])
    page.get_by_label("First surname").fill(paternal)
    page.get_by_label("Second surname").fill(maternal)
    page.get_by_label("Second surname").press("Tab")  # "change": htmx asks for suggestions
    page.locator(f"#suggestions {result}").wait_for()
    assert page.url == demo.base + "/staff/people/new/"

    # The review page's search for another person (htmx, by POST).
    page.goto(demo.base + f"/staff/matches/?run={run}")
    page.get_by_role("link", name=re.compile(r"^Row \d+$")).click()  # the import's one row
    page.wait_for_load_state()
    assert re.fullmatch(rf"{re.escape(demo.base)}/staff/matches/\d+/\?run={run}", page.url)
    row_address = page.url
    search = page.locator("section.another")
    search.get_by_label("Name or handle").fill(f"{identity['given_names']} {paternal}")
    search.get_by_role("button", name="Search").click()
    page.locator(f"#search-results {result}").wait_for()
    assert page.url == row_address
    history = record.history(page)
    signed_in = page.context.storage_state()
    page.context.close()

    # Without JavaScript (the same session): the forms are posted, the pages come back whole.
    page = new_page(
        browser,
        watch,
        locale="en-US",
        viewport=DESKTOP,
        java_script_enabled=False,
        storage_state=signed_in,
    )
    bare = Recorder(page.context)
    bare.follow(page)
    page.goto(demo.base + "/staff/people/")
    page.get_by_label("Name or handle").fill(typed)
    page.get_by_role("button", name="Search").click()
    page.wait_for_load_state()
    page.locator(f"#results {result}").wait_for()
    assert page.url == demo.base + "/staff/people/"
    page.goto(demo.base + f"/staff/matches/?run={run}")
    page.get_by_role("link", name=re.compile(r"^Row \d+$")).click()  # the import's one row
    page.wait_for_load_state()
    row_address = page.url
    search = page.locator("section.another")
    search.get_by_label("Name or handle").fill(typed)
    search.get_by_role("button", name="Search").click()
    page.wait_for_load_state()
    page.locator(f"#search-results {result}").wait_for()
    assert page.url == row_address.split("?")[0] + "search/?" + row_address.split("?")[1]
    plain_history = bare.history(page)
    page.context.close()

    # The names went where they belong: in the bodies of the POSTs...
    bodies = [_fold(b) for b in record.bodies + bare.bodies]
    assert sum(typed in b for b in bodies) >= 3, bodies
    assert any(_fold(paternal) in b and "given_names" in b for b in bodies)
    # ...and nowhere else: no address asked for, visited, or kept in the history.
    addresses = record.requested + record.visited + bare.requested + bare.visited
    assert len(addresses) > 20
    kept = [text for entry in history + plain_history for text in entry]
    assert _leaks(addresses, parts) == []
    assert _leaks(kept, parts) == []
