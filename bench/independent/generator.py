"""Independent synthetic registry and incoming lists for the linkage benchmark.

Implements bench/independent/SPEC.md. Written without reading the matcher: every pool,
rate and rule here comes from the specification. Standard library only; deterministic
from the seed (string seeds go through SHA-512 inside `random`, never through `hash()`).

    python -m bench.independent.generator --registry 1000 --list 200 --seed 1 --out /tmp/x.csv
"""

from __future__ import annotations

import argparse
import bisect
import csv
import datetime as dt
import heapq
import itertools
import json
import math
import random
import re
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

TODAY = dt.date(2026, 12, 6)
LAST_EVENT = dt.date(2026, 11, 30)
FIRST_EVENT = dt.date(2015, 1, 1)
BIRTH_MIN = dt.date(1940, 1, 1)
BIRTH_MAX = dt.date(2008, 12, 31)

COLUMNS = (
    "external_id",
    "name",
    "given_names",
    "paternal_surname",
    "maternal_surname",
    "birth_date",
    "sex",
    "province",
    "municipality",
    "status",
    "event_date",
    "arrest_date",
    "place_of_detention",
)
_SPLIT_COLS = ("given_names", "paternal_surname", "maternal_surname")
_OTHER_COLS = COLUMNS[5:]


# --------------------------------------------------------------------------------------
# Public records
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RegistryPerson:
    pid: str
    given_names: str
    paternal_surname: str
    maternal_surname: str
    sex: str
    birth_date: str
    province: str
    municipality: str


@dataclass(frozen=True)
class ListRow:
    columns: dict[str, str]
    truth: str | None
    person: str


# --------------------------------------------------------------------------------------
# Rates (SPEC.md section 4 and 5); `_Typist.roll` reads them by key
# --------------------------------------------------------------------------------------

RATES: dict[str, float] = {
    # 4.1 given names
    "given.second_dropped": 0.35,
    "given.known_by_second": 0.04,
    "given.nickname": 0.04,
    "given.generic_nickname": 0.003,
    "given.respelled": 0.30,
    "given.abbreviated": 0.12,
    "given.second_initial": 0.04,
    "given.first_initial": 0.015,
    # 4.2 surnames
    "surname.maternal_missing": 0.14,
    "surname.paternal_missing": 0.015,
    "surname.swapped": 0.02,
    "surname.abbreviated": 0.05,
    "surname.particle_dropped": 0.20,
    "surname.particle_fused": 0.03,
    "surname.particle_capitalised": 0.40,
    # 4.3 typing errors
    "typo.given": 0.05,
    "typo.paternal": 0.04,
    "typo.maternal": 0.04,
    "typo.keyboard_share": 0.55,
    # 4.4 row styling
    "row.accents_dropped": 0.40,
    "row.enye_lost": 1 / 3,
    "row.all_caps": 0.25,
    "row.extra_spaces": 0.05,
    "split.columns_exchanged": 0.012,
    "full.surname_comma": 0.28,
    "full.surname_first_no_comma": 0.02 / 0.72,  # of rows not already in comma style
    "full.comma_surnames_upper": 0.60,
    # 4.5 birth date errors (full dates)
    "birth.day_month_swapped": 0.03,
    "birth.wrong_digit": 0.02,
    "birth.year_off_1": 0.02,
    "birth.year_off_2": 0.007,
    "birth.day_off": 0.015,
    "birth.month_off": 0.01,
    "row.other_date_format": 0.08,
    # 4.6 sex
    "sex.empty": 0.15,
    "sex.wrong": 0.005,
    "sex.other_style": 0.05,
    # 4.7 places
    "place.province_empty": 0.10,
    "place.old_province": 0.20,
    "place.neighbour_province": 0.03,
    "place.province_variant": 0.15,
    "place.municipality_empty": 0.55,
    "place.wrong_municipality": 0.04,
    "place.municipality_variant": 0.25,
    # 2. custody cells
    "custody.event_date_empty": 0.10,
    "custody.arrest_date_present": 0.65,
    "custody.place_present": 0.65,
    # 7. layout
    "mixed.split_row": 0.50,
}

BIRTH_FORMS = (("empty", 0.45), ("full", 0.40), ("year", 0.07), ("age_year", 0.05), ("month", 0.03))
CUSTODY_PRECISION = (("day", 0.88), ("month", 0.08), ("year", 0.04))

REGISTRY_SHARES = (
    ("single", 0.82),
    ("siblings", 0.07),
    ("twins", 0.015),
    ("namesakes", 0.07),
    ("parent_child", 0.025),
)
OWN_LIST_SHARES = (
    ("single", 0.775),
    ("siblings", 0.08),
    ("twins", 0.015),
    ("namesakes", 0.10),
    ("parent_child", 0.03),
)
UNKNOWN_KINDS = (
    ("unrelated", 0.40),
    ("namesake", 0.18),
    ("sibling", 0.16),
    ("twin", 0.06),
    ("parent_child", 0.10),
    ("cousin", 0.10),
)
_CLUSTER_MEAN = {
    "single": 1.0,
    "siblings": 2.45,
    "twins": 2.0,
    "namesakes": 3.06,
    "parent_child": 2.0,
}

STATUSES = (  # (written status, weight, custodial, event rule)
    ("Preso", 19, True, "after"),
    ("En prisión", 8, True, "after"),
    ("Detenido", 7, True, "detained"),
    ("Sancionado", 14, True, "after"),
    ("Pendiente de juicio", 7, True, "after"),
    ("Arresto domiciliario", 5, False, "after"),
    ("Libertad condicional", 6, False, "release"),
    ("Licencia extrapenal", 5, False, "release"),
    ("Excarcelado", 8, False, "release"),
    ("Liberado", 9, False, "release"),
    ("Desterrado", 2, False, "after"),
    ("Fallecido en prisión", 1, True, "after"),
    ("Desaparecido", 1, False, "disappeared"),
    ("Detained", 4, True, "detained"),
    ("House arrest", 2, False, "after"),
    ("Released on parole", 2, False, "release"),
)

ARREST_WINDOWS = (  # (share, first day, last day); the rest is uniform 2015..2026-11-30
    (0.35, dt.date(2021, 7, 11), dt.date(2021, 7, 20)),
    (0.05, dt.date(2021, 7, 21), dt.date(2021, 8, 31)),
    (0.03, dt.date(2021, 11, 15), dt.date(2021, 11, 16)),
    (0.03, dt.date(2022, 8, 18), dt.date(2022, 8, 22)),
    (0.06, dt.date(2024, 3, 17), dt.date(2024, 3, 20)),
    (0.03, dt.date(2024, 10, 18), dt.date(2024, 11, 15)),
)
RELEASE_WINDOW = (dt.date(2025, 1, 15), dt.date(2025, 3, 10))

# --------------------------------------------------------------------------------------
# Geography (SPEC.md section 1)
# --------------------------------------------------------------------------------------

PROVINCES: tuple[tuple[str, float, tuple[str, ...]], ...] = (
    (
        "Pinar del Río",
        5.0,
        (
            "Pinar del Río", "Consolación del Sur", "Guane", "La Palma", "Los Palacios",
            "Mantua", "Minas de Matahambre", "San Juan y Martínez", "San Luis", "Sandino",
            "Viñales",
        ),
    ),
    (
        "Artemisa",
        5.5,
        (
            "Artemisa", "Alquízar", "Bahía Honda", "Bauta", "Caimito", "Candelaria",
            "Guanajay", "Güira de Melena", "Mariel", "San Antonio de los Baños",
            "San Cristóbal",
        ),
    ),
    (
        "La Habana",
        22.0,
        (
            "Diez de Octubre", "Arroyo Naranjo", "La Habana del Este", "Boyeros", "Playa",
            "Centro Habana", "San Miguel del Padrón", "Marianao", "Cerro",
            "Plaza de la Revolución", "La Lisa", "Guanabacoa", "La Habana Vieja", "Cotorro",
            "Regla",
        ),
    ),
    (
        "Mayabeque",
        5.0,
        (
            "San José de las Lajas", "Batabanó", "Bejucal", "Güines", "Jaruco", "Madruga",
            "Melena del Sur", "Nueva Paz", "Quivicán", "San Nicolás", "Santa Cruz del Norte",
        ),
    ),
    (
        "Matanzas",
        7.0,
        (
            "Matanzas", "Calimete", "Cárdenas", "Ciénaga de Zapata", "Colón", "Jagüey Grande",
            "Jovellanos", "Limonar", "Los Arabos", "Martí", "Pedro Betancourt", "Perico",
            "Unión de Reyes",
        ),
    ),
    (
        "Cienfuegos",
        3.5,
        (
            "Cienfuegos", "Abreus", "Aguada de Pasajeros", "Cruces", "Cumanayagua", "Lajas",
            "Palmira", "Rodas",
        ),
    ),
    (
        "Villa Clara",
        7.0,
        (
            "Santa Clara", "Caibarién", "Camajuaní", "Cifuentes", "Corralillo", "Encrucijada",
            "Manicaragua", "Placetas", "Quemado de Güines", "Ranchuelo", "Remedios",
            "Sagua la Grande", "Santo Domingo",
        ),
    ),
    (
        "Sancti Spíritus",
        3.5,
        (
            "Sancti Spíritus", "Cabaiguán", "Fomento", "Jatibonico", "La Sierpe", "Taguasco",
            "Trinidad", "Yaguajay",
        ),
    ),
    (
        "Ciego de Ávila",
        3.5,
        (
            "Ciego de Ávila", "Baraguá", "Bolivia", "Chambas", "Ciro Redondo", "Florencia",
            "Majagua", "Morón", "Primero de Enero", "Venezuela",
        ),
    ),
    (
        "Camagüey",
        7.0,
        (
            "Camagüey", "Carlos Manuel de Céspedes", "Esmeralda", "Florida", "Guáimaro",
            "Jimaguayú", "Minas", "Najasa", "Nuevitas", "Santa Cruz del Sur", "Sibanicú",
            "Sierra de Cubitas", "Vertientes",
        ),
    ),
    (
        "Las Tunas",
        4.5,
        (
            "Las Tunas", "Amancio", "Colombia", "Jesús Menéndez", "Jobabo", "Majibacoa",
            "Manatí", "Puerto Padre",
        ),
    ),
    (
        "Holguín",
        10.0,
        (
            "Holguín", "Antilla", "Báguanos", "Banes", "Cacocum", "Calixto García", "Cueto",
            "Frank País", "Gibara", "Mayarí", "Moa", "Rafael Freyre", "Sagua de Tánamo",
            "Urbano Noris",
        ),
    ),
    (
        "Granma",
        7.5,
        (
            "Bayamo", "Bartolomé Masó", "Buey Arriba", "Campechuela", "Cauto Cristo", "Guisa",
            "Jiguaní", "Manzanillo", "Media Luna", "Niquero", "Pilón", "Río Cauto", "Yara",
        ),
    ),
    (
        "Santiago de Cuba",
        11.0,
        (
            "Santiago de Cuba", "Contramaestre", "Guamá", "Mella", "Palma Soriano", "San Luis",
            "Segundo Frente", "Songo-La Maya", "Tercer Frente",
        ),
    ),
    (
        "Guantánamo",
        4.5,
        (
            "Guantánamo", "Baracoa", "Caimanera", "El Salvador", "Imías", "Maisí",
            "Manuel Tames", "Niceto Pérez", "San Antonio del Sur", "Yateras",
        ),
    ),
    ("Isla de la Juventud", 0.8, ("Isla de la Juventud",)),
)  # fmt: skip

_HAVANA_WEIGHTS = (3, 3, 3, 3, 2.5, 2.5, 2.5, 2, 2, 2, 2, 2, 1.5, 1.2, 0.8)
_BIG_MUNICIPALITIES = ("Manzanillo", "Palma Soriano", "Cárdenas", "Moa", "Baracoa", "Trinidad")

