"""Uploading a large evidence file streams it to disk with bounded memory (issue 16).

    .venv/bin/python -m bench.attachments --mb 20

A throw-away data directory and SQLite database (or the scratch database named by
``DATABASE_URL``) get one person and a note; then a ``--mb`` MB PDF (a PDF header and random
bytes, so nothing compresses) is attached to the note through
``casework.services.attachment_add``, fed from an open file in 64 kB chunks: the path of
``detente attach add``, and of the staff page and the API once Django's upload handler has
spooled a large upload to ``FILE_UPLOAD_TEMP_DIR`` (the service reads the upload's
``chunks()`` the same way; the test client is not used here because it builds the whole
request body in memory, which would measure the client).

Reported: the time taken and the peak of Python's allocations while it ran
(``tracemalloc``), beside the file's size, for the upload and for reading it back as a
download does; and the process's peak resident size at the end.
Bounded memory means the peak stays a small fraction of the file, whatever its size.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import shutil
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=20)
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="detente-bench-attach-")
    os.environ.setdefault("DETENTE_DATA_DIR", tmp)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "detente.settings")
    os.environ.setdefault("DETENTE_ATTACHMENT_MAX_MB", str(args.mb + 5))
    import django

    django.setup()
    from django.core.management import call_command
    from tests.support import make_user

    from detente.access.policy import Role
    from detente.casework import files, services
    from detente.registry.services import person_create

    print(f"# database {os.environ.get('DATABASE_URL', 'sqlite (temporary file)')}")
    call_command("migrate", verbosity=0)
    admin = make_user("bench-admin", Role.ADMINISTRATOR)
    person = person_create(
        actor=admin, given_names="Bench", paternal_surname="Example", maternal_surname=""
    )
    note = services.note_add(actor=admin, person=person, body="<p>Bench.</p>")
    source = Path(tmp) / "big.pdf"
    with source.open("wb") as out:
        out.write(b"%PDF-1.7\n")
        for _ in range(args.mb):
            out.write(os.urandom(1024 * 1024))
    size = source.stat().st_size
    print(f"# file {size:,} bytes")

    def measure(label: str, run: object) -> None:
        tracemalloc.start()
        started = time.perf_counter()
        run()  # type: ignore[operator]
        elapsed = time.perf_counter() - started
        _now, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(
            f"{label:<11} {elapsed:6.2f} s  peak Python allocations {peak / 1024 / 1024:6.2f} MB"
            f"  ({100 * peak / size:.1f}% of the file)"
        )

    def by_service() -> None:
        with source.open("rb") as handle:
            services.attachment_add(
                actor=admin, chunks=files.file_chunks(handle), name="big.pdf", note=note
            )

    measure("service", by_service)

    sha = hashlib.sha256(source.read_bytes()).hexdigest()

    def by_download() -> None:
        # Read back as a download is (sealed files are checked whole, then read again).
        reader = getattr(files, "plain_chunks", None)  # absent before issue 17
        if reader is not None:
            pieces = reader(sha)
        else:
            pieces = files.file_chunks(files.path_of(sha).open("rb"))
        assert sum(len(p) for p in pieces) == size

    measure("download", by_download)
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"# process peak resident size {peak_rss:.0f} MB (Django and Pillow loaded)")
    if not os.environ.get("DATABASE_URL"):
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
