"""Errors for people: a bad input described in one line, without leaking what it holds.

:class:`InputError` names the file, the row or column or key, what was found and what was
expected. The pipeline wrapper (``tools/pipeline.py``) repeats every line that starts with
:data:`ERROR_PREFIX` at the end of a failed run.

One error, three renderings
---------------------------
The value found travels as ``found``; the other fields (``problem``, ``expected``, ``column``,
``key``) are written by code from the config, the instrument and structure (row numbers, item
numbers, GUIDs), never from a raw value (``tests/test_error_privacy.py`` enforces this for
the modules the anonymisation rules import). A raised error is rendered

* :meth:`InputError.line`: in memory, for tests and for config errors found while the
  Snakefile is parsed (which quote only config values). ``identifying=True`` withholds
  ``found``.
* :meth:`InputError.log_line`: for *files* (the rule's log under ``results/logs/``, which
  Snakemake copies into ``.snakemake/log/`` under ``--show-failed-logs``). ``found`` is never
  quoted, whatever its source: it is replaced by a description of its kind and length
  (:func:`describe`), e.g. "a 23-character value that looks like an e-mail address". A file
  inside a raw input folder (a transcript) is named by its folder only.
* :meth:`InputError.terminal_line`: for stderr, which only a person at the terminal reads.
  A value from a raw input (an error whose file is one of the raw inputs, or inside one, or
  no file at all) is shown only after redaction by the redactor the anonymisation rule
  installed with :func:`set_value_redactor`; with none installed it is withheld. Then its
  description, and where the expected answers are a list (:func:`one_of`), the nearest one.
  Values from other files (config, instrument, published figures, earlier results) are shown
  as they are: they are not data about people.

Both file and terminal lines, when a redactor is installed, pass through it as a whole, as a
last guard for a name in a column header or a file name.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Callable, Iterable, Sequence
from numbers import Number
from pathlib import Path
from typing import Any

#: Prefix of every error line meant for people; the pipeline wrapper greps for it.
ERROR_PREFIX = "ERROR"
#: Stands in for a value that identifies a person when it would otherwise be quoted.
WITHHELD = "<withheld: identifying>"
#: Stands in for a raw value on the terminal when no redactor is installed.
WITHHELD_RAW = "<withheld: raw input>"
#: Stands in for a blank value (an empty or all-whitespace cell) in an error line.
BLANK = "<blank>"

#: Keys under ``inputs:`` that are not raw data (published figures, generator records);
#: every other input is treated as raw, so a new raw input is covered without a change here.
NOT_RAW_INPUTS = frozenset({"published", "published_relations", "generator_records"})

_value_redactor: Callable[[str], str] | None = None


# --------------------------------------------------------------------------- redaction hook
def set_value_redactor(redactor: Any) -> None:
    """Install how raw values are redacted before the terminal shows them (``None``: withhold).

    ``redactor`` is a function ``str -> str``, or an object with ``redact(text)`` returning
    something with ``.text`` (a :class:`redact.Redactor`). The anonymisation rules install
    one as soon as they have built it; until then raw values are withheld on the terminal.
    """
    global _value_redactor
    _value_redactor = redactor if redactor is None or callable(redactor) else lambda text: redactor.redact(text).text


# --------------------------------------------------------------------------- describing a value
_EMAIL = re.compile(r"[^\s@]+@[^\s@]+\.[^\s@]+")
_POSTCODE = re.compile(r"[A-Za-z]{1,2}\d[A-Za-z\d]?[\s-]*\d[A-Za-z]{2}")
_NHS = re.compile(r"\d{3}[\s.-]?\d{3}[\s.-]?\d{4}")
_PHONE = re.compile(r"(?:\+|00)?[\d\s().-]{7,}")
_DATE = re.compile(r"\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?")
_NUMBER = re.compile(r"[-+]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][-+]?\d+)?%?")
_NAME_WORD = re.compile(r"[^\W\d_][^\W\d_'’.-]*(?:['’.-][^\W\d_]+)*\.?")


def _kind(text: str) -> str:
    """What a stripped, non-blank text looks like, as a noun phrase."""
    digits = sum(c.isdigit() for c in text)
    if _EMAIL.fullmatch(text):
        return "value that looks like an e-mail address"
    if _DATE.fullmatch(text):
        return "date"
    if _NHS.fullmatch(text):
        return "value that looks like an NHS number"
    if _PHONE.fullmatch(text) and digits >= 8:
        return "value that looks like a phone number"
    if _POSTCODE.fullmatch(text):
        return "value that looks like a postcode"
    if _NUMBER.fullmatch(text):
        return "number"
    words = text.split()
    if _EMAIL.search(text):
        return f"text of {len(words)} words with an e-mail address in it"
    if 1 <= len(words) <= 4 and all(_NAME_WORD.fullmatch(w) and w[0].isupper() for w in words):
        return "name-like word" if len(words) == 1 else f"name-like text of {len(words)} words"
    if len(words) == 1:
        return "word" if text.isalpha() else "code" if text.isalnum() else "value of letters, digits and signs"
    return f"text of {len(words)} words" + (" and digits" if digits else "")


def describe(value: Any) -> str:
    """A value's kind and length, for an error line that must not quote it.

    >>> describe("callum.t@kestrel.example")
    'a 24-character value that looks like an e-mail address'
    >>> describe("Sarah Okafor"), describe(""), describe(42)
    ('a 12-character name-like text of 2 words', 'a blank', 'a number')
    """
    if value is None:
        return "nothing"
    if isinstance(value, Stated):
        return repr(str(value))
    if isinstance(value, bool):
        return "a true/false value"
    if isinstance(value, Number):
        return "a number"
    if isinstance(value, dict):
        return f"a mapping of {len(value)} key{'s' if len(value) != 1 else ''}"
    if isinstance(value, list | tuple | set | frozenset):
        return f"{len(value)} value{'s' if len(value) != 1 else ''}" if value else "no values"
    text = str(value)
    if not text.strip() or text == BLANK:
        return "a blank"
    n = str(len(text))
    article = "an" if n.startswith("8") or n in ("11", "18") or (len(n) == 5 and n[:2] in ("11", "18")) else "a"
    return f"{article} {n}-character {_kind(text.strip())}"


class Stated(str):
    """A ``found`` written by the pipeline from counts, positions, byte values and library
    messages (``Stated(f"{n} bytes: not a zip file")``), never from a cell or a name: every
    line, log files included, quotes it as it is instead of describing it."""


# --------------------------------------------------------------------------- expected answers
class OneOf(str):
    """The text 'one of: a, b, c' that also remembers the values, for the nearest-answer hint.

    ``file_text``, when set, replaces the text in files: the values were read from a raw input
    (document names), so a log says only how many there are. Adding text keeps both
    (``one_of(levels) + ", or blank"``).
    """

    values: tuple[str, ...]
    file_text: str | None

    def __new__(cls, text: str, values: Iterable[Any], file_text: str | None = None) -> OneOf:
        obj = super().__new__(cls, text)
        obj.values = tuple(str(v) for v in values)
        obj.file_text = file_text
        return obj

    def __add__(self, other: str) -> OneOf:
        return OneOf(str(self) + other, self.values, None if self.file_text is None else self.file_text + other)

    def __getnewargs__(self) -> tuple[str, tuple[str, ...], str | None]:  # copied and pickled whole (pandera copies checks)
        return str(self), self.values, self.file_text


def one_of(values: Iterable[Any], limit: int = 12, *, raw: bool = False) -> OneOf:
    """'one of: a, b, c' for an error message, shortened when long. ``raw``: the values were
    read from a raw input; log files then get 'one of N values read from the inputs'."""
    vals = [str(v) for v in values]
    shown = ", ".join(repr(v) for v in vals[:limit])
    more = f" (+{len(vals) - limit} more)" if len(vals) > limit else ""
    return OneOf(f"one of: {shown}{more}", vals, f"one of {len(vals)} values read from the inputs" if raw else None)


def nearest(value: Any, choices: Sequence[str]) -> str | None:
    """The expected answer closest to ``value`` (ignoring case and spacing), if any is close."""
    if not isinstance(value, str) or not value.strip() or not choices:
        return None
    keys = {" ".join(c.split()).casefold(): c for c in choices}
    match = difflib.get_close_matches(" ".join(value.split()).casefold(), list(keys), n=1, cutoff=0.6)
    return keys[match[0]] if match else None


# --------------------------------------------------------------------------- raw inputs
def raw_input_paths(config: Any) -> tuple[Path, ...]:
    """The raw inputs named by the config (every ``inputs`` key not in :data:`NOT_RAW_INPUTS`),
    and ``data/raw``, as resolved paths."""
    paths = [Path("data/raw")]
    for key, value in ((config or {}).get("inputs") or {}).items():
        if key in NOT_RAW_INPUTS:
            continue
        paths += [Path(v) for v in (value if isinstance(value, list | tuple) else [value]) if isinstance(v, str | os.PathLike)]
    return tuple(p.resolve() for p in paths)


def _raw_place(file: str | None, raw: Sequence[Path]) -> tuple[bool, Path | None]:
    """(whether the file is raw, the configured raw folder it lies inside, if it is not itself
    a configured input). A file's own name under ``data/raw`` is the user's, set in the config."""
    if file is None:
        return True, None
    try:
        p = Path(file).resolve()
    except (OSError, ValueError):
        return True, None
    if p in raw:
        return True, None
    folders = [r for r in raw if r in p.parents]
    if not folders:
        return False, None
    folder = max(folders, key=lambda r: len(r.parts))
    return True, None if folder == Path("data/raw").resolve() else folder


# --------------------------------------------------------------------------- errors
class InputError(Exception):
    """A bad input, described in one line for the person who has to fix it.

    ``row`` is the spreadsheet row (the header is row 1, so the first data row is 2);
    ``key`` is a dotted key of a YAML file (``analysis.collapse.positive``).
    ``found`` is the value found, as it is: never format it into ``problem``. Pass
    ``identifying=True`` when it would quote a name, e-mail or other identifying value: no
    line then shows it (not even redacted), only its description. A blank ``found`` (empty or
    whitespace) is shown as ``<blank>``: it identifies nobody.
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
        self._value = found  # as found; only ever described or redacted outside memory
        self.identifying = identifying and found is not None
        if isinstance(found, str) and not found.strip():
            found = BLANK
        elif identifying and found is not None:
            found = WITHHELD
        self.found = found
        self.expected = expected
        super().__init__(self.line())

    def _where(self, file: str) -> str:
        where = [file]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        if self.key is not None:
            where.append(f"key {self.key}")
        return ", ".join(where)

    def _compose(self, file: str, found: str | None, *, for_file: bool = False) -> str:
        text = f"{ERROR_PREFIX} {self._where(file)}: {self.problem}"
        if found is not None:
            text += f"; found {found}"
        if self.expected is not None:
            expected = (getattr(self.expected, "file_text", None) if for_file else None) or self.expected
            text += f"; expected {expected}"
        return " ".join(text.split())  # one line, always

    def line(self) -> str:
        """The line with ``found`` quoted (withheld if identifying): in memory and for config errors."""
        found = None
        if self.found is not None:
            found = self.found if self.found in (WITHHELD, BLANK) else repr(self.found)
        return self._compose(self.file or "<input>", found)

    def log_line(self, raw: Sequence[Path] = ()) -> str:
        """The line for a file: ``found`` described, never quoted; a file inside a raw input
        folder named by the folder; the whole line through the installed redactor."""
        file = self.file or "<input>"
        _, folder = _raw_place(self.file, raw)
        if folder is not None:
            file = f"a file in {folder.relative_to(Path.cwd()) if folder.is_relative_to(Path.cwd()) else folder}"
        text = self._compose(file, None if self._value is None else describe(self._value), for_file=True)
        return _redact_line(text)

    def terminal_line(self, raw: Sequence[Path] = ()) -> str:
        """The line for the terminal: a raw ``found`` redacted (or withheld), with its
        description and the nearest expected answer."""
        is_raw, _ = _raw_place(self.file, raw)
        redact = _value_redactor if is_raw else (lambda text: text)
        if self._value is None:
            found = None
        elif self.found == BLANK:
            found = BLANK
        elif isinstance(self._value, Stated):
            found = repr(str(self._value))
        else:
            if self.identifying:
                shown = WITHHELD
            elif redact is None:
                shown = WITHHELD_RAW
            else:
                shown = repr(_redact_found(self._value, redact))
            found = f"{shown} ({describe(self._value)})"
        text = self._compose(self.file or "<input>", found)
        hint = None if self.identifying else nearest(self._value, getattr(self.expected, "values", ()))
        if hint is not None:
            text += f"; did you mean {hint!r}?"
        return _redact_line(text) if is_raw else text


def _redact_found(value: Any, redact: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, list | tuple):
        return [_redact_found(v, redact) for v in value]
    if isinstance(value, Number | bool):
        return value
    return redact(str(value))


def _redact_line(text: str) -> str:
    return _value_redactor(text) if _value_redactor is not None else text
