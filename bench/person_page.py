"""The staff person page with casework, at 100,000 people (issue 16).

    .venv/bin/python bench/person_page.py build     # 100,000 people, then the one person
    .venv/bin/python bench/person_page.py pages     # p50/p95/p99, SQL queries per page
    .venv/bin/python bench/person_page.py compare --before REV   # that code beside this

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
queries of one more request of each are counted (``CaptureQueriesContext``).

``compare --before REV`` does the same with this tree's code but the person page's Python
and templates (``PAGE_CODE``) as at ``REV`` (a copy of ``src`` in /tmp), and with this tree's, in
alternating processes on the same data, and checks that both show the same page (byte for
byte, the form tokens and the white space between tags aside; and byte for byte but for the
form tokens).

Uses ``DETENTE_DATA_DIR`` (default ``/tmp/detente-bench-person``) and its SQLite database
unless ``DATABASE_URL`` names a scratch database.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
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
    from django.db import connection

    if connection.vendor == "postgresql":
        # The planner's statistics, as a database in service has them (autovacuum may not
        # have come round yet after the bulk load).
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def _pct(times: list[float], q: float) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, round(q * len(ordered)) - 1)]


def _uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()  # noqa: S607


def _measure(requests: int) -> dict[str, dict[str, object]]:
    """The page ``requests`` times for each user, in this process, with this code."""
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    handle = (Path(DATA) / "person-page-handle").read_text().strip()
    url = f"/staff/people/{handle}/"
    out: dict[str, dict[str, object]] = {}
    for username in (ADMIN, ANALYST):
        # Not setup_test_environment(): its template instrumentation (a signal and a copy
        # of the context for every template rendered, 200 claims' file lists included) is
        # test-only work a server never does. "localhost" is an allowed host by default.
        client = Client(SERVER_NAME="localhost")
        client.force_login(User.objects.get(username=username))
        for _ in range(5):  # warm: imports, templates, connections, caches
            response = client.get(url)
            assert response.status_code == 200, response.status_code
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        count = len(queries.captured_queries)  # now: each request resets the log
        times = []
        for _ in range(requests):
            t0 = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 200
        # The page as shown, but for the form tokens (new on every request).
        shown = re.sub(rb'name="csrfmiddlewaretoken" value="[^"]*"', b"", response.content)
        exact = hashlib.sha256(shown).hexdigest()
        # And with the white space between tags as one space: a template written another
        # way (one include instead of a tag per claim) shows the same page.
        shown = re.sub(rb">\s+<", b"> <", re.sub(rb"\s+", b" ", shown))
        out[username] = {
            "times": times,
            "queries": count,
            "bytes": len(response.content),
            "sha256": hashlib.sha256(shown).hexdigest(),
            "exact": exact,
            "url": url,
            "vendor": connection.vendor,
        }
    return out


def _line(label: str, row: dict[str, object]) -> str:
    ts: list[float] = row["times"]  # type: ignore[assignment]
    return (
        f"{label:<22} p50 {statistics.median(ts):6.1f} ms  p95 {_pct(ts, 0.95):6.1f} ms  "
        f"p99 {_pct(ts, 0.99):6.1f} ms  max {max(ts):6.1f} ms  (n={len(ts)})  "
        f"{row['queries']} SQL queries  {row['bytes']:,} bytes"
    )


def pages(requests: int, raw: bool) -> None:
    measured = _measure(requests)
    if raw:  # for compare: one process per code tree
        print(json.dumps(measured))
        return
    first = next(iter(measured.values()))
    print(f"# {first['vendor']}; {first['url']}; {dt.datetime.now(dt.UTC):%H:%M} UTC; {_uptime()}")
    for username, row in measured.items():
        print(_line(username, row))


# The person page's Python and templates: what ``compare`` takes from the earlier revision.
# (Until 2026-12-07 17:30 UTC this also took ``casework/selectors.py``; the page's own code
# no longer changes there, and the selectors' models move on under them.)
PAGE_CODE = (
    "src/detente/staff/people.py",
    "src/detente/casework/templatetags/casework.py",
    "src/detente/staff/templates/staff/person_detail.html",
    "src/detente/casework/templates/casework/_attachments.html",
    "src/detente/casework/templates/casework/_section.html",
    "src/detente/casework/templates/casework/_interventions.html",
    "src/detente/casework/templates/casework/_notes.html",
    "src/detente/casework/templates/casework/_tasks.html",
)


def compare(rev: str, requests: int, before_requests: int, rounds: int) -> None:
    """The page with this tree's code but the person page's code and templates
    (``PAGE_CODE``) as at ``rev``, and with this tree's code, on the same data, in
    alternating processes (``rounds`` each), so both meet the same load; checks that both
    show the same page. Everything else is this tree's in both."""
    repo = Path(__file__).resolve().parents[1]

    def git(*args: str) -> str:
        return subprocess.run(  # noqa: S603 - git, fixed arguments
            ["git", "-C", str(repo), *args],  # noqa: S607
            capture_output=True,
            text=True,
            check=True,
        ).stdout

    sha = git("rev-parse", "--short", rev).strip()
    before = Path(tempfile.mkdtemp(prefix=f"detente-bench-before-{sha}-"))
    shutil.copytree(repo / "src", before / "src", ignore=shutil.ignore_patterns("__pycache__"))
    for path in PAGE_CODE:
        (before / path).write_text(git("show", f"{sha}:{path}"))
    print(f"# before: this tree with {', '.join(PAGE_CODE)} as at {sha}; {_uptime()}")
    trees = {f"before ({sha})": (before, before_requests), "now": (repo, requests)}
    got: dict[str, dict[str, dict[str, object]]] = {}
    for r in range(rounds):
        for label, (tree, total) in trees.items():
            n = total // rounds + (1 if r < total % rounds else 0)
            # PYTHONPATH comes before the venv's editable install of this tree.
            env = {**os.environ, "PYTHONPATH": f"{tree / 'src'}"}
            done = subprocess.run(  # noqa: S603
                [sys.executable, __file__, "pages", "--requests", str(n), "--raw"],
                env=env,
                capture_output=True,
                text=True,
                check=True,
            )
            result = json.loads(done.stdout.strip().splitlines()[-1])
            for username, row in result.items():
                kept = got.setdefault(label, {}).setdefault(username, {**row, "times": []})
                kept["times"] += row["times"]  # type: ignore[operator]
                assert kept["exact"] == row["exact"]
    for username in (ADMIN, ANALYST):
        rows = {label: got[label][username] for label in trees}
        same = len({row["sha256"] for row in rows.values()}) == 1
        exact = len({row["exact"] for row in rows.values()}) == 1
        for label, row in rows.items():
            print(_line(f"{username} {label.split()[0]}", row))
        old, new = (statistics.median(row["times"]) for row in rows.values())  # type: ignore[arg-type]
        old95, new95 = (_pct(row["times"], 0.95) for row in rows.values())  # type: ignore[arg-type]
        print(
            f"{username} now / before: median {new / old:.2f}, p95 {new95 / old95:.2f}; "
            f"the same page: {same} (byte for byte: {exact})"
        )
    print(f"# end {dt.datetime.now(dt.UTC):%H:%M} UTC; {_uptime()}")
    shutil.rmtree(before)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="what", required=True)
    b = sub.add_parser("build")
    b.add_argument("--persons", type=int, default=100_000, help="background people")
    b.add_argument("--claims", type=int, default=1_000_000, help="background status claims")
    b.add_argument("--seed", type=int, default=11)
    p = sub.add_parser("pages")
    p.add_argument("--requests", type=int, default=200)
    p.add_argument("--raw", action="store_true", help="the times as JSON (for compare)")
    c = sub.add_parser("compare")
    c.add_argument("--before", default="HEAD", help="the revision to compare with")
    c.add_argument("--requests", type=int, default=200)
    c.add_argument("--before-requests", type=int, default=40, help="(a slow page)")
    c.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args()
    if args.what == "build":
        build(args.persons, args.claims, args.seed)
    elif args.what == "pages":
        pages(args.requests, args.raw)
    else:
        compare(args.before, args.requests, args.before_requests, args.rounds)


if __name__ == "__main__":
    main()
