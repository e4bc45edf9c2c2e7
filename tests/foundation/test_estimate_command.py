"""``detente estimate``: sources' lists from the registry into the estimation engine."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from tests.support import World, at, set_identity

from detente.evidence.services import claim_record
from detente.registry.services import person_create


def _lists(world: World) -> dict[str, list[int]]:
    people = [person_create(actor=world.actor, given_names=f"Yordanis {i}") for i in range(40)]
    membership = {"ngo": range(0, 30), "family": range(20, 40), "embassy": range(10, 25)}
    for source, idx in membership.items():
        for i in idx:
            claim_record(
                actor=world.actor,
                source=world.sources[source],
                person=people[i],
                status="detained",
                event_date=dt.date(2020, 1, 1),
                received_at=at("2020-01-02"),
            )
    return {k: list(v) for k, v in membership.items()}


def run(*args: str) -> dict[str, object]:
    out = io.StringIO()
    call_command("estimate", *args, "--json", stdout=out)
    return json.loads(out.getvalue())  # type: ignore[no-any-return]


def test_the_capture_table_comes_from_the_sources_claims(world: World) -> None:
    _lists(world)
    slugs = [world.sources[k].slug for k in ("ngo", "family", "embassy")]
    data = run(*[a for s in slugs for a in ("--source", s)], "--method", "independence")
    assert data["observed"] == 40
    assert data["lists"] == dict(zip(slugs, [30, 20, 15], strict=True))
    counts = {tuple(p["lists"]): p["count"] for p in data["capture_patterns"]}  # type: ignore[union-attr]
    assert counts[(slugs[0],)] == 10  # 0-9: NGO only
    assert counts[(slugs[0], slugs[2])] == 10  # 10-19: NGO and embassy
    assert counts[(slugs[0], slugs[1], slugs[2])] == 5  # 20-24: all three
    assert counts[(slugs[1],)] == 10 and counts[(slugs[0], slugs[1])] == 5
    assert len(counts) == 7  # every observable pattern, zeros included
    (result,) = data["estimates"]  # type: ignore[misc]
    assert result["estimate"] >= 40


def test_bad_requests_are_refused_clearly(world: World) -> None:
    ngo = world.sources["ngo"].slug
    with pytest.raises(CommandError, match="between 2 and 10"):
        run("--source", ngo)
    with pytest.raises(CommandError, match="no source 'nobody'"):
        run("--source", ngo, "--source", "nobody")
    with pytest.raises(CommandError, match="no such"):
        run("--source", ngo, "--source", world.sources["family"].slug, "--as", "anonymous")
    with pytest.raises(CommandError, match="Unknown kind of list “ministry”"):
        run("--source", ngo, "--list", "ministry:x")
    with pytest.raises(CommandError, match="no such agreement"):
        run("--source", ngo, "--list", "agreement:nowhere")


def test_an_agreement_is_a_list_and_strata_come_from_the_registry(world: World) -> None:

    expected = _lists(world)
    ngo = world.sources["ngo"]
    for i, person in enumerate(world.people):  # the agreement's three members
        claim_record(
            actor=world.actor,
            source=ngo,
            person=person,
            status="detained",
            event_date=dt.date(2020, 1, 1),
            received_at=at("2020-01-02"),
        )
        set_identity(person, province="Holguín" if i else "")
    data = run(
        "--list",
        f"agreement:{world.agreement.slug}",
        "--list",
        f"source:{ngo.slug}",
        "--source",
        world.sources["family"].slug,
        "--stratify",
        "province",
        "--method",
        "independence",
    )
    lists = data["lists"]
    assert lists[f"agreement:{world.agreement.slug}"] == 3  # type: ignore[index]
    assert lists[f"source:{ngo.slug}"] == len(expected["ngo"]) + 3  # type: ignore[index]
    stratified = data["stratified"]
    strata = stratified["strata"]  # type: ignore[index]
    assert set(strata) == {"Holguín", "unknown"}
    assert strata["Holguín"]["observed"] == 2
    assert strata["Holguín"]["observed"] + strata["unknown"]["observed"] == data["observed"]
    assert stratified["total"]["method"] == "log-linear, stratified"  # type: ignore[index]
    text = io.StringIO()
    call_command(
        "estimate",
        "--list",
        f"source:{ngo.slug}",
        "--source",
        world.sources["family"].slug,
        "--stratify",
        "arrest-year",
        stdout=text,
    )
    assert "By arrest-year:" in text.getvalue() and "Sum over strata:" in text.getvalue()


SHARED_UK = Path(__file__).resolve().parent.parent / "data" / "mse" / "uk_modern_slavery_2013.csv"


def test_a_capture_table_from_a_file_needs_no_registry(db: None) -> None:
    data = run(
        "--table", str(SHARED_UK), *[a for m in ("stepwise", "aic", "bma") for a in ("--method", m)]
    )
    assert data["observed"] == 2744
    assert data["lists"] == {"LA": 94, "NG": 567, "PF": 1102, "GO": 807, "GP": 336, "NCA": 102}
    step, aic, bma = data["estimates"]  # type: ignore[misc]
    assert round(step["estimate"]) == 11_418
    for row in (step, aic):
        assert {"estimate", "interval", "model", "aic"} <= set(row)
        assert row["interval"] == [row["lower"], row["upper"]]
    assert aic["exhaustive"] is True and aic["models_tried"] == 2**15
    assert "refused" in bma  # six lists: BMA is for at most five


def test_malformed_table_file_is_refused_saying_where(db: None, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("# mine\nA,B,count\n1,0,5\n1,1,-2\n", encoding="utf-8")
    with pytest.raises(
        CommandError, match=r"bad\.csv, line 4, column 3 \(count\): count '-2' is negative"
    ):
        run("--table", str(bad))
    with pytest.raises(CommandError, match="no such file"):
        run("--table", str(tmp_path / "none.csv"))
    with pytest.raises(CommandError, match="drop --list/--source"):
        run("--table", str(SHARED_UK), "--source", "ngo")


def test_table_text_output_says_how_the_search_went(db: None) -> None:
    out = io.StringIO()
    call_command("estimate", "--table", str(SHARED_UK), "--method", "aic", stdout=out)
    text = out.getvalue()
    assert "exhaustive search of 32,768 models" in text and "AIC 159.9" in text


def test_warnings_are_printed_and_in_the_json(db: None, tmp_path: Path) -> None:
    inside = tmp_path / "inside.csv"
    # Everyone on C is on A; A and B share nobody.
    inside.write_text("A,B,C,count\n1,0,0,40\n0,1,0,30\n1,0,1,12\n", encoding="utf-8")
    data = run("--table", str(inside), "--method", "independence")
    found = {w["code"]: w for w in data["warnings"]}  # type: ignore[attr-defined]
    assert set(found) >= {"subset_list", "no_overlap"}
    assert found["subset_list"]["params"] == {"list": "C", "other": "A"}
    out = io.StringIO()
    call_command("estimate", "--table", str(inside), stdout=out)
    assert "Warning: Everyone on C is also on A." in out.getvalue()


def test_the_latent_class_model_is_a_method_with_its_diagnostics(db: None, tmp_path: Path) -> None:
    """LCMCR through the same door as every method: its figures, its diagnostics and, when
    its sampler has not settled, a warning in plain words; the same table gives the same
    answer run after run (the seed comes from the table)."""
    from detente.estimation import read_capture_csv, table_seed

    path = tmp_path / "three.csv"
    path.write_text(
        "A,B,C,count\n1,0,0,300\n0,1,0,250\n1,1,0,60\n0,0,1,280\n1,0,1,55\n0,1,1,50\n1,1,1,20\n",
        encoding="utf-8",
    )
    data = run("--table", str(path), "--method", "lcmcr")
    (row,) = data["estimates"]  # type: ignore[misc]
    assert row["method"] == "latent class (LCMCR)"
    assert row["lower"] <= row["estimate"] <= row["upper"] and row["lower"] > 1015
    assert row["ess"] > 0 and row["rhat"] > 0 and row["capped_share"] == 0
    codes = {w["code"] for w in data["warnings"]}  # type: ignore[attr-defined]
    assert ("lcmcr_unsettled" in codes) == (row["ess"] < 400 or row["rhat"] > 1.01)
    table = read_capture_csv(path)
    assert table_seed(table) == table_seed(read_capture_csv(path))
    other = tmp_path / "other.csv"
    other.write_text(path.read_text(encoding="utf-8").replace("300", "301"), encoding="utf-8")
    assert table_seed(read_capture_csv(other)) != table_seed(table)
    # Two lists cannot tell heterogeneity from dependence: refused in a sentence.
    two = tmp_path / "two.csv"
    two.write_text("A,B,count\n1,0,30\n0,1,20\n1,1,10\n", encoding="utf-8")
    (refused,) = run("--table", str(two), "--method", "lcmcr")["estimates"]  # type: ignore[misc]
    assert "3" in refused["refused"] and "list" in refused["refused"]
