"""A summary of a survey export for ``make inspect``: what the file is and what each column holds.

Counts and headers only. No cell value is reported: a column is described by its key, its
question text and value labels (what the file declares about it), how many respondents
answered it, how many distinct answers it holds and what kind they are:

* ``blank``: no answer in any row;
* ``labels declared by the file``: the file's value labels, applied (SPSS, Stata, REDCap
  with its dictionary); ``codes, some without a label`` when some codes have none;
* ``numbers``: bare numbers with no declared meaning (codes need ``survey.codes``, or ages);
* ``numbers and text``: both, which the mapping step refuses for an item;
* ``categories``: few distinct texts (at most 20, and at most half the answers): labels;
* ``free text``: everything else (names, e-mails, comments).
"""

from __future__ import annotations

from rawinput import parse_number
from survey_formats.table import SurveyTable

#: At most this many distinct texts (and at most half the answers) make a column "categories".
MAX_CATEGORIES = 20


def column_kind(values, value_labels: dict[str, str]) -> str:
    """The kind of answers in one column (see the module docstring); ``values`` are its non-blank cells."""
    distinct = set(values)
    if not distinct:
        return "blank"
    numeric = {v for v in distinct if parse_number(v) is not None}
    if value_labels:
        labels = set(value_labels.values())
        if distinct <= labels:
            return "labels declared by the file"
        if numeric and (distinct - numeric) <= labels:
            return "codes, some without a label"
    if numeric == distinct:
        return "numbers"
    if numeric:
        return "numbers and text"
    if len(distinct) <= MAX_CATEGORIES and len(distinct) * 2 <= len(values):
        return "categories"
    return "free text"


def describe(table: SurveyTable) -> dict:
    """The summary of a read export: file facts, notes and one entry per column."""
    columns = []
    for key, col in table.columns.items():
        cells = [v for v in table.frame[key] if v != ""]
        columns.append(
            {
                "key": key,
                "text": col.text,
                "kind": column_kind(cells, col.value_labels),
                "answered": len(cells),
                "distinct": len(set(cells)),
                "value_labels": dict(col.value_labels),
                "missing_codes": sorted(col.missing_codes),
            }
        )
    return {
        "source": table.source,
        "format": table.format,
        "file_kind": table.file_kind,
        "encoding": table.encoding,
        "delimiter": table.delimiter,
        "sheet": table.sheet,
        "respondents": len(table.frame),
        "notes": dict(sorted(table.notes.items())),
        "columns": columns,
    }
