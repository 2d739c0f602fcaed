"""Shared helpers for every stage of the pipeline.

* :class:`InputError`: a problem a person must fix, formatted as one line that names the
  file, the row or column, what was found and what was expected.
* Atomic, deterministic writers (:func:`write_csv`, :func:`write_json`, :func:`write_text`):
  each writes a temporary file beside the target and renames it, so Snakemake never sees
  a half-written output, and the same data always gives the same bytes.
* :func:`read_csv_input`: a strict but forgiving reader for exports made by other tools.
* :func:`validate_frame`: a pandera schema check of a table read from a file, whose first
  failure becomes one :class:`InputError` (row, column, value found, what was expected).
* :func:`run_rule`: the thin Snakemake entry every stage module ends with.

Only the standard library is imported at the top (pandas, pandera, yaml and jsonschema
lazily, inside the functions that use them), so every stage pays for nothing it does not use.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import re
import sys
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

log = logging.getLogger("ripls")

#: Prefix of every error line meant for people; the pipeline wrapper greps for it.
ERROR_PREFIX = "ERROR"
#: Stands in for a value that identifies a person when it would otherwise be quoted.
WITHHELD = "<withheld: identifying>"
#: Stands in for a blank value (an empty or all-whitespace cell) in an error line.
BLANK = "<blank>"


# --------------------------------------------------------------------------- errors
class InputError(Exception):
    """A bad input, described in one line for the person who has to fix it.

    ``row`` is the spreadsheet row (the header is row 1, so the first data row is 2);
    ``key`` is a dotted key of a YAML file (``analysis.collapse.positive``).
    Pass ``identifying=True`` when ``found`` would quote a name, e-mail or other
    identifying value: the message then says that a value was found without quoting it.
    A blank ``found`` (empty or whitespace) is shown as ``<blank>``: it identifies nobody.
    """

    def __init__(
        self,
        file: str | os.PathLike | None,
        problem: str,
        *,
        row: int | None = None,
        column: str | None = None,
        key: str | None = None,
        found: Any = None,
        expected: str | None = None,
        identifying: bool = False,
    ) -> None:
        self.file = str(file) if file is not None else None
        self.problem = problem
        self.row = row
        self.column = column
        self.key = key
        if isinstance(found, str) and not found.strip():
            found = BLANK
        elif identifying and found is not None:
            found = WITHHELD
        self.found = found
        self.expected = expected
        super().__init__(self.line())

    def line(self) -> str:
        where = [self.file or "<input>"]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        if self.key is not None:
            where.append(f"key {self.key}")
        text = f"{ERROR_PREFIX} {', '.join(where)}: {self.problem}"
        if self.found is not None:
            found = self.found if self.found in (WITHHELD, BLANK) else repr(self.found)
            text += f"; found {found}"
        if self.expected is not None:
            text += f"; expected {self.expected}"
        return " ".join(text.split())  # one line, always


def one_of(values: Iterable[Any], limit: int = 12) -> str:
    """'one of: a, b, c' for an error message, shortened when long."""
    vals = [str(v) for v in values]
    shown = ", ".join(repr(v) for v in vals[:limit])
    more = f" (+{len(vals) - limit} more)" if len(vals) > limit else ""
    return f"one of: {shown}{more}"


# --------------------------------------------------------------------------- writing
_UMASK = os.umask(0)
os.umask(_UMASK)


@contextmanager
def atomic_path(path: str | os.PathLike):
    """Yield a temporary path beside ``path``; rename it onto ``path`` only on success."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; give the usual permissions
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text(path: str | os.PathLike, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8", newline="\n")


def write_bytes(path: str | os.PathLike, data: bytes) -> None:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


#: Floats are written with 10 significant digits: enough for every reported figure,
#: and stable across platforms where the last bits of a float may differ.
FLOAT_FORMAT = "%.10g"


def write_csv(df: pd.DataFrame, path: str | os.PathLike) -> None:
    """Write a table as UTF-8 CSV with LF line endings, no index, fixed float format.

    Float columns holding only whole numbers (scores, counts with gaps) are written as
    integers: the same text as ``%.10g`` gives them, without formatting each value in Python
    (100,000 rows of item scores: seconds -> milliseconds).
    """
    import numpy as np

    out = df
    for col in df.columns:
        s = df[col]
        if s.dtype.kind == "f":
            finite = s.to_numpy()[~np.isnan(s.to_numpy())]
            if (
                np.all(np.isfinite(finite))
                and np.all(finite == np.round(finite))
                and np.all(np.abs(finite) < 1e10)
                and not np.any(np.signbit(finite) & (finite == 0))
            ):
                if out is df:
                    out = df.copy()
                out[col] = s.astype("Int64")
    with atomic_path(path) as tmp:
        out.to_csv(tmp, index=False, lineterminator="\n", float_format=FLOAT_FORMAT, encoding="utf-8")


def read_table(path: str | os.PathLike) -> pd.DataFrame:
    """A table an earlier stage of this pipeline wrote (under results/): parsed by pandas'
    C reader, every cell a string, blanks ``""``. Raw exports go through :func:`read_csv_input`."""
    import pandas as pd

    return pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False, encoding="utf-8")


