"""Read the coded export of a qualitative-analysis (QDA) tool into one tidy table.

A registry holds one entry per export format (:data:`REGISTRY`, names in :data:`FORMATS`):

=============  ===========================================================================
``refi-qda``   REFI-QDA project ``.qdpx`` (ATLAS.ti, MAXQDA, NVivo, QualCoder…): ``refi_qda``
``maxqda``     MAXQDA coded segments, XLSX/XLS/CSV, English, German or Polish headers
               (other languages: columns found by content with ``fmt="maxqda"``): ``maxqda``
``atlasti``    ATLAS.ti quotation export, XLSX/XLS/CSV: ``atlasti``
``dedoose``    Dedoose excerpts export, XLSX/CSV: ``dedoose``
``taguette``   Taguette highlights, CSV/XLSX: ``taguette``
=============  ===========================================================================

The format is detected by content (see ``_container.sniff``): a zip holding ``project.qde``
is a .qdpx; a zip holding ``xl/workbook.xml`` an .xlsx workbook; OLE2 magic a legacy .xls;
anything else is text. A table (CSV or the first sheet of a workbook) is recognised by its
header row; a MAXQDA table in an interface language whose headers are not built in is not
recognised, but is read with ``fmt="maxqda"`` (its columns found by content). Whatever the
format, the result is a :class:`CodedExport` whose offsets are 0-based code points, end
exclusive, into the LF-normalised document text, and whose code paths are the levels joined
by ``" > "``. Segment text, document, code and user names are identifying: never quoted in
an error about a .qdpx (GUIDs are), never logged.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from errors import InputError, one_of
from rawinput import read_text_input, sniff_delimiter

from . import atlasti, dedoose, maxqda, refi_qda, taguette
from ._common import (
    CODE_PATH_SEPARATOR,
    CODEBOOK_COLUMNS,
    CRLF_MODES,
    DOCUMENT_EXTENSIONS,
    OFFSET_UNITS,
    SEGMENT_COLUMNS,
    CodedExport,
    DocumentIndex,
    Problems,
    codebook_from_paths,
    document_key,
    normalise_newlines,
    split_code_path,
    strip_document_extension,
)
from ._container import bare_project_file, sniff
from ._table import ENCODING_KEY, Table, place, read_table

log = logging.getLogger("ripls.qda")


@dataclass(frozen=True)
class QdaFormat:
    """One export format: its name (the config value), the tool, and its module's
    ``detect(kind, header)``, ``read(...)`` and, for tables, ``records(...)``."""

    name: str
    tool: str
    tabular: bool
    module: ModuleType

    @property
    def detect(self) -> Callable[[str, list[str] | None], bool]:
        return self.module.detect


#: Detection order matters only among tables: the more specific headers first.
REGISTRY: tuple[QdaFormat, ...] = (
    QdaFormat(refi_qda.NAME, refi_qda.TOOL, False, refi_qda),
    QdaFormat(maxqda.NAME, maxqda.TOOL, True, maxqda),
    QdaFormat(atlasti.NAME, atlasti.TOOL, True, atlasti),
    QdaFormat(dedoose.NAME, dedoose.TOOL, True, dedoose),
    QdaFormat(taguette.NAME, taguette.TOOL, True, taguette),
)
#: The format names (``qualitative.coded_export.format`` takes these or ``auto``).
FORMATS = tuple(f.name for f in REGISTRY)
_BY_NAME = {f.name: f for f in REGISTRY}
_WHAT = "coded export"
#: ``describe_export``'s ``coder_column`` when no column of a table says who coded.
CODER_NOT_IDENTIFIED = "not identified (map it with qualitative.coded_export.columns.coder)"


def _first_row(text: str) -> list[str]:
    first = next((line for line in text.splitlines() if line.strip()), "")
    return next(csv.reader(io.StringIO(first), delimiter=sniff_delimiter(first)), [])


def _text_header(p: Path, encoding: str) -> list[str]:
    """The header row of a CSV export. When the text cannot be decoded as ``encoding``, the
    header alone may still tell the tool (its column names are ASCII): then the format's
    reader is chosen and reports the encoding problem, naming the key that fixes it."""
    try:
        return _first_row(read_text_input(p, what=_WHAT, csv_rows=True, encoding=encoding, key=ENCODING_KEY))
    except InputError:
        data = p.read_bytes()
        header = _first_row(data.decode("utf-8-sig", errors="replace"))
        if any(f.tabular and f.detect("text", header) for f in REGISTRY):
            return header
        raise


def _detect(path, encoding: str = "utf-8") -> tuple[str, str, Table | None]:
    """(format name, container kind, the table when one had to be read to tell)."""
    p = Path(path)
    kind = sniff(p, _WHAT)
    if kind == "qde":
        raise bare_project_file(p)
    if kind == "zip" and p.suffix.lower() in (".xlsx", ".xlsm"):
        kind = "xlsx"  # a damaged workbook: the workbook reader says so
    elif kind in ("qdpx", "zip") or (kind == "text" and p.suffix.lower() == ".qdpx"):
        return refi_qda.NAME, kind, None  # a .qdpx that is no readable zip: its reader says so
    table = read_table(p, kind, _WHAT) if kind in ("xlsx", "xls") else None
    header = table.headers if table is not None else _text_header(p, encoding)
    for f in REGISTRY:
        if f.tabular and f.detect(kind, header):
            return f.name, kind, table
    by_content = "".join(
        f"; a {f.module.WHAT} in another interface language is read with qualitative.coded_export.format: {f.name}"
        " (its columns found by content)"
        for f in REGISTRY
        if getattr(f.module, "BY_CONTENT", None) is not None
    )
    raise InputError(
        p,
        "cannot tell which QDA tool wrote this coded export",
        found=f"{'a workbook with ' if table is not None else ''}header {header[:12]}",
        expected="a REFI-QDA .qdpx, or "
        + "; or ".join(f.tool for f in REGISTRY if f.tabular)
        + " with the columns those tools write"
        + by_content,
    )


def detect_format(path, encoding: str = "utf-8") -> str:
    """The registry name of the export at ``path``, detected by content."""
    return _detect(path, encoding)[0]


def _check_options(fmt: str, crlf: str, offset_unit: str) -> None:
    if fmt not in ("auto", *FORMATS):
        raise ValueError(f"fmt must be 'auto' or {one_of(FORMATS)}; got {fmt!r}")
    if crlf not in CRLF_MODES:
        raise ValueError(f"crlf must be {one_of(CRLF_MODES)}; got {crlf!r}")
    if offset_unit not in OFFSET_UNITS:
        raise ValueError(f"offset_unit must be {one_of(OFFSET_UNITS)}; got {offset_unit!r}")


def _table_for(path, fmt: str, table: Table | None, encoding: str = "utf-8") -> Table:
    if table is not None:
        return table
    kind = sniff(path, _WHAT)
    return read_table(path, "text" if kind not in ("xlsx", "xls", "zip") else kind, _BY_NAME[fmt].module.WHAT, encoding)


def read_coded_export(
    path,
    *,
    fmt: str = "auto",
    documents: Mapping[str, str] | None = None,
    crlf: str = "auto",
    separator: str = CODE_PATH_SEPARATOR,
    offset_unit: str = "auto",
    columns: Mapping[str, str] | None = None,
    aliases: Mapping[str, str] | None = None,
    encoding: str = "utf-8",
) -> CodedExport:
    """Read a coded export of any registered format into a :class:`CodedExport`.

    ``documents`` (name -> raw text) is required for the tabular formats, whose rows point
    into texts they do not carry; a .qdpx carries its texts and ``documents`` is ignored.
    ``crlf`` (``auto``/``one``/``two``) and ``offset_unit`` (``auto``/``codepoint``/``utf16``)
    apply to .qdpx positions; ``separator`` splits code paths of the tabular formats;
    ``columns`` (role -> header) names columns a table's built-in header names miss; with
    ``fmt="maxqda"``, a table whose headers are in no known language has its required columns
    found by content (see ``maxqda``).
    ``aliases`` (name in the export -> key of ``documents``; tabular formats): match the
    export's document names against these instead of the keys, which the result and any
    error then show (a caller that names documents by neutral ids keeps raw names out of
    errors; an unknown document name is then withheld, see ``_common.DocumentIndex``).
    ``encoding`` of a CSV export: ``utf-8`` (strict), ``auto`` (UTF-8, UTF-16, or a
    single-byte encoding where it can be told for sure) or a codec name.
    """
    _check_options(fmt, crlf, offset_unit)
    table = None
    if fmt == "auto":
        fmt, _, table = _detect(path, encoding)
    if fmt == refi_qda.NAME:
        out = refi_qda.read(path, crlf=crlf, offset_unit=offset_unit)
    else:
        if documents is None:
            raise ValueError(f"a {fmt} export carries no document texts: pass documents={{name: text}}")
        out = _BY_NAME[fmt].module.read(
            _table_for(path, fmt, table, encoding), documents, separator=separator, columns=columns, aliases=aliases
        )
    log.info(
        "read %d coded segments in %d of %d documents, %d codes, %d coders (%s)",
        len(out.segments),
        out.segments["document"].nunique(),
        len(out.documents),
        len(out.codebook),
        len(out.coders),
        out.format,
    )
    return out


def describe_export(
    path,
    *,
    fmt: str = "auto",
    documents: Mapping[str, str] | None = None,
    crlf: str = "auto",
    separator: str = CODE_PATH_SEPARATOR,
    offset_unit: str = "auto",
    columns: Mapping[str, str] | None = None,
    encoding: str = "utf-8",
) -> dict[str, Any]:
    """What an export holds, for ``make inspect``: counts and reasons only, never text or names.

    Keys: ``format``, ``tool``, ``producer``, ``offsets`` (unit, crlf, reason, evidence;
    .qdpx), ``documents``, ``codes`` (count, depth), ``coders``, ``segments`` and
    ``sources`` per source kind, ``duplicates_dropped``, and ``unplaceable``: every segment
    that cannot be placed, by GUID (.qdpx) or row (tables) and reason. For a table, also
    ``columns`` (role -> the header read for it), ``found_by_content`` (the roles whose
    columns were found by what they hold) and, for a format that records coders,
    ``coder_column`` (its header, or :data:`CODER_NOT_IDENTIFIED`). For a table read without
    ``documents``, placement is not checked and counts come from its rows (a table whose
    columns must be found by content cannot be read without them: an error says so).
    """
    _check_options(fmt, crlf, offset_unit)
    table = None
    if fmt == "auto":
        fmt, _, table = _detect(path, encoding)
    spec = _BY_NAME[fmt]
    problems = Problems(collect=True)
    out: dict[str, Any] = {"format": fmt, "tool": spec.tool}
    if fmt == refi_qda.NAME:
        res = refi_qda.read(path, crlf=crlf, offset_unit=offset_unit, problems=problems)
        evidence = dict(res.evidence)
        out["producer"] = evidence.pop("producer")
        depth = evidence.pop("code_depth")
        out["offsets"] = {"unit": res.offset_unit, "crlf": res.crlf, "reason": evidence.pop("reason"), "evidence": evidence}
        out["sources"] = {"text": len(res.documents), **{k: v["sources"] for k, v in res.skipped.items()}}
        out["segments"] = {"text": len(res.segments), **{k: v["codings"] for k, v in res.skipped.items()}}
    else:
        tab = _table_for(path, fmt, table, encoding)
        index = DocumentIndex(documents, tab.path) if documents is not None else None
        recs, how = spec.module.records(tab, separator, columns, problems, documents=index)
        out.update(columns=dict(how.columns), found_by_content=list(how.by_content))
        if any(c.role == "coder" for c in spec.module.COLUMNS):
            out["coder_column"] = how.columns.get("coder", CODER_NOT_IDENTIFIED)
        if index is None:
            out.update(
                producer="",
                documents=len({document_key(r.document) for r in recs}),
                codes={"count": len(codebook_from_paths(r.levels for r in recs)), "depth": max((len(r.levels) for r in recs), default=0)},
                coders=len({r.coder for r in recs if r.coder}),
                segments={"text": len(recs)},
                duplicates_dropped=0,
                unplaceable=problems.items,
                placement="not checked (no documents given)",
            )
            return out
        res = place(tab.path, recs, index, how, fmt, problems)
        out["producer"] = ""
        out["segments"] = {"text": len(res.segments)}
        depth = int(res.codebook["level"].max()) if len(res.codebook) else 0
    out.update(
        documents=len(res.documents),
        codes={"count": len(res.codebook), "depth": depth},
        coders=len(res.coders),
        duplicates_dropped=res.duplicates_dropped,
        unplaceable=problems.items,
    )
    return out


__all__ = [
    "CODEBOOK_COLUMNS",
    "CODER_NOT_IDENTIFIED",
    "CODE_PATH_SEPARATOR",
    "CRLF_MODES",
    "DOCUMENT_EXTENSIONS",
    "FORMATS",
    "OFFSET_UNITS",
    "REGISTRY",
    "SEGMENT_COLUMNS",
    "CodedExport",
    "QdaFormat",
    "describe_export",
    "detect_format",
    "document_key",
    "normalise_newlines",
    "read_coded_export",
    "split_code_path",
    "strip_document_extension",
]
