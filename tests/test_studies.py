"""Other studies run with a config and data of their own, and no code change.

Besides the default synthetic replication of Hean et al. (2015) (tests/test_pipeline.py):

* (b) the original 19-item RIPLS in McFadyen's four subscales, scored 1..5 with six
  reverse-keyed items and prorating, in 40 students of four programmes: questionnaire only,
  no publication to compare with, a four-level grouping (Fisher-Freeman-Halton, Kruskal-Wallis
  and Welch's ANOVA, checked against R);
* (c) a qualitative-only study: the synthetic flip-chart notes and focus groups, no
  questionnaire.

Each runs the whole pipeline to its report from a config given with --configfile (which
replaces config.yaml), and the reports say nothing of a study they are not.
"""

import csv
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from _support import fresh_copy, one_arm, run_pipeline
from instrument import load_instrument

pytestmark = pytest.mark.pipeline

ROOT = Path(__file__).resolve().parent.parent
PROGRAMMES = ["Nursing", "Medicine", "Social work", "Policing"]


def write_study_b(folder: Path) -> None:
    """40 students of four programmes answer the 19-item RIPLS (seeded); respondent 0 by hand."""
    inst = load_instrument(ROOT / "data" / "instruments" / "ripls_mcfadyen2005.yaml")
    rng = np.random.default_rng(19)
    labels = list(inst.labels)
    folder.mkdir(parents=True)
    people = [(f"Student {i:02d}", f"s{i:02d}@uni.example") for i in range(40)]
    with open(folder / "roster.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["Full name", "Email", "Phone", "Organisation", "Job title", "County"])
        w.writerows([name, email, "", "", "", ""] for name, email in people)
    header = [
        "Timestamp",
        "Full name",
        "Email address",
        "Programme",
        "Age (years)",
        "Gender",
        *[f"Q{it.number}. {it.text}" for it in inst.items],
    ]
    rows = []
    for i, (name, email) in enumerate(people):
        prog = i % 4
        # answers lean towards agreement more in two programmes, so the tests have something to find
        p = np.array([0.35, 0.3, 0.15, 0.12, 0.08]) if prog < 2 else np.array([0.15, 0.25, 0.2, 0.2, 0.2])
        answers = [labels[int(x)] for x in rng.choice(5, size=len(inst.items), p=p)]
        if i == 0:
            answers = (
                ["Strongly agree"] * 9 + ["Agree", "Disagree", "Strongly disagree"] + ["Agree"] * 4 + ["Undecided", "", "Strongly agree"]
            )
        rows.append(["2024-01-10 09:00:00", name, email, PROGRAMMES[prog], str(20 + i % 17), "Female" if i % 3 else "Male", *answers])
    with open(folder / "survey_export.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)


def config_b(default: dict) -> dict:
    return {
        "study": {
            "title": "Readiness for interprofessional learning of students in four programmes (example study)",
            "synthetic": True,
            "description": "Forty students of four programmes answered the original 19-item RIPLS before a shared module. "
            "An invented example study: questionnaire only, no publication to compare with.",
        },
        "inputs": {"survey": "data/synthetic/study_b/survey_export.csv", "roster": "data/synthetic/study_b/roster.csv"},
        "instrument": "data/instruments/ripls_mcfadyen2005.yaml",
        "pseudonymisation": default["pseudonymisation"],
        "roster": default["roster"],
        "survey": {
            **default["survey"],
            "columns": {
                "name": "Full name",
                "email": "Email address",
                "timestamp": "Timestamp",
                "programme": "Programme",
                "age": "Age (years)",
                "gender": "Gender",
            },
        },
        "demographics": {
            "programme": {"label": "Programme", "column": "programme", "levels": {p: [p] for p in PROGRAMMES}},
            "age_band": default["demographics"]["age_band"],
            "gender": default["demographics"]["gender"],
        },
        "analysis": {
            **default["analysis"],
            "table1": ["programme", "age_band", "gender"],
            "fisher_groupings": ["programme", "gender"],
            "scale_test_groupings": ["programme", "gender"],
        },
        "k_anonymity": {"k": 5, "quasi_identifiers": ["programme", "age_band", "gender"]},
        "figures": {"distributions_by": "programme"},
        "report": default["report"],
    }


def config_c(default: dict) -> dict:
    config = one_arm(default, "qualitative")
    config["study"] = {
        "title": "Expectations of and obstacles to interagency working (qualitative example study)",
        "synthetic": True,
        "description": "Flip-chart notes and focus groups of a one-day workshop, coded thematically. "
        "An example study of the qualitative arm alone.",
    }
    return config


def run_study(tmp_path_factory, name: str, make_config, prepare=None) -> Path:
    work = fresh_copy(tmp_path_factory.mktemp(name) / "repo")
    if prepare:
        prepare(work)
    default = yaml.safe_load((work / "config.yaml").read_text(encoding="utf-8"))
    (work / f"{name}.yaml").write_text(yaml.safe_dump(make_config(default), sort_keys=False, allow_unicode=True), encoding="utf-8")
    proc = run_pipeline(work, "--configfile", f"{name}.yaml")
    assert proc.returncode == 0, proc.stderr[-3000:]
    return work


@pytest.fixture(scope="module")
def study_b(tmp_path_factory):
    return run_study(tmp_path_factory, "study_b", config_b, lambda work: write_study_b(work / "data" / "synthetic" / "study_b"))


@pytest.fixture(scope="module")
def study_c(tmp_path_factory):
    return run_study(tmp_path_factory, "study_c", config_c)


def report_text(work: Path) -> str:
    return (work / "results" / "report" / "source" / "report.qmd").read_text(encoding="utf-8")


def table(work: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(work / "results" / "tables" / name, keep_default_na=False)


# --------------------------------------------------------------------------- (b) questionnaire only
def test_b_runs_only_the_questionnaire_rules(study_b):
    results = study_b / "results"
    assert (results / "report" / "report.html").is_file() and (results / "report" / "report.pdf").is_file()
    assert not (results / "anonymised" / "coded_segments.csv").exists() and not (results / "reproduction").exists()
    logs = sorted(p.stem for p in (results / "logs").glob("*.log"))
    assert "anonymise_freetext" not in logs and "consistency_audit" not in logs and "themes" not in logs


def test_b_four_subscales_scored_on_the_variants_scale(study_b):
    t2 = table(study_b, "table2_subscales.csv").set_index("subscale")
    assert t2.index.tolist() == ["teamwork", "negative_identity", "positive_identity", "roles"]
    assert t2["k_items"].tolist() == [9, 3, 4, 3]
    assert t2.loc["teamwork", ["range_min", "range_max"]].tolist() == [9, 45]  # 9 items scored 1..5
    assert t2["n_scored"].max() == 40  # prorating keeps the respondent who skipped item 18


def test_b_one_respondent_by_hand(study_b):
    """Respondent 0: items 1-9 Strongly agree (5 each = 45); negative identity 10-12 reverse-keyed:
    Agree 4 -> 2, Disagree 2 -> 4, Strongly disagree 1 -> 5, total 11; positive identity 13-16
    Agree 4 each = 16; roles 17-19 reverse-keyed: Undecided 3 -> 3, item 18 skipped, Strongly
    agree 5 -> 1, prorated: mean 2 x 3 items = 6."""
    scores = pd.read_csv(study_b / "results" / "scores" / "subscale_scores.csv")
    answers = pd.read_csv(study_b / "results" / "anonymised" / "questionnaire.csv", keep_default_na=False)
    (row,) = answers.index[answers["item_18"] == ""].tolist()
    mine = scores.iloc[row]
    assert (mine["teamwork"], mine["negative_identity"], mine["positive_identity"], mine["roles"]) == (45, 11, 16, 6)


def test_b_four_level_grouping_tests_equal_r(study_b):
    """R 4.2.2 on the same counts and scores:
    fisher.test(matrix(c(6,3,5,3, 4,7,5,7), ncol=2))$p.value = 0.528080525211837 (item 1),
    fisher.test(matrix(c(7,7,1,4, 3,3,9,6), ncol=2))$p.value = 0.0223419795214541 (item 3);
    kruskal.test(teamwork ~ programme): H = 25.8374541003672, df 3, p = 1.03147683399712e-05;
    oneway.test(teamwork ~ programme, var.equal = FALSE): F = 18.4699580475668, df 3 and
    19.8071809180233, p = 5.85855567402896e-06."""
    rxc = table(study_b, "fisher_tests_rxc.csv")
    assert len(rxc) == 19 and set(rxc["grouping"]) == {"programme"} and set(rxc["method"]) == {"exact"}
    one, three = rxc.set_index("item").loc[1], rxc.set_index("item").loc[3]
    assert (one["n_pos"], one["n_neg"]) == ("6 / 3 / 5 / 3", "4 / 7 / 5 / 7")
    assert float(one["p"]) == pytest.approx(0.528080525211837, rel=1e-9)
    assert float(three["p"]) == pytest.approx(0.0223419795214541, rel=1e-9)
    assert len(table(study_b, "fisher_tests.csv")) == 19  # gender stays a 2x2 test, adjusted with the 19 above
    k = table(study_b, "scale_group_tests_k.csv").set_index("subscale").loc["teamwork"]
    assert float(k["kw_h"]) == pytest.approx(25.8374541003672, rel=1e-9)
    assert float(k["kw_p"]) == pytest.approx(1.03147683399712e-05, rel=1e-9)
    assert float(k["epsilon_squared"]) == pytest.approx(25.8374541003672 / 39, rel=1e-9)
    assert float(k["welch_f"]) == pytest.approx(18.4699580475668, rel=1e-9)
    assert float(k["welch_df2"]) == pytest.approx(19.8071809180233, rel=1e-9)
    assert float(k["welch_p"]) == pytest.approx(5.85855567402896e-06, rel=1e-9)


def test_b_table1_lays_out_four_levels(study_b):
    t1 = table(study_b, "table1_demographics.csv")
    prog = t1[t1["variable"] == "programme"]
    assert prog["level"].tolist() == [*PROGRAMMES, "non-response"] and prog["n"].tolist() == [10, 10, 10, 10, 0]
    text = report_text(study_b)
    for level in PROGRAMMES:
        assert f"| {level} | 10 | 40 | 25.0 |" in text


def test_b_report_speaks_of_this_study_only(study_b):
    text = report_text(study_b)
    for phrase in ("Hean", "six focus groups", "three subscales", "published", "Reproduction check", "flip-chart"):
        assert phrase.lower() not in text.lower(), phrase
    assert "## Table 2: The four subscales" in text
    assert "Forty students of four programmes" in text
    facts = json.loads((study_b / "results" / "report" / "facts.json").read_text())
    assert facts["study"]["parts"] == {
        "questionnaire": True,
        "qualitative": False,
        "flipchart": False,
        "focus_groups": False,
        "published": False,
    }
    assert facts["fisher"]["n_k_level"] == 19 and facts["fisher"]["n_two_level"] == 19
    # a significant k-level test is stated: item 3 has p = 0.022 before adjustment
    assert any(r["item"] == 3 and r["grouping"] == "programme" for r in facts["fisher"]["significant_raw"])
    assert re.search(r"\d+ of the 16 tests of subscale scores between groups have p below 0\.05", text)


# --------------------------------------------------------------------------- (d) degenerate but valid
def config_d(default: dict) -> dict:
    """One respondent of the synthetic survey, who skipped item 1: every grouping has one level
    present, item 1 was answered by nobody, every subscale has fewer than two scored respondents."""
    config = {k: v for k, v in default.items() if k not in ("qualitative", "redaction")}
    config["study"] = {**default["study"], "title": "One respondent (degenerate example)", "description": "One respondent."}
    config["study"].pop("publication")
    config["inputs"] = {"survey": "data/synthetic/one/survey_export.csv", "roster": default["inputs"]["roster"]}
    return config


def one_respondent(work: Path) -> None:
    rows = list(csv.reader((work / "data" / "synthetic" / "survey_export.csv").open(encoding="utf-8", newline="")))
    header, first = rows[0], rows[1]
    first[next(i for i, h in enumerate(header) if h.startswith("Q1. "))] = ""
    (work / "data" / "synthetic" / "one").mkdir()
    with open(work / "data" / "synthetic" / "one" / "survey_export.csv", "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([header, first])


@pytest.fixture(scope="module")
def study_d(tmp_path_factory):
    return run_study(tmp_path_factory, "study_d", config_d, one_respondent)


def test_d_degenerate_data_are_reported_as_not_computable(study_d):
    t2 = table(study_d, "table2_subscales.csv").set_index("subscale")
    assert t2.loc["shared_learning", "note"] == (
        "mean and median not computable: no respondent scored; alpha not computable: fewer than 2 respondents answered every item"
    )
    assert t2.loc["insularity", "note"].startswith("SD not computable: fewer than 2 respondents scored")
    fisher = table(study_d, "fisher_tests.csv")
    assert (fisher["p"] == 1).all() and (fisher["note"] != "").all()  # one level present in every grouping
    items = table(study_d, "item_statistics.csv").set_index("item")
    assert items.loc[1, "n"] == 0 and items.loc[1, "median_label"] == ""
    scale = table(study_d, "scale_group_tests.csv")
    assert (scale["note"] != "").all()
    text = report_text(study_d)
    assert "Attitudes towards shared learning to develop collaborative and team working skills not computable" in text
    assert "120 of the 120 item-level tests are not testable" in text
    assert "None of the 36 tests of subscale scores between groups is computable" in text
    assert (study_d / "results" / "report" / "report.pdf").stat().st_size > 10_000


# --------------------------------------------------------------------------- (c) qualitative only
def test_c_runs_only_the_qualitative_rules(study_c):
    results = study_c / "results"
    assert (results / "report" / "report.html").is_file() and (results / "report" / "report.pdf").is_file()
    assert not (results / "anonymised" / "questionnaire.csv").exists() and not (results / "scores").exists()
    assert not (results / "reproduction").exists()


def test_c_theme_tables_equal_the_default_run(study_c, pipeline_run):
    for name in ("table4_flipchart_themes.csv", "focus_group_themes.csv", "focus_group_sizes.csv"):
        assert (study_c / "results" / "tables" / name).read_bytes() == (pipeline_run / "results" / "tables" / name).read_bytes(), name


def test_c_report_speaks_of_this_study_only(study_c):
    text = report_text(study_c)
    for phrase in ("Hean", "subscale", "questionnaire", "Fisher", "published"):
        assert phrase.lower() not in text.lower(), phrase
    assert "Six groups with 9, 8, 8, 9, 9 and 9 speaking participants (52 in all)" in text
    assert "## Table 4: Expectations of an interagency workshop and Perceived obstacles to interagency working" in text
