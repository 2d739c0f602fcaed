"""Reproduction check: recompute every published figure from the pipeline's results.

Each figure in ``data/published/hean2015_figures.csv`` carries a ``compute`` spec that says
where its value lives under ``results/`` (the mini-language is documented in
``data/published/README.md``)::

    tables/table2_subscales.csv[subscale=insularity].mean      a cell (rows filtered by equality)
    anonymised/sample.json.response_rate_pct                   a JSON key (dotted for nesting)
    count:tables/focus_group_sizes.csv                          number of (filtered) rows
    sum: / min: / max: / nunique: <file>[filters].<column>      aggregates over the rows
    range:tables/focus_group_sizes.csv.n_participants           "min-max"

The value is rounded as printed (decimals of the printed string, half away from zero, sign
kept) and compared; labels are compared ignoring case and spacing. A missing result file, a
spec that matches no row or a blank cell is "not computable from the data" with the reason;
a malformed spec is an :class:`InputError` naming the figure. When a figure differs, the
note carries the consistency audit's reasons the published value may be unreachable (e.g.
"impossible (GRIM): no mean of n=44 integer sums rounds to -4.03 ...").

Output columns: ``figure, location, published, computed, status, note``.
"""

import json
from fractions import Fraction
from pathlib import Path
from typing import Any

import pandas as pd

from contracts import BY_PATH, read_result, result, write_result
from published import Printed, fmt, parse_printed
from specs import Spec, parse_spec
from stage import run_rule

CHECK_COLUMNS = ["figure", "location", "published", "computed", "status", "note"]
REPRODUCED, DIFFERS, NOT_COMPUTABLE = "reproduced", "differs", "not computable from the data"


class NotComputable(Exception):
    """The figure cannot be computed from these results; the message says why."""


