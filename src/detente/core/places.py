"""Countries (ISO 3166-1) and their first-level divisions (ISO 3166-2), through ``pycountry``.

People and agreements carry a country (alpha-2, "CU") and, when known, a first-level
division ("CU-13"); the registry's own country (``DETENTE_COUNTRY``) is the default, so a
registry about Cuba reads Cuban provinces exactly as before, and one about Nicaragua reads
its departments. Names come in the reader's language from the ISO catalogues that ship
with ``pycountry`` (Spanish and English), never from a list kept here.

A division is *first-level* when ISO 3166-2 gives it no parent: Cuba's provinces and its
special municipality, Venezuela's states and capital district, Nicaragua's departments and
autonomous regions.
"""

from __future__ import annotations

import gettext
from functools import lru_cache

import pycountry
from django.conf import settings
from django.utils.translation import get_language

from detente.core.errors import invalid
from detente.core.text import fold

__all__ = [
    "check_country",
    "check_division",
    "country_choices",
    "country_name",
    "default_country",
    "division_choices",
    "division_name",
    "divisions",
]


def default_country() -> str:
    """The registry's country: what a person or agreement is in unless said otherwise."""
    return str(getattr(settings, "DETENTE_COUNTRY", "CU")).upper()


@lru_cache(maxsize=4)
def _catalogue(domain: str, language: str) -> gettext.NullTranslations:
    return gettext.translation(domain, pycountry.LOCALES_DIR, languages=[language], fallback=True)


def _language() -> str:
    language = (get_language() or "en").split("-")[0]
    return "es" if language == "es" else "en"


@lru_cache(maxsize=512)
def _country(code: str) -> object | None:
    return pycountry.countries.get(alpha_2=code) if len(code) == 2 else None


@lru_cache(maxsize=64)
def divisions(country: str) -> tuple[tuple[str, str], ...]:
    """(code, ISO name) of the country's first-level divisions, by code."""
    found = pycountry.subdivisions.get(country_code=country.upper()) or []
    return tuple(sorted((s.code, s.name) for s in found if s.parent_code is None))


def _named(domain: str, name: str) -> str:
    if _language() == "en":
        return name
    return _catalogue(domain, _language()).gettext(name)


def country_name(code: str) -> str:
    """The country's name in the reader's language ("" for none; the code if unknown)."""
    if not code:
        return ""
    found = _country(code.upper())
    if found is None:
        return code
    name = getattr(found, "common_name", None) or found.name  # type: ignore[attr-defined]
    if _language() != "en":
        return _named("iso3166-1", found.name)  # type: ignore[attr-defined]
    return str(name)


def division_name(code: str) -> str:
    """The division's name in the reader's language ("" for none; the code if unknown)."""
    if not code:
        return ""
    country = code.split("-")[0]
    name = dict(divisions(country)).get(code.upper())
    return _named("iso3166-2", name) if name else code


def check_country(field: str, code: object) -> str:
    """The ISO 3166-1 alpha-2 code, upper-cased; "" becomes the registry's country."""
    from django.utils.translation import gettext as _

    if not isinstance(code, str):
        raise invalid(field, _("Expected text."))
    code = code.strip().upper()
    if not code:
        return default_country()
    if _country(code) is None:
        raise invalid(
            field,
            _("“%(code)s” is not a country code of ISO 3166 (two letters, e.g. CU, NI, VE).")
            % {"code": code},
        )
    return code


def check_division(field: str, code: object, country: str) -> str:
    """A first-level division of ``country`` by its ISO 3166-2 code ("" for unknown)."""
    from django.utils.translation import gettext as _

    if not isinstance(code, str):
        raise invalid(field, _("Expected text."))
    code = code.strip().upper()
    if not code:
        return ""
    if code not in dict(divisions(country)):
        raise invalid(
            field,
            _(
                "“%(code)s” is not a first-level division of %(country)s in ISO 3166-2 "
                "(e.g. %(example)s)."
            )
            % {
                "code": code,
                "country": country_name(country),
                "example": divisions(country)[0][0] if divisions(country) else "—",
            },
        )
    return code


def country_choices() -> list[tuple[str, str]]:
    """Every country, by its name in the reader's language."""
    rows = [(c.alpha_2, country_name(c.alpha_2)) for c in pycountry.countries]
    return sorted(rows, key=lambda row: _sort_key(row[1]))


def division_choices(country: str) -> list[tuple[str, str]]:
    """The country's first-level divisions, by name in the reader's language."""
    rows = [(code, division_name(code)) for code, _name in divisions(country)]
    return sorted(rows, key=lambda row: _sort_key(row[1]))


def _sort_key(text: str) -> str:
    return fold(text)
