"""Status words as other organisations write them, in English and Spanish.

The table is data: each custody status code and the words that mean it. A word is matched
after :func:`fold` (case, accents, spaces and punctuation ignored), so "Excarcelada",
"EXCARCELADA" and "excarcelada" are one word, and "Re-arrested" is "rearrested". Besides
these words a status is always recognised by its code (``house_arrest``) and by its label
in English or Spanish (the registry's own names, ``detente.registry.status``).

Where a word does not say enough to choose a status honestly it is not guessed:
:data:`AMBIGUOUS` lists such words with the reason, and an import refuses them until the
list's mapping file says what that list means by them (``"values"`` in the mapping file,
``docs/reconciliation.md``). The reasons for the less obvious choices:

* **excarcelado/a → parole.** In Cuban usage "excarcelado" is someone let out of prison
  without being freed: the sentence (or the case) stays open and the person can be sent
  back, as the government's own announcements of early releases say. Parole (libertad
  condicional) is the commonest legal form, and it counts as *released on conditions*,
  which is what the word asserts. A list that means an extra-penal licence or
  precautionary measures says so, or maps the word in its mapping file.
* **liberado/a, puesto/a en libertad, en libertad, released, freed: not guessed.** The
  words do not say whether conditions apply. Unconditional release would count the person
  as free on the list's word alone (what the releasing side wants counted); parole would
  put a legal form in the source's mouth. Whoever knows the list decides once, in its
  mapping file.
* **desterrado/a, deportado/a, exiliado/a → exiled** (released into exile or deported).
* **fallecido/a en prisión, muerto/a bajo custodia → died_in_custody.**
* **prisión provisional / preventiva → awaiting_trial**: held before trial.
* **cumplió condena / sanción → unconditional_release**: the sentence was served out; no
  condition remains.
* **medidas cautelares, fianza, on bail → precautionary_measures** (released pending trial
  on conditions).
* "paradero desconocido" (whereabouts unknown) is *not* "disappeared": a list may simply
  have lost track of someone, while an enforced disappearance is a grave claim of its own.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from functools import cache

from django.utils import translation

from detente.registry.status import CustodyStatus


def fold(text: str) -> str:
    """``text`` without case, accents, spaces or punctuation: ``"Re-arrestado "`` and
    ``"rearrestado"`` are one word, as are ``"En prisión"`` and ``"EN PRISION"``."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if c.isalnum())


# Each status and words that mean it (gendered forms both written out).
STATUS_WORDS: Mapping[str, tuple[str, ...]] = {
    CustodyStatus.DETAINED: (
        "detenido",
        "detenida",
        "preso",
        "presa",
        "en prisión",
        "en la cárcel",
        "encarcelado",
        "encarcelada",
        "privado de libertad",
        "privada de libertad",
        "arrested",
        "in prison",
        "in jail",
        "jailed",
        "imprisoned",
        "in custody",
        "in detention",
    ),
    CustodyStatus.AWAITING_TRIAL: (
        "pendiente de juicio",
        "en espera de juicio",
        "a la espera de juicio",
        "prisión provisional",
        "prisión preventiva",
        "awaiting trial",
        "pre-trial detention",
        "on remand",
        "remanded in custody",
    ),
    CustodyStatus.SENTENCED: (
        "sancionado",
        "sancionada",
        "condenado",
        "condenada",
        "cumpliendo condena",
        "cumpliendo sanción",
        "sentenced",
        "convicted",
        "serving a sentence",
    ),
    CustodyStatus.HOUSE_ARREST: (
        "arresto domiciliario",
        "bajo arresto domiciliario",
        "prisión domiciliaria",
        "reclusión domiciliaria",
        "house arrest",
        "under house arrest",
    ),
    CustodyStatus.NON_CUSTODIAL: (
        "limitación de libertad",
        "trabajo correccional sin internamiento",
        "condena sin internamiento",
        "sanción no privativa de libertad",
        "non-custodial sentence",
    ),
    CustodyStatus.PAROLE: (
        "libertad condicional",
        "en libertad condicional",
        "excarcelado",
        "excarcelada",
        "parole",
        "on parole",
        "paroled",
        "released on parole",
    ),
    CustodyStatus.EXTRA_PENAL_LICENCE: (
        "licencia extrapenal",
        "licencia extra penal",
        "extra-penal licence",
        "extra-penal license",
    ),
    CustodyStatus.PRECAUTIONARY_MEASURES: (
        "medidas cautelares",
        "medida cautelar",
        "fianza",
        "libertad bajo fianza",
        "on bail",
        "released on bail",
    ),
    CustodyStatus.UNCONDITIONAL_RELEASE: (
        "libertad incondicional",
        "excarcelación incondicional",
        "cumplió condena",
        "cumplió sanción",
        "sentence served",
        "released unconditionally",
        "unconditionally released",
    ),
    CustodyStatus.PARDONED: (
        "indultado",
        "indultada",
        "amnistiado",
        "amnistiada",
        "pardoned",
        "amnestied",
    ),
    CustodyStatus.EXILED: (
        "desterrado",
        "desterrada",
        "exiliado",
        "exiliada",
        "deportado",
        "deportada",
        "forzado al exilio",
        "forzada al exilio",
        "exiled",
        "deported",
        "released into exile",
        "forced into exile",
    ),
    CustodyStatus.DIED_IN_CUSTODY: (
        "fallecido en prisión",
        "fallecida en prisión",
        "fallecido bajo custodia",
        "fallecida bajo custodia",
        "muerto en prisión",
        "muerta en prisión",
        "muerto bajo custodia",
        "muerta bajo custodia",
        "died in prison",
        "died in custody",
        "death in custody",
    ),
    CustodyStatus.DISAPPEARED: (
        "desaparecido",
        "desaparecida",
        "desaparición forzada",
        "disappeared",
        "forcibly disappeared",
        "enforced disappearance",
    ),
    CustodyStatus.REARRESTED: (
        "rearrestado",
        "rearrestada",
        "detenido de nuevo",
        "detenida de nuevo",
        "detenido nuevamente",
        "detenida nuevamente",
        "arrestado de nuevo",
        "arrestada de nuevo",
        "reencarcelado",
        "reencarcelada",
        "re-arrested",
        "arrested again",
        "re-imprisoned",
        "returned to prison",
    ),
}

# Words that say someone left prison but not on what terms: never guessed.
AMBIGUOUS: frozenset[str] = frozenset(
    {
        "liberado",
        "liberada",
        "puesto en libertad",
        "puesta en libertad",
        "en libertad",
        "libre",
        "excarcelación",
        "released",
        "freed",
        "free",
    }
)


def _table() -> dict[str, str]:
    """Folded word → status, from the table above (raises on a word given two statuses)."""
    found: dict[str, str] = {}
    for status, words in STATUS_WORDS.items():
        for word in words:
            key = fold(word)
            if found.setdefault(key, status) != status:
                raise ValueError(f"status word {word!r} means both {found[key]} and {status}")
    return found


@cache
def status_lookup() -> Mapping[str, str]:
    """Folded word → status code: codes, the registry's labels in English and Spanish, and
    :data:`STATUS_WORDS`. Built once (the labels need the translation catalogues)."""
    found = _table()
    for code in CustodyStatus.values:
        found[fold(code)] = code
    for language in ("en", "es"):
        with translation.override(language):
            for code, label in CustodyStatus.choices:
                found.setdefault(fold(str(label)), code)
    return found


@cache
def ambiguous_words() -> frozenset[str]:
    return frozenset(fold(word) for word in AMBIGUOUS)
