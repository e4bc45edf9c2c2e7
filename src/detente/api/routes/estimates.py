"""Estimating how many people no list names (multiple systems estimation), for staff.

The same function as ``detente estimate`` and the staff page
(``evidence.estimates.registry_estimate``), so the three always agree.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext_noop
from ninja import Field, Query, Router, Schema

from detente.access.policy import Action, require
from detente.api.schemas import answers
from detente.evidence.estimates import registry_estimate

router = Router(tags=["estimation"])

Method = Literal["independence", "stepwise", "aic", "bic", "bma"]
DEFAULT_METHODS: tuple[Method, ...] = ("independence", "stepwise")

ListSpec = Annotated[str, Field(pattern=r"^((source|agreement):)?[a-z0-9][a-z0-9-]{0,63}$")]


class EstimateQuery(Schema):
    lists: list[ListSpec] = Field(
        ...,
        alias="list",
        min_length=2,
        max_length=10,
        description="2 to 10 lists: `source:SLUG` or `agreement:SLUG` (repeat the parameter).",
    )
    method: list[Method] = Field(
        default_factory=lambda: list(DEFAULT_METHODS),
        max_length=5,
        description="Estimators to run (repeat the parameter).",
    )
    stratify: Literal["province", "arrest-year"] | None = Field(
        None, description="Estimate per stratum and add up."
    )
    level: float = Field(0.95, ge=0.5, lt=1, description="Interval level.")


class EstimateRow(Schema):
    method: str
    model: str | None = None
    stratum: str | None = None
    observed: int | None = None
    estimate: float | None = None
    lower: float | None = None
    upper: float | None = Field(None, description="null when the data cannot bound it")
    level: float | None = None
    interval_kind: str | None = None
    refused: str | None = Field(None, description="Why this method gave no estimate.")


class Pattern(Schema):
    lists: list[str]
    count: int


class Stratum(Schema):
    observed: int
    capture_patterns: list[Pattern]
    estimates: list[EstimateRow]


class Stratified(Schema):
    by: str
    strata: dict[str, Stratum]
    total: EstimateRow


class EstimateOut(Schema):
    lists: dict[str, int] = Field(description="How many people each list names.")
    observed: int = Field(description="People on at least one list.")
    capture_patterns: list[Pattern] = Field(description="Every observable pattern, zeros too.")
    estimates: list[EstimateRow]
    stratified: Stratified | None = None


@router.get(
    "/estimates",
    response=answers(200, EstimateOut, lookup=True, forbidden=True),
    summary=gettext_noop("Estimate how many people no list names"),
)
def estimate(request: HttpRequest, query: Query[EstimateQuery]) -> dict[str, Any]:
    """The capture table of the chosen lists and the estimates of the total (staff; 403 for
    others). A list that does not exist, or that the token's user may not see, is 404."""
    require(request.user, Action.READ)
    return registry_estimate(
        request.user,
        query.lists,
        methods=query.method,
        stratify=query.stratify or "",
        level=query.level,
    )
