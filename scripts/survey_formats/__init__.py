"""Survey exports as researchers hold them, read into one tidy :class:`SurveyTable`.

The registry :data:`REGISTRY` names each format and the module that reads it; every module
has ``NAME``, ``KINDS`` (the file kinds it reads, see :data:`sniff.KINDS`), ``detect(source)``
(by content: magic bytes, zip members, header rows; never by the file name) and
``read(source, options)``. :data:`FORMATS` lists the names in order of detection precedence
and is the enum of the config key ``survey.format`` (with ``auto``):

=================  ===========================================================================
``spss``           SPSS .sav/.zsav (also Qualtrics' SPSS export): value labels applied
``stata``          Stata .dta: value labels applied
``qualtrics``      Qualtrics CSV/TSV/Excel: three header rows (or the legacy two)
``surveymonkey``   SurveyMonkey expanded CSV/XLSX: two header rows
``redcap``         REDCap raw export (+ data dictionary) or labels export
``excel``          any other workbook (.xlsx, .xlsb, .xls, .ods): one header row
``csv``            any other delimited text: one header row
=================  ===========================================================================

:func:`read_survey_export` dispatches; :mod:`survey_formats.mapping` then finds the items
and maps answers to the instrument's labels; :func:`describe_export` summarises a file for
``make inspect`` without a value that could identify anyone.
"""

from __future__ import annotations

import os

from errors import InputError, one_of
from sniff import check_file
from survey_formats import delimited, excel, qualtrics, redcap, spss, stata, surveymonkey
from survey_formats.grid import Options, Source
from survey_formats.table import SurveyColumn, SurveyTable

#: Format name -> reader module, in order of detection precedence.
REGISTRY = {m.NAME: m for m in (spss, stata, qualtrics, surveymonkey, redcap, excel, delimited)}
#: The formats, in order of detection precedence (the ``survey.format`` enum, with "auto").
FORMATS: tuple[str, ...] = tuple(REGISTRY)

__all__ = ["FORMATS", "REGISTRY", "SurveyColumn", "SurveyTable", "describe_export", "detect_format", "read_survey_export"]

_SUPPORTED = "a survey export: delimited text (CSV/TSV), a workbook (.xlsx, .xls, .ods), SPSS .sav/.zsav or Stata .dta"
_REFUSED = {
    "qdpx": "a QDA project, not a survey export",
    "qde": "a QDA project file, not a survey export",
    "spreadsheetml": "an Excel 2003 XML spreadsheet (open it in Excel or LibreOffice and save it as .xlsx)",
    "xml": "an XML document, not a survey export (export the responses as CSV, Excel or SPSS)",
    "docx": "a Word document, not a survey export",
    "pdf": "a PDF document, not a survey export (export the responses as data, not as a report)",
    "encrypted": "a password-protected Office file (save it again without a password)",
    "ole": "an OLE2 file that is not an Excel workbook (a Word .doc?)",
    "zip": "a zip archive that is neither a workbook nor a known export (unzip it and name the file inside)",
    "por": "an SPSS portable file (.por): save it from SPSS as .sav",
    "sas7bdat": "a SAS data file: export it as .sav, .dta or CSV",
    "binary": "a binary file of unknown kind",
}


def _options(format: str, encoding: str, sheet, header_row: int, dictionary) -> Options:
    if format != "auto" and format not in REGISTRY:
        raise InputError("config.yaml", "unknown survey format", key="survey.format", found=format, expected=one_of(("auto", *FORMATS)))
    if isinstance(header_row, bool) or not isinstance(header_row, int) or header_row < 1:
        raise InputError(
            "config.yaml",
            "survey.header_row is not a row number",
            key="survey.header_row",
            found=header_row,
            expected="a whole number from 1",
        )
    return Options(format=format, encoding=encoding or "auto", sheet=sheet, header_row=header_row, dictionary=dictionary)


def detect_format(path: str | os.PathLike, *, encoding: str = "auto", sheet: str | int | None = None, header_row: int = 1) -> str:
    """The registry name of the format the file at ``path`` is in, told from its content."""
    source = _source(path, _options("auto", encoding, sheet, header_row, None))
    return _detect(source)


def _source(path, options: Options) -> Source:
    p = check_file(path, "survey export")
    source = Source(path=p, options=options)
    kind = source.kind
    if kind.kind in _REFUSED:
        raise InputError(p, f"the file is {_REFUSED[kind.kind]}", found=kind.description, expected=_SUPPORTED)
    return source


def _detect(source: Source) -> str:
    for name, module in REGISTRY.items():
        if module.detect(source):
            return name
    raise InputError(
        source.path, "the kind of survey export cannot be told", found=source.kind.description, expected=_SUPPORTED
    )  # pragma: no cover


def read_survey_export(
    path: str | os.PathLike,
    *,
    format: str = "auto",
    encoding: str = "auto",
    sheet: str | int | None = None,
    header_row: int = 1,
    dictionary: str | os.PathLike | None = None,
) -> SurveyTable:
    """Read a survey export into a :class:`SurveyTable`.

    * ``format``: ``auto`` (told from the content, in :data:`FORMATS` order) or a name of
      :data:`FORMATS`; a named format that cannot read this kind of file stops the run.
    * ``encoding``: text encoding of a CSV/TSV (``auto``: BOM, strict UTF-8, then
      charset-normalizer where unambiguous; see :func:`sniff.decode_text`), or of the strings
      in an old .sav/.dta.
    * ``sheet``: workbook sheet, by name or position counting from 1; default the first
      visible worksheet. ``header_row``: the (first) header row, counting from 1.
    * ``dictionary``: the REDCap data dictionary CSV for a raw REDCap export.
    """
    options = _options(format, encoding, sheet, header_row, dictionary)
    source = _source(path, options)
    name = _detect(source) if format == "auto" else format
    module = REGISTRY[name]
    if source.kind.kind not in module.KINDS:
        raise InputError(
            source.path,
            f"survey.format is {name}, but the file is {source.kind.description}",
            key="survey.format",
            found=source.kind.description,
            expected=f"survey.format: auto (or {_detect(source)})",
        )
    if dictionary is not None and name != "redcap":
        raise InputError(
            source.path,
            f"a data dictionary is given, but the export is not a REDCap export (it reads as {name})",
            key="inputs.survey_dictionary",
            found=f"an export in format {name}",
            expected="a data dictionary only with a REDCap raw export (headers the project's variable names, with <form>_complete)",
        )
    return module.read(source, options)


def describe_export(path: str | os.PathLike, **options) -> dict:
    """A summary of a survey export for ``make inspect``; see :mod:`survey_formats.describe`."""
    from survey_formats.describe import describe

    return describe(read_survey_export(path, **options))
