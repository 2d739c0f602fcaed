"""Every number and flag the report states, computed from the result files (``facts.json``).

The report's sentences live in its template (``reports/report.qmd.j2``); they choose their
words from these facts and print these numbers, so no sentence can say something the
results contradict (a significance statement follows the adjusted p values, a count of
focus groups follows the transcripts, a subscale count follows the instrument). This is the
showyourwork model: the analysis writes the numbers, the document only formats them.

Each section is a plain function of the tables it reads; a part the study does not have
(no questionnaire, no flip charts, no published figures) gives ``None``, and the template
leaves its sentences out.
"""

import math
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from contracts import read_result, result, write_result
from instrument import Instrument, load_instrument
from stage import run_rule
from study import parts as study_parts


def _f(x: Any) -> float | None:
    """A float for JSON (NaN and infinity become None: not computable)."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def _min(values: pd.Series) -> float | None:
    values = values.dropna()
    return _f(values.min()) if len(values) else None


# ----------------------------------------------------------------------------- sections
def study_facts(config: Mapping) -> dict:
    study = config["study"]
    pub = study.get("publication") or None
    return {
        "title": study["title"],
        "description": " ".join(str(study.get("description", "")).split()),
        "synthetic": bool(study["synthetic"]),
        "publication": dict(pub) if pub else None,
        "parts": study_parts(config),
    }


def instrument_facts(instrument: Instrument) -> dict:
    return {
        "name": instrument.name,
        "n_items": len(instrument.items),
        "n_scored_items": len(instrument.scored_items),
        "labels": list(instrument.labels),
        "scores": [_f(s) for s in instrument.scores],
        "n_subscales": len(instrument.subscales),
        "subscales": [{"id": s.id, "name": s.name, "items": [i.number for i in s.items], "k": len(s.items)} for s in instrument.subscales],
        "n_reverse_keyed": sum(i.reverse for i in instrument.items),
        "missing_method": instrument.missing_method,
        "max_missing": instrument.max_missing,
    }


def sample_facts(sample: Mapping) -> dict:
    """The sample as the anonymisation wrote it; rates are None when there is no denominator."""
    out = {k: sample.get(k) for k in sample}
    out["response_rate_known"] = sample.get("response_rate_pct") is not None
    return out


def reliability_facts(t2: pd.DataFrame) -> list[dict]:
    return [
        {
            "subscale": r["subscale"],
            "name": r["name"],
            "mean": _f(r["mean"]),
            "sd": _f(r["sd"]),
            "n_scored": int(r["n_scored"]),
            "n_not_scored": int(r["n_not_scored"]),
            "alpha": _f(r["alpha"]),
            "alpha_n": int(r["alpha_n"]),
            "note": r["note"],
        }
        for r in t2.to_dict("records")
    ]


def fisher_facts(two: pd.DataFrame, many: pd.DataFrame, *, level: float, family: str) -> dict:
    """How many item tests there were, and which (if any) are significant, raw and adjusted."""
    rows = [
        *(
            {"item": int(r["item"]), "grouping": r["grouping"], "p": r["p"], "p_holm": r["p_holm"], "p_bh": r["p_bh"]}
            for r in two.to_dict("records")
        ),
        *(
            {"item": int(r["item"]), "grouping": r["grouping"], "p": r["p"], "p_holm": r["p_holm"], "p_bh": r["p_bh"]}
            for r in many.to_dict("records")
        ),
    ]
    df = pd.DataFrame(rows, columns=["item", "grouping", "p", "p_holm", "p_bh"])

    def below(col: str) -> list[dict]:
        hit = df[df[col] < level].sort_values([col, "item", "grouping"], kind="stable")
        return [{"item": int(r["item"]), "grouping": r["grouping"], "p": _f(r["p"]), col: _f(r[col])} for r in hit.to_dict("records")]

    return {
        "n_tests": len(df),
        "n_two_level": len(two),
        "n_k_level": len(many),
        "n_monte_carlo": int((many["method"] == "monte carlo").sum()) if len(many) else 0,
        "n_not_testable": int((many["method"] == "not testable").sum() + two["odds_ratio"].isna().sum()) if len(df) else 0,
        "family": family,
        "significant_raw": below("p"),
        "significant_holm": below("p_holm"),
        "significant_bh": below("p_bh"),
        "min_p": _min(df["p"]),
        "min_p_holm": _min(df["p_holm"]),
        "min_p_bh": _min(df["p_bh"]),
    }


def scale_test_facts(two: pd.DataFrame, many: pd.DataFrame, *, level: float) -> dict:
    """Subscale scores by group: how many comparisons, the smallest p, and any below ``level``."""
    tests = [
        *(
            {"subscale": r["subscale"], "grouping": r["grouping"], "test": "Mann-Whitney U", "p": r["mwu_p"]}
            for r in two.to_dict("records")
        ),
        *({"subscale": r["subscale"], "grouping": r["grouping"], "test": "Welch's t", "p": r["welch_p"]} for r in two.to_dict("records")),
        *(
            {"subscale": r["subscale"], "grouping": r["grouping"], "test": "Kruskal-Wallis", "p": r["kw_p"]}
            for r in many.to_dict("records")
        ),
        *(
            {"subscale": r["subscale"], "grouping": r["grouping"], "test": "Welch's ANOVA", "p": r["welch_p"]}
            for r in many.to_dict("records")
        ),
    ]
    df = pd.DataFrame(tests, columns=["subscale", "grouping", "test", "p"])
    hit = df[df["p"] < level].sort_values(["p", "subscale", "grouping"], kind="stable")
    return {
        "n_comparisons": len(two) + len(many),
        "n_tests": int(df["p"].notna().sum()),
        "n_not_computable": int(df["p"].isna().sum()),
        "min_p": _min(df["p"]),
        "significant": [{**r, "p": _f(r["p"])} for r in hit.to_dict("records")],
    }


def flipchart_facts(t4: pd.DataFrame, sheet_titles: Mapping[str, str], no_theme: str = "(no theme)") -> list[dict]:
    """Per sheet: notes, the most frequent theme(s) (all of them when tied), notes with no theme."""
    out = []
    for sheet in t4["sheet"].drop_duplicates():
        part = t4[t4["sheet"] == sheet]
        themes = part[(part["sub_theme"] == "") & (part["theme"] != no_theme)]
        top_n = int(themes["n_notes"].max()) if len(themes) else 0
        top = sorted(themes.loc[themes["n_notes"] == top_n, "theme"]) if top_n else []
        none = part.loc[part["theme"] == no_theme, "n_notes"]
        out.append(
            {
                "sheet": sheet,
                "title": sheet_titles.get(sheet, sheet),
                "n_notes": int(part["denominator"].iloc[0]) if len(part) else 0,
                "n_themes": len(themes),
                "top_themes": top,
                "top_n": top_n,
                "n_no_theme": int(none.iloc[0]) if len(none) else 0,
            }
        )
    return out


def focus_group_facts(fg: pd.DataFrame, sizes: pd.DataFrame) -> dict:
    themes = fg[fg["sub_theme"] == ""]
    subs = fg[fg["sub_theme"] != ""]
    return {
        "n_groups": len(sizes),
        "sizes": [int(x) for x in sizes["n_participants"]],
        "n_speakers": int(sizes["n_participants"].sum()),
        "n_themes": len(themes),
        "n_sub_themes": len(subs),
        "n_segments": int(themes["total"].sum()) if len(themes) else 0,
        "min_groups_per_sub_theme": int(subs["n_groups"].min()) if len(subs) else None,
    }


def coding_facts(qlog: Mapping) -> dict:
    """The coded export(s) as read: exports and their coders, the consensus, codings not read."""
    exports = list(qlog.get("exports", []))
    skipped = {kind: dict(v) for kind, v in (qlog.get("skipped") or {}).items()}
    return {
        "n_exports": len(exports),
        "formats": sorted({e["format"] for e in exports}),
        "coders": sorted(qlog.get("segments_by_coder", {})),
        "segments_by_coder": dict(qlog.get("segments_by_coder", {})),
        "consensus": dict(qlog.get("consensus") or {}),
        "skipped": skipped,
        "n_skipped_codings": sum(int(v.get("codings", 0)) for v in skipped.values()),
        "hints": list(qlog.get("hints", [])),
        "duplicates_dropped": int(qlog.get("duplicates_dropped", 0)),
        "documents_differing_from_raw": int(qlog.get("documents_differing_from_raw", 0)),
    }


def agreement_facts(table: pd.DataFrame, thresholds: Sequence[float] = (0.8, 0.667)) -> dict | None:
    """Overall agreement per group and unit, and how many codes reach each threshold;
    ``None`` when no two coders coded the same documents."""
    if table.empty:
        return None
    overall = table[table["code_path"] == "(all codes)"]
    codes = table[table["code_path"] != "(all codes)"]
    rows = []
    for r in overall.to_dict("records"):
        part = codes[(codes["group"] == r["group"]) & (codes["unit"] == r["unit"])]
        alpha = part["krippendorff_alpha"]
        rows.append(
            {
                "group": r["group"],
                "unit": r["unit"],
                "n_units": int(r["n_units"]),
                "n_codes": int(r["n_codes"]),
                "pct_agreement": _f(r["pct_agreement"]),
                "cohen_kappa": _f(r["cohen_kappa"]),
                "krippendorff_alpha": _f(r["krippendorff_alpha"]),
                "threshold": r["alpha_threshold"],
                "codes_at_least_high": int((alpha >= thresholds[0] - 1e-12).sum()),
                "codes_at_least_low": int(((alpha >= thresholds[1] - 1e-12) & (alpha < thresholds[0] - 1e-12)).sum()),
                "codes_below": int((alpha < thresholds[1] - 1e-12).sum()),
                "codes_undefined": int(alpha.isna().sum()),
            }
        )
    return {"coders": sorted({c for cs in table["coders"] for c in str(cs).split(" | ")}), "thresholds": list(thresholds), "overall": rows}


def published_facts(checks: pd.DataFrame, audit: pd.DataFrame) -> dict:
    status = checks["status"].value_counts()
    verdicts = audit["verdict"].value_counts()
    return {
        "n_figures": len(checks),
        "status": {str(k): int(v) for k, v in status.items()},
        "n_reproduced": int(status.get("reproduced", 0)),
        "n_differ": int(status.get("differs", 0)),
        "n_not_computable": int(status.get("not computable from the data", 0)),
        "n_checks": len(audit),
        "verdicts": {str(k): int(v) for k, v in verdicts.items()},
        "n_impossible": int(verdicts.get("impossible", 0)),
        "n_inconsistent": int(verdicts.get("inconsistent", 0)),
    }


def anonymisation_facts(kanon: Mapping | None, alog: Mapping | None, redaction: pd.DataFrame | None) -> dict:
    out: dict = {}
    if kanon is not None:
        out["k_anonymity"] = dict(kanon)
        out["release_safe"] = kanon["records_in_classes_below_k"] == 0
    if alog is not None:
        out["dropped_values"] = dict(alog.get("dropped_values", {}))
        out["free_text_comments_dropped"] = alog.get("free_text_comments_dropped", 0)
    if redaction is not None:
        totals = redaction.groupby("category")["count"].sum().sort_values(ascending=False, kind="stable")
        out["redactions"] = {str(k): int(v) for k, v in totals.items()}
        out["n_redactions"] = int(totals.sum())
    return out


# ----------------------------------------------------------------------------- all of it
def facts(config: Mapping, instrument: Instrument | None, tables: Mapping[str, Any]) -> dict:
    """The facts of the report from the results that exist (``tables``: result key -> data)."""
    t = tables
    out: dict = {"study": study_facts(config), "analysis": {}}
    a = config.get("analysis")
    if a is not None:  # the questionnaire's analysis settings, as the report states them
        out["analysis"] = {
            "significance_level": a["significance_level"],
            "ci_level": a["ci_level"],
            "fisher_family": a["fisher_family"],
            "collapse": dict(a["collapse"]),
            "exact_mwu_max_n": a["exact_mwu_max_n"],
            "monte_carlo": dict(a["monte_carlo"]),
            "table3_per_subscale": a["table3"]["per_subscale"],
            "fisher_groupings": list(a["fisher_groupings"]),
            "scale_test_groupings": list(a["scale_test_groupings"]),
        }
    if "sample" in t:
        out["sample"] = sample_facts(t["sample"])
        out["instrument"] = instrument_facts(instrument)
        out["reliability"] = reliability_facts(t["table2"])
        out["fisher"] = fisher_facts(t["fisher"], t["fisher_rxc"], level=a["significance_level"], family=a["fisher_family"])
        out["scale_tests"] = scale_test_facts(t["scale_tests"], t["scale_tests_k"], level=a["significance_level"])
    if "table4" in t and out["study"]["parts"]["flipchart"]:
        out["flipchart"] = flipchart_facts(t["table4"], config["qualitative"]["flipchart"].get("sheet_titles", {}))
    if "focus_groups" in t and out["study"]["parts"]["focus_groups"]:
        out["focus_groups"] = focus_group_facts(t["focus_groups"], t["sizes"])
    if "qualitative_log" in t:
        out["coding"] = coding_facts(t["qualitative_log"])
    if "agreement" in t:
        thresholds = tuple((config["qualitative"].get("agreement") or {}).get("thresholds", (0.8, 0.667)))
        out["agreement"] = agreement_facts(t["agreement"], thresholds)
    if "focus_group_speakers" in t:
        out["speakers"] = {
            "k": int(config["k_anonymity"]["k"]),
            "grouping": config["qualitative"].get("speaker_grouping"),
        }
    if "checks" in t:
        out["published"] = published_facts(t["checks"], t["audit"])
    out["anonymisation"] = anonymisation_facts(t.get("k_anonymity"), t.get("anonymisation_log"), t.get("redaction_log"))
    return out


def load_tables(inputs: Any, keys: Sequence[str], instrument: Instrument | None) -> dict[str, Any]:
    """Every result among ``keys`` that is an input of the rule, read through its contract."""
    names = {"<subscale>": [s.id for s in instrument.subscales]} if instrument else None
    out = {}
    for key in keys:
        path = getattr(inputs, key, None)
        if path is not None:
            out[key] = read_result(path, result(key), names=names)
    return out


FACT_INPUTS = (
    "qualitative_log",
    "agreement",
    "focus_group_speakers",
    "sample",
    "table2",
    "fisher",
    "fisher_rxc",
    "scale_tests",
    "scale_tests_k",
    "table4",
    "focus_groups",
    "sizes",
    "checks",
    "audit",
    "k_anonymity",
    "anonymisation_log",
    "redaction_log",
)


def main(smk) -> None:
    config = smk.config
    instrument = load_instrument(smk.input.instrument) if getattr(smk.input, "instrument", None) else None
    tables = load_tables(smk.input, FACT_INPUTS, instrument)
    write_result(facts(config, instrument, tables), smk.output.facts, result("facts"))


if "snakemake" in globals():
    run_rule(snakemake, main)  # noqa: F821
