"""The statistics, checked against values anyone can verify: worked by hand, or computed by R and pingouin.

R's values are in tests/reference/r_reference.json, written by tests/reference/make_reference.R
(R and psych versions are recorded in the JSON under "meta"; R is not needed to run these tests).
Every data set sent to R is also written out below, and the first test checks that the two copies agree.

Known differences from R, each pinned by a test here:

* fisher.test finds the conditional-MLE odds ratio and its CI with uniroot() at tolerance 1.2e-4 on
  the scale t = OR or 1/OR, so for an OR of 15 it is good to ~3e-4 relative and for a bound near 1000
  to ~1%. Our scipy values are compared with fisher.test's own algorithm at a tight tolerance
  (``estimate_tight``), with an independent computation below, and with plain fisher.test on the t scale.
* The Feldt CI: psych's ``$feldt`` and pingouin use n = ALL rows even when alpha is computed
  listwise; the pipeline uses the complete rows alpha was computed on (R ``alpha.ci(alpha, n_complete, k)``).
* With two items, psych's alpha.drop is C[1,2]/C[2,2] (not an alpha); ours is NaN.
* A table with an empty row or column: R gives OR 0 with CI [0, Inf]; the pipeline reports NaN.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import itertools
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import anonymise_survey
import fisher_tests
import groupings
import multitest
import pseudonyms
import reliability
import scale_group_tests
import score
import table1
from errors import InputError
from instrument import parse_instrument
from survey_formats import SurveyColumn, SurveyTable
from survey_formats.mapping import answer_labels

REF_FILE = Path(__file__).resolve().parent / "reference" / "r_reference.json"
_SPECIAL = {"Inf": math.inf, "-Inf": -math.inf, "NA": math.nan, "NaN": math.nan}


def _decode(value):
    """jsonlite writes Inf / -Inf / NA / NaN as strings; turn them back into floats."""
    if isinstance(value, dict):
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if isinstance(value, str):
        return _SPECIAL.get(value, value)
    return value


R = _decode(json.loads(REF_FILE.read_text(encoding="utf-8")))
NA = math.nan

# --------------------------------------------------------------------------- the data sent to R (same as make_reference.R)
ALPHA_DATA = {
    "complete_8x4": [
        [2, 1, 2, 1],
        [1, 1, 0, 1],
        [0, -1, 0, 1],
        [2, 2, 1, 2],
        [-1, 0, -1, 0],
        [1, 0, 1, -1],
        [-2, -1, -1, 0],
        [1, 2, 2, 1],
    ],
    "missing_10x4": [
        [2, 1, 2, 1],
        [1, 1, 0, 1],
        [0, NA, 1, 0],
        [0, -1, 0, 1],
        [2, 2, 1, 2],
        [-1, 0, -1, 0],
        [2, 1, NA, 2],
        [1, 0, 1, -1],
        [-2, -1, -1, 0],
        [1, 2, 2, 1],
    ],
    "complete_12x5": [
        [2, 2, 1, 2, 1],
        [1, 1, 1, 0, 1],
        [0, 1, -1, 0, 0],
        [2, 1, 2, 2, 2],
        [-1, -1, 0, -1, 0],
        [1, 2, 1, 1, 0],
        [0, 0, 0, 1, -1],
        [1, 0, 1, 1, 1],
        [-2, -1, -1, -2, -1],
        [2, 2, 2, 1, 2],
        [0, -1, 0, 0, 1],
        [1, 1, 0, 1, 1],
    ],
    "hand_3x2": [[1, 2], [2, 2], [3, 4]],
}
FISHER_TABLES = {  # row-major [[a, b], [c, d]]: rows are groups, columns positive / not positive
    "typical": [8, 2, 1, 5],
    "moderate": [12, 9, 7, 16],
    "zero_b": [3, 0, 2, 4],
    "zero_a": [0, 5, 4, 3],
    "unbalanced": [1, 40, 5, 6],
    "unbalanced_2": [25, 1, 3, 2],
    "empty_row": [0, 0, 3, 4],
}
P_VECTOR = [0.01, 0.04, 0.03, 0.04, 0.2, 0.5, 0.001, 0.8, 0.012, 0.3]
P_WITH_NA = [0.02, NA, 0.04, 0.001, NA, 0.5]
WILCOX_TIES = ([3, 5, 5, 8, 10, 12], [1, 2, 5, 6, 7])
WILCOX_EXACT = ([1.1, 3.4, 5.2, 7.8], [2.0, 4.5, 6.1, 8.3, 9.9, 10.2])
WELCH_X, WELCH_Y = [17, 20, 14, 22, 19, 25, 16], [12, 15, 9, 18, 11]


def test_inline_data_is_the_data_r_was_given():
    for name, rows in ALPHA_DATA.items():
        np.testing.assert_array_equal(np.array(rows, dtype=float), np.array(R["alpha"][name]["data"], dtype=float))
    for name, table in FISHER_TABLES.items():
        assert R["fisher"][name]["table"] == table
    np.testing.assert_array_equal(R["p_adjust"]["p"], P_VECTOR)
    np.testing.assert_array_equal(np.array(R["p_adjust"]["p_na"], dtype=float), P_WITH_NA)
    assert (R["wilcox"]["ties"]["x"], R["wilcox"]["ties"]["y"]) == (WILCOX_TIES[0], WILCOX_TIES[1])
    assert (R["wilcox"]["exact"]["x"], R["wilcox"]["exact"]["y"]) == (WILCOX_EXACT[0], WILCOX_EXACT[1])
    assert (R["welch"]["x"], R["welch"]["y"]) == (WELCH_X, WELCH_Y)
    assert R["meta"]["r_version"].startswith("R version ")
    assert R["meta"]["psych_version"]


def _m(name: str) -> np.ndarray:
    return np.array(ALPHA_DATA[name], dtype=float)


@pytest.fixture(scope="module")
def pingouin():
    return pytest.importorskip("pingouin")


# =========================================================================== reliability: alpha
def test_alpha_worked_by_hand_3x2():
    # Items x1 = (1, 2, 3), x2 = (2, 2, 4); totals T = (3, 4, 7).
    #   var(x1) = ((1-2)^2 + 0 + (3-2)^2) / 2                       = 1
    #   var(x2) = ((2/3)^2 + (2/3)^2 + (4/3)^2) / 2 = (24/9) / 2     = 4/3
    #   var(T)  = ((5/3)^2 + (2/3)^2 + (7/3)^2) / 2 = (78/9) / 2     = 13/3
    #   alpha   = k/(k-1) * (1 - (1 + 4/3) / (13/3)) = 2 * (1 - 7/13) = 12/13 = 0.923077
    # Feldt, n = 3, k = 2: F(2, 2) has cdf x/(1+x), so its 97.5% point is 39 and its 2.5% point 1/39;
    #   lower = 1 - (1/13) * 39 = -2,  upper = 1 - (1/13) / 39 = 506/507.
    # Item-rest r with two items is r(x1, x2) = cov / sqrt(1 * 4/3) = 1 / sqrt(4/3) = sqrt(3)/2.
    x = _m("hand_3x2")
    assert reliability.cronbach_alpha(x) == pytest.approx(12 / 13, rel=1e-12)
    lo, hi = reliability.feldt_ci(12 / 13, 3, 2)
    assert lo == pytest.approx(-2, rel=1e-12)
    assert hi == pytest.approx(506 / 507, rel=1e-12)
    np.testing.assert_allclose(reliability.item_rest_correlations(x), [math.sqrt(3) / 2] * 2, rtol=1e-12)
    # One item left is not a scale: NaN. (psych reports C[1,2]/C[2,2] = 0.75 and C[1,2]/C[1,1] = 1 here.)
    assert np.isnan(reliability.alpha_if_deleted(x)).all()
    assert R["alpha"]["hand_3x2"]["alpha_drop"] == [0.75, 1]
    assert R["alpha"]["hand_3x2"]["raw_alpha"] == pytest.approx(12 / 13, rel=1e-12)


@pytest.mark.parametrize("name", ["complete_8x4", "missing_10x4", "complete_12x5", "hand_3x2"])
def test_alpha_matches_psych(name):
    ref = R["alpha"][name]
    x = _m(name)
    alpha = reliability.cronbach_alpha(x)
    assert alpha == pytest.approx(ref["raw_alpha"], rel=1e-9)
    np.testing.assert_allclose(reliability.item_rest_correlations(x), ref["r_drop"], rtol=1e-9)
    if ref["k"] > 2:
        np.testing.assert_allclose(reliability.alpha_if_deleted(x), ref["alpha_drop"], rtol=1e-9)
    lo, hi = reliability.feldt_ci(alpha, ref["n_complete"], ref["k"])
    assert (lo, hi) == pytest.approx((ref["feldt_complete"]["lower"], ref["feldt_complete"]["upper"]), rel=1e-9)


def test_alpha_is_listwise_not_psych_default_pairwise():
    ref = R["alpha"]["missing_10x4"]
    alpha = reliability.cronbach_alpha(_m("missing_10x4"))
    # Listwise drops rows 3 and 7, leaving exactly complete_8x4.
    assert alpha == pytest.approx(reliability.cronbach_alpha(_m("complete_8x4")), rel=1e-15)
    assert alpha == pytest.approx(0.870511425462459, rel=1e-9)
    assert ref["raw_alpha_pairwise"] == pytest.approx(0.878842243750747, rel=1e-9)
    assert abs(alpha - ref["raw_alpha_pairwise"]) > 5e-3


def test_feldt_n_is_the_complete_rows_unlike_psych_and_pingouin(pingouin):
    """psych's $feldt and pingouin count all 10 rows; the pipeline counts the 8 alpha is computed on."""
    ref = R["alpha"]["missing_10x4"]
    alpha = reliability.cronbach_alpha(_m("missing_10x4"))
    # Same formula: given n = 10 we reproduce psych's numbers exactly...
    assert reliability.feldt_ci(alpha, 10, 4) == pytest.approx((ref["feldt_psych"]["lower"], ref["feldt_psych"]["upper"]), rel=1e-9)
    _, ci = pingouin.cronbach_alpha(pd.DataFrame(_m("missing_10x4")), nan_policy="listwise")
    assert list(ci) == [0.659, 0.964]
    # ...but Table 2 uses n = 8 (R alpha.ci(alpha, 8, 4)): a wider interval.
    inst = make_instrument(items=[{"number": i, "subscale": "s", "text": f"item {i}"} for i in (1, 2, 3, 4)])
    scores = pd.DataFrame(_m("missing_10x4"), columns=[f"item_0{i}" for i in (1, 2, 3, 4)])
    scores.insert(0, "respondent", [f"r{i}" for i in range(10)])
    subs = score.subscale_scores(scores, inst)
    t2 = reliability.subscale_table(subs, scores, inst).iloc[0]
    assert t2["alpha_n"] == 8
    assert (t2["alpha_ci_low"], t2["alpha_ci_high"]) == pytest.approx((0.615596289590564, 0.970914793200091), rel=1e-9)
    assert t2["alpha_ci_low"] == pytest.approx(ref["feldt_complete"]["lower"], rel=1e-9)
    # The rest of Table 2's row, by hand: complete-row sums 6, 3, 0, 7, -2, 1, -4, 6 -> mean 17/8.
    assert (t2["n_scored"], t2["n_not_scored"], t2["k_items"]) == (8, 2, 4)
    assert (t2["range_min"], t2["range_max"]) == (-8, 8)
    assert t2["mean"] == pytest.approx(17 / 8, rel=1e-12)
    assert t2["median"] == pytest.approx(2.0)  # sorted sums -4, -2, 0, 1, 3, 6, 6, 7 -> (1 + 3) / 2


