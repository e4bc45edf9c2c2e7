"""Two app servers and one worker on one database, as docs/deployment.md lays them out.

Each "host" has a data directory of its own, as separate machines would: its own collected
static files, its own copies of the public pages (``pages/``) and its own candidate index.
What every host must share is shared as the deployment guide says: the keys (copied from
the first host once ``detente migrate`` has made them), and the folders of files that one
process writes and another reads — evidence files (``attachments/``), uploaded lists
(``uploads/imports/``) and signed checkpoints (``checkpoints/``) — which here are links to
one folder, as a network mount would be.

The servers are ``detente serve`` (gunicorn) and the worker ``detente db_worker``, started
as an operator would start them; the database is a scratch one of this cluster's own (a
SQLite file, or a new PostgreSQL database beside the one ``DATABASE_URL`` names).
Used by tests/deployment and bench/two_servers.py.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]
# What one process writes and another reads: on shared storage (docs/deployment.md).
SHARED = ("attachments", "uploads/imports", "checkpoints")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def on_postgresql() -> bool:
    return os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))


@contextmanager
def scratch_database(folder: Path, label: str = "deploy") -> Iterator[str]:
    """A ``DATABASE_URL`` for a new, empty database, dropped afterwards: a new PostgreSQL
    database on the server ``DATABASE_URL`` points at (named after its database), else a
    SQLite file in ``folder``."""
    url = os.environ.get("DATABASE_URL", "")
    if not on_postgresql():
        yield f"sqlite:///{folder / 'shared.sqlite3'}"
        return
    import psycopg

    parts = urlsplit(url)
    name = f"{parts.path.lstrip('/') or 'detente'}_{label}_{uuid.uuid4().hex[:8]}"
    admin = urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class Host:
    name: str
    data: Path
    env: dict[str, str]
    proc: subprocess.Popen[bytes] | None = None
    port: int = 0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        return self.data.parent / f"{self.name}.log"


@dataclass
class Cluster:
    folder: Path
    database_url: str
    settings: dict[str, str] = field(default_factory=dict)
    hosts: dict[str, Host] = field(default_factory=dict)

    def __post_init__(self) -> None:
        (self.folder / "shared").mkdir(parents=True, exist_ok=True)
        home = self.folder / "home"
        env = {k: v for k, v in os.environ.items() if not k.startswith("DETENTE_")}
        env.update(
            {
                "DATABASE_URL": self.database_url,
                "PYTHONPATH": os.pathsep.join(
                    p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p
                ),
                # The operator's own folders (the signing key, a witness): never the real ones.
                "DETENTE_SIGNING_KEY_FILE": str(home / "config" / "ledger-ed25519.pem"),
                "DETENTE_WITNESS_DIR": str(home / "witness"),
                # The master key of the encryption at rest: one, given to every host.
                "DETENTE_MASTER_KEY_FILE": str(home / "config" / "master-key"),
                "DETENTE_PUBLIC_URL": "http://127.0.0.1",
                # As in production: the worker makes the public pages, visitors never wait.
                "DETENTE_PUBLIC_PAGES": "background",
                **self.settings,
            }
        )
        self._env = env

    # -- hosts ----------------------------------------------------------------------------------

    def host(self, name: str) -> Host:
        """A host's data directory; the first one made is where the keys come from."""
        if name in self.hosts:
            return self.hosts[name]
        data = self.folder / name / "data"
        data.mkdir(parents=True)
        for part in SHARED:
            target = self.folder / "shared" / part
            target.mkdir(parents=True, exist_ok=True)
            (data / part).parent.mkdir(parents=True, exist_ok=True)
            (data / part).symlink_to(target, target_is_directory=True)
        if self.hosts:
            first = next(iter(self.hosts.values()))
            shutil.copytree(first.data / "keys", data / "keys")
        host = Host(name, data, {**self._env, "DETENTE_DATA_DIR": str(data)})
        self.hosts[name] = host
        return host

    def detente(self, host: Host, *args: str) -> str:
        """Run ``detente ARGS`` (or ``python -m ARGS`` for a module path) on a host."""
        argv = (
            [sys.executable, "-m", *args]
            if args[0].startswith("tests.")
            else [sys.executable, "-m", "detente.cli", *args]
        )
        done = subprocess.run(  # noqa: S603 - our own commands
            argv, env=host.env, cwd=ROOT, capture_output=True, text=True, check=False
        )
        if done.returncode:
            raise RuntimeError(f"{' '.join(args)} failed on {host.name}:\n{done.stderr[-3000:]}")
        return done.stdout

    def prepare(self, first: str = "a") -> dict[str, Any]:
        """Migrate the database from the first host and load the seed's world there
        (one process: ``tests.deployment.seed world``)."""
        host = self.host(first)
        out = self.detente(host, "tests.deployment.seed", "world")
        return json.loads(out.strip().splitlines()[-1])  # type: ignore[no-any-return]

    # -- processes --------------------------------------------------------------------------

    def _spawn(self, host: Host, argv: list[str]) -> subprocess.Popen[bytes]:
        with host.log.open("ab") as log:
            return subprocess.Popen(  # noqa: S603 - our own commands, loopback only
                argv,
                env=host.env,
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: killed as a machine dies
            )

    def serve(self, name: str, workers: int = 2) -> Host:
        """``detente serve`` on a free loopback port (waited for with :meth:`ready`)."""
        host = self.host(name)
        host.port = free_port()
        host.proc = self._spawn(
            host,
            [
                sys.executable,
                "-m",
                "detente.cli",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(host.port),
                "--workers",
                str(workers),
            ],
        )
        return host

    def worker(self, name: str = "w") -> Host:
        """``detente db_worker``, looking for tasks every 0.2 s."""
        host = self.host(name)
        host.proc = self._spawn(
            host,
            [
                sys.executable,
                "-m",
                "detente.cli",
                "db_worker",
                "--interval",
                "0.2",
                "--no-startup-delay",
                "--no-reload",
            ],
        )
        return host

    def ready(self, host: Host, seconds: float = 120) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if host.proc is not None and host.proc.poll() is not None:
                raise RuntimeError(f"{host.name} stopped:\n{host.log.read_text()[-3000:]}")
            try:
                urllib.request.urlopen(host.base + "/methods/", timeout=2)  # noqa: S310 - loopback
                return
            except urllib.error.HTTPError:
                return  # answering
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"{host.name} did not answer in {seconds} s")

    def kill(self, name: str) -> None:
        """SIGKILL the host's server and its workers at once, as when a machine dies."""
        host = self.hosts[name]
        if host.proc is not None and host.proc.poll() is None:
            os.killpg(host.proc.pid, signal.SIGKILL)
            host.proc.wait(timeout=30)

    def stop(self) -> None:
        for host in self.hosts.values():
            proc = host.proc
            if proc is None or proc.poll() is not None:
                continue
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)


