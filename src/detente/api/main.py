"""The REST API (django-ninja): thin operations over the selectors and services.

Every operation needs a bearer token (`Authorization: Bearer dtn_…`); what a token sees is
exactly what its user sees in the staff pages, the admin or on the command line, because
the same selectors decide. Lists are paged with opaque cursors (`next_cursor`, `next`).
Errors are `application/problem+json` (RFC 9457), in the language of `Accept-Language`.
"""

from __future__ import annotations

from typing import Any

from django.urls import URLPattern
from ninja import NinjaAPI
from ninja.renderers import JSONRenderer

from detente.api import errors
from detente.api.auth import TokenAuth
from detente.api.errors import PROBLEM
from detente.api.routes import (
    access,
    agreements,
    casework,
    disclosures,
    estimates,
    evidence,
    mailing,
    matching,
    parties,
    people,
    statistics,
    verification,
)
from detente.api.routes.imports import build_router


class DetenteAPI(NinjaAPI):
    def _get_urls(self) -> list[Any]:
        patterns = super()._get_urls()
        for pattern in patterns:
            if isinstance(pattern, URLPattern):
                pattern.callback = errors.not_allowed(pattern.callback)
        return patterns

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> Any:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        return finish_schema(schema)


class Renderer(JSONRenderer):
    # Names as they are written ("Pérez", not "P\u00e9rez"); JSON is UTF-8 anyway.
    json_dumps_params = {"ensure_ascii": False}


RESPONSE_HEADERS = {
    "401": {
        "WWW-Authenticate": {
            "description": "How to authenticate: a bearer token.",
            "schema": {"type": "string"},
        }
    },
    "429": {
        "Retry-After": {
            "description": "Seconds until this token may ask again.",
            "schema": {"type": "string"},
        }
    },
}


def finish_schema(schema: Any) -> Any:
    """Say what ninja cannot: errors are problem+json, and which headers come with them."""
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            for code, response in operation.get("responses", {}).items():
                if int(code) >= 400 and "content" in response:
                    response["content"] = {PROBLEM: response["content"].popitem()[1]}
                if str(code) in RESPONSE_HEADERS:
                    response["headers"] = RESPONSE_HEADERS[str(code)]
    return schema


api = DetenteAPI(
    title="Detente API",
    version="1",
    description=__doc__ or "",
    auth=TokenAuth(),
    docs_url=None,  # the browsable docs are our own page (no third-party scripts)
    urls_namespace="api",
    renderer=Renderer(),
)
errors.install(api)
for module in (
    agreements,
    parties,
    people,
    evidence,
    disclosures,
    verification,
    estimates,
    matching,
    statistics,
    mailing,
    casework,
    access,
):
    api.add_router("", module.router)
api.add_router("", build_router())  # the match review queue (detente.reconcile)

__all__ = ["TokenAuth", "api"]
