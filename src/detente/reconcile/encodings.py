"""Telling which encoding a CSV file is in, or saying that it cannot be told.

A list's text must never be garbled silently: "Peña" read in the wrong encoding becomes
"PeÒa" or "Pe¤a" and no longer matches anyone. So an encoding is chosen only on evidence,
and a file whose bytes could be two encodings with different letters is refused, naming
the candidates and how a word of the file reads in each, for the user to say which with
``--encoding`` (which always wins: nothing here runs then).

**The rule**, in order:

1. A byte-order mark decides: UTF-8 (Excel's "CSV UTF-8"), UTF-16 little or big endian.
2. NUL bytes in the first 64 KiB: UTF-16/32 without a mark, or not text at all. Refused.
3. The first 64 KiB holding any byte above 0x7F (or, when it is plain ASCII, the first
   1 MiB chunk after it that does) is valid UTF-8: **UTF-8**. Text in a single-byte
   encoding almost never forms valid UTF-8 by chance (every accented letter would have to
   be followed by one of a few symbols), so one such sample suffices. A character cut at
   the sample's edge does not count against it. A stray bad byte later in the file is
   then reported with its row when the file is read.
4. Otherwise the file is not UTF-8 throughout, and it is read on, in chunks of 1 MiB with
   counters only (bounded memory), until the evidence is conclusive, a million bytes
   above 0x7F have been weighed, or the file ends. A file in which valid UTF-8 sequences
   outnumber the bytes that break it is **UTF-8** with a few pasted cells in another
   encoding (reported with their rows when read). Else the bytes 0x80-0xFF are weighed
   in each single-byte candidate: Windows-1252 (what Excel on a Spanish-language Windows
   saves as "CSV"), Latin-1 and MacRoman (Excel for Mac's "CSV").

   * A candidate in which a byte present is undefined or a control character is out:
     real text holds none (Latin-1's 0x80-0x9F; Windows-1252's 0x81, 0x8D, 0x8F, 0x90,
     0x9D).
   * Each byte scores by the character it reads as and what stands on either side (a
     small or capital ASCII letter, another such byte, or neither): a Spanish letter
     (á é í ó ú ñ ü, capitals too) in a word is good; any letter alone, a small letter
     between capitals ("OíFarrill") or a capital between small letters ("RodrÛguez") is
     bad; other letters in a word are neither; ¿ and ¡ before a word are good;
     apostrophes and the no-break space are good anywhere; quotes, dashes, the ellipsis,
     ª º ° € are good between words and bad inside one; anything else (‡ ∞ ◊ ﬁ and
     the like) is bad.
   * The best candidate wins when its good bytes outnumber its bad ones, are at least
     half of all, and its score (good less bad) is at least twice the next candidate's.
     Otherwise the file is refused, naming the candidates.

   Latin-1 and Windows-1252 read every byte from 0xA0 up the same way and differ only in
   0x80-0x9F, where Latin-1 has control characters: a file that Latin-1 could read,
   Windows-1252 reads identically, so Windows-1252 is the one reported and used
   (``--encoding latin-1`` still reads a file as Latin-1).
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from typing import IO

from django.utils.text import get_text_list
from django.utils.translation import gettext as _

SAMPLE = 64 * 1024
CHUNK = 1 << 20
# (codec, the name users know it by)
CANDIDATES = (("cp1252", "Windows-1252"), ("latin-1", "Latin-1"), ("mac_roman", "MacRoman"))

_SPANISH = frozenset("áéíóúñüÁÉÍÓÚÑÜ")
_INVERTED = frozenset("¿¡")
# Apostrophes (O'Farrill written with a typographic one) and the no-break space.
_ANYWHERE = frozenset("\u2019\u2018\u00a0")
# Punctuation that sits between words: quotes, en and em dashes, ellipsis, ° º ª · • €.
_BETWEEN = frozenset("\u201c\u201d«»\u2013\u2014…°ºª·•€")

# What stands on each side of a byte 0x80-0xFF: a lower-case or upper-case ASCII letter,
# another such byte (a letter of unknown case, most likely), or anything else.
_SIDES = {"l": rb"[a-z]", "u": rb"[A-Z]", "h": rb"[\x80-\xff]"}
_LETTER = rb"[A-Za-z\x80-\xff]"
# The byte class comes first in each pattern, so that the regular expression engine skips
# quickly to the next candidate byte.
_CONTEXTS = {
    (left, right): re.compile(
        rb"[\x80-\xff]"
        + (
            rb"(?<=%s[\x80-\xff])" % _SIDES[left]
            if left != "o"
            else rb"(?<!%s[\x80-\xff])" % _LETTER
        )
        + (rb"(?=%s)" % _SIDES[right] if right != "o" else rb"(?!%s)" % _LETTER)
    )
    for left in "luho"
    for right in "luho"
}
_RUN = re.compile(rb"[\x80-\xff]+")
_DELIMITERS = re.compile(rb"[\x00-\x20,;|\"]+")
_UTF8_SEQUENCE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)
# Enough evidence to stop reading: a score this high, ten times the next one's; or this
# many bytes 0x80-0xFF weighed (a bound on the time a hostile file can take).
_CONCLUSIVE = 1000
MAX_EVIDENCE = 1_000_000


class EncodingUnknown(ValueError):
    """The encoding cannot be told with confidence; the message says what to give."""


@dataclass
class _Evidence:
    # (byte, what is on its left, on its right: l u h o) -> occurrences
    contexts: Counter[tuple[int, str, str]] = field(default_factory=Counter)
    utf8_valid: bool = True
    utf8_sequences: int = 0  # valid multi-byte UTF-8 sequences
    utf8_bytes: int = 0  # bytes inside them
    high: int = 0  # bytes 0x80-0xFF
    word: bytes = b""  # a word with such bytes, to show the user

    def add(self, chunk: bytes) -> None:
        if chunk.isascii():
            return
        # Only the runs of such bytes and one byte either side matter: the context
        # patterns then scan a few bytes per run instead of the whole chunk.
        pieces = []
        for match in _RUN.finditer(chunk):
            start, end = match.span()
            pieces.append(chunk[max(start - 1, 0) : end + 1])
            if not self.word and not _utf8(match.group()):
                around = _DELIMITERS.split(chunk[max(start - 24, 0) : end + 24])
                self.word = next(
                    (w.strip(b"'")[:48] for w in around if not w.isascii() and not _utf8(w)),
                    b"",
                )
        compact = b"\n".join(pieces)
        for (left, right), pattern in _CONTEXTS.items():
            for byte, n in Counter(pattern.findall(compact)).items():
                self.contexts[(byte[0], left, right)] += n
                self.high += n
        sequences = _UTF8_SEQUENCE.findall(compact)
        self.utf8_sequences += len(sequences)
        self.utf8_bytes += sum(len(s) for s in sequences)

    @property
    def mostly_utf8(self) -> bool:
        return self.utf8_sequences > self.high - self.utf8_bytes


def _utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _weight(char: str, left: str, right: str) -> int | None:
    """+1 (plausible text), 0 (possible), -1 (unlikely) for ``char`` between ``left`` and
    ``right`` (l, u: a lower- or upper-case ASCII letter; h: a byte 0x80-0xFF; o: neither);
    None when ``char`` is no text at all (a control character)."""
    if unicodedata.category(char) == "Cc":
        return None
    after, before = left != "o", right != "o"
    if char in _INVERTED:
        return 1 if before and not after else -1
    if char in _ANYWHERE:
        return 1
    if char in _BETWEEN:
        return -1 if after and before else 1
    if char.isalpha():
        if not (after or before):
            return -1  # a letter alone
        if char.islower() and left == right == "u":
            return -1  # "OíF": a small letter inside capitals
        if char.isupper() and left == right == "l":
            return -1  # "RodrÛguez": a capital inside small letters
        return 1 if char in _SPANISH else 0
    return -1


@dataclass(frozen=True)
class _Reading:
    codec: str
    name: str
    good: int
    bad: int
    neutral: int

    @property
    def score(self) -> int:
        return self.good - self.bad

    @property
    def plausible(self) -> bool:
        """More good than doubtful: most of the bytes read as Spanish letters or ordinary
        punctuation where they stand."""
        return self.score > 0 and self.good >= self.bad + self.neutral


def _read(codec: str, name: str, contexts: Counter[tuple[int, str, str]]) -> _Reading | None:
    """How the bytes read in ``codec``; None when one of them cannot be text in it."""
    counts = {1: 0, 0: 0, -1: 0}
    for (byte, left, right), n in contexts.items():
        try:
            char = bytes([byte]).decode(codec)
        except UnicodeDecodeError:
            return None
        weight = _weight(char, left, right)
        if weight is None:
            return None
        counts[weight] += n
    return _Reading(codec, name, good=counts[1], bad=counts[-1], neutral=counts[0])


def _ranked(evidence: _Evidence) -> list[_Reading]:
    """The candidates in which every byte can be text, best first. A candidate that reads
    every byte present as an earlier one does is left out (Latin-1 after Windows-1252)."""
    present = bytes(sorted({byte for byte, _left, _right in evidence.contexts}))
    texts: list[str] = []
    ranked = []
    for codec, name in CANDIDATES:
        reading = _read(codec, name, evidence.contexts)
        if reading is None:
            continue
        text = present.decode(codec)
        if text in texts:
            continue
        texts.append(text)
        ranked.append(reading)
    ranked.sort(key=lambda r: -r.score)
    return ranked


def _winner(ranked: list[_Reading], margin: int = 2) -> str | None:
    """The best reading's codec when it is plausible and scores ``margin`` times the next
    one at least."""
    if not ranked or not ranked[0].plausible:
        return None
    if len(ranked) > 1 and max(ranked[1].score, 0) * margin > ranked[0].score:
        return None
    return ranked[0].codec


def _conclusive(evidence: _Evidence) -> bool:
    ranked = _ranked(evidence)
    return (
        not evidence.mostly_utf8
        and bool(ranked)
        and ranked[0].score >= _CONCLUSIVE
        and _winner(ranked, margin=10) is not None
    )


def detect_encoding(fh: IO[bytes]) -> str:
    """The encoding of the binary file ``fh`` (read from its start; left at its end), by
    the rule in this module's docstring. Raises :class:`EncodingUnknown`."""
    head = fh.read(SAMPLE)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if b"\x00" in head:
        raise EncodingUnknown(
            _(
                "The file holds NUL bytes: it is UTF-16 without a byte-order mark, or not "
                "a text file. Give its encoding with --encoding (e.g. utf-16-le) or check "
                "that it is a CSV."
            )
        )
    decoder = codecs.getincrementaldecoder("utf-8")()
    evidence = _Evidence()
    chunk, size = head, SAMPLE
    while chunk:
        if evidence.utf8_valid:
            try:
                # A character cut at the chunk's end is completed by the next chunk.
                decoder.decode(chunk, final=len(chunk) < size)
            except UnicodeDecodeError:
                evidence.utf8_valid = False
            else:
                if not chunk.isascii():
                    # Valid UTF-8 with non-ASCII text: conclusive (rule 3).
                    return "utf-8"
        evidence.add(chunk)
        if not evidence.utf8_valid and (evidence.high >= MAX_EVIDENCE or _conclusive(evidence)):
            break
        chunk, size = fh.read(CHUNK), CHUNK
    if evidence.utf8_valid or evidence.mostly_utf8:
        return "utf-8"
    ranked = _ranked(evidence)
    found = _winner(ranked)
    if found is not None:
        return found
    if not ranked:
        raise EncodingUnknown(
            _(
                "This file is not in UTF-8, Windows-1252, Latin-1 or MacRoman: give its "
                "encoding with --encoding (e.g. cp850 or iso-8859-15)."
            )
        )
    word = evidence.word
    raise EncodingUnknown(
        _(
            "Cannot tell whether this file is %(candidates)s: give its encoding with "
            "--encoding %(codecs)s (or another one, such as cp850)."
        )
        % {
            "candidates": get_text_list(
                [
                    f"{r.name} (“{word.decode(r.codec, errors='replace')}”)" if word else r.name
                    for r in ranked
                ],
                _("or"),
            ),
            "codecs": get_text_list([r.codec for r in ranked], _("or")),
        }
    )
