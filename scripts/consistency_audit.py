"""Consistency audit of the published figures: can the paper's numbers be true at all?

Independently of any data, a published figure can be arithmetically impossible (a mean of
integer sums that no integer total over n produces: the GRIM test), two figures can
disagree (the same mean printed with different values or signs), and the paper's
statements about its sample can contradict each other (six groups of 9-12 people cannot
hold 52 people). This stage tests:

* every mean with an n (GRIM) and every percentage with an n (a whole count of n);
* every relation in the relations file (``data/published/README.md`` documents its
  schema): parts that must add to a total, group sizes, bounds, scale ranges, Likert
  medians against modal percentages, "most"/"majority" wording, category definitions,
  and ambiguities recorded by hand;
* cross-location agreement of figures linked by ``same_as`` in the figures table;
* the synthetic generators' records of published figures they could not reach.

Rounding: a printed value with d decimals stands for any true value within half a unit
of the last decimal, ends included (so a value exactly halfway is accepted either way).

Output columns: ``check, figures, location, published, test, verdict, detail``.
"""

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from itertools import product
from typing import Any

import pandas as pd

from contracts import result, write_result
from errors import InputError, one_of
from published import Figures, Printed, fmt, load_figures, load_record, load_relations, parse_printed
from stage import as_list, run_rule

AUDIT_COLUMNS = ["check", "figures", "location", "published", "test", "verdict", "detail"]
CONSISTENT, IMPOSSIBLE, INCONSISTENT, AMBIGUOUS, UNREACHABLE = (
    "consistent",
    "impossible",
    "inconsistent",
    "ambiguous",
    "unreachable in synthetic data",
)
VERDICTS = (CONSISTENT, IMPOSSIBLE, INCONSISTENT, AMBIGUOUS, UNREACHABLE)


# --------------------------------------------------------------------------- printed values
def fmt_ratio(k: int, n: int, digits: int = 4) -> str:
    return f"{k}/{n} = {fmt(Fraction(k, n), digits)}"


def grim_counts(p: Printed, n: int, *, percent: bool) -> list[int]:
    """The integers k for which k/n (x 100 for a percentage) rounds to the printed value.

    For a mean, k is the sum of n integer scores (any integer); for a percentage, k is a
    count between 0 and n.
    """
    if p.value is None or n <= 0:
        return []
    scale = 100 if percent else 1
    lo = math.floor((p.value - p.half) * n / scale)
    hi = math.ceil((p.value + p.half) * n / scale)
    ks = [k for k in range(lo, hi + 1) if p.covers(Fraction(k * scale, n))]
    return [k for k in ks if 0 <= k <= n] if percent else ks


def grim_neighbours(p: Printed, n: int, *, percent: bool) -> str:
    """The two achievable values either side of the printed one, for a reader."""
    assert p.value is not None
    scale = 100 if percent else 1
    k0 = math.floor(p.value * n / scale)
    ks = [k for k in (k0, k0 + 1) if not percent or 0 <= k <= n]
    parts = []
    for k in ks:
        x = Fraction(k * scale, n)
        shown = f"{fmt(x, max(p.decimals, 2) + 2)}%" if percent else fmt(x, max(p.decimals, 2) + 2)
        parts.append(f"{k}/{n}{' x 100' if percent else ''} = {shown} -> {fmt(x, p.decimals)}")
    return ", ".join(parts)


# --------------------------------------------------------------------------- findings
@dataclass
class Finding:
    check: str
    figures: list[str]
    test: str
    verdict: str
    detail: str
    #: Figures a failing verdict is attributed to (notes in the reproduction check);
    #: None means all of ``figures``.
    culprits: Sequence[str] | None = None
    published: str | None = None

    def blamed(self) -> list[str]:
        return list(self.figures if self.culprits is None else self.culprits)


