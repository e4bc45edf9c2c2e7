"""Writes about sources and claims. Each service checks, changes and audits atomically."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from detente.access.policy import Action, require
from detente.agreements.derivation import policy_for, refresh_people
from detente.agreements.models import Agreement, Membership
from detente.agreements.services import check_open
from detente.audit import ledger
from detente.core.dates import DatePrecision, PreciseDate, localized
from detente.core.errors import check_precision, check_slug, check_text, invalid
from detente.evidence.models import (
    BREAKDOWN_PARTS,
    Claim,
    ClaimKind,
    Credibility,
    Lifecycle,
    Reliability,
    Source,
    SourceKind,
)
from detente.evidence.verification import Policy
from detente.registry.models import CustodyEpisode, Person
from detente.registry.services import first_arrest, insert_rows
from detente.registry.status import DEFAULT_CATEGORY, RELEASE_CATEGORIES, CustodyStatus

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def _check_source_fields(kind: str, reliability: str, independence_group: str) -> None:
    if kind not in SourceKind.values:
        raise invalid(
            "kind",
            _("Unknown source kind “%(value)s”; expected one of: %(choices)s.")
            % {"value": kind, "choices": ", ".join(SourceKind.values)},
        )
    if reliability not in Reliability.values:
        raise invalid(
            "reliability",
            _("Reliability grade “%(value)s” is not one of A, B, C, D, E, F.")
            % {"value": reliability},
        )
    check_slug(
        "independence_group",
        independence_group,
        _("An independence group is a short lower-case slug, such as “us-government”."),
    )


def source_create(
    *,
    actor: User,
    slug: str,
    name: str,
    kind: str,
    reliability: str,
    independence_group: str,
    protected: bool = False,
) -> Source:
    require(actor, Action.MANAGE)
    check_slug("slug", slug)
    name = check_text("name", name, 200, required=True)
    _check_source_fields(kind, reliability, independence_group)
    if Source.objects.filter(slug=slug).exists():
        raise invalid("slug", _("A source with the slug “%(slug)s” exists.") % {"slug": slug})
    with transaction.atomic():
        source = Source.objects.create(
            slug=slug,
            name=name,
            kind=kind,
            reliability=reliability,
            independence_group=independence_group,
            protected=protected,
        )
        ledger.append(
            actor,
            "source.create",
            source,
            _source_record(source),
        )
    return source


def _source_record(source: Source) -> dict[str, object]:
    """How the ledger names a source: a protected one only by keyed hashes."""

    def shown(value: str) -> str:
        return ledger.keyed_hash(value, f"source:{source.pk}") if source.protected else value

    return {
        "slug": shown(source.slug),
        "name": shown(source.name),
        "kind": source.kind,
        "reliability": source.reliability,
        "independence_group": shown(source.independence_group),
        "protected": source.protected,
    }


def _shown_group(source: Source, group: str) -> str:
    return ledger.keyed_hash(group, f"source:{source.pk}") if source.protected else group


def source_regrade(
    *, actor: User, source: Source, reliability: str, independence_group: str
) -> Source:
    """Change how far a source is trusted; every member state it touches is rederived."""
    require(actor, Action.MANAGE)
    _check_source_fields(source.kind, reliability, independence_group)
    with transaction.atomic():
        ledger.serialize()
        before = (source.reliability, source.independence_group)
        source.reliability = reliability
        source.independence_group = independence_group
        source.save(update_fields=["reliability", "independence_group"])
        people = set(
            Claim.objects.filter(source=source, person__isnull=False).values_list(
                "person_id", flat=True
            )
        )
        refresh_people(people)
        ledger.append(
            actor,
            "source.regrade",
            source,
            {
                "before": [before[0], _shown_group(source, before[1])],
                "after": [reliability, _shown_group(source, independence_group)],
            },
        )
    return source


def source_edit(
    *,
    actor: User,
    source: Source,
    name: str | None = None,
    kind: str | None = None,
    reliability: str | None = None,
    independence_group: str | None = None,
    protected: bool | None = None,
) -> Source:
    """Correct a source's record; arguments left out stay as they are.

    A new grade or independence group changes what its claims confirm, so it goes
    through :func:`source_regrade` (every member it touches rederived) in the same
    transaction. A protected source's name and group reach the ledger only as keyed
    hashes, before and after.
    """
    require(actor, Action.MANAGE)
    if name is not None:
        name = check_text("name", name, 200, required=True)
    _check_source_fields(
        kind if kind is not None else source.kind,
        reliability if reliability is not None else source.reliability,
        independence_group if independence_group is not None else source.independence_group,
    )
    with transaction.atomic():
        Source.objects.select_for_update().get(pk=source.pk)  # lock, then read
        source.refresh_from_db()
        if (reliability is not None and reliability != source.reliability) or (
            independence_group is not None and independence_group != source.independence_group
        ):
            source = source_regrade(
                actor=actor,
                source=source,
                reliability=reliability if reliability is not None else source.reliability,
                independence_group=(
                    independence_group
                    if independence_group is not None
                    else source.independence_group
                ),
            )
        before = _source_record(source)
        if name is not None:
            source.name = name
        if kind is not None:
            source.kind = kind
        if protected is not None:
            source.protected = bool(protected)
        after = _source_record(source)
        if after != before:
            source.save(update_fields=["name", "kind", "protected"])
            changed = sorted(k for k in after if after[k] != before[k])
            ledger.append(
                actor,
                "source.edit",
                source,
                {
                    "changed": changed,
                    "before": {k: before[k] for k in changed},
                    "after": {k: after[k] for k in changed},
                },
            )
    return source


def source_archive(*, actor: User, source: Source, archived: bool = True) -> Source:
    """Archive a source (its claims stand; no new ones are taken from it) or restore it."""
    require(actor, Action.MANAGE)
    with transaction.atomic():
        Source.objects.select_for_update().get(pk=source.pk)  # lock, then read
        source.refresh_from_db()
        if (source.archived_at is not None) == archived:
            return source
        source.archived_at = timezone.now() if archived else None
        source.save(update_fields=["archived_at"])
        ledger.append(actor, "source.archive" if archived else "source.restore", source, {})
    return source


def check_source_open(source: Source, field: str = "source") -> None:
    if source.archived_at is not None:
        raise invalid(
            field,
            _("The source “%(name)s” is archived; restore it to record its claims.")
            % {"name": source.name},
        )


_CREDIBILITIES = frozenset(Credibility.values)
_STATUSES = frozenset(CustodyStatus.values)
_PRECISIONS = frozenset(DatePrecision.values)  # (Django rebuilds .values on every call)


def _check_dates(
    event_date: dt.date | None, event_precision: str, received_at: dt.datetime
) -> PreciseDate | None:
    if event_precision not in _PRECISIONS:
        check_precision("event_precision", event_precision)
    now = timezone.now()
    if timezone.is_naive(received_at):
        raise invalid("received_at", _("The time received needs a time zone."))
    if received_at > now:
        raise invalid("received_at", _("The time received is in the future."))
    if event_date is None:
        return None
    event = PreciseDate.of(event_date, event_precision)
    if event.value > now.date():
        raise invalid(
            "event_date",
            _("The event date %(date)s is in the future.")
            % {"date": localized(event.value, event.precision)},
        )
    if event.value > received_at.date():
        raise invalid(
            "event_date",
            _("The event date %(date)s is after the claim was received.") % {"date": event},
        )
    return event


def _check_correction(
    corrects: Claim | None,
    *,
    source: Source,
    kind: str,
    person: Person | None,
    agreement: Agreement | None,
    received_at: dt.datetime,
) -> None:
    if corrects is None:
        if kind == ClaimKind.RETRACTION:
            raise invalid("corrects", _("A retraction must name the claim it retracts."))
        return
    if corrects.source_id != source.pk:
        raise invalid(
            "corrects",
            _(
                "Only the source that made claim #%(id)s can retract or supersede it; "
                "record a contradicting claim instead."
            )
            % {"id": corrects.pk},
        )
    if corrects.kind == ClaimKind.RETRACTION and kind != ClaimKind.RETRACTION:
        raise invalid("corrects", _("A retraction can only be retracted, not superseded."))
    if kind != ClaimKind.RETRACTION and kind != corrects.kind:
        raise invalid(
            "corrects",
            _("Claim #%(id)s is a “%(theirs)s” claim; a correction of it must be one too.")
            % {"id": corrects.pk, "theirs": corrects.kind},
        )
    if kind != ClaimKind.RETRACTION:
        same_person = corrects.person_id == (person.pk if person else None)
        same_agreement = kind != ClaimKind.AGGREGATE or corrects.agreement_id == (
            agreement.pk if agreement else None
        )
        if not (same_person and same_agreement):
            raise invalid(
                "corrects",
                _("A correction must be about the same person or agreement as claim #%(id)s.")
                % {"id": corrects.pk},
            )
    if received_at < corrects.received_at:
        raise invalid("received_at", _("A correction cannot be received before its claim."))


def _check_status_claim(
    *,
    person: Person | None,
    agreement: Agreement | None,
    status: str,
    event: PreciseDate | None,
    released_count: int | None,
    is_member: Callable[[Person, Agreement], bool],
    arrest_of: Callable[[Person], PreciseDate | None],
    policy: Policy | None = None,
) -> None:
    """The checks of a status claim, shared by :func:`claim_record` and
    :func:`claims_record_bulk` (which answers ``is_member`` and ``arrest_of`` from
    batched queries instead of two queries per claim)."""
    if person is None:
        raise invalid("person", _("A status claim must say whom it is about."))
    if status not in _STATUSES:
        raise invalid(
            "status",
            _("Unknown status “%(value)s”; expected one of: %(choices)s.")
            % {"value": status, "choices": ", ".join(CustodyStatus.values)},
        )
    if event is None:
        raise invalid("event_date", _("A status claim needs the date of the event."))
    if released_count is not None:
        raise invalid("released_count", _("Only an aggregate claim carries a count."))
    if agreement is not None and not is_member(person, agreement):
        raise invalid(
            "person",
            _("%(person)s is not named on the agreement “%(agreement)s”.")
            % {"person": person.handle, "agreement": agreement.slug},
        )
    if agreement is not None:
        category = (policy or policy_for(agreement)).category(status)
    else:
        category = DEFAULT_CATEGORY[status]
    arrest = arrest_of(person)
    if category in RELEASE_CATEGORIES and arrest and event.certainly_before(arrest):
        raise invalid(
            "event_date",
            _("The release date %(date)s is before the arrest (%(arrest)s).")
            % {"date": event, "arrest": arrest},
        )


def claim_record(
    *,
    actor: User,
    source: Source,
    kind: str = ClaimKind.STATUS,
    person: Person | None = None,
    agreement: Agreement | None = None,
    status: str = "",
    released_count: int | None = None,
    event_date: dt.date | None = None,
    event_precision: str = DatePrecision.DAY,
    received_at: dt.datetime | None = None,
    credibility: int = Credibility.UNKNOWN,
    corrects: Claim | None = None,
    evidence_text: str = "",
    evidence_url: str = "",
    evidence_sha256: str = "",
    lifecycle: str = "",
    breakdown: Mapping[str, int] | None = None,
    event_time: dt.time | None = None,
) -> Claim:
    """Record what a source asserts. Claims are immutable; corrections are new claims.

    ``kind`` is one of: ``status`` (about a person: ``person``, ``status`` and
    ``event_date`` required; ``agreement`` when the source speaks of that agreement),
    ``aggregate`` (about an agreement as a whole: ``agreement``, ``released_count``,
    ``event_date``, optionally ``breakdown``: its parts as the source gave them),
    ``lifecycle`` (a stage of a whole agreement: ``agreement``, ``lifecycle``,
    ``event_date``; the reason in ``evidence_text``) or ``retraction`` (``corrects``
    required). A claim with ``corrects`` supersedes that earlier claim.
    """
    require(actor, Action.RECORD)
    received_at = received_at or timezone.now()
    if kind not in ClaimKind.values:
        raise invalid(
            "kind",
            _(
                "Unknown claim kind “%(value)s”; expected status, aggregate, lifecycle or "
                "retraction."
            )
            % {"value": kind},
        )
    breakdown = dict(breakdown or {})
    if breakdown and kind != ClaimKind.AGGREGATE:
        raise invalid("breakdown", _("Only an aggregate claim carries a breakdown."))
    if lifecycle and kind != ClaimKind.LIFECYCLE:
        raise invalid("lifecycle", _("Only a lifecycle claim names a stage."))
    if credibility not in Credibility.values:
        raise invalid(
            "credibility",
            _("Credibility %(value)s is not between 1 and 6.") % {"value": credibility},
        )
    if evidence_sha256 and not _SHA256.match(evidence_sha256):
        raise invalid("evidence_sha256", _("The file hash is not a SHA-256 hex digest."))
    if kind != ClaimKind.RETRACTION:
        # A retraction still corrects the record of an archived source or agreement.
        check_source_open(source)
        if agreement is not None:
            check_open(agreement)
    event = _check_dates(event_date, event_precision, received_at)
    if event_time is not None:
        if not isinstance(event_time, dt.time):
            raise invalid("event_time", _("The time of day is a time such as 18:30."))
        if event is None or event.precision != DatePrecision.DAY:
            raise invalid("event_time", _("A time of day needs an event date known to the day."))
        if dt.datetime.combine(event.value, event_time, tzinfo=received_at.tzinfo) > received_at:
            raise invalid("event_time", _("The event is after the claim was received."))

    if kind == ClaimKind.STATUS:
        _check_status_claim(
            person=person,
            agreement=agreement,
            status=status,
            event=event,
            released_count=released_count,
            is_member=lambda p, a: Membership.objects.filter(agreement=a, person=p).exists(),
            arrest_of=first_arrest,
        )
    elif kind == ClaimKind.AGGREGATE:
        if agreement is None:
            raise invalid("agreement", _("An aggregate claim must name its agreement."))
        if person is not None:
            raise invalid("person", _("An aggregate claim is about an agreement, not a person."))
        if released_count is None:
            raise invalid("released_count", _("An aggregate claim needs a released count."))
        if not isinstance(released_count, int) or released_count < 0:
            raise invalid("released_count", _("The released count must be a whole number ≥ 0."))
        if event is None:
            raise invalid("event_date", _("An aggregate claim needs the date of the event."))
        _check_breakdown(breakdown, released_count)
        status = ""
    elif kind == ClaimKind.LIFECYCLE:
        if agreement is None:
            raise invalid("agreement", _("A lifecycle claim must name its agreement."))
        if person is not None:
            raise invalid("person", _("A lifecycle claim is about an agreement, not a person."))
        if lifecycle not in Lifecycle.values:
            raise invalid(
                "lifecycle",
                _("Unknown stage “%(value)s”; expected one of: %(choices)s.")
                % {"value": lifecycle, "choices": ", ".join(Lifecycle.values)},
            )
        if released_count is not None or status:
            raise invalid("lifecycle", _("A lifecycle claim names a stage, not a status or count."))
        if event is None:
            raise invalid("event_date", _("A lifecycle claim needs the date of the event."))
        if event.certainly_before(PreciseDate.of(agreement.announced_on, DatePrecision.DAY)):
            raise invalid(
                "event_date",
                _("The agreement was announced on %(day)s; nothing happened to it before.")
                % {"day": localized(agreement.announced_on)},
            )
    else:
        if corrects is None:
            raise invalid("corrects", _("A retraction must name the claim it retracts."))
        for field, given in (
            ("status", status),
            ("released_count", released_count),
            ("event_date", event_date),
        ):
            if given not in ("", None):
                raise invalid(
                    field, _("A retraction only names the claim it retracts; it asserts nothing.")
                )
        person, agreement, status, released_count = (
            corrects.person,
            corrects.agreement,
            "",
            None,
        )
        if corrects.kind == ClaimKind.AGGREGATE:
            person = None
    _check_correction(
        corrects,
        source=source,
        kind=kind,
        person=person,
        agreement=agreement,
        received_at=received_at,
    )

    with transaction.atomic():
        ledger.serialize()
        claim = Claim(
            source=source,
            kind=kind,
            person=person,
            agreement=agreement,
            status=status,
            released_count=released_count,
            breakdown=breakdown,
            lifecycle=lifecycle,
            event_date=event.value if event else None,
            event_time=event_time,
            event_precision=event.precision if event else DatePrecision.DAY,
            received_at=received_at,
            credibility=credibility,
            corrects=corrects,
            evidence_text=evidence_text,
            evidence_url=evidence_url,
            evidence_sha256=evidence_sha256,
            recorded_by=actor,
        )
        claim.full_clean(exclude=["recorded_by", "source", "person", "agreement", "corrects"])
        claim.save()
        if person is not None:
            refresh_people([person.pk])
        ledger.append(
            actor,
            f"claim.{kind}",
            claim,
            {
                "source": _source_record(source)["slug"],
                "person": person.handle if person else None,
                "agreement": agreement.slug if agreement else None,
                "status": status,
                "released_count": released_count,
                **({"breakdown": breakdown} if breakdown else {}),
                **({"lifecycle": lifecycle} if lifecycle else {}),
                "event": str(event) if event else None,
                **({"event_time": event_time.isoformat()} if event_time else {}),
                "received_at": received_at.isoformat(),
                "credibility": credibility,
                "corrects": corrects.pk if corrects else None,
                "evidence_sha256": evidence_sha256,
            },
        )
    return claim


def _check_breakdown(breakdown: Mapping[str, object], total: int) -> None:
    for part, n in breakdown.items():
        if part not in BREAKDOWN_PARTS:
            raise invalid(
                "breakdown",
                _("Unknown part “%(value)s”; expected one of: %(choices)s.")
                % {"value": part, "choices": ", ".join(BREAKDOWN_PARTS)},
            )
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise invalid(
                "breakdown", _("The part “%(part)s” must be a whole number ≥ 0.") % {"part": part}
            )
    for parts in (("political", "other"), ("conditional", "unconditional", "exile")):
        given = sum(int(breakdown.get(p, 0)) for p in parts)  # type: ignore[call-overload]
        if given > total:
            raise invalid(
                "breakdown",
                _("The parts %(parts)s add up to %(n)d, more than the %(total)d released.")
                % {"parts": " + ".join(parts), "n": given, "total": total},
            )


def aggregate_warnings(agreement: Agreement, released_count: int, event_date: dt.date) -> list[str]:
    """What a person recording a count should look at twice; recorded all the same, since
    sources do say such things (and saying so is part of the record)."""
    warnings = []
    promised = agreement.promised_count
    if promised is not None and released_count > promised:
        warnings.append(
            _("The count %(n)d is above the %(promised)d promised.")
            % {"n": released_count, "promised": promised}
        )
    if event_date < agreement.announced_on:
        warnings.append(
            _("The date %(day)s is before the agreement was announced (%(announced)s).")
            % {"day": localized(event_date), "announced": localized(agreement.announced_on)}
        )
    earlier = (
        Claim.objects.filter(
            agreement=agreement, kind=ClaimKind.AGGREGATE, event_date__lte=event_date
        )
        .exclude(released_count__isnull=True)
        .order_by("-event_date", "-received_at")
        .values_list("released_count", "event_date")
        .first()
    )
    if earlier is not None:
        count, day = earlier
        if count is not None and day is not None and count > released_count:
            warnings.append(
                _("An earlier figure (%(n)d on %(day)s) is higher: the count goes down.")
                % {"n": count, "day": localized(day)}
            )
    return warnings


@dataclass(frozen=True)
class StatusClaim:
    """One status claim for :func:`claims_record_bulk`."""

    person: Person
    status: str
    event_date: dt.date
    event_precision: str = DatePrecision.DAY
    credibility: int = Credibility.UNKNOWN
    evidence_text: str = ""
    evidence_url: str = ""
    # When the claim was received, if not when the batch was (a list's rows reported on
    # different days).
    received_at: dt.datetime | None = None


def _first_arrests(person_ids: Iterable[int]) -> dict[int, PreciseDate]:
    """:func:`first_arrest` for many people in one query."""
    out: dict[int, PreciseDate] = {}
    rows = (
        CustodyEpisode.objects.filter(person_id__in=list(person_ids))
        .order_by("person_id", "start_date")
        .values_list("person_id", "start_date", "start_precision")
    )
    for pid, start, precision in rows:
        if pid not in out:
            out[pid] = PreciseDate.of(start, precision)
    return out


def claims_record_bulk(
    *,
    actor: User,
    source: Source,
    claims: Sequence[StatusClaim],
    agreement: Agreement | None = None,
    received_at: dt.datetime | None = None,
    batch_size: int = 2000,
) -> list[int]:
    """Record many status claims of one source at once (a list import); returns their
    ids, in the order given.

    Every claim passes the checks of :func:`claim_record` (permission, status, dates,
    membership of ``agreement``, release before arrest); the members' cached states are
    rederived. Writes **no** ledger entry of its own: it runs inside the caller's
    transaction and the caller appends one entry for the batch, with a digest over the
    claims (``detente.reconcile``'s import). A refused claim raises its
    ``ValidationError`` with ``position`` (its index in ``claims``); the caller's
    transaction then undoes whatever was written.
    """
    require(actor, Action.RECORD)
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("claims_record_bulk runs inside the caller's audited transaction")
    check_source_open(source)
    if agreement is not None:
        check_open(agreement)
    received_at = received_at or timezone.now()
    now = timezone.now()
    policy = policy_for(agreement) if agreement is not None else None
    created: list[int] = []
    # The dates' checks of each (event date, precision, time received) already passed: a
    # list repeats them, and a check passed against the clock still passes a moment later.
    dates_checked: dict[tuple[object, ...], PreciseDate | None] = {}
    ledger.serialize()
    for start in range(0, len(claims), batch_size):
        chunk = claims[start : start + batch_size]
        person_ids = {c.person.pk for c in chunk}
        rows: list[tuple[object, ...]] = []
        members: set[int] = (
            set(
                Membership.objects.filter(
                    agreement=agreement, person_id__in=person_ids
                ).values_list("person_id", flat=True)
            )
            if agreement is not None
            else set()
        )
        arrests = _first_arrests(person_ids)
        for position, c in enumerate(chunk):
            if c.credibility not in _CREDIBILITIES:
                raise invalid(
                    "credibility",
                    _("Credibility %(value)s is not between 1 and 6.") % {"value": c.credibility},
                )
            received = c.received_at or received_at
            try:
                dates = (c.event_date, c.event_precision, received)
                if dates in dates_checked:
                    event = dates_checked[dates]
                else:
                    event = dates_checked[dates] = _check_dates(*dates)
                _check_status_claim(
                    person=c.person,
                    agreement=agreement,
                    status=c.status,
                    event=event,
                    released_count=None,
                    is_member=lambda p, a, found=members: p.pk in found,  # type: ignore[misc]
                    arrest_of=lambda p, found=arrests: found.get(p.pk),  # type: ignore[misc]
                    policy=policy,
                )
                if c.evidence_url:
                    # The one check of claim_record's full_clean not made above.
                    Claim(evidence_url=c.evidence_url).clean_fields(
                        exclude=[f.name for f in Claim._meta.fields if f.name != "evidence_url"]
                    )
            except ValidationError as exc:
                exc.position = start + position  # type: ignore[attr-defined]  # which claim
                raise
            assert event is not None  # noqa: S101 - checked above
            rows.append(
                (
                    source.pk,
                    ClaimKind.STATUS,
                    c.person.pk,
                    agreement.pk if agreement is not None else None,
                    c.status,
                    None,
                    event.value,
                    event.precision,
                    received,
                    c.credibility,
                    None,
                    c.evidence_text,
                    c.evidence_url,
                    "",
                    actor.pk,
                    now,
                    {},
                    "",
                )
            )
        # Plain INSERTs (bulk_create's per-value compilation was most of the time at
        # 100,000 claims); the new ids are read back in insertion order. Claims are only
        # written under ledger.serialize(), so no other claim can come between.
        last = Claim.objects.order_by("-id").values_list("id", flat=True).first() or 0
        insert_rows(Claim, _BULK_CLAIM_COLUMNS, rows)
        ids = list(
            Claim.objects.filter(pk__gt=last, source=source, recorded_by=actor, created_at=now)
            .order_by("id")
            .values_list("id", flat=True)
        )
        if len(ids) != len(rows):
            raise RuntimeError("claims were written by someone else meanwhile")
        created.extend(ids)
        refresh_people(person_ids)
    return created


_BULK_CLAIM_COLUMNS = (
    "source",
    "kind",
    "person",
    "agreement",
    "status",
    "released_count",
    "event_date",
    "event_precision",
    "received_at",
    "credibility",
    "corrects",
    "evidence_text",
    "evidence_url",
    "evidence_sha256",
    "recorded_by",
    "created_at",
    "breakdown",
    "lifecycle",
)