# --------------------------------------------------------------------------- evaluation
class Results:
    """Result files under one folder, read once each."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self._cache: dict[str, Any] = {}

    def _path(self, rel: str) -> Path:
        p = self.root / rel
        if not p.is_file():
            raise NotComputable(f"results/{rel} not found")
        return p

    @staticmethod
    def _contract(rel: str):
        if rel not in BY_PATH:
            raise NotComputable(f"results/{rel} is not a file the pipeline writes (scripts/contracts.py)")
        return BY_PATH[rel]

    def table(self, rel: str) -> pd.DataFrame:
        if rel not in self._cache:
            try:
                self._cache[rel] = read_result(self._path(rel), self._contract(rel), as_text=True)
            except NotComputable:
                raise
            except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
                raise NotComputable(f"results/{rel} cannot be read ({type(exc).__name__})") from None
        return self._cache[rel]

    def json(self, rel: str) -> Any:
        if rel not in self._cache:
            try:
                self._cache[rel] = read_result(self._path(rel), self._contract(rel))
            except NotComputable:
                raise
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                raise NotComputable(f"results/{rel} is not valid JSON ({type(exc).__name__})") from None
        return self._cache[rel]


def _equal(cell: str, want: str) -> bool:
    cell, want = str(cell).strip(), str(want).strip()
    if cell == want:
        return True
    try:
        return float(cell) == float(want)
    except ValueError:
        return False


def _number(value: Any, what: str) -> Fraction:
    if isinstance(value, bool):
        raise NotComputable(f"{what} is not a number")
    if isinstance(value, int | float | Fraction):
        return Fraction(value)
    try:
        return Fraction(str(value).strip())
    except (ValueError, ZeroDivisionError):
        raise NotComputable(f"{what} is not a number") from None


def evaluate(spec: Spec, results: Results) -> Any:
    """The value a spec points to: a number (Fraction), a label (str) or a range (lo, hi)."""
    if spec.is_json:
        node = results.json(spec.file)
        for key in spec.field.split("."):
            if not isinstance(node, dict) or key not in node:
                raise NotComputable(f"results/{spec.file} has no key {spec.field!r}")
            node = node[key]
        if node is None or node == "":
            raise NotComputable(f"results/{spec.file}: {spec.field!r} is blank")
        return node
    df = results.table(spec.file)
    for col in [c for c, _ in spec.filters] + ([spec.field] if spec.field else []):
        if col not in df.columns:
            raise NotComputable(f"results/{spec.file} has no column {col!r}")
    mask = pd.Series(True, index=df.index)
    for col, value in spec.filters:
        mask &= df[col].map(lambda cell, v=value: _equal(cell, v))
    rows = df[mask]
    where = f"results/{spec.file}" + (f"[{';'.join(f'{c}={v}' for c, v in spec.filters)}]" if spec.filters else "")
    if spec.aggregate == "count":
        return Fraction(len(rows))
    if rows.empty:
        raise NotComputable(f"no row of {where}")
    values = [v.strip() for v in rows[spec.field] if v.strip()]
    if spec.aggregate == "nunique":
        return Fraction(len(set(values)))
    if not values:
        raise NotComputable(f"{where}.{spec.field} is blank")
    if spec.aggregate is None:
        distinct = list(dict.fromkeys(values))
        if len(distinct) > 1:
            raise NotComputable(f"{len(rows)} rows of {where} give different {spec.field} values")
        return distinct[0]
    numbers = [_number(v, f"{where}.{spec.field}") for v in values]
    if spec.aggregate == "sum":
        return sum(numbers, Fraction(0))
    if spec.aggregate == "min":
        return min(numbers)
    if spec.aggregate == "max":
        return max(numbers)
    return (min(numbers), max(numbers))  # range


# --------------------------------------------------------------------------- comparison
def _label(text: Any) -> str:
    return " ".join(str(text).replace("’", "'").casefold().split())


def compare(printed: Printed, value: Any) -> tuple[str, bool]:
    """(computed as printed, whether it matches)."""
    if printed.range is not None:
        if isinstance(value, tuple):
            lo, hi = value
        else:
            p = parse_printed(value)
            if p.range is None:
                raise NotComputable(f"the result {value!r} is not a range")
            lo, hi = (Fraction(x) for x in p.range)
        computed = f"{fmt(Fraction(lo), 0)}-{fmt(Fraction(hi), 0)}"
        return computed, (Fraction(lo), Fraction(hi)) == tuple(Fraction(x) for x in printed.range)
    if printed.is_number:
        if isinstance(value, tuple):
            raise NotComputable("the result is a range, the printed value a number")
        x = _number(value, f"the result {value!r}")
        computed = fmt(x, printed.decimals) + ("%" if printed.percent else "")
        return computed, Fraction(fmt(x, printed.decimals)) == printed.value
    computed = str(value)
    return computed, _label(computed) == _label(printed.text)


# --------------------------------------------------------------------------- the check
def check(figures: pd.DataFrame, results_dir: str | Path, notes: pd.DataFrame | None = None) -> pd.DataFrame:
    """Recompute each (validated) published figure from ``results_dir``; columns ``CHECK_COLUMNS``.

    ``notes`` (the consistency audit's ``figure, note`` table) says why a differing figure
    may be unreachable: GRIM, group sizes, medians against modes, cross-location findings.
    """
    source = figures.attrs.get("source", "published figures")
    specs = {r["figure"]: parse_spec(r["compute"], figure=r["figure"], file=source) for r in figures.to_dict("records")}
    results = Results(results_dir)
    notes_by_figure: dict[str, list[str]] = {}
    for rec in [] if notes is None else notes.to_dict("records"):
        notes_by_figure.setdefault(rec["figure"], []).append(rec["note"])
    out = []
    for r in figures.to_dict("records"):
        fid, spec = r["figure"], specs[r["figure"]]
        row = {"figure": fid, "location": r["location"], "published": r["printed"], "computed": "", "status": NOT_COMPUTABLE, "note": ""}
        if spec is None:
            row["note"] = "no compute spec: the figure describes the instrument, procedure or wording, not a quantity of the study data"
            out.append(row)
            continue
        try:
            computed, same = compare(parse_printed(r["printed"]), evaluate(spec, results))
        except NotComputable as exc:
            row["note"] = str(exc)
            out.append(row)
            continue
        row["computed"] = computed
        row["status"] = REPRODUCED if same else DIFFERS
        if not same:
            row["note"] = "; ".join(notes_by_figure.get(fid, []))
        out.append(row)
    return pd.DataFrame(out, columns=CHECK_COLUMNS)


# --------------------------------------------------------------------------- Snakemake entry
def main(smk: Any) -> None:
    figures = read_result(smk.input.published_figures, result("published_figures"))
    figures.attrs["source"] = str(smk.input.published_figures)
    notes = read_result(smk.input.figure_notes, result("figure_notes"))
    write_result(check(figures, smk.params.results_dir, notes), smk.output.checks, result("checks"))


if "snakemake" in globals():
    run_rule(snakemake, main)  # type: ignore[name-defined]  # noqa: F821
