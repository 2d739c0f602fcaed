"""MAXQDA "coded segments" table (Overview of Coded Segments exported as XLSX/XLS, or a CSV of it).

``Beginning``/``End`` are 1-based **paragraph numbers** for text documents (a paragraph is a
line of the LF-normalised text, blank lines included); the segment's characters are found by
locating ``Segment`` within those paragraphs, a repeated text taking the next unused
occurrence for the same code. The coder is ``Created by`` (else ``Modified by``).

Column names follow MAXQDA's interface language. Where each name comes from:

* English: ``Color, Document group, Document name, Code, Beginning, End, Weight score,
  Segment, Modified by, Modified, Created by, Created, Area, Coverage %`` as this project's
  synthetic export writes them (``scripts/synth_qual.py``, ``MAXQDA_COLUMNS``), the same
  headers read from real MAXQDA exports in public analysis scripts (``"Document name",
  "Code", "Beginning", "Document group"``, ``"Created"``); ``Begin`` as listed in
  the project's shared research notes (``REFERENCE.md``, "QDA tools").
* German: ``Dokumentname, Code, Anfang, Ende, Segment`` (REFERENCE.md); ``Dokumentgruppe``
  (a public R script reading a German MAXQDA coded-segments export: ``farbe, segment,
  dokumentname, dokumentgruppe, erstellt_am``). The German coder column was not found
  documented: pass ``columns={"coder": "<header>"}``.
* Polish: ``Nazwa dokumentu, Kod, Początek, Koniec, Fragment, Autor`` (REFERENCE.md).
* Spanish, French, Italian, Portuguese, Japanese, Chinese: not found in MAXQDA's
  documentation or in public files that were searched, so not built in (no names invented).
  Such an export is refused with the headers it has; ``columns={role: header}`` maps them.
"""

from __future__ import annotations

from collections.abc import Mapping

from errors import InputError

from ._common import Problems, int_cell, log, split_code_path
from ._table import Column, Placement, Record, Table, match_columns, recognise, tabular_reader

NAME = "maxqda"
TOOL = "MAXQDA coded segments (XLSX, XLS or CSV)"
WHAT = "MAXQDA coded-segments export"
COLUMNS = [
    Column("document", {"en": ("Document name",), "de": ("Dokumentname",), "pl": ("Nazwa dokumentu",)}),
    Column("code", {"en": ("Code",), "de": ("Code",), "pl": ("Kod",)}),
    Column("begin", {"en": ("Beginning", "Begin"), "de": ("Anfang",), "pl": ("Początek",)}),
    Column("end", {"en": ("End",), "de": ("Ende",), "pl": ("Koniec",)}),
    Column("segment", {"en": ("Segment",), "de": ("Segment",), "pl": ("Fragment",)}),
    Column("group", {"en": ("Document group",), "de": ("Dokumentgruppe",)}, required=False),
    Column("coder", {"en": ("Created by", "Modified by"), "pl": ("Autor",)}, required=False),
]
DETECT = ("document", "code", "begin")


def detect(kind: str, header: list[str] | None) -> bool:
    return header is not None and recognise(header, COLUMNS, DETECT) is not None


def records(
    table: Table, separator: str, columns: Mapping[str, str] | None = None, problems: Problems | None = None
) -> tuple[list[Record], Placement]:
    problems = problems or Problems()
    cols = match_columns(table, COLUMNS, WHAT, columns)
    heads = table.headers
    out: list[Record] = []
    blank = 0
    for n, row in zip(table.numbers, table.rows, strict=True):
        levels = split_code_path(row[cols["code"]], separator)
        if not levels:
            blank += 1
            continue
        try:
            first = int_cell(row[cols["begin"]], path=table.path, row=n, column=heads[cols["begin"]])
            last = int_cell(row[cols["end"]], path=table.path, row=n, column=heads[cols["end"]])
        except InputError as err:
            problems.add(err, row=n)
            continue
        out.append(
            Record(
                row=n,
                document=row[cols["document"]],
                levels=levels,
                coder=row[cols["coder"]] if "coder" in cols else "",
                group=row[cols["group"]] if "group" in cols else "",
                text=row[cols["segment"]],
                first=first,
                last=last,
            )
        )
    if blank:
        log.info("skipped %d rows with a blank Code", blank)
    how = Placement(
        "segment",
        heads[cols["document"]],
        heads[cols["segment"]],
        paragraphs=True,
        used_per_code=True,
        begin_column=heads[cols["begin"]],
        end_column=heads[cols["end"]],
    )
    return out, how


read = tabular_reader(records, NAME)  # records, then placed in the documents
