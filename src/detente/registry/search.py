"""Finding people by name the way names are really written.

A person recorded as "José Luis Gómez Vázquez" is looked for as "jose gomez", "Pepe
Gomez", "Gómez Vásquez José", "JOSE LUIS VAZQUEZ". Comparing the query with every identity
in Python would read the whole registry on each keystroke, so the registry keeps an index
(``NameToken``): for each person, every word of their names folded (case, accents and
punctuation removed), nicknames resolved to the given names they stand for, and a Spanish
phonetic key of each word. A query is cut into words the same way; each query word becomes
a *group* of acceptable tokens (the word, its expansions, their phonetic keys), and the
database returns the people who match the most groups, through the ``(token, person)``
index. Only those few candidates are then read and ranked with rapidfuzz.

What it tolerates: accents and case, one surname missing, surnames in either order, a
nickname (Pepe → José, Maricarmen → María del Carmen), the usual abbreviations (Ma.,
Fco., Glez.), spellings that sound alike (Vázquez / Vásquez, Yoandri / Yoandry), and a
last word still being typed (prefix). Typing errors that change the sound ("Perex") are
left to the matching work; see ``detente.matching``.

The tokens are stored keyed (a blind index): an HMAC of each form under a key derived
from the data key of ``registry.name_index``, so the table names no one to whoever holds
the database without the master key. What it still shows is which people share a word
(the same token): docs/keys.md says so. A last word still being typed is found through
keyed prefixes of each word (three letters and more) rather than a range of plain words.

The index is written by the registry services with the identity
(:func:`index_identity`); :func:`rebuild` refills it after a bulk load that bypassed them,
and after `detente keys rotate --data` (queries look under every key version meanwhile).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q, QuerySet
from rapidfuzz import fuzz

from detente.access.policy import Action, Viewer, can
from detente.audit import ledger
from detente.keys import ring
from detente.matching.names import (
    canonical_given,
    fold,
    given_variants,
    normalise_given,
    normalise_surname,
    phonetic_key,
)
from detente.matching.records import record_from_text
from detente.registry.models import Identity, NameToken, Person, absorbed

# Particles and fillers carry no identity of their own ("de la Cruz" is found by "cruz").
_SKIP = frozenset({"de", "del", "la", "las", "los", "y", "e", "el", "da", "do", "dos"})
PHONETIC = "~"  # marks a phonetic key; sorts after every letter and digit
TOKEN_MAX = 64
CANDIDATES = 100  # people read and ranked per query (the page shows 50)
PREFIX_MIN = 3  # a last word shorter than this is not completed
PREFIX_MAX = 12  # longer words are completed from their first twelve letters
PREFIX = "^"  # marks a prefix of a word before it is keyed
NAME_INDEX_CLASS = "registry.name_index"
KEYED_LENGTH = 32  # hex digits of the HMAC kept: 128 bits
_HANDLE = re.compile(r"^\s*p\s*-?\s*(\d{1,9})\s*$", re.IGNORECASE)


def _word_forms(word: str, *, given: bool) -> set[str]:
    """A folded word, its expansions and the given names its nickname stands for."""
    forms = {word}
    if given:
        forms.add(normalise_given(word))
        for reading in given_variants(word):
            forms.update(reading.split())
    else:
        forms.add(normalise_surname(word, keep_particles=True))
    return {f for f in forms if f}


def _with_phonetic(words: Iterable[str]) -> set[str]:
    out: set[str] = set()
    for word in words:
        if len(word) < 2 or word in _SKIP:
            continue
        out.add(word[:TOKEN_MAX])
        key = phonetic_key(word)
        if key:
            out.add((PHONETIC + key)[:TOKEN_MAX])
    return out


def identity_tokens(
    given_names: str, paternal_surname: str, maternal_surname: str, aliases: Sequence[str]
) -> set[str]:
    """Every token under which a person with these names is found.

    Pure: the data migration that fills the index for existing people calls it too.
    """
    words: set[str] = set()
    for text in (given_names, *aliases):
        folded = fold(text)
        for word in folded.split():
            words |= _word_forms(word, given=True)
        # Two-word nicknames ("Mari Carmen", "Pepe Luis") resolve only as a whole.
        for reading in given_variants(folded):
            words.update(reading.split())
    for text in (paternal_surname, maternal_surname):
        for word in fold(text).split():
            words |= _word_forms(word, given=False)
    return _with_phonetic(words)


def _prefixes(tokens: Iterable[str]) -> set[str]:
    return {
        PREFIX + word[:n]
        for word in tokens
        if not word.startswith(PHONETIC)
        for n in range(PREFIX_MIN, min(len(word), PREFIX_MAX) + 1)
    }


def token_key(data_key: bytes) -> bytes:
    """The key that tokens are keyed with, derived from one name-index data key."""
    return hmac.new(data_key, b"detente name search token", hashlib.sha256).digest()


def keyed(tokens: Iterable[str], key: bytes) -> set[str]:
    return {
        hmac.new(key, t.encode("utf-8"), hashlib.sha256).hexdigest()[:KEYED_LENGTH] for t in tokens
    }


def current_token_key() -> bytes:
    return token_key(ring.current(NAME_INDEX_CLASS).raw)


def stored_tokens(
    given_names: str,
    paternal_surname: str,
    maternal_surname: str,
    aliases: Sequence[str],
    key: bytes | None = None,
) -> set[str]:
    """The keyed tokens stored for a person with these names (phonetic keys of every
    form, and prefixes of every word), under ``key`` (the current one by default)."""
    plain = identity_tokens(given_names, paternal_surname, maternal_surname, aliases)
    return keyed(
        {t for t in plain if t.startswith(PHONETIC)} | _prefixes(plain),
        key if key is not None else current_token_key(),
    )


@dataclass(frozen=True)
class ParsedQuery:
    groups: list[frozenset[str]]  # per query word: the phonetic keys that count as it
    exact: frozenset[str]  # the words as typed (folded): matching them ranks higher
    prefix: str  # the last word, when it may still be being typed ("" otherwise)
    text: str  # folded, nicknames resolved: what candidates are ranked against
    typed: str = ""  # the query as typed: the linkage model scores candidates against it


def parse_query(text: str) -> ParsedQuery:
    """Cut a query into words, each with the phonetic keys of every form it may stand for.

    Matching goes through the phonetic keys only: a word's own key is always among its
    forms' keys, and one row per person and word halves what the database reads.
    """
    folded = fold(text)
    words = [w for w in folded.split() if len(w) >= 2 and w not in _SKIP]
    groups = [
        frozenset(
            t
            for t in _with_phonetic(_word_forms(w, given=True) | _word_forms(w, given=False))
            if t.startswith(PHONETIC)
        )
        for w in words
    ]
    still_typing = bool(words) and not text.endswith(" ") and folded.endswith(words[-1])
    prefix = words[-1] if still_typing and len(words[-1]) >= PREFIX_MIN else ""
    return ParsedQuery(groups, frozenset(words), prefix, canonical_given(folded), text)


def handle_from_query(text: str) -> str | None:
    """``P-17``, ``p0017`` or ``P 17`` → ``P-0017`` (the form handles are made in)."""
    match = _HANDLE.match(text)
    return f"P-{int(match.group(1)):04d}" if match else None


def required_groups(count: int) -> int:
    """How many query words must match: all of one or two; one may be missing from longer
    queries (a second surname or a middle name the registry does not have)."""
    return count if count <= 2 else count - 1


def candidate_ids(
    query: ParsedQuery, limit: int = CANDIDATES, within: QuerySet[Person] | None = None
) -> list[tuple[int, int]]:
    """(person id, query words matched) of the people matching enough words, most first.

    One index lookup per query word (``(token, person)`` covers it), counted in Python:
    cheaper than one grouped query when a common name matches thousands of rows.
    ``within`` narrows the search to those people (``None``: the whole registry).
    """
    if not query.groups:
        return []
    tokens = NameToken.objects.all()
    if within is not None:
        tokens = tokens.filter(person__in=within.values("pk"))
    counts: Counter[int] = Counter()
    last = len(query.groups) - 1
    # Every version of the key: after a rotation, people not yet indexed again are found.
    keys = [token_key(k.raw) for k in ring.every_version(NAME_INDEX_CLASS)]
    for index, group in enumerate(query.groups):
        wanted = set(group)
        if query.prefix and index == last:
            wanted.add(PREFIX + query.prefix[:PREFIX_MAX])
        hashed: set[str] = set()
        for key in keys:
            hashed |= keyed(wanted, key)
        condition = Q(token__in=sorted(hashed))
        counts.update(set(tokens.filter(condition).values_list("person_id", flat=True)))
    need = required_groups(len(query.groups))
    found = [(pid, n) for pid, n in counts.items() if n >= need]
    found.sort(key=lambda row: (-row[1], row[0]))
    return found[:limit]


def renderings(identity: Identity) -> list[str]:
    """The ways a name is commonly written: in full, with one surname, surnames first,
    with the first given name only; and every alias as recorded."""
    given = identity.given_names
    first = given.split()[0] if given.split() else ""
    paternal, maternal = identity.paternal_surname, identity.maternal_surname
    forms = [
        identity.full_name,
        f"{given} {paternal}",
        f"{first} {paternal}",
        f"{first} {paternal} {maternal}",
        f"{paternal} {maternal} {given}",
        *identity.aliases,
    ]
    return [f for f in forms if f.strip()]


def score(query: ParsedQuery, names: Iterable[str]) -> tuple[float, float]:
    """How well the best of a person's names (full name, aliases) fits the query.

    First how many of the query's words the name holds (order-free), then how alike the
    two are as written, so "José Pérez" puts José Pérez García before Juan José Pérez.
    """
    best = (0.0, 0.0)
    for name in names:
        text = canonical_given(fold(name))
        best = max(best, (fuzz.token_set_ratio(query.text, text), fuzz.ratio(query.text, text)))
    return best


def rank(query: ParsedQuery, people: Iterable[Person], matched: dict[int, int]) -> list[Person]:
    """Order candidate people (identities selected): query words matched, then the linkage
    model's weight of the pair (the same model and term frequencies as imports and
    ``detente match``: a rare surname agreeing counts for more than "Rodríguez"), then
    words found as typed (a nickname typed that is recorded as an alias) and closeness."""
    from detente.matching.registry import record_from_identity, registry_index

    index = registry_index()
    model, tf = index.model, index.tf
    asked = record_from_text(query.typed) if query.typed else None
    scored: list[tuple[int, float, int, float, float, str, Person]] = []
    for person in people:
        names = renderings(person.identity)
        typed = len(query.exact & set(fold(" ".join(names)).split()))
        close, alike = score(query, names)
        words = matched.get(person.pk, 0)
        weight = (
            round(model.pair_weight(asked, record_from_identity(person.identity), tf), 3)
            if asked is not None
            else 0.0
        )
        scored.append((-words, -weight, -typed, -close, -alike, person.handle, person))
    scored.sort(key=lambda row: row[:6])
    return [row[6] for row in scored]


def index_identity(identity: Identity) -> None:
    """Rewrite one person's tokens from their identity (inside the caller's transaction)."""
    person_id = identity.person_id
    tokens = stored_tokens(
        identity.given_names,
        identity.paternal_surname,
        identity.maternal_surname,
        list(identity.aliases or ()),
    )
    NameToken.objects.filter(person_id=person_id).delete()
    NameToken.objects.bulk_create(
        [NameToken(person_id=person_id, token=t) for t in sorted(tokens)], batch_size=500
    )


def rebuild(person_ids: Iterable[int] | None = None, batch: int = 2000) -> int:
    """Refill the index for these people (everyone when None), keyed with the current
    key; returns tokens written.

    For loaders that create identities in bulk without the services (bench/, imports),
    and for `detente keys rotate --data`. A merged person's names stay on the survivor
    (``reconcile``): rebuilding everyone keeps them there.
    """
    qs = Identity.objects.order_by("person_id")
    if person_ids is not None:
        qs = qs.filter(person_id__in=list(person_ids))
    key = current_token_key()
    written = 0
    ids = list(qs.values_list("person_id", flat=True))
    for start in range(0, len(ids), batch):
        chunk = ids[start : start + batch]
        # A merged person is found as the survivor: their names are the survivor's tokens.
        merged_into = absorbed(chunk)
        merged = set(
            Person.objects.filter(pk__in=chunk, merged_into__isnull=False).values_list(
                "pk", flat=True
            )
        )
        names: dict[int, set[str]] = {}
        wanted = {*chunk, *merged_into}
        for identity in Identity.objects.filter(person_id__in=wanted).iterator(chunk_size=2000):
            owner = merged_into.get(identity.person_id, identity.person_id)
            names.setdefault(owner, set()).update(
                stored_tokens(
                    identity.given_names,
                    identity.paternal_surname,
                    identity.maternal_surname,
                    list(identity.aliases or ()),
                    key,
                )
            )
        with transaction.atomic():
            NameToken.objects.filter(person_id__in=chunk).delete()
            objs = [
                NameToken(person_id=pid, token=t)
                for pid in chunk
                if pid not in merged
                for t in sorted(names.get(pid, ()))
            ]
            NameToken.objects.bulk_create(objs, batch_size=5000)
            written += len(objs)
    return written


def reseal(batch_size: int) -> int:
    """`detente keys rotate --data`: every person's tokens keyed again with the current
    key (queries look under every version meanwhile)."""
    return rebuild(batch=batch_size)


def person_search(viewer: Viewer, text: str, limit: int = 50) -> list[Person]:
    """People whose names fit ``text`` (or whose handle it is), best first.

    A selector: only people the viewer may know exist, and a name is matched only where
    the viewer may see it (a search must not reveal a hidden identity by answering). The
    identities shown in the answer are recorded in the ledger as seen.
    """
    from detente.registry.selectors import person_list

    visible = person_list(viewer).filter(identity_visible=True)  # type: ignore[misc]
    handle = handle_from_query(text)
    if handle is not None:
        found = list(person_list(viewer).filter(handle=handle))
    else:
        query = parse_query(text)
        # Staff may see every identity; anyone else searches only the names shown to them.
        scope = None if can(viewer, Action.READ) else visible
        ranked = candidate_ids(query, limit=CANDIDATES, within=scope)
        matched = dict(ranked)
        found = rank(query, visible.filter(pk__in=list(matched)), matched)[:limit]
    ledger.record_access(
        viewer,
        "person.search",
        [p.handle for p in found if p.identity_visible],  # type: ignore[attr-defined]
    )
    return found
