"""Writes to the registry. Each service checks, changes and audits in one transaction."""

from __future__ import annotations

import dataclasses
import datetime as dt
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models import (
    BooleanField,
    Case,
    CharField,
    ForeignKey,
    IntegerField,
    JSONField,
    Model,
    TextField,
    Value,
    When,
)
from django.db.models.functions import Cast, Concat, LPad
from django.utils import timezone
from django.utils.translation import gettext as _

from detente.access.policy import Action, require
from detente.access.sources import PROTECTED
from detente.audit import ledger
from detente.core.dates import DatePrecision, PreciseDate, localized
from detente.core.errors import check_precision, check_text, invalid
from detente.core.places import check_country, check_division
from detente.matching.places import division_from_text
from detente.registry import search
from detente.registry.models import (
    SEALED_IDENTITY_FIELDS,
    CustodyEpisode,
    Identity,
    NameToken,
    Person,
    Sex,
    seal_identity,
)
from detente.registry.status import CustodyStatus

IDENTITY_FIELDS = (
    "given_names",
    "paternal_surname",
    "maternal_surname",
    "aliases",
    "birth_date",
    "birth_precision",
    "sex",
    "country",
    "division",
    "province",
    "municipality",
    "affiliation",
)


_SEXES = frozenset(Sex.values)
_PRECISIONS = frozenset(DatePrecision.values)


def _check_not_future(field: str, value: dt.date | None) -> None:
    if value is not None and value > timezone.now().date():
        raise invalid(field, _("The date %(date)s is in the future.") % {"date": localized(value)})


@dataclass(frozen=True)
class PersonFields:
    """A new person's fields, checked (see :func:`check_person_fields`)."""

    given_names: str
    paternal_surname: str = ""
    maternal_surname: str = ""
    aliases: tuple[str, ...] = ()
    birth_date: dt.date | None = None
    birth_precision: str = DatePrecision.DAY
    sex: str = Sex.OTHER
    province: str = ""
    municipality: str = ""
    affiliation: str = ""
    at_risk: bool = False
    country: str = ""  # "": the registry's country
    division: str = ""  # "": read from the province as written


def check_person_fields(
    *,
    given_names: str,
    paternal_surname: str = "",
    maternal_surname: str = "",
    aliases: Sequence[str] = (),
    birth_date: dt.date | None = None,
    birth_precision: str = DatePrecision.DAY,
    sex: str = Sex.OTHER,
    province: str = "",
    municipality: str = "",
    affiliation: str = "",
    at_risk: bool = False,
    country: str = "",
    division: str = "",
) -> PersonFields:
    """The checks of :func:`person_create`, shared with :func:`people_create_bulk`: raise a
    field's ``ValidationError`` or return the values as they will be stored."""
    given_names = check_text("given_names", given_names, 120)
    paternal_surname = check_text("paternal_surname", paternal_surname, 80)
    maternal_surname = check_text("maternal_surname", maternal_surname, 80)
    province = check_text("province", province, 80)
    municipality = check_text("municipality", municipality, 80)
    affiliation = check_text("affiliation", affiliation, 160)
    if isinstance(aliases, str) or not all(isinstance(a, str) for a in aliases):
        raise invalid("aliases", _("Aliases are a list of names."))
    if not given_names and not paternal_surname:
        raise invalid("given_names", _("A person needs at least a given name or a surname."))
    if birth_precision not in _PRECISIONS:  # (Django rebuilds .values on every call)
        check_precision("birth_precision", birth_precision)
    _check_not_future("birth_date", birth_date)
    if sex not in _SEXES:
        raise invalid("sex", _("Unknown sex “%(value)s”; use F, M or X.") % {"value": sex})
    if birth_date is not None:
        birth_date = PreciseDate.of(birth_date, birth_precision).value
    country = check_country("country", country)
    if division:
        division = check_division("division", division, country)
    else:
        division = division_from_text(province, country)
    return PersonFields(
        given_names=given_names.strip(),
        paternal_surname=paternal_surname.strip(),
        maternal_surname=maternal_surname.strip(),
        aliases=tuple(a.strip() for a in aliases if a.strip()),
        birth_date=birth_date,
        birth_precision=birth_precision,
        sex=sex,
        province=province.strip(),
        municipality=municipality.strip(),
        affiliation=affiliation.strip(),
        at_risk=at_risk,
        country=country,
        division=division,
    )


