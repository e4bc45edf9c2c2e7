"""The notice shown wherever someone gives consent, and its hash.

The text is built here, in Python, so that the page shows exactly what the consent
record stores: the form carries the hash of the text it displayed, and a consent is
only recorded when that hash matches the notice in force.
"""

from __future__ import annotations

import hashlib

from django.utils import translation
from django.utils.translation import gettext as _

from detente.mailing import conf


def notice_text(language: str) -> str:
    with translation.override(language):
        parts = [
            _(
                "We will email you the public updates of the lists you choose, in the "
                "language you choose. We keep your address, your choices and a record of "
                "this notice only to send these updates, and we never use them for "
                "anything else. Every email has a link to leave a list with one click, to "
                "change your lists, and to download or erase everything we hold about you."
            )
        ]
        if conf.flag("MAILCHIMP_ENABLED"):
            parts.append(_("Your information will be transferred to Mailchimp for processing."))
        if conf.flag("TRACKING"):
            parts.append(_("Our emails record when they are opened and which links are clicked."))
        return " ".join(parts)


def notice_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