NEIGHBOURS = {
    "Pinar del Río": ("Artemisa",),
    "Artemisa": ("Pinar del Río", "La Habana", "Mayabeque"),
    "La Habana": ("Artemisa", "Mayabeque"),
    "Mayabeque": ("La Habana", "Artemisa", "Matanzas"),
    "Matanzas": ("Mayabeque", "Villa Clara", "Cienfuegos"),
    "Cienfuegos": ("Matanzas", "Villa Clara", "Sancti Spíritus"),
    "Villa Clara": ("Matanzas", "Cienfuegos", "Sancti Spíritus"),
    "Sancti Spíritus": ("Villa Clara", "Cienfuegos", "Ciego de Ávila"),
    "Ciego de Ávila": ("Sancti Spíritus", "Camagüey"),
    "Camagüey": ("Ciego de Ávila", "Las Tunas"),
    "Las Tunas": ("Camagüey", "Holguín", "Granma"),
    "Holguín": ("Las Tunas", "Granma", "Santiago de Cuba", "Guantánamo"),
    "Granma": ("Las Tunas", "Holguín", "Santiago de Cuba"),
    "Santiago de Cuba": ("Granma", "Holguín", "Guantánamo"),
    "Guantánamo": ("Santiago de Cuba", "Holguín"),
    "Isla de la Juventud": ("La Habana", "Artemisa", "Mayabeque"),
}
_WEST_ARTEMISA = ("Bahía Honda", "Candelaria", "San Cristóbal")  # Pinar del Río before 2011
_OLD_HAVANA_NAMES = ("La Habana", "La Habana", "La Habana", "Provincia Habana", "Habana")

PROVINCE_VARIANTS = {
    "La Habana": ("Habana", "Ciudad de La Habana", "Ciudad Habana", "C. Habana"),
    "Santiago de Cuba": ("Santiago", "Stgo. de Cuba", "Stgo de Cuba"),
    "Pinar del Río": ("Pinar", "P. del Río"),
    "Sancti Spíritus": ("Santi Spíritus", "S. Spíritus", "Sancti-Spíritus"),
    "Ciego de Ávila": ("Ciego", "C. de Ávila"),
    "Villa Clara": ("V. Clara", "Santa Clara"),
    "Camagüey": ("Camaguey", "Camagüei"),
    "Holguín": ("Holg.", "Holguin"),
    "Granma": ("Bayamo",),
    "Las Tunas": ("Tunas", "Victoria de Las Tunas"),
    "Guantánamo": ("Gtmo.", "Guantanamo"),
    "Isla de la Juventud": ("Isla de Pinos", "La Isla", "Nueva Gerona", "I. de la Juventud"),
    "Matanzas": ("Mtzas.",),
    "Cienfuegos": ("Cfgos.",),
    "Artemisa": ("Prov. Artemisa",),
    "Mayabeque": ("Prov. Mayabeque",),
}

MUNICIPALITY_VARIANTS = {
    "La Habana del Este": ("Habana del Este", "Alamar"),
    "La Habana Vieja": ("Habana Vieja",),
    "Diez de Octubre": ("10 de Octubre", "Diez de Oct."),
    "Plaza de la Revolución": ("Plaza", "Vedado"),
    "San Miguel del Padrón": ("San Miguel",),
    "Arroyo Naranjo": ("A. Naranjo", "La Güinera"),
    "Boyeros": ("Santiago de las Vegas",),
    "Santiago de Cuba": ("Santiago", "Stgo."),
    "Songo-La Maya": ("La Maya", "Songo La Maya"),
    "Segundo Frente": ("II Frente", "Mayarí Arriba"),
    "Tercer Frente": ("III Frente",),
    "San José de las Lajas": ("San José", "S. J. de las Lajas"),
    "San Antonio de los Baños": ("San Antonio", "S. A. de los Baños"),
    "Güira de Melena": ("Güira",),
    "Sagua la Grande": ("Sagua",),
    "Sagua de Tánamo": ("Sagua",),
    "Sancti Spíritus": ("Santi Spíritus",),
    "Ciego de Ávila": ("Ciego",),
    "Las Tunas": ("Tunas", "Victoria de Las Tunas"),
    "Pinar del Río": ("Pinar",),
    "Isla de la Juventud": ("Nueva Gerona", "Isla de Pinos"),
    "Carlos Manuel de Céspedes": ("Céspedes", "C. M. de Céspedes"),
    "Calixto García": ("C. García",),
    "Frank País": ("F. País",),
    "Rafael Freyre": ("R. Freyre",),
    "Jesús Menéndez": ("Chaparra",),
    "Primero de Enero": ("1ro de Enero",),
    "Bartolomé Masó": ("B. Masó", "Masó"),
    "Ciro Redondo": ("C. Redondo",),
    "Niceto Pérez": ("N. Pérez",),
    "Ciénaga de Zapata": ("Zapata",),
    "Jagüey Grande": ("Jagüey",),
    "Quemado de Güines": ("Quemado",),
    "Minas de Matahambre": ("Matahambre",),
    "San Juan y Martínez": ("San Juan",),
    "Unión de Reyes": ("Unión",),
    "Pedro Betancourt": ("P. Betancourt",),
    "Santa Cruz del Sur": ("Santa Cruz",),
    "Santa Cruz del Norte": ("Santa Cruz",),
    "Melena del Sur": ("Melena",),
    "Aguada de Pasajeros": ("Aguada",),
    "Palma Soriano": ("Palma",),
    "Puerto Padre": ("P. Padre",),
    "Consolación del Sur": ("Consolación",),
}

PRISONS = {
    "Pinar del Río": ("Kilo 5 y medio", "Prisión Provincial de Pinar del Río"),
    "Artemisa": ("Prisión de Guanajay", "Centro Penitenciario de Artemisa"),
    "La Habana": ("Combinado del Este", "Prisión 1580", "Valle Grande", "Villa Marista"),
    "Mayabeque": ("Centro Penitenciario de Mayabeque", "Prisión Provincial de Mayabeque"),
    "Matanzas": ("Prisión de Agüica", "Combinado de Matanzas"),
    "Cienfuegos": ("Prisión de Ariza",),
    "Villa Clara": ("La Pendiente", "Prisión Provincial de Villa Clara"),
    "Sancti Spíritus": ("Nieves Morejón",),
    "Ciego de Ávila": ("Canaleta",),
    "Camagüey": ("Kilo 8", "Kilo 7"),
    "Las Tunas": ("El Típico", "Prisión Provincial de Las Tunas"),
    "Holguín": ("Cuba Sí", "Prisión Provincial de Holguín"),
    "Granma": ("Las Mangas", "Prisión Provincial de Granma"),
    "Santiago de Cuba": ("Boniato", "Aguadores", "Mar Verde"),
    "Guantánamo": ("Combinado de Guantánamo",),
    "Isla de la Juventud": ("Centro Penitenciario de la Isla de la Juventud",),
}
_HAVANA_WOMEN = ("Manto Negro", "El Guatao")

# --------------------------------------------------------------------------------------
# Name pools (SPEC.md section 1). "name weight era"; eras: C classic, O old, S Soviet-era,
# Y coined Cuban names, N recent. Factors per cohort (<1960, 60s, 1970-84, 1985-97, 1998+).
# --------------------------------------------------------------------------------------

ERA_FACTORS = {
    "C": (1.0, 1.0, 1.0, 1.0, 1.0),
    "O": (1.8, 1.2, 0.6, 0.3, 0.2),
    "S": (0.1, 1.2, 1.5, 0.5, 0.2),
    "Y": (0.02, 0.4, 1.8, 2.0, 1.0),
    "N": (0.0, 0.0, 0.2, 0.8, 1.8),
}

_MALE_FIRST = """
José 60 C; Juan 30 C; Carlos 25 C; Luis 20 C; Jorge 18 C; Manuel 15 C; Lázaro 14 C;
Pedro 12 C; Miguel 12 C; Alejandro 12 C; Antonio 10 C; Daniel 10 C; Francisco 9 C;
Rafael 9 C; Roberto 9 C; Raúl 8 C; Ángel 8 C; Alexander 8 Y; Yunior 8 Y; Yoel 8 Y;
Adrián 7 C; Alexis 7 C; Ernesto 7 C; Javier 7 C; Maikel 7 Y; Alberto 6 C; Eduardo 6 C;
Ramón 6 C; Ricardo 6 C; Julio 6 C; Oscar 6 C; Frank 6 C; Alain 6 Y; Ariel 6 C; Jesús 6 O;
Yoandri 6 Y; Yasmani 6 Y; Yordanis 6 Y; Yoan 6 Y; Yosvany 6 Y; Enrique 5 C; Fernando 5 C;
Andrés 5 C; Sergio 5 C; Orlando 5 C; Reinaldo 5 C; Mario 5 C; René 5 C; Víctor 5 C;
Michel 5 Y; Osmany 5 Y; Yordan 5 Y; Yunier 5 Y; Félix 4 C; Rolando 4 C; Osvaldo 4 C;
Armando 4 C; Guillermo 4 C; Héctor 4 C; Leonardo 4 C; Pablo 4 C; Rubén 4 C; Yusnier 4 Y;
Yuniel 4 Y; Osmel 4 Y; Dayron 4 Y; Yandy 4 Y; Yunieski 4 Y; Reinier 4 Y; Yuri 4 S;
Rodolfo 3 C; Arturo 3 C; Humberto 3 C; Alfredo 3 C; Rigoberto 3 O; Gilberto 3 O;
Wilfredo 3 O; Nelson 3 O; Tomás 3 O; Emilio 3 O; Gerardo 3 O; Yoennis 3 Y; Yadiel 3 Y;
Yasiel 3 Y; Yunel 3 Y; Yaniel 3 Y; Yasser 3 Y; Vladimir 3 S; Iván 3 S; Kevin 3 N;
Cristian 3 N; Leandro 3 C; Eliécer 2 C; Gregorio 2 O; Ignacio 2 O; Heriberto 2 O;
Evaristo 2 O; Eusebio 2 O; Fidel 2 O; Orestes 2 O; Ramiro 2 O; Santiago 2 O; Vicente 2 O;
Aurelio 2 O; Domingo 2 O; Esteban 2 O; Joaquín 2 O; Leonel 2 O; Marcos 2 O; Nicolás 2 O;
Silvio 2 O; Agustín 2 O; Máximo 2 O; Ulises 2 O; Néstor 2 O; Reinerio 2 O; Onelio 2 O;
Yoelkis 2 Y; Yulier 2 Y; Yoeni 2 Y; Yankiel 2 Y; Yosmel 2 Y; Yuset 2 Y; Yulieski 2 Y;
Alién 2 Y; Osniel 2 Y; Orelvis 2 Y; Yordenis 2 Y; Duniesky 2 Y; Raidel 2 Y; Edel 2 Y;
Eddy 2 Y; Marlon 2 Y; Adonis 2 Y; Lester 2 Y; Ronald 2 Y; Noel 2 C; Ismael 2 C; Israel 2 C;
Lisandro 2 C; Yandel 2 N; Brayan 2 N; Anthony 2 N; Jonathan 2 N; Dayan 2 N; Yoangel 2 N;
Eliades 1 O; Pastor 1 O; Bienvenido 1 O; Cándido 1 O; Faustino 1 O; Hilario 1 O;
Isidro 1 O; Justo 1 O; Octavio 1 O; Benito 1 O; Celestino 1 O; Abelardo 1 O; Mariano 1 O;
Luciano 1 O; Lorenzo 1 O; Dagoberto 1 O; Eloy 1 O; Walfrido 1 O; Boris 1 S; Ígor 1 S;
Dmitri 1 S; Wilber 1 Y; Yamil 1 Y; Rey 1 C; Kendry 1 N; Yulián 1 N; Arián 1 N;
Idalberto 1 Y; Aramís 1 Y; Odelkis 1 Y; Yoslán 1 Y; Ernán 1 Y; Deibis 1 Y; Yasel 1 Y
"""

