"""Format ``qualtrics``: Qualtrics' CSV/TSV (or Excel) response export.

Layouts (checked against real exports in ropensci/qualtRics' test files):

* **Current** ("Data Table") export: three header rows. Row 1 the variable names
  (``StartDate``, …, ``Q1``, ``Q5_1`` for row 1 of matrix Q5, ``Q2 - Topics`` for a text
  analysis column); row 2 the question text, for a matrix row ``Question - Statement``, in
  the survey's language; row 3 ``{"ImportId":"QID5_1"}`` JSON. Answers are choice text or
  numeric values (numbered by display order: codes that only Qualtrics' survey definition
  explains, so they stay codes here).
* **Legacy** export: two header rows. Row 1 ``V1``…``V10`` then the question names; row 2
  ``ResponseID, ResponseSet, Name, ExternalDataReference, EmailAddress, IPAddress, Status,
  StartDate, EndDate, Finished`` then the question text. The ``V`` columns are keyed by
  their row-2 name (``V5`` is ``EmailAddress``).
* Header rows deleted by hand: row 3 (ImportId) missing is read from rows 1-2 when row 2 is
  recognisably question text (no digits under the date and progress columns); rows 2-3
  missing is read with row 1 alone (the columns then carry no question text); a file whose
  first header row is the ImportId row has lost its names and is refused.

Responses Qualtrics marks as preview or test (``DistributionChannel`` ``preview``/``test``,
or ``Status`` ``Survey Preview``/``Survey Test`` as text) are dropped and counted. A numeric
``Status`` is not interpreted (its codes are not declared in the file); non-zero ones are
counted in ``notes["status_codes_not_interpreted"]``.
Qualtrics' SPSS export is read by the ``spss`` format.
"""

from __future__ import annotations

import json
import re

import pandas as pd

from errors import InputError, Stated
from sniff import column_letter
from survey_formats.grid import Grid, Options, Source, blank_column, build_table, check_header_row, unique_keys
from survey_formats.table import SurveyColumn, SurveyTable

NAME = "qualtrics"
TOOL = "Qualtrics"
KINDS = frozenset({"text", "xlsx", "xlsb", "xls", "ods"})

#: Row-1 names of the response metadata Qualtrics writes before the questions.
META = frozenset(
    {
        "StartDate",
        "EndDate",
        "Status",
        "IPAddress",
        "Progress",
        "Duration (in seconds)",
        "Finished",
        "RecordedDate",
        "ResponseId",
        "RecipientLastName",
        "RecipientFirstName",
        "RecipientEmail",
        "ExternalReference",
        "LocationLatitude",
        "LocationLongitude",
        "DistributionChannel",
        "UserLanguage",
    }
)
#: Columns whose data cells always hold digits (dates, percentages, seconds): under them a
#: cell without a digit is question text, not a respondent's value.
_NUMERIC_META = ("StartDate", "EndDate", "RecordedDate", "Progress", "Duration (in seconds)")
_IMPORT_ID = re.compile(r'^\{\s*"ImportId"\s*:')
_LEGACY_V = re.compile(r"^V\d+$")


def _import_row(row: list[str]) -> bool:
    cells = [c for c in row if c]
    return bool(cells) and all(_IMPORT_ID.match(c) for c in cells)


def _meta_count(row: list[str]) -> int:
    return sum(c in META for c in row)


def _legacy(r0: list[str], r1: list[str]) -> bool:
    return len(r0) >= 5 and all(_LEGACY_V.match(c) for c in r0[:5]) and "ResponseID" in r1


def _text_row(names: list[str], row: list[str]) -> bool:
    """Whether ``row`` is the question-text row under the variable names ``names``."""
    cells = [row[j] if j < len(row) else "" for j, n in enumerate(names) if n in _NUMERIC_META]
    return bool(cells) and all(c and not re.search(r"\d", c) for c in cells)


def layout(grid: Grid, h: int) -> tuple[str, ...] | None:
    """The roles of the header rows from row ``h`` (``names``, ``text``, ``importid``), or None."""
    r0, r1, r2 = grid.row(h), grid.row(h + 1), grid.row(h + 2)
    if _import_row(r0):
        return ("importid",)
    if _legacy(r0, r1):
        return ("names", "text")
    if _import_row(r2):
        return ("names", "text", "importid")
    if _import_row(r1):
        return ("names", "importid") if _meta_count(r0) >= 2 else ("text", "importid")
    if _meta_count(r0) >= 3:
        return ("names", "text") if _text_row(r0, r1) else ("names",)
    return None


