"""Identities sealed at rest (issue 17, point 1): what it costs to build the matching
index from 100,000 people, to write a claim, and to show a person page, before and after,
side by side.

    .venv/bin/python bench/identities.py compare --before REV [--people 100000] [--rounds 3]

For each code tree (``REV``'s ``src``, exported to /tmp, and this tree's) a scratch data
directory and SQLite database are made and migrated, and filled the same way: ``--people``
people through ``registry.services.people_create_bulk`` (what a list import uses) from
the demo's seeded name generator, and a small world (``tests.support.build_world``) whose
first person gets the claims. Then, in alternating processes (``--rounds`` each, so both
trees meet the same load), each process:

- builds the candidate index from the database once (what a server does at start, with no
  saved index: every identity read, and opened where sealed);
- writes ``--writes`` status claims through ``evidence.services.claim_record``;
- asks for that person's staff page (``/staff/people/<handle>/``) ``--requests`` times as
  an administrator, warm, through Django's test client in process;
- asks for the People list sorted by name four times (the first request of a process
  opens every identity listed; the next find them opened);
- searches 40 times by name (20 people's given name and surname, and the first four
  letters of their surname, as typed), through ``registry.search.person_search``.

Medians and their ratio are printed with ``uptime``. SQLite only (``DATABASE_URL`` is
ignored); the master key is a file in the scratch folder, beside (not in) the data
directory.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import sys
import time
from pathlib import Path

from _sidebyside import REPO, uptime
from _sidebyside import run as run_tree
from _sidebyside import trees as trees_of

ADMIN = "bench-admin"


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "detente.settings")
    os.environ["DETENTE_MASTER_KEY_FILE"] = str(Path(os.environ["DETENTE_DATA_DIR"]).parent / "mk")
    sys.path.insert(0, str(REPO))  # tests.support, from this tree (the same in both)
    import django

    django.setup()


def build(people: int) -> None:
    _setup()
    from django.core.management import call_command
    from django.db import transaction
    from tests.support import build_world, make_user

    from detente.access.policy import Role
    from detente.demo.names import PersonGenerator
    from detente.registry.services import PersonFields, people_create_bulk

    call_command("migrate", verbosity=0)
    admin = make_user(ADMIN, Role.ADMINISTRATOR)
    world = build_world(admin, members=1, slug="identities")
    names = ("given_names", "paternal_surname", "maternal_surname", "aliases", "birth_date")
    rows = [
        PersonFields(
            **{n: getattr(p, n) for n in names},
            birth_precision=p.birth_precision,
            sex=p.sex,
            province=p.province,
            municipality=p.municipality,
        )
        for p in PersonGenerator(7).people(people)
    ]
    with transaction.atomic():
        people_create_bulk(actor=admin, people=rows)
    (Path(os.environ["DETENTE_DATA_DIR"]) / "handle").write_text(world.people[0].handle)


def measure(writes: int, requests: int) -> None:
    _setup()
    from django.contrib.auth.models import User
    from django.test import Client

    from detente.demo.names import PersonGenerator
    from detente.evidence.models import Source
    from detente.evidence.services import claim_record
    from detente.matching.registry import _RegistryIndex
    from detente.registry.models import Person
    from detente.registry.search import person_search

    t0 = time.perf_counter()
    index = _RegistryIndex()._build()  # what a server does at start, no saved index
    build_s = time.perf_counter() - t0
    handle = (Path(os.environ["DETENTE_DATA_DIR"]) / "handle").read_text().strip()
    admin = User.objects.get(username=ADMIN)
    person = Person.objects.get(handle=handle)
    source = Source.objects.order_by("pk").first()
    assert source is not None
    write_ms = []
    for i in range(writes + 3):
        t0 = time.perf_counter()
        claim_record(
            actor=admin,
            source=source,
            person=person,
            status="detained",
            event_date=dt.date(2024, 1, 1) + dt.timedelta(days=i % 300),
        )
        if i >= 3:  # warm
            write_ms.append((time.perf_counter() - t0) * 1000)
    client = Client(SERVER_NAME="localhost")
    client.force_login(admin)
    url = f"/staff/people/{handle}/"
    for _ in range(5):
        assert client.get(url).status_code == 200
    page_ms = []
    for _ in range(requests):
        t0 = time.perf_counter()
        response = client.get(url)
        page_ms.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200
    # The People list sorted by name: the first request of a process opens every listed
    # identity (before: ordered in SQL), the next ones find them opened.
    list_ms = []
    for _ in range(4):
        t0 = time.perf_counter()
        response = client.get("/staff/people/?sort=name")
        list_ms.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200
    # The staff search, as typed: full names, and a surname being typed.
    search_ms = []
    for p in PersonGenerator(7).people(40)[20:]:
        for text in (f"{p.given_names} {p.paternal_surname}", p.paternal_surname[:4]):
            t0 = time.perf_counter()
            person_search(admin, text)
            search_ms.append((time.perf_counter() - t0) * 1000)
    print(
        json.dumps(
            {
                "build": [build_s * 1000],
                "write": write_ms,
                "page": page_ms,
                "list_first": list_ms[:1],
                "list_warm": list_ms[1:],
                "search": search_ms,
                "size": len(index),
            }
        )
    )


def compare(rev: str, people: int, writes: int, requests: int, rounds: int) -> None:
    scratch, trees = trees_of(rev, "detente-bench-identities-")
    print(f"# {people} people; {uptime()}")

    def run(tree: Path, data: Path, *args: str) -> str:
        return run_tree(__file__, tree, data, *args)

    for i, tree in enumerate(trees.values()):
        run(tree, scratch / f"data{i}" / "var", "build", "--people", str(people))
    print(f"# built; {uptime()}")
    keys = ("build", "write", "page", "list_first", "list_warm", "search")
    got: dict[str, dict[str, list[float]]] = {k: {key: [] for key in keys} for k in trees}
    for _ in range(rounds):
        for i, (label, tree) in enumerate(trees.items()):
            out = run(
                tree,
                scratch / f"data{i}" / "var",
                "measure",
                "--writes",
                str(writes // rounds),
                "--requests",
                str(requests // rounds),
            )
            result = json.loads(out.strip().splitlines()[-1])
            assert result["size"] >= people, result["size"]
            for key in keys:
                got[label][key] += result[key]
    for key, what in (
        ("build", f"index built, {people:,} people"),
        ("write", "claim written (claim_record)"),
        ("page", "person page, admin"),
        ("list_first", "People by name, 1st request"),
        ("list_warm", "People by name, next ones"),
        ("search", "staff search (40 queries)"),
    ):
        old, new = (statistics.median(got[label][key]) for label in trees)
        n = len(got["now"][key])
        print(
            f"{what:<30} before {old:9.2f} ms  now {new:9.2f} ms  now/before {new / old:.2f}"
            f"  (medians, n={n} each)"
        )
    print(f"# end; {uptime()}")
    shutil.rmtree(scratch)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="action", required=True)
    b = sub.add_parser("build")
    b.add_argument("--people", type=int, default=100_000)
    m = sub.add_parser("measure")
    m.add_argument("--writes", type=int, default=50)
    m.add_argument("--requests", type=int, default=50)
    c = sub.add_parser("compare")
    c.add_argument("--before", required=True)
    c.add_argument("--people", type=int, default=100_000)
    c.add_argument("--writes", type=int, default=150)
    c.add_argument("--requests", type=int, default=150)
    c.add_argument("--rounds", type=int, default=3)
    opts = parser.parse_args()
    if opts.action == "build":
        build(opts.people)
    elif opts.action == "measure":
        measure(opts.writes, opts.requests)
    else:
        compare(opts.before, opts.people, opts.writes, opts.requests, opts.rounds)


if __name__ == "__main__":
    main()
