"""The reviewer's report: the template filled with the facts and tables the rules computed.

This stage

1. formats the result tables as markdown tables (numbers rounded for reading; where a
   computed value differs from the published one, the cell shows both);
2. fills the template ``reports/report.qmd.j2`` (jinja2) with those tables and with
   ``facts.json`` (rule ``report_facts``): every sentence of the report is in the template,
   chosen by a fact and printing facts, so nothing in it is typed in by hand and nothing can
   contradict the results; a new result table is available to the template by its contract
   key (``results.<key>``) and can be set as a table with ``| table``;
3. records provenance: SHA-256 of every input (the anonymisation rules hash the raw files,
   this stage hashes the rest), the config used (lists that name places, services and
   organisations withheld), the git commit and whether the tree was dirty, Python and
   package versions, the renderer, and the date the data was built (``SOURCE_DATE_EPOCH``);
4. renders HTML and PDF from ``results/report/source/report.qmd``: with ``quarto`` on PATH
   (or ``report.renderer: quarto``) by ``quarto render`` (self-contained HTML; PDF through
   Quarto's typst format), otherwise by pandoc (``pypandoc_binary``: standalone HTML with
   embedded resources; typst source compiled by the ``typst`` package with its bundled fonts
   only, so the PDF does not depend on the machine's fonts).

Long tables break across PDF pages with their header repeated (the template's typst
preamble makes pandoc's table figures breakable), and long unbroken tokens (ids, hashes)
wrap inside their column.
"""

import logging
import math
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pandas as pd

from contracts import RESULTS_LIST, read_result, result
from outputs import write_bytes, write_json, write_text
from provenance import build_date, git_state, sha256_file, versions, withhold
from specs import parse_spec
from stage import as_list, run_rule

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = "report.qmd.j2"
log = logging.getLogger("ripls.report")

#: Figures the report shows, with their captions, by contract key of the PNG.
FIGURE_CAPTIONS = {
    "likert_png": "Answers to every scored item, by subscale: diverging stacked bars centred on the neutral category.",
    "distributions_png": "Subscale scores, overall and by a grouping, with n and the possible range.",
    "flipchart_png": "Flip-chart themes: % of the notes on each sheet coded with each theme.",
    "heatmap_png": "Coded segments per sub-theme in each focus group.",
}


# ----------------------------------------------------------------------------- formatting
def esc(value) -> str:
    """A table cell or inline text, escaped for pandoc markdown (both renderers)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    text = " ".join(str(value).split())
    return re.sub(r"([\\|*_\[\]<>#`$@])", r"\\\1", text)


def num(x, decimals: int = 2) -> str:
    if x is None or x is pd.NA or (isinstance(x, float) and math.isnan(x)) or x == "":
        return ""
    x = float(x)
    if math.isinf(x):
        return "∞" if x > 0 else "-∞"
    return f"{x:.{decimals}f}"


def pval(p) -> str:
    if p is None or p is pd.NA or (isinstance(p, float) and math.isnan(p)):
        return ""
    return "<0.001" if p < 0.001 else f"{p:.3f}"


NUMBER_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve")


def words(n: int) -> str:
    """A count in words up to twelve, in digits above (house style for prose)."""
    n = int(n)
    return NUMBER_WORDS[n] if 0 <= n < len(NUMBER_WORDS) else str(n)


def plural(n: int, singular: str, many: str | None = None) -> str:
    return singular if int(n) == 1 else (many or singular + "s")


def join_and(items: Sequence[Any]) -> str:
    items = [str(i) for i in items]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1] if items else ""


def md_table(header: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[int] | None = None, align: str | None = None) -> str:
    """A pipe table. ``widths`` are relative column widths (dashes), ``align`` one of l/r/c per column."""
    widths = widths or [3] * len(header)
    align = align or "l" * len(header)
    rule = []
    for w, a in zip(widths, align, strict=True):
        d = "-" * max(3, w)
        rule.append({"l": ":" + d, "r": d + ":", "c": ":" + d + ":"}[a])
    lines = ["| " + " | ".join(map(_no_html, header)) + " |", "|" + "|".join(rule) + "|"]
    lines += ["| " + " | ".join(_no_html(c) for c in r) + " |" for r in rows]
    return "\n".join(lines) + "\n"


_BARE_LT = re.compile(r"(?<!\\)<")


def _no_html(cell) -> str:
    """A cell's ``<`` escaped (``<5``, ``<0.001``): a table holds no raw HTML, and pandoc's
    markdown reader, trying each bare ``<`` as the start of a tag, spent 2 s of the report's
    5 s parse on the suppressed counts."""
    return _BARE_LT.sub(r"\\<", str(cell))


def frame_table(df: pd.DataFrame) -> str:
    """Any result table as a markdown table (floats to 3 decimals): the template's ``| table``."""
    rows = [[esc(num(v, 3)) if isinstance(v, float) else esc(v) for v in r] for r in df.itertuples(index=False)]
    return md_table([esc(c) for c in df.columns], rows)


