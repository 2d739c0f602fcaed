"""What a raw input file is, told from its bytes, and its text read exactly.

Researchers hand over files under any name: an ``.xlsx`` saved as ``.csv``, an SPSS file
called ``data.dat``, a QDA project zipped as ``.xlsx``. Readers therefore decide by content,
never by extension:

* :func:`sniff_file` looks at magic bytes and zip members and says what the file is
  (:class:`FileKind`): an Excel workbook (``xlsx``, ``xlsb``, legacy ``xls``), an OpenDocument
  spreadsheet, a REFI-QDA project, another zip, a password-protected Office file, an SPSS
  ``.sav``/``.zsav``, a Stata ``.dta``, a PDF, text or some other binary file.
* :func:`decode_text` turns the bytes of a text file into text and says which encoding it
  used: a byte-order mark first (UTF-8, UTF-16 LE/BE, UTF-32), then strict UTF-8, then
  ``charset-normalizer``, or the encoding the caller names. The library's pick is taken only
  when it cannot mangle the text: charset-normalizer reads Windows-1252 "Crème" as
  Windows-1250 "Crčme" (measured, version 3.5), so when its pick and Windows-1252 decode the
  file differently the file is refused with the first row where they differ, and the user
  names the encoding.
* :func:`sniff_delimiter` and :func:`read_records` read delimited text (comma, semicolon,
  tab or pipe) into records with their spreadsheet row numbers; broken quoting stops the
  run with the row it starts in. Cells of any size are accepted (Python's ``csv`` module
  refuses cells over 128 KB unless told otherwise).

Nothing here is specific to surveys: the QDA-export readers use the same functions.
Errors are :class:`InputError` lines that describe bytes and rows, never quote content.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from errors import InputError, Stated

#: How much of a file is looked at to tell its kind (whole zip directories are read).
HEAD_BYTES = 1 << 16

_BOMS = (  # longest first: the UTF-32 LE mark begins with the UTF-16 LE one
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_OLE_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
_REENCODE = "re-save the file as UTF-8 (in Excel: 'CSV UTF-8'), or name its encoding"


@dataclass(frozen=True)
class FileKind:
    """What a file is. ``kind`` is a short id; ``description`` says it for people."""

    kind: str
    description: str

    @property
    def is_workbook(self) -> bool:
        """A spreadsheet python-calamine reads (xlsx, xlsb, xls, ods)."""
        return self.kind in {"xlsx", "xlsb", "xls", "ods"}


KINDS = {
    "xlsx": "an Excel workbook (.xlsx)",
    "xlsb": "an Excel binary workbook (.xlsb)",
    "xls": "a legacy Excel workbook (.xls)",
    "ods": "an OpenDocument spreadsheet (.ods)",
    "qdpx": "a QDA project (REFI-QDA .qdpx: a zip holding project.qde)",
    "docx": "a Word document (.docx)",
    "zip": "a zip archive",
    "encrypted": "a password-protected (encrypted) Office file",
    "ole": "an OLE2 compound file (a Word .doc or other Office file)",
    "sav": "an SPSS data file (.sav)",
    "zsav": "a compressed SPSS data file (.zsav)",
    "por": "an SPSS portable file (.por)",
    "dta": "a Stata data file (.dta)",
    "sas7bdat": "a SAS data file (.sas7bdat)",
    "pdf": "a PDF document",
    "qde": "a REFI-QDA project file (project.qde: XML) on its own",
    "spreadsheetml": "an Excel 2003 XML spreadsheet",
    "xml": "an XML document",
    "text": "a text file",
    "binary": "a binary file of unknown kind",
    "empty": "an empty file",
}


def _kind(kind: str) -> FileKind:
    return FileKind(kind, KINDS[kind])


def check_file(path: str | os.PathLike, what: str = "file") -> Path:
    """The path, if it names an existing, non-empty file; else one clear error."""
    p = Path(path)
    if not p.exists():
        raise InputError(p, f"{what} not found", found="no file at this path", expected="an existing file (check the path in config.yaml)")
    if p.is_dir():
        raise InputError(p, f"{what} is a folder", found="a folder", expected="a file")
    if p.stat().st_size == 0:
        raise InputError(p, f"{what} is empty", found="0 bytes", expected="a file with content")
    return p


def sniff_file(path: str | os.PathLike) -> FileKind:
    """What the file at ``path`` is, from its content alone (see :data:`KINDS`)."""
    p = Path(path)
    with open(p, "rb") as fh:
        head = fh.read(HEAD_BYTES)
    if not head:
        return _kind("empty")
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return _zip_kind(p)
    if head.startswith(_OLE_MAGIC):
        return _ole_kind(p)
    if head[:4] == b"$FL2":
        return _kind("sav")
    if head[:4] == b"$FL3":
        return _kind("zsav")
    if head.startswith(b"<stata_dta>") or (len(head) > 3 and 104 <= head[0] <= 115 and head[1] in (1, 2) and head[2] == 1):
        return _kind("dta")  # format 117+ opens with an XML-like tag; 104-115 with the version byte, byte order, type 1
    if head[:32] == bytes.fromhex("000000000000000000000000C2EA8160B31411CFBD92080009C7318C181F1011"):
        return _kind("sas7bdat")
    if b"SPSS PORT FILE" in head[:512]:
        return _kind("por")
    if head.startswith(b"%PDF-"):
        return _kind("pdf")
    if any(head.startswith(bom) for bom, _ in _BOMS):
        return _kind(xml_kind(head) or "text")
    if b"\x00" not in head:
        return _kind(xml_kind(head) or "text")
    return _kind("text") if _looks_utf16(head) else _kind("binary")


def xml_kind(head: bytes) -> str | None:
    """``qde``, ``spreadsheetml`` or ``xml`` when the first bytes of a UTF-8 file open an XML
    document (a REFI-QDA project file by its namespace, an Excel 2003 XML spreadsheet by its
    ``mso-application`` instruction or namespace); ``None`` for any other text."""
    start = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if not (start.startswith(b"<?xml") or (start.startswith(b"<") and b"xmlns" in start[:2048])):
        return None
    if b"urn:QDA-XML:project" in head:
        return "qde"
    if b'progid="Excel.Sheet"' in head or b"urn:schemas-microsoft-com:office:spreadsheet" in head:
        return "spreadsheetml"
    return "xml"


def _looks_utf16(head: bytes) -> bool:
    """UTF-16/32 without a byte-order mark: charset-normalizer's reading of the head."""
    from charset_normalizer import from_bytes

    best = from_bytes(head[: HEAD_BYTES - HEAD_BYTES % 4]).best()
    return best is not None and best.encoding.startswith(("utf_16", "utf_32"))


