"""Witnessed checkpoints (issue 13 point 4): a witness on another machine cosigns each
checkpoint only if it extends the last one it cosigned, and `audit verify --witness` asks it,
so a ledger cut short or rewritten on the server, with its local checkpoints deleted, fails."""

from __future__ import annotations

import base64
import hashlib
import io
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.core.management import CommandError, call_command
from tests.support import TABLE, World, sql, triggers_off

from detente.audit import checkpoints, ledger
from detente.audit.models import AuditEntry
from detente.audit.witness import Witness, WitnessError, make_server
from detente.audit.witnesses import add_checkpoint_request, configured
from detente.registry.services import person_create

NAME = "witness.example.org/board"


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def grow(world: World, n: int = 1) -> int:
    for i in range(n):
        person_create(actor=world.actor, given_names=f"Yusnier {i}", paternal_surname="Lazo")
    return ledger.verify().head_position


@dataclass
class Running:
    witness: Witness
    url: str
    vkey: str


@pytest.fixture
def signed(world: World, settings: Any, tmp_path: Path) -> int:
    settings.DATA_DIR = tmp_path / "data"
    grow(world, 3)
    run("audit", "keygen")
    return ledger.verify().head_position


@pytest.fixture
def witness_dir(tmp_path: Path) -> Path:
    return tmp_path / "witness-machine"


