"""Tests of the reproduction check, on small fake result tables laid out as README "Outputs"."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import consistency_audit
import published
import reproduction_check
from errors import InputError
from mock_snakemake import MockSnakemake

ROOT = Path(__file__).resolve().parents[1]
FIGURES = ROOT / "data" / "published" / "hean2015_figures.csv"
RELATIONS = ROOT / "data" / "published" / "hean2015_relations.yaml"


def write(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_csv(path, index=False, lineterminator="\n")


@pytest.fixture
def results(tmp_path: Path) -> Path:
    """A fake results/ folder: the paper's numbers as real data of 44 respondents would give them."""
    root = tmp_path / "results"
    sub = {"name": "", "items": "", "sd": "", "median": "", "alpha_ci_low": "", "alpha_ci_high": "", "alpha_n": 42}
    write(
        root / "tables" / "table2_subscales.csv",
        [
            {
                "subscale": "shared_learning",
                "k_items": 14,
                "range_min": -28,
                "range_max": 28,
                "n_scored": 43,
                "n_not_scored": 1,
                "mean": 766 / 43,
                "alpha": 0.8812,
                **sub,
            },
            {
                "subscale": "insularity",
                "k_items": 5,
                "range_min": -10,
                "range_max": 10,
                "n_scored": 44,
                "n_not_scored": 0,
                "mean": -177 / 44,
                "alpha": 0.6871,
                **sub,
            },
            {
                "subscale": "person_centredness",
                "k_items": 5,
                "range_min": -10,
                "range_max": 10,
                "n_scored": 43,
                "n_not_scored": 1,
                "mean": 261 / 43,
                "alpha": 0.8649,
                **sub,
            },
        ],
    )
    t1 = [
        ("age_band", "<40", 32),
        ("age_band", "40 and over", 12),
        ("age_band", "non-response", 0),
        ("gender", "female", 30),
        ("gender", "male", 14),
    ]
    write(
        root / "tables" / "table1_demographics.csv",
        [
            {"variable": v, "variable_label": "", "level": lev, "level_label": "", "n": k, "denominator": 44, "pct": 100 * k / 44}
            for v, lev, k in t1
        ],
    )
    items = [
        {
            "item": 2,
            "subscale": "shared_learning",
            "n": 44,
            "median_label": "Strongly agree",
            "mode_label": "Strongly agree",
            "modal_n": 33,
            "modal_pct": 75.0,
        },
        {
            "item": 29,
            "subscale": "person_centredness",
            "n": 44,
            "median_label": "Agree",
            "mode_label": "strongly agree",
            "modal_n": 20,
            "modal_pct": 100 * 20 / 44,
        },
        {
            "item": 21,
            "subscale": "insularity",
            "n": 44,
            "median_label": "Disagree",
            "mode_label": "Disagree / Neither agree nor disagree",
            "modal_n": 21,
            "modal_pct": 100 * 21 / 44,
        },
    ]
    write(root / "tables" / "item_statistics.csv", items)
    write(
        root / "tables" / "focus_group_sizes.csv",
        [{"group": f"Focus group {i}", "n_participants": k} for i, k in enumerate([8, 8, 9, 9, 9, 9], 1)],
    )
    write(
        root / "tables" / "focus_group_themes.csv",
        [
            {"theme": t, "sub_theme": s, "total": 1, "n_groups": 1}
            for t, s in [("Content", "a"), ("Content", "b"), ("Delivery", "c"), ("Constraints", "")]
        ],
    )
    write(
        root / "anonymised" / "flipchart_notes.csv",
        [{"note_id": f"E{i:02d}", "sheet": "expectation", "text": "x"} for i in range(75)]
        + [{"note_id": "O01", "sheet": "obstacle", "text": "y"}],
    )
    (root / "anonymised" / "sample.json").write_text(
        json.dumps({"roster_n": 52, "respondents_n": 44, "response_rate_pct": 100 * 44 / 52, "nonresponse_pct": 100 * 8 / 52})
    )
    return root


@pytest.fixture
def paper_check(results: Path) -> pd.DataFrame:
    figures = published.load_figures(FIGURES)
    return reproduction_check.check(figures, results, audit_notes(figures)).set_index("figure")


def audit_notes(figures: pd.DataFrame, with_relations: bool = True) -> pd.DataFrame:
    """The consistency audit's figure notes, as its rule writes them."""
    relations = published.load_relations(RELATIONS, figures) if with_relations else None
    return consistency_audit.figure_notes(consistency_audit.audit_findings(published.Figures(figures), relations))


