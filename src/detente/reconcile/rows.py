"""One row of an imported list, checked: who it names and what it asserts.

:func:`parse_row` turns a :class:`~detente.reconcile.readers.Row` (our column names, text
values) into a :class:`ParsedRow` or a list of problems, each with its row and column. It
runs the registry's and the evidence's own checks (``check_person_fields``, the claim's
date and status rules), so a row that passes here is one the bulk services accept.
Nothing here touches the database.

Status words are read through :mod:`detente.reconcile.vocabulary` (codes, labels and the
words lists use, in English and Spanish) and a mapping file's own value map. A status that
is unknown or ambiguous is a problem with a ``code`` (``unknown_status``,
``ambiguous_status``) and the ``value``, so that an import can list each such value once
with the rows it is in (:class:`RepeatedValues`) instead of once per row.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from functools import cached_property
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from detente.core.dates import DatePrecision, PreciseDate
from detente.matching.names import parse_full_name
from detente.matching.records import Record, identity_record
from detente.reconcile.readers import RAGGED_ROW, ReadError, Row
from detente.reconcile.vocabulary import ambiguous_words, fold, status_lookup
from detente.registry.models import Sex
from detente.registry.services import PersonFields, check_person_fields
from detente.registry.status import (
    DEFAULT_CATEGORY,
    RELEASE_CATEGORIES,
    Category,
    CustodyStatus,
)

_DAY_FIRST = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_MONTH_YEAR = re.compile(r"^(\d{1,2})[/.-](\d{4})$")
_ISO = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")
_SEX = {
    "f": Sex.FEMALE,
    "female": Sex.FEMALE,
    "femenino": Sex.FEMALE,
    "mujer": Sex.FEMALE,
    "m": Sex.MALE,
    "male": Sex.MALE,
    "masculino": Sex.MALE,
    "hombre": Sex.MALE,
    "x": Sex.OTHER,
    "": Sex.OTHER,
}
_ALIAS_SPLIT = re.compile(r"[;|]")
_PERSON_FIELDS = tuple(f.name for f in fields(PersonFields))
MAX_PLACE = 160
# Statuses that end a custody: the arrest cannot come after them.
_AFTER_ARREST = frozenset(
    status
    for status, category in DEFAULT_CATEGORY.items()
    if category in RELEASE_CATEGORIES or category == Category.DIED
)
UNKNOWN_STATUS = "unknown_status"
AMBIGUOUS_STATUS = "ambiguous_status"


def parse_date(text: str) -> tuple[dt.date, str]:
    """``YYYY``, ``YYYY-MM``, ``YYYY-MM-DD``, ``DD/MM/YYYY`` (also with ``-`` or ``.``) or
    ``MM/YYYY`` → (date, precision). Day first is the order of Spanish-speaking lists.
    Raises ``ValueError`` with a translated message."""
    value = text.strip()
    year = month = day = 0
    if match := _ISO.match(value):
        year, month, day = (int(g) if g else 0 for g in match.groups())
    elif match := _DAY_FIRST.match(value):
        day, month, year = (int(g) for g in match.groups())
    elif match := _MONTH_YEAR.match(value):
        month, year = (int(g) for g in match.groups())
    else:
        raise ValueError(
            _("“%(value)s” is not a date; write YYYY-MM-DD, DD/MM/YYYY, YYYY-MM or YYYY.")
            % {"value": text}
        )
    precision = DatePrecision.DAY if day else DatePrecision.MONTH if month else DatePrecision.YEAR
    try:
        date = dt.date(year, month or 1, day or 1)
    except ValueError:
        raise ValueError(
            _("“%(value)s” is not a real date (no such day or month).") % {"value": text}
        ) from None
    if year < 1850:
        raise ValueError(_("“%(value)s”: the year is implausible.") % {"value": text})
    return date, precision


class StatusUnknown(ValueError):
    """A status that cannot be read: ``code`` is :data:`UNKNOWN_STATUS` or
    :data:`AMBIGUOUS_STATUS`."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


def _status_choices() -> str:
    return ", ".join(CustodyStatus.values)


