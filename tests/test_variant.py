"""Another RIPLS variant runs with only a new instrument file and config, no code change.

The original 19-item RIPLS in McFadyen's four subscales (data/instruments/ripls_mcfadyen2005.yaml):
scored 5..1 instead of +2..-2, six reverse-keyed items, and a prorating missing-data rule.
A small export in that shape is written here, and the questionnaire arm of the pipeline runs on
it through Snakemake; the scores of one respondent are checked by hand.
"""

import csv

import numpy as np
import pandas as pd
import pytest
import yaml

from _support import fresh_copy, run_pipeline
from instrument import load_instrument

pytestmark = pytest.mark.pipeline

TARGETS = [
    "results/tables/table2_subscales.csv",
    "results/tables/table3_top_items.csv",
    "results/tables/fisher_tests.csv",
    "results/tables/scale_group_tests.csv",
    "results/tables/table1_demographics.csv",
]


@pytest.fixture(scope="module")
def variant_run(tmp_path_factory):
    work = fresh_copy(tmp_path_factory.mktemp("variant") / "repo")
    inst = load_instrument(work / "data" / "instruments" / "ripls_mcfadyen2005.yaml")
    rng = np.random.default_rng(19)
    n = 30
    labels = list(inst.labels)
    folder = work / "data" / "synthetic" / "variant"
    folder.mkdir()
    people = [(f"Student {i:02d}", f"s{i:02d}@uni.example") for i in range(n)]
    with open(folder / "roster.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["Full name", "Email", "Phone", "Organisation", "Job title", "County"])
        w.writerows([name, email, "", "", "", ""] for name, email in people)
    header = ["Timestamp", "Full name", "Email address", "Organisation", "Job title", "Age (years)", "Gender", "County"]
    header += [
        "Do you hold a managerial role?",
        "Sector of your employer",
        *[f"Q{it.number}. {it.text}" for it in inst.items],
        "Any other comments?",
    ]
    rows = []
    for i, (name, email) in enumerate(people):
        answers = [labels[int(x)] for x in rng.integers(0, 5, len(inst.items))]
        if i == 0:  # the respondent checked by hand below
            answers = (
                ["Strongly agree"] * 9 + ["Agree", "Disagree", "Strongly disagree"] + ["Agree"] * 4 + ["Undecided", "", "Strongly agree"]
            )
        org = "Ashcombe Constabulary" if i % 2 else "Southern Counties NHS Foundation Trust"
        demo = [
            "2024-01-10 09:00:00",
            name,
            email,
            org,
            "",
            str(20 + i),
            "Female" if i % 3 else "Male",
            "County H" if i % 2 else "County D",
            "Yes" if i % 4 else "No",
            "Public sector",
        ]
        rows.append([*demo, *answers, ""])
    with open(folder / "survey_export.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)

    config = yaml.safe_load((work / "config.yaml").read_text())
    config["instrument"] = "data/instruments/ripls_mcfadyen2005.yaml"
    config["inputs"]["survey"] = "data/synthetic/variant/survey_export.csv"
    config["inputs"]["roster"] = "data/synthetic/variant/roster.csv"
    (work / "variant.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    proc = run_pipeline(work, *TARGETS, "--configfile", "variant.yaml")
    assert proc.returncode == 0, proc.stderr[-3000:]
    return work


def test_four_subscales_scored_on_the_variants_scale(variant_run):
    t2 = pd.read_csv(variant_run / "results" / "tables" / "table2_subscales.csv").set_index("subscale")
    assert t2.index.tolist() == ["teamwork", "negative_identity", "positive_identity", "roles"]
    assert t2["k_items"].tolist() == [9, 3, 4, 3]
    assert t2.loc["teamwork", ["range_min", "range_max"]].tolist() == [9, 45]  # 9 items scored 1..5
    assert t2["n_scored"].max() == 30  # prorating keeps the respondent who skipped item 18


def test_one_respondent_by_hand(variant_run):
    """Respondent 0: items 1-9 Strongly agree (5 each = 45); negative identity 10-12 reverse-keyed:
    Agree 4 -> 2, Disagree 2 -> 4, Strongly disagree 1 -> 5, total 11; positive identity 13-16
    Agree 4 each = 16; roles 17-19 reverse-keyed: Undecided 3 -> 3, item 18 skipped, Strongly
    agree 5 -> 1, prorated: mean 2 x 3 items = 6."""
    scores = pd.read_csv(variant_run / "results" / "scores" / "subscale_scores.csv")
    answers = pd.read_csv(variant_run / "results" / "anonymised" / "questionnaire.csv", keep_default_na=False)
    row = answers.index[answers["item_18"] == ""].tolist()
    assert len(row) == 1
    mine = scores.iloc[row[0]]
    assert (mine["teamwork"], mine["negative_identity"], mine["positive_identity"], mine["roles"]) == (45, 11, 16, 6)


def test_fisher_and_group_tests_cover_the_variants_items(variant_run):
    fisher = pd.read_csv(variant_run / "results" / "tables" / "fisher_tests.csv")
    assert len(fisher) == 19 * 5 and sorted(fisher["item"].unique()) == list(range(1, 20))
    scale = pd.read_csv(variant_run / "results" / "tables" / "scale_group_tests.csv")
    assert set(scale["subscale"]) == {"teamwork", "negative_identity", "positive_identity", "roles"}
    t3 = pd.read_csv(variant_run / "results" / "tables" / "table3_top_items.csv")
    assert t3.groupby("subscale").size().to_dict() == {"negative_identity": 3, "positive_identity": 3, "roles": 3, "teamwork": 3}
