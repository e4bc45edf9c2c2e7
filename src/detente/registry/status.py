"""The custody status vocabulary and what each status counts as.

Whether a status counts as *released* is a policy choice: the default table below follows
the stricter human-rights reading (house arrest is not release); an agreement can override
any entry (see ``Agreement.status_overrides``).
"""

from __future__ import annotations

from collections.abc import Mapping

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class CustodyStatus(models.TextChoices):
    DETAINED = "detained", _("Detained")
    AWAITING_TRIAL = "awaiting_trial", _("Awaiting trial")
    SENTENCED = "sentenced", _("Sentenced")
    HOUSE_ARREST = "house_arrest", _("House arrest")
    NON_CUSTODIAL = "non_custodial", _("Non-custodial sentence")
    PAROLE = "parole", _("Conditional release: parole")
    EXTRA_PENAL_LICENCE = "extra_penal_licence", _("Conditional release: extra-penal licence")
    PRECAUTIONARY_MEASURES = (
        "precautionary_measures",
        _("Conditional release: precautionary measures"),
    )
    UNCONDITIONAL_RELEASE = "unconditional_release", _("Unconditional release")
    PARDONED = "pardoned", _("Pardoned or amnestied")
    EXILED = "exiled", _("Released into exile or deported")
    DIED_IN_CUSTODY = "died_in_custody", _("Died in custody")
    DISAPPEARED = "disappeared", _("Disappeared")
    REARRESTED = "rearrested", _("Re-arrested")


# The labels that agree with the person in languages that mark it (Spanish: "Detenida"),
# for a woman whose identity the reader may see. English reads the same; elsewhere, and
# whenever the identity is hidden (the form would tell her sex), the plain label is used.
FEMININE: Mapping[str, object] = {
    CustodyStatus.DETAINED: pgettext_lazy("custody status, of a woman", "Detained"),
    CustodyStatus.SENTENCED: pgettext_lazy("custody status, of a woman", "Sentenced"),
    CustodyStatus.PARDONED: pgettext_lazy("custody status, of a woman", "Pardoned or amnestied"),
    CustodyStatus.EXILED: pgettext_lazy(
        "custody status, of a woman", "Released into exile or deported"
    ),
    CustodyStatus.DIED_IN_CUSTODY: pgettext_lazy("custody status, of a woman", "Died in custody"),
    CustodyStatus.DISAPPEARED: pgettext_lazy("custody status, of a woman", "Disappeared"),
    CustodyStatus.REARRESTED: pgettext_lazy("custody status, of a woman", "Re-arrested"),
}


def status_label(status: str, sex: str = "") -> str:
    """A custody status in the reader's language, agreeing with a woman (``sex`` "F")."""
    if sex == "F" and status in FEMININE:
        return str(FEMININE[status])
    try:
        return str(CustodyStatus(status).label)
    except ValueError:
        return status


class Category(models.TextChoices):
    """What a status counts as when progress is counted."""

    HELD = "held", _("Held")
    CONDITIONAL = "conditional", _("Released on conditions")
    RELEASED = "released", _("Released unconditionally")
    DIED = "died", _("Died")
    DISAPPEARED = "disappeared", _("Disappeared")


DEFAULT_CATEGORY: Mapping[str, str] = {
    CustodyStatus.DETAINED: Category.HELD,
    CustodyStatus.AWAITING_TRIAL: Category.HELD,
    CustodyStatus.SENTENCED: Category.HELD,
    CustodyStatus.HOUSE_ARREST: Category.HELD,
    CustodyStatus.NON_CUSTODIAL: Category.CONDITIONAL,
    CustodyStatus.PAROLE: Category.CONDITIONAL,
    CustodyStatus.EXTRA_PENAL_LICENCE: Category.CONDITIONAL,
    CustodyStatus.PRECAUTIONARY_MEASURES: Category.CONDITIONAL,
    CustodyStatus.UNCONDITIONAL_RELEASE: Category.RELEASED,
    CustodyStatus.PARDONED: Category.RELEASED,
    # Exile is freedom from prison bought with the country; counted as released so the
    # figure matches what the releasing side claims, and shown by its own status everywhere.
    CustodyStatus.EXILED: Category.RELEASED,
    CustodyStatus.DIED_IN_CUSTODY: Category.DIED,
    CustodyStatus.DISAPPEARED: Category.DISAPPEARED,
    CustodyStatus.REARRESTED: Category.HELD,
}

RELEASE_CATEGORIES = frozenset({Category.CONDITIONAL, Category.RELEASED})
# Only the statuses whose meaning really is a policy question may be re-categorised, and
# only among these categories: "detained" never counts as released, death is a fact.
OVERRIDABLE_STATUSES = frozenset(
    {
        CustodyStatus.HOUSE_ARREST,
        CustodyStatus.NON_CUSTODIAL,
        CustodyStatus.PAROLE,
        CustodyStatus.EXTRA_PENAL_LICENCE,
        CustodyStatus.PRECAUTIONARY_MEASURES,
        CustodyStatus.EXILED,
    }
)
OVERRIDABLE_CATEGORIES = frozenset({Category.HELD, Category.CONDITIONAL, Category.RELEASED})


def validate_overrides(overrides: object) -> list[str]:
    """Return the problems with a status→category override table (empty when valid)."""
    if not isinstance(overrides, Mapping):
        return ['expected a mapping such as {"house_arrest": "conditional"}']
    problems = []
    for status, category in overrides.items():
        if status not in CustodyStatus.values:
            problems.append(f"unknown status {status!r}")
        elif status not in OVERRIDABLE_STATUSES:
            problems.append(
                f"status {status!r} cannot be re-categorised (only "
                + ", ".join(sorted(OVERRIDABLE_STATUSES))
                + ")"
            )
        elif category not in OVERRIDABLE_CATEGORIES:
            problems.append(
                f"status {status!r} cannot count as {category!r} (use held, conditional or "
                "released)"
            )
    return problems
