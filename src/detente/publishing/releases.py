"""Releases of the public statistics: counted, checked against every earlier release,
approved by a second person, and only then read by the public.

Why releases rather than live counts: the people counted are named on public agreements,
whose member lists show each handle. With live counts, naming one more person (not yet
disclosed, perhaps at risk) moves a figure by one, and the public learns that person's
province and year of arrest by comparing the page before and after. So:

- the public reads only the newest *approved* release; changes to the registry move
  nothing it reads until someone proposes a release and a different verifier or
  administrator approves it (the two-person rule of disclosures);
- a release is refused, when proposed and again when approved, if any figure published
  both in it and in any earlier approved release moved by fewer people than the
  suppression threshold (``statistics.differences``): no pair of releases isolates fewer
  than that many people, however the releases are chosen;
- each release keeps, for staff only, the table before suppression: what was really
  counted, which the check compares.

A figure shown in either release of a pair is compared by its true counts (hidden in one,
it is still bounded by what else is shown); one hidden in both is not. That many people
named together all fall in one row or column is not hidden (the public learns, say, that
the five named since the last release were all arrested this year): the guarantee is about
individuals.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from detente.access.models import StatisticsRelease
from detente.access.policy import CLI_USERNAME, Action, Viewer, can, require
from detente.audit import ledger
from detente.core.errors import check_text, invalid
from detente.publishing.statistics import (
    Difference,
    PublicStatistics,
    approved_releases,
    clashes,
    draft_release,
    grouping_of,
    table_json,
    threshold,
)
from detente.publishing.suppression import Table

Status = StatisticsRelease.Status


@dataclass(frozen=True)
class Conflict:
    """Figures that moved too little since an approved release, and hidden figures that
    release and this one would give away together (when their groupings differ)."""

    release: int
    released_at: str
    moved: list[Difference]
    exposed: list[tuple[str, str]] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        return {
            "release": self.release,
            "released_at": self.released_at,
            "moved": [d.as_json() for d in self.moved],
            "exposed": [{"row": r, "col": c} for r, c in self.exposed],
        }


# --- selectors ---------------------------------------------------------------------------


def latest_release(viewer: Viewer) -> StatisticsRelease | None:
    """The newest approved release: what everyone reads, whoever they are."""
    del viewer  # the same for every viewer; taken for uniformity with every selector
    return StatisticsRelease.objects.filter(status=Status.APPROVED).order_by("-decided_at").first()


def release_list(viewer: Viewer) -> QuerySet[StatisticsRelease]:
    """Every release, proposals and refusals included: staff only (they hold the counts
    before suppression)."""
    qs = StatisticsRelease.objects.select_related("proposed_by", "decided_by")
    return qs if can(viewer, Action.READ) else qs.none()


def counts_json(original: Table, fine: Table | None = None) -> dict[str, Any]:
    """A table before suppression, as a release keeps it: under the grouping published,
    and each province and year (what a later release under another grouping is checked
    against; the same table when it is published ungrouped)."""
    return {"tables": [table_json(original)], "fine": [table_json(fine or original)]}


def conflicts(
    published: dict[str, Any], counts: dict[str, Any], *, exclude: int | None = None
) -> list[Conflict]:
    """Every approved release these figures clash with (see ``statistics.clashes``)."""
    found = []
    approved = StatisticsRelease.objects.filter(status=Status.APPROVED).order_by("decided_at")
    if exclude is not None:
        approved = approved.exclude(pk=exclude)
    fine = {t["name"]: t for t in counts.get("fine", counts["tables"])}
    stats_groupings = published.get("groupings", {})
    for earlier in approved:
        moved: list[Difference] = []
        exposed: list[tuple[str, str]] = []
        for table in published["tables"]:
            name = table["name"]
            if name not in fine:
                continue
            grouping = grouping_of(
                stats_groupings.get(name), table["row_labels"], table["col_labels"]
            )
            clash = clashes(table, grouping, fine[name], earlier.published, earlier.counts)
            moved += clash.moved
            exposed += clash.exposed
        if moved or exposed:
            when = earlier.decided_at.isoformat() if earlier.decided_at else ""
            found.append(Conflict(earlier.pk, when, moved, exposed))
    return found


def draft_conflicts() -> tuple[PublicStatistics, list[Conflict]]:
    """What a release counted now would publish, and the approved releases it clashes
    with (empty: it may be proposed)."""
    draft = draft_release(earlier=approved_releases())
    published = draft.stats.as_json()
    return draft.stats, conflicts(published, counts_json(draft.original, draft.fine))


def same_as_latest(published: dict[str, object]) -> StatisticsRelease | None:
    latest = latest_release(None)  # type: ignore[arg-type]
    if latest is None:
        return None
    keys = ("people", "tables", "withheld")
    return latest if all(latest.published.get(k) == published.get(k) for k in keys) else None


def _refuse_conflicts(found: list[Conflict]) -> None:
    first = found[0]
    if not first.moved:
        row, col = first.exposed[0]
        raise invalid(
            "figures",
            _(
                "Publishing these figures would single people out: together with release "
                "#%(release)s, which groups the table differently, they would give away the "
                "hidden figure for %(row)s, %(col)s. Wait until more has changed, then "
                "propose again."
            )
            % {"release": first.release, "row": row, "col": col},
        )
    moved = first.moved[0]
    raise invalid(
        "figures",
        _(
            "Publishing these figures would single people out: the figure for %(row)s, "
            "%(col)s went from %(before)s to %(after)s since release #%(release)s, a change "
            "of fewer than "
            "%(threshold)s people (%(more)s such figures against %(releases)s earlier "
            "releases). Wait until more has changed, then propose again."
        )
        % {
            "row": moved.row,
            "col": moved.col,
            "before": moved.before,
            "after": moved.after,
            "release": first.release,
            "threshold": threshold(),
            "more": sum(len(c.moved) for c in found),
            "releases": len(found),
        },
    )


# --- services ----------------------------------------------------------------------------


def statistics_propose(*, actor: User, reason: str) -> StatisticsRelease:
    """Count the public statistics now and propose publishing them.

    Refused when the figures are those already published, or when publishing them would
    isolate fewer people than the threshold against any approved release."""
    require(actor, Action.RECORD)
    reason = check_text("reason", reason, 2000, required=True)
    with transaction.atomic():
        ledger.serialize()
        draft = draft_release(earlier=approved_releases())
        stats = draft.stats
        published = stats.as_json()
        same = same_as_latest(published)
        if same is not None:
            raise invalid(
                "figures",
                _("Nothing has changed since release #%(id)s: there is nothing new to publish.")
                % {"id": same.pk},
            )
        counts = counts_json(draft.original, draft.fine)
        found = conflicts(published, counts)
        if found:
            _refuse_conflicts(found)
        release = StatisticsRelease.objects.create(
            counted_at=timezone.now(),
            people=stats.people,
            published=published,
            counts=counts,
            reason=reason,
            proposed_by=actor,
        )
        ledger.append(
            actor,
            "statistics.propose",
            release,
            {"people": stats.people, "withheld": stats.withheld, "reason": reason},
        )
    return release


def _check_decidable(actor: User, release: StatisticsRelease) -> None:
    require(actor, Action.MANAGE)
    if actor.get_username() == CLI_USERNAME:
        # Shell access is one person: the second pair of eyes must sign in themselves.
        raise PermissionDenied("releases are decided by a signed-in person, not the operator")
    if release.status != Status.PROPOSED:
        raise invalid(
            "status",
            _("Release #%(id)s was already %(status)s.")
            % {"id": release.pk, "status": release.get_status_display()},
        )
    if release.proposed_by_id == actor.pk:
        raise invalid(
            "decided_by",
            _("The person who proposed a release cannot also approve or reject it."),
        )


def statistics_approve(
    *, actor: User, release: StatisticsRelease, note: str = ""
) -> StatisticsRelease:
    """Publish the release's figures (as counted when proposed), if they still cannot be
    differenced against any release approved since."""
    note = check_text("note", note, 2000)
    with transaction.atomic():
        ledger.serialize()
        release = StatisticsRelease.objects.select_for_update().get(pk=release.pk)
        _check_decidable(actor, release)
        found = conflicts(release.published, release.counts, exclude=release.pk)
        if found:
            _refuse_conflicts(found)
        release.status = Status.APPROVED
        release.decided_by = actor
        release.decided_at = timezone.now()
        release.decision_note = note
        release.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        ledger.append(
            actor,
            "statistics.approve",
            release,
            {"people": release.people, "counted_at": release.counted_at.isoformat(), "note": note},
        )
    return release


def statistics_reject(*, actor: User, release: StatisticsRelease, note: str) -> StatisticsRelease:
    note = check_text("note", note, 2000, required=True)
    with transaction.atomic():
        ledger.serialize()
        release = StatisticsRelease.objects.select_for_update().get(pk=release.pk)
        _check_decidable(actor, release)
        release.status = Status.REJECTED
        release.decided_by = actor
        release.decided_at = timezone.now()
        release.decision_note = note
        release.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        ledger.append(actor, "statistics.reject", release, {"note": note})
    return release


def may_decide(viewer: Viewer, release: StatisticsRelease) -> bool:
    return (
        release.status == Status.PROPOSED
        and can(viewer, Action.MANAGE)
        and getattr(viewer, "pk", None) != release.proposed_by_id
        and viewer.get_username() != CLI_USERNAME
    )