# --------------------------------------------------------------------------- specs
def test_parse_spec_forms():
    s = reproduction_check.parse_spec("tables/table1_demographics.csv[variable=age_band;level=<40].pct")
    assert (s.aggregate, s.file, s.filters, s.field) == (
        None,
        "tables/table1_demographics.csv",
        (("variable", "age_band"), ("level", "<40")),
        "pct",
    )
    s = reproduction_check.parse_spec("anonymised/sample.json.response_rate_pct")
    assert s.is_json and s.field == "response_rate_pct"
    assert reproduction_check.parse_spec("count:tables/focus_group_sizes.csv").aggregate == "count"
    assert reproduction_check.parse_spec("count:anonymised/flipchart_notes.csv[sheet=expectation]").filters == (("sheet", "expectation"),)
    assert reproduction_check.parse_spec("range:tables/focus_group_sizes.csv.n_participants").field == "n_participants"
    assert reproduction_check.parse_spec("tables/table3_top_items.csv[level=40 and over].pct").filters == (("level", "40 and over"),)
    assert reproduction_check.parse_spec("") is None
    assert reproduction_check.parse_spec("   ") is None


@pytest.mark.parametrize(
    "spec",
    [
        "tables/table2_subscales.csv[subscale=insularity.mean",  # unclosed bracket
        "tables/table2_subscales.csv[subscale=insularity]",  # no column
        "tables/table2_subscales.txt.mean",  # not csv/json
        "avg:tables/table2_subscales.csv.mean",  # unknown aggregate
        "../secrets.csv.x",  # leaves results/
        "/etc/passwd.csv.x",  # absolute
        "anonymised/sample.json[a=b].roster_n",  # JSON with filters
        "count:tables/focus_group_sizes.csv.group",  # count with a column
        "tables/table3_top_items.csv[subscale].mean",  # filter without =
    ],
)
def test_malformed_spec_names_the_figure(spec):
    with pytest.raises(InputError) as err:
        reproduction_check.parse_spec(spec, figure="t2_insularity_mean")
    assert "t2_insularity_mean" in err.value.line()


def test_every_compute_spec_in_the_paper_parses():
    figures = published.load_figures(FIGURES)
    for r in figures.itertuples():
        reproduction_check.parse_spec(r.compute, figure=r.figure)
    assert (figures.compute != "").sum() >= 90


def test_malformed_spec_in_the_table_stops_the_check(tmp_path):
    figures = pd.DataFrame(
        [
            {
                "figure": "t2_x_mean",
                "location": "table2",
                "row": "",
                "quantity": "",
                "printed": "1.0",
                "n": "",
                "kind": "mean",
                "compute": "tables/a.csv[",
                "same_as": "",
            }
        ]
    )
    with pytest.raises(InputError, match="t2_x_mean"):
        reproduction_check.check(figures, tmp_path)


# --------------------------------------------------------------------------- comparison
@pytest.mark.parametrize(
    ("printed", "value", "computed", "same"),
    [
        ("75.0", 75, "75.0", True),
        ("75%", 75.0, "75%", True),
        ("-4.03", -177 / 44, "-4.02", False),
        ("4.02", -177 / 44, "-4.02", False),  # the sign is kept
        ("72.8%", "72.72727273", "72.7%", False),
        ("0%", "0", "0%", True),
        ("six", 6, "6", True),
        ("9-12", (9, 12), "9-12", True),
        ("9-12", (8, 9), "8-9", False),
        ("Strongly agree", "strongly  agree", "strongly  agree", True),
        ("Agree", "Agree / Strongly agree", "Agree / Strongly agree", False),
    ],
)
def test_compare(printed, value, computed, same):
    assert reproduction_check.compare(published.parse_printed(printed), value) == (computed, same)


# --------------------------------------------------------------------------- the check on fake results
def test_reproduced_figures(paper_check):
    c = paper_check
    for fid, computed in [
        ("txt_insularity_mean", "-4.02"),
        ("t2_shared_learning_mean", "17.81"),
        ("t2_person_centredness_mean", "6.07"),
        ("t2_insularity_n", "44"),
        ("t2_insularity_alpha", "0.69"),
        ("t2_shared_learning_range_min", "-28"),
        ("t1_gender_female_pct", "68.2%"),
        ("t1_age_nonresponse_pct", "0%"),
        ("t3_item2_pct", "75.0"),
        ("txt_item2_pct", "75%"),
        ("t3_item29_mode", "strongly agree"),
        ("t3_item29_pct", "45.5"),
        ("txt_response_rate_pct", "84.6%"),
        ("mth_fg_count", "6"),
        ("txt_fg_participants_n", "52"),
        ("txt_expectation_notes_n", "75"),
        ("txt_fg_themes_n", "3"),
        ("t1_n", "44"),
    ]:
        assert (c.loc[fid, "status"], c.loc[fid, "computed"]) == ("reproduced", computed), fid


