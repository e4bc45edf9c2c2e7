"""Write examples/ngo-list.csv: another organisation's list, for trying `detente import`.

Every name in it is synthetic. Most rows are people of the demo (``detente demo``, whose
people come from ``PersonGenerator(2014)``; the n-th person generated is the demo's
``P-000n``), written the way another list would write them: surnames first in capitals,
accents dropped, an abbreviated surname, a nickname, a missing birth date. The rest are
people the demo does not have, invented by the same generator with another seed. Imported
into the demo (``detente import examples/ngo-list.csv --source ngo-list``), some rows are
linked, a few are queued for review and some are added as new people.

Run it again after changing the demo's generator: ``.venv/bin/python examples/make_ngo_list.py``.
"""

from __future__ import annotations

import csv
import unicodedata
from pathlib import Path

from detente.demo.names import PersonGenerator, SyntheticPerson

DEMO_SEED = 2014  # detente.demo.scenario.load_demo's default seed
OTHER_SEED = 1871  # people the demo does not have
STATUS, EVENT_DATE = "sentenced", "2015-06-30"  # still held, half a year after the deal
HEADER = ["external_id", "name", "birth_date", "sex", "province", "municipality", "status"]
HEADER += ["event_date", "evidence"]


def plain(text: str) -> str:
    """The words without their accents, as many lists write them."""
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


def surnames_first(p: SyntheticPerson) -> str:
    surnames = " ".join(s for s in (p.paternal_surname, p.maternal_surname) if s)
    return plain(f"{surnames}, {p.given_names}").upper()


def birth(p: SyntheticPerson) -> str:
    if p.birth_precision == "day":
        return p.birth_date.strftime("%d/%m/%Y")
    if p.birth_precision == "month":
        return p.birth_date.strftime("%m/%Y")
    return str(p.birth_date.year)


def rows() -> list[list[str]]:
    gen = PersonGenerator(DEMO_SEED)
    demo = {n: gen.person() for n in range(1, 335)}  # P-0001 … P-0334: the first agreement's
    out: list[list[str]] = []

    def row(name: str, p: SyntheticPerson, born: str, place: tuple[str, str], note: str) -> None:
        out.append([f"NGO-{len(out) + 1:03d}", name, born, p.sex, *place, STATUS, EVENT_DATE, note])

    # The same people, written another way: linked.
    for n in (60, 77, 136, 182, 213, 250):
        p = demo[n]
        place = (plain(p.province), plain(p.municipality))
        row(surnames_first(p), p, birth(p), place, "Visited in prison in June.")
    # Close but not sure enough: queued for a verifier (names only; a birth year apart;
    # an abbreviated surname and another province).
    p = demo[157]
    row(f"{p.given_names} {p.paternal_surname}", p, "", ("", ""), "Named by a cellmate.")
    p = demo[265]
    row(p.full_name, p, str(p.birth_date.year + 1), (p.province, ""), "Family's account.")
    p = demo[297]
    name = p.full_name.replace("Rodríguez", "Rguez.")
    row(name, p, birth(p), ("Matanzas", ""), "Press report.")
    # People the demo does not have: new.
    other = PersonGenerator(OTHER_SEED)
    for _ in range(4):
        p = other.person()
        place = (p.province, p.municipality)
        row(p.full_name, p, birth(p), place, "First reported by this list.")
    return out


def main() -> None:
    path = Path(__file__).with_name("ngo-list.csv")
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(HEADER)
        writer.writerows(rows())
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