# --------------------------------------------------------------------------- loading and validation
# --------------------------------------------------------------------------- single-figure checks
def check_grim(figs: Figures) -> list[Finding]:
    out = []
    for fid, r in figs.rows.items():
        n = figs.n(fid)
        p = figs.printed(fid)
        if n is None or not p.is_number or r["kind"] not in ("mean", "pct"):
            continue
        percent = r["kind"] == "pct"
        ks = grim_counts(p, n, percent=percent)
        if percent:
            check, test = (
                "percentage of n",
                f"some count k of {n} with k/{n} x 100 rounding to {fmt(p.value, p.decimals)} ({p.decimals} dp)",
            )
        else:
            check, test = "GRIM", f"some integer sum k with k/{n} rounding to {fmt(p.value, p.decimals)} ({p.decimals} dp)"
        if ks:
            if percent:
                shown = ", ".join(f"{k}/{n} x 100 = {fmt(Fraction(100 * k, n), p.decimals + 2)}%" for k in ks)
            else:
                shown = ", ".join(fmt_ratio(k, n) for k in ks)
            out.append(Finding(check, [fid], test, CONSISTENT, f"{shown} rounds to {p.text}"))
        else:
            what = f"no count out of n={n} gives {p.text}" if percent else f"no mean of n={n} integer sums rounds to {p.text}"
            out.append(Finding(check, [fid], test, IMPOSSIBLE, f"{what} (neighbours: {grim_neighbours(p, n, percent=percent)})"))
    return out


