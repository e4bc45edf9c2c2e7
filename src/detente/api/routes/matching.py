"""Who in the registry a typed name could be: the engine of ``detente match``."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from detente.api.schemas import answers
from detente.matching.selectors import MAX_LIMIT, MAX_TEXT, match_query

router = Router(tags=["matching"])


class MatchQuery(Schema):
    q: str = Field(..., min_length=1, max_length=MAX_TEXT, description="A name as written.")
    birth_year: int | None = Field(None, ge=1850, le=2100)
    province: str | None = Field(None, max_length=80)
    limit: int = Field(10, ge=1, le=MAX_LIMIT)


class FieldLevel(Schema):
    field: str
    field_label: str
    level: str
    level_label: str
    weight: float = Field(description="Evidence in bits: positive for a match.")


class Candidate(Schema):
    handle: str
    name: str
    probability: float
    match_weight: float
    prior_weight: float
    explanation: list[FieldLevel]


class MatchOut(Schema):
    items: list[Candidate]


@router.get(
    "/match",
    response=answers(200, MatchOut, forbidden=True),
    summary="Find who a name could be",
)
def match(request: HttpRequest, query: Query[MatchQuery]) -> dict[str, Any]:
    """The likeliest registry people for a name, best first, each with a calibrated
    probability and the reason (staff; 403 for others). Every name shown is recorded in
    the audit ledger."""
    found = match_query(
        request.user,
        query.q,
        birth_year=query.birth_year,
        province=query.province,
        limit=query.limit,
    )
    return {"items": [r.as_json() for r in found]}
