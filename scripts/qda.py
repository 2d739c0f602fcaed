"""Read the coded export of a qualitative-analysis (QDA) tool into one tidy table.

Three shapes are read (see ``docs/contracts.md``, "Documents in the coded export"):

* ``maxqda``: a MAXQDA "coded segments" CSV. ``Beginning``/``End`` are 1-based paragraph
  numbers; the characters are found by locating ``Segment`` within those paragraphs.
* ``refi-qda``: a REFI-QDA project (``.qdpx`` zip with ``project.qde`` and ``sources/``).
  Positions are code points into each source's plain text; CRLF may have been counted as
  one or two code points (``crlf``).
* ``taguette``: a Taguette highlights CSV (``id, document, tag, content``) without offsets;
  ``content`` is located in the document, repeated content taking the next unused
  occurrence in ``id`` order.

Whatever the shape, the result is a :class:`CodedExport` whose offsets are 0-based code
points, end exclusive, into the LF-normalised document text, and whose code paths are the
levels joined by ``" > "``. Segment text is identifying: it is never quoted in an error.
"""

from __future__ import annotations

import csv
import logging
import re
import zipfile
import zlib
from bisect import bisect_left
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from xml.etree import ElementTree as ET

import pandas as pd

from errors import InputError, one_of
from rawinput import normalise_header, read_csv_input, read_text_input, sniff_delimiter

log = logging.getLogger("ripls.qda")

FORMATS = ("maxqda", "refi-qda", "taguette")
CRLF_MODES = ("auto", "one", "two")
#: Separator of levels in every code path the pipeline writes.
CODE_PATH_SEPARATOR = " > "
#: Taguette joins tag levels with a backslash, whatever the configured separator.
TAGUETTE_SEPARATOR = "\\"
QDA_NAMESPACE = "urn:QDA-XML:project:1.0"

SEGMENT_COLUMNS = ["document", "document_group", "code_path", "start", "end", "text"]
CODEBOOK_COLUMNS = ["code_path", "name", "level", "parent", "description"]

MAXQDA_REQUIRED = ("Document name", "Code", "Beginning", "End", "Segment")
MAXQDA_OPTIONAL = ("Document group",)
TAGUETTE_REQUIRED = ("id", "document", "tag", "content")


@dataclass
class CodedExport:
    """A coded export read into tidy form.

    ``segments``: one row per (coded stretch of text, code), columns :data:`SEGMENT_COLUMNS`,
    sorted by (document, start, end, code_path). ``documents``: document name -> its
    LF-normalised text (``text`` of a segment is ``documents[document][start:end]``).
    ``codebook``: columns :data:`CODEBOOK_COLUMNS`, parents before their children.
    ``format``: one of :data:`FORMATS`.
    """

    segments: pd.DataFrame
    documents: dict[str, str]
    codebook: pd.DataFrame
    format: str


# --------------------------------------------------------------------------- small pieces
def normalise_newlines(text: str) -> str:
    """CRLF and lone CR become LF."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def split_code_path(code_path: str, separator: str = CODE_PATH_SEPARATOR) -> list[str]:
    """The levels of a code path, outermost first; blanks around levels and empty levels are dropped."""
    if not separator:
        raise ValueError("separator must not be empty")
    return [level.strip() for level in str(code_path).split(separator) if level.strip()]


def _join(levels: list[str]) -> str:
    return CODE_PATH_SEPARATOR.join(levels)


def _collapse(text: str) -> str:
    return " ".join(text.split())


def _locate(text: str, needle: str, lo: int, hi: int, used: set[tuple[int, int]]) -> tuple[int, int] | None:
    """Where ``needle`` occurs in ``text[lo:hi]``: the first occurrence not in ``used``.

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
    return next((span for span in found if span not in used), found[0])


