"""Compute specs: where a published figure's value lives under ``results/``.

A spec is a small language (documented in ``data/published/README.md``)::

    tables/table2_subscales.csv[subscale=insularity].mean      a cell (rows filtered by equality)
    anonymised/sample.json.response_rate_pct                   a JSON key (dotted for nesting)
    count:tables/focus_group_sizes.csv                          number of (filtered) rows
    sum: / min: / max: / nunique: <file>[filters].<column>      aggregates over the rows
    range:tables/focus_group_sizes.csv.n_participants           "min-max"

The reproduction check evaluates specs; the Snakefile reads which result files they name,
so that the check depends on exactly those files. Standard library only: the Snakefile
imports it when it builds the job graph.
"""

import csv
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from errors import InputError

AGGREGATES = ("count", "sum", "min", "max", "range", "nunique")

_SPEC = re.compile(
    r"^(?:(?P<agg>[a-z]+):)?"
    r"(?P<file>[^\[\]:]+?\.(?:csv|json))"
    r"(?:\[(?P<filters>[^\[\]]*)\])?"
    r"(?:\.(?P<field>[^\[\]]+))?$"
)
SPEC_GRAMMAR = "[<aggregate>:]<file under results/>[<col>=<value>;...].<column> or <file>.json.<key>"


@dataclass(frozen=True)
class Spec:
    aggregate: str | None
    file: str
    filters: tuple[tuple[str, str], ...]
    field: str | None

    @property
    def is_json(self) -> bool:
        return self.file.endswith(".json")


# --------------------------------------------------------------------------- parsing
def parse_spec(text: str, *, figure: str = "?", file: Any = None) -> Spec | None:
    """Parse a compute spec; None for a blank one. A malformed spec is an InputError naming the figure."""
    s = (text or "").strip()
    if not s:
        return None

    def bad(problem: str) -> InputError:
        return InputError(file or "published figures", f"figure {figure!r}: {problem}", column="compute", found=s, expected=SPEC_GRAMMAR)

    m = _SPEC.match(s)
    if not m:
        raise bad("malformed compute spec")
    agg, path, filters_text, field = m.group("agg"), m.group("file").strip(), m.group("filters"), m.group("field")
    if agg is not None and agg not in AGGREGATES:
        raise bad(f"unknown aggregate {agg!r} (known: {', '.join(AGGREGATES)})")
    pure = PurePosixPath(path)
    if pure.is_absolute() or ".." in pure.parts or "\\" in path or not path:
        raise bad("the file must be a relative path under results/")
    filters: list[tuple[str, str]] = []
    if filters_text is not None and filters_text.strip():
        for part in filters_text.split(";"):
            col, eq, value = part.partition("=")
            if not eq or not col.strip():
                raise bad(f"filter {part!r} is not <column>=<value>")
            filters.append((col.strip(), value.strip()))
    field = field.strip() if field else None
    if path.endswith(".json"):
        if agg or filters_text is not None:
            raise bad("a JSON spec takes neither an aggregate nor filters")
        if not field:
            raise bad("a JSON spec needs a key after the file name")
    elif agg == "count":
        if field:
            raise bad("count: takes no column")
    elif not field:
        raise bad("a CSV spec needs a column after the file (and filters)")
    return Spec(agg, path, tuple(filters), field)


def spec_files(figures_csv: str | Path) -> list[str]:
    """The result files (relative to ``results/``) the published figures' specs read, sorted.

    Read with the ``csv`` module (no pandas at job-graph time); a spec that does not parse is
    skipped here and reported by the consistency audit, which validates the file."""
    files: set[str] = set()
    with open(figures_csv, newline="", encoding="utf-8-sig") as fh:
        for row in csv.DictReader(fh):
            try:
                spec = parse_spec(row.get("compute") or "", figure=row.get("figure", "?"))
            except InputError:
                continue
            if spec is not None:
                files.add(spec.file)
    return sorted(files)
