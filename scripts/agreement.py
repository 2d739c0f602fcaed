"""Intercoder agreement for the qualitative arm, as the QDA tools report it.

Two or more researchers ("coders") code the same documents; a reviewer first asks how far
they agreed. NVivo reports percentage agreement and Cohen's kappa per code, counted over
characters; ATLAS.ti reports percent agreement and Krippendorff's alpha, and recommends alpha.
Krippendorff suggests alpha >= 0.8 for conclusions and >= 0.667 for tentative ones.

Units
-----
Agreement is counted over *units*, each of which a coder either coded with a code or not.
A unit is an interval ``[start, end)`` of code points of one document text (LF only, the same
offsets as ``coded_segments.csv``). Four kinds (:data:`UNIT_KINDS`):

* ``document``: the whole document is one unit (a flip-chart note).
* ``utterance``: a speaker turn of a transcript. A turn starts where ``speaker_pattern``
  matches (searched line by line, ``re.MULTILINE``; config.yaml
  ``qualitative.transcripts.speaker_pattern``) and runs to the start of the next turn, so
  the newline ending a turn belongs to it. Text before the first turn is its own unit when
  it holds a non-blank character (a transcript with no turn at all is then one unit).
* ``paragraph``: a line holding a non-blank character, without its newline (MAXQDA's
  paragraph is a line; blank lines are not units, since nobody codes them and counting
  them would inflate agreement on absence).
* ``character``: every code point, as NVivo counts (code points, not UTF-16 units: an emoji
  is one unit). Never materialised: the text is cut at every segment boundary into runs of
  characters on which every coder's value is constant, and each run is one row whose
  ``n_units`` is its length (see :func:`presence_tables`).

A coder coded a unit with a code when any segment of that coder with that code overlaps the
unit by at least one code point: segment ``[s, e)`` and unit ``[a, b)`` overlap when
``s < b and a < e``. A segment ending exactly where a unit starts does not count for it. A
zero-length segment (``start == end``) overlaps nothing; such segments are counted in the log.
By default a segment counts only for its exact code path, as NVivo and ATLAS.ti compare codes
as applied; ``include_descendants=True`` counts it for every code at or above it, so a theme's
row measures agreement on the theme whatever sub-theme each coder chose.

Missing values. A coder who did not code a document gives *missing* values for its units
(not zeros): the caller states, per coder, the documents that coder coded
(``coded_documents``); by default every coder coded every document that any coder coded.
A coder who coded a document and applied no code gives 0 (absent) for its units.

Statistics
----------
Per code, the units x coders table of 1 (present), 0 (absent) or missing gives:

* percent agreement: the share of *pairable* units (units with values from at least two
  coders) on which all coders who coded the unit agree (``pct_agreement``), and the mean
  over coder pairs of each pair's percent agreement on the units both coded
  (``pct_agreement_pairwise``, ReCal's "average pairwise percent agreement"; equal to the
  former for two coders). Percentages 0-100.
* Cohen's kappa for exactly two coders, on the 2x2 table of the units both coded
  (``(p_o - p_e) / (1 - p_e)``, as statsmodels' ``cohens_kappa``, which the tests compare it
  with; statsmodels is not imported here: ~2 s per process); blank for more coders.
* Krippendorff's alpha, nominal, any number of coders, missing values allowed. From the
  coincidence matrix of the pairable units (``o``, 2x2, symmetric):
  ``alpha = 1 - (n - 1) * o_01 / (n_0 * n_1)`` with ``n_0 = o_00 + o_01``,
  ``n_1 = o_11 + o_01``, ``n = n_0 + n_1``. This is exactly what ``krippendorff.alpha``
  computes (the tests compare them); it is computed here from run-length weighted counts
  because character units would need one row per character (and per code for the pooled
  figure) to go through the package.

NVivo reports each (code, source) pair and no pooled figure; here a code's units are those of
every document of its group, so a row pools the sources. A per-source figure is the tally of the
rows of one source of the code's presence table: ``table_tally(table[table.source == s], coders)``.

Alpha (and kappa) are undefined when there is no variation, e.g. a code nobody applied in
the units coded by two or more coders: the value is NaN and ``note`` says why.

"Overall" pools the codes: every (unit, code) pair is one decision. Every count below is a
sum over codes, so the overall percent agreement, 2x2 table and coincidence matrix are the
sums of the per-code ones, and the overall kappa and alpha are computed from those sums (the
same as stacking the per-code tables into one table of unit x code rows). The overall row is
not an average of the per-code statistics.

Output of :func:`agreement_table` (``results/tables/intercoder_agreement.csv``)
--------------------------------------------------------------------------------
One row per (document group, unit kind, code path), codes sorted by path, then one overall
row for the (group, unit kind); groups in the order expectation, obstacle, focus_group (then
any other, sorted), unit kinds in the order configured. Columns:

``group``               document group (``expectation``, ``obstacle``, ``focus_group``).
``unit``                unit kind (``document``, ``utterance``, ``paragraph``, ``character``).
``code_path``           the code, or ``(all codes)`` on the overall row.
``n_codes``             codes pooled in the row (1 on a code row).
``n_documents``         documents in the group that at least one coder coded.
``n_segments``          segments counted for the code(s), all coders together (with
                        ``include_descendants``, a segment counts for each code above it).
``n_coders``, ``coders`` the coders, joined by `` | `` in the order given; the per-coder
                        columns below follow this order.
``n_units``             units (overall: unit x code decisions).
``n_units_pairable``    units with values from at least two coders: the units every
                        statistic is computed on.
``n_present_by_coder``  per coder, units that coder coded with the code (`` | ``-joined).
``n_missing_by_coder``  per coder, units of documents that coder did not code.
``n_agree_present``, ``n_agree_absent``, ``n_disagree``
                        pairable units on which all coders applied the code, none did, or
                        the coders differ; they add up to ``n_units_pairable``.
``pct_agreement``       100 * (n_agree_present + n_agree_absent) / n_units_pairable.
``pct_agreement_pairwise`` mean over coder pairs of the pair's percent agreement.
``n_both_present``, ``n_only_first``, ``n_only_second``, ``n_both_absent``
                        two coders only: the 2x2 table of the units both coded (first and
                        second coder as in ``coders``); blank for more coders.
``cohen_kappa``         Cohen's kappa on that table; blank for more than two coders.
``n_values``            pairable values: sum over pairable units of the coders who coded it
                        (Krippendorff's n).
``o_absent_absent``, ``o_absent_present``, ``o_present_present``
                        the coincidence matrix (``o_absent_present`` is each off-diagonal
                        cell); they sum with the off-diagonal cell counted twice to
                        ``n_values``. Additive across rows, so any pooled alpha can be recomputed.
``krippendorff_alpha``  nominal alpha from those coincidences.
``alpha_threshold``     ``>=0.8`` (conclusions), ``>=0.667`` (tentative), ``<0.667``, or
                        ``undefined`` (NaN alpha). Compared with a 1e-12 tolerance, so a
                        value printed as 0.8 is never called below 0.8.
``note``                why a statistic is undefined, blank otherwise.

Coder labels are written as given: the stage reading the export is expected to pass
pseudonymous labels ("Coder A"), never a researcher's name.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations

import numpy as np
import pandas as pd

from errors import InputError, Stated, one_of
from qda import CODE_PATH_SEPARATOR

log = logging.getLogger("ripls.agreement")

UNIT_KINDS = ("document", "utterance", "paragraph", "character")
#: config.yaml ``qualitative.transcripts.speaker_pattern``.
SPEAKER_PATTERN = r"^(?P<speaker>[^:\r\n]{1,60}):[ \t]"
#: Unit kinds reported per document group by default: a note is one unit; a transcript is
#: counted by speaker turn and, as NVivo counts, by character.
DEFAULT_UNIT_KINDS: Mapping[str, Sequence[str]] = {
    "expectation": ("document",),
    "obstacle": ("document",),
    "focus_group": ("utterance", "character"),
}
GROUP_ORDER = ("expectation", "obstacle", "focus_group")
#: Krippendorff (2004): alpha >= 0.8 for conclusions, >= 0.667 for tentative conclusions.
THRESHOLDS = (0.8, 0.667)
ALL_CODES = "(all codes)"
UNIT_COLUMNS = ("source", "start", "end", "n_units")
SEGMENT_REQUIRED = ("source", "code_path", "start", "end", "coder")
COLUMNS = [
    "group",
    "unit",
    "code_path",
    "n_codes",
    "n_documents",
    "n_segments",
    "n_coders",
    "coders",
    "n_units",
    "n_units_pairable",
    "n_present_by_coder",
    "n_missing_by_coder",
    "n_agree_present",
    "n_agree_absent",
    "n_disagree",
    "pct_agreement",
    "pct_agreement_pairwise",
    "n_both_present",
    "n_only_first",
    "n_only_second",
    "n_both_absent",
    "cohen_kappa",
    "n_values",
    "o_absent_absent",
    "o_absent_present",
    "o_present_present",
    "krippendorff_alpha",
    "alpha_threshold",
    "note",
]
_TOLERANCE = 1e-12


# --------------------------------------------------------------------------- units
def unit_spans(text: str, kind: str, speaker_pattern: str = SPEAKER_PATTERN) -> np.ndarray:
    """The units of one document as an ``(n, 2)`` int64 array of ``[start, end)`` code points.

    For ``document``, ``utterance`` and ``paragraph`` (see the module docstring). Units are
    sorted and do not overlap. ``character`` units are never listed one by one: they are
    handled as runs by :func:`presence_tables`.
    """
    if kind == "document":
        spans = [(0, len(text))]
    elif kind == "utterance":
        starts = sorted({m.start() for m in re.finditer(speaker_pattern, text, re.MULTILINE)})
        ends = [*starts[1:], len(text)] if starts else []
        spans = list(zip(starts, ends, strict=True))
        first = starts[0] if starts else len(text)
        if text[:first].strip():
            spans.insert(0, (0, first))
    elif kind == "paragraph":
        spans = [m.span() for m in re.finditer(r"^[^\n]*\S[^\n]*$", text, re.MULTILINE)]
    else:
        raise ValueError(f"unit_spans lists {', '.join(UNIT_KINDS[:3])} units, not {kind!r}")
    return np.array(spans, dtype=np.int64).reshape(-1, 2)


def _is_at_or_below(path: str, code: str) -> bool:
    return path == code or path.startswith(code + CODE_PATH_SEPARATOR)


def _ancestors(path: str) -> list[str]:
    """The path and every path above it (``A > B > C`` -> ``A``, ``A > B``, ``A > B > C``)."""
    levels = path.split(CODE_PATH_SEPARATOR)
    return [CODE_PATH_SEPARATOR.join(levels[:i]) for i in range(1, len(levels) + 1)]


def _rows(segments: pd.DataFrame) -> np.ndarray:
    """The spreadsheet row of each segment, for error messages: its ``row`` column when the
    caller gives one (a table read whole, then filtered), else its position + 2 (header = row 1)."""
    if "row" in segments.columns:
        return segments["row"].to_numpy(dtype=np.int64)
    return np.arange(len(segments), dtype=np.int64) + 2


def _clean_segments(segments: pd.DataFrame, texts: Mapping[str, str], coders: Sequence[str], file: str | None) -> pd.DataFrame:
    """The segment columns this module needs, offsets as int64, every value checked.

    Raises :class:`InputError` naming the spreadsheet row (header = row 1) of the first bad
    value. Source and coder names are withheld from messages (they may identify someone).
    """
    missing = [c for c in SEGMENT_REQUIRED if c not in segments.columns]
    if missing:
        raise InputError(
            file,
            "coded segments lack a column needed for intercoder agreement",
            column=missing[0],
            expected=f"columns {', '.join(SEGMENT_REQUIRED)}",
        )
    df = segments.loc[:, list(SEGMENT_REQUIRED)].reset_index(drop=True)
    df["row"] = _rows(segments)
    for col in ("start", "end"):
        num = pd.to_numeric(df[col], errors="coerce")
        bad = num.isna() | (num != np.floor(num)) | (num < 0)
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise InputError(
                file,
                "segment offset is not a whole number >= 0",
                row=int(df.at[i, "row"]),
                column=col,
                found=df.at[i, col],
                expected="a code-point offset",
            )
        df[col] = num.astype(np.int64)
    for col in ("source", "code_path", "coder"):
        df[col] = df[col].astype(str)
        blank = df[col].str.strip() == ""
        if blank.any():
            i = int(np.flatnonzero(blank.to_numpy())[0])
            row = int(df.at[i, "row"])
            raise InputError(file, "segment has a blank value", row=row, column=col, found="", expected="a non-blank value")
    unknown = ~df["coder"].isin(list(coders))
    if unknown.any():
        i = int(np.flatnonzero(unknown.to_numpy())[0])
        raise InputError(
            file,
            "segment coded by a coder who is not in the list of coders",
            row=int(df.at[i, "row"]),
            column="coder",
            found=df.at[i, "coder"],
            expected=f"one of the {len(coders)} coders given",
            identifying=True,
        )
    lengths = df["source"].map({s: len(t) for s, t in texts.items()})
    if lengths.isna().any():
        i = int(np.flatnonzero(lengths.isna().to_numpy())[0])
        raise InputError(
            file,
            "segment refers to a document with no text",
            row=int(df.at[i, "row"]),
            column="source",
            found=df.at[i, "source"],
            identifying=True,
            expected="a document of the transcripts or flip-chart notes",
        )
    bad = (df["start"] > df["end"]) | (df["end"] > lengths)
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(
            file,
            "segment offsets lie outside its document",
            row=int(df.at[i, "row"]),
            column="end",
            found=Stated(f"start {df.at[i, 'start']}, end {df.at[i, 'end']}, document length {int(lengths.iat[i])}"),
            expected="0 <= start <= end <= document length",
        )
    return df


def _check_coders(coders: Sequence[str], file: str | None) -> list[str]:
    coders = [str(c) for c in coders]
    if len(coders) < 2:
        raise InputError(file, "intercoder agreement needs at least two coders", found=len(coders), expected="two or more coders")
    if len(set(coders)) != len(coders):
        raise InputError(file, "a coder is listed twice", expected="distinct coder labels")
    clash = [c for c in coders if c in UNIT_COLUMNS]
    if clash:
        raise InputError(
            file,
            "a coder label is the name of a column of the presence table",
            found=clash[0],
            expected=f"none of {', '.join(UNIT_COLUMNS)}",
        )
    return coders


def _resolve_coded(
    segs: pd.DataFrame,
    texts: Mapping[str, str],
    coders: Sequence[str],
    coded_documents: Mapping[str, Collection[str]] | None,
    file: str | None,
) -> dict[str, frozenset[str]]:
    """Documents each coder coded: as given (every coder must be named), or by default every
    document in which any coder has a segment. A segment in a document its coder did not
    code is a contradiction and is refused."""
    if coded_documents is None:
        every = frozenset(segs["source"])
        return dict.fromkeys(coders, every)
    unknown = [c for c in coded_documents if c not in coders]
    if unknown:
        raise InputError(
            file,
            "coded_documents names a coder who is not in the list of coders",
            found=unknown[0],
            identifying=True,
            expected=f"one of the {len(coders)} coders",
        )
    absent = [c for c in coders if c not in coded_documents]
    if absent:
        raise InputError(
            file,
            "coded_documents does not say which documents a coder coded",
            found=absent[0],
            identifying=True,
            expected="an entry for every coder (an empty list for a coder who coded nothing)",
        )
    coded = {c: frozenset(str(s) for s in coded_documents[c]) for c in coders}
    for c in coders:
        no_text = sorted(coded[c] - set(texts))
        if no_text:
            raise InputError(
                file,
                "coded_documents names a document with no text",
                found=no_text[0],
                identifying=True,
                expected="a document of the texts given",
            )
    outside = ~np.array([s in coded[c] for s, c in zip(segs["source"], segs["coder"], strict=True)], dtype=bool)
    if outside.any():
        i = int(np.flatnonzero(outside)[0])
        raise InputError(
            file,
            "segment in a document that coded_documents says its coder did not code",
            row=int(segs.at[i, "row"]),
            column="source",
            found=segs.at[i, "source"],
            identifying=True,
        )
    return coded


def _codes_for(segs: pd.DataFrame, include_descendants: bool) -> list[str]:
    paths = set(segs["code_path"])
    if include_descendants:
        paths = {a for p in paths for a in _ancestors(p)}
    return sorted(paths)


def _code_mask(paths: np.ndarray, code: str, include_descendants: bool) -> np.ndarray:
    if include_descendants:
        return (paths == code) | np.char.startswith(paths.astype(str), code + CODE_PATH_SEPARATOR)
    return paths == code


def presence_tables(
    segments: pd.DataFrame,
    texts: Mapping[str, str],
    kind: str,
    coders: Sequence[str],
    coded_documents: Mapping[str, Collection[str]] | None = None,
    *,
    codes: Sequence[str] | None = None,
    include_descendants: bool = False,
    speaker_pattern: str = SPEAKER_PATTERN,
    file: str | None = None,
) -> dict[str, pd.DataFrame]:
    """Per code, the units x coders presence table.

    ``segments`` has at least ``source, code_path, start, end, coder`` (offsets as numbers or
    the strings ``read_table`` gives), and may have ``row``, each segment's spreadsheet row for
    error messages (default: its position + 2); ``texts`` maps each source to its LF text; ``kind`` is one
    of :data:`UNIT_KINDS`; ``coders`` lists every coder, including one who applied no code.
    ``coded_documents`` maps each coder to the documents that coder coded (default: every coder
    coded every document in which any coder has a segment); the units of the documents a
    coder did not code are missing (NaN) for that coder. ``codes`` (default: every code path
    in ``segments``, with ``include_descendants`` also every path above one) are the tables
    returned; a code nobody applied gives a table of zeros.

    Each table has columns ``source, start, end, n_units`` and one float column per coder
    (1.0 coded, 0.0 not coded, NaN missing), rows sorted by source then start. For unit kinds
    other than ``character`` a row is a unit (``n_units`` 1) and every code has the same rows.
    For ``character`` a row is a run of consecutive code points of one document on which every
    coder's value is the same (``n_units`` = its length); runs tile each document.
    """
    if kind not in UNIT_KINDS:
        raise InputError(file, "unknown unit kind for intercoder agreement", found=kind, expected=one_of(UNIT_KINDS))
    coders = _check_coders(coders, file)
    carriage = sorted(s for s, t in texts.items() if "\r" in t)
    if carriage:
        raise InputError(
            file,
            "document text holds a carriage return; offsets are into LF-normalised text",
            found=carriage[0],
            identifying=True,
            expected="LF line endings only",
        )
    segs = _clean_segments(segments, texts, coders, file)
    coded = _resolve_coded(segs, texts, coders, coded_documents, file)
    docs = sorted(set().union(*coded.values()))
    codes = _codes_for(segs, include_descendants) if codes is None else [str(c) for c in codes]
    empty = int((segs["start"] == segs["end"]).sum())
    if empty:
        log.info("%d zero-length segments overlap no unit", empty)

    lengths = np.array([len(texts[d]) for d in docs], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    doc_index = {d: i for i, d in enumerate(docs)}
    seg_doc = segs["source"].map(doc_index).to_numpy(dtype=np.int64)
    seg_s = segs["start"].to_numpy(dtype=np.int64) + offsets[seg_doc]
    seg_e = segs["end"].to_numpy(dtype=np.int64) + offsets[seg_doc]
    seg_coder = segs["coder"].to_numpy(dtype=object)
    seg_path = segs["code_path"].to_numpy(dtype=object)
    coded_doc = {c: np.array([d in coded[c] for d in docs], dtype=bool) for c in coders}

    if kind != "character":
        spans = [unit_spans(texts[d], kind, speaker_pattern) + offsets[i] for i, d in enumerate(docs)]
        units = np.concatenate(spans) if spans else np.zeros((0, 2), dtype=np.int64)
        unit_doc = np.repeat(np.arange(len(docs)), [len(s) for s in spans])
        first = np.searchsorted(units[:, 1], seg_s, side="right")
        last = np.searchsorted(units[:, 0], seg_e, side="left") - 1
        hits = (first <= last) & (seg_s < seg_e)

    out: dict[str, pd.DataFrame] = {}
    for code in codes:
        of_code = _code_mask(seg_path, code, include_descendants)
        if kind == "character":
            cuts = np.unique(np.concatenate([offsets, seg_s[of_code], seg_e[of_code]]))
            units = np.column_stack([cuts[:-1], cuts[1:]])
            unit_doc = np.searchsorted(offsets, units[:, 0], side="right") - 1
        values = np.zeros((len(units), len(coders)), dtype=np.float64)
        for j, coder in enumerate(coders):
            mine = of_code & (seg_coder == coder)
            if kind == "character":
                lo = np.searchsorted(cuts, seg_s[mine])
                hi = np.searchsorted(cuts, seg_e[mine])
            else:
                mine &= hits
                lo, hi = first[mine], last[mine] + 1
            depth = np.zeros(len(units) + 1, dtype=np.int64)
            np.add.at(depth, lo, 1)
            np.add.at(depth, hi, -1)
            values[:, j] = np.cumsum(depth)[:-1] > 0
            values[~coded_doc[coder][unit_doc], j] = np.nan
        if kind == "character" and len(units):
            units, unit_doc, values = _merge_runs(units, unit_doc, values)
        local = units - offsets[unit_doc][:, None]
        table = pd.DataFrame(
            {
                "source": pd.Series(np.array(docs, dtype=object)[unit_doc] if len(docs) else [], dtype=object),
                "start": local[:, 0],
                "end": local[:, 1],
                "n_units": (local[:, 1] - local[:, 0]) if kind == "character" else np.ones(len(units), dtype=np.int64),
            }
        )
        for j, coder in enumerate(coders):
            table[coder] = values[:, j]
        out[code] = table
    return out


def _merge_runs(units: np.ndarray, unit_doc: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Join adjacent character runs of one document whose coder values are the same."""
    key = np.where(np.isnan(values), -1.0, values)
    keep = np.ones(len(units), dtype=bool)
    keep[1:] = (unit_doc[1:] != unit_doc[:-1]) | (key[1:] != key[:-1]).any(axis=1)
    starts = units[keep, 0]
    ends = np.append(starts[1:], units[-1, 1])
    return np.column_stack([starts, ends]), unit_doc[keep], values[keep]


