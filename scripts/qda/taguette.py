"""Taguette highlights (``id, document, tag, content``; CSV or XLSX), as Taguette exports them.

Highlights have no offsets: ``content`` is located in the document, a repeated content taking
the next unused occurrence in ``id`` order; the rows of one highlight (one per tag) share its
place. Tag levels are joined by ``\\`` (also split on the configured separator). Taguette does
not record coders in this export: ``coder`` is blank.
"""

from __future__ import annotations

from collections.abc import Mapping

from ._common import DocumentIndex, Problems, split_code_path
from ._table import Column, Placement, Record, Table, headers_of, match_columns, recognise, tabular_reader

NAME = "taguette"
TOOL = "Taguette highlights (CSV or XLSX)"
WHAT = "Taguette highlights export"
#: Taguette joins tag levels with a backslash, whatever the configured separator.
TAGUETTE_SEPARATOR = "\\"
COLUMNS = [
    Column("id", {"en": ("id",)}),
    Column("document", {"en": ("document",)}),
    Column("tag", {"en": ("tag",)}),
    Column("content", {"en": ("content",)}),
]


def detect(kind: str, header: list[str] | None) -> bool:
    return header is not None and recognise(header, COLUMNS, [c.role for c in COLUMNS]) is not None


def _id_key(value: str) -> tuple[int, int, str]:
    v = value.strip()
    return (0, int(v), "") if v.isdigit() else (1, 0, v)


def records(
    table: Table,
    separator: str,
    columns: Mapping[str, str] | None = None,
    problems: Problems | None = None,
    documents: DocumentIndex | None = None,
) -> tuple[list[Record], Placement]:
    problems = problems or Problems()
    cols = match_columns(table, COLUMNS, WHAT, columns)
    rows = sorted(zip(table.numbers, table.rows, strict=True), key=lambda r: _id_key(r[1][cols["id"]]))  # stable
    out = []
    for n, row in rows:
        levels = [lvl for part in split_code_path(row[cols["tag"]], TAGUETTE_SEPARATOR) for lvl in split_code_path(part, separator)]
        if levels:
            out.append(Record(row=n, document=row[cols["document"]], levels=levels, text=row[cols["content"]], key=row[cols["id"]].strip()))
    heads = table.headers
    return out, Placement("highlight", heads[cols["document"]], heads[cols["content"]], columns=headers_of(table, cols))


read = tabular_reader(records, NAME)  # records, then placed in the documents
