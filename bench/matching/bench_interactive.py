"""Interactive matching: one query against a 100,000-person registry, Detente vs Splink 5.

    .venv/bin/python -m bench.matching.bench_interactive --registry 100000 --queries 2000

The registry and the queries come from the project's Hispanic benchmark
(``bench/matching/hispanic.py``): each query is an incoming row whose person is in the
registry, with that row's corruptions. Two kinds of query are timed for Detente:

* **form** -- the fields of a claim form or an import row (given names, both surnames,
  birth date, municipality, province, sex), scored against the candidate index
  (``CandidateIndex.search``, top 5);
* **typed** -- what ``detente match`` gets: the name as one line of text ("given paternal
  maternal", both orders tried), the birth year and the province when the row has them.

Latency covers building the query record and the search, per query, on an index already
in memory (default model, term frequencies of the registry). Top-5 recall: the share of
queries whose true person is among the five best. Splink 5 answers the same form queries
with ``linker.inference.predict_between(registry, query)`` (its way to score new records
against an existing table), its model trained on the benchmark's registry and incoming
list with the settings of ``bench_hispanic``, term-frequency tables registered; fewer of
its queries are run (``--splink-queries``), as each takes far longer.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import numpy as np
from bench.matching.bench_hispanic import (
    detente_record,
    splink_frame,
    splink_settings,
    splink_train,
)
from bench.matching.common import machine, peak_memory_mib, quiet_splink
from bench.matching.hispanic import Row, generate

from detente.matching.index import CandidateIndex
from detente.matching.model import LinkageModel
from detente.matching.records import Record, record_from_text


def typed_record(row: Row) -> Record:
    text = " ".join(p for p in (row.given_names, row.paternal_surname, row.maternal_surname) if p)
    year = ""
    if row.birth:
        year = row.birth[-4:] if "/" in row.birth else row.birth[:4]
    return record_from_text(text, key=row.id, birth=year or None, place=("", row.province))


def _summary(latencies_ms: list[float], hits: int, total: int) -> str:
    values = np.asarray(latencies_ms)
    return (
        f"p50 {np.percentile(values, 50):.2f} ms  p95 {np.percentile(values, 95):.2f} ms  "
        f"p99 {np.percentile(values, 99):.2f} ms  max {values.max():.1f} ms  "
        f"top-5 recall {hits / total:.2%} ({hits}/{total})"
    )


def run_detente(index: CandidateIndex, queries: list[Row], truth: dict[str, str], mode: str) -> str:
    make = detente_record if mode == "form" else typed_record
    latencies: list[float] = []
    hits = 0
    for row in queries:
        start = time.perf_counter()
        found = index.search(make(row), 5)
        latencies.append((time.perf_counter() - start) * 1000)
        hits += truth[row.id] in {score.key for score in found}
    return _summary(latencies, hits, len(queries))


def run_splink(bench: Any, queries: list[Row], truth: dict[str, str]) -> str:
    quiet_splink()
    from splink import DuckDBAPI, Linker

    db_api = DuckDBAPI()
    registry = db_api.register(splink_frame(bench.registry))
    incoming = db_api.register(splink_frame(bench.incoming))
    linker = Linker([registry, incoming], splink_settings(), log_level=None)
    splink_train(linker)
    for column in ("given_name", "surname_1", "surname_2", "municipality", "province"):
        linker.table_management.compute_tf_table(column)
    latencies: list[float] = []
    hits = 0
    for row in queries:
        start = time.perf_counter()
        query = db_api.register(splink_frame([row]))
        frame = linker.inference.predict_between(registry, query).as_pandas_dataframe()
        top = frame.sort_values("match_probability", ascending=False).head(5)
        found = set(top["unique_id_l"].astype(str)) | set(top["unique_id_r"].astype(str))
        latencies.append((time.perf_counter() - start) * 1000)
        hits += truth[row.id] in found
    return _summary(latencies, hits, len(queries))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--registry", type=int, default=100_000)
    parser.add_argument("--incoming", type=int, default=20_000)
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--splink-queries", type=int, default=100)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--skip-splink", action="store_true")
    args = parser.parse_args()
    print(machine())
    bench = generate(args.registry, args.incoming, seed=args.seed)
    truth = {r.id: bench.registry[r.person].id for r in bench.incoming if r.person is not None}
    queries = [r for r in bench.incoming if r.id in truth][: args.queries]
    start = time.perf_counter()
    index = CandidateIndex(LinkageModel(), [detente_record(r) for r in bench.registry])
    print(f"index of {len(index):,} built in {time.perf_counter() - start:.1f} s")
    for mode in ("form", "typed"):
        print(f"detente {mode:<6} {run_detente(index, queries, truth, mode)}")
    subset = queries[: args.splink_queries]
    print(f"detente form, the {len(subset)} Splink queries: ", end="")
    print(run_detente(index, subset, truth, "form"))
    print(f"peak memory {peak_memory_mib():,.0f} MiB")
    if not args.skip_splink:
        start = time.perf_counter()
        result = run_splink(bench, subset, truth)
        print(f"splink predict_between: {result}  (training included: ", end="")
        print(f"{time.perf_counter() - start:.0f} s in all)")


if __name__ == "__main__":
    main()