_FEMALE_FIRST = """
María 50 C; Ana 12 C; Rosa 6 C; Yanelis 5 Y; Lisandra 5 Y; Yanet 5 Y; Sandra 5 C;
Caridad 5 O; Isabel 4 C; Laura 4 C; Yusleidis 4 Y; Dayami 4 Y; Yudith 4 Y; Yaquelín 4 Y;
Yamilé 4 Y; Odalys 4 Y; Niurka 4 Y; Dayana 4 N; Daniela 4 N; Claudia 4 C; Carmen 4 O;
Marta 4 O; Yolanda 4 O; Mercedes 3 O; Teresa 3 O; Elena 3 C; Gladys 3 O; Olga 3 S;
Juana 3 O; Patricia 3 C; Beatriz 3 C; Yaimara 3 Y; Daylin 3 Y; Arianna 3 Y; Yarelis 3 Y;
Yailín 3 Y; Yamilka 3 Y; Yamila 3 Y; Diana 3 C; Liset 3 Y; Damaris 3 C; Leydis 3 Y;
Tania 3 S; Xiomara 3 O; Maritza 3 O; Miriam 3 O; Idania 3 Y; Nancy 3 O; Aleida 3 O;
Belkis 3 Y; Daisy 3 Y; Elizabeth 3 C; Lourdes 3 C; Margarita 3 O; Maribel 3 C;
Milagros 3 C; Mayra 3 C; Regla 3 C; Sonia 3 O; Vivian 3 C; Yadira 3 Y; Nilda 2 O;
Yenisey 2 Y; Mailén 2 N; Yoania 2 Y; Yoanka 2 Y; Yurisleidy 2 Y; Yordanka 2 Y;
Yuneisy 2 Y; Yaneisi 2 Y; Lisbet 2 Y; Annia 2 Y; Marlenis 2 Y; Magalys 2 O; Zoila 2 O;
Mayelín 2 Y; Yuleidys 2 Y; Yulianis 2 Y; Leidy 2 Y; Keila 2 Y; Katia 2 S; Iliana 2 C;
Ileana 2 C; Iraida 2 O; Migdalia 2 O; Mirta 2 O; Norma 2 O; Berta 2 O; Dania 2 Y;
Esther 2 O; Georgina 2 O; Gisela 2 O; Haydée 2 O; Hilda 2 O; Inés 2 O; Irma 2 O;
Josefa 2 O; Lucía 2 C; Luisa 2 O; Marlene 2 C; Noemí 2 C; Reina 2 O; Sara 2 C; Silvia 2 C;
Zenaida 2 O; Aymara 2 Y; Arelis 2 Y; Liannet 2 Y; Rosmery 2 Y; Yaritza 2 Y; Yenny 2 Y;
Yisel 2 Y; Anabel 2 C; Amanda 2 N; Camila 2 N; Melissa 2 N; Gabriela 2 N; Sheila 2 N;
Dayanis 2 Y; Yuliet 2 Y; Yanisleidy 2 Y; Yaima 2 Y; Yadelis 2 Y; Graciela 2 O; Marisol 2 C;
Yusimí 2 Y; Yusmary 2 Y; Dianelys 2 Y; Alina 2 C; Ivón 2 Y; Mabel 2 C; Misleidy 2 Y;
Kenia 2 Y; Madelín 2 Y; Roxana 2 C; Susana 2 C; Natacha 1 S; Irina 1 S; Adela 1 O;
Ernestina 1 O; Estela 1 O; Omara 1 O; Sulema 1 O; Thalía 1 N; Concepción 1 O; Dolores 1 O;
Gertrudis 1 O; Francisca 1 O; Nuria 1 C; Rosario 1 O; Amparo 1 O; Yamira 1 Y; Yailén 1 Y;
Yaremis 1 Y; Heidi 1 Y; Yoselín 1 N; Dailenis 1 Y; Surama 1 Y; Neisy 1 Y; Yunisleidis 1 Y
"""

_MALE_SECOND = """
Luis 10; Carlos 8; Antonio 8; Manuel 7; Alberto 6; Miguel 5; Ángel 5; Enrique 4; Javier 4;
Alejandro 4; Rafael 3; Ernesto 3; Daniel 3; Ramón 3; Jesús 3; Andrés 2; Felipe 2;
Eduardo 2; Ricardo 2; Raúl 2; Ariel 2; Armando 2; Julio 2; Francisco 2; Orlando 2;
Lázaro 2; Roberto 2; Alexis 2; Emilio 1; Guillermo 1; Mario 1; René 1; Ignacio 1;
Agustín 1; María 1; Gabriel 1; Leonel 1; Adrián 1; Yoel 1
"""

_FEMALE_SECOND = """
Elena 5; Isabel 5; María 5; Caridad 4; Teresa 3; Esther 3; Luisa 3; Victoria 3; Carmen 3;
Josefa 2; Margarita 2; Beatriz 2; Cristina 2; Rosa 2; Mercedes 2; Lourdes 2; Milagros 2;
Regla 2; Gloria 2; Julia 2; Antonia 2; Laura 2; Alejandra 2; Dolores 1; Amelia 1; Inés 1;
Patricia 1; Belén 1; Cecilia 1; Yanet 1
"""

_MARIA_PARTICLE_SECOND = """
de los Ángeles 5; del Carmen 5; de la Caridad 4; de las Mercedes 2; de los Milagros 2;
del Rosario 2; de Jesús 1; de la Concepción 1; de la Luz 1; del Pilar 1; de Lourdes 1;
de la Paz 1
"""

# Legal spellings of coined names (head first). Each member is a legal spelling.
SPELLINGS = (
    ("Yoandri", "Yoandry", "Yohandri", "Yoandy"),
    ("Yasmani", "Yasmany", "Yasmanis", "Yazmani"),
    ("Yordanis", "Yordany", "Yordanys", "Jordanis"),
    ("Yusnier", "Yusniel", "Yusniér"),
    ("Yosvany", "Yosvani", "Josvany", "Yosbany"),
    ("Osmany", "Osmani", "Osmanis", "Ozmany"),
    ("Maikel", "Maykel", "Michael", "Maicol"),
    ("Michel", "Michell", "Mitchel"),
    ("Yunior", "Junior", "Yúnior"),
    ("Dayron", "Dairon", "Dayrón"),
    ("Yoel", "Joel"),
    ("Yoan", "Johan", "Yohan"),
    ("Yandy", "Yandi"),
    ("Yunieski", "Yuniesky"),
    ("Yulieski", "Yuliesky"),
    ("Reinier", "Reynier", "Reiner"),
    ("Yuniel", "Yunniel"),
    ("Yasiel", "Yassiel"),
    ("Yuri", "Yury"),
    ("Osmel", "Ozmel"),
    ("Yordan", "Jordan"),
    ("Yunier", "Yunnier"),
    ("Yosmel", "Yosmell"),
    ("Reinaldo", "Reynaldo"),
    ("Yoennis", "Yoenis", "Yohennis"),
    ("Alain", "Alaín"),
    ("Yanelis", "Yanelys", "Yaneli"),
    ("Yusleidis", "Yusleidys", "Yusleydis", "Yusleidy"),
    ("Dayami", "Dayamí", "Dayamy", "Daymí"),
    ("Yanet", "Yaneth", "Yannet"),
    ("Yudith", "Yudit", "Judith"),
    ("Yaquelín", "Yaquelin", "Jaqueline", "Yakelín"),
    ("Daylin", "Dailyn", "Dailín"),
    ("Yenisey", "Yenisei"),
    ("Yailín", "Yaylín"),
    ("Yamilé", "Yamilet"),
    ("Yurisleidy", "Yurisleydi", "Yurisleidis"),
    ("Odalys", "Odalis"),
    ("Magalys", "Magaly", "Magalis"),
    ("Marlenis", "Marlenys"),
    ("Leydis", "Leidys"),
    ("Mirta", "Mirtha"),
    ("Daisy", "Deysi", "Deisy"),
    ("Lisandra", "Lissandra"),
    ("Yuleidys", "Yuleidis", "Yuleydis"),
    ("Arianna", "Ariana"),
    ("Liannet", "Lianet"),
    ("Yuneisy", "Yuneisi"),
    ("Yaimara", "Yaymara"),
    ("Yarelis", "Yarelys"),
    ("Misleidy", "Misleydi"),
    ("Dianelys", "Dianelis"),
)

NICKNAMES = {
    "José": ("Pepe", "Pepito", "Cheo"),
    "Francisco": ("Pancho", "Paco", "Frank", "Panchito"),
    "Jesús": ("Chucho", "Chuchi"),
    "Manuel": ("Manolo", "Manolito"),
    "Ignacio": ("Nacho",),
    "Enrique": ("Quique", "Kike"),
    "Antonio": ("Tony", "Toño", "Ñico"),
    "Rafael": ("Felo", "Rafa"),
    "Ramón": ("Mongo", "Moncho"),
    "Gregorio": ("Goyo",),
    "Alberto": ("Beto", "Tico"),
    "Roberto": ("Robe", "Robertico"),
    "Eduardo": ("Lalo", "Eddy"),
    "Guillermo": ("Memo", "Willy"),
    "Luis": ("Lucho", "Wicho"),
    "Alejandro": ("Alex", "Jandro"),
    "Alexander": ("Alex",),
    "Fernando": ("Nando",),
    "Rodolfo": ("Fito", "Rudy"),
    "Orlando": ("Landy",),
    "Lázaro": ("Lacho", "Lachy"),
    "Reinaldo": ("Rey", "Naldo"),
    "Ricardo": ("Richard", "Richi"),
    "Carlos": ("Carlitos",),
    "Jorge": ("Yoyi",),
    "Yoel": ("Yoyi",),
    "Maikel": ("Mike",),
    "Michel": ("Mike",),
    "Pedro": ("Pedrito", "Perico"),
    "Ernesto": ("Neto",),
    "Andrés": ("Andy",),
    "Daniel": ("Dany",),
    "Humberto": ("Tito",),
    "Juan Carlos": ("Juanca",),
    "José Antonio": ("Pepetoño",),
    "Yunior": ("Juny",),
    "María": ("Mari", "Mary", "Maruca"),
    "Caridad": ("Cachita", "Cuca", "Cary"),
    "Mercedes": ("Meche", "Mecha"),
    "Dolores": ("Lola",),
    "Josefa": ("Pepa", "Pepita"),
    "Francisca": ("Paca", "Panchita"),
    "Teresa": ("Tere",),
    "Isabel": ("Chabela", "Isa"),
    "Graciela": ("Chela",),
    "Margarita": ("Magui",),
    "Gertrudis": ("Tula",),
    "Elena": ("Nena",),
    "Yolanda": ("Yoli",),
    "Lisandra": ("Lisy",),
    "Yanelis": ("Yane",),
    "Dayami": ("Daya",),
    "Milagros": ("Mila",),
    "Beatriz": ("Bety",),
    "Concepción": ("Concha", "Conchita"),
    "María de los Ángeles": ("Marielos", "Mariángeles"),
    "María del Carmen": ("Maricarmen", "Carmita"),
    "María Isabel": ("Maribel",),
    "María Teresa": ("Maite",),
    "María Elena": ("Malena",),
    "María Luisa": ("Malú",),
    "Ana María": ("Anamary",),
}

