"""Digests (issue 6, item 4): newly public, confirmed events and milestones, and only what
the public may see."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.utils import timezone
from tests.mailing.conftest import Lists, form_notice
from tests.mailing.sink import Sink

from detente.access.services import agreement_set_audience
from detente.mailing import digests, services
from detente.mailing.delivery import deliver
from detente.mailing.models import Digest, OutboxMessage, Subscriber


def events(digest: Digest | None) -> list[tuple[str, str]]:
    assert digest is not None
    return [
        (e["kind"], e.get("handle") or e.get("key") or "")
        for s in digest.content["sections"]
        for e in s["events"]
    ]


def test_a_new_list_starts_from_now_not_from_the_whole_history(lists: Lists) -> None:
    lists.confirm_release(0)
    ml = services.list_create(
        actor=lists.world.actor, slug="late", kind="agreement", agreement=lists.world.agreement
    )
    assert digests.build(ml).digest is None


def test_a_confirmed_release_and_its_milestones_are_news_once(lists: Lists) -> None:
    lists.confirm_release(0)
    first = digests.build(lists.deal).digest
    handle = lists.world.person(0).handle
    assert events(first) == [
        ("confirmed", handle),
        ("milestone", "first_reported"),
        ("milestone", "first_confirmed"),
    ]
    assert digests.build(lists.deal).digest is None  # nothing new since


def test_a_release_only_reported_by_the_releasing_side_is_not_news(lists: Lists) -> None:
    from detente.evidence.services import claim_record

    claim_record(
        actor=lists.world.actor,
        source=lists.world.sources["gov"],
        person=lists.world.person(1),
        agreement=lists.world.agreement,
        status="unconditional_release",
        event_date=dt.date(2020, 2, 1),
    )
    digest = digests.build(lists.deal).digest
    assert ("confirmed", lists.world.person(1).handle) not in events(digest)
    assert events(digest) == [("milestone", "first_reported")]


def test_names_appear_only_after_public_disclosure(
    lists: Lists, subscribe: Callable[..., Subscriber], sink: Sink
) -> None:
    subscribe("ana@example.org", lists.deal)
    person = lists.world.person(0)
    lists.confirm_release(0)
    digests.build(lists.deal)
    deliver()
    (before,) = sink.received
    assert person.handle in before.text()
    assert "Yoandri" not in before.text() and "Yoandri" not in before.html()
    # Disclosed to the public: the next digest says so, with the name.
    lists.disclose(person)
    digest = digests.build(lists.deal).digest
    assert events(digest) == [("named", person.handle)]
    deliver()
    after = sink.received[-1]
    assert "Yoandri 0 Pérez" in after.text() and "is now named publicly" in after.text()


def test_a_name_disclosed_only_to_the_legislature_is_never_mailed(
    lists: Lists, subscribe: Callable[..., Subscriber], sink: Sink
) -> None:
    from detente.access.services import disclosure_approve, disclosure_propose

    subscribe("ana@example.org", lists.deal)
    d = disclosure_propose(
        actor=lists.verifier,
        audience="legislature",
        reason="Committee",
        agreement=lists.world.agreement,
    )
    disclosure_approve(actor=lists.approver, disclosure=d)
    lists.confirm_release(0)
    digests.build(lists.deal)
    deliver()
    (got,) = sink.received
    assert "Yoandri" not in got.data.decode("ascii", "replace")
    assert "Yoandri" not in got.text()


def test_a_disclosure_withdrawn_before_sending_keeps_the_name_out(
    lists: Lists, subscribe: Callable[..., Subscriber], sink: Sink
) -> None:
    subscribe("ana@example.org", lists.deal)
    person = lists.world.person(0)
    lists.disclose(person)
    lists.confirm_release(0)
    digest = digests.build(lists.deal).digest
    assert ("named", person.handle) in events(digest)
    lists.disclose(person, withdraw=True)  # withdrawn after the digest, before the send
    deliver()
    (got,) = sink.received
    assert "Yoandri" not in got.text()
    assert person.handle in got.text()  # the confirmed release itself stays news


def test_an_agreement_no_longer_public_is_not_mailed(
    lists: Lists, subscribe: Callable[..., Subscriber], sink: Sink
) -> None:
    subscribe("ana@example.org", lists.deal)
    lists.confirm_release(0)
    digests.build(lists.deal)
    agreement_set_audience(
        actor=lists.world.actor, agreement=lists.world.agreement, audience="staff"
    )
    outcome = deliver()
    assert sink.received == [] and outcome.skipped == 1
    assert OutboxMessage.objects.get().last_error == "nothing public left to send"


def test_an_agreement_made_public_is_news_for_the_country_and_all_lists(lists: Lists) -> None:
    from detente.agreements.services import agreement_create

    new = agreement_create(
        actor=lists.world.actor,
        slug="second",
        title="Second agreement",
        promisor=lists.world.releasing,
        promisee=lists.world.counterpart,
        announced_on=dt.date(2021, 3, 1),
        promised_count=4,
    )
    assert digests.build(lists.country).digest is None  # still staff-only
    agreement_set_audience(actor=lists.world.actor, agreement=new, audience="public")
    for ml in (lists.country, lists.everything):
        digest = digests.build(ml).digest
        assert digest is not None
        assert [s["agreement"] for s in digest.content["sections"]] == ["second"]
        assert events(digest) == [("agreement", "")]
    assert digests.build(lists.deal).digest is None  # another agreement's list


def test_daily_lists_are_built_once_a_day_and_immediate_lists_every_run(lists: Lists) -> None:
    lists.confirm_release(0)
    today = timezone.now().replace(hour=12, minute=0)  # noon of the day the lists were made
    # The daily lists took their baseline today: only the immediate one is due.
    assert [b.mailing_list.slug for b in digests.build_due(now=today)] == ["releasing-news"]
    tomorrow = today + dt.timedelta(days=1)
    due = {b.mailing_list.slug: b for b in digests.build_due(now=tomorrow)}
    assert set(due) == {"deal-news", "releasing-news", "all-news"}
    assert due["deal-news"].digest is not None and due["all-news"].digest is not None
    assert due["releasing-news"].digest is None  # already told yesterday
    lists.confirm_release(1)
    later = tomorrow + dt.timedelta(minutes=5)
    assert [b.mailing_list.slug for b in digests.build_due(now=later)] == ["releasing-news"]


def test_the_digest_goes_to_confirmed_active_subscribers_of_that_list_only(
    lists: Lists, subscribe: Callable[..., Subscriber]
) -> None:
    yes = subscribe("yes@example.org", lists.deal)
    subscribe("other-list@example.org", lists.everything)
    left = subscribe("left@example.org", lists.deal)
    services.leave_all(subscriber=left)
    services.subscribe(
        email="pending@example.org",
        list_ids=[lists.deal.pk],
        language="en",
        notice=form_notice("en"),
    )
    lists.confirm_release(0)
    built = digests.build(lists.deal)
    assert built.recipients == 1
    assert list(OutboxMessage.objects.values_list("subscriber", flat=True)) == [yes.pk]


def test_a_stage_of_the_agreement_is_news_once_in_both_languages(lists: Lists) -> None:
    from detente.evidence.models import ClaimKind
    from detente.evidence.services import claim_record
    from detente.mailing.compose import render_digest

    claim_record(
        actor=lists.world.actor,
        source=lists.world.sources["gov"],
        kind=ClaimKind.LIFECYCLE,
        agreement=lists.world.agreement,
        lifecycle="suspended",
        event_date=dt.date(2020, 3, 1),
        evidence_text="Talks broke down.",
    )
    digest = digests.build(lists.deal).digest
    assert digest is not None
    assert [e["kind"] for s in digest.content["sections"] for e in s["events"]] == ["stage"]
    views = {v.slug: v for v in digests.public_views(lists.deal)}
    english = render_digest(digest, lists.deal, views, "en")
    spanish = render_digest(digest, lists.deal, views, "es")
    assert english is not None and spanish is not None
    assert "Stage of the agreement: Suspended or halted" in english.text
    assert "Stage of the agreement" not in spanish.text  # in Spanish, not English
    assert digests.build(lists.deal).digest is None  # nothing new since


def test_the_digest_carries_the_newest_signed_checkpoint(
    lists: Lists, subscribe: Callable[..., Subscriber], sink: Sink, settings: Any, tmp_path: Path
) -> None:
    """Every subscriber's mailbox keeps a copy of the ledger's checkpoint, off the server."""
    from django.core.management import call_command

    from detente.audit import checkpoints

    settings.DATA_DIR = tmp_path
    subscribe("ana@example.org", lists.deal)
    lists.confirm_release(0)
    digests.build(lists.deal)
    deliver()
    (before,) = sink.received
    assert "signed checkpoint" not in before.text()  # none signed yet: nothing claimed
    call_command("audit", "keygen", stdout=io.StringIO())
    call_command("audit", "checkpoint", stdout=io.StringIO())
    lists.confirm_release(1)
    digests.build(lists.deal)
    deliver()
    got = sink.received[-1]
    text = got.text()
    assert "The signed checkpoint of Detente's audit ledger" in text
    assert "https://detente.example/.well-known/detente/checkpoint" in text
    published = checkpoints.newest_published()
    assert published is not None and published in text.replace("\r\n", "\n")
    # The copy in the mail verifies with the ledger's public key, as anyone keeping it would.
    public = checkpoints.load_public(checkpoints.key_paths()[1])
    assert checkpoints.parse_and_check(published, public).size > 0
    assert "<pre" in got.html() and checkpoints.default_origin() in got.html()