# --------------------------------------------------------------------------- relation checks
class RelationChecker:
    def __init__(self, figs: Figures, likert: Sequence[str], file: Any = None) -> None:
        self.figs = figs
        self.likert = [s.casefold() for s in likert]
        self.file = file or "published relations"

    # -- references
    def printed(self, ref: Any) -> Printed:
        return self.figs.printed(ref) if isinstance(ref, str) else parse_printed(str(ref))

    def number(self, ref: Any, rel: dict, key: str) -> Fraction:
        p = self.printed(ref)
        if p.value is None:
            raise InputError(self.file, f"relation {rel['id']!r}: {key!r} is not a number", found=ref)
        return p.value

    def integer(self, ref: Any, rel: dict, key: str) -> int:
        v = self.number(ref, rel, key)
        if v.denominator != 1:
            raise InputError(self.file, f"relation {rel['id']!r}: {key!r} is not a whole number", found=ref)
        return int(v)

    def show(self, ref: Any) -> str:
        return f"{ref} = {self.figs.text(ref)}" if isinstance(ref, str) else str(ref)

    @staticmethod
    def ids(*refs: Any) -> list[str]:
        out: list[str] = []
        for r in refs:
            for x in r if isinstance(r, list) else [r]:
                if isinstance(x, str) and x not in out:
                    out.append(x)
        return out

    def run(self, rel: dict) -> Finding:
        return getattr(self, rel["kind"])(rel)

    # -- kinds
    def parts_sum(self, rel: dict) -> Finding:
        parts, total_ref, n_ref = rel["parts"], rel["total"], rel.get("n")
        figures = self.ids(parts, total_ref, n_ref)
        ps = [self.printed(p) for p in parts]
        for part, p in zip(parts, ps, strict=True):
            if p.value is None:
                raise InputError(self.file, f"relation {rel['id']!r}: part {part!r} is not a number", found=self.show(part))
        total = self.printed(total_ref)
        total_value = self.number(total_ref, rel, "total")
        tol = sum((p.half for p in ps), Fraction(0)) + (total.half if isinstance(total_ref, str) else 0)
        s = sum((p.value for p in ps), Fraction(0))
        decimals = max(p.decimals for p in ps)
        shown_sum = " + ".join(p.text for p in ps) + f" = {fmt(s, decimals)}"
        test = f"parts add to {fmt(total_value, total.decimals)} within rounding (±{fmt(tol, decimals + 1)})"
        if n_ref is not None:
            test += ", and some whole counts of n adding to n give each printed part"
        if abs(s - total_value) > tol:
            bad_parts = self._impossible_parts(parts, ps, n_ref, rel)
            detail = f"{shown_sum}, more than rounding allows from {fmt(total_value, total.decimals)}"
            if bad_parts:
                detail += "; " + "; ".join(bad_parts.values())
            return Finding("parts add to total", figures, test, IMPOSSIBLE, detail, culprits=list(bad_parts) or None)
        if n_ref is None:
            return Finding("parts add to total", figures, test, CONSISTENT, shown_sum)
        n = self.integer(n_ref, rel, "n")
        bad_parts = self._impossible_parts(parts, ps, n_ref, rel)
        if bad_parts:
            return Finding(
                "parts add to total",
                figures,
                test,
                IMPOSSIBLE,
                f"{shown_sum}, but " + "; ".join(bad_parts.values()),
                culprits=list(bad_parts),
            )
        options = [grim_counts(p, n, percent=True) for p in ps]
        combos = [c for c in product(*options) if sum(c) == n]
        if not combos:
            return Finding(
                "parts add to total", figures, test, IMPOSSIBLE, f"{shown_sum}, but no counts giving these percentages add to {n}"
            )
        counts = " + ".join(str(c) for c in combos[0])
        return Finding("parts add to total", figures, test, CONSISTENT, f"{shown_sum}; counts {counts} = {n}")

    def _impossible_parts(self, parts: list, ps: list[Printed], n_ref: Any, rel: dict) -> dict[str, str]:
        if n_ref is None:
            return {}
        n = self.integer(n_ref, rel, "n")
        bad = {}
        for part, p in zip(parts, ps, strict=True):
            if not grim_counts(p, n, percent=True):
                bad[str(part)] = f"{p.text} is no count of {n} ({grim_neighbours(p, n, percent=True)})"
        return bad

    def count_from_pct(self, rel: dict) -> Finding:
        p = self.printed(rel["pct"])
        total = self.integer(rel["total"], rel, "total")
        count = self.integer(rel["count"], rel, "count")
        figures = self.ids(rel["pct"], rel["total"], rel["count"])
        x = Fraction(100 * count, total)
        test = f"{count}/{total} x 100 rounds to {p.text}"
        if p.covers(x):
            return Finding(
                "percentage of total gives count",
                figures,
                test,
                CONSISTENT,
                f"{count}/{total} = {fmt(x, p.decimals + 2)}% -> {fmt(x, p.decimals)}",
            )
        ks = grim_counts(p, total, percent=True)
        implied = f"{p.text} of {total} implies {' or '.join(map(str, ks))}" if ks else f"{p.text} is no count of {total}"
        return Finding(
            "percentage of total gives count",
            figures,
            test,
            INCONSISTENT,
            f"{count}/{total} = {fmt(x, p.decimals + 2)}%, not {p.text}; {implied}",
        )

    def group_sizes(self, rel: dict) -> Finding:
        g = self.integer(rel["groups"], rel, "groups")
        sizes = self.printed(rel["sizes"])
        if sizes.range is None:
            raise InputError(self.file, f"relation {rel['id']!r}: 'sizes' is not a range like 9-12", found=self.show(rel["sizes"]))
        lo, hi = sizes.range
        total = self.integer(rel["total"], rel, "total")
        figures = self.ids(rel["groups"], rel["sizes"], rel["total"])
        test = f"{g} groups of {lo}-{hi} hold between {g * lo} and {g * hi} people, which must include {total}"
        if g * lo <= total <= g * hi:
            return Finding("group sizes", figures, test, CONSISTENT, f"{g} x {lo} = {g * lo} <= {total} <= {g} x {hi} = {g * hi}")
        if total < g * lo:
            detail = f"{g} groups of at least {lo} need {g} x {lo} = {g * lo} participants, more than the {total} who took part"
        else:
            detail = f"{g} groups of at most {hi} hold {g} x {hi} = {g * hi} participants, fewer than the {total} who took part"
        return Finding("group sizes", figures, test, IMPOSSIBLE, detail)

    def at_most(self, rel: dict) -> Finding:
        left = self.number(rel["left"], rel, "left")
        rights = rel["right"] if isinstance(rel["right"], list) else [rel["right"]]
        bound = Fraction(1)
        for r in rights:
            bound *= self.number(r, rel, "right")
        figures = self.ids(rel["left"], rel["right"])
        shown = " x ".join(self.show(r) for r in rights)
        test = f"{self.show(rel['left'])} <= {shown}"
        ok = left <= bound
        detail = f"{fmt(left, 0)} {'<=' if ok else '>'} {fmt(bound, 0)}"
        return Finding("at most", figures, test, CONSISTENT if ok else IMPOSSIBLE, detail)

    def scale_range(self, rel: dict) -> Finding:
        k = self.integer(rel["k_items"], rel, "k_items")
        lo, hi = self.number(rel["item_min"], rel, "item_min"), self.number(rel["item_max"], rel, "item_max")
        rmin, rmax = self.number(rel["range_min"], rel, "range_min"), self.number(rel["range_max"], rel, "range_max")
        figures = self.ids(rel["k_items"], rel["item_min"], rel["item_max"], rel["range_min"], rel["range_max"])
        test = f"range = k_items x item score range ({k} x [{fmt(lo, 0)}, {fmt(hi, 0)}])"
        want = (k * lo, k * hi)
        detail = f"{k} x {fmt(lo, 0)} = {fmt(want[0], 0)}, {k} x {fmt(hi, 0)} = {fmt(want[1], 0)}; printed {fmt(rmin, 0)}/{fmt(rmax, 0)}"
        return Finding("scale range", figures, test, CONSISTENT if want == (rmin, rmax) else INCONSISTENT, detail)

    def within_range(self, rel: dict) -> Finding:
        x = self.number(rel["figure"], rel, "figure")
        lo, hi = self.number(rel["min"], rel, "min"), self.number(rel["max"], rel, "max")
        figures = self.ids(rel["figure"], rel["min"], rel["max"])
        ok = lo <= x <= hi
        return Finding(
            "within possible range",
            figures,
            f"{fmt(lo, 0)} <= {self.figs.text(rel['figure'])} <= {fmt(hi, 0)}",
            CONSISTENT if ok else IMPOSSIBLE,
            "inside the possible range" if ok else "outside the possible range",
            culprits=[rel["figure"]],
        )

    def same_quantity(self, rel: dict) -> Finding:
        return same_quantity_finding(self.figs, rel["figures"], rel.get("statement"))

    def median_mode(self, rel: dict) -> Finding:
        med, mode = self.figs.text(rel["median"]), self.figs.text(rel["mode"])
        p = self.printed(rel["pct"])
        figures = self.ids(rel["median"], rel["mode"], rel["pct"])
        for label in (med, mode):
            if label.casefold() not in self.likert:
                raise InputError(
                    self.file, f"relation {rel['id']!r}: label is not on the Likert scale", found=label, expected=one_of(self.likert)
                )
        if p.value is None:
            raise InputError(self.file, f"relation {rel['id']!r}: 'pct' is not a number", found=p.text)
        k = len(self.likert)
        extreme = med.casefold() in (self.likert[0], self.likert[-1])
        test = "a median at an end of the scale needs more than half the answers there; more than half in the mode forces median = mode"
        lo_pct, hi_pct = p.value - p.half, p.value + p.half
        if hi_pct < Fraction(100, k):
            return Finding(
                "median vs modal %",
                figures,
                test,
                IMPOSSIBLE,
                f"a modal category of {k} holds at least {fmt(Fraction(100, k), 1)}%, not {p.text}",
            )
        if med.casefold() == mode.casefold():
            if not extreme:
                return Finding(
                    "median vs modal %", figures, test, CONSISTENT, f"median = mode = {med} (not an end category), {p.text}% there"
                )
            if lo_pct > 50:
                return Finding("median vs modal %", figures, test, CONSISTENT, f"median {med} with {p.text}% > 50% in that category")
            if hi_pct < 50:
                return Finding(
                    "median vs modal %",
                    figures,
                    test,
                    IMPOSSIBLE,
                    f"median {med!r} is the end of the scale, so more than half the answers must be {med!r}, but only {p.text}% are",
                    culprits=[rel["median"]],
                )
            return Finding(
                "median vs modal %",
                figures,
                test,
                AMBIGUOUS,
                f"exactly half ({p.text}%) in {med!r}: the median lies between two categories",
            )
        if lo_pct > 50:
            return Finding(
                "median vs modal %",
                figures,
                test,
                IMPOSSIBLE,
                f"{p.text}% > 50% answered {mode!r}, so the median must be {mode!r}, not {med!r}",
            )
        if extreme:
            return Finding(
                "median vs modal %",
                figures,
                test,
                IMPOSSIBLE,
                f"median {med!r} needs more than half the answers there, which would make it the mode, not {mode!r}",
            )
        return Finding("median vs modal %", figures, test, CONSISTENT, f"median {med}, mode {mode} with {p.text}%")

    def majority_claim(self, rel: dict) -> Finding:
        p = self.printed(rel["figure"])
        if p.value is None:
            raise InputError(self.file, f"relation {rel['id']!r}: 'figure' is not a number", found=p.text)
        test = f'"{rel["wording"]}" needs more than 50%'
        if p.value - p.half > 50:
            return Finding("majority wording", [rel["figure"]], test, CONSISTENT, f"{p.text} > 50%", culprits=[])
        if p.value + p.half < 50:
            return Finding(
                "majority wording",
                [rel["figure"]],
                test,
                INCONSISTENT,
                f'"{rel["wording"]}" is said of {p.text}, a minority of respondents',
                culprits=[],
            )
        return Finding("majority wording", [rel["figure"]], test, AMBIGUOUS, f"{p.text} is about half", culprits=[])

    def bands(self, rel: dict) -> Finding:
        defs = rel["definitions"]
        figures = self.ids(*[d.get("figures", []) for d in defs])
        bounds = [b[key] for d in defs for b in d["bands"] for key in ("min", "max") if b.get(key) is not None]
        lo, hi = int(min(bounds)) - 1, int(max(bounds)) + 1

        def band(d: dict, age: int) -> str | None:
            for b in d["bands"]:
                if (b.get("min") is None or age >= b["min"]) and (b.get("max") is None or age <= b["max"]):
                    return str(b["label"])
            return None

        def index(d: dict, age: int) -> int | None:
            lab = band(d, age)
            return None if lab is None else [str(b["label"]) for b in d["bands"]].index(lab)

        clashes = []
        for age in range(lo, hi + 1):
            placed = [(d.get("source", f"definition {i + 1}"), band(d, age), index(d, age)) for i, d in enumerate(defs)]
            idx = {p[2] for p in placed if p[2] is not None}
            if len(idx) > 1:
                clashes.append((age, placed))
        labels = "; ".join(f"{d.get('source', '?')}: " + " / ".join(str(b["label"]) for b in d["bands"]) for d in defs)
        test = "every value falls in the corresponding band under each definition"
        if not clashes:
            return Finding("category definitions", figures, test, CONSISTENT, labels)
        ages = [a for a, _ in clashes]
        age, placed = clashes[0]
        where = ", ".join(f"{lab!r} ({src})" for src, lab, _ in placed if lab is not None)
        span = f"{ages[0]}" if len(ages) == 1 else f"{ages[0]}-{ages[-1]}"
        return Finding("category definitions", figures, test, INCONSISTENT, f"{labels}; age {span} falls in {where}")

    def ambiguity(self, rel: dict) -> Finding:
        figures = self.ids(rel.get("figures", []))
        return Finding("ambiguity", figures, "read by hand", AMBIGUOUS, " ".join(str(rel["detail"]).split()))


