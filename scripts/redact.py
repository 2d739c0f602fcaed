"""Deterministic, offline redaction of free text, with offset re-mapping.

No NER model is available, so names come from known lists (the roster and the facilitators),
widened by the curated nickname list of the ``nicknames`` package; e-mails, NHS numbers and
UK postcodes come from patterns; phone numbers come from ``phonenumbers`` (Google's
libphonenumber) plus a UK pattern; places and services come from ``config.yaml``
(``redaction``).

How it works
------------
* **A normalised view.** Matching runs on a normalised copy of the text: Unicode NFKC
  (full-width letters and digits, ligatures such as "ﬁ", superscripts become plain
  characters), default-ignorable characters removed (soft hyphen U+00AD, zero-width space,
  non-joiner and joiner U+200B-U+200D, word joiner U+2060, BOM U+FEFF, every other format
  character, variation selectors), every dash (Unicode category Pd: hyphen, non-breaking
  hyphen, figure dash, en and em dash, ...; and the minus sign U+2212) becomes "-", and
  every space separator (no-break space, thin space U+2009, narrow no-break space U+202F,
  ...) becomes " ". So "Fair\\u00adbairn", "07700\\u2013900044" and "SO17\\u00a01BJ" match as
  if typed plainly. The view keeps, for each of its characters, the span of the original
  characters it came from; NFKC is applied to chunks that cannot interact with their
  neighbours (a starter and the combining marks after it), so one original character may
  give several (``ﬁ`` -> ``fi``) and several may give one (``e`` + U+0308 -> ``ë``). A
  replacement is the original span of the matched view characters: it includes every
  invisible character *inside* the match, and every :class:`Edit` and :class:`Redacted`
  offset is a code point of the original text.
* The view is split into *words* (runs of letters and digits, with any combining marks).
  Each word gets a *key*: accents stripped (NFKD), case folded, so ``Zoë``/``Zoe``/``ZOË``
  (precomposed or decomposed) and ``Siân``/``Sian`` are the same key. Name, place and
  service forms are sequences of keys stored in a trie; a match must start and end on
  whole words, so "Anna" never hits "Annabel" and "Sarah" never hits "Sarahs".
* Words of a multi-word form may be separated by spaces/tabs, by one dash, underscore or
  apostrophe (with optional spaces), or by one full stop with no space: "Okafor-Reid",
  "Okafor Reid", "sarah_okafor", "sarah.okafor", "O'Brien", "O’Brien", "Magistrates'
  Court". A match never crosses a line break (speaker turns stay on their own line). A
  full stop followed by a space is accepted only after an initial or after "St"
  ("S. Okafor", "St. Brigid's").
* Every candidate match from every recogniser is collected, then chosen by priority:
  e-mail > NHS number > phone > postcode > service > full name > place > name token >
  titled unknown name; among equals the earliest start, then the longest. A lower-priority
  candidate inside a chosen one is dropped; one that partly overlaps a chosen one and
  would leave letters or digits visible is merged into it (the span grows, the label of the
  higher-priority match is kept), so nothing is half-redacted.

Patterns
--------
* **E-mails**: ``local@domain.tld``.
* **NHS numbers**: 10 digits with a valid modulus-11 check digit, written in one piece or
  in groups of at least two digits separated by single spaces, full stops or dashes, in any
  grouping and mix ("943 476 5919", "943.476.5919", "4010 232 137", "9434765919",
  "943 476-5919"), inside a longer run of digit groups too; not after "+" or "00" (that is
  an international phone number). An NHS number wins over a phone.
* **Phones**: ``phonenumbers.PhoneNumberMatcher`` (region GB, ``Leniency.POSSIBLE``) runs on
  each window of digits and phone punctuation (``+ ( ) . -`` and spaces, no letters, no
  "/") that holds at least 8 digits. Windows keep letters out, so numbers glued to words
  ("mob07700900044", "tel:+447700900044") are seen, and a date before a number
  ("05/06/2021 07700900044") does not make the matcher drop both. ``VALID`` and stricter
  leniencies were measured and rejected: they refuse the Ofcom drama ranges (07700 900xxx,
  01632 960xxx) that test data and the synthetic study use, and any number from a range
  newer than the library's metadata. ``POSSIBLE`` alone would take years, scores, money and
  NHS numbers, so a match must also *look like a phone*: international (``+`` or ``00``,
  at least 8 digits, any country: "+353 1 234 5678", "+1 (202) 555-0143", "+33 1 23 45 67
  89"), or national: starting with 0, at least 10 digits, some group of at least 3 digits
  ("0 1 2 3 4 5 6 7 8 9" is a list), not a decimal ("0.12345678"); and in both cases not a
  service number the library knows as toll-free, premium-rate or shared-cost (0800, 09,
  084/087), which identifies no person.
  The UK pattern of earlier versions still runs as well, because the matcher splits a
  window of two numbers ("07700 900044 07700 900045") or a number followed by a year
  ("07700 900044 2015") into pieces of which the first looks like no phone; the tests say
  which recogniser catches what.
* **Postcodes**: UK outward code, then a space (up to two), no space, or a dash, then the
  inward code, any case ("SO17 1BJ", "SO17-1BJ", "so171bj").

Design choices
--------------
* **Possessives**: the ``'s`` stays *outside* the replacement, with the apostrophe as typed:
  "Sarah's" -> "[Participant 07]'s", "Okafor’s" -> "[Participant 07]’s".
* **Name forms per person** (roster order "First [Middle] Surname"; "Surname, First" is
  turned round; leading titles such as "Dr" are dropped): the full name; first name(s);
  surname (all words after the first name), trailing surname with its particles ("de Souza")
  and without ("Souza"); each hyphen component ("Okafor", "Reid"); a multi-word surname
  written as one word ("desouza", "okaforreid"); first name + any of these; first name +
  surname initial ("Sarah O.", the full stop is part of the match; without a full stop only
  when the initial is not "A" or "I"); initial + surname ("S. Okafor", "S Okafor"); first
  name and surname written as one word, either way round ("sarahokafor", "okaforsarah").
  Particles (de, van, von, ...) and single letters are never matched alone. Initials must
  be upper case, except in handles.
* **Handles** (user names, file names, e-mail-like text): initial + surname as one word
  ("nfairbairn", "NFairbairn") and initial joined to the surname by one ".", "_" or "-"
  with no space, either way round ("n.fairbairn", "n_fairbairn", "fairbairn.n"), in any
  case, when the surname (all its words joined) has at least 4 letters; surname + initial
  as one word ("fairbairnn") when the surname has at least 5 letters and the initial is not
  "s" (that would be the plural "the Okafors", deliberately not matched). The length limits
  keep collisions with ordinary words rare. Measured on the capitalised entries of SCOWL's
  british-english list (stand-ins for surnames), the share of names for which *some*
  initial + name is an English word is 25% for 3 letters ("c" + "Art"), 12.5% for 4
  ("c" + "Hart" = "chart"), 4.3% for 5 and 0.9% for 6; for name + initial it is 45%, 15.4%,
  5.5% and 3.1% ("Read" + "y" = "ready"). A given person's own initial hits far less often.
  First name + surname as one word needs 6 letters in all ("sarahokafor").
* **Nicknames** (``nicknames`` package, ``NickNamer().nicknames_of``; switch off with
  ``nicknames=False``): each nickname of a first name ("Andy", "Drew" for Andrew; "Becky" for
  Rebecca) is a form of that person, alone, with the surname forms ("Andy Ashdown"), with the
  surname initial ("Andy A.") and joined to the surname ("andyashdown"). Skipped: nicknames
  that are not one plain word ("k.c."). A nickname that is a name form of anyone in its own
  right (first name, surname, ...) stays that person's: "Anna" is Anna Bell, not Hannah's
  nickname. A nickname of two people ("Dan" for two Daniels, "Ellie" for Eleanor and
  Helen) becomes ``[Person]``. A nickname that is an English word (``_COMMON_WORD_NICKNAMES``:
  "Drew", "Rich", "Sally", "Bill", ...) or is listed in ``ambiguous_names`` is matched only
  when capitalised, like ambiguous names; a two-letter nickname ("Jo", "Ed", "Al") only in
  title case ("Jo", not "JO" or "jo": "ED" is an emergency department). Canonical names of a
  nickname (``canonicals_of``) are *not* added: for the synthetic roster they map Hannah to
  Susan, Nathan to Jonathan and Andrew to Andrea, i.e. to other people.
* **Labels**: a form that belongs to one person (same label and category) gets that
  person's label; a form shared by several people ("James" for two participants, a shared
  surname, two "Sarah O."s) gets ``[Person]`` (category ``person``). Full names still get
  their own labels, because the longer (full-name) match wins.
* **Ambiguous names** (``ambiguous_names``, e.g. Will, Mark, Hope, May): a form made only of
  such words is matched only when every word starts with a capital ("Will", "WILL"), never
  in lower case ("I will", "a mark"). Forms that contain another word ("Will Turner") match
  in any case.
* **Titles go with the name**: a title (Dr, Mr, Mrs, Ms, Miss, Mx, Prof, PC, DC, DS, DI,
  Sgt, Inspector, Judge, ...) right before a matched name is replaced with it
  ("Dr Okafor" -> "[Participant 07]"): a kept "Prof" would single out the one professor
  among the facilitators, and "Dr" hints at a profession.
* **Titled unknown names**: a capitalised word after a title that is on no list becomes
  ``[Person]`` ("Mrs Patel" -> "[Person]"). Switch off with ``redact_titled_names=False``.
* **Signatures**: 2-3 capital letters (dots allowed) that end the text after a line break,
  or a dash ("... - RK", "... - R.K.") are initials: the label of the one person
  whose initials they are (first + last, or every word), ``[Person]`` if several, and
  ``[Initials]`` if none. Only at the end of a text, so acronyms in running text (MHS, CPS)
  are left alone. After a plain space ("... team HS") capitals count as a signature only
  when they are someone's initials, so a trailing acronym ("... with the CPS") stays.
* **Places and services**: case-insensitive whole words; a service that starts with "the"
  also matches without it (the article is replaced with it when present); trailing "Ltd",
  "Limited", "plc", "LLP", "CIC" are optional; "St" also matches "St." and "Saint"; "X's"
  also matches "Xs" and "X".
* **Offsets** (:meth:`Redacted.remap`): a position outside every replacement shifts by the
  length changes before it; a span boundary strictly inside a replaced span widens the
  result to the whole replacement; a boundary exactly on a replaced span's edge stays on
  that edge. An empty span strictly inside a replaced span therefore maps to the whole
  label (the mapping of each boundary is monotone, and start <= end always holds).
  Offsets are code points of the text as given: pass LF-normalised text (docs/contracts.md).

Residual risks (documented, not solved)
---------------------------------------
* Names that are on no list are not found, unless they follow a title: nicknames missing
  from the ``nicknames`` list (it is American-leaning: "Gaz" for Gary, "Shaz" for Sharon
  are absent, and Gary, Karen, Darren, Siobhan, Niamh, Rhys have no nicknames at all),
  misspellings, names of family members or clients, and plural names ("the Okafors",
  deliberately not matched so that "Sarahs" is left alone). A roster first name that is
  itself a nickname ("Andy") does not bring in the full name ("Andrew"). A name broken at
  a line end with a hyphen ("Fair-\nbairn", from PDF or fixed-width text) or spelled out
  letter by letter ("N A T H A N") is not found.
* Ambiguous names and common-word nicknames at the start of a sentence or in upper-case
  text ("Will you ...", "Rich people ...", "I WILL") are replaced (over-redaction); in
  lower case ("met will", "ask rich") they are not (a leak); nor are two-letter nicknames
  in any case but title case ("JO", "jo"). Month names used as names
  ("May") are replaced as dates too. Surnames that are common words (Young, Brown, Law,
  Case, ...) are replaced in lower case too unless listed in ``ambiguous_names``: list them
  there. A nickname shared with someone else's real name gets that person's label.
* A handle can be an English word: for a Charlie Hart, "chart" is replaced (over-redaction).
  Handles from shorter surnames ("rlaw" for Robert Law; "r.law" keeps the visible "r.")
  and handles that shorten the surname ("nfair") or use two initials ("jrtolkien") are not
  found.
* Places and services are found only as listed; partial mentions ("Kestrel" when only
  "Kestrel Bay" is listed) stay. Obfuscated e-mails ("sarah at x dot com"), phone numbers
  spelled out or written digit by digit ("0 7 7 0 0 ..."), non-UK numbers without an
  international prefix ("(202) 555-0143"), NHS numbers written digit by digit or with
  doubled separators, partial postcodes ("BH12") and dates of birth are not recognised.
  A 10-digit number in groups with a valid check digit is taken as an NHS number even when
  it is something else (1 in 11 of such numbers pass the check).
* Non-decomposing letters are folded by a small table (ø, æ, œ, ß, ł, đ, þ, ð, ı); other
  scripts are matched exactly (after case folding). Letters from other scripts that look
  like Latin ones (Cyrillic "а" in "Sаrah") are not folded (NFKC keeps them apart).

Never log or print values: this module logs nothing; error messages quote no value.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from array import array
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, cached_property, lru_cache
from itertools import product
from types import MappingProxyType

import phonenumbers
from nicknames import NickNamer

__all__ = [
    "CATEGORIES",
    "LABELS",
    "Edit",
    "Person",
    "Redacted",
    "Redactor",
    "find_identifiers",
    "nhs_number_valid",
]

# --------------------------------------------------------------------------- categories
#: Every category an :class:`Edit` can carry (the redaction log's ``category`` column).
CATEGORIES = ("participant", "facilitator", "person", "initials", "email", "phone", "nhs_number", "postcode", "place", "service")
#: Replacement text of the categories that do not come from a :class:`Person`.
LABELS = {
    "person": "[Person]",
    "initials": "[Initials]",
    "email": "[Email]",
    "phone": "[Phone]",
    "nhs_number": "[NHS number]",
    "postcode": "[Postcode]",
    "place": "[Place]",
    "service": "[Service]",
}

# Priorities: lower wins when matches overlap.
_P_EMAIL, _P_NHS, _P_PHONE, _P_POSTCODE, _P_SERVICE, _P_FULL, _P_PLACE, _P_TOKEN, _P_TITLED = range(9)


# --------------------------------------------------------------------------- public types
@dataclass(frozen=True)
class Person:
    """Someone whose name must not appear: a roster participant or a facilitator."""

    name: str  # full name as on the roster, e.g. "Sarah Okafor-Reid"
    label: str  # replacement, e.g. "[Participant 07]" or "[Facilitator]"
    category: str  # "participant" | "facilitator" (used for counts)


@dataclass(frozen=True)
class Edit:
    """One replacement: ``start:end`` of the original became ``new_start:new_end``."""

    start: int
    end: int
    new_start: int
    new_end: int
    category: str


@dataclass(frozen=True)
class Redacted:
    """Redacted text, the replacements made, and the map from original to redacted offsets.

    ``source_length`` is the length of the original text (set by :meth:`Redactor.redact`);
    when known, :meth:`remap` refuses spans beyond it.
    """

    text: str
    edits: tuple[Edit, ...]
    source_length: int | None = None
    _starts: tuple[int, ...] = field(default=(), init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        prev_end = 0
        prev_new_end = 0
        for e in self.edits:
            if not (prev_end <= e.start <= e.end and prev_new_end <= e.new_start <= e.new_end):
                raise ValueError("edits must be sorted, non-overlapping spans")
            prev_end, prev_new_end = e.end, e.new_end
        object.__setattr__(self, "_starts", tuple(e.start for e in self.edits))

    def counts(self) -> dict[str, int]:
        """Number of replacements per category (only categories that occur), sorted by name."""
        return dict(sorted(Counter(e.category for e in self.edits).items()))

    @cached_property
    def _shifts(self) -> tuple[int, ...]:
        """Cumulative length change after each edit."""
        out, total = [], 0
        for e in self.edits:
            total += (e.new_end - e.new_start) - (e.end - e.start)
            out.append(total)
        return tuple(out)

    def _map(self, pos: int, *, is_end: bool) -> int:
        i = bisect.bisect_right(self._starts, pos) - 1  # last edit starting at or before pos
        if i < 0:
            return pos
        e = self.edits[i]
        if pos == e.start:
            return e.new_start
        if pos < e.end:  # strictly inside: widen to the whole replacement
            return e.new_end if is_end else e.new_start
        return pos + self._shifts[i]

    def remap(self, start: int, end: int) -> tuple[int, int]:
        """Map the span ``start:end`` of the original text to the redacted text.

        A boundary strictly inside a replaced span widens the result to the whole
        replacement, so a label is never cut. Raises ``ValueError`` for an invalid span.
        """
        if not (isinstance(start, int) and isinstance(end, int)) or start < 0 or end < start:
            raise ValueError("span must satisfy 0 <= start <= end")
        if self.source_length is not None and end > self.source_length:
            raise ValueError("span ends beyond the original text")
        return self._map(start, is_end=False), self._map(end, is_end=True)


# --------------------------------------------------------------------------- normalised view
#: Default-ignorable characters that are not format characters (category Cf, all removed):
#: combining grapheme joiner, Hangul fillers, Khmer inherent vowels, Mongolian free variation
#: selectors, variation selectors (ranges of code points, inclusive).
_IGNORABLE_RANGES = (
    (0x034F, 0x034F),
    (0x115F, 0x1160),
    (0x17B4, 0x17B5),
    (0x180B, 0x180F),
    (0x3164, 0x3164),
    (0xFE00, 0xFE0F),
    (0xFFA0, 0xFFA0),
    (0xE0100, 0xE01EF),
)
#: Starters (combining class 0) that canonical composition can join to the character before
#: them: the second halves of two-character canonical decompositions, and the Hangul medial
#: vowels and final consonants. ``tests/test_redact_variants.py`` recomputes the first part
#: from ``unicodedata``.
_COMPOSES_WITH_PREVIOUS = frozenset(
    "\u09be\u09d7\u0b3e\u0b56\u0b57\u0bbe\u0bd7\u0cc2\u0cd5\u0cd6\u0d3e\u0d57\u0dcf\u0ddf\u0fb5\u0fb7\u102e\u1b35"
    "\U00011127\U0001133e\U00011357\U000114b0\U000114ba\U000114bd\U000115af\U00011930"
) | frozenset(map(chr, [*range(0x1161, 0x1176), *range(0x11A8, 0x11C3)]))
_DROP, _STARTER, _JOINS = range(3)  # what a non-ASCII character does in the view
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")


class _Unify(dict):
    """``str.translate`` table: every space separator -> " ", every dash and the minus sign -> "-"."""

    def __missing__(self, cp: int) -> int:
        category = unicodedata.category(chr(cp))
        self[cp] = 0x20 if category == "Zs" else 0x2D if category == "Pd" or cp == 0x2212 else cp
        return self[cp]


_UNIFY = _Unify()


@lru_cache(maxsize=4096)
def _char_kind(c: str) -> int:
    """Whether a non-ASCII character is dropped, starts a normalisation chunk, or joins the previous one."""
    cp = ord(c)
    if unicodedata.category(c) == "Cf" or any(lo <= cp <= hi for lo, hi in _IGNORABLE_RANGES):
        return _DROP
    lead = unicodedata.normalize("NFKD", c)[0]
    return _JOINS if unicodedata.combining(lead) or lead in _COMPOSES_WITH_PREVIOUS else _STARTER


@lru_cache(maxsize=4096)
def _nfkc(chunk: str) -> str:
    return unicodedata.normalize("NFKC", chunk).translate(_UNIFY)


@dataclass(frozen=True)
class _View:
    """The normalised text, and for each of its characters the original span it came from."""

    text: str
    starts: array | None = None  # original start of each view character (None: same text)
    ends: array | None = None  # original end of each view character

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Original span of the non-empty view span ``start:end``."""
        if self.starts is None or self.ends is None:
            return start, end
        return self.starts[start], self.ends[end - 1]


