"""Response headers that keep confidential pages out of caches, frames and other origins."""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Callable
from typing import Any

from django.contrib.auth.signals import user_logged_out
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse

# No inline script or style anywhere: a script injected into a page cannot run.
CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


@receiver(user_logged_out)
def _mark_logout(sender: Any, request: HttpRequest | None, **kwargs: Any) -> None:
    if request is not None:
        request._detente_logged_out = True  # type: ignore[attr-defined]


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", CSP)
        response.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        response.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        user = getattr(request, "user", None)
        if getattr(request, "_detente_logged_out", False):
            # The browser forgets everything this site left behind, on shared computers too.
            response["Clear-Site-Data"] = '"cache", "cookies", "storage"'
            response["Cache-Control"] = "no-store"
        elif user is not None and user.is_authenticated:
            # A page seen by a signed-in user may hold names: never cache it anywhere.
            response["Cache-Control"] = "no-store"
            response["Pragma"] = "no-cache"
        return response


_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
# Kept here, under every app, so the ledger (audit) reads it without core importing audit.
_request = threading.local()


def set_request_id(value: str | None) -> None:
    """Remember the current request's id so entries written while serving it carry it."""
    _request.id = value


def current_request_id() -> str:
    """The id of the request being served, "" outside a request (commands, tasks)."""
    return getattr(_request, "id", None) or ""


class RequestIdMiddleware:
    """Give each request an id, echoed in the response and stamped on its ledger entries,
    so an entry can be matched to the server's access log."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        given = request.headers.get("X-Request-ID", "")
        request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex
        set_request_id(request_id)
        try:
            response = self.get_response(request)
        finally:
            set_request_id(None)
        response["X-Request-ID"] = request_id
        return response


class TrustedProxyMiddleware:
    """Behind named reverse proxies, take the client's address from X-Forwarded-For.

    Only for requests whose REMOTE_ADDR is one of ``DETENTE_TRUSTED_PROXIES``; the client
    is the right-most address not itself a trusted proxy (proxies append, so the
    left-most entries are whatever the client chose to send).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        from django.conf import settings

        self.trusted = frozenset(getattr(settings, "DETENTE_TRUSTED_PROXIES", ()))

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self.trusted and request.META.get("REMOTE_ADDR") in self.trusted:
            hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
            clients = [h for h in hops if h and h not in self.trusted]
            if clients:
                request.META["REMOTE_ADDR"] = clients[-1]
        return self.get_response(request)
