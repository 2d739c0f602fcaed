"""The published figures of a paper, as data: loaded and validated once, at the boundary.

* ``inputs.published`` (``data/published/*_figures.csv``, documented in
  ``data/published/README.md``): every number the paper prints, with where it is and how to
  compute it. Checked with a pandera schema (:func:`figures_schema`).
* ``inputs.published_relations``: what the paper states about its sample, checked against
  ``workflow/schemas/relations.schema.yaml``; only the cross-reference (every figure id
  exists) is checked here in code.
* generator records of the synthetic study (``workflow/schemas/generator_record.schema.yaml``).

The consistency audit loads them and writes the validated figures as a result
(``reproduction/published_figures.csv``) that later stages read without re-validating.
Printed values (:func:`parse_printed`) and rounding as printed (:func:`fmt`) live here too.
"""

import json
import math
import re
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import pandas as pd

from errors import InputError, one_of
from rawinput import read_csv_input, read_text_input
from schemas import load_yaml, validate_against_schema, validate_frame

SCHEMAS = Path(__file__).resolve().parent.parent / "workflow" / "schemas"

FIGURE_COLUMNS = ["figure", "location", "row", "quantity", "printed", "n", "kind", "compute", "same_as"]
LOCATIONS = ("abstract", "text", "method", "table1", "table2", "table3", "table4")
KINDS = ("pct", "mean", "alpha", "count", "label", "n", "range")
#: Figure id prefix -> location. The one documented exception is txt_fg_sizes (an id fixed
#: before transcription), whose sentence is in the Method section.
ID_PREFIXES = {"abs": "abstract", "txt": "text", "mth": "method", "t1": "table1", "t2": "table2", "t3": "table3", "t4": "table4"}
FIGURE_ID = re.compile(r"^(abs|txt|mth|t1|t2|t3|t4)_[a-z0-9]+(?:_[a-z0-9]+)*$")

REFERENCE_KEYS = (
    "parts",
    "total",
    "n",
    "pct",
    "count",
    "groups",
    "sizes",
    "left",
    "right",
    "k_items",
    "item_min",
    "item_max",
    "range_min",
    "range_max",
    "figure",
    "min",
    "max",
    "figures",
    "median",
    "mode",
)

NUMBER_WORDS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
}
_NUMBER = re.compile(r"^[+-]?\d+(?:\.(\d+))?$")
_RANGE = re.compile(r"^([+-]?\d+)\s*[-–—]\s*([+-]?\d+)$")


@dataclass(frozen=True)
class Printed:
    """A value as printed: its number (exact), decimals, and whether it carried a % sign."""

    text: str
    value: Fraction | None = None
    decimals: int = 0
    percent: bool = False
    range: tuple[int, int] | None = None

    @property
    def is_number(self) -> bool:
        return self.value is not None

    @property
    def half(self) -> Fraction:
        """Half a unit of the last printed decimal: the rounding tolerance."""
        return Fraction(1, 2 * 10**self.decimals)

    def covers(self, x: Fraction) -> bool:
        """Whether the true value ``x`` could be printed as this (ties accepted both ways)."""
        return self.value is not None and abs(x - self.value) <= self.half


def parse_printed(text: Any) -> Printed:
    """Parse a printed value: '-4.03', '75%', '0.0%', 'six', '9-12' or a label."""
    raw = "" if text is None else str(text).strip()
    s = raw.replace("\u2212", "-")
    percent = s.endswith("%")
    if percent:
        s = s[:-1].strip()
    m = _NUMBER.match(s)
    if m:
        return Printed(raw, Fraction(s), len(m.group(1) or ""), percent)
    if s.casefold() in NUMBER_WORDS:
        return Printed(raw, Fraction(NUMBER_WORDS[s.casefold()]), 0, percent)
    m = _RANGE.match(s)
    if m:
        return Printed(raw, None, 0, percent, (int(m.group(1)), int(m.group(2))))
    return Printed(raw)


def fmt(x: Fraction, decimals: int) -> str:
    """``x`` rounded half away from zero to ``decimals`` places, as text."""
    scaled = abs(x) * 10**decimals
    units = math.floor(scaled + Fraction(1, 2))
    sign = "-" if x < 0 and units else ""
    whole, frac = divmod(units, 10**decimals)
    return f"{sign}{whole}.{frac:0{decimals}d}" if decimals else f"{sign}{whole}"


def as_int(text: Any) -> int | None:
    p = parse_printed(text)
    if p.value is None or p.value.denominator != 1:
        return None
    return int(p.value)


class Figures:
    """The figures table, indexed by id."""

    def __init__(self, df: pd.DataFrame) -> None:
        self.df = df
        self.rows = {r["figure"]: r for r in df.to_dict("records")}

    def __contains__(self, fid: str) -> bool:
        return fid in self.rows

    def printed(self, fid: str) -> Printed:
        return parse_printed(self.rows[fid]["printed"])

    def n(self, fid: str) -> int | None:
        return as_int(self.rows[fid].get("n", ""))

    def location(self, fid: str) -> str:
        return self.rows[fid]["location"]

    def text(self, fid: str) -> str:
        return str(self.rows[fid]["printed"]).strip()


