"""The browsable API documentation, rendered on the server from the OpenAPI schema.

No third-party scripts: a plain page that lists every operation with its parameters, its
body and its answers, and the shape of every object, all read from the same schema that
``/api/openapi.json`` publishes (so the page cannot drift from the API).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext

from detente.api.main import api
from detente.api.pagination import DEFAULT_LIMIT, MAX_LIMIT

_REF = "#/components/schemas/"


def _type(schema: dict[str, Any] | bool) -> str:
    """A short reading of a JSON schema: ``string``, ``integer ≤ 200``, ``Problem``…"""
    if isinstance(schema, bool):  # JSON Schema's "anything" (true)
        return "any"
    if "$ref" in schema:
        return str(schema["$ref"]).removeprefix(_REF)
    if "anyOf" in schema:
        kinds = [_type(s) for s in schema["anyOf"]]
        return " | ".join(k for k in kinds if k != "null") + (" | null" if "null" in kinds else "")
    if "enum" in schema:
        return " | ".join(str(v) for v in schema["enum"])
    kind = str(schema.get("type", "object"))
    if kind == "array":
        return f"[{_type(schema.get('items', {}))}]"
    if kind == "object" and "additionalProperties" in schema:
        return f"{{string: {_type(schema['additionalProperties'])}}}"
    if "format" in schema:
        kind = f"{kind} ({schema['format']})"
    bounds = [
        f"≥ {schema['minimum']}" if "minimum" in schema else "",
        f"≤ {schema['maximum']}" if "maximum" in schema else "",
        f"≤ {schema['maxLength']} chars" if "maxLength" in schema else "",
    ]
    return " ".join([kind, *[b for b in bounds if b]])


def _fields(schema: dict[str, Any]) -> list[dict[str, Any]]:
    required = set(schema.get("required", ()))
    return [
        {
            "name": name,
            "type": _type(prop),
            "required": name in required,
            "description": prop.get("description", ""),
        }
        for name, prop in schema.get("properties", {}).items()
    ]


def docs(request: HttpRequest) -> HttpResponse:
    schema: dict[str, Any] = api.get_openapi_schema()
    components = schema.get("components", {}).get("schemas", {})
    operations = []
    for path, methods in schema.get("paths", {}).items():
        for method, op in methods.items():
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {})
            operations.append(
                {
                    "id": op.get("operationId", ""),
                    "method": method.upper(),
                    "path": path,
                    "tag": (op.get("tags") or [""])[0],
                    # Summaries are marked for translation where the routes declare
                    # them; the schema itself keeps them in English (it is for programs).
                    "summary": gettext(op["summary"]) if op.get("summary") else "",
                    "description": op.get("description", ""),
                    "parameters": [
                        {
                            "name": p["name"],
                            "in": p["in"],
                            "required": p.get("required", False),
                            "type": _type(p.get("schema", {})),
                            "description": p.get("description", ""),
                        }
                        for p in op.get("parameters", [])
                    ],
                    "body": _type(body["schema"]) if body else "",
                    "responses": [
                        {
                            "code": code,
                            "description": answer.get("description", ""),
                            "media": ", ".join(answer.get("content", {})),
                            "type": ", ".join(
                                _type(c.get("schema", {}))
                                for c in answer.get("content", {}).values()
                            ),
                        }
                        for code, answer in sorted(op.get("responses", {}).items())
                    ],
                }
            )
    shapes = [
        {"name": name, "description": s.get("description", ""), "fields": _fields(s)}
        for name, s in sorted(components.items())
        if s.get("type") == "object"
    ]
    enums = [
        {"name": name, "values": s["enum"]} for name, s in sorted(components.items()) if "enum" in s
    ]
    return render(
        request,
        "api/docs.html",
        {
            "title": schema["info"]["title"],
            "operations": operations,
            "shapes": shapes,
            "enums": enums,
            "default_limit": DEFAULT_LIMIT,
            "max_limit": MAX_LIMIT,
        },
    )
