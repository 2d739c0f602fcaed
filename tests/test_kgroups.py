"""Tests of scripts/kgroups.py: k-level group tests (Fisher r x c, Kruskal-Wallis, Welch ANOVA).

R's values are in tests/reference/r_reference_kgroups.json, written by
tests/reference/make_reference_kgroups.R (R 4.2.2), which also holds the input data.
Other checks: scipy's 2x2 ``fisher_exact``, statsmodels' ``anova_oneway``, scipy's Welch
t-test, a brute-force enumeration written here, and examples worked by hand.

Tolerances: p values, statistics and degrees of freedom agree with R to 1e-9 relative.
The Fisher p is a sum of probabilities exp(log_const - sum log x!) whose log-factorials of
n ~ 1000 are ~5000 in size, so double rounding alone allows ~1e-12 relative; the largest
deviation from R seen is 6e-11 (6 x 2, n = 1000). A Monte Carlo p is compared with the
exact p within 3 binomial standard errors (deterministic, since the seed is fixed).
"""

import itertools
import json
import math
from pathlib import Path

import numpy as np
import pytest
from scipy.special import gammaln
from scipy.stats import fisher_exact, ttest_ind
from statsmodels.stats.oneway import anova_oneway

from kgroups import DEFAULT_MAX_TABLES, FEXACT_LOG_TOL, fisher_rxc, group_summary, kruskal_wallis, welch_anova

REF = json.loads((Path(__file__).resolve().parent / "reference" / "r_reference_kgroups.json").read_text())
REL = 1e-9

# Too slow for the suite exactly (9 million partial tables, ~2 s): tested by Monte Carlo below.
LARGE = {"k6_n1000"}
FISHER_CASES = sorted(set(REF["fisher"]) - LARGE)


def brute_force(table) -> tuple[float, int]:
    """(p, number of tables) by listing every table with the margins: independent of kgroups."""
    t = np.asarray(table)
    rows, cols = t.sum(axis=1), t.sum(axis=0)
    n = t.sum()
    log_const = gammaln(rows + 1).sum() + gammaln(cols + 1).sum() - gammaln(n + 1)
    log_obs = log_const - gammaln(t + 1).sum()
    r, c = t.shape
    p, count = 0.0, 0
    free = [range(min(rows[i], cols[j]) + 1) for i in range(r - 1) for j in range(c - 1)]
    for cells in itertools.product(*free):
        x = np.zeros((r, c), dtype=int)
        x[: r - 1, : c - 1] = np.reshape(cells, (r - 1, c - 1))
        x[: r - 1, c - 1] = rows[: r - 1] - x[: r - 1, : c - 1].sum(axis=1)
        x[r - 1] = cols - x[: r - 1].sum(axis=0)
        if (x < 0).any():
            continue
        count += 1
        logp = log_const - gammaln(x + 1).sum()
        if logp <= log_obs + FEXACT_LOG_TOL:
            p += math.exp(logp)
    return p, count


# --------------------------------------------------------------------------- Fisher: R
@pytest.mark.parametrize("case", FISHER_CASES)
def test_fisher_matches_r(case):
    ref = REF["fisher"][case]
    res = fisher_rxc(ref["table"])
    assert res["method"] == "exact"
    assert res["p"] == pytest.approx(ref["p"], rel=REL)


def test_fisher_2x2_matches_scipy():
    """Every 2x2 table with n <= 14 and a sample of larger ones: the same p as scipy."""
    rng = np.random.default_rng(3)
    tables = [np.reshape(v, (2, 2)) for v in itertools.product(range(4), repeat=4)]
    tables += [rng.integers(0, 60, size=(2, 2)) for _ in range(100)]
    checked = 0
    for t in tables:
        if (t.sum(axis=0) == 0).any() or (t.sum(axis=1) == 0).any():
            continue
        assert fisher_rxc(t)["p"] == pytest.approx(fisher_exact(t).pvalue, rel=REL), t.tolist()
        checked += 1
    assert checked > 250