# ----------------------------------------------------------------------------- published values
class Published:
    """Published figures and their reproduction status, found by what they compute."""

    def __init__(self, figures: pd.DataFrame | None, checks: pd.DataFrame | None):
        self._by_target: dict[tuple, list[dict]] = {}
        if figures is None or checks is None:
            return
        status = checks.set_index("figure").to_dict("index")
        for rec in figures.to_dict("records"):
            spec = parse_spec(rec.get("compute") or "", figure=rec["figure"]) if rec.get("compute") else None
            if spec is None or spec.aggregate is not None:
                continue
            key = (spec.file, tuple(sorted(spec.filters)), spec.field)
            self._by_target.setdefault(key, []).append({**rec, **status.get(rec["figure"], {})})

    def get(self, file: str, filters: Mapping[str, object], field: str, location: str) -> dict | None:
        key = (file, tuple(sorted((k, str(v)) for k, v in filters.items())), field)
        for rec in self._by_target.get(key, []):
            if rec["location"] == location:
                return rec
        return None


def cell(computed: str, pub: dict | None) -> str:
    """The computed value; where the published figure differs, also the published one."""
    if pub and pub.get("status") == "differs":
        return f"{computed} (published {esc(pub['published'])}) ⚠"
    return computed


# ----------------------------------------------------------------------------- tables
def table1_md(t1: pd.DataFrame, pub: Published) -> str:
    """One row per level of every grouping (any number of levels), then the response rows."""
    rows = []
    for var, part in t1.groupby("variable", sort=False):
        for i, rec in enumerate(part.to_dict("records")):
            p = pub.get("tables/table1_demographics.csv", {"variable": var, "level": rec["level"]}, "pct", "table1")
            rows.append(
                [
                    f"**{esc(rec['variable_label'])}**" if i == 0 else "",
                    esc(rec["level_label"]),
                    str(rec["n"]),
                    str(rec["denominator"]),
                    cell(num(rec["pct"], 1), p),
                ]
            )
    return md_table(["Variable", "Level", "n", "of", "%"], rows, widths=[16, 24, 5, 5, 14], align="llrrr")


def table2_md(t2: pd.DataFrame, pub: Published) -> str:
    rows = []
    f = "tables/table2_subscales.csv"
    for rec in t2.to_dict("records"):
        s = {"subscale": rec["subscale"]}
        rows.append(
            [
                esc(rec["name"]),
                esc(rec["items"]),
                cell(num(rec["alpha"]), pub.get(f, s, "alpha", "table2")),
                cell(num(rec["mean"]), pub.get(f, s, "mean", "table2")),
                cell(str(rec["n_scored"]), pub.get(f, s, "n_scored", "table2")),
                f"{num(rec['range_max'], 0)} / {num(rec['range_min'], 0)}",
            ]
        )
    return md_table(
        ["Subscale", "Items", "Cronbach α", "Mean", "n", "Possible range"], rows, widths=[30, 16, 10, 16, 6, 10], align="llrrrr"
    )