def _normalise(text: str) -> _View:
    """The matching view of ``text`` (see the module doc); ASCII text is its own view."""
    if text.isascii():
        return _View(text)
    out: list[str] = []
    starts, ends = array("q"), array("q")
    chunk: list[str] = []
    bounds = [0, 0]  # original span of the chunk

    def flush() -> None:
        if not chunk:
            return
        raw = "".join(chunk)
        norm = raw if raw.isascii() else _nfkc(raw)
        out.append(norm)
        lo, hi = bounds
        if len(norm) == len(raw) == hi - lo and (len(raw) == 1 or norm == raw):
            starts.extend(range(lo, hi))
            ends.extend(range(lo + 1, hi + 1))
        else:  # one-to-many or many-to-one: every view character stands for the whole chunk
            starts.extend([lo] * len(norm))
            ends.extend([hi] * len(norm))
        chunk.clear()

    pos = 0
    for m in _NON_ASCII.finditer(text):
        a, b = m.span()
        if a > pos:  # ASCII before the run; its last character may take combining marks
            out.append(text[pos : a - 1])
            starts.extend(range(pos, a - 1))
            ends.extend(range(pos + 1, a))
            chunk.append(text[a - 1])
            bounds[:] = [a - 1, a]
        for i in range(a, b):
            kind = _char_kind(text[i])
            if kind == _DROP:
                continue
            if kind == _STARTER or not chunk:
                flush()
                bounds[0] = i
            chunk.append(text[i])
            bounds[1] = i + 1
        flush()
        pos = b
    out.append(text[pos:])
    starts.extend(range(pos, len(text)))
    ends.extend(range(pos + 1, len(text) + 1))
    return _View("".join(out), starts, ends)


