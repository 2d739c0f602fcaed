"""The report's facts and sentences: every statement follows the numbers.

The facts are computed from small tables worked by hand; the template is rendered from the
synthetic run's results, then from the same results with some tests made significant, and
the sentences must change with them (a report cannot say "none is significant" when some are).
"""

import json
import math
from pathlib import Path

import pandas as pd
import pytest
import yaml

import report
import report_facts
from contracts import RESULTS_LIST, read_result
from instrument import load_instrument

ROOT = Path(__file__).resolve().parent.parent
CONFIG = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))


def two_level(ps, holm, grouping="gender"):
    return pd.DataFrame(
        {
            "item": range(1, len(ps) + 1),
            "grouping": grouping,
            "p": ps,
            "p_holm": holm,
            "p_bh": holm,
            "odds_ratio": [1.0] * len(ps),
        }
    )


def k_level(ps, method="exact"):
    return pd.DataFrame({"item": range(1, len(ps) + 1), "grouping": "programme", "p": ps, "p_holm": ps, "p_bh": ps, "method": method})


def test_fisher_facts_count_and_list_significant_tests():
    two = two_level([0.001, 0.02, 0.4], [0.003, 0.04, 0.4])
    many = k_level([0.3], method="monte carlo")
    f = report_facts.fisher_facts(two, many, level=0.05, family="all")
    assert (f["n_tests"], f["n_two_level"], f["n_k_level"], f["n_monte_carlo"]) == (4, 3, 1, 1)
    assert [r["item"] for r in f["significant_holm"]] == [1, 2]  # 0.003 and 0.04 < 0.05
    assert [r["item"] for r in f["significant_raw"]] == [1, 2]
    assert f["min_p_holm"] == 0.003
    none = report_facts.fisher_facts(two_level([0.2], [0.9]), k_level([]), level=0.05, family="all")
    assert none["significant_holm"] == [] and none["min_p_holm"] == 0.9


def test_scale_facts_take_both_tests_and_k_level_groupings():
    two = pd.DataFrame({"subscale": ["a"], "grouping": ["g"], "mwu_p": [0.01], "welch_p": [0.2]})
    many = pd.DataFrame({"subscale": ["a"], "grouping": ["h"], "kw_p": [0.04], "welch_p": [math.nan]})
    f = report_facts.scale_test_facts(two, many, level=0.05)
    assert (f["n_comparisons"], f["n_tests"], f["n_not_computable"]) == (2, 3, 1)
    assert [(r["test"], r["p"]) for r in f["significant"]] == [("Mann-Whitney U", 0.01), ("Kruskal-Wallis", 0.04)]


def test_flipchart_facts_name_every_tied_top_theme():
    t4 = pd.DataFrame(
        [
            ("expectation", "A", "", 5, 10),
            ("expectation", "A", "a1", 3, 10),
            ("expectation", "B", "", 5, 10),
            ("expectation", "C", "", 2, 10),
            ("expectation", "(no theme)", "", 1, 10),
        ],
        columns=["sheet", "theme", "sub_theme", "n_notes", "denominator"],
    )
    (s,) = report_facts.flipchart_facts(t4, {"expectation": "Expectations"})
    assert (s["title"], s["n_notes"], s["top_themes"], s["top_n"], s["n_themes"], s["n_no_theme"]) == (
        "Expectations",
        10,
        ["A", "B"],
        5,
        3,
        1,
    )


# --------------------------------------------------------------------------- rendered sentences
@pytest.fixture(scope="module")
def run_tables(pipeline_run):
    inst = load_instrument(pipeline_run / CONFIG["instrument"])
    names = {"<subscale>": [s.id for s in inst.subscales]}
    tables = {}
    for r in RESULTS_LIST:
        path = pipeline_run / r.target
        if r.format in ("csv", "json") and path.is_file() and r.rule not in ("report", "report_facts"):
            tables[r.key] = read_result(path, r, names=names)
    return inst, tables


def render(tables, inst) -> str:
    f = report_facts.facts(CONFIG, inst, tables)
    prov = {"inputs": {}, "git": {"commit": "c0ffee", "dirty": False}, "versions": {"python": "3", "platform": "p", "packages": {}}}
    prov["config"] = {}
    built = {"date": "2023-11-14 22:13 UTC", "source": "SOURCE_DATE_EPOCH", "epoch": 1700000000}
    context = report.report_context(f, tables, CONFIG, inst, figures=[], built=built, prov=prov, renderer={"name": "x", "version": "1"})
    return report.render_template(ROOT / "reports", context)


def test_the_facts_file_of_the_run_is_what_the_facts_function_gives(pipeline_run, run_tables):
    inst, tables = run_tables
    written = json.loads((pipeline_run / "results" / "report" / "facts.json").read_text(encoding="utf-8"))
    assert written == json.loads(json.dumps(report_facts.facts(CONFIG, inst, tables)))


def test_no_significant_result_reads_as_none(run_tables):
    inst, tables = run_tables
    text = render(tables, inst)
    assert "None of the 120 item-level Fisher tests is significant at 0.05 after Holm correction" in text
    assert "None of the 36 tests of subscale scores between groups has p below 0.05" in text
    assert "## Table 2: The three subscales" in text and "Six groups with 9, 8, 8, 9, 9 and 9 speaking participants" in text


def test_significant_results_are_stated_as_such(run_tables):
    inst, tables = run_tables
    tables = dict(tables)
    fisher = tables["fisher"].copy()
    fisher.loc[fisher.index[:2], ["p", "p_holm", "p_bh"]] = [[0.0001, 0.004, 0.004], [0.0002, 0.03, 0.012]]
    tables["fisher"] = fisher
    scale = tables["scale_tests"].copy()
    scale.loc[scale.index[0], "mwu_p"] = 0.012
    tables["scale_tests"] = scale
    text = render(tables, inst)
    first, second = fisher.iloc[0], fisher.iloc[1]
    assert "None of the 120 item-level" not in text and "None of the 36 tests" not in text
    assert (
        f"2 of the 120 item-level Fisher tests are significant at 0.05 after Holm correction: item {first['item']} by "
        f"{report.esc(first['grouping'])} (adjusted p = 0.004), item {second['item']} by {report.esc(second['grouping'])} "
        "(adjusted p = 0.030)." in text
    )
    s = scale.iloc[0]
    assert (
        f"1 of the 36 tests of subscale scores between groups has p below 0.05 (not adjusted): "
        f"{report.esc(s['subscale'])} by {report.esc(s['grouping'])} (Mann-Whitney U, p = 0.012)." in text
    )


def test_the_confidence_level_and_family_follow_the_config(run_tables):
    inst, tables = run_tables
    config = json.loads(json.dumps(CONFIG))
    config["analysis"]["ci_level"] = 0.9
    config["analysis"]["fisher_family"] = "per_grouping"
    f = report_facts.facts(config, inst, tables)
    prov = {"inputs": {}, "git": {"commit": "c", "dirty": None}, "versions": {"python": "3", "platform": "p", "packages": {}}, "config": {}}
    built = {"date": "d", "source": "s", "epoch": 0}
    ctx = report.report_context(f, tables, config, inst, figures=[], built=built, prov=prov, renderer={"name": "x", "version": "1"})
    text = report.render_template(ROOT / "reports", ctx)
    assert "Feldt's 90% confidence interval" in text and "exact 90% confidence interval" in text
    assert "adjusted by Holm and by Benjamini-Hochberg within each grouping" in text
    assert "95%" not in text.split("# Appendix: provenance")[0]