# --------------------------------------------------------------------------- cross-location agreement
def same_quantity_finding(figs: Figures, ids: Sequence[str], statement: str | None = None) -> Finding:
    """Do figures printed in several places agree, up to their printed precision?"""
    ps = {fid: figs.printed(fid) for fid in ids}
    test = "the same quantity printed in several places agrees within rounding (and with a whole count of n where n is known)"
    listed = ", ".join(f"{fid} = {p.text}" for fid, p in ps.items())
    if not all(p.is_number for p in ps.values()):
        texts = {" ".join(p.text.casefold().split()) for p in ps.values()}
        ok = len(texts) == 1
        return Finding("cross-location agreement", list(ids), test, CONSISTENT if ok else INCONSISTENT, listed)
    signs = {fid: (p.value > 0) - (p.value < 0) for fid, p in ps.items() if p.value}
    if len(set(signs.values())) > 1:
        pos = [f for f, s in signs.items() if s > 0]
        neg = [f for f, s in signs.items() if s < 0]
        minority = pos if len(pos) < len(neg) else neg if len(neg) < len(pos) else []
        culprits = set(minority) | _grim_failures(figs, ids)
        detail = f"{listed}: the values differ in sign"
        return Finding("cross-location agreement", list(ids), test, INCONSISTENT, detail, culprits=sorted(culprits) or None)
    lo = max(p.value - p.half for p in ps.values())
    hi = min(p.value + p.half for p in ps.values())
    if lo > hi:
        culprits = _grim_failures(figs, ids)
        return Finding(
            "cross-location agreement",
            list(ids),
            test,
            INCONSISTENT,
            f"{listed}: no value rounds to all of them",
            culprits=sorted(culprits) or None,
        )
    ns = {figs.n(fid) for fid in ids}
    if len(ns) == 1 and None not in ns:
        n = ns.pop()
        percent = all(figs.rows[f]["kind"] == "pct" for f in ids)
        if all(figs.rows[f]["kind"] in ("pct", "mean") for f in ids) and (percent or all(figs.rows[f]["kind"] == "mean" for f in ids)):
            common = set.intersection(*(set(grim_counts(p, n, percent=percent)) for p in ps.values()))
            if not common:
                culprits = _grim_failures(figs, ids)
                return Finding(
                    "cross-location agreement",
                    list(ids),
                    test,
                    INCONSISTENT,
                    f"{listed}: the printed values differ and no whole count of n={n} rounds to all of them",
                    culprits=sorted(culprits) or None,
                )
    same = len({p.value for p in ps.values()}) == 1
    return Finding(
        "cross-location agreement", list(ids), test, CONSISTENT, listed + ("" if same else " (differ only in printed precision)")
    )