def _codebook_from_paths(paths: list[list[str]]) -> pd.DataFrame:
    """A codebook holding every path and every prefix of it, in order of first appearance."""
    rows: dict[str, dict] = {}
    for levels in paths:
        for depth in range(1, len(levels) + 1):
            path = _join(levels[:depth])
            if path not in rows:
                rows[path] = {
                    "code_path": path,
                    "name": levels[depth - 1],
                    "level": depth,
                    "parent": _join(levels[: depth - 1]),
                    "description": "",
                }
    return _codebook_frame(list(rows.values()))


def _codebook_frame(rows: list[dict]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=CODEBOOK_COLUMNS)
    return df.astype({"code_path": str, "name": str, "level": "int64", "parent": str, "description": str})


def _segments_frame(rows: list[dict]) -> pd.DataFrame:
    """Segments sorted by (document, start, end, code_path); exact duplicate rows dropped."""
    keyed = {(r["document"], r["start"], r["end"], r["code_path"], r["document_group"], r["text"]): r for r in rows}
    dropped = len(rows) - len(keyed)
    if dropped:
        log.info("dropped %d duplicate coded segments (same document, offsets and code)", dropped)
    ordered = [keyed[k] for k in sorted(keyed)]
    df = pd.DataFrame(ordered, columns=SEGMENT_COLUMNS)
    return df.astype({"document": str, "document_group": str, "code_path": str, "start": "int64", "end": "int64", "text": str})


def _int_cell(value: str, *, path, row: int, column: str) -> int:
    text = str(value).strip()
    m = re.fullmatch(r"(\d+)(?:\.0*)?", text)
    if not m:
        raise InputError(path, f"{column} is not a whole number", row=row, column=column, found=text, expected="a whole number >= 1")
    return int(m.group(1))


class _DocumentIndex:
    """Documents given by the caller, looked up by name ignoring case and punctuation."""

    def __init__(self, documents: Mapping[str, str], path) -> None:
        self.path = path
        self.texts = {str(name): normalise_newlines(str(text)) for name, text in documents.items()}
        self.by_key: dict[str, str] = {}
        for name in self.texts:
            key = normalise_header(name)
            if key in self.by_key:
                raise InputError(
                    path,
                    "two documents have names that are the same ignoring case and punctuation",
                    found=[self.by_key[key], name],
                    expected="document names that differ in letters or digits",
                )
            self.by_key[key] = name

    def resolve(self, name: str, *, row: int, column: str) -> str:
        key = normalise_header(name)
        if key not in self.by_key:
            raise InputError(
                self.path,
                "segment refers to an unknown document",
                row=row,
                column=column,
                found=name,
                expected=one_of(sorted(self.texts)),
            )
        return self.by_key[key]


# --------------------------------------------------------------------------- detection
def detect_format(path) -> str:
    """The shape of a coded export: ``refi-qda`` (a .qdpx or any zip), ``maxqda`` or ``taguette`` (by CSV header)."""
    p = Path(path)
    if p.suffix.lower() == ".qdpx":
        return "refi-qda"
    if p.is_file():
        with p.open("rb") as fh:
            if fh.read(4) == b"PK\x03\x04":
                return "refi-qda"
    text = read_text_input(p, what="coded export")
    first = text.splitlines()[0] if text.splitlines() else ""
    header = next(csv.reader([first], delimiter=sniff_delimiter(first)), [])
    keys = {normalise_header(h) for h in header}
    if {normalise_header(c) for c in ("Document name", "Code", "Beginning")} <= keys:
        return "maxqda"
    if {normalise_header(c) for c in TAGUETTE_REQUIRED} <= keys:
        return "taguette"
    raise InputError(
        p,
        "cannot tell which QDA tool wrote this coded export",
        found=f"header {header[:12]}",
        expected="a REFI-QDA .qdpx, a MAXQDA coded-segments CSV (Document name, Code, Beginning, End, Segment) "
        "or a Taguette highlights CSV (id, document, tag, content)",
    )