def _identity(person: Person, fields: PersonFields) -> Identity:
    identity = Identity(
        person=person,
        birth_precision=fields.birth_precision,
        sex=fields.sex,
        country=fields.country,
        division=fields.division,
    )
    for name in SEALED_IDENTITY_FIELDS:  # sealed when saved
        value = getattr(fields, name)
        setattr(identity, name, list(value) if name == "aliases" else value)
    return identity


def person_create(
    *,
    actor: User,
    given_names: str,
    paternal_surname: str = "",
    maternal_surname: str = "",
    aliases: Sequence[str] = (),
    birth_date: dt.date | None = None,
    birth_precision: str = DatePrecision.DAY,
    sex: str = Sex.OTHER,
    province: str = "",
    municipality: str = "",
    affiliation: str = "",
    at_risk: bool = False,
    country: str = "",
    division: str = "",
) -> Person:
    """Record a person. ``country`` (ISO 3166-1 alpha-2) defaults to the registry's;
    ``division`` (ISO 3166-2, first level) is read from ``province`` when not given."""
    require(actor, Action.RECORD)
    fields = check_person_fields(
        given_names=given_names,
        paternal_surname=paternal_surname,
        maternal_surname=maternal_surname,
        aliases=aliases,
        birth_date=birth_date,
        birth_precision=birth_precision,
        sex=sex,
        province=province,
        municipality=municipality,
        affiliation=affiliation,
        at_risk=at_risk,
        country=country,
        division=division,
    )
    with transaction.atomic():
        # The handle derives from the id, so a unique placeholder comes first.
        person = Person.objects.create(handle=f"tmp-{secrets.token_hex(5)}", at_risk=at_risk)
        person.handle = f"P-{person.pk:04d}"
        person.save(update_fields=["handle"])
        identity = _identity(person, fields)
        identity.save(force_insert=True)
        search.index_identity(identity)
        ledger.append(
            actor,
            "person.create",
            person,
            {
                "handle": person.handle,
                "at_risk": at_risk,
                "identity": {
                    f: ledger.keyed_hash(getattr(identity, f), person.handle)
                    for f in IDENTITY_FIELDS
                },
            },
        )
    return person


def insert_rows(
    model: type[Model],
    fields: Sequence[str],
    rows: Iterable[Sequence[Any]],
    batch_size: int = 5000,
) -> None:
    """INSERT rows of plain values (one per field named): batched ``executemany`` on
    SQLite, ``COPY … FROM STDIN`` on PostgreSQL.

    For bulk writes whose ids are not needed back: ``bulk_create`` builds a model instance
    per row and compiles every value through the SQL compiler, most of its time at
    100,000 rows. Values of the fields that need it (dates, JSON, …) are prepared by the
    field itself (``get_db_prep_save``), so they are stored exactly as the ORM stores
    them; text, numbers and ids go as they are. No signals are sent.
    """
    meta = model._meta
    columns: list[Any] = [meta.get_field(name) for name in fields]
    simple = (CharField, TextField, IntegerField, BooleanField, ForeignKey)
    prepared = [
        None if isinstance(f, simple) and not isinstance(f, JSONField) else f for f in columns
    ]
    quote = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608 - names are the model's
        quote(meta.db_table),
        ", ".join(quote(f.column) for f in columns),
        ", ".join(["%s"] * len(columns)),
    )
    # PostgreSQL: COPY, in the caller's transaction (the server parses each row's text as
    # it would an INSERT's literals: the same defaults, constraints and triggers, the ids
    # drawn in row order); SQLite runs in this process, where executemany is as fast.
    copy = (
        "COPY {} ({}) FROM STDIN".format(  # the names are the model's
            quote(meta.db_table), ", ".join(quote(f.column) for f in columns)
        )
        if connection.vendor == "postgresql"
        else None
    )
    batch: list[list[Any]] = []

    def flush(cursor: Any) -> None:
        if copy is None:
            cursor.executemany(sql, batch)
            return
        # The driver's own cursor (Django's wrapper has no COPY); its errors are Django's.
        with connection.wrap_database_errors, cursor.cursor.copy(copy) as out:
            write = out.write_row
            for row in batch:
                write(row)

    # A list repeats its values (the day received, the event date, the status): each
    # hashable value is prepared once per field. Only dates, times and numbers are kept:
    # a value's own type decides its preparation, and True == 1 must not share a slot.
    cache: list[dict[Any, Any]] = [{} for _f in columns]
    keyed = (dt.date, dt.datetime, dt.time, str, int, float, Decimal)
    # The connection itself, not the thread-local proxy ``connection`` (the same object,
    # looked up once rather than at every attribute a field's preparation reads).
    database = connections[DEFAULT_DB_ALIAS]

    def prepare(field: Any, memo: dict[Any, Any], value: Any) -> Any:
        if value is None or type(value) not in keyed:
            return field.get_db_prep_save(value, database)
        key = (type(value), value)
        out = memo.get(key, memo)
        if out is memo:
            if len(memo) > 10_000:  # values that hardly repeat (birth dates): bounded
                memo.clear()
            out = memo[key] = field.get_db_prep_save(value, database)
        return out

    with connection.cursor() as cursor:
        for row in rows:
            batch.append(
                [
                    value if field is None else prepare(field, memo, value)
                    for field, memo, value in zip(prepared, cache, row, strict=True)
                ]
            )
            if len(batch) >= batch_size:
                flush(cursor)
                batch = []
        if batch:
            flush(cursor)