def _json_default(obj: Any) -> Any:
    if hasattr(obj, "item"):  # numpy scalars
        return obj.item()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def json_text(obj: Any) -> str:
    return json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False, default=_json_default) + "\n"


def write_json(path: str | os.PathLike, obj: Any) -> None:
    write_text(path, json_text(obj))


# --------------------------------------------------------------------------- reading
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


def validate_frame(
    df: pd.DataFrame,
    schema: Any,
    *,
    file: str | os.PathLike,
    headers: Mapping[str, str] | None = None,
    identifying: Iterable[str] = (),
) -> pd.DataFrame:
    """Check a table read from ``file`` against a pandera ``DataFrameSchema``; return it.

    The first failure, by row and then by the schema's column order, stops the run as one
    :class:`InputError`. Each ``Check`` of the schema says what it is in words: its
    ``error`` is the problem (formatted with the failing row's cells, e.g. ``{figure!r}``)
    and its ``description`` what was expected. A frame-wide check blames the column named
    by its ``name``. Row ``i`` of ``df`` (0-based) is spreadsheet row ``i + 2``. Cells of
    ``identifying`` columns are never quoted; ``headers`` maps the frame's column names to
    the file's headers, which the message names.
    """
    import pandas as pd
    import pandera.errors

    try:
        return schema.validate(df, lazy=True)
    except pandera.errors.SchemaErrors as exc:
        errors = exc.schema_errors
    except pandera.errors.SchemaError as exc:
        errors = [exc]
    order = {name: k for k, name in enumerate(schema.columns)}
    position = {label: pos for pos, label in enumerate(df.index)}
    failures = []  # (row position or -1, column order, error order, column, index label, value, check)
    for k, err in enumerate(errors):
        check = err.check
        column = getattr(err.schema, "name", None) or getattr(check, "name", None)
        cases = err.failure_cases
        if isinstance(cases, pd.DataFrame) and {"index", "failure_case"} <= set(cases.columns):
            if "column" in cases.columns and column in set(cases["column"]):
                cases = cases[cases["column"] == column]
            for label, value in zip(cases["index"], cases["failure_case"], strict=True):
                pos = position.get(label, -1) if label is not None and not pd.isna(label) else -1
                failures.append((pos, order.get(column, len(order)), k, column, label if pos >= 0 else None, value, check))
        else:
            value = cases.iloc[0, -1] if isinstance(cases, pd.DataFrame) and len(cases) else cases
            failures.append((-1, order.get(column, len(order)), k, column, None, value, check))
    pos, _, _, column, label, value, check = min(failures, key=lambda f: f[:3])
    if hasattr(check, "description"):  # one of the schema's checks, described in words
        problem, expected = check.error or check.name or "check failed", check.description
    else:  # pandera's own: a missing column, a wrong data type, a blank, a duplicate
        what = str(check)
        if what == "column_in_dataframe":
            problem, column, value, expected = "required column missing", value, None, f"a column headed {value!r}"
        else:
            problem, expected = {
                "field_uniqueness": ("value appears twice", "unique values"),
                "not_nullable": ("blank cell", "a value"),
            }.get(what, (f"failed pandera check {what}", None))
    if label is not None and "{" in problem:
        with suppress(KeyError, IndexError, ValueError):
            problem = problem.format_map(df.loc[label].to_dict())
    raise InputError(
        file,
        problem,
        row=pos + 2 if pos >= 0 else None,
        column=(headers or {}).get(column, column) if column is not None else None,
        found=value if not (isinstance(value, float) and pd.isna(value)) else "",
        expected=expected,
        identifying=column in set(identifying),
    )


