"""Pieces every QDA reader shares: the result type, the tidy columns, names, coders, text search.

Offsets in every result are 0-based code points, end exclusive, into the LF-normalised
document text; code paths are the levels joined by :data:`CODE_PATH_SEPARATOR`. Values read
from an export (document names, code names, segment text, user names) are identifying:
errors describe them or name them by GUID or row, and logs hold counts only.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from errors import InputError, one_of

log = logging.getLogger("ripls.qda")

#: Separator of levels in every code path the pipeline writes.
CODE_PATH_SEPARATOR = " > "
SEGMENT_COLUMNS = ["document", "document_group", "code_path", "start", "end", "text", "coder"]
CODEBOOK_COLUMNS = ["code_path", "name", "level", "parent", "description"]
CRLF_MODES = ("auto", "one", "two")
OFFSET_UNITS = ("auto", "codepoint", "utf16")
#: Extensions stripped from a document name before it is matched (ATLAS.ti names sources
#: after their file, ``Focus group 1.txt``). Only these: ``Interview 2.1`` or ``Dr. Ng`` keep their dots.
DOCUMENT_EXTENSIONS = ("txt", "text", "docx", "doc", "rtf", "odt", "pdf", "htm", "html", "md")
_EXTENSION = re.compile(r"\.(?:" + "|".join(DOCUMENT_EXTENSIONS) + r")\s*$", re.IGNORECASE)


@dataclass
class CodedExport:
    """A coded export read into tidy form.

    * ``segments``: one row per (coded stretch of text, code, coder), columns
      :data:`SEGMENT_COLUMNS`, sorted by (document, start, end, code_path, coder). ``coder``
      is a neutral label (``Coder A``, ``Coder B`` …, see :class:`CoderLabels`) or blank
      when the export does not record who coded.
    * ``documents``: document name -> its LF-normalised text (``text`` of a segment is
      ``documents[document][start:end]``).
    * ``codebook``: columns :data:`CODEBOOK_COLUMNS`, parents before their children.
    * ``format``: the registry name of the format read.
    * ``coders``: the coder labels used, in label order.
    * ``skipped``: codings that are not on text, per source kind:
      ``{"pdf": {"sources": 1, "codings": 3}, "audio": …}`` (REFI-QDA only; never dropped silently).
    * ``duplicates_dropped``: exact duplicates (same document, offsets, code and coder) dropped.
    * ``offset_unit`` / ``crlf``: how the export's positions were read (REFI-QDA), and
      ``evidence``: why (counts only, no text), see ``_offsets.decide``.
    * ``producer``: the tool that wrote the export, when it says (``NVivo``, ``ATLAS.ti``, …).
    """

    segments: pd.DataFrame
    documents: dict[str, str]
    codebook: pd.DataFrame
    format: str
    coders: list[str] = field(default_factory=list)
    skipped: dict[str, dict[str, int]] = field(default_factory=dict)
    duplicates_dropped: int = 0
    offset_unit: str = ""
    crlf: str = ""
    evidence: dict[str, Any] = field(default_factory=dict)
    producer: str = ""


class Problems:
    """Where a reader puts a segment it cannot place: raised at once, or collected.

    ``collect=False`` (reading): the first problem raises its :class:`InputError`.
    ``collect=True`` (``describe_export``): each is kept as a dict naming the source or row
    by GUID or number and the reason, never by text, and reading goes on.
    """

    def __init__(self, collect: bool = False) -> None:
        self.collect = collect
        self.items: list[dict[str, Any]] = []

    def add(self, error: InputError, **where: Any) -> None:
        if not self.collect:
            raise error
        self.items.append({**where, "reason": error.problem})


# --------------------------------------------------------------------------- text
def normalise_newlines(text: str) -> str:
    """CRLF and lone CR become LF."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def split_code_path(code_path: str, separator: str = CODE_PATH_SEPARATOR) -> list[str]:
    """The levels of a code path, outermost first; blanks around levels and empty levels are dropped."""
    if not separator:
        raise ValueError("separator must not be empty")
    return [level.strip() for level in str(code_path).split(separator) if level.strip()]


def join_levels(levels: Iterable[str]) -> str:
    return CODE_PATH_SEPARATOR.join(levels)


def collapse(text: str) -> str:
    return " ".join(text.split())