GIVEN_ABBREVIATIONS = {
    "María": ("Ma.", "M\u00aa", "M."),
    "Francisco": ("Fco.", "Fcisco."),
    "José": ("Jsé.", "Jph."),
    "Antonio": ("Ant.", "Anto."),
    "Manuel": ("Mnel.", "Man."),
    "Fernando": ("Fdo.",),
    "Guillermo": ("Gmo.",),
    "Alberto": ("Alb.", "Albto."),
    "Roberto": ("Rbto.",),
    "Ricardo": ("Rcdo.",),
    "Rafael": ("Rfael.", "Raf."),
    "Caridad": ("Cdad.",),
    "Concepción": ("Concep.",),
    "Mercedes": ("Mdes.",),
    "Jesús": ("Jsús.",),
    "Alejandro": ("Alejdro.",),
    "Cristina": ("Cristna.",),
}

SURNAME_ABBREVIATIONS = {
    "Rodríguez": ("Rdguez.", "Rguez.", "Rodz.", "Rdgz"),
    "González": ("Glez.", "Gzlez.", "Gonz."),
    "Hernández": ("Hdez.", "Hdz.", "Hndez."),
    "Fernández": ("Fdez.", "Fndz."),
    "Martínez": ("Mtnez.", "Mtz.", "Martz."),
    "Gutiérrez": ("Gtrrez.", "Gtz."),
    "Domínguez": ("Dguez.", "Dmgz."),
    "Sánchez": ("Sánchz.", "Schez."),
    "Álvarez": ("Alvz.",),
    "Jiménez": ("Jmnez.", "Jimz."),
    "Ramírez": ("Rmrez.", "Rmz."),
    "Vázquez": ("Vzqz.",),
    "Velázquez": ("Velqz.",),
    "Benítez": ("Bntez.",),
    "Márquez": ("Mqz.",),
    "Pérez": ("Pz.",),
    "López": ("Lpz.",),
    "Gómez": ("Gmez.",),
    "Enríquez": ("Enrqz.",),
}

# Top 30 surnames with explicit percentages (about 40 % of the mass).
_TOP_SURNAMES = (
    ("Rodríguez", 4.2), ("González", 3.8), ("Hernández", 3.4), ("Pérez", 3.1),
    ("García", 2.8), ("Martínez", 2.1), ("Fernández", 1.7), ("Díaz", 1.7), ("López", 1.6),
    ("Sánchez", 1.4), ("Álvarez", 1.2), ("Gómez", 1.1), ("Ramírez", 0.9), ("Suárez", 0.9),
    ("Ramos", 0.8), ("Torres", 0.8), ("Castillo", 0.75), ("Cruz", 0.75), ("Reyes", 0.7),
    ("Morales", 0.7), ("Jiménez", 0.65), ("Herrera", 0.65), ("Vázquez", 0.6),
    ("Rivero", 0.6), ("Cabrera", 0.6), ("Batista", 0.6), ("Fonseca", 0.55), ("Valdés", 0.55),
    ("Castro", 0.55), ("Delgado", 0.5),
)  # fmt: skip

# The tail, roughly in decreasing frequency; weight ∝ rank^-0.9, 60 % of the mass in all.
_TAIL_SURNAMES = """
Romero, Moreno, Ruiz, Guerra, Mendoza, Medina, Acosta, Peña, Blanco, Rojas, Leyva, Aguilar,
Rivera, Ortiz, Gutiérrez, Silva, Vega, Pupo, Sosa, Navarro, Domínguez, Molina, Estrada,
Marrero, Machado, Cordero, Montero, Alonso, Benítez, Quintana, Núñez, Figueredo, Ávila,
Tamayo, Matos, Arias, Santos, Ricardo, Labrada, Zaldívar, Almaguer, Góngora, Téllez,
Carmenate, Cedeño, Espinosa, Lorenzo, Milanés, Rosales, Soto, Serrano, Cárdenas, Carrillo,
de la Cruz, Cuesta, Despaigne, Duarte, Echevarría, Escalona, Ferrer, Frómeta, Garcés,
Guerrero, Hechavarría, Iglesias, Izquierdo, Lago, Lamas, León, Lima, Llanes, Lugo, Luna,
Manzano, Márquez, Mesa, Miranda, Mojena, Montes, Mora, Muñoz, Naranjo, Nieves, Olivera,
Oliva, Orozco, Osorio, Padrón, Pacheco, Palacios, Pantoja, Pardo, Parra, Paz, Pedroso,
Pineda, Pino, Ponce, Portal, Prieto, Puentes, Quesada, Quintero, Rangel, Recio, Requena,
Rey, Ríos, Rivas, Robaina, Rosa, Rosell, Rubio, Ruano, Saavedra, Salazar, Salgado,
Sanabria, Sarmiento, Sierra, Solís, Sotolongo, Tejeda, Toledo, Tornés, Trujillo, Urquiza,
Valdivia, Valle, Varela, Vargas, Velázquez, Vera, Vidal, Villa, Villegas, Viera, Zamora,
Zayas, Abreu, Acanda, Aguiar, Alfonso, Almeida, Amador, Amaro, Andrade, Angulo, Aranda,
Arencibia, Armenteros, Arteaga, Ayala, Bacallao, Baró, Barrios, Barroso, Bermúdez,
Betancourt, Bello, Borges, Bravo, Bueno, Calderón, Calzadilla, Camejo, Campos, Cano,
Caraballo, Carbonell, Casanova, Castellanos, Chacón, Chávez, Cisneros, Collado, Concepción,
Contreras, Corrales, Crespo, Cuéllar, Dávila, Duque, Durán, Enríquez, Escobar, Esquivel,
Estévez, Fajardo, Falcón, Feria, Fleitas, Flores, Franco, Fuentes, Gallardo, Gallego,
Galván, Gil, Girón, Godoy, Granda, Guzmán, Heredia, Hidalgo, Hurtado, Infante, Jorge, Lara,
Leal, Leiva, Linares, Llerena, Lozano, Lucas, Madrigal, Maldonado, Marín, Mármol, Mayor,
Mederos, Mejías, Meneses, Miró, Mondéjar, Monzón, Morejón, Moya, Nápoles, Noa, Noriega,
Ochoa, Ojeda, Ordóñez, Ortega, Otero, Pagés, Palomino, Peraza, Perdomo, Piñeiro,
Plasencia, Pozo, Puig, Quiñones, Regalado, Rentería, Reina, Riverón, Roque, Rosabal, Sáez,
Salas, Sardiñas, Segura, Sequeira, Socarrás, Solano, Suazo, Tabares, Tápanes, Terry,
Tirado, Travieso, Uría, Urrutia, Veitía, Ventura, Verdecia, Vinent, Yero, Zulueta,
del Toro, Arrechea, Iturralde, Goicochea, Echemendía, Echenique, Elizalde, Aldama,
Agramonte, Varona, Céspedes, Maceo, Mestre, Nodarse, Sablón, de Armas, Chang, Wong, Lee,
Chiong, Lay, Fong, Chao, Kindelán, Duverger, Duvergel, Lafargue, Pierre, Columbié, Savón,
Durruthy, Lafita, Planas, Hamud, Handal, Yanes, Yáñez, Ibáñez, Bárzaga, Ferrales, Lores,
Cala, Coello, Cutiño, Guevara, Hevia, Mulet, Pompa, Puebla, Rizo, Sotomayor, Urgellés,
Vaillant, Wilson, Smith, Brown, Cobas, Alarcón, Alemán, Almenares, Arcia, Arocha,
Balmaseda, Barreto, Basulto, Bencomo, Bolaños, Bonilla, Borrego, Brito, Caballero,
Cabello, Calvo, Canto, Carballo, Casas, Castañeda, Cepero, Clavijo, Corona, Cortés,
Curbelo, Diéguez, Dorta, Espino, Expósito, Fariñas, Fiallo, Fraga, Frías, Gálvez, Gamboa,
Garrido, Gener, Grillo, Guardado, Guillén, Echavarría, Ledesma, Lemus, Lezcano, Llorente,
Loyola, Madera, Mantilla, Manso, Mauri, Mirabal, Montalvo, Montejo, Morffi, Negrín, Ocaña,
Orta, Padilla, Pavón, Peralta, Pestana, Piloto, Pimentel, Pons, Portuondo, Pulido, Rabelo,
Ravelo, Revé, Riquelme, Rondón, Santana, Santiesteban, Taboada, Tamargo, Tejera, Torriente,
Triana, Trimiño, Urbina, Vallejo, Vélez, Viñas, Yera, Zurita, Valdez, de la Paz,
de la Torre, del Pino, de León, de la Rosa, del Valle, de los Santos, del Río, de la Fe,
de Jesús, de Dios, de la Osa, de la Guardia, de Zayas, de la O, San Martín, Santa Cruz,
Villalobos, Hidalgo-Gato, Ferrán, Grave de Peralta, Oramas, Ponciano, Mustelier
"""

REGIONAL_SURNAMES = {
    ("Holguín", "Las Tunas"): ("Pupo", "Ricardo", "Almaguer", "Leyva", "Góngora", "Zaldívar"),
    ("Granma",): ("Labrada", "Milanés", "Tamayo", "Rosales"),
    ("Santiago de Cuba", "Guantánamo"): (
        "Frómeta", "Durruthy", "Despaigne", "Columbié", "Lafita", "Savón", "Kindelán",
        "Duvergel",
    ),
    ("Camagüey",): ("Agramonte", "Betancourt", "Varona", "Quesada", "Cisneros"),
}  # fmt: skip
_REGIONAL_BOOST = 5.0

_PARTICLES = ("de", "del", "la", "las", "los")

# --------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------


class _Pool:
    """Weighted choice by bisection over cumulative weights (fast, deterministic)."""

    __slots__ = ("cum", "items", "total")

    def __init__(self, pairs: Sequence[tuple[str, float]]) -> None:
        kept = [(item, w) for item, w in pairs if w > 0]
        self.items = tuple(item for item, _ in kept)
        self.cum = tuple(itertools.accumulate(w for _, w in kept))
        self.total = self.cum[-1]

    def pick(self, rng: random.Random) -> str:
        return self.items[bisect.bisect_right(self.cum, rng.random() * self.total)]


def _parse_weighted(text: str, with_era: bool) -> tuple[tuple[str, float, str], ...]:
    out: list[tuple[str, float, str]] = []
    for chunk in text.replace("\n", " ").split(";"):
        parts = chunk.split()
        if not parts:
            continue
        if with_era:
            *name, weight, era = parts
        else:
            *name, weight = parts
            era = "C"
        out.append((" ".join(name), float(weight), era))
    return tuple(out)


def _pick_table(rng: random.Random, table: Sequence[tuple[str, float]]) -> str:
    u = rng.random() * sum(p for _, p in table)
    for label, p in table:
        u -= p
        if u < 0:
            return label
    return table[-1][0]


_ACCENT_TABLE = str.maketrans("áéíóúüÁÉÍÓÚÜ", "aeiouuAEIOUU")
_ENYE_TABLE = str.maketrans("ñÑ", "nN")


def _fold(text: str) -> str:
    """Accent- and case-insensitive key (for grouping namesakes)."""
    return " ".join(text.translate(_ACCENT_TABLE).translate(_ENYE_TABLE).lower().split())


def _cohort(year: int) -> int:
    if year < 1960:
        return 0
    if year < 1970:
        return 1
    if year < 1985:
        return 2
    if year < 1998:
        return 3
    return 4


def _days_in_year(year: int) -> int:
    return 366 if (year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)) else 365


def _random_day(rng: random.Random, year: int) -> dt.date:
    year = min(max(year, BIRTH_MIN.year), BIRTH_MAX.year)
    return dt.date(year, 1, 1) + dt.timedelta(days=rng.randrange(_days_in_year(year)))


def _between(rng: random.Random, lo: dt.date, hi: dt.date) -> dt.date:
    if hi <= lo:
        return lo
    return lo + dt.timedelta(days=rng.randrange((hi - lo).days + 1))


def _add_years(d: dt.date, years: int) -> dt.date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


# --------------------------------------------------------------------------------------
# Pools built once at import
# --------------------------------------------------------------------------------------