def read_json(path: str | os.PathLike) -> Any:
    """A JSON file written by an earlier stage."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


def load_yaml(path: str | os.PathLike, *, what: str = "YAML file") -> Any:
    import yaml

    text = read_text_input(path, what=what)
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputError(
            path,
            f"{what} is not valid YAML",
            row=(mark.line + 1) if mark else None,
            found=getattr(exc, "problem", None) or str(exc).splitlines()[0],
            expected="well-formed YAML",
        ) from None


def validate_against_schema(data: Any, schema_path: str | os.PathLike, *, file: str | os.PathLike, what: str) -> None:
    """Validate ``data`` against a JSON schema (YAML or JSON file); one-line error on failure.

    The line names the dotted key (an unknown or missing key included), the value found
    (a mapping or list by its kind, not its contents) and what the schema expects there.
    """
    import jsonschema

    schema = load_yaml(schema_path, what="schema")
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(data), key=lambda e: (len(e.absolute_path), list(map(str, e.absolute_path))))
    if errors:
        err = jsonschema.exceptions.best_match(errors)
        path = [str(p) for p in err.absolute_path]
        problem, found, expected, subkey = _schema_problem(err)
        location = ".".join([*path, *([subkey] if subkey is not None else [])]) or "(top level)"
        raise InputError(file, f"{what} does not match its schema: {problem}", key=location, found=found, expected=expected)


def _describe(value: Any) -> Any:
    """A value for an error line: scalars as they are, containers by their kind."""
    if isinstance(value, dict):
        return f"a mapping with keys {sorted(map(str, value))[:8]}"
    if isinstance(value, list):
        return f"a list of {len(value)} item{'s' if len(value) != 1 else ''}"
    return value


def _schema_problem(err: Any) -> tuple[str, Any, str, str | None]:
    """(problem, found, expected, key below the error's path) for a jsonschema error."""
    kw, value, instance = err.validator, err.validator_value, err.instance
    message = err.message if len(err.message) <= 120 and not isinstance(instance, dict | list) else f"fails '{kw}'"
    if kw == "additionalProperties" and isinstance(instance, dict):
        allowed = err.schema.get("properties", {})
        extra = next((str(k) for k in instance if k not in allowed), None)
        return "unknown key", extra, one_of(allowed) if allowed else "no further keys", extra
    if kw == "required" and isinstance(instance, dict):
        missing = next((k for k in value if k not in instance), value[0])
        return "a required key is missing", f"keys {sorted(map(str, instance))[:12]}", f"a value for {missing!r}", missing
    if kw == "type":
        return message if not isinstance(instance, dict | list) else "wrong type", _describe(instance), f"a value of type {value}", None
    if kw == "enum":
        return message, _describe(instance), one_of(value), None
    if kw in {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"}:
        return message, instance, f"{kw} {value}", None
    if kw in {"oneOf", "anyOf"} and isinstance(instance, dict) and all(set(alt) == {"required"} for alt in value):
        keys = [k for alt in value for k in alt["required"]]
        present = [k for k in keys if k in instance]
        how = "exactly" if kw == "oneOf" else "at least"
        return f"needs {how} one of the keys {keys}", f"keys {present}", f"{how} one of {keys}", None
    return message, _describe(instance), f"to satisfy '{kw}: {_describe(value)}'", None


# --------------------------------------------------------------------------- hashing
def sha256_file(path: str | os.PathLike) -> str:
    import hashlib

    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def hash_inputs(paths: Iterable[str | os.PathLike]) -> dict[str, str]:
    """SHA-256 of each file; a folder contributes each file below it (sorted)."""
    out: dict[str, str] = {}
    for p in map(Path, paths):
        files = sorted(f for f in p.rglob("*") if f.is_file()) if p.is_dir() else [p]
        for f in files:
            out[str(f)] = sha256_file(f)
    return out


# --------------------------------------------------------------------------- Snakemake entry
def setup_logging(logfile: str | os.PathLike | None) -> None:
    """Log to the rule's log file (and nowhere else). Messages hold counts, never values."""
    root = logging.getLogger()
    for h in list(root.handlers):
        root.removeHandler(h)
    if logfile:
        Path(logfile).parent.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = logging.FileHandler(logfile, mode="w", encoding="utf-8")
    else:
        handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    logging.getLogger("matplotlib").setLevel(logging.WARNING)
    logging.getLogger("fontTools").setLevel(logging.WARNING)


def run_rule(smk: Any, main: Callable[[Any], None]) -> None:
    """Run a stage's ``main(smk)`` as a Snakemake job.

    An :class:`InputError` ends the job with its one line on stderr and in the log, and a
    non-zero exit. Outputs are written atomically, so nothing half-written is left; any
    output a failed job did complete is removed here so no stale file survives.
    """
    logfile = smk.log[0] if len(smk.log) else None
    setup_logging(logfile)
    try:
        main(smk)
    except InputError as exc:
        line = exc.line()
        logging.getLogger("ripls").error(line)
        for out in smk.output:
            _remove(Path(out))
        print(line, file=sys.stderr, flush=True)
        sys.exit(1)


def _remove(path: Path) -> None:
    if path.is_dir():
        import shutil

        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


class Namedlist(list):
    """A list whose entries can also be reached by name, like Snakemake's input/output."""

    def __init__(self, items: Mapping[str, Any] | Sequence[Any] = ()) -> None:
        if isinstance(items, Mapping):
            super().__init__(items.values())
            self._names = dict(items)
        else:
            super().__init__(items)
            self._names = {}

    def __getattr__(self, name: str) -> Any:
        try:
            return self.__dict__["_names"][name]
        except KeyError:
            raise AttributeError(name) from None

    def get(self, name: str, default: Any = None) -> Any:
        return self._names.get(name, default)

    def keys(self):
        return self._names.keys()


class MockSnakemake:
    """A stand-in for the ``snakemake`` object, so tests can run a stage's ``main``.

    Modelled on PyPSA-Eur's ``mock_snakemake``, but built from plain values: no Snakefile
    is parsed, so a test states exactly which files a stage reads and writes.
    """

    def __init__(
        self,
        *,
        input: Mapping[str, Any] | Sequence[Any] = (),
        output: Mapping[str, Any] | Sequence[Any] = (),
        params: Mapping[str, Any] | None = None,
        log: Sequence[Any] = (),
        config: Mapping[str, Any] | None = None,
        wildcards: Mapping[str, Any] | None = None,
        threads: int = 1,
        rule: str = "mock",
    ) -> None:
        self.input = Namedlist(input)
        self.output = Namedlist(output)
        self.params = Namedlist(params or {})
        self.log = Namedlist(list(log))
        self.config = dict(config or {})
        self.wildcards = Namedlist(wildcards or {})
        self.threads = threads
        self.rule = rule