@pytest.fixture
def running(signed: int, witness_dir: Path, settings: Any) -> Iterator[Running]:
    """A witness made with the command, trusting this ledger's key, served over HTTP."""
    out, _ = run("witness", "--dir", str(witness_dir), "init", "--name", NAME)
    vkey = out.strip().splitlines()[-1]
    log_vkey, _ = run("audit", "vkey")
    run("witness", "--dir", str(witness_dir), "add-log", log_vkey.strip())
    witness = Witness.open(witness_dir)
    server = make_server(witness, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    settings.DETENTE_WITNESSES = [f"{vkey} {url}"]
    yield Running(witness, url, vkey)
    server.shutdown()
    server.server_close()


def cut_to(size: int) -> None:
    """An intruder deletes the newest entries and every checkpoint file above ``size``."""
    with triggers_off():
        sql(f"DELETE FROM {TABLE} WHERE position > %s", [size])
    for path in checkpoints.checkpoint_dir().glob("checkpoint-*.txt"):
        if checkpoints.parse_unchecked(path.read_text())[0].size > size:
            path.unlink()


def rechain_from(position: int) -> None:
    """An intruder alters an entry and recomputes every hash after it."""
    prev = ledger.GENESIS
    with triggers_off():
        for r in AuditEntry.objects.order_by("position"):
            data = '{"forged":true}' if r.position == position else r.data
            digest = ledger.entry_hash(
                prev, r.at, str(r.actor_id or ""), r.actor_label, r.kind, r.action,
                r.object_type, r.object_id, r.request_id, data,
            )  # fmt: skip
            sql(
                f"UPDATE {TABLE} SET data = %s, prev_hash = %s, hash = %s WHERE position = %s",
                [data, prev, digest, r.position],
            )
            prev = digest


# --- The cosignature format -------------------------------------------------------------


def test_witness_init_prints_a_vkey_and_cosigns_in_the_c2sp_format(
    running: Running, signed: int
) -> None:
    name, key_id_hex, key_b64 = running.vkey.split("+", 2)
    typed = base64.b64decode(key_b64)
    assert (name, typed[0], len(typed)) == (NAME, 0x04, 33)  # timestamped Ed25519 cosigner
    public_raw = typed[1:]
    key_id = hashlib.sha256(NAME.encode() + b"\n\x04" + public_raw).digest()[:4]
    assert key_id.hex() == key_id_hex

    out, err = run("audit", "checkpoint")
    assert "Cosigned by 1 of 1 witness(es)." in out and not err
    (path,) = checkpoints.checkpoint_dir().glob("checkpoint-*.txt")
    text = path.read_text()
    body, _, sigs = text.rpartition("\n\n")
    origin, size, root_b64 = body.split("\n")
    assert int(size) == signed
    # The third line is the root the witness follows (over the entry hashes, in order).
    root = ledger.ROOT_GENESIS
    for digest in AuditEntry.objects.order_by("position").values_list("hash", flat=True):
        root = hashlib.sha256(root + bytes.fromhex(digest)).digest()
    assert base64.b64decode(root_b64) == root
    [line] = [s for s in sigs.splitlines() if s.startswith(f"\u2014 {NAME} ")]
    raw = base64.b64decode(line.split(" ")[2])
    assert len(raw) == 4 + 8 + 64 and raw[:4] == key_id
    timestamp = int.from_bytes(raw[4:12], "big")
    message = f"cosignature/v1\ntime {timestamp}\n{body}\n".encode()
    Ed25519PublicKey.from_public_bytes(public_raw).verify(raw[12:], message)  # raises if bad
    # The published checkpoint carries the cosignature too.
    published = checkpoints.newest_published()
    assert published is not None and line in published
    assert running.witness.latest(origin) == text


# --- What the witness refuses ------------------------------------------------------------


def request(old: int, size: int, note: str, proof_from: int | None = None) -> bytes:
    start = old if proof_from is None else proof_from
    return add_checkpoint_request(old, ledger.entry_hashes(start, size), note)


def sign_now(key_path: Path | None = None) -> tuple[int, str]:
    result = ledger.verify()
    key = checkpoints.load_private(key_path or checkpoints.key_paths()[0])
    return result.head_position, checkpoints.sign(result.head_position, result.root_hash, key)


def test_the_witness_refuses_what_does_not_extend_what_it_cosigned(
    running: Running, world: World, signed: int, tmp_path: Path
) -> None:
    w = running.witness
    size, note = sign_now()
    w.add_checkpoint(request(0, size, note))
    # Again at the same size and root: cosigned again; another root for it: a fork.
    w.add_checkpoint(request(size, size, note))
    forged = checkpoints.sign(size, "ab" * 32, checkpoints.load_private(checkpoints.key_paths()[0]))
    with pytest.raises(WitnessError, match="fork") as exc:
        w.add_checkpoint(request(size, size, forged))
    assert exc.value.status == 409
    # Smaller than what it holds.
    small = checkpoints.sign(
        size - 1, "cd" * 32, checkpoints.load_private(checkpoints.key_paths()[0])
    )
    with pytest.raises(WitnessError) as exc:
        w.add_checkpoint(request(size - 1, size - 1, small))
    assert (exc.value.status, exc.value.size) == (409, size)
    with pytest.raises(WitnessError, match="larger than the checkpoint") as exc:
        w.add_checkpoint(add_checkpoint_request(size, [], small))
    # Larger, but the ledger was rewritten underneath: the proof does not lead there.
    grow(world)
    rechain_from(2)
    bigger, note = sign_now()
    with pytest.raises(WitnessError, match="rewritten") as exc:
        w.add_checkpoint(request(size, bigger, note))
    assert exc.value.status == 422
    with pytest.raises(WitnessError, match="proof has") as exc:
        w.add_checkpoint(request(size, bigger, note, proof_from=size + 1))
    # A log it does not know, a key it does not trust.
    other = tmp_path / "other"
    checkpoints.generate_key(other / "k.pem", other / "k.pub")
    strange = checkpoints.sign(bigger, "ef" * 32, checkpoints.load_private(other / "k.pem"))
    with pytest.raises(WitnessError) as exc:
        w.add_checkpoint(request(size, bigger, strange))
    assert exc.value.status == 403
    elsewhere = checkpoints.sign(
        bigger, "ef" * 32, checkpoints.load_private(other / "k.pem"), origin="another-log"
    )
    with pytest.raises(WitnessError) as exc:
        w.add_checkpoint(request(size, bigger, elsewhere))
    assert exc.value.status == 404
    # Through all this it kept the first checkpoint.
    held = w.latest(checkpoints.default_origin())
    assert held is not None and checkpoints.parse_unchecked(held)[0].size == size


def test_a_larger_checkpoint_with_its_proof_is_cosigned(
    running: Running, world: World, signed: int
) -> None:
    run("audit", "checkpoint")
    bigger = grow(world, 2)
    out, err = run("audit", "checkpoint")
    assert "Cosigned by 1 of 1" in out and not err
    held = running.witness.latest(checkpoints.default_origin())
    assert held is not None and checkpoints.parse_unchecked(held)[0].size == bigger


# --- verify --witness --------------------------------------------------------------------


def test_verify_with_the_witness_passes_on_an_intact_ledger(running: Running, world: World) -> None:
    run("audit", "checkpoint")
    grow(world)
    out, _ = run("audit", "verify", "--witness")
    assert out.startswith("OK:")
    assert f"Witness {NAME}: cosigned" in out and "the ledger passes through it" in out


def test_a_cut_with_the_local_checkpoints_deleted_fails_against_the_witness(
    running: Running, world: World, signed: int
) -> None:
    run("audit", "checkpoint")
    bigger = grow(world, 2)
    run("audit", "checkpoint")
    cut_to(signed)
    out, _ = run("audit", "verify")
    assert out.startswith("OK:")  # the server alone cannot see it …
    with pytest.raises(CommandError) as exc:
        run("audit", "verify", "--witness")  # … the witness can
    message = str(exc.value)
    assert f"witness {NAME} cosigned a ledger of {bigger} entries" in message
    assert f"ends at entry {signed}: it was cut short" in message


def test_a_rewritten_ledger_fails_against_the_witness_and_is_not_cosigned(
    running: Running, world: World, signed: int
) -> None:
    run("audit", "checkpoint")
    for path in checkpoints.checkpoint_dir().glob("checkpoint-*.txt"):
        path.unlink()  # the intruder removes the local evidence …
    rechain_from(2)  # … rewrites the ledger …
    with pytest.raises(CommandError) as exc:
        run("audit", "verify", "--witness")
    assert f"passes through the head witness {NAME} cosigned at {signed} entries" in str(exc.value)
    grow(world)
    out, err = run("audit", "checkpoint")  # … and signs anew: the witness refuses
    assert "Cosigned by 0 of 1" in out
    assert f"witness {NAME} refused the checkpoint (HTTP 422)" in err
    assert "rewritten" in err


def test_an_unreachable_witness_is_a_warning_and_the_checkpoint_is_kept(
    signed: int, settings: Any, running: Running
) -> None:
    settings.DETENTE_WITNESSES = [f"{running.vkey} http://127.0.0.1:9/"]  # discard port
    settings.DETENTE_WITNESS_TIMEOUT = 2
    out, err = run("audit", "checkpoint")
    assert f"witness {NAME} (http://127.0.0.1:9) could not be reached" in err
    assert "Cosigned by 0 of 1" in out
    assert len(list(checkpoints.checkpoint_dir().glob("checkpoint-*.txt"))) == 1
    with pytest.raises(CommandError, match=f"witness {NAME} .* could not be asked"):
        run("audit", "verify", "--witness")


def test_verify_with_no_witness_configured_says_so(signed: int) -> None:
    with pytest.raises(CommandError, match="no witness is configured"):
        run("audit", "verify", "--witness")


def test_a_malformed_witness_setting_is_reported(signed: int, settings: Any) -> None:
    from django.core import checks

    settings.DETENTE_WITNESSES = ["not-a-key https://w.example"]
    assert any(m.id == "detente.E101" for m in checks.run_checks())
    out, err = run("audit", "checkpoint")  # signed all the same: a bad setting costs none
    assert "not a verifier key" in err and "no witness is asked" in err
    assert "Written to" in out


def test_offline_cosigning_through_a_file(
    signed: int, witness_dir: Path, tmp_path: Path, settings: Any
) -> None:
    out, _ = run("witness", "--dir", str(witness_dir), "init", "--name", NAME)
    vkey = out.strip().splitlines()[-1]
    run("witness", "--dir", str(witness_dir), "add-log", run("audit", "vkey")[0].strip())
    settings.DETENTE_WITNESSES = []
    run("audit", "checkpoint")
    req = tmp_path / "request.txt"
    req.write_text(run("audit", "proof", "--old", "0")[0])
    cosigned, _ = run("witness", "--dir", str(witness_dir), "cosign", str(req))
    kept = tmp_path / "cosigned.txt"
    kept.write_text(cosigned)
    settings.DETENTE_WITNESSES = [f"{vkey} http://127.0.0.1:9/"]
    assert configured()[0].check(cosigned).witness == NAME
    out, _ = run("audit", "verify", "--checkpoint", str(kept))
    assert out.startswith("OK:")
    with pytest.raises(CommandError, match="refused"):  # the same request again: old size 0
        run("witness", "--dir", str(witness_dir), "cosign", str(req))


# --- The signing key outside the data directory ------------------------------------------


def test_the_signing_key_is_made_outside_the_data_directory(
    signed: int, settings: Any, tmp_path: Path
) -> None:
    private, public = checkpoints.key_paths()
    assert private == Path(settings.DETENTE_SIGNING_KEY_FILE) and private.exists()
    assert public.exists() and public.suffix == ".pub"
    assert not (tmp_path / "data" / "keys" / "ledger-ed25519.pem").exists()
    assert checkpoints.signing_key_in_data_dir() is None
    with pytest.raises(CommandError, match="refusing to make a second signing key"):
        run("audit", "keygen")


def test_a_key_left_in_the_data_directory_still_works_and_is_warned_about(
    world: World, settings: Any, tmp_path: Path
) -> None:
    from django.core import checks

    settings.DATA_DIR = tmp_path / "data"
    grow(world)
    legacy = tmp_path / "data" / "keys"
    checkpoints.generate_key(legacy / "ledger-ed25519.pem", legacy / "ledger-ed25519.pub")
    assert checkpoints.key_paths()[0] == legacy / "ledger-ed25519.pem"
    out, err = run("audit", "checkpoint")
    assert "Written to" in out and "the signing key is in the data directory" in err
    out, err = run("audit", "verify")
    assert out.startswith("OK:") and "consistent with 1 checkpoint(s)" in out
    assert "Move it and its .pub to" in err
    assert [m.id for m in checks.run_checks() if m.id == "detente.W101"] == ["detente.W101"]


def test_a_public_key_alone_in_the_data_directory_raises_no_warning(
    world: World, settings: Any, tmp_path: Path
) -> None:
    settings.DATA_DIR = tmp_path / "data"
    offline = tmp_path / "offline"
    checkpoints.generate_key(offline / "k.pem", offline / "k.pub")
    (tmp_path / "data" / "keys").mkdir(parents=True)
    (tmp_path / "data" / "keys" / "ledger-ed25519.pub").write_text((offline / "k.pub").read_text())
    assert checkpoints.key_paths()[1] == tmp_path / "data" / "keys" / "ledger-ed25519.pub"
    assert checkpoints.signing_key_in_data_dir() is None
