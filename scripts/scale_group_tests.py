"""Subscale scores by demographic group: Mann-Whitney U, rank-biserial correlation, Welch's t.

Each subscale score by each two-level grouping, with the Mann-Whitney U test (exact p when
there are no ties and both groups are small enough, otherwise the normal approximation with
tie and continuity corrections, as R's ``wilcox.test``), the rank-biserial correlation, and
Welch's t-test.
"""

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

import kgroups
from contracts import read_result, result, write_result
from groupings import grouping_levels
from instrument import load_instrument
from stage import run_rule


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


def two_group_note(x: np.ndarray, y: np.ndarray) -> str:
    """Why Mann-Whitney or Welch is blank for two groups of scores (empty when both are there)."""
    if x.size == 0 or y.size == 0:
        return "not computable: a level has no scored respondent"
    if x.size < 2 or y.size < 2:
        return "Welch's t not computable: a level has fewer than 2 scored respondents"
    if np.var(x) == 0 and np.var(y) == 0:
        return "Welch's t not computable: no variance within either level"
    return ""


def _joined(values) -> str:
    return " / ".join(("n/a" if math.isnan(v) else f"{v:.10g}") if isinstance(v, float) else str(v) for v in values)


def scale_group_tests(
    subscale_scores: pd.DataFrame,
    subscales: Sequence[str],
    groupings: Mapping[str, Sequence[str]],
    *,
    exact_max_n: int = 50,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One row per subscale x grouping: two-level groupings in the first table (Mann-Whitney
    U, rank-biserial r, Welch's t), groupings with three or more levels in the second
    (Kruskal-Wallis H with epsilon-squared, Welch's ANOVA)."""
    two, many = [], []
    for sid in subscales:
        s = subscale_scores[sid].astype(float)
        for gid, levels in groupings.items():
            g = subscale_scores[gid].astype("string").fillna("")
            groups = [s[(g == lev) & s.notna()].to_numpy() for lev in levels]
            n_excluded = int(len(s) - sum(x.size for x in groups))
            if len(levels) == 2:
                x, y = groups
                two.append(
                    {
                        "subscale": sid,
                        "grouping": gid,
                        "level_1": levels[0],
                        "level_2": levels[1],
                        "n_1": int(x.size),
                        "n_2": int(y.size),
                        "n_excluded": n_excluded,
                        "median_1": float(np.median(x)) if x.size else math.nan,
                        "median_2": float(np.median(y)) if y.size else math.nan,
                        "mean_1": float(x.mean()) if x.size else math.nan,
                        "mean_2": float(y.mean()) if y.size else math.nan,
                        **mann_whitney(x, y, exact_max_n),
                        **welch(x, y),
                        "note": two_group_note(x, y),
                    }
                )
                continue
            summary = kgroups.group_summary(groups)
            kw, wa = kgroups.kruskal_wallis(groups), kgroups.welch_anova(groups)
            many.append(
                {
                    "subscale": sid,
                    "grouping": gid,
                    "levels": " / ".join(levels),
                    "n": _joined(int(r["n"]) for r in summary),
                    "n_excluded": n_excluded,
                    "median": _joined(float(r["median"]) for r in summary),
                    "mean": _joined(float(r["mean"]) for r in summary),
                    "kw_h": kw["h"],
                    "kw_df": kw["df"],
                    "kw_p": kw["p"],
                    "epsilon_squared": kw["epsilon_squared"],
                    "welch_f": wa["f"],
                    "welch_df1": wa["df1"],
                    "welch_df2": wa["df2"],
                    "welch_p": wa["p"],
                    "note": "; ".join(r for r in (kw.get("reason"), wa.get("reason")) if r),
                }
            )
    return (
        pd.DataFrame(two, columns=result("scale_tests").names()),
        pd.DataFrame(many, columns=result("scale_tests_k").names()).astype({c: float for c in _K_FLOATS}),
    )


_K_FLOATS = ("kw_h", "kw_df", "kw_p", "epsilon_squared", "welch_f", "welch_df1", "welch_df2", "welch_p")


def main(smk) -> None:
    instrument = load_instrument(smk.input.instrument)
    subscales = [s.id for s in instrument.subscales]
    # Only blanks are missing: a level such as "NA" or "None" stays a level.
    scores = read_result(smk.input.subscale_scores, result("subscale_scores"), names={"<subscale>": subscales})
    groupings = grouping_levels(smk.params.demographics, smk.params.groupings)
    two, many = scale_group_tests(scores, subscales, groupings, exact_max_n=smk.params.exact_max_n)
    write_result(two, smk.output.scale_tests, result("scale_tests"))
    write_result(many, smk.output.scale_tests_k, result("scale_tests_k"))


if "snakemake" in globals():
    run_rule(snakemake, main)  # noqa: F821
