"""The reviewer's report: fragments from result files, rendered by Quarto or pandoc + typst.

The report only formats what earlier rules computed. This stage

1. writes markdown fragments (tables, figure references, summaries) from the result files
   into ``results/report/source/fragments/``, next to a copy of ``reports/report.qmd`` and
   the figures, so the source folder is self-contained;
2. records provenance: SHA-256 of every input (the anonymisation rules hash the raw files,
   this stage hashes the rest), the config used (lists that name places, services and
   organisations withheld), the git commit and whether the tree was dirty, Python and
   package versions, the renderer, and the date the data was built
   (``SOURCE_DATE_EPOCH`` when set);
3. renders HTML and PDF. With ``quarto`` on PATH (or ``report.renderer: quarto``):
   ``quarto render`` (self-contained HTML; PDF via Quarto's typst format). Otherwise the same
   source through pandoc (``pypandoc_binary``): standalone HTML with embedded resources, and
   typst source compiled to PDF by the ``typst`` package, with only typst's bundled fonts so
   the PDF does not depend on the fonts of the machine.

The source uses only what both renderers handle: ``{{< include >}}`` shortcodes (resolved
here for pandoc), pipe tables, images, fenced divs and raw typst blocks.
"""

import logging
import math
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from contracts import read_result, result
from outputs import write_bytes, write_json, write_text
from provenance import build_date, git_state, sha256_file, versions, withhold
from stage import as_list, run_rule

ROOT = Path(__file__).resolve().parent.parent
INCLUDE = re.compile(r"^\{\{<\s*include\s+(\S+)\s*>\}\}\s*$", re.MULTILINE)


