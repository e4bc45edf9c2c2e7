"""Name data used by :mod:`detente.matching.names`.

All tables are plain Python literals written in ordinary spelling (accents, ``ñ``);
:mod:`detente.matching.names` folds every key and value once at import time, so entries here
may be written the way a person would spell them.

``HYPOCORISTICS``
    nickname -> canonical given name(s). The first reading is the preferred one; a nickname
    that is used for several names lists all of them (``"beto": ("alberto", "roberto")``).
    Keys may span two words (``"mari carmen"``). Values never appear as keys, so mapping is
    idempotent. Folding merges "Ñico" (Antonio, in Cuba) with "Nico" (Nicolás), hence the
    single ``nico`` key with both readings.
``GIVEN_NAMES``
    a vocabulary of common given names (Spanish, Latin American and the coined names frequent
    in Cuba) used by the parser to decide where a run of given names ends.
``SURNAME_LIKE_GIVEN``
    given names that are also common surnames; the parser only reads them as a given name when
    two surnames would still follow.
``DEVOTIONAL``
    the word after a particle in compound given names such as "María del Carmen",
    "José de Jesús", "María de los Ángeles"; ``DEVOTIONAL_SURNAME_LIKE`` are the ones that
    are also ordinary surnames ("de la Cruz", "de la Paz").
``GIVEN_ABBREVIATIONS`` / ``SURNAME_ABBREVIATIONS``
    abbreviations seen in registers and handwritten lists, keyed by their folded form (so
    "Mª", "Ma." and "MA" are all ``"ma"``). "Jno." is the old clerical abbreviation of Juan
    and is expanded to ``juan``; "Rgo." is deliberately *not* expanded because it is read both
    as Rodrigo and as Rigoberto.
``TITLES``
    honorifics stripped from the front of a given-name part ("Dr.", "Lic.", "Doña").
"""

from __future__ import annotations

