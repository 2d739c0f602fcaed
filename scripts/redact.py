"""Deterministic, offline redaction of free text, with offset re-mapping.

No NER model is available, so names come from known lists (the roster and the facilitators);
e-mails, UK phone numbers, NHS numbers and UK postcodes come from patterns; places and
services come from ``config.yaml`` (``redaction``). Pure standard library.

How it works
------------
* The text is split into *words* (runs of letters and digits, with any combining marks).
  Each word gets a *key*: accents stripped (NFKD), case folded, so ``Zoë``/``Zoe``/``ZOË``
  (precomposed or decomposed) and ``Siân``/``Sian`` are the same key. Name, place and
  service forms are sequences of keys stored in a trie; a match must start and end on
  whole words, so "Anna" never hits "Annabel" and "Sarah" never hits "Sarahs".
* Words of a multi-word form may be separated by spaces/tabs, or by one hyphen, en dash,
  underscore or apostrophe (with optional spaces): "Okafor-Reid", "Okafor Reid",
  "sarah_okafor", "O'Brien", "O’Brien", "Magistrates' Court". A match never crosses a line
  break (speaker turns stay on their own line). A full stop is accepted only after an
  initial or after "St" ("S. Okafor", "St. Brigid's").
* Every candidate match from every recogniser is collected, then chosen by priority:
  e-mail > NHS number > phone > postcode > service > full name > place > name token >
  titled unknown name; among equals the earliest start, then the longest. A lower-priority
  candidate inside a chosen one is dropped; one that partly overlaps a chosen one and
  would leave letters or digits visible is merged into it (the span grows, the label of the
  higher-priority match is kept), so nothing is half-redacted.

Design choices
--------------
* **Possessives**: the ``'s`` stays *outside* the replacement, with the apostrophe as typed:
  "Sarah's" -> "[Participant 07]'s", "Okafor’s" -> "[Participant 07]’s".
* **Name forms per person** (roster order "First [Middle] Surname"; "Surname, First" is
  turned round; leading titles such as "Dr" are dropped): the full name; first name(s);
  surname (all words after the first name), trailing surname with its particles ("de Souza")
  and without ("Souza"); each hyphen component ("Okafor", "Reid"); first name + any of these;
  first name + surname initial ("Sarah O.", the full stop is part of the match; without a
  full stop only when the initial is not "A" or "I"); initial + surname ("S. Okafor",
  "S Okafor"); first name and surname written as one word ("sarahokafor"). Particles
  (de, van, von, ...) and single letters are never matched alone. Initials must be upper case.
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
* Names that are on no list are not found, unless they follow a title: nicknames ("Jim" for
  "James"), misspellings, names of family members or clients, and plural names ("the
  Okafors", deliberately not matched so that "Sarahs" is left alone).
* Ambiguous names at the start of a sentence or in upper-case text ("Will you ...",
  "I WILL") are replaced (over-redaction); a lower-case ambiguous name ("met will") is not
  (a leak). Month names used as names ("May") are replaced as dates too. Surnames that are
  common words (Young, Brown, Law, Case, ...) are replaced in lower case too unless listed in
  ``ambiguous_names``: list them there.
* Places and services are found only as listed; partial mentions ("Kestrel" when only
  "Kestrel Bay" is listed) stay. Obfuscated e-mails ("sarah at x dot com"), non-UK phone
  numbers, partial postcodes ("BH12") and dates of birth are not recognised.
* Non-decomposing letters are folded by a small table (ø, æ, œ, ß, ł, đ, þ, ð, ı); other
  scripts are matched exactly (after case folding).

Never log or print values: this module logs nothing; error messages quote no value.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from itertools import product

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
    return tuple(_fold(w) for w in _WORD.findall(text))


_HSPACE = r"[^\S\n]"
_GAP = re.compile(rf"{_HSPACE}+|{_HSPACE}*[-\u2010\u2011\u2012\u2013_'’‘ʼ`]{_HSPACE}*")
_GAP_AFTER_ABBREV = re.compile(rf"\.?{_HSPACE}*")
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
_NHS = re.compile(r"(?<![\w+])(?:\d{3}([ \-])\d{3}\1\d{4}|\d{10})(?![\w])")
_PSEP = r"(?:[ .\-\u00a0]|\)[ .\-\u00a0]?|[ .\-\u00a0]?\()?"
_PHONE = re.compile(
    r"(?<![\w+(])"
    r"(?:(?:\+|00)[ \u00a0]?44[ .\-\u00a0]?(?:\(0\)[ .\-\u00a0]?)?\(?|\(?0)"
    rf"[1237](?:{_PSEP}\d){{8,9}}(?!\d)"
)
_POSTCODE = re.compile(
    r"(?<![^\W_])[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]?[^\S\n]{0,2}\d[ABD-HJLNP-UW-Z]{2}(?![^\W_])",
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


# --------------------------------------------------------------------------- name forms
@dataclass(frozen=True)
class _Entry:
    priority: int
    label: str
    category: str
    initials: tuple[bool, ...] = ()  # per word: must be an upper-case initial
    needs_caps: bool = False  # every word must start with a capital (ambiguous-word names)


_END = "\x00"  # trie key of the entries ending at a node


def _split_roster_name(name: str) -> list[str]:
    """Whitespace parts of a roster name in "First [Middle] Surname" order, titles dropped."""
    name = " ".join(name.split())
    if name.count(",") == 1:
        surname, _, given = name.partition(",")
        name = f"{given.strip()} {surname.strip()}".strip()
    parts = [p for p in name.split(" ") if _keys(p)]
    while len(parts) > 1 and _keys(parts[0]) and _keys(parts[0])[0] in _ROSTER_TITLES and len(_keys(parts[0])) == 1:
        parts = parts[1:]
    return parts


def _name_forms(name: str) -> tuple[set[tuple[str, ...]], set[tuple[tuple[str, ...], tuple[bool, ...]]], set[tuple[str, ...]]]:
    """(full-name forms, initial forms with their initial masks, single-name token forms)."""
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
                    surnames.add(("".join(k),))  # "obrien"
    surnames = {s for s in surnames if s and not (len(s) == 1 and (len(s[0]) < 2 or s[0] in _PARTICLES))}

    tokens = firsts | surnames
    full: set[tuple[str, ...]] = set()
    initials: set[tuple[tuple[str, ...], tuple[bool, ...]]] = set()
    if len(part_keys) > 1:
        full.add(tuple(w for k in part_keys for w in k))  # as on the roster, middle initials included
    for f, s in product(firsts, surnames):
        full.add(f + s)
        joined = "".join(f + s)
        if len(joined) >= 6:
            full.add((joined,))  # "sarahokafor"
    for f in firsts:
        for s in surnames:
            initials.add(((*f, s[0][0]), (False,) * len(f) + (True,)))  # "Sarah O."
    for s in surnames:
        initials.add(((first[0][0], *s), (True,) + (False,) * len(s)))  # "S. Okafor"
    return full - tokens, initials, tokens


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
    ) -> None:
        self._ambiguous = frozenset(_fold(w) for a in ambiguous_names for w in _WORD.findall(str(a)))
        self._titled = redact_titled_names
        self._trie: dict = {}
        # form -> identity (label, category) -> (priority, initial mask)
        owners: dict[tuple[tuple[str, ...], tuple[bool, ...]], dict[tuple[str, str], int]] = {}
        self._initials: dict[str, set[tuple[str, str]]] = {}
        for p in people:
            if not isinstance(p, Person):
                raise TypeError("people must be Person objects")
            if not p.label or not p.category:
                raise ValueError("every person needs a label and a category")
            if p.category in LABELS:
                raise ValueError(f"person category must not be one of the reserved categories {sorted(LABELS)}")
            full, initial_forms, tokens = _name_forms(p.name)
            ident = (p.label, p.category)
            for ini in _initials_of(p.name):
                self._initials.setdefault(ini, set()).add(ident)
            for keys in full:
                self._own(owners, (keys, (False,) * len(keys)), ident, _P_FULL)
            for keys, mask in initial_forms:
                self._own(owners, (keys, mask), ident, _P_FULL)
            for keys in tokens:
                self._own(owners, (keys, (False,) * len(keys)), ident, _P_TOKEN)
        for (keys, mask), idents in owners.items():
            priority = min(idents.values())
            label, category = next(iter(idents)) if len(idents) == 1 else (LABELS["person"], "person")
            words = [k for k, m in zip(keys, mask, strict=True) if not m]
            needs_caps = bool(words) and all(w in self._ambiguous for w in words)
            self._add(keys, _Entry(priority, label, category, mask, needs_caps))
        for kind, phrases in (("service", services), ("place", places)):
            priority = _P_SERVICE if kind == "service" else _P_PLACE
            for phrase in phrases:
                for keys in _place_forms(str(phrase)):
                    self._add(keys, _Entry(priority, LABELS[kind], kind))

    @classmethod
    def from_config(cls, people: Sequence[Person], redaction: Mapping) -> Redactor:
        """Build from the ``redaction`` section of config.yaml."""
        return cls(
            people,
            places=redaction.get("places") or (),
            services=redaction.get("services") or (),
            ambiguous_names=redaction.get("ambiguous_names") or (),
        )

    @staticmethod
    def _own(owners: dict, form: tuple, ident: tuple[str, str], priority: int) -> None:
        idents = owners.setdefault(form, {})
        idents[ident] = min(priority, idents.get(ident, priority))

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
        cands: list[tuple[int, int, int, str, str]] = []  # (priority, start, end, label, category)
        for m in _EMAIL.finditer(text):
            cands.append((_P_EMAIL, m.start(), m.end(), LABELS["email"], "email"))
        for m in _NHS.finditer(text):
            if nhs_number_valid(re.sub(r"\D", "", m.group())):
                cands.append((_P_NHS, m.start(), m.end(), LABELS["nhs_number"], "nhs_number"))
        for m in _PHONE.finditer(text):
            cands.append((_P_PHONE, m.start(), m.end(), LABELS["phone"], "phone"))
        for m in _POSTCODE.finditer(text):
            cands.append((_P_POSTCODE, m.start(), m.end(), LABELS["postcode"], "postcode"))
        self._match_words(text, cands)
        self._signature(text, cands)
        spans = _choose(cands, text)
        pieces: list[str] = []
        edits: list[Edit] = []
        pos = new_pos = 0
        for start, end, _, label, category in spans:
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
            # A title before a name goes with it: "Prof [Facilitator]" would single out the
            # one professor among the facilitators, and "Dr" hints at a profession.
            begin = title_start if entry.category not in ("place", "service") else start
            stop = end
            if entry.initials:
                ok = True
                for k, is_initial in enumerate(entry.initials):
                    w = words[i + k]
                    if is_initial and not (len(w) == 1 and w.isupper()):
                        ok = False
                        break
                    if entry.needs_caps and not is_initial and not w[0].isupper():
                        ok = False
                        break
                if not ok:
                    continue
                if entry.initials[-1]:  # "Sarah O." : a trailing initial needs its full stop
                    after = text[end : end + 1]
                    if after == ".":
                        stop = end + 1
                    elif words[j] in "AI" or (after and after in _APOSTROPHES + "-\u2010\u2011"):
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
        while j + 1 < n and words[j + 1][0].isupper() and re.fullmatch(r"[-\u2010\u2011'’ʼ]", text[spans[j][1] : spans[j + 1][0]]):
            j += 1  # "O'Brien", "Okafor-Reid"
        cands.append((_P_TITLED, spans[i][0], spans[j][1], LABELS["person"], "person"))


def _title_start(text: str, spans: list, keys: list[str], words: list[str], i: int) -> int:
    """Start of a title ("Dr", "Prof.", "Mrs") right before word i, else the start of word i."""
    titled = i > 0 and keys[i - 1] in _TITLES and words[i - 1][0].isupper()
    if titled and re.fullmatch(rf"\.?{_HSPACE}+", text[spans[i - 1][1] : spans[i][0]]):
        return spans[i - 1][0]
    return spans[i][0]


def _initials_of(name: str) -> set[str]:
    """Upper-case initials a person may sign with: first + last ("SO"), and every word ("SOR")."""
    words = [w for w in _WORD.findall(name) if _fold(w) not in _ROSTER_TITLES]
    letters = [w[0].upper() for w in words if _fold(w) not in _PARTICLES]
    if len(letters) < 2:
        return set()
    parts = [w[0].upper() for w in re.split(r"[\s-]+", " ".join(words)) if w and _fold(w) not in _PARTICLES]
    return {letters[0] + letters[-1], "".join(letters), "".join(parts)}


#: A signature: 2-3 capital letters (dots allowed) ending the text, after a line break or
#: a dash that follows other text ("... - RK", "...\nAA", "... - R.K."). A text that is only
#: capitals ("NHS") is content, not a signature.
_SIGNATURE = re.compile(r"(?<=[\n\-\u2013\u2014~(])[^\S\n]*((?:[A-Z]\.?){2,3})[^\S\n]*\)?\s*$")
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


# --------------------------------------------------------------------------- leak check
_LEAK_EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
_LEAK_DIGITS = re.compile(r"\+?\d[\d ().\-]{7,}\d")


def find_identifiers(
    text: str,
    people: Iterable[Person],
    places: Iterable[str] = (),
    services: Iterable[str] = (),
    *,
    ambiguous_names: Iterable[str] = (),
) -> list[str]:
    """Identifying strings left in ``text`` (in text order; places and services last): a check for tests.

    Flags (after removing every replacement label, so labels are never flagged): any word of
    a person's name with at least two letters (case- and accent-insensitive; ambiguous words
    only when capitalised; particles and titles excepted), e-mail-like strings, digit runs of
    nine or more digits (phones, NHS numbers), UK postcodes, and listed places and services.
    Deliberately cruder than :class:`Redactor`, so it errs towards flagging.
    """
    people = list(people)
    labels = {p.label for p in people} | set(LABELS.values())
    masked = re.sub("|".join(re.escape(x) for x in sorted(labels, key=len, reverse=True)), " ", text) if labels else text
    amb = {_fold(w) for a in ambiguous_names for w in _WORD.findall(a)}
    found: list[tuple[int, str]] = []
    name_words = {k for p in people for k in _keys(p.name) if len(k) >= 2 and k not in _PARTICLES and k not in _ROSTER_TITLES}
    for m in _WORD.finditer(masked):
        w = m.group()
        k = _fold(w)
        if k in name_words and (k not in amb or w[0].isupper()):
            found.append((m.start(), w))
    for m in _LEAK_EMAIL.finditer(masked):
        found.append((m.start(), m.group()))
    for m in _LEAK_DIGITS.finditer(masked):
        if sum(c.isdigit() for c in m.group()) >= 9:
            found.append((m.start(), m.group()))
    for m in _POSTCODE.finditer(masked):
        found.append((m.start(), m.group()))
    folded = " ".join(_fold(w) for w in _WORD.findall(masked))
    for phrase in (*places, *services):
        key = " ".join(_keys(phrase))
        if key and re.search(rf"(?<!\S){re.escape(key)}(?!\S)", folded):
            found.append((len(masked), phrase))
    return [s for _, s in sorted(found, key=lambda x: x[0])]
