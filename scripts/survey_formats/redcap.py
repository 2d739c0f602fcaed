"""Format ``redcap``: REDCap's CSV export, raw (with its data dictionary) or as labels.

* **Raw** export: headers are the project's variable names (first the record id field,
  ``record_id`` by default; maybe ``redcap_event_name``, ``redcap_repeat_instrument``,
  ``redcap_repeat_instance``, ``redcap_data_access_group``, ``redcap_survey_identifier``,
  ``<form>_timestamp``; one ``<form>_complete`` per instrument); answers are the codes the
  project's designer typed. Their meaning is only in the **data dictionary** (``dictionary=``,
  config ``inputs.survey_dictionary``): ``Variable / Field Name, Form Name, Section Header,
  Field Type, Field Label, Choices, Calculations, OR Slider Labels, …`` with choices written
  ``1, Strongly agree | 2, Agree | …``. With it, each column gets ``text`` = the field label
  (HTML tags removed) and ``value_labels`` from its choices (``yesno`` 1 Yes / 0 No,
  ``truefalse`` 1 True / 0 False, ``<form>_complete`` 0 Incomplete / 1 Unverified /
  2 Complete, as REDCap defines them), applied to the cells. A checkbox field is exported as
  one 0/1 column per choice (``field___1``; a code's characters other than letters, digits
  and ``_`` become ``_``): each gets ``text`` = ``label – choice`` and labels 0 Unchecked /
  1 Checked. Without the dictionary the codes stay codes (the mapping step then asks for
  them to be declared). A data column the dictionary does not know (other than REDCap's own)
  stops the run: the dictionary belongs to another project or version.
* **Labels** export: headers are field labels (the form status column is ``Complete?``),
  answers are choice labels; read as it is (repeated headers such as ``Complete?`` of two
  instruments are keyed ``Complete? #2``; counted in notes).

One row per respondent is required: a longitudinal or repeating-instrument export (the same
record on several rows) is refused.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from errors import InputError
from rawinput import normalise_header
from sniff import check_file, sniff_file
from survey_formats.grid import Grid, Options, Source, apply_value_labels, blank_column, build_table, check_header_row, load_grid
from survey_formats.table import SurveyColumn, SurveyTable, first_duplicate

NAME = "redcap"
TOOL = "REDCap"
KINDS = frozenset({"text", "xlsx", "xls", "ods"})

_VARIABLE = re.compile(r"^[a-z][a-z0-9_]*$")
_OWN = ("redcap_event_name", "redcap_repeat_instrument", "redcap_repeat_instance", "redcap_data_access_group", "redcap_survey_identifier")
COMPLETE = {"0": "Incomplete", "1": "Unverified", "2": "Complete"}
YESNO = {"1": "Yes", "0": "No"}
TRUEFALSE = {"1": "True", "0": "False"}
CHECKBOX = {"1": "Checked", "0": "Unchecked"}
JOIN = " – "
#: Dictionary headers, matched ignoring case and punctuation (REDCap versions word the choices column differently).
_DICT_FIELD, _DICT_TYPE, _DICT_LABEL = "variable field name", "field type", "field label"


def _raw(header: list[str]) -> bool:
    cells = [c for c in header if c]
    return bool(cells) and all(_VARIABLE.match(c) for c in cells) and any(c in _OWN or c.endswith("_complete") for c in cells)


def _labels(header: list[str]) -> bool:
    return "Complete?" in header


def _dictionary_header(header: list[str]) -> bool:
    return {_DICT_FIELD, _DICT_TYPE, _DICT_LABEL} <= {normalise_header(c) for c in header}


def detect(source: Source) -> bool:
    if not source.tabular:
        return False
    header = source.grid().row(source.options.header_row)
    return _raw(header) or _labels(header) or _dictionary_header(header)


def read(source: Source, options: Options) -> SurveyTable:
    grid = source.grid()
    h = options.header_row
    check_header_row(grid, h)
    header = grid.row(h)
    if _dictionary_header(header):
        raise InputError(
            grid.where,
            "this is a REDCap data dictionary, not the data export",
            row=h,
            found="the headers 'Variable / Field Name', 'Field Type', 'Field Label'",
            expected="the records export as inputs.survey, and this file as inputs.survey_dictionary",
        )
    if _raw(header):
        table = _read_raw(grid, h, options.dictionary)
    elif _labels(header):
        table = _read_labels(grid, h)
        if options.dictionary is not None:
            table.notes["data_dictionary_not_needed"] = 1  # a labels export carries the labels itself
    else:
        raise InputError(
            grid.where,
            "no REDCap export header found",
            row=h,
            found="headers that are neither REDCap variable names (with a <form>_complete column) nor labels (with 'Complete?')",
            expected="a REDCap records export (raw or labels) as REDCap wrote it",
        )
    _one_row_per_record(table)
    return table


def _columns(grid: Grid, h: int) -> list[SurveyColumn | None]:
    header = grid.row(h)
    seen: dict[str, int] = {}
    columns: list[SurveyColumn | None] = []
    for j, cell in enumerate(header):
        if not cell and blank_column(grid, j, h):
            columns.append(None)
            continue
        seen[cell] = seen.get(cell, 0) + 1
        columns.append(SurveyColumn(key=cell if seen[cell] == 1 else f"{cell} #{seen[cell]}"))
    return columns


def _read_labels(grid: Grid, h: int) -> SurveyTable:
    columns = _columns(grid, h)
    renamed = sum(1 for c in columns if c is not None and " #" in c.key and c.key.rsplit(" #", 1)[1].isdigit())
    columns = [c and SurveyColumn(key=c.key, text=c.key) for c in columns]
    return build_table(
        grid, format=NAME, header_row=h, header_rows=1, columns=columns, notes={"repeated_headers_renamed": renamed} if renamed else None
    )


def _read_raw(grid: Grid, h: int, dictionary) -> SurveyTable:
    columns = _columns(grid, h)
    dup = next((c.key for c in columns if c is not None and " #" in c.key), None)
    if dup:
        raise InputError(
            grid.where, "two columns have the same variable name", row=h, column=dup.rsplit(" #", 1)[0], expected="unique variable names"
        )
    table = build_table(grid, format=NAME, header_row=h, header_rows=1, columns=columns)
    if dictionary is None:
        table.notes["data_dictionary"] = 0
        return table
    fields = read_dictionary(dictionary)
    described: dict[str, SurveyColumn] = {}
    for key in table.columns:
        col = _describe(key, fields)
        if col is None:
            raise InputError(
                table.where,
                "column is not a field of the data dictionary",
                column=key,
                found=f"a variable the dictionary ({Path(dictionary).name}) does not list",
                expected="the data dictionary of the same project and version as the export",
            )
        described[key] = col
        apply_value_labels(table, key, col.value_labels)
    table.columns = described
    table.notes["data_dictionary"] = 1
    return table


def _describe(key: str, fields: dict[str, tuple[str, str, dict[str, str]]]) -> SurveyColumn | None:
    if key in fields:
        kind, label, choices = fields[key]
        labels = {"yesno": YESNO, "truefalse": TRUEFALSE}.get(kind, choices if kind in {"radio", "dropdown"} else {})
        return SurveyColumn(key=key, text=label, value_labels=dict(labels))
    if "___" in key:
        base, suffix = key.split("___", 1)
        if base in fields and fields[base][0] == "checkbox":
            _, label, choices = fields[base]
            choice = next((lab for code, lab in choices.items() if re.sub(r"[^a-z0-9_]", "_", code.lower()) == suffix), None)
            if choice is not None:
                return SurveyColumn(key=key, text=f"{label}{JOIN}{choice}", value_labels=dict(CHECKBOX))
    if key.endswith("_complete"):
        return SurveyColumn(key=key, text="Complete?", value_labels=dict(COMPLETE))
    if key in _OWN or key.endswith("_timestamp"):
        return SurveyColumn(key=key)
    return None


def read_dictionary(path) -> dict[str, tuple[str, str, dict[str, str]]]:
    """A REDCap data dictionary: field name -> (field type, label without HTML, choices code -> label)."""
    p = check_file(path, "REDCap data dictionary")
    grid = load_grid(p, sniff_file(p))
    header = grid.row(1)
    norm = [normalise_header(c) for c in header]
    if not _dictionary_header(header):
        raise InputError(
            grid.where,
            "not a REDCap data dictionary",
            row=1,
            found=f"{len(header)} headers without 'Variable / Field Name', 'Field Type' and 'Field Label'",
            expected="the data dictionary CSV REDCap downloads (Project Setup > Data Dictionary)",
        )
    at = {n: j for j, n in reversed(list(enumerate(norm)))}
    choices_at = next((j for j, n in enumerate(norm) if n.startswith("choices")), None)
    fields: dict[str, tuple[str, str, dict[str, str]]] = {}
    for i in range(1, len(grid.cells)):
        row = grid.row(i + 1)
        if not any(row):
            continue

        def cell(j: int | None, row: list[str] = row) -> str:
            return row[j] if j is not None and j < len(row) else ""

        name, kind = cell(at[_DICT_FIELD]), cell(at[_DICT_TYPE]).casefold()
        label = " ".join(html.unescape(re.sub(r"<[^>]*>", " ", cell(at[_DICT_LABEL]))).split())
        choices: dict[str, str] = {}
        if kind in {"radio", "dropdown", "checkbox"}:
            for part in filter(None, (p.strip() for p in cell(choices_at).split("|"))):
                code, sep, text = part.partition(",")
                if not sep or not code.strip():
                    raise InputError(
                        grid.where,
                        f"a choice of field {name!r} has no code",
                        row=i + 1,
                        column=header[choices_at],
                        found=f"a {len(part)}-character choice without 'code, label'",
                        expected="choices written 'code, label | code, label'",
                    )
                choices[code.strip()] = text.strip()
        fields[name] = (kind, label, choices)
    return fields


def _one_row_per_record(table: SurveyTable) -> None:
    first = next(iter(table.columns))
    found = first_duplicate(table.frame[first], ignore="")
    if found is not None:
        pos, earlier = found
        raise InputError(
            table.where,
            f"the same record appears on two rows (also on row {table.rows[earlier]}): a longitudinal or repeating-instrument export",
            row=table.rows[pos],
            column=first,
            expected="one row per respondent (export one event and no repeating instruments)",
        )
