"""Reads about people. Every selector takes the viewer and shows only what it may."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any, overload

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Right
from django.http import Http404

from detente.access.policy import Action, Viewer, can
from detente.access.sources import PROTECTED, masked
from detente.access.visibility import people_in_view, visible_agreements
from detente.agreements.derivation import policy_for
from detente.agreements.models import Membership
from detente.audit import ledger
from detente.evidence.facts import latest_arrests, person_claim_facts
from detente.evidence.models import Claim, Source, SourceKind
from detente.evidence.verification import Derived, Explanation, Policy, derive
from detente.registry.models import (
    SORT_TAIL,
    Identity,
    Person,
    absorbed,
    name_sort_key,
    open_identity,
    survivors,
)


def person_list(viewer: Viewer) -> QuerySet[Person]:
    """People this viewer may know exist, each annotated ``identity_visible``.

    A person merged into another is not listed: they are counted as the survivor.
    """
    return people_in_view(viewer).filter(merged_into__isnull=True).select_related("identity")


def person_get(viewer: Viewer, ref: str | int, *, named: bool = False) -> Person:
    """Find by id or handle (``P-0017``); Http404 when missing or hidden alike.

    One query, with what this viewer may see in it, decides: a person hidden from the
    viewer costs exactly what a missing one does (the same statement, and nothing after
    it), so neither the answer nor the time taken tells that the handle exists.
    ``named``: only someone whose identity the viewer may see (the public page shows
    nobody without a name), also decided in that query.

    The id or handle of a person merged into another finds the survivor, for a viewer
    who may see the merged record itself; a merged person leaves every agreement, so to
    anyone but staff their handle is as missing as one never given.
    """
    text = str(ref).strip()
    # Handles are written upper case ("P-0017"): typed any way, found by the unique index
    # (a case-insensitive match read every person on PostgreSQL, 36 ms at 100,000).
    key = Q(pk=int(text)) if text.isdigit() else Q(handle=text.upper())
    seen = people_in_view(viewer)
    if named:
        seen = seen.filter(identity_visible=True)  # type: ignore[misc]  # an annotation
    found = seen.filter(key).select_related("identity").first()
    if found is None:
        raise Http404("no such person")
    if found.merged_into_id is not None:
        survivor = person_list(viewer).filter(pk=survivors([found.pk])[found.pk])
        if named:
            survivor = survivor.filter(identity_visible=True)  # type: ignore[misc]
        try:
            found = survivor.get()
        except Person.DoesNotExist:
            raise Http404("no such person") from None
    # What this viewer may see of them is decided: person_detail need not read them again.
    found._seen_by = viewer  # type: ignore[attr-defined]
    return found


def general_policy() -> Policy:
    """The default policy outside any agreement: every detaining government's group is the
    releasing side, so only sources outside them can confirm."""
    groups = Source.objects.filter(kind=SourceKind.DETAINING_GOVERNMENT).values_list(
        "independence_group", flat=True
    )
    return Policy(releasing_groups=frozenset(groups))


@dataclass(frozen=True)
class StatusView:
    agreement: str | None  # None for the general, agreement-free reading
    derived: Derived
    explanation: Explanation


@dataclass(frozen=True)
class PersonDetail:
    """A person as one viewer may see them: identity, custody and claims only when allowed."""

    person: Person
    identity_visible: bool
    claims: list[Claim]
    statuses: list[StatusView]
    staff: bool
    sees_protected_sources: bool
    # The person and those merged into them (read once for the claims, the status and the
    # custody record), and their memberships of the agreements the viewer sees.
    people: tuple[int, ...] = ()
    memberships: tuple[Membership, ...] = ()
    custody: tuple[Any, ...] | None = None  # the custody record, when already read

    def _source(self, source: Source) -> dict[str, Any]:
        if masked(source.protected, named=self.sees_protected_sources):
            return {
                "source": PROTECTED,
                "source_kind": source.kind,
                "reliability": source.reliability,
                "independence_group": PROTECTED,
            }
        return {
            "source": source.slug,
            "source_kind": source.kind,
            "reliability": source.reliability,
            "independence_group": source.independence_group,
        }

    @cached_property
    def _episode_rows(self) -> list[Any]:
        # Read once: the staff page asks for both the record and the JSON that holds it.
        if not self.staff:
            return []
        if self.custody is not None:
            return list(self.custody)
        return list(_episodes(self.person, self.people or None))

    def episodes(self) -> list[Any]:
        """The custody record (staff only), with the episodes of people merged into this
        one: the same record the status is derived against (``latest_arrests``)."""
        return list(self._episode_rows)

    def as_json(self) -> dict[str, Any]:
        ident = self.person.identity
        identity = (
            {
                "given_names": ident.given_names,
                "paternal_surname": ident.paternal_surname,
                "maternal_surname": ident.maternal_surname,
                "aliases": list(ident.aliases),
                "birth": str(ident.birth) if ident.birth else None,
                "sex": ident.sex,
                "country": ident.country,
                "division": ident.division,
                "province": ident.province,
                "municipality": ident.municipality,
                "affiliation": ident.affiliation,
            }
            if self.identity_visible
            else None
        )
        return {
            "id": self.person.pk if self.staff else None,
            "handle": self.person.handle,
            "at_risk": self.person.at_risk if self.staff else None,
            "identity": identity,
            "custody": [
                {
                    "status": e.status,
                    "start": str(e.start),
                    "end": e.end_date.isoformat() if e.end_date else None,
                    "place": e.place,
                }
                for e in self._episode_rows
            ],
            "claims": [
                {
                    "id": c.pk,
                    "kind": c.kind,
                    **self._source(c.source),
                    "status": c.status or None,
                    "event_date": c.event_date.isoformat() if c.event_date else None,
                    "event_precision": c.event_precision,
                    "received_at": c.received_at.isoformat(),
                    "credibility": c.credibility,
                    "agreement": c.agreement.slug if c.agreement else None,
                    "corrects": c.corrects_id,
                    "evidence": c.evidence_text,
                }
                for c in self.claims
            ],
            "statuses": [
                {
                    "agreement": s.agreement,
                    "state": s.derived.state,
                    "release_category": s.derived.release_category or None,
                    "status": s.derived.status or None,
                    "released_on": _iso(s.derived.released_on),
                    "reported_at": _iso(s.derived.reported_at),
                    "confirmed_at": _iso(s.derived.confirmed_at),
                    "rearrested_on": _iso(s.derived.rearrested_on),
                    "rule": s.explanation.rule,
                    "decisive_claims": list(s.explanation.decisive),
                    "contradicting_claims": list(s.explanation.contradicting),
                    "void_claims": list(s.explanation.void),
                }
                for s in self.statuses
            ],
        }


def _episodes(person: Person, people: tuple[int, ...] | None = None) -> Any:
    """The person's custody episodes, with those of people merged into them (``people``:
    the person's id and theirs, when already read)."""
    from detente.registry.models import CustodyEpisode

    if people is None:
        people = (person.pk, *absorbed([person.pk]))
    return CustodyEpisode.objects.filter(person__in=people).order_by(
        "person_id", "start_date", "id"
    )


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def person_detail(
    viewer: Viewer, person: Person, *, action: str | None = "person.view"
) -> PersonDetail:
    """The person, their claims, and their status with the reason for it, per agreement.

    Staff see everything; others see the handle, the identity only once disclosed to them,
    and the status under the agreements shown to them, never the claims or custody record
    (their sources, places and dates can identify a person). A seen identity is recorded
    as ``action`` (None: the caller records what it shows).
    """
    # person_get has just read this person for this viewer, with what they may see: read
    # again only for a person found some other way (or for someone else).
    found = person if getattr(person, "_seen_by", None) is viewer else None
    if found is None:
        found = person_list(viewer).filter(pk=person.pk).first()
    if found is None:
        raise Http404("no such person")
    visible = bool(found.identity_visible)  # type: ignore[attr-defined]
    staff = can(viewer, Action.READ)
    folded = absorbed([person.pk])
    people = (person.pk, *folded)
    claims = (
        list(
            Claim.objects.filter(person__in=people)
            .select_related("source", "agreement")
            .order_by("received_at", "id")
        )
        if staff
        else []
    )
    facts = person_claim_facts([person.pk], folded=folded).get(person.pk, [])
    custody: tuple[Any, ...] | None = None
    if staff:
        # The custody record is shown to staff: read it once, and the latest arrest from it
        # (as latest_arrests finds it: the latest start among these people's episodes).
        custody = tuple(_episodes(person, people))
        arrested = max((e.start_date for e in custody), default=None)
    else:
        arrested = latest_arrests([person.pk], folded=folded).get(person.pk)
    statuses = [StatusView(None, *derive(facts, general_policy(), arrested))] if staff else []
    shown = visible_agreements(viewer)
    memberships = tuple(
        Membership.objects.filter(person=person, agreement__in=shown).select_related(
            "agreement__promisor"
        )
    )
    for m in memberships:
        policy = policy_for(m.agreement)
        statuses.append(StatusView(m.agreement.slug, *derive(facts, policy, arrested)))
    if visible and action:
        ledger.record_access(viewer, action, [found.handle])
    return PersonDetail(
        found,
        visible,
        claims,
        statuses,
        staff,
        can(viewer, Action.MANAGE),
        people=people,
        memberships=memberships,
        custody=custody,
    )


