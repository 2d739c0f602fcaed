"""Tabular exports (CSV, XLSX, XLS) read into a header and string rows, and columns found by role.

A CSV goes through ``rawinput.read_csv_input`` (UTF-8 only, delimiter sniffed, ragged rows
and duplicate headers refused). A workbook is read by ``workbook.read_sheet`` (python-calamine;
the first visible worksheet, cells as text by one rule; the header is its first non-blank row). Columns are matched to *roles*
(document, code, …) by header, ignoring case, spacing and punctuation in any script, in the
interface language the export was written in; ``columns={role: header}`` names a column the
built-in names do not cover. A format may also have its required columns found by what they
hold when its headers are in no language it knows (:class:`ByContent`, :func:`find_by_content`;
MAXQDA turns it on).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from errors import InputError, Stated, one_of
from rawinput import read_csv_input
from workbook import read_sheet

from . import _container
from ._common import (
    CODE_PATH_SEPARATOR,
    CodedExport,
    CoderLabels,
    DocumentIndex,
    Problems,
    codebook_from_paths,
    document_key,
    header_key,
    join_levels,
    locate,
    log,
    normalise_newlines,
    result,
    whole_number,
)

#: The config key that names a tabular coded export's text encoding.
ENCODING_KEY = "qualitative.coded_export.encoding"


@dataclass
class Table:
    path: Path
    kind: str  # csv | xlsx | xls
    headers: list[str]
    rows: list[list[str]]
    numbers: list[int]  # the spreadsheet row of each data row (the header row is before them)


@dataclass(frozen=True)
class Column:
    """A role and its header in each interface language (``names[language]``, first is canonical)."""

    role: str
    names: dict[str, tuple[str, ...]]
    required: bool = True


@dataclass(frozen=True)
class ByContent:
    """A table format whose required columns may be found by what they hold (see
    :func:`find_by_content`) when its headers are in no interface language it knows.

    ``recognised_by``: the roles whose headers, all in one known language, make a table
    recognised (those its ``detect`` looks for); a recognised table is read by its headers
    alone, and a column missing from it is refused, never guessed. The other fields name the
    format's roles: document name, code path, quoted text, first and last paragraph number.
    """

    recognised_by: tuple[str, ...]
    document: str
    code: str
    text: str
    first: str
    last: str


class Matched(dict[str, int]):
    """Column index of each role; ``by_content``: the roles found by content, in the order found."""

    by_content: tuple[str, ...] = ()


def _read_workbook(p: Path, what: str) -> list[list[str]]:
    """The cells of the first visible worksheet of a workbook as text, stripped; row ``i`` is
    spreadsheet row ``i + 1``. Read by :func:`workbook.read_sheet`, the one place workbooks are
    read, so a cell becomes text by the same rule as in a survey export."""
    return [[c.strip() for c in row] for row in read_sheet(p, what=what).rows]


def read_table(path, kind: str, what: str, encoding: str = "utf-8") -> Table:
    """The header and rows of a CSV (``kind='text'``, in ``encoding``: see
    :func:`rawinput.read_text_input`) or workbook (``xlsx``/``xls``) export."""
    p = Path(path)
    if kind == "text":
        df = read_csv_input(p, what=what, encoding=encoding, key=ENCODING_KEY)
        return Table(p, "csv", list(df.columns), df.values.tolist(), [i + 2 for i in range(len(df))])
    if kind == "xlsx":
        with _container.open_zip(p, what, ".xlsx workbook") as zf:
            _container.check_all_members(zf, p)
    elif kind != "xls":
        raise InputError(
            p,
            f"{what} is a zip archive that is neither a workbook nor a .qdpx",
            found="a zip archive",
            expected="a .qdpx, an .xlsx or .xls workbook, or a CSV",
        )
    numbered = [(i + 1, r) for i, r in enumerate(_read_workbook(p, what)) if any(r)]
    if not numbered:
        raise InputError(
            p, f"{what} is empty", found="a workbook whose first sheet has no cells", expected="a sheet with a header row and data rows"
        )
    header = numbered[0][1]
    headers = [h or f"Unnamed: {i}" for i, h in enumerate(header)]
    seen: dict[str, str] = {}
    for h in headers:
        key = header_key(h) or h
        if key in seen:
            raise InputError(
                p,
                "two columns have the same header",
                column=h,
                found=[seen[key], h],
                expected="unique column headers (ignoring case and punctuation)",
            )
        seen[key] = h
    data = numbered[1:]
    if not data:
        raise InputError(p, f"{what} has a header but no data rows", found="0 data rows", expected="at least one data row")
    width = len(headers)
    return Table(p, kind, headers, [(r + [""] * width)[:width] for _, r in data], [n for n, _ in data])


def show_headers(headers: Sequence[str], limit: int = 8) -> str:
    shown = ", ".join(repr(h if len(h) <= 40 else h[:39] + "…") for h in headers[:limit])
    return f"columns {shown}" + (f" (+{len(headers) - limit} more)" if len(headers) > limit else "")


def languages(spec: Sequence[Column]) -> list[str]:
    out: list[str] = []
    for c in spec:
        out += [lang for lang in c.names if lang not in out]
    return out


def _matches(headers: Sequence[str], spec: Sequence[Column], lang: str) -> dict[str, int]:
    keys = [header_key(h) for h in headers]
    found = {}
    for c in spec:
        names = c.names.get(lang, ())
        for name in names:
            if header_key(name) in keys:
                found[c.role] = keys.index(header_key(name))
                break
    return found


def recognise(headers: Sequence[str], spec: Sequence[Column], roles: Sequence[str]) -> str | None:
    """The interface language in which every one of ``roles`` has its header, else ``None``."""
    for lang in languages(spec):
        if set(roles) <= set(_matches(headers, spec, lang)):
            return lang
    return None


def match_columns(
    table: Table,
    spec: Sequence[Column],
    what: str,
    overrides: Mapping[str, str] | None = None,
    *,
    content: ByContent | None = None,
    documents: DocumentIndex | None = None,
    separator: str = CODE_PATH_SEPARATOR,
) -> Matched:
    """Column index of each role, in the language that matches most required roles (English
    on a tie); ``overrides`` (role -> header) first. A required role not found stops the run,
    unless the format finds columns by ``content`` and the headers are in no language it
    knows: then :func:`find_by_content` finds each required role still missing (in the
    ``documents`` given, code paths split on ``separator``), or stops the run."""
    langs = languages(spec)
    required = [c for c in spec if c.required]
    best = max(langs, key=lambda lang: (sum(c.role in _matches(table.headers, spec, lang) for c in required), lang == langs[0]))
    index = Matched(_matches(table.headers, spec, best))
    for c in spec:  # an optional role may carry its English name in a localised export
        if c.role not in index:
            index.update({k: v for k, v in _matches(table.headers, [c], langs[0]).items()})
    keys = [header_key(h) for h in table.headers]
    known = {c.role for c in spec}
    for role, header in (overrides or {}).items():
        if role not in known:
            raise ValueError(f"unknown column role {role!r} for {what}; roles: {sorted(known)}")
        if header_key(header) not in keys:
            raise InputError(
                table.path,
                f"column given for {role!r} is not in {what}",
                column=header,
                found=show_headers(table.headers),
                expected=f"a column headed {header!r}",
            )
        index[role] = keys.index(header_key(header))
    missing = [c.role for c in required if c.role not in index]
    if missing and content is not None and recognise(table.headers, spec, content.recognised_by) is None:
        found = find_by_content(table, missing, index, content, what, documents, separator)
        index.update(found)
        index.by_content = tuple(found)
        log.info(
            "%s: headers in no known interface language; %d required columns found by content (%s)", what, len(found), ", ".join(found)
        )
    for c in required:
        if c.role not in index:
            name = c.names.get(best, c.names[langs[0]])[0]
            raise InputError(
                table.path,
                f"required column missing from {what}",
                column=name,
                found=show_headers(table.headers),
                expected=f"a column headed {name!r} (matched ignoring case and punctuation)",
            )
    if len(langs) > 1 and not index.by_content:
        log.info("%s: headers in interface language %r", what, best)
    return index


def headers_of(table: Table, cols: Mapping[str, int]) -> dict[str, str]:
    """The header of each role's column, as in the file (for :attr:`Placement.columns`)."""
    return {role: table.headers[i] for role, i in cols.items()}


