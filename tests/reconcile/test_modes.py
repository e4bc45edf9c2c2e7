"""Loading an organisation's own list, historical lists, arrests, and the model of a list."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from tests.reconcile.conftest import write_list
from tests.support import World, people_named

from detente.agreements.models import Membership
from detente.audit.models import AuditEntry
from detente.evidence.models import Claim
from detente.reconcile.importer import ImportFailed, import_list
from detente.reconcile.models import ImportRow, ImportRun, Outcome
from detente.registry.models import CustodyEpisode, Person

OWN = ["name", "birth_date", "sex", "province", "municipality", "status", "event_date"]


def _row(name: str, birth: str = "", place: str = "Holguín", town: str = "", sex: str = "M"):  # type: ignore[no-untyped-def]
    return {
        "name": name,
        "birth_date": birth,
        "sex": sex,
        "province": place,
        "municipality": town,
        "status": "detained",
        "event_date": "2024-03-01",
    }


def test_an_own_list_makes_every_row_a_person_unless_the_evidence_is_strong(
    tmp_path: Path, world: World, actor: User
) -> None:
    rows = [
        _row("Yoandri Cardet Oquendo", "1983-05-12", town="Moa"),
        # The same man typed again by another hand: strong evidence, one person.
        _row("YOANDRY CARDET OQUENDO", "12/05/1983", town="Moa"),
        # Namesakes with nothing else to tell them apart: two people, the second flagged.
        _row("José Pérez García"),
        _row("José Pérez García", place="Granma"),
        # Twins: same surnames, birth date and town, another second given name.
        _row("José Luis Frómeta Pupo", "1990-04-04", town="Banes"),
        _row("José Carlos Frómeta Pupo", "1990-04-04", town="Banes"),
    ]
    path = write_list(tmp_path / "own.csv", rows, OWN)
    before = Person.objects.count()
    summary = import_list(actor=actor, path=path, source=world.sources["ngo"], mode="own").as_dict()
    assert summary["queued"] == 0, "loading an own list holds nothing back for review"
    assert (summary["new"], summary["linked"]) == (5, 1)
    assert Person.objects.count() == before + 5
    run = ImportRun.objects.get(pk=summary["run"])
    assert run.mode == "own"
    outcomes = dict(ImportRow.objects.filter(run=run).values_list("number", "outcome"))
    assert outcomes[3] == Outcome.LINKED
    # The one person has both rows' claims.
    yoandri = ImportRow.objects.get(run=run, number=2).person
    assert ImportRow.objects.get(run=run, number=3).person == yoandri
    assert Claim.objects.filter(person=yoandri).count() == 2
    # The twin and the namesake are people of their own, flagged for a possible merge.
    flagged = ImportRow.objects.filter(run=run, reason="possible_duplicate")
    assert {r.number for r in flagged} >= {7}
    assert summary["possible_duplicates"] == flagged.count()


def test_a_historical_list_counts_on_the_day_it_was_reported(
    tmp_path: Path, world: World, actor: User
) -> None:
    agreement = world.agreement
    reported = max(agreement.announced_on, dt.date(2025, 1, 20))
    rows = [dict(_row("Eusebio Tamayo Leyva", "1961-02-02"), event_date=str(reported))]
    path = write_list(tmp_path / "old.csv", rows, OWN)
    summary = import_list(
        actor=actor,
        path=path,
        source=world.sources["ngo"],
        agreement=agreement,
        reported_on=reported,
    )
    run = ImportRun.objects.get(pk=summary.run)
    assert run.reported_on == reported
    person = ImportRow.objects.get(run=run).person
    claim = Claim.objects.get(person=person)
    assert claim.received_at.date() == reported
    assert Membership.objects.get(agreement=agreement, person=person).named_on == reported
    # "As of" reads the list on its day: named from that day on, not before.
    from detente.agreements.selectors import agreement_progress

    day_before = agreement_progress(actor, agreement, as_of=reported - dt.timedelta(days=1))
    on_the_day = agreement_progress(actor, agreement, as_of=reported)
    assert on_the_day.named == day_before.named + 1
    assert on_the_day.held == day_before.held + 1
    # The ledger still says when it was entered: now.
    entry = AuditEntry.objects.get(action="import.run")
    assert entry.payload["reported_on"] == reported.isoformat()
    assert entry.at[:10] == timezone.now().date().isoformat()


def test_an_event_after_the_day_the_list_was_reported_is_refused(
    tmp_path: Path, world: World, actor: User
) -> None:
    rows = [
        _row("Eusebio Tamayo Leyva"),
        dict(_row("Ana Díaz Mora", sex="F"), event_date="2024-06-01"),
        dict(_row("Luis Mora Díaz"), reported_on="2024-07-01"),
    ]
    path = write_list(tmp_path / "late.csv", rows, [*OWN, "reported_on"])
    before = Person.objects.count()
    with pytest.raises(ImportFailed) as failed:
        import_list(
            actor=actor,
            path=path,
            source=world.sources["ngo"],
            reported_on=dt.date(2024, 5, 1),
        )
    errors = failed.value.summary.errors
    assert [(e["row"], e["column"]) for e in errors] == [(3, "event_date")]
    assert "after the day the list reported it" in errors[0]["message"]
    assert Person.objects.count() == before


def test_a_row_may_give_its_own_reported_day(tmp_path: Path, world: World, actor: User) -> None:
    rows = [dict(_row("Luis Mora Díaz"), reported_on="2024-07-01")]
    path = write_list(tmp_path / "rows.csv", rows, [*OWN, "reported_on"])
    summary = import_list(actor=actor, path=path, source=world.sources["ngo"])
    person = ImportRow.objects.get(run_id=summary.run).person
    assert Claim.objects.get(person=person).received_at.date() == dt.date(2024, 7, 1)


def test_a_day_in_the_future_is_refused(tmp_path: Path, world: World, actor: User) -> None:
    path = write_list(tmp_path / "x.csv", [_row("Luis Mora Díaz")], OWN)
    with pytest.raises(ImportFailed, match="future"):
        import_list(
            actor=actor,
            path=path,
            source=world.sources["ngo"],
            reported_on=timezone.now().date() + dt.timedelta(days=2),
        )


def test_an_arrest_date_becomes_a_custody_episode_once(
    tmp_path: Path, world: World, actor: User
) -> None:
    row = dict(
        _row("Eusebio Tamayo Leyva", "1961-02-02"),
        arrest_date="2023-07-11",
        place_of_detention="Prisión Provincial de Holguín",
        status="sentenced",
    )
    columns = [*OWN, "arrest_date", "place_of_detention"]
    summary = import_list(
        actor=actor,
        path=write_list(tmp_path / "a.csv", [row], columns),
        source=world.sources["ngo"],
    )
    person = ImportRow.objects.get(run_id=summary.run).person
    episode = CustodyEpisode.objects.get(person=person)
    assert (episode.start_date, episode.status) == (dt.date(2023, 7, 11), "sentenced")
    assert episode.place == "Prisión Provincial de Holguín"
    # Another list giving the same arrest adds a claim, not a second episode.
    again = dict(row, event_date="2024-04-01")
    import_list(
        actor=actor,
        path=write_list(tmp_path / "b.csv", [again], columns),
        source=world.sources["family"] if "family" in world.sources else world.sources["ngo"],
    )
    assert CustodyEpisode.objects.filter(person=person).count() == 1


def test_the_model_of_a_list_is_kept_with_the_run(
    tmp_path: Path, world: World, actor: User
) -> None:
    path = write_list(tmp_path / "small.csv", [_row("Eusebio Tamayo Leyva")], OWN)
    summary = import_list(actor=actor, path=path, source=world.sources["ngo"])
    run = ImportRun.objects.get(pk=summary.run)
    # A list this small says too little: the registry's model is used, and said to be.
    assert run.model["training"]["estimated"] is False
    assert run.model["format"].startswith("detente-linkage-model/")
    assert set(run.model["m"]) == {"given_name", "surnames", "birth_date", "place", "sex"}
    assert summary.model == {"estimated": False, "match_share": run.model["match_share"]}
    assert people_named(paternal_surname="Tamayo")


def test_the_command_line_takes_the_mode_and_the_reported_day(tmp_path: Path, world: World) -> None:
    import json
    from io import StringIO

    from django.core.management import call_command
    from django.core.management.base import CommandError

    path = write_list(
        tmp_path / "own.csv",
        [_row("José Pérez García"), _row("José Pérez García", place="Granma")],
        OWN,
    )
    out = StringIO()
    call_command(
        "import", str(path), "--source", world.sources["ngo"].slug, "--mode", "own",
        "--reported-on", "2024-04-01", "--json", stdout=out,
    )  # fmt: skip
    summary = json.loads(out.getvalue())
    assert (summary["mode"], summary["reported_on"], summary["queued"]) == ("own", "2024-04-01", 0)
    assert summary["new"] == 2 and summary["possible_duplicates"] == 1
    with pytest.raises(CommandError, match="--reported-on"):
        call_command(
            "import", str(path), "--source", world.sources["ngo"].slug, "--reported-on", "2024-04",
        )  # fmt: skip


def test_a_worker_a_batch_ahead_gives_the_same_outcome(
    tmp_path: Path, world: World, actor: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Large lists are matched by a forked worker a batch ahead of the writer: the counts,
    reasons and examples are those of matching in one process."""
    from detente.reconcile import importer

    places = ["Granma", "Holguín"]
    rows = [_row("Yoandri Cardet Oquendo", "1983-05-12", town="Moa")]
    rows += [_row("José Pérez García", place=p) for p in places]
    rows += [
        _row(f"Persona{n} Apellido{n} Otro{n}", f"19{50 + n}-01-0{1 + n % 9}") for n in range(30)
    ]
    rows += [_row("YOANDRY CARDET OQUENDO", "12/05/1983", town="Moa")]
    path = write_list(tmp_path / "l.csv", rows, OWN)

    def outcome() -> dict[str, object]:
        summary = import_list(actor=actor, path=path, source=world.sources["ngo"], dry_run=True)
        shown = summary.as_dict()
        return {k: shown[k] for k in ("linked", "queued", "new", "reasons", "examples")}

    monkeypatch.setattr(importer, "BATCH", 8)  # five batches: the worker runs ahead
    inline = outcome()
    monkeypatch.setattr(importer, "PARALLEL_ROWS", 1)
    assert outcome() == inline
    # The last row, four batches after the first, is the person that first row made.
    linked = inline["examples"]["linked"]  # type: ignore[index]
    assert any(e["row"] == len(rows) + 1 and e["candidate"] is None for e in linked)


