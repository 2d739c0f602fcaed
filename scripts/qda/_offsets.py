"""How a REFI-QDA producer counted positions, and positions turned into LF-normalised offsets.

The standard counts Unicode code points with CRLF as two. Real producers differ:

* **Unit.** NVivo counts UTF-16 code units, so every character outside the Basic
  Multilingual Plane (an emoji) before a position shifts it by one. Measured on three real
  NVivo exports (NVivo for Windows 12.6 with 303 and 97 codings, NVivo for Mac 12.7.0 with
  297; texts with about 890 emoji each): under UTF-16 units 601, 194 and 591 selection
  starts and ends fall on word boundaries, under code points 208, 129 and 174; read as code
  points, 290 of the 303 segment texts were wrong.
* **CRLF.** NVivo for Windows counts CRLF as two (measured, as above); ATLAS.ti counts it as
  one (QualCoder's importer, ``refi.py``, corrects for exactly that).

:func:`decide` picks one (unit, crlf) convention for the whole project, the same for every
source, from (in this order): the caller's settings; the ``name`` of each selection where
the export carries the selected text (QualCoder and others do; NVivo leaves it empty);
the producing tool's convention (``Project@origin``); and word boundaries: a coder selects
words, so under the right convention selections start at the start of a word and end at
the end of one, under a wrong one they cut words. Evidence overrides the tool's convention
only by a clear margin (:data:`BOUNDARY_MARGIN` selection ends).
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass, field
from itertools import product
from typing import Any

from ._common import collapse, normalise_newlines

UNITS = ("codepoint", "utf16")
CRLFS = ("two", "one")
#: How many more selection ends must lie on word boundaries under another convention before
#: it overrides the producer's documented one (1 when the producer is unknown).
BOUNDARY_MARGIN = 2
#: Producer (from ``Project@origin``) -> its (unit, crlf) convention; ``None`` where not known.
CONVENTIONS: dict[str, tuple[str | None, str | None]] = {
    "NVivo": ("utf16", "two"),  # measured on real exports (module docstring)
    "ATLAS.ti": (None, "one"),  # CRLF as one: QualCoder refi.py; unit not measured
    "QualCoder": ("codepoint", None),  # Python string indices
    "MAXQDA": (None, None),  # not measured: no coded MAXQDA .qdpx was found
}
_PRODUCERS = (("nvivo", "NVivo"), ("atlas.ti", "ATLAS.ti"), ("atlas ti", "ATLAS.ti"), ("maxqda", "MAXQDA"), ("qualcoder", "QualCoder"))


def producer(origin: str) -> str:
    """The tool named by ``Project@origin`` (``NVivo for Windows 12.6`` -> ``NVivo``), else ``""``."""
    low = (origin or "").casefold()
    return next((name for key, name in _PRODUCERS if key in low), "")


class SourceText:
    """One text source: its raw text (CRLF as written), its LF text, and position maps."""

    def __init__(self, raw: str) -> None:
        self.raw = raw
        self.text = normalise_newlines(raw)
        self.crs = [m.start() for m in re.finditer("\r\n", raw)]  # index of the CR of each CRLF
        one = raw.replace("\r\n", "\n")
        self.strings = {"two": raw, "one": one}
        self.astral = {k: [m.start() for m in re.finditer("[\U00010000-\U0010ffff]", s)] for k, s in self.strings.items()}
        # UTF-16 index at which the k-th astral character starts (its two units: u, u + 1).
        self.u16 = {k: [a + i for i, a in enumerate(v)] for k, v in self.astral.items()}

    def length(self, unit: str, crlf: str) -> int:
        n = len(self.strings[crlf])
        return n + len(self.astral[crlf]) if unit == "utf16" else n

    def to_lf(self, pos: int, unit: str, crlf: str) -> int | None:
        """The LF-text offset of a producer position, ``None`` when it lies outside the text
        or splits a character (the second half of a UTF-16 surrogate pair)."""
        if pos < 0 or pos > self.length(unit, crlf):
            return None
        cp = pos
        if unit == "utf16":
            starts = self.u16[crlf]
            k = bisect_left(starts, pos)
            if k and starts[k - 1] + 1 == pos:
                return None
            cp = pos - k
        if crlf == "two":
            cp -= bisect_left(self.crs, cp - 1)
        return cp

    def units_differ(self, positions: list[int]) -> bool:
        """Whether a character outside the BMP precedes one of ``positions`` (then units matter)."""
        first = self.u16["two"][0] if self.u16["two"] else None
        return first is not None and any(p > first for p in positions)


def clean_start(text: str, s: int) -> bool:
    """A selection starting here starts a word (or a line): it does not cut one."""
    if s == 0:
        return True
    if s >= len(text) or text[s].isspace():
        return False
    return not (text[s - 1].isalnum() and text[s].isalnum())


def clean_end(text: str, e: int) -> bool:
    """A selection ending here ends a word, a sentence or a line: it does not cut one."""
    if e >= len(text):
        return e == len(text)
    if e <= 0:
        return False
    if text[e - 1].isspace() and text[e - 1] != "\n":
        return False
    return not (text[e - 1].isalnum() and text[e].isalnum())


@dataclass
class Scores:
    invalid: int = 0  # selections this convention cannot place (outside the text, inside a character, start > end)
    exact: int = 0  # selection names equal to the text selected (whitespace collapsed)
    prefix: int = 0  # selection names that are a shortened start of it ("…")
    clean: int = 0  # selection starts and ends that do not cut a word


def _placed(src: SourceText, sel: tuple[int, int, str], combo: tuple[str, str]) -> tuple[int, int] | None:
    a, b = src.to_lf(sel[0], *combo), src.to_lf(sel[1], *combo)
    return None if a is None or b is None or a > b else (a, b)


def score(sources: list[tuple[SourceText, list[tuple[int, int, str]]]], combos: list[tuple[str, str]]) -> dict[tuple[str, str], Scores]:
    """Evidence for each convention. Names and word boundaries are counted only over the
    selections every candidate places (so one broken selection cannot decide the unit);
    ``invalid`` counts, per convention, the selections it cannot place."""
    totals = {c: Scores() for c in combos}
    for src, sels in sources:
        for sel in sels:
            spans = {c: _placed(src, sel, c) for c in combos}
            for c, span in spans.items():
                totals[c].invalid += span is None
            if any(span is None for span in spans.values()):
                continue
            label = collapse(normalise_newlines(sel[2] or ""))
            for c, (a, b) in spans.items():  # type: ignore[misc]
                t = totals[c]
                t.clean += clean_start(src.text, a) + clean_end(src.text, b)
                if label:
                    got = collapse(src.text[a:b])
                    if got == label:
                        t.exact += 1
                    elif len(label) >= 3 and got.startswith(label.rstrip("….").rstrip()):
                        t.prefix += 1
    return totals


@dataclass
class Decision:
    unit: str
    crlf: str
    reason: str
    evidence: dict[str, Any] = field(default_factory=dict)

    def describe(self) -> str:
        unit = "UTF-16 code units" if self.unit == "utf16" else "code points"
        return f"{unit}, CRLF as {self.crlf} ({self.reason})"


def decide(sources: list[tuple[SourceText, list[tuple[int, int, str]]]], unit: str, crlf: str, tool: str) -> Decision:
    """The (unit, crlf) convention for a whole project; ``unit``/``crlf`` ``auto`` or fixed.

    In order: both fixed by the caller; selection names (the convention under which more
    names equal their text); word boundaries (another convention puts at least
    :data:`BOUNDARY_MARGIN` more selection ends on word boundaries than the producer's,
    1 when the producer is unknown); fit (the producer's convention leaves selections
    outside their text and another places them all, without worse boundaries); else the
    producer's convention, else the standard. A selection the chosen convention cannot
    place is then an error for the caller to report.
    """
    units = UNITS if unit == "auto" else (unit,)
    crlfs = CRLFS if crlf == "auto" else (crlf,)
    prior_unit, prior_crlf = CONVENTIONS.get(tool, (None, None))
    prior = (units[0] if unit != "auto" else prior_unit or "codepoint", crlfs[0] if crlf != "auto" else prior_crlf or "two")
    combos = list(product(units, crlfs))
    totals = score(sources, combos)
    units_matter = any(src.units_differ([p for sel in sels for p in sel[:2]]) for src, sels in sources)
    crlf_matters = any(src.crs for src, sels in sources if sels)
    evidence: dict[str, Any] = {
        "producer": tool or "unknown",
        "sources": len(sources),
        "selections": sum(len(s) for _, s in sources),
        "astral_before_a_selection": units_matter,
        "crlf_in_a_coded_source": crlf_matters,
        "clean_selection_ends": {f"{u}/{c}": totals[(u, c)].clean for u, c in combos},
        "selection_names_matching": {f"{u}/{c}": totals[(u, c)].exact + totals[(u, c)].prefix for u, c in combos},
        "selections_not_placed": {f"{u}/{c}": totals[(u, c)].invalid for u, c in combos},
    }

    def pick(combo: tuple[str, str], reason: str) -> Decision:
        return Decision(*combo, reason=reason, evidence=evidence)

    if unit != "auto" and crlf != "auto":
        return pick(prior, "set in config")
    names = {c: (totals[c].exact, totals[c].prefix) for c in combos}
    clean = {c: totals[c].clean for c in combos}
    if max(names.values()) > names[prior]:
        best = max(combos, key=lambda c: (names[c], clean[c], -totals[c].invalid, c == prior))
        return pick(best, "selection names match the text")
    margin = BOUNDARY_MARGIN if tool else 1
    best = max(combos, key=lambda c: (clean[c], -totals[c].invalid, c == prior))
    if clean[best] - clean[prior] >= margin:
        return pick(best, f"selections fall on word boundaries ({clean[best]} clean selection ends against {clean[prior]})")
    fitting = [c for c in combos if totals[c].invalid == 0]
    if totals[prior].invalid and fitting:
        best = max(fitting, key=lambda c: (clean[c], c == prior))
        if clean[prior] - clean[best] < margin:
            return pick(best, "the only convention that places every selection")
    if not units_matter and not crlf_matters:
        return pick(prior, "no character outside the BMP and no CRLF before a selection: conventions agree")
    others = [clean[c] for c in combos if c != prior and (units_matter or c[0] == prior[0]) and (crlf_matters or c[1] == prior[1])]
    origin = f"{tool} convention where known, else the standard" if tool else "the standard (code points, CRLF as two)"
    if others and clean[prior] - max(others) >= margin:
        return pick(prior, f"{origin}, confirmed by word boundaries ({clean[prior]} clean selection ends against at most {max(others)})")
    return pick(prior, f"{origin}; word boundaries do not contradict it")
