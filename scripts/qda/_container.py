"""What kind of file an export is (by content, not by name), and safe reading of zip archives.

Kinds: ``qdpx`` (a zip holding ``project.qde``, or one other ``*.qde`` as ATLAS.ti 26 writes),
``xlsx`` (a zip holding ``xl/workbook.xml``), ``xls`` (an OLE2 compound file, magic
``D0 CF 11 E0 A1 B1 1A E1``), ``zip`` (any other zip), ``qde`` (a REFI-QDA project file on
its own, without the sources a .qdpx carries: refused by :func:`bare_project_file`) and ``text``.

Zip members are read only after their declared size and compression ratio pass the limits
below, and then with a size cap, because a header can lie. Each limit breaks with one
:class:`InputError`. XML is parsed elsewhere with ``defusedxml`` (no DTD, no entities).
"""

from __future__ import annotations

import zipfile
import zlib
from pathlib import Path, PurePosixPath

from errors import InputError, Stated
from sniff import xml_kind

ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
#: Most members a zip may hold (a real .qdpx holds project.qde plus one or two files per source).
MAX_ZIP_MEMBERS = 20_000
#: Most bytes a member may inflate to (project.qde, a source text, a workbook part).
MAX_MEMBER_BYTES = 64 * 1024 * 1024
#: Highest inflated/compressed ratio a member above :data:`RATIO_FLOOR_BYTES` may have. Real
#: exports measured 2.6 (text) to 7.4 (project.qde of an NVivo export); zip bombs exceed 1000.
MAX_COMPRESSION_RATIO = 200
#: Members smaller than this are not ratio-checked (tiny members compress absurdly well and are harmless).
RATIO_FLOOR_BYTES = 1024 * 1024
_CHUNK = 1 << 20


def missing_file(p: Path, what: str) -> InputError:
    return InputError(p, f"{what} not found", found="no file at this path", expected="an existing file (check the path in config.yaml)")


def sniff(path, what: str = "coded export") -> str:
    """The kind of file at ``path`` from its first bytes and, for a zip, its member names."""
    p = Path(path)
    if not p.exists():
        raise missing_file(p, what)
    if p.is_dir():
        raise InputError(p, f"{what} is a folder", found="a folder", expected="a file")
    with p.open("rb") as fh:
        head = fh.read(4096)
    if xml_kind(head) == "qde":
        return "qde"
    if head.startswith(OLE2_MAGIC):
        return "xls"
    if head.startswith(ZIP_MAGIC):
        try:
            with zipfile.ZipFile(p) as zf:
                names = zf.namelist()
        except (zipfile.BadZipFile, OSError):
            return "zip"  # unreadable: the reader it goes to says so
        if qde_member(names) is not None:
            return "qdpx"
        if any(n.lower() == "xl/workbook.xml" for n in names):
            return "xlsx"
        return "zip"
    return "text"


def qde_member(names: list[str]) -> str | None:
    """``project.qde`` (the shallowest, any letter case), else the one ``*.qde`` in the zip."""
    files = [n for n in names if not n.endswith("/")]
    project = sorted((n for n in files if PurePosixPath(n).name.lower() == "project.qde"), key=lambda n: (n.count("/"), n))
    if project:
        return project[0]
    others = [n for n in files if n.lower().endswith(".qde")]
    return others[0] if len(others) == 1 else None


def bare_project_file(p: Path) -> InputError:
    """The error for a ``project.qde`` given on its own: its sources are outside it."""
    return InputError(
        p,
        "the coded export is a REFI-QDA project file (project.qde) on its own, without its sources",
        found="an XML project file, not the .qdpx that holds it",
        expected="the whole project exported as REFI-QDA (.qdpx: a zip of project.qde and its sources/ folder);"
        " NVivo, MAXQDA, ATLAS.ti and QualCoder all export it",
    )


def open_zip(p: Path, what: str, expected: str) -> zipfile.ZipFile:
    """The zip at ``p``, refused when unreadable or holding more than :data:`MAX_ZIP_MEMBERS` members."""
    if not p.exists():
        raise missing_file(p, what)
    if p.is_file() and sniff(p) == "qde":
        raise bare_project_file(p)
    try:
        zf = zipfile.ZipFile(p)
    except (zipfile.BadZipFile, OSError) as exc:
        size = p.stat().st_size if p.is_file() else 0
        raise InputError(
            p,
            f"{what} is not a readable zip archive (corrupt, or not a {expected})",
            found=Stated(
                f"{size} bytes: {exc if isinstance(exc, zipfile.BadZipFile) else type(exc).__name__}" if p.is_file() else "a folder"
            ),
            expected=f"a {expected} exported by the QDA tool",
        ) from None
    n = len(zf.infolist())
    if n > MAX_ZIP_MEMBERS:
        zf.close()
        raise InputError(p, f"{what} holds too many files", found=Stated(f"{n} zip members"), expected=f"at most {MAX_ZIP_MEMBERS}")
    return zf


def check_member(zf: zipfile.ZipFile, p: Path, info: zipfile.ZipInfo, limit: int | None = None, label: str = "") -> None:
    """Refuse a member whose declared size or compression ratio is beyond the limits, before inflating it.
    ``label`` names the member in errors (its name may carry a document name)."""
    limit = limit or MAX_MEMBER_BYTES
    name = label or "a zip member"
    if info.file_size > limit:
        raise InputError(
            p,
            f"{name} is too large to read",
            found=Stated(f"{info.file_size} bytes when extracted"),
            expected=f"at most {limit} bytes (raise qda._container.MAX_MEMBER_BYTES for a genuinely larger project)",
        )
    if info.file_size > RATIO_FLOOR_BYTES and info.file_size > MAX_COMPRESSION_RATIO * max(info.compress_size, 1):
        raise InputError(
            p,
            f"{name} is compressed suspiciously well (a zip bomb?)",
            found=Stated(
                f"{info.compress_size} bytes inflating to {info.file_size} (ratio {info.file_size // max(info.compress_size, 1)})"
            ),
            expected=f"a compression ratio of at most {MAX_COMPRESSION_RATIO}",
        )


def check_all_members(zf: zipfile.ZipFile, p: Path) -> None:
    for info in zf.infolist():
        check_member(zf, p, info)


def read_member(zf: zipfile.ZipFile, p: Path, member: str, label: str = "", limit: int | None = None) -> bytes:
    """The bytes of ``member``, checked by :func:`check_member` and read in chunks with a cap.
    ``label`` names the member in errors (a member name may carry a document name)."""
    limit = limit or MAX_MEMBER_BYTES
    name = label or "a zip member"
    info = zf.getinfo(member)
    check_member(zf, p, info, limit, name)
    chunks, total = [], 0
    try:
        with zf.open(info) as fh:
            while chunk := fh.read(_CHUNK):
                total += len(chunk)
                if total > limit:
                    raise InputError(
                        p,
                        f"{name} is too large to read",
                        found=Stated(f"more than {limit} bytes when extracted"),
                        expected=f"at most {limit} bytes",
                    )
                chunks.append(chunk)
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, NotImplementedError) as exc:
        raise InputError(
            p,
            f"REFI-QDA project is corrupt: {name} cannot be extracted",
            found=str(exc) or type(exc).__name__,
            expected="a .qdpx exported by the QDA tool",
        ) from None
    return b"".join(chunks)