# --------------------------------------------------------------------------- entry point
def read_coded_export(
    path,
    *,
    fmt: str = "auto",
    documents: Mapping[str, str] | None = None,
    crlf: str = "auto",
    separator: str = CODE_PATH_SEPARATOR,
) -> CodedExport:
    """Read a coded export of any supported shape into a :class:`CodedExport`.

    ``documents`` (name -> raw text) is required for the tabular shapes, whose offsets
    point into texts they do not carry; a .qdpx carries its texts and ``documents`` is
    ignored. ``crlf`` (``auto``/``one``/``two``) applies to .qdpx only; ``separator`` is the
    code-path separator of the tabular shapes (Taguette tags are also split on ``\\``).
    """
    if fmt not in ("auto", *FORMATS):
        raise ValueError(f"fmt must be 'auto' or {one_of(FORMATS)}; got {fmt!r}")
    if crlf not in CRLF_MODES:
        raise ValueError(f"crlf must be {one_of(CRLF_MODES)}; got {crlf!r}")
    if fmt == "auto":
        fmt = detect_format(path)
    if fmt == "refi-qda":
        result = _read_qdpx(path, crlf=crlf)
    else:
        if documents is None:
            raise ValueError(f"a {fmt} export carries no document texts: pass documents={{name: text}}")
        index = _DocumentIndex(documents, path)
        reader = _read_maxqda if fmt == "maxqda" else _read_taguette
        result = reader(path, index, separator)
    log.info(
        "read %d coded segments in %d of %d documents, %d codes (%s)",
        len(result.segments),
        result.segments["document"].nunique(),
        len(result.documents),
        len(result.codebook),
        result.format,
    )
    return result


# --------------------------------------------------------------------------- MAXQDA
def _read_maxqda(path, index: _DocumentIndex, separator: str) -> CodedExport:
    df = read_csv_input(
        path, what="MAXQDA coded-segments export", required=MAXQDA_REQUIRED, optional=MAXQDA_OPTIONAL, identifying=("Segment",)
    )
    rows: list[dict] = []
    paths: list[list[str]] = []
    used: dict[tuple[str, str], set[tuple[int, int]]] = {}
    paragraph_starts: dict[str, list[int]] = {}  # document -> offset where each paragraph (line) starts
    blank_codes = 0
    for i, rec in enumerate(df.to_dict("records")):
        row = i + 2
        levels = split_code_path(rec["Code"], separator)
        if not levels:
            blank_codes += 1
            continue
        doc = index.resolve(rec["Document name"], row=row, column="Document name")
        text = index.texts[doc]
        first = _int_cell(rec["Beginning"], path=path, row=row, column="Beginning")
        last = _int_cell(rec["End"], path=path, row=row, column="End")
        if doc not in paragraph_starts:
            paragraph_starts[doc] = [0, *(m.end() for m in re.finditer("\n", text))]
        starts = paragraph_starts[doc]
        if first > last:
            raise InputError(
                path,
                "start > end: Beginning is after End",
                row=row,
                column="Beginning",
                found=f"Beginning {first}, End {last}",
                expected="Beginning <= End",
            )
        if first < 1 or last > len(starts):
            raise InputError(
                path,
                f"offset outside its text: paragraph number beyond document {doc!r}",
                row=row,
                column="Beginning" if first < 1 or first > len(starts) else "End",
                found=f"paragraphs {first}..{last}",
                expected=f"paragraph numbers 1..{len(starts)}",
            )
        lo = starts[first - 1]
        hi = starts[last] - 1 if last < len(starts) else len(text)
        segment = normalise_newlines(rec["Segment"])
        code_path = _join(levels)
        taken = used.setdefault((doc, code_path), set())
        # No segment text exported: the coding covers the paragraphs.
        span = _locate(text, segment, lo, hi, taken) if segment.strip() else (lo, hi)
        if span is None:
            raise InputError(
                path,
                f"segment text not found in paragraphs {first}..{last} of document {doc!r}",
                row=row,
                column="Segment",
                found=rec["Segment"],
                identifying=True,
                expected="the text of those paragraphs, as in the document file",
            )
        taken.add(span)
        paths.append(levels)
        rows.append(
            {
                "document": doc,
                "document_group": rec.get("Document group", ""),
                "code_path": code_path,
                "start": span[0],
                "end": span[1],
                "text": text[span[0] : span[1]],
            }
        )
    if blank_codes:
        log.info("skipped %d rows with a blank Code", blank_codes)
    return CodedExport(_segments_frame(rows), dict(index.texts), _codebook_from_paths(paths), "maxqda")


