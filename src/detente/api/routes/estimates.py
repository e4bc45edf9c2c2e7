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

Method = Literal["independence", "stepwise", "aic", "bic", "bma", "lcmcr"]
DEFAULT_METHODS: tuple[Method, ...] = ("independence", "stepwise")

ListSpec = Annotated[
    str, Field(pattern=r"^(((source|agreement):)?[a-z0-9][a-z0-9-]{0,63}|import:[0-9]{1,12})$")
]


class EstimateQuery(Schema):
    lists: list[ListSpec] = Field(
        ...,
        alias="list",
        min_length=2,
        max_length=10,
        description="2 to 10 lists: `source:SLUG`, `agreement:SLUG` or `import:RUN` (an "
        "import's decided rows; repeat the parameter).",
    )
    method: list[Method] = Field(
        default_factory=lambda: list(DEFAULT_METHODS),
        max_length=6,
        description="Estimators to run (repeat the parameter); `lcmcr` (the latent-class "
        "model, 3 lists or more) takes seconds to tens of seconds.",
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
    interval: list[float | None] | None = Field(
        None, description="[lower, upper], as `lower` and `upper`."
    )
    level: float | None = None
    interval_kind: str | None = None
    aic: float | None = Field(None, description="Log-linear models: the model's AIC.")
    bic: float | None = Field(None, description="Log-linear models: the model's BIC.")
    exhaustive: bool | None = Field(
        None,
        description="AIC/BIC: true when every model of the class was tried; false when the "
        "lists are too many and a forward/backward search with restarts was used.",
    )
    models_tried: int | None = Field(None, description="AIC/BIC: how many models were tried.")
    search: dict[str, Any] | None = Field(
        None,
        description="AIC/BIC: the criterion, the highest interaction order and, when not "
        "exhaustive, the best model found forward, backward and from the restarts.",
    )
    delta: float | None = Field(
        None, description="Model averaging: the prior's delta (prior people per cell)."
    )
    tail_mass: float | None = Field(
        None,
        description="Model averaging: posterior mass on the upper half of the grid of "
        "unobserved counts (below 1e-4 unless a warning says otherwise).",
    )
    grid_max: int | None = Field(None, description="Model averaging: the grid's largest count.")
    ess: float | None = Field(
        None, description="Latent classes: effective sample size of the total's draws."
    )
    rhat: float | None = Field(None, description="Latent classes: split R-hat over the chains.")
    geweke: float | None = Field(
        None, description="Latent classes: the largest absolute Geweke z of the chains."
    )
    capped_share: float | None = Field(
        None,
        description="Latent classes: share of draws whose unseen count reached the ceiling "
        "(20 times the number observed).",
    )
    refused: str | None = Field(None, description="Why this method gave no estimate.")


class EstimateWarning(Schema):
    code: Literal[
        "empty_list",
        "subset_list",
        "no_overlap",
        "sparse_table",
        "methods_disagree",
        "search_not_exhaustive",
        "bma_tail",
        "lcmcr_unsettled",
        "lcmcr_ceiling",
        "awaiting_review",
    ] = Field(description="What is wrong, as a stable code.")
    message: str = Field(description="The same in a plain sentence, with what to do.")
    params: dict[str, Any] = Field(description="The values the sentence speaks of.")


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


class Resolved(Schema):
    observed: int = Field(description="People on at least one list, the waiting rows so resolved.")
    estimates: list[EstimateRow]


class AwaitingReview(Schema):
    rows: int = Field(
        description="Rows waiting in the match review queue, not counted in `estimates`."
    )
    by_list: dict[str, int] = Field(description="How many of them would join each list.")
    as_matched: Resolved = Field(
        description="The same methods with each waiting row counted as the person it most "
        "resembles."
    )
    as_new: Resolved = Field(
        description="The same methods with each waiting row counted as a new person."
    )


class EstimateOut(Schema):
    lists: dict[str, int] = Field(
        description="How many people each list names (decided rows only for imports)."
    )
    labels: dict[str, str] = Field(
        description="Each list as people know it (a source's name, an agreement's title, an "
        "import by its source and day)."
    )
    names: dict[str, str] = Field(
        description="Each list's short name, as models and warnings name it."
    )
    observed: int = Field(description="People on at least one list.")
    capture_patterns: list[Pattern] = Field(description="Every observable pattern, zeros too.")
    estimates: list[EstimateRow]
    warnings: list[EstimateWarning] = Field(
        description="Read before quoting a figure: lists inside others or sharing nobody, "
        "mostly empty tables, methods that disagree, searches that were not exhaustive."
    )
    awaiting_review: AwaitingReview | None = Field(
        None,
        description="Present when rows of these lists wait in the match review queue: the "
        "estimates with them resolved both ways.",
    )
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