def table3_md(t3: pd.DataFrame, items: pd.DataFrame, subscale_names: Mapping[str, str], pub: Published) -> str:
    f = "tables/item_statistics.csv"
    rows = []
    by_item = items.set_index("item")
    for sid, part in t3.groupby("subscale", sort=False):
        rows.append(["", f"**{esc(subscale_names.get(sid, sid))}**", "", "", ""])
        for rec in part.to_dict("records"):
            it = {"item": rec["item"]}
            r = by_item.loc[rec["item"]]
            rows.append(
                [
                    str(rec["item"]),
                    esc(rec["text"]),
                    cell(esc(r["median_label"]), pub.get(f, it, "median_label", "table3")),
                    cell(esc(r["mode_label"]), pub.get(f, it, "mode_label", "table3")),
                    cell(num(r["modal_pct"], 1), pub.get(f, it, "modal_pct", "table3")),
                ]
            )
    return md_table(["Item no.", "Item", "Median", "Mode", "% in modal category"], rows, widths=[5, 40, 12, 12, 8], align="rlllr")


def table4_md(t4: pd.DataFrame, sheet_titles: Mapping[str, str]) -> str:
    """One row per theme and sub-theme (↳), grouped by sheet: long sheets stay readable."""
    rows = []
    for sheet in t4["sheet"].drop_duplicates():
        part = t4[t4["sheet"] == sheet]
        rows.append([f"**{esc(sheet_titles.get(sheet, sheet))}** (n = {part['denominator'].iloc[0]} notes)", "", ""])
        for rec in part.to_dict("records"):
            name = f"↳ {esc(rec['sub_theme'])}" if rec["sub_theme"] else esc(rec["theme"])
            rows.append([name, str(rec["n_notes"]), num(rec["pct"], 1)])
    return md_table(["Theme", "Notes", "%"], rows, widths=[50, 6, 6], align="lrr")


def reliability_md(t2: pd.DataFrame, level: float) -> str:
    rows = [
        [
            esc(r["name"]),
            str(r["k_items"]),
            str(r["alpha_n"]),
            num(r["alpha"], 3),
            f"{num(r['alpha_ci_low'], 3)} to {num(r['alpha_ci_high'], 3)}",
            num(r["mean"]),
            num(r["sd"]),
            num(r["median"], 1),
            f"{r['n_scored']} ({r['n_not_scored']} not scored)",
        ]
        for r in t2.to_dict("records")
    ]
    head = ["Subscale", "k", "n (α)", "α", f"{ci_label(level)} CI (Feldt)", "Mean", "SD", "Median", "n scored"]
    return md_table(head, rows, widths=[28, 4, 6, 7, 14, 7, 7, 7, 12], align="lrrrrrrrr")


def ci_label(level: float) -> str:
    """'95%' for 0.95, '99.5%' for 0.995."""
    return f"{level * 100:g}%"


def items_md(items: pd.DataFrame, labels: Sequence[str]) -> str:
    from instrument import label_slug

    head = ["Item", "Subscale", "n", *[esc(lab) for lab in labels], "Median", "Mode", "Modal %", "Item-rest r", "α if deleted"]
    rows = []
    for r in items.to_dict("records"):
        rows.append(
            [
                str(r["item"]),
                esc(r["subscale"]),
                str(r["n"]),
                *[str(r[f"n_{label_slug(lab)}"]) for lab in labels],
                esc(r["median_label"]),
                esc(r["mode_label"]),
                num(r["modal_pct"], 1),
                num(r["item_rest_r"], 3),
                num(r["alpha_if_deleted"], 3),
            ]
        )
    return md_table(head, rows, align="rlr" + "r" * len(labels) + "llrrr")


