"""Reading the raw exports other tools wrote: strict, but forgiving where it is safe.

* :func:`read_text_input`: UTF-8 text (BOM dropped); binary files, spreadsheets, UTF-16 and
  Latin-1 are refused with one line saying how to fix them.
* :func:`read_csv_input`: an exported CSV as strings, columns matched by header (the
  roster, flip-chart notes, facilitators, published figures; the survey export has its own
  readers in :mod:`survey_formats`). Delimiters and records come from :mod:`sniff`, as for
  every other delimited file the pipeline reads.
* :func:`normalise_header`: the case-, space- and punctuation-insensitive key by which
  headers and answers are matched; :func:`check_unique_headers` refuses two headers alike.
* :func:`parse_number`: the strict number parser.

Files the pipeline wrote itself are read through :mod:`contracts`, never through here.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import sniff
from errors import InputError
from sniff import sniff_delimiter

#: ``sniff_delimiter`` is :func:`sniff.sniff_delimiter`, named here for the readers that take
#: their delimited-text functions from this module (the QDA tables).
__all__ = [
    "check_unique_headers",
    "normalise_header",
    "parse_number",
    "read_csv_input",
    "read_text_input",
    "show_headers",
    "sniff_delimiter",
]

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd


def normalise_header(text: str) -> str:
    """Headers are matched case-, space- and punctuation-insensitively."""
    return re.sub(r"[^0-9a-z]+", " ", str(text).casefold()).strip()


def parse_number(text: str, *, decimal: str = ".", thousands: str | None = None) -> float | None:
    """The number ``text`` writes, or None when it is not plainly a number.

    Accepted: an optional sign, ASCII digits, optionally ``decimal`` and more digits
    (``"5"``, ``"-2"``, ``"2.50"``, ``".5"``), surrounding spaces ignored. With
    ``thousands`` declared, digit groups of three separated by it (``"1,234"``). Refused:
    underscores (``"4_5"``, which Python's ``float`` reads as 45), exponents (``"1e3"``),
    ``nan``/``inf``, undeclared thousands separators, spaces inside, non-ASCII digits (which
    ``float`` accepts), a trailing decimal point, anything else. Every decision the pipeline
    takes on a raw number (an age band, a response code) reads it with this function.
    """
    if not isinstance(text, str):
        raise TypeError("parse_number takes text")
    t = text.strip()
    if thousands is not None and thousands == decimal:
        raise ValueError("the decimal and thousands separators must differ")
    d = re.escape(decimal)
    whole = r"[0-9]+"
    if thousands is not None:
        whole = rf"(?:[0-9]{{1,3}}(?:{re.escape(thousands)}[0-9]{{3}})+|[0-9]+)"
    if not re.fullmatch(rf"[+-]?(?:{whole}(?:{d}[0-9]+)?|{d}[0-9]+)", t):
        return None
    if thousands is not None:
        t = t.replace(thousands, "")
    return float(t.replace(decimal, "."))


def read_text_input(
    path: str | os.PathLike, *, what: str = "file", csv_rows: bool = False, encoding: str = "utf-8", key: str | None = None
) -> str:
    """Read a UTF-8 text file (a BOM is accepted and dropped; other encodings are refused).

    Refused, each with one line saying how to fix it: a missing, empty or binary file, a
    spreadsheet saved as .xlsx (a zip archive), UTF-16 text ("Unicode text") and text in
    Latin-1 or Windows-1252, which would silently mangle names and labels.

    The row of a bad byte is its line, or with ``csv_rows`` its CSV record (the header is
    row 1; a quoted cell may span lines; a blank line is a row), as a spreadsheet shows it.

    Line endings are returned as they are in the file: callers that count characters
    must decide how CRLF counts.

    ``encoding`` other than ``utf-8`` (``auto`` or a codec name, set by config key ``key``)
    decodes as :func:`sniff.decode_text` does for survey exports: UTF-8, UTF-16 and a
    single-byte encoding only where it can be told for sure.
    """
    p = Path(path)
    if not p.exists():
        raise InputError(p, f"{what} not found", found="no file at this path", expected="an existing file (check the path in config.yaml)")
    if p.is_dir():
        raise InputError(p, f"{what} is a folder", found="a folder", expected="a file")
    data = p.read_bytes()
    if not data.strip():
        raise InputError(
            p, f"{what} is empty", found=f"{len(data)} bytes" + (", all whitespace" if data else ""), expected="a file with content"
        )
    resave = "UTF-8 (re-save or re-export the file as UTF-8; in a spreadsheet, 'CSV UTF-8')"
    if data.startswith(b"PK\x03\x04"):
        raise InputError(
            p, f"{what} is a zip archive (an Excel .xlsx workbook?), not text", found="a zip archive", expected=f"a text file in {resave}"
        )
    if encoding != "utf-8":
        return sniff.decode_text(data, encoding, file=p, key=key)[0]
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(p, f"{what} is UTF-16 text", row=1, found=f"byte-order mark 0x{data[:2].hex().upper()}", expected=resave)
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]

    def row_at(offset: int) -> int:
        before = data[:offset]
        if not csv_rows:
            return before.count(b"\n") + 1
        with sniff.large_fields():  # the record holding the bad byte may be a long one
            return sum(1 for _ in csv.reader(io.StringIO(before.decode("utf-8", errors="replace") + "\x01", newline="")))

    if b"\x00" in data:
        nul = data.index(b"\x00")
        raise InputError(
            p,
            f"{what} holds NUL bytes: it is UTF-16 text or not a text file",
            row=row_at(nul),
            found="byte 0x00",
            expected=f"a text file in {resave}",
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            p,
            "text is not valid UTF-8 (Latin-1 and Windows-1252 are refused so that names and labels cannot be silently mangled)",
            row=row_at(exc.start),
            found=f"byte 0x{data[exc.start]:02X}",
            expected=resave,
        ) from None


def check_unique_headers(where: str | os.PathLike, headers: Sequence[str], *, row: int | None = 1) -> None:
    """No two headers alike, even ignoring case and punctuation (the config names columns
    that way, so which one is meant could not be told); a header of punctuation only is
    compared as it is."""
    seen: dict[str, str] = {}
    for h in headers:
        key = normalise_header(h) or h
        if key in seen:
            raise InputError(
                where,
                "two columns have the same header",
                row=row,
                column=h,
                found=[seen[key], h],
                expected="unique column headers (ignoring case and punctuation)",
            )
        seen[key] = h


def show_headers(headers: Sequence[str], limit: int = 8) -> str:
    """The first ``limit`` headers of a file, shortened, for an error line (headers are not data)."""
    shown = ", ".join(repr(h if len(h) <= 40 else h[:39] + "…") for h in headers[:limit])
    return f"columns {shown}" + (f" (+{len(headers) - limit} more)" if len(headers) > limit else "")


class RowNumbers(tuple):
    """Spreadsheet row numbers carried in ``DataFrame.attrs``. pandas deep-copies ``attrs``
    on every operation; being immutable, this copies as itself (a list of 100,000 row
    numbers cost about 8 s of copying per roster read)."""

    def __deepcopy__(self, memo):
        return self


def read_csv_input(
    path: str | os.PathLike,
    *,
    what: str,
    required: Sequence[str] = (),
    optional: Sequence[str] = (),
    identifying: Sequence[str] = (),
    encoding: str = "utf-8",
    key: str | None = None,
) -> pd.DataFrame:
    """Read an exported CSV as strings, matching columns by header, not by position.

    * ``required`` and ``optional`` are canonical column names; a header in the file that
      normalises (case, spaces, punctuation) to the same text is renamed to the canonical
      name. A missing required column stops the run, and so do two columns whose headers
      are the same (ignoring case and punctuation): which one is meant cannot be told.
    * Comma, semicolon, tab and pipe delimiters are accepted (sniffed from the header,
      :func:`sniff.sniff_delimiter`); UTF-8 (with or without BOM) only
      (:func:`read_text_input`, or ``encoding`` as it says). Records are read by :func:`sniff.read_records`: a quoted
      cell may span lines and hold any amount of text. Every row must have as many fields
      as the header.
    * Every cell is a string, stripped; blanks stay ``""`` (no value is guessed to be missing).
      Blank lines are skipped. A blank header becomes ``Unnamed: <position>``.
    * ``identifying`` columns are never quoted in error messages.

    The returned frame carries ``attrs["source"]`` (the path), ``attrs["delimiter"]`` and
    ``attrs["rows"]``: the spreadsheet row of each data row (the header is row 1; a blank
    line is a row, as a spreadsheet shows it, so after one row ``i`` is no longer ``i + 2``).
    """
    import pandas as pd

    p = Path(path)
    text = read_text_input(p, what=what, csv_rows=True, encoding=encoding, key=key)
    delim = sniff.sniff_delimiter(text)
    numbered = [(i + 1, rec) for i, rec in enumerate(sniff.read_records(text, delim, file=p, what=what)) if not _blank(rec)]
    if not numbered:
        raise InputError(p, f"{what} has no header row", found="no header", expected="a header row")
    header_row, header = numbered[0]
    raw_headers = [h.strip() or f"Unnamed: {i}" for i, h in enumerate(header)]
    width = len(raw_headers)
    for row, rec in numbered[1:]:
        if len(rec) != width:
            raise sniff.ragged_row(p, row, len(rec), width, delim)
    check_unique_headers(p, raw_headers, row=header_row)
    canon = {normalise_header(c): c for c in (*required, *optional)}
    headers = [canon.get(normalise_header(h), h) for h in raw_headers]
    missing = [c for c in required if c not in headers]
    if missing:
        raise InputError(
            p,
            f"required column missing from {what}",
            column=missing[0],
            found=show_headers(raw_headers),
            expected=f"a column headed {missing[0]!r} (matched ignoring case and punctuation)",
        )
    if len(numbered) == 1:
        raise InputError(p, f"{what} has a header but no data rows", found="0 data rows", expected="at least one data row")
    df = pd.DataFrame([[cell.strip() for cell in rec] for _, rec in numbered[1:]], columns=headers, dtype=str)
    df.attrs["source"] = str(p)
    df.attrs["delimiter"] = delim
    df.attrs["rows"] = RowNumbers(row for row, _ in numbered[1:])
    df.attrs["identifying"] = list(identifying)
    return df


def _blank(record: Sequence[str]) -> bool:
    return not any(cell.strip() for cell in record)