def reliability_matrix(table: pd.DataFrame, coders: Sequence[str]) -> np.ndarray:
    """The coders x units matrix ``krippendorff.alpha(reliability_data=...)`` takes, with runs
    expanded to one column per unit. Memory grows with the units: for checking, not for use
    on character units of long texts."""
    values = table.loc[:, list(coders)].to_numpy(dtype=np.float64)
    return np.repeat(values, table["n_units"].to_numpy(dtype=np.int64), axis=0).T


# --------------------------------------------------------------------------- statistics
@dataclass(eq=False)  # numpy fields: no element-wise ==
class Tally:
    """The additive counts behind every statistic of one code (or, summed, of several codes).

    Per-coder arrays follow the order of the coders. ``pair_both[i, j]``: units coders i and j
    both coded; ``pair_agree[i, j]``: of those, units on which they agree. ``kappa_table[a, b]``
    (two coders only): units the first coder gave ``a`` and the second ``b`` (0 absent,
    1 present). ``coincidence``: Krippendorff's 2x2 coincidence matrix.
    """

    n_coders: int
    n_codes: int
    n_units: int
    n_units_pairable: int
    n_values: int
    n_agree_present: int
    n_agree_absent: int
    present: np.ndarray
    missing: np.ndarray
    pair_both: np.ndarray
    pair_agree: np.ndarray
    kappa_table: np.ndarray
    coincidence: np.ndarray

    _COUNTS = ("n_codes", "n_units", "n_units_pairable", "n_values", "n_agree_present", "n_agree_absent")
    _ARRAYS = ("present", "missing", "pair_both", "pair_agree", "kappa_table", "coincidence")

    @classmethod
    def zero(cls, n_coders: int) -> Tally:
        """The tally of no unit at all: the start of a sum."""
        c = n_coders
        return cls(
            n_coders,
            **dict.fromkeys(cls._COUNTS, 0),
            present=np.zeros(c, dtype=np.int64),
            missing=np.zeros(c, dtype=np.int64),
            pair_both=np.zeros((c, c), dtype=np.int64),
            pair_agree=np.zeros((c, c), dtype=np.int64),
            kappa_table=np.zeros((2, 2), dtype=np.int64),
            coincidence=np.zeros((2, 2), dtype=np.float64),
        )

    def __add__(self, other: Tally) -> Tally:
        if other.n_coders != self.n_coders:
            raise ValueError("cannot pool tallies of different numbers of coders")
        summed = {n: getattr(self, n) + getattr(other, n) for n in (*self._COUNTS, *self._ARRAYS)}
        return Tally(self.n_coders, **summed)