def _zip_kind(p: Path) -> FileKind:
    try:
        with zipfile.ZipFile(p) as zf:
            names = set(zf.namelist())
            mimetype = zf.read("mimetype")[:100].decode("ascii", "replace") if "mimetype" in names else ""
    except (zipfile.BadZipFile, OSError, KeyError):
        return FileKind("zip", "a damaged zip archive")
    if "project.qde" in names:
        return _kind("qdpx")
    if "xl/workbook.xml" in names:
        return _kind("xlsx")
    if "xl/workbook.bin" in names:
        return _kind("xlsb")
    if mimetype.startswith("application/vnd.oasis.opendocument.spreadsheet"):
        return _kind("ods")
    if "word/document.xml" in names:
        return _kind("docx")
    return _kind("zip")


def _ole_kind(p: Path) -> FileKind:
    """OLE2 compound files: the stream names (UTF-16 in the directory) tell them apart."""
    data = p.read_bytes()

    def has(name: str) -> bool:
        return (name + "\x00").encode("utf-16-le") in data

    if has("EncryptedPackage"):
        return _kind("encrypted")
    if has("Workbook") or has("Book"):
        return _kind("xls")
    return _kind("ole")


# --------------------------------------------------------------------------- text
def decode_text(data: bytes, encoding: str = "auto", *, file: str | os.PathLike | None = None, key: str | None = None) -> tuple[str, str]:
    """``(text, encoding used)`` of the bytes of a text file; a byte-order mark is dropped.

    ``encoding="auto"``: a BOM decides (``utf-8-sig``, ``utf-16-le``/``-be``,
    ``utf-32-le``/``-be``); else strict UTF-8 (``utf-8``); else charset-normalizer's pick
    where it decodes the file as Windows-1252 does (then ``cp1252`` is reported) or the
    file cannot be Windows-1252; a file that mixes UTF-8 with other bytes, or whose
    encoding cannot be told for sure, is refused. Any other value is a Python codec name
    and is used strictly. Text holding NUL characters is refused (not text, or the wrong
    encoding named). ``key``: the config key that names the encoding, for the message
    that asks for one.
    """
    if encoding != "auto":
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise InputError(
                file, "unknown text encoding", found=encoding, expected="a Python codec name such as utf-8, cp1252, utf-16"
            ) from None
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError as exc:
            raise InputError(
                file,
                f"text is not valid {encoding}",
                row=_row_of_byte(data, exc.start),
                found=Stated(f"byte 0x{data[exc.start]:02X}"),
                expected=f"text in the encoding named ({encoding}), or encoding 'auto'",
            ) from None
        used = encoding
    else:
        text, used = _decode_auto(data, file, key)
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\x00" in text:
        raise InputError(
            file,
            "text holds NUL characters: it is not a text file, or not in the encoding " + ("detected" if encoding == "auto" else "named"),
            row=text[: text.index("\x00")].count("\n") + 1,
            found=Stated(f"a NUL character after decoding as {used}"),
            expected=f"a text file ({_REENCODE})",
        )
    return text, used