@pytest.mark.parametrize("name", ["complete_8x4", "missing_10x4", "complete_12x5", "hand_3x2"])
def test_alpha_matches_pingouin_listwise(pingouin, name):
    x = _m(name)
    alpha, ci = pingouin.cronbach_alpha(pd.DataFrame(x), nan_policy="listwise")
    assert reliability.cronbach_alpha(x) == pytest.approx(float(alpha), rel=1e-12)
    # pingouin rounds its CI to 3 decimals and uses n = all rows (see the test above).
    lo, hi = reliability.feldt_ci(float(alpha), x.shape[0], x.shape[1])
    assert [round(lo, 3), round(hi, 3)] == list(ci)


def test_alpha_degenerate_inputs_are_nan():
    assert math.isnan(reliability.cronbach_alpha(np.array([[1.0, 2.0, 3.0]])))  # one respondent
    assert math.isnan(reliability.cronbach_alpha(np.array([[1.0], [2.0], [3.0]])))  # one item
    assert math.isnan(reliability.cronbach_alpha(np.array([[1.0, -1.0], [2.0, -2.0]])))  # constant total
    assert math.isnan(reliability.cronbach_alpha(np.array([[1.0, NA], [NA, 2.0], [1.0, NA]])))  # no complete row
    assert all(math.isnan(v) for v in reliability.feldt_ci(math.nan, 10, 3))
    assert all(math.isnan(v) for v in reliability.feldt_ci(0.8, 1, 3))
    # A DataFrame is accepted as well as an array.
    df = pd.DataFrame(ALPHA_DATA["hand_3x2"], columns=["a", "b"])
    assert reliability.cronbach_alpha(df) == pytest.approx(12 / 13, rel=1e-12)
    with pytest.raises(ValueError, match="respondents x items"):
        reliability.cronbach_alpha(np.array([1.0, 2.0]))


# =========================================================================== instruments used below
SCALE = [
    {"label": "Strongly agree", "score": 2},
    {"label": "Agree", "score": 1},
    {"label": "Neither agree nor disagree", "score": 0, "aliases": ["Neutral", "Neither"]},
    {"label": "Disagree", "score": -1},
    {"label": "Strongly disagree", "score": -2},
]
SA, A, N, D, SD = (c["label"] for c in SCALE)


def instrument_dict(items=None, subscales=None, scale=None, missing_rule=None) -> dict:
    return {
        "id": "tiny",
        "name": "Tiny test instrument",
        "response_scale": copy.deepcopy(scale or SCALE),
        "missing_values": ["", "Not answered"],
        "missing_rule": missing_rule or {"method": "complete"},
        "subscales": subscales or [{"id": "s", "name": "Scale", "higher_is_ready": True}],
        "items": items or [{"number": 1, "subscale": "s", "text": "One"}, {"number": 2, "subscale": "s", "text": "Two"}],
    }


def make_instrument(**kw):
    return parse_instrument(instrument_dict(**kw), path="tiny.yaml")


# =========================================================================== reliability: item statistics, Table 3
@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        ([1, 1, 0, 0, 0], 1.5),  # values 2, 1: even n -> mean of the two middle values
        ([2, 1, 0, 0, 1], 1.5),  # 2, 2, 1, -2 -> (2 + 1) / 2
        ([1, 0, 0, 0, 1], 0.0),  # 2, -2 -> 0
        ([0, 0, 3, 1, 1], 0.0),  # 0, 0, 0, -1, -2 -> middle value 0
        ([0, 0, 0, 1, 1], -1.5),
        ([0, 0, 0, 0, 0], math.nan),
    ],
)
def test_median_of_counts(counts, expected):
    got = reliability.median_of_counts(counts, [2, 1, 0, -1, -2])
    assert (math.isnan(got) and math.isnan(expected)) or got == expected


@pytest.mark.parametrize(
    ("value", "label"),
    [
        (2.0, SA),
        (1, A),
        (1.5, "Agree–Strongly agree"),
        (0.5, "Neither agree nor disagree–Agree"),
        (-1.5, "Strongly disagree–Disagree"),
        (math.nan, ""),
    ],
)
def test_score_label(value, label):
    assert reliability.score_label(value, make_instrument()) == label


