"""Reads for matching: who in the registry a typed name could be, for one viewer.

``match_query`` is what ``detente match``, the API and the claim form's suggestions call.
Matching reads confidential identities, so it is for staff (``Action.READ``); the people it
returns are re-read through the visibility rules, a person whose identity the viewer may
not see is left out entirely (a probability next to a handle would disclose the name just
as well), and every identity shown is recorded in the audit ledger.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from detente.access.policy import Action, Viewer, require
from detente.access.visibility import people_in_view
from detente.audit import ledger
from detente.core.errors import invalid
from detente.matching.labels import field_label, level_label
from detente.matching.model import Score
from detente.matching.names import fold
from detente.matching.pipeline import Scorer
from detente.matching.records import record_from_text
from detente.matching.registry import record_from_identity, registry_index
from detente.registry.models import Identity

__all__ = ["MAX_LIMIT", "MatchResult", "match_query"]

MAX_LIMIT = 100
MAX_TEXT = 200
# Candidates scored per query before the visibility check trims them.
_POOL_FACTOR = 3


@dataclass(frozen=True)
class MatchResult:
    """One candidate for a query: who, how likely, and why."""

    handle: str
    person_id: int
    name: str
    score: Score

    @property
    def probability(self) -> float:
        return self.score.probability

    def explanation(self) -> list[dict[str, Any]]:
        """Per field: its label, the level reached (code and words) and its weight in bits."""
        return [
            {
                "field": f.field,
                "field_label": field_label(f.field),
                "level": f.level,
                "level_label": level_label(f.field, f.level, f.description),
                "weight": round(f.weight, 2),
            }
            for f in self.score.fields
        ]

    def as_json(self) -> dict[str, Any]:
        return {
            "handle": self.handle,
            "name": self.name,
            "probability": round(self.score.probability, 4),
            "match_weight": round(self.score.match_weight, 2),
            "prior_weight": round(self.score.prior_weight, 2),
            "explanation": self.explanation(),
        }


def _checked(
    text: str, birth_year: int | None, province: str | None, limit: int
) -> tuple[str, str | None, str]:
    if not isinstance(text, str) or not fold(text):
        raise invalid("text", _("Give a name to match."))
    if len(text) > MAX_TEXT:
        raise invalid(
            "text",
            _("A name to match has at most %(max)d characters (this has %(n)d).")
            % {"max": MAX_TEXT, "n": len(text)},
        )
    this_year = timezone.now().year
    if birth_year is not None and (
        isinstance(birth_year, bool)
        or not isinstance(birth_year, int)
        or not 1850 <= birth_year <= this_year
    ):
        raise invalid(
            "birth_year",
            _("The birth year must be a year between 1850 and %(year)d.") % {"year": this_year},
        )
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= MAX_LIMIT:
        raise invalid("limit", _("Ask for between 1 and %(max)d candidates.") % {"max": MAX_LIMIT})
    if province is not None and not isinstance(province, str):
        raise invalid("province", _("Expected text."))
    return text, (f"{birth_year:04d}" if birth_year else None), (province or "").strip()


def match_query(
    viewer: Viewer,
    text: str,
    birth_year: int | None = None,
    province: str | None = None,
    limit: int = 10,
) -> list[MatchResult]:
    """The registry people a typed name most likely refers to, likeliest first.

    ``text`` is a name as a person would type it ("Yoany Rguez Cardet", "PÉREZ GONZÁLEZ,
    José Luis"; with no comma both orders are tried). ``birth_year`` and ``province``
    narrow the search when known. Raises ``PermissionDenied`` for viewers who are not staff
    and a ``ValidationError`` naming the field for bad input.
    """
    require(viewer, Action.READ)
    text, birth, province_text = _checked(text, birth_year, province, limit)
    query = record_from_text(text, birth=birth, place=("", province_text))
    index = registry_index()
    # The pipeline's candidates and scores, as an import gets them for one of its rows.
    scorer = Scorer(index.model, index.tf, len(index))
    found = scorer.propose(query, index.candidate_records(query))[: limit * _POOL_FACTOR]
    if not found:
        return []
    people = (
        people_in_view(viewer)
        # A person merged into another is found as the survivor (by the survivor's own
        # record), never under the handle that no longer stands for anyone.
        .filter(pk__in=[candidate.key for candidate in found], merged_into__isnull=True)
        .select_related("identity")
    )
    results: list[MatchResult] = []
    for person in people:
        if not getattr(person, "identity_visible", False):
            continue
        try:
            identity = person.identity
        except Identity.DoesNotExist:
            continue
        # Scored against the identity as stored now, not as the index last saw it.
        score = scorer.explain(query, record_from_identity(identity))
        results.append(MatchResult(person.handle, person.pk, identity.full_name, score))
    results.sort(key=lambda r: (-r.score.match_weight, r.person_id))
    results = results[:limit]
    if results:
        # The query itself is not written down: it is identity data, and the ledger keeps
        # none in clear.
        ledger.record_access(viewer, "person.match", [r.handle for r in results])
    return results