def header_key(text: str) -> str:
    """A header or name compared ignoring case, spacing and punctuation, in any script.

    Unlike ``rawinput.normalise_header`` (ASCII letters and digits only) this keeps letters
    of every script, so ``Początek`` and ``文書名`` stay distinguishable.
    """
    folded = unicodedata.normalize("NFKC", str(text)).casefold()
    return re.sub(r"[\W_]+", " ", folded).strip()


def strip_document_extension(name: str) -> str:
    """``Focus group 1.txt`` -> ``Focus group 1``; only :data:`DOCUMENT_EXTENSIONS` are stripped."""
    stripped = _EXTENSION.sub("", str(name).strip())
    return stripped if stripped.strip() else str(name).strip()


def document_key(name: str) -> str:
    """How document names are matched: a known file extension dropped, then case, spacing
    and punctuation ignored (``focus_group_3.TXT`` matches ``Focus group 3``)."""
    return header_key(strip_document_extension(name))


# --------------------------------------------------------------------------- coders
def coder_label(index: int) -> str:
    """0 -> ``Coder A``, 25 -> ``Coder Z``, 26 -> ``Coder AA`` (spreadsheet-column letters)."""
    letters = ""
    n = index + 1
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(ord("A") + rem) + letters
    return f"Coder {letters}"


class CoderLabels:
    """Neutral labels for the people who coded: their names never leave the reader.

    Labels are given in ``order`` (e.g. the order of a .qdpx's ``Users`` list) to those who
    actually coded, then to anyone else in order of first appearance. A blank key (the
    export does not say who coded) gets a blank label.
    """

    def __init__(self, order: Iterable[str] = ()) -> None:
        self.order = [k for k in order if k]
        self.seen: list[str] = []

    def see(self, key: str) -> str:
        key = (key or "").strip()
        if key and key not in self.seen:
            self.seen.append(key)
        return key

    def labels(self) -> dict[str, str]:
        ranked = [k for k in self.order if k in self.seen] + [k for k in self.seen if k not in self.order]
        out = {k: coder_label(i) for i, k in enumerate(ranked)}
        out[""] = ""
        return out


def apply_coders(rows: list[dict], coders: CoderLabels) -> list[str]:
    """Replace each row's raw coder key by its label; returns the labels used, in order."""
    labels = coders.labels()
    for r in rows:
        r["coder"] = labels[r["coder"]]
    return [v for k, v in labels.items() if k]


# --------------------------------------------------------------------------- frames
def codebook_frame(rows: list[dict]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=CODEBOOK_COLUMNS)
    return df.astype({"code_path": str, "name": str, "level": "int64", "parent": str, "description": str})


def codebook_from_paths(paths: Iterable[list[str]]) -> pd.DataFrame:
    """A codebook holding every path and every prefix of it, in order of first appearance."""
    rows: dict[str, dict] = {}
    for levels in paths:
        for depth in range(1, len(levels) + 1):
            path = join_levels(levels[:depth])
            if path not in rows:
                rows[path] = {
                    "code_path": path,
                    "name": levels[depth - 1],
                    "level": depth,
                    "parent": join_levels(levels[: depth - 1]),
                    "description": "",
                }
    return codebook_frame(list(rows.values()))


def segments_frame(rows: list[dict]) -> tuple[pd.DataFrame, int]:
    """Segments sorted by (document, start, end, code_path, coder), and how many exact
    duplicates were dropped. The same coding by two coders is two rows (agreement needs both);
    the same coding twice by one coder is one."""
    keyed: dict[tuple, dict] = {}
    for r in rows:
        keyed.setdefault((r["document"], r["start"], r["end"], r["code_path"], r["coder"]), r)
    dropped = len(rows) - len(keyed)
    if dropped:
        log.info("dropped %d duplicate coded segments (same document, offsets, code and coder)", dropped)
    df = pd.DataFrame([keyed[k] for k in sorted(keyed)], columns=SEGMENT_COLUMNS)
    types = {"document": str, "document_group": str, "code_path": str, "start": "int64", "end": "int64", "text": str, "coder": str}
    return df.astype(types), dropped


def result(rows: list[dict], documents: dict[str, str], codebook: pd.DataFrame, fmt: str, coders: CoderLabels, **extra) -> CodedExport:
    labels = apply_coders(rows, coders)
    segments, dropped = segments_frame(rows)
    return CodedExport(segments, documents, codebook, fmt, coders=labels, duplicates_dropped=dropped, **extra)


