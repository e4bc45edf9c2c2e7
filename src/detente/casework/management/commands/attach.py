"""``detente attach add|list|get``: evidence files on claims, notes and cases raised
(docs/casework.md).

``add`` acts as the operator; ``list`` and ``get`` show what ``--as USERNAME`` may see, and
every ``get`` is written to the ledger like a download from the staff pages.
"""

from __future__ import annotations

import json
import os
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from detente.access.policy import Viewer, cli_actor
from detente.accounts.cli import add_viewer_argument, viewer_from
from detente.casework import files, selectors, services
from detente.casework.cli import attachment_json, found, reader, run
from detente.casework.models import Intervention, Note
from detente.evidence.models import Claim
from detente.evidence.selectors import claim_get
from detente.registry.selectors import person_get

OPTIONS = {
    "file": "FILE",
    "subject": "--claim/--note/--intervention",
    "strip_metadata": "--strip-metadata",
}


def _subject_arguments(parser: ArgumentParser, *, required: bool) -> None:
    group = parser.add_mutually_exclusive_group(required=required)
    group.add_argument("--claim", type=int, metavar="ID", help="a claim, by number")
    group.add_argument("--note", type=int, metavar="ID", help="a note, by number")
    group.add_argument("--intervention", type=int, metavar="ID", help="a case raised, by number")
    if not required:
        group.add_argument("--person", metavar="HANDLE", help="every file about a person")


def _attached_to(
    viewer: Viewer, opts: dict[str, Any]
) -> tuple[Claim | None, Note | None, Intervention | None]:
    if opts.get("claim") is not None:
        return (
            found(lambda: claim_get(viewer, opts["claim"]), f"no claim #{opts['claim']}"),
            None,
            None,
        )
    if opts.get("note") is not None:
        return (
            None,
            found(lambda: selectors.note_get(viewer, opts["note"]), f"no note #{opts['note']}"),
            None,
        )
    if opts.get("intervention") is not None:
        key = opts["intervention"]
        return (
            None,
            None,
            found(lambda: selectors.intervention_get(viewer, key), f"no case raised #{key}"),
        )
    return None, None, None


class Command(BaseCommand):
    help = "Attach evidence files to claims, notes and cases raised; list them; get one."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="attach a file (recognised by its content)")
        _subject_arguments(add, required=True)
        add.add_argument("file", metavar="FILE")
        add.add_argument(
            "--strip-metadata",
            action="store_true",
            help="images: keep a copy without EXIF/GPS for everyone, the original for "
            "verifiers and administrators",
        )
        add.add_argument("--name", help="the file's name as shown (default: FILE's name)")
        listing = sub.add_parser("list", help="the files of a claim, note, case or person")
        _subject_arguments(listing, required=False)
        listing.add_argument("--json", action="store_true")
        add_viewer_argument(listing)
        get = sub.add_parser("get", help="write one file out (recorded in the ledger)")
        get.add_argument("id", type=int)
        get.add_argument("--output", "-o", required=True, metavar="F", help="where to write it")
        get.add_argument(
            "--original",
            action="store_true",
            help="the image as uploaded, before its metadata was stripped (verifiers, "
            "administrators)",
        )
        add_viewer_argument(get)

    def handle(self, *args: Any, **opts: Any) -> None:
        getattr(self, "_" + opts["action"])(opts)

    def _add(self, opts: dict[str, Any]) -> None:
        actor = cli_actor()
        claim, note, intervention = _attached_to(actor, opts)
        path = Path(opts["file"])
        if not path.is_file():
            raise CommandError(f"FILE: no file {str(path)!r}")
        with path.open("rb") as handle:
            row = run(
                lambda: services.attachment_add(
                    actor=actor,
                    chunks=files.file_chunks(handle),
                    name=opts["name"] or path.name,
                    claim=claim,
                    note=note,
                    intervention=intervention,
                    strip_metadata=opts["strip_metadata"],
                ),
                OPTIONS,
            )
        self.stdout.write(
            f"attachment #{row.pk} kept: {row.kind}, {row.size} bytes, SHA-256 {row.sha256}"
            + (f" (original {row.original_sha256})" if row.stripped else "")
        )

    def _list(self, opts: dict[str, Any]) -> None:
        viewer = viewer_from(opts)
        reader(viewer)
        claim, note, intervention = _attached_to(viewer, opts)
        person = None
        if opts.get("person"):
            person = found(
                lambda: person_get(viewer, opts["person"]), f"no person {opts['person']!r}"
            )
        rows = list(
            selectors.attachments(
                viewer, claim=claim, note=note, intervention=intervention, person=person
            )
        )
        if opts["json"]:
            data = [attachment_json(a) for a in rows]
            self.stdout.write(json.dumps(data, indent=2, ensure_ascii=False))
            return
        if not rows:
            self.stdout.write("No file.")
        for a in rows:
            on = ", ".join(f"{k} {v}" for k, v in services.attachment_subject(a.subject).items())
            self.stdout.write(
                f"#{a.pk:<6} {a.kind:<5} {a.size:>10}  {a.sha256}  {on}"
                + ("  (metadata stripped)" if a.stripped else "")
            )

    def _get(self, opts: dict[str, Any]) -> None:
        viewer = viewer_from(opts)
        reader(viewer)
        out = Path(opts["output"])
        if out.exists():
            raise CommandError(f"--output: {str(out)!r} exists; give a new file name")
        download = found(
            lambda: selectors.attachment_download(viewer, opts["id"], original=opts["original"]),
            f"no attachment #{opts['id']}",
        )
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as target:
                for chunk in files.plain_chunks(download.sha256):
                    target.write(chunk)
        except files.Unreadable as exc:
            out.unlink(missing_ok=True)
            raise CommandError(str(exc)) from None
        self.stdout.write(f"{out}: {download.size} bytes, SHA-256 {download.sha256}")