_MALE = _parse_weighted(_MALE_FIRST, True)
_FEMALE = _parse_weighted(_FEMALE_FIRST, True)
_SECOND = {
    "M": _Pool([(n, w) for n, w, _ in _parse_weighted(_MALE_SECOND, False)]),
    "F": _Pool([(n, w) for n, w, _ in _parse_weighted(_FEMALE_SECOND, False)]),
}
_MARIA_SECOND = _Pool([(n, w) for n, w, _ in _parse_weighted(_MARIA_PARTICLE_SECOND, False)])
_FIRST_POOLS = {
    (sex, cohort): _Pool([(n, w * ERA_FACTORS[era][cohort]) for n, w, era in names])
    for sex, names in (("M", _MALE), ("F", _FEMALE))
    for cohort in range(5)
}
_TOP_FIRST = {
    sex: _Pool([(n, w) for n, w, _ in sorted(names, key=lambda x: -x[1])[:30]])
    for sex, names in (("M", _MALE), ("F", _FEMALE))
}
_SPELLING_FAMILY = {member: family for family in SPELLINGS for member in family}
_COMPOUND_STARTERS = {
    "M": ("José", "Juan", "Luis", "Carlos", "Miguel", "Jorge"),
    "F": ("María", "Ana"),
}
_HIGH_SECOND = ("José", "Juan", "María", "Ana")


def _surname_table() -> tuple[tuple[str, float], ...]:
    tail = [s.strip() for s in _TAIL_SURNAMES.replace("\n", " ").split(",") if s.strip()]
    raw = [1.0 / (rank**0.9) for rank in range(31, 31 + len(tail))]
    scale = 60.0 / sum(raw)
    table = list(_TOP_SURNAMES) + [(s, w * scale) for s, w in zip(tail, raw, strict=True)]
    names = [s for s, _ in table]
    dupes = sorted({s for s in names if names.count(s) > 1})
    if dupes:
        raise ValueError(f"duplicate surnames: {dupes}")
    return tuple(table)


_SURNAMES = _surname_table()
_TOP_SURNAME_POOL = _Pool(_SURNAMES[:25])
_TOP10_SURNAMES = tuple(s for s, _ in _SURNAMES[:10])


def _province_surname_pool(province: str) -> _Pool:
    boosted: list[str] = []
    for provinces, names in REGIONAL_SURNAMES.items():
        if province in provinces:
            boosted.extend(names)
    return _Pool([(s, w * (_REGIONAL_BOOST if s in boosted else 1.0)) for s, w in _SURNAMES])


_SURNAME_POOLS = {p: _province_surname_pool(p) for p, _, _ in PROVINCES}
_PROVINCE_POOL = _Pool([(p, w) for p, w, _ in PROVINCES])
_MUNICIPALITIES = {p: m for p, _, m in PROVINCES}


def _municipality_pool(province: str, munis: tuple[str, ...]) -> _Pool:
    if province == "La Habana":
        return _Pool(list(zip(munis, _HAVANA_WEIGHTS, strict=True)))
    pairs = []
    for i, m in enumerate(munis):
        pairs.append((m, 4.0 if i == 0 else 2.0 if m in _BIG_MUNICIPALITIES else 1.0))
    return _Pool(pairs)


_MUNI_POOLS = {p: _municipality_pool(p, m) for p, _, m in PROVINCES}
_STATUS_POOL = _Pool([(s, w) for s, w, _, _ in STATUSES])
_STATUS_INFO = {s: (custodial, rule) for s, _, custodial, rule in STATUSES}


# --------------------------------------------------------------------------------------
# People (the hidden truth) and clusters
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _P:
    given: str
    paternal: str
    maternal: str
    sex: str
    birth: dt.date
    province: str
    municipality: str


def _draw_sex(rng: random.Random) -> str:
    return "F" if rng.random() < 0.15 else "M"


def _draw_birth(rng: random.Random) -> dt.date:
    u = rng.random()
    if u < 0.06:
        lo, hi = 1940, 1959
    elif u < 0.20:
        lo, hi = 1960, 1974
    elif u < 0.52:
        lo, hi = 1975, 1989
    else:
        lo, hi = 1990, 2008
    return _random_day(rng, rng.randint(lo, hi))


def _draw_place(rng: random.Random, province: str | None = None) -> tuple[str, str]:
    province = province or _PROVINCE_POOL.pick(rng)
    return province, _MUNI_POOLS[province].pick(rng)


def _legal_spelling(rng: random.Random, name: str) -> str:
    family = _SPELLING_FAMILY.get(name)
    if family is None or rng.random() < 0.65:
        return name
    return rng.choice(family[1:])


def _draw_second(rng: random.Random, sex: str, first: str) -> str:
    if first == "María" and sex == "F" and rng.random() < 0.45:
        return _MARIA_SECOND.pick(rng)
    for _ in range(20):
        second = _SECOND[sex].pick(rng)
        if second != first:
            return second
    return "Luis" if sex == "M" else "Elena"


def _draw_given(
    rng: random.Random,
    sex: str,
    year: int,
    first: str | None = None,
    force_second: bool = False,
    avoid: Sequence[str] = (),
) -> str:
    """Given names; `avoid` lists full given names (and first words) not to repeat."""
    given = first or ("José" if sex == "M" else "María")
    for _ in range(40):
        f = first
        if f is None:
            f = _legal_spelling(rng, _FIRST_POOLS[(sex, _cohort(year))].pick(rng))
            if f in avoid:
                continue
        p2 = 0.80 if f in _HIGH_SECOND else 0.38
        given = f + " " + _draw_second(rng, sex, f) if force_second or rng.random() < p2 else f
        if given not in avoid:
            return given
    return given


def _fresh(rng: random.Random, sex: str | None = None) -> _P:
    sex = sex or _draw_sex(rng)
    birth = _draw_birth(rng)
    province, muni = _draw_place(rng)
    pool = _SURNAME_POOLS[province]
    return _P(
        _draw_given(rng, sex, birth.year), pool.pick(rng), pool.pick(rng), sex, birth,
        province, muni,
    )  # fmt: skip


def _birth_near(rng: random.Random, year: int, lo: int, hi: int) -> dt.date:
    """A birth date `lo`..`hi` years from `year`, either side, inside 1940-2008."""
    options = [
        y
        for k in range(lo, hi + 1)
        for y in (year - k, year + k)
        if BIRTH_MIN.year <= y <= BIRTH_MAX.year
    ]
    return _random_day(rng, rng.choice(options) if options else year)


def _different_surname(rng: random.Random, province: str, not_this: str) -> str:
    pool = _SURNAME_POOLS[province]
    for _ in range(20):
        s = pool.pick(rng)
        if s != not_this:
            return s
    return "Expósito" if not_this != "Expósito" else "Mustelier"


def _shared_first_given(rng: random.Random, anchor: _P, sex: str, year: int) -> str | None:
    """A given name sharing the anchor's first word ("José Luis" -> "José Carlos")."""
    words = anchor.given.split()
    if sex != anchor.sex or words[0] not in _COMPOUND_STARTERS[sex]:
        return None
    return _draw_given(rng, sex, year, first=words[0], force_second=True, avoid=(anchor.given,))


def _sibling_of(rng: random.Random, anchor: _P, shared_first: float = 0.20) -> _P:
    sex = _draw_sex(rng)
    birth = _birth_near(rng, anchor.birth.year, 1, 10)
    given = None
    if rng.random() < shared_first:
        given = _shared_first_given(rng, anchor, sex, birth.year)
    if given is None:
        first_word = anchor.given.split()[0]
        given = _draw_given(rng, sex, birth.year, avoid=(anchor.given, first_word))
    return _P(
        given, anchor.paternal, anchor.maternal, sex, birth, anchor.province,
        anchor.municipality,
    )  # fmt: skip


def _twin_of(rng: random.Random, anchor: _P) -> _P:
    share = rng.random() < 0.40
    sex = anchor.sex if share or rng.random() < 0.6 else ("M" if anchor.sex == "F" else "F")
    given = _shared_first_given(rng, anchor, sex, anchor.birth.year) if share else None
    if given is None:
        first_word = anchor.given.split()[0]
        given = _draw_given(rng, sex, anchor.birth.year, avoid=(anchor.given, first_word))
    return _P(
        given, anchor.paternal, anchor.maternal, sex, anchor.birth, anchor.province,
        anchor.municipality,
    )  # fmt: skip


def _namesake_of(rng: random.Random, anchor: _P) -> _P:
    same_year = rng.random() < 0.25
    birth = _random_day(rng, anchor.birth.year) if same_year else _draw_birth(rng)
    province = anchor.province if rng.random() < 0.50 else None
    province, muni = _draw_place(rng, province)
    return _P(anchor.given, anchor.paternal, anchor.maternal, anchor.sex, birth, province, muni)


def _parent_or_child_of(rng: random.Random, anchor: _P) -> _P:
    year = anchor.birth.year
    can_child = year + 18 <= BIRTH_MAX.year
    can_parent = year - 18 >= BIRTH_MIN.year
    if can_child and (not can_parent or rng.random() < 0.5):
        lo, hi = year + 18, min(year + 40, BIRTH_MAX.year)
    else:
        lo, hi = max(year - 40, BIRTH_MIN.year), year - 18
    birth = _random_day(rng, rng.randint(lo, hi))
    maternal = _different_surname(rng, anchor.province, anchor.maternal)
    if rng.random() < 0.80:
        province = anchor.province
        muni = anchor.municipality if rng.random() < 0.75 else _draw_place(rng, province)[1]
    else:
        province, muni = _draw_place(rng)
    return _P(anchor.given, anchor.paternal, maternal, anchor.sex, birth, province, muni)


def _cousin_of(rng: random.Random, anchor: _P) -> _P:
    sex = _draw_sex(rng)
    birth = _birth_near(rng, anchor.birth.year, 0, 15)
    if sex == anchor.sex and rng.random() < 0.20:
        given = anchor.given
    else:
        given = _draw_given(rng, sex, birth.year, avoid=(anchor.given,))
    maternal = _different_surname(rng, anchor.province, anchor.maternal)
    if rng.random() < 0.50:
        province, muni = anchor.province, anchor.municipality
    elif rng.random() < 0.70:
        province, muni = _draw_place(rng, anchor.province)
    else:
        province, muni = _draw_place(rng)
    return _P(given, anchor.paternal, maternal, sex, birth, province, muni)


_RELATIVE_MAKERS: dict[str, Callable[[random.Random, _P], _P]] = {
    "namesake": _namesake_of,
    "sibling": _sibling_of,
    "twin": _twin_of,
    "parent_child": _parent_or_child_of,
    "cousin": _cousin_of,
}


def _cluster(rng: random.Random, kind: str) -> list[_P]:
    if kind == "single":
        return [_fresh(rng)]
    if kind == "siblings":
        size = int(_pick_table(rng, (("2", 0.65), ("3", 0.25), ("4", 0.10))))
        first = _fresh(rng)
        out = [first]
        while len(out) < size:
            sib = _sibling_of(rng, first)
            if all(sib.given != o.given for o in out):
                out.append(sib)
        return out
    if kind == "twins":
        first = _fresh(rng)
        return [first, _twin_of(rng, first)]
    if kind == "namesakes":
        size = int(
            _pick_table(rng, (("2", 0.45), ("3", 0.25), ("4", 0.15), ("5", 0.09), ("6", 0.06)))
        )
        sex = _draw_sex(rng)
        birth = _draw_birth(rng)
        given = _draw_given(rng, sex, birth.year, first=_TOP_FIRST[sex].pick(rng))
        province, muni = _draw_place(rng)
        head = _P(
            given, _TOP_SURNAME_POOL.pick(rng), _TOP_SURNAME_POOL.pick(rng), sex, birth,
            province, muni,
        )  # fmt: skip
        return [head] + [_namesake_of(rng, head) for _ in range(size - 1)]
    if kind == "parent_child":
        first = _fresh(rng)
        return [first, _parent_or_child_of(rng, first)]
    raise ValueError(kind)