def parse_status(text: str, values: Mapping[str, str] | None = None) -> str:
    """A status by its code (``house_arrest``), written loosely (``House arrest``), by its
    label in English or Spanish, or by a word lists use (``Excarcelada``, ``Jailed``:
    :mod:`detente.reconcile.vocabulary`), all compared without case, accents, spaces or
    punctuation. ``values`` (folded word → code, from a mapping file) is looked up first.
    Raises :class:`StatusUnknown` (a ``ValueError``)."""
    key = fold(text)
    if values and key in values:
        return values[key]
    found = status_lookup().get(key)
    if found is not None:
        return found
    if key in ambiguous_words():
        raise StatusUnknown(
            _(
                "“%(value)s” does not say on what terms the person was released; say what "
                "this list means by it in the mapping file's values, e.g. "
                '"values": {"status": {"%(value)s": "unconditional_release"}} (or parole, '
                "extra_penal_licence, precautionary_measures…)."
            )
            % {"value": text},
            AMBIGUOUS_STATUS,
        )
    raise StatusUnknown(
        _(
            "Unknown status “%(value)s”; add it to the mapping file's values or use one of: "
            "%(choices)s."
        )
        % {"value": text, "choices": _status_choices()},
        UNKNOWN_STATUS,
    )


def split_name(text: str) -> tuple[str, str, str]:
    """A free-text full name → (given names, paternal, maternal), as written.

    The matcher's parser decides where the given names end (it knows particles, compound
    given names, "SURNAMES, GIVEN"); the words themselves are kept as the list wrote them,
    so the registry does not store the folded forms.
    """
    parsed = parse_full_name(text)
    n_paternal = len(parsed.paternal_full.split())
    n_maternal = len(parsed.maternal_full.split())
    if "," in text:
        surnames, _sep, given = text.partition(",")
        words = surnames.split()
        if len(words) == n_paternal + n_maternal:
            return (
                " ".join(given.split()),
                " ".join(words[:n_paternal]),
                " ".join(words[n_paternal:]),
            )
    else:
        words = text.split()
        n_given = len(words) - n_paternal - n_maternal
        if n_given >= 0 and n_given == len(parsed.given.split()):
            return (
                " ".join(words[:n_given]),
                " ".join(words[n_given : n_given + n_paternal]),
                " ".join(words[n_given + n_paternal :]),
            )
    # The parser expanded or dropped words (abbreviations, titles): use its reading.
    return (
        parsed.given.title(),
        parsed.paternal_full.title(),
        parsed.maternal_full.title(),
    )


@dataclass(frozen=True)
class ParsedRow:
    """A checked row. ``person`` is what a new person would be made of; the rest is the
    status claim the row asserts."""

    number: int
    person: PersonFields
    status: str
    event_date: dt.date
    event_precision: str
    evidence_text: str
    evidence_url: str
    external_id: str
    # When the person was arrested (a custody episode's start) and where they are held.
    arrest_date: dt.date | None = None
    arrest_precision: str = DatePrecision.DAY
    place_of_detention: str = ""
    # The day this row's list reported it (its ``reported_on`` cell): its claim is received
    # and its person named that day. None: the import's own day (or --reported-on).
    reported_on: dt.date | None = None

    def as_data(self) -> dict[str, Any]:
        """Plain JSON (what ImportRow.data keeps). The arrest and the place of detention
        are included only when the row has them, so a row without them has the data (and
        the :attr:`row_hash`) it had before those columns existed."""
        # Field by field: dataclasses.asdict deep-copies, ten times slower at 100,000 rows.
        person = {name: getattr(self.person, name) for name in _PERSON_FIELDS}
        person["aliases"] = list(self.person.aliases)
        person["birth_date"] = _iso(self.person.birth_date)
        data = {
            "person": person,
            "status": self.status,
            "event_date": self.event_date.isoformat(),
            "event_precision": self.event_precision,
            "evidence_text": self.evidence_text,
            "evidence_url": self.evidence_url,
            "external_id": self.external_id,
        }
        if self.arrest_date is not None:
            data["arrest_date"] = self.arrest_date.isoformat()
            data["arrest_precision"] = self.arrest_precision
        if self.place_of_detention:
            data["place_of_detention"] = self.place_of_detention
        if self.reported_on is not None:
            data["reported_on"] = self.reported_on.isoformat()
        return data

    @classmethod
    def from_data(cls, number: int, data: Mapping[str, Any]) -> ParsedRow:
        person = dict(data["person"])
        person["aliases"] = tuple(person.get("aliases") or ())
        birth = person.get("birth_date")
        person["birth_date"] = dt.date.fromisoformat(birth) if birth else None
        arrest = data.get("arrest_date")
        reported = data.get("reported_on")
        return cls(
            number=number,
            person=PersonFields(**person),
            status=data["status"],
            event_date=dt.date.fromisoformat(data["event_date"]),
            event_precision=data["event_precision"],
            evidence_text=data.get("evidence_text", ""),
            evidence_url=data.get("evidence_url", ""),
            external_id=data.get("external_id", ""),
            arrest_date=dt.date.fromisoformat(arrest) if arrest else None,
            arrest_precision=data.get("arrest_precision", DatePrecision.DAY),
            place_of_detention=data.get("place_of_detention", ""),
            reported_on=dt.date.fromisoformat(reported) if reported else None,
        )

    @cached_property
    def row_hash(self) -> str:
        """SHA-256 of what the row says (not where it is in the file): the same row from
        the same source is recognised in any later file, and twice in one file."""
        data = self.as_data()
        data["person"].pop("at_risk", None)
        text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()

    def record(self, key: Any) -> Record:
        """The row as the linkage engine compares it."""
        p = self.person
        return identity_record(
            key,
            given_names=p.given_names,
            paternal_surname=p.paternal_surname,
            maternal_surname=p.maternal_surname,
            aliases=p.aliases,
            birth_date=p.birth_date,
            birth_precision=p.birth_precision,
            sex=p.sex,
            municipality=p.municipality,
            province=p.province,
        )


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


