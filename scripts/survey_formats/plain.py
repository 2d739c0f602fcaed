"""The plain layout shared by the ``csv`` and ``excel`` formats: one header row, then one row per respondent.

This is what Microsoft Forms, JISC Online Surveys, Google Forms and paper forms keyed into
Excel give. The header is both the key and the question text; the file carries no value labels. A file that has the header rows of a Qualtrics or SurveyMonkey export is refused
here with what to set instead: read as plain, its question-text rows would become
respondents.
"""

from __future__ import annotations

from _helpers import InputError
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
    unique_keys(grid, [c.key for c in columns if c is not None], h)
    return build_table(grid, format=format, header_row=h, header_rows=1, columns=columns)