def fisher_md(f: pd.DataFrame, level: float) -> str:
    rows = []
    for r in f.to_dict("records"):
        ci = f"[{num(r['or_ci_low'])}, {num(r['or_ci_high'])}]" if not math.isnan(r["odds_ratio"]) else ""
        rows.append(
            [
                str(r["item"]),
                esc(r["grouping"]),
                f"{esc(r['level_1'])}: {r['n_1_pos']}/{r['n_1_neg']}",
                f"{esc(r['level_2'])}: {r['n_2_pos']}/{r['n_2_neg']}",
                f"{r['n']} ({r['n_excluded']})",
                pval(r["p"]),
                f"{num(r['odds_ratio'])} {ci}".strip(),
                pval(r["p_holm"]),
                pval(r["p_bh"]),
            ]
        )
    head = ["Item", "Grouping", "Group 1", "Group 2", "n (excl.)", "p", f"OR [{ci_label(level)} CI]", "p Holm", "p BH"]
    return md_table(head, rows, widths=[4, 9, 12, 12, 7, 6, 18, 6, 6], align="rllllrrrr")


def fisher_rxc_md(f: pd.DataFrame) -> str:
    rows = [
        [
            str(r["item"]),
            esc(r["grouping"]),
            esc(r["levels"]),
            esc(r["n_pos"]),
            esc(r["n_neg"]),
            f"{r['n']} ({r['n_excluded']})",
            pval(r["p"]),
            esc(r["method"] + (f" ({int(r['n_sim']):,} tables)" if r["method"] == "monte carlo" else "")),
            pval(r["p_holm"]),
            pval(r["p_bh"]),
        ]
        for r in f.to_dict("records")
    ]
    head = ["Item", "Grouping", "Levels", "Positive", "Other", "n (excl.)", "p", "Method", "p Holm", "p BH"]
    return md_table(head, rows, widths=[4, 8, 14, 9, 9, 7, 6, 12, 6, 6], align="rllllrrlrr")


def scale_tests_md(g: pd.DataFrame) -> str:
    rows = [
        [
            esc(r["subscale"]),
            esc(r["grouping"]),
            f"{esc(r['level_1'])} {r['n_1']} / {esc(r['level_2'])} {r['n_2']}",
            f"{num(r['median_1'], 1) or '–'} / {num(r['median_2'], 1) or '–'}",
            f"{num(r['mean_1']) or '–'} / {num(r['mean_2']) or '–'}",
            num(r["mwu_u"], 1),
            f"{pval(r['mwu_p'])} ({esc(r['mwu_method'])})" if r["mwu_method"] else "",
            num(r["rank_biserial"]),
            f"{num(r['welch_t'])} ({num(r['welch_df'], 1)})" if not math.isnan(r["welch_t"]) else "",
            pval(r["welch_p"]),
            esc(r["note"]),
        ]
        for r in g.to_dict("records")
    ]
    head = ["Subscale", "Grouping", "n", "Median", "Mean", "U", "p (MWU)", "r rank-biserial", "Welch t (df)", "p (Welch)", "Note"]
    return md_table(head, rows, widths=[12, 9, 14, 8, 10, 6, 12, 7, 10, 7, 12], align="lllllrrrrrl")


def scale_tests_k_md(g: pd.DataFrame) -> str:
    rows = [
        [
            esc(r["subscale"]),
            esc(r["grouping"]),
            esc(r["levels"]),
            esc(r["n"]),
            esc(r["median"]),
            f"{num(r['kw_h'])} ({num(r['kw_df'], 0)})",
            pval(r["kw_p"]),
            num(r["epsilon_squared"], 3),
            f"{num(r['welch_f'])} ({num(r['welch_df1'], 0)}, {num(r['welch_df2'], 1)})" if not math.isnan(r["welch_f"]) else "",
            pval(r["welch_p"]),
            esc(r["note"]),
        ]
        for r in g.to_dict("records")
    ]
    head = ["Subscale", "Grouping", "Levels", "n", "Median", "H (df)", "p (KW)", "ε²", "Welch F (df)", "p (Welch)", "Note"]
    return md_table(head, rows, widths=[11, 8, 14, 8, 10, 8, 6, 5, 12, 6, 12], align="lllllrrrrrl")