HYPOCORISTICS: dict[str, tuple[str, ...]] = {
    # José / Josefa
    "pepe": ("josé",),
    "pepito": ("josé",),
    "pepillo": ("josé",),
    "pepín": ("josé",),
    "cheo": ("josé",),
    "chepe": ("josé",),
    "pepa": ("josefa",),
    "pepita": ("josefa",),
    "chepa": ("josefa",),
    "fina": ("josefina",),
    "chema": ("josé maría",),
    "josema": ("josé manuel",),
    "josemi": ("josé miguel",),
    "joselu": ("josé luis",),
    # Francisco / Francisca
    "paco": ("francisco",),
    "paquito": ("francisco",),
    "pancho": ("francisco",),
    "panchito": ("francisco",),
    "curro": ("francisco",),
    "kiko": ("francisco", "enrique"),
    "quico": ("francisco", "enrique"),
    "fran": ("francisco", "francisca"),
    "paca": ("francisca",),
    "paqui": ("francisca",),
    "pancha": ("francisca",),
    # Manuel, Antonio, Jesús, Ignacio
    "manolo": ("manuel",),
    "manolito": ("manuel",),
    "manu": ("manuel",),
    "toño": ("antonio",),
    "toñito": ("antonio",),
    "tony": ("antonio",),
    "toni": ("antonio",),
    # Also the folded form of "Ñico", the Cuban nickname of Antonio.
    "nico": ("nicolás", "antonio"),
    "chucho": ("jesús",),
    "chuy": ("jesús",),
    "chus": ("jesús", "maría jesús"),
    "marichu": ("maría jesús",),
    "nacho": ("ignacio",),
    # Enrique, Guillermo, Eduardo, Fernando, Alberto/Roberto
    "quique": ("enrique",),
    "kike": ("enrique",),
    "memo": ("guillermo",),
    "guille": ("guillermo",),
    "guillo": ("guillermo",),
    "lalo": ("eduardo",),
    "edu": ("eduardo",),
    "nando": ("fernando",),
    "fer": ("fernando", "fernanda"),
    "beto": ("alberto", "roberto"),
    "tito": ("alberto", "roberto"),
    # Rafael, Adolfo/Rodolfo, Luis, others
    "rafa": ("rafael",),
    "fito": ("adolfo", "rodolfo"),
    "rodo": ("rodolfo", "rodrigo"),
    "rigo": ("rigoberto", "rodrigo"),
    "lucho": ("luis",),
    "luisito": ("luis",),
    "juanito": ("juan",),
    "pedrito": ("pedro",),
    "carlitos": ("carlos",),
    "santi": ("santiago",),
    "chente": ("vicente",),
    "goyo": ("gregorio",),
    "lencho": ("lorenzo",),
    "poncho": ("alfonso",),
    "chava": ("salvador",),
    "moncho": ("ramón",),
    "chalo": ("gonzalo",),
    "tavo": ("gustavo", "octavio"),
    "fede": ("federico",),
    "javi": ("javier",),
    "dani": ("daniel", "daniela"),
    "ale": ("alejandro", "alejandra"),
    "alex": ("alejandro", "alexander"),
    "juanma": ("juan manuel",),
    "juanjo": ("juan josé",),
    "juancar": ("juan carlos",),
    # Women's names
    "lola": ("dolores",),
    "lolita": ("dolores",),
    "conchita": ("concepción",),
    "concha": ("concepción",),
    "conchi": ("concepción",),
    "charo": ("rosario",),
    "chelo": ("consuelo",),
    "lupe": ("guadalupe",),
    "lupita": ("guadalupe",),
    "tere": ("teresa",),
    "teresita": ("teresa",),
    "maite": ("maría teresa",),
    "mayte": ("maría teresa",),
    "marité": ("maría teresa",),
    "marisol": ("maría soledad",),
    "maricarmen": ("maría del carmen",),
    "mari carmen": ("maría del carmen",),
    "mamen": ("maría del carmen",),
    "maribel": ("maría isabel",),
    "marisa": ("maría luisa",),
    "malú": ("maría luisa",),
    "marilú": ("maría luisa", "maría de lourdes"),
    "maripili": ("maría del pilar",),
    "mariajo": ("maría josé",),
    "mari": ("maría",),
    "maruja": ("maría",),
    "pili": ("pilar",),
    "meche": ("mercedes",),
    "merche": ("mercedes",),
    "inma": ("inmaculada",),
    "asun": ("asunción",),
    "encarna": ("encarnación",),
    "reme": ("remedios",),
    "sole": ("soledad",),
    "puri": ("purificación",),
    "trini": ("trinidad",),
    "nati": ("natividad", "natalia"),
    "chabela": ("isabel",),
    "isa": ("isabel",),
    "licha": ("alicia",),
    "chela": ("graciela",),
    "tencha": ("hortensia",),
    "rosi": ("rosa", "rosario"),
    "rosita": ("rosa",),
    "anita": ("ana",),
    "susi": ("susana",),
    "bea": ("beatriz",),
    "vicky": ("victoria",),
    "yoli": ("yolanda",),
    "maca": ("macarena",),
    "carmencita": ("carmen",),
    "lucha": ("luz",),
    "cris": ("cristina", "cristian", "cristóbal"),
}

