"""Dedoose excerpts export (Excerpts -> Export; XLSX or CSV): one row per excerpt, one column per code.

Layout, from real exports read in public analysis code: ``Media Title``, ``Excerpt Copy``
(the excerpt's text), ``Excerpt Range`` (``Page 1: 444-1546``), ``Excerpt Creator``,
``Excerpt Date``, ``Codes Applied Combined`` (leaf names joined by ", ", ambiguous: not
used), then ``Code: <parent>\\<child> Applied`` per code holding ``True``/``False`` (0/1 also
accepted), then the document's descriptors. The USHMM atrocity-prevention data
(``excerpts_3.csv``, 1,063 excerpts, 322 code columns) was checked against this.

Each excerpt's ``Excerpt Copy`` is located in its document (``Media Title``, matched
without a file extension), the start of ``Excerpt Range`` choosing between repeated
occurrences (the range alone is not trusted: its unit and line-break counting were not
checked). An export without ``Excerpt Copy`` is refused: offsets alone cannot be checked.
The coder is ``Excerpt Creator``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from errors import InputError, Stated

from ._common import DocumentIndex, Problems, header_key, split_code_path
from ._table import Column, Placement, Record, Table, headers_of, match_columns, recognise, tabular_reader

NAME = "dedoose"
TOOL = "Dedoose excerpts export (XLSX or CSV)"
WHAT = "Dedoose excerpts export"
DEDOOSE_SEPARATOR = "\\"
COLUMNS = [
    Column("document", {"en": ("Media Title",)}),
    Column("content", {"en": ("Excerpt Copy",)}),
    Column("range", {"en": ("Excerpt Range",)}, required=False),
    Column("coder", {"en": ("Excerpt Creator",)}, required=False),
]
_CODE = re.compile(r"^\s*code\s*:\s*(.+?)(?:\s+applied)?\s*$", re.IGNORECASE)
_RANGE = re.compile(r"^\s*(?:page\s*(\d+)\s*:\s*)?(\d+)\s*-\s*(\d+)\s*$", re.IGNORECASE)
TRUE = {"true", "1", "yes", "x"}
FALSE = {"false", "0", "no", ""}


def code_columns(header: list[str]) -> dict[int, str]:
    return {i: m.group(1) for i, h in enumerate(header) if (m := _CODE.match(h))}


def detect(kind: str, header: list[str] | None) -> bool:
    if header is None or not code_columns(header):
        return False
    keys = {header_key(h) for h in header}
    return (
        bool(keys & {header_key(n) for n in ("Excerpt Creator", "Excerpt Range", "Excerpt Copy")})
        or recognise(header, COLUMNS, ["document"]) is not None
    )


def records(
    table: Table,
    separator: str,
    columns: Mapping[str, str] | None = None,
    problems: Problems | None = None,
    documents: DocumentIndex | None = None,
) -> tuple[list[Record], Placement]:
    problems = problems or Problems()
    cols = match_columns(table, COLUMNS, WHAT, columns)
    codes = {
        i: [lvl for part in split_code_path(name, DEDOOSE_SEPARATOR) for lvl in split_code_path(part, separator)]
        for i, name in code_columns(table.headers).items()
    }
    if not codes:
        raise InputError(
            table.path,
            f"no code columns in the {WHAT}",
            found=Stated(f"{len(table.headers)} columns"),
            expected="columns headed 'Code: <name> Applied' holding True/False",
        )
    out = []
    for n, row in zip(table.numbers, table.rows, strict=True):
        m = _RANGE.match(row[cols["range"]]) if "range" in cols else None
        hint = int(m.group(2)) if m and (m.group(1) in (None, "1")) else None
        for i, levels in codes.items():
            value = row[i].strip().casefold()
            if value not in TRUE | FALSE:
                problems.add(
                    InputError(
                        table.path,
                        "a code column holds neither True nor False",
                        row=n,
                        column=table.headers[i],
                        found=row[i],
                        expected="True/False (or 1/0)",
                    ),
                    row=n,
                )
                continue
            if value in TRUE and levels:
                out.append(
                    Record(
                        row=n,
                        document=row[cols["document"]],
                        levels=levels,
                        coder=row[cols["coder"]] if "coder" in cols else "",
                        text=row[cols["content"]],
                        first=hint,
                        key=f"row {n}",
                    )
                )
    heads = table.headers
    return out, Placement("excerpt", heads[cols["document"]], heads[cols["content"]], hint="offset", columns=headers_of(table, cols))


read = tabular_reader(records, NAME)  # records, then placed in the documents
