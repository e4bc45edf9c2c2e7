"""The registry's candidate index saved on disk (issue 17): what saving and loading it cost,
before and after it was sealed, side by side.

    .venv/bin/python bench/index_disk.py compare --before REV [--people 100000] [--rounds 3]

For each code tree (``REV``'s ``src``, exported to /tmp, and this tree's) a scratch data
directory and SQLite database are made and migrated (the sealed index's data key lives in
the database). Then, in alternating processes (``--rounds`` each, so both trees meet the
same load), each process builds an index of ``--people`` generated people
(``detente.demo.names.PersonGenerator``, the same in both) and times ``--repeat`` saves
(``CandidateIndex.save``), ``--repeat`` loads (``CandidateIndex.load``), and a load
followed by ``--queries`` candidate queries (``candidate_records``, records from memory):
the old tree maps its arrays lazily, the new one opens them whole, so the first queries
belong to the comparison. Medians and their ratio are printed with ``uptime``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import time
from pathlib import Path

from _sidebyside import run as run_tree
from _sidebyside import trees as trees_of
from _sidebyside import uptime


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "detente.settings")
    os.environ["DETENTE_MASTER_KEY_FILE"] = str(Path(os.environ["DETENTE_DATA_DIR"]).parent / "mk")
    import django

    django.setup()


def build() -> None:
    _setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def measure(people: int, repeat: int, queries: int) -> None:
    _setup()
    from detente.demo.names import PersonGenerator
    from detente.matching.index import CandidateIndex
    from detente.matching.model import LinkageModel
    from detente.matching.records import make_record

    records = [
        make_record(
            i,
            given=p.given_names,
            paternal=p.paternal_surname,
            maternal=p.maternal_surname,
            birth=p.birth_date.isoformat() if p.birth_precision == "day" else None,
            place=(p.municipality, p.province),
            sex=p.sex,
        )
        for i, p in enumerate(PersonGenerator(5).people(people))
    ]
    by_key = {r.key: r for r in records}

    def loader(keys):  # type: ignore[no-untyped-def]
        return [by_key[k] for k in keys]

    index = CandidateIndex(LinkageModel(), records)
    where = Path(os.environ["DETENTE_DATA_DIR"]) / "matching" / "index"
    meta = {"ledger_seq": 1, "ledger_hash": "x", "max_identity": people}
    index.save(where, meta)  # warm: the data key made, the file system's caches
    out: dict[str, list[float]] = {"save": [], "load": [], "first": [], "bytes": []}
    for _ in range(repeat):
        t0 = time.perf_counter()
        index.save(where, meta)
        out["save"].append((time.perf_counter() - t0) * 1000)
    out["bytes"] = [float(sum(f.stat().st_size for f in where.iterdir()))]
    picks = records[:: max(len(records) // queries, 1)][:queries]
    for _ in range(repeat):
        t0 = time.perf_counter()
        loaded = CandidateIndex.load(where, LinkageModel(), loader)
        out["load"].append((time.perf_counter() - t0) * 1000)
        for query in picks:
            loaded.candidate_records(query)
        out["first"].append((time.perf_counter() - t0) * 1000)
        del loaded
    print(json.dumps(out))


def compare(before: str, people: int, rounds: int, repeat: int, queries: int) -> None:
    scratch, trees = trees_of(before, "detente-index-bench-")
    print(f"# {people} people; {uptime()}")

    def run(tree: Path, data: Path, *args: str) -> str:
        return run_tree(__file__, tree, data, *args)

    for i, tree in enumerate(trees.values()):
        run(tree, scratch / f"data{i}" / "var", "build")
    got: dict[str, dict[str, list[float]]] = {
        k: {"save": [], "load": [], "first": [], "bytes": []} for k in trees
    }
    for _ in range(rounds):
        for i, (label, tree) in enumerate(trees.items()):
            out = run(
                tree,
                scratch / f"data{i}" / "var",
                "measure",
                "--people",
                str(people),
                "--repeat",
                str(repeat),
                "--queries",
                str(queries),
            )
            result = json.loads(out.strip().splitlines()[-1])
            for key in got[label]:
                got[label][key] += result[key]
    for key, what in (
        ("save", "save"),
        ("load", "load"),
        ("first", f"load + {queries} queries"),
    ):
        old, new = (statistics.median(got[label][key]) for label in trees)
        n = len(got["now"][key])
        print(
            f"{what:<20} before {old:8.1f} ms  now {new:8.1f} ms  now/before {new / old:.2f}"
            f"  (medians, n={n} each)"
        )
    old_size, new_size = (statistics.median(got[label]["bytes"]) for label in trees)
    print(f"{'on disk':<20} before {old_size / 1e6:8.1f} MB  now {new_size / 1e6:8.1f} MB")
    print(f"# end; {uptime()}")
    shutil.rmtree(scratch)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="action", required=True)
    sub.add_parser("build")
    m = sub.add_parser("measure")
    m.add_argument("--people", type=int, default=100_000)
    m.add_argument("--repeat", type=int, default=5)
    m.add_argument("--queries", type=int, default=100)
    c = sub.add_parser("compare")
    c.add_argument("--before", required=True)
    c.add_argument("--people", type=int, default=100_000)
    c.add_argument("--rounds", type=int, default=3)
    c.add_argument("--repeat", type=int, default=5)
    c.add_argument("--queries", type=int, default=100)
    opts = parser.parse_args()
    if opts.action == "build":
        build()
    elif opts.action == "measure":
        measure(opts.people, opts.repeat, opts.queries)
    else:
        compare(opts.before, opts.people, opts.rounds, opts.repeat, opts.queries)


if __name__ == "__main__":
    main()