# ----------------------------------------------------------------------------- formatting
def esc(value) -> str:
    """A table cell or inline text, escaped for pandoc markdown (both renderers)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    text = " ".join(str(value).split())
    return re.sub(r"([\\|*_\[\]<>#`$@])", r"\\\1", text)


def num(x, decimals: int = 2) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)) or x == "":
        return ""
    x = float(x)
    if math.isinf(x):
        return "∞" if x > 0 else "-∞"
    return f"{x:.{decimals}f}"


def pval(p) -> str:
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return ""
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def md_table(header: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[int] | None = None, align: str | None = None) -> str:
    """A pipe table. ``widths`` are relative column widths (dashes), ``align`` one of l/r/c per column."""
    widths = widths or [3] * len(header)
    align = align or "l" * len(header)
    rule = []
    for w, a in zip(widths, align, strict=True):
        d = "-" * max(3, w)
        rule.append({"l": ":" + d, "r": d + ":", "c": ":" + d + ":"}[a])
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(rule) + "|"]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------- published values
class Published:
    """Published figures and their reproduction status, found by what they compute."""

    def __init__(self, figures: pd.DataFrame, checks: pd.DataFrame):
        from reproduction_check import parse_spec

        status = checks.set_index("figure").to_dict("index")
        self._by_target: dict[tuple, list[dict]] = {}
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


# ----------------------------------------------------------------------------- fragments
def banner(synthetic: bool) -> str:
    if not synthetic:
        return ""
    return (
        "::: {.callout-warning}\n"
        "**Synthetic data.** This report is built from the repository's synthetic study: invented people, "
        "invented organisations and invented answers, generated by a seeded script so that they reproduce the "
        "figures the paper published. It demonstrates and checks the analysis; it says nothing about real "
        "professionals. Run the pipeline on the real exports to analyse the study itself.\n"
        ":::\n"
    )


def table1_md(t1: pd.DataFrame, pub: Published) -> str:
    rows = []
    for var, part in t1[t1["variable"] != "response"].groupby("variable", sort=False):
        cells = [f"**{esc(part['variable_label'].iloc[0])}**"]
        for rec in part.to_dict("records"):
            p = pub.get("tables/table1_demographics.csv", {"variable": var, "level": rec["level"]}, "pct", "table1")
            cells.append(cell(f"{esc(rec['level_label'])}: {num(rec['pct'], 1)}% ({rec['n']})", p))
        rows.append(cells)
    width = max(len(r) for r in rows)
    rows = [r + [""] * (width - len(r)) for r in rows]
    header = ["Variable"] + [f"Level {i}" for i in range(1, width - 1)] + ["Non-response"]
    resp = t1[t1["variable"] == "response"].set_index("level")
    n = int(t1["denominator"].iloc[0])
    note = (
        f"Percentages of the {n} respondents (n in brackets). Response rate: {resp.loc['responded', 'n']} of "
        f"{resp.loc['responded', 'denominator']} ({num(resp.loc['responded', 'pct'], 1)}%).\n"
    )
    return md_table(header, rows, widths=[14] + [12] * (width - 1)) + "\n" + note


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
    columns = []
    for sheet in t4["sheet"].drop_duplicates():
        part = t4[t4["sheet"] == sheet]
        lines = []
        for rec in part.to_dict("records"):
            text = f"{esc(rec['sub_theme'] or rec['theme'])}: {rec['n_notes']} ({num(rec['pct'], 1)}%)"
            lines.append(("↳ " + text) if rec["sub_theme"] else text)
        columns.append((f"{sheet_titles.get(sheet, sheet)} (n = {part['denominator'].iloc[0]} notes)", lines))
    depth = max(len(c[1]) for c in columns)
    rows = [[c[1][i] if i < len(c[1]) else "" for c in columns] for i in range(depth)]
    note = "Notes coded with each theme (% of the notes on the sheet); ↳ marks a sub-theme. A note may carry several themes.\n"
    return md_table([c[0] for c in columns], rows, widths=[40] * len(columns)) + "\n" + note


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
    head = ["Subscale", "k", "n (α)", "α", f"{round(level * 100)}% CI (Feldt)", "Mean", "SD", "Median", "n scored"]
    return md_table(head, rows, widths=[28, 4, 6, 7, 14, 7, 7, 7, 12], align="lrrrrrrrr")


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


def fisher_md(f: pd.DataFrame, collapse: Mapping) -> str:
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
    pos = ", ".join(collapse["positive"])
    note = (
        f"Each cell gives {esc(collapse.get('positive_label', 'agree'))} / {esc(collapse.get('negative_label', 'not agree'))} "
        f"counts: answers {esc(pos)} versus all other answers. n (excluded: non-response to the item or the grouping). "
        "p: Fisher's exact test, two-sided. OR: conditional maximum-likelihood odds ratio with exact 95% CI. "
        f"Adjusted across all {len(f)} tests by Holm and by Benjamini-Hochberg.\n\n"
    )
    head = ["Item", "Grouping", "Group 1", "Group 2", "n (excl.)", "p", "OR [95% CI]", "p Holm", "p BH"]
    return note + md_table(head, rows, widths=[4, 9, 12, 12, 7, 6, 18, 6, 6], align="rllllrrrr")


def scale_tests_md(g: pd.DataFrame) -> str:
    rows = [
        [
            esc(r["subscale"]),
            esc(r["grouping"]),
            f"{esc(r['level_1'])} {r['n_1']} / {esc(r['level_2'])} {r['n_2']}",
            f"{num(r['median_1'], 1)} / {num(r['median_2'], 1)}",
            f"{num(r['mean_1'])} / {num(r['mean_2'])}",
            num(r["mwu_u"], 1),
            f"{pval(r['mwu_p'])} ({esc(r['mwu_method'])})",
            num(r["rank_biserial"]),
            f"{num(r['welch_t'])} ({num(r['welch_df'], 1)})",
            pval(r["welch_p"]),
        ]
        for r in g.to_dict("records")
    ]
    head = ["Subscale", "Grouping", "n", "Median", "Mean", "U", "p (MWU)", "r rank-biserial", "Welch t (df)", "p (Welch)"]
    return md_table(head, rows, widths=[12, 9, 14, 8, 10, 6, 12, 7, 10, 7], align="lllllrrrrr")


def focus_groups_md(fg: pd.DataFrame, sizes: pd.DataFrame) -> str:
    groups = [c for c in fg.columns if c not in {"theme", "sub_theme", "total", "n_groups"}]
    size = dict(zip(sizes["group"], sizes["n_participants"], strict=True))
    head = ["Theme / sub-theme", *[f"{esc(g)} (n={size.get(g, '')})" for g in groups], "Total", "Groups"]
    rows = []
    for r in fg.to_dict("records"):
        label = f"↳ {esc(r['sub_theme'])}" if r["sub_theme"] else f"**{esc(r['theme'])}**"
        rows.append([label, *[str(r[g]) for g in groups], str(r["total"]), str(r["n_groups"])])
    return md_table(head, rows, widths=[30] + [6] * (len(groups) + 2), align="l" + "r" * (len(groups) + 2))


def quotes_md(q: pd.DataFrame) -> str:
    if q.empty:
        return "No quotes.\n"
    out = [f"*Rule:* {esc(q['rule'].iloc[0])}.\n"]
    for (cat, theme, sub), part in q.groupby(["category", "theme", "sub_theme"], sort=False):
        title = " › ".join(esc(x) for x in (cat, theme, sub) if x)
        out.append(f"**{title}**\n")
        for r in part.to_dict("records"):
            out.append(f"> {esc(r['quote'])} ({esc(r['source'])}, {esc(r['segment_id'])})\n")
    return "\n".join(out)


def checks_md(checks: pd.DataFrame) -> str:
    counts = checks["status"].value_counts()
    summary = ", ".join(f"{n} {s}" for s, n in counts.items())
    rows = [
        [esc(r["figure"]), esc(r["location"]), esc(r["published"]), esc(r["computed"]), esc(r["status"]), esc(r["note"])]
        for r in checks.to_dict("records")
    ]
    head = ["Figure", "Location", "Published", "Computed", "Status", "Note"]
    return f"{len(checks)} published figures: {summary}.\n\n" + md_table(head, rows, widths=[16, 7, 9, 9, 10, 40])


def audit_md(audit: pd.DataFrame) -> str:
    counts = audit["verdict"].value_counts()
    summary = ", ".join(f"{n} {s}" for s, n in counts.items())
    order = {"impossible": 0, "inconsistent": 1, "unreachable in synthetic data": 2, "ambiguous": 3, "consistent": 4}
    audit = audit.assign(_o=audit["verdict"].map(order).fillna(5)).sort_values(["_o", "check"], kind="stable")
    rows = [
        [esc(r["check"]), esc(r["figures"]), esc(r["published"]), esc(r["test"]), f"**{esc(r['verdict'])}**", esc(r["detail"])]
        for r in audit.to_dict("records")
    ]
    head = ["Check", "Figures", "Published", "Test", "Verdict", "Detail"]
    return f"{len(audit)} checks: {summary}.\n\n" + md_table(head, rows, widths=[12, 14, 9, 10, 9, 40])


def anonymisation_md(kanon: Mapping, alog: Mapping, redaction: pd.DataFrame) -> str:
    hist = ", ".join(f"{n} of size {s}" for s, n in kanon["class_size_histogram"].items())
    text = (
        f"**k-anonymity** over {', '.join(kanon['quasi_identifiers'])}: {kanon['records']} records fall into "
        f"{kanon['classes']} classes ({hist}); the smallest class has {kanon['smallest_class']} record(s), and "
        f"{kanon['records_in_classes_below_k']} records lie in classes smaller than k = {kanon['k']}. "
    )
    if kanon["records_in_classes_below_k"]:
        text += "The analysis file must not be released as it is: recode or suppress quasi-identifiers first.\n\n"
    else:
        text += "\n\n"
    dropped = ", ".join(f"{k} ({v})" for k, v in alog.get("dropped_values", {}).items())
    comments = alog.get("free_text_comments_dropped", 0)
    text += f"**Questionnaire.** Values dropped by column: {dropped}. Free-text comments dropped: {comments}.\n\n"
    totals = redaction.groupby("category")["count"].sum().sort_values(ascending=False)
    text += "**Free text.** Replacements by category: " + ", ".join(f"{esc(c)} {n}" for c, n in totals.items()) + ".\n"
    return text


def figures_md(captions: Mapping[str, str]) -> str:
    return "\n".join(f"![{esc(cap)}](figures/{name}.png){{width=100%}}\n" for name, cap in captions.items())


FIGURE_CAPTIONS = {
    "likert_items": "Answers to every scored item, by subscale: diverging stacked bars centred on the neutral category.",
    "subscale_distributions": "Subscale scores, overall and by organisation, with n and the possible range.",
    "flipchart_themes": "Flip-chart themes: % of the notes on each sheet coded with each theme.",
    "focus_group_heatmap": "Coded segments per sub-theme in each focus group.",
}


def summary_md(
    sample: Mapping,
    t2: pd.DataFrame,
    fisher: pd.DataFrame,
    scale: pd.DataFrame,
    t4: pd.DataFrame,
    sizes: pd.DataFrame,
    checks: pd.DataFrame,
    audit: pd.DataFrame,
) -> str:
    means = "; ".join(
        f"{esc(r['name'].split(' to ')[0])} {num(r['mean'])} (n = {r['n_scored']}, α = {num(r['alpha'])})" for r in t2.to_dict("records")
    )
    min_holm = fisher["p_holm"].min()
    min_scale = min(scale["mwu_p"].min(), scale["welch_p"].min())
    expect = t4[(t4["sub_theme"] == "") & (t4["theme"] != "(no theme)")]
    by_sheet = {s: p.sort_values("n_notes", ascending=False).iloc[0] for s, p in expect.groupby("sheet")}
    denom = t4.groupby("sheet")["denominator"].first()
    sheets = "; ".join(f"{denom[s]} {s} notes (most often: {esc(r['theme'])}, {r['n_notes']})" for s, r in by_sheet.items())
    status = checks["status"].value_counts()
    verdicts = audit["verdict"].value_counts()
    return (
        f"- **Response.** {sample['respondents_n']} of {sample['roster_n']} participants returned the questionnaire "
        f"({num(sample['response_rate_pct'], 1)}%).\n"
        f"- **Readiness.** Mean subscale scores: {means}.\n"
        f"- **Demographic differences.** None of the {len(fisher)} item-level Fisher tests is significant after Holm "
        f"correction (smallest adjusted p = {pval(min_holm)}); the smallest p of the {len(scale)} scale-score comparisons "
        f"(Mann-Whitney and Welch) is {pval(min_scale)}.\n"
        f"- **Flip charts.** {sheets}.\n"
        f"- **Focus groups.** {len(sizes)} groups of {', '.join(str(x) for x in sizes['n_participants'])} speaking participants "
        f"({int(sizes['n_participants'].sum())} in all).\n"
        f"- **Against the paper.** {status.get('reproduced', 0)} of {len(checks)} published figures reproduced, "
        f"{status.get('differs', 0)} differ, {status.get('not computable from the data', 0)} are not computable from data; "
        f"the consistency audit finds {verdicts.get('impossible', 0)} impossible and {verdicts.get('inconsistent', 0)} "
        "inconsistent published figures.\n"
    )


def methods_md(config: Mapping, instrument) -> str:
    a = config["analysis"]
    sub = "; ".join(f"{esc(s.name)} (items {', '.join(str(i.number) for i in s.items)})" for s in instrument.subscales)
    rule = (
        "only respondents who answered every item"
        if instrument.missing_method == "complete"
        else f"respondents with at most {instrument.max_missing} item(s) skipped, prorated"
    )
    scale = ", ".join(f"{esc(lab)} = {num(s, 0)}" for lab, s in zip(instrument.labels, instrument.scores, strict=True))
    return (
        f"- **Instrument:** {esc(instrument.name)}. Answers scored {scale}. Subscales: {sub}. "
        f"A subscale score is the unweighted sum of its items, for {rule}.\n"
        f"- **Reliability:** Cronbach's α on the {esc(a['alpha_missing'])} complete cases of each subscale, with Feldt's "
        f"{round(a['ci_level'] * 100)}% CI; item-rest correlation and α if the item is deleted.\n"
        f"- **Table 3:** the {a['table3']['per_subscale']} most highly rated items of each subscale, ranked toward the "
        "subscale's ready pole by median, then mode, then % in the modal category.\n"
        f"- **Fisher tests:** each item collapsed to {esc(', '.join(a['collapse']['positive']))} versus the rest, against "
        f"{esc(', '.join(a['fisher_groupings']))}; adjusted by Holm and Benjamini-Hochberg across all tests.\n"
        f"- **Scale scores by group:** Mann-Whitney U (exact p without ties when both groups have at most "
        f"{a['exact_mwu_max_n']} values, otherwise normal approximation with continuity correction), rank-biserial "
        f"correlation, and Welch's t-test, by {esc(', '.join(a['scale_test_groupings']))}.\n"
        f"- **Disclosure control:** k-anonymity with k = {config['k_anonymity']['k']} over "
        f"{esc(', '.join(config['k_anonymity']['quasi_identifiers']))}.\n"
    )


# ----------------------------------------------------------------------------- provenance
def provenance_md(prov: Mapping) -> str:
    rows = [[f"`{esc(p)}`", f"`{h}`"] for p, h in sorted(prov["inputs"].items())]
    git = prov["git"]
    dirty = {True: "yes (uncommitted changes)", False: "no", None: "unknown"}[git["dirty"]]
    vers = [[esc(k), esc(v)] for k, v in prov["versions"]["packages"].items()]
    r = prov["versions"]["renderer"]
    return (
        f"**Data built:** {prov['built']['date']} (from {esc(prov['built']['source'])}).\n\n"
        f"**Git commit:** `{git['commit']}`; working tree dirty: {dirty}.\n\n"
        f"**Rendered by:** {esc(r['name'])} {esc(r['version'])}.\n\n"
        f"**Python:** {prov['versions']['python']} on {esc(prov['versions']['platform'])}.\n\n"
        "**Input files (SHA-256):**\n\n" + md_table(["File", "SHA-256"], rows, widths=[30, 50]) + "\n"
        "**Package versions:**\n\n" + md_table(["Package", "Version"], vers, widths=[20, 20]) + "\n"
        "**Configuration used** (lists that name places, services and organisations withheld):\n\n"
        "```yaml\n" + prov["config_yaml"] + "```\n"
    )


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


def resolve_includes(text: str, base: Path) -> str:
    """Expand Quarto ``{{< include file >}}`` shortcodes (recursively) for pandoc."""

    def expand(m: re.Match) -> str:
        path = base / m.group(1)
        return resolve_includes(path.read_text(encoding="utf-8"), path.parent)

    return INCLUDE.sub(expand, text)


def render_pandoc(source: Path, formats: Sequence[str], epoch: int, outputs: Mapping[str, Path]) -> None:
    import pypandoc
    import typst

    md = resolve_includes((source / "report.qmd").read_text(encoding="utf-8"), source)
    common = ["--standalone", f"--resource-path={source}", "--toc", "--toc-depth=2"]
    if "html" in formats:
        html = pypandoc.convert_text(
            md, "html5", format="markdown", extra_args=[*common, "--embed-resources", f"--css={source / 'report.css'}"]
        )
        write_text(outputs["html"], html)
    if "pdf" in formats:
        typ = pypandoc.convert_text(md, "typst", format="markdown", extra_args=common)
        (source / "report.typ").write_text(typ, encoding="utf-8")
        pdf = typst.compile(str(source / "report.typ"), root=str(source), ignore_system_fonts=True, font_paths=[], timestamp=epoch)
        write_bytes(outputs["pdf"], pdf)


def render_quarto(quarto: str, source: Path, formats: Sequence[str], epoch: int, outputs: Mapping[str, Path]) -> None:
    env = {**os.environ, "SOURCE_DATE_EPOCH": str(epoch)}
    for fmt, to, name in (("html", "html", "report.html"), ("pdf", "typst", "report.pdf")):
        if fmt not in formats:
            continue
        subprocess.run([quarto, "render", "report.qmd", "--to", to, "--output", name], cwd=source, env=env, check=True, capture_output=True)
        write_bytes(outputs[fmt], (source / name).read_bytes())
        (source / name).unlink()


# ----------------------------------------------------------------------------- entry
def main(smk) -> None:
    import yaml

    from instrument import load_instrument

    i = smk.input
    config = smk.config
    instrument = load_instrument(i.instrument)
    source = Path(smk.output.source)
    if source.exists():
        shutil.rmtree(source)
    (source / "fragments").mkdir(parents=True)
    (source / "figures").mkdir()
    for f in Path("reports").glob("*"):
        if f.is_file():
            shutil.copyfile(f, source / f.name)
    pngs = {Path(f).stem: Path(f) for f in as_list(i.figures) if f.endswith(".png")}
    for name in FIGURE_CAPTIONS:
        shutil.copyfile(pngs[name], source / "figures" / f"{name}.png")

    def read(key: str):
        return read_result(getattr(i, key), result(key))

    t1, t2, items, t3 = read("table1"), read("table2"), read("item_statistics"), read("table3")
    fisher, scale = read("fisher"), read("scale_tests")
    t4, fg, sizes, quotes = read("table4"), read("focus_groups"), read("sizes"), read("quotes")
    checks, audit = read("checks"), read("audit")
    pub = Published(read("published_figures"), checks)
    sample = read("sample")

    renderer = choose_renderer(config["report"]["renderer"])
    built = build_date()
    inputs = {**read("hashes_survey"), **read("hashes_freetext")}
    for p in [i.instrument, i.published, i.relations, *as_list(i.records), *sorted(Path("reports").glob("*"))]:
        inputs[str(p)] = sha256_file(p)
    prov = {
        "inputs": inputs,
        "git": git_state(),
        "versions": versions(renderer),
        "built": built,
        "config": withhold(config),
    }
    prov["config_yaml"] = yaml.safe_dump(prov["config"], sort_keys=False, allow_unicode=True, width=100)
    write_json(smk.output.provenance, {k: v for k, v in prov.items() if k != "config_yaml"})

    names = {s.id: s.name for s in instrument.subscales}
    sheet_titles = config["qualitative"]["flipchart"]["sheet_titles"]
    fragments = {
        "banner": banner(config["study"]["synthetic"]),
        "summary": summary_md(sample, t2, fisher, scale, t4, sizes, checks, audit),
        "methods": methods_md(config, instrument),
        "table1": table1_md(t1, pub),
        "table2": table2_md(t2, pub),
        "table3": table3_md(t3, items, names, pub),
        "table4": table4_md(t4, sheet_titles),
        "reliability": reliability_md(t2, config["analysis"]["ci_level"]),
        "items": items_md(items, instrument.labels),
        "fisher": fisher_md(fisher, config["analysis"]["collapse"]),
        "scale_tests": scale_tests_md(scale),
        "focus_groups": focus_groups_md(fg, sizes),
        "quotes": quotes_md(quotes),
        "figures": figures_md(FIGURE_CAPTIONS),
        "checks": checks_md(checks),
        "audit": audit_md(audit),
        "anonymisation": anonymisation_md(read("k_anonymity"), read("anonymisation_log"), read("redaction_log")),
        "provenance": provenance_md(prov),
    }
    for name, text in fragments.items():
        write_text(source / "fragments" / f"{name}.md", text)
    # The front matter lives in report.qmd; the title comes from the config, the date from provenance.
    qmd = (source / "report.qmd").read_text(encoding="utf-8")
    qmd = qmd.replace("@@TITLE@@", config["study"]["title"].replace('"', "'")).replace("@@DATE@@", built["date"])
    write_text(source / "report.qmd", qmd)

    outputs = {fmt: Path(getattr(smk.output, fmt)) for fmt in config["report"]["formats"]}
    if renderer["name"] == "quarto":
        render_quarto(renderer["path"], source, config["report"]["formats"], built["epoch"], outputs)
    else:
        render_pandoc(source, config["report"]["formats"], built["epoch"], outputs)
    logging.getLogger("ripls").info(
        "report rendered by %s (%s): %s", renderer["name"], renderer["version"], ", ".join(map(str, outputs.values()))
    )
    print(f"report rendered by {renderer['name']} ({renderer['version']})", file=sys.stderr)


if "snakemake" in globals():
    run_rule(snakemake, main)  # noqa: F821
