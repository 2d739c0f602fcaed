"""Spreadsheets (Excel .xlsx/.xlsb/.xls, OpenDocument .ods) read as text, exactly and the same way every time.

python-calamine reads the workbook (the format is told from the bytes, not the file name);
this module picks the sheet and turns every cell into text by one documented rule
(:func:`cell_text`), because answers, ages and codes are compared as text later and a
workbook stores the same answer as ``5``, ``5.0`` or a date depending on who typed it:

=========================  ==========================================================
cell holds                 text
=========================  ==========================================================
nothing                    ``""``
text                       the text as stored (not stripped)
a whole number             digits, no decimal point (``5.0`` -> ``"5"``, ``-3.0`` -> ``"-3"``)
another number             Python's shortest round-trip form (``1.1`` -> ``"1.1"``)
TRUE / FALSE               ``"TRUE"`` / ``"FALSE"`` (as Excel shows them)
a date                     ISO 8601 ``YYYY-MM-DD``
a date and time            ISO 8601 ``YYYY-MM-DDTHH:MM:SS`` (``.ffffff`` only if not whole seconds)
a time of day              ``HH:MM:SS`` (``.ffffff`` likewise)
a duration                 ``[-]H:MM:SS`` with hours counted past 24 (Excel's ``[h]:mm:ss``)
=========================  ==========================================================

Sheets are chosen by name or by position counting from 1 (the first sheet is 1); by
default the first visible worksheet. A wrong name or position stops the run with one line
listing the sheet names. Row ``i`` (0-based) of :attr:`Sheet.rows` is spreadsheet row
``i + 1``: rows above the used area are kept, blank, so row numbers match Excel's.

Used for survey exports and for the QDA tools' spreadsheet exports alike.
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
import os
from dataclasses import dataclass
from pathlib import Path

from errors import InputError, Stated, one_of

#: Whole floats beyond this are written in float notation: their digits are not exact.
_EXACT_INT = 2**53


@dataclass(frozen=True)
class Sheet:
    """One worksheet as text: ``rows[i][j]`` is the cell at spreadsheet row ``i + 1``, column ``j + 1``."""

    name: str
    rows: list[list[str]]
    sheet_names: list[str]


def cell_text(value: object) -> str:
    """The text form of one cell value (from python-calamine, pyreadstat or pandas); see the module docstring."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        x = float(value)
        if math.isnan(x):
            return ""
        if math.isinf(x):
            return "inf" if x > 0 else "-inf"
        if x.is_integer() and abs(x) < _EXACT_INT:
            return str(int(x))
        return repr(x)
    if isinstance(value, dt.datetime):
        if value != value:  # pandas NaT
            return ""
        return value.replace(tzinfo=None).isoformat(timespec="microseconds" if value.microsecond else "seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.isoformat(timespec="microseconds" if value.microsecond else "seconds")
    if isinstance(value, dt.timedelta):
        sign = "-" if value < dt.timedelta(0) else ""
        total = abs(value)
        hours, rest = divmod(total.days * 86400 + total.seconds, 3600)
        minutes, seconds = divmod(rest, 60)
        frac = f".{total.microseconds:06d}" if total.microseconds else ""
        return f"{sign}{hours}:{minutes:02d}:{seconds:02d}{frac}"
    if str(value) == "NaT":
        return ""
    raise TypeError(f"no text form for a cell of type {type(value).__name__}")


def _password_protected(path: Path) -> bool:
    """Whether calamine, opening the file by its path, finds a password. A legacy .xls
    encrypted with a password (a FILEPASS record) is reported so only when opened by path;
    read from a file object it is "cannot detect file format"."""
    from python_calamine import CalamineWorkbook, PasswordError

    try:
        CalamineWorkbook.from_path(str(path)).close()
    except PasswordError:
        return True
    except Exception:  # any other failure is the caller's, reported already
        return False
    return False


def _open(path: Path, what: str):
    from python_calamine import CalamineError, CalamineWorkbook, PasswordError

    try:
        with open(path, "rb") as fh:
            return CalamineWorkbook.from_filelike(fh)
    except (CalamineError, OSError, ValueError) as exc:
        if isinstance(exc, PasswordError) or (isinstance(exc, CalamineError) and _password_protected(path)):
            raise InputError(
                path,
                f"{what} is a password-protected workbook",
                found=Stated("python-calamine: PasswordError"),
                expected="the workbook saved again without a password",
            ) from None
        raise InputError(
            path,
            f"{what} cannot be read as a spreadsheet",
            found=Stated(f"python-calamine: {type(exc).__name__}"),
            expected="an .xlsx, .xlsb, .xls or .ods workbook that opens in Excel without a password "
            "(save a password-protected workbook again without one)",
        ) from None


def sheet_names(path: str | os.PathLike, *, what: str = "workbook") -> list[str]:
    """The names of the workbook's sheets, in workbook order."""
    wb = _open(Path(path), what)
    try:
        return list(wb.sheet_names)
    finally:
        wb.close()


def read_sheet(path: str | os.PathLike, sheet: str | int | None = None, *, what: str = "workbook") -> Sheet:
    """One sheet of the workbook at ``path`` as text (:class:`Sheet`).

    ``sheet``: a sheet name (exact, or ignoring case when that is unambiguous), a position
    counting from 1, or ``None`` for the first visible worksheet.
    """
    from python_calamine import SheetTypeEnum, SheetVisibleEnum

    p = Path(path)
    wb = _open(p, what)
    try:
        names = list(wb.sheet_names)
        shown = one_of(names, raw=True)  # sheet names are the file's own: a log file gets their count
        if sheet is None:
            visible = [m.name for m in wb.sheets_metadata if m.visible == SheetVisibleEnum.Visible and m.typ == SheetTypeEnum.WorkSheet]
            if not visible:
                raise InputError(
                    p, f"{what} has no visible worksheet", found=Stated(f"{len(names)} sheets, none a visible worksheet"), expected=shown
                )
            name = visible[0]
        elif isinstance(sheet, int) and not isinstance(sheet, bool):
            if not 1 <= sheet <= len(names):
                raise InputError(
                    p,
                    f"{what} has no sheet number {sheet}",
                    found=Stated(f"{len(names)} sheets"),
                    expected=f"a number from 1 to {len(names)}",
                )
            name = names[sheet - 1]
        else:
            wanted = str(sheet)
            folded = [n for n in names if n.casefold() == wanted.casefold()]
            if wanted in names:
                name = wanted
            elif len(folded) == 1:
                name = folded[0]
            else:
                raise InputError(p, f"{what} has no sheet named {wanted!r}", found=Stated(f"{len(names)} sheets"), expected=shown)
        raw = wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
    finally:
        wb.close()
    return Sheet(name=name, rows=[[cell_text(v) for v in row] for row in raw], sheet_names=names)