# --------------------------------------------------------------------------- Fisher: by hand
def test_fisher_hand_3x2_with_ties():
    """Rows (2, 2, 2), columns (3, 3). A table is fixed by its first column (x1, x2, x3), each
    0..2, summing to 3; P = C(2,x1) C(2,x2) C(2,x3) / C(6,3):

        the 6 orders of (2, 1, 0): 1 * 2 * 1 / 20 = 0.1 each
        (1, 1, 1):                 2 * 2 * 2 / 20 = 0.4

    7 tables. The observed (2, 1, 0) ties with 5 others, so p = 6 * 0.1 = 0.6.
    """
    table = [[2, 0], [1, 1], [0, 2]]
    assert REF["fisher"]["hand_3x2_ties"]["table"] == table
    res = fisher_rxc(table)
    assert res["p"] == pytest.approx(0.6, rel=1e-12)
    assert res["n_tables"] == 7


def test_fisher_hand_3x2():
    """Rows (3, 3, 2), columns (4, 4). First column (x1, x2, x3), P = C(3,x1) C(3,x2) C(2,x3) / 70:

        x3 = 0: (1,3) 3, (2,2) 9, (3,1) 3
        x3 = 1: (0,3) 2, (1,2) 18, (2,1) 18, (3,0) 2
        x3 = 2: (0,2) 3, (1,1) 9, (2,0) 3            (sum 70: 10 tables)

    The observed first column is (3, 0, 1), weight 2; only (0, 3, 1) is as improbable, so
    p = 4 / 70.
    """
    table = [[3, 0], [0, 3], [1, 1]]
    assert REF["fisher"]["hand_3x2"]["table"] == table
    res = fisher_rxc(table)
    assert res["p"] == pytest.approx(4 / 70, rel=1e-12)
    assert res["n_tables"] == 10


@pytest.mark.parametrize(
    "table",
    [
        [[3, 1, 0], [1, 2, 2], [0, 1, 3]],
        [[2, 1, 1], [0, 3, 1], [1, 0, 2]],
        [[1, 2, 3, 0], [2, 0, 1, 3], [1, 1, 1, 1]],
        [[4, 1], [2, 3], [0, 5], [3, 3], [1, 0]],
        [[2, 3, 1, 4, 0], [1, 1, 3, 0, 2]],
    ],
)
def test_fisher_matches_brute_force(table):
    p, count = brute_force(table)
    res = fisher_rxc(table)
    assert res["p"] == pytest.approx(p, rel=REL)
    assert res["n_tables"] == count


def test_fisher_same_p_for_transposed_and_reordered_tables():
    t = np.array(REF["fisher"]["k5_n60"]["table"])
    p = fisher_rxc(t)["p"]
    assert fisher_rxc(t.T)["p"] == pytest.approx(p, rel=1e-12)
    assert fisher_rxc(t[[3, 0, 4, 2, 1]])["p"] == pytest.approx(p, rel=1e-12)
    assert fisher_rxc(t[:, ::-1])["p"] == pytest.approx(p, rel=1e-12)


# --------------------------------------------------------------------------- Fisher: edge cases
@pytest.mark.parametrize(
    "table",
    [
        [[3, 4]],  # one row
        [[3], [4], [0]],  # one column
        [[0, 0], [0, 0]],  # empty
        [[0, 5], [0, 7], [0, 1]],  # one non-empty column
        [[0, 0, 0], [2, 3, 4]],  # one non-empty row
    ],
)
def test_fisher_not_testable(table):
    res = fisher_rxc(table)
    assert res["p"] == 1.0
    assert res["method"] == "not testable"
    assert "fewer than 2 non-empty" in res["reason"]


def test_fisher_drops_empty_rows_and_columns():
    """An empty level changes no probability (R gives the same p with or without it)."""
    t = [[4, 2], [0, 0], [1, 5]]
    assert fisher_rxc(t)["p"] == pytest.approx(REF["fisher"]["k3_empty_row"]["p"], rel=REL)
    assert fisher_rxc([[4, 0, 2], [1, 0, 5], [0, 0, 0]])["p"] == pytest.approx(fisher_rxc(t)["p"], rel=1e-12)


@pytest.mark.parametrize("table", [[[1, -1], [2, 3]], [[1.5, 1], [2, 3]], [[np.nan, 1], [2, 3]], [1, 2, 3], [[[1, 2], [3, 4]]]])
def test_fisher_rejects_malformed_tables(table):
    with pytest.raises(ValueError):
        fisher_rxc(table)


def test_fisher_accepts_float_counts():
    assert fisher_rxc(np.array([[8.0, 2.0], [1.0, 5.0]]))["p"] == pytest.approx(REF["fisher"]["t2x2_typical"]["p"], rel=REL)