TABLE3_ITEMS = [
    {"number": 1, "subscale": "sl", "text": "Item one"},
    {"number": 2, "subscale": "sl", "text": "Item two"},
    {"number": 3, "subscale": "sl", "text": "Item three", "reverse": True},
    {"number": 4, "subscale": "ins", "text": "Item four"},
    {"number": 5, "subscale": "ins", "text": "Item five"},
    {"number": 6, "subscale": None, "text": "Item six, not scored"},
    {"number": 7, "subscale": "sl", "text": "Item seven"},
    {"number": 8, "subscale": "ins", "text": "Item eight"},
    {"number": 9, "subscale": "sl", "text": "Item nine"},
]
TABLE3_SUBSCALES = [
    {"id": "sl", "name": "Shared learning", "higher_is_ready": True},
    {"id": "ins", "name": "Insularity", "higher_is_ready": False},
]
# Six respondents. Sorted scores and what follows, per item:
#  1: 0 1 1 2 2 2    median (1+2)/2 = 1.5 'Agree–Strongly agree'; mode SA 3/6 = 50%
#  2: -1 1 1 1 2 2   median 1 'Agree'; mode A 50%
#  3: -2 -2 -1 -1 0 2 (reverse-keyed) median -1 'Disagree'; modes D and SD tie, 2/6 = 33.3%; raw mean -4/6
#  4: -2 -2 -1 -1 -1 1  median -1 'Disagree'; mode D 50%
#  5: -1 0 1 1 1 2   median 1 'Agree'; mode A 50%
#  6: all Neither (not scored)
#  7: 0 0 1 1 1 2    median 1; mode A 50%   (ties item 2 on every criterion)
#  8: -2 -2 -2 -1 0, one skipped: n 5, median -2 'Strongly disagree'; mode SD 3/5 = 60%
#  9: -1 1 1 1 1 2   median 1; mode A 4/6 = 66.7%
TABLE3_ANSWERS = {
    "item_01": [SA, SA, SA, A, A, N],
    "item_02": [SA, SA, A, A, A, D],
    "item_03": [SD, SD, D, D, N, SA],
    "item_04": [SD, SD, D, D, D, A],
    "item_05": [A, A, SA, N, D, A],
    "item_06": [N] * 6,
    "item_07": [SA, A, A, A, N, N],
    "item_08": [SD, SD, SD, D, N, ""],
    "item_09": [A, A, A, A, SA, D],
}


def table3_fixture():
    inst = make_instrument(items=TABLE3_ITEMS, subscales=TABLE3_SUBSCALES)
    answers = pd.DataFrame({"respondent": [f"r{i}" for i in range(1, 7)], **TABLE3_ANSWERS})
    return inst, answers, score.item_scores(answers, inst)


def test_item_statistics_by_hand():
    inst, answers, scores = table3_fixture()
    items = reliability.item_statistics(answers, scores, inst).set_index("item")
    assert list(items.index) == [1, 2, 3, 4, 5, 6, 7, 8, 9]
    expect = {  # item: (n, n_missing, median, median_label, mode_label, modal_n, modal_pct)
        1: (6, 0, 1.5, "Agree–Strongly agree", SA, 3, 50.0),
        2: (6, 0, 1.0, A, A, 3, 50.0),
        3: (6, 0, -1.0, D, f"{D} / {SD}", 2, 100 / 3),
        4: (6, 0, -1.0, D, D, 3, 50.0),
        5: (6, 0, 1.0, A, A, 3, 50.0),
        6: (6, 0, 0.0, N, N, 6, 100.0),
        8: (5, 1, -2.0, SD, SD, 3, 60.0),
        9: (6, 0, 1.0, A, A, 4, 400 / 6),
    }
    for number, (n, n_missing, med, med_label, mode_label, modal_n, pct) in expect.items():
        row = items.loc[number]
        assert (row["n"], row["n_missing"], row["median"], row["median_label"]) == (n, n_missing, med, med_label), number
        assert (row["mode_label"], row["modal_n"]) == (mode_label, modal_n), number
        assert row["modal_pct"] == pytest.approx(pct, rel=1e-12), number
    # Counts per label of item 3, and mean / SD of the answers as given (not reverse-keyed).
    r3 = items.loc[3]
    count_cols = ["n_strongly_agree", "n_agree", "n_neither_agree_nor_disagree", "n_disagree", "n_strongly_disagree"]
    assert r3[count_cols].tolist() == [1, 0, 1, 2, 2]
    assert r3["mean"] == pytest.approx(-4 / 6, rel=1e-12)
    # Deviations from -2/3: -4/3 (twice), -1/3 (twice), 2/3, 8/3 -> squares sum to (32 + 2 + 4 + 64)/9 = 102/9; / (n-1).
    assert r3["sd"] == pytest.approx(math.sqrt(102 / 45), rel=1e-12)
    # Item-rest r and alpha-if-deleted are of the subscale's reverse-keyed scores (listwise).
    sl = scores[["item_01", "item_02", "item_03", "item_07", "item_09"]].to_numpy(dtype=float)
    assert scores["item_03"].tolist() == [2.0, 2.0, 1.0, 1.0, 0.0, -2.0]
    assert items.loc[3, "item_rest_r"] == pytest.approx(reliability.item_rest_correlations(sl)[2], rel=1e-12)
    assert items.loc[9, "alpha_if_deleted"] == pytest.approx(reliability.cronbach_alpha(sl[:, :4]), rel=1e-12)
    assert items.loc[1, "subscale"] == "sl"
    assert items.loc[6, "subscale"] == ""
    assert math.isnan(items.loc[6, "item_rest_r"])
    assert math.isnan(items.loc[6, "alpha_if_deleted"])


def test_select_top_items_ranking_rule():
    inst, answers, scores = table3_fixture()
    items = reliability.item_statistics(answers, scores, inst)
    top = reliability.select_top_items(items, inst, per_subscale=5)
    sl = top[top.subscale == "sl"]
    # 1 leads on median (1.5). Items 3, 9, 2, 7 tie at median 1 toward agreement (3 is reverse-keyed,
    # so its median 'Disagree' counts as +1); 3 wins on mode (SD, two steps toward the pole); 9 beats
    # 2 and 7 on modal % (66.7 > 50); 2 and 7 tie on everything, so the lower number goes first.
    assert sl["item"].tolist() == [1, 3, 9, 2, 7]
    assert sl["rank"].tolist() == [1, 2, 3, 4, 5]
    # Insularity: higher_is_ready is false, so disagreement ranks highest: 8 (SD), 4 (D), 5 (A).
    ins = top[top.subscale == "ins"]
    assert ins["item"].tolist() == [8, 4, 5]
    assert ins.iloc[0][["median_label", "mode_label", "modal_pct", "n"]].tolist() == [SD, SD, 60.0, 5]
    # The unscored item 6 never appears; per_subscale cuts the list.
    assert 6 not in top["item"].tolist()
    assert reliability.select_top_items(items, inst, per_subscale=2)["item"].tolist() == [1, 3, 8, 4]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_select_top_items_never_picks_an_unanswered_item():
    items_spec = [{"number": i, "subscale": "s", "text": f"Item {i}"} for i in (1, 2, 3)]
    inst = make_instrument(items=items_spec)
    answers = pd.DataFrame({"respondent": ["a", "b", "c"], "item_01": ["", "", ""], "item_02": [A, A, D], "item_03": [SA, SA, SA]})
    items = reliability.item_statistics(answers, score.item_scores(answers, inst), inst)
    assert reliability.select_top_items(items, inst, per_subscale=1)["item"].tolist() == [3]


# =========================================================================== p adjustment
def HOLM(p):
    return multitest.p_adjust(p, "holm")


def BH(p):
    return multitest.p_adjust(p, "BH")


