"""Bearer tokens: who is asking, whether the token may write, and how often it may ask."""

from __future__ import annotations

import hmac

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Case, F, Value, When
from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer

from detente.api.errors import RateLimited
from detente.api.models import ApiToken, Scope
from detente.api.services import digest

READING = frozenset({"GET", "HEAD", "OPTIONS"})


class TokenAuth(HttpBearer):
    """``Authorization: Bearer dtn_<prefix>_<secret>``.

    A missing, unknown, altered, expired or revoked token, or one whose user is disabled,
    is answered 401. A read token is refused (403) on every writing operation before the
    request is looked at; whether the user's role may do the thing is then for the service.

    ``reads=True`` marks an operation that only reads although it takes a POST (a search
    whose text is sent in the body, so that no name travels in an address): a read token
    may call it.
    """

    def __init__(self, *, reads: bool = False) -> None:
        super().__init__()
        self.reads = reads

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        parts = token.split("_", 2)  # the secret itself may contain "_"
        if len(parts) != 3 or parts[0] != "dtn" or not parts[1].isalnum():
            return None
        found = (
            ApiToken.objects.select_related("user")
            .filter(prefix=parts[1], revoked_at__isnull=True, expires_at__gt=timezone.now())
            .first()
        )
        if found is None or not hmac.compare_digest(found.digest, digest(parts[2])):
            return None
        if not found.user.is_active:
            return None
        _count_request(found)
        request.user = found.user
        if request.method not in READING and not self.reads and found.scope != Scope.WRITE:
            raise PermissionDenied("read-only token")
        return found


def _count_request(token: ApiToken) -> None:
    """Per-token limit over a fixed one-minute window, counted in the database.

    One statement of one shape, whether a new minute starts or not: what a request runs
    in the database never varies with the moment it comes, so the work of two requests
    can be compared (a hidden record must cost what a missing one does).
    """
    limit = int(getattr(settings, "DETENTE_API_RATE_PER_MINUTE", 120))
    now = timezone.now()
    window = now.replace(second=0, microsecond=0)
    ApiToken.objects.filter(pk=token.pk).update(
        window_count=Case(When(window_start=window, then=F("window_count") + 1), default=Value(1)),
        window_start=window,
        last_used_at=now,
    )
    token.window_count = token.window_count + 1 if token.window_start == window else 1
    token.window_start = window
    if token.window_count > limit:
        raise RateLimited(retry_after=60 - now.second)
