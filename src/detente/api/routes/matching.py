"""Who in the registry a typed name could be: the engine of ``detente match``.

The name is sent in a POST body, never in the address (addresses end up in browser
histories and in the logs of proxies): ``POST /api/match`` reads, and a read token may call
it. There is no ``GET /api/match``.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_noop
from ninja import Field, Router, Schema

from detente.api.auth import TokenAuth
from detente.api.schemas import answers
from detente.matching.selectors import MAX_LIMIT, MAX_TEXT, match_query

router = Router(tags=["matching"])


class MatchIn(Schema):
    """What to look for. In the body, so that the name is in no address."""

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


@router.post(
    "/match",
    auth=TokenAuth(reads=True),
    response=answers(200, MatchOut, forbidden=True, body=True),
    summary=gettext_noop("Find who a name could be"),
)
def match(request: HttpRequest, body: MatchIn) -> dict[str, Any]:
    """The likeliest registry people for a name, best first, each with a calibrated
    probability and the reason (staff; 403 for others). The name goes in the JSON body,
    never in the address; a read token may ask. Every name shown is recorded in the audit
    ledger."""
    found = match_query(
        request.user,
        body.q,
        birth_year=body.birth_year,
        province=body.province,
        limit=body.limit,
    )
    return {"items": [r.as_json() for r in found]}
