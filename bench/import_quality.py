"""The import as a user meets it: duplicates created, rows left to review, wrong links.

    .venv/bin/python -m bench.import_quality --generator hispanic --registry 100000 --list 20000
    .venv/bin/python -m bench.import_quality --generator independent --splink
    .venv/bin/python -m bench.import_quality --generator independent --own-list 10000

Runs the real ``detente import`` pipeline (``reconcile.importer.import_list``, default
thresholds, in this process, on a throw-away SQLite database unless ``DATABASE_URL`` names a
scratch one) on a generated registry and list, then scores every row against the
generator's truth:

* **duplicates created**: rows whose person *was* in the registry but became a new person,
  as a share of the rows that name a registry person (the figure that splits a prisoner's
  claims in two);
* **queued**: rows left to a reviewer, as a share of all rows;
* **wrong auto-links**: automatic links to the wrong person (or to anyone, for a person the
  registry lacks), as a share of automatic links;
* **candidate recall of queued rows**: queued rows naming a registry person whose person is
  among the candidates shown to the reviewer;
* **F1 with a perfect reviewer**: automatic links plus, for each queued row, the right
  candidate when it is shown (else a new person), scored as (row, registry person) pairs;
* the stored best candidate per row swept over thresholds, one-to-one (best F1);
* with ``--splink``: Splink 5 on the same rows (as the import parsed them), trained as in
  ``bench/matching/bench_hispanic.py``, its pairs made one-to-one the same way (best first,
  each row and each registry person used once) and swept the same way, timed in this run.

``--own-list N``: an organisation's own list of N rows loaded into an empty registry
(``--mode own``): rows queued, people split (one person made twice) and people wrongly
joined, against the generator's truth.

Two generators: ``hispanic`` (the project's own, ``bench/matching/hispanic.py``, which
shares the matcher's tables and so flatters it) and ``independent``
(``bench/independent/``, written from a written specification by a developer who had not
read the matcher). Figures are reported on both; nothing is tuned on the second.

``--digest`` prints a SHA-256 over every row's outcome, person and candidates: run twice
with different ``PYTHONHASHSEED`` values and compare (results must not depend on it).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import hashlib
import json
import os
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

COLUMNS = [
    "external_id",
    "name",
    "given_names",
    "paternal_surname",
    "maternal_surname",
    "birth_date",
    "sex",
    "province",
    "municipality",
    "status",
    "event_date",
    "arrest_date",
    "place_of_detention",
]


@dataclass
class Dataset:
    """A registry, a list typed by another organisation, and the truth of each row."""

    name: str
    registry: list[dict[str, str]]  # pid, given_names, ..., birth_date (ISO, part or "")
    rows: list[dict[str, str]]  # CSV cells by our column names
    truth: list[str | None]  # the registry pid each row is (None: not in the registry)
    person: list[str]  # the real person each row is (shared by repeats within the list)
    notes: dict[str, Any] = field(default_factory=dict)


# --- Generators -------------------------------------------------------------------------------


def hispanic(registry_size: int, list_size: int, seed: int) -> Dataset:
    from bench.matching.hispanic import generate

    bench = generate(registry_size, list_size, seed=seed)
    registry = [
        {
            "pid": r.id,
            "given_names": r.given_names,
            "paternal_surname": r.paternal_surname,
            "maternal_surname": r.maternal_surname,
            "sex": r.sex,
            "birth_date": r.birth,
            "province": r.province,
            "municipality": r.municipality,
        }
        for r in bench.registry
    ]
    rows, truth, person = [], [], []
    for r in bench.incoming:
        rows.append(
            {
                "external_id": r.id,
                "given_names": r.given_names,
                "paternal_surname": r.paternal_surname,
                "maternal_surname": r.maternal_surname,
                "birth_date": _possible(r.birth),
                "sex": r.sex,
                "province": r.province,
                "municipality": r.municipality,
            }
        )
        pid = None if r.person is None else bench.registry[r.person].id
        truth.append(pid)
        person.append(pid or r.id)
    return Dataset("hispanic", registry, rows, truth, person)


def _possible(text: str) -> str:
    """The project generator's digit slips can make an impossible or future birth date,
    which would (rightly) fail the whole import: such a cell is left empty."""
    from detente.reconcile.rows import parse_date

    try:
        return text if text and parse_date(text)[0] <= dt.datetime.now(dt.UTC).date() else ""
    except ValueError:
        return ""


def independent(registry_size: int, list_size: int, seed: int) -> Dataset:
    from bench.independent import generator as gen

    people = gen.generate_registry(registry_size, seed)
    registry = [
        {
            "pid": p.pid,
            "given_names": p.given_names,
            "paternal_surname": p.paternal_surname,
            "maternal_surname": p.maternal_surname,
            "sex": p.sex,
            "birth_date": p.birth_date,
            "province": p.province,
            "municipality": p.municipality,
        }
        for p in people
    ]
    rows = gen.generate_list(people, list_size, seed + 1)
    return Dataset(
        "independent",
        registry,
        [dict(r.columns) for r in rows],
        [r.truth for r in rows],
        [r.person for r in rows],
    )


def independent_own(size: int, seed: int) -> Dataset:
    from bench.independent import generator as gen

    rows = gen.generate_own_list(size, seed)
    return Dataset(
        "independent-own",
        [],
        [dict(r.columns) for r in rows],
        [None] * len(rows),
        [r.person for r in rows],
    )


def hispanic_own(size: int, seed: int) -> Dataset:
    """The project generator's list turned into an own list: its rows are the people, and a
    share of them typed twice (the second copy corrupted again)."""
    from bench.matching.hispanic import generate

    base = hispanic(size, size, seed)
    again = generate(size, size, seed=seed, overlap=1.0)  # every row a registry person
    rows = list(base.registry)
    typed = [
        {
            "external_id": r["pid"],
            "given_names": r["given_names"],
            "paternal_surname": r["paternal_surname"],
            "maternal_surname": r["maternal_surname"],
            "birth_date": r["birth_date"],
            "sex": r["sex"],
            "province": r["province"],
            "municipality": r["municipality"],
        }
        for r in rows
    ]
    person = [r["pid"] for r in rows]
    repeats = [r for r in again.incoming[: max(size * 3 // 100, 1)] if r.person is not None]
    for r in repeats:
        typed.append(
            {
                "external_id": r.id,
                "given_names": r.given_names,
                "paternal_surname": r.paternal_surname,
                "maternal_surname": r.maternal_surname,
                "birth_date": _possible(r.birth),
                "sex": r.sex,
                "province": r.province,
                "municipality": r.municipality,
            }
        )
        person.append(again.registry[r.person].id)
    return Dataset("hispanic-own", [], typed, [None] * len(typed), person)


OWN_OPTIONS: dict[str, Any] = {"mode": "own"}

GENERATORS: dict[str, Callable[[int, int, int], Dataset]] = {
    "hispanic": hispanic,
    "independent": independent,
}
OWN: dict[str, Callable[[int, int], Dataset]] = {
    "hispanic": hispanic_own,
    "independent": independent_own,
}


# --- Loading ----------------------------------------------------------------------------------


def _date(text: str) -> tuple[dt.date | None, str]:
    if not text:
        return None, "day"
    parts = text.split("-")
    precision = {1: "year", 2: "month", 3: "day"}[len(parts)]
    numbers = [int(p) for p in parts] + [1] * (3 - len(parts))
    return dt.date(*numbers), precision


def load_registry(people: Sequence[dict[str, str]]) -> dict[str, int]:
    """The registry through the bulk service; pid -> person id."""
    from django.db import transaction

    from detente.access.policy import cli_actor
    from detente.registry.services import PersonFields, people_create_bulk

    fields = []
    for p in people:
        birth, precision = _date(p["birth_date"])
        fields.append(
            PersonFields(
                given_names=p["given_names"],
                paternal_surname=p["paternal_surname"],
                maternal_surname=p["maternal_surname"],
                birth_date=birth,
                birth_precision=precision,
                sex=p["sex"] or "X",
                province=p["province"],
                municipality=p["municipality"],
            )
        )
    with transaction.atomic():
        made = people_create_bulk(actor=cli_actor(), people=fields, batch_size=5000)
    return {p["pid"]: m.pk for p, m in zip(people, made, strict=True)}


def write_list(data: Dataset, path: Path) -> None:
    """The list as CSV. Its status words are left out (every row takes ``detained``): this
    benchmark measures matching; the words are the import's vocabulary's business."""
    used = [c for c in COLUMNS if c != "status" and any(r.get(c) for r in data.rows)]
    for extra in ("status", "event_date"):
        if extra not in used:
            used.append(extra)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(used)
        for row in data.rows:
            cells = {**row, "status": ""}
            writer.writerow([cells.get(c, "") for c in used])


# --- Scoring ----------------------------------------------------------------------------------


@dataclass
class Scored:
    rows: int
    known: int
    linked: int
    queued: int
    new: int
    duplicates: int  # known rows made new
    wrong_links: int
    queued_known: int
    queued_recall: int  # queued known rows with the true person among the candidates
    no_candidate: int  # known rows made new whose person was not even a candidate
    f1_reviewer: float
    precision_reviewer: float
    recall_reviewer: float
    best_sweep: tuple[float, float]  # (best F1, at threshold)
    digest: str
    reasons: Counter[str] = field(default_factory=Counter)

    def lines(self) -> list[str]:
        k = max(self.known, 1)
        return [
            f"rows {self.rows:,} (naming a registry person: {self.known:,})",
            f"linked {self.linked:,}, queued {self.queued:,} ({self.queued / self.rows:.1%}), "
            f"new {self.new:,}",
            f"duplicates created {self.duplicates:,} ({self.duplicates / k:.2%} of known rows; "
            f"{self.no_candidate:,} of them without the person among the candidates)",
            f"wrong auto-links {self.wrong_links:,} "
            f"({self.wrong_links / max(self.linked, 1):.3%} of auto-links)",
            f"queued rows with the person among the candidates {self.queued_recall:,} of "
            f"{self.queued_known:,} ({self.queued_recall / max(self.queued_known, 1):.2%})",
            f"perfect reviewer: P {self.precision_reviewer:.4f} R {self.recall_reviewer:.4f} "
            f"F1 {self.f1_reviewer:.4f}",
            f"stored best candidate swept one-to-one: best F1 {self.best_sweep[0]:.4f} at "
            f"{self.best_sweep[1]:.3f}",
            f"queue reasons: {dict(self.reasons.most_common())}",
        ]


def _f1(predicted: set[tuple[int, int]], truth: set[tuple[int, int]]) -> tuple[float, float, float]:
    hits = len(predicted & truth)
    precision = hits / len(predicted) if predicted else 1.0
    recall = hits / len(truth) if truth else 1.0
    f1 = 2 * hits / (len(predicted) + len(truth)) if predicted or truth else 1.0
    return precision, recall, f1


def one_to_one(scored: list[tuple[float, int, int]]) -> list[tuple[float, int, int]]:
    """Best first; each row and each registry person used once."""
    used_rows: set[int] = set()
    used_people: set[int] = set()
    out = []
    for probability, row, person in sorted(scored, key=lambda s: (-s[0], s[1], s[2])):
        if row in used_rows or person in used_people:
            continue
        used_rows.add(row)
        used_people.add(person)
        out.append((probability, row, person))
    return out


def sweep(kept: list[tuple[float, int, int]], truth: set[tuple[int, int]]) -> tuple[float, float]:
    """The best F1 over thresholds of a one-to-one list of (probability, row, person)."""
    kept = sorted(kept, key=lambda s: -s[0])
    hits = 0
    best = (0.0, 1.0)
    for n, (probability, row, person) in enumerate(kept, start=1):
        hits += (row, person) in truth
        f1 = 2 * hits / (n + len(truth)) if truth else 0.0
        if f1 > best[0]:
            best = (f1, probability)
    return best


# Known rows made new with their person not even a candidate: (the row as typed, the
# registry's record), for --dump-missed (to read on the project generator, never to tune on
# the independent one).
MISSED: list[dict[str, Any]] = []


def score_run(run_id: int, data: Dataset, person_of: dict[str, int]) -> Scored:
    from detente.reconcile.models import ImportRow, Outcome

    truth_of_row: dict[int, int | None] = {}
    rows = [
        (r.number, r.outcome, r.person_id, r.candidates, r.probability, r.data, r.reason)
        for r in ImportRow.objects.filter(run_id=run_id).order_by("number")
    ]
    by_external = {r["external_id"]: i for i, r in enumerate(data.rows)}
    truth: set[tuple[int, int]] = set()
    linked = queued = new = dups = wrong = queued_known = queued_recall = no_cand = 0
    reasons: Counter[str] = Counter()
    reviewer: set[tuple[int, int]] = set()
    best: list[tuple[float, int, int]] = []
    digest = hashlib.sha256()
    # People this import created, and the real person each was created for: a later row
    # of the same real person linked to one of them is right (the list repeating itself).
    created = {
        pid: data.person[by_external[parsed["external_id"]]]
        for _n, outcome, pid, _c, _p, parsed, _r in rows
        if outcome == Outcome.NEW
    }
    for number, outcome, pid, candidates, probability, parsed, reason in rows:
        index = by_external[parsed["external_id"]]
        true_pid = data.truth[index]
        true = person_of[true_pid] if true_pid is not None else None
        truth_of_row[number] = true
        if true is not None:
            truth.add((number, true))
        ids = [c.get("person") for c in candidates]
        digest.update(json.dumps([number, outcome, pid, ids]).encode())
        if candidates and isinstance(ids[0], int) and probability is not None:
            best.append((probability, number, ids[0]))
        if outcome == Outcome.LINKED:
            linked += 1
            if pid in created:
                wrong += created[pid] != data.person[index]
            else:
                wrong += pid != true
                reviewer.add((number, pid))
        elif outcome == Outcome.QUEUED:
            queued += 1
            reasons[reason or "?"] += 1
            if true is not None:
                queued_known += 1
                if true in ids:
                    queued_recall += 1
                    reviewer.add((number, true))
        elif outcome == Outcome.NEW:
            new += 1
            if true is not None:
                dups += 1
                no_cand += true not in ids
                if true not in ids:
                    MISSED.append({"row": data.rows[index], "truth": true_pid})
    precision, recall, f1 = _f1(reviewer, truth)
    return Scored(
        rows=len(rows),
        known=len(truth),
        linked=linked,
        queued=queued,
        new=new,
        duplicates=dups,
        wrong_links=wrong,
        queued_known=queued_known,
        queued_recall=queued_recall,
        no_candidate=no_cand,
        f1_reviewer=f1,
        precision_reviewer=precision,
        recall_reviewer=recall,
        best_sweep=sweep(one_to_one(best), truth),
        digest=digest.hexdigest(),
        reasons=reasons,
    )


def score_own(run_id: int, data: Dataset) -> list[str]:
    """An own list into an empty registry: people split in two, people joined wrongly."""
    from detente.reconcile.models import ImportRow, Outcome

    by_external = {r["external_id"]: i for i, r in enumerate(data.rows)}
    made: dict[str, set[int]] = {}  # real person -> registry people made for them
    joined: dict[int, set[str]] = {}  # registry person -> real people in it
    outcomes: Counter[str] = Counter()
    flagged = 0
    for outcome, pid, parsed, reason in (
        (r.outcome, r.person_id, r.data, r.reason) for r in ImportRow.objects.filter(run_id=run_id)
    ):
        outcomes[outcome] += 1
        flagged += reason == "possible_duplicate"
        real = data.person[by_external[parsed["external_id"]]]
        if pid is not None and outcome in (Outcome.LINKED, Outcome.NEW):
            made.setdefault(real, set()).add(pid)
            joined.setdefault(pid, set()).add(real)
    real_people = len(set(data.person))
    split = sum(len(v) - 1 for v in made.values())
    wrongly = sum(len(v) - 1 for v in joined.values())
    repeats = len(data.person) - real_people
    return [
        f"own list: {len(data.rows):,} rows, {real_people:,} real people ({repeats:,} typed twice)",
        f"outcomes {dict(outcomes)}; queued {outcomes['queued'] / len(data.rows):.1%}",
        f"people made twice {split:,} ({split / max(repeats, 1):.1%} of repeats); "
        f"different people joined {wrongly:,}",
        f"flagged as possible duplicates {flagged:,}",
    ]


# --- Splink, like for like ---------------------------------------------------------------------


def run_splink(data: Dataset, run_id: int, person_of: dict[str, int]) -> list[str]:
    import pandas as pd
    from bench.matching.bench_hispanic import splink_settings, splink_train
    from bench.matching.common import quiet_splink

    from detente.matching.names import fold
    from detente.reconcile.models import ImportRow

    quiet_splink()

    def clean(text: str) -> str | None:
        return fold(text or "") or None

    def iso(text: str | None) -> str | None:
        return text or None

    registry = pd.DataFrame(
        {
            "unique_id": [f"R{person_of[p['pid']]}" for p in data.registry],
            "given_name": [clean(p["given_names"]) for p in data.registry],
            "surname_1": [clean(p["paternal_surname"]) for p in data.registry],
            "surname_2": [clean(p["maternal_surname"]) for p in data.registry],
            "dob": [iso(_iso_full(p["birth_date"])) for p in data.registry],
            "province": [clean(p["province"]) for p in data.registry],
            "municipality": [clean(p["municipality"]) for p in data.registry],
            "sex": [p["sex"] or None for p in data.registry],
        }
    )
    parsed = [
        (r.number, r.data) for r in ImportRow.objects.filter(run_id=run_id).order_by("number")
    ]
    incoming = pd.DataFrame(
        {
            "unique_id": [f"L{n}" for n, _d in parsed],
            "given_name": [clean(d["person"]["given_names"]) for _n, d in parsed],
            "surname_1": [clean(d["person"]["paternal_surname"]) for _n, d in parsed],
            "surname_2": [clean(d["person"]["maternal_surname"]) for _n, d in parsed],
            "dob": [d["person"]["birth_date"] for _n, d in parsed],
            "province": [clean(d["person"]["province"]) for _n, d in parsed],
            "municipality": [clean(d["person"]["municipality"]) for _n, d in parsed],
            "sex": [d["person"]["sex"] if d["person"]["sex"] in "FM" else None for _n, d in parsed],
        }
    )
    by_external = {r["external_id"]: i for i, r in enumerate(data.rows)}
    truth = set()
    for number, d in parsed:
        pid = data.truth[by_external[d["external_id"]]]
        if pid is not None:
            truth.add((number, person_of[pid]))
    from splink import DuckDBAPI, Linker

    t0 = time.perf_counter()
    db_api = DuckDBAPI()
    linker = Linker(
        [db_api.register(registry), db_api.register(incoming)], splink_settings(), log_level=None
    )
    splink_train(linker)
    frame = linker.inference.predict(threshold_match_probability=0.01).as_pandas_dataframe()
    seconds = time.perf_counter() - t0
    scored = []
    for left, right, p in zip(
        frame["unique_id_l"], frame["unique_id_r"], frame["match_probability"], strict=True
    ):
        row, person = (left, right) if str(left).startswith("L") else (right, left)
        scored.append((float(p), int(str(row)[1:]), int(str(person)[1:])))
    kept = one_to_one(scored)
    at_half = {(r, p) for prob, r, p in kept if prob >= 0.5}
    precision, recall, f1 = _f1(at_half, truth)
    best = sweep(kept, truth)
    return [
        f"splink: {seconds:.1f} s (training and prediction); one-to-one at 0.5: "
        f"P {precision:.4f} R {recall:.4f} F1 {f1:.4f}; swept: best F1 {best[0]:.4f} at "
        f"{best[1]:.3f}",
    ]


def _iso_full(text: str) -> str | None:
    if not text:
        return None
    parts = [*text.split("-"), "01", "01"]
    return f"{parts[0]}-{parts[1]}-{parts[2]}"


# --- Main -------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--generator", choices=sorted(GENERATORS), default="hispanic")
    parser.add_argument("--registry", type=int, default=100_000)
    parser.add_argument("--list", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--splink", action="store_true")
    parser.add_argument(
        "--own-list", type=int, default=0, help="load an own list of N rows into an empty registry"
    )
    parser.add_argument("--digest", action="store_true")
    parser.add_argument("--keep", help="keep the data directory here")
    parser.add_argument(
        "--dump-missed", help="write the duplicates made without a candidate here (JSON lines)"
    )
    args = parser.parse_args()

    tmp = args.keep or tempfile.mkdtemp(prefix="detente-bench-")
    os.environ.setdefault("DETENTE_DATA_DIR", tmp)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "detente.settings")
    import django

    django.setup()
    from bench.matching.common import machine
    from django.core.management import call_command

    from detente.access.policy import cli_actor
    from detente.evidence.services import source_create
    from detente.reconcile.importer import import_list

    print(f"# {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; {machine()}")
    print(f"# database {os.environ.get('DATABASE_URL', 'sqlite (temporary file)')}")
    call_command("migrate", verbosity=0)
    actor = cli_actor()
    source = source_create(
        actor=actor,
        slug="bench-list",
        name="Bench list",
        kind="ngo",
        reliability="B",
        independence_group="bench-list",
    )

    def timed_import(data: Dataset, name: str, **options: Any) -> int:
        """Write the list, import it the way ``detente import`` does; the run's id."""
        path = Path(tmp) / name
        write_list(data, path)
        t0 = time.perf_counter()
        summary = import_list(
            actor=actor,
            path=path,
            source=source,
            status="detained",
            event_date=dt.date(2026, 1, 15),
            **options,
        )
        print(f"import: {time.perf_counter() - t0:.1f} s")
        return summary.run or 0

    if args.own_list:
        data = OWN[args.generator](args.own_list, args.seed)
        print(f"{data.name}: {len(data.rows):,} rows into an empty registry")
        run = timed_import(data, "own.csv", **OWN_OPTIONS)
        for line in score_own(run, data):
            print("  " + line)
        return
    t0 = time.perf_counter()
    data = GENERATORS[args.generator](args.registry, args.list, args.seed)
    print(
        f"{data.name}: registry {len(data.registry):,}, list {len(data.rows):,} "
        f"(generated in {time.perf_counter() - t0:.1f} s)"
    )
    t0 = time.perf_counter()
    person_of = load_registry(data.registry)
    print(f"registry loaded in {time.perf_counter() - t0:.1f} s")
    run = timed_import(data, "list.csv")
    scored = score_run(run, data, person_of)
    for line in scored.lines():
        print("  " + line)
    if args.digest:
        print(f"  outcome digest {scored.digest}")
    if args.dump_missed:
        records = {r["pid"]: r for r in data.registry}
        with open(args.dump_missed, "w", encoding="utf-8") as out:
            for miss in MISSED:
                row = {"row": miss["row"], "registry": records[miss["truth"]]}
                out.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
    if args.splink:
        for line in run_splink(data, run, person_of):
            print("  " + line)


if __name__ == "__main__":
    main()
