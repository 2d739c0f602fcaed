"""Reading the raw exports other tools wrote: strict, but forgiving where it is safe.

* :func:`read_text_input`: UTF-8 text (BOM dropped); binary files, spreadsheets, UTF-16 and
  Latin-1 are refused with one line saying how to fix them.
* :func:`read_csv_input`: an exported CSV as strings, columns matched by header.
* :func:`normalise_header`: the case-, space- and punctuation-insensitive key by which
  headers and answers are matched.

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

from errors import InputError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd


def normalise_header(text: str) -> str:
    """Headers are matched case-, space- and punctuation-insensitively."""
    return re.sub(r"[^0-9a-z]+", " ", str(text).casefold()).strip()


def read_text_input(path: str | os.PathLike, *, what: str = "file", csv_rows: bool = False) -> str:
    """Read a UTF-8 text file (a BOM is accepted and dropped; other encodings are refused).

    Refused, each with one line saying how to fix it: a missing, empty or binary file, a
    spreadsheet saved as .xlsx (a zip archive), UTF-16 text ("Unicode text") and text in
    Latin-1 or Windows-1252, which would silently mangle names and labels.

    The row of a bad byte is its line, or with ``csv_rows`` its CSV record (the header is
    row 1; a quoted cell may span lines, blank lines are not rows), as a spreadsheet shows it.

    Line endings are returned as they are in the file: callers that count characters
    must decide how CRLF counts.
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
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(p, f"{what} is UTF-16 text", row=1, found=f"byte-order mark 0x{data[:2].hex().upper()}", expected=resave)
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]

    def row_at(offset: int) -> int:
        before = data[:offset]
        if not csv_rows:
            return before.count(b"\n") + 1
        records = csv.reader(io.StringIO(before.decode("utf-8", errors="replace") + "\x01", newline=""))
        return sum(1 for rec in records if rec and not (len(rec) == 1 and not rec[0].strip()))

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


DELIMITERS = (",", ";", "\t")


def sniff_delimiter(header: str) -> str:
    """Comma, semicolon (European spreadsheet exports) or tab: whichever splits the first
    record of ``header`` (a header line, or the whole text) into most fields, quotes
    respected; comma when none splits it."""

    head = header[: 1 << 16]  # the first record is all that matters: don't copy a large file

    def fields(delim: str) -> int:
        try:
            return len(next(csv.reader(io.StringIO(head, newline=""), delimiter=delim), []))
        except csv.Error:
            return 0

    counts = {d: fields(d) for d in DELIMITERS}
    best = max(counts, key=lambda d: (counts[d], d == ","))
    return best if counts[best] > 1 else ","


def _csv_records(p: Path, text: str, delim: str, what: str) -> list[list[str]]:
    """The records of CSV text, header first; blank lines are skipped. Malformed quoting
    stops the run (with the spreadsheet row it starts in)."""
    try:  # fast path: the whole file in one comprehension
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim, strict=True)
        return [rec for rec in reader if rec and (len(rec) > 1 or rec[0].strip())]
    except csv.Error:
        pass
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim, strict=True)
    records: list[list[str]] = []
    try:
        for rec in reader:
            if rec and not (len(rec) == 1 and not rec[0].strip()):
                records.append(rec)
    except csv.Error as exc:
        reason = str(exc)
        raise InputError(
            p,
            f"{what} is not well-formed CSV",
            row=len(records) + 1,
            found="a quote that is never closed" if "end of data" in reason else reason,
            expected='cells holding the delimiter, a quote or a line break enclosed in double quotes, quotes inside them doubled ("")',
        ) from None
    raise AssertionError("csv.Error on the fast path but not on the slow one")  # pragma: no cover


def _show_headers(headers: Sequence[str], limit: int = 8) -> str:
    shown = ", ".join(repr(h if len(h) <= 40 else h[:39] + "…") for h in headers[:limit])
    return f"columns {shown}" + (f" (+{len(headers) - limit} more)" if len(headers) > limit else "")


def read_csv_input(
    path: str | os.PathLike,
    *,
    what: str,
    required: Sequence[str] = (),
    optional: Sequence[str] = (),
    identifying: Sequence[str] = (),
) -> pd.DataFrame:
    """Read an exported CSV as strings, matching columns by header, not by position.

    * ``required`` and ``optional`` are canonical column names; a header in the file that
      normalises (case, spaces, punctuation) to the same text is renamed to the canonical
      name. A missing required column stops the run, and so do two columns whose headers
      are the same (ignoring case and punctuation): which one is meant cannot be told.
    * Comma, semicolon and tab delimiters are accepted (sniffed from the header); UTF-8
      (with or without BOM) only. Every row must have as many fields as the header.
    * Every cell is a string, stripped; blanks stay ``""`` (no value is guessed to be missing).
      Blank lines are skipped. A blank header becomes ``Unnamed: <position>``.
    * ``identifying`` columns are never quoted in error messages.

    The returned frame carries ``attrs["source"]`` (the path) and ``attrs["delimiter"]``;
    row ``i`` of it (0-based) is spreadsheet row ``i + 2`` (the header is row 1).
    """
    import pandas as pd

    p = Path(path)
    text = read_text_input(p, what=what, csv_rows=True)
    delim = sniff_delimiter(text)
    records = _csv_records(p, text, delim, what)
    if not records:
        raise InputError(p, f"{what} has no header row", found="no header", expected="a header row")
    raw_headers = [h.strip() or f"Unnamed: {i}" for i, h in enumerate(records[0])]
    width = len(raw_headers)
    for i, rec in enumerate(records[1:]):
        if len(rec) != width:
            raise InputError(
                p,
                f"row has {'more' if len(rec) > width else 'fewer'} fields than the header",
                row=i + 2,
                found=f"{len(rec)} fields",
                expected=f"{width} fields, as in the header (a cell holding the delimiter {delim!r} must be in double quotes)",
            )

    seen: dict[str, str] = {}
    for h in raw_headers:
        key = normalise_header(h) or h  # a header of punctuation only is compared as it is
        if key in seen:
            raise InputError(
                p,
                "two columns have the same header",
                column=h,
                found=[seen[key], h],
                expected="unique column headers (ignoring case and punctuation)",
            )
        seen.setdefault(key, h)
    canon = {normalise_header(c): c for c in (*required, *optional)}
    headers = [canon.get(normalise_header(h), h) for h in raw_headers]
    missing = [c for c in required if c not in headers]
    if missing:
        raise InputError(
            p,
            f"required column missing from {what}",
            column=missing[0],
            found=_show_headers(raw_headers),
            expected=f"a column headed {missing[0]!r} (matched ignoring case and punctuation)",
        )
    if len(records) == 1:
        raise InputError(p, f"{what} has a header but no data rows", found="0 data rows", expected="at least one data row")
    df = pd.DataFrame([[cell.strip() for cell in rec] for rec in records[1:]], columns=headers, dtype=str)
    df.attrs["source"] = str(p)
    df.attrs["delimiter"] = delim
    df.attrs["identifying"] = list(identifying)
    return df
