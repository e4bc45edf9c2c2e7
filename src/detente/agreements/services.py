"""Writes about parties, agreements and who is named on them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from detente.access.policy import Action, require
from detente.agreements.derivation import rebuild_agreement, refresh
from detente.agreements.models import Agreement, Classification, Membership, Party, PartyKind
from detente.audit import ledger
from detente.core.dates import localized
from detente.core.errors import check_slug, check_text, invalid
from detente.core.places import check_country, check_division
from detente.evidence.models import Reliability, Source
from detente.registry.models import Person
from detente.registry.status import (
    DEFAULT_CATEGORY,
    RELEASE_CATEGORIES,
    CustodyStatus,
    validate_overrides,
)


def _check_party_kind(kind: str) -> None:
    if kind not in PartyKind.values:
        raise invalid(
            "kind",
            _("Unknown kind of party “%(value)s”; expected one of: %(choices)s.")
            % {"value": kind, "choices": ", ".join(PartyKind.values)},
        )


def _party_record(party: Party) -> dict[str, object]:
    return {
        "slug": party.slug,
        "name": party.name,
        "kind": party.kind,
        "independence_group": party.independence_group,
    }


def party_create(
    *,
    actor: User,
    slug: str,
    name: str,
    independence_group: str,
    kind: str = PartyKind.GOVERNMENT,
) -> Party:
    require(actor, Action.MANAGE)
    name = check_text("name", name, 200, required=True)
    check_slug("slug", slug)
    check_slug("independence_group", independence_group)
    _check_party_kind(kind)
    if Party.objects.filter(slug=slug).exists():
        raise invalid("slug", _("A party with the slug “%(slug)s” exists.") % {"slug": slug})
    with transaction.atomic():
        party = Party.objects.create(
            slug=slug, name=name, kind=kind, independence_group=independence_group
        )
        ledger.append(actor, "party.create", party, _party_record(party))
    return party


def party_edit(
    *,
    actor: User,
    party: Party,
    name: str | None = None,
    kind: str | None = None,
    independence_group: str | None = None,
) -> Party:
    """Change what a party is called, what kind it is, or which sources speak for it.

    A new independence group changes who can confirm releases under the agreements it
    makes, so every member of those agreements is rederived in the same transaction.
    """
    require(actor, Action.MANAGE)
    if name is not None:
        name = check_text("name", name, 200, required=True)
    if kind is not None:
        _check_party_kind(kind)
    if independence_group is not None:
        check_slug("independence_group", independence_group)
    with transaction.atomic():
        ledger.serialize()
        Party.objects.select_for_update().get(pk=party.pk)  # lock, then read what it holds
        party.refresh_from_db()
        before = _party_record(party)
        regroup = independence_group is not None and independence_group != party.independence_group
        if regroup:
            sides = Agreement.objects.filter(Q(promisor=party) | Q(promisee=party))
            for agreement in sides.select_related("promisor", "promisee"):
                other = (
                    agreement.promisee if agreement.promisor_id == party.pk else agreement.promisor
                )
                if other.independence_group == independence_group:
                    raise invalid(
                        "independence_group",
                        _(
                            "“%(agreement)s” would then have both parties in one independence "
                            "group, and no release under it could be confirmed."
                        )
                        % {"agreement": agreement.slug},
                    )
        party.name = name if name is not None else party.name
        party.kind = kind if kind is not None else party.kind
        if independence_group is not None:
            party.independence_group = independence_group
        after = _party_record(party)
        if after == before:
            return party
        party.save(update_fields=["name", "kind", "independence_group"])
        changed = 0
        if regroup:
            for agreement in Agreement.objects.filter(promisor=party):
                changed += rebuild_agreement(agreement)
        ledger.append(
            actor,
            "party.edit",
            party,
            {"before": before, "after": after, "members_changed": changed},
        )
    return party


def party_archive(*, actor: User, party: Party, archived: bool = True) -> Party:
    """Archive a party (kept for its history, not offered for new agreements) or restore it."""
    require(actor, Action.MANAGE)
    with transaction.atomic():
        Party.objects.select_for_update().get(pk=party.pk)  # lock, then read what it holds
        party.refresh_from_db()
        if (party.archived_at is not None) == archived:
            return party
        party.archived_at = timezone.now() if archived else None
        party.save(update_fields=["archived_at"])
        ledger.append(actor, "party.archive" if archived else "party.restore", party, {})
    return party


def _check_policy(confirm_min_grade: str, dispute_min_grade: str, status_overrides: object) -> None:
    for field, grade in (
        ("confirm_min_grade", confirm_min_grade),
        ("dispute_min_grade", dispute_min_grade),
    ):
        if grade not in Reliability.values:
            raise invalid(
                field,
                _("Reliability grade “%(value)s” is not one of A, B, C, D, E, F.")
                % {"value": grade},
            )
    problems = validate_overrides(status_overrides)
    if problems:
        raise invalid("status_overrides", "; ".join(problems))


def _check_promise(promised_count: object, promised_approximate: bool) -> None:
    if promised_count is None:
        if promised_approximate:
            raise invalid(
                "promised_count",
                _(
                    "An approximate count needs a number (“about 900”); leave both empty "
                    "when the promise names no number."
                ),
            )
        return
    if isinstance(promised_count, bool) or not isinstance(promised_count, int):
        raise invalid("promised_count", _("The promised count is a whole number, or unknown."))
    if promised_count < 0:
        raise invalid("promised_count", _("The promised count cannot be negative."))


def _check_expected_release(expected_release: str) -> None:
    if expected_release and (
        expected_release not in CustodyStatus.values
        or DEFAULT_CATEGORY[expected_release] not in RELEASE_CATEGORIES
    ):
        releases = [s for s in CustodyStatus.values if DEFAULT_CATEGORY[s] in RELEASE_CATEGORIES]
        raise invalid(
            "expected_release",
            _("“%(value)s” is not a kind of release; expected one of: %(choices)s.")
            % {"value": expected_release, "choices": ", ".join(releases)},
        )


def _check_parties(promisor: Party, promisee: Party, mediators: Sequence[Party]) -> None:
    if promisor.pk == promisee.pk:
        raise invalid("promisee", _("An agreement needs two different parties."))
    if promisor.independence_group == promisee.independence_group:
        raise invalid(
            "promisee",
            _(
                "The two parties share the independence group “%(group)s”, so the "
                "counterpart could never confirm a release independently."
            )
            % {"group": promisee.independence_group},
        )
    for mediator in mediators:
        if mediator.pk in (promisor.pk, promisee.pk):
            raise invalid(
                "mediators",
                _("%(party)s is already a party to the agreement; a mediator is a third party.")
                % {"party": mediator.name},
            )


def _check_not_archived(field: str, parties: Iterable[Party]) -> None:
    for party in parties:
        if party.archived_at is not None:
            raise invalid(
                field,
                _("The party “%(party)s” is archived; restore it to use it again.")
                % {"party": party.slug},
            )


def _check_legs(agreement: Agreement, legs: Sequence[Agreement]) -> None:
    """Each other leg of an exchange is released by this agreement's counterpart, who
    receives here and releases there."""
    for leg in legs:
        if leg.pk == agreement.pk:
            raise invalid("exchange_legs", _("An agreement is not an exchange with itself."))
        if leg.promisor_id != agreement.promisee_id or leg.promisee_id != agreement.promisor_id:
            raise invalid(
                "exchange_legs",
                _(
                    "In “%(leg)s” the releasing party is not this agreement's counterpart "
                    "releasing to this agreement's releasing party; an exchange's legs are "
                    "the two sides releasing to each other."
                )
                % {"leg": leg.slug},
            )


def _agreement_record(agreement: Agreement, mediators: Sequence[Party]) -> dict[str, object]:
    return {
        "slug": agreement.slug,
        "title": agreement.title,
        "title_es": agreement.title_es,
        "promisor": agreement.promisor.slug,
        "promisee": agreement.promisee.slug,
        "mediators": sorted(p.slug for p in mediators),
        "announced_on": agreement.announced_on.isoformat(),
        "country": agreement.country,
        "division": agreement.division,
        "promised_count": agreement.promised_count,
        "promised_approximate": agreement.promised_approximate,
        "expected_release": agreement.expected_release,
        "description": agreement.description,
        "description_es": agreement.description_es,
    }


def agreement_create(
    *,
    actor: User,
    slug: str,
    title: str,
    promisor: Party,
    promisee: Party,
    announced_on: dt.date,
    promised_count: int | None,
    promised_approximate: bool = False,
    expected_release: str = "",
    description: str = "",
    title_es: str = "",
    description_es: str = "",
    mediators: Sequence[Party] = (),
    confirm_min_grade: str = Reliability.B,
    dispute_min_grade: str = Reliability.C,
    status_overrides: Mapping[str, str] | None = None,
    country: str = "",
    division: str = "",
) -> Agreement:
    """Record an agreement. ``promised_count=None`` when the promise names no number;
    ``country`` (ISO 3166-1 alpha-2) is the registry's unless given, ``division`` (ISO
    3166-2, first level) only for an agreement local to one."""
    require(actor, Action.MANAGE)
    country = check_country("country", country)
    division = check_division("division", division, country)
    _check_policy(confirm_min_grade, dispute_min_grade, status_overrides or {})
    overrides = dict(status_overrides or {})
    title = check_text("title", title, 200, required=True)
    title_es = check_text("title_es", title_es, 200)
    description = check_text("description", description, 10_000)
    description_es = check_text("description_es", description_es, 10_000)
    check_slug("slug", slug)
    if Agreement.objects.filter(slug=slug).exists():
        raise invalid("slug", _("An agreement with the slug “%(slug)s” exists.") % {"slug": slug})
    mediators = list({p.pk: p for p in mediators}.values())
    _check_parties(promisor, promisee, mediators)
    _check_not_archived("promisor", [promisor])
    _check_not_archived("promisee", [promisee])
    _check_not_archived("mediators", mediators)
    if announced_on > timezone.now().date():
        raise invalid("announced_on", _("The announcement date is in the future."))
    _check_promise(promised_count, promised_approximate)
    _check_expected_release(expected_release)
    with transaction.atomic():
        agreement = Agreement.objects.create(
            slug=slug,
            title=title,
            title_es=title_es,
            promisor=promisor,
            promisee=promisee,
            announced_on=announced_on,
            country=country,
            division=division,
            promised_count=promised_count,
            promised_approximate=promised_approximate,
            expected_release=expected_release,
            description=description,
            description_es=description_es,
            confirm_min_grade=confirm_min_grade,
            dispute_min_grade=dispute_min_grade,
            status_overrides=overrides,
        )
        if mediators:
            agreement.mediators.set(mediators)
        record = _agreement_record(agreement, mediators)
        record["policy"] = [confirm_min_grade, dispute_min_grade, overrides]
        ledger.append(actor, "agreement.create", agreement, record)
    return agreement


_UNSET: Any = object()


def agreement_edit(
    *,
    actor: User,
    agreement: Agreement,
    title: str = _UNSET,
    title_es: str = _UNSET,
    description: str = _UNSET,
    description_es: str = _UNSET,
    promisor: Party = _UNSET,
    promisee: Party = _UNSET,
    mediators: Sequence[Party] = _UNSET,
    announced_on: dt.date = _UNSET,
    promised_count: int | None = _UNSET,
    promised_approximate: bool = _UNSET,
    expected_release: str = _UNSET,
    exchange_legs: Sequence[Agreement] = _UNSET,
    country: str = _UNSET,
    division: str = _UNSET,
) -> Agreement:
    """Correct what was recorded of an agreement; arguments left out stay as they are.

    The ledger keeps the record before and after. A new releasing party or announcement
    date changes what counts as the agreement's releases, so its members are rederived.
    """
    require(actor, Action.MANAGE)
    try:
        with transaction.atomic():
            ledger.serialize()
            Agreement.objects.select_for_update().get(pk=agreement.pk)  # lock, then read
            agreement.refresh_from_db()
            old_mediators = list(agreement.mediators.all())
            before = _agreement_record(agreement, old_mediators)
            if title is not _UNSET:
                agreement.title = check_text("title", title, 200, required=True)
            if title_es is not _UNSET:
                agreement.title_es = check_text("title_es", title_es, 200)
            if description is not _UNSET:
                agreement.description = check_text("description", description, 10_000)
            if description_es is not _UNSET:
                agreement.description_es = check_text("description_es", description_es, 10_000)
            new_mediators = (
                old_mediators
                if mediators is _UNSET
                else list({p.pk: p for p in mediators}.values())
            )
            if promisor is not _UNSET and promisor.pk != agreement.promisor_id:
                _check_not_archived("promisor", [promisor])
                agreement.promisor = promisor
            if promisee is not _UNSET and promisee.pk != agreement.promisee_id:
                _check_not_archived("promisee", [promisee])
                agreement.promisee = promisee
            if mediators is not _UNSET:
                old_ids = {p.pk for p in old_mediators}
                _check_not_archived("mediators", [p for p in new_mediators if p.pk not in old_ids])
            _check_parties(agreement.promisor, agreement.promisee, new_mediators)
            if announced_on is not _UNSET:
                if announced_on > timezone.now().date():
                    raise invalid("announced_on", _("The announcement date is in the future."))
                first_named = (
                    Membership.objects.filter(agreement=agreement)
                    .order_by("named_on")
                    .values_list("named_on", flat=True)
                    .first()
                )
                if first_named is not None and first_named < announced_on:
                    raise invalid(
                        "announced_on",
                        _(
                            "People were named on this agreement on %(date)s, before "
                            "that announcement date."
                        )
                        % {"date": localized(first_named)},
                    )
                agreement.announced_on = announced_on
            if country is not _UNSET:
                agreement.country = check_country("country", country)
                if division is _UNSET and agreement.division:
                    division = agreement.division  # kept only if it is in the new country
            if division is not _UNSET:
                agreement.division = check_division("division", division, agreement.country)
            if promised_count is not _UNSET:
                agreement.promised_count = promised_count
            if promised_approximate is not _UNSET:
                agreement.promised_approximate = bool(promised_approximate)
            elif promised_count is None:
                agreement.promised_approximate = False  # "no number" is not "about" one
            _check_promise(agreement.promised_count, agreement.promised_approximate)
            if expected_release is not _UNSET:
                _check_expected_release(expected_release)
                agreement.expected_release = expected_release
            old_legs = sorted(a.slug for a in agreement.exchange_legs.all())
            new_legs = old_legs
            if exchange_legs is not _UNSET:
                legs = list({a.pk: a for a in exchange_legs}.values())
                _check_legs(agreement, legs)
                new_legs = sorted(a.slug for a in legs)
            after = _agreement_record(agreement, new_mediators)
            before["exchange_legs"], after["exchange_legs"] = old_legs, new_legs
            if after == before:
                return agreement
            agreement.save()
            if mediators is not _UNSET:
                agreement.mediators.set(new_mediators)
            if exchange_legs is not _UNSET and new_legs != old_legs:
                agreement.exchange_legs.set(legs)
            changed = 0
            if (
                before["promisor"] != after["promisor"]
                or before["announced_on"] != after["announced_on"]
            ):
                changed = rebuild_agreement(agreement)
            fields = sorted(k for k in after if after[k] != before[k])
            ledger.append(
                actor,
                "agreement.edit",
                agreement,
                {
                    "changed": fields,
                    "before": {k: before[k] for k in fields},
                    "after": {k: after[k] for k in fields},
                    "members_changed": changed,
                },
            )
    except ValidationError:
        agreement.refresh_from_db()  # what the caller holds is what is stored
        raise
    return agreement


def agreement_archive(*, actor: User, agreement: Agreement, archived: bool = True) -> Agreement:
    """Archive an agreement (its page and figures stay; no new members or claims) or
    restore it."""
    require(actor, Action.MANAGE)
    with transaction.atomic():
        Agreement.objects.select_for_update().get(pk=agreement.pk)  # lock, then read
        agreement.refresh_from_db()
        if (agreement.archived_at is not None) == archived:
            return agreement
        agreement.archived_at = timezone.now() if archived else None
        agreement.save(update_fields=["archived_at"])
        ledger.append(
            actor, "agreement.archive" if archived else "agreement.restore", agreement, {}
        )
    return agreement


def check_open(agreement: Agreement, field: str = "agreement") -> None:
    """Refuse new members and claims under an archived agreement."""
    if agreement.archived_at is not None:
        raise invalid(
            field,
            _("The agreement “%(slug)s” is archived; restore it to record under it.")
            % {"slug": agreement.slug},
        )


def agreement_set_policy(
    *,
    actor: User,
    agreement: Agreement,
    confirm_min_grade: str,
    dispute_min_grade: str,
    status_overrides: Mapping[str, str],
) -> Agreement:
    """Change the verification policy and rederive every member under it."""
    require(actor, Action.MANAGE)
    _check_policy(confirm_min_grade, dispute_min_grade, status_overrides)
    overrides = dict(status_overrides)
    with transaction.atomic():
        ledger.serialize()
        before = [
            agreement.confirm_min_grade,
            agreement.dispute_min_grade,
            agreement.status_overrides,
        ]
        agreement.confirm_min_grade = confirm_min_grade
        agreement.dispute_min_grade = dispute_min_grade
        agreement.status_overrides = overrides
        agreement.save(update_fields=["confirm_min_grade", "dispute_min_grade", "status_overrides"])
        changed = rebuild_agreement(agreement)
        ledger.append(
            actor,
            "agreement.policy",
            agreement,
            {
                "before": before,
                "after": [confirm_min_grade, dispute_min_grade, overrides],
                "members_changed": changed,
            },
        )
    return agreement


def agreement_add_members(
    *,
    actor: User,
    agreement: Agreement,
    people: Iterable[Person],
    named_on: dt.date | None = None,
    named_by: Source | None = None,
    named_note: str = "",
) -> list[Membership]:
    """Name people on an agreement (already named ones are left as they are).

    ``named_by`` is the source on whose word they are named; ``named_note`` says why
    ``named_on`` is what it is when it is not the day of entry ("list published 3 Jan").
    """
    require(actor, Action.RECORD)
    check_open(agreement)
    named_on = named_on or timezone.now().date()
    if named_on > timezone.now().date():
        raise invalid("named_on", _("The date named is in the future."))
    if named_on < agreement.announced_on:
        raise invalid("named_on", _("A person cannot be named before the announcement."))
    named_note = check_text("named_note", named_note, 500)
    if named_by is not None and named_by.archived_at is not None:
        raise invalid(
            "named_by",
            _("The source “%(slug)s” is archived.") % {"slug": named_by.slug},
        )
    people = list({p.pk: p for p in people}.values())  # the same person twice is named once
    with transaction.atomic():
        ledger.serialize()
        existing = set(
            Membership.objects.filter(agreement=agreement, person__in=people).values_list(
                "person_id", flat=True
            )
        )
        new = [
            Membership(
                agreement=agreement,
                person=p,
                named_on=named_on,
                named_by=named_by,
                named_note=named_note,
            )
            for p in people
            if p.pk not in existing
        ]
        Membership.objects.bulk_create(new, batch_size=1000)
        created = list(
            Membership.objects.filter(
                agreement=agreement, person__in=[m.person for m in new]
            ).select_related("agreement__promisor")
        )
        refresh(created)
        ledger.append(
            actor,
            "agreement.add_members",
            agreement,
            {
                "added": sorted(m.person.handle for m in new),
                "named_on": named_on.isoformat(),
                **({"named_by": named_by.pk} if named_by is not None else {}),
                **({"named_note": named_note} if named_note else {}),
            },
        )
    return created


def member_classify(
    *,
    actor: User,
    agreement: Agreement,
    person: Person,
    classification: str,
    source: Source,
    reason: str,
    classified_on: dt.date | None = None,
) -> Membership:
    """Say, on ``source``'s word, whether a named member is a political prisoner.

    A member classified ``other`` (a common prisoner inside the releasing side's count)
    stays named, but from ``classified_on`` is left out of the promise's parts and
    milestones and out of the releases the gap is measured on. A reason is required
    either way; the ledger keeps every change, so a classification can be undone by
    classifying again.
    """
    require(actor, Action.RECORD)
    check_open(agreement)
    if classification not in Classification.values:
        raise invalid(
            "classification",
            _("Unknown classification “%(value)s”; use political or other.")
            % {"value": classification},
        )
    if source.archived_at is not None:
        raise invalid("source", _("The source “%(slug)s” is archived.") % {"slug": source.slug})
    reason = check_text("reason", reason, 500).strip()
    if not reason:
        raise invalid("reason", _("Say why, as the source puts it."))
    today = timezone.now().date()
    classified_on = classified_on or today
    if classified_on > today:
        raise invalid("classified_on", _("The date is in the future."))
    with transaction.atomic():
        ledger.serialize()
        member = (
            Membership.objects.select_for_update()
            .filter(agreement=agreement, person=person)
            .first()
        )
        if member is None:
            raise invalid(
                "person",
                _("%(handle)s is not named on this agreement.") % {"handle": person.handle},
            )
        if classified_on < member.named_on:
            raise invalid("classified_on", _("The date is before the person was named."))
        before = member.classification
        member.classification = classification
        member.classified_by = source
        member.classified_on = classified_on
        member.classified_note = reason
        member.save(
            update_fields=["classification", "classified_by", "classified_on", "classified_note"]
        )
        ledger.append(
            actor,
            "agreement.classify_member",
            agreement,
            {
                "person": person.handle,
                "before": before,
                "after": classification,
                "source": source.pk,
                "on": classified_on.isoformat(),
                "reason": reason,
            },
        )
    return member
