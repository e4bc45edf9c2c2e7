"""Keeping each member's cached state equal to what the rules derive from the claims."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import connection

from detente.agreements.models import Agreement, Membership, MemberState
from detente.evidence.facts import latest_arrests, person_claim_facts
from detente.evidence.verification import ClaimFact, Derived, Policy, State, as_of, derive

STATE_FIELDS = (
    "state",
    "release_category",
    "status",
    "released_on",
    "reported_at",
    "confirmed_at",
    "rearrested_on",
    "first_reported_at",
    "first_confirmed_at",
)
assert set(State.__dict__.values()) >= set(MemberState.values)  # noqa: S101 - vocabularies agree


def _reach(audience: str, list_only: bool) -> int:
    """How widely an agreement is shown: staff < listed legislators < legislature < public."""
    if audience == "public":
        return 3
    if audience == "legislature":
        return 1 if list_only else 2
    return 0


def unseen_agreements(agreement: Agreement) -> frozenset[int]:
    """Agreements shown to fewer people than ``agreement``: their claims do not count in it."""
    reach = _reach(agreement.audience, agreement.legislature_list_only)
    if reach == 0:
        return frozenset()
    return frozenset(
        pk
        for pk, audience, list_only in Agreement.objects.exclude(pk=agreement.pk).values_list(
            "pk", "audience", "legislature_list_only"
        )
        if _reach(audience, list_only) < reach
    )


def policy_for(agreement: Agreement) -> Policy:
    return Policy(
        releasing_groups=frozenset({agreement.promisor.independence_group}),
        confirm_min_grade=agreement.confirm_min_grade,
        dispute_min_grade=agreement.dispute_min_grade,
        overrides=dict(agreement.status_overrides or {}),
        counts_from=agreement.announced_on,
        unseen_agreements=unseen_agreements(agreement),
    )


def derive_members(
    agreement: Agreement,
    person_ids: Iterable[int],
    moment: dt.datetime | None = None,
    facts: dict[int, list[ClaimFact]] | None = None,
    arrests: dict[int, dt.date] | None = None,
) -> dict[int, Derived]:
    """Derive each listed member's state from claims known at ``moment``."""
    ids = list(person_ids)
    facts = person_claim_facts(ids) if facts is None else facts
    arrests = latest_arrests(ids) if arrests is None else arrests
    policy = policy_for(agreement)
    return {
        pid: derive(as_of(facts.get(pid, ()), moment), policy, arrests.get(pid))[0] for pid in ids
    }


def _apply(m: Membership, d: Derived) -> bool:
    new = (
        d.state,
        d.release_category,
        d.status,
        d.released_on,
        d.reported_at,
        d.confirmed_at,
        d.rearrested_on,
        d.first_reported_at,
        d.first_confirmed_at,
    )
    if tuple(getattr(m, f) for f in STATE_FIELDS) == new:
        return False
    for f, v in zip(STATE_FIELDS, new, strict=True):
        setattr(m, f, v)
    return True


def refresh(memberships: Iterable[Membership]) -> int:
    """Recompute the cached state of these memberships; return how many changed."""
    ms = list(memberships)
    if not ms:
        return 0
    people = {m.person_id for m in ms}
    facts, arrests = person_claim_facts(people), latest_arrests(people)
    derived_by_agreement: dict[int, dict[int, Derived]] = {}
    changed = []
    for m in ms:
        per = derived_by_agreement.get(m.agreement_id)
        if per is None:
            per = derived_by_agreement[m.agreement_id] = derive_members(
                m.agreement,
                [x.person_id for x in ms if x.agreement_id == m.agreement_id],
                facts=facts,
                arrests=arrests,
            )
        if _apply(m, per[m.person_id]):
            changed.append(m)
    _write_states(changed)
    return len(changed)


def _write_states(changed: list[Membership]) -> None:
    """One parameterised UPDATE per row, sent as a batch.

    ``bulk_update`` builds one CASE expression per column over the whole batch, which was
    ten times slower here for a 10,000-member rebuild on SQLite.
    """
    if not changed:
        return
    table = connection.ops.quote_name(Membership._meta.db_table)
    columns = ", ".join(f"{connection.ops.quote_name(f)} = %s" for f in STATE_FIELDS)
    sql = f"UPDATE {table} SET {columns} WHERE id = %s"  # noqa: S608 - names are ours
    by_name = {f.name: f for f in Membership._meta.concrete_fields}
    fields = [by_name[name] for name in STATE_FIELDS]
    rows = [
        [f.get_db_prep_value(getattr(m, f.attname), connection) for f in fields] + [m.pk]
        for m in changed
    ]
    with connection.cursor() as cur:
        cur.executemany(sql, rows)


def refresh_for_audience(agreement: Agreement) -> int:
    """After an agreement is shown to more or fewer people: the claims made under it now
    count, or no longer count, in the other agreements of the people they are about."""
    from detente.evidence.models import Claim

    people = set(
        Claim.objects.filter(agreement=agreement, person__isnull=False).values_list(
            "person_id", flat=True
        )
    )
    return refresh_people(people)


def refresh_people(person_ids: Iterable[int]) -> int:
    ms = Membership.objects.filter(person_id__in=list(person_ids)).select_related(
        "agreement__promisor"
    )
    return refresh(ms)


def rebuild_agreement(agreement: Agreement) -> int:
    """Recompute every member of an agreement from its claims."""
    ms = Membership.objects.filter(agreement=agreement).select_related("agreement__promisor")
    return refresh(ms)