GIVEN_NAMES: frozenset[str] = frozenset(
    {
        # Men
        "abel", "abraham", "adalberto", "adán", "adolfo", "adrián", "agustín", "alberto",
        "alejandro", "alexander", "alexis", "alfonso", "alfredo", "alonso", "álvaro", "amado",
        "amaury", "ambrosio", "andrés", "ángel", "aníbal", "antonio", "ariel", "armando",
        "arnaldo", "arturo", "augusto", "aurelio", "bartolomé", "benito", "benjamín",
        "bernardo", "blas", "camilo", "carlos", "casimiro", "césar", "cristian", "cristóbal",
        "damián", "daniel", "dario", "david", "diego", "domingo", "eduardo", "efraín",
        "eliécer", "elías", "eloy", "emilio", "enrique", "ernesto", "esteban", "eugenio",
        "ezequiel", "fabián", "federico", "felipe", "félix", "fernando", "fidel", "francisco",
        "gabriel", "gaspar", "gerardo", "germán", "gilberto", "gonzalo", "gregorio",
        "guillermo", "gustavo", "héctor", "hilario", "horacio", "hugo", "humberto", "ignacio",
        "isidro", "ismael", "israel", "iván", "jaime", "javier", "jesús", "joaquín", "jordan",
        "jorge", "josé", "juan", "julián", "julio", "lázaro", "leonardo", "leonel", "lorenzo",
        "lucas", "luis", "manuel", "marcelo", "marcos", "mario", "martín", "mateo", "mauricio",
        "maximiliano", "miguel", "moisés", "nelson", "néstor", "nicolás", "noel", "norberto",
        "octavio", "omar", "orlando", "óscar", "osvaldo", "pablo", "pascual", "pedro",
        "rafael", "ramiro", "ramón", "raúl", "reinaldo", "renato", "ricardo", "rigoberto",
        "roberto", "rodolfo", "rodrigo", "rogelio", "rolando", "román", "rubén", "salvador",
        "samuel", "santiago", "sebastián", "sergio", "silvio", "simón", "teodoro", "tomás",
        "ulises", "valentín", "vicente", "víctor", "virgilio", "wilfredo", "william", "xavier",
        # Women
        "adela", "adriana", "alejandra", "alicia", "alina", "amalia", "ana", "andrea",
        "ángela", "antonia", "aracelis", "aurora", "beatriz", "belkis", "berta", "blanca",
        "camila", "carla", "carmen", "carolina", "catalina", "cecilia", "clara", "claudia",
        "concepción", "consuelo", "cristina", "daniela", "diana", "dolores", "dora", "elena",
        "elisa", "elizabeth", "elsa", "emilia", "esperanza", "estela", "esther", "eva",
        "fernanda", "francisca", "gabriela", "georgina", "gisela", "gladys", "gloria",
        "graciela", "guadalupe", "hortensia", "idania", "inés", "irene", "iris", "isabel",
        "josefa", "josefina", "juana", "julia", "laura", "leticia", "lidia", "lilia", "lourdes",
        "lucía", "luisa", "luz", "magdalena", "marcela", "margarita", "maría", "marta",
        "mercedes", "milagros", "miriam", "mónica", "natalia", "nidia", "norma", "olga",
        "patricia", "paula", "pilar", "raquel", "regla", "rocío", "rosa", "rosario", "ruth",
        "sandra", "sara", "silvia", "sofía", "soledad", "sonia", "susana", "teresa", "trinidad",
        "valentina", "verónica", "victoria", "virginia", "xiomara", "yolanda", "zoila",
        # Coined names frequent in Cuba and the Caribbean
        "dailé", "daimí", "dayami", "dayana", "dayron", "deisy", "eriberto", "geidy", "idalmis",
        "lisandra", "liset", "maikel", "mailén", "marlene", "nairobi", "odalys", "osmany",
        "reinier", "usnavy", "yadira", "yaima", "yamila", "yamilé", "yanelis", "yanet",
        "yaquelín", "yasmani", "yoandri", "yoani", "yoel", "yohandry", "yordanis", "yosvany",
        "yuleisy", "yunier", "yunior", "yuniesky", "yusimí", "yusleidy", "yudith",
    }
)  # fmt: skip

SURNAME_LIKE_GIVEN: frozenset[str] = frozenset(
    {
        "alfonso", "alonso", "andrés", "bartolomé", "benito", "blas", "cristóbal", "diego",
        "domingo", "elías", "esteban", "gaspar", "germán", "jordan", "julián", "lázaro",
        "lorenzo", "lucas", "marcos", "martín", "mateo", "nicolás", "pascual", "román",
        "salvador", "santiago", "sebastián", "simón", "tomás", "valentín", "vicente", "victoria",
    }
)  # fmt: skip