# --------------------------------------------------------------------------- Fisher: Monte Carlo
def test_fallback_exactly_above_max_tables_two_columns():
    t = REF["fisher"]["k4_n44"]["table"]
    need = fisher_rxc(t)["n_enumerated"]
    assert fisher_rxc(t, max_tables=need)["method"] == "exact"
    res = fisher_rxc(t, max_tables=need - 1, n_sim=2000)
    assert res["method"] == "monte carlo"
    assert res["n_enumerated"] == need


def test_fallback_exactly_above_max_tables_general():
    t = [[3, 1, 0], [1, 2, 2], [0, 1, 3]]
    _, count = brute_force(t)
    exact = fisher_rxc(t, max_tables=count)
    assert (exact["method"], exact["n_tables"]) == ("exact", count)
    mc = fisher_rxc(t, max_tables=count - 1, n_sim=2000)
    assert mc["method"] == "monte carlo"
    assert mc["n_tables"] is None


def test_monte_carlo_is_seeded_and_deterministic():
    t = REF["fisher"]["k4_n44"]["table"]
    a = fisher_rxc(t, max_tables=1, n_sim=5000, seed=11)
    b = fisher_rxc(t, max_tables=1, n_sim=5000, seed=11)
    c = fisher_rxc(t, max_tables=1, n_sim=5000, seed=12)
    assert a == b
    assert a["p"] != c["p"]
    assert (a["method"], a["n_sim"], a["seed"]) == ("monte carlo", 5000, 11)
    hits = a["p"] * (5000 + 1) - 1  # p = (1 + hits) / (B + 1), R's formula
    assert hits == pytest.approx(round(hits), abs=1e-6)
    assert a["mc_se"] == pytest.approx(math.sqrt(a["p"] * (1 - a["p"]) / 5000))


@pytest.mark.parametrize("case", ["k4_n44", "r3x3_n60", "k4_zero_cells", "t2x2_moderate"])
def test_monte_carlo_within_3_se_of_exact(case):
    ref = REF["fisher"][case]
    res = fisher_rxc(ref["table"], max_tables=1, n_sim=20_000, seed=5)
    assert res["method"] == "monte carlo"
    se = math.sqrt(ref["p"] * (1 - ref["p"]) / 20_000)
    assert abs(res["p"] - ref["p"]) <= 3 * se + 1 / 20_001


def test_large_table_falls_back_and_agrees_with_r():
    """6 x 2, n = 1000: 9 million partial tables, above the default limit. The Monte Carlo p is
    within 3 SE of R's exact p, and within Monte Carlo error of R's own simulated p."""
    ref = REF["fisher"]["k6_n1000"]
    res = fisher_rxc(ref["table"])
    assert res["method"] == "monte carlo"
    assert res["n_enumerated"] > DEFAULT_MAX_TABLES
    se = math.sqrt(ref["p"] * (1 - ref["p"]) / res["n_sim"])
    assert abs(res["p"] - ref["p"]) <= 3 * se
    sim = REF["fisher_simulated"]
    assert sim["table"] == ref["table"]
    se_r = math.sqrt(sim["p"] * (1 - sim["p"]) / sim["B"])
    assert abs(res["p"] - sim["p"]) <= 3 * math.hypot(res["mc_se"], se_r)


# --------------------------------------------------------------------------- Kruskal-Wallis
@pytest.mark.parametrize("case", sorted(REF["kruskal"]))
def test_kruskal_matches_r(case):
    ref = REF["kruskal"][case]
    res = kruskal_wallis(ref["groups"])
    assert res["h"] == pytest.approx(ref["h"], rel=REL)
    assert res["df"] == ref["df"]
    assert res["p"] == pytest.approx(ref["p"], rel=REL)
    assert res["epsilon_squared"] == pytest.approx(ref["epsilon_squared"], rel=REL)
    n = sum(len(g) for g in ref["groups"])
    assert res["epsilon_squared"] == pytest.approx(res["h"] / ((n**2 - 1) / (n + 1)), rel=1e-12)
    assert (res["n"], res["k"], res["reason"]) == (n, len(ref["groups"]), None)


def test_kruskal_hand_example():
    """Groups (1, 2), (3, 4), (5, 6): rank sums 3, 7, 11, n = 6, no ties:
    H = 12 / (6 * 7) * (9 + 49 + 121) / 2 - 3 * 7 = 179 / 7 - 21 = 32 / 7; E^2 = H / 5 = 32 / 35."""
    res = kruskal_wallis([[1, 2], [3, 4], [5, 6]])
    assert res["h"] == pytest.approx(32 / 7, rel=1e-12)
    assert res["epsilon_squared"] == pytest.approx(32 / 35, rel=1e-12)
    assert res["p"] == pytest.approx(math.exp(-16 / 7), rel=1e-12)  # chi-square, 2 df: exp(-H/2)


