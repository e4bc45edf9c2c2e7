"""What the command-line front door shares: acting as a given user, reporting refusals."""

from __future__ import annotations

from argparse import ArgumentParser
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.core.management.base import CommandError
from django.http import Http404
from django.utils.translation import gettext as _

from detente.access.policy import Viewer, cli_actor
from detente.agreements.models import Party
from detente.core.exports import FORMATS, render

ANONYMOUS = "anonymous"


def add_viewer_argument(parser: ArgumentParser) -> None:
    parser.add_argument(
        "--as",
        dest="as_user",
        metavar="USERNAME",
        help="see exactly what this user may see (or 'anonymous' for the public); "
        "default: the operator, who sees everything",
    )


def viewer_from(opts: dict[str, Any]) -> Viewer:
    name = opts.get("as_user")
    operator = cli_actor()
    if not name:
        return operator
    viewer: Any
    if name == ANONYMOUS:
        viewer = AnonymousUser()
    else:
        try:
            viewer = get_user_model().objects.get(username=name)
        except get_user_model().DoesNotExist:
            raise CommandError(f"no user {name!r}") from None
        if not viewer.is_active:
            raise CommandError(f"user {name!r} is disabled")
    # Whatever is seen through --as is recorded as seen by the operator.
    viewer._detente_operator = operator
    return viewer


def refusal(exc: ValidationError, options: Mapping[str, str]) -> CommandError:
    """A service's refusal as a command error naming the option at fault.

    ``options`` maps the service's field names to the command's options
    (``{"promised_count": "--promised"}``); a field not in it is named as it is.
    """
    if not hasattr(exc, "error_dict"):
        return CommandError("; ".join(exc.messages))
    return CommandError(
        "; ".join(
            f"{options.get(field, field)}: {' '.join(messages)}"
            for field, messages in exc.message_dict.items()
        )
    )


def find_party(slug: str, option: str = "") -> Party:
    """The party with this slug, or a command error that says where the slugs are listed."""
    from detente.agreements.selectors import party_get

    try:
        return party_get(cli_actor(), slug)
    except Http404:
        message = _("no party %(slug)r; `detente party list` shows them") % {"slug": slug}
        raise CommandError(f"{option}: {message}" if option else message) from None


# --- Tables as files (the pages' downloads) ------------------------------------------------


def add_download_arguments(parser: ArgumentParser) -> None:
    parser.add_argument(
        "--output",
        metavar="FILE",
        help="write the table to FILE as the staff page's download (CSV, Excel or JSON); "
        "recorded in the audit ledger",
    )
    parser.add_argument(
        "--format", choices=list(FORMATS), help="the file's format (default: FILE's extension)"
    )


def download_format(opts: Mapping[str, Any]) -> str:
    """The format asked for with ``--output``: ``--format``, or the file's extension."""
    fmt = opts.get("format") or Path(opts["output"]).suffix.lstrip(".").lower()
    if fmt not in FORMATS:
        raise CommandError(
            "--format: give csv, xlsx or json (the file's extension is not one of them)"
        )
    return str(fmt)


def write_download(
    path: str, name: str, fmt: str, columns: Sequence[str], rows: Sequence[dict[str, Any]]
) -> str:
    """Write the rows as the page's download would; what to say once done."""
    Path(path).write_bytes(render(name, fmt, columns, rows))
    return f"{len(rows)} rows written to {path}"
