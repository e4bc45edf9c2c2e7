"""Two app servers and one worker on one database (issue 17, point 3): what a person
does through one server is what another person sees through the other, within the delays
docs/deployment.md states.

The servers are real ``detente serve`` processes (gunicorn, two workers each) with a data
directory each, as separate machines would have, and ``detente db_worker`` beside them
(tests/deployment/cluster.py). On PostgreSQL when ``DATABASE_URL`` points there (a scratch
database of this module's own), else on a shared SQLite file: the same code, and on one
machine SQLite serves several processes too.

The waits below poll for at most the delay the guide promises (the public pages' 60-second
grace); they measure nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from collections.abc import Iterator
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import urlencode

import pytest
from tests.deployment.cluster import Cluster, Host, call, multipart, scratch_database

from detente.accounts import totp
from detente.demo.names import PersonGenerator

# The stated bound (docs/deployment.md, web.pages): a public page made before a change is
# served at most this long after it.
GRACE = 60
# The API's limit per token and calendar minute on these servers.
RATE = 40


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Cluster, dict[str, Any]]]:
    folder = tmp_path_factory.mktemp("two-servers")
    with scratch_database(folder) as url:
        c = Cluster(folder, url, settings={"DETENTE_API_RATE_PER_MINUTE": str(RATE)})
        try:
            world = c.prepare("a")
            for name in ("a", "b"):
                c.serve(name, workers=2)
            c.worker("w")
            c.ready(c.hosts["a"])
            c.ready(c.hosts["b"])
            yield c, world
        finally:
            c.stop()


def _hosts(cluster: tuple[Cluster, dict[str, Any]]) -> tuple[Host, Host, dict[str, Any]]:
    c, world = cluster
    return c.hosts["a"], c.hosts["b"], world


def _until(check: Any, seconds: float, every: float = 0.5) -> Any:
    """``check()`` until it answers something true, for at most ``seconds``; the last answer."""
    deadline = time.monotonic() + seconds
    while True:
        found = check()
        if found or time.monotonic() > deadline:
            return found
        time.sleep(every)


def _figure(html: str, label: str) -> int:
    found = re.search(rf"<dt>{re.escape(label)}</dt><dd>(\d+)</dd>", html)
    assert found, f"no figure {label!r} on the page"
    return int(found.group(1))


# --- Keys ---------------------------------------------------------------------------------------


def test_migrate_makes_every_key_the_next_server_must_be_given(
    cluster: tuple[Cluster, dict[str, Any]],
) -> None:
    """The guide says: migrate on the first host, then copy keys/ to the others. That copy
    is only complete if migrate made the ledger's hash key too (a server that made its own
    later would hash email addresses and login names differently from the others)."""
    _a, _b, world = _hosts(cluster)
    assert {"secret_key", "ledger-hmac"} <= set(world["keys_after_migrate"])


# --- The candidate index: no delay ----------------------------------------------------------------


def test_a_person_imported_through_one_server_is_matched_on_the_other(
    cluster: tuple[Cluster, dict[str, Any]],
) -> None:
    a, b, world = _hosts(cluster)
    token = world["tokens"]["import"]
    newcomer = PersonGenerator(1703).person()
    name = newcomer.full_name
    # Server B's workers build their candidate index before the person exists.
    for _ in range(3):
        before = call(b.base, "POST", "/api/match", token=token, payload={"q": name})
        assert before.status == 200, before.text
    known = {item["handle"] for item in before.json()["items"]}

    listing = f"name,status,event_date\n{name},detained,2024-05-02\n".encode()
    body, content_type = multipart(
        {
            "source": world["sources"]["ngo"],
            "agreement": world["agreement"],
            "dry_run": "false",
            "mapping": json.dumps({"name": "name", "status": "status", "event_date": "event_date"}),
        },
        {"file": ("lista.csv", listing)},
    )
    sent = call(
        a.base,
        "POST",
        "/api/imports",
        token=token,
        body=body,
        headers={"Content-Type": content_type},
    )
    assert sent.status == 202, sent.text
    job = sent.json()["id"]

    # The file was kept by server A and read by the worker (shared storage); the job made on
    # A is followed on B.
    def finished() -> dict[str, Any] | None:
        state = call(b.base, "GET", f"/api/imports/jobs/{job}", token=token).json()
        return state if state["state"] in ("done", "failed") else None

    state = _until(finished, 120, every=2)
    assert state is not None, "the worker did not finish the import"
    assert state["state"] == "done", state
    rows = call(b.base, "GET", f"/api/imports/{state['run']}/rows", token=token).json()["items"]
    [row] = rows
    handle = row["person"]
    assert handle and handle not in known

    # No delay: B's index catches up through the ledger before it answers.
    for _ in range(3):
        found = call(b.base, "POST", "/api/match", token=token, payload={"q": name})
        assert found.status == 200, found.text
        assert found.json()["items"][0]["handle"] == handle
    members = call(b.base, "GET", f"/api/agreements/{world['agreement']}/members", token=token)
    assert handle in {m["handle"] for m in members.json()["items"]}


# --- Public pages and open data -------------------------------------------------------------------


def test_a_claim_recorded_on_one_server_shows_on_the_others_public_page(
    cluster: tuple[Cluster, dict[str, Any]],
) -> None:
    a, b, world = _hosts(cluster)
    slug = world["agreement"]
    page = f"/agreements/{slug}/"
    opened = f"/open/agreements/{slug}/members.json"
    first = world["members"][0]["handle"]
    assert _figure(call(b.base, "GET", page).text, "Claimed released") == 0
    # B keeps its open-data copy of the data as it is now (a per-process cache).
    states = {m["handle"]: m["state"] for m in call(b.base, "GET", opened).json()["members"]}
    assert states[first] == "held"

    claim = {
        "source": world["sources"]["gov"],
        "person": first,
        "kind": "status",
        "status": "unconditional_release",
        "event_date": "2024-06-01",
        "evidence_text": "Announced by the releasing government.",
    }
    recorded = call(a.base, "POST", "/api/claims", token=world["tokens"]["page"], payload=claim)
    assert recorded.status == 201, recorded.text

    # Open data: keyed by the data's version, so B answers the new figures at once.
    states = {m["handle"]: m["state"] for m in call(b.base, "GET", opened).json()["members"]}
    assert states[first] == "reported"
    # The page: made again by the worker; B serves the copy made before the change for at
    # most the grace.
    shown = _until(lambda: _figure(call(b.base, "GET", page).text, "Claimed released"), GRACE)
    assert shown == 1
    assert _figure(call(a.base, "GET", page).text, "Claimed released") == 1


def test_a_withdrawn_name_leaves_both_servers_public_pages_within_the_grace(
    cluster: tuple[Cluster, dict[str, Any]],
) -> None:
    c, world = cluster
    a, b = c.hosts["a"], c.hosts["b"]
    slug = world["agreement"]
    last = world["members"][-1]
    page = f"/agreements/{slug}/"
    for host in (a, b):
        assert last["name"] in call(host.base, "GET", page).text
        assert last["name"] in call(host.base, "GET", f"/people/{last['handle']}/").text

    # Withdrawn from the shell (another process again: the two people the rule asks for).
    c.detente(c.hosts["w"], "tests.deployment.seed", "withdraw", last["handle"])
    withdrawn = time.monotonic()

    opened = f"/open/agreements/{slug}/members.json"
    for host in (a, b):
        names = {m["handle"]: m["name"] for m in call(host.base, "GET", opened).json()["members"]}
        assert names[last["handle"]] is None  # open data: at once
    for host in (a, b):
        for path in (page, f"/people/{last['handle']}/"):
            left = GRACE - (time.monotonic() - withdrawn)
            gone = _until(
                lambda h=host, p=path: last["name"] not in call(h.base, "GET", p).text, left
            )
            assert gone, f"the name is still on {host.name}'s {path} {GRACE} s after the withdrawal"


# --- Sign-in: lockout and sessions ----------------------------------------------------------------


def _login(host: Host, username: str, password: str, code: str) -> tuple[int, str, SimpleCookie]:
    """The staff sign-in form, as a browser sends it: (status, page, cookies)."""
    form = call(host.base, "GET", "/staff/login/")
    cookies = SimpleCookie()
    for line in form.cookies:
        cookies.load(line)
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)
    assert found and "csrftoken" in cookies
    fields = {
        "csrfmiddlewaretoken": found.group(1),
        "username": username,
        "password": password,
        "otp": code,
    }
    sent = call(
        host.base,
        "POST",
        "/staff/login/",
        body=urlencode(fields).encode(),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={cookies['csrftoken'].value}",
        },
    )
    for line in sent.cookies:
        cookies.load(line)
    return sent.status, sent.text, cookies


def _code(secret: str, offset: int = 0) -> str:
    return totp.totp(totp.decode_secret(secret), time.time() + offset * totp.PERIOD)


def test_a_lockout_earned_on_one_server_holds_on_the_other(
    cluster: tuple[Cluster, dict[str, Any]],
) -> None:
    a, b, world = _hosts(cluster)
    analyst = world["users"]["analyst"]
    for _ in range(5):  # DETENTE_LOGIN_MAX_FAILURES
        status, text, _cookies = _login(a, "analyst", "not-the-password", "000000")
        assert status == 200 and "is not right" in text
    # The right password and a right code, on the other server: still refused.
    status, text, cookies = _login(b, "analyst", analyst["password"], _code(analyst["totp"]))
    assert status == 200, "signed in on B although locked out on A"
    assert "is not right" in text and "sessionid" not in cookies


def test_a_session_opened_on_one_server_is_good_on_the_other(
    cluster: tuple[Cluster, dict[str, Any]],
) -> None:
    a, b, world = _hosts(cluster)
    verifier = world["users"]["verifier"]
    code = _code(verifier["totp"])
    status, text, cookies = _login(b, "verifier", verifier["password"], code)
    assert status == 302, text
    session = f"sessionid={cookies['sessionid'].value}"
    dashboard = call(a.base, "GET", "/staff/", headers={"Cookie": session})
    assert dashboard.status == 200 and "verifier" in dashboard.text
    # The code just used on B is spent on A too (its step is kept in the database).
    status, _text, again = _login(a, "verifier", verifier["password"], code)
    assert status == 200 and "sessionid" not in again


# --- The API's rate limit: counted in the database ----------------------------------------------


def _minute() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)


def _next_minute() -> None:
    now = dt.datetime.now(dt.UTC)
    time.sleep(60.2 - now.second - now.microsecond / 1e6)


def test_the_api_rate_limit_counts_both_servers_together(
    cluster: tuple[Cluster, dict[str, Any]],
) -> None:
    a, b, world = _hosts(cluster)
    token = world["tokens"]["rate"]
    # The limit is per calendar minute: start with time to spare before the minute turns,
    # and on a machine so slow that it turned all the same, once more from a new minute.
    if dt.datetime.now(dt.UTC).second > 40:
        _next_minute()
    for attempt in range(2):
        minute = _minute()
        answers = [
            call((a if i % 2 else b).base, "GET", "/api/statistics", token=token).status
            for i in range(RATE)
        ]
        over_a = call(a.base, "GET", "/api/statistics", token=token)
        over_b = call(b.base, "GET", "/api/statistics", token=token)
        if _minute() == minute:
            break
        assert attempt == 0, "the minute turned twice during the test"
        _next_minute()
    assert answers == [200] * RATE  # half on each server, none refused
    assert over_a.status == 429 and "Retry-After" in over_a.headers
    assert over_b.status == 429 and "Retry-After" in over_b.headers


# --- Evidence files: shared storage --------------------------------------------------------------


def test_an_evidence_file_uploaded_to_one_server_downloads_from_the_other(
    cluster: tuple[Cluster, dict[str, Any]],
) -> None:
    a, b, world = _hosts(cluster)
    token = world["tokens"]["page"]
    claim = {
        "source": world["sources"]["family"],
        "person": world["members"][1]["handle"],
        "kind": "status",
        "status": "sentenced",
        "event_date": "2024-03-01",
        "evidence_text": "The family's account.",
    }
    recorded = call(a.base, "POST", "/api/claims", token=token, payload=claim)
    assert recorded.status == 201, recorded.text
    content = f"Letter from the family, {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M:%S}.\n".encode()
    body, content_type = multipart(
        {"claim": str(recorded.json()["id"])}, {"file": ("letter.txt", content)}
    )
    uploaded = call(
        a.base,
        "POST",
        "/api/attachments",
        token=token,
        body=body,
        headers={"Content-Type": content_type},
    )
    assert uploaded.status == 201, uploaded.text
    got = call(b.base, "GET", f"/api/attachments/{uploaded.json()['id']}/download", token=token)
    assert got.status == 200, got.text
    assert got.body == content