def focus_groups_md(fg: pd.DataFrame, sizes: pd.DataFrame) -> str:
    groups = [c for c in fg.columns if c not in {"theme", "sub_theme", "total", "n_groups"}]
    size = dict(zip(sizes["group"], sizes["n_participants"], strict=True))
    head = ["Theme / sub-theme", *[f"{esc(g)} (n={size.get(g, '')})" for g in groups], "Total", "Groups"]
    rows = []
    for r in fg.to_dict("records"):
        label = f"↳ {esc(r['sub_theme'])}" if r["sub_theme"] else f"**{esc(r['theme'])}**"
        rows.append([label, *[str(r[g]) for g in groups], str(r["total"]), str(r["n_groups"])])
    return md_table(head, rows, widths=[30] + [6] * (len(groups) + 2), align="l" + "r" * (len(groups) + 2))


def counts_md(df: pd.DataFrame, first: Sequence[str], k: int) -> str:
    """A table of counts of people, suppressed cells (blank, listed in ``suppressed``) shown
    as ``<k``; the ``suppressed`` column itself is not shown."""
    counts = [c for c in df.columns if c not in (*first, "suppressed")]
    rows = []
    for r in df.to_dict("records"):
        label = f"↳ {esc(r['sub_theme'])}" if r.get("sub_theme") else f"**{esc(r['theme'])}**"
        rows.append(
            [
                label,
                *[
                    f"<{k}" if (v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v))) else str(v)
                    for v in (r[c] for c in counts)
                ],
            ]
        )
    head = ["Theme / sub-theme", *[esc(c.replace("_", " ")) for c in counts]]
    return md_table(head, rows, widths=[30] + [6] * len(counts), align="l" + "r" * len(counts))


def agreement_md(a: pd.DataFrame) -> str:
    rows = [
        [
            esc(r["group"].replace("_", " ")),
            esc(r["unit"]),
            f"**{esc(r['code_path'])}**" if r["code_path"] == "(all codes)" else esc(r["code_path"].split(" > ", 1)[-1]),
            str(r["n_units"]),
            num(r["pct_agreement"], 1),
            num(r["cohen_kappa"], 3),
            num(r["krippendorff_alpha"], 3),
            esc(r["alpha_threshold"]),
        ]
        for r in a.to_dict("records")
    ]
    head = ["Documents", "Unit", "Code", "Units", "% agreement", "Cohen's κ", "Krippendorff's α", "α reaches"]
    return md_table(head, rows, widths=[8, 8, 34, 7, 7, 7, 7, 7], align="lllrrrrl")


def quotes_md(q: pd.DataFrame) -> str:
    out = []
    for (cat, theme, sub), part in q.groupby(["category", "theme", "sub_theme"], sort=False):
        title = " › ".join(esc(x) for x in (cat, theme, sub) if x)
        out.append(f"**{title}**\n")
        for r in part.to_dict("records"):
            out.append(f"> {esc(r['quote'])} ({esc(r['source'])}, {esc(r['segment_id'])})\n")
    return "\n".join(out)


def checks_md(checks: pd.DataFrame) -> str:
    rows = [
        [esc(r["figure"]), esc(r["location"]), esc(r["published"]), esc(r["computed"]), esc(r["status"]), esc(r["note"])]
        for r in checks.to_dict("records")
    ]
    head = ["Figure", "Location", "Published", "Computed", "Status", "Note"]
    return md_table(head, rows, widths=[16, 7, 9, 9, 10, 40])


AUDIT_ORDER = {"impossible": 0, "inconsistent": 1, "unreachable in synthetic data": 2, "ambiguous": 3, "consistent": 4}


def audit_md(audit: pd.DataFrame) -> str:
    audit = audit.assign(_o=audit["verdict"].map(AUDIT_ORDER).fillna(5)).sort_values(["_o", "check"], kind="stable")
    rows = [
        [esc(r["check"]), esc(r["figures"]), esc(r["published"]), esc(r["test"]), f"**{esc(r['verdict'])}**", esc(r["detail"])]
        for r in audit.to_dict("records")
    ]
    head = ["Check", "Figures", "Published", "Test", "Verdict", "Detail"]
    return md_table(head, rows, widths=[12, 14, 9, 10, 9, 40])


