"""Merging two people found to be one, and splitting a wrong merge back exactly.

A merge keeps both records: claims are immutable and keep pointing at the person they
were made about. The merged person is marked ``merged_into`` the survivor, which keeps its
handle; from then on the merged person's claims and custody episodes count for the
survivor (``evidence.facts``), their handle finds the survivor (``registry.selectors``),
they leave every list and the search index (their names are searched as the survivor's),
and their memberships move to the survivor. A membership on an agreement the survivor is
already named on is dropped, its id and date kept in the :class:`Merge` record so a split
recreates it as it was.

Both are verifier and administrator decisions (``Action.MANAGE``), written to the ledger
with the evidence: the engine's score of the pair and its explanation, and the reason given.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from detente.access.policy import Action, require
from detente.agreements.derivation import refresh_people
from detente.agreements.models import Membership
from detente.audit import ledger
from detente.core.errors import check_text, invalid
from detente.matching.model import LinkageModel, TermFrequencies
from detente.reconcile.engine import registry_records
from detente.reconcile.models import Merge
from detente.registry import search
from detente.registry.models import Identity, NameToken, Person, absorbed


def pair_evidence(a: Person, b: Person) -> dict[str, Any]:
    """The engine's score of two people and its explanation (no names: levels and bits)."""
    from detente.matching.registry import registry_index

    index = registry_index()
    records = {r.key: r for r in registry_records([a.pk, b.pk])}
    left, right = records.get(a.pk), records.get(b.pk)
    if left is None or right is None:
        return {}
    tf: TermFrequencies = index.tf
    model: LinkageModel = index.model
    return model.score(left, right, tf, max(len(index), 1)).as_dict()


def _reindex(person: Person) -> None:
    """The person's search tokens: their own names and those of everyone merged into them."""
    identity = Identity.objects.filter(person=person).first()
    if identity is not None:
        search.index_identity(identity)
    have = set(NameToken.objects.filter(person=person).values_list("token", flat=True))
    extra: set[str] = set()
    for ident in Identity.objects.filter(person_id__in=list(absorbed([person.pk]))):
        extra |= search.identity_tokens(
            ident.given_names, ident.paternal_surname, ident.maternal_surname, list(ident.aliases)
        )
    NameToken.objects.bulk_create(
        [NameToken(person=person, token=t) for t in sorted(extra - have)], batch_size=1000
    )


def person_merge(*, actor: User, survivor: Person, merged: Person, reason: str) -> Merge:
    """``merged`` is ``survivor``: mark it so, move its memberships, fold its claims."""
    require(actor, Action.MANAGE)
    reason = check_text("reason", reason, 2000, required=True)
    if survivor.pk == merged.pk:
        raise invalid("merged", _("A person cannot be merged into themselves."))
    with transaction.atomic():
        ledger.serialize()
        locked = {
            p.pk: p
            for p in Person.objects.select_for_update().filter(pk__in=[survivor.pk, merged.pk])
        }
        for who, field in ((survivor, "survivor"), (merged, "merged")):
            if locked[who.pk].merged_into_id is not None:
                raise invalid(
                    field,
                    _("%(handle)s was already merged into another person.")
                    % {"handle": who.handle},
                )
        evidence = pair_evidence(survivor, merged)
        already = set(
            Membership.objects.filter(person=survivor).values_list("agreement_id", flat=True)
        )
        moved: list[int] = []
        dropped: list[dict[str, Any]] = []
        for m in Membership.objects.filter(person=merged).order_by("id"):
            if m.agreement_id in already:
                dropped.append(
                    {"id": m.pk, "agreement": m.agreement_id, "named_on": m.named_on.isoformat()}
                )
            else:
                moved.append(m.pk)
        Membership.objects.filter(pk__in=[d["id"] for d in dropped]).delete()
        Membership.objects.filter(pk__in=moved).update(person=survivor)
        Person.objects.filter(pk=merged.pk).update(merged_into=survivor)
        merged.merged_into = survivor
        NameToken.objects.filter(person=merged).delete()
        _reindex(survivor)
        refresh_people([survivor.pk])
        record = Merge.objects.create(
            survivor=survivor,
            merged=merged,
            moved_memberships=moved,
            dropped_memberships=dropped,
            evidence=evidence,
            reason=reason,
            merged_by=actor,
        )
        ledger.append(
            actor,
            "person.merge",
            record,
            {
                "survivor": survivor.handle,
                "merged": merged.handle,
                "memberships_moved": moved,
                "memberships_dropped": dropped,
                "evidence": evidence,
                "reason": ledger.keyed_hash(reason, survivor.handle),
            },
        )
    return record


def person_split(*, actor: User, merge: Merge, reason: str) -> Merge:
    """Undo a merge exactly: the merged person stands alone again with their memberships,
    claims and search tokens; the survivor is as before the merge."""
    require(actor, Action.MANAGE)
    reason = check_text("reason", reason, 2000, required=True)
    with transaction.atomic():
        ledger.serialize()
        merge = (
            Merge.objects.select_for_update().select_related("survivor", "merged").get(pk=merge.pk)
        )
        if merge.split_at is not None:
            raise invalid("merge", _("This merge was already split."))
        survivor, merged = merge.survivor, merge.merged
        Person.objects.select_for_update().filter(pk__in=[survivor.pk, merged.pk]).count()
        if merged.merged_into_id != survivor.pk:
            raise invalid("merge", _("This merge is no longer in effect."))
        moved = list(merge.moved_memberships)
        still_there = Membership.objects.filter(pk__in=moved, person=survivor).count()
        if still_there != len(moved):
            raise invalid(
                "merge",
                _("%(handle)s was merged again since; split that later merge first.")
                % {"handle": survivor.handle},
            )
        Membership.objects.filter(pk__in=moved).update(person=merged)
        for d in merge.dropped_memberships:
            taken = Membership.objects.filter(pk=d["id"]).exists()
            Membership.objects.create(
                **({} if taken else {"pk": d["id"]}),
                agreement_id=d["agreement"],
                person=merged,
                named_on=dt.date.fromisoformat(d["named_on"]),
            )
        Person.objects.filter(pk=merged.pk).update(merged_into=None)
        merged.merged_into = None
        _reindex(merged)
        _reindex(survivor)
        refresh_people([survivor.pk, merged.pk])
        merge.split_by = actor
        merge.split_at = timezone.now()
        merge.split_reason = reason
        merge.save(update_fields=["split_by", "split_at", "split_reason"])
        ledger.append(
            actor,
            "person.split",
            merge,
            {
                "survivor": survivor.handle,
                "merged": merged.handle,
                "memberships_restored": moved + [d["id"] for d in merge.dropped_memberships],
                "reason": ledger.keyed_hash(reason, survivor.handle),
            },
        )
    return merge