def _grim_failures(figs: Figures, ids: Iterable[str]) -> set[str]:
    bad = set()
    for fid in ids:
        n, kind = figs.n(fid), figs.rows[fid]["kind"]
        p = figs.printed(fid)
        if n and p.is_number and kind in ("pct", "mean") and not grim_counts(p, n, percent=kind == "pct"):
            bad.add(fid)
    return bad


def same_as_groups(figs: Figures) -> list[list[str]]:
    """Groups of figures linked (transitively) by same_as, in table order."""
    parent: dict[str, str] = {}

    def root(x: str) -> str:
        while parent.get(x, x) != x:
            x = parent[x]
        return x

    for fid, r in figs.rows.items():
        if r["same_as"]:
            parent[root(fid)] = root(r["same_as"])
    groups: dict[str, list[str]] = {}
    for fid in figs.rows:
        groups.setdefault(root(fid), []).append(fid)
    return [g for g in groups.values() if len(g) > 1]


# --------------------------------------------------------------------------- generator records
def same_printed(a: str, b: str) -> bool:
    """Whether two printed values are the same figure ('72.8' and '72.8%'; labels ignoring case)."""
    pa, pb = parse_printed(a), parse_printed(b)
    if pa.is_number or pb.is_number:
        return (pa.value, pa.decimals) == (pb.value, pb.decimals)
    if pa.range or pb.range:
        return pa.range == pb.range
    return " ".join(a.casefold().split()) == " ".join(b.casefold().split())