def _decode_auto(data: bytes, file, key: str | None = None) -> tuple[str, str]:
    for bom, name in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(name), name
            except UnicodeDecodeError as exc:
                raise InputError(
                    file,
                    f"text starts with a {name} byte-order mark but is not valid {name}",
                    found=Stated(f"bytes 0x{data[len(bom) + exc.start : len(bom) + exc.end].hex().upper()}"),
                    expected=f"a file in one encoding ({_REENCODE})",
                ) from None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        bad = exc.start
    if re.search(rb"[\xC2-\xF4][\x80-\xBF]{1,3}", data) and _valid_utf8_sequences(data):
        raise InputError(
            file,
            "text mixes UTF-8 with bytes of another encoding (it was pasted together or edited in two programs)",
            row=_row_of_byte(data, bad),
            found=Stated(f"byte 0x{data[bad]:02X} that is not UTF-8, in a file that otherwise holds UTF-8 characters"),
            expected=f"one encoding throughout ({_REENCODE})",
        )
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise InputError(
            file,
            "the text encoding cannot be told",
            row=_row_of_byte(data, bad),
            found=Stated(f"byte 0x{data[bad]:02X}, not UTF-8"),
            expected=f"a text file ({_REENCODE})",
        )
    guess = best.encoding
    if guess.startswith(("utf_16", "utf_32")):
        return data.decode(guess), guess.replace("_", "-")
    if "cp1252" in best.could_be_from_charset:
        return data.decode("cp1252"), "cp1252"
    guessed = data.decode(guess)
    try:
        western = data.decode("cp1252")
    except UnicodeDecodeError:
        return guessed, guess
    row = next(
        (i + 1 for i, (a, b) in enumerate(zip(guessed.splitlines(), western.splitlines(), strict=False)) if a != b),
        1,
    )
    raise InputError(
        file,
        f"the text encoding cannot be told for sure: it is not UTF-8, and Windows-1252 and {guess} read it differently",
        row=row,
        found="bytes that mean different letters in the two encodings",
        expected=f"the encoding named{f' in {key}' if key else ''} (e.g. cp1252 for Western European Windows/Excel files, {guess}),"
        " or the file re-saved as UTF-8",
    )


def _valid_utf8_sequences(data: bytes) -> bool:
    """Whether ``data`` holds at least one complete, valid multi-byte UTF-8 character."""
    for m in re.finditer(rb"[\xC2-\xF4][\x80-\xBF]{1,3}", data):
        try:
            m.group().decode("utf-8")
        except UnicodeDecodeError:
            continue
        return True
    return False


def _row_of_byte(data: bytes, offset: int) -> int:
    return data[:offset].count(b"\n") + 1


# --------------------------------------------------------------------------- delimited text
DELIMITERS = (",", "\t", ";", "|")


def sniff_delimiter(text: str) -> str:
    """Comma, tab, semicolon or pipe: whichever splits the first record of ``text`` into the
    most fields, quotes respected (ties in that order); comma when none splits it."""
    head = text[: 1 << 16]

    def fields(delim: str) -> int:
        try:
            return len(next(csv.reader(io.StringIO(head, newline=""), delimiter=delim), []))
        except csv.Error:
            return 0

    counts = {d: fields(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])  # max keeps the first of equals
    return best if counts[best] > 1 else ","


@contextmanager
def large_fields():
    """Let the csv module read cells of any size, then restore its process-wide limit."""
    old = csv.field_size_limit()
    csv.field_size_limit(1 << 30)
    try:
        yield
    finally:
        csv.field_size_limit(old)


def read_records(text: str, delimiter: str, *, file: str | os.PathLike | None = None, what: str = "file") -> list[list[str]]:
    """Every record of delimited ``text``; record ``i`` (0-based) is spreadsheet row ``i + 1``.

    Blank lines are kept as empty records (a spreadsheet shows them as rows), so row numbers
    match what a person sees when the file is opened in Excel. A quoted cell may span lines.
    Broken quoting (a quote never closed, a stray quote inside an unquoted cell) stops the
    run with the row it starts in.
    """
    with large_fields():
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
        records: list[list[str]] = []
        try:
            records.extend(reader)
        except csv.Error as exc:
            reason = str(exc)
            raise InputError(
                file,
                f"{what} is not well-formed delimited text",
                row=len(records) + 1,
                found="a quote that is never closed" if "end of data" in reason or "EOF" in reason else f"bad quoting ({reason})",
                expected=f"cells holding the delimiter {delimiter!r}, a quote or a line break enclosed in double quotes, "
                'quotes inside them doubled ("")',
            ) from None
    return records


def ragged_row(file: str | os.PathLike, row: int, n: int, width: int, delimiter: str | None, what: str = "row") -> InputError:
    """The error for a record of ``n`` fields where the header has ``width`` (raise it)."""
    hint = f" (a cell holding the delimiter {delimiter!r} must be in double quotes)" if delimiter else ""
    return InputError(
        file,
        f"{what} has {'more' if n > width else 'fewer'} fields than the header",
        row=row,
        found=Stated(f"{n} fields"),
        expected=f"{width} fields, as in the header{hint}",
    )


def column_letter(index: int) -> str:
    """Spreadsheet column letters of a 0-based column index (0 -> A, 26 -> AA)."""
    letters = ""
    n = index + 1
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return letters