# --------------------------------------------------------------------------- Taguette
def _id_key(value: str) -> tuple[int, int, str]:
    v = value.strip()
    return (0, int(v), "") if v.isdigit() else (1, 0, v)


def _read_taguette(path, index: _DocumentIndex, separator: str) -> CodedExport:
    df = read_csv_input(path, what="Taguette highlights export", required=TAGUETTE_REQUIRED, identifying=("content",))
    records = [(i + 2, rec) for i, rec in enumerate(df.to_dict("records"))]
    records.sort(key=lambda r: _id_key(r[1]["id"]))  # stable: rows of one highlight keep file order
    rows: list[dict] = []
    paths: list[list[str]] = []
    used: dict[str, set[tuple[int, int]]] = {}
    placed: dict[tuple[str, str, str], tuple[int, int]] = {}
    blank_tags = 0
    for row, rec in records:
        levels = [lvl for part in split_code_path(rec["tag"], TAGUETTE_SEPARATOR) for lvl in split_code_path(part, separator)]
        if not levels:
            blank_tags += 1
            continue
        doc = index.resolve(rec["document"], row=row, column="document")
        text = index.texts[doc]
        content = normalise_newlines(rec["content"])
        key = (rec["id"].strip(), doc, content)
        if key not in placed:  # one highlight with several tags is one row per tag
            span = _locate(text, content, 0, len(text), used.setdefault(doc, set()))
            if span is None:
                raise InputError(
                    path,
                    f"highlight text not found in document {doc!r}",
                    row=row,
                    column="content",
                    found=rec["content"],
                    identifying=True,
                    expected="text that occurs in the document file",
                )
            used[doc].add(span)
            placed[key] = span
        start, end = placed[key]
        paths.append(levels)
        rows.append(
            {"document": doc, "document_group": "", "code_path": _join(levels), "start": start, "end": end, "text": text[start:end]}
        )
    if blank_tags:
        log.info("skipped %d rows with a blank tag", blank_tags)
    return CodedExport(_segments_frame(rows), dict(index.texts), _codebook_from_paths(paths), "taguette")


# --------------------------------------------------------------------------- REFI-QDA
def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _kids(el: ET.Element | None, name: str) -> list[ET.Element]:
    return [] if el is None else [c for c in el if _local(c.tag) == name]


def _kid(el: ET.Element | None, name: str) -> ET.Element | None:
    found = _kids(el, name)
    return found[0] if found else None


def _read_qdpx(path, *, crlf: str) -> CodedExport:
    p = Path(path)
    if not p.exists():
        raise InputError(
            p, "coded export not found", found="no file at this path", expected="an existing file (check the path in config.yaml)"
        )
    try:
        zf = zipfile.ZipFile(p)
    except (zipfile.BadZipFile, OSError) as exc:
        size = p.stat().st_size if p.is_file() else 0
        raise InputError(
            p,
            "REFI-QDA project is not a readable zip archive (corrupt, or not a .qdpx)",
            found=f"{size} bytes: {exc}" if p.is_file() else "a folder",
            expected="a .qdpx exported by the QDA tool",
        ) from None
    with zf:
        members = [n for n in zf.namelist() if not n.endswith("/")]
        qde = sorted((n for n in members if PurePosixPath(n).name.lower() == "project.qde"), key=lambda n: (n.count("/"), n))
        if not qde:
            raise InputError(
                p,
                "project.qde missing from the REFI-QDA project",
                found=f"{len(members)} files in the zip",
                expected="a .qdpx holding project.qde",
            )
        root = _parse_qde(p, _zip_read(zf, p, qde[0]))
        sources_dir = {}
        for n in members:
            pp = PurePosixPath(n)
            if len(pp.parts) >= 2 and pp.parts[-2].lower() == "sources":
                sources_dir.setdefault(pp.name, n)
                sources_dir.setdefault(pp.name.lower(), n)
        return _read_project(p, root, zf, sources_dir, crlf)


