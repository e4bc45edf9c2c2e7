"""What the command-line front door shares: reporting a service's refusal, and writing a
page's table as a file. Reading as a given user (``--as``) is ``detente.accounts.cli``;
finding a party by its slug is ``detente.agreements.cli``."""

from __future__ import annotations

from argparse import ArgumentParser
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError

from detente.core.exports import FORMATS, render


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
