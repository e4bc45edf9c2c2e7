"""The project's own Hispanic-name linkage benchmark: a registry, an incoming list, the truth.

``generate(registry_size, incoming_size, seed)`` builds, deterministically from the seed:

* a **registry** of synthetic Cuban-style people (:mod:`detente.demo.names`), written the
  way a careful registry writes them (accents, both surnames, a birth date to the day,
  month or year), including **twin-like near-duplicates**: pairs of different people with
  the same surnames, birth date and place and a different given name (often sharing the
  first word of it, "José Luis" / "José Carlos");
* an **incoming list**, as another organisation would send it: most rows are registry
  people (``person`` = their registry row), the rest are people the registry does not hold
  (``person`` = None) -- some of them siblings of registry people (same surnames and place,
  another given name and birth date), the hardest kind of non-match;
* the **corruptions** applied to each incoming row, counted, so the figures can be read
  against the model below.

Corruption model (each applied independently to an incoming row, in this order; rates are
per row unless said otherwise):

==========================  ======  ==========================================================
corruption                  rate    what happens
==========================  ======  ==========================================================
nickname                    8 %     given name replaced by a hypocoristic (Pepe, Cachita,
                                    Mongo, Yoyi...; drawn from the demo's own table, which
                                    is not the matcher's table, so some are unknown to it)
compound given name cut     30 %    of compound names: only the first word kept ("José
                                    Luis" -> "José"), or, one time in four, only the second
coined-name spelling        25 %    of names with a known variant: Yoani/Yoany,
                                    Yordanis/Yordanys, Yunior/Junior, Dayron/Dairon...
abbreviation                6 %     "María" -> "Ma.", "Francisco" -> "Fco.", "José" ->
                                    "J.", "Rodríguez" -> "Rguez.", "González" -> "Glez."...
typo                        10 %    one keyboard slip in the given name or a surname
                                    (substitution, deletion, insertion or transposition)
maternal surname missing    15 %
surnames swapped            4 %     maternal written first
accents dropped             60 %
upper case                  30 %
birth date missing          8 %
birth year only             10 %
day and month transposed    3 %     when the day is 12 or less
one digit wrong             3 %
year off by one             2 %
written DD/MM/YYYY          30 %    of the dates still known to the day
province missing            15 %
municipality missing        30 %
other municipality          5 %     of the same province (moved, or the place of arrest)
other province              2 %
==========================  ======  ==========================================================

Common surnames are shared as in life: the demo draws surnames by rank (Rodríguez,
González, Hernández... are frequent), so many unrelated people share both surnames.

Run ``.venv/bin/python -m bench.matching.hispanic --registry 1000 --incoming 200`` to see a
sample.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime as dt
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from detente.demo import names as demo

__all__ = ["Benchmark", "Row", "generate"]

TWIN_SHARE = 0.02  # of the registry: people who have a twin-like near-duplicate there
SIMILAR_TWIN_SHARE = 0.4  # of twins: the given names share their first word
SIBLING_SHARE_OF_NEW = 0.25  # of the incoming people not in the registry

RATES = {
    "nickname": 0.08,
    "compound_cut": 0.30,
    "coined_variant": 0.25,
    "abbreviation": 0.06,
    "typo": 0.10,
    "maternal_missing": 0.15,
    "surnames_swapped": 0.04,
    "accents_dropped": 0.60,
    "upper_case": 0.30,
    "birth_missing": 0.08,
    "birth_year_only": 0.10,
    "birth_transposed": 0.03,
    "birth_digit": 0.03,
    "birth_year_off": 0.02,
    "birth_day_first": 0.30,
    "province_missing": 0.15,
    "municipality_missing": 0.30,
    "municipality_other": 0.05,
    "province_other": 0.02,
}

_GIVEN_ABBREVIATIONS = {
    "María": "Ma.",
    "Francisco": "Fco.",
    "José": "J.",
    "Juan": "Jn.",
    "Antonio": "Ant.",
    "Manuel": "Mnl.",
    "Guillermo": "Gmo.",
    "Fernando": "Fdo.",
}
_SURNAME_ABBREVIATIONS = {
    "Rodríguez": "Rguez.",
    "González": "Glez.",
    "Hernández": "Hdez.",
    "Fernández": "Fdez.",
    "Martínez": "Mtnez.",
    "Gutiérrez": "Gtrrez.",
    "Domínguez": "Dguez.",
    "Jiménez": "Jmnez.",
    "Sánchez": "Schez.",
    "Álvarez": "Alvz.",
}
_ACCENTS = str.maketrans("áéíóúüñÁÉÍÓÚÜÑ", "aeiouunAEIOUUN")
# Neighbours on a Spanish keyboard, for substitution typos.
_KEYBOARD = "qwertyuiop asdfghjklñ zxcvbnm"


@dataclass(frozen=True)
class Row:
    """One row of a list. ``birth`` is "" (unknown), "YYYY", "YYYY-MM", "YYYY-MM-DD" or
    "DD/MM/YYYY"; ``person`` is the registry row of the same person (None: not in it)."""

    id: str
    given_names: str
    paternal_surname: str
    maternal_surname: str
    birth: str
    sex: str
    province: str
    municipality: str
    person: int | None


@dataclass
class Benchmark:
    registry: list[Row]
    incoming: list[Row]
    corruptions: Counter[str]
    twins: int

    @property
    def true_links(self) -> set[tuple[str, str]]:
        return {(r.id, self.registry[r.person].id) for r in self.incoming if r.person is not None}


def _birth_text(person: demo.SyntheticPerson) -> str:
    if person.birth_precision == "year":
        return f"{person.birth_date.year:04d}"
    if person.birth_precision == "month":
        return person.birth_date.strftime("%Y-%m")
    return person.birth_date.isoformat()


def _row(row_id: str, person: demo.SyntheticPerson, registry_row: int | None) -> Row:
    return Row(
        id=row_id,
        given_names=person.given_names,
        paternal_surname=person.paternal_surname,
        maternal_surname=person.maternal_surname,
        birth=_birth_text(person),
        sex=person.sex,
        province=person.province,
        municipality=person.municipality,
        person=registry_row,
    )


def _relative(
    rng: random.Random, gen: demo.PersonGenerator, base: demo.SyntheticPerson, *, twin: bool
) -> demo.SyntheticPerson:
    """A different person from ``base``'s family: same surnames and place, another given
    name; a twin has the same birth date, a sibling another one."""
    sex = "F" if rng.random() < 0.5 else "M"
    first = base.given_names.split()[0]
    for _ in range(50):
        given = gen.given_name(sex, base.birth_date.year)
        if twin and sex == base.sex and rng.random() < SIMILAR_TWIN_SHARE:
            # "José Luis" and "José Carlos": twins whose names differ only in the second word.
            second = gen.given_name(sex, base.birth_date.year).split()[-1]
            given = f"{first} {second}" if second != first else given
        if given != base.given_names:
            break
    if twin:
        birth, precision = base.birth_date, base.birth_precision
    else:
        gap = rng.choice((-6, -4, -3, -2, 2, 3, 5, 7))
        day = base.birth_date + dt.timedelta(days=365 * gap + rng.randrange(-150, 150))
        birth, precision = day, "day"
    return dataclasses.replace(
        base, given_names=given, sex=sex, birth_date=birth, birth_precision=precision
    )


def _typo(rng: random.Random, word: str) -> str:
    if len(word) < 3:
        return word
    pos = rng.randrange(1, len(word) - 1)
    kind = rng.randrange(4)
    if kind == 0:  # substitution by a keyboard neighbour
        low = word[pos].lower()
        at = _KEYBOARD.find(low)
        if at < 0:
            return word
        near = [c for c in _KEYBOARD[max(at - 1, 0) : at + 2] if c not in (" ", low)]
        return word[:pos] + rng.choice(near) + word[pos + 1 :] if near else word
    if kind == 1:  # deletion
        return word[:pos] + word[pos + 1 :]
    if kind == 2:  # insertion (a doubled letter)
        return word[:pos] + word[pos] + word[pos:]
    return word[: pos - 1] + word[pos] + word[pos - 1] + word[pos + 1 :]  # transposition


def _corrupt(rng: random.Random, row: Row, birth: tuple[dt.date, str], counts: Counter[str]) -> Row:
    def hit(name: str) -> bool:
        if rng.random() < RATES[name]:
            counts[name] += 1
            return True
        return False

    given, paternal, maternal = row.given_names, row.paternal_surname, row.maternal_surname
    # Names.
    nicknames = demo._NICKNAMES.get(given) or demo._NICKNAMES.get(given.split()[0])
    if nicknames and hit("nickname"):
        given = rng.choice(nicknames)
    elif " " in given and hit("compound_cut"):
        words = given.split()
        given = words[-1] if rng.random() < 0.25 and len(words) == 2 else words[0]
    first, _, rest = given.partition(" ")
    variants = demo._VARIANTS.get(first)
    if variants and hit("coined_variant"):
        given = " ".join(p for p in (rng.choice(variants), rest) if p)
    if hit("abbreviation"):
        words = given.split()
        if words and words[0] in _GIVEN_ABBREVIATIONS and len(words) > 1:
            words[0] = _GIVEN_ABBREVIATIONS[words[0]]
            given = " ".join(words)
        elif paternal in _SURNAME_ABBREVIATIONS:
            paternal = _SURNAME_ABBREVIATIONS[paternal]
        elif maternal in _SURNAME_ABBREVIATIONS:
            maternal = _SURNAME_ABBREVIATIONS[maternal]
    if hit("typo"):
        which = rng.randrange(3)
        if which == 0:
            words = given.split()
            if words:
                at = rng.randrange(len(words))
                words[at] = _typo(rng, words[at])
                given = " ".join(words)
        elif which == 1 or not maternal:
            paternal = _typo(rng, paternal)
        else:
            maternal = _typo(rng, maternal)
    if maternal and hit("maternal_missing"):
        maternal = ""
    if maternal and hit("surnames_swapped"):
        paternal, maternal = maternal, paternal
    if hit("accents_dropped"):
        given, paternal, maternal = (x.translate(_ACCENTS) for x in (given, paternal, maternal))
    if hit("upper_case"):
        given, paternal, maternal = given.upper(), paternal.upper(), maternal.upper()
    # Birth date.
    day, precision = birth
    text = ""
    if not hit("birth_missing"):
        if precision == "day" and hit("birth_year_only"):
            precision = "year"
        if precision == "day":
            if day.day <= 12 and day.day != day.month and hit("birth_transposed"):
                day = day.replace(month=day.day, day=day.month)
            elif hit("birth_digit"):
                digits = list(day.strftime("%Y%m%d"))
                at = rng.choice((2, 3, 5, 7))  # a decade, year, month or day digit
                digits[at] = str((int(digits[at]) + rng.choice((1, -1))) % 10)
                # A slip that makes an impossible date is left out.
                with contextlib.suppress(ValueError):
                    day = dt.datetime.strptime("".join(digits), "%Y%m%d").date()  # noqa: DTZ007
            if hit("birth_year_off"):
                try:
                    day = day.replace(year=day.year + rng.choice((1, -1)))
                except ValueError:
                    day = day.replace(day=28, year=day.year + 1)
            text = day.strftime("%d/%m/%Y") if hit("birth_day_first") else day.isoformat()
        elif precision == "month":
            text = day.strftime("%Y-%m")
        else:
            text = f"{day.year:04d}"
    # Place.
    province, municipality = row.province, row.municipality
    if hit("province_other"):
        province = rng.choice([p for p in demo.CUBA_PROVINCES if p != province])
        municipality = rng.choice(demo.MUNICIPALITIES[province])
    elif hit("municipality_other"):
        others = [m for m in demo.MUNICIPALITIES[province] if m != municipality]
        municipality = rng.choice(others) if others else municipality
    if hit("municipality_missing"):
        municipality = ""
    if hit("province_missing"):
        province = ""
    return dataclasses.replace(
        row,
        given_names=given,
        paternal_surname=paternal,
        maternal_surname=maternal,
        birth=text,
        province=province,
        municipality=municipality,
    )


def generate(
    registry_size: int = 100_000,
    incoming_size: int = 20_000,
    *,
    seed: int = 2026,
    overlap: float = 0.8,
) -> Benchmark:
    """Registry, incoming list (``overlap`` of its rows are registry people) and the truth."""
    rng = random.Random(seed)
    gen = demo.PersonGenerator(seed)
    twins = int(registry_size * TWIN_SHARE / 2)
    people = gen.people(registry_size - twins)
    births = [(p.birth_date, p.birth_precision) for p in people]
    for base in rng.sample(range(len(people)), twins):
        twin = _relative(rng, gen, people[base], twin=True)
        people.append(twin)
        births.append((twin.birth_date, twin.birth_precision))
    order = list(range(len(people)))
    rng.shuffle(order)
    people = [people[i] for i in order]
    births = [births[i] for i in order]
    registry = [_row(f"R{i:06d}", p, i) for i, p in enumerate(people)]

    matched = rng.sample(range(len(registry)), int(incoming_size * overlap))
    new_count = incoming_size - len(matched)
    strangers = demo.PersonGenerator(seed + 1).people(new_count)
    siblings = int(new_count * SIBLING_SHARE_OF_NEW)
    for i in range(siblings):
        base = people[rng.randrange(len(people))]
        strangers[i] = _relative(rng, gen, base, twin=False)
    sources: list[tuple[Row, tuple[dt.date, str]]] = [(registry[i], births[i]) for i in matched]
    sources += [(_row("", p, None), (p.birth_date, p.birth_precision)) for p in strangers]
    rng.shuffle(sources)
    counts: Counter[str] = Counter()
    incoming = [
        dataclasses.replace(_corrupt(rng, row, birth, counts), id=f"I{i:06d}")
        for i, (row, birth) in enumerate(sources)
    ]
    return Benchmark(registry, incoming, counts, twins)


def _show(rows: Sequence[Row]) -> None:
    for r in rows:
        print(
            f"{r.id}  {r.given_names} | {r.paternal_surname} | {r.maternal_surname} | "
            f"{r.birth} | {r.municipality}, {r.province}  -> {r.person}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--registry", type=int, default=1000)
    parser.add_argument("--incoming", type=int, default=200)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--show", type=int, default=15)
    args = parser.parse_args()
    bench = generate(args.registry, args.incoming, seed=args.seed)
    print(f"registry {len(bench.registry)} (twins {bench.twins}), incoming {len(bench.incoming)}")
    print("corruptions:", dict(sorted(bench.corruptions.items())))
    for row in bench.incoming[: args.show]:
        _show([row])
        if row.person is not None:
            _show([bench.registry[row.person]])
        print()


if __name__ == "__main__":
    main()