def record_findings(figs: Figures, records: Sequence[dict]) -> list[Finding]:
    out = []
    for rec in records:
        file = rec.get("_file", "generator record")
        gen = rec.get("generator", "generator")
        seed = rec.get("seed")
        for entry in rec.get("unreachable", []) or []:
            fid = entry.get("figure")
            if fid not in figs:
                raise InputError(file, "unreachable entry names a figure that is not in the figures table", found=fid)
            published = str(entry.get("published", figs.text(fid)))
            detail = f"{gen}{f' (seed {seed})' if seed is not None else ''} reached {entry.get('achieved', '?')}"
            if entry.get("reason"):
                detail += f": {entry['reason']}"
            if not same_printed(published, figs.text(fid)):
                detail += f" [record quotes {published!r}, the figures table {figs.text(fid)!r}]"
            out.append(
                Finding(
                    "generator record",
                    [fid],
                    "the synthetic study reproduces the published value",
                    UNREACHABLE,
                    detail,
                    published=published,
                )
            )
    return out


# --------------------------------------------------------------------------- the audit
def audit_findings(
    figs: Figures, relations: dict | None, generator_records: Sequence[dict] = (), *, relations_file: Any = None
) -> list[Finding]:
    """Every finding on the (validated) figures: GRIM, the relations, same_as groups, records."""
    relations = relations or {"relations": []}
    checker = RelationChecker(figs, relations.get("likert_scale") or [], relations_file)
    findings = check_grim(figs)
    explicit_groups = []
    for rel in relations["relations"]:
        f = checker.run(rel)
        f.test = f"{f.test} [relation {rel['id']}: {' '.join(str(rel['statement']).split())}]"
        findings.append(f)
        if rel["kind"] == "same_quantity":
            explicit_groups.append(frozenset(rel["figures"]))
    for group in same_as_groups(figs):
        if frozenset(group) not in explicit_groups:
            findings.append(same_quantity_finding(figs, group))
    findings.extend(record_findings(figs, generator_records))
    return findings