@dataclass(frozen=True)
class Defaults:
    """What the command line supplies for columns a list lacks, and the mapping file's
    value map (``{"status": {their word: status code}}``, as written in the file)."""

    status: str = ""
    event_date: dt.date | None = None
    event_precision: str = DatePrecision.DAY
    received_at: dt.datetime | None = None
    values: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    # --reported-on: the day a historical list was published or received.
    reported_on: dt.date | None = None
    # The agreement's announcement: nobody is named on it (reported) before that day.
    announced_on: dt.date | None = None

    @cached_property
    def status_values(self) -> dict[str, str]:
        """The value map for ``status``, its words folded as :func:`parse_status` looks
        them up."""
        return {fold(word): code for word, code in self.values.get("status", {}).items()}


def _messages(exc: ValidationError) -> list[tuple[str, str]]:
    if hasattr(exc, "error_dict"):
        return [(field, " ".join(str(m) for m in msgs)) for field, msgs in exc.message_dict.items()]
    return [("", " ".join(exc.messages))]


# Which of our columns a field of the registry's checks comes from.
_COLUMN_OF = {
    "given_names": "given_names",
    "paternal_surname": "paternal_surname",
    "maternal_surname": "maternal_surname",
    "aliases": "aliases",
    "birth_date": "birth_date",
    "birth_precision": "birth_date",
    "sex": "sex",
    "province": "province",
    "municipality": "municipality",
}


