"""Web benchmarks at the issue's scale: 100,000 persons and 1,000,000 claims.

    .venv/bin/python bench/web.py build   # generate the data set (once; a few minutes)
    .venv/bin/python bench/web.py pages   # p95 of the staff search and agreement pages
    .venv/bin/python bench/web.py load    # 100 clients for 60 s: page vs static file

Uses ``DETENTE_DATA_DIR`` (default ``/tmp/detente-bench-web``) and its SQLite database
unless ``DATABASE_URL`` is set. ``load`` starts the production server (``detente serve``,
gunicorn with its normal worker count) and drives it with wrk (Debian's ``wrk`` package;
``apt-get install wrk``), which sends the same request from many connections, so a page and
a static file of the same size are compared in one run on the same server.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime as dt
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

# A scratch directory of the benchmark's own, deleted and rebuilt by `build`.
DATA_DIR = Path(os.environ.setdefault("DETENTE_DATA_DIR", "/tmp/detente-bench-web"))  # noqa: S108
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "detente.settings")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

AGREEMENT = "big"
MEMBERS = 10_000
PORT = 8765


def _setup() -> None:
    import django

    django.setup()


def build(persons: int, claims: int, seed: int) -> None:
    """Bulk-load the data set straight into the tables (services would take hours), then
    rebuild every derived cache through the project's own code."""
    if DATA_DIR.exists():
        shutil.rmtree(DATA_DIR)
    _setup()
    from django.core.management import call_command
    from django.db import transaction

    call_command("migrate", verbosity=0)
    from detente.access.models import Disclosure  # noqa: F401 - the app is loaded
    from detente.access.policy import cli_actor
    from detente.agreements.derivation import rebuild_agreement
    from detente.agreements.models import Agreement, Membership, Party
    from detente.demo.names import PersonGenerator
    from detente.evidence.models import Claim, ClaimKind, Source
    from detente.registry.models import CustodyEpisode, Identity, Person
    from detente.registry.status import CustodyStatus

    rng = random.Random(seed)
    actor = cli_actor()
    t0 = time.perf_counter()
    generator = PersonGenerator(seed)
    with transaction.atomic():
        gov = Party.objects.create(slug="gov", name="Gov", independence_group="gov")
        other = Party.objects.create(slug="other", name="Other", independence_group="other")
        agreement = Agreement.objects.create(
            slug=AGREEMENT,
            title="Benchmark agreement",
            promisor=gov,
            promisee=other,
            announced_on=dt.date(2020, 1, 1),
            promised_count=MEMBERS + 500,
            audience="public",
        )
        groups = ["gov", "gov", "other", "ngo", "family", "press"]
        sources = [
            Source.objects.create(
                slug=f"s{i}",
                name=f"Source {i}",
                kind="ngo",
                reliability="ABCDEF"[i % 6],
                independence_group=g,
            )
            for i, g in enumerate(groups * 4)
        ]
        people = Person.objects.bulk_create(
            [Person(handle=f"P-{i:06d}") for i in range(1, persons + 1)], batch_size=5000
        )
        identities = []
        for p, s in zip(people, generator.people(persons), strict=True):
            identities.append(
                Identity(
                    person=p,
                    given_names=s.given_names,
                    paternal_surname=s.paternal_surname,
                    maternal_surname=s.maternal_surname,
                    aliases=list(s.aliases),
                    birth_date=s.birth_date,
                    birth_precision=s.birth_precision,
                    sex=s.sex,
                    province=s.province,
                    municipality=s.municipality,
                )
            )
        Identity.objects.bulk_create(identities, batch_size=5000)
        CustodyEpisode.objects.bulk_create(
            [
                CustodyEpisode(
                    person=p,
                    status=CustodyStatus.SENTENCED,
                    start_date=dt.date(2015, 1, 1) + dt.timedelta(days=rng.randint(0, 1500)),
                )
                for p in people
            ],
            batch_size=5000,
        )
        Membership.objects.bulk_create(
            [
                Membership(agreement=agreement, person=p, named_on=dt.date(2020, 1, 2))
                for p in people[:MEMBERS]
            ],
            batch_size=5000,
        )
        statuses = [s.value for s in CustodyStatus]
        base = dt.datetime(2020, 1, 5, 12, tzinfo=dt.UTC)
        per_person = claims // persons
        batch: list[Claim] = []
        for i, p in enumerate(people):
            member = i < MEMBERS
            for _ in range(per_person):
                day = rng.randint(0, 300)
                batch.append(
                    Claim(
                        source=rng.choice(sources),
                        kind=ClaimKind.STATUS,
                        person=p,
                        agreement=agreement if member and rng.random() < 0.5 else None,
                        status=rng.choice(statuses),
                        event_date=(base + dt.timedelta(days=day)).date(),
                        received_at=base + dt.timedelta(days=day + rng.randint(0, 5)),
                        credibility=3,
                        recorded_by=actor,
                    )
                )
            if len(batch) >= 50_000:
                Claim.objects.bulk_create(batch, batch_size=5000)
                batch = []
        Claim.objects.bulk_create(batch, batch_size=5000)
    loaded = time.perf_counter() - t0
    t0 = time.perf_counter()
    rebuild_agreement(agreement)
    rebuild = time.perf_counter() - t0
    t0 = time.perf_counter()
    indexed = _rebuild_search()
    print(
        f"built {Person.objects.count()} persons, {Claim.objects.count()} claims, "
        f"{MEMBERS} members in {loaded:.0f} s; member states {rebuild:.1f} s; "
        f"search index {indexed} ({time.perf_counter() - t0:.1f} s)"
    )


