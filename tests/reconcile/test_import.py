"""``detente import``: link, queue, create; idempotent; all-or-nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError
from tests.reconcile.conftest import table_counts, write_list
from tests.support import World, people_named, set_identity, word_token

from detente.agreements.derivation import rebuild_agreement
from detente.agreements.models import Membership
from detente.audit.ledger import verify
from detente.audit.models import AuditEntry
from detente.evidence.models import Claim
from detente.reconcile.importer import ImportFailed, import_list, import_verify
from detente.reconcile.models import ImportRow, ImportRun, Outcome
from detente.registry.models import Identity, NameToken, Person

SURE = [
    # José Luis Gómez Vázquez, as another NGO writes him: no accents, one surname.
    {
        "name": "JOSE LUIS GOMEZ",
        "birth_date": "03/02/1980",
        "province": "Holguin",
        "municipality": "Banes",
        "status": "sentenced",
        "event_date": "2024-05-01",
    },
    # Somebody the registry does not know.
    {
        "name": "Eusebio Caridad Tamayo Leyva",
        "birth_date": "1961",
        "province": "Guantánamo",
        "status": "detained",
        "event_date": "2024-05-02",
    },
]


def run_import(path: Path, world: World, **kwargs: object) -> dict[str, object]:
    args = [str(path), "--source", world.sources["ngo"].slug, "--json", *kwargs.pop("extra", [])]  # type: ignore[misc]
    from io import StringIO

    out = StringIO()
    call_command("import", *args, stdout=out)
    return json.loads(out.getvalue())  # type: ignore[no-any-return]


def test_rows_are_linked_or_made_new_and_their_claims_recorded(
    tmp_path: Path, world: World, registry: dict[str, Person]
) -> None:
    path = write_list(tmp_path / "ngo.csv", SURE)
    before = Person.objects.count()
    summary = run_import(path, world)
    assert (summary["linked"], summary["new"], summary["queued"]) == (1, 1, 0)
    jose = registry["jose"]
    claim = Claim.objects.get(person=jose, source=world.sources["ngo"])
    assert claim.status == "sentenced" and claim.event_date.isoformat() == "2024-05-01"
    assert Person.objects.count() == before + 1
    new = Person.objects.latest("id")
    ident = Identity.objects.get(person=new)
    # Stored as written, split into given names and both surnames.
    assert (ident.given_names, ident.paternal_surname, ident.maternal_surname) == (
        "Eusebio Caridad",
        "Tamayo",
        "Leyva",
    )
    assert ident.birth_precision == "year" and ident.province == "Guantánamo"
    assert new.handle == f"P-{new.pk:04d}"
    # The new person is findable by the staff search like anyone created by hand.
    assert NameToken.objects.filter(person=new, token=word_token("tamayo")).exists()
    run = ImportRun.objects.get(pk=summary["run"])
    assert (run.linked, run.new, run.rows) == (1, 1, 2)
    row = ImportRow.objects.get(run=run, number=2)
    assert row.outcome == Outcome.LINKED and row.person == jose and row.claim == claim
    assert row.candidates[0]["handle"] == jose.handle
    levels = row.candidates[0]["explanation"]["levels"]
    assert levels["birth_date"] != "missing" and levels["surnames"] != "missing"
    # One ledger entry for the whole import, with the digest, and the chain still holds.
    entry = AuditEntry.objects.get(action="import.run")
    assert entry.payload["digest"] == run.digest and entry.payload["new"] == 1
    assert (
        not AuditEntry.objects.filter(action__in=("person.create", "claim.status"))
        .filter(position__gt=entry.position - 1)
        .exclude(pk=entry.pk)
        .exists()
    )
    assert verify().ok
    assert import_verify(run)


def test_importing_the_same_file_twice_adds_nothing(
    tmp_path: Path, world: World, registry: dict[str, Person]
) -> None:
    path = write_list(tmp_path / "ngo.csv", SURE)
    run_import(path, world)
    before = table_counts()
    again = run_import(path, world)
    assert again["unchanged"] == 2 and again["run"] is None
    assert table_counts() == before
    # The same rows in another file (reordered, another name) add nothing either.
    other = write_list(tmp_path / "copy.csv", [SURE[1], SURE[0]])
    assert run_import(other, world)["unchanged"] == 2
    assert table_counts() == before


def test_a_row_repeated_within_a_file_is_recorded_once(
    tmp_path: Path, world: World, registry: dict[str, Person]
) -> None:
    path = write_list(tmp_path / "ngo.csv", [SURE[1], SURE[0], SURE[1]])
    summary = run_import(path, world)
    assert (summary["new"], summary["linked"], summary["unchanged"]) == (1, 1, 1)
    assert "Row 4 repeats row 2" in summary["warnings"][0]["message"]
    assert len(people_named(paternal_surname="Tamayo")) == 1


def test_a_person_named_twice_in_one_list_is_created_once(
    tmp_path: Path, world: World, registry: dict[str, Person]
) -> None:
    twice = dict(SURE[1], name="EUSEBIO TAMAYO LEYVA", event_date="2024-06-01")
    path = write_list(tmp_path / "ngo.csv", [SURE[1], twice])
    summary = run_import(path, world)
    assert summary["new"] == 1 and summary["linked"] + summary["queued"] == 1
    assert len(people_named(paternal_surname="Tamayo")) == 1


def test_grey_zone_rows_are_queued_with_their_candidates(
    tmp_path: Path, world: World, registry: dict[str, Person]
) -> None:
    # A surname and a nickname only: plausible, not sure.
    row = {
        "name": "Pepe Gomez",
        "province": "Holguín",
        "status": "detained",
        "event_date": "2024-05-01",
    }
    path = write_list(tmp_path / "ngo.csv", [row])
    summary = run_import(path, world, extra=["--link-above", "0.999", "--review-above", "0.0001"])
    assert summary["queued"] == 1
    queued = ImportRow.objects.get(outcome=Outcome.QUEUED)
    assert queued.person is None and queued.claim is None
    assert queued.candidates[0]["handle"] == registry["jose"].handle
    assert not Claim.objects.filter(source=world.sources["ngo"]).exists()


def test_agreement_members_are_named_once(
    tmp_path: Path, world: World, registry: dict[str, Person]
) -> None:
    released = [dict(SURE[0], status="Unconditional release"), SURE[1]]
    path = write_list(tmp_path / "ngo.csv", released)
    summary = run_import(path, world, extra=["--agreement", world.agreement.slug])
    assert summary["linked"] == 1
    assert Membership.objects.filter(agreement=world.agreement, person=registry["jose"]).exists()
    new = ImportRow.objects.get(outcome=Outcome.NEW).person
    assert Membership.objects.filter(agreement=world.agreement, person=new).exists()
    claim = Claim.objects.get(person=registry["jose"])
    assert claim.agreement == world.agreement
    # The member's cached state follows the claim like any recorded claim: an NGO graded
    # B, independent of the releasing side, confirms the release.
    member = Membership.objects.get(agreement=world.agreement, person=registry["jose"])
    assert (member.state, member.status) == ("confirmed", "unconditional_release")
    assert rebuild_agreement(world.agreement) == 0  # the cache was already exact


def test_a_dry_run_reports_and_writes_nothing(
    tmp_path: Path, world: World, registry: dict[str, Person]
) -> None:
    path = write_list(tmp_path / "ngo.csv", SURE)
    before = table_counts()
    summary = run_import(path, world, extra=["--dry-run"])
    assert (summary["status"], summary["linked"], summary["new"]) == ("dry_run", 1, 1)
    assert table_counts() == before


def test_the_digest_shows_a_later_change(
    tmp_path: Path, world: World, registry: dict[str, Person]
) -> None:
    path = write_list(tmp_path / "ngo.csv", SURE)
    run = ImportRun.objects.get(pk=run_import(path, world)["run"])
    assert import_verify(run)
    new = ImportRow.objects.get(run=run, outcome=Outcome.NEW).person
    set_identity(new, given_names="Someone Else")
    assert not import_verify(run)


def test_thresholds_are_checked(tmp_path: Path, world: World, actor: User) -> None:
    from django.core.exceptions import ValidationError

    path = write_list(tmp_path / "ngo.csv", SURE)
    with pytest.raises(ValidationError):
        import_list(
            actor=actor, path=path, source=world.sources["ngo"], link_above=0.5, review_above=0.9
        )


def test_unknown_source_or_agreement_is_refused(tmp_path: Path, world: World) -> None:
    path = write_list(tmp_path / "ngo.csv", SURE)
    with pytest.raises(CommandError, match="no source 'nobody'"):
        call_command("import", str(path), "--source", "nobody")
    with pytest.raises(CommandError, match="no agreement"):
        call_command(
            "import", str(path), "--source", world.sources["ngo"].slug, "--agreement", "nope"
        )


def test_the_legislature_may_not_import(tmp_path: Path, world: World) -> None:
    from django.core.exceptions import PermissionDenied
    from tests.support import make_user

    from detente.access.policy import Role

    path = write_list(tmp_path / "ngo.csv", SURE)
    with pytest.raises(PermissionDenied):
        import_list(
            actor=make_user("leg", Role.LEGISLATURE), path=path, source=world.sources["ngo"]
        )
    assert not ImportFailed.__subclasses__()  # (sanity: one failure type)


def test_progress_is_drawn_on_a_terminal_only(
    tmp_path: Path, world: World, registry: dict[str, Person], monkeypatch: pytest.MonkeyPatch
) -> None:
    from io import StringIO

    path = write_list(tmp_path / "ngo.csv", SURE)

    class Terminal(StringIO):
        def isatty(self) -> bool:
            return True

    err = Terminal()
    monkeypatch.setattr("sys.stderr", err)
    call_command(
        "import", str(path), "--source", world.sources["ngo"].slug, "--dry-run", stdout=StringIO()
    )
    drawn = err.getvalue()
    assert "\rchecking" in drawn and "[##############################] 2/2 rows" in drawn
    quiet = StringIO()
    monkeypatch.setattr("sys.stderr", quiet)
    out = StringIO()
    call_command(
        "import", str(path), "--source", world.sources["ngo"].slug, "--dry-run", stdout=out
    )
    assert quiet.getvalue() == ""
    assert "linked 1" in out.getvalue() and "new 1" in out.getvalue()
