"""Formats ``spss`` (.sav, .zsav) and, through the same code, ``stata`` (.dta), read with pyreadstat.

SPSS (and Qualtrics' SPSS export, and paper forms keyed into SPSS) store what a code means
in the file: each column gets ``text`` = its variable label (the question text) and
``value_labels`` = its value labels (code -> label), and the cells hold the **labels**
wherever a code has one. A code without a value label stays a code (in text form: ``3``,
``2.5``), which the mapping step refuses unless the config declares it.

User-missing codes (SPSS missing values and ranges, e.g. 9 = "No answer"; Stata's extended
missing values ``.a``-``.z``) become blank (as pyreadstat reads them with
``user_missing=False``) and are counted in ``notes["user_missing_cells"]``; system-missing
cells are blank. Numbers, dates and times become text as workbook cells do
(:func:`workbook.cell_text`: ``5.0`` -> ``"5"``, dates ISO 8601). ``rows`` are case numbers
(1-based). ``encoding`` is the character set the file declares (or the one named).
"""

from __future__ import annotations

import math
import numbers

import numpy as np
import pandas as pd

from errors import InputError, Stated
from survey_formats.grid import Options, Source
from survey_formats.table import SurveyColumn, SurveyTable
from workbook import cell_text

NAME = "spss"
KINDS = frozenset({"sav", "zsav"})


def detect(source: Source) -> bool:
    return source.kind.kind in KINDS


def read(source: Source, options: Options) -> SurveyTable:
    import pyreadstat

    return read_labelled(source, options, reader=pyreadstat.read_sav, format=NAME)


def read_labelled(source: Source, options: Options, *, reader, format: str) -> SurveyTable:
    """Read a .sav/.zsav/.dta file with ``reader`` (pyreadstat) into a :class:`SurveyTable`."""
    import pyreadstat

    path = source.path
    if options.sheet is not None:
        raise InputError(
            path,
            "a sheet is named for a data file without sheets",
            key="survey.sheet",
            found=f"sheet {options.sheet!r}",
            expected="no survey.sheet",
        )
    if options.header_row != 1:
        raise InputError(
            path,
            "a header row is set for a data file without header rows",
            key="survey.header_row",
            found=options.header_row,
            expected="1 (the default)",
        )
    kwargs = {"encoding": options.encoding} if options.encoding != "auto" else {}
    try:
        # Values from a read with user-missing values as missing; which of the blanks were
        # user-missing (to count them) from a read that keeps them. The values never come
        # from the second read: pyreadstat 1.3.7 returns 0 there for a system-missing cell
        # of a Stata integer variable that also holds extended missing values.
        df, meta = reader(str(path), apply_value_formats=False, user_missing=False, dates_as_pandas_datetime=False, **kwargs)
        marked, marked_meta = reader(str(path), apply_value_formats=False, user_missing=True, dates_as_pandas_datetime=False, **kwargs)
    except (pyreadstat.ReadstatError, pyreadstat.PyreadstatError, UnicodeDecodeError, ValueError) as exc:
        raise InputError(
            path,
            f"{source.kind.description} cannot be read",
            found=Stated(f"pyreadstat: {type(exc).__name__}"),
            expected=f"a file that {'SPSS' if format == NAME else 'Stata'} opens"
            + ("" if kwargs else " (for text in an old file, name its encoding in survey.encoding)"),
        ) from None
    if df.empty:
        raise InputError(path, "the data file holds no cases", found="0 rows", expected="at least one respondent")
    variable_labels = meta.column_names_to_labels or {}
    types = meta.readstat_variable_types or {}
    frame: dict[str, list[str]] = {}
    columns: dict[str, SurveyColumn] = {}
    user_missing = 0
    for name in df.columns:
        labels = {cell_text(code): str(label) for code, label in (meta.variable_value_labels or {}).get(name, {}).items()}
        is_missing, codes = _missing_rule(name, marked_meta, numeric=types.get(name) != "string", stata=format != NAME)
        frame[name] = _column_text(df[name], labels)
        blank = df[name].isna()
        user_missing += sum(1 for v in marked.loc[blank, name] if not _is_na(v) and is_missing(v))
        columns[name] = SurveyColumn(key=name, text=str(variable_labels.get(name) or ""), value_labels=labels, missing_codes=codes)
    notes = {"user_missing_cells": user_missing} if user_missing else {}
    return SurveyTable(
        frame=pd.DataFrame(frame, dtype=str),
        columns=columns,
        format=format,
        source=str(path),
        file_kind=source.kind.kind,
        rows=list(range(1, len(df) + 1)),
        notes=notes,
        encoding=getattr(meta, "file_encoding", None) or None,
    )


def _missing_rule(name: str, meta, *, numeric: bool, stata: bool):
    """(predicate: is this raw value user-missing?, the declared codes in text form)."""
    ranges = [(r["lo"], r["hi"]) for r in (meta.missing_ranges or {}).get(name, [])]
    discrete = {str(v) for v in (meta.missing_user_values or {}).get(name, [])}
    codes = {cell_text(lo) if lo == hi else f"{cell_text(lo)}..{cell_text(hi)}" for lo, hi in ranges}
    codes |= {f".{v}" if stata else v for v in discrete}

    def is_missing(value) -> bool:
        if stata and numeric and isinstance(value, str):
            return True  # an extended missing value (.a-.z) of a numeric variable
        if isinstance(value, str):
            return value in discrete or any(lo == value for lo, hi in ranges if isinstance(lo, str))
        if isinstance(value, numbers.Real) and not isinstance(value, bool):
            x = float(value)
            return any(isinstance(lo, numbers.Real) and lo <= x <= hi for lo, hi in ranges)
        return False

    return is_missing, frozenset(codes)


def _column_text(series: pd.Series, labels: dict[str, str]) -> list[str]:
    """Each cell as text, the file's label where it declares one, blank for missing; once per distinct value."""
    codes, uniques = pd.factorize(series.astype(object), use_na_sentinel=True)
    out = np.empty(len(uniques) + 1, dtype=object)  # the last slot is for missing cells (code -1)
    out[-1] = ""
    for k, value in enumerate(uniques):
        text = cell_text(value)
        out[k] = labels.get(text, text) if text.strip() else ""
    return out[codes].tolist()


def _is_na(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or str(value) in {"NaT", "nan"}