def test_holm_and_bh_match_r_p_adjust():
    np.testing.assert_allclose(HOLM(P_VECTOR), R["p_adjust"]["holm"], rtol=1e-12)
    np.testing.assert_allclose(BH(P_VECTOR), R["p_adjust"]["BH"], rtol=1e-12)
    np.testing.assert_allclose(HOLM(P_WITH_NA), R["p_adjust"]["holm_na"], rtol=1e-12)  # NaN == NaN here
    np.testing.assert_allclose(BH(P_WITH_NA), R["p_adjust"]["BH_na"], rtol=1e-12)


def test_holm_and_bh_match_statsmodels():
    from statsmodels.stats.multitest import multipletests

    np.testing.assert_allclose(HOLM(P_VECTOR), multipletests(P_VECTOR, method="holm")[1], rtol=1e-12)
    np.testing.assert_allclose(BH(P_VECTOR), multipletests(P_VECTOR, method="fdr_bh")[1], rtol=1e-12)


def test_holm_and_bh_by_hand_and_nan():
    # Holm on (0.01, 0.04, 0.03): sorted 0.01*3 = 0.03, 0.03*2 = 0.06, 0.04*1 = 0.04 -> running max 0.06.
    np.testing.assert_allclose(HOLM([0.01, 0.04, 0.03]), [0.03, 0.06, 0.06], rtol=1e-12)
    # BH: from the largest, 0.04*3/3 = 0.04, 0.03*3/2 = 0.045 -> running min 0.04, 0.01*3/1 = 0.03.
    np.testing.assert_allclose(BH([0.01, 0.04, 0.03]), [0.03, 0.04, 0.04], rtol=1e-12)
    # NaN stays NaN and does not count towards m: (0.02, NaN, 0.04) adjusts as a family of two.
    np.testing.assert_allclose(HOLM([0.02, NA, 0.04]), [0.04, NA, 0.04], rtol=1e-12)
    np.testing.assert_allclose(BH([0.02, NA, 0.04]), [0.04, NA, 0.04], rtol=1e-12)
    assert np.isnan(HOLM([NA, NA])).all()
    assert np.isnan(BH([NA])).all()
    assert HOLM([]).size == 0
    assert HOLM([0.6, 0.7]).tolist() == [1.0, 1.0]  # capped at 1


# =========================================================================== inference: Fisher
def _t_scale(v: float) -> float:
    """fisher.test's root-finding scale: OR itself below 1, 1/OR above 1 (so [0, 1] in both cases)."""
    return v if v <= 1 else 1 / v


@pytest.mark.parametrize("name", [n for n in FISHER_TABLES if n != "empty_row"])
def test_fisher_2x2_matches_r(name):
    ref = R["fisher"][name]
    got = fisher_tests.fisher_2x2(np.array(ref["table"]).reshape(2, 2))
    assert got["p"] == pytest.approx(ref["p"], rel=1e-12)
    ours = [got["odds_ratio"], got["or_ci_low"], got["or_ci_high"]]
    tight = [ref["estimate_tight"], *ref["conf_int_tight"]]
    plain = [ref["estimate"], *ref["conf_int"]]
    for o, t, p in zip(ours, tight, plain, strict=True):
        if math.isinf(t) or t == 0:
            assert o == t  # Inf stays Inf, 0 stays 0, exactly as R
            assert o == p
            continue
        assert o == pytest.approx(t, rel=1e-8)  # fisher.test's own algorithm, tight root tolerance
        assert _t_scale(o) == pytest.approx(_t_scale(p), abs=1.3e-4)  # plain fisher.test: uniroot tol 1.22e-4


def test_fisher_plain_r_differs_beyond_1e_4_relative_where_uniroot_is_coarse():
    """Documents the size of the difference from plain fisher.test (R's error, not ours: see the tight values)."""
    ref = R["fisher"]["typical"]
    got = fisher_tests.fisher_2x2(np.array(ref["table"]).reshape(2, 2))
    assert abs(got["or_ci_high"] / ref["conf_int"][1] - 1) > 5e-3  # 1059.64 vs R's 1049.79
    assert abs(got["odds_ratio"] / ref["estimate"] - 1) > 1e-4  # 15.4658 vs R's 15.4697
    assert got["or_ci_high"] == pytest.approx(1059.63949508628, rel=1e-8)


def _nchg(table):
    """Support and pmf(psi) of the count in cell [0, 0] given the margins (Fisher's noncentral hypergeometric)."""
    (a, b), (c, d) = table
    col1, col2, row1 = a + c, b + d, a + b
    support = list(range(max(0, row1 - col2), min(row1, col1) + 1))
    logc = [math.log(math.comb(col1, x) * math.comb(col2, row1 - x)) for x in support]

    def pmf(log_psi):
        w = [lc + x * log_psi for lc, x in zip(logc, support, strict=True)]
        top = max(w)
        e = [math.exp(v - top) for v in w]
        s = sum(e)
        return [v / s for v in e]

    return support, pmf


def _bisect_increasing(f, target, lo=-30.0, hi=30.0):
    for _ in range(200):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if f(mid) < target else (lo, mid)
    return math.exp((lo + hi) / 2)


def test_fisher_conditional_mle_and_ci_independently():
    """The conditional MLE solves E[a | margins, psi] = a; the 95% bounds solve P(X >= a) = 0.025 and P(X <= a) = 0.025."""
    table = [[8, 2], [1, 5]]
    support, pmf = _nchg(table)
    mle = _bisect_increasing(lambda lp: sum(x * p for x, p in zip(support, pmf(lp), strict=True)), 8)
    low = _bisect_increasing(lambda lp: sum(p for x, p in zip(support, pmf(lp), strict=True) if x >= 8), 0.025)
    high = _bisect_increasing(lambda lp: -sum(p for x, p in zip(support, pmf(lp), strict=True) if x <= 8), -0.025)
    got = fisher_tests.fisher_2x2(np.array(table))
    assert got["odds_ratio"] == pytest.approx(mle, rel=1e-8)
    assert got["or_ci_low"] == pytest.approx(low, rel=1e-8)
    assert got["or_ci_high"] == pytest.approx(high, rel=1e-8)
    # [[2, 1], [1, 2]]: pmf proportional to (1, 9, 9, 1) * psi^a, and E[a] = 2 reduces to psi^3 - 9 psi - 2 = 0.
    psi = fisher_tests.fisher_2x2(np.array([[2, 1], [1, 2]]))["odds_ratio"]
    assert psi**3 - 9 * psi - 2 == pytest.approx(0, abs=1e-7)
    assert psi == pytest.approx(3.1055, abs=1e-4)


def test_fisher_2x2_p_by_hand_and_conventions():
    # [[3, 1], [0, 3]]: margins 4/3 and 3/4, n = 7. P(a) = C(3,a) C(4,4-a) / 35 = 1, 12, 18, 4 (/35) for a = 0..3.
    # Observed a = 3 (4/35); two-sided sums the tables no more likely: (1 + 4) / 35 = 1/7.
    got = fisher_tests.fisher_2x2(np.array([[3, 1], [0, 3]]))
    assert got["p"] == pytest.approx(1 / 7, rel=1e-12)
    assert got["odds_ratio"] == math.inf  # b * c = 0
    assert 0 < got["or_ci_low"] < math.inf
    assert got["or_ci_high"] == math.inf
    zero = fisher_tests.fisher_2x2(np.array([[0, 5], [4, 3]]))
    assert (zero["odds_ratio"], zero["or_ci_low"]) == (0.0, 0.0)
    assert zero["or_ci_high"] == pytest.approx(R["fisher"]["zero_a"]["conf_int_tight"][1], rel=1e-8)
    # An empty row or column: no information. p = 1 (as R) and OR NaN (R says 0, CI [0, Inf]).
    for t in ([[0, 0], [3, 4]], [[0, 2], [0, 5]]):
        res = fisher_tests.fisher_2x2(np.array(t))
        assert res["p"] == 1.0
        assert all(math.isnan(res[k]) for k in ("odds_ratio", "or_ci_low", "or_ci_high"))
    assert R["fisher"]["empty_row"]["p"] == 1
    assert R["fisher"]["empty_row"]["estimate"] == 0