def test_differing_figures_carry_the_audit_reason(paper_check):
    c = paper_check
    row = c.loc["t2_insularity_mean"]
    assert (row.status, row.computed) == ("differs", "-4.02")
    assert "GRIM" in row.note and "no mean of n=44 integer sums rounds to -4.03" in row.note
    row = c.loc["abs_insularity_mean"]
    assert (row.status, row.computed) == ("differs", "-4.02") and "differ in sign" in row.note
    row = c.loc["t1_age_under40_pct"]
    assert (row.status, row.computed) == ("differs", "72.7%") and "no count out of n=44 gives 72.8%" in row.note
    row = c.loc["txt_nonresponse_pct"]
    assert (row.status, row.computed) == ("differs", "15.4%") and "no count out of n=52 gives 15.6%" in row.note
    row = c.loc["t3_item29_median"]
    assert (row.status, row.computed) == ("differs", "Agree") and "more than half the answers" in row.note
    row = c.loc["txt_fg_sizes"]
    assert (row.status, row.computed) == ("differs", "8-9") and "6 x 9 = 54" in row.note
    row = c.loc["t3_item21_mode"]
    assert row.status == "differs" and row.note == ""  # a tie in the data, nothing wrong with the paper


def test_not_computable_reasons(paper_check):
    c = paper_check
    assert c.loc["t1_org_type_mhs_pct", "status"] == "not computable from the data"
    assert "no row of results/tables/table1_demographics.csv[variable=org_type;level=MHS]" in c.loc["t1_org_type_mhs_pct", "note"]
    assert "no row of results/tables/item_statistics.csv[item=4]" in c.loc["t3_item4_median", "note"]
    assert "no compute spec" in c.loc["mth_analysts_n", "note"]
    assert c.loc["mth_counties_n", "note"] == "results/anonymised/questionnaire.csv not found"
    assert (c.loc[c.status == "not computable from the data", "computed"] == "").all()


def test_ambiguous_rows_and_missing_columns(tmp_path):
    write(tmp_path / "tables" / "table3_top_items.csv", [{"item": 1, "median_label": "Agree"}, {"item": 1, "median_label": "Disagree"}])
    figures = pd.DataFrame(
        [
            {"figure": "t3_a", "printed": "Agree", "kind": "label", "compute": "tables/table3_top_items.csv[item=1].median_label"},
            {"figure": "t3_b", "printed": "Agree", "kind": "label", "compute": "tables/table3_top_items.csv[item=1].mode_label"},
            {"figure": "t3_c", "printed": "2", "kind": "count", "compute": "count:tables/table3_top_items.csv[item=1.0]"},
            {"figure": "t3_d", "printed": "0", "kind": "count", "compute": "count:tables/table3_top_items.csv[item=7]"},
        ]
    ).assign(location="table3", row="", quantity="", n="", same_as="")
    c = reproduction_check.check(figures, tmp_path).set_index("figure")
    assert c.loc["t3_a", "note"] == "2 rows of results/tables/table3_top_items.csv[item=1] give different median_label values"
    assert "has no column 'mode_label'" in c.loc["t3_b", "note"]
    assert c.loc["t3_c", "status"] == "reproduced"  # 1.0 matches 1
    assert c.loc["t3_d", "status"] == "reproduced"  # counting no rows gives 0


def test_empty_results_never_crash(tmp_path):
    c = reproduction_check.check(published.load_figures(FIGURES), tmp_path / "nothing")
    assert (c.status == "not computable from the data").all()
    assert list(c.columns) == reproduction_check.CHECK_COLUMNS


def test_main_writes_checks(results, tmp_path):
    figures = published.load_figures(FIGURES)
    inputs = {"published_figures": tmp_path / "published_figures.csv", "figure_notes": tmp_path / "figure_notes.csv"}
    figures.to_csv(inputs["published_figures"], index=False)
    out = tmp_path / "checks.csv"
    smk = MockSnakemake(input=inputs, params={"results_dir": results}, output={"checks": out})
    audit_notes(figures).to_csv(inputs["figure_notes"], index=False)
    reproduction_check.main(smk)
    df = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert list(df.columns) == reproduction_check.CHECK_COLUMNS
    assert len(df) == len(figures)
    # Without the relations file the GRIM and cross-location reasons are still given.
    audit_notes(figures, with_relations=False).to_csv(inputs["figure_notes"], index=False)
    reproduction_check.main(smk)
    df = pd.read_csv(out, dtype=str, keep_default_na=False).set_index("figure")
    assert "GRIM" in df.loc["t2_insularity_mean", "note"]


def test_a_file_the_pipeline_does_not_write_is_not_computable(tmp_path):
    write(tmp_path / "tables" / "t.csv", [{"item": 1, "median_label": "Agree"}])
    figures = pd.DataFrame(
        [{"figure": "t3_a", "printed": "Agree", "kind": "label", "compute": "tables/t.csv[item=1].median_label"}]
    ).assign(location="table3", row="", quantity="", n="", same_as="")
    c = reproduction_check.check(figures, tmp_path).set_index("figure")
    assert c.loc["t3_a", "status"] == "not computable from the data"
    assert "not a file the pipeline writes" in c.loc["t3_a", "note"]