def provenance_tables(prov: Mapping) -> dict[str, str]:
    inputs = md_table(["File", "SHA-256"], [[esc(p), h] for p, h in sorted(prov["inputs"].items())], widths=[30, 50])
    packages = md_table(["Package", "Version"], [[esc(k), esc(v)] for k, v in prov["versions"]["packages"].items()], widths=[20, 20])
    return {"inputs": inputs, "packages": packages}


def tables_md(t: Mapping[str, Any], config: Mapping, instrument, pub: Published) -> dict[str, str]:
    """The markdown of every table the results hold, by name."""
    out: dict[str, str] = {}
    if "table1" in t:
        a = config["analysis"]
        names = {s.id: s.name for s in instrument.subscales}
        out |= {
            "table1": table1_md(t["table1"], pub),
            "table2": table2_md(t["table2"], pub),
            "table3": table3_md(t["table3"], t["item_statistics"], names, pub),
            "reliability": reliability_md(t["table2"], a["ci_level"]),
            "items": items_md(t["item_statistics"], instrument.labels),
            "fisher": fisher_md(t["fisher"], a["ci_level"]) if len(t["fisher"]) else "",
            "fisher_rxc": fisher_rxc_md(t["fisher_rxc"]) if len(t["fisher_rxc"]) else "",
            "scale_tests": scale_tests_md(t["scale_tests"]) if len(t["scale_tests"]) else "",
            "scale_tests_k": scale_tests_k_md(t["scale_tests_k"]) if len(t["scale_tests_k"]) else "",
        }
    if "table4" in t and len(t["table4"]):
        out["table4"] = table4_md(t["table4"], config["qualitative"]["flipchart"].get("sheet_titles", {}))
    if "focus_groups" in t and len(t["focus_groups"]):
        out["focus_groups"] = focus_groups_md(t["focus_groups"], t["sizes"])
    if "quotes" in t and len(t["quotes"]):
        out["quotes"] = quotes_md(t["quotes"])
    k = int(config["k_anonymity"]["k"])
    if "focus_group_speakers" in t and len(t["focus_group_speakers"]):
        out["focus_group_speakers"] = counts_md(t["focus_group_speakers"], ("theme", "sub_theme"), k)
    if "theme_speakers_by_grouping" in t and len(t["theme_speakers_by_grouping"]):
        out["speakers_by_grouping"] = counts_md(t["theme_speakers_by_grouping"], ("theme", "sub_theme"), k)
    if "agreement" in t and len(t["agreement"]):
        out["agreement"] = agreement_md(t["agreement"])
    if "checks" in t:
        out["checks"] = checks_md(t["checks"])
        out["audit"] = audit_md(t["audit"])
    return out


