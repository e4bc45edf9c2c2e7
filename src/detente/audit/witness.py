"""Witness mode: ``detente witness`` on another machine cosigns the ledger's checkpoints.

A witness holds its own Ed25519 key and, per log origin, the verifier keys it trusts and
the last checkpoint it cosigned. It cosigns a new checkpoint only if it extends that one:
never a smaller ledger, never the same size with another root, and a larger one only if
the entry hashes sent with it lead from the stored root to the new one (the consistency
proof; see ledger.ROOT_GENESIS). Entry hashes are digests that name no one.

The HTTP interface follows https://c2sp.org/tlog-witness (add-checkpoint: body
``old <size>``, proof lines, a blank line, the checkpoint; 404 unknown origin, 403 no
trusted signature, 400 malformed, 409 another old size (body: the stored size, type
``text/x.tlog.size``) or the same size with another root, 422 proof fails, 200 the
cosignature line) with one difference: the proof lines are the new entries' hashes, one
per entry, instead of a Merkle consistency proof, since the ledger is a hash chain. It
adds ``GET checkpoint?origin=…``: the last checkpoint cosigned for that origin, which
``detente audit verify --witness`` asks for.

The state lives in one directory of the witness's own (not the Detente server's):
``witness.json`` (name, trusted logs), ``witness-ed25519.pem``, ``state/`` (the last
cosigned checkpoint per origin) and ``lock``. Checking the old size and storing the new
checkpoint happen under one lock (an flock across processes), so two submissions cannot
roll the stored checkpoint back.
"""

from __future__ import annotations

import base64
import binascii
import fcntl
import hashlib
import json
import logging
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from detente.audit import checkpoints, cosignature
from detente.audit.checkpoints import CheckpointError

log = logging.getLogger(__name__)

# The body of one request: the checkpoint plus 45 bytes per new entry, so about 1.4 million
# entries between two checkpoints. Checkpoint daily and this is never reached.
MAX_REQUEST_BYTES = 64 * 1024 * 1024
ROOT_GENESIS = bytes(32)  # = ledger.ROOT_GENESIS (not imported: no database here)


def extend_root(root: bytes, entry_hashes: list[bytes]) -> bytes:
    sha = hashlib.sha256
    for digest in entry_hashes:
        root = sha(root + digest).digest()
    return root


