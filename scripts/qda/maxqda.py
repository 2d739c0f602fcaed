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

A table read as MAXQDA (``qualitative.coded_export.format: maxqda``, or ``fmt="maxqda"``)
whose headers are in none of these languages (no language names its document, code and
beginning columns) has its required columns found **by content** instead
(``_table.find_by_content``), each among the columns no role has yet:

* ``document``: every non-blank value names one of the documents given (ignoring case and
  punctuation, as ``_common.DocumentIndex`` matches names; aliases apply);
* ``code``: more than half of the rows hold a code path (the configured separator, ``" > "`` by default);
* ``begin``/``end``: two columns of whole numbers >= 1, blank in the same rows, begin <= end
  and end within the row's document's paragraphs in every row; of several such pairs the
  adjacent one (MAXQDA writes ``End`` right after ``Beginning``);
* ``segment``: every non-blank value is found within its row's paragraphs begin..end.

A role that no column, or more than one, qualifies for stops the run with one error naming
the role and the candidates; ``columns={role: header}`` always wins and settles it. A column
whose header is a known name (``Code``, ``Segment``, ``Created by``…) is still taken by its
header. ``group`` and ``coder`` are never inferred (a coder column cannot be told from
``Modified by`` by content): unless mapped (or named in English), the rows are read as one
coder's, with a blank coder label, and the log says how many rows that is.
"""

from __future__ import annotations

from collections.abc import Mapping

from errors import InputError

from ._common import DocumentIndex, Problems, int_cell, log, split_code_path
from ._table import ByContent, Column, Placement, Record, Table, headers_of, match_columns, recognise, tabular_reader

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
#: Headers in no known language: the required columns found by what they hold.
BY_CONTENT = ByContent(DETECT, document="document", code="code", text="segment", first="begin", last="end")


def detect(kind: str, header: list[str] | None) -> bool:
    return header is not None and recognise(header, COLUMNS, DETECT) is not None


def records(
    table: Table,
    separator: str,
    columns: Mapping[str, str] | None = None,
    problems: Problems | None = None,
    documents: DocumentIndex | None = None,
) -> tuple[list[Record], Placement]:
    """The coded rows, and how to place them. ``documents``: the texts, needed only to find
    the document and segment columns by content (headers in no known language)."""
    problems = problems or Problems()
    cols = match_columns(table, COLUMNS, WHAT, columns, content=BY_CONTENT, documents=documents, separator=separator)
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
    if "coder" not in cols:
        log.info(
            "coder column not identified: %d coded rows read as one coder's (map it with qualitative.coded_export.columns.coder)", len(out)
        )
    how = Placement(
        "segment",
        heads[cols["document"]],
        heads[cols["segment"]],
        paragraphs=True,
        used_per_code=True,
        begin_column=heads[cols["begin"]],
        end_column=heads[cols["end"]],
        columns=headers_of(table, cols),
        by_content=cols.by_content,
    )
    return out, how


read = tabular_reader(records, NAME)  # records, then placed in the documents
