"""Group comparisons: item-level Fisher tests and subscale-score group tests.

Fisher (the paper's method): each item's answers are collapsed to two columns by the
configured rule (default: strongly agree + agree versus the rest), cross-tabulated against
a two-level grouping, and tested with Fisher's exact test (two-sided). Each row reports the
2x2 counts, the exact p, the conditional maximum-likelihood odds ratio with its exact
confidence interval (as R's ``fisher.test``), and p adjusted across the family by Holm and
by Benjamini-Hochberg (as R's ``p.adjust``).

Scale scores: each subscale score by each grouping, with the Mann-Whitney U test (exact p
when there are no ties and both groups are small enough, otherwise the normal
approximation with tie and continuity corrections), the rank-biserial correlation, and
Welch's t-test.
"""

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from _helpers import read_table, run_rule, write_csv
from instrument import load_instrument


# ----------------------------------------------------------------------------- adjustments
def holm(p: Sequence[float]) -> np.ndarray:
    """Holm's step-down adjusted p values (R ``p.adjust(method = "holm")``); NaN stays NaN."""
    p = np.asarray(p, dtype=float)
    out = np.full_like(p, np.nan)
    ok = ~np.isnan(p)
    q = p[ok]
    m = q.size
    if m == 0:
        return out
    order = np.argsort(q, kind="stable")
    adj = np.maximum.accumulate((m - np.arange(m)) * q[order])
    res = np.empty(m)
    res[order] = np.minimum(adj, 1.0)
    out[ok] = res
    return out


def benjamini_hochberg(p: Sequence[float]) -> np.ndarray:
    """Benjamini-Hochberg adjusted p values (R ``p.adjust(method = "BH")``); NaN stays NaN."""
    p = np.asarray(p, dtype=float)
    out = np.full_like(p, np.nan)
    ok = ~np.isnan(p)
    q = p[ok]
    m = q.size
    if m == 0:
        return out
    order = np.argsort(q, kind="stable")[::-1]
    adj = np.minimum.accumulate(m / np.arange(m, 0, -1) * q[order])
    res = np.empty(m)
    res[order] = np.minimum(adj, 1.0)
    out[ok] = res
    return out