def _rebuild_search() -> str:
    """Fill the person-search index for rows loaded without the services."""
    from detente.registry import search

    return f"{search.rebuild()} rows"


def _percentiles(times: list[float]) -> str:
    times = sorted(times)
    p95 = times[min(len(times) - 1, round(0.95 * len(times)) - 1)]
    return (
        f"median {statistics.median(times):6.1f} ms  p95 {p95:6.1f} ms  "
        f"max {times[-1]:6.1f} ms  (n={len(times)})"
    )


def _queries(n: int, seed: int) -> list[str]:
    """Names as a case officer would type them: accents dropped, a surname missing,
    surnames swapped, a nickname, or the handle."""
    from detente.registry.models import Identity

    rng = random.Random(seed)
    count = Identity.objects.count()
    picks = sorted(rng.sample(range(count), n))
    rows = [
        (i.given_names, i.paternal_surname, i.maternal_surname, i.person.handle)
        for i in Identity.objects.order_by("pk").select_related("person")
    ]
    nick = {"José": "Pepe", "Francisco": "Paco", "Ignacio": "Nacho", "Dolores": "Lola"}
    out = []
    for k, i in enumerate(picks):
        given, pat, mat, handle = rows[i]
        first = given.split()[0]
        plain = str.maketrans("áéíóúÁÉÍÓÚñÑ", "aeiouAEIOUnN")
        variant = k % 5
        if variant == 0:
            out.append(f"{given} {pat} {mat}".translate(plain).lower())
        elif variant == 1:
            out.append(f"{first} {pat}")
        elif variant == 2:
            out.append(f"{mat or pat} {pat} {first}")
        elif variant == 3:
            out.append(f"{nick.get(first, first)} {pat}")
        else:
            out.append(handle)
    return out


def pages(requests: int, seed: int) -> None:
    """Latency of single pages through the whole Django stack (test client, in process)."""
    _setup()
    from django.test import Client
    from django.test.utils import setup_test_environment

    setup_test_environment()
    from django.contrib.auth.models import User
    from tests.support import make_user

    user = User.objects.filter(username="bench-verifier").first() or make_user(
        "bench-verifier", "verifier"
    )
    client = Client()
    client.force_login(user)
    anonymous = Client()

    def timed(c: Client, url: str, body: dict[str, str] | None = None) -> float:
        t0 = time.perf_counter()
        response = c.get(url) if body is None else c.post(url, body)
        elapsed = (time.perf_counter() - t0) * 1000
        assert response.status_code == 200, (url, response.status_code)
        return elapsed

    queries = _queries(requests, seed)
    # The search takes the name in a POST body (never in the address).
    timed(client, "/staff/people/", {"q": "warm"})  # warm up imports, templates, connections
    search = [timed(client, "/staff/people/", {"q": q}) for q in queries]
    print(f"staff person search          {_percentiles(search)}")
    staff_page = [timed(client, f"/staff/agreements/{AGREEMENT}/") for _ in range(30)]
    print(f"staff agreement page         {_percentiles(staff_page)}")
    from detente.web import pages as shared

    public_cold = []
    for _ in range(5):
        shared.forget()  # no kept copy: the page is made (request mode, as in tests)
        public_cold.append(timed(anonymous, f"/agreements/{AGREEMENT}/"))
    print(f"public agreement page, cold  {_percentiles(public_cold)}")
    public_warm = [timed(anonymous, f"/agreements/{AGREEMENT}/") for _ in range(30)]
    print(f"public agreement page, warm  {_percentiles(public_warm)}")


def _wrk(url: str, seconds: int, clients: int) -> dict[str, Any]:
    out = subprocess.run(  # noqa: S603 - fixed arguments
        # A 30 s timeout (gunicorn's own): a slow answer is reported as latency, and only a
        # refused, dropped or failed request counts as an error.
        ["wrk", "-t2", f"-c{clients}", f"-d{seconds}s", "--timeout", "30s", "--latency", url],  # noqa: S607
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    errors = 0
    if m := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out):
        errors += sum(int(x) for x in m.groups())
    if m := re.search(r"Non-2xx or 3xx responses: (\d+)", out):
        errors += int(m.group(1))
    p50 = re.search(r"50%\s+(\S+)", out)
    p99 = re.search(r"99%\s+(\S+)", out)
    return {
        "rps": rps,
        "requests": total,
        "errors": errors,
        "p50": p50.group(1) if p50 else "?",
        "p99": p99.group(1) if p99 else "?",
    }


