"""Shared machinery of the readers: the options, the file being read, and its cells as a grid.

Text files and workbooks are first read into a :class:`Grid` (every row of the file as
text, with its spreadsheet row number); the layout readers (plain, Qualtrics, SurveyMonkey,
REDCap) then say which rows are headers and what each column is, and
:func:`build_table` turns the rest into a :class:`SurveyTable`, with the checks every
layout shares: rows as wide as the header, no duplicate keys, blank rows skipped and
counted, blank columns dropped and counted.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

import sniff
from errors import InputError, Stated
from rawinput import check_unique_headers
from survey_formats.table import SurveyColumn, SurveyTable
from workbook import read_sheet


@dataclass(frozen=True)
class Options:
    """How to read the export (the ``survey.*`` config keys); see ``read_survey_export``."""

    format: str = "auto"
    encoding: str = "auto"
    sheet: str | int | None = None
    header_row: int = 1
    dictionary: str | os.PathLike | None = None


@dataclass
class Source:
    """The file being read, what it is, and (for text and workbooks) its cells, read once."""

    path: Path
    options: Options
    _grid: Grid | None = field(default=None, repr=False)

    @cached_property
    def kind(self) -> sniff.FileKind:
        return sniff.sniff_file(self.path)

    @property
    def tabular(self) -> bool:
        """Text or a workbook: a grid of cells whose header rows a layout reader interprets."""
        return self.kind.kind == "text" or self.kind.is_workbook

    def grid(self) -> Grid:
        if self._grid is None:
            self._grid = load_grid(self.path, self.kind, encoding=self.options.encoding, sheet=self.options.sheet)
        return self._grid


@dataclass
class Grid:
    """Every row of a text file or sheet as read: ``cells[i]`` is spreadsheet row ``i + 1``.

    Cells are as stored (not stripped); rows of a text file may differ in length (checked by
    :func:`build_table`). ``where`` names the file (and sheet) for error lines.
    """

    cells: list[list[str]]
    where: str
    source: str
    file_kind: str
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None

    def row(self, number: int) -> list[str]:
        """Spreadsheet row ``number`` (1-based), cells stripped; ``[]`` past the end."""
        if 1 <= number <= len(self.cells):
            return [c.strip() for c in self.cells[number - 1]]
        return []

    @property
    def text(self) -> bool:
        return self.file_kind == "text"


def load_grid(path: Path, kind: sniff.FileKind, *, encoding: str = "auto", sheet: str | int | None = None) -> Grid:
    """The cells of a text file (any delimiter and encoding, see :mod:`sniff`) or a workbook sheet."""
    if kind.is_workbook:
        sh = read_sheet(path, sheet, what="survey export")
        return Grid(cells=sh.rows, where=f"{path} (sheet {sh.name!r})", source=str(path), file_kind=kind.kind, sheet=sh.name)
    if kind.kind != "text":
        raise InputError(path, f"survey export is {kind.description}", found=kind.description, expected="delimited text or a workbook")
    if sheet is not None:
        raise InputError(
            path,
            "a sheet is named for a text file",
            key="survey.sheet",
            found=f"sheet {sheet!r}",
            expected="no survey.sheet for a CSV/TSV export (sheets exist only in workbooks)",
        )
    text, used = sniff.decode_text(path.read_bytes(), encoding, file=path, key="survey.encoding")
    delim = sniff.sniff_delimiter(text)
    cells = sniff.read_records(text, delim, file=path, what="survey export")
    return Grid(cells=cells, where=str(path), source=str(path), file_kind="text", encoding=used, delimiter=delim)


def is_blank(cells: Sequence[str]) -> bool:
    return not any(c.strip() for c in cells)


def check_header_row(grid: Grid, header_row: int) -> None:
    """The header row exists and is not blank; otherwise say where the first non-blank row is."""
    if not is_blank(grid.row(header_row)):
        return
    first = next((i + 1 for i, r in enumerate(grid.cells) if not is_blank(r)), None)
    if first is None:
        raise InputError(grid.where, "survey export holds no cells", found="only blank rows", expected="a header row and respondents")
    raise InputError(
        grid.where,
        f"the header row (row {header_row}) is blank",
        row=header_row,
        found=Stated(f"the first non-blank row is row {first}"),
        expected=f"survey.header_row: {first} if the headers start there",
    )


def unique_keys(grid: Grid, keys: Sequence[str], header_row: int) -> None:
    """No two keys alike, even ignoring case and punctuation (config names columns that way)."""
    check_unique_headers(grid.where, keys, row=header_row)


def build_table(
    grid: Grid,
    *,
    format: str,
    header_row: int,
    header_rows: int,
    columns: Sequence[SurveyColumn | None],
    notes: dict[str, int] | None = None,
) -> SurveyTable:
    """The respondents below the header rows of ``grid`` as a :class:`SurveyTable`.

    ``columns[j]`` describes grid column ``j``; ``None`` drops a column (a blank one).
    Every data row of a text file must be as wide as the first header row; a shorter
    workbook row is padded (a workbook has no ragged rows, only unused cells).
    """
    width = len(grid.cells[header_row - 1])
    if len(columns) != width:
        raise AssertionError("one column description per header cell")  # pragma: no cover
    notes = dict(notes or {})
    notes["header_rows"] = header_rows
    if header_row > 1:
        notes["rows_above_header"] = header_row - 1
    for r in range(header_row, header_row + header_rows - 1):  # the other header rows must fit the first
        if grid.text and len(grid.cells[r]) != width and not is_blank(grid.cells[r]):
            _ragged(grid, r + 1, len(grid.cells[r]), width, "header row")
    kept = [j for j, c in enumerate(columns) if c is not None]
    data: list[list[str]] = []
    rows: list[int] = []
    blank = 0
    for i in range(header_row - 1 + header_rows, len(grid.cells)):
        rec = grid.cells[i]
        if is_blank(rec):
            blank += 1
            continue
        if len(rec) != width:
            if grid.text or len(rec) > width:
                _ragged(grid, i + 1, len(rec), width, "row")
            rec = [*rec, *[""] * (width - len(rec))]
        data.append(rec)
        rows.append(i + 1)
    if not data:
        raise InputError(
            grid.where,
            "survey export has header rows but no respondents",
            found=Stated(f"0 data rows below row {header_row + header_rows - 1}"),
            expected="at least one respondent" + (" (check survey.header_row)" if header_row > 1 else ""),
        )
    if blank:
        notes["blank_rows"] = blank
    dropped = width - len(kept)
    if dropped:
        notes["blank_columns_dropped"] = dropped
    by_column = list(zip(*data, strict=True))
    frame = pd.DataFrame({columns[j].key: [c.strip() for c in by_column[j]] for j in kept}, dtype=str)
    return SurveyTable(
        frame=frame,
        columns={columns[j].key: columns[j] for j in kept},
        format=format,
        source=grid.source,
        file_kind=grid.file_kind,
        rows=rows,
        notes=notes,
        encoding=grid.encoding,
        delimiter=grid.delimiter,
        sheet=grid.sheet,
    )


def blank_column(grid: Grid, j: int, header_row: int) -> bool:
    """Column ``j`` has no header in any header row and no value below: it can be dropped."""
    return all(not (rec[j].strip() if j < len(rec) else "") for rec in grid.cells[header_row - 1 :])


def _ragged(grid: Grid, row: int, n: int, width: int, what: str) -> None:
    raise sniff.ragged_row(grid.where, row, n, width, grid.delimiter, what)


def apply_value_labels(table: SurveyTable, key: str, labels: dict[str, str]) -> None:
    """Replace codes in column ``key`` by the file's declared labels (codes without one stay)."""
    if labels:
        codes, uniques = pd.factorize(table.frame[key], sort=False)
        mapped = np.array([labels.get(u, u) for u in uniques], dtype=object)
        table.frame[key] = pd.Series(mapped[codes], index=table.frame.index, dtype=str)