def _zip_read(zf: zipfile.ZipFile, p: Path, member: str) -> bytes:
    try:
        return zf.read(member)
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError) as exc:
        raise InputError(
            p,
            f"REFI-QDA project is corrupt: {member} cannot be extracted",
            found=str(exc) or type(exc).__name__,
            expected="a .qdpx exported by the QDA tool",
        ) from None


def _parse_qde(p: Path, data: bytes) -> ET.Element:
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        line, col = exc.position
        raise InputError(
            p,
            f"project.qde is not well-formed XML (line {line}, column {col})",
            found=str(exc).split(":")[0],
            expected="the XML the QDA tool wrote (re-export the project)",
        ) from None
    if _local(root.tag) != "Project":
        raise InputError(
            p,
            "project.qde is not a REFI-QDA project",
            found=f"root element <{_local(root.tag)}>",
            expected=f"<Project xmlns={QDA_NAMESPACE!r}>",
        )
    return root


def _read_codebook(root: ET.Element) -> tuple[dict[str, str], pd.DataFrame]:
    """Code guid -> code path, and the codebook in the tool's order (levels from nesting)."""
    by_guid: dict[str, str] = {}
    rows: dict[str, dict] = {}

    def walk(code: ET.Element, parents: list[str]) -> None:
        name = (code.get("name") or code.get("guid") or "").strip()
        levels = [*parents, name]
        path = _join(levels)
        if code.get("guid"):
            by_guid[code.get("guid").strip()] = path
        if path not in rows:
            desc = _kid(code, "Description")
            rows[path] = {
                "code_path": path,
                "name": name,
                "level": len(levels),
                "parent": _join(parents),
                "description": _collapse(desc.text or "") if desc is not None else "",
            }
        for child in _kids(code, "Code"):
            walk(child, levels)

    for code in _kids(_kid(_kid(root, "CodeBook"), "Codes"), "Code"):
        walk(code, [])
    return by_guid, _codebook_frame(list(rows.values()))


def _source_text(p: Path, zf: zipfile.ZipFile, sources_dir: dict[str, str], src: ET.Element) -> str:
    name = src.get("name", "")
    ref = (src.get("plainTextPath") or "").strip()
    if ref:
        fname = PurePosixPath(re.sub(r"^[a-z]+://", "", ref).replace("\\", "/")).name
        member = sources_dir.get(fname) or sources_dir.get(fname.lower())
        if member is not None:
            data = _zip_read(zf, p, member)
            if data.startswith(b"\xef\xbb\xbf"):
                data = data[3:]
            try:
                return data.decode("utf-8")
            except UnicodeDecodeError:
                raise InputError(
                    p, f"plain text of source {name!r} is not valid UTF-8", found=member, expected="UTF-8 plain text"
                ) from None
    content = _kid(src, "PlainTextContent")
    if content is not None and content.text is not None:
        return content.text
    raise InputError(
        p,
        f"plain text file of source {name!r} is missing from the zip",
        found=ref or "no plainTextPath",
        expected="the file named by plainTextPath in the sources/ folder of the .qdpx",
    )


def _position(p: Path, sel: ET.Element, attr: str, source: str) -> int:
    value = (sel.get(attr) or "").strip()
    if not re.fullmatch(r"-?\d+", value):
        raise InputError(
            p,
            f"a selection in source {source!r} has no whole-number {attr}",
            column=attr,
            found=value or "nothing",
            expected="a code-point position >= 0",
        )
    return int(value)


