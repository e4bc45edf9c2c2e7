"""The witnesses this server sends its checkpoints to (DETENTE_WITNESSES), and asking them.

Each is configured as ``<witness vkey> <URL prefix>``: the vkey (printed by ``detente
witness init`` on the witness's machine) pins its name and key, so a cosignature from
anyone else, or a witness answering with an older checkpoint than one kept here, is seen.
Nothing here raises on a network failure: an unreachable witness is a warning, and the
checkpoint already written stays.
"""

from __future__ import annotations

import base64
import http.client
import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.conf import settings

from detente.audit import checkpoints, cosignature, ledger
from detente.audit.checkpoints import CheckpointError


@dataclass(frozen=True)
class Configured:
    name: str
    key: Ed25519PublicKey
    url: str  # prefix, no trailing slash

    def check(self, text: str) -> cosignature.Cosigned:
        return cosignature.check(text, self.name, self.key)


def configured() -> list[Configured]:
    """The configured witnesses; raise CheckpointError naming a malformed entry."""
    out = []
    for entry in settings.DETENTE_WITNESSES:
        parts = entry.split()
        if len(parts) != 2 or not parts[1].startswith(("http://", "https://")):
            raise CheckpointError(
                f"DETENTE_WITNESSES entry {entry!r}: expected '<witness vkey> <https URL>'"
            )
        name, key = checkpoints.parse_vkey(parts[0], cosignature.SIGNATURE_TYPE)
        out.append(Configured(name, key, parts[1].rstrip("/")))
    return out


def add_checkpoint_request(old: int, proof: Iterable[bytes], note: str) -> bytes:
    lines = [f"old {old}"] + [base64.b64encode(p).decode() for p in proof]
    return ("\n".join(lines) + "\n\n" + note).encode()


def _post(url: str, body: bytes) -> tuple[int, str, str]:
    request = urllib.request.Request(  # noqa: S310 - the URL is checked to be http(s)
        url, data=body, method="POST", headers={"Content-Type": "text/plain; charset=utf-8"}
    )
    try:
        with urllib.request.urlopen(  # noqa: S310
            request, timeout=settings.DETENTE_WITNESS_TIMEOUT
        ) as response:
            text = response.read().decode(errors="replace")
            return response.status, response.headers.get_content_type(), text
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get_content_type(), exc.read().decode(errors="replace")
    except http.client.HTTPException as exc:  # a broken answer: as good as no answer
        raise OSError(f"bad answer: {exc!r}") from exc


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(  # noqa: S310 - the URL is checked to be http(s)
            url, timeout=settings.DETENTE_WITNESS_TIMEOUT
        ) as response:
            return response.status, response.read().decode(errors="replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")
    except http.client.HTTPException as exc:
        raise OSError(f"bad answer: {exc!r}") from exc


def kept_size(witness: Configured, directory: Path) -> int:
    """The largest checkpoint kept here with a valid cosignature by this witness."""
    best = 0
    for path in directory.glob("checkpoint-*.txt"):
        try:
            text = path.read_text()
            witness.check(text)
            cp, _body = checkpoints.parse_unchecked(text)
        except (OSError, CheckpointError):
            continue
        best = max(best, cp.size)
    return best


def submit(witness: Configured, note: str, size: int, directory: Path) -> str:
    """Send the checkpoint ``note`` (of ``size`` entries) to the witness; return its
    verified cosignature line. Raise CheckpointError (refused, or the ledger cannot make
    the proof) or OSError (unreachable) with a message for the operator."""
    old = kept_size(witness, directory)
    for _attempt in range(2):
        if old > size:
            raise CheckpointError(
                f"witness {witness.name} has cosigned {old} entries but the ledger has "
                f"{size}: was the ledger cut short?"
            )
        try:
            proof = ledger.entry_hashes(old, size)
        except ValueError as exc:
            raise CheckpointError(f"cannot prove consistency to {witness.name}: {exc}") from None
        status, ctype, text = _post(
            witness.url + "/add-checkpoint", add_checkpoint_request(old, proof, note)
        )
        if status == 409 and ctype == "text/x.tlog.size" and text.strip().isdigit():
            old = int(text.strip())  # it holds another size: prove from there instead
            continue
        if status != 200:
            raise CheckpointError(
                f"witness {witness.name} refused the checkpoint (HTTP {status}): "
                f"{text.strip()[:300]}"
            )
        lines = [line for line in text.splitlines() if line.split(" ")[1:2] == [witness.name]]
        for line in lines:
            try:
                witness.check(note.rstrip("\n") + "\n" + line + "\n")
            except CheckpointError:
                continue
            return line + "\n"
        raise CheckpointError(f"witness {witness.name} answered without a valid cosignature")
    raise CheckpointError(f"witness {witness.name} keeps changing its size; try again")


def latest(witness: Configured, origin: str) -> str:
    """The last checkpoint the witness cosigned for this origin (its cosignature checked).
    Raise OSError when it cannot be reached, CheckpointError when the answer is unusable."""
    status, text = _get(witness.url + "/checkpoint?origin=" + quote(origin, safe=""))
    if status == 404:
        raise CheckpointError(f"witness {witness.name} has cosigned nothing for {origin!r}")
    if status != 200:
        raise CheckpointError(f"witness {witness.name} answered HTTP {status}")
    witness.check(text)
    return text
