"""Format ``stata``: a Stata .dta file (any release pyreadstat reads, 104-119), read like SPSS.

Variable labels become ``text`` (Stata truncates them at 80 characters: the mapping step
accepts truncated wording), value labels become ``value_labels`` and are applied, extended
missing values (``.a``-``.z``) become blank and are counted. See :mod:`survey_formats.spss`.
"""

from __future__ import annotations

from survey_formats.grid import Options, Source
from survey_formats.spss import read_labelled
from survey_formats.table import SurveyTable

NAME = "stata"
KINDS = frozenset({"dta"})


def detect(source: Source) -> bool:
    return source.kind.kind in KINDS


def read(source: Source, options: Options) -> SurveyTable:
    import pyreadstat

    return read_labelled(source, options, reader=pyreadstat.read_dta, format=NAME)