def tally(values: np.ndarray, weights: np.ndarray | None = None) -> Tally:
    """Count one units x coders table (1 present, 0 absent, NaN missing); ``weights`` is the
    number of units each row stands for (default 1 each)."""
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 2:
        raise ValueError("values must be a units x coders table")
    w = np.ones(len(values), dtype=np.int64) if weights is None else np.asarray(weights, dtype=np.int64)
    if len(w) != len(values):
        raise ValueError("one weight per row of values")
    observed = ~np.isnan(values)
    if not np.isin(values[observed], (0.0, 1.0)).all():
        raise ValueError("presence values must be 0, 1 or NaN")
    n_coders = values.shape[1]
    is1 = observed & (values == 1.0)
    m = observed.sum(axis=1)
    k = is1.sum(axis=1)
    pairable = m >= 2
    t = Tally.zero(n_coders)
    t.n_codes = 1
    t.n_units = int(w.sum())
    t.n_units_pairable = int(w[pairable].sum())
    t.n_values = int((w * m)[pairable].sum())
    t.n_agree_present = int(w[pairable & (k == m)].sum())
    t.n_agree_absent = int(w[pairable & (k == 0)].sum())
    t.present = (is1 * w[:, None]).sum(axis=0).astype(np.int64)
    t.missing = (~observed * w[:, None]).sum(axis=0).astype(np.int64)
    for i, j in combinations(range(n_coders), 2):
        both = observed[:, i] & observed[:, j]
        agree = both & (values[:, i] == values[:, j])
        t.pair_both[i, j] = t.pair_both[j, i] = int(w[both].sum())
        t.pair_agree[i, j] = t.pair_agree[j, i] = int(w[agree].sum())
    if n_coders == 2:
        both = observed.all(axis=1)
        for a in (0, 1):
            for b in (0, 1):
                t.kappa_table[a, b] = int(w[both & (values[:, 0] == a) & (values[:, 1] == b)].sum())
    # Coincidences of the pairable units: each unit adds its m(m-1) ordered pairs of values, weighted 1/(m-1).
    mp, kp, wp = m[pairable], k[pairable], w[pairable].astype(np.float64)
    t.coincidence[1, 1] = float((wp * kp * (kp - 1) / (mp - 1)).sum())
    t.coincidence[0, 0] = float((wp * (mp - kp) * (mp - kp - 1) / (mp - 1)).sum())
    t.coincidence[0, 1] = t.coincidence[1, 0] = float((wp * kp * (mp - kp) / (mp - 1)).sum())
    return t


