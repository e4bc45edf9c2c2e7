"""Public pages made once per change and shared by every server process.

An anonymous visitor's page is the same for every anonymous visitor in one language, so it
is kept, as rendered, in the database (``RenderedPage``): every gunicorn worker and every
server on the same database serves the one copy, and each process keeps the bytes of the
copies it has served in memory, keyed by their ETag, so a visit costs two small queries.

A copy is *current* when it was made from the data as it is now (``data_version``: the
ledger's head, counting changes only, and the newest disclosure that has come into force)
and is younger than ``max_age`` (the "as of" time and "today" on the chart move without a
write). What happens otherwise depends on the mode (``DETENTE_PUBLIC_PAGES``):

``request`` (development, tests; the default outside production)
    the visitor's request renders the page and stores it.
``background`` (production, ``detente serve --worker``)
    the worker (``detente db_worker``) renders the site's standing pages (the agreement
    list, every public agreement, statistics, method) whenever the data changes, and any
    other page a visitor asked for. A visitor who finds a stale copy gets it while the
    worker makes the new one, but only within ``grace`` seconds of the change that made it
    stale — the same time any downstream cache may keep a public page (``Cache-Control:
    max-age``) — so a withdrawn name is gone from this server within that time. A page
    that is slow to make (an agreement with thousands of names) is never rendered on the
    request path: with no usable copy the visitor is asked to come back in a few seconds
    (503 with ``Retry-After``). If the worker has not answered a request for a page within
    ``worker_late`` seconds it is taken to be down and the request renders the page itself.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import io
import logging
import os
import sys
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.handlers.base import BaseHandler
from django.core.handlers.wsgi import WSGIRequest
from django.db import IntegrityError, close_old_connections, connection, transaction
from django.db.models import Max
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.request import validate_host
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone, translation
from django.utils.cache import get_conditional_response
from django.utils.translation import get_language

from detente.audit.models import AuditEntry, EntryKind
from detente.web.models import RenderedPage

log = logging.getLogger(__name__)

View = Callable[..., HttpResponse]

# The seconds any cache may keep an anonymous page (Cache-Control), as the views say.
PUBLIC_MAX_AGE = 60

# Set on the requests the worker makes (a WSGI environ key, which no HTTP header can set).
RENDER_KEY = "detente.render_public_page"


@dataclass(frozen=True)
class Policy:
    mode: str
    max_age: float
    grace: float
    slow: float
    worker_late: float


def policy() -> Policy:
    conf: dict[str, Any] = getattr(settings, "PUBLIC_PAGES", {})
    return Policy(
        mode=conf.get("MODE", "request"),
        max_age=float(conf.get("MAX_AGE", 600)),
        grace=float(conf.get("GRACE", 60)),
        slow=float(conf.get("SLOW_SECONDS", 0.5)),
        worker_late=float(conf.get("WORKER_LATE", 30)),
    )


# --- What a copy is made from ----------------------------------------------------------------


def _version(head: int | None, newest: dt.datetime | None) -> str:
    return f"{head or 0}:{int(newest.timestamp()) if newest else 0}"


def data_version(now: dt.datetime | None = None) -> str:
    """What the public pages are made from, as one string: the ledger's head (changes
    only: records of who saw which names change nothing the public sees, so staff reading
    does not make the public pages stale) and the newest disclosure in force (a scheduled
    disclosure comes into force with no write)."""
    from detente.access.models import Disclosure

    now = now or timezone.now()
    head = (
        AuditEntry.objects.filter(kind=EntryKind.CHANGE)
        .order_by("-position")
        .values_list("position", flat=True)
        .first()
    )
    newest = Disclosure.objects.filter(effective_from__lte=now).aggregate(at=Max("effective_from"))[
        "at"
    ]
    return _version(head, newest)


def _as_datetime(value: Any) -> dt.datetime | None:
    """A datetime column as read by a plain cursor (SQLite gives it naive, in UTC)."""
    if value is None:
        return None
    parsed = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


@functools.cache
def _lookup_sql() -> str:
    from detente.access.models import Disclosure

    quote = connection.ops.quote_name
    audit, disclosure, page = (
        quote(m._meta.db_table) for m in (AuditEntry, Disclosure, RenderedPage)
    )
    # One statement, written out: a visit to a kept page runs only this, and building the
    # same query through the ORM cost more than running it.
    # Table names from the models; every value is a parameter.
    return (
        "SELECT p.id, p.version, p.etag, p.content_type, p.rendered_at, p.render_seconds, "  # noqa: S608
        "p.wanted_at, "
        f"(SELECT a.position FROM {audit} a WHERE a.kind = %s ORDER BY a.position DESC LIMIT 1), "
        f"(SELECT MAX(d.effective_from) FROM {disclosure} d WHERE d.effective_from <= %s) "
        f"FROM {page} p WHERE p.path = %s AND p.language = %s"
    )


def _lookup(path: str, language: str, now: dt.datetime) -> tuple[dict[str, Any] | None, str]:
    """The kept copy's record (None: none) and the current data version, in one query
    when there is a copy."""
    with connection.cursor() as cursor:
        cursor.execute(
            _lookup_sql(),
            [EntryKind.CHANGE.value, connection.ops.adapt_datetimefield_value(now), path, language],
        )
        found = cursor.fetchone()
    if found is None:
        return None, data_version(now)
    pk, version, etag, content_type, rendered_at, took, wanted_at, head, newest = found
    row = {
        "pk": pk,
        "version": version,
        "etag": etag,
        "content_type": content_type,
        "rendered_at": _as_datetime(rendered_at),
        "render_seconds": took,
        "wanted_at": _as_datetime(wanted_at),
    }
    return row, _version(head, _as_datetime(newest))


def _changed_at(since_head: int) -> dt.datetime | None:
    """When the first change after ``since_head`` was written (None: there is none)."""
    at = (
        AuditEntry.objects.filter(kind=EntryKind.CHANGE, position__gt=since_head)
        .order_by("position")
        .values_list("at", flat=True)
        .first()
    )
    return dt.datetime.fromisoformat(at) if at else None


# --- The copies' bytes, per process -----------------------------------------------------------


class _Bytes:
    """The bodies this process has served, by ETag, up to a byte budget (oldest out)."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.used = 0
        self.items: OrderedDict[str, bytes] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, etag: str) -> bytes | None:
        with self.lock:
            body = self.items.get(etag)
            if body is not None:
                self.items.move_to_end(etag)
            return body

    def put(self, etag: str, body: bytes) -> None:
        if len(body) > self.budget:
            return
        with self.lock:
            if etag in self.items:
                return
            self.items[etag] = body
            self.used += len(body)
            while self.used > self.budget:
                _, old = self.items.popitem(last=False)
                self.used -= len(old)

    def clear(self) -> None:
        with self.lock:
            self.items.clear()
            self.used = 0


