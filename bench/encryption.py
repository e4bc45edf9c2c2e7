"""Notes sealed at rest (issue 17, point 1): what it costs to write a note and to show a
person page full of notes, before and after, side by side.

    .venv/bin/python bench/encryption.py compare --before REV [--notes 100] [--rounds 4]

For each code tree (``REV``'s ``src``, exported to /tmp, and this tree's) a scratch data
directory and SQLite database are made and migrated, with one person through the services
as staff would make them: ``--notes`` notes (every fourth edited three times, so four
versions; every tenth for verifiers and administrators only) on a small world
(``tests.support.build_world``). Then, in alternating processes (``--rounds`` each, so
both trees meet the same load), each process times ``--writes`` notes written through
``casework.services.note_add`` and ``--requests`` requests of that person's staff page
(``/staff/people/<handle>/``, which shows the notes) as an administrator, warm, through
Django's test client in process. Medians and their ratio are printed with ``uptime``.

SQLite only, in a scratch folder under /tmp (``DATABASE_URL`` is ignored); the new
tree's master key is a file in that folder, beside (not in) its data directory.
"""

from __future__ import annotations

import argparse
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


def build(notes: int) -> None:
    _setup()
    from django.core.management import call_command
    from tests.support import build_world, make_user

    from detente.access.policy import Role
    from detente.casework import services

    call_command("migrate", verbosity=0)
    admin = make_user(ADMIN, Role.ADMINISTRATOR)
    world = build_world(admin, members=1, slug="casework")
    person = world.people[0]
    for i in range(notes):
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
                    body=f"<p>Met the lawyer (meeting {i}, corrected {v + 1}).</p>",
                )
    (Path(os.environ["DETENTE_DATA_DIR"]) / "handle").write_text(person.handle)


def measure(writes: int, requests: int) -> None:
    _setup()
    from django.contrib.auth.models import User
    from django.test import Client

    from detente.agreements.models import Agreement
    from detente.casework import services

    handle = (Path(os.environ["DETENTE_DATA_DIR"]) / "handle").read_text().strip()
    admin = User.objects.get(username=ADMIN)
    agreement = Agreement.objects.order_by("pk").first()  # written there: the page stays
    write_ms = []
    for i in range(writes + 3):
        t0 = time.perf_counter()
        services.note_add(actor=admin, agreement=agreement, body=f"<p>Written {i}: a visit.</p>")
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
    assert b"Met the lawyer" in response.content  # the notes are on the page, readable
    print(json.dumps({"write": write_ms, "page": page_ms}))


def compare(rev: str, notes: int, writes: int, requests: int, rounds: int) -> None:
    scratch, trees = trees_of(rev, "detente-bench-encryption-")
    print(f"# {notes} notes on the page; {uptime()}")

    def run(tree: Path, data: Path, *args: str) -> str:
        return run_tree(__file__, tree, data, *args)

    for i, tree in enumerate(trees.values()):
        run(tree, scratch / f"data{i}" / "var", "build", "--notes", str(notes))
    got: dict[str, dict[str, list[float]]] = {k: {"write": [], "page": []} for k in trees}
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
            for key in ("write", "page"):
                got[label][key] += result[key]
    for key, what in (("write", "note written (note_add)"), ("page", "person page, admin")):
        old, new = (statistics.median(got[label][key]) for label in trees)
        n = len(got["now"][key])
        print(
            f"{what:<26} before {old:7.2f} ms  now {new:7.2f} ms  now/before {new / old:.2f}"
            f"  (medians, n={n} each)"
        )
    print(f"# end; {uptime()}")
    shutil.rmtree(scratch)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="action", required=True)
    b = sub.add_parser("build")
    b.add_argument("--notes", type=int, default=100)
    m = sub.add_parser("measure")
    m.add_argument("--writes", type=int, default=50)
    m.add_argument("--requests", type=int, default=50)
    c = sub.add_parser("compare")
    c.add_argument("--before", required=True)
    c.add_argument("--notes", type=int, default=100)
    c.add_argument("--writes", type=int, default=200)
    c.add_argument("--requests", type=int, default=200)
    c.add_argument("--rounds", type=int, default=4)
    opts = parser.parse_args()
    if opts.action == "build":
        build(opts.notes)
    elif opts.action == "measure":
        measure(opts.writes, opts.requests)
    else:
        compare(opts.before, opts.notes, opts.writes, opts.requests, opts.rounds)


if __name__ == "__main__":
    main()