def test_a_worker_ahead_leaves_the_import_whole(
    tmp_path: Path, world: World, actor: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real import with the worker (inside the import's transaction): every row
    stored, the digest verifies, and the worker is gone afterwards."""
    import multiprocessing

    from detente.reconcile import importer
    from detente.reconcile.importer import import_verify

    rows = [_row(f"José Pérez García{n}", place="Granma") for n in range(20)]
    monkeypatch.setattr(importer, "BATCH", 6)
    monkeypatch.setattr(importer, "PARALLEL_ROWS", 1)
    path = write_list(tmp_path / "w.csv", rows, OWN)
    summary = import_list(actor=actor, path=path, source=world.sources["ngo"])
    run = ImportRun.objects.get(pk=summary.run)
    assert ImportRow.objects.filter(run=run).count() == 20 == summary.rows
    assert import_verify(run)
    assert not multiprocessing.active_children()


def test_a_worker_reading_the_file_itself_gives_the_same_import(
    tmp_path: Path, world: World, actor: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A large file is validated by a forked child while the registry's index loads, and
    read again by the worker that proposes: the same outcome as one process, the rows
    an earlier import stored are unchanged, and a row the worker wrongly takes for known
    (its short hash colliding) is still matched."""
    from detente.reconcile import importer

    rows = [
        _row(f"Persona{n} Apellido{n} Otro{n}", f"19{50 + n}-01-0{1 + n % 9}") for n in range(12)
    ]
    rows += [_row("Yoandri Cardet Oquendo", "1983-05-12", town="Moa")] * 2
    first = write_list(tmp_path / "first.csv", rows, OWN)
    source = world.sources["ngo"]
    monkeypatch.setattr(importer, "BATCH", 5)

    def outcome(path: Path, **kwargs: object) -> dict[str, object]:
        shown = import_list(actor=actor, path=path, source=source, **kwargs).as_dict()  # type: ignore[arg-type]
        return {k: shown[k] for k in ("rows", "linked", "queued", "new", "unchanged", "reasons")}

    inline = outcome(first, dry_run=True)
    monkeypatch.setattr(importer, "PARALLEL_ROWS", 1)
    monkeypatch.setattr(importer, "PARALLEL_BYTES", 1)
    assert outcome(first, dry_run=True) == inline
    stored = outcome(first)
    assert stored == inline
    # Again, with one row more: the stored rows are unchanged, the new one is matched.
    second = write_list(tmp_path / "second.csv", [*rows, _row("Ana Díaz Abreu", "1987-01-10")], OWN)
    again = outcome(second)
    assert (again["unchanged"], again["new"]) == (len(rows), 1)
    # Every short hash the same: the worker takes every row for known; the main process
    # proposes for those it finds new itself.
    monkeypatch.setattr(importer, "_short", lambda row_hash: 7)
    third = write_list(tmp_path / "third.csv", [*rows, _row("Luis Mora Paz", "1970-02-02")], OWN)
    assert outcome(third)["unchanged"] == len(rows)
    assert len(people_named(given_names="Luis")) == 1


def test_a_bad_row_found_by_the_forked_validation_is_reported_as_at_home(
    tmp_path: Path, world: World, actor: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    from detente.reconcile import importer

    rows = [_row(f"Persona{n} Apellido{n}", "1970-01-01") for n in range(5)]
    rows.append(_row("Ana Díaz", "31/02/1980"))
    path = write_list(tmp_path / "bad.csv", rows, OWN)
    before = Person.objects.count()

    def failure() -> dict[str, object]:
        with pytest.raises(ImportFailed) as caught:
            import_list(actor=actor, path=path, source=world.sources["ngo"])
        shown = caught.value.summary.as_dict()
        return {k: shown[k] for k in ("rows", "rejected", "errors", "status")}

    inline = failure()
    assert inline["errors"][0]["row"] == 7  # type: ignore[index]
    monkeypatch.setattr(importer, "PARALLEL_BYTES", 1)
    assert failure() == inline
    assert Person.objects.count() == before
