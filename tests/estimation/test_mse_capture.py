from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest

from detente.estimation import (
    CaptureFileError,
    CaptureTable,
    capture_table,
    pattern_bits,
    read_capture_csv,
    stratified_capture_tables,
    table_from_rows,
)

DATA = Path(__file__).resolve().parent.parent / "data" / "mse"


def load(name: str) -> CaptureTable:
    return read_capture_csv(DATA / f"{name}.csv")


def test_every_observable_pattern_is_present_zeros_included() -> None:
    table = capture_table({"A": [1, 2, 3], "B": [3, 4], "C": [5]})
    assert table.lists == ("A", "B", "C")
    assert table.counts.shape == (7,)
    # pattern i+1: bit 0 = A, bit 1 = B, bit 2 = C
    by_label = {table.pattern_label(i): int(c) for i, c in enumerate(table.counts)}
    assert by_label == {"A": 2, "B": 1, "A+B": 1, "C": 1, "A+C": 0, "B+C": 0, "A+B+C": 0}
    assert table.observed == 5


def test_duplicates_within_a_list_count_once_and_ids_may_be_strings() -> None:
    table = capture_table({"x": ["ana", "ana", "bea"], "y": ["bea", "caro"]})
    assert table.counts.tolist() == [1, 1, 1]  # x only, y only, both


def test_pattern_bits_order_first_list_fastest() -> None:
    bits = pattern_bits(3)
    assert bits[:3].tolist() == [[1, 0, 0], [0, 1, 0], [1, 1, 0]]
    assert bits[-1].tolist() == [1, 1, 1]


def test_list_count_limits() -> None:
    with pytest.raises(ValueError, match="between 2 and 10"):
        capture_table({"only": [1]})
    with pytest.raises(ValueError, match="between 2 and 10"):
        capture_table({f"L{i}": [i] for i in range(11)})


def test_stratified_tables_partition_the_whole_table() -> None:
    rng = np.random.default_rng(3)
    people = np.arange(2000)
    lists = {f"L{j}": [int(p) for p in people[rng.random(2000) < 0.3]] for j in range(4)}
    strata = {int(p): ("north" if p % 3 else "south") for p in people}
    tables = stratified_capture_tables(lists, strata)
    whole = capture_table(lists)
    assert set(tables) == {"north", "south"}
    assert all(t.counts.shape == (15,) for t in tables.values())
    assert (tables["north"].counts + tables["south"].counts).tolist() == whole.counts.tolist()
    assert tables["south"].stratum == "south"


def test_person_without_stratum_is_refused_unless_default() -> None:
    lists = {"A": [1, 2], "B": [2, 3]}
    with pytest.raises(ValueError, match="no stratum"):
        stratified_capture_tables(lists, {1: "s", 2: "s"})
    tables = stratified_capture_tables(lists, {1: "s", 2: "s"}, default="other")
    assert tables["other"].observed == 1


def test_csv_reader_fills_unlisted_patterns_with_zero() -> None:
    uk = load("uk_modern_slavery_2013")
    assert uk.k == 6
    assert uk.observed == 2744
    assert uk.counts.size == 63
    assert int((uk.counts == 0).sum()) == 38


def test_csv_and_rows_agree_and_all_zero_pattern_refused() -> None:
    text = "# comment\nA,B,count\n1,0,5\n0,1,7\n1,1,2\n"
    table = read_capture_csv(io.StringIO(text))
    assert table.counts.tolist() == [5, 7, 2]
    assert table == table_from_rows(["A", "B"], [((1, 0), 5), ((0, 1), 7), ((1, 1), 2)])
    with pytest.raises(ValueError, match="all-zero"):
        table_from_rows(["A", "B"], [((0, 0), 3)])


def test_permuted_and_dropped_tables() -> None:
    table = capture_table({"A": [1, 2, 3], "B": [3, 4], "C": [4, 5, 6]})
    perm = table.permuted([2, 0, 1])
    assert perm.lists == ("C", "A", "B")
    assert perm.list_totals() == table.list_totals()
    assert perm.permuted([1, 2, 0]).counts.tolist() == table.counts.tolist()
    ab = table.drop_lists(["A", "B"])
    assert ab == capture_table({"A": [1, 2, 3], "B": [3, 4]})


@pytest.mark.parametrize(
    ("text", "where", "what"),
    [
        ("A,B,C\n1,0,5\n", "t.csv, line 1, column 3", "last column must be 'count'"),
        ("A,count\n1,5\n", "t.csv, line 1", "1 list(s) named before 'count'"),
        (",".join(f"L{i}" for i in range(11)) + ",count\n", "t.csv, line 1", "11 list(s)"),
        ("A,A,count\n1,0,5\n", "t.csv, line 1, column 2", "named twice"),
        ("# c\nA,B,count\n1,0,5\n1,2,3\n", "t.csv, line 4, column 2 (B)", "'2' is not 0 or 1"),
        ("A,B,count\n1,0,5\nyes,0,3\n", "t.csv, line 3, column 1 (A)", "'yes' is not 0 or 1"),
        ("A,B,count\n1,0,-5\n", "t.csv, line 2, column 3 (count)", "'-5' is negative"),
        ("A,B,count\n1,0,2.5\n", "t.csv, line 2, column 3 (count)", "not a whole number"),
        ("A,B,count\n1,0,5\n\n# x\n1,0,2\n", "t.csv, line 5", "already given on line 2"),
        ("A,B,count\n0,0,5\n", "t.csv, line 2", "all-zero pattern"),
        ("A,B,count\n1,0\n", "t.csv, line 2", "2 fields where the header has 3"),
        ("# only comments\n", "t.csv", "no header"),
    ],
)
def test_malformed_table_files_are_refused_saying_where(text: str, where: str, what: str) -> None:
    with pytest.raises(CaptureFileError) as caught:
        read_capture_csv(io.StringIO(text), name="t.csv")
    message = str(caught.value)
    assert message.startswith(where + ":"), message
    assert what in message


def test_table_file_reader_accepts_the_shared_format(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("\ufeff# a comment\nA, B ,count\n1,0,5\n0,1,7\n1,1,0\n", encoding="utf-8")
    table = read_capture_csv(path)
    assert table.lists == ("A", "B") and table.counts.tolist() == [5, 7, 0]
    with pytest.raises(CaptureFileError, match=r"missing\.csv: no such file"):
        read_capture_csv(tmp_path / "missing.csv")
