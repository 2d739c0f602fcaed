"""Format ``surveymonkey``: SurveyMonkey's "expanded" CSV or XLSX export (two header rows).

Row 1 holds each question once, over its first column, and is blank over the question's
further columns; row 2 holds what each column is within its question: ``Response`` (one
choice), ``Open-Ended Response`` (typed text), an answer option (multiple answers, one
column each, the cell holding the option when chosen), a row statement of a matrix or a
field of a contact-information question. The fixed columns come first and have a blank
row 2: ``Respondent ID, Collector ID, Start Date, End Date, IP Address, Email Address,
First Name, Last Name, Custom Data 1``. (Layout as in SurveyMonkey's help pages and the
two header rows of a real export quoted in a public repository; no real SurveyMonkey file
was found to test against.)

Each column is keyed uniquely: the question alone for a one-column question (``Response``,
``Open-Ended Response``) and the fixed columns; ``question – sub-question`` for every column
of a question that spans several (matrix rows, options, "Other (please specify)"). ``text``
is the key for question columns and ``""`` for the fixed ones. The condensed export (one
header row) is read by the plain ``csv``/``excel`` formats.
"""

from __future__ import annotations

from errors import InputError
from sniff import column_letter
from survey_formats.grid import Grid, Options, Source, blank_column, build_table, check_header_row, unique_keys
from survey_formats.table import SurveyColumn, SurveyTable

NAME = "surveymonkey"
TOOL = "SurveyMonkey"
KINDS = frozenset({"text", "xlsx", "xlsb", "xls", "ods"})

FIXED = (
    "Respondent ID",
    "Collector ID",
    "Start Date",
    "End Date",
    "IP Address",
    "Email Address",
    "First Name",
    "Last Name",
    "Custom Data 1",
)
#: Row-2 cells that mean "this column is the whole question".
SINGLE = frozenset({"response", "open-ended response"})
#: Joins a question and its sub-question in a key and in ``text``.
JOIN = " – "


def _two_rows(grid: Grid, h: int) -> bool:
    r0, r1 = grid.row(h), grid.row(h + 1)
    if "Respondent ID" not in r0 or "Collector ID" not in r0:
        return False
    j = r0.index("Respondent ID")
    return j < len(r1) and r1[j] == "" and any(r1)


def detect(source: Source) -> bool:
    return source.tabular and _two_rows(source.grid(), source.options.header_row)


def header_rows_below(grid: Grid, h: int) -> str | None:
    """Why reading row ``h`` as the only header would take SurveyMonkey's second header row for a respondent."""
    return f"row {h + 1} is SurveyMonkey's second header row (Response, Open-Ended Response, options)" if _two_rows(grid, h) else None


def read(source: Source, options: Options) -> SurveyTable:
    grid = source.grid()
    h = options.header_row
    check_header_row(grid, h)
    if not _two_rows(grid, h):
        raise InputError(
            grid.where,
            "no SurveyMonkey header rows found",
            row=h,
            found="a header without 'Respondent ID' and 'Collector ID' over a second header row",
            expected="the expanded export: row 1 'Respondent ID, Collector ID, …' and the questions, row 2 'Response', "
            "'Open-Ended Response' or the answer options",
        )
    r0, r1 = grid.row(h), grid.row(h + 1)
    columns: list[SurveyColumn | None] = []
    question = ""
    for j in range(len(grid.cells[h - 1])):
        top = r0[j] if j < len(r0) else ""
        sub = r1[j] if j < len(r1) else ""
        if top:
            question = top
        if not top and not sub and blank_column(grid, j, h):
            columns.append(None)
            continue
        if top and not sub:
            key, text = top, ("" if top in FIXED else top)
        elif top and sub.casefold() in SINGLE and not _continued(r0, r1, j):
            key = text = top
        elif question:
            key = text = f"{question}{JOIN}{sub}"
        else:
            key, text = sub or f"column {column_letter(j)}", sub
        columns.append(SurveyColumn(key=key, text=text))
    unique_keys(grid, [c.key for c in columns if c is not None], h)
    return build_table(grid, format=NAME, header_row=h, header_rows=2, columns=columns)


def _continued(r0: list[str], r1: list[str], j: int) -> bool:
    """Whether the question over column ``j`` goes on into column ``j + 1`` (blank row 1, non-blank row 2)."""
    return j + 1 < len(r1) and r1[j + 1] != "" and (j + 1 >= len(r0) or r0[j + 1] == "")
