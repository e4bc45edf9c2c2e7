"""``detente audit verify|checkpoint|keygen|vkey|proof``: prove the ledger was not altered;
``detente audit access``: who has seen a person, and what an account has seen."""

from __future__ import annotations

import datetime as dt
import json
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Max

from detente.audit import checkpoints, ledger, witnesses
from detente.audit.checkpoints import CheckpointError
from detente.audit.models import AuditEntry
from detente.core.cli_support import add_download_arguments, download_format, write_download


def checkpoint_dir() -> Path:
    return checkpoints.checkpoint_dir()


def _when(timestamp: int) -> str:
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def merge_signatures(text: str, new_lines: list[str]) -> str:
    """The note ``text`` with these signature lines added, replacing any earlier line of
    the same key name (a witness's newer cosignature of the same checkpoint)."""
    body, lines = checkpoints.split_note(text)
    names = {_key_name(line) for line in new_lines}
    kept = [line for line in lines if _key_name(line) not in names]
    return body + "\n" + "".join(f"{line.rstrip()}\n" for line in kept + new_lines)


def _key_name(line: str) -> str:
    parts = line.split(" ")
    return parts[1] if len(parts) == 3 else ""


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
        v.add_argument("--pubkey", type=Path, help="the public key (default: the signing key's)")
        v.add_argument(
            "--witness",
            action="store_true",
            help="also ask every configured witness (DETENTE_WITNESSES) for the last "
            "checkpoint it cosigned, and check the ledger still passes through it",
        )
        v.add_argument("--json", action="store_true")
        c = sub.add_parser(
            "checkpoint", help="sign the current head of the ledger; send it to the witnesses"
        )
        c.add_argument("--key", type=Path, help="the private key (default: the signing key)")
        c.add_argument("--out", type=Path, help="folder to write it to (default: checkpoints/)")
        sub.add_parser(
            "keygen",
            help="create the Ed25519 signing key (DETENTE_SIGNING_KEY_FILE, outside the data "
            "directory by default)",
        )
        sub.add_parser("vkey", help="print the ledger's verifier key, for a witness to trust")
        p = sub.add_parser(
            "proof",
            help="print a witness request (old size, entry hashes, newest checkpoint) for "
            "'detente witness cosign' on a machine this server cannot reach",
        )
        p.add_argument("--old", type=int, required=True, help="the size the witness holds")
        a = sub.add_parser(
            "access",
            help="who has seen a person (every view, export and download that named them), "
            "or what an account has seen, newest first, from the ledger",
        )
        whose = a.add_mutually_exclusive_group(required=True)
        whose.add_argument("--person", metavar="HANDLE", help="a person's handle, e.g. P-0017")
        whose.add_argument("--user", metavar="USERNAME", help="an account's username")
        a.add_argument("--limit", type=int, default=50, help="entries to show (default 50)")
        a.add_argument(
            "--before", type=int, metavar="POSITION", help="only entries older than this one"
        )
        a.add_argument("--json", action="store_true")
        add_download_arguments(a)

    def handle(self, *args: Any, **opts: Any) -> None:
        action = opts["action"]
        if action == "keygen":
            self.keygen()
        elif action == "vkey":
            self.stdout.write(self.log_vkey())
        elif action == "checkpoint":
            self.checkpoint(opts["key"], opts["out"])
        elif action == "proof":
            self.proof(opts["old"])
        elif action == "access":
            self.access(opts)
        else:
            self.verify(opts)

    # --- Who has seen whom -------------------------------------------------------------

    def access(self, opts: dict[str, Any]) -> None:
        from django.http import Http404

        from detente.access.policy import cli_actor
        from detente.audit.labels import action_label
        from detente.oversight.selectors import person_access, user_access, user_named
        from detente.oversight.services import access_history_export

        operator = cli_actor()
        handle, username = opts["person"] or "", opts["user"] or ""
        pk = None
        if username:
            try:
                pk = user_named(operator, username).pk
            except Http404:
                raise CommandError(
                    f"--user: no account {username!r}; `detente user list` shows them"
                ) from None
        if opts["output"]:
            fmt = download_format(opts)
            try:
                columns, rows = access_history_export(operator, fmt=fmt, handle=handle, user_pk=pk)
            except Http404:
                raise CommandError(f"--person: no person {handle!r}") from None
            name = f"access-{handle or username}"
            self.stdout.write(write_download(opts["output"], name, fmt, columns, rows))
            return
        if opts["limit"] < 1:
            raise CommandError("--limit: give a number of entries, 1 or more")
        try:
            page = (
                person_access(operator, handle, before=opts["before"], size=opts["limit"])
                if handle
                else user_access(operator, int(pk or 0), before=opts["before"], size=opts["limit"])
            )
        except Http404:
            raise CommandError(f"--person: no person {handle!r}") from None
        if opts["json"]:
            out = [r.as_json() for r in page.rows]
            self.stdout.write(json.dumps({"entries": out, "older": page.older}, ensure_ascii=False))
            return
        if not page.rows:
            self.stdout.write("No view, export or download is recorded.")
        for r in page.rows:
            when = r.at.strftime("%Y-%m-%d %H:%M UTC") if r.at else "?"
            who = f"{r.actor} (as {r.as_user})" if r.as_user else r.actor
            whom = f" [{r.others} others]" if handle and r.others else ""
            if not handle:
                shown = " ".join(r.people[:5])
                whom = f" {shown}" + (f" and {len(r.people) - 5} more" if len(r.people) > 5 else "")
            self.stdout.write(f"#{r.position}  {when}  {who}  {action_label(r.action)}{whom}")
        if page.older:
            self.stdout.write(f"Older entries: --before {page.older}")

    def warn(self, text: str) -> None:
        self.stderr.write(self.style.WARNING(f"Warning: {text}"))

    def warn_key_location(self) -> None:
        if (path := checkpoints.signing_key_in_data_dir()) is not None:
            target, _ = checkpoints.configured_key_paths()
            self.warn(
                f"the signing key is in the data directory ({path}): whoever copies that "
                f"directory can sign checkpoints. Move it and its .pub to {target.parent} "
                "(or set DETENTE_SIGNING_KEY_FILE); see docs/operations.md."
            )

    def log_vkey(self) -> str:
        _private, public_path = checkpoints.key_paths()
        if not public_path.exists():
            raise CommandError(f"no public key at {public_path}: run 'detente audit keygen'")
        public = checkpoints.load_public(public_path)
        return checkpoints.vkey(checkpoints.default_origin(), checkpoints.raw_public(public))

    def keygen(self) -> None:
        for existing in checkpoints.key_paths():
            if existing.exists():
                raise CommandError(f"{existing} exists; refusing to make a second signing key")
        private_path, public_path = checkpoints.configured_key_paths()
        try:
            checkpoints.generate_key(private_path, public_path)
        except FileExistsError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"Signing key: {private_path}\nPublic key:  {public_path}")
        self.stdout.write(public_path.read_text().strip())
        self.stdout.write(f"Verifier key (for 'detente witness add-log'): {self.log_vkey()}")

    # --- Checkpoints -------------------------------------------------------------------

    def checkpoint(self, key: Path | None, out: Path | None) -> None:
        try:
            configured = witnesses.configured()
        except CheckpointError as exc:  # still sign: a bad setting must not cost a checkpoint
            self.warn(f"{exc}; no witness is asked")
            configured = []
        key_path = key or checkpoints.key_paths()[0]
        if not key_path.exists():
            raise CommandError(f"no signing key at {key_path}: run 'detente audit keygen'")
        self.warn_key_location()
        result = ledger.verify()
        if not result.ok:
            raise CommandError(
                f"refusing to sign a broken ledger: entry {result.first_bad_position}: "
                f"{result.reason}"
            )
        if result.head_position == 0:
            raise CommandError("the ledger is empty; nothing to sign")
        text = checkpoints.sign(
            result.head_position, result.root_hash, checkpoints.load_private(key_path)
        )
        folder = out or checkpoint_dir()
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"checkpoint-{result.head_position:012d}.txt"
        if path.exists():  # signed again with nothing new: keep the cosignatures it has
            try:
                if checkpoints.split_note(path.read_text())[0] == checkpoints.split_note(text)[0]:
                    text = merge_signatures(path.read_text(), checkpoints.split_note(text)[1])
            except CheckpointError:
                pass
        path.write_text(text)  # written before any witness is asked: never lost to one
        cosigned = []
        for w in configured:
            try:
                line = witnesses.submit(w, text, result.head_position, folder)
            except OSError as exc:
                self.warn(f"witness {w.name} ({w.url}) could not be reached: {exc}")
                continue
            except CheckpointError as exc:
                self.warn(str(exc))
                continue
            cosigned.append(line)
        if cosigned:
            text = merge_signatures(text, cosigned)
            path.write_text(text)
        self.stdout.write(text)
        self.stdout.write(f"Written to {path}. Keep a copy away from this server.")
        if configured:
            self.stdout.write(f"Cosigned by {len(cosigned)} of {len(configured)} witness(es).")

    def proof(self, old: int) -> None:
        text = checkpoints.newest_published()
        if text is None:
            raise CommandError("no signed checkpoint here: run 'detente audit checkpoint'")
        cp, _body = checkpoints.parse_unchecked(text)
        if not 0 <= old <= cp.size:
            raise CommandError(f"--old must be between 0 and {cp.size}")
        try:
            proof = ledger.entry_hashes(old, cp.size)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(witnesses.add_checkpoint_request(old, proof, text).decode(), ending="")

    # --- Verification ------------------------------------------------------------------

    def verify(self, opts: dict[str, Any]) -> None:
        pub_path = opts["pubkey"] or checkpoints.key_paths()[1]
        files = sorted(checkpoint_dir().glob("checkpoint-*.txt")) + list(opts["checkpoint"])
        expected: dict[int, str] = {}
        if files:
            if not pub_path.exists():
                raise CommandError(f"checkpoints found but no public key at {pub_path}")
            public = checkpoints.load_public(pub_path)
            for f in files:
                try:
                    cp = checkpoints.parse_and_check(f.read_text(), public)
                except (OSError, CheckpointError) as exc:
                    raise CommandError(f"{f}: {exc}") from None
                if expected.get(cp.size, cp.head_hash) != cp.head_hash:
                    # Two signed views of the same length: someone showed different
                    # ledgers to different people.
                    raise CommandError(
                        f"{f}: conflicts with another checkpoint of {cp.size} entries (fork)"
                    )
                expected[cp.size] = cp.head_hash
        covered_locally = max(expected, default=0)
        witnessed, problems = self.ask_witnesses(files) if opts["witness"] else ([], [])
        last = AuditEntry.objects.aggregate(last=Max("position"))["last"] or 0
        for w in witnessed:
            if w["size"] is None:
                continue
            if w["size"] > last:
                w["ok"] = False
                problems.append(
                    f"witness {w['name']} cosigned a ledger of {w['size']} entries "
                    f"({w['when']}) but this one ends at entry {last}: it was cut short"
                )
            elif expected.get(w["size"], w["root"]) != w["root"]:
                w["ok"] = False
                problems.append(
                    f"witness {w['name']} cosigned another head for {w['size']} entries "
                    "than the checkpoint kept here (fork)"
                )
            else:
                expected[w["size"]] = w["root"]
        result = ledger.verify(expected)
        for w in witnessed:
            if w["ok"] and not result.ok and result.first_bad_position == w["size"]:
                w["ok"] = False
                problems.append(
                    f"the ledger no longer passes through the head witness {w['name']} "
                    f"cosigned at {w['size']} entries ({w['when']}): it was rewritten"
                )
        covered = max(expected, default=0)
        uncovered = max(result.head_position - covered, 0)
        report = {
            "ok": result.ok and not problems,
            "entries_checked": result.checked,
            "head_position": result.head_position,
            "head_hash": result.head_hash,
            "root_hash": result.root_hash or None,  # what a checkpoint of this head signs
            "checkpoints_checked": len(files),
            "entries_after_last_checkpoint": uncovered,
            "last_checkpoint_position": covered,
            # What no check on this server can see: entries removed from the end after
            # the last checkpoint leave a shorter chain that is still whole. Asking the
            # witnesses moves that line to the last size one of them cosigned.
            "cut_after_last_checkpoint_detectable_here": False,
            "witnesses": witnessed,
            "witness_problems": problems,
            "first_bad_entry": result.first_bad_position,
            "reason": result.reason or None,
        }
        self.warn_key_location()
        if opts["json"]:
            self.stdout.write(json.dumps(report, indent=2))
        elif result.ok:
            self.stdout.write(
                f"OK: {result.checked} entries, head {result.head_hash[:16]}…, "
                f"consistent with {len(files)} checkpoint(s)."
            )
            # Said every time, not only when something is pending: a ledger cut short after
            # the last checkpoint still verifies here, so "OK" alone would overstate it.
            if not files and not witnessed:
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
            for w in witnessed:
                if w["ok"]:
                    self.stdout.write(
                        f"Witness {w['name']}: cosigned {w['size']} entries at {w['when']} "
                        f"({w['source']}); the ledger passes through it."
                    )
            if opts["witness"] and covered_locally < covered:
                self.stdout.write(
                    f"The witnesses hold a larger checkpoint ({covered} entries) than those "
                    f"kept on this server ({covered_locally})."
                )
        if not result.ok and not problems:
            raise CommandError(
                f"ledger verification FAILED at entry {result.first_bad_position}: {result.reason}"
            )
        if problems:
            if not result.ok:
                problems.append(f"entry {result.first_bad_position}: {result.reason}")
            raise CommandError("verification against the witnesses FAILED: " + "; ".join(problems))

    def ask_witnesses(self, files: list[Path]) -> tuple[list[dict[str, Any]], list[str]]:
        """Ask each witness for the last checkpoint it cosigned (and read the copies it
        cosigned that are kept here); the largest is that witness's row. Returns the rows
        and the problems found (a witness unreachable is one: nothing then shows a cut
        after the last checkpoint kept on this server)."""
        try:
            configured = witnesses.configured()
        except CheckpointError as exc:
            raise CommandError(str(exc)) from None
        if not configured:
            raise CommandError("--witness: no witness is configured (DETENTE_WITNESSES)")
        origin = checkpoints.default_origin()
        rows: list[dict[str, Any]] = []
        problems: list[str] = []
        for w in configured:
            found: list[tuple[int, str, int, str]] = []  # size, root, time, source
            try:
                text = witnesses.latest(w, origin)
                cp, _ = checkpoints.parse_unchecked(text, origin)
                found.append((cp.size, cp.head_hash, w.check(text).timestamp, "its answer"))
            except OSError as exc:
                problems.append(f"witness {w.name} ({w.url}) could not be asked: {exc}")
            except CheckpointError as exc:
                problems.append(f"witness {w.name}: {exc}")
            answered = found[0][0] if found else None
            for f in files:
                try:
                    text = f.read_text()
                    stamp = w.check(text).timestamp
                    cp, _ = checkpoints.parse_unchecked(text, origin)
                except (OSError, CheckpointError):
                    continue
                found.append((cp.size, cp.head_hash, stamp, f"copy kept in {f.name}"))
            if not found:
                rows.append({"name": w.name, "ok": False, "size": None})
                continue
            size, root, stamp, source = max(found)
            if answered is not None and answered < size:
                self.warn(
                    f"witness {w.name} answered with {answered} entries, but a checkpoint of "
                    f"{size} it cosigned is kept here: its answer is stale or replayed"
                )
            rows.append(
                {
                    "name": w.name,
                    "ok": True,
                    "size": size,
                    "root": root,
                    "time": stamp,
                    "when": _when(stamp),
                    "source": source,
                }
            )
        return rows, problems