def find_by_content(
    table: Table,
    roles: Sequence[str],
    taken: Mapping[str, int],
    content: ByContent,
    what: str,
    documents: DocumentIndex | None,
    separator: str,
) -> dict[str, int]:
    """The column of each of ``roles`` (required roles no header or mapping names), found by
    what it holds, among the columns no role has yet (``taken``), so that no column serves twice.

    In this order:

    * document: every non-blank value names one of ``documents`` as :class:`DocumentIndex`
      matches names (ignoring case, punctuation and a file extension; aliases apply);
    * code: more than half of the rows hold a code path (a value containing ``separator``);
    * first and last: two columns of whole numbers >= 1, blank in the same rows, first <= last
      in every row and, where the row's document is known, last within its paragraphs; of
      several such pairs, the adjacent one (last right after first, as MAXQDA writes them);
    * text: every non-blank value is found, as :func:`place` finds it, within its row's
      paragraphs first..last of its document.

    A role for which no column qualifies, or more than one (two identical columns included),
    stops the run with one error naming the role and the candidates' headers: a mapping
    ``columns={role: header}`` then says which. Document and text cannot be found without
    ``documents``.
    """
    heads, rows = table.headers, table.rows
    cols = dict(taken)
    found: dict[str, int] = {}
    blank = [[not row[j].strip() for row in rows] for j in range(len(heads))]

    def free() -> list[int]:
        return [j for j in range(len(heads)) if j not in cols.values() and not all(blank[j])]

    def choose(wanted: Sequence[str], candidates: Sequence[tuple[int, ...]], rule: str) -> None:
        """Give the one candidate (a column per role in ``wanted``) its roles, else stop."""
        role = " and ".join(wanted)
        how = "map it with qualitative.coded_export.columns: {" + ", ".join(f"{r}: <header>" for r in wanted) + "}"
        if not candidates:
            raise InputError(
                table.path,
                f"no column of the {what} holds the {role} by its content",
                found=Stated("no column qualifies"),
                expected=f"{rule}; or {how}",
            )
        if len(candidates) > 1:
            named = sorted({j for cand in candidates for j in cand})
            raise InputError(
                table.path,
                f"the {role} column of the {what} cannot be told by its content: more than one column qualifies",
                found=Stated(f"{len(candidates)} candidates"),
                expected=one_of([heads[j] for j in named], raw=True) + f": {how}",
            )
        for r, j in zip(wanted, candidates[0], strict=True):
            cols[r] = found[r] = j

    def without_texts(role: str) -> InputError:
        return InputError(
            table.path,
            f"the {role} column of the {what} cannot be found by its content without the document texts",
            found=Stated("headers in no known interface language"),
            expected=f"the document texts (the config's flip-chart notes and transcripts); "
            f"or map it with qualitative.coded_export.columns: {{{role}: <header>}}",
        )

    if content.document in roles:
        if documents is None:
            raise without_texts(content.document)
        names = [j for j in free() if all(b or document_key(row[j]) in documents.by_key for b, row in zip(blank[j], rows, strict=True))]
        rule = f"a column whose every value names one of the {len(documents.texts)} documents given (ignoring case and punctuation)"
        choose([content.document], [(j,) for j in names], rule)
    # each row's document (when known) and its number of paragraphs
    docs: list[str | None] = [None] * len(rows)
    if content.document in cols and documents is not None:
        docs = [documents.by_key.get(document_key(row[cols[content.document]])) for row in rows]
    sizes = [len(documents.starts(d)) if documents is not None and d is not None else None for d in docs]

    if content.code in roles:
        paths = [j for j in free() if 2 * sum(separator in row[j] for row in rows) > len(rows)]
        choose([content.code], [(j,) for j in paths], f"a column holding a code path (levels joined by {separator!r}) in most rows")

    numbers: dict[int, list[int | None] | None] = {}

    def whole(j: int) -> list[int | None] | None:
        """Column ``j`` as whole numbers >= 1 (``None`` where blank); ``None`` if it holds anything else."""
        if j not in numbers:
            values = [None if b else whole_number(row[j]) for b, row in zip(blank[j], rows, strict=True)]
            fits = all(v is not None and v >= 1 for v, b in zip(values, blank[j], strict=True) if not b)
            numbers[j] = values if fits and any(v is not None for v in values) else None
        return numbers[j]

    def paragraph_pair(a: int, b: int) -> bool:
        first, last = whole(a), whole(b)
        if a == b or first is None or last is None:
            return False
        for x, y, size in zip(first, last, sizes, strict=True):
            if (x is None) != (y is None):
                return False  # blank in one column only
            if x is not None and y is not None and (x > y or (size is not None and y > size)):
                return False
        return True

    wanted = [r for r in (content.first, content.last) if r in roles]
    if wanted:
        firsts = [cols[content.first]] if content.first in cols else free()
        lasts = [cols[content.last]] if content.last in cols else free()
        pairs = [(a, b) for a in firsts for b in lasts if paragraph_pair(a, b)]
        pairs = [(a, b) for a, b in pairs if b == a + 1] or pairs
        rule = "two columns of whole numbers >= 1 (paragraph numbers), the first <= the second in every row and within its document"
        choose(wanted, [tuple(j for r, j in ((content.first, a), (content.last, b)) if r in roles) for a, b in pairs], rule)

    if content.text in roles:
        if documents is None:
            raise without_texts(content.text)
        first, last = whole(cols[content.first]) or [None] * len(rows), whole(cols[content.last]) or [None] * len(rows)

        def quoted(j: int) -> bool:
            for i, row in enumerate(rows):
                if blank[j][i]:
                    continue
                doc, x, y, size = docs[i], first[i], last[i], sizes[i]
                if doc is None or x is None or y is None or size is None or not x <= y <= size:
                    return False
                lo, hi = paragraph_span(documents, doc, x, y)
                if locate(documents.texts[doc], normalise_newlines(row[j]), lo, hi, set()) is None:
                    return False
            return True

        rule = "a column whose every value is found within its row's paragraphs of its document"
        choose([content.text], [(j,) for j in free() if quoted(j)], rule)
    return found


