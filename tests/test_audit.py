"""Tests of the consistency audit: hand-checkable arithmetic, then the real paper's figures."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import pandas as pd
import pytest

import consistency_audit
import published
from errors import InputError
from mock_snakemake import MockSnakemake

ROOT = Path(__file__).resolve().parents[1]
FIGURES = ROOT / "data" / "published" / "hean2015_figures.csv"
RELATIONS = ROOT / "data" / "published" / "hean2015_relations.yaml"


def figs(*rows: tuple) -> pd.DataFrame:
    """Build a figures table from (figure, printed, n, kind[, same_as]) tuples."""
    out = []
    for r in rows:
        fid, printed, n, kind = r[:4]
        same_as = r[4] if len(r) > 4 else ""
        loc = published.ID_PREFIXES[fid.split("_")[0]]
        out.append(
            {
                "figure": fid,
                "location": loc,
                "row": "",
                "quantity": "",
                "printed": printed,
                "n": n,
                "kind": kind,
                "compute": "",
                "same_as": same_as,
            }
        )
    return pd.DataFrame(out, columns=published.FIGURE_COLUMNS)


def verdicts(df: pd.DataFrame, check: str | None = None) -> dict[str, str]:
    sel = df if check is None else df[df.check == check]
    return dict(zip(sel.figures, sel.verdict, strict=True))


# --------------------------------------------------------------------------- printed values
@pytest.mark.parametrize(
    ("text", "value", "decimals", "percent"),
    [
        ("75.0", Fraction(75), 1, False),
        ("75%", Fraction(75), 0, True),
        ("0.0%", Fraction(0), 1, True),
        ("-4.03", Fraction(-403, 100), 2, False),
        ("\u22124.02", Fraction(-402, 100), 2, False),
        ("six", Fraction(6), 0, False),
        ("Three", Fraction(3), 0, False),
    ],
)
def test_parse_printed_numbers(text, value, decimals, percent):
    p = published.parse_printed(text)
    assert (p.value, p.decimals, p.percent) == (value, decimals, percent)


def test_parse_printed_range_and_label():
    assert published.parse_printed("9-12").range == (9, 12)
    assert published.parse_printed("9–12").range == (9, 12)
    assert published.parse_printed("-28").value == -28  # a negative number, not a range
    label = published.parse_printed("Strongly agree")
    assert label.value is None and label.range is None


def test_fmt_rounds_half_away_from_zero():
    assert published.fmt(Fraction(-177, 44), 2) == "-4.02"
    assert published.fmt(Fraction(-4025, 1000), 2) == "-4.03"
    assert published.fmt(Fraction(32, 44) * 100, 1) == "72.7"
    assert published.fmt(Fraction(1, 3), 0) == "0"


# --------------------------------------------------------------------------- GRIM
@pytest.mark.parametrize(
    ("printed", "n", "counts"),
    [
        ("-4.03", 44, []),  # -177/44 = -4.0227, -178/44 = -4.0455
        ("-4.02", 44, [-177]),
        ("4.02", 44, [177]),
        ("17.81", 43, [766]),  # 766/43 = 17.8140
        ("6.07", 43, [261]),  # 261/43 = 6.0698
    ],
)
def test_grim_means(printed, n, counts):
    assert consistency_audit.grim_counts(published.parse_printed(printed), n, percent=False) == counts


@pytest.mark.parametrize(
    ("printed", "n", "counts"),
    [
        ("72.8", 44, []),  # 32/44 = 72.73
        ("27.2", 44, []),  # 12/44 = 27.27
        ("61.45", 44, []),  # 27/44 = 61.36
        ("2.2", 44, []),  # 1/44 = 2.27
        ("15.6", 52, []),  # 8/52 = 15.38
        ("84.6", 52, [44]),
        ("29.5", 44, [13]),  # 29.545...
        ("75%", 44, [33]),
        ("0%", 44, [0]),
        ("61.4", 43, []),
    ],
)
def test_grim_percentages(printed, n, counts):
    assert consistency_audit.grim_counts(published.parse_printed(printed), n, percent=True) == counts


def test_grim_rows_in_audit():
    df = consistency_audit.audit(
        figs(
            ("t2_insularity_mean", "-4.03", "44", "mean"),
            ("txt_insularity_mean", "-4.02", "44", "mean"),
            ("t1_age_under40_pct", "72.8%", "44", "pct"),
        ),
        None,
    )
    v = verdicts(df)
    assert v["t2_insularity_mean"] == "impossible"
    grim = df[(df.check == "GRIM") & (df.figures == "t2_insularity_mean")].iloc[0]
    assert "no mean of n=44 integer sums rounds to -4.03" in grim.detail
    assert "-177/44 = -4.0227 -> -4.02" in grim.detail
    ok = df[(df.check == "GRIM") & (df.figures == "txt_insularity_mean")].iloc[0]
    assert ok.verdict == "consistent" and "-177/44" in ok.detail
    pct = df[df.figures == "t1_age_under40_pct"].iloc[0]
    assert pct.verdict == "impossible" and "32/44 x 100 = 72.7273% -> 72.7" in pct.detail


def test_no_n_means_no_grim_row():
    df = consistency_audit.audit(figs(("t2_insularity_alpha", "0.69", "", "alpha"), ("txt_insularity_mean", "-4.02", "", "mean")), None)
    assert df.empty


# --------------------------------------------------------------------------- relations
BASE = figs(
    ("t1_n", "44", "", "n"),
    ("t1_a_pct", "52.3%", "44", "pct"),
    ("t1_b_pct", "45.5%", "44", "pct"),
    ("t1_c_pct", "2.2%", "44", "pct"),
    ("t1_d_pct", "40.9%", "44", "pct"),
    ("t1_e_pct", "45.5%", "44", "pct"),
    ("t1_f_pct", "13.6%", "44", "pct"),
    ("txt_rate_pct", "84.6%", "52", "pct"),
    ("txt_non_pct", "15.6%", "52", "pct"),
    ("txt_roster_n", "52", "", "n"),
    ("mth_groups", "six", "", "count"),
    ("mth_sizes", "9-12", "", "range"),
    ("mth_sizes_b", "8-10", "", "range"),
    ("t3_med", "Strongly agree", "44", "label"),
    ("t3_mode", "Strongly agree", "44", "label"),
    ("t3_pct", "45.5", "44", "pct"),
    ("t3_pct_ok", "56.8", "44", "pct"),
    ("t3_med_d", "Disagree", "44", "label"),
    ("t3_pct_d", "47.7", "44", "pct"),
    ("t3_med_a", "Agree", "44", "label"),
    ("t1_band_lo", "18-40 years", "", "label"),
    ("mth_bands", "<40/40 and above", "", "label"),
)


LIKERT = ["Strongly agree", "Agree", "Neither agree nor disagree", "Disagree", "Strongly disagree"]


def run(*relations: dict, figures: pd.DataFrame = BASE) -> pd.DataFrame:
    rels = [{"id": f"r{i}", "statement": "s", **r} for i, r in enumerate(relations)]
    return consistency_audit.audit(figures, {"relations": rels, "likert_scale": LIKERT})


def relation_row(df: pd.DataFrame, check: str) -> pd.Series:
    rows = df[df.check == check]
    assert len(rows) == 1, rows
    return rows.iloc[0]


def test_parts_sum_finds_the_impossible_part():
    row = relation_row(
        run({"kind": "parts_sum", "parts": ["t1_a_pct", "t1_b_pct", "t1_c_pct"], "total": 100, "n": "t1_n"}), "parts add to total"
    )
    assert row.verdict == "impossible"
    assert "2.2% is no count of 44" in row.detail


def test_parts_sum_consistent_gives_counts():
    row = relation_row(
        run({"kind": "parts_sum", "parts": ["t1_d_pct", "t1_e_pct", "t1_f_pct"], "total": 100, "n": "t1_n"}), "parts add to total"
    )
    assert row.verdict == "consistent"
    assert "18 + 20 + 6 = 44" in row.detail


def test_parts_sum_beyond_rounding():
    row = relation_row(run({"kind": "parts_sum", "parts": ["txt_rate_pct", "txt_non_pct"], "total": 100}), "parts add to total")
    assert row.verdict == "impossible"  # 100.2 is more than 2 x 0.05 away from 100
    assert "100.2" in row.detail


def test_count_from_pct():
    ok = relation_row(
        run({"kind": "count_from_pct", "pct": "txt_rate_pct", "total": "txt_roster_n", "count": "t1_n"}), "percentage of total gives count"
    )
    assert ok.verdict == "consistent"
    bad = relation_row(
        run({"kind": "count_from_pct", "pct": "txt_non_pct", "total": "txt_roster_n", "count": 8}), "percentage of total gives count"
    )
    assert bad.verdict == "inconsistent" and "8/52 = 15.385%" in bad.detail


def test_group_sizes():
    bad = relation_row(run({"kind": "group_sizes", "groups": "mth_groups", "sizes": "mth_sizes", "total": "txt_roster_n"}), "group sizes")
    assert bad.verdict == "impossible" and "6 x 9 = 54" in bad.detail
    ok = relation_row(run({"kind": "group_sizes", "groups": "mth_groups", "sizes": "mth_sizes_b", "total": "txt_roster_n"}), "group sizes")
    assert ok.verdict == "consistent"  # 48 <= 52 <= 60


def test_median_at_extreme_needs_a_majority():
    row = relation_row(run({"kind": "median_mode", "median": "t3_med", "mode": "t3_mode", "pct": "t3_pct"}), "median vs modal %")
    assert row.verdict == "impossible"
    ok = relation_row(run({"kind": "median_mode", "median": "t3_med", "mode": "t3_mode", "pct": "t3_pct_ok"}), "median vs modal %")
    assert ok.verdict == "consistent"


def test_median_in_the_middle_may_have_a_minority():
    row = relation_row(run({"kind": "median_mode", "median": "t3_med_d", "mode": "t3_med_d", "pct": "t3_pct_d"}), "median vs modal %")
    assert row.verdict == "consistent"


def test_majority_in_mode_forces_median():
    # 56.8% answered Strongly agree, so the median cannot be Agree.
    row = relation_row(run({"kind": "median_mode", "median": "t3_med_a", "mode": "t3_mode", "pct": "t3_pct_ok"}), "median vs modal %")
    assert row.verdict == "impossible"


def test_majority_claim():
    rows = run(
        {"kind": "majority_claim", "figure": "t3_pct", "wording": "Most"},
        {"kind": "majority_claim", "figure": "t3_pct_ok", "wording": "Most"},
    )
    assert list(rows[rows.check == "majority wording"].verdict) == ["inconsistent", "consistent"]


def test_bands_disagree_at_40():
    rel = {
        "kind": "bands",
        "definitions": [
            {
                "source": "Table 1",
                "figures": ["t1_band_lo"],
                "bands": [{"label": "18-40", "min": 18, "max": 40}, {"label": "41-60", "min": 41, "max": 60}],
            },
            {
                "source": "Method",
                "figures": ["mth_bands"],
                "bands": [{"label": "<40", "min": None, "max": 39}, {"label": "40+", "min": 40, "max": None}],
            },
        ],
    }
    row = relation_row(run(rel), "category definitions")
    assert row.verdict == "inconsistent" and "age 40 falls in" in row.detail


def test_at_most_scale_and_range():
    df = run(
        {"kind": "at_most", "left": "t1_n", "right": ["mth_groups", 2]},  # 44 > 12
        {"kind": "scale_range", "k_items": 14, "item_min": -2, "item_max": 2, "range_min": -28, "range_max": 28},
        {"kind": "within_range", "figure": "t1_n", "min": -10, "max": 10},
    )
    assert relation_row(df, "at most").verdict == "impossible"
    assert relation_row(df, "scale range").verdict == "consistent"
    assert relation_row(df, "within possible range").verdict == "impossible"


def test_same_quantity_blames_sign_and_grim():
    f = figs(
        ("abs_ins_mean", "4.02", "44", "mean", "t2_ins_mean"),
        ("txt_ins_mean", "-4.02", "44", "mean", "t2_ins_mean"),
        ("t2_ins_mean", "-4.03", "44", "mean"),
    )
    df = consistency_audit.audit(f, None)
    row = relation_row(df, "cross-location agreement")
    assert row.verdict == "inconsistent" and "differ in sign" in row.detail
    table = consistency_audit.figure_notes(consistency_audit.audit_findings(published.Figures(f), None))
    notes = table.groupby("figure")["note"].apply(list).to_dict()
    assert "txt_ins_mean" not in notes  # the one figure that is possible and agrees with the majority sign
    assert any("differ in sign" in n for n in notes["abs_ins_mean"])
    assert any("GRIM" in n for n in notes["t2_ins_mean"])


def test_same_quantity_precision_only_is_consistent():
    f = figs(("txt_a_pct", "75%", "44", "pct", "t3_a_pct"), ("t3_a_pct", "75.0", "44", "pct"))
    assert relation_row(consistency_audit.audit(f, None), "cross-location agreement").verdict == "consistent"
    f = figs(("txt_a_pct", "61.45%", "44", "pct", "t3_a_pct"), ("t3_a_pct", "61.4", "44", "pct"))
    assert relation_row(consistency_audit.audit(f, None), "cross-location agreement").verdict == "inconsistent"


def test_ambiguity_rows():
    row = relation_row(run({"kind": "ambiguity", "figures": ["t1_a_pct"], "detail": "lists  swapped"}), "ambiguity")
    assert (row.verdict, row.detail, row.published) == ("ambiguous", "lists swapped", "52.3%")


def test_generator_records_become_rows():
    rec = {
        "generator": "synth_survey",
        "seed": 1,
        "unreachable": [{"figure": "t1_c_pct", "published": "2.2%", "achieved": "2.3%", "reason": "no count of 44"}],
        "_file": "rec.json",
    }
    df = consistency_audit.audit(BASE, None, [rec])
    row = df[df.check == "generator record"].iloc[0]
    assert row.verdict == "unreachable in synthetic data"
    assert row.published == "2.2%" and row.detail == "synth_survey (seed 1) reached 2.3%: no count of 44"
    rec["unreachable"][0]["published"] = "2.2"  # without the % sign: the same figure
    assert "record quotes" not in consistency_audit.audit(BASE, None, [rec]).detail.iloc[-1]
    rec["unreachable"][0]["published"] = "2.3%"
    assert "[record quotes '2.3%', the figures table '2.2%']" in consistency_audit.audit(BASE, None, [rec]).detail.iloc[-1]
    with pytest.raises(InputError, match="not in the figures table"):
        consistency_audit.audit(BASE, None, [{"generator": "g", "unreachable": [{"figure": "t9_nope"}], "_file": "rec.json"}])


# --------------------------------------------------------------------------- bad inputs
def test_bad_figures_are_refused():
    dup = pd.concat([BASE.head(1), BASE.head(1)])
    with pytest.raises(InputError, match="appears twice"):
        published.validate_figures(dup, "figures.csv")
    blank = BASE.head(1).assign(printed="")
    with pytest.raises(InputError, match="no printed value"):
        published.validate_figures(blank, "figures.csv")
    with pytest.raises(InputError, match="unknown kind"):
        published.validate_figures(BASE.head(1).assign(kind="median"), "figures.csv")


@pytest.mark.parametrize(
    ("relation", "message"),
    [
        ({"kind": "sum_of_things", "parts": []}, r"key relations\[0\]\.kind: .*'sum_of_things'.*one of: 'parts_sum'"),
        ({"kind": "group_sizes", "groups": "mth_groups", "sizes": "mth_sizes", "total": "txt_nobody_n"}, "not in the figures table"),
        ({"kind": "parts_sum", "parts": ["t1_a_pct"]}, r"key relations\[0\]\.total: .*a required key is missing"),
        ({"kind": "at_most", "left": "t1_n", "right": 52, "rigth": 3}, r"key relations\[0\]\.rigth: .*unknown key"),
        ({"kind": "at_most", "left": "t1_n", "right": True}, r"key relations\[0\]\.right"),
    ],
    ids=["unknown kind", "unknown figure", "missing key", "unknown key", "boolean reference"],
)
def test_bad_relations_are_refused(relation, message):
    data = {"likert_scale": LIKERT, "relations": [{"id": "r0", "statement": "s", **relation}]}
    with pytest.raises(InputError, match=message):
        published.validate_relations(data, BASE, "relations.yaml")


# --------------------------------------------------------------------------- the real paper
@pytest.fixture(scope="module")
def paper() -> tuple[pd.DataFrame, dict]:
    figures = published.load_figures(FIGURES)
    return figures, published.load_relations(RELATIONS, figures)


@pytest.fixture(scope="module")
def paper_audit(paper) -> pd.DataFrame:
    return consistency_audit.audit(*paper, [])


def test_figure_ids_unique_and_printed(paper):
    figures, _ = paper
    assert figures.figure.is_unique
    assert (figures.printed != "").all()
    assert len(figures) >= 100


def test_figure_ids_match_their_location(paper):
    figures, _ = paper
    for r in figures.itertuples():
        expected = published.ID_PREFIXES[r.figure.split("_")[0]]
        assert r.location == expected or r.figure == "txt_fg_sizes", r.figure


def test_ids_referenced_elsewhere_exist(paper):
    figures, _ = paper
    ids = set(figures.figure)
    required = {"t2_insularity_mean", "t2_shared_learning_mean", "t2_person_centredness_mean", "t3_item29_median", "t1_age_under40_pct"}
    required |= {"t1_age_40plus_pct", "t1_org_type_nonresponse_pct", "txt_fg_sizes", "txt_nonresponse_pct", "txt_response_rate_pct"}
    for sub in ("shared_learning", "insularity", "person_centredness"):
        required |= {f"t2_{sub}_n", f"t2_{sub}_alpha"}
    for item in (2, 4, 3, 12, 20, 21, 28, 29, 25):
        required |= {f"t3_item{item}_mode", f"t3_item{item}_pct", f"t3_item{item}_median"}
    assert required <= ids


def test_hand_checked_printed_values(paper):
    figures, _ = paper
    printed = dict(zip(figures.figure, figures.printed, strict=True))
    assert printed["t2_insularity_mean"] == "-4.03"
    assert printed["abs_insularity_mean"] == "4.02"
    assert printed["t1_age_under40_pct"] == "72.8%"
    assert printed["t1_org_type_nonresponse_pct"] == "2.2%"
    assert printed["t3_item2_pct"] == "75.0"
    assert printed["txt_fg_sizes"] == "9-12"
    assert printed["t3_item29_median"] == "Strongly agree"
    assert printed["t3_item25_mode"] == "Agree"


def test_every_relation_figure_exists(paper):
    figures, relations = paper
    ids = set(figures.figure)
    for rel in relations["relations"]:
        missing = [f for f in published.relation_figure_ids(rel) if f not in ids]
        assert not missing, (rel["id"], missing)


def test_paper_findings(paper_audit):
    df = paper_audit
    assert set(df.verdict) <= set(consistency_audit.VERDICTS)
    single = verdicts(df[df.check.isin(["GRIM", "percentage of n"])])
    for fid in (
        "t2_insularity_mean",
        "t1_age_under40_pct",
        "t1_age_40plus_pct",
        "txt_item4_pct",
        "t1_org_type_nonresponse_pct",
        "txt_nonresponse_pct",
    ):
        assert single[fid] == "impossible", fid
    for fid in (
        "t2_shared_learning_mean",
        "t2_person_centredness_mean",
        "txt_insularity_mean",
        "abs_insularity_mean",
        "txt_response_rate_pct",
    ):
        assert single[fid] == "consistent", fid
    by_check = {(r.check, r.figures.split("; ")[0]): r.verdict for r in df.itertuples()}
    assert by_check[("group sizes", "mth_fg_count")] == "impossible"
    assert by_check[("median vs modal %", "t3_item29_median")] == "impossible"
    assert by_check[("median vs modal %", "t3_item21_median")] == "consistent"
    assert by_check[("cross-location agreement", "abs_insularity_mean")] == "inconsistent"
    assert by_check[("cross-location agreement", "txt_item4_pct")] == "inconsistent"
    assert by_check[("cross-location agreement", "txt_item2_pct")] == "consistent"
    assert by_check[("category definitions", "t1_age_under40_band")] == "inconsistent"
    assert by_check[("parts add to total", "txt_response_rate_pct")] == "impossible"
    assert by_check[("parts add to total", "t1_managerial_yes_pct")] == "consistent"
    assert by_check[("ambiguity", "t1_org_type_mhs_pct")] == "ambiguous"


def test_main_writes_the_audit(tmp_path):
    rec = tmp_path / "record.json"
    rec.write_text(
        json.dumps(
            {
                "generator": "synth_survey",
                "seed": 3,
                "unreachable": [{"figure": "t2_insularity_mean", "published": "-4.03", "achieved": "-4.02", "reason": "GRIM"}],
            }
        )
    )
    outputs = {name: tmp_path / f"{name}.csv" for name in ("published_figures", "figure_notes", "audit")}
    smk = MockSnakemake(input={"figures": FIGURES, "relations": RELATIONS, "records": [rec]}, output=outputs)
    consistency_audit.main(smk)
    df = pd.read_csv(outputs["audit"], dtype=str, keep_default_na=False)
    assert list(df.columns) == consistency_audit.AUDIT_COLUMNS
    assert (df.verdict == "unreachable in synthetic data").sum() == 1
    validated = pd.read_csv(outputs["published_figures"], dtype=str, keep_default_na=False)
    assert validated.equals(published.load_figures(FIGURES).reset_index(drop=True))
    notes = pd.read_csv(outputs["figure_notes"], dtype=str)
    assert "t2_insularity_mean" in set(notes.figure) and notes.note.str.contains("GRIM").any()
    smk = MockSnakemake(input={"figures": FIGURES, "relations": RELATIONS, "records": []}, output=outputs)
    consistency_audit.main(smk)
    assert "unreachable in synthetic data" not in set(pd.read_csv(outputs["audit"], dtype=str).verdict)


def test_main_refuses_a_broken_record(tmp_path):
    rec = tmp_path / "record.json"
    rec.write_text("{not json")
    outputs = {name: tmp_path / f"{name}.csv" for name in ("published_figures", "figure_notes", "audit")}
    smk = MockSnakemake(input={"figures": FIGURES, "relations": RELATIONS, "records": [rec]}, output=outputs)
    with pytest.raises(InputError, match="not valid JSON"):
        consistency_audit.main(smk)
