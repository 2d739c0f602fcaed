"""ATLAS.ti quotation export (Quotation Manager -> Excel; or a CSV of it).

Layout, as read from a real export in a public analysis script (``all_quotes_…xlsx`` of a
systematic review, read with ``readxl``): ``ID, Quotation Name, Document, Document Groups,
Quotation Content, Comment, Codes, Reference, Density, Created by, Modified by, Created,
Modified``. ``Codes`` holds one code per line (CRLF or LF). ATLAS.ti's Quotation Manager
documentation: ``ID`` is ``document:quotation`` (``3:10``), ``Reference`` the location
(``paragraph 12 - 13`` for text, a time for audio and video).

Each quotation's ``Quotation Content`` is located in its document; the first paragraph
number in ``Reference`` only chooses between repeated occurrences (nearest wins), because
how ATLAS.ti numbers paragraphs was not checked against a real file. ``Document`` may carry
the file extension (``Focus group 1.txt``); it is matched without it. The coder is
``Created by``; the document group the first line of ``Document Groups``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from ._common import DocumentIndex, Problems, split_code_path
from ._table import Column, Placement, Record, Table, headers_of, match_columns, recognise, tabular_reader

NAME = "atlasti"
TOOL = "ATLAS.ti quotation export (XLSX, XLS or CSV)"
WHAT = "ATLAS.ti quotation export"
COLUMNS = [
    Column("document", {"en": ("Document",)}),
    Column("content", {"en": ("Quotation Content",)}),
    Column("codes", {"en": ("Codes",)}),
    Column("id", {"en": ("ID",)}, required=False),
    Column("reference", {"en": ("Reference",)}, required=False),
    Column("groups", {"en": ("Document Groups",)}, required=False),
    Column("coder", {"en": ("Created by",)}, required=False),
]
DETECT = ("document", "content", "codes")
_PARAGRAPH = re.compile(r"^[^\d:]*?(\d+)(?:\s*[-–—]\s*[^\d:]*?(\d+))?[^\d:]*$")


def detect(kind: str, header: list[str] | None) -> bool:
    return header is not None and recognise(header, COLUMNS, DETECT) is not None


def records(
    table: Table,
    separator: str,
    columns: Mapping[str, str] | None = None,
    problems: Problems | None = None,
    documents: DocumentIndex | None = None,
) -> tuple[list[Record], Placement]:
    problems = problems or Problems()
    cols = match_columns(table, COLUMNS, WHAT, columns)
    out = []
    for n, row in zip(table.numbers, table.rows, strict=True):

        def cell(role: str, row=row) -> str:
            return row[cols[role]] if role in cols else ""

        ref = _PARAGRAPH.match(cell("reference").strip())
        for code in cell("codes").replace("\r\n", "\n").replace("\r", "\n").split("\n"):
            levels = split_code_path(code, separator)
            if levels:
                out.append(
                    Record(
                        row=n,
                        document=cell("document"),
                        levels=levels,
                        coder=cell("coder"),
                        group=cell("groups").replace("\r", "\n").split("\n")[0].strip(),
                        text=cell("content"),
                        first=int(ref.group(1)) if ref else None,
                        last=int(ref.group(2) or ref.group(1)) if ref else None,
                        key=cell("id").strip() or f"row {n}",
                    )
                )
    heads = table.headers
    return out, Placement("quotation", heads[cols["document"]], heads[cols["content"]], hint="paragraph", columns=headers_of(table, cols))


read = tabular_reader(records, NAME)  # records, then placed in the documents