# ----------------------------------------------------------------------------- the template
def environment(folder: Path):
    """The jinja2 environment of the report template: undefined names are errors (a fact the
    template asks for must exist), comments are ``<!--# ... #-->`` so that typst's ``#{`` and
    markdown's braces pass through."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(folder)),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        comment_start_string="<!--#",
        comment_end_string="#-->",
        autoescape=False,
    )
    env.filters.update(
        {"esc": esc, "num": num, "pval": pval, "words": words, "plural": plural, "join_and": join_and, "ci": ci_label, "table": frame_table}
    )
    return env


def render_template(folder: Path, context: Mapping[str, Any], name: str = TEMPLATE) -> str:
    return tidy_markdown(environment(folder).get_template(name).render(**context))


def tidy_markdown(text: str) -> str:
    """A blank line before and after every pipe table, which pandoc needs to see a table (a
    template block that ends a line of text would otherwise glue the table to the paragraph)."""
    out: list[str] = []
    for line in text.split("\n"):
        is_row = line.startswith("|")
        prev = out[-1] if out else ""
        if line.strip() and prev.strip() and (is_row != prev.startswith("|")):
            out.append("")
        out.append(line)
    return "\n".join(out)


# ----------------------------------------------------------------------------- rendering
def choose_renderer(preference: str) -> dict:
    quarto = shutil.which("quarto")
    if preference == "quarto" and not quarto:
        from errors import InputError

        raise InputError(
            "config.yaml",
            "report.renderer is quarto but quarto is not on PATH",
            key="report.renderer",
            expected="auto or pandoc, or install Quarto",
        )
    if quarto and preference in {"auto", "quarto"}:
        out = subprocess.run([quarto, "--version"], capture_output=True, text=True, check=False).stdout.strip()
        return {"name": "quarto", "version": out or "unknown", "path": quarto}
    import pypandoc
    import typst

    return {"name": "pandoc + typst", "version": f"pandoc {pypandoc.get_pandoc_version()}, typst {typst.__version__}"}


def render_pandoc(source: Path, formats: Sequence[str], epoch: int, outputs: Mapping[str, Path]) -> None:
    import pypandoc
    import typst

    md = (source / "report.qmd").read_text(encoding="utf-8")
    # --wrap=none: pandoc's typst writer would otherwise break long cells into lines, and a
    # line that then starts with "/ ", "= ", "- " or "+ " is typst markup (a term, a heading, a
    # list item), not text: "expected colon" on a cell such as "8.0 / " wrapped before its slash.
    common = ["--standalone", f"--resource-path={source}", "--toc", "--toc-depth=2", "--wrap=none"]
    # The markdown is parsed once (most of pandoc's time); the two writers then run side by side.
    ast = pypandoc.convert_text(md, "json", format="markdown", extra_args=["--wrap=none"])
    jobs = {}
    if "html" in formats:
        jobs["html"] = ("html5", [*common, "--embed-resources", f"--css={source / 'report.css'}"])
    if "pdf" in formats:
        jobs["typst"] = ("typst", common)
    with ThreadPoolExecutor(max_workers=2) as pool:
        written = {k: pool.submit(pypandoc.convert_text, ast, to, format="json", extra_args=args) for k, (to, args) in jobs.items()}
        written = {k: f.result() for k, f in written.items()}
    if "html" in formats:
        write_text(outputs["html"], written["html"])
    if "pdf" in formats:
        typ = typst_safe(written["typst"])
        (source / "report.typ").write_text(typ, encoding="utf-8")
        pdf = typst.compile(str(source / "report.typ"), root=str(source), ignore_system_fonts=True, font_paths=[], timestamp=epoch)
        write_bytes(outputs["pdf"], pdf)


_CELL_MARKUP = re.compile(r"(?<=\[)(/|=+|\+|-)(?=[ \t])")


def typst_safe(typ: str) -> str:
    """Escape what pandoc's typst writer leaves as markup at the start of a table cell: a
    cell ``[/ 8.0]`` opens a term list (typst then wants "term: description" and stops with
    "expected colon"), ``[= x]`` a heading, ``[- x]``/``[+ x]`` a list."""
    return _CELL_MARKUP.sub(lambda m: "".join("\\" + c for c in m.group(1)), typ)


#: Quarto's scratch files in the source folder, removed after rendering (Quarto copies
#: third-party files there, which have no place in results/).
QUARTO_SCRATCH = (".quarto", "report_files", "_freeze")


def render_quarto(quarto: str, source: Path, formats: Sequence[str], epoch: int, outputs: Mapping[str, Path]) -> None:
    import os

    env = {**os.environ, "SOURCE_DATE_EPOCH": str(epoch)}
    try:
        for fmt, to, name in (("html", "html", "report.html"), ("pdf", "typst", "report.pdf")):
            if fmt not in formats:
                continue
            proc = subprocess.run(
                [quarto, "render", "report.qmd", "--to", to, "--output", name],
                cwd=source,
                env=env,
                check=False,
                capture_output=True,
                text=True,
            )
            for line in (proc.stderr or "").splitlines():
                if line.strip():  # Quarto's own messages (warnings included) go to the rule's log
                    log.info("quarto: %s", line.rstrip())
            if proc.returncode != 0:
                raise RuntimeError(f"quarto render --to {to} failed with exit status {proc.returncode}: see the log")
            write_bytes(outputs[fmt], (source / name).read_bytes())
            (source / name).unlink()
    finally:
        for scratch in QUARTO_SCRATCH:
            path = source / scratch
            if path.is_dir():
                shutil.rmtree(path)
            elif path.exists():
                path.unlink()


# ----------------------------------------------------------------------------- entry
def report_context(
    facts: Mapping, t: Mapping[str, Any], config: Mapping, instrument, *, figures: list, built: Mapping, prov: Mapping, renderer: Mapping
) -> dict[str, Any]:
    """What the template sees: the facts (``f``), the formatted tables (``t``), every result
    by its contract key (``results``), the figures, and the provenance."""
    import yaml

    pub = Published(t.get("published_figures"), t.get("checks"))
    return {
        "f": facts,
        "t": tables_md(t, config, instrument, pub),
        "results": t,
        "figures": figures,
        "built": built,
        "prov": prov,
        "prov_tables": provenance_tables(prov),
        "config_yaml": yaml.safe_dump(prov["config"], sort_keys=False, allow_unicode=True, width=100),
        "renderer": renderer,
    }


def load_results(inputs: Any, instrument) -> dict[str, Any]:
    """Every CSV and JSON result that is an input of this rule, by contract key."""
    names = {"<subscale>": [s.id for s in instrument.subscales]} if instrument else None
    out = {}
    for r in RESULTS_LIST:
        path = getattr(inputs, r.key, None) if r.format in ("csv", "json") else None
        if path is not None:
            out[r.key] = read_result(path, r, names=names)
    return out


def main(smk) -> None:
    from instrument import load_instrument

    i = smk.input
    config = smk.config
    instrument = load_instrument(i.instrument) if getattr(i, "instrument", None) else None
    source = Path(smk.output.source)
    if source.exists():
        shutil.rmtree(source)
    (source / "figures").mkdir(parents=True)
    shutil.copyfile(i.css, source / "report.css")
    figures = []
    for key, caption in FIGURE_CAPTIONS.items():
        path = getattr(i, key, None)
        if path is not None:
            shutil.copyfile(path, source / "figures" / Path(path).name)
            figures.append({"path": f"figures/{Path(path).name}", "caption": caption})

    t = load_results(i, instrument)
    facts = read_result(i.facts, result("facts"))

    renderer = choose_renderer(config["report"]["renderer"])
    built = build_date()
    inputs = {**t.get("hashes_survey", {}), **t.get("hashes_freetext", {})}
    for p in [*as_list(getattr(i, "instrument", None)), *as_list(getattr(i, "published", None))]:
        inputs[str(p)] = sha256_file(p)
    for p in [*as_list(getattr(i, "relations", None)), *as_list(getattr(i, "records", None)), i.template, i.css]:
        inputs[str(p)] = sha256_file(p)
    prov = {"inputs": inputs, "git": git_state(), "versions": versions(renderer), "built": built, "config": withhold(config)}
    write_json(smk.output.provenance, prov)

    context = report_context(facts, t, config, instrument, figures=figures, built=built, prov=prov, renderer=renderer)
    write_text(source / "report.qmd", render_template(Path(i.template).parent, context, Path(i.template).name))

    outputs = {fmt: Path(getattr(smk.output, fmt)) for fmt in config["report"]["formats"]}
    if renderer["name"] == "quarto":
        render_quarto(renderer["path"], source, config["report"]["formats"], built["epoch"], outputs)
    else:
        render_pandoc(source, config["report"]["formats"], built["epoch"], outputs)
    log.info("report rendered by %s (%s): %s", renderer["name"], renderer["version"], ", ".join(map(str, outputs.values())))
    print(f"report rendered by {renderer['name']} ({renderer['version']})", file=sys.stderr)


if "snakemake" in globals():
    run_rule(snakemake, main)  # noqa: F821