# Eight respondents; gender female/male and age band, '' = non-response.
FISHER_ANSWERS = pd.DataFrame(
    {
        "respondent": [f"r{i}" for i in range(1, 9)],
        "gender": ["female", "female", "female", "female", "male", "male", "male", ""],
        "age_band": ["<40", "<40", "40 and over", "", "40 and over", "<40", "40 and over", "40 and over"],
        "item_01": [SA, A, N, SA, D, SD, N, SA],
        "item_02": [A, D, SA, "", A, N, SD, A],
    }
)
FISHER_GROUPINGS = {"gender": ["female", "male"], "age_band": ["<40", "40 and over"]}


def test_fisher_tests_on_a_hand_made_table():
    inst = make_instrument()
    df, many = fisher_tests.fisher_tests(FISHER_ANSWERS, inst.scored_items, FISHER_GROUPINGS, positive=[SA, A])
    assert many.empty and list(many.columns) == fisher_tests.result("fisher_rxc").names()
    cells = ["n_1_pos", "n_1_neg", "n_2_pos", "n_2_neg", "n", "n_excluded"]
    rows = {(r.item, r.grouping): r for r in df.itertuples()}
    # item 1 x gender: female SA A N SA -> 3 pos 1 neg; male D SD N -> 0 / 3; r8 has no gender.
    assert [getattr(rows[1, "gender"], c) for c in cells] == [3, 1, 0, 3, 7, 1]
    # item 1 x age: <40 SA A SD -> 2/1; 40+ N D N SA -> 1/3; r4 has no age band.
    assert [getattr(rows[1, "age_band"], c) for c in cells] == [2, 1, 1, 3, 7, 1]
    # item 2 x gender: r4 skipped the item and r8 has no gender: two excluded.
    assert [getattr(rows[2, "gender"], c) for c in cells] == [2, 1, 1, 2, 6, 2]
    assert [getattr(rows[2, "age_band"], c) for c in cells] == [1, 2, 3, 1, 7, 1]
    assert (rows[1, "gender"].level_1, rows[1, "gender"].level_2) == ("female", "male")
    # Exact p by hand (see test_fisher_2x2_p_by_hand_and_conventions for [[3,1],[0,3]]):
    # [[2,1],[1,3]] and [[1,2],[3,1]]: tables 4, 18, 12, 1 and 1, 12, 18, 4 (/35) -> 17/35; [[2,1],[1,2]]: 1, 9, 9, 1 (/20) -> 1.
    p = [1 / 7, 17 / 35, 1.0, 17 / 35]
    np.testing.assert_allclose(df["p"], p, rtol=1e-12)
    # Family "all" (m = 4). Holm: 4/7, then 3*17/35 > 1 -> 1, 1, 1. BH: 4/7; 17/35 * 4/3 = 68/105 (twice); 1.
    np.testing.assert_allclose(df["p_holm"], [4 / 7, 1, 1, 1], rtol=1e-12)
    np.testing.assert_allclose(df["p_bh"], [4 / 7, 68 / 105, 1, 68 / 105], rtol=1e-12)
    assert df.loc[0, "odds_ratio"] == math.inf
    assert df["subscale"].tolist() == ["s"] * 4


def test_fisher_tests_family_per_grouping_and_collapse_rule():
    inst = make_instrument()
    df, _ = fisher_tests.fisher_tests(FISHER_ANSWERS, inst.scored_items, FISHER_GROUPINGS, positive=[SA, A], family="per_grouping")
    # gender family (1/7, 1): Holm 2/7, 1; BH 2/7, 1. age family (17/35, 17/35): Holm 34/35 twice; BH 17/35 twice.
    np.testing.assert_allclose(df["p_holm"], [2 / 7, 34 / 35, 1, 34 / 35], rtol=1e-12)
    np.testing.assert_allclose(df["p_bh"], [2 / 7, 17 / 35, 1, 17 / 35], rtol=1e-12)
    # Collapse rule "Strongly agree" versus the rest: female item 1 is SA A N SA -> 2 / 2.
    sa_only, _ = fisher_tests.fisher_tests(FISHER_ANSWERS, inst.scored_items[:1], {"gender": ["female", "male"]}, positive=[SA])
    assert sa_only.loc[0, ["n_1_pos", "n_1_neg", "n_2_pos", "n_2_neg"]].tolist() == [2, 2, 0, 3]


def test_fisher_tests_with_three_levels_and_joint_adjustment():
    """A third gender level nobody gave: the k-level table holds a zero row, and its
    Fisher-Freeman-Halton p equals the 2x2 p of the two levels answered (1/7 for item 1, see
    above). Holm runs over all four tests of both tables: 4/7 for the smallest."""
    inst = make_instrument()
    groupings = {"gender": ["female", "male", "other"], "age_band": ["<40", "40 and over"]}
    two, many = fisher_tests.fisher_tests(FISHER_ANSWERS, inst.scored_items, groupings, positive=[SA, A])
    assert len(two) == 2 and len(many) == 2
    first = many.iloc[0]
    assert (first["levels"], first["n_pos"], first["n_neg"], first["method"]) == (
        "female / male / other",
        "3 / 0 / 0",
        "1 / 3 / 0",
        "exact",
    )
    assert first["p"] == pytest.approx(1 / 7, rel=1e-12)
    assert min(two["p_holm"].min(), many["p_holm"].min()) == pytest.approx(4 / 7, rel=1e-12)


# =========================================================================== inference: Mann-Whitney, Welch
def _u_by_pairs(x, y) -> float:
    return sum(1.0 if a > b else 0.5 if a == b else 0.0 for a in x for b in y)


def test_mann_whitney_with_ties_by_hand_and_vs_r():
    x, y = WILCOX_TIES
    # Pairs x > y: 3 beats 1, 2 (2); each 5 beats 1, 2 and ties 5 (2.5, twice); 8, 10, 12 beat all five (15). U1 = 22.
    assert _u_by_pairs(x, y) == 22
    got = scale_group_tests.mann_whitney(x, y)
    assert got["mwu_u"] == 22 == R["wilcox"]["ties"]["W"]
    assert got["rank_biserial"] == pytest.approx(2 * 22 / 30 - 1, rel=1e-12)  # 7/15
    assert got["mwu_method"] == "asymptotic"  # ties
    assert got["mwu_p"] == pytest.approx(R["wilcox"]["ties"]["p"], rel=1e-10)


def test_mann_whitney_exact_by_enumeration_and_vs_r():
    x, y = WILCOX_EXACT
    # 1.1 beats none; 3.4 beats 2.0; 5.2 beats 2.0, 4.5; 7.8 beats 2.0, 4.5, 6.1: U1 = 6, rank-biserial 12/24 - 1 = -0.5.
    assert _u_by_pairs(x, y) == 6
    got = scale_group_tests.mann_whitney(x, y)
    assert (got["mwu_u"], got["mwu_method"], got["rank_biserial"]) == (6.0, "exact", -0.5)
    # Exact null: all C(10, 4) = 210 rank sets for group 1 are equally likely; U1 = rank sum - 10.
    us = [sum(c) - 10 for c in itertools.combinations(range(1, 11), 4)]
    p_exact = min(1.0, 2 * min(sum(u <= 6 for u in us), sum(u >= 6 for u in us)) / len(us))
    assert p_exact == pytest.approx(54 / 210, rel=1e-12)
    assert got["mwu_p"] == pytest.approx(p_exact, rel=1e-12)
    assert got["mwu_p"] == pytest.approx(R["wilcox"]["exact"]["p"], rel=1e-12)
    # Larger than exact_max_n: the normal approximation with continuity correction, as R with exact = FALSE.
    approx = scale_group_tests.mann_whitney(x, y, exact_max_n=5)
    assert approx["mwu_method"] == "asymptotic"
    assert approx["mwu_p"] == pytest.approx(R["wilcox"]["exact_as_normal"]["p"], rel=1e-10)
    assert approx["mwu_p"] != pytest.approx(got["mwu_p"], rel=1e-3)