# ----------------------------------------------------------------------------- Fisher
def _support_logweights(table: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Support of the top-left cell given the margins, and log C(n1,k) + log C(n2,m-k)."""
    from scipy.special import gammaln

    (a, b), (c, d) = table
    n1, n2, m = a + b, c + d, a + c
    k = np.arange(max(0, m - n2), min(n1, m) + 1)

    def lchoose(n, r):
        return gammaln(n + 1) - gammaln(r + 1) - gammaln(n - r + 1)

    return k, lchoose(n1, k) + lchoose(n2, m - k)


def _nc_probs(k: np.ndarray, logw: np.ndarray, log_psi: float) -> np.ndarray:
    """Fisher's noncentral hypergeometric probabilities of k at odds ratio exp(log_psi)."""
    z = logw + k * log_psi
    p = np.exp(z - z.max())
    return p / p.sum()


def _solve_log_psi(f, target: float) -> float:
    """log psi with f(log psi) = target, for f increasing in log psi (bracket grows as needed)."""
    from scipy.optimize import brentq

    lo, hi = -1.0, 1.0
    while f(lo) > target and lo > -745:
        lo *= 2
    while f(hi) < target and hi < 745:
        hi *= 2
    return brentq(lambda t: f(t) - target, lo, hi, xtol=1e-12, rtol=4 * np.finfo(float).eps, maxiter=500)


def conditional_odds_ratio(table: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """Conditional maximum-likelihood odds ratio of a 2x2 table with its exact CI, as R's
    ``fisher.test``: the MLE solves E[X; psi] = x under Fisher's noncentral hypergeometric
    distribution of the top-left cell X given the margins; the bounds solve
    P(X >= x; psi) = (1 - level)/2 and P(X <= x; psi) = (1 - level)/2.

    Computed directly (log-weights once per table, then O(support) per trial psi), which
    equals ``scipy.stats.contingency.odds_ratio(kind="conditional")`` but is hundreds of
    times faster on large tables.
    """
    t = np.asarray(table, dtype=np.int64)
    x = int(t[0, 0])
    k, logw = _support_logweights(t)
    lo_k, hi_k = int(k[0]), int(k[-1])
    tail = (1 - level) / 2

    def mean(lp: float) -> float:
        return float((k * _nc_probs(k, logw, lp)).sum())

    def upper_tail(lp: float) -> float:  # P(X >= x), increasing in psi
        return float(_nc_probs(k, logw, lp)[k >= x].sum())

    def lower_tail(lp: float) -> float:  # -P(X <= x), increasing in psi
        return -float(_nc_probs(k, logw, lp)[k <= x].sum())

    if lo_k == hi_k:
        return (math.nan, 0.0, math.inf)
    estimate = 0.0 if x == lo_k else math.inf if x == hi_k else math.exp(_solve_log_psi(mean, x))
    ci_low = 0.0 if x == lo_k else math.exp(_solve_log_psi(upper_tail, tail))
    ci_high = math.inf if x == hi_k else math.exp(_solve_log_psi(lower_tail, -tail))
    return (estimate, ci_low, ci_high)


def fisher_2x2(table: np.ndarray, level: float = 0.95) -> dict[str, float]:
    """Exact two-sided p, conditional MLE odds ratio and its exact CI for a 2x2 table.

    A table with an empty row or column carries no information about association: p = 1
    and the odds ratio is undefined (NaN). A zero cell otherwise gives an infinite (or
    zero) odds ratio with one finite bound, as in R.
    """
    from scipy.stats import fisher_exact

    t = np.asarray(table, dtype=int)
    p = float(fisher_exact(t, alternative="two-sided").pvalue)
    if (t.sum(axis=0) == 0).any() or (t.sum(axis=1) == 0).any():
        return {"p": 1.0, "odds_ratio": math.nan, "or_ci_low": math.nan, "or_ci_high": math.nan}
    estimate, low, high = conditional_odds_ratio(t, level)
    return {"p": p, "odds_ratio": estimate, "or_ci_low": low, "or_ci_high": high}


def fisher_tests(
    answers: pd.DataFrame,
    items: Sequence,
    groupings: Mapping[str, Sequence[str]],
    positive: Sequence[str],
    *,
    level: float = 0.95,
    family: str = "all",
) -> pd.DataFrame:
    """One row per item x grouping; ``groupings`` maps grouping id -> its two levels."""
    rows = []
    pos = set(positive)
    level_masks = {}
    for gid, levels in groupings.items():
        if len(levels) != 2:
            raise ValueError(f"grouping {gid!r} has {len(levels)} levels; a 2x2 test needs exactly 2")
        g = answers[gid].fillna("").to_numpy()
        level_masks[gid] = [g == lev for lev in levels]
    for it in items:
        col = answers[it.column].fillna("").to_numpy()
        answered = col != ""
        positive_mask = np.isin(col, list(pos))
        for gid, levels in groupings.items():
            m1, m2 = (answered & m for m in level_masks[gid])
            t = np.array(
                [
                    [np.count_nonzero(m1 & positive_mask), np.count_nonzero(m1 & ~positive_mask)],
                    [np.count_nonzero(m2 & positive_mask), np.count_nonzero(m2 & ~positive_mask)],
                ]
            )
            res = fisher_2x2(t, level)
            rows.append(
                {
                    "item": it.number,
                    "subscale": it.subscale or "",
                    "grouping": gid,
                    "level_1": levels[0],
                    "level_2": levels[1],
                    "n_1_pos": int(t[0, 0]),
                    "n_1_neg": int(t[0, 1]),
                    "n_2_pos": int(t[1, 0]),
                    "n_2_neg": int(t[1, 1]),
                    "n": int(t.sum()),
                    "n_excluded": int(len(col) - t.sum()),
                    **res,
                }
            )
    df = pd.DataFrame(rows)
    if df.empty:
        return df
    if family == "per_grouping":
        df["p_holm"] = df.groupby("grouping")["p"].transform(lambda s: holm(s.to_numpy()))
        df["p_bh"] = df.groupby("grouping")["p"].transform(lambda s: benjamini_hochberg(s.to_numpy()))
    else:
        df["p_holm"] = holm(df["p"].to_numpy())
        df["p_bh"] = benjamini_hochberg(df["p"].to_numpy())
    return df


# ----------------------------------------------------------------------------- scale scores
def mann_whitney(x: Sequence[float], y: Sequence[float], exact_max_n: int = 50) -> dict[str, float | str]:
    """Mann-Whitney U of group 1 (``x``), two-sided p, and the rank-biserial correlation.

    Exact p when there are no ties and both groups have at most ``exact_max_n`` values;
    otherwise the normal approximation with tie correction and continuity correction.
    The rank-biserial correlation is 2*U1/(n1*n2) - 1: the probability that a value of
    group 1 exceeds one of group 2 minus the reverse (positive: group 1 tends higher).
    """
    from scipy.stats import mannwhitneyu

    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    n1, n2 = x.size, y.size
    if n1 == 0 or n2 == 0:
        return {"mwu_u": math.nan, "mwu_p": math.nan, "mwu_method": "", "rank_biserial": math.nan}
    both = np.concatenate([x, y])
    ties = np.unique(both).size < both.size
    method = "exact" if (not ties and max(n1, n2) <= exact_max_n) else "asymptotic"
    res = mannwhitneyu(x, y, alternative="two-sided", method=method, use_continuity=True)
    u1 = float(res.statistic)
    return {"mwu_u": u1, "mwu_p": float(res.pvalue), "mwu_method": method, "rank_biserial": 2 * u1 / (n1 * n2) - 1}


def welch(x: Sequence[float], y: Sequence[float]) -> dict[str, float]:
    """Welch's unequal-variance t-test (two-sided) with Welch-Satterthwaite df."""
    from scipy.stats import ttest_ind

    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if x.size < 2 or y.size < 2:
        return {"welch_t": math.nan, "welch_df": math.nan, "welch_p": math.nan}
    res = ttest_ind(x, y, equal_var=False)
    return {"welch_t": float(res.statistic), "welch_df": float(res.df), "welch_p": float(res.pvalue)}


def scale_group_tests(
    subscale_scores: pd.DataFrame,
    subscales: Sequence[str],
    groupings: Mapping[str, Sequence[str]],
    *,
    exact_max_n: int = 50,
) -> pd.DataFrame:
    """One row per subscale x grouping (two levels each)."""
    rows = []
    for sid in subscales:
        s = subscale_scores[sid].astype(float)
        for gid, levels in groupings.items():
            if len(levels) != 2:
                raise ValueError(f"grouping {gid!r} has {len(levels)} levels; the tests need exactly 2")
            g = subscale_scores[gid].astype("string").fillna("")
            x = s[(g == levels[0]) & s.notna()].to_numpy()
            y = s[(g == levels[1]) & s.notna()].to_numpy()
            rows.append(
                {
                    "subscale": sid,
                    "grouping": gid,
                    "level_1": levels[0],
                    "level_2": levels[1],
                    "n_1": int(x.size),
                    "n_2": int(y.size),
                    "n_excluded": int(len(s) - x.size - y.size),
                    "median_1": float(np.median(x)) if x.size else math.nan,
                    "median_2": float(np.median(y)) if y.size else math.nan,
                    "mean_1": float(x.mean()) if x.size else math.nan,
                    "mean_2": float(y.mean()) if y.size else math.nan,
                    **mann_whitney(x, y, exact_max_n),
                    **welch(x, y),
                }
            )
    return pd.DataFrame(rows)


def grouping_levels(demographics: Mapping[str, Mapping], ids: Sequence[str]) -> dict[str, list[str]]:
    """Level ids of each grouping, in config order (levels or bins)."""
    out = {}
    for gid in ids:
        spec = demographics[gid]
        out[gid] = list(spec["levels"]) if "levels" in spec else [b["level"] for b in spec["bins"]]
    return out


# ----------------------------------------------------------------------------- entries
def main_fisher(smk) -> None:
    instrument = load_instrument(smk.input.instrument)
    answers = read_table(smk.input.questionnaire)
    groupings = grouping_levels(smk.params.demographics, smk.params.groupings)
    df = fisher_tests(
        answers,
        instrument.scored_items,
        groupings,
        smk.params.collapse["positive"],
        level=smk.params.ci_level,
        family=smk.params.family,
    )
    write_csv(df, smk.output[0])


def main_scale(smk) -> None:
    instrument = load_instrument(smk.input.instrument)
    # Only blanks are missing: a level such as "NA" or "None" must stay a level.
    scores = pd.read_csv(
        smk.input.subscale_scores, dtype={g: "string" for g in smk.params.groupings}, keep_default_na=False, na_values=[""]
    )
    groupings = grouping_levels(smk.params.demographics, smk.params.groupings)
    df = scale_group_tests(scores, [s.id for s in instrument.subscales], groupings, exact_max_n=smk.params.exact_max_n)
    write_csv(df, smk.output[0])


if "snakemake" in globals():
    run_rule(snakemake, {"fisher_tests": main_fisher, "scale_group_tests": main_scale}[snakemake.rule])  # noqa: F821
