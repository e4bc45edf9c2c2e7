"""One row of an imported list, checked: who it names and what it asserts.

:func:`parse_row` turns a :class:`~detente.reconcile.readers.Row` (our column names, text
values) into a :class:`ParsedRow` or a list of problems, each with its row and column. It
runs the registry's and the evidence's own checks (``check_person_fields``, the claim's
date and status rules), so a row that passes here is one the bulk services accept.
Nothing here touches the database.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from functools import cached_property
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils import timezone
from django.utils.translation import gettext as _

from detente.core.dates import DatePrecision
from detente.matching.names import parse_full_name
from detente.matching.records import BirthDate, Record, make_record
from detente.reconcile.readers import ReadError, Row
from detente.registry.models import Sex
from detente.registry.services import PersonFields, check_person_fields
from detente.registry.status import CustodyStatus

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
_STATUSES = frozenset(CustodyStatus.values)
_PERSON_FIELDS = tuple(f.name for f in fields(PersonFields))


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


def parse_status(text: str) -> str:
    """A status by its code (``house_arrest``), written loosely (``House arrest``), or by
    its label in English or Spanish."""
    key = re.sub(r"[\s-]+", "_", text.strip().casefold())
    if key in _STATUSES:
        return key
    labels: dict[str, str] = {}
    for value, label in CustodyStatus.choices:
        labels[str(label).casefold()] = value
    from django.utils import translation

    with translation.override("es"):
        for value, label in CustodyStatus.choices:
            labels[str(label).casefold()] = value
    found = labels.get(text.strip().casefold())
    if found is None:
        raise ValueError(
            _("Unknown status “%(value)s”; expected one of: %(choices)s.")
            % {"value": text, "choices": ", ".join(CustodyStatus.values)}
        )
    return found


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

    def as_data(self) -> dict[str, Any]:
        """Plain JSON (what ImportRow.data keeps)."""
        # Field by field: dataclasses.asdict deep-copies, ten times slower at 100,000 rows.
        person = {name: getattr(self.person, name) for name in _PERSON_FIELDS}
        person["aliases"] = list(self.person.aliases)
        person["birth_date"] = _iso(self.person.birth_date)
        return {
            "person": person,
            "status": self.status,
            "event_date": self.event_date.isoformat(),
            "event_precision": self.event_precision,
            "evidence_text": self.evidence_text,
            "evidence_url": self.evidence_url,
            "external_id": self.external_id,
        }

    @classmethod
    def from_data(cls, number: int, data: Mapping[str, Any]) -> ParsedRow:
        person = dict(data["person"])
        person["aliases"] = tuple(person.get("aliases") or ())
        birth = person.get("birth_date")
        person["birth_date"] = dt.date.fromisoformat(birth) if birth else None
        return cls(
            number=number,
            person=PersonFields(**person),
            status=data["status"],
            event_date=dt.date.fromisoformat(data["event_date"]),
            event_precision=data["event_precision"],
            evidence_text=data.get("evidence_text", ""),
            evidence_url=data.get("evidence_url", ""),
            external_id=data.get("external_id", ""),
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
        birth = None
        if p.birth_date is not None:
            birth = BirthDate(
                p.birth_date.year,
                p.birth_date.month if p.birth_precision != DatePrecision.YEAR else 0,
                p.birth_date.day if p.birth_precision == DatePrecision.DAY else 0,
            )
        return make_record(
            key,
            given=p.given_names,
            paternal=p.paternal_surname,
            maternal=p.maternal_surname,
            aliases=list(p.aliases),
            birth=birth,
            place=(p.municipality, p.province),
            sex=p.sex,
        )


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


@dataclass(frozen=True)
class Defaults:
    """What the command line supplies for columns a list lacks."""

    status: str = ""
    event_date: dt.date | None = None
    event_precision: str = DatePrecision.DAY
    received_at: dt.datetime | None = None


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
    """
    problems: list[ReadError] = list(row.problems)
    v = row.values

    def fail(column: str, message: str) -> None:
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
            status = parse_status(status_text)
        except ValueError as exc:
            fail("status", str(exc))

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
    if event_date is not None:
        received = defaults.received_at or timezone.now()
        if event_date > received.date():
            fail(
                "event_date",
                _("The event date %(date)s is in the future.") % {"date": event_date},
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
    )