def parse_row(row: Row, defaults: Defaults, *, check: bool = True) -> ParsedRow | list[ReadError]:
    """The checked row, or every problem found in it (each with row and column).

    ``check=False`` skips the registry's person checks: for a second reading of rows that
    passed them already (the services that write re-check what they write).

    A column gets one problem at most: a cell the reader refused (a formula, a JSON
    number) is read as empty, not checked again. A row with more cells than the header
    is reported as that alone: its cells are shifted, so what they hold means nothing.
    """
    problems: list[ReadError] = list(row.problems)
    if any(p.code == RAGGED_ROW for p in problems):
        return problems
    refused = {p.column for p in problems}
    v = {k: "" if k in refused else x for k, x in row.values.items()} if refused else row.values

    def fail(column: str, message: str) -> None:
        if not any(p.column == column for p in problems):
            problems.append(ReadError(message, row=row.number, column=column))

    given = v.get("given_names", "")
    paternal = v.get("paternal_surname", "")
    maternal = v.get("maternal_surname", "")
    name_column = "given_names"
    if not (given or paternal or maternal) and v.get("name"):
        given, paternal, maternal = split_name(v["name"])
        name_column = "name"
    if not (given or paternal or maternal):
        fail("name", _("The row has no name."))
        name_column = "name"

    birth_date: dt.date | None = None
    birth_precision: str = DatePrecision.DAY
    if v.get("birth_date"):
        try:
            birth_date, birth_precision = parse_date(v["birth_date"])
        except ValueError as exc:
            fail("birth_date", str(exc))

    sex = _SEX.get(v.get("sex", "").strip().casefold())
    if sex is None:
        fail("sex", _("Unknown sex “%(value)s”; use F, M or X.") % {"value": v.get("sex", "")})
        sex = Sex.OTHER

    status_text = v.get("status") or defaults.status
    status = ""
    if not status_text:
        fail("status", _("The row has no status; add a status column or give --status."))
    else:
        try:
            status = parse_status(status_text, defaults.status_values)
        except StatusUnknown as exc:
            problems.append(
                ReadError(
                    str(exc), row=row.number, column="status", code=exc.code, value=status_text
                )
            )

    event_date, event_precision = defaults.event_date, defaults.event_precision
    if v.get("event_date"):
        try:
            event_date, event_precision = parse_date(v["event_date"])
        except ValueError as exc:
            fail("event_date", str(exc))
            event_date = None
    elif event_date is None:
        fail(
            "event_date",
            _("The row has no event date; add an event_date column or give --event-date."),
        )
    today = timezone.now().date()
    reported_on = defaults.reported_on
    if v.get("reported_on"):
        try:
            day, precision = parse_date(v["reported_on"])
        except ValueError as exc:
            fail("reported_on", str(exc))
        else:
            if precision != DatePrecision.DAY:
                fail("reported_on", _("Give the day the list reported this, to the day."))
            elif day > today:
                fail("reported_on", _("The day %(date)s is in the future.") % {"date": day})
            elif defaults.announced_on is not None and day < defaults.announced_on:
                fail(
                    "reported_on",
                    _("%(date)s is before the agreement was announced (%(announced)s).")
                    % {"date": day, "announced": defaults.announced_on},
                )
            else:
                reported_on = day
    if event_date is not None:
        if event_date > today:
            fail(
                "event_date",
                _("The event date %(date)s is in the future.") % {"date": event_date},
            )
        elif reported_on is not None and event_date > reported_on:
            fail(
                "event_date",
                _("The event date %(date)s is after the day the list reported it (%(reported)s).")
                % {"date": event_date, "reported": reported_on},
            )
    row_reported = reported_on if v.get("reported_on") else None

    arrest_date: dt.date | None = None
    arrest_precision: str = DatePrecision.DAY
    if v.get("arrest_date"):
        try:
            arrest_date, arrest_precision = parse_date(v["arrest_date"])
        except ValueError as exc:
            fail("arrest_date", str(exc))
    if arrest_date is not None:
        _check_arrest(
            PreciseDate.of(arrest_date, arrest_precision),
            birth=PreciseDate.of(birth_date, birth_precision) if birth_date else None,
            event=PreciseDate.of(event_date, event_precision) if event_date else None,
            status=status,
            today=(defaults.received_at or timezone.now()).date(),
            fail=lambda message: fail("arrest_date", message),
        )
    place = " ".join(v.get("place_of_detention", "").split())
    if len(place) > MAX_PLACE:
        fail(
            "place_of_detention",
            _("The place of detention is longer than %(max)d characters.") % {"max": MAX_PLACE},
        )

    url = v.get("url", "")
    if url:
        try:
            URLValidator(schemes=["http", "https"])(url)
        except ValidationError:
            fail("url", _("“%(value)s” is not a web address.") % {"value": url[:80]})

    aliases = tuple(a.strip() for a in _ALIAS_SPLIT.split(v.get("aliases", "")) if a.strip())
    person: PersonFields | None = None
    if not check and not problems:
        return ParsedRow(
            number=row.number,
            person=PersonFields(
                given_names=given.strip(),
                paternal_surname=paternal.strip(),
                maternal_surname=maternal.strip(),
                aliases=aliases,
                birth_date=birth_date,
                birth_precision=birth_precision,
                sex=sex,
                province=v.get("province", "").strip(),
                municipality=v.get("municipality", "").strip(),
            ),
            status=status,
            event_date=event_date,  # type: ignore[arg-type]
            event_precision=event_precision,
            evidence_text=v.get("evidence", ""),
            evidence_url=url,
            external_id=v.get("external_id", ""),
            arrest_date=arrest_date,
            arrest_precision=arrest_precision,
            place_of_detention=place,
            reported_on=row_reported,
        )
    try:
        person = check_person_fields(
            given_names=given,
            paternal_surname=paternal,
            maternal_surname=maternal,
            aliases=aliases,
            birth_date=birth_date,
            birth_precision=birth_precision,
            sex=sex,
            province=v.get("province", ""),
            municipality=v.get("municipality", ""),
        )
    except ValidationError as exc:
        for field, message in _messages(exc):
            column = _COLUMN_OF.get(field, field)
            if column == "given_names":
                column = name_column
            if not any(p.column == column for p in problems):
                fail(column, message)
    if problems or person is None or event_date is None:
        return problems
    return ParsedRow(
        number=row.number,
        person=person,
        status=status,
        event_date=event_date,
        event_precision=event_precision,
        evidence_text=v.get("evidence", ""),
        evidence_url=url,
        external_id=v.get("external_id", ""),
        arrest_date=arrest_date,
        arrest_precision=arrest_precision,
        place_of_detention=place,
        reported_on=row_reported,
    )