_bytes = _Bytes(64 * 1024 * 1024)


def _etag(content: bytes, language: str) -> str:
    digest = hashlib.sha256(content)
    digest.update(language.encode())
    return f'"{digest.hexdigest()[:40]}"'


# --- Serving ----------------------------------------------------------------------------------


def _file_of(etag: str) -> Path:
    return Path(settings.DATA_DIR) / "pages" / f"{etag.strip(chr(34))}.bin"


def _write_file(target: Path, body: bytes) -> bool:
    """The copy's bytes as a file of this host's, written once per ETag (atomically)."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as out:
            out.write(body)
        os.replace(out.name, target)
    except OSError:
        log.warning("public pages: cannot write %s; serving from memory", target)
        return False
    return True


def _from_copy(row: dict[str, Any], request: HttpRequest) -> HttpResponseBase | None:
    """The kept copy as a response (None: it was dropped since it was looked up).

    Under a WSGI server that sends files (gunicorn), the copy is sent from a file of this
    host's, as a static file is (``sendfile``: its bytes never pass through Python again);
    otherwise from this process's memory."""
    etag = row["etag"]
    sends_files = request.META.get("wsgi.file_wrapper") is not None
    if sends_files and (target := _file_of(etag)).exists():
        return _file_response(target, etag, row["content_type"])
    body = _bytes.get(etag)
    if body is None:
        # Read with its own ETag: the copy may have been replaced since the first read.
        stored = RenderedPage.objects.filter(pk=row["pk"]).values_list("content", "etag").first()
        if stored is None or not stored[1]:
            return None
        body, etag = bytes(stored[0]), stored[1]
    if sends_files and _write_file(target := _file_of(etag), body):
        return _file_response(target, etag, row["content_type"])
    _bytes.put(etag, body)
    response = HttpResponse(body, content_type=row["content_type"])
    response["ETag"] = etag
    return response