def figures_schema():
    """The published figures table as a pandera schema (cells are stripped strings).

    Each check says in words what it wants (``error``: the problem, naming the figure;
    ``description``: what was expected), so that a failure becomes one line.
    """
    import pandera.pandas as pa

    def check(fn, name: str, error: str, expected: str, **kw) -> pa.Check:
        return pa.Check(fn, name=name, error=error, description=expected, **kw)

    def positive_whole(value: str) -> bool:
        n = as_int(value) if value else 1
        return n is not None and n > 0

    return pa.DataFrameSchema(
        {
            "figure": pa.Column(
                str,
                [
                    check(
                        lambda s: s.map(lambda v: bool(FIGURE_ID.match(v))),
                        "figure_id",
                        "figure id is not <loc>_<what> in snake_case",
                        "e.g. t2_insularity_mean",
                    ),
                    check(lambda s: ~s.duplicated(), "unique", "figure id appears twice", "unique ids"),
                ],
            ),
            "location": pa.Column(
                str, check(lambda s: s.isin(LOCATIONS), "location", "figure {figure!r} has an unknown location", one_of(LOCATIONS))
            ),
            "row": pa.Column(str),
            "quantity": pa.Column(str),
            "printed": pa.Column(
                str, check(lambda s: s.ne(""), "printed", "figure {figure!r} has no printed value", "the value as printed")
            ),
            "n": pa.Column(
                str,
                check(
                    positive_whole,
                    "n",
                    "figure {figure!r} has an n that is not a positive whole number",
                    "a positive whole number, or blank",
                    element_wise=True,
                ),
            ),
            "kind": pa.Column(str, check(lambda s: s.isin(KINDS), "kind", "figure {figure!r} has an unknown kind", one_of(KINDS))),
            "compute": pa.Column(str),
            "same_as": pa.Column(str),
        },
        # Across columns: same_as must name another figure of the table (blamed on same_as).
        checks=[
            check(
                lambda d: d["same_as"].eq("") | (d["same_as"].isin(d["figure"]) & d["same_as"].ne(d["figure"])),
                "same_as",
                "figure {figure!r}: same_as names no other figure",
                "another figure id",
            )
        ],
    )


def validate_figures(df: pd.DataFrame, file: Any = None) -> pd.DataFrame:
    """Check the figures table (pandera: :func:`figures_schema`); return it with every cell a stripped string."""
    file = file or df.attrs.get("source") or "published figures"
    missing = [c for c in FIGURE_COLUMNS if c not in df.columns]
    if missing:
        raise InputError(
            file,
            "column missing from the published figures",
            column=missing[0],
            found=f"columns {[str(c) for c in df.columns]}",
            expected=f"columns {FIGURE_COLUMNS}",
        )
    df = df[FIGURE_COLUMNS].fillna("").astype(str).apply(lambda s: s.str.strip())
    return validate_frame(df, figures_schema(), file=file)


def load_figures(path: str | Path) -> pd.DataFrame:
    df = read_csv_input(path, what="published figures", required=FIGURE_COLUMNS)
    return validate_figures(df, path)


def load_relations(path: str | Path, figures: pd.DataFrame) -> dict:
    """The relations file, checked (:func:`validate_relations`) against ``figures``."""
    return validate_relations(load_yaml(path, what="published relations"), figures, path)


def validate_relations(rel: Any, figures: pd.DataFrame, file: Any = "published relations") -> dict:
    """Check relations against ``workflow/schemas/relations.schema.yaml``, then what a schema
    cannot state: unique ids, and every figure named present in ``figures``."""
    validate_against_schema(rel, SCHEMAS / "relations.schema.yaml", file=file, what="published relations")
    ids = set(figures["figure"])
    seen: set[str] = set()
    for i, r in enumerate(rel["relations"]):
        if r["id"] in seen:
            raise InputError(file, "relation id appears twice", key=f"relations[{i}].id", found=r["id"], expected="unique ids")
        seen.add(r["id"])
        for fid in relation_figure_ids(r):
            if fid not in ids:
                raise InputError(
                    file,
                    f"relation {r['id']!r} names a figure that is not in the figures table",
                    key=f"relations[{i}]",
                    found=fid,
                    expected="the id of a figure in the published figures table",
                )
    return rel


def load_record(path: str | Path, figures: pd.DataFrame) -> dict:
    """A synthetic generator's record (``workflow/schemas/generator_record.schema.yaml``)."""
    text = read_text_input(path, what="generator record")
    try:
        rec = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(path, "generator record is not valid JSON", row=exc.lineno, found=exc.msg, expected="a JSON object") from None
    validate_against_schema(rec, SCHEMAS / "generator_record.schema.yaml", file=path, what="generator record")
    ids = set(figures["figure"])
    for i, entry in enumerate(rec["unreachable"]):
        if entry["figure"] not in ids:
            raise InputError(
                path,
                "unreachable entry names a figure that is not in the figures table",
                key=f"unreachable[{i}].figure",
                found=entry["figure"],
                expected="the id of a figure in the published figures table",
            )
    return {**rec, "_file": str(path)}


def relation_figure_ids(relation: dict) -> list[str]:
    """Every figure id a relation refers to (strings under the reference keys)."""
    ids: list[str] = []

    def take(v: Any) -> None:
        if isinstance(v, str):
            ids.append(v)
        elif isinstance(v, list):
            for x in v:
                take(x)

    for key in REFERENCE_KEYS:
        if key in relation:
            take(relation[key])
    for d in relation.get("definitions", []) or []:
        if isinstance(d, dict):
            take(d.get("figures", []))
    return ids
