"""The one tidy shape every survey-export reader returns: :class:`SurveyTable` of :class:`SurveyColumn`.

Whatever tool wrote the file, the pipeline sees one row per respondent, every cell a
string (``""`` = blank), answers as the file's own labels where the file declares them, and
beside each column what the file says about it (question text, value labels, missing codes).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class SurveyColumn:
    """What the file says about one column.

    * ``key``: the column's unique key in :attr:`SurveyTable.frame`: the file's variable name
      (Qualtrics row 1, SPSS/Stata/REDCap variable) or its header (plain CSV/Excel,
      SurveyMonkey ``question – sub-question``).
    * ``text``: the question text the file carries (Qualtrics row 2, SPSS/Stata variable label,
      SurveyMonkey question and sub-question, REDCap field label, a plain CSV/Excel header,
      which is also its key), ``""`` if none.
    * ``value_labels``: code -> label declared by the file itself (SPSS/Stata value labels,
      REDCap choices from the data dictionary), codes in text form (``"1"``), ``{}`` if none.
      The reader has already applied them: cells hold the labels.
    * ``missing_codes``: user-missing codes the file declares (SPSS discrete missing values as
      ``"9"``, ranges as ``"lo..hi"``; Stata extended missing as ``".a"``); cells holding them
      were blanked by the reader and counted in :attr:`SurveyTable.notes`.
    """

    key: str
    text: str = ""
    value_labels: dict[str, str] = field(default_factory=dict)
    missing_codes: frozenset[str] = frozenset()


@dataclass
class SurveyTable:
    """A survey export read into one tidy table.

    * ``frame``: one row per respondent, one column per :attr:`columns` key, every cell a
      ``str``, ``""`` = blank; index 0..n-1.
    * ``format``: the registry name of the reader used (``qualtrics``, ``spss``, …).
    * ``source``: the path read. ``file_kind``: what the bytes are (``text``, ``xlsx``, ``sav``…,
      see :data:`sniff.KINDS`).
    * ``encoding``: the text encoding used (text files; the file's declared encoding for
      .sav/.dta), else ``None``. ``delimiter``: for text files. ``sheet``: for workbooks.
    * ``rows[i]``: the row number a person sees for ``frame`` row ``i``: the spreadsheet row
      (header rows counted) for text and workbooks, the case number (1-based) for .sav/.dta.
    * ``notes``: counts only, never values: header rows, rows above the header, blank rows,
      preview/test responses dropped, user-missing cells blanked, blank columns dropped…
    """

    frame: pd.DataFrame
    columns: dict[str, SurveyColumn]
    format: str
    source: str
    file_kind: str
    rows: list[int]
    notes: dict[str, int] = field(default_factory=dict)
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None

    @property
    def where(self) -> str:
        """The file as an error line names it: the path, and the sheet of a workbook."""
        return f"{self.source} (sheet {self.sheet!r})" if self.sheet is not None else self.source

    def row_of(self, position: int) -> int:
        """The row a person sees for ``frame`` row ``position`` (0-based)."""
        return self.rows[position]

    def select(self, keep) -> SurveyTable:
        """The table with only the rows where the boolean sequence ``keep`` is true."""
        mask = pd.Series(list(keep), index=self.frame.index, dtype=bool)
        return SurveyTable(
            frame=self.frame[mask].reset_index(drop=True),
            columns=self.columns,
            format=self.format,
            source=self.source,
            file_kind=self.file_kind,
            rows=[r for r, k in zip(self.rows, mask, strict=True) if k],
            notes=dict(self.notes),
            encoding=self.encoding,
            delimiter=self.delimiter,
            sheet=self.sheet,
        )


def first_duplicate(values: pd.Series, *, ignore: str | None = None) -> tuple[int, int] | None:
    """``(position, earlier)``: the first value that repeats an earlier one, and where that one
    is (0-based positions); None when every value differs. Values equal to ``ignore`` (a
    blank, say) never count."""
    dup = values.duplicated(keep="first")
    if ignore is not None:
        dup &= values.ne(ignore)
    if not dup.any():
        return None
    pos = int(np.flatnonzero(dup.to_numpy())[0])
    return pos, int(np.flatnonzero((values == values.iloc[pos]).to_numpy())[0])