# --- A client ----------------------------------------------------------------------------------


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    cookies: list[str] = field(default_factory=list)  # each Set-Cookie header

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer to look at (where it goes, what cookie it sets)."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def call(
    base: str,
    method: str,
    path: str,
    *,
    token: str | None = None,
    payload: Any = None,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 30,
) -> Answer:
    """One HTTP request; any status is an answer, redirects included (a refused connection
    raises OSError)."""
    sent = dict(headers or {})
    if token:
        sent["Authorization"] = f"Bearer {token}"
    if payload is not None:
        body = json.dumps(payload).encode()
        sent["Content-Type"] = "application/json"
    request = urllib.request.Request(base + path, data=body, method=method, headers=sent)  # noqa: S310
    try:
        with _opener.open(request, timeout=timeout) as response:
            got = response.headers
            return Answer(
                response.status, dict(got.items()), response.read(), got.get_all("Set-Cookie", [])
            )
    except urllib.error.HTTPError as error:
        got = error.headers
        return Answer(error.code, dict(got.items()), error.read(), got.get_all("Set-Cookie", []))


def multipart(fields: dict[str, str], files: dict[str, tuple[str, bytes]]) -> tuple[bytes, str]:
    """A multipart/form-data body and its Content-Type."""
    boundary = uuid.uuid4().hex
    out = bytearray()
    for name, value in fields.items():
        out += f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
        out += value.encode() + b"\r\n"
    for name, (filename, content) in files.items():
        out += (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
        ).encode()
        out += content + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return bytes(out), f"multipart/form-data; boundary={boundary}"
