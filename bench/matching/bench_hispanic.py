"""Hispanic-name linkage: Detente's engine vs Splink 5 on the project's own benchmark.

    .venv/bin/python -m bench.matching.bench_hispanic --registry 100000 --incoming 20000

Both systems link the incoming list to the registry using given names, both surnames,
birth date, place (province, municipality) and sex. Splink gets the columns folded (lower case,
no accents or punctuation: the usual cleaning before Splink), its standard comparisons
(``NameComparison`` for the given name and each surname, ``DateOfBirthComparison``,
``ExactMatch`` for the places, term-frequency adjustments on names and places), u from
random sampling, the match probability from deterministic rules, m by EM on two blocking
rules, and the standard threshold (match probability >= 0.5). Detente's engine gets the
raw fields, is trained on the same data (u random, m by EM) and links one-to-one at the
same threshold. Ground truth comes with the benchmark (see ``bench/matching/hispanic.py``).
"""

from __future__ import annotations

import argparse
import gc
import json
from typing import Any

from bench.matching.common import machine, peak_memory_mib, quality, quiet_splink, timer
from bench.matching.hispanic import Benchmark, Row, generate

from detente.matching.index import CandidateIndex
from detente.matching.linkage import block, link, train
from detente.matching.model import LinkageModel
from detente.matching.names import fold
from detente.matching.records import BirthDate, Record, make_record


def detente_record(row: Row) -> Record:
    return make_record(
        row.id,
        given=row.given_names,
        paternal=row.paternal_surname,
        maternal=row.maternal_surname,
        birth=row.birth,
        place=(row.municipality, row.province),
        sex=row.sex,
    )


def run_detente(bench: Benchmark) -> dict[str, Any]:
    times: dict[str, float] = {}
    with timer(times, "total"):
        with timer(times, "records"):
            registry = [detente_record(r) for r in bench.registry]
            incoming = [detente_record(r) for r in bench.incoming]
        with timer(times, "index"):
            index = CandidateIndex(LinkageModel(), registry)
        with timer(times, "block"):
            pairs = block(index, incoming)
        with timer(times, "train"):
            report = train(index, pairs)
        with timer(times, "link"):
            links = link(index, pairs)
    result = quality(((lk.left, lk.right) for lk in links), bench.true_links)
    return {
        "system": "detente",
        "quality": result,
        "times": times,
        "pairs": len(pairs),
        "match_share": report.match_share,
        "links": links,
        "index": index,
    }


def _iso(text: str) -> str | None:
    """A registry-style date for Splink: the first day of the period named."""
    if not text:
        return None
    try:
        birth = BirthDate.parse(text)
    except ValueError:
        return None
    return f"{birth.year:04d}-{birth.month or 1:02d}-{birth.day or 1:02d}"


def splink_frame(rows: list[Row]) -> Any:
    import pandas as pd

    def clean(text: str) -> str | None:
        return fold(text) or None

    return pd.DataFrame(
        {
            "unique_id": [r.id for r in rows],
            "given_name": [clean(r.given_names) for r in rows],
            "surname_1": [clean(r.paternal_surname) for r in rows],
            "surname_2": [clean(r.maternal_surname) for r in rows],
            "dob": [_iso(r.birth) for r in rows],
            "province": [clean(r.province) for r in rows],
            "municipality": [clean(r.municipality) for r in rows],
            "sex": [r.sex or None for r in rows],
        }
    )


def splink_settings() -> Any:
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    return SettingsCreator(
        link_type="link_only",
        unique_id_column_name="unique_id",
        blocking_rules_to_generate_predictions=[
            block_on("given_name", "surname_1"),
            block_on("surname_1", "dob"),
            block_on("given_name", "dob"),
            block_on("surname_2", "dob"),
            block_on("surname_1", "surname_2"),
        ],
        comparisons=[
            cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname_1").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname_2").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison("dob", input_is_string=True, datetime_format="%Y-%m-%d"),
            cl.ExactMatch("municipality").configure(term_frequency_adjustments=True),
            cl.ExactMatch("province").configure(term_frequency_adjustments=True),
            cl.ExactMatch("sex"),
        ],
        retain_intermediate_calculation_columns=False,
    )


def splink_train(linker: Any) -> None:
    from splink import block_on

    linker.training.estimate_probability_two_random_records_match(
        [block_on("given_name", "surname_1", "surname_2", "dob")], recall=0.6
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1e7, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("dob"))
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("surname_1", "surname_2")
    )


def run_splink(bench: Benchmark) -> dict[str, Any]:
    quiet_splink()
    times: dict[str, float] = {}
    with timer(times, "total"):
        from splink import DuckDBAPI, Linker

        db_api = DuckDBAPI()
        registry = db_api.register(splink_frame(bench.registry))
        incoming = db_api.register(splink_frame(bench.incoming))
        linker = Linker([registry, incoming], splink_settings(), log_level=None)
        with timer(times, "train"):
            splink_train(linker)
        with timer(times, "predict"):
            frame = linker.inference.predict(threshold_match_probability=0.5)
            predictions = frame.as_pandas_dataframe()
    pairs = []
    for left, right in zip(predictions["unique_id_l"], predictions["unique_id_r"], strict=True):
        pairs.append((right, left) if str(left).startswith("R") else (left, right))
    return {
        "system": "splink",
        "quality": quality(pairs, bench.true_links),
        "times": times,
        "pairs": len(predictions),
        "linker": linker,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--registry", type=int, default=100_000)
    parser.add_argument("--incoming", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--skip-splink", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    print(machine())
    bench = generate(args.registry, args.incoming, seed=args.seed)
    print(f"registry {len(bench.registry):,}, incoming {len(bench.incoming):,}, ", end="")
    print(f"true links {len(bench.true_links):,}, twins {bench.twins:,}")
    ours = run_detente(bench)
    print(f"detente  {ours['quality'].row()}  {ours['times']['total']:.1f} s  ", end="")
    print({k: round(v, 2) for k, v in ours["times"].items()}, f"pairs {ours['pairs']:,}")
    del ours["index"]
    gc.collect()
    results = [ours]
    if not args.skip_splink:
        theirs = run_splink(bench)
        print(f"splink   {theirs['quality'].row()}  {theirs['times']['total']:.1f} s  ", end="")
        print({k: round(v, 2) for k, v in theirs["times"].items()}, f"pairs {theirs['pairs']:,}")
        results.append(theirs)
    print(f"peak memory {peak_memory_mib():,.0f} MiB")
    if args.json:
        print(
            json.dumps(
                [
                    {
                        "system": r["system"],
                        "precision": r["quality"].precision,
                        "recall": r["quality"].recall,
                        "f1": r["quality"].f1,
                        "seconds": r["times"],
                    }
                    for r in results
                ],
                indent=2,
            )
        )


if __name__ == "__main__":
    main()
