"""Seeded generator of synthetic Cuban-style people for demo and test data.

Every person is a random combination of vocabularies: common Spanish/Cuban given names and
surnames (vocabulary, not personal data), real province and municipality names, and
organisation names invented for this module. No list of real people is used, so any match
with a living person is coincidental.

The same seed always yields the same sequence: the generator owns its ``random.Random``,
draws in a fixed order, and only iterates over tuples and insertion-ordered dicts.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate
from typing import Generic, TypeVar

__all__ = [
    "AFFILIATIONS",
    "COINED_NAMES",
    "CUBA_PROVINCES",
    "MUNICIPALITIES",
    "SURNAMES",
    "PersonGenerator",
    "SyntheticPerson",
]

BIRTH_YEAR_MIN = 1940
BIRTH_YEAR_MAX = 2006

# Political-prisoner lists are mostly men; a quarter women keeps both visible in the demo.
FEMALE_SHARE = 0.25
COINED_SHARE_BORN_1970_OR_LATER = 0.35
# The "Y" naming fashion began in the late 1960s; a few older people still carry such names.
COINED_SHARE_BORN_BEFORE_1970 = 0.03
# Compound names are drawn only for non-coined names; 0.34 of ~72% gives ~25% overall.
COMPOUND_SHARE_OF_TRADITIONAL = 0.34
UNKNOWN_MATERNAL_SHARE = 0.02
NO_AFFILIATION_SHARE = 0.40
# Cumulative thresholds for birth precision: day 75%, month 10%, year 15%.
_PRECISION_DAY_BELOW = 0.75
_PRECISION_MONTH_BELOW = 0.85
# Cumulative thresholds for how many aliases to attempt: 0 (55%), 1 (35%), 2 (10%).
_ALIASES_NONE_BELOW = 0.55
_ALIASES_ONE_BELOW = 0.90


@dataclass(frozen=True, slots=True)
class SyntheticPerson:
    """An entirely invented person shaped like a Cuban registry entry."""

    given_names: str
    paternal_surname: str
    maternal_surname: str  # "" when unknown
    sex: str  # "F" or "M"
    aliases: tuple[str, ...]
    birth_date: dt.date
    birth_precision: str  # "day", "month" (date is the 1st) or "year" (date is 1 January)
    province: str
    municipality: str
    affiliation: str  # "" when none

    @property
    def full_name(self) -> str:
        parts = (self.given_names, self.paternal_surname, self.maternal_surname)
        return " ".join(part for part in parts if part)


# --- Geography ------------------------------------------------------------------------------

# The 15 provinces (west to east) and the special municipality, as divided since 2011.
CUBA_PROVINCES: tuple[str, ...] = (
    "Pinar del Río",
    "Artemisa",
    "La Habana",
    "Mayabeque",
    "Matanzas",
    "Cienfuegos",
    "Villa Clara",
    "Sancti Spíritus",
    "Ciego de Ávila",
    "Camagüey",
    "Las Tunas",
    "Holguín",
    "Granma",
    "Santiago de Cuba",
    "Guantánamo",
    "Isla de la Juventud",
)

# A selection of each province's municipalities; the first one is the provincial capital.
MUNICIPALITIES: dict[str, tuple[str, ...]] = {
    "Pinar del Río": (
        "Pinar del Río",
        "Consolación del Sur",
        "San Juan y Martínez",
        "Viñales",
        "Los Palacios",
        "Sandino",
    ),
    "Artemisa": (
        "Artemisa",
        "San Antonio de los Baños",
        "Bauta",
        "Mariel",
        "Güira de Melena",
        "Guanajay",
    ),
    "La Habana": (
        "Plaza de la Revolución",
        "Centro Habana",
        "La Habana Vieja",
        "Diez de Octubre",
        "Arroyo Naranjo",
        "San Miguel del Padrón",
        "Marianao",
        "Habana del Este",
    ),
    "Mayabeque": (
        "San José de las Lajas",
        "Güines",
        "Bejucal",
        "Madruga",
        "Santa Cruz del Norte",
    ),
    "Matanzas": ("Matanzas", "Cárdenas", "Colón", "Jovellanos", "Jagüey Grande", "Perico"),
    "Cienfuegos": ("Cienfuegos", "Palmira", "Cruces", "Cumanayagua", "Aguada de Pasajeros"),
    "Villa Clara": (
        "Santa Clara",
        "Placetas",
        "Sagua la Grande",
        "Caibarién",
        "Camajuaní",
        "Remedios",
    ),
    "Sancti Spíritus": ("Sancti Spíritus", "Trinidad", "Cabaiguán", "Jatibonico", "Yaguajay"),
    "Ciego de Ávila": ("Ciego de Ávila", "Morón", "Chambas", "Florencia", "Venezuela"),
    "Camagüey": ("Camagüey", "Nuevitas", "Florida", "Guáimaro", "Vertientes", "Esmeralda"),
    "Las Tunas": ("Las Tunas", "Puerto Padre", "Amancio", "Jobabo", "Manatí"),
    "Holguín": ("Holguín", "Banes", "Moa", "Gibara", "Mayarí", "Sagua de Tánamo"),
    "Granma": ("Bayamo", "Manzanillo", "Jiguaní", "Niquero", "Pilón", "Media Luna"),
    "Santiago de Cuba": (
        "Santiago de Cuba",
        "Palma Soriano",
        "Contramaestre",
        "San Luis",
        "Songo-La Maya",
        "Guamá",
    ),
    "Guantánamo": ("Guantánamo", "Baracoa", "El Salvador", "Maisí", "Imías", "Caimanera"),
    # The special municipality is its own single municipality.
    "Isla de la Juventud": ("Isla de la Juventud",),
}

# Rounded populations in thousands, so the demo's geography looks like the country's.
_PROVINCE_WEIGHTS: tuple[float, ...] = (
    585,
    508,
    2130,
    383,
    716,
    407,
    778,
    466,
    436,
    766,
    532,
    1027,
    827,
    1049,
    508,
    84,
)
# Provincial capitals hold a larger share of their province than any other municipality.
_CAPITAL_WEIGHT = 3.0

# --- Surnames -------------------------------------------------------------------------------

# Ordered roughly from most to least common; weights come from the rank, not from data.
SURNAMES: tuple[str, ...] = (
    "Rodríguez", "González", "Hernández", "Pérez", "García", "Martínez", "López", "Díaz",
    "Fernández", "Sánchez", "Gómez", "Ramírez", "Álvarez", "Ruiz", "Morales", "Castillo",
    "Suárez", "Torres", "Ramos", "Cruz", "Reyes", "Jiménez", "Vázquez", "Romero", "Herrera",
    "Medina", "Castro", "Ortiz", "Delgado", "Rivero", "Acosta", "Cabrera", "Guerra", "Mesa",
    "Padrón", "Rojas", "Molina", "Peña", "Santana", "Leyva", "Fuentes", "Figueroa", "Valdés",
    "Sosa", "Chávez", "Núñez", "Batista", "Domínguez", "Espinosa", "Milanés", "Pupo", "Ávila",
    "Borrero", "Rosales", "Lorenzo", "Vega", "Soto", "Benítez", "Aguilar", "Pacheco", "Ferrer",
    "Oramas", "Betancourt", "Lazo", "Cisneros", "Cardet", "Quesada", "Labrada", "Estrada",
    "Arias", "Barrios", "Calzadilla", "Frómeta", "Matos", "Pineda", "Tamayo", "Zayas",
    "Guevara", "Hidalgo", "Carmenate", "Céspedes", "Iglesias", "Mendoza", "Montero", "Navarro",
    "Ochoa", "Olivera", "Prieto", "Quintana", "Robaina", "Sarmiento", "Urquiza", "Velázquez",
    "Zaldívar", "Almeida", "Bermúdez", "Cárdenas", "Despaigne", "Echevarría", "Fonseca",
    "Garcés", "Izquierdo", "Lamadrid", "Marrero", "Noa", "Oquendo", "Portuondo", "Rizo",
    "Sierra", "Tejeda", "Ulloa", "Villalobos", "Yero", "Zamora", "Arencibia", "Bacallao",
    "Cobas", "Duany", "Fajardo", "Gainza", "Hechavarría", "Infante", "Lara", "Mustelier",
    "Nápoles", "Ojeda", "Palacios", "Quiala", "Ricardo", "Serrano", "Trujillo", "Urbina",
)  # fmt: skip

# Spellings that registries and foreign press use interchangeably.
_SURNAME_VARIANTS: dict[str, str] = {
    "Valdés": "Valdez",
    "Jiménez": "Giménez",
    "Vázquez": "Vásquez",
    "Echevarría": "Echeverría",
    "Hechavarría": "Echavarría",
    "Betancourt": "Betancur",
}

# --- Given names ----------------------------------------------------------------------------

# Each list is ordered roughly from most to least common within its group.
_MALE_TIMELESS: tuple[str, ...] = (
    "José", "Juan", "Luis", "Carlos", "Jorge", "Manuel", "Pedro", "Miguel", "Antonio",
    "Francisco", "Rafael", "Roberto", "Alberto", "Lázaro", "Raúl", "Julio", "Ángel", "Jesús",
    "Ernesto", "Eduardo", "Alexis", "Fernando", "Ricardo", "Mario", "Pablo", "Enrique",
    "Andrés", "Sergio", "Ignacio", "Guillermo", "Alfredo", "Víctor", "Óscar", "Frank",
    "Felipe", "Alejandro",
)  # fmt: skip
_MALE_OLDER: tuple[str, ...] = (
    "Ramón", "Orlando", "Armando", "Rolando", "Reinaldo", "Osvaldo", "Héctor", "Félix",
    "Arnaldo", "Gilberto", "Rigoberto", "Humberto", "Agustín", "Nelson", "René", "Gustavo",
    "Eusebio", "Evelio", "Heriberto", "Leonel",
)  # fmt: skip
# Soviet-era names were popular for children born in the 1960s-1980s.
_MALE_MIDDLE: tuple[str, ...] = (
    "Alexander", "Iván", "Yuri", "Vladimir", "Alexei", "Ariel", "Alain", "Michel", "Boris",
)  # fmt: skip
_MALE_YOUNGER: tuple[str, ...] = (
    "Daniel", "David", "Adrián", "Javier", "Leonardo", "Gabriel", "Alain", "Ariel", "Kevin",
    "Brian", "Marcos", "Diego",
)  # fmt: skip
_FEMALE_TIMELESS: tuple[str, ...] = (
    "María", "Ana", "Rosa", "Carmen", "Elena", "Isabel", "Teresa", "Marta", "Laura",
    "Bárbara", "Caridad", "Mercedes", "Lourdes", "Beatriz", "Margarita", "Silvia", "Raquel",
    "Esther", "Alicia", "Luisa", "Juana", "Gloria", "Marisol", "Ileana", "Maritza", "Mayra",
    "Sandra",
)  # fmt: skip
_FEMALE_OLDER: tuple[str, ...] = (
    "Dolores", "Concepción", "Zoila", "Mirta", "Gladys", "Nancy", "Migdalia", "Josefina",
    "Norma", "Sonia", "Rosario", "Hilda", "Olga", "Digna", "Xiomara", "Iraida", "Magalys",
    "Odalys",
)  # fmt: skip
_FEMALE_MIDDLE: tuple[str, ...] = (
    "Niurka", "Idania", "Arelis", "Damaris", "Tania", "Katia", "Irina", "Lisandra", "Ivette",
    "Marlene", "Mariela", "Liset", "Zaida", "Odalys",
)  # fmt: skip
_FEMALE_YOUNGER: tuple[str, ...] = (
    "Claudia", "Daniela", "Gabriela", "Lorena", "Patricia", "Melissa", "Jessica", "Roxana",
    "Lisandra", "Liset", "Amanda", "Lianet",
)  # fmt: skip

_MALE_COMPOUND: tuple[str, ...] = (
    "José Luis", "Juan Carlos", "Luis Alberto", "José Antonio", "Jorge Luis", "Miguel Ángel",
    "Juan José", "José Manuel", "Carlos Manuel", "Luis Enrique", "José Ramón", "Juan Antonio",
    "Pedro Pablo", "José Miguel", "Francisco Javier", "Ángel Luis", "Roberto Carlos",
    "Luis Manuel", "José Carlos", "Carlos Alberto", "Juan Manuel", "José Ángel",
    "Jesús Manuel",
)  # fmt: skip
_FEMALE_COMPOUND: tuple[str, ...] = (
    "María del Carmen", "Ana María", "María Elena", "Rosa María", "María Isabel",
    "María Teresa", "María de los Ángeles", "María Caridad", "Ana Luisa", "María Antonia",
    "Luz María", "María Dolores", "María Mercedes", "María Victoria", "María Cristina",
    "María Josefa", "Dulce María", "Ana Isabel", "María Eugenia", "María de la Caridad",
)  # fmt: skip

# Coined names that are widespread in Cuba, ordered roughly by frequency.
_MALE_COINED_COMMON: tuple[str, ...] = (
    "Yoandri", "Yunior", "Yusnier", "Yordanis", "Yuniel", "Osmany", "Yasmany", "Maikel",
    "Dayron", "Yoel", "Yoenis", "Yulieski", "Yandy", "Yosvany", "Yunieski", "Yoelvis",
    "Yadiel", "Yasiel", "Liván", "Yordan", "Yasser", "Yoan", "Yaniel", "Yosniel", "Reinier",
    "Leydan", "Yanier", "Dayán", "Usnavy",
)  # fmt: skip
_FEMALE_COINED_COMMON: tuple[str, ...] = (
    "Yanelys", "Yoani", "Yaimara", "Dayana", "Leidys", "Daimy", "Yamilé", "Yuneisy",
    "Yusleidy", "Yanisleidy", "Yarelis", "Yudelkis", "Yaima", "Yailín", "Mailín", "Dainelys",
    "Maidelys", "Yenisey", "Yurisleidy", "Yuliet", "Yaquelín", "Yadira", "Yoanka", "Daimarys",
    "Yisel", "Arletys", "Yanet", "Yusimí", "Yumisleidy", "Yaneisy",
)  # fmt: skip

# Productive prefix/suffix pairs for inventing more coined names. Each group only pairs
# pieces that sound natural together, so every output resembles names Cubans really give.
_MALE_COINING: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (
        ("Yo", "Ya", "Yu", "Ye"),
        ("sniel", "svany", "smany", "rdanis", "nier", "niel", "diel", "siel", "riel", "lvis",
         "sel", "rlan", "andri", "andy"),
    ),
    (("Dai", "Mai", "Ley", "Rei"), ("kel", "sel", "nier")),
    (("Os",), ("many", "dany", "niel", "mel", "vany")),
)  # fmt: skip
_FEMALE_COINING: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (
        ("Ya", "Yu", "Ye"),
        ("nelys", "mara", "mila", "sleidy", "neisy", "relis", "delkis", "liet", "lín", "dira",
         "rima", "nisleidy", "risleidy"),
    ),
    (("Yai", "Dai", "Mai"), ("nelys", "mara", "lín", "delys", "relis", "sleidy")),
    (("Yi",), ("sel", "sleidy", "nelys", "liet", "mara")),
)  # fmt: skip
# Share of coined draws that come from the common list rather than from invented ones.
_COMMON_COINED_SHARE = 0.65

# Spelling variants that are not covered by the coined-name rules below.
_SPECIAL_VARIANTS: dict[str, tuple[str, ...]] = {
    "Yunior": ("Junior",),
    "Dayron": ("Dairon",),
    "Yamilé": ("Yamilet",),
    "Marta": ("Martha",),
    "Mirta": ("Mirtha",),
    "Odalys": ("Odalis",),
    "Magalys": ("Magalis",),
    "Arelis": ("Arelys",),
    "Xiomara": ("Siomara",),
    "Niurka": ("Nyurka",),
    "Ileana": ("Iliana",),
    "Yuri": ("Yury",),
    "Alexei": ("Alexey",),
}

# Hypocoristics, keyed by a whole given name or by its first word.
_NICKNAMES: dict[str, tuple[str, ...]] = {
    "José": ("Pepe", "Pepito"),
    "Francisco": ("Paco", "Pancho", "Frank"),
    "Ignacio": ("Nacho",),
    "Jesús": ("Chucho", "Chuchi"),
    "Manuel": ("Manolo", "Manolito"),
    "Ramón": ("Mongo",),
    "Antonio": ("Toño", "Tony"),
    "Rafael": ("Rafa", "Felo"),
    "Eduardo": ("Eddy", "Lalo"),
    "Enrique": ("Quique",),
    "Guillermo": ("Guille",),
    "Alberto": ("Beto",),
    "Roberto": ("Robertico", "Tico"),
    "Alejandro": ("Alex",),
    "Fernando": ("Nando",),
    "Ernesto": ("Neto",),
    "Jorge": ("Yoyi",),
    "Rolando": ("Roly",),
    "Pedro": ("Pedrito", "Perico"),
    "Juan": ("Juanito",),
    "Luis": ("Luisito",),
    "Carlos": ("Carlitos",),
    "Miguel": ("Miguelito",),
    "Ángel": ("Angelito",),
    "Lázaro": ("Lazarito",),
    "Rigoberto": ("Rigo",),
    "Reinaldo": ("Rey",),
    "Félix": ("Felito",),
    "Daniel": ("Dani",),
    "Javier": ("Javi",),
    "Leonardo": ("Leo",),
    "Gabriel": ("Gaby",),
    "Víctor": ("Vitico",),
    "Alfredo": ("Fredy",),
    "Alexander": ("Alex",),
    "Dolores": ("Lola", "Lolita"),
    "Concepción": ("Conchita", "Concha"),
    "Caridad": ("Cachita",),
    "Mercedes": ("Meche",),
    "Rosario": ("Charo",),
    "Josefina": ("Fina",),
    "Teresa": ("Tere",),
    "Isabel": ("Isa", "Chabela"),
    "Margarita": ("Margot",),
    "Lourdes": ("Lulú",),
    "Juana": ("Juanita",),
    "Rosa": ("Rosita",),
    "Marta": ("Martica",),
    "Elena": ("Nena",),
    "Bárbara": ("Barbarita",),
    "Beatriz": ("Bea",),
    "Gabriela": ("Gaby",),
    "Daniela": ("Dani",),
    "Patricia": ("Paty",),
    "Alicia": ("Licha",),
    "Carmen": ("Carmita",),
    "Ana": ("Anita",),
    "María": ("Mari", "Mary"),
    "María del Carmen": ("Maricarmen", "Carmita"),
    "Ana María": ("Anamari",),
    "María Teresa": ("Maite",),
    "María Isabel": ("Maribel",),
    "María Elena": ("Malena",),
    "María de los Ángeles": ("Mariángeles",),
    "María Caridad": ("Cachita",),
    "María de la Caridad": ("Cachita",),
    "María Dolores": ("Lola",),
    "María Mercedes": ("Meche",),
    "María Josefa": ("Pepa",),
    "María Cristina": ("Cristy",),
    "María Victoria": ("Vicky",),
    "Rosa María": ("Rosi",),
    "Juan Carlos": ("Juanca",),
    "José Luis": ("Joselo", "Pepe Luis"),
}

# --- Affiliations (all invented) -------------------------------------------------------------

# Fictional groups; none is meant to name a real organisation.
AFFILIATIONS: tuple[str, ...] = (
    "Movimiento Cívico Renacer",
    "Colectivo Ceiba Abierta",
    "Plataforma Ciudadana Puente Nuevo",
    "Red Vecinal Horizonte",
    "Agencia de Prensa Libre Cayo Norte",
    "Alianza Cívica del Valle",
    "Coordinadora Juvenil Brisa",
    "Foro Campesino Tierra Firme",
    "Proyecto Cultural Muro Blanco",
    "Comité Pro Derechos del Litoral",
    "Círculo Literario Tinta Suelta",
    "Movimiento Pacífico Semilla",
    "Unión de Periodistas Independientes Mirador",
    "Frente Obrero Yunque",
    "Colectivo Artístico Contrapunto",
    "Grupo de Familiares Lazos",
    "Comunidad Cristiana El Sendero",
    "Sindicato Independiente Zafra Libre",
    "Liga Cívica Manigua",
    "Asociación Faro del Sur",
)

# --- Sampling helpers ------------------------------------------------------------------------

_T = TypeVar("_T")


class _Table(Generic[_T]):
    """Weighted choice with precomputed cumulative weights (one bisect per draw)."""

    __slots__ = ("_cum", "_hi", "_total", "items")

    def __init__(self, items: Sequence[_T], weights: Sequence[float]) -> None:
        if not items or len(items) != len(weights):
            raise ValueError("a table needs one weight per item")
        self.items: tuple[_T, ...] = tuple(items)
        self._cum = list(accumulate(float(w) for w in weights))
        self._total = self._cum[-1]
        self._hi = len(self.items) - 1  # guards against float rounding at the top end

    def pick(self, rng: random.Random) -> _T:
        return self.items[bisect_right(self._cum, rng.random() * self._total, 0, self._hi)]


def _zipf(n: int, exponent: float = 1.0, offset: float = 3.0) -> list[float]:
    """Zipf-Mandelbrot weights by rank: the offset flattens the head a little."""
    return [1.0 / (rank + offset) ** exponent for rank in range(1, n + 1)]


def _ranked(items: Sequence[str], exponent: float = 0.9, offset: float = 2.0) -> _Table[str]:
    return _Table(items, _zipf(len(items), exponent, offset))


def _unique(*groups: Sequence[str]) -> tuple[str, ...]:
    """Concatenate keeping first occurrences (dicts keep order, unlike sets)."""
    return tuple(dict.fromkeys(name for group in groups for name in group))


def _coin(groups: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]) -> tuple[str, ...]:
    names: list[str] = []
    for prefixes, suffixes in groups:
        for prefix in prefixes:
            for suffix in suffixes:
                # "Yo" + "andri" works; "Ya" + "andri" would give an unnatural double vowel.
                if suffix[0] in "aeiou" and prefix[-1] not in "oy":
                    continue
                names.append(prefix + suffix)
    return tuple(names)


def _coined_table(common: tuple[str, ...], invented: tuple[str, ...]) -> _Table[str]:
    extra = tuple(name for name in invented if name not in common)
    head = _zipf(len(common), 0.8, 2.0)
    head_total = sum(head)
    weights = [w / head_total * _COMMON_COINED_SHARE for w in head]
    weights += [(1.0 - _COMMON_COINED_SHARE) / len(extra)] * len(extra)
    return _Table(common + extra, weights)


def _coined_variants(name: str) -> list[str]:
    """Spellings registries commonly mix up for coined names (Yoani/Yoany, Leidys/Leydis)."""
    out: list[str] = []
    if name.endswith("ys"):
        out.append(name[:-2] + "is")
    elif name.endswith("is"):
        out.append(name[:-2] + "ys")
    elif name.endswith("y"):
        out.append(name[:-1] + "i")
    elif name.endswith("i"):
        out.append(name[:-1] + "y")
    if name.startswith("Yo") and len(name) > 2 and name[2] in "aeiou":
        out.append("Yoh" + name[2:])
    if "kel" in name:
        out.append(name.replace("kel", "quel", 1))
    if "ei" in name:
        out.append(name.replace("ei", "ey", 1))
    elif "ey" in name:
        out.append(name.replace("ey", "ei", 1))
    return out


_ASCII_FOLD = str.maketrans("áéíóúüñÁÉÍÓÚÜÑ", "aeiouunAEIOUUN")

_MALE_COINED_ALL = _unique(_MALE_COINED_COMMON, _coin(_MALE_COINING))
_FEMALE_COINED_ALL = _unique(_FEMALE_COINED_COMMON, _coin(_FEMALE_COINING))
COINED_NAMES: frozenset[str] = frozenset(_MALE_COINED_ALL + _FEMALE_COINED_ALL)


def _build_variants() -> dict[str, tuple[str, ...]]:
    variants: dict[str, tuple[str, ...]] = {}
    for name in (*_MALE_COINED_ALL, *_FEMALE_COINED_ALL, *_SPECIAL_VARIANTS):
        found = list(_SPECIAL_VARIANTS.get(name, ()))
        if name in COINED_NAMES:
            found += _coined_variants(name)
        variants[name] = tuple(v for v in dict.fromkeys(found) if v != name)
    return variants


_VARIANTS = _build_variants()

_SURNAME_TABLE: _Table[str] = _Table(SURNAMES, _zipf(len(SURNAMES), 1.0, 3.0))
_PROVINCE_TABLE: _Table[str] = _Table(CUBA_PROVINCES, _PROVINCE_WEIGHTS)
_MUNICIPALITY_TABLES: dict[str, _Table[str]] = {
    province: _Table(towns, [_CAPITAL_WEIGHT] + [1.0] * (len(towns) - 1))
    for province, towns in MUNICIPALITIES.items()
}
_AFFILIATION_TABLE: _Table[str] = _ranked(AFFILIATIONS, 1.0, 2.0)


def _year_weight(year: int) -> float:
    # A flat floor plus a bump centred on the early 1980s: most detainees are 30 to 55.
    return 1.0 + 6.0 * math.exp(-(((year - 1983) / 10.0) ** 2))


_YEARS = tuple(range(BIRTH_YEAR_MIN, BIRTH_YEAR_MAX + 1))
_YEAR_TABLE: _Table[int] = _Table(_YEARS, [_year_weight(y) for y in _YEARS])
_JAN_FIRST = {y: dt.date(y, 1, 1).toordinal() for y in _YEARS}
_YEAR_LENGTH = {y: dt.date(y + 1, 1, 1).toordinal() - _JAN_FIRST[y] for y in _YEARS}

# Traditional names by birth era: before 1965, 1965-1984, 1985 on.
_TRADITIONAL: dict[str, tuple[_Table[str], _Table[str], _Table[str]]] = {
    "M": (
        _ranked(_unique(_MALE_TIMELESS, _MALE_OLDER)),
        _ranked(_unique(_MALE_TIMELESS, _MALE_MIDDLE, _MALE_OLDER)),
        _ranked(_unique(_MALE_TIMELESS, _MALE_YOUNGER)),
    ),
    "F": (
        _ranked(_unique(_FEMALE_TIMELESS, _FEMALE_OLDER)),
        _ranked(_unique(_FEMALE_TIMELESS, _FEMALE_MIDDLE, _FEMALE_OLDER)),
        _ranked(_unique(_FEMALE_TIMELESS, _FEMALE_YOUNGER)),
    ),
}
_COMPOUND: dict[str, _Table[str]] = {
    "M": _ranked(_MALE_COMPOUND),
    "F": _ranked(_FEMALE_COMPOUND),
}
_COINED: dict[str, _Table[str]] = {
    "M": _coined_table(_MALE_COINED_COMMON, _MALE_COINED_ALL),
    "F": _coined_table(_FEMALE_COINED_COMMON, _FEMALE_COINED_ALL),
}


# --- Generator -------------------------------------------------------------------------------


class PersonGenerator:
    """Deterministic source of synthetic people: one seed, one reproducible sequence."""

    def __init__(self, seed: int) -> None:
        # Demo data only, never security: a seeded, reproducible PRNG is the point.
        self._rng = random.Random(seed)  # noqa: S311

    def people(self, n: int) -> list[SyntheticPerson]:
        if n < 0:
            raise ValueError("n must be non-negative")
        return [self.person() for _ in range(n)]

    def surname(self) -> str:
        return _SURNAME_TABLE.pick(self._rng)

    def given_name(self, sex: str, birth_year: int | None = None) -> str:
        """A given name for ``sex``; ``birth_year`` (random if omitted) sets the fashion."""
        if sex not in ("F", "M"):
            raise ValueError(f"sex must be 'F' or 'M', not {sex!r}")
        rng = self._rng
        year = _YEAR_TABLE.pick(rng) if birth_year is None else birth_year
        coined_share = (
            COINED_SHARE_BORN_1970_OR_LATER if year >= 1970 else COINED_SHARE_BORN_BEFORE_1970
        )
        if rng.random() < coined_share:
            return _COINED[sex].pick(rng)
        if rng.random() < COMPOUND_SHARE_OF_TRADITIONAL:
            return _COMPOUND[sex].pick(rng)
        era = 0 if year < 1965 else 1 if year < 1985 else 2
        return _TRADITIONAL[sex][era].pick(rng)

    def person(self) -> SyntheticPerson:
        rng = self._rng
        sex = "F" if rng.random() < FEMALE_SHARE else "M"
        birth_date, precision = self._birth()
        given = self.given_name(sex, birth_date.year)
        paternal = _SURNAME_TABLE.pick(rng)
        maternal = "" if rng.random() < UNKNOWN_MATERNAL_SHARE else _SURNAME_TABLE.pick(rng)
        province = _PROVINCE_TABLE.pick(rng)
        municipality = _MUNICIPALITY_TABLES[province].pick(rng)
        affiliation = "" if rng.random() < NO_AFFILIATION_SHARE else _AFFILIATION_TABLE.pick(rng)
        aliases = self._aliases(given, paternal, maternal)
        return SyntheticPerson(
            given_names=given,
            paternal_surname=paternal,
            maternal_surname=maternal,
            sex=sex,
            aliases=aliases,
            birth_date=birth_date,
            birth_precision=precision,
            province=province,
            municipality=municipality,
            affiliation=affiliation,
        )

    def _birth(self) -> tuple[dt.date, str]:
        rng = self._rng
        year = _YEAR_TABLE.pick(rng)
        day = dt.date.fromordinal(_JAN_FIRST[year] + rng.randrange(_YEAR_LENGTH[year]))
        roll = rng.random()
        if roll < _PRECISION_DAY_BELOW:
            return day, "day"
        if roll < _PRECISION_MONTH_BELOW:
            return day.replace(day=1), "month"
        return dt.date(year, 1, 1), "year"

    def _aliases(self, given: str, paternal: str, maternal: str) -> tuple[str, ...]:
        rng = self._rng
        roll = rng.random()
        if roll < _ALIASES_NONE_BELOW:
            return ()
        wanted = 1 if roll < _ALIASES_ONE_BELOW else 2
        first, _, rest = given.partition(" ")
        candidates: list[str] = []
        nicknames = _NICKNAMES.get(given) or _NICKNAMES.get(first)
        if nicknames:
            candidates.append(nicknames[rng.randrange(len(nicknames))])
        variants = _VARIANTS.get(first)
        if variants:
            spelled = variants[rng.randrange(len(variants))]
            candidates.append(" ".join(p for p in (spelled, rest, paternal) if p))
        surname_variant = _SURNAME_VARIANTS.get(paternal)
        if surname_variant:
            candidates.append(" ".join(p for p in (given, surname_variant, maternal) if p))
        full = " ".join(p for p in (given, paternal, maternal) if p)
        folded = full.translate(_ASCII_FOLD)
        if folded != full:
            candidates.append(folded)
        rng.shuffle(candidates)
        return tuple(candidates[:wanted])