def test_mann_whitney_and_welch_empty_groups_are_nan():
    res = scale_group_tests.mann_whitney([], [1.0, 2.0])
    assert math.isnan(res["mwu_u"]) and math.isnan(res["mwu_p"]) and res["mwu_method"] == ""
    assert all(math.isnan(v) for v in scale_group_tests.welch([1.0], [1.0, 2.0, 3.0]).values())


def test_welch_by_hand_and_vs_r():
    # Means 133/7 = 19 and 65/5 = 13; variances 84/6 = 14 and 50/4 = 12.5; se^2 = 14/7 + 12.5/5 = 4.5.
    # t = 6 / sqrt(4.5) = 2 sqrt(2); df = 4.5^2 / (2^2/6 + 2.5^2/4) = 20.25 / (2/3 + 25/16).
    got = scale_group_tests.welch(WELCH_X, WELCH_Y)
    assert got["welch_t"] == pytest.approx(2 * math.sqrt(2), rel=1e-12)
    assert got["welch_df"] == pytest.approx(20.25 / (2 / 3 + 25 / 16), rel=1e-12)
    assert got["welch_t"] == pytest.approx(R["welch"]["t"], rel=1e-12)
    assert got["welch_df"] == pytest.approx(R["welch"]["df"], rel=1e-12)
    assert got["welch_p"] == pytest.approx(R["welch"]["p"], rel=1e-10)


# =========================================================================== scoring
SCORE_ITEMS = [
    {"number": 1, "subscale": "s", "text": "One"},
    {"number": 2, "subscale": "s", "text": "Two"},
    {"number": 3, "subscale": "s", "text": "Three", "reverse": True},
]
SCORE_ANSWERS = pd.DataFrame(
    {
        "respondent": ["a", "b", "c", "d", "e"],
        "item_01": [SA, N, D, A, ""],
        "item_02": [A, "", SD, "", ""],
        "item_03": [SA, SD, A, "", ""],
    }
)
SCALE_1_TO_5 = [{**c, "score": s} for c, s in zip(SCALE, [5, 4, 3, 2, 1], strict=True)]


def test_item_scores_reverse_keys():
    inst = make_instrument(items=SCORE_ITEMS)
    got = score.item_scores(SCORE_ANSWERS, inst)
    # Reverse: (max + min) - x = 0 - x on the -2..2 scale: SA -> -2, SD -> 2, A -> -1.
    np.testing.assert_array_equal(got["item_01"], [2, 0, -1, 1, NA])
    np.testing.assert_array_equal(got["item_02"], [1, NA, -2, NA, NA])
    np.testing.assert_array_equal(got["item_03"], [-2, 2, -1, NA, NA])
    # On a 1..5 scale the reverse is 6 - x: SA (5) -> 1, SD (1) -> 5, A (4) -> 2.
    inst5 = make_instrument(items=SCORE_ITEMS, scale=SCALE_1_TO_5)
    got5 = score.item_scores(SCORE_ANSWERS, inst5)
    np.testing.assert_array_equal(got5["item_01"], [5, 3, 2, 4, NA])
    np.testing.assert_array_equal(got5["item_03"], [1, 5, 2, NA, NA])
    bad = SCORE_ANSWERS.assign(item_02=["Agree strongly", "", "", "", ""])
    with pytest.raises(ValueError, match="item_02"):
        score.item_scores(bad, inst)


def test_subscale_scores_complete_and_prorate_by_hand():
    scores = score.item_scores(SCORE_ANSWERS, make_instrument(items=SCORE_ITEMS))
    # Item scores: a (2, 1, -2), b (0, -, 2), c (-1, -2, -1), d (1, -, -), e (-, -, -).
    complete = score.subscale_scores(scores, make_instrument(items=SCORE_ITEMS))
    np.testing.assert_array_equal(complete["s"], [1, NA, -4, NA, NA])
    prorate1 = score.subscale_scores(scores, make_instrument(items=SCORE_ITEMS, missing_rule={"method": "prorate", "max_missing": 1}))
    # b: mean(0, 2) * 3 = 3; d skipped two items (> 1): NaN.
    np.testing.assert_array_equal(prorate1["s"], [1, 3, -4, NA, NA])
    prorate2 = score.subscale_scores(scores, make_instrument(items=SCORE_ITEMS, missing_rule={"method": "prorate", "max_missing": 2}))
    np.testing.assert_array_equal(prorate2["s"], [1, 3, -4, 3, NA])  # d: 1 * 3
    scores5 = score.item_scores(SCORE_ANSWERS, make_instrument(items=SCORE_ITEMS, scale=SCALE_1_TO_5))
    inst5 = make_instrument(items=SCORE_ITEMS, scale=SCALE_1_TO_5, missing_rule={"method": "prorate", "max_missing": 1})
    np.testing.assert_array_equal(score.subscale_scores(scores5, inst5)["s"], [10, 12, 5, NA, NA])  # a 5+4+1; b mean(3, 5)*3; c 2+1+2


def test_prorate_never_scores_a_respondent_with_no_answers():
    # max_missing >= the number of items would score someone who answered nothing: refused.
    with pytest.raises(InputError, match="max_missing") as err:
        make_instrument(items=SCORE_ITEMS, missing_rule={"method": "prorate", "max_missing": 3})
    assert "\n" not in err.value.line()
    # The largest allowed value still leaves the respondent with no answers unscored.
    inst = make_instrument(items=SCORE_ITEMS, missing_rule={"method": "prorate", "max_missing": 2})
    scores = score.item_scores(SCORE_ANSWERS, inst)
    assert math.isnan(score.subscale_scores(scores, inst)["s"].iloc[4])


# =========================================================================== Table 1
DEMOGRAPHICS = {
    "gender": {
        "label": "Gender",
        "column": "gender",
        "levels": {"female": ["Female", "F", "Woman"], "male": ["Male", "M", "Man"]},
        "level_labels": {"female": "Female", "male": "Male"},
        "missing": ["Prefer not to say"],
    },
    "age_band": {
        "label": "Age",
        "column": "age",
        "bins": [{"level": "<40", "min": 16, "below": 40}, {"level": "40 and over", "min": 40, "below": 100}],
        "level_labels": {"<40": "Under 40 years"},
    },
}


def test_table1_counts_percentages_and_response_rows():
    data = pd.DataFrame(
        {
            "gender": ["female", "female", "male", "", "female", "male"],
            "age_band": ["<40", "40 and over", "40 and over", "<40", "", "40 and over"],
        }
    )
    without = table1.table1(data, {"invited_n": None, "respondents_n": 6}, DEMOGRAPHICS, ["gender", "age_band"])
    assert "response" not in set(without["variable"]), "no number invited, no response rows"
    t = table1.table1(data, {"invited_n": 10, "respondents_n": 6}, DEMOGRAPHICS, ["gender", "age_band"])
    rows = [tuple(r) for r in t[["variable", "level", "level_label", "n", "denominator"]].itertuples(index=False)]
    assert rows == [
        ("gender", "female", "Female", 3, 6),
        ("gender", "male", "Male", 2, 6),
        ("gender", "non-response", "Non response", 1, 6),
        ("age_band", "<40", "Under 40 years", 2, 6),
        ("age_band", "40 and over", "40 and over", 3, 6),  # no level label: the level itself
        ("age_band", "non-response", "Non response", 1, 6),
        ("response", "responded", "Responded", 6, 10),
        ("response", "did not respond", "Did not respond", 4, 10),
    ]
    np.testing.assert_allclose(t["pct"], [50, 100 / 3, 100 / 6, 100 / 3, 50, 100 / 6, 60, 40], rtol=1e-12)
    assert t["variable_label"].tolist()[:3] == ["Gender"] * 3
    with pytest.raises(ValueError, match=r"gender: levels \['other'\]"):
        table1.table1(data.assign(gender=["other", *data.gender[1:]]), {"roster_n": 10, "respondents_n": 6}, DEMOGRAPHICS, ["gender"])