# --- Lists for the API: people by their standing, and custody records ----------------------


@dataclass(frozen=True)
class Standing:
    """Where a person stands on one agreement the viewer sees."""

    agreement: str
    state: str
    status: str
    release_category: str


@dataclass(frozen=True)
class PersonRow:
    """A person in a list, as one viewer may see them."""

    handle: str
    name: str | None  # None unless this viewer may see the identity
    at_risk: bool | None  # staff only
    standings: list[Standing]


def person_filter(
    viewer: Viewer,
    *,
    agreement: Any = None,
    state: str = "",
    category: str = "",
    country: str = "",
    division: str = "",
    source: Any = None,
    at_risk: bool | None = None,
) -> QuerySet[Person]:
    """People this viewer may know exist, narrowed by their standing on the agreements the
    viewer sees: named on ``agreement`` (an Agreement the viewer sees), in member ``state``
    (held, reported, confirmed…), or whose standing counts as ``category``.

    Categories: ``conditional`` and ``released`` match a claimed release of that kind
    (reported, confirmed or disputed); ``held`` matches the held and the re-arrested;
    ``died`` and ``disappeared`` match those states. A standing on an agreement hidden from
    the viewer never matches, so a filter reveals nothing a member list would not.
    """
    from detente.agreements.models import MemberState
    from detente.core.errors import invalid
    from detente.registry.status import Category

    if state and state not in MemberState.values:
        raise invalid("state", _unknown(state, MemberState.values))
    if category and category not in Category.values:
        raise invalid("category", _unknown(category, Category.values))
    qs = person_list(viewer)
    staff = can(viewer, Action.READ)
    # Places, sources and the at-risk flag are what staff know about a person: for anyone
    # else such a filter would tell them something, so it matches no one.
    if (country or division or source is not None or at_risk is not None) and not staff:
        return qs.none()
    if country:
        qs = qs.filter(identity__country=country)
    if division:
        qs = qs.filter(identity__division=division)
    if source is not None:
        qs = qs.filter(Exists(Claim.objects.filter(person=OuterRef("pk"), source=source)))
    if at_risk is not None:
        qs = qs.filter(at_risk=at_risk)
    if agreement is None and not state and not category:
        return qs
    named = Membership.objects.filter(
        person=OuterRef("pk"), agreement__in=visible_agreements(viewer)
    )
    if agreement is not None:
        named = named.filter(agreement=agreement)
    if state:
        named = named.filter(state=state)
    if category in (Category.CONDITIONAL, Category.RELEASED):
        released = (MemberState.REPORTED, MemberState.CONFIRMED, MemberState.DISPUTED)
        named = named.filter(state__in=released, release_category=category)
    elif category:
        states = {
            Category.HELD: (MemberState.HELD, MemberState.REARRESTED),
            Category.DIED: (MemberState.DIED,),
            Category.DISAPPEARED: (MemberState.DISAPPEARED,),
        }[Category(category)]
        named = named.filter(Q(state__in=states))
    return qs.filter(Exists(named))


