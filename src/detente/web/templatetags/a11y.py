"""Small helpers for accessible markup: ids for labelling, and the language of record text.

``{% new_id "table" as tid %}`` — an id unique in the page being rendered (a table's caption,
named by the scrolling box around it: ``aria-labelledby="{{ tid }}"``).

``{{ agreement|agreement_title }}`` — the title, marked ``lang="en"`` when it is the English one
on a page in another language (no Spanish title was given); ``<p{{ agreement|description_lang
}}>`` the same for its description; ``{{ party.name|from_record }}`` — text
kept as it was entered (names of parties and sources, in the record's language) marked with
``lang`` on a page in another language, so a screen reader reads it with the right voice.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.conf import settings
from django.template.context import Context
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from detente.core import page_ids

register = template.Library()

RECORD_LANGUAGE = settings.LANGUAGE_CODE  # what records are entered in ("en")


@register.simple_tag(takes_context=True)
def new_id(context: Context, prefix: str) -> str:
    return page_ids.new_id(context, prefix)


def _other_language() -> bool:
    return not (get_language() or RECORD_LANGUAGE).startswith(RECORD_LANGUAGE)


@register.filter
def description_lang(agreement: Any) -> SafeString:
    if _other_language() and agreement.description_in(get_language()) == agreement.description:
        return mark_safe(f' lang="{RECORD_LANGUAGE}"')  # noqa: S308 - a setting, no input
    return mark_safe("")


@register.filter
def from_record(text: Any) -> Any:
    """Text as it was entered in the record, marked with its language on another
    language's page (escaped, in a span); on a page in the record's language, as is."""
    if text in (None, "") or not _other_language():
        return text
    return format_html('<span lang="{}">{}</span>', RECORD_LANGUAGE, text)


@register.filter
def agreement_title(agreement: Any) -> Any:
    """The agreement's title in the page's language, or its English title marked as English
    on a page in another language (for the page's text; the <title> keeps the plain one)."""
    text = agreement.title_in(get_language())
    if _other_language() and not agreement.title_es:
        return format_html('<span lang="{}">{}</span>', RECORD_LANGUAGE, text)
    return text