# =========================================================================== anonymisation
KEY = b"test-key-0123456789abcdef"


def test_pseudonym_is_hmac_sha256_of_the_normalised_email():
    # Computed independently: printf 'respondent:jane.doe@example.org' | openssl dgst -sha256 -hmac 'test-key-0123456789abcdef'
    full = "f16108011fddc69d002c2a55a5b88623c0332ce6efff020c9cfc6670ab535912"
    assert hmac.new(KEY, b"respondent:jane.doe@example.org", hashlib.sha256).hexdigest() == full
    assert pseudonyms.pseudonym(KEY, "jane.doe@example.org") == full[:12]
    assert pseudonyms.pseudonym(KEY, "jane.doe@example.org", length=64) == full
    # Case and surrounding / repeated spaces do not matter...
    assert pseudonyms.pseudonym(KEY, "  Jane.Doe@EXAMPLE.org\t") == full[:12]
    # ...but the key and the domain do.
    assert pseudonyms.pseudonym(b"another-key-0123456789", "jane.doe@example.org") != full[:12]
    assert pseudonyms.pseudonym(KEY, "jane.doe@example.org", domain="facilitator") != full[:12]
    assert pseudonyms.pseudonym(KEY, "john.doe@example.org") != full[:12]


@pytest.mark.parametrize(
    ("value", "grouping", "level"),
    [
        ("Female", "gender", "female"),
        ("  woman ", "gender", "female"),
        ("M", "gender", "male"),
        ("", "gender", ""),
        ("Prefer not to say", "gender", ""),
        ("prefer-not-to-say", "gender", ""),
        ("16", "age_band", "<40"),
        ("39.9", "age_band", "<40"),
        ("40", "age_band", "40 and over"),  # lower bound inclusive
        ("99", "age_band", "40 and over"),
        ("   ", "age_band", ""),
    ],
)
def test_map_level(value, grouping, level):
    assert groupings.map_level(value, DEMOGRAPHICS[grouping], file="survey.csv", row=5, column="Col", grouping=grouping) == level


@pytest.mark.parametrize(
    ("value", "grouping", "problem"),
    [
        ("Other", "gender", "gender: answer not mapped in config (demographics.gender.levels)"),
        ("100", "age_band", "age_band: value outside every band"),  # upper bound exclusive
        ("15", "age_band", "age_band: value outside every band"),
        ("forty", "age_band", "age_band: not a number"),
        ("4_5", "age_band", "age_band: not a number"),  # float("4_5") is 45, in the 40-and-over band
        ("1e2", "age_band", "age_band: not a number"),
        ("nan", "age_band", "age_band: not a number"),
        ("٤٥", "age_band", "age_band: not a number"),  # Arabic-Indic 45: float() reads it
    ],
)
def test_map_level_refuses_unmapped_values(value, grouping, problem):
    with pytest.raises(InputError) as exc:
        groupings.map_level(value, DEMOGRAPHICS[grouping], file="survey.csv", row=5, column="Gender or age", grouping=grouping)
    line = exc.value.line()
    assert line.startswith(f"ERROR survey.csv, row 5, column 'Gender or age': {problem}; found {value!r}")
    assert "\n" not in line


def test_k_anonymity_on_a_hand_made_table():
    data = pd.DataFrame(
        {
            "gender": ["female", "female", "female", "female", "male", "male", "male"],
            "age_band": ["<40", "<40", "<40", "40 and over", "<40", "<40", ""],
        }
    )
    # Classes: (female, <40) 3, (female, 40+) 1, (male, <40) 2, (male, non-response) 1.
    rep = anonymise_survey.k_anonymity(data, ["gender", "age_band"], 2)
    assert rep == {
        "k": 2,
        "quasi_identifiers": ["gender", "age_band"],
        "records": 7,
        "classes": 4,
        "smallest_class": 1,
        "records_in_classes_below_k": 2,
        "classes_below_k": 2,
        "class_size_histogram": {"1": 2, "2": 1, "3": 1},
    }
    rep3 = anonymise_survey.k_anonymity(data, ["gender", "age_band"], 3)
    assert (rep3["records_in_classes_below_k"], rep3["classes_below_k"]) == (4, 3)
    assert anonymise_survey.k_anonymity(data, ["gender"], 3)["smallest_class"] == 3


def test_demo_key_allowed_needs_the_flag_and_every_input_under_data_synthetic(tmp_path):
    (tmp_path / "data" / "synthetic").mkdir(parents=True)
    ok = ["data/synthetic/survey.csv", tmp_path / "data" / "synthetic" / "roster.csv"]
    assert pseudonyms.demo_key_allowed(True, ok, root=tmp_path) is True
    assert pseudonyms.demo_key_allowed(False, ok, root=tmp_path) is False
    assert pseudonyms.demo_key_allowed(True, [*ok, "data/raw/survey.csv"], root=tmp_path) is False
    assert pseudonyms.demo_key_allowed(True, ["data/synthetic/../raw/survey.csv"], root=tmp_path) is False
    assert pseudonyms.demo_key_allowed(True, ["/elsewhere/data/synthetic/survey.csv"], root=tmp_path) is False


