"""How a source appears to a viewer: the one rule, and the one placeholder, every output uses.

A protected source's identity is itself confidential: verifiers and administrators (those
who manage sources) are told who it is; every other viewer sees its claims, its kind and its
grade, but in place of its name the placeholder below — on pages, in files, in the API and
on the command line alike. Pages and files show the translated words ("protected source");
machine fields that would hold the source's slug or independence group hold ``PROTECTED``.

Which sources a viewer may *list or choose* follows the same rule (``names_sources``): a
protected source is missing to those it is not named to.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from detente.access.policy import Action, can

# The slug (and independence group) a masked source has in JSON, CSV and the API.
PROTECTED = "protected"
# What a page or a file shows in place of a masked source's name.
PROTECTED_SOURCE = _("protected source")


def names_sources(viewer: Any) -> bool:
    """Whether this viewer is told who protected sources are: verifiers and administrators."""
    return viewer is not None and can(viewer, Action.MANAGE)


def masked(protected: bool, *, named: bool) -> bool:
    """Whether a source is shown masked: protected, to a viewer it is not named to."""
    return protected and not named


def source_name(name: str, protected: bool, *, named: bool) -> str:
    """The source's name as shown (``named``: ``names_sources(viewer)``, read once)."""
    return str(PROTECTED_SOURCE) if masked(protected, named=named) else name


def source_slug(slug: str, protected: bool, *, named: bool) -> str:
    """The source's slug as machine outputs give it: ``PROTECTED`` when masked."""
    return PROTECTED if masked(protected, named=named) else slug


def shown_name(viewer: Any, source: Any) -> str:
    """``source_name`` for one source object and one viewer."""
    return source_name(source.name, source.protected, named=names_sources(viewer))


def shown_slug(viewer: Any, source: Any) -> str:
    """``source_slug`` for one source object and one viewer."""
    return source_slug(source.slug, source.protected, named=names_sources(viewer))
