"""Writes to the registry. Each service checks, changes and audits in one transaction."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from detente.access.policy import Action, require
from detente.audit import ledger
from detente.core.dates import DatePrecision, PreciseDate
from detente.core.errors import check_precision, check_text, invalid
from detente.registry.models import CustodyEpisode, Identity, Person, Sex
from detente.registry.status import CustodyStatus

IDENTITY_FIELDS = (
    "given_names",
    "paternal_surname",
    "maternal_surname",
    "aliases",
    "birth_date",
    "birth_precision",
    "sex",
    "province",
    "municipality",
    "affiliation",
)


def _check_not_future(field: str, value: dt.date | None) -> None:
    if value is not None and value > timezone.now().date():
        raise invalid(field, _("The date %(date)s is in the future.") % {"date": value})


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
) -> Person:
    require(actor, Action.RECORD)
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
    check_precision("birth_precision", birth_precision)
    _check_not_future("birth_date", birth_date)
    if sex not in Sex.values:
        raise invalid("sex", _("Unknown sex “%(value)s”; use F, M or X.") % {"value": sex})
    if birth_date is not None:
        birth_date = PreciseDate.of(birth_date, birth_precision).value
    with transaction.atomic():
        # The handle derives from the id, so a unique placeholder comes first.
        person = Person.objects.create(handle=f"tmp-{secrets.token_hex(5)}", at_risk=at_risk)
        person.handle = f"P-{person.pk:04d}"
        person.save(update_fields=["handle"])
        identity = Identity.objects.create(
            person=person,
            given_names=given_names.strip(),
            paternal_surname=paternal_surname.strip(),
            maternal_surname=maternal_surname.strip(),
            aliases=[a.strip() for a in aliases if a.strip()],
            birth_date=birth_date,
            birth_precision=birth_precision,
            sex=sex,
            province=province.strip(),
            municipality=municipality.strip(),
            affiliation=affiliation.strip(),
        )
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