def _file_response(target: Path, etag: str, content_type: str) -> FileResponse:
    response = FileResponse(target.open("rb"), content_type=content_type)
    del response["Content-Disposition"]  # a page, not a download
    response["ETag"] = etag
    return response


def _want(path: str, language: str, now: dt.datetime, row: dict[str, Any] | None) -> None:
    """Ask the worker for this page (once: the first visitor's time is kept)."""
    if row is not None:
        if row["wanted_at"] is None:
            RenderedPage.objects.filter(pk=row["pk"], wanted_at__isnull=True).update(wanted_at=now)
        return
    try:
        with transaction.atomic():
            RenderedPage.objects.create(
                path=path,
                language=language,
                version="",
                etag="",
                content_type="",
                content=b"",
                rendered_at=now,
                wanted_at=now,
            )
    except IntegrityError:
        pass  # another process asked first


def _stale_but_usable(row: dict[str, Any], version: str, now: dt.datetime, p: Policy) -> bool:
    if not row["etag"]:
        return False  # a request for a page never made
    if row["wanted_at"] is not None and (now - row["wanted_at"]).total_seconds() > p.worker_late:
        return False  # the worker is not coming
    old_head = int(row["version"].split(":")[0] or 0)
    if old_head != int(version.split(":")[0]):
        changed = _changed_at(old_head)
        if changed is None or (now - changed).total_seconds() > p.grace:
            return False
    return True


def _preparing(request: HttpRequest, p: Policy) -> HttpResponse:
    response = render(request, "web/preparing.html", {"section": ""}, status=503)
    response["Retry-After"] = "5"
    response["Cache-Control"] = "no-store"
    return response


def serve(
    request: HttpRequest, view: View, args: Any, kwargs: Any, *, slow: bool = False
) -> HttpResponseBase:
    """The anonymous visitor's page from the shared copies (module docstring); signed-in
    viewers get theirs rendered (they may see names the public may not)."""
    if request.user.is_authenticated:
        return view(request, *args, **kwargs)
    path, language = request.path, get_language() or settings.LANGUAGE_CODE
    now = timezone.now()
    row, version = _lookup(path, language, now)
    p = policy()
    making = bool(request.META.get(RENDER_KEY))
    if not making and row is not None and row["etag"]:
        fresh = (now - row["rendered_at"]).total_seconds() < p.max_age
        if row["version"] == version and fresh and (kept := _from_copy(row, request)) is not None:
            return kept
    if p.mode == "background" and not making:
        if row is not None and _stale_but_usable(row, version, now, p):
            _want(path, language, now, row)
            if (kept := _from_copy(row, request)) is not None:
                return kept
        late = (
            row is not None
            and row["wanted_at"] is not None
            and (now - row["wanted_at"]).total_seconds() > p.worker_late
        )
        known_slow = row is not None and row["render_seconds"] >= p.slow
        # A slow page never made is asked for only when it is one the worker keeps made
        # (a public agreement): any other address answers as it would (a 404 stays a 404).
        if not late and (known_slow or (slow and path in standing_paths())):
            _want(path, language, now, row)
            return _preparing(request, p)
    return _make(request, view, args, kwargs, path, language, version, now)


