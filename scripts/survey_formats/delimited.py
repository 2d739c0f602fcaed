"""Format ``csv``: delimited text with one header row (CSV, TSV, semicolon or pipe separated).

Any of comma, semicolon, tab or pipe (sniffed from the first record); UTF-8 with or without
BOM, UTF-16/32 with BOM (Excel's "Unicode text" is UTF-16 LE, tab-separated), Windows-1252
and what charset-normalizer can tell for sure, or the encoding named (see :mod:`sniff`).
"""

from __future__ import annotations

from survey_formats.grid import Options, Source
from survey_formats.plain import read_plain
from survey_formats.table import SurveyTable

NAME = "csv"
KINDS = frozenset({"text"})


def detect(source: Source) -> bool:
    """Any text file: this is the last resort among the text layouts."""
    return source.kind.kind == "text"


def read(source: Source, options: Options) -> SurveyTable:
    return read_plain(source.grid(), options, NAME)