DEVOTIONAL: frozenset[str] = frozenset(
    {
        "amparo", "ángeles", "asunción", "belén", "candelaria", "caridad", "carmen", "cielo",
        "concepción", "consuelo", "cruz", "dios", "dolores", "encarnación", "esperanza",
        "fátima", "gracia", "guadalupe", "inmaculada", "jesús", "lourdes", "luz", "mar",
        "mercedes", "milagros", "montserrat", "nieves", "o", "paz", "pilar", "purificación",
        "regla", "remedios", "reyes", "rocío", "rosario", "sagrario", "salud", "santos",
        "socorro", "soledad", "trinidad", "valle",
    }
)  # fmt: skip

DEVOTIONAL_SURNAME_LIKE: frozenset[str] = frozenset(
    {"cruz", "o", "paz", "reyes", "santos", "valle"}
)

GIVEN_ABBREVIATIONS: dict[str, str] = {
    "ma": "maría",
    "mra": "maría",
    "mria": "maría",
    "fco": "francisco",
    "frco": "francisco",
    "fcisco": "francisco",
    "fca": "francisca",
    "jno": "juan",
    "jn": "juan",
    "jse": "josé",
    "ant": "antonio",
    "anto": "antonio",
    "anta": "antonia",
    "mnl": "manuel",
    "manl": "manuel",
    "ml": "manuel",
    "gmo": "guillermo",
    "gllmo": "guillermo",
    "alej": "alejandro",
    "alejdro": "alejandro",
    "fdo": "fernando",
    "dgo": "domingo",
    "sgo": "santiago",
    "vte": "vicente",
    "bme": "bartolomé",
    "gpe": "guadalupe",
    "rbto": "roberto",
    "albto": "alberto",
    "ricdo": "ricardo",
    "mgl": "miguel",
    "jqn": "joaquín",
    "joaq": "joaquín",
    "igno": "ignacio",
    "rdgo": "rodrigo",
    "pdro": "pedro",
    "concep": "concepción",
}

SURNAME_ABBREVIATIONS: dict[str, str] = {
    **dict.fromkeys(
        ("rguez", "rdguez", "rodz", "rdz", "rgz", "rodgz", "rdgz", "rodrz", "rdrgz"),
        "rodríguez",
    ),
    **dict.fromkeys(
        ("glez", "gzlez", "gonz", "gzz", "glz", "gzalez", "gnzlz", "gonzz"), "gonzález"
    ),
    **dict.fromkeys(("hdez", "hndez", "hdz", "hrndz", "hernz"), "hernández"),
    **dict.fromkeys(("fdez", "fndez", "fdz", "frndz", "fernz"), "fernández"),
    **dict.fromkeys(("mtnez", "mtez", "mtz", "mrtnz", "mnez", "martz", "mrtz", "mtnz"), "martínez"),
    **dict.fromkeys(("gtrrez", "gtz", "gtez", "gutz", "gtrz", "gutrz"), "gutiérrez"),
    **dict.fromkeys(("dguez", "dmguez", "dmgz", "domz"), "domínguez"),
    **dict.fromkeys(("rmrez", "rmz", "rmez", "ramz"), "ramírez"),
    **dict.fromkeys(("jmnez", "jmz", "jimz", "jmez"), "jiménez"),
    **dict.fromkeys(("lpz", "lpez"), "lópez"),
    **dict.fromkeys(("schez", "snchz", "schz", "sanch"), "sánchez"),
    **dict.fromkeys(("vzqz", "vazqz", "vqz", "vzquez", "vazq"), "vázquez"),
    **dict.fromkeys(("alvz", "alvrz", "alvrez"), "álvarez"),
    **dict.fromkeys(("gcia", "grcia", "garc"), "garcía"),
    **dict.fromkeys(("gmz", "gmez"), "gómez"),
    "prz": "pérez",
    "suarz": "suárez",
    "velazq": "velázquez",
    "bntz": "benítez",
    "chvz": "chávez",
    "marqz": "márquez",
}

TITLES: frozenset[str] = frozenset(
    {
        "sr", "sra", "srta", "señor", "señora", "señorita", "dr", "dra", "doctor", "doctora",
        "lic", "licdo", "licda", "lcdo", "lcda", "ing", "prof", "profa", "don", "doña", "pbro",
        "fray", "sor", "mons",
    }
)  # fmt: skip
