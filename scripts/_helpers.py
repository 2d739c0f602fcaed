"""Shared helpers for every stage of the pipeline.

* :class:`InputError`: a problem a person must fix, formatted as one line that names the
  file, the row or column, what was found and what was expected.
* Atomic, deterministic writers (:func:`write_csv`, :func:`write_json`, :func:`write_text`):
  each writes a temporary file beside the target and renames it, so Snakemake never sees
  a half-written output, and the same data always gives the same bytes.
* :func:`read_csv_input`: a strict but forgiving reader for exports made by other tools.
* :func:`run_rule`: the thin Snakemake entry every stage module ends with.

Only the standard library and pandas are imported here (pandas lazily), so every stage
pays for nothing it does not use.
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
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

log = logging.getLogger("ripls")

#: Prefix of every error line meant for people; the pipeline wrapper greps for it.
ERROR_PREFIX = "ERROR"
#: Stands in for a value that identifies a person when it would otherwise be quoted.
WITHHELD = "<withheld: identifying>"


# --------------------------------------------------------------------------- errors
class InputError(Exception):
    """A bad input, described in one line for the person who has to fix it.

    ``row`` is the spreadsheet row (the header is row 1, so the first data row is 2);
    ``key`` is a dotted key of a YAML file (``analysis.collapse.positive``).
    Pass ``identifying=True`` when ``found`` would quote a name, e-mail or other
    identifying value: the message then says that a value was found without quoting it.
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
        self.found = WITHHELD if identifying and found is not None else found
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
            found = self.found if self.found == WITHHELD else repr(self.found)
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
    """Write a table as UTF-8 CSV with LF line endings, no index, fixed float format."""
    with atomic_path(path) as tmp:
        df.to_csv(tmp, index=False, lineterminator="\n", float_format=FLOAT_FORMAT, encoding="utf-8")


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


def read_text_input(path: str | os.PathLike, *, what: str = "file") -> str:
    """Read a UTF-8 text file (a BOM is accepted and dropped; other encodings are refused).

    Line endings are returned as they are in the file: callers that count characters
    must decide how CRLF counts.
    """
    p = Path(path)
    if not p.exists():
        raise InputError(p, f"{what} not found", expected="an existing file (check the path in config.yaml)")
    if p.is_dir():
        raise InputError(p, f"{what} is a folder", expected="a file")
    data = p.read_bytes()
    if not data.strip():
        raise InputError(p, f"{what} is empty", expected="a file with content")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(
            p,
            "text is not valid UTF-8 (Latin-1 and Windows-1252 are refused so that names and labels cannot be silently mangled)",
            row=line,
            found=f"byte 0x{data[exc.start]:02X}",
            expected="UTF-8 (re-save or re-export the file as UTF-8)",
        ) from None


def sniff_delimiter(header_line: str) -> str:
    """Comma, semicolon (European spreadsheet exports) or tab, judged from the header."""
    counts = {d: header_line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: (counts[d], d == ","))
    return best if counts[best] else ","


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
      name. A missing required column stops the run.
    * Comma, semicolon and tab delimiters are accepted; UTF-8 (with or without BOM) only.
    * Every cell is a string; blanks stay ``""`` (no value is guessed to be missing).
    * ``identifying`` columns are never quoted in error messages.

    The returned frame carries ``attrs["source"]`` (the path) and ``attrs["delimiter"]``.
    """
    import pandas as pd

    p = Path(path)
    text = read_text_input(p, what=what)
    first_line = text.splitlines()[0] if text.splitlines() else ""
    delim = sniff_delimiter(first_line)
    try:
        df = pd.read_csv(
            io.StringIO(text),
            sep=delim,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=True,
        )
    except pd.errors.ParserError as exc:
        m = re.search(r"line (\d+), saw (\d+)", str(exc))
        row = int(m.group(1)) if m else None
        raise InputError(
            p,
            "rows do not all have the same number of fields as the header",
            row=row,
            found=f"{m.group(2)} fields" if m else str(exc).splitlines()[0],
            expected=f"{len(next(csv.reader([first_line], delimiter=delim)))} fields, as in the header",
        ) from None
    except pd.errors.EmptyDataError:
        raise InputError(p, f"{what} has no header row", expected="a header row") from None

    raw_headers = [str(c) for c in df.columns]
    seen: dict[str, str] = {}
    for h in raw_headers:
        key = normalise_header(h)
        if key in seen:
            raise InputError(p, "two columns have the same header", column=h, expected="unique column headers")
        seen[key] = h
    canon = {normalise_header(c): c for c in (*required, *optional)}
    df = df.rename(columns={h: canon[normalise_header(h)] for h in raw_headers if normalise_header(h) in canon})
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise InputError(
            p,
            f"required column missing from {what}",
            column=missing[0],
            found=f"columns {raw_headers}" if len(raw_headers) <= 12 else f"{len(raw_headers)} other columns",
            expected=f"a column headed {missing[0]!r} (matched ignoring case and punctuation)",
        )
    if df.empty:
        raise InputError(p, f"{what} has a header but no data rows", expected="at least one data row")
    df = df.apply(lambda s: s.str.strip())
    df.attrs["source"] = str(p)
    df.attrs["delimiter"] = delim
    df.attrs["identifying"] = list(identifying)
    return df


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
    """Validate ``data`` against a JSON schema (YAML or JSON file); one-line error on failure."""
    import jsonschema

    schema = load_yaml(schema_path, what="schema")
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(data), key=lambda e: (len(e.absolute_path), list(map(str, e.absolute_path))))
    if errors:
        err = jsonschema.exceptions.best_match(errors)
        location = ".".join(str(p) for p in err.absolute_path) or "(top level)"
        raise InputError(
            file,
            f"{what} does not match its schema: {err.message}",
            key=location,
            found=err.instance if not isinstance(err.instance, dict | list) else type(err.instance).__name__,
            expected=_schema_expectation(err),
        )


def _schema_expectation(err: Any) -> str:
    kw = err.validator
    if kw == "type":
        return f"a value of type {err.validator_value}"
    if kw == "enum":
        return one_of(err.validator_value)
    if kw == "required":
        return f"the keys {err.validator_value}"
    if kw in {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"}:
        return f"{kw} {err.validator_value}"
    return f"to satisfy '{kw}: {err.validator_value}'"


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