# --------------------------------------------------------------------------- placing rows in documents
@dataclass
class Record:
    """One coded row of a tabular export, before it is placed in its document."""

    row: int
    document: str
    levels: list[str]
    coder: str = ""
    group: str = ""
    text: str = ""  # the text the export quotes ("" when it quotes none)
    first: int | None = None  # paragraph numbers (``paragraphs=True``), else a hint: a character offset or paragraphs
    last: int | None = None
    key: str = ""  # the export's id of one coded stretch: rows sharing it share a place


@dataclass
class Placement:
    """How a format's records are placed: see :func:`place`."""

    noun: str  # "segment" / "highlight" / "quotation" / "excerpt"
    document_column: str
    text_column: str
    paragraphs: bool = False
    used_per_code: bool = False
    begin_column: str = ""  # the headers of the paragraph numbers, as in the file
    end_column: str = ""
    hint: str = ""  # without ``paragraphs``: "offset" (first is a character offset) or "paragraph" (a paragraph number)
    columns: Mapping[str, str] = field(default_factory=dict)  # role -> header of every column read (:func:`headers_of`)
    by_content: tuple[str, ...] = ()  # the roles whose columns were found by content (:func:`find_by_content`)


def place(path, records: list[Record], index: DocumentIndex, how: Placement, fmt: str, problems: Problems) -> CodedExport:
    """Find each record's text in its document (``index``: the documents given) and build the result.

    With ``paragraphs``, ``first``/``last`` are 1-based paragraph numbers (lines of the LF
    text) and the text is searched within them; a blank text means the whole paragraphs.
    Otherwise the text is searched in the whole document, near ``first`` when given. An
    occurrence already taken (per document, or per document and code) is skipped for the
    next unused one; rows sharing ``key`` share a place.
    """
    rows: list[dict] = []
    coders = CoderLabels()
    used: dict[tuple, set[tuple[int, int]]] = {}
    placed: dict[tuple[str, str, str], tuple[int, int]] = {}
    for rec in records:
        try:
            doc = index.resolve(rec.document, row=rec.row, column=how.document_column)
            span = _span(path, index, doc, rec, how, used, placed)
        except InputError as err:
            problems.add(err, row=rec.row)
            continue
        rows.append(
            {
                "document": doc,
                "document_group": rec.group,
                "code_path": join_levels(rec.levels),
                "start": span[0],
                "end": span[1],
                "text": index.texts[doc][span[0] : span[1]],
                "coder": coders.see(rec.coder),
            }
        )
    return result(rows, dict(index.texts), codebook_from_paths(r.levels for r in records), fmt, coders)