def detect(source: Source) -> bool:
    return source.tabular and layout(source.grid(), source.options.header_row) is not None


def header_rows_below(grid: Grid, h: int) -> str | None:
    """Why reading row ``h`` as the only header would take Qualtrics header rows for respondents."""
    roles = layout(grid, h)
    if not roles or len(roles) == 1:
        return None
    n = len(roles) - 1
    span = f"row {h + 1} is a Qualtrics header row" if n == 1 else f"rows {h + 1}-{h + n} are Qualtrics header rows"
    return f"{span} ({', '.join(roles[1:])})"


def read(source: Source, options: Options) -> SurveyTable:
    grid = source.grid()
    h = options.header_row
    check_header_row(grid, h)
    roles = layout(grid, h)
    if roles is None:
        raise InputError(
            grid.where,
            "no Qualtrics header rows found",
            row=h,
            found="a header row without Qualtrics' variable names (StartDate, ResponseId, …) or ImportId row",
            expected="row 1 the variable names, row 2 the question text, row 3 the ImportId tags, as Qualtrics writes them",
        )
    if roles == ("importid",):
        raise InputError(
            grid.where,
            "the first header row holds Qualtrics ImportId tags: the variable-name and question-text rows above it are missing",
            row=h,
            found='cells like {"ImportId":"QID1"}',
            expected="the export as Qualtrics wrote it (three header rows), or survey.header_row pointing at the variable-name row",
        )
    rows = {role: grid.row(h + k) for k, role in enumerate(roles)}
    width = len(grid.cells[h - 1])
    names = rows.get("names") or rows["text"]
    texts = rows.get("text", [])
    legacy = _legacy(grid.row(h), grid.row(h + 1))
    columns: list[SurveyColumn | None] = []
    for j in range(width):
        name = names[j] if j < len(names) else ""
        text = texts[j] if j < len(texts) else ""
        if not name and not text and blank_column(grid, j, h):
            columns.append(None)
            continue
        if legacy and _LEGACY_V.match(name) and text:
            name = text  # V5 -> EmailAddress
        columns.append(SurveyColumn(key=name or f"column {column_letter(j)}", text=text if "text" in rows else ""))
    unique_keys(grid, [c.key for c in columns if c is not None], h)
    notes = {}
    if "importid" not in roles and not legacy:
        notes["qualtrics_header_rows_missing"] = 3 - len(roles)
    table = build_table(grid, format=NAME, header_row=h, header_rows=len(roles), columns=columns, notes=notes)
    ids = {_import_id(rows["importid"][j]): c.key for j, c in enumerate(columns) if c is not None and j < len(rows.get("importid", []))}
    channel = "DistributionChannel" if "DistributionChannel" in table.columns else ids.get("distributionChannel")
    status = "Status" if "Status" in table.columns else ids.get("status")
    return _drop_preview(table, channel, status)


def _import_id(cell: str) -> str:
    """The ImportId of a row-3 cell (``{"ImportId":"QID5_1"}`` -> ``QID5_1``), "" if none."""
    try:
        value = json.loads(cell)
    except ValueError:
        return ""
    return str(value.get("ImportId", "")) if isinstance(value, dict) else ""


def _drop_preview(table: SurveyTable, channel: str | None, status: str | None) -> SurveyTable:
    """Drop responses Qualtrics marks as preview or test, by text only; count them.

    ``channel`` and ``status`` are the keys of the DistributionChannel and Status columns
    (found by variable name, or by ImportId when the variable-name row is missing)."""
    frame = table.frame
    preview = pd.Series(False, index=frame.index)
    test = pd.Series(False, index=frame.index)
    if channel is not None:
        folded = frame[channel].str.casefold()
        preview |= folded.eq("preview")
        test |= folded.eq("test")
    if status is not None:
        folded = frame[status].str.casefold()
        preview |= folded.eq("survey preview")
        test |= folded.eq("survey test")
    test &= ~preview
    out = table.select(~(preview | test)) if (preview.any() or test.any()) else table
    for note, mask in (("preview_responses_dropped", preview), ("test_responses_dropped", test)):
        if mask.any():
            out.notes[note] = int(mask.sum())
    if out.frame.empty:
        raise InputError(
            table.where,
            "every response is a Qualtrics preview or test response",
            found=Stated(f"{len(frame)} preview/test responses"),
            expected="real responses (export after the survey has been answered)",
        )
    if status is not None:
        numeric = out.frame[status].str.fullmatch(r"[0-9]+") & out.frame[status].ne("0")
        if numeric.any():
            out.notes["status_codes_not_interpreted"] = int(numeric.sum())
    return out
