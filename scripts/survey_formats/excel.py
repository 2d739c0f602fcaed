"""Format ``excel``: a workbook sheet with one header row (.xlsx, .xlsb, .xls, .ods).

Microsoft Forms and JISC Online Surveys download .xlsx; paper forms are keyed into Excel.
The sheet is chosen by ``sheet`` (name, or position counting from 1; default the first
visible worksheet) and the header row by ``header_row``. Cells become text by
:func:`workbook.cell_text` (whole numbers without ``.0``, dates in ISO 8601).
"""

from __future__ import annotations

from survey_formats.grid import Options, Source
from survey_formats.plain import read_plain
from survey_formats.table import SurveyTable

NAME = "excel"
KINDS = frozenset({"xlsx", "xlsb", "xls", "ods"})


def detect(source: Source) -> bool:
    """Any workbook: this is the last resort among the workbook layouts."""
    return source.kind.is_workbook


def read(source: Source, options: Options) -> SurveyTable:
    return read_plain(source.grid(), options, NAME)