# --------------------------------------------------------------------------- text keys
_MARKS = "\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
#: A word: letters/digits, with any combining marks (NFD text) kept inside the word.
_WORD = re.compile(rf"[^\W_]+(?:[{_MARKS}]+[^\W_]*)*")
_FOLD_EXTRA = str.maketrans({"ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "þ": "th", "ð": "d", "ı": "i", "ß": "ss"})


def _fold(word: str) -> str:
    """Key of a word: accents stripped, case folded ("Zoë", "ZOE", "Zoe\\u0308" -> "zoe")."""
    if word.isascii():
        return word.lower()
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold().translate(_FOLD_EXTRA)


def _keys(text: str) -> tuple[str, ...]:
    return tuple(_fold(w) for w in _WORD.findall(_normalise(text).text))


_HSPACE = r"[^\S\n]"
# In the view every dash is "-" and every space separator is " ".
_GAP = re.compile(rf"{_HSPACE}+|{_HSPACE}*[-_'’‘ʼ`]{_HSPACE}*|\.")
_GAP_AFTER_ABBREV = re.compile(rf"\.?{_HSPACE}*")
_TIGHT_GAPS = frozenset(".-_")  # the only gaps inside a handle ("n.fairbairn")
_ABBREVIATIONS = frozenset({"st", "mt"})
_APOSTROPHES = "'’‘ʼ`"

_PARTICLES = frozenset(
    [
        "de",
        "da",
        "di",
        "du",
        "del",
        "della",
        "der",
        "den",
        "des",
        "van",
        "von",
        "le",
        "la",
        "ten",
        "ter",
        "dos",
        "das",
        "do",
        "al",
        "el",
        "bin",
        "bint",
        "ibn",
        "ap",
        "y",
        "st",
    ]
)
_ROSTER_TITLES = frozenset(["dr", "mr", "mrs", "ms", "miss", "mx", "prof", "professor", "rev", "revd", "sir", "dame"])
#: Titles before an unknown capitalised name (matched on the key; the word must be capitalised).
_TITLES = frozenset(
    [
        "dr",
        "mr",
        "mrs",
        "ms",
        "miss",
        "mx",
        "prof",
        "professor",
        "rev",
        "revd",
        "sgt",
        "sergeant",
        "inspector",
        "pc",
        "dc",
        "ds",
        "di",
        "dci",
        "dsgt",
        "judge",
        "dame",
        "sir",
    ]
)
_LEGAL_SUFFIXES = frozenset(["ltd", "limited", "plc", "llp", "cic", "inc"])


def _gap_ok(gap: str, prev_key: str) -> bool:
    if _GAP.fullmatch(gap):
        return True
    return (len(prev_key) == 1 or prev_key in _ABBREVIATIONS) and gap != "" and bool(_GAP_AFTER_ABBREV.fullmatch(gap))


# --------------------------------------------------------------------------- patterns
_EMAIL = re.compile(r"(?<![\w.%+'-])[\w.%+-][\w.%+'-]*@[\w-]+(?:\.[\w-]+)+")
#: A run of digit groups separated by single spaces, full stops or dashes (NHS numbers).
_DIGIT_GROUPS = re.compile(r"\d+(?:[ .\-]\d+)*")
_DIGITS = re.compile(r"\d+")
_PSEP = r"(?:[ .\-]|\)[ .\-]?|[ .\-]?\()?"
#: UK numbers: +44/0044/0 then 1, 2, 3 or 7 and 8-9 more digits (the pattern of earlier versions).
_PHONE = re.compile(r"(?<![\w+(])(?:(?:\+|00) ?44[ .\-]?(?:\(0\)[ .\-]?)?\(?|\(?0)" rf"[1237](?:{_PSEP}\d){{8,9}}(?!\d)")
#: Where the phone library looks: digits and phone punctuation, no letters, no "/".
_PHONE_WINDOW = re.compile(r"[+(]*\d(?:[ .\-()]{0,3}\d)*\)?")
_PHONE_MIN_DIGITS = 8
_PHONE_START = re.compile(r"\+|(?<!\d)0")  # a digit group that starts with 0, or a plus
#: Numbers of services, not people: the library's types for 0800/0808, 09 and 084/087.
_SERVICE_NUMBER_TYPES = frozenset(
    {phonenumbers.PhoneNumberType.TOLL_FREE, phonenumbers.PhoneNumberType.PREMIUM_RATE, phonenumbers.PhoneNumberType.SHARED_COST}
)
_POSTCODE = re.compile(
    r"(?<![^\W_])[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]?(?:[^\S\n]{0,2}|-)\d[ABD-HJLNP-UW-Z]{2}(?![^\W_])",
    re.IGNORECASE,
)


def nhs_number_valid(digits: str) -> bool:
    """Modulus-11 check of a 10-digit NHS number (digits only).

    Weights 10..2 on the first nine digits; check = 11 - (sum mod 11); 11 means 0 and 10
    means the number is invalid. Example: 943 476 5919 -> sum 299, 299 mod 11 = 2, 11 - 2 = 9.
    """
    if len(digits) != 10 or not digits.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


def _nhs_spans(text: str) -> list[tuple[int, int]]:
    """NHS numbers: consecutive digit groups of a run, 10 digits in all, with a valid check digit.

    One group of 10 digits, or several groups of at least two digits each, separated by single
    spaces, full stops or dashes (mixed separators allowed): 3-3-4, 4-3-3, 2-4-4, ... A run
    after "+" or starting with "00" is an international phone number ("+1 415 555 2671"
    holds 10 digits with a valid check digit), not an NHS number.
    """
    found = []
    for run in _DIGIT_GROUPS.finditer(text):
        if run.end() - run.start() < 10 or run.group().startswith("00") or text[run.start() - 1 : run.start()] == "+":
            continue
        groups = [(g.start() + run.start(), g.end() + run.start()) for g in _DIGITS.finditer(run.group())]
        for i, (start, _) in enumerate(groups):
            sizes: list[int] = []
            for group_start, end in groups[i:]:
                sizes.append(end - group_start)
                if sum(sizes) >= 10:
                    if sum(sizes) == 10 and (len(sizes) == 1 or min(sizes) >= 2) and nhs_number_valid(_digits_of(text[start:end])):
                        found.append((start, end))
                    break
    return found


def _digits_of(s: str) -> str:
    return "".join(_DIGITS.findall(s))


def _looks_like_a_phone(raw: str) -> bool:
    """A number the library found is a phone only if written like one (see the module doc)."""
    body = raw.lstrip("( ")
    groups = _DIGITS.findall(raw)
    digits = "".join(groups)
    if body.startswith(("+", "00")):
        return len(digits) >= _PHONE_MIN_DIGITS  # "+33 1 23 45 67 89": pairs are fine after a country code
    return body.startswith("0") and len(digits) >= 10 and max(map(len, groups)) >= 3 and not re.match(r"0[.,]\d", body)


def _phone_candidates(text: str) -> list[tuple[int, int, str]]:
    """Phone numbers in the view: ``(start, end, "library" | "pattern")``, possibly overlapping."""
    found = []
    for w in _PHONE_WINDOW.finditer(text):
        window = w.group()
        # Only a number that starts with "+" or "0" can pass _looks_like_a_phone: skip the others cheaply.
        if sum(c.isdigit() for c in window) < _PHONE_MIN_DIGITS or not _PHONE_START.search(window):
            continue
        for m in phonenumbers.PhoneNumberMatcher(window, "GB", leniency=phonenumbers.Leniency.POSSIBLE):
            if _looks_like_a_phone(m.raw_string) and phonenumbers.number_type(m.number) not in _SERVICE_NUMBER_TYPES:
                found.append((w.start() + m.start, w.start() + m.end, "library"))
    found.extend((m.start(), m.end(), "pattern") for m in _PHONE.finditer(text))
    return found


# --------------------------------------------------------------------------- nicknames
#: Nicknames in ``nicknames`` 1.0.1 (3+ letters) that are lower-case words of the SCOWL
#: ``british-english`` list (Debian ``wbritish`` 2020.12.07): matched only when capitalised.
#: Regenerate: ``{n for v in NickNamer().nickname_lookup.values() for n in v}`` intersected
#: with the lower-case lines of ``/usr/share/dict/british-english``.
_NICKNAME_WORDS = """
abbey ado ally angel ant app art ash august barney basil bat beck bell belle berry bias biddy bill billy birdie bob
bobby brad brandy cage cal cam candy carol char charm chat chick chuck cleat clement cliff con corny court crate curt
daisy day deb dell dicey dick dickie dicky dilly dolly don dot dotty drew dunk duty dyer eddy eve falcon fall fanny
fate fie field flick flora ford frank gabby garret gay gee gene ginger glen glory gory green gum ham hank harry herb
hob honey hop hub ivy jack jasper jay jimmy jock john josh joy ken kill king kit lea lee left levy lib life lily link
little lorry maria mark mat matt max may meg mercy mickey middy midge mike minty mock moss nanny nap nappy natty newt
newton nib nick noel norm ode one paddy pat pate patsy patty peg penny peter phoebe pink pip pokey pres prissy
prudence randy ray raze rich rick rob rod roger rose rube rusty sally salmon sandy savanna see serene sherry sis sly
sol sonny squat sue sully tabby teeny terry than tick tiff tine tom tony van vest vet victor waldo wash wen west will
win wood woody zed
"""
#: Plus words that list lacks: "nan" (grandmother in British English, and a missing value as
#: pandas writes it: "nan_policy" in prose about code was redacted as Hannah's nickname).
_COMMON_WORD_NICKNAMES = frozenset(_NICKNAME_WORDS.split()) | {"nan"}


@cache
def _nicknamer() -> NickNamer:
    return NickNamer()


def _nicknames_of(first: tuple[str, ...]) -> set[str]:
    """Nickname keys of a first name (each of its words and the whole), plain words of 2+ letters."""
    names = {" ".join(first), *first}
    out = set()
    for name in names:
        for nick in _nicknamer().nicknames_of(name):
            if nick.isalpha() and nick.isascii() and len(nick) >= 2 and nick not in first:
                out.add(nick)
    return out


# --------------------------------------------------------------------------- name forms
@dataclass(frozen=True)
class _Form:
    """One way of writing a person's name, as word keys."""

    keys: tuple[str, ...]
    initials: tuple[bool, ...]  # per word: an upper-case initial ("S. Okafor", "Sarah O.")
    priority: int
    tight: bool = False  # a handle: words joined by one ".", "_" or "-" with no space, any case
    nick: bool = False  # built from a nickname


@dataclass(frozen=True)
class _Entry:
    priority: int
    label: str
    category: str
    case: tuple[str, ...] = ()  # per word: "" any, "I" upper-case initial, "C" capitalised, "T" title case
    tight: bool = False


_END = "\x00"  # trie key of the entries ending at a node


def _split_roster_name(name: str) -> list[str]:
    """Whitespace parts of a roster name in "First [Middle] Surname" order, titles dropped."""
    name = " ".join(_normalise(name).text.split())
    if name.count(",") == 1:
        surname, _, given = name.partition(",")
        name = f"{given.strip()} {surname.strip()}".strip()
    parts = [p for p in name.split(" ") if _keys(p)]
    while len(parts) > 1 and _keys(parts[0]) and _keys(parts[0])[0] in _ROSTER_TITLES and len(_keys(parts[0])) == 1:
        parts = parts[1:]
    return parts


def _name_forms(name: str, nicknames: bool = True) -> list[_Form]:
    """Every form of one person's name (see the module doc), nickname forms flagged."""
    parts = _split_roster_name(name)
    if not parts:
        raise ValueError("a name has no letters or digits")
    part_keys = [_keys(p) for p in parts]
    first = part_keys[0]
    rest = [k for k in part_keys[1:] if not (len(k) == 1 and len(k[0]) == 1)]  # middle initials dropped

    def significant(k: tuple[str, ...]) -> bool:
        return not (len(k) == 1 and (len(k[0]) < 2 or k[0] in _PARTICLES))

    # no lone initials; no lone particles unless the name is that one word
    firsts = {
        f for f in ({first} | {(w,) for w in first}) if not (len(f) == 1 and (len(f[0]) < 2 or (f[0] in _PARTICLES and len(parts) > 1)))
    }
    surnames: set[tuple[str, ...]] = set()
    if rest:
        surnames.add(tuple(w for k in rest for w in k))  # everything after the first name
        last = len(rest) - 1
        while last >= 0 and not significant(rest[last]):
            last -= 1
        if last >= 0:
            begin = last
            while begin > 0 and not significant(rest[begin - 1]):
                begin -= 1
            surnames.add(tuple(w for k in rest[begin : last + 1] for w in k))  # "de souza"
        for k in rest:
            if significant(k):
                surnames.add(k)  # each part: "okafor-reid", "ann"
                if len(k) > 1:
                    surnames.update((w,) for w in k if len(w) >= 2 and w not in _PARTICLES)  # "okafor", "reid"
    surnames.update(("".join(s),) for s in list(surnames) if len(s) > 1 and len("".join(s)) >= 4)  # "obrien", "desouza"
    surnames = {s for s in surnames if s and not (len(s) == 1 and (len(s[0]) < 2 or s[0] in _PARTICLES))}

    tokens = firsts | surnames
    full: set[tuple[str, ...]] = set()
    initials: set[tuple[tuple[str, ...], tuple[bool, ...]]] = set()
    tight: set[tuple[str, ...]] = set()
    if len(part_keys) > 1:
        full.add(tuple(w for k in part_keys for w in k))  # as on the roster, middle initials included
    for f, s in product(firsts, surnames):
        full.add(f + s)
        _add_joined(full, "".join(f), "".join(s))
    for f in firsts:
        for s in surnames:
            initials.add(((*f, s[0][0]), (False,) * len(f) + (True,)))  # "Sarah O."
    initial = first[0][0]
    for s in surnames:
        initials.add(((initial, *s), (True,) + (False,) * len(s)))  # "S. Okafor"
        joined = "".join(s)
        if len(joined) >= 4:
            full.add((initial + joined,))  # "nfairbairn"
            tight.update({(initial, *s), (*s, initial)})  # "n.fairbairn", "fairbairn_n"
            if len(joined) >= 5 and initial != "s":
                full.add((joined + initial,))  # "fairbairnn"
    forms = [_Form(k, (False,) * len(k), _P_TOKEN) for k in tokens]
    forms += [_Form(k, (False,) * len(k), _P_FULL) for k in full - tokens]
    forms += [_Form(k, m, _P_FULL) for k, m in initials]
    forms += [_Form(k, (False,) * len(k), _P_FULL, tight=True) for k in tight]
    if nicknames:
        for nick in sorted(_nicknames_of(first)):
            forms.append(_Form((nick,), (False,), _P_TOKEN, nick=True))
            nick_full: set[tuple[str, ...]] = set()
            for s in surnames:
                nick_full.add((nick, *s))  # "Andy Ashdown"
                _add_joined(nick_full, nick, "".join(s))  # "andyashdown"
                forms.append(_Form((nick, s[0][0]), (False, True), _P_FULL, nick=True))  # "Andy A."
            forms += [_Form(k, (False,) * len(k), _P_FULL, nick=True) for k in nick_full]
    return forms


def _add_joined(forms: set[tuple[str, ...]], first: str, surname: str) -> None:
    """First name and surname as one word, both ways round ("sarahokafor", "okaforsarah")."""
    if len(first) + len(surname) >= 6:
        forms.update({(first + surname,), (surname + first,)})


def _place_forms(phrase: str) -> set[tuple[str, ...]]:
    base = _keys(phrase)
    if not base:
        return set()
    forms = {base}
    if len(base) > 1 and base[0] == "the":
        forms.add(base[1:])
    for f in list(forms):
        if len(f) > 1 and f[-1] in _LEGAL_SUFFIXES:
            forms.add(f[:-1])
    for f in list(forms):
        if "s" in f[1:]:
            i = f.index("s", 1)
            forms.add((*f[: i - 1], f[i - 1] + "s", *f[i + 1 :]))  # "brigids"
            forms.add(f[:i] + f[i + 1 :])  # "brigid"
    for f in list(forms):
        if "st" in f:
            forms.add(tuple("saint" if w == "st" else w for w in f))
    return forms


# --------------------------------------------------------------------------- redactor
class Redactor:
    """Replace names, contact details, places and services in free text (see module doc).

    Patterns are compiled once here; :meth:`redact` is deterministic and logs nothing.
    """

    def __init__(
        self,
        people: Sequence[Person],
        *,
        places: Sequence[str] = (),
        services: Sequence[str] = (),
        ambiguous_names: Sequence[str] = (),
        redact_titled_names: bool = True,
        nicknames: bool = True,
    ) -> None:
        if not isinstance(nicknames, bool):
            raise TypeError("nicknames must be true or false")
        self._ambiguous = frozenset(k for a in ambiguous_names for k in _keys(str(a)))
        self._titled = redact_titled_names
        self._trie: dict = {}
        self._initials: dict[str, set[tuple[str, str]]] = {}
        per_person: list[tuple[tuple[str, str], list[_Form]]] = []
        for p in people:
            if not isinstance(p, Person):
                raise TypeError("people must be Person objects")
            if not p.label or not p.category:
                raise ValueError("every person needs a label and a category")
            if p.category in LABELS:
                raise ValueError(f"person category must not be one of the reserved categories {sorted(LABELS)}")
            ident = (p.label, p.category)
            for ini in _initials_of(p.name):
                self._initials.setdefault(ini, set()).add(ident)
            per_person.append((ident, _name_forms(p.name, nicknames)))
        # A nickname that is someone's name in its own right stays theirs ("Anna" is Anna Bell's).
        own_names = {f.keys for _, forms in per_person for f in forms if not f.nick}
        # (keys, initial mask, tight) -> identity (label, category) -> priority
        owners: dict[tuple[tuple[str, ...], tuple[bool, ...], bool], dict[tuple[str, str], int]] = {}
        nick_forms: set[tuple[tuple[str, ...], tuple[bool, ...], bool]] = set()
        for ident, forms in per_person:
            for f in forms:
                if f.nick and f.keys in own_names:
                    continue
                key = (f.keys, f.initials, f.tight)
                idents = owners.setdefault(key, {})
                idents[ident] = min(f.priority, idents.get(ident, f.priority))
                if f.nick:
                    nick_forms.add(key)
        for key in sorted(owners):
            keys, mask, tight = key
            idents = owners[key]
            priority = min(idents.values())
            label, category = next(iter(idents)) if len(idents) == 1 else (LABELS["person"], "person")
            case = self._case(keys, mask, key in nick_forms)
            self._add(keys, _Entry(priority, label, category, case, tight))
        for kind, phrases in (("service", services), ("place", places)):
            priority = _P_SERVICE if kind == "service" else _P_PLACE
            for phrase in phrases:
                for keys in _place_forms(str(phrase)):
                    self._add(keys, _Entry(priority, LABELS[kind], kind))

    def _case(self, keys: tuple[str, ...], mask: tuple[bool, ...], nick: bool) -> tuple[str, ...]:
        """Per-word case rule of a form (empty when any case goes)."""
        rules = []
        for k, is_initial in zip(keys, mask, strict=True):
            if is_initial:
                rules.append("I")
            elif nick and len(k) == 2:
                rules.append("T")
            elif k in self._ambiguous or (nick and k in _COMMON_WORD_NICKNAMES):
                rules.append("C")
            else:
                # a form that contains an ordinary name word matches in any case ("will turner")
                return tuple("I" if m else "" for m in mask) if any(mask) else ()
        return tuple(rules)

    @classmethod
    def from_config(cls, people: Sequence[Person], redaction: Mapping) -> Redactor:
        """Build from the ``redaction`` section of config.yaml (``nicknames`` defaults to true)."""
        return cls(
            people,
            places=redaction.get("places") or (),
            services=redaction.get("services") or (),
            ambiguous_names=redaction.get("ambiguous_names") or (),
            nicknames=redaction.get("nicknames", True),
        )

    def _add(self, keys: tuple[str, ...], entry: _Entry) -> None:
        node = self._trie
        for k in keys:
            node = node.setdefault(k, {})
        entries = node.setdefault(_END, [])
        if entry not in entries:
            entries.append(entry)

    # ---------------------------------------------------------------- matching
    def redact(self, text: str) -> Redacted:
        """Redact ``text`` (LF-normalised); offsets in the result are code points of ``text``."""
        if not isinstance(text, str):
            raise TypeError("text must be a str")
        view = _normalise(text)
        v = view.text
        cands: list[tuple[int, int, int, str, str]] = []  # (priority, start, end, label, category), view offsets
        for m in _EMAIL.finditer(v):
            cands.append((_P_EMAIL, m.start(), m.end(), LABELS["email"], "email"))
        for start, end in _nhs_spans(v):
            cands.append((_P_NHS, start, end, LABELS["nhs_number"], "nhs_number"))
        for start, end, _ in _phone_candidates(v):
            cands.append((_P_PHONE, start, end, LABELS["phone"], "phone"))
        for m in _POSTCODE.finditer(v):
            cands.append((_P_POSTCODE, m.start(), m.end(), LABELS["postcode"], "postcode"))
        self._match_words(v, cands)
        self._signature(v, cands)
        pieces: list[str] = []
        edits: list[Edit] = []
        pos = new_pos = 0
        for start, end, label, category in _to_original(_choose(cands, v), view):
            pieces.append(text[pos:start])
            new_pos += start - pos
            pieces.append(label)
            edits.append(Edit(start, end, new_pos, new_pos + len(label), category))
            new_pos += len(label)
            pos = end
        pieces.append(text[pos:])
        return Redacted("".join(pieces), tuple(edits), len(text))

    def _match_words(self, text: str, cands: list) -> None:
        spans = [(m.start(), m.end()) for m in _WORD.finditer(text)]
        words = [text[s:e] for s, e in spans]
        keys = [_fold(w) for w in words]
        trie = self._trie
        n = len(spans)
        for i in range(n):
            node = trie.get(keys[i])
            if node is not None:
                j = i
                while True:
                    entries = node.get(_END)
                    if entries:
                        self._emit(text, spans, words, i, j, entries, cands, _title_start(text, spans, keys, words, i))
                    if j + 1 >= n:
                        break
                    nxt = node.get(keys[j + 1])
                    if nxt is None or not _gap_ok(text[spans[j][1] : spans[j + 1][0]], keys[j]):
                        break
                    node = nxt
                    j += 1
            if self._titled and keys[i] in _TITLES and words[i][0].isupper() and i + 1 < n:
                self._titled_name(text, spans, words, keys, i, cands)

    @staticmethod
    def _emit(text: str, spans: list, words: list[str], i: int, j: int, entries: list[_Entry], cands: list, title_start: int) -> None:
        start, end = spans[i][0], spans[j][1]
        for entry in entries:
            if entry.tight and any(text[spans[k][1] : spans[k + 1][0]] not in _TIGHT_GAPS for k in range(i, j)):
                continue
            # A title before a name goes with it: "Prof [Facilitator]" would single out the
            # one professor among the facilitators, and "Dr" hints at a profession.
            begin = title_start if entry.category not in ("place", "service") else start
            stop = end
            if entry.case:
                if not all(_case_ok(words[i + k], rule) for k, rule in enumerate(entry.case)):
                    continue
                if entry.case[-1] == "I":  # "Sarah O." : a trailing initial needs its full stop
                    after = text[end : end + 1]
                    if after == ".":
                        stop = end + 1
                    elif words[j] in "AI" or (after and after in _APOSTROPHES + "-"):
                        continue
            cands.append((entry.priority, begin, stop, entry.label, entry.category))

    def _signature(self, text: str, cands: list) -> None:
        """Initials that sign a note: the person they fit, [Person] if several, else [Initials]."""
        m = _SIGNATURE.search(text)
        if not m:
            m = _SIGNATURE_AFTER_SPACE.search(text)
            if not m or m.group(1).replace(".", "") not in self._initials:
                return
        ini = m.group(1).replace(".", "")
        owners = self._initials.get(ini, set())
        if len(owners) == 1:
            label, category = next(iter(owners))
        else:
            label, category = (LABELS["person"], "person") if owners else (LABELS["initials"], "initials")
        cands.append((_P_TOKEN, m.start(1), m.end(1), label, category))

    @staticmethod
    def _titled_name(text: str, spans: list, words: list[str], keys: list[str], i: int, cands: list) -> None:
        n = len(spans)
        j = i + 1
        gap = text[spans[i][1] : spans[j][0]]
        if not re.fullmatch(rf"\.?{_HSPACE}+|\.", gap):
            return
        while j < n - 1 and keys[j] in _PARTICLES and re.fullmatch(rf"{_HSPACE}+", text[spans[j][1] : spans[j + 1][0]]):
            j += 1  # "Mr de Souza"
        if not (words[j][0].isupper() and words[j].isalpha()) or keys[j] in _TITLES:
            return
        while j + 1 < n and words[j + 1][0].isupper() and re.fullmatch(r"[-'’ʼ]", text[spans[j][1] : spans[j + 1][0]]):
            j += 1  # "O'Brien", "Okafor-Reid"
        cands.append((_P_TITLED, spans[i][0], spans[j][1], LABELS["person"], "person"))


def _case_ok(word: str, rule: str) -> bool:
    if rule == "I":
        return len(word) == 1 and word.isupper()
    if rule == "C":
        return word[0].isupper()
    if rule == "T":
        return word[0].isupper() and word[1:].islower()
    return True


def _title_start(text: str, spans: list, keys: list[str], words: list[str], i: int) -> int:
    """Start of a title ("Dr", "Prof.", "Mrs") right before word i, else the start of word i."""
    titled = i > 0 and keys[i - 1] in _TITLES and words[i - 1][0].isupper()
    if titled and re.fullmatch(rf"\.?{_HSPACE}+", text[spans[i - 1][1] : spans[i][0]]):
        return spans[i - 1][0]
    return spans[i][0]


def _initials_of(name: str) -> set[str]:
    """Upper-case initials a person may sign with: first + last ("SO"), and every word ("SOR")."""
    name = _normalise(name).text
    words = [w for w in _WORD.findall(name) if _fold(w) not in _ROSTER_TITLES]
    letters = [w[0].upper() for w in words if _fold(w) not in _PARTICLES]
    if len(letters) < 2:
        return set()
    parts = [w[0].upper() for w in re.split(r"[\s-]+", " ".join(words)) if w and _fold(w) not in _PARTICLES]
    return {letters[0] + letters[-1], "".join(letters), "".join(parts)}


#: A signature: 2-3 capital letters (dots allowed) ending the text, after a line break or
#: a dash that follows other text ("... - RK", "...\nAA", "... - R.K."). A text that is only
#: capitals ("NHS") is content, not a signature. (In the view every dash is "-".)
_SIGNATURE = re.compile(r"(?<=[\n\-~(])[^\S\n]*((?:[A-Z]\.?){2,3})[^\S\n]*\)?\s*$")
#: Capitals ending the text after a plain space ("... team HS") sign it only if they are
#: someone's initials: a trailing acronym ("... with the CPS") is left alone.
_SIGNATURE_AFTER_SPACE = re.compile(r"(?:(?<=[^\W\d_])|(?<=[^\W\d_][.,;:!?]))[^\S\n]+((?:[A-Z]\.?){2,3})\s*$")


_HAS_WORD = re.compile(r"[^\W_]")


def _choose(cands: list[tuple[int, int, int, str, str]], text: str) -> list[list]:
    """Pick non-overlapping spans: priority, then earliest start, then longest."""
    cands.sort(key=lambda c: (c[0], c[1], c[1] - c[2], c[3], c[4]))
    starts: list[int] = []
    chosen: list[list] = []  # [start, end, priority, label, category], sorted by start
    for priority, start, end, label, category in cands:
        if end <= start:
            continue
        i = bisect.bisect_right(starts, start)
        lo = i - 1 if i > 0 and chosen[i - 1][1] > start else i
        hi = i
        while hi < len(chosen) and chosen[hi][0] < end:
            hi += 1
        if lo == hi:
            starts.insert(i, start)
            chosen.insert(i, [start, end, priority, label, category])
            continue
        over = chosen[lo:hi]
        pos, visible = start, False
        for sp in over:
            if sp[0] > pos and _HAS_WORD.search(text, pos, sp[0]):
                visible = True
            pos = max(pos, sp[1])
        if pos < end and _HAS_WORD.search(text, pos, end):
            visible = True
        if not visible:
            continue  # already covered
        winner = min(over, key=lambda sp: (sp[2], sp[0]))
        merged = [min(start, over[0][0]), max(end, over[-1][1]), winner[2], winner[3], winner[4]]
        chosen[lo:hi] = [merged]
        starts[lo:hi] = [merged[0]]
    return chosen


def _to_original(chosen: list[list], view: _View) -> list[tuple[int, int, str, str]]:
    """Chosen view spans as original spans ``(start, end, label, category)``.

    Two view spans that meet inside one original chunk (the "f" and "i" of "ﬁ") would
    overlap in the original: they are merged, keeping the label of the higher priority.
    """
    out: list[list] = []  # [start, end, priority, label, category]
    for start, end, priority, label, category in chosen:
        s, e = view.span(start, end)
        if out and s < out[-1][1]:
            prev = out[-1]
            prev[1] = max(prev[1], e)
            if priority < prev[2]:
                prev[2:] = [priority, label, category]
        else:
            out.append([s, e, priority, label, category])
    return [(s, e, label, category) for s, e, _, label, category in out]


# --------------------------------------------------------------------------- leak check
_LEAK_EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
_LEAK_DIGITS = re.compile(r"\+?\d[\d ().\-]{7,}\d")
_CASE_STRICTNESS = {"": 0, "C": 1, "T": 2}


def find_identifiers(
    text: str,
    people: Iterable[Person],
    places: Iterable[str] = (),
    services: Iterable[str] = (),
    *,
    ambiguous_names: Iterable[str] = (),
    nicknames: bool = True,
) -> list[str]:
    """Identifying strings left in ``text`` (in text order; places and services last): a check for tests.

    Works on the normalised view (see the module doc) and returns the original characters.
    Flags (after removing every replacement label, so labels are never flagged): any word of
    a name form of a person with at least two letters (case- and accent-insensitive;
    ambiguous words and common-word nicknames only when capitalised, two-letter nicknames
    only in title case; particles and titles excepted): name words, nicknames, handles such
    as "nfairbairn"; e-mail-like strings; digit runs of nine or more digits (phones, NHS
    numbers, in any grouping); UK postcodes (with a space, a dash or nothing in the middle);
    and listed places and services. Deliberately cruder than :class:`Redactor`, so it errs
    towards flagging.
    """
    people = list(people)
    view = _normalise(text)
    labels = {p.label for p in people} | set(LABELS.values())
    pattern = "|".join(re.escape(x) for x in sorted(labels, key=len, reverse=True))
    masked = re.sub(pattern, lambda m: " " * len(m.group()), view.text)  # same length: view offsets hold
    name_words = _leak_words(tuple(p.name for p in people), frozenset(k for a in ambiguous_names for k in _keys(a)), nicknames)
    found: list[tuple[int, int]] = []
    for m in _WORD.finditer(masked):
        rule = name_words.get(_fold(m.group()))
        if rule is not None and _case_ok(m.group(), rule):
            found.append(m.span())
    found += [m.span() for m in _LEAK_EMAIL.finditer(masked)]
    found += [m.span() for m in _LEAK_DIGITS.finditer(masked) if sum(c.isdigit() for c in m.group()) >= 9]
    found += [m.span() for m in _POSTCODE.finditer(masked)]
    out = [text[slice(*view.span(s, e))] for s, e in sorted(found)]
    folded = " ".join(_fold(w) for w in _WORD.findall(masked))
    for phrase in (*places, *services):
        key = " ".join(_keys(phrase))
        if key and re.search(rf"(?<!\S){re.escape(key)}(?!\S)", folded):
            out.append(phrase)
    return out


@lru_cache(maxsize=16)
def _leak_words(names: tuple[str, ...], ambiguous: frozenset[str], nicknames: bool) -> Mapping[str, str]:
    """Word keys of every name form of these people -> the weakest case rule among the forms it is in (read-only)."""
    out: dict[str, str] = {}
    for name in names:
        for f in _name_forms(name, nicknames):
            for k, is_initial in zip(f.keys, f.initials, strict=True):
                if is_initial or len(k) < 2 or k in _PARTICLES or k in _ROSTER_TITLES:
                    continue
                rule = "T" if f.nick and len(k) == 2 else "C" if k in ambiguous or (f.nick and k in _COMMON_WORD_NICKNAMES) else ""
                if k not in out or _CASE_STRICTNESS[rule] < _CASE_STRICTNESS[out[k]]:
                    out[k] = rule
    return MappingProxyType(out)
