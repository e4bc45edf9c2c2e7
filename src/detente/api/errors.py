"""Errors as ``application/problem+json`` (RFC 9457), in the user's language.

Every refusal the API makes goes through :func:`problem`: the body always has ``type``,
``title`` and ``status``; refused input adds ``errors: [{"field", "reason"}]`` naming the
parameter or body field the client sent. Titles and reasons are translated (the locale
middleware has already activated the language of ``Accept-Language``); the messages of
the services are translated where they are raised.
"""

from __future__ import annotations

import functools
import json
import logging
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as SchemaError

PROBLEM = "application/problem+json"
logger = logging.getLogger("detente.api")

# The standard titles, translated when the answer is written.
TITLES = {
    400: gettext_lazy("Bad Request"),
    401: gettext_lazy("Unauthorized"),
    403: gettext_lazy("Forbidden"),
    404: gettext_lazy("Not Found"),
    405: gettext_lazy("Method Not Allowed"),
    422: gettext_lazy("Unprocessable Content"),
    429: gettext_lazy("Too Many Requests"),
    500: gettext_lazy("Internal Server Error"),
}


class RateLimited(Exception):
    """This token made more requests this minute than it may; ``retry_after`` seconds
    remain until the next minute's allowance."""

    def __init__(self, retry_after: int = 60) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after


class BadParameter(Exception):
    """A query parameter that cannot be used as sent (a cursor that is not ours): 400."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(field, reason)
        self.field = field
        self.reason = reason


def problem(
    status: int,
    detail: str = "",
    *,
    errors: Iterable[Mapping[str, str]] = (),
    title: str | None = None,
) -> HttpResponse:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title or str(TITLES.get(status, status)),
        "status": status,
    }
    if detail:
        body["detail"] = detail
    listed = [dict(e) for e in errors]
    if listed:
        body["errors"] = listed
    return HttpResponse(json.dumps(body, ensure_ascii=False), status=status, content_type=PROBLEM)


def _field(loc: Iterable[Any]) -> str:
    """``("body", "payload", "event_date")`` → ``"event_date"``: the name the client sent."""
    parts = [str(p) for p in loc]
    while parts and parts[0] in ("body", "query", "path", "payload", "filters", "params"):
        parts.pop(0)
    return ".".join(parts)


def _reason(error: Mapping[str, Any]) -> str:
    """A translated reason for one pydantic error; its English message when unforeseen."""
    kind = str(error.get("type", ""))
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return _("This field is required.")
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return _("Expected a whole number.")
    if kind in ("less_than_equal", "less_than"):
        return _("At most %(limit)s.") % {"limit": ctx.get("le", ctx.get("lt", ""))}
    if kind in ("greater_than_equal", "greater_than"):
        return _("At least %(limit)s.") % {"limit": ctx.get("ge", ctx.get("gt", ""))}
    if kind.startswith("date_") and not kind.startswith("datetime"):
        return _("Expected a date such as 2015-01-05.")
    if kind.startswith("datetime"):
        return _("Expected a date and time with its time zone, such as 2015-01-05T10:00:00Z.")
    if kind in ("enum", "literal_error"):
        # pydantic words the choices in English ("'a', 'b' or 'c'"): keep only the values.
        expected = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        return _("Expected one of: %(expected)s.") % {"expected": ", ".join(expected)}
    if kind == "string_type":
        return _("Expected text.")
    if kind == "string_too_long":
        return _("At most %(max)s characters.") % {"max": ctx.get("max_length", "")}
    if kind == "string_pattern_mismatch":
        return _("This value is not in the expected form.")
    if kind in ("bool_parsing", "bool_type"):
        return _("Expected true or false.")
    if kind == "json_invalid":
        return _("The body is not valid JSON.")
    if kind in ("model_attributes_type", "dict_type", "model_type"):
        return _("Expected a JSON object.")
    if kind == "list_type":
        return _("Expected a list.")
    return str(error.get("msg", ""))


def schema_errors(errors: Iterable[Mapping[str, Any]]) -> list[dict[str, str]]:
    return [{"field": _field(e.get("loc", ())), "reason": _reason(e)} for e in errors]


def _refusal(request: HttpRequest) -> str:
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return _("The input was refused.")
    return _("The input was refused; nothing was saved.")


def not_allowed(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Wrap an API view so that a method it does not take is refused in problem+json."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if response.status_code == 405 and response.get("Content-Type", "") != PROBLEM:
            refused = problem(405, _("This address does not take that method."))
            refused["Allow"] = response.get("Allow", "")
            return refused
        return response

    return wrapped


def install(api: NinjaAPI) -> None:
    """Answer every failure of ``api`` with problem+json."""

    @api.exception_handler(AuthenticationError)
    def _unauthenticated(request: HttpRequest, exc: Exception) -> HttpResponse:
        response = problem(401, _("A valid bearer token is required."))
        response["WWW-Authenticate"] = 'Bearer realm="detente"'
        return response

    @api.exception_handler(RateLimited)
    def _rate_limited(request: HttpRequest, exc: Exception) -> HttpResponse:
        assert isinstance(exc, RateLimited)  # noqa: S101 - narrowed for the type checker
        response = problem(429, _("This token has made its requests for this minute."))
        response["Retry-After"] = str(exc.retry_after)
        return response

    @api.exception_handler(Http404)
    def _not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
        # Hidden and missing look the same: one fixed body, whatever the selector said.
        return problem(404)

    @api.exception_handler(PermissionDenied)
    def _forbidden(request: HttpRequest, exc: Exception) -> HttpResponse:
        return problem(403, _("This token or its user may not do that."))

    @api.exception_handler(ValidationError)
    def _refused(request: HttpRequest, exc: Exception) -> HttpResponse:
        assert isinstance(exc, ValidationError)  # noqa: S101 - narrowed for the type checker
        if hasattr(exc, "error_dict"):
            errors = [
                {"field": field, "reason": " ".join(str(m) for m in messages)}
                for field, messages in exc.message_dict.items()
            ]
        else:  # not tied to one field
            errors = [{"field": "", "reason": str(m)} for m in exc.messages]
        return problem(422, _refusal(request), errors=errors)

    @api.exception_handler(SchemaError)
    def _malformed(request: HttpRequest, exc: Exception) -> HttpResponse:
        assert isinstance(exc, SchemaError)  # noqa: S101 - narrowed for the type checker
        return problem(422, _refusal(request), errors=schema_errors(exc.errors))

    @api.exception_handler(BadParameter)
    def _bad_parameter(request: HttpRequest, exc: Exception) -> HttpResponse:
        assert isinstance(exc, BadParameter)  # noqa: S101 - narrowed for the type checker
        return problem(
            400,
            _("A parameter cannot be used as sent."),
            errors=[{"field": exc.field, "reason": exc.reason}],
        )

    @api.exception_handler(HttpError)
    def _http_error(request: HttpRequest, exc: Exception) -> HttpResponse:
        assert isinstance(exc, HttpError)  # noqa: S101 - narrowed for the type checker
        if exc.status_code == 400:  # ninja's only one: a body it cannot parse
            return problem(400, _("The request body is not valid JSON; nothing was saved."))
        return problem(exc.status_code, str(exc))

    @api.exception_handler(Exception)
    def _failed(request: HttpRequest, exc: Exception) -> HttpResponse:
        # A bug, not a refusal: logged with its traceback, answered without one.
        logger.error("API failure on %s %s", request.method, request.path, exc_info=exc)
        return problem(500, _("Something went wrong on the server."))