_IDENTITY_COLUMNS = ("person", "sealed", "birth_precision", "sex", "country", "division")


def people_create_bulk(
    *, actor: User, people: Sequence[PersonFields], batch_size: int = 2000
) -> list[Person]:
    """Create many people at once (a list import): the checks of :func:`person_create`
    for every one, the search index written for each, in a few queries per batch.

    Writes **no** ledger entry of its own: it runs inside the caller's transaction, and
    the caller (``detente.reconcile``'s import) appends one entry for the whole batch,
    with a digest over what was created. Returns the people in the order given, handles
    set.
    """
    require(actor, Action.RECORD)
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("people_create_bulk runs inside the caller's audited transaction")
    names = [f.name for f in dataclasses.fields(PersonFields)]
    checked = [check_person_fields(**{n: getattr(p, n) for n in names}) for p in people]
    created: list[Person] = []
    token_key = search.current_token_key()
    for start in range(0, len(checked), batch_size):
        chunk = checked[start : start + batch_size]
        made = Person.objects.bulk_create(
            [Person(handle=f"tmp-{secrets.token_hex(6)}", at_risk=f.at_risk) for f in chunk]
        )
        ids = [p.pk for p in made]
        # The handle derives from the id (as in person_create): one UPDATE for the chunk.
        digits = Cast("id", CharField())
        Person.objects.filter(pk__in=ids).update(
            handle=Case(
                When(id__lt=10_000, then=Concat(Value("P-"), LPad(digits, 4, Value("0")))),
                default=Concat(Value("P-"), digits),
                output_field=CharField(),
            )
        )
        for person in made:
            person.handle = f"P-{person.pk:04d}"
        insert_rows(
            Identity,
            _IDENTITY_COLUMNS,
            (
                (
                    p.pk,
                    seal_identity(p.pk, {n: getattr(f, n) for n in SEALED_IDENTITY_FIELDS}),
                    f.birth_precision,
                    f.sex,
                    f.country,
                    f.division,
                )
                for p, f in zip(made, chunk, strict=True)
            ),
        )
        insert_rows(
            NameToken,
            ("person", "token"),
            (
                (p.pk, t)
                for p, f in zip(made, chunk, strict=True)
                for t in sorted(
                    search.stored_tokens(
                        f.given_names,
                        f.paternal_surname,
                        f.maternal_surname,
                        list(f.aliases),
                        token_key,
                    )
                )
            ),
        )
        created.extend(made)
    return created