def early(request: HttpRequest) -> HttpResponseBase | None:
    """A visitor with no session (so anonymous for certain) asking for a page of which a
    current copy is kept gets it here, before sessions, authentication and the address are
    looked at (``PublicCopyMiddleware``); anything else (None) takes the normal path, which
    answers the same copy with the same headers, only slower."""
    if request.method not in ("GET", "HEAD") or settings.SESSION_COOKIE_NAME in request.COOKIES:
        return None
    if request.META.get(RENDER_KEY):
        return None  # the worker making the page again
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return None
    if not getattr(match.func, "public_copy", False):
        return None  # not a public page (views.public_page marks them)
    language = translation.get_language_from_request(request)
    now = timezone.now()
    row, version = _lookup(request.path, language, now)
    if row is None or not row["etag"] or row["version"] != version:
        return None
    if (now - row["rendered_at"]).total_seconds() >= policy().max_age:
        return None
    response = _from_copy(row, request)
    if response is None:
        return None
    # What the normal path adds to an anonymous page (views.public_page, LocaleMiddleware);
    # the security headers come from the middleware outside this one.
    response["Vary"] = "Accept-Language, Cookie"
    response["Cache-Control"] = f"public, max-age={PUBLIC_MAX_AGE}"
    response["Content-Language"] = language
    if isinstance(response, HttpResponse):
        response["Content-Length"] = str(len(response.content))  # as CommonMiddleware does
    conditional = get_conditional_response(request, etag=row["etag"], response=response)  # type: ignore[arg-type]
    if conditional is not None and conditional is not response:
        if isinstance(response, FileResponse) and response.file_to_stream:
            response.file_to_stream.close()
        for header in ("Vary", "Cache-Control", "Content-Language"):
            conditional[header] = response[header]
        return conditional
    return response


class PublicCopyMiddleware:
    """Serves the public pages' current copies to visitors with no session (see
    ``early``). Sits just inside WhiteNoise, as a static file does."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        return early(request) or self.get_response(request)


def _make(
    request: HttpRequest,
    view: View,
    args: Any,
    kwargs: Any,
    path: str,
    language: str,
    version: str,
    now: dt.datetime,
) -> HttpResponse:
    started = time.perf_counter()
    try:
        response = view(request, *args, **kwargs)
    except Http404:
        drop_unavailable(path, language)
        raise
    took = time.perf_counter() - started
    if response.status_code != 200 or response.streaming:
        drop_unavailable(path, language)
        return response
    content = bytes(response.content)
    etag = _etag(content, language)
    fields = {
        "version": version,
        "etag": etag,
        "content_type": response["Content-Type"],
        "content": content,
        "rendered_at": now,
        "render_seconds": took,
        "wanted_at": None,
    }
    try:
        with transaction.atomic():
            RenderedPage.objects.update_or_create(path=path, language=language, defaults=fields)
    except IntegrityError:
        pass  # another process stored it at the same moment: theirs is as good
    _bytes.put(etag, content)
    response["ETag"] = etag
    return response


def forget(path: str | None = None) -> None:
    """Drop the kept copies (of one address, or all): for a change made behind the
    services' back, which the data version cannot see."""
    rows = RenderedPage.objects.all() if path is None else RenderedPage.objects.filter(path=path)
    rows.delete()
    _bytes.clear()


def drop_unavailable(path: str, language: str) -> None:
    """A page that now answers anything but 200 (a name withdrawn, an agreement hidden)
    keeps no copy."""
    RenderedPage.objects.filter(path=path, language=language).delete()


# --- The worker's side --------------------------------------------------------------------------


def standing_paths() -> list[str]:
    """The pages kept made at all times: the ones the public reaches first, and the slow
    ones (every public agreement)."""
    from detente.agreements.selectors import agreement_list

    paths = [reverse("web:agreements"), reverse("web:statistics"), reverse("web:methods")]
    slugs = agreement_list(AnonymousUser()).values_list("slug", flat=True)
    paths += [
        reverse(name, args=[slug])
        for slug in slugs
        for name in ("web:agreement", "web:agreement-known-then")
    ]
    return paths


class _Handler(BaseHandler):
    def __init__(self) -> None:
        super().__init__()
        self.load_middleware()


_handler: _Handler | None = None