def _check_arrest(
    arrest: PreciseDate,
    *,
    birth: PreciseDate | None,
    event: PreciseDate | None,
    status: str,
    today: dt.date,
    fail: Callable[[str], None],
) -> None:
    """An arrest date not in the future, not before the birth, and not after the release
    or death the row reports. Dates known to a month or a year are compared as periods:
    only an arrest certainly after (or before) is refused."""
    if arrest.value > today:
        fail(_("The arrest date %(date)s is in the future.") % {"date": arrest})
    if birth is not None and arrest.certainly_before(birth):
        fail(
            _("The arrest date %(date)s is before the birth date %(birth)s.")
            % {"date": arrest, "birth": birth}
        )
    if event is not None and status in _AFTER_ARREST and event.certainly_before(arrest):
        fail(
            _(
                "The arrest date %(date)s is after the event date %(event)s; the row's status "
                "(%(status)s) cannot come before the arrest."
            )
            % {"date": arrest, "event": event, "status": CustodyStatus(status).label}
        )


class RepeatedValues:
    """Problems about one value that recur row after row (an unknown status in every row
    that has it): each value is counted and listed once, with its first row and how many
    rows have it, instead of once per row.

    Feed every problem to :meth:`add`: it keeps those of the repeating kinds (grouped by
    kind, column and the value folded as statuses are) and returns ``False`` for the rest.
    :meth:`merged` then puts one entry per value among the other errors, in row order.
    Bounded: at most ``limit`` values are kept (more could not be listed anyway)."""

    KINDS = frozenset({UNKNOWN_STATUS, AMBIGUOUS_STATUS})
    SHOWN_ROWS = 10

    def __init__(self, limit: int = 100) -> None:
        self.limit = limit
        # (kind, column, folded value) -> (its first problem, the first rows, row count)
        self._values: dict[tuple[str, str, str], tuple[ReadError, list[int], list[int]]] = {}
        self.left_off = 0  # problems of values not kept

    def add(self, problem: ReadError) -> bool:
        if problem.code not in self.KINDS:
            return False
        key = (problem.code, problem.column, fold(problem.value))
        kept = self._values.get(key)
        if kept is None:
            if len(self._values) >= self.limit:
                self.left_off += 1
                return True
            kept = self._values[key] = (problem, [], [0])
        _first, rows, count = kept
        count[0] += 1
        if len(rows) < self.SHOWN_ROWS and problem.row is not None:
            rows.append(problem.row)
        return True

    def entries(self) -> list[dict[str, Any]]:
        """One summary error per value: its first row, its column and the message with
        the count."""
        return [
            {
                "row": first.row,
                "column": first.column or None,
                "message": repeated_message(first, count[0], rows),
            }
            for first, rows, count in self._values.values()
        ]

    def merged(self, errors: list[dict[str, Any]], limit: int) -> tuple[list[dict[str, Any]], int]:
        """``errors`` (the other problems, in row order) with :meth:`entries` among them in
        row order, at most ``limit`` in all; and how many were left off."""
        combined = sorted([*errors, *self.entries()], key=lambda e: e["row"] or 0)
        return combined[:limit], max(0, len(combined) - limit) + self.left_off


def repeated_message(problem: ReadError, count: int, rows: list[int]) -> str:
    """The message for a value that ``count`` rows have (``rows``: the first few)."""
    shown = ", ".join(str(r) for r in rows) + (", …" if count > len(rows) else "")
    params = {
        "value": problem.value,
        "count": number_format(count, force_grouping=True),
        "rows": shown,
        "choices": _status_choices(),
    }
    if problem.code == AMBIGUOUS_STATUS:
        return (
            ngettext(
                "“%(value)s” (in %(count)s row: row %(rows)s) does not say on what terms the "
                "person was released; say what this list means by it in the mapping file's "
                'values, e.g. "values": {"status": {"%(value)s": "unconditional_release"}} (or '
                "parole, extra_penal_licence, precautionary_measures…).",
                "“%(value)s” (in %(count)s rows: rows %(rows)s) does not say on what terms the "
                "person was released; say what this list means by it in the mapping file's "
                'values, e.g. "values": {"status": {"%(value)s": "unconditional_release"}} (or '
                "parole, extra_penal_licence, precautionary_measures…).",
                count,
            )
            % params
        )
    return (
        ngettext(
            "Unknown status “%(value)s” in %(count)s row (row %(rows)s); add it to the mapping "
            "file's values or use one of: %(choices)s.",
            "Unknown status “%(value)s” in %(count)s rows (rows %(rows)s); add it to the mapping "
            "file's values or use one of: %(choices)s.",
            count,
        )
        % params
    )
