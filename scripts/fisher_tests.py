"""Item-level Fisher tests: each item against each two-level demographic grouping.

Fisher (the paper's method): each item's answers are collapsed to two columns by the
configured rule (default: strongly agree + agree versus the rest), cross-tabulated against
a two-level grouping, and tested with Fisher's exact test (two-sided). Each row reports the
2x2 counts, the exact p, the conditional maximum-likelihood odds ratio with its exact
confidence interval (as R's ``fisher.test``), and p adjusted across the family by Holm and
by Benjamini-Hochberg (as R's ``p.adjust``).
"""

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

import kgroups
from contracts import read_result, result, write_result
from groupings import grouping_levels
from instrument import load_instrument
from multitest import p_adjust
from stage import run_rule


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
    t = np.asarray(table, dtype=np.int64)
    if (t.sum(axis=0) == 0).any() or (t.sum(axis=1) == 0).any():
        return {"p": 1.0, "odds_ratio": math.nan, "or_ci_low": math.nan, "or_ci_high": math.nan}
    estimate, low, high = conditional_odds_ratio(t, level)
    return {"p": fisher_p(t), "odds_ratio": estimate, "or_ci_low": low, "or_ci_high": high}


def fisher_p(table: np.ndarray) -> float:
    """Two-sided exact p of a 2x2 table, as R's ``fisher.test`` and ``scipy.stats.fisher_exact``:
    the probability, given the margins, of every table no more likely than the one observed
    (with R's relative tolerance of 1e-7). From the central hypergeometric weights the odds
    ratio needs anyway (scipy.stats would cost the rule a second to import); a test holds it
    equal to scipy's on random tables."""
    t = np.asarray(table, dtype=np.int64)
    k, logw = _support_logweights(t)
    probs = _nc_probs(k, logw, 0.0)
    observed = probs[k == t[0, 0]][0]
    return float(min(1.0, probs[probs <= observed * (1 + 1e-7)].sum()))


NOT_TESTABLE_2X2 = "not testable: a level or an answer category has no respondents (p = 1, no odds ratio)"


def _collapsed(counts_pos: np.ndarray, counts_all: np.ndarray) -> np.ndarray:
    """Levels x (positive, other) table from per-level counts."""
    return np.column_stack([counts_pos, counts_all - counts_pos]).astype(np.int64)


def fisher_tests(
    answers: pd.DataFrame,
    items: Sequence,
    groupings: Mapping[str, Sequence[str]],
    positive: Sequence[str],
    *,
    level: float = 0.95,
    family: str = "all",
    exact_max_tables: int = kgroups.DEFAULT_MAX_TABLES,
    n_sim: int = kgroups.DEFAULT_N_SIM,
    seed: int = kgroups.DEFAULT_SEED,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each item against each grouping (``groupings``: grouping id -> its levels in order).

    Two-level groupings: Fisher's exact 2x2 test with the conditional odds ratio (first
    table). Groupings with three or more levels: the Fisher-Freeman-Halton test of the
    levels x (positive, other) table, exact up to ``exact_max_tables`` tables, else a seeded
    Monte Carlo p from ``n_sim`` tables (second table). Holm and Benjamini-Hochberg
    adjustments run over all tests of both tables (``family="all"``) or per grouping.
    """
    pos = set(positive)
    level_masks = {gid: [answers[gid].fillna("").to_numpy() == lev for lev in levels] for gid, levels in groupings.items()}
    two, many = [], []
    for it in items:
        col = answers[it.column].fillna("").to_numpy()
        answered = col != ""
        positive_mask = np.isin(col, list(pos))
        for gid, levels in groupings.items():
            in_level = [answered & m for m in level_masks[gid]]
            t = _collapsed(
                np.array([np.count_nonzero(m & positive_mask) for m in in_level]), np.array([np.count_nonzero(m) for m in in_level])
            )
            base = {"item": it.number, "subscale": it.subscale or "", "grouping": gid}
            if len(levels) == 2:
                two.append(
                    {
                        **base,
                        "level_1": levels[0],
                        "level_2": levels[1],
                        "n_1_pos": int(t[0, 0]),
                        "n_1_neg": int(t[0, 1]),
                        "n_2_pos": int(t[1, 0]),
                        "n_2_neg": int(t[1, 1]),
                        "n": int(t.sum()),
                        "n_excluded": int(len(col) - t.sum()),
                        **fisher_2x2(t, level),
                        "note": "" if (t.sum(axis=0) > 0).all() and (t.sum(axis=1) > 0).all() else NOT_TESTABLE_2X2,
                    }
                )
                continue
            res = kgroups.fisher_rxc(t, max_tables=exact_max_tables, n_sim=n_sim, seed=seed)
            many.append(
                {
                    **base,
                    "levels": " / ".join(levels),
                    "n_pos": " / ".join(str(int(x)) for x in t[:, 0]),
                    "n_neg": " / ".join(str(int(x)) for x in t[:, 1]),
                    "n": int(t.sum()),
                    "n_excluded": int(len(col) - t.sum()),
                    "p": float(res["p"]),
                    "method": res["method"],
                    "n_sim": res["n_sim"] if res["method"] == "monte carlo" else None,
                    "seed": seed if res["method"] == "monte carlo" else None,
                    "note": res.get("reason") or "",
                }
            )
    df2 = pd.DataFrame(two, columns=result("fisher").names()[:-2])
    dfk = pd.DataFrame(many, columns=result("fisher_rxc").names()[:-2])
    dfk = dfk.astype({"n_sim": "Int64", "seed": "Int64"})
    _adjust(df2, dfk, family)
    return df2, dfk


def _adjust(df2: pd.DataFrame, dfk: pd.DataFrame, family: str) -> None:
    """Holm and BH columns on both tables, over the family (all tests, or per grouping)."""
    both = pd.concat([df2[["grouping", "p"]].assign(_t=0), dfk[["grouping", "p"]].assign(_t=1)], ignore_index=True)
    for col, method in (("p_holm", "holm"), ("p_bh", "BH")):
        if family == "per_grouping":
            adj = both.groupby("grouping")["p"].transform(lambda s, m=method: p_adjust(s.to_numpy(), m))
        else:
            adj = pd.Series(p_adjust(both["p"].to_numpy(), method), index=both.index)
        df2[col] = adj[both["_t"] == 0].to_numpy().astype(float)
        dfk[col] = adj[both["_t"] == 1].to_numpy().astype(float)


# ----------------------------------------------------------------------------- entries
def main(smk) -> None:
    instrument = load_instrument(smk.input.instrument)
    answers = read_result(smk.input.questionnaire, result("questionnaire"))
    groupings = grouping_levels(smk.params.demographics, smk.params.groupings)
    mc = smk.params.monte_carlo
    two, many = fisher_tests(
        answers,
        instrument.scored_items,
        groupings,
        smk.params.collapse["positive"],
        level=smk.params.ci_level,
        family=smk.params.family,
        exact_max_tables=mc["exact_max_tables"],
        n_sim=mc["n_sim"],
        seed=mc["seed"],
    )
    write_result(two, smk.output.fisher, result("fisher"))
    write_result(many, smk.output.fisher_rxc, result("fisher_rxc"))


if "snakemake" in globals():
    run_rule(snakemake, main)  # noqa: F821