def _read_project(p: Path, root: ET.Element, zf: zipfile.ZipFile, sources_dir: dict[str, str], crlf: str) -> CodedExport:
    by_guid, codebook = _read_codebook(root)
    groups: dict[str, str] = {}
    for s in _kids(_kid(root, "Sets"), "Set"):
        for m in _kids(s, "MemberSource"):
            groups.setdefault((m.get("targetGUID") or "").strip(), (s.get("name") or "").strip())

    documents: dict[str, str] = {}
    rows: list[dict] = []
    for src in _kids(_kid(root, "Sources"), "TextSource"):
        name = (src.get("name") or "").strip()
        if name in documents:
            raise InputError(p, "two text sources have the same name", found=name, expected="distinct source names")
        raw = _source_text(p, zf, sources_dir, src)
        text = normalise_newlines(raw)
        documents[name] = text
        group = groups.get((src.get("guid") or "").strip(), "")

        selections = []
        for sel in _kids(src, "PlainTextSelection"):
            start, end = _position(p, sel, "startPosition", name), _position(p, sel, "endPosition", name)
            if start > end:
                raise InputError(
                    p,
                    f"start > end in a selection of source {name!r}",
                    found=f"startPosition {start}, endPosition {end}",
                    expected="startPosition <= endPosition",
                )
            selections.append((sel, start, end))
        to_lf = _offset_map(p, name, raw, text, selections, crlf)

        for sel, start, end in selections:
            a, b = to_lf(start), to_lf(end)
            for coding in _kids(sel, "Coding"):
                for ref in _kids(coding, "CodeRef"):
                    target = (ref.get("targetGUID") or "").strip()
                    if target not in by_guid:
                        raise InputError(
                            p,
                            f"a coding in source {name!r} refers to a code that is not in the codebook",
                            found=f"targetGUID {target}",
                            expected="the guid of a Code in CodeBook",
                        )
                    rows.append(
                        {"document": name, "document_group": group, "code_path": by_guid[target], "start": a, "end": b, "text": text[a:b]}
                    )
    return CodedExport(_segments_frame(rows), documents, codebook, "refi-qda")


def _offset_map(p: Path, name: str, raw: str, text: str, selections: list, crlf: str):
    """A function from the tool's positions to LF-normalised offsets, checking every position.

    ``two`` (the standard): positions count CRLF as two code points, so each CRLF before a
    position shifts it by one. ``one``: positions already count CRLF as one character, which
    is the LF-normalised text. ``auto``: the convention under which the selections' ``name``
    texts match; ``two`` when they do not tell.
    """
    crs = [m.start() for m in re.finditer("\r\n", raw)]
    maps = {"two": lambda pos: pos - bisect_left(crs, pos - 1), "one": lambda pos: pos}
    limits = {"two": len(raw), "one": len(text)}

    def in_range(mode: str) -> bool:
        return all(s >= 0 and e <= limits[mode] for _, s, e in selections)

    mode = crlf
    if mode == "auto":
        if not crs:
            mode = "two"
        else:
            candidates = [m for m in ("two", "one") if in_range(m)] or ["two"]
            mode = max(candidates, key=lambda m: (*_name_matches(selections, text, maps[m]), m == "two"))
            log.info("a source with CRLF: offsets read with CRLF as %s code point(s) (auto)", mode)
    if not in_range(mode):
        s, e = next((s, e) for _, s, e in selections if not (s >= 0 and e <= limits[mode]))
        raise InputError(
            p,
            f"offset outside its text: a selection lies {'before the start' if s < 0 else 'beyond the end'} of source {name!r}",
            column="startPosition" if s < 0 else "endPosition",
            found=f"startPosition {s}, endPosition {e}",
            expected=f"positions 0..{limits[mode]} (CRLF counted as {mode} code point{'s' if mode == 'two' else ''})",
        )
    return maps[mode]


def _name_matches(selections: list, text: str, to_lf) -> tuple[int, int]:
    """(exact, prefix) matches of selection names with the text they select, whitespace collapsed."""
    exact = prefix = 0
    for sel, s, e in selections:
        label = _collapse(normalise_newlines(sel.get("name") or ""))
        if not label:
            continue
        got = _collapse(text[to_lf(s) : to_lf(e)])
        if got == label:
            exact += 1
        elif got.startswith(label.rstrip("….").rstrip()) and len(label) >= 3:
            prefix += 1
    return exact, prefix


__all__ = ["CodedExport", "detect_format", "normalise_newlines", "read_coded_export", "split_code_path"]