def krippendorff_alpha(t: Tally) -> tuple[float, str]:
    """Nominal alpha from the coincidences, and why it is undefined (``""`` when defined)."""
    o = t.coincidence
    n0, n1 = o[0, 0] + o[0, 1], o[1, 1] + o[1, 0]
    n = n0 + n1
    if n == 0:
        return math.nan, "alpha undefined: no unit was coded by two or more coders"
    if n1 == 0:
        return math.nan, "alpha undefined: no variation, no coder applied the code to a unit coded by two or more coders"
    if n0 == 0:
        return math.nan, "alpha undefined: no variation, every coder applied the code to every unit"
    return float(1.0 - (n - 1) * o[0, 1] / (n0 * n1)), ""


def cohen_kappa(t: Tally) -> tuple[float, str]:
    """Cohen's kappa of two coders and why it is undefined (``""`` when defined); NaN without a
    reason for other numbers of coders, where it does not apply.

    ``kappa = (p_o - p_e) / (1 - p_e)`` on the 2x2 table: ``p_o`` the share of units on the
    diagonal, ``p_e`` the sum over values of the product of the two coders' marginal shares.
    Computed here rather than with statsmodels' ``cohens_kappa`` (the tests compare the two),
    because importing statsmodels costs about 2 s per process and every rule is a process.
    """
    if t.n_coders != 2:
        return math.nan, ""
    table = t.kappa_table.astype(np.float64)
    n = table.sum()
    if n == 0:
        return math.nan, "kappa undefined: no unit was coded by both coders"
    rows, cols = table.sum(axis=1) / n, table.sum(axis=0) / n
    p_e = float(rows @ cols)
    if p_e >= 1.0:  # both coders gave one and the same value to every unit
        return math.nan, "kappa undefined: no variation, both coders gave every unit the same value"
    p_o = float(np.trace(table)) / n
    return (p_o - p_e) / (1.0 - p_e), ""