def _site() -> tuple[str, str, str]:
    """Scheme, host and port the copies are made for: the site's public address when this
    server accepts it, else the first host it does (links on the pages are relative; the
    printed method note shows the address)."""
    public = urlsplit(str(settings.MAILING.get("PUBLIC_URL") or "http://localhost"))
    scheme = public.scheme or "http"
    host = public.hostname or "localhost"
    port = str(public.port or (443 if scheme == "https" else 80))
    allowed = list(settings.ALLOWED_HOSTS) or ["localhost", "127.0.0.1"]
    if not validate_host(host, allowed):
        named = [h.lstrip(".") for h in allowed if h != "*"]
        host = named[0] if named else "localhost"
    return scheme, host, port


def make_copy(path: str, language: str) -> int:
    """Render ``path`` in ``language`` as an anonymous visitor would get it, through the
    whole middleware stack, and keep it; answers the status (non-200: no copy kept)."""
    global _handler
    if _handler is None:
        _handler = _Handler()
    scheme, host, port = _site()
    default_port = (scheme == "https" and port == "443") or (scheme == "http" and port == "80")
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": host,
        "SERVER_PORT": port,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": host if default_port else f"{host}:{port}",
        "HTTP_ACCEPT_LANGUAGE": language,
        "HTTP_COOKIE": f"{settings.LANGUAGE_COOKIE_NAME}={language}",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scheme,
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        RENDER_KEY: "1",
    }
    response = _handler.get_response(WSGIRequest(environ))
    if response.status_code != 200:
        drop_unavailable(path, language)
    return response.status_code


def refresh(now: dt.datetime | None = None, *, every: bool = False) -> list[tuple[str, str]]:
    """Make every copy that is due: the pages visitors asked for (oldest request first),
    then the standing pages that are missing, stale or near ``max_age`` (``every``: all
    of them, as a worker does when it starts, so that new code's pages replace the old).
    Answers what was made."""
    now = now or timezone.now()
    p = policy()
    version = data_version(now)
    languages = [code for code, _ in settings.LANGUAGES]
    rows = {
        (r["path"], r["language"]): r
        for r in RenderedPage.objects.values("path", "language", "version", "rendered_at")
    }
    wanted = list(
        RenderedPage.objects.filter(wanted_at__isnull=False)
        .order_by("wanted_at")
        .values_list("path", "language")
    )
    due: list[tuple[str, str]] = list(wanted)
    for path in standing_paths():
        for language in languages:
            row = rows.get((path, language))
            if (
                every
                or row is None
                or row["version"] != version
                or (now - row["rendered_at"]).total_seconds() > 0.9 * p.max_age
            ):
                due.append((path, language))
    _sweep_files(now)
    made = []
    for path, language in dict.fromkeys(due):
        try:
            make_copy(path, language)
        except Exception:
            log.exception("public pages: could not make %s (%s)", path, language)
            continue
        made.append((path, language))
    return made


def _sweep_files(now: dt.datetime, keep_seconds: float = 600) -> int:
    """Delete this host's files of copies no longer kept (a process may still be sending
    one: a file is deleted only once it is ``keep_seconds`` old). Answers how many."""
    folder = Path(settings.DATA_DIR) / "pages"
    if not folder.is_dir():
        return 0
    kept = {e.strip('"') for e in RenderedPage.objects.values_list("etag", flat=True) if e}
    gone = 0
    for f in folder.glob("*.bin"):
        try:
            old = now.timestamp() - f.stat().st_mtime > keep_seconds
            if f.stem not in kept and old:
                f.unlink()
                gone += 1
        except OSError:
            continue  # another worker swept it first
    return gone


class Refresher(threading.Thread):
    """Runs ``refresh`` every ``interval`` seconds in the worker until stopped."""

    def __init__(self, interval: float) -> None:
        super().__init__(name="detente-public-pages", daemon=True)
        self.interval = interval
        self.stopped = threading.Event()

    def run(self) -> None:
        first = True
        while not self.stopped.is_set():
            close_old_connections()
            try:
                made = refresh(every=first)
                first = False
            except Exception:
                log.exception("public pages: the refresh failed; trying again later")
            else:
                if made:
                    log.info("public pages: made %d copies", len(made))
            finally:
                close_old_connections()
            self.stopped.wait(self.interval)

    def stop(self) -> None:
        self.stopped.set()