# --------------------------------------------------------------------------- locating text
def locate(
    text: str, needle: str, lo: int, hi: int, used: set[tuple[int, int]], near: tuple[int, int] | None = None
) -> tuple[int, int] | None:
    """Where ``needle`` occurs in ``text[lo:hi]``: the first occurrence not in ``used``
    (with ``near=(a, b)``, the unused one starting in ``a..b`` or closest to it).

    Exact occurrences are tried first, then whitespace-insensitive ones (any run of
    whitespace matches any other). When every occurrence is used, the first is returned;
    ``None`` when there is none.
    """
    found: list[tuple[int, int]] = []
    if needle:
        i = text.find(needle, lo, hi)
        while i != -1:
            found.append((i, i + len(needle)))
            i = text.find(needle, i + 1, hi)
    if not found:
        tokens = needle.split()
        if tokens:
            pattern = re.compile(r"\s+".join(re.escape(t) for t in tokens))
            found = [(m.start(), m.end()) for m in pattern.finditer(text, lo, hi)]
    if not found:
        return None
    free = [span for span in found if span not in used] or found
    if near is not None:
        a, b = near
        return min(free, key=lambda span: (0 if a <= span[0] <= b else min(abs(span[0] - a), abs(span[0] - b)), span[0]))
    return free[0]


def whole_number(value: Any) -> int | None:
    """A cell holding a whole number (``12``, or ``12.0`` as a workbook may give it) as an int, else ``None``."""
    m = re.fullmatch(r"(\d+)(?:\.0*)?", str(value).strip())
    return int(m.group(1)) if m else None


def int_cell(value: Any, *, path, row: int, column: str) -> int:
    number = whole_number(value)
    if number is None:
        raise InputError(
            path, f"{column} is not a whole number", row=row, column=column, found=str(value).strip(), expected="a whole number >= 1"
        )
    return number


def paragraph_starts(text: str) -> list[int]:
    """Offset where each paragraph (line of the LF text, blank lines included) starts."""
    return [0, *(m.end() for m in re.finditer("\n", text))]


class DocumentIndex:
    """Documents given by the caller, looked up by :func:`document_key`.

    With ``aliases`` (name in the export -> key of ``documents``), the export's names are
    matched against the aliases only, and the keys of ``documents`` are what results and
    errors show: a caller that names documents by neutral ids passes the raw names (file
    names, note ids) as aliases, and no raw name is quoted in an error.
    """

    def __init__(self, documents: Mapping[str, str], path, aliases: Mapping[str, str] | None = None) -> None:
        self.path = path
        self.texts = {str(name): normalise_newlines(str(text)) for name, text in documents.items()}
        self.aliased = aliases is not None
        names = {str(a): str(t) for a, t in aliases.items()} if aliases is not None else {n: n for n in self.texts}
        unknown = sorted(t for t in set(names.values()) if t not in self.texts)
        if unknown:
            raise ValueError(f"aliases name documents that were not given: {unknown}")
        self.by_key: dict[str, str] = {}
        self.paragraphs: dict[str, list[int]] = {}
        for name, target in names.items():
            key = document_key(name)
            if self.by_key.get(key, target) != target:
                raise InputError(
                    path,
                    "two documents have names that are the same ignoring case and punctuation",
                    found=sorted([self.by_key[key], target]) if self.aliased else [self.by_key[key], name],
                    expected="document names that differ in letters or digits",
                )
            self.by_key[key] = target

    def resolve(self, name: str, *, row: int, column: str) -> str:
        key = document_key(name)
        if key not in self.by_key:
            raise InputError(
                self.path,
                "segment refers to an unknown document",
                row=row,
                column=column,
                found=name,
                identifying=self.aliased,  # a raw name (file name, note id) of the caller's documents
                expected=f"the name of one of the {len(self.texts)} documents given, ignoring case and punctuation"
                if self.aliased
                else one_of(sorted(self.texts)),
            )
        return self.by_key[key]

    def starts(self, doc: str) -> list[int]:
        if doc not in self.paragraphs:
            self.paragraphs[doc] = paragraph_starts(self.texts[doc])
        return self.paragraphs[doc]
