"""What the agreements' commands (and casework's ``--party``) share at the command line."""

from __future__ import annotations

from django.core.management.base import CommandError
from django.http import Http404
from django.utils.translation import gettext as _

from detente.access.policy import cli_actor
from detente.agreements.models import Party
from detente.agreements.selectors import party_get


def find_party(slug: str, option: str = "") -> Party:
    """The party with this slug, or a command error that says where the slugs are listed."""
    try:
        return party_get(cli_actor(), slug)
    except Http404:
        message = _("no party %(slug)r; `detente party list` shows them") % {"slug": slug}
        raise CommandError(f"{option}: {message}" if option else message) from None
