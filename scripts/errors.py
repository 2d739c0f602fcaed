"""Errors for people: a bad input described in one line.

:class:`InputError` names the file, the row or column or key, what was found and what was
expected. The pipeline wrapper (``tools/pipeline.py``) repeats every line that starts with
:data:`ERROR_PREFIX` at the end of a failed run.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

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