def _population(rng: random.Random, n: int, shares: Sequence[tuple[str, float]]) -> list[_P]:
    """`n` distinct people; `shares` are shares of people, turned into cluster odds."""
    cluster_odds = [(kind, share / _CLUSTER_MEAN[kind]) for kind, share in shares]
    out: list[_P] = []
    while len(out) < n:
        out.extend(_cluster(rng, _pick_table(rng, cluster_odds)))
    del out[n:]
    rng.shuffle(out)
    return out


# --------------------------------------------------------------------------------------
# Registry
# --------------------------------------------------------------------------------------


def generate_registry(size: int, seed: int) -> list[RegistryPerson]:
    """The careful registry (SPEC.md section 3)."""
    rng = random.Random(f"detente-independent-registry:{seed}")
    people = _population(rng, size, REGISTRY_SHARES)
    out: list[RegistryPerson] = []
    for i, p in enumerate(people, start=1):
        precision = _pick_table(
            rng, (("day", 0.78), ("month", 0.06), ("year", 0.09), ("none", 0.07))
        )
        birth = {
            "day": p.birth.isoformat(),
            "month": f"{p.birth.year:04d}-{p.birth.month:02d}",
            "year": f"{p.birth.year:04d}",
            "none": "",
        }[precision]
        maternal = p.maternal if rng.random() >= 0.015 else ""
        province = p.province if rng.random() >= 0.02 else ""
        municipality = p.municipality if province and rng.random() < 0.85 else ""
        out.append(
            RegistryPerson(
                f"R{i:06d}", p.given, p.paternal, maternal, p.sex, birth, province, municipality
            )
        )
    return out


