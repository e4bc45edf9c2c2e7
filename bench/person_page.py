"""The staff person page with casework, at 100,000 people (issue 16).

    .venv/bin/python bench/person_page.py build     # 100,000 people, then the one person
    .venv/bin/python bench/person_page.py pages [--compare]   # p50/p95/p99, SQL queries

``build`` makes the background with ``bench/web.py``'s builder (100,000 synthetic people
from the demo generator, ``--claims`` status claims spread over them, one 10,000-member
agreement), which bulk-inserts rows because the services would take hours, then rebuilds
the derived tables through the project's code. Then one person is made entirely through the
services, as staff would make them: named on two agreements, 200 status claims from six
sources of several grades (statuses changing over three years, some about each agreement,
a few corrected), 50 cases raised, 100 notes (every fourth edited three times: four
versions; every tenth for verifiers and administrators only), 20 small files attached to
claims (PDFs and text) and 10 open tasks.

``pages`` asks for that person's staff page (``/staff/people/<handle>/``) through Django's
test client, in process, so middleware, the view, the ledger entry it writes and the
templates are all measured (not the test runner's template instrumentation), warm (a few
requests first), ``--requests`` times each as an administrator and as an analyst; the SQL
queries of one more request of each are counted (``CaptureQueriesContext``). ``--compare``
adds the page as it was before its claims' files were read in one query, alternating with
the page as it is, and checks that both are the same page.

Uses ``DETENTE_DATA_DIR`` (default ``/tmp/detente-bench-person``) and its SQLite database
unless ``DATABASE_URL`` names a scratch database.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

DATA = os.environ.setdefault("DETENTE_DATA_DIR", "/tmp/detente-bench-person")  # noqa: S108
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "detente.settings")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SLUG = "casework"  # the second agreement, made by tests.support.build_world
ADMIN = "bench-admin"
ANALYST = "bench-analyst"
CLAIMS = 200
INTERVENTIONS = 50
NOTES = 100
ATTACHMENTS = 20
TASKS = 10


def _focus() -> None:
    """The one person with a full file, through the services."""
    from django.utils import timezone
    from tests.support import build_world, make_user

    from detente.access.policy import Role
    from detente.agreements.models import Agreement
    from detente.agreements.services import agreement_add_members
    from detente.casework import services
    from detente.evidence.models import Credibility
    from detente.evidence.services import claim_record
    from detente.registry.status import CustodyStatus

    admin = make_user(ADMIN, Role.ADMINISTRATOR)
    analyst = make_user(ANALYST, Role.ANALYST)
    t0 = time.perf_counter()
    world = build_world(admin, members=1, slug=SLUG)
    person = world.people[0]
    big = Agreement.objects.get(slug="big")
    agreement_add_members(actor=admin, agreement=big, people=[person], named_on=dt.date(2020, 1, 2))
    sources = list(world.sources.values())
    # Statuses over time: held, tried, sentenced, moved home, on parole, released.
    story = [
        CustodyStatus.DETAINED,
        CustodyStatus.AWAITING_TRIAL,
        CustodyStatus.SENTENCED,
        CustodyStatus.HOUSE_ARREST,
        CustodyStatus.PAROLE,
        CustodyStatus.UNCONDITIONAL_RELEASE,
    ]
    start = dt.date(2020, 2, 1)
    claims = []
    for i in range(CLAIMS):
        day = start + dt.timedelta(days=5 * i)
        about = (world.agreement, big, None)[i % 3]
        # Every 40th supersedes its source's claim before (a correction).
        corrected = claims[i - len(sources)] if i % 40 == 39 else None
        claims.append(
            claim_record(
                actor=admin,
                source=sources[i % len(sources)],
                person=person,
                agreement=about,
                status=story[min(i * len(story) // CLAIMS, len(story) - 1)],
                event_date=day,
                received_at=dt.datetime.combine(
                    day + dt.timedelta(days=1 + i % 4), dt.time(12), tzinfo=dt.UTC
                ),
                credibility=Credibility.values[i % len(Credibility.values)],
                evidence_text=f"Report {i} of the source's monitoring.",
                corrects=corrected,
            )
        )
    t_claims = time.perf_counter() - t0
    channels = ["meeting", "letter", "call", "email", "other"]
    parties = [world.releasing, world.counterpart]
    for i in range(INTERVENTIONS):
        services.intervention_raise(
            actor=admin,
            person=person,
            party=parties[i % 2],
            official=["Consul", "Deputy minister", "Prosecutor"][i % 3],
            channel=channels[i % len(channels)],
            occurred_on=dt.date(2021, 1, 4) + dt.timedelta(days=7 * i),
            asked=f"A prison visit for the family, and the medical file (request {i}).",
            answer="Promised an answer within a month." if i % 2 else "",
            next_step="Write again in two weeks." if i % 3 else "",
        )
    for i in range(NOTES):
        note = services.note_add(
            actor=admin,
            person=person,
            body=f"<p>Met the lawyer (meeting {i}).</p><ul><li><strong>Health</strong>: "
            "stable</li><li>Visits: monthly</li></ul>",
            visibility="verifiers" if i % 10 == 9 else "staff",
        )
        if i % 4 == 0:
            for v in range(3):
                note = services.note_edit(
                    actor=admin,
                    note=note,
                    body=f"<p>Met the lawyer (meeting {i}, corrected {v + 1}).</p>"
                    "<blockquote>The family asks for a visit.</blockquote>",
                )
    for i in range(ATTACHMENTS):
        if i % 2:
            body = f"Letter {i} from the family, typed out.\n".encode() * 20
            name = f"letter-{i}.txt"
        else:
            body = b"%PDF-1.4\n" + os.urandom(2000) + b"\n%%EOF\n"
            name = f"ruling-{i}.pdf"
        services.attachment_add(
            actor=admin, chunks=[body], name=name, claim=claims[i * CLAIMS // ATTACHMENTS]
        )
    today = timezone.localdate()
    for i in range(TASKS):
        services.task_add(
            actor=admin,
            person=person,
            title=f"Chase the consul ({i})",
            due_on=today + dt.timedelta(days=i),
            assignee=analyst if i % 2 else admin,
        )
    print(
        f"{person.handle}: {CLAIMS} claims ({t_claims:.0f} s), {INTERVENTIONS} cases raised, "
        f"{NOTES} notes, {ATTACHMENTS} files, {TASKS} tasks; all in "
        f"{time.perf_counter() - t0:.0f} s, through the services"
    )
    (Path(DATA) / "person-page-handle").write_text(person.handle)


def build(persons: int, claims: int, seed: int) -> None:
    from bench import web

    assert str(web.DATA_DIR) == DATA
    web.build(persons, claims, seed)  # deletes and remakes the data directory
    _focus()


def _pct(times: list[float], q: float) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, round(q * len(ordered)) - 1)]


def _uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()  # noqa: S607


def pages(requests: int, compare: bool, before_requests: int) -> None:
    """``compare``: also the page as it was before the claims' files were read in one
    query (``claim_files`` withheld from the template, so the ``claim_attachments`` tag
    reads each claim's files itself, one query per claim), ``before_requests`` times (it
    is slow), in rounds alternating with the page as it is, so both meet the same load."""
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from detente.registry.models import Person
    from detente.staff import people

    handle = (Path(DATA) / "person-page-handle").read_text().strip()
    url = f"/staff/people/{handle}/"
    print(
        f"# {connection.vendor}, {Person.objects.count():,} people; {url}; "
        f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; {_uptime()}"
    )
    by_claim = people.attachments_by_claim
    variants = {"before": lambda *_: None, "now": by_claim} if compare else {"now": by_claim}
    for username in (ADMIN, ANALYST):
        # Not setup_test_environment(): its template instrumentation (a signal and a copy
        # of the context for every template rendered, 200 claims' file lists included) is
        # test-only work a server never does. "localhost" is an allowed host by default.
        client = Client(SERVER_NAME="localhost")
        client.force_login(User.objects.get(username=username))
        times: dict[str, list[float]] = {v: [] for v in variants}
        counts: dict[str, int] = {}
        sizes: dict[str, int] = {}
        shown: dict[str, bytes] = {}
        for variant, reader in variants.items():
            people.attachments_by_claim = reader  # type: ignore[assignment]
            for _ in range(5):  # warm: imports, templates, connections, caches
                response = client.get(url)
                assert response.status_code == 200, response.status_code
            with CaptureQueriesContext(connection) as queries:
                response = client.get(url)
            counts[variant] = len(queries.captured_queries)  # now: a request resets the log
            sizes[variant] = len(response.content)
            # The same page either way (but for the form tokens, new on every request).
            shown[variant] = re.sub(
                rb'name="csrfmiddlewaretoken" value="[^"]*"', b"", response.content
            )
        if compare:
            assert shown["before"] == shown["now"], "the page changed"
            print(
                f"{username:<14} the page is the same byte for byte before and now (tokens aside)"
            )
        wanted = {"now": requests, "before": before_requests}
        rounds = max(1, requests // 50)
        for r in range(rounds):
            for variant, reader in variants.items():
                people.attachments_by_claim = reader  # type: ignore[assignment]
                total = wanted[variant]
                n = total // rounds + (1 if r < total % rounds else 0)
                for _ in range(n):
                    t0 = time.perf_counter()
                    response = client.get(url)
                    times[variant].append((time.perf_counter() - t0) * 1000)
                    assert response.status_code == 200
        people.attachments_by_claim = by_claim  # type: ignore[assignment]
        for variant, ts in times.items():
            print(
                f"{username:<14} {variant:<7} p50 {statistics.median(ts):6.1f} ms  "
                f"p95 {_pct(ts, 0.95):6.1f} ms  p99 {_pct(ts, 0.99):6.1f} ms  "
                f"max {max(ts):6.1f} ms  (n={len(ts)})  "
                f"{counts[variant]} SQL queries  {sizes[variant]:,} bytes"
            )
        if compare:
            ratio = statistics.median(times["now"]) / statistics.median(times["before"])
            print(f"{username:<14} median now / before {ratio:.2f}")
    print(f"# end {dt.datetime.now(dt.UTC):%H:%M} UTC; {_uptime()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="what", required=True)
    b = sub.add_parser("build")
    b.add_argument("--persons", type=int, default=100_000, help="background people")
    b.add_argument("--claims", type=int, default=1_000_000, help="background status claims")
    b.add_argument("--seed", type=int, default=11)
    p = sub.add_parser("pages")
    p.add_argument("--requests", type=int, default=200)
    p.add_argument("--compare", action="store_true", help="also the page before the fix")
    p.add_argument("--before-requests", type=int, default=40, help="with --compare")
    args = parser.parse_args()
    if args.what == "build":
        build(args.persons, args.claims, args.seed)
    else:
        pages(args.requests, args.compare, args.before_requests)


if __name__ == "__main__":
    main()
