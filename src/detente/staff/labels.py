"""Plain-language texts for the codes the rules return (shown on the person page)."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from detente.evidence.verification import Rule

RULE_TEXT: dict[str, Promise] = {
    Rule.NO_RELEASE_CLAIM: _(
        "No claim says this person was released since the latest recorded arrest, so they "
        "count as still held."
    ),
    Rule.REPORTED_ONLY: _(
        "A release is claimed, but only by the releasing side or by sources not graded high "
        "enough to confirm it: reported, not confirmed."
    ),
    Rule.INDEPENDENT_CONFIRMATION: _(
        "A source independent of the releasing side, graded high enough, says the person "
        "was released: confirmed."
    ),
    Rule.CREDIBLE_CONTRADICTION: _(
        "A credible source says the person was still held (or had disappeared) on or after "
        "the release relied on: disputed."
    ),
    Rule.REARREST_AFTER_RELEASE: _(
        "A credible source reports a new arrest after the release; only events after it "
        "can count towards a new release."
    ),
    Rule.DIED_IN_CUSTODY: _("A credible source reports a death in custody. This is final."),
    Rule.DISAPPEARED: _(
        "No release is claimed and a credible source reports that the person has disappeared."
    ),
    Rule.RELEASED_BEFORE: _(
        "The only releases claimed happened before the agreement was announced, and no "
        "credible source says the person was held since: released, but not under this "
        "agreement."
    ),
}


def rule_text(rule: str) -> str:
    text = RULE_TEXT.get(rule)
    return str(text) if text is not None else rule