class WitnessError(Exception):
    def __init__(self, status: int, message: str, size: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.size = size  # the stored size, for a 409 about the old size


def _valid_name(name: str) -> bool:
    return bool(name) and "+" not in name and not any(c.isspace() for c in name)


@dataclass
class Witness:
    directory: Path
    name: str
    key: Ed25519PrivateKey

    _lock = threading.Lock()

    # --- Setting up ----------------------------------------------------------------------

    @classmethod
    def init(cls, directory: Path, name: str) -> Witness:
        if not _valid_name(name):
            raise ValueError("a witness name has no spaces and no '+' (e.g. example.org/w1)")
        config = directory / "witness.json"
        if config.exists():
            raise FileExistsError(f"{directory} already holds a witness; refusing to replace it")
        (directory / "state").mkdir(mode=0o700, parents=True, exist_ok=True)
        directory.chmod(0o700)
        checkpoints.generate_key(directory / "witness-ed25519.pem", directory / "witness.pub")
        _write_atomic(config, json.dumps({"name": name, "logs": {}}, indent=2) + "\n")
        return cls.open(directory)

    @classmethod
    def open(cls, directory: Path) -> Witness:
        config = directory / "witness.json"
        if not config.exists():
            raise FileNotFoundError(
                f"no witness in {directory}: run 'detente witness init --name NAME' first"
            )
        name = json.loads(config.read_text())["name"]
        return cls(directory, name, checkpoints.load_private(directory / "witness-ed25519.pem"))

    def vkey(self) -> str:
        return cosignature.witness_vkey(self.name, self.key.public_key())

    def logs(self) -> dict[str, list[str]]:
        logs: dict[str, list[str]] = json.loads((self.directory / "witness.json").read_text())[
            "logs"
        ]
        return logs

    def add_log(self, log_vkey: str) -> str:
        """Trust this log key (signed-note vkey; its name is the log's origin)."""
        origin, _key = checkpoints.parse_vkey(log_vkey)
        with self._locked():
            config = json.loads((self.directory / "witness.json").read_text())
            keys = config["logs"].setdefault(origin, [])
            if log_vkey.strip() not in keys:
                keys.append(log_vkey.strip())
            _write_atomic(self.directory / "witness.json", json.dumps(config, indent=2) + "\n")
        return origin

    # --- Cosigning -----------------------------------------------------------------------

    def _state_path(self, origin: str) -> Path:
        return self.directory / "state" / (hashlib.sha256(origin.encode()).hexdigest() + ".txt")

    def latest(self, origin: str) -> str | None:
        """The last checkpoint cosigned for this origin, with its signatures."""
        path = self._state_path(origin)
        return path.read_text() if path.exists() else None

    @contextmanager
    def _locked(self) -> Iterator[None]:
        with self._lock, open(self.directory / "lock", "a") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def add_checkpoint(self, request: bytes, now: int | None = None) -> str:
        """Check a tlog-witness add-checkpoint request; return the cosignature line."""
        try:
            text = request.decode("utf-8")
        except UnicodeDecodeError:
            raise WitnessError(400, "the request is not UTF-8") from None
        head, sep, note = text.partition("\n\n")
        lines = head.split("\n")
        if not sep or not lines[0].startswith("old "):
            raise WitnessError(400, "expected 'old <size>', proof lines, a blank line, a note")
        old_text = lines[0][4:]
        if not old_text.isdigit() or (old_text != "0" and old_text.startswith("0")):
            raise WitnessError(400, "the old size is not a number")
        old = int(old_text)
        try:
            proof = [base64.b64decode(line, validate=True) for line in lines[1:]]
        except (ValueError, binascii.Error):
            raise WitnessError(400, "a proof line is not base64") from None
        if any(len(p) != 32 for p in proof):
            raise WitnessError(400, "a proof line is not a SHA-256 hash")

        origin = note.split("\n", 1)[0]
        trusted = self.logs().get(origin)
        if not trusted:
            raise WitnessError(404, f"unknown log {origin!r}")
        try:
            cp, body = checkpoints.parse_unchecked(note, origin)
        except CheckpointError as exc:
            raise WitnessError(400, str(exc)) from None
        if not any(_signed_by(note, vk, origin) for vk in trusted):
            raise WitnessError(403, "no signature by a key this witness trusts for the log")
        if old > cp.size:
            raise WitnessError(400, f"old size {old} is larger than the checkpoint ({cp.size})")
        new_root = bytes.fromhex(cp.head_hash)

        with self._locked():
            stored = self.latest(origin)
            size, root = 0, ROOT_GENESIS
            if stored is not None:
                held, _body = checkpoints.parse_unchecked(stored, origin)
                size, root = held.size, bytes.fromhex(held.head_hash)
            if old != size:
                raise WitnessError(409, f"this witness holds {size} entries, not {old}", size)
            if cp.size == size:
                if new_root != root and stored is not None:
                    raise WitnessError(
                        409, f"another root for {size} entries than the one cosigned (fork)"
                    )
            elif not (old == 0 and not proof):  # a first checkpoint may come without proof
                if len(proof) != cp.size - old:
                    raise WitnessError(
                        422, f"the proof has {len(proof)} entry hashes, not {cp.size - old}"
                    )
                if extend_root(root, proof) != new_root:
                    raise WitnessError(
                        422,
                        f"the proof does not lead from the root cosigned at {size} entries "
                        f"to this one at {cp.size}: the ledger was rewritten",
                    )
            line = cosignature.cosign(
                body, self.name, self.key, int(time.time()) if now is None else now
            )
            _write_atomic(self._state_path(origin), note.rstrip("\n") + "\n" + line)
        return line


def _signed_by(note: str, log_vkey: str, origin: str) -> bool:
    try:
        name, key = checkpoints.parse_vkey(log_vkey)
        checkpoints.parse_and_check(note, key, origin)
    except CheckpointError:
        return False
    return name == origin


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


# --- HTTP --------------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    server_version = "detente-witness"
    witness: Witness

    def _send(
        self, status: int, text: str, content_type: str = "text/plain; charset=utf-8"
    ) -> None:
        data = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        if urlsplit(self.path).path.rstrip("/").rsplit("/", 1)[-1] != "add-checkpoint":
            self._send(404, "not found\n")
            return
        length_text = self.headers.get("Content-Length")
        if length_text is None or not length_text.isdigit():
            self._send(411, "Content-Length required\n")
            return
        length = int(length_text)
        if length > MAX_REQUEST_BYTES:
            self._send(413, "request too large: checkpoint more often\n")
            return
        body = self.rfile.read(length)
        try:
            line = self.witness.add_checkpoint(body)
        except WitnessError as exc:
            log.warning("refused a checkpoint: %s %s", exc.status, exc)
            if exc.status == 409 and exc.size is not None:
                self._send(409, f"{exc.size}\n", "text/x.tlog.size")
            else:
                self._send(exc.status, f"{exc}\n")
            return
        self._send(200, line)

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        if parts.path.rstrip("/").rsplit("/", 1)[-1] != "checkpoint":
            self._send(404, "not found\n")
            return
        origin = parse_qs(parts.query).get("origin", [""])[0]
        text = self.witness.latest(origin) if origin else None
        if text is None:
            self._send(404, "no checkpoint cosigned for this origin\n")
            return
        self._send(200, text)

    def log_message(self, format: str, *args: object) -> None:
        log.info("%s %s", self.address_string(), format % args)


def make_server(witness: Witness, host: str, port: int) -> ThreadingHTTPServer:
    handler = type("WitnessHandler", (_Handler,), {"witness": witness})
    return ThreadingHTTPServer((host, port), handler)