def _change() -> None:
    """A change through the services (a new party): the ledger's head moves, so every
    public copy is stale and the worker makes them again."""
    from detente.access.policy import cli_actor
    from detente.agreements.services import party_create

    party_create(
        actor=cli_actor(),
        slug=f"bench-{time.time_ns()}",
        name="Bench change",
        independence_group="bench",
    )


def load(seconds: int, clients: int) -> None:
    """The page against its static twin under ``clients`` connections, as production serves
    it (``detente serve --worker``: the worker makes the shared copies); then the page again
    while the data changes, to show no visitor waits for the 10,000-name page to be made."""
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: apt-get install wrk")
    env = {
        **os.environ,
        "DETENTE_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DETENTE_PUBLIC_PAGES": "background",
    }
    detente = str(Path(sys.executable).with_name("detente"))
    _setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from detente.web import pages as shared

    # The copies as the worker makes them (both languages), before the server starts.
    t0 = time.perf_counter()
    shared.forget()
    shared.refresh()
    print(f"worker made every standing page in {time.perf_counter() - t0:.1f} s")
    from detente.web.models import RenderedPage

    copy = RenderedPage.objects.get(path=f"/agreements/{AGREEMENT}/", language="en")
    # The static twin: the page's own bytes, collected as a static file and served by the
    # same server (whitenoise), so the only difference measured is the work per request.
    # Written into the collected static root, which `serve` fills without clearing and
    # whitenoise reads when the workers start.
    twin = DATA_DIR / "static" / "bench"
    twin.mkdir(parents=True, exist_ok=True)
    (twin / "page.html").write_bytes(bytes(copy.content))
    server = subprocess.Popen(  # noqa: S603
        [detente, "serve", "--worker", "--host", "127.0.0.1", "--port", str(PORT)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        base = f"http://127.0.0.1:{PORT}"
        for _ in range(120):
            try:
                urllib.request.urlopen(base + "/methods/", timeout=2)  # noqa: S310
                break
            except OSError:
                time.sleep(0.5)
        # A starting worker makes every standing page again (new code may make them
        # differently): wait for that round, which would otherwise share the CPU with the
        # first measurement.
        standing = len(shared.standing_paths()) * 2
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            made = RenderedPage.objects.filter(rendered_at__gt=copy.rendered_at).count()
            if made >= standing:
                break
            time.sleep(1)
        copy = RenderedPage.objects.get(path=f"/agreements/{AGREEMENT}/", language="en")
        print(f"the worker's first round made {made} of {standing} standing pages")
        static_url = base + "/static/bench/page.html"
        page_url = f"{base}/agreements/{AGREEMENT}/"
        with urllib.request.urlopen(static_url) as r:  # noqa: S310
            static_size = len(r.read())
        print(f"page {len(copy.content)} bytes; static twin {static_size} bytes")
        # Each process reads the shared copy's bytes once; warm them before measuring.
        with concurrent.futures.ThreadPoolExecutor(12) as pool:
            list(pool.map(lambda _: urllib.request.urlopen(page_url).read(), range(24)))  # noqa: S310
        # Alternated, so that whatever drifts during the run (the machine is shared) falls
        # on both alike: page, static, page, static, each ``seconds`` / 2.
        rates: dict[str, list[float]] = {"page": [], "static": []}
        for label, url in (("page", page_url), ("static", static_url)) * 2:
            r = _wrk(url, max(seconds // 2, 1), clients)
            rates[label].append(r["rps"])
            print(
                f"{label:8s} {r['rps']:8.1f} req/s  {r['requests']} requests  "
                f"errors {r['errors']}  p50 {r['p50']}  p99 {r['p99']}"
            )
        ratio = sum(rates["page"]) / sum(rates["static"])
        print(f"ratio page / static (both rounds) {ratio:.2f}")
        # The same page while the data changes: a change a few seconds in makes every copy
        # stale; visitors keep getting the copy made before it until the worker has the new.
        timer = threading.Timer(5, _change)
        timer.start()
        r = _wrk(page_url, seconds, clients)
        timer.join()
        fresh = RenderedPage.objects.get(path=f"/agreements/{AGREEMENT}/", language="en")
        print(
            f"{'page, changed at 5 s':24s} {r['rps']:8.1f} req/s  {r['requests']} requests  "
            f"errors {r['errors']} (non-2xx included)  p50 {r['p50']}  p99 {r['p99']}; "
            f"copy made again {fresh.rendered_at > copy.rendered_at} "
            f"(in {fresh.render_seconds:.1f} s, by the worker)"
        )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="what", required=True)
    b = sub.add_parser("build")
    b.add_argument("--persons", type=int, default=100_000)
    b.add_argument("--claims", type=int, default=1_000_000)
    b.add_argument("--seed", type=int, default=11)
    p = sub.add_parser("pages")
    p.add_argument("--requests", type=int, default=200)
    p.add_argument("--seed", type=int, default=5)
    lo = sub.add_parser("load")
    lo.add_argument("--seconds", type=int, default=60)
    lo.add_argument("--clients", type=int, default=100)
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    if args.what == "build":
        build(args.persons, args.claims, args.seed)
    elif args.what == "pages":
        pages(args.requests, args.seed)
    else:
        load(args.seconds, args.clients)


if __name__ == "__main__":
    main()
