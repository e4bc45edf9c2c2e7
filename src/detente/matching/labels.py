"""Translatable names of the fields and comparison levels shown in explanations.

The engine (pure Python) describes its levels in English; these are the words shown to
people, in their language, keyed by the stable codes of
:mod:`detente.matching.comparisons`.
"""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

FIELDS: dict[str, Promise] = {
    "given_name": _("given names"),
    "surnames": _("surnames"),
    "birth_date": _("birth date"),
    "place": _("place"),
    "sex": _("sex"),
    "name_order": _("name order"),
}

_COMMON: dict[str, Promise] = {
    "missing": _("not given on one side, or on either"),
    "else": _("different"),
}

LEVELS: dict[str, dict[str, Promise]] = {
    "given_name": {
        "exact": _("same given names"),
        "nickname": _("same given names once nicknames and abbreviations are resolved"),
        "phonetic": _("given names that sound the same"),
        "typo": _("given names that differ by about one typo"),
        "partial": _("one of the given names agrees"),
        "second_differs": _("the first given names agree, the second ones differ"),
        "similar": _("similar given names"),
        "initial": _("an initial consistent with the given names"),
        "else": _("different given names"),
    },
    "surnames": {
        "both_exact": _("both surnames agree"),
        "both_swapped": _("both surnames agree, in the other order"),
        "both_similar": _("both surnames agree, allowing for spelling"),
        "one_other_close": _("one surname agrees; the other is close or an initial"),
        "one_other_differs": _("one surname agrees; the other differs"),
        "one_missing_exact": _("one side gives a single surname, and it agrees"),
        "one_missing_similar": _("one side gives a single surname; it agrees but for spelling"),
        "one_missing_crossed": _("one side gives a single surname; it is the other's second"),
        "weak": _("a surname is only loosely similar"),
        "else": _("different surnames"),
    },
    "birth_date": {
        "exact": _("same birth date"),
        "transposed": _("birth day and month swapped"),
        "to_month": _("same year and month (one side gives no day)"),
        "day_differs": _("same year and month, another day"),
        "one_digit": _("birth dates one digit apart"),
        "to_year": _("same year (one side gives only the year)"),
        "month_differs": _("same year, another month"),
        "year_off_by_one": _("birth years one apart"),
        "else": _("different birth dates"),
    },
    "place": {
        "municipality": _("same municipality"),
        "municipality_similar": _("municipality spelt similarly"),
        "province": _("same province"),
        "province_similar": _("province spelt similarly"),
        "else": _("different place"),
    },
    "sex": {
        "same": _("same sex"),
        "different": _("different sex"),
    },
    "name_order": {
        "swapped": _("given name and surname read as swapped"),
    },
}


def field_label(field: str) -> str:
    return str(FIELDS.get(field, field))


def level_label(field: str, level: str, fallback: str = "") -> str:
    label = LEVELS.get(field, {}).get(level) or _COMMON.get(level)
    return str(label) if label is not None else (fallback or level)
