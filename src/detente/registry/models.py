"""People, their identities and custody episodes.

Identity (anything that names or locates a person) lives in ``Identity`` and nowhere else,
so that encryption and redaction can be applied in one place. ``Person`` carries only the
stable pseudonymous handle and non-identifying facts.
"""

from __future__ import annotations

import datetime as dt
import json
import unicodedata
from collections.abc import Iterable
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from detente.core.dates import DatePrecision, PreciseDate
from detente.keys import ring
from detente.registry.status import CustodyStatus


class Sex(models.TextChoices):
    FEMALE = "F", _("Female")
    MALE = "M", _("Male")
    OTHER = "X", _("Other or not recorded")


class Person(models.Model):
    handle = models.CharField(_("handle"), max_length=16, unique=True, editable=False)
    at_risk = models.BooleanField(
        _("at risk"),
        default=False,
        help_text=_("People at risk are never published without an audited override."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    # Set when this person was found to be another one (``detente.reconcile`` merge): the
    # survivor keeps the handle, this record stays (claims are immutable and keep pointing
    # here) and is counted as the survivor. Cleared by a split.
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged_people",
        verbose_name=_("merged into"),
    )

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.handle


# A merge chain longer than this is a bug (a cycle): stop following it.
_MAX_CHAIN = 50


def survivors(person_ids: Iterable[int]) -> dict[int, int]:
    """Each id → the person it counts as now: itself, or the person it was merged into
    (followed to the end of a chain of merges)."""
    out = {pid: pid for pid in person_ids}
    pending = set(out)
    for _step in range(_MAX_CHAIN):
        step = dict(
            Person.objects.filter(pk__in=pending, merged_into__isnull=False).values_list(
                "pk", "merged_into_id"
            )
        )
        if not step:
            break
        for start, current in out.items():
            if current in step:
                out[start] = step[current]
        pending = set(step.values())
    return out


def absorbed(person_ids: Iterable[int] | None = None) -> dict[int, int]:
    """People merged (directly or along a chain) into these people → the one of them they
    count as. ``None``: every merged person → their final survivor."""
    if person_ids is None:
        merged = list(Person.objects.filter(merged_into__isnull=False).values_list("pk", flat=True))
        return survivors(merged)
    out: dict[int, int] = {}
    root = {pid: pid for pid in person_ids}
    frontier = set(root)
    for _step in range(_MAX_CHAIN):
        step = list(
            Person.objects.filter(merged_into__in=frontier).values_list("pk", "merged_into_id")
        )
        if not step:
            break
        frontier = set()
        for pid, into in step:
            if pid in out or pid in root:
                continue
            out[pid] = root.get(into, out.get(into, into))
            frontier.add(pid)
    return out


IDENTITY_CLASS = "registry.identity"
# The identity's fields kept sealed together (``Identity.sealed``); the rest of the row
# (sex, country and first-level division, how precise the birth date is) is coarse enough
# to count and filter on in SQL and stays plain (docs/keys.md).
SEALED_IDENTITY_FIELDS = (
    "given_names",
    "paternal_surname",
    "maternal_surname",
    "aliases",
    "birth_date",
    "province",
    "municipality",
    "affiliation",
)
_EMPTY: dict[str, Any] = {
    "given_names": "",
    "paternal_surname": "",
    "maternal_surname": "",
    "aliases": [],
    "birth_date": None,
    "province": "",
    "municipality": "",
    "affiliation": "",
}


def identity_ref(person_id: Any) -> str:
    """What an identity's ciphertext is bound to: its person (known before the insert)."""
    return f"identity:{person_id}"


def pack_identity(values: dict[str, Any]) -> str:
    """The sealed fields as the JSON text that is sealed (dates as ISO text)."""
    out = {f: values.get(f, _EMPTY[f]) for f in SEALED_IDENTITY_FIELDS}
    out["aliases"] = list(out["aliases"] or ())
    born = out["birth_date"]
    out["birth_date"] = born.isoformat() if born else None
    return json.dumps(out, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def unpack_identity(text: str) -> dict[str, Any]:
    found = json.loads(text)
    out = {f: found.get(f) or _EMPTY[f] for f in SEALED_IDENTITY_FIELDS}
    out["aliases"] = list(out["aliases"])
    if out["birth_date"]:
        out["birth_date"] = dt.date.fromisoformat(out["birth_date"])
    return out


# Opened identities, by (person, ciphertext): a ciphertext is new at every write (a fresh
# nonce), so an entry is never stale. Lists sorted by name and the candidate index read
# the same identities again and again; bounded, then simply started again.
_OPENED: dict[tuple[Any, str], dict[str, Any]] = {}
_OPENED_MAX = 250_000


def open_identity(person_id: Any, sealed: str) -> dict[str, Any]:
    """The sealed fields of a person's identity (``ring.Undecryptable`` when they do not
    open: altered, moved from another person, or the key is gone). A copy: change it
    freely."""
    key = (person_id, sealed)
    found = _OPENED.get(key)
    if found is None:
        text = ring.open_text(
            IDENTITY_CLASS, identity_ref(person_id), sealed, f"identity of person {person_id}"
        )
        found = unpack_identity(text)
        if len(_OPENED) >= _OPENED_MAX:
            _OPENED.clear()
            _SORT_KEYS.clear()
        _OPENED[key] = found
        _SORT_KEYS[person_id] = (
            sealed[-SORT_TAIL:],
            f"{_sortable(found['paternal_surname'])}\x00{_sortable(found['maternal_surname'])}",
        )
    return {**found, "aliases": list(found["aliases"])}


# Each opened person's name as lists sort it (surnames, folded), with the last characters
# of the ciphertext it was read from (its GCM tag, new at every write): a list sorted by
# name reads that tail of each identity, not the whole sealed text, to know whether the
# key it holds is still the name stored.
SORT_TAIL = 24
_SORT_KEYS: dict[Any, tuple[str, str]] = {}


def _sortable(name: str) -> str:
    """A surname as a reader expects it sorted: case and accents aside (Céspedes before
    Chávez, Ávila among the A)."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def name_sort_key(person_id: Any, tail: str) -> str | None:
    """The person's sort key by name if it was opened in this process from the
    ciphertext ending in ``tail``; ``None`` when it must be opened (again)."""
    known = _SORT_KEYS.get(person_id)
    return known[1] if known is not None and known[0] == tail else None


def seal_identity(person_id: Any, values: dict[str, Any]) -> str:
    return ring.seal_text(IDENTITY_CLASS, identity_ref(person_id), pack_identity(values))


def _sealed_field(name: str) -> Any:
    def get(self: Identity) -> Any:
        return self._opened()[name]

    def set_(self: Identity, value: Any) -> None:
        self._opened()[name] = value
        self._dirty = True

    return property(get, set_)


class IdentityQuerySet(models.QuerySet["Identity"]):
    def bulk_create(self, objs: Iterable[Identity], *args: Any, **kwargs: Any) -> list[Identity]:
        objs = list(objs)
        for obj in objs:
            obj.seal()  # no save() is called: sealed here, each bound to its person
        return super().bulk_create(objs, *args, **kwargs)


class Identity(models.Model):
    """Everything that identifies a person; confidential by default.

    The names, aliases, birth date and places are stored sealed together (``sealed``,
    AES-GCM with the data key of ``registry.identity``, bound to the person; docs/keys.md)
    and read and set as before (``identity.given_names``). They cannot be filtered or
    ordered on in SQL: the staff search goes through keyed tokens (``NameToken``), and
    matching through the in-memory candidate index.
    """

    person = models.OneToOneField(Person, on_delete=models.CASCADE, related_name="identity")
    sealed = models.TextField(_("identity (sealed)"), editable=False)
    birth_precision = models.CharField(
        _("birth date precision"),
        max_length=5,
        choices=DatePrecision.choices,
        default=DatePrecision.DAY,
    )
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices, default=Sex.OTHER)
    # ISO 3166-1 alpha-2 and a first-level division of it (ISO 3166-2), read from the
    # province as written when none is given (``core.places``); ``province`` keeps the text.
    country = models.CharField(_("country"), max_length=2, blank=True)
    division = models.CharField(_("division"), max_length=8, blank=True)

    given_names: str = _sealed_field("given_names")  # at most 120 characters
    paternal_surname: str = _sealed_field("paternal_surname")  # at most 80
    maternal_surname: str = _sealed_field("maternal_surname")  # at most 80
    aliases: list[str] = _sealed_field("aliases")  # aliases and other spellings
    birth_date: dt.date | None = _sealed_field("birth_date")
    province: str = _sealed_field("province")  # as written; at most 80
    municipality: str = _sealed_field("municipality")  # at most 80
    affiliation: str = _sealed_field("affiliation")  # at most 160

    objects = IdentityQuerySet.as_manager()

    _plain: dict[str, Any] | None = None
    _dirty = False

    class Meta:
        verbose_name = _("identity")
        verbose_name_plural = _("identities")

    def __str__(self) -> str:
        return self.full_name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.seal()
        super().save(*args, **kwargs)

    def _opened(self) -> dict[str, Any]:
        if self._plain is None:
            if not self.sealed:
                self._plain = {**_EMPTY, "aliases": []}
            else:
                self._plain = open_identity(self.person_id, self.sealed)
        return self._plain

    def seal(self) -> None:
        """Seal the fields set since the row was read (or all of a new row)."""
        if self._dirty or not self.sealed:
            self.sealed = seal_identity(self.person_id, self._opened())
            self._dirty = False

    def refresh_from_db(self, *args: Any, **kwargs: Any) -> None:
        super().refresh_from_db(*args, **kwargs)
        self._plain, self._dirty = None, False  # opened again from the row

    @property
    def full_name(self) -> str:
        parts = (self.given_names, self.paternal_surname, self.maternal_surname)
        return " ".join(p for p in parts if p)

    @property
    def birth(self) -> PreciseDate | None:
        if self.birth_date is None:
            return None
        return PreciseDate.of(self.birth_date, self.birth_precision)


class CustodyEpisode(models.Model):
    """A period in one custody status, as recorded in the registry (not a claim)."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="episodes")
    status = models.CharField(_("status"), max_length=32, choices=CustodyStatus.choices)
    start_date = models.DateField(_("start date"))
    start_precision = models.CharField(
        max_length=5, choices=DatePrecision.choices, default=DatePrecision.DAY
    )
    end_date = models.DateField(_("end date"), null=True, blank=True)
    end_precision = models.CharField(
        max_length=5, choices=DatePrecision.choices, default=DatePrecision.DAY
    )
    place = models.CharField(_("place of detention"), max_length=160, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("custody episode")
        verbose_name_plural = _("custody episodes")
        ordering = ["person_id", "start_date", "id"]

    def __str__(self) -> str:
        return f"{self.person} {self.status} {self.start_date}"

    @property
    def start(self) -> PreciseDate:
        return PreciseDate.of(self.start_date, self.start_precision)


class NameToken(models.Model):
    """One searchable form of a word of a person's names (see ``registry.search``).

    Derived from ``Identity`` and rebuilt from it whenever it is written, so the staff
    search can find "Pepe Perez" by index lookups instead of reading every identity. It
    holds keyed hashes (a blind index) of the words' phonetic keys and prefixes, never the
    words: who shares a word still shows, so it is confidential like the identity itself
    (never shown, never in the ledger).
    """

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+", db_index=False)
    token = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("name search token")
        verbose_name_plural = _("name search tokens")
        constraints = [
            models.UniqueConstraint(fields=["person", "token"], name="one_token_per_person")
        ]
        # Covers the search query (token lookups that only need the person's id).
        indexes = [models.Index(fields=["token", "person"], name="registry_token_person")]

    def __str__(self) -> str:
        return f"{self.person_id}:{self.token}"