def test_kruskal_epsilon_squared_is_one_when_all_rank_variation_is_between_groups():
    """Groups (1, 1), (2, 2), (3, 3): with the tie correction H = n - 1 = 5, so E^2 = 1."""
    res = kruskal_wallis([[1, 1], [2, 2], [3, 3]])
    assert res["h"] == pytest.approx(5, rel=1e-12)
    assert res["epsilon_squared"] == pytest.approx(1, rel=1e-12)


def test_kruskal_empty_group_is_left_out():
    ref = REF["kruskal"]["no_ties"]
    res = kruskal_wallis([ref["groups"][0], [], *ref["groups"][1:]])
    assert res["p"] == pytest.approx(ref["p"], rel=REL)
    assert (res["k"], res["df"]) == (3, 2)


@pytest.mark.parametrize(
    ("groups", "reason"),
    [
        ([[1, 2, 3]], "non-empty group"),
        ([[1, 2], []], "non-empty group"),
        ([[], []], "non-empty group"),
        ([[2, 2], [2, 2, 2]], "all values are equal"),
    ],
)
def test_kruskal_degenerate(groups, reason):
    res = kruskal_wallis(groups)
    assert math.isnan(res["h"]) and math.isnan(res["p"]) and math.isnan(res["epsilon_squared"])
    assert reason in res["reason"]


def test_kruskal_rejects_nan():
    with pytest.raises(ValueError, match="group 2"):
        kruskal_wallis([[1, 2], [3, float("nan")]])


# --------------------------------------------------------------------------- Welch ANOVA
@pytest.mark.parametrize("case", sorted(REF["welch"]))
def test_welch_anova_matches_r_and_statsmodels(case):
    ref = REF["welch"][case]
    res = welch_anova(ref["groups"])
    for key in ("f", "df1", "df2", "p"):
        assert res[key] == pytest.approx(ref[key], rel=REL), key
    sm = anova_oneway([np.asarray(g, dtype=float) for g in ref["groups"]], use_var="unequal")
    assert res["f"] == pytest.approx(sm.statistic, rel=REL)
    assert res["p"] == pytest.approx(sm.pvalue, rel=REL)
    assert res["df2"] == pytest.approx(sm.df[1], rel=REL)


def test_welch_anova_two_groups_is_welch_t_squared():
    x, y = REF["welch"]["two"]["groups"]
    t = ttest_ind(x, y, equal_var=False)
    res = welch_anova([x, y])
    assert res["f"] == pytest.approx(t.statistic**2, rel=REL)
    assert res["df2"] == pytest.approx(t.df, rel=REL)
    assert res["p"] == pytest.approx(t.pvalue, rel=REL)


@pytest.mark.parametrize(
    ("groups", "reason"),
    [
        ([[1, 2, 3]], "non-empty group"),
        ([[1, 2, 3], [4]], "fewer than 2 values"),  # R: "not enough observations"
        ([[1, 2, 3], [5, 5, 5], [7, 8, 9]], "zero variance"),  # R: F = NaN
        ([[1, 2, 3], [], [4, 6]], None),  # an empty group is left out
    ],
)
def test_welch_anova_degenerate(groups, reason):
    res = welch_anova(groups)
    if reason is None:
        assert res["f"] == pytest.approx(welch_anova([[1, 2, 3], [4, 6]])["f"], rel=1e-12)
        assert res["k"] == 2
        return
    assert all(math.isnan(res[k]) for k in ("f", "df2", "p"))
    assert reason in res["reason"]


# --------------------------------------------------------------------------- summary
def test_group_summary():
    out = group_summary([[1, 2, 3, 10], [5], []])
    assert out[0] == {"n": 4, "mean": 4.0, "sd": pytest.approx(math.sqrt(50 / 3)), "median": 2.5}
    assert out[1]["n"] == 1 and out[1]["mean"] == 5.0 and math.isnan(out[1]["sd"]) and out[1]["median"] == 5.0
    assert out[2]["n"] == 0 and math.isnan(out[2]["mean"]) and math.isnan(out[2]["median"])