@pytest.fixture
def key_setup(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    outside = tmp_path / "home" / "pseudonym.key"
    outside.parent.mkdir()
    spec = {"key_env": "RIPLS_TEST_KEY", "key_file": str(outside), "demo_key": "demo-key-for-the-tests-only"}
    return repo, outside, spec


def test_load_key_sources_and_precedence(key_setup):
    repo, outside, spec = key_setup
    outside.write_text("file-key-0123456789abcdef\n", encoding="utf-8")
    env = {"RIPLS_TEST_KEY": "  env-key-0123456789abcdef  "}
    assert pseudonyms.load_key(spec, demo_allowed=True, root=repo, environ=env) == (
        b"env-key-0123456789abcdef",
        "environment variable RIPLS_TEST_KEY",
    )
    assert pseudonyms.load_key(spec, demo_allowed=True, root=repo, environ={"RIPLS_TEST_KEY": "  "}) == (
        b"file-key-0123456789abcdef",
        "key file",
    )
    outside.unlink()
    assert pseudonyms.load_key(spec, demo_allowed=True, root=repo, environ={}) == (
        b"demo-key-for-the-tests-only",
        "demo key (synthetic study)",
    )


def test_load_key_refusals_never_quote_the_key(key_setup):
    repo, outside, spec = key_setup
    # No key and no demo: the one line names the environment variable.
    with pytest.raises(InputError) as exc:
        pseudonyms.load_key(spec, demo_allowed=False, root=repo, environ={})
    line = exc.value.line()
    assert "no pseudonymisation key for real data" in line
    assert "RIPLS_TEST_KEY" in line
    assert "\n" not in line
    # A short key.
    with pytest.raises(InputError) as exc:
        pseudonyms.load_key(spec, demo_allowed=True, root=repo, environ={"RIPLS_TEST_KEY": "sh0rt-s3cret"})
    assert exc.value.line() == (
        "ERROR environment variable RIPLS_TEST_KEY: pseudonymisation key is too short; found '12 characters'; "
        "expected at least 16 characters of random text"
    )
    assert "sh0rt-s3cret" not in str(exc.value)
    # A key file inside the repository is refused even though the key itself is fine.
    inside = repo / "secrets" / "pseudonym.key"
    inside.parent.mkdir()
    inside.write_text("inside-key-0123456789abcdef", encoding="utf-8")
    with pytest.raises(InputError) as exc:
        pseudonyms.load_key({**spec, "key_file": "secrets/pseudonym.key"}, demo_allowed=True, root=repo, environ={})
    assert "key file is inside the repository" in exc.value.line()
    assert "inside-key-0123456789abcdef" not in str(exc.value)
    # A short key in a key file.
    outside.write_text("tiny-secret\n", encoding="utf-8")
    with pytest.raises(InputError) as exc:
        pseudonyms.load_key(spec, demo_allowed=True, root=repo, environ={})
    assert "found '11 characters'" in exc.value.line()
    assert "tiny-secret" not in str(exc.value)


# =========================================================================== instrument files
def _mutate(fn):
    d = instrument_dict(
        items=[
            {"number": 1, "subscale": "s", "text": "One"},
            {"number": 2, "subscale": "s", "text": "Two"},
        ]
    )
    fn(d)
    return d


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda d: d["items"][1].update(subscale="teamwork"), "item 2 names an unknown subscale; found 'teamwork'; expected one of: 's'"),
        (lambda d: d["items"].append({"number": 1, "subscale": "s", "text": "Again"}), "item listed twice; found 'item 1'"),
        (lambda d: d["response_scale"][1].update(label="Strongly agree"), "response label listed twice; found 'Strongly agree'"),
        (
            lambda d: (d["response_scale"][0].update(score=1), d["response_scale"][1].update(score=2)),
            "response categories are not in order of agreement; found [1, 2, 0, -1, -2]",
        ),
        (lambda d: d["response_scale"][1].update(score=2), "two response categories have the same score"),
        (
            lambda d: d["response_scale"][1].update(code=4),
            "key response_scale[1].code: response categories no longer carry numeric codes (survey tools number answers their own way); "
            "found 4; expected no 'code:' in the instrument; if the survey export holds numbers, declare what they mean in config.yaml "
            "under survey.codes, e.g. survey.codes: {4: Agree}",
        ),
        (lambda d: d["response_scale"][2].update(aliases=["agree"]), "an alias is the label of another category"),
        (lambda d: d["subscales"].append({"id": "s", "name": "Again", "higher_is_ready": True}), "subscale listed twice"),
        (lambda d: d["subscales"].append({"id": "t", "name": "Empty", "higher_is_ready": True}), "subscale has no items; found 't'"),
        (lambda d: d.pop("items"), "instrument does not match its schema"),
    ],
)
def test_parse_instrument_errors(mutate, expected):
    with pytest.raises(InputError) as exc:
        parse_instrument(_mutate(mutate), path="tiny.yaml")
    line = exc.value.line()
    assert line.startswith("ERROR tiny.yaml")
    assert expected in line
    assert "\n" not in line


def test_parse_instrument_refuses_labels_equal_after_normalisation():
    d = instrument_dict(scale=[{"label": "Agree", "score": 1}, {"label": "AGREE", "score": 0}, {"label": "Disagree", "score": -1}])
    with pytest.raises(InputError):
        parse_instrument(d, path="tiny.yaml")


def one_item_column(cells: list[str]) -> SurveyTable:
    """A survey table of one item column ``q`` holding ``cells`` on spreadsheet rows 2, 3, …"""
    return SurveyTable(
        frame=pd.DataFrame({"q": cells}, dtype=str),
        columns={"q": SurveyColumn("q")},
        format="csv",
        source="survey.csv",
        file_kind="text",
        rows=list(range(2, len(cells) + 2)),
    )


CODES_5_TO_1 = {5: SA, 4: A, 3: N, 2: D, 1: SD}


@pytest.mark.parametrize(
    ("cell", "codes", "label"),
    [
        ("Strongly agree", None, SA),
        ("  strongly   AGREE ", None, SA),
        ("strongly-agree", None, SA),
        ("Neutral", None, N),
        ("neither", None, N),
        ("NEITHER AGREE NOR DISAGREE", None, N),
        ("5", CODES_5_TO_1, SA),
        ("2", CODES_5_TO_1, D),  # a code, not a score: code 2 is Disagree (score -1)
        (" 1 ", CODES_5_TO_1, SD),
        ("5.0", CODES_5_TO_1, SA),  # a code written as a decimal
        ("1", {1: SA, 2: A, 3: N, 4: D, 5: SD}, SA),  # the same code, another export's meaning
        ("", None, ""),
        ("Not answered", None, ""),
        ("  Not answered ", None, ""),
    ],
)
def test_answers_map_through_labels_and_declared_codes_only(cell, codes, label):
    assert answer_labels(one_item_column([cell]), "q", make_instrument(), codes=codes).tolist() == [label]


@pytest.mark.parametrize(
    ("cell", "codes", "problem"),
    [
        ("Agree strongly", None, "answer is not a response label of the instrument (found a 14-character text)"),
        ("Strongly", None, "answer is not a response label of the instrument (found a 8-character text)"),
        ("5", None, "a numeric code with no declared meaning"),  # never guessed, even in the range of a 1-5 scale
        ("7", CODES_5_TO_1, "a numeric code with no declared meaning"),
        ("0", CODES_5_TO_1, "a numeric code with no declared meaning"),
        ("-2", CODES_5_TO_1, "a numeric code with no declared meaning"),  # a score, not a code: never read as code 2
        ("-1", CODES_5_TO_1, "a numeric code with no declared meaning"),
        ("2.5", CODES_5_TO_1, "a numeric code with no declared meaning"),
        ("4_5", CODES_5_TO_1, "answer is not a response label"),  # float() reads it as 45; not a number here
    ],
)
def test_answers_without_a_declared_meaning_stop_the_run(cell, codes, problem):
    with pytest.raises(InputError) as exc:
        answer_labels(one_item_column(["", cell]), "q", make_instrument(), codes=codes)
    assert exc.value.line().startswith(f"ERROR survey.csv, row 3, column 'q': {problem}")
    assert "; found '" not in exc.value.line()  # the cell is described, not quoted


def test_fisher_p_matches_scipy_on_random_tables():
    from scipy.stats import fisher_exact

    rng = np.random.default_rng(2015)
    tables = [rng.integers(0, n, 4).reshape(2, 2) for n in (3, 8, 40, 400) for _ in range(60)]
    tables += [np.array(t) for t in ([[0, 5], [5, 0]], [[3, 3], [3, 3]], [[10, 0], [0, 0]], [[1, 0], [0, 1]], [[0, 0], [0, 0]])]
    for t in tables:
        assert fisher_tests.fisher_p(t) == pytest.approx(fisher_exact(t).pvalue, rel=1e-12, abs=1e-300), t


def test_feldt_bounds_are_scipy_f_quantiles():
    from scipy.stats import f

    for alpha, n, k in ((0.8, 44, 9), (0.55, 12, 3), (-0.2, 5, 2), (0.97, 1000, 19)):
        df1, df2 = n - 1, (n - 1) * (k - 1)
        want = (1 - (1 - alpha) * f.isf(0.025, df1, df2), 1 - (1 - alpha) * f.isf(0.975, df1, df2))
        assert reliability.feldt_ci(alpha, n, k) == pytest.approx(want, rel=1e-12)


def test_conditional_odds_ratio_matches_scipy_on_random_tables():
    """Our direct computation against scipy's implementation (an independent tool), including
    zero cells; both solve the same equations, so they agree to rounding."""
    from scipy.stats.contingency import odds_ratio

    rng = np.random.default_rng(20151)
    checked = 0
    for _ in range(150):
        t = rng.integers(0, 40, 4).reshape(2, 2)
        if (t.sum(axis=0) == 0).any() or (t.sum(axis=1) == 0).any():
            continue
        ref = odds_ratio(t, kind="conditional")
        ci = ref.confidence_interval(confidence_level=0.95)
        ours = fisher_tests.conditional_odds_ratio(t, 0.95)
        for got, want in zip(ours, (ref.statistic, ci.low, ci.high), strict=True):
            if math.isinf(want) or want == 0:
                assert got == want
            else:
                assert got == pytest.approx(want, rel=1e-9)
        checked += 1
    assert checked > 100
