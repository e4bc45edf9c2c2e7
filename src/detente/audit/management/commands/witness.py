"""``detente witness init|add-log|vkey|serve|cosign|show``: witness mode, on another machine.

A witness cosigns the ledger's checkpoints of a Detente server it does not run on, after
checking that each extends the last one it cosigned; ``detente audit verify --witness`` on
the server then asks it what it cosigned, so a ledger cut short or rewritten there cannot
pass. See detente.audit.witness and docs/operations.md ("Witnesses").

It serves with the standard library's HTTP server, not the Detente web application: a
witness needs no database, no users and no web pages, and keeping it a separate small
process is what lets it run on a machine that shares nothing with the server.
"""

from __future__ import annotations

import sys
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from detente.audit.checkpoints import CheckpointError
from detente.audit.witness import Witness, WitnessError, make_server


class Command(BaseCommand):
    help = "Witness mode: cosign another Detente server's ledger checkpoints."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--dir",
            type=Path,
            help="the witness's key and state (default: DETENTE_WITNESS_DIR, "
            "~/.local/state/detente/witness)",
        )
        sub = parser.add_subparsers(dest="action", required=True)
        i = sub.add_parser("init", help="create the witness key; print its verifier key")
        i.add_argument("--name", required=True, help="e.g. witness.example.org/detente")
        a = sub.add_parser("add-log", help="trust a ledger's key (from 'detente audit vkey')")
        a.add_argument("vkey")
        sub.add_parser("vkey", help="print this witness's verifier key")
        s = sub.add_parser("serve", help="answer add-checkpoint and checkpoint over HTTP")
        s.add_argument("--host", default="127.0.0.1")
        s.add_argument("--port", type=int, default=8710)
        c = sub.add_parser(
            "cosign", help="cosign a request written by 'detente audit proof' (offline)"
        )
        c.add_argument("file", help="the request file, or - for standard input")
        sh = sub.add_parser("show", help="print the last checkpoint cosigned for a log")
        sh.add_argument("origin")

    def handle(self, *args: Any, **opts: Any) -> None:
        directory: Path = opts["dir"] or Path(settings.DETENTE_WITNESS_DIR)
        action = opts["action"]
        if action == "init":
            try:
                witness = Witness.init(directory, opts["name"])
            except (ValueError, FileExistsError) as exc:
                raise CommandError(str(exc)) from None
            self.stdout.write(f"Witness {witness.name} in {directory}")
            self.stdout.write(
                "Give this verifier key and this machine's URL to the Detente server "
                "(DETENTE_WITNESSES):"
            )
            self.stdout.write(witness.vkey())
            return
        try:
            witness = Witness.open(directory)
        except FileNotFoundError as exc:
            raise CommandError(str(exc)) from None
        if action == "vkey":
            self.stdout.write(witness.vkey())
        elif action == "add-log":
            try:
                origin = witness.add_log(opts["vkey"])
            except CheckpointError as exc:
                raise CommandError(str(exc)) from None
            self.stdout.write(f"Trusting checkpoints of {origin!r} signed by this key.")
        elif action == "show":
            text = witness.latest(opts["origin"])
            if text is None:
                raise CommandError(f"nothing cosigned for {opts['origin']!r}")
            self.stdout.write(text, ending="")
        elif action == "cosign":
            name = opts["file"]
            data = sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()
            try:
                line = witness.add_checkpoint(data)
            except WitnessError as exc:
                raise CommandError(f"refused ({exc.status}): {exc}") from None
            # The checkpoint with the cosignature added: keep it, or give it back.
            self.stdout.write(witness.latest(_origin_of(data)) or line, ending="")
        else:
            server = make_server(witness, opts["host"], opts["port"])
            self.stdout.write(
                f"Witness {witness.name} listening on http://{opts['host']}:{opts['port']}/ "
                "(add-checkpoint, checkpoint?origin=…); put TLS in front of it."
            )
            try:
                server.serve_forever()
            except KeyboardInterrupt:
                pass
            finally:
                server.server_close()


def _origin_of(request: bytes) -> str:
    note = request.decode("utf-8", errors="replace").partition("\n\n")[2]
    return note.split("\n", 1)[0]
