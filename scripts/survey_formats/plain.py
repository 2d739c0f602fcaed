"""The plain layout shared by the ``csv`` and ``excel`` formats: one header row, then one row per respondent.

This is what Microsoft Forms, JISC Online Surveys, Google Forms and paper forms keyed into
Excel give. The header is both the key and the question text; the file carries no value
labels. Refused here, each with what to set instead: a file with the header rows of a
Qualtrics or SurveyMonkey export (read as plain, its question-text rows would become
respondents), and a header row that names fewer columns than it leaves unnamed (a title
above the real headers).
"""

from __future__ import annotations

from errors import InputError, Stated
from sniff import column_letter
from survey_formats import qualtrics, surveymonkey
from survey_formats.grid import Grid, Options, blank_column, build_table, check_header_row, unique_keys
from survey_formats.table import SurveyColumn, SurveyTable


def read_plain(grid: Grid, options: Options, format: str) -> SurveyTable:
    """One header row at ``options.header_row``; a blank header over data becomes ``column <letter>``."""
    h = options.header_row
    check_header_row(grid, h)
    for name, module in (("qualtrics", qualtrics), ("surveymonkey", surveymonkey)):
        problem = module.header_rows_below(grid, h)
        if problem:
            raise InputError(
                grid.where,
                f"{problem}: read with one header row, they would be taken for respondents",
                row=h + 1,
                found=f"the header rows of a {module.TOOL} export",
                expected=f"survey.format: {name} (or auto), which reads all its header rows",
            )
    header = grid.row(h)
    columns: list[SurveyColumn | None] = []
    for j, cell in enumerate(header):
        if not cell and blank_column(grid, j, h):
            columns.append(None)
        else:
            columns.append(SurveyColumn(key=cell or f"column {column_letter(j)}", text=cell))
    _not_a_title(grid, h, columns)
    unique_keys(grid, [c.key for c in columns if c is not None], h)
    return build_table(grid, format=format, header_row=h, header_rows=1, columns=columns)


def _not_a_title(grid: Grid, h: int, columns: list[SurveyColumn | None]) -> None:
    """Refuse a header row that names fewer columns than it leaves unnamed over data: a title
    row above the real headers (which would otherwise be read as a respondent)."""
    named = sum(1 for c in columns if c is not None and c.text)
    unnamed = sum(1 for c in columns if c is not None and not c.text)
    if unnamed <= named:
        return
    widest = max(range(h + 1, min(len(grid.cells), h + 20) + 1), key=lambda r: (sum(1 for c in grid.row(r) if c), -r))
    raise InputError(
        grid.where,
        f"the header row (row {h}) names {named} of {named + unnamed} columns: is it a title above the headers?",
        row=h,
        found=Stated(f"{unnamed} columns with data but no header"),
        expected=f"survey.header_row: {widest} if the headers start there (every column with data needs a header)",
    )