def _truth_of(p: RegistryPerson) -> _P:
    """The person behind a registry record; unknown parts drawn from a per-person stream."""
    parts = p.birth_date.split("-") if p.birth_date else []
    complete = len(parts) == 3 and p.maternal_surname and p.province and p.municipality
    if complete:
        birth = dt.date(int(parts[0]), int(parts[1]), int(parts[2]))
        return _P(
            p.given_names, p.paternal_surname, p.maternal_surname, p.sex, birth, p.province,
            p.municipality,
        )  # fmt: skip
    rng = random.Random(f"detente-independent-truth:{p.pid}|{p.given_names}|{p.paternal_surname}")
    if len(parts) == 3:
        birth = dt.date(int(parts[0]), int(parts[1]), int(parts[2]))
    elif len(parts) == 2:
        first = dt.date(int(parts[0]), int(parts[1]), 1)
        nxt = dt.date(first.year + first.month // 12, first.month % 12 + 1, 1)
        birth = _between(rng, first, nxt - dt.timedelta(days=1))
    elif len(parts) == 1:
        birth = _random_day(rng, int(parts[0]))
    else:
        birth = _draw_birth(rng)
    province = p.province or _PROVINCE_POOL.pick(rng)
    municipality = p.municipality or _MUNI_POOLS[province].pick(rng)
    maternal = p.maternal_surname or _SURNAME_POOLS[province].pick(rng)
    return _P(p.given_names, p.paternal_surname, maternal, p.sex, birth, province, municipality)


# --------------------------------------------------------------------------------------
# Custody facts (SPEC.md section 2)
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Custody:
    status: str
    arrest: dt.date
    event: dt.date
    place: str


def _draw_arrest(rng: random.Random, birth: dt.date) -> dt.date:
    u = rng.random()
    d = None
    for share, lo, hi in ARREST_WINDOWS:
        if u < share:
            if lo == dt.date(2021, 7, 11) and rng.random() < 0.75:
                hi = dt.date(2021, 7, 13)
            d = _between(rng, lo, hi)
            break
        u -= share
    if d is None:
        d = _between(rng, FIRST_EVENT, LAST_EVENT)
    earliest = max(FIRST_EVENT, _add_years(birth, 16))
    if d < earliest:
        d = _between(rng, earliest, min(LAST_EVENT, _add_years(earliest, 3)))
    return d


def _prison(rng: random.Random, person: _P) -> str:
    u = rng.random()
    if u < 0.05:
        if rng.random() < 0.5:
            return f"Estación de la PNR de {person.municipality}"
        return f"Unidad de Instrucción de {person.province}"
    province = person.province if u < 0.80 else _PROVINCE_POOL.pick(rng)
    if person.sex == "F" and rng.random() < 0.40:
        if province == "La Habana":
            return rng.choice(_HAVANA_WOMEN)
        return f"Prisión de Mujeres de {province}"
    return rng.choice(PRISONS[province])


def _draw_custody(rng: random.Random, person: _P, arrest: dt.date | None = None) -> _Custody:
    status = _STATUS_POOL.pick(rng)
    custodial, rule = _STATUS_INFO[status]
    arrest = arrest or _draw_arrest(rng, person.birth)
    if rule == "detained" and rng.random() < 0.60:
        event = arrest
    elif rule == "disappeared":
        event = min(LAST_EVENT, arrest + dt.timedelta(days=rng.randrange(11)))
    elif rule == "release" and arrest < RELEASE_WINDOW[0] and rng.random() < 0.30:
        event = _between(rng, *RELEASE_WINDOW)
    else:
        event = _between(rng, arrest, LAST_EVENT)
    place = _prison(rng, person) if custodial else ""
    return _Custody(status, arrest, event, place)


# --------------------------------------------------------------------------------------
# Typing errors (SPEC.md 4.3)
# --------------------------------------------------------------------------------------

_KEY_NEIGHBOURS = {
    "q": "wa", "w": "qes", "e": "wrd", "r": "etf", "t": "ryg", "y": "tuh", "u": "yij",
    "i": "uok", "o": "ipl", "p": "olñ", "a": "qsz", "s": "awdxz", "d": "serfcx",
    "f": "drtgvc", "g": "ftyhbv", "h": "gyujnb", "j": "huikmn", "k": "jiolm", "l": "kopñ",
    "ñ": "lp", "z": "asx", "x": "zsdc", "c": "xdfv", "v": "cfgb", "b": "vghn", "n": "bhjm",
    "m": "njk",
}  # fmt: skip
_V = "aeiouáéíóú"
_SPELLING_RULES = tuple(
    (re.compile(pattern), repl)
    for pattern, repl in (
        (r"b", "v"),
        (r"v", "b"),
        (r"z", "s"),
        (r"s(?=[eiéí])", "c"),
        (r"s", "z"),
        (r"c(?=[eiéí])", "s"),
        (r"ll", "y"),
        (rf"(?<=[{_V}])y(?=[{_V}])", "ll"),
        (r"\bh", ""),
        (rf"(?<=[{_V}])h", ""),
        (rf"\b(?=[{_V}])", "h"),
        (r"g(?=[eiéí])", "j"),
        (r"j(?=[eiéí])", "g"),
        (r"x", "s"),
        (r"rr", "r"),
        (r"cc", "c"),
        (r"ñ", "ni"),
        (r"i\b", "y"),
        (r"y\b", "i"),
        (r"is\b", "ys"),
        (r"ys\b", "is"),
    )
)


def _recase(original: str, lowered_new: str) -> str:
    """Give `lowered_new` the capitalisation pattern of `original` (word initials)."""
    if original.isupper():
        return lowered_new.upper()
    old_words = original.split(" ")
    new_words = lowered_new.split(" ")
    if len(old_words) != len(new_words):
        return lowered_new[:1].upper() + lowered_new[1:]
    return " ".join(
        (n[:1].upper() + n[1:]) if o[:1].isupper() else n
        for o, n in zip(old_words, new_words, strict=True)
    )


def _keyboard_typo(rng: random.Random, text: str) -> str:
    low = text.lower()
    letters = [i for i, ch in enumerate(low) if ch.isalpha() and ch != "\u00aa"]
    if len(letters) < 2:
        return text
    i = rng.choice(letters)
    op = _pick_table(rng, (("sub", 0.40), ("drop", 0.25), ("double", 0.15), ("swap", 0.20)))
    ch = low[i]
    if op == "sub":
        base = ch.translate(_ACCENT_TABLE)
        new = low[:i] + rng.choice(_KEY_NEIGHBOURS.get(base, "e")) + low[i + 1 :]
    elif op == "drop":
        word_len = len(low[: i + 1].split(" ")[-1]) + len(low[i + 1 :].split(" ")[0])
        if word_len <= 2:
            return text
        new = low[:i] + low[i + 1 :]
    elif op == "double":
        new = low[:i] + ch + low[i:]
    else:
        j = i + 1 if i + 1 < len(low) and low[i + 1].isalpha() else i - 1
        if j < 0 or not low[j].isalpha():
            return text
        a, b = min(i, j), max(i, j)
        if low[a] == low[b]:
            return text
        new = low[:a] + low[b] + low[a] + low[b + 1 :]
    return _recase(text, new)


def _spelling_typo(rng: random.Random, text: str) -> str:
    low = text.lower()
    sites = [(m.start(), m.end(), repl) for rx, repl in _SPELLING_RULES for m in rx.finditer(low)]
    if not sites:
        return _keyboard_typo(rng, text)
    start, end, repl = rng.choice(sites)
    return _recase(text, low[:start] + repl + low[end:])


# --------------------------------------------------------------------------------------
# List typing (SPEC.md section 4)
# --------------------------------------------------------------------------------------

_DATE_FORMATS = (("dmy/", 0.50), ("iso", 0.25), ("dmy-", 0.15), ("dmy.", 0.10))
_ID_FORMATS = ("PD-{:05d}", "{:d}", "J11-{:04d}", "CU{:06d}", "ID-{:d}")


@dataclass(frozen=True)
class _ListStyle:
    date_format: str
    sex_words: bool
    id_format: str
    id_start: int


def _draw_style(rng: random.Random) -> _ListStyle:
    return _ListStyle(
        date_format=_pick_table(rng, _DATE_FORMATS),
        sex_words=rng.random() < 0.25,
        id_format=rng.choice(_ID_FORMATS),
        id_start=rng.choice((1, 1, 1, 100, 1001)),
    )


def _write_date(d: dt.date, precision: str, fmt: str) -> str:
    if precision == "year":
        return f"{d.year:04d}"
    if precision == "month":
        return f"{d.year:04d}-{d.month:02d}" if fmt == "iso" else f"{d.month:02d}/{d.year:04d}"
    if fmt == "iso":
        return d.isoformat()
    sep = fmt[3]
    return f"{d.day:02d}{sep}{d.month:02d}{sep}{d.year:04d}"


def _is_particle_surname(s: str) -> bool:
    words = s.split()
    return len(words) > 1 and words[0] in ("de", "del")


def _initial(word: str) -> str:
    return word[:1].upper() + "."


class _Typist:
    """Types people into a list's cells, counting every corruption it rolls."""

    def __init__(self, rng: random.Random, style: _ListStyle) -> None:
        self.rng = rng
        self.style = style
        self.counts: dict[str, list[int]] = {}

    # -- bookkeeping -------------------------------------------------------------------
    def roll(self, key: str) -> bool:
        c = self.counts.setdefault(key, [0, 0])
        c[1] += 1
        if self.rng.random() < RATES[key]:
            c[0] += 1
            return True
        return False

    def undo(self, key: str) -> None:
        self.counts[key][0] -= 1

    def note(self, key: str, hit: bool) -> None:
        c = self.counts.setdefault(key, [0, 0])
        c[1] += 1
        c[0] += int(hit)

    def pick(self, prefix: str, table: Sequence[tuple[str, float]]) -> str:
        chosen = _pick_table(self.rng, table)
        for label, _ in table:
            self.note(f"{prefix}.{label}", label == chosen)
        return chosen

    # -- names -------------------------------------------------------------------------
    def given(self, given: str, sex: str) -> str:
        rng = self.rng
        words = given.split()
        if len(words) > 1:
            if self.roll("given.second_dropped"):
                words = words[:1]
            elif self.roll("given.known_by_second"):
                rest = words[1:]
                while len(rest) > 1 and rest[0] in _PARTICLES:
                    rest = rest[1:]
                words = [rest[0][:1].upper() + rest[0][1:], *rest[1:]]
        current = " ".join(words)
        nicks = NICKNAMES.get(current) or NICKNAMES.get(words[0])
        if nicks and self.roll("given.nickname"):
            return rng.choice(nicks)
        if self.roll("given.generic_nickname"):
            return "Nena" if sex == "F" else "Nene"
        out = []
        for i, w in enumerate(words):
            family = _SPELLING_FAMILY.get(w)
            if family and self.roll("given.respelled"):
                w = rng.choice([m for m in family if m != w])
            elif w in GIVEN_ABBREVIATIONS and self.roll("given.abbreviated"):
                w = rng.choice(GIVEN_ABBREVIATIONS[w])
            elif i == 0 and self.roll("given.first_initial"):
                w = _initial(w)
            out.append(w)
        content = [i for i, w in enumerate(out) if i > 0 and w not in _PARTICLES]
        if content and not out[content[-1]].endswith(".") and self.roll("given.second_initial"):
            out[content[-1]] = _initial(out[content[-1]])
        return " ".join(out)

    def surname(self, s: str) -> str:
        rng = self.rng
        if not s:
            return s
        if _is_particle_surname(s):
            if self.roll("surname.particle_dropped"):
                s = s.split()[-1]
            elif self.roll("surname.particle_fused"):
                joined = "".join(s.split())
                s = joined[:1].upper() + joined[1:].lower()
            elif self.roll("surname.particle_capitalised"):
                words = s.split()
                if rng.random() < 0.5:
                    s = " ".join([words[0].capitalize(), *words[1:]])
                else:
                    s = " ".join(w[:1].upper() + w[1:] for w in words)
        if s in SURNAME_ABBREVIATIONS and self.roll("surname.abbreviated"):
            s = rng.choice(SURNAME_ABBREVIATIONS[s])
        return s

    def typo(self, key: str, text: str) -> str:
        if not text or not self.roll(key):
            return text
        keyboard = self.rng.random() < RATES["typo.keyboard_share"]
        new = _keyboard_typo(self.rng, text) if keyboard else _spelling_typo(self.rng, text)
        if new == text:
            self.undo(key)
        return new

    # -- dates -------------------------------------------------------------------------
    def row_date_format(self) -> str:
        if self.roll("row.other_date_format"):
            others = [f for f, _ in _DATE_FORMATS if f != self.style.date_format]
            return self.rng.choice(others)
        return self.style.date_format

    def _corrupt_birth(self, d: dt.date) -> dt.date:
        rng = self.rng
        candidates: list[tuple[str, Callable[[], dt.date | None]]] = []
        if d.day <= 12 and d.day != d.month:
            swapped = d.replace(day=d.month, month=d.day)
            candidates.append(("birth.day_month_swapped", lambda: swapped))
        candidates += [
            ("birth.wrong_digit", lambda: self._wrong_digit(d)),
            ("birth.year_off_1", lambda: _shift_year(d, rng.choice((-1, 1)))),
            ("birth.year_off_2", lambda: _shift_year(d, rng.choice((-2, 2)))),
            ("birth.day_off", lambda: d + dt.timedelta(days=rng.choice((-2, -1, 1, 2)))),
            ("birth.month_off", lambda: _shift_month(d, rng.choice((-1, 1)))),
        ]
        for key, make in candidates:
            if self.roll(key):
                new = make()
                if new is not None and BIRTH_MIN <= new <= BIRTH_MAX and new != d:
                    return new
                self.undo(key)
                return d
        return d

    def _wrong_digit(self, d: dt.date) -> dt.date | None:
        digits = list(f"{d.year:04d}{d.month:02d}{d.day:02d}")
        for _ in range(6):
            pos = self.rng.choice((2, 3, 3, 4, 5, 5, 6, 7, 7))
            new = list(digits)
            new[pos] = self.rng.choice([c for c in "0123456789" if c != digits[pos]])
            text = "".join(new)
            try:
                return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
            except ValueError:
                continue
        return None

    def birth(self, d: dt.date, reference: dt.date, fmt: str) -> str:
        form = self.pick("birth", BIRTH_FORMS)
        if form == "empty":
            return ""
        if form == "year":
            return f"{d.year:04d}"
        if form == "month":
            return _write_date(d, "month", fmt)
        if form == "age_year":
            age = reference.year - d.year - ((reference.month, reference.day) < (d.month, d.day))
            year = reference.year - age
            return f"{year if year <= BIRTH_MAX.year else d.year:04d}"
        return _write_date(self._corrupt_birth(d), "day", fmt)

    def custody_date(self, d: dt.date, fmt: str, not_before: dt.date | None) -> str:
        precision = _pick_table(self.rng, CUSTODY_PRECISION)
        if not_before is not None:
            start = {
                "day": d,
                "month": d.replace(day=1),
                "year": d.replace(month=1, day=1),
            }[precision]
            if start < not_before:
                precision = "day"
        return _write_date(d, precision, fmt)

    # -- places --------------------------------------------------------------------------
    def province(self, p: _P) -> str:
        rng = self.rng
        if not p.province or self.roll("place.province_empty"):
            return ""
        written = p.province
        if p.province in ("Artemisa", "Mayabeque") and self.roll("place.old_province"):
            if p.municipality in _WEST_ARTEMISA:
                written = "Pinar del Río"
            else:
                written = rng.choice(_OLD_HAVANA_NAMES)
            return written
        if self.roll("place.neighbour_province"):
            written = rng.choice(NEIGHBOURS[p.province])
        if written in PROVINCE_VARIANTS and self.roll("place.province_variant"):
            written = rng.choice(PROVINCE_VARIANTS[written])
        return written

    def municipality(self, p: _P) -> str:
        rng = self.rng
        if not p.municipality or self.roll("place.municipality_empty"):
            return ""
        written = p.municipality
        others = [m for m in _MUNICIPALITIES[p.province] if m != written]
        if others and self.roll("place.wrong_municipality"):
            written = rng.choice(others)
        if written in MUNICIPALITY_VARIANTS and self.roll("place.municipality_variant"):
            written = rng.choice(MUNICIPALITY_VARIANTS[written])
        return written

    # -- a whole row ---------------------------------------------------------------------
    def row(self, p: _P, custody: _Custody, header: tuple[str, ...], split: bool) -> dict[str, str]:
        rng = self.rng
        given = self.given(p.given, p.sex)
        paternal, maternal = p.paternal, p.maternal
        if self.roll("surname.maternal_missing"):
            maternal = ""
        elif self.roll("surname.paternal_missing"):
            paternal, maternal = maternal, ""
        if maternal and self.roll("surname.swapped"):
            paternal, maternal = maternal, paternal
        paternal, maternal = self.surname(paternal), self.surname(maternal)
        given = self.typo("typo.given", given)
        paternal = self.typo("typo.paternal", paternal)
        maternal = self.typo("typo.maternal", maternal)
        province, municipality = self.province(p), self.municipality(p)

        texts = [given, paternal, maternal, province, municipality]
        if self.roll("row.accents_dropped"):
            lose_enye = self.roll("row.enye_lost")
            texts = [t.translate(_ACCENT_TABLE) for t in texts]
            if lose_enye:
                texts = [t.translate(_ENYE_TABLE) for t in texts]
        if self.roll("row.all_caps"):
            texts = [t.upper() for t in texts]
        given, paternal, maternal, province, municipality = texts

        cells = dict.fromkeys(header, "")
        if split:
            if self.roll("split.columns_exchanged"):
                given, paternal = paternal, given
            cells["given_names"] = given
            cells["paternal_surname"] = paternal
            cells["maternal_surname"] = maternal
            name_keys = list(_SPLIT_COLS)
        else:
            surnames = " ".join(s for s in (paternal, maternal) if s)
            if self.roll("full.surname_comma"):
                if self.roll("full.comma_surnames_upper"):
                    surnames = surnames.upper()
                full = f"{surnames}, {given}"
            elif self.roll("full.surname_first_no_comma"):
                full = f"{surnames} {given}"
            else:
                full = f"{given} {surnames}"
            cells["name"] = full
            name_keys = ["name"]
        if self.roll("row.extra_spaces"):
            key = rng.choice([k for k in name_keys if cells[k]])
            text = cells[key]
            spaces = [i for i, ch in enumerate(text) if ch == " "]
            if spaces and rng.random() < 0.6:
                i = rng.choice(spaces)
                text = text[:i] + " " + text[i:]
            elif rng.random() < 0.5:
                text = " " + text
            else:
                text = text + " "
            cells[key] = text

        fmt = self.row_date_format()
        reference = custody.event if custody.event else custody.arrest
        cells["birth_date"] = self.birth(p.birth, reference, fmt)
        cells["sex"] = self.sex(p.sex)
        cells["province"] = province
        cells["municipality"] = municipality
        cells["status"] = custody.status
        arrest_written = self.roll("custody.arrest_date_present")
        if arrest_written:
            cells["arrest_date"] = self.custody_date(custody.arrest, fmt, None)
        if not self.roll("custody.event_date_empty"):
            floor = custody.arrest if arrest_written else None
            cells["event_date"] = self.custody_date(custody.event, fmt, floor)
        if custody.place and self.roll("custody.place_present"):
            cells["place_of_detention"] = custody.place
        return cells

    def sex(self, sex: str) -> str:
        if self.roll("sex.empty"):
            return ""
        if self.roll("sex.wrong"):
            sex = "M" if sex == "F" else "F"
        words = self.style.sex_words != self.roll("sex.other_style")
        if words:
            return "Femenino" if sex == "F" else "Masculino"
        return sex


def _shift_year(d: dt.date, years: int) -> dt.date:
    return _add_years(d, years)


def _shift_month(d: dt.date, months: int) -> dt.date | None:
    index = d.year * 12 + d.month - 1 + months
    try:
        return d.replace(year=index // 12, month=index % 12 + 1)
    except ValueError:
        return None


# --------------------------------------------------------------------------------------
# Lists
# --------------------------------------------------------------------------------------


def _header(layout: str) -> tuple[str, ...]:
    if layout == "split":
        names: tuple[str, ...] = _SPLIT_COLS
    elif layout == "full":
        names = ("name",)
    elif layout == "mixed":
        names = ("name", *_SPLIT_COLS)
    else:
        raise ValueError(f"layout must be split, full or mixed, not {layout!r}")
    return tuple(c for c in COLUMNS if c == "external_id" or c in names or c in _OTHER_COLS)


def _sample_known(rng: random.Random, registry: list[RegistryPerson], k: int) -> list[int]:
    """Weighted sampling without replacement (Efraimidis-Spirakis), SPEC.md section 5."""
    if k <= 0:
        return []
    name_keys = [
        (_fold(p.given_names), _fold(p.paternal_surname), _fold(p.maternal_surname))
        for p in registry
    ]
    family_keys = [
        (_fold(p.paternal_surname), _fold(p.maternal_surname), p.province) for p in registry
    ]
    name_count: dict[tuple[str, str, str], int] = {}
    family_count: dict[tuple[str, str, str], int] = {}
    for nk, fk in zip(name_keys, family_keys, strict=True):
        name_count[nk] = name_count.get(nk, 0) + 1
        family_count[fk] = family_count.get(fk, 0) + 1
    keys = []
    for i, p in enumerate(registry):
        w = 1.0
        if name_count[name_keys[i]] > 1:
            w += 2.0
        if p.maternal_surname and family_count[family_keys[i]] > 1:
            w += 1.0
        if p.paternal_surname in _TOP10_SURNAMES:
            w += 0.5
        keys.append(math.log(1.0 - rng.random()) / w)
    return heapq.nlargest(min(k, len(registry)), range(len(registry)), key=keys.__getitem__)


def _assemble(
    rng: random.Random,
    entries: list[tuple[_P, str | None, str]],
    n_repeat: int,
    layout: str,
) -> tuple[list[ListRow], dict[str, list[int]]]:
    header = _header(layout)
    style = _draw_style(rng)
    custodies = [_draw_custody(rng, p) for p, _, _ in entries]
    items = list(zip(entries, custodies, strict=True))
    if entries and n_repeat > 0:
        if n_repeat <= len(entries):
            picks = rng.sample(range(len(entries)), n_repeat)
        else:
            picks = [rng.randrange(len(entries)) for _ in range(n_repeat)]
        for i in picks:
            entry, custody = items[i]
            if rng.random() >= 0.60:
                custody = _draw_custody(rng, entry[0], arrest=custody.arrest)
            items.append((entry, custody))
    typist = _Typist(rng, style)
    typed: list[tuple[dict[str, str], str | None, str]] = []
    for (person, truth, pid), custody in items:
        split = layout == "split" or (layout == "mixed" and typist.roll("mixed.split_row"))
        typed.append((typist.row(person, custody, header, split), truth, pid))
    rng.shuffle(typed)
    rows = []
    for n, (cells, truth, pid) in enumerate(typed):
        cells["external_id"] = style.id_format.format(style.id_start + n)
        rows.append(ListRow(columns=cells, truth=truth, person=pid))
    typist.counts["list.repeats"] = [len(items) - len(entries), len(items)]
    return rows, typist.counts


def _build_list(
    registry: list[RegistryPerson],
    size: int,
    seed: int,
    known_share: float,
    repeat_share: float,
    layout: str,
) -> tuple[list[ListRow], dict[str, list[int]]]:
    rng = random.Random(f"detente-independent-list:{seed}")
    n_repeat = round(size * repeat_share)
    base = size - n_repeat
    n_known = min(round(base * known_share), len(registry))
    n_unknown = base - n_known
    known = _sample_known(rng, registry, n_known)
    entries: list[tuple[_P, str | None, str]] = [
        (_truth_of(registry[i]), registry[i].pid, registry[i].pid) for i in known
    ]
    kinds: dict[str, list[int]] = {f"unknown.{k}": [0, n_unknown] for k, _ in UNKNOWN_KINDS}
    for n in range(n_unknown):
        kind = _pick_table(rng, UNKNOWN_KINDS) if registry else "unrelated"
        kinds[f"unknown.{kind}"][0] += 1
        if kind == "unrelated":
            person = _fresh(rng)
        else:
            if known and rng.random() < 0.60:
                anchor = registry[known[rng.randrange(len(known))]]
            else:
                anchor = registry[rng.randrange(len(registry))]
            person = _RELATIVE_MAKERS[kind](rng, _truth_of(anchor))
        entries.append((person, None, f"N{n + 1:06d}"))
    rows, counts = _assemble(rng, entries, n_repeat, layout)
    counts["list.known"] = [n_known, base]
    counts.update(kinds)
    return rows, counts


def generate_list(
    registry: list[RegistryPerson],
    size: int,
    seed: int,
    known_share: float = 0.75,
    repeat_share: float = 0.02,
    layout: str = "mixed",
) -> list[ListRow]:
    """Another organisation's list of `size` rows matched against `registry` (SPEC.md 4-5)."""
    return _build_list(registry, size, seed, known_share, repeat_share, layout)[0]


def _build_own_list(
    size: int, seed: int, repeat_share: float, layout: str
) -> tuple[list[ListRow], dict[str, list[int]]]:
    rng = random.Random(f"detente-independent-own-list:{seed}")
    n_repeat = round(size * repeat_share)
    people = _population(rng, size - n_repeat, OWN_LIST_SHARES)
    entries: list[tuple[_P, str | None, str]] = [
        (p, None, f"N{i:06d}") for i, p in enumerate(people, start=1)
    ]
    return _assemble(rng, entries, n_repeat, layout)


def generate_own_list(
    size: int, seed: int, repeat_share: float = 0.03, layout: str = "mixed"
) -> list[ListRow]:
    """An organisation's own list for an empty registry (SPEC.md section 6)."""
    return _build_own_list(size, seed, repeat_share, layout)[0]


def write_csv(rows: list[ListRow], path: str) -> None:
    """UTF-8 CSV; the header is the union of the rows' columns in the fixed order."""
    present = [c for c in COLUMNS if any(c in r.columns for r in rows)]
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(present)
        for r in rows:
            writer.writerow([r.columns.get(c, "") for c in present])


def write_registry_csv(registry: list[RegistryPerson], path: str) -> None:
    fields = (
        "pid", "given_names", "paternal_surname", "maternal_surname", "sex", "birth_date",
        "province", "municipality",
    )  # fmt: skip
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(fields)
        for p in registry:
            writer.writerow([getattr(p, f) for f in fields])


# --------------------------------------------------------------------------------------
# Sanity report
# --------------------------------------------------------------------------------------

_SPEC_TARGETS: dict[str, float] = {
    **RATES,
    **{f"birth.{k}": v for k, v in BIRTH_FORMS},
    **{f"unknown.{k}": v for k, v in UNKNOWN_KINDS},
}


def _registry_report(registry: list[RegistryPerson]) -> list[tuple[str, float, str]]:
    n = max(len(registry), 1)
    prec: dict[str, int] = {"day": 0, "month": 0, "year": 0, "none": 0}
    for p in registry:
        parts = len(p.birth_date.split("-")) if p.birth_date else 0
        prec[("none", "year", "month", "day")[parts]] += 1
    name_count: dict[tuple[str, str, str], int] = {}
    for p in registry:
        k = (_fold(p.given_names), _fold(p.paternal_surname), _fold(p.maternal_surname))
        name_count[k] = name_count.get(k, 0) + 1
    keys = [
        (_fold(p.given_names), _fold(p.paternal_surname), _fold(p.maternal_surname))
        for p in registry
    ]
    shared = sum(1 for k in keys if name_count[k] > 1)
    top = {s: 0 for s, _ in _SURNAMES[:5]}
    for p in registry:
        if p.paternal_surname in top:
            top[p.paternal_surname] += 1
    out = [
        ("registry.sex_F", sum(p.sex == "F" for p in registry) / n, "0.150"),
        ("registry.birth.day", prec["day"] / n, "0.780"),
        ("registry.birth.month", prec["month"] / n, "0.060"),
        ("registry.birth.year", prec["year"] / n, "0.090"),
        ("registry.birth.none", prec["none"] / n, "0.070"),
        ("registry.maternal_empty", sum(not p.maternal_surname for p in registry) / n, "0.015"),
        ("registry.province_empty", sum(not p.province for p in registry) / n, "0.020"),
        ("registry.municipality_empty", sum(not p.municipality for p in registry) / n, "0.167"),
        ("registry.shares_full_name", shared / n, "-"),
        ("registry.distinct_given_names", len({p.given_names for p in registry}), "-"),
        ("registry.distinct_surnames", len({p.paternal_surname for p in registry}), "-"),
    ]
    for s, c in top.items():
        target = dict(_SURNAMES)[s] / 100
        out.append((f"registry.paternal={s}", c / n, f"{target:.3f}"))
    return out


def _print_report(counts: dict[str, list[int]], registry: list[RegistryPerson] | None) -> None:
    print(f"{'measure':42} {'realised':>9} {'target':>7} {'hits':>7} {'of':>7}")
    if registry:
        for key, value, target in _registry_report(registry):
            shown = f"{value:9.3f}" if isinstance(value, float) else f"{value:9d}"
            print(f"{key:42} {shown} {target:>7}")
    for key in sorted(counts):
        hits, eligible = counts[key]
        rate = hits / eligible if eligible else 0.0
        target = _SPEC_TARGETS.get(key)
        shown = f"{target:.3f}" if target is not None else "-"
        print(f"{key:42} {rate:9.3f} {shown:>7} {hits:7d} {eligible:7d}")


def _column_report(rows: list[ListRow]) -> None:
    n = max(len(rows), 1)
    print("empty cells by column:")
    for c in COLUMNS[1:]:
        if any(c in r.columns for r in rows):
            empty = sum(1 for r in rows if not r.columns.get(c))
            print(f"  {c:20} {empty / n:6.3f}")
    statuses: dict[str, int] = {}
    for r in rows:
        statuses[r.columns["status"]] = statuses.get(r.columns["status"], 0) + 1
    print("status shares:")
    for s, w, _, _ in STATUSES:
        print(f"  {s:22} {statuses.get(s, 0) / n:6.3f}  (target {w / 100:.2f})")
    names: dict[str, list[str]] = {}
    for r in rows:
        key = _fold(r.columns.get("name") or " ".join(r.columns.get(c, "") for c in _SPLIT_COLS))
        names.setdefault(key, []).append(r.person)
    namesake_rows = sum(len(v) for v in names.values() if len({*v}) > 1)
    print(f"rows whose typed name is also typed for another person: {namesake_rows / n:.3f}")


# --------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Independent linkage benchmark data (SPEC.md).")
    ap.add_argument("--registry", type=int, default=1000, help="registry size")
    ap.add_argument("--list", type=int, default=200, help="list size")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", help="write the list as CSV here")
    ap.add_argument("--registry-out", help="write the registry as CSV here")
    ap.add_argument("--truth-out", help="write row truth (JSON lines) here")
    ap.add_argument("--layout", choices=("split", "full", "mixed"), default="mixed")
    ap.add_argument("--known-share", type=float, default=0.75)
    ap.add_argument("--repeat-share", type=float, default=None)
    ap.add_argument("--own", action="store_true", help="an own list for an empty registry")
    ap.add_argument("--stats", action="store_true", help="print realised rates vs SPEC.md")
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    if args.own:
        registry: list[RegistryPerson] = []
        repeat = 0.03 if args.repeat_share is None else args.repeat_share
        rows, counts = _build_own_list(args.list, args.seed, repeat, args.layout)
    else:
        registry = generate_registry(args.registry, args.seed)
        t_reg = time.perf_counter() - t0
        repeat = 0.02 if args.repeat_share is None else args.repeat_share
        rows, counts = _build_list(
            registry, args.list, args.seed, args.known_share, repeat, args.layout
        )
        print(f"registry: {len(registry)} people in {t_reg:.2f} s")
    elapsed = time.perf_counter() - t0
    known = sum(r.truth is not None for r in rows)
    people = len({r.person for r in rows})
    print(
        f"list: {len(rows)} rows ({known} registry people, {len(rows) - known} not in it, "
        f"{len(rows) - people} repeat rows); total {elapsed:.2f} s"
    )
    if args.out:
        write_csv(rows, args.out)
        print(f"wrote {args.out}")
    if args.registry_out and registry:
        write_registry_csv(registry, args.registry_out)
        print(f"wrote {args.registry_out}")
    if args.truth_out:
        with open(args.truth_out, "w", encoding="utf-8") as fh:
            for r in rows:
                fh.write(json.dumps({"truth": r.truth, "person": r.person}) + "\n")
        print(f"wrote {args.truth_out}")
    by_pid = {p.pid: p for p in registry}
    print("sample:")
    for r in rows[:10]:
        cells = {k: v for k, v in r.columns.items() if v}
        print(f"  truth={r.truth} person={r.person} {json.dumps(cells, ensure_ascii=False)}")
        if r.truth:
            p = by_pid[r.truth]
            print(
                f"      registry: {p.given_names} | {p.paternal_surname} | "
                f"{p.maternal_surname} | {p.sex} | {p.birth_date} | {p.province} | "
                f"{p.municipality}"
            )
    if args.stats:
        _print_report(counts, registry)
        _column_report(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