def custody_episode_add(
    *,
    actor: User,
    person: Person,
    status: str,
    start_date: dt.date,
    start_precision: str = DatePrecision.DAY,
    end_date: dt.date | None = None,
    end_precision: str = DatePrecision.DAY,
    place: str = "",
    note: str = "",
) -> CustodyEpisode:
    require(actor, Action.RECORD)
    if status not in CustodyStatus.values:
        raise invalid(
            "status",
            _("Unknown status “%(value)s”; expected one of: %(choices)s.")
            % {"value": status, "choices": ", ".join(CustodyStatus.values)},
        )
    check_precision("start_precision", start_precision)
    check_precision("end_precision", end_precision)
    _check_not_future("start_date", start_date)
    _check_not_future("end_date", end_date)
    start = PreciseDate.of(start_date, start_precision)
    end = PreciseDate.of(end_date, end_precision) if end_date else None
    if end is not None and end.certainly_before(start):
        raise invalid(
            "end_date",
            _("The episode ends (%(end)s) before it starts (%(start)s).")
            % {"end": end, "start": start},
        )
    place = check_text("place", place, 160)
    with transaction.atomic():
        ledger.serialize()
        episode = CustodyEpisode.objects.create(
            person=person,
            status=status,
            start_date=start.value,
            start_precision=start.precision,
            end_date=end.value if end else None,
            end_precision=end.precision if end else DatePrecision.DAY,
            place=place,
            note=note,
        )
        ledger.append(
            actor,
            "custody.add",
            episode,
            {
                "person": person.handle,
                "status": status,
                "start": str(start),
                "end": str(end) if end else None,
                "place": ledger.keyed_hash(place, person.handle),
            },
        )
        # A new arrest starts a new detention: member states are rederived from it.
        from detente.agreements.derivation import refresh_people

        refresh_people([person.pk])
    return episode


def first_arrest(person: Person) -> PreciseDate | None:
    """The start of the person's earliest custody episode, if any is recorded."""
    row = (
        CustodyEpisode.objects.filter(person=person)
        .order_by("start_date")
        .values_list("start_date", "start_precision")
        .first()
    )
    return PreciseDate.of(*row) if row else None


def person_set_at_risk(*, actor: User, person: Person, at_risk: bool) -> Person:
    """Flag (or clear) a person as at risk.

    Flagging takes effect at once everywhere: people at risk are hidden from the public
    even where an earlier public disclosure covered them (unless an administrator's
    override approved that disclosure).
    """
    require(actor, Action.RECORD)
    with transaction.atomic():
        before = Person.objects.select_for_update().get(pk=person.pk).at_risk
        person.at_risk = at_risk
        person.save(update_fields=["at_risk"])
        ledger.append(
            actor,
            "person.at_risk",
            person,
            {"handle": person.handle, "before": before, "after": at_risk},
        )
    return person


# --- A person's claims as a download ------------------------------------------------------

CLAIM_COLUMNS = (
    "id",
    "kind",
    "status",
    "event_date",
    "event_precision",
    "received_at",
    "source",
    "reliability",
    "credibility",
    "agreement",
    "corrects",
    "left_out",
    "evidence",
    "evidence_url",
)


def person_claims_download(viewer: Any, person: Person, *, fmt: str) -> list[dict[str, Any]]:
    """Every claim about ``person`` as the person page lists them to this viewer (staff):
    a protected source masked to those who do not manage sources, and its link left out;
    ``left_out`` for a claim retracted or superseded (not counted in the status). Read and
    recorded in one transaction: the ledger entry holds the format and the count."""
    from detente.evidence.models import Source
    from detente.registry.selectors import person_detail

    require(viewer, Action.READ)
    with transaction.atomic():
        # The file holds the claims, not the identity: recorded below as this download.
        detail = person_detail(viewer, person, action=None)
        shown = detail.as_json()
        void = {i for s in shown["statuses"] for i in s["void_claims"]}
        objects = {c.pk: c for c in detail.claims}
        slugs = [c["source"] for c in shown["claims"] if c["source"] != PROTECTED]
        names = dict(Source.objects.filter(slug__in=slugs).values_list("slug", "name"))
        rows = []
        for c in shown["claims"]:
            protected = c["source"] == PROTECTED  # masked by the selector for this viewer
            rows.append(
                {
                    "id": c["id"],
                    "kind": c["kind"],
                    "status": c["status"],
                    "event_date": c["event_date"],
                    "event_precision": c["event_precision"],
                    "received_at": c["received_at"],
                    "source": PROTECTED if protected else names.get(c["source"], c["source"]),
                    "reliability": c["reliability"],
                    "credibility": c["credibility"],
                    "agreement": c["agreement"],
                    "corrects": c["corrects"],
                    "left_out": c["id"] in void,
                    "evidence": c["evidence"],
                    # A link can name whoever gave it: not given where the source is masked.
                    "evidence_url": "" if protected else objects[c["id"]].evidence_url,
                }
            )
        ledger.record_download(
            viewer,
            "person.claims.export",
            fmt=fmt,
            filters={"person": detail.person.handle},
            count=len(rows),
            people=[detail.person.handle],
        )
    return rows
