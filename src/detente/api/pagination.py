"""Cursor pagination: opaque, signed cursors over a stable ordering.

Every list is ordered by keys that end in a unique column, and a page continues *after*
the last row of the previous one (keyset pagination), so rows added or removed meanwhile
never shift a page or repeat a row, and a deep page costs what the first one does.

A cursor is the last row's key values, signed with the server's secret and bound to the
list it came from: a cursor that was altered, or taken from another list, is refused with
a 400 naming the ``cursor`` parameter. Signing is not encryption; the keys are handles,
slugs, dates and row numbers the same list already shows to this user.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from django.core import signing
from django.core.exceptions import ValidationError
from django.db.models import F, Field, Model, Q, QuerySet
from django.db.models.expressions import OrderBy
from django.http import HttpRequest
from django.utils.translation import gettext as _

from detente.api.errors import BadParameter

SALT = "detente.api.cursor"
DEFAULT_LIMIT = 50
MAX_LIMIT = 200

M = TypeVar("M", bound=Model)
T = TypeVar("T")


def _bad() -> BadParameter:
    return BadParameter(
        "cursor", _("This cursor was not issued by this list; start again without it.")
    )


def _plain(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value


def encode(scope: str, values: Sequence[Any]) -> str:
    return signing.dumps({"s": scope, "k": [_plain(v) for v in values]}, salt=SALT)


def decode(scope: str, cursor: str, size: int) -> list[Any]:
    try:
        data = signing.loads(cursor, salt=SALT)
    except Exception:  # a bad signature, bad base64, text that is not ours at all
        raise _bad() from None
    if not isinstance(data, dict) or data.get("s") != scope:
        raise _bad()
    values = data.get("k")
    if not isinstance(values, list) or len(values) != size:
        raise _bad()
    return values


def next_link(request: HttpRequest, cursor: str | None) -> str | None:
    """The address of the next page: this request's own, with the new cursor."""
    if cursor is None:
        return None
    params = request.GET.copy()
    params["cursor"] = cursor
    return f"{request.path}?{params.urlencode()}"


def _column(model: type[Model], name: str) -> Field[Any, Any]:
    field = model._meta.get_field(name)
    assert isinstance(field, Field)  # noqa: S101 - keys are concrete columns
    return field


def _ordering(model: type[Model], keys: Sequence[str]) -> list[str | OrderBy]:
    out: list[str | OrderBy] = []
    for key in keys:
        name = key.lstrip("-")
        if not _column(model, name).null:
            out.append(key)  # a plain ordering keeps the column's index usable
        elif key.startswith("-"):
            out.append(F(name).desc(nulls_last=True))
        else:
            out.append(F(name).asc(nulls_first=True))
    return out


def _after(keys: Sequence[str], values: Sequence[Any]) -> Q:
    """Rows strictly after ``values`` in the order of ``keys`` (NULL sorts lowest)."""
    never = Q(pk__in=[])
    condition, same = never, Q()
    for key, value in zip(keys, values, strict=True):
        name = key.lstrip("-")
        descending = key.startswith("-")
        if value is None:
            later = never if descending else Q(**{f"{name}__isnull": False})
            equal = Q(**{f"{name}__isnull": True})
        else:
            later = Q(**{f"{name}__{'lt' if descending else 'gt'}": value})
            if descending:
                later |= Q(**{f"{name}__isnull": True})
            equal = Q(**{name: value})
        condition |= same & later
        same &= equal
    return condition


def paginate(
    request: HttpRequest,
    qs: QuerySet[M],
    *,
    scope: str,
    keys: Sequence[str],
    cursor: str | None,
    limit: int,
) -> tuple[list[M], dict[str, str | None]]:
    """One page of ``qs`` in the order of ``keys`` and the links to the next one."""
    model = qs.model
    qs = qs.order_by(*_ordering(model, keys))
    if cursor:
        raw = decode(scope, cursor, len(keys))
        try:
            values = [
                None if v is None else _column(model, k.lstrip("-")).to_python(v)
                for k, v in zip(keys, raw, strict=True)
            ]
        except (ValidationError, TypeError, ValueError):
            raise _bad() from None
        qs = qs.filter(_after(keys, values))
    rows = list(qs[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    token = (
        encode(scope, [getattr(rows[-1], k.lstrip("-")) for k in keys]) if more and rows else None
    )
    return rows, {"next_cursor": token, "next": next_link(request, token)}


def paginate_rows(
    request: HttpRequest,
    rows: Sequence[T],
    *,
    scope: str,
    key: Callable[[T], str],
    cursor: str | None,
    limit: int,
) -> tuple[list[T], dict[str, str | None]]:
    """The same over rows a selector already returned (ordered here by ``key``)."""
    rows = sorted(rows, key=key)
    if cursor:
        (after,) = decode(scope, cursor, 1)
        if not isinstance(after, str):
            raise _bad()
        rows = [r for r in rows if key(r) > after]
    page = list(rows[:limit])
    token = encode(scope, [key(page[-1])]) if len(rows) > limit and page else None
    return page, {"next_cursor": token, "next": next_link(request, token)}
