"""``detente audit verify|checkpoint|keygen``: prove the ledger was not altered."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from detente.audit import checkpoints, ledger


def checkpoint_dir() -> Path:
    return checkpoints.checkpoint_dir()


class Command(BaseCommand):
    help = "Verify the audit ledger, write signed checkpoints, create the signing key."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        v = sub.add_parser("verify", help="recompute the chain; check it against checkpoints")
        v.add_argument(
            "--checkpoint",
            action="append",
            default=[],
            type=Path,
            help="a checkpoint file to check against (repeatable); those in the data "
            "directory's checkpoints/ folder are always checked",
        )
        v.add_argument("--pubkey", type=Path, help="the public key (default: the data dir's)")
        v.add_argument("--json", action="store_true")
        c = sub.add_parser("checkpoint", help="sign the current head of the ledger")
        c.add_argument("--key", type=Path, help="the private key (default: the data dir's)")
        c.add_argument("--out", type=Path, help="folder to write it to (default: checkpoints/)")
        sub.add_parser("keygen", help="create the Ed25519 signing key in the data directory")

    def handle(self, *args: Any, **opts: Any) -> None:
        private_path, public_path = checkpoints.key_paths()
        action = opts["action"]
        if action == "keygen":
            try:
                checkpoints.generate_key(private_path, public_path)
            except FileExistsError as exc:
                raise CommandError(str(exc)) from None
            self.stdout.write(f"Signing key: {private_path}\nPublic key:  {public_path}")
            self.stdout.write(public_path.read_text().strip())
            return
        if action == "checkpoint":
            key_path = opts["key"] or private_path
            if not key_path.exists():
                raise CommandError(f"no signing key at {key_path}: run 'detente audit keygen'")
            result = ledger.verify()
            if not result.ok:
                raise CommandError(
                    f"refusing to sign a broken ledger: entry {result.first_bad_position}: "
                    f"{result.reason}"
                )
            if result.head_position == 0:
                raise CommandError("the ledger is empty; nothing to sign")
            text = checkpoints.sign(
                result.head_position, result.head_hash, checkpoints.load_private(key_path)
            )
            out = opts["out"] or checkpoint_dir()
            out.mkdir(parents=True, exist_ok=True)
            path = out / f"checkpoint-{result.head_position:012d}.txt"
            path.write_text(text)
            self.stdout.write(text)
            self.stdout.write(f"Written to {path}. Keep a copy away from this server.")
            return

        pub_path = opts["pubkey"] or public_path
        files = sorted(checkpoint_dir().glob("checkpoint-*.txt")) + list(opts["checkpoint"])
        expected: dict[int, str] = {}
        if files:
            if not pub_path.exists():
                raise CommandError(f"checkpoints found but no public key at {pub_path}")
            public = checkpoints.load_public(pub_path)
            for f in files:
                try:
                    cp = checkpoints.parse_and_check(f.read_text(), public)
                except (OSError, checkpoints.CheckpointError) as exc:
                    raise CommandError(f"{f}: {exc}") from None
                if expected.get(cp.size, cp.head_hash) != cp.head_hash:
                    # Two signed views of the same length: someone showed different
                    # ledgers to different people.
                    raise CommandError(
                        f"{f}: conflicts with another checkpoint of {cp.size} entries (fork)"
                    )
                expected[cp.size] = cp.head_hash
        result = ledger.verify(expected)
        covered = max(expected, default=0)
        uncovered = max(result.head_position - covered, 0)
        report = {
            "ok": result.ok,
            "entries_checked": result.checked,
            "head_position": result.head_position,
            "head_hash": result.head_hash,
            "checkpoints_checked": len(files),
            "entries_after_last_checkpoint": uncovered,
            "last_checkpoint_position": covered,
            # What no check on this server can see: entries removed from the end after
            # the last checkpoint leave a shorter chain that is still whole.
            "cut_after_last_checkpoint_detectable_here": False,
            "first_bad_entry": result.first_bad_position,
            "reason": result.reason or None,
        }
        if opts["json"]:
            self.stdout.write(json.dumps(report, indent=2))
        elif result.ok:
            self.stdout.write(
                f"OK: {result.checked} entries, head {result.head_hash[:16]}…, "
                f"consistent with {len(files)} checkpoint(s)."
            )
            # Said every time, not only when something is pending: a ledger cut short after
            # the last checkpoint still verifies here, so "OK" alone would overstate it.
            if not files:
                self.stdout.write(
                    "No signed checkpoint: nothing here proves the ledger was not rewritten, "
                    "extended or cut short by someone with database access. Sign one with "
                    "'detente audit checkpoint' and keep a copy off this server."
                )
            else:
                self.stdout.write(
                    f"{uncovered} entries come after the last signed checkpoint (entry "
                    f"{covered}) and are not yet proven. Entries removed from the end after "
                    f"entry {covered} cannot be detected on this server: compare this head "
                    "with a checkpoint kept elsewhere (the public site publishes the newest "
                    "at /.well-known/detente/checkpoint for anyone to keep)."
                )
        if not result.ok:
            raise CommandError(
                f"ledger verification FAILED at entry {result.first_bad_position}: {result.reason}"
            )