def _row(f: Finding, figs: Figures) -> dict:
    locs = list(dict.fromkeys(figs.location(x) for x in f.figures))
    published = f.published if f.published is not None else "; ".join(figs.text(x) for x in f.figures)
    return {
        "check": f.check,
        "figures": "; ".join(f.figures),
        "location": "; ".join(locs),
        "published": published,
        "test": f.test,
        "verdict": f.verdict,
        "detail": f.detail,
    }


def audit_table(findings: Sequence[Finding], figs: Figures) -> pd.DataFrame:
    """The consistency audit: one row per finding, columns ``AUDIT_COLUMNS``."""
    return pd.DataFrame([_row(f, figs) for f in findings], columns=AUDIT_COLUMNS)


def figure_notes(findings: Sequence[Finding]) -> pd.DataFrame:
    """Per figure blamed by a failing finding, the reason its value cannot (or may not) be
    reproduced: ``figure, note`` (the reproduction check quotes them)."""
    rows = [
        {"figure": fid, "note": f"{f.verdict} ({f.check}): {f.detail}"}
        for f in findings
        if f.verdict in (IMPOSSIBLE, INCONSISTENT, AMBIGUOUS)
        for fid in f.blamed()
    ]
    return pd.DataFrame(rows, columns=["figure", "note"])


def audit(figures: pd.DataFrame, relations: dict | None = None, generator_records: Sequence[dict] = ()) -> pd.DataFrame:
    """The audit table of validated figures (a convenience for tests and tools)."""
    figs = Figures(figures)
    return audit_table(audit_findings(figs, relations, generator_records), figs)


# --------------------------------------------------------------------------- Snakemake entry
def main(smk: Any) -> None:
    figures = load_figures(smk.input.figures)
    relations = load_relations(smk.input.relations, figures) if getattr(smk.input, "relations", None) else None
    records = [load_record(p, figures) for p in as_list(getattr(smk.input, "records", None))]
    figs = Figures(figures)
    findings = audit_findings(figs, relations, records, relations_file=getattr(smk.input, "relations", None))
    write_result(figures, smk.output.published_figures, result("published_figures"))
    write_result(figure_notes(findings), smk.output.figure_notes, result("figure_notes"))
    write_result(audit_table(findings, figs), smk.output.audit, result("audit"))


if "snakemake" in globals():
    run_rule(snakemake, main)  # type: ignore[name-defined]  # noqa: F821