class ByName:
    """These people ordered by surname, second surname, then handle, for a paginator or a
    slice. The names are sealed (docs/keys.md), so the order is made here from the opened
    identities (their sort keys kept in memory by ``open_identity``, checked against the
    ciphertext's tail), not in SQL; only the page asked for is read as people."""

    def __init__(self, people: QuerySet[Person]) -> None:
        self._people = people
        self._ids: list[int] | None = None

    def _order(self) -> list[int]:
        if self._ids is None:
            # One string a person: the surnames folded, then the handle (NUL between them
            # sorts as the tuple would, and a list of strings sorts several times faster).
            keyed: list[tuple[str, int]] = []
            missing: dict[int, str] = {}
            rows = (
                self._people.order_by()
                .annotate(tail=Right("identity__sealed", SORT_TAIL))
                .values_list("pk", "handle", "tail")
            )
            for pk, handle, tail in rows.iterator(chunk_size=5000):
                if not tail:  # no identity
                    keyed.append((f"\x00\x00{handle}", pk))
                    continue
                known = name_sort_key(pk, tail)
                if known is None:
                    missing[pk] = handle
                else:
                    keyed.append((f"{known}\x00{handle}", pk))
            ids = list(missing)
            for start in range(0, len(ids), 5000):
                found = Identity.objects.filter(person_id__in=ids[start : start + 5000])
                for pk, sealed in found.values_list("person_id", "sealed"):
                    open_identity(pk, sealed)  # keeps its sort key
                    keyed.append((f"{name_sort_key(pk, sealed[-SORT_TAIL:])}\x00{missing[pk]}", pk))
            keyed.sort()
            self._ids = [pk for _key, pk in keyed]
        return self._ids

    def __len__(self) -> int:
        return len(self._order())

    @overload
    def __getitem__(self, item: int, /) -> Person: ...
    @overload
    def __getitem__(self, item: slice, /) -> list[Person]: ...
    def __getitem__(self, item: int | slice, /) -> Person | list[Person]:
        if isinstance(item, int):
            found = self[item : item + 1] if item >= 0 else self[len(self) + item :][:1]
            if not found:
                raise IndexError(item)
            return found[0]
        ids = self._order()[item]
        people = {p.pk: p for p in self._people.order_by().filter(pk__in=ids)}
        return [people[pk] for pk in ids if pk in people]

    def __iter__(self) -> Iterator[Person]:
        for start in range(0, len(self), 1000):
            yield from self[start : start + 1000]