def threshold_label(alpha: float, thresholds: Sequence[float] = THRESHOLDS) -> str:
    """``>=0.8``, ``>=0.667``, ``<0.667`` (for the default thresholds) or ``undefined``."""
    if math.isnan(alpha):
        return "undefined"
    for level in sorted(thresholds, reverse=True):
        if alpha >= level - _TOLERANCE:
            return f">={level:g}"
    return f"<{min(thresholds):g}"


def agreement_statistics(t: Tally, thresholds: Sequence[float] = THRESHOLDS) -> dict[str, object]:
    """The statistics and counts of one tally, keyed by the columns of :func:`agreement_table`."""
    pairs = [(i, j) for i, j in combinations(range(t.n_coders), 2) if t.pair_both[i, j] > 0]
    alpha, alpha_note = krippendorff_alpha(t)
    kappa, kappa_note = cohen_kappa(t)
    two = t.n_coders == 2
    agree = t.n_agree_present + t.n_agree_absent
    return {
        "n_codes": t.n_codes,
        "n_coders": t.n_coders,
        "n_units": t.n_units,
        "n_units_pairable": t.n_units_pairable,
        "n_present_by_coder": " | ".join(str(int(v)) for v in t.present),
        "n_missing_by_coder": " | ".join(str(int(v)) for v in t.missing),
        "n_agree_present": t.n_agree_present,
        "n_agree_absent": t.n_agree_absent,
        "n_disagree": t.n_units_pairable - agree,
        "pct_agreement": 100.0 * agree / t.n_units_pairable if t.n_units_pairable else math.nan,
        "pct_agreement_pairwise": float(np.mean([100.0 * t.pair_agree[i, j] / t.pair_both[i, j] for i, j in pairs])) if pairs else math.nan,
        "n_both_present": int(t.kappa_table[1, 1]) if two else None,
        "n_only_first": int(t.kappa_table[1, 0]) if two else None,
        "n_only_second": int(t.kappa_table[0, 1]) if two else None,
        "n_both_absent": int(t.kappa_table[0, 0]) if two else None,
        "cohen_kappa": kappa,
        "n_values": t.n_values,
        "o_absent_absent": float(t.coincidence[0, 0]),
        "o_absent_present": float(t.coincidence[0, 1]),
        "o_present_present": float(t.coincidence[1, 1]),
        "krippendorff_alpha": alpha,
        "alpha_threshold": threshold_label(alpha, thresholds),
        "note": "; ".join(dict.fromkeys(x for x in (alpha_note, kappa_note) if x)),
    }