def tabular_reader(records: Callable[..., tuple[list[Record], Placement]], fmt: str) -> Callable[..., CodedExport]:
    """The ``read`` of a tabular format: its ``records(table, separator, columns, problems,
    documents)``, then :func:`place` in the documents (one function for every table format).
    ``aliases``: see :class:`DocumentIndex`."""

    def read(
        table: Table,
        documents: Mapping[str, str],
        *,
        separator: str,
        columns: Mapping[str, str] | None = None,
        problems: Problems | None = None,
        aliases: Mapping[str, str] | None = None,
        **_,
    ) -> CodedExport:
        problems = problems or Problems()
        index = DocumentIndex(documents, table.path, aliases)
        recs, how = records(table, separator, columns, problems, documents=index)
        return place(table.path, recs, index, how, fmt, problems)

    return read


def paragraph_span(index: DocumentIndex, doc: str, first: int, last: int) -> tuple[int, int]:
    """Where paragraphs ``first..last`` (1-based, within the document) of ``doc`` start and end."""
    starts = index.starts(doc)
    return starts[first - 1], starts[last] - 1 if last < len(starts) else len(index.texts[doc])


def _span(path, index: DocumentIndex, doc: str, rec: Record, how: Placement, used, placed) -> tuple[int, int]:
    text = index.texts[doc]
    needle = normalise_newlines(rec.text)
    lo, hi, where = 0, len(text), "in its document"
    if how.paragraphs and rec.first is not None and rec.last is not None:
        first, last = rec.first, rec.last
        starts = index.starts(doc)
        if first > last:
            raise InputError(
                path,
                "start > end: Beginning is after End",
                row=rec.row,
                column=how.begin_column,
                found=f"Beginning {first}, End {last}",
                expected="Beginning <= End",
            )
        if first < 1 or last > len(starts):
            raise InputError(
                path,
                "offset outside its text: paragraph number beyond the end of its document",
                row=rec.row,
                column=how.begin_column if first < 1 or first > len(starts) else how.end_column,
                found=f"paragraphs {first}..{last}",
                expected=f"paragraph numbers 1..{len(starts)}",
            )
        lo, hi = paragraph_span(index, doc, first, last)
        where = f"in paragraphs {first}..{last} of its document"
        if not needle.strip():
            return (lo, hi)  # no text exported: the coding covers the paragraphs
    key = (rec.key, doc, needle) if rec.key else None
    if key in placed:
        return placed[key]
    taken = used.setdefault((doc, join_levels(rec.levels)) if how.used_per_code else (doc,), set())
    near = None
    if not how.paragraphs and rec.first is not None:
        starts = index.starts(doc)
        last = rec.last if rec.last is not None else rec.first
        if how.hint == "offset":
            near = (rec.first, rec.first)
        elif how.hint == "paragraph" and 1 <= rec.first <= last <= len(starts):
            near = (starts[rec.first - 1], starts[last] - 1 if last < len(starts) else len(text))
    span = locate(text, needle, lo, hi, taken, near=near) if needle.strip() else None
    if span is None:
        raise InputError(
            path,
            f"{how.noun} text not found {where}",
            row=rec.row,
            column=how.text_column,
            found=rec.text,
            identifying=True,
            expected="text that occurs in the document file"
            if not how.paragraphs
            else "the text of those paragraphs, as in the document file",
        )
    taken.add(span)
    if key:
        placed[key] = span
    return span