def _unknown(value: str, choices: Any) -> str:
    from django.utils.translation import gettext as _

    return _("Unknown value “%(value)s”; expected one of: %(choices)s.") % {
        "value": value,
        "choices": ", ".join(choices),
    }


def person_rows(
    viewer: Viewer, people: list[Person], *, action: str = "person.list"
) -> list[PersonRow]:
    """``people`` as this viewer may see them, in the order given; anyone the viewer may not
    know exists is left out. Visibility is decided here for this viewer (never taken from
    how the objects were loaded), and the identities shown are recorded as seen."""
    staff = can(viewer, Action.READ)
    seen = {p.pk: p for p in person_list(viewer).filter(pk__in=[p.pk for p in people])}
    shown = [seen[p.pk] for p in people if p.pk in seen]
    standings: dict[int, list[Standing]] = {p.pk: [] for p in shown}
    for pid, slug, state, status, category in (
        Membership.objects.filter(person__in=shown, agreement__in=visible_agreements(viewer))
        .order_by("agreement__slug")
        .values_list("person_id", "agreement__slug", "state", "status", "release_category")
    ):
        standings[pid].append(Standing(slug, state, status, category))
    rows = [
        PersonRow(
            p.handle,
            _full_name(p) if getattr(p, "identity_visible", False) else None,
            p.at_risk if staff else None,
            standings[p.pk],
        )
        for p in shown
    ]
    ledger.record_access(viewer, action, [r.handle for r in rows if r.name is not None])
    return rows


def _full_name(person: Person) -> str | None:
    identity = getattr(person, "identity", None)
    return identity.full_name if identity is not None else None


def custody_list(viewer: Viewer, person: Person) -> QuerySet[Any]:
    """A person's recorded custody episodes, oldest first: staff only (places and dates can
    identify a person); others see none. Http404 when the person is hidden."""
    from detente.registry.models import CustodyEpisode

    if not person_list(viewer).filter(pk=person.pk).exists():
        raise Http404("no such person")
    if not can(viewer, Action.READ):
        return CustodyEpisode.objects.none()
    people = [person.pk, *absorbed([person.pk])]
    return CustodyEpisode.objects.filter(person__in=people).order_by("start_date", "id")