def table_tally(table: pd.DataFrame, coders: Sequence[str]) -> Tally:
    """The tally of one presence table from :func:`presence_tables`."""
    return tally(table.loc[:, list(coders)].to_numpy(dtype=np.float64), table["n_units"].to_numpy(dtype=np.int64))


# --------------------------------------------------------------------------- the table
def _document_groups(segments: pd.DataFrame, given: Mapping[str, str] | None, file: str | None) -> dict[str, str]:
    """source -> group: as given, else from the segments (a document in two groups is refused);
    a segment whose group contradicts the given one is refused too."""
    if "group" not in segments.columns:
        raise InputError(
            file,
            "coded segments lack a column needed for intercoder agreement",
            column="group",
            expected="the document group of each segment",
        )
    groups = dict(given or {})
    rows = _rows(segments)
    for pos, (source, group) in enumerate(zip(segments["source"].astype(str), segments["group"].astype(str), strict=True)):
        if groups.setdefault(source, group) != group:
            raise InputError(
                file,
                "a document belongs to two document groups",
                row=int(rows[pos]),
                column="group",
                found=group,
                expected=f"the group given for that document before ({groups[source]!r})",
            )
    return groups


def agreement_table(
    segments: pd.DataFrame,
    texts: Mapping[str, str],
    coders: Sequence[str],
    *,
    coded_documents: Mapping[str, Collection[str]] | None = None,
    document_groups: Mapping[str, str] | None = None,
    unit_kinds: Mapping[str, Sequence[str]] = DEFAULT_UNIT_KINDS,
    codes: Mapping[str, Sequence[str]] | None = None,
    include_descendants: bool = False,
    speaker_pattern: str = SPEAKER_PATTERN,
    thresholds: Sequence[float] = THRESHOLDS,
    file: str | None = None,
) -> pd.DataFrame:
    """Intercoder agreement per document group, unit kind and code, plus an overall row per
    (group, unit kind); columns :data:`COLUMNS`, described in the module docstring.

    ``segments`` is ``coded_segments.csv`` with a ``coder`` column. Documents are grouped by
    ``document_groups`` (source -> group; default: the ``group`` of their segments; needed for
    a document that some coder coded without applying any code, which has no segment).
    ``unit_kinds`` gives the unit kinds per group; a group with segments but no unit kind is
    refused rather than left out. ``codes`` gives the code paths of a group (e.g. its codebook,
    so that a code nobody applied gets a row; groups not in it, and every group by default:
    the paths applied in the group, with ``include_descendants`` also every path above one). Other
    arguments as in :func:`presence_tables`.
    """
    coders = _check_coders(coders, file)
    segs = _clean_segments(segments, texts, coders, file)
    groups = _document_groups(segments, document_groups, file)
    coded = _resolve_coded(segs, texts, coders, coded_documents, file)
    docs = sorted(set().union(*coded.values()))
    ungrouped = [d for d in docs if d not in groups]
    if ungrouped:
        raise InputError(
            file,
            "a coded document has no segment and no document group",
            found=ungrouped[0],
            identifying=True,
            expected="its group in document_groups",
        )
    present = {groups[d] for d in docs}
    order = [g for g in GROUP_ORDER if g in present] + sorted(present - set(GROUP_ORDER))
    unconfigured = [g for g in order if not unit_kinds.get(g)]
    if unconfigured:
        raise InputError(
            file, "no unit kind for a document group", found=unconfigured[0], expected=f"unit kinds for each of: {', '.join(order)}"
        )

    rows: list[dict[str, object]] = []
    for group in order:
        in_group = [d for d in docs if groups[d] == group]
        group_segs = segments.loc[segments["source"].astype(str).isin(in_group).to_numpy()]
        group_coded = {c: coded[c] & set(in_group) for c in coders}
        clean = segs.loc[segs["source"].isin(in_group).to_numpy()]
        group_codes = [str(c) for c in codes[group]] if codes is not None and group in codes else _codes_for(clean, include_descendants)
        paths = clean["code_path"].to_numpy(dtype=object)
        n_segments = {c: int(_code_mask(paths, c, include_descendants).sum()) for c in group_codes}
        for kind in unit_kinds[group]:
            tables = presence_tables(
                group_segs,
                {d: texts[d] for d in in_group},
                kind,
                coders,
                group_coded,
                codes=group_codes,
                include_descendants=include_descendants,
                speaker_pattern=speaker_pattern,
                file=file,
            )
            common = {"group": group, "unit": kind, "n_documents": len(in_group), "coders": " | ".join(coders)}
            pooled = Tally.zero(len(coders))
            for code in group_codes:
                t = table_tally(tables[code], coders)
                pooled = pooled + t
                rows.append({**common, "code_path": code, "n_segments": n_segments[code], **agreement_statistics(t, thresholds)})
            rows.append(
                {**common, "code_path": ALL_CODES, "n_segments": sum(n_segments.values()), **agreement_statistics(pooled, thresholds)}
            )
    log.info("intercoder agreement: %d documents, %d coders, %d rows", len(docs), len(coders), len(rows))
    out = pd.DataFrame(rows, columns=COLUMNS)
    for col in ("n_both_present", "n_only_first", "n_only_second", "n_both_absent"):
        out[col] = out[col].astype("Int64")
    return out
