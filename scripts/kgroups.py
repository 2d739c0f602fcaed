"""Tests for groupings with more than two levels, with the same answers as R.

The item and scale tests in :mod:`fisher_tests` and :mod:`scale_group_tests` need a two-level grouping (a 2x2 Fisher test,
Mann-Whitney U, Welch's t). A study with three counties, four programmes or a third gender
level needs their k-level counterparts:

* :func:`fisher_rxc`: the Fisher-Freeman-Halton exact test of an r x c table (k levels x
  agree / not agree, or any r x c), two-sided p as R's ``fisher.test``; a seeded Monte Carlo
  p (as ``fisher.test(simulate.p.value = TRUE)``) when exact enumeration would be too long.
* :func:`kruskal_wallis`: Kruskal-Wallis H with tie correction, as R's ``kruskal.test``,
  plus the epsilon-squared effect size.
* :func:`welch_anova`: Welch's one-way ANOVA, as R's ``oneway.test(var.equal = FALSE)``.
* :func:`group_summary`: n, mean, SD and median of each group, for the table beside a test.

Why an own exact test: scipy's ``fisher_exact`` handles r x c tables only by Monte Carlo or
by permuting all n observations; neither gives R's exact p. The enumeration here is the
textbook one (all tables with the observed margins, probabilities from log-factorials),
with a meet-in-the-middle split for tables with two columns that makes exact p cheap for
our k x 2 tables (see :func:`fisher_rxc`).

Degenerate input (one non-empty group, a table with one non-empty row) never raises: the
result carries NaN (or p = 1 for a table, as :func:`fisher_tests.fisher_2x2` does) and a
``reason``. Malformed input (negative counts, NaN values) is a caller's bug and raises
``ValueError``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy.special import gammaln

#: FEXACT's tolerance (R ``src/library/stats/src/fexact.c``: ``tol = 3.45254e-7``): a table
#: counts as at least as extreme when log P(table) <= log P(observed) + tol. R uses it for
#: every table that is not 2x2.
FEXACT_LOG_TOL = 3.45254e-7
#: ``fisher.test``'s tolerance for a 2x2 table (``relErr <- 1 + 10^(-7)``): P(table) <=
#: P(observed) * (1 + 1e-7), i.e. log1p(1e-7) on the log scale.
FISHER_2X2_REL_TOL = 1e-7
#: Largest number of (partial) tables enumerated for an exact p before falling back to
#: Monte Carlo. Enumeration ran at 5-10 million (partial) tables a second on the 2-core
#: development machine (5 x 2, n = 500: 0.7 million in 75 ms; 3 x 4, n = 60: 0.3 million in
#: 34 ms), so one exact test stays near 0.1-0.2 s, well under a second.
DEFAULT_MAX_TABLES = 1_000_000
#: Monte Carlo tables drawn when the exact test is too long. 100 000 tables take about
#: 0.1 s for a 6x2 table with n = 1000 and give a standard error of at most 0.0016
#: (0.0007 at p = 0.05). R's default (B = 2000) would be four times less precise than
#: 0.01 at p = 0.05.
DEFAULT_N_SIM = 100_000
#: Seed of the Monte Carlo draws when the caller gives none (any fixed value keeps a run
#: reproducible; pass the study's configured seed where there is one).
DEFAULT_SEED = 1
#: Tables drawn per batch (bounds memory; fixed, so a seed and n_sim always give the same p).
_MC_BATCH = 20_000


# ----------------------------------------------------------------------------- Fisher r x c
def _log_factorials(n: int) -> np.ndarray:
    """log(v!) for v = 0..n, one lookup table so that equal tables get equal log-probabilities."""
    return gammaln(np.arange(n + 1, dtype=float) + 1.0)


def _expand(n_states: int, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every (state, x) with lo[state] <= x <= hi[state], as (state index, x) arrays."""
    width = np.maximum(hi - lo + 1, 0)
    idx = np.repeat(np.arange(n_states), width)
    start = np.cumsum(width) - width
    x = lo[idx] + (np.arange(idx.size) - start[idx])
    return idx, x


def _cell_bounds(colrem: np.ndarray, rowrem: np.ndarray, j: int) -> tuple[np.ndarray, np.ndarray]:
    """Range of cell (current row, column j) that leaves the rest of the row fillable."""
    tail = colrem[:, j + 1 :].sum(axis=1)
    return np.maximum(0, rowrem - tail), np.minimum(rowrem, colrem[:, j])


def _exact_general(t: np.ndarray, lf: np.ndarray, log_threshold: float, log_const: float, limit: int) -> tuple[float, int] | None:
    """(p, number of tables) by enumerating every table with t's margins; None if there are more than ``limit``.

    Tables are built cell by cell, row by row, over rows 1..r-1 (the last cell of a row and
    the last row are forced), all partial tables at once as numpy arrays. Every partial
    table can be completed, so the partial tables at any step are at most the tables: the
    enumeration stops as soon as a step would hold more than ``limit``, which happens
    exactly when there are more than ``limit`` tables. (Counting first by dynamic
    programming over the margins, as for two columns, measured slower than this
    enumeration for tables with three or more columns: few partial tables share a state.)
    """
    rows, cols = t.sum(axis=1), t.sum(axis=0)
    c = cols.size
    colrem = cols[None, :].copy()
    lp = np.zeros(1)
    for r in rows[:-1]:
        rowrem = np.full(len(colrem), r)
        for j in range(c - 1):
            lo, hi = _cell_bounds(colrem, rowrem, j)
            if np.maximum(hi - lo + 1, 0).sum() > limit:
                return None
            idx, x = _expand(len(colrem), lo, hi)
            colrem, rowrem, lp = colrem[idx].copy(), rowrem[idx] - x, lp[idx] - lf[x]
            colrem[:, j] -= x
        colrem[:, -1] -= rowrem
        lp = lp - lf[rowrem]
    logp = log_const + lp - lf[colrem].sum(axis=1)
    return float(np.exp(logp[logp <= log_threshold]).sum()), int(logp.size)


def _prefix_counts(rows: np.ndarray, c1: int, c2: int) -> list[int]:
    """Partial k x 2 tables after each number of rows j = 0..k (exact Python ints).

    A k x 2 table is fixed by its first column. ``ways[s]`` counts first-column prefixes
    with sum s that leave both columns fillable (s <= c1 and rows used - s <= c2); the
    count after all k rows is the number of tables (it exceeds 2**63 for a 10 x 2 table
    with n = 1000, hence Python ints). The set counted depends on the rows, not their order.
    """
    ways = np.zeros(c1 + 1, dtype=object)
    ways[0] = 1
    out = [1]
    used = 0
    s = np.arange(c1 + 1)
    for r in rows:
        used += int(r)
        cum = np.concatenate([[0], np.cumsum(ways)])  # cum[s] = ways[0] + ... + ways[s-1]
        ways = cum[s + 1] - cum[np.maximum(s - int(r), 0)]  # sum of ways[s - x], x = 0..r
        ways[(used - s) > c2] = 0
        out.append(int(ways.sum()))
    return out


def _two_column_split(rows: np.ndarray, c1: int, c2: int) -> tuple[int, int, int]:
    """(number of tables, rows in the second half, partial tables both halves enumerate).

    The second half is chosen to minimise the partial tables enumerated in both halves.
    """
    k = rows.size
    head, tail = _prefix_counts(rows, c1, c2), _prefix_counts(rows[::-1], c1, c2)
    work, h = min((head[k - h] + tail[h], h) for h in range(1, k))
    return head[k], h, work


def _half_tables(rows: np.ndarray, c1: int, c2: int, lf: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every fillable first column of these rows: (s = its sum, sum over the rows of -log(x! (r-x)!))."""
    s = np.zeros(1, dtype=np.int64)
    lp = np.zeros(1)
    used = 0
    for r in rows:
        lo = np.maximum(0, used + r - c2 - s)
        hi = np.minimum(r, c1 - s)
        idx, x = _expand(len(s), lo, hi)
        s, lp = s[idx] + x, lp[idx] - lf[x] - lf[r - x]
        used += int(r)
    return s, lp


def _exact_two_columns(rows: np.ndarray, c1: int, c2: int, h: int, lf: np.ndarray, log_threshold: float, log_const: float) -> float:
    """Exact p of a k x 2 table by meeting in the middle.

    A table is a first column for rows 1..k-h (half A: sum s, log-weight la) joined to one
    for rows k-h+1..k (half B: sum c1 - s, log-weight lb), and its log-probability is
    log_const + la + lb. For each s, half B's log-weights are sorted once with cumulative
    sums of their probabilities; each table of half A then finds, by binary search, the
    tables of half B with la + lb <= threshold and their total probability. The work is
    |A| + |B| (plus a sort) instead of |A| * |B|: for k = 2 it is the usual 2x2 sum, for
    4 x 2 with n = 1000 some 10^5 partial tables instead of 3 * 10^6 tables.
    """
    sa, la = _half_tables(rows[: rows.size - h], c1, c2, lf)
    sb, lb = _half_tables(rows[rows.size - h :], c1, c2, lf)
    order_b = np.lexsort((lb, sb))
    sb, lb = sb[order_b], lb[order_b]
    order_a = np.argsort(sa, kind="stable")
    sa, la = sa[order_a], la[order_a]
    bounds_a = np.flatnonzero(np.diff(sa)) + 1
    total = 0.0
    for a_lo, a_hi in zip(np.r_[0, bounds_a], np.r_[bounds_a, sa.size], strict=True):
        m = c1 - int(sa[a_lo])
        b_lo, b_hi = np.searchsorted(sb, [m, m + 1])
        lb_m = lb[b_lo:b_hi]  # ascending
        mass = np.cumsum(np.exp(lb_m - lb_m[-1]))  # smallest first: accurate tail sums
        la_m = la[a_lo:a_hi]
        n_in = np.searchsorted(lb_m, log_threshold - log_const - la_m, side="right")
        hit = n_in > 0
        total += float((np.exp(log_const + la_m[hit] + lb_m[-1]) * mass[n_in[hit] - 1]).sum())
    return total


def _monte_carlo(t: np.ndarray, lf: np.ndarray, log_threshold: float, log_const: float, n_sim: int, seed: int) -> float:
    """(1 + #{simulated tables with log P <= threshold}) / (n_sim + 1), as R's simulated p.

    Tables are drawn with the observed margins by Patefield's algorithm (the one behind R's
    ``r2dtable`` and ``fisher.test(simulate.p.value = TRUE)``), as implemented in
    ``scipy.stats.random_table(...).rvs(method="patefield")``, from
    ``numpy.random.default_rng(seed)``. R's own draws come from R's generator, so the
    two p values agree only within Monte Carlo error. A simulated table counts with the
    same tolerance as in the exact p, so the estimate aims at exactly that p (R's
    simulation uses a tolerance of 64 machine epsilons instead, a difference that matters
    only for tables whose probability is within 3.5e-7 of the observed one without being
    equal to it).
    """
    from scipy.stats import random_table

    dist = random_table(t.sum(axis=1), t.sum(axis=0))
    rng = np.random.default_rng(seed)
    hits = 0
    done = 0
    while done < n_sim:
        size = min(_MC_BATCH, n_sim - done)
        sims = dist.rvs(size=size, method="patefield", random_state=rng).astype(np.int64)
        logp = log_const - lf[sims].sum(axis=(1, 2))
        hits += int(np.count_nonzero(logp <= log_threshold))
        done += size
    return (1 + hits) / (n_sim + 1)


def fisher_rxc(
    table: Sequence[Sequence[int]] | np.ndarray,
    *,
    max_tables: int = DEFAULT_MAX_TABLES,
    n_sim: int = DEFAULT_N_SIM,
    seed: int = DEFAULT_SEED,
) -> dict[str, float | int | str | None]:
    """Fisher-Freeman-Halton exact test of an r x c table, two-sided p as R's ``fisher.test``.

    p is the total probability, under independence with both margins fixed, of the tables
    whose probability is at most the observed one. As in R, "at most" allows a tolerance:
    log P <= log P(observed) + 3.45254e-7 (FEXACT's ``tol``) for tables other than 2x2,
    and P <= P(observed) * (1 + 1e-7) for a 2x2 table (``fisher.test``'s ``relErr``); the
    choice follows the shape given, as in R, before empty rows and columns are dropped
    (they change no probability).

    Exact p enumerates the tables with the observed margins. A table with two columns
    (after transposing a 2 x c table; our k levels x agree / not agree) is split into two
    halves of rows that are enumerated separately and joined by sorting and binary search
    (:func:`_exact_two_columns`); their number is counted first by cheap dynamic
    programming. Any other table is enumerated whole (:func:`_exact_general`), stopping as
    soon as the count is known to exceed the limit. When the tables to enumerate exceed
    ``max_tables``, p is estimated by Monte Carlo instead, from ``n_sim`` tables drawn
    with ``seed`` (:func:`_monte_carlo`).

    Returns a dict:

    * ``p``: the two-sided p value (1.0 for a table that cannot be tested);
    * ``method``: ``"exact"``, ``"monte carlo"`` or ``"not testable"``;
    * ``n_tables``: tables with the observed margins (None when enumeration stopped because
      there are more than ``max_tables``; always counted for two columns);
    * ``n_enumerated``: (partial) tables the exact method enumerates, the number compared
      with ``max_tables``: |half 1| + |half 2| for two columns, else ``n_tables``;
    * ``n_sim``, ``seed``, ``mc_se``: Monte Carlo size, seed and the binomial standard error
      sqrt(p (1 - p) / n_sim) of the estimate (None unless ``method == "monte carlo"``);
    * ``reason``: why the table could not be tested (None otherwise).
    """
    t = np.asarray(table)
    if t.ndim != 2 or t.size == 0:
        raise ValueError(f"a contingency table must be a non-empty 2-D array, got shape {t.shape}")
    if not np.issubdtype(t.dtype, np.number) or not np.all(np.isfinite(t)) or np.any(t < 0) or np.any(t != np.round(t)):
        raise ValueError("a contingency table must hold non-negative whole counts")
    if max_tables < 1 or n_sim < 1:
        raise ValueError("max_tables and n_sim must be at least 1")
    log_tol = math.log1p(FISHER_2X2_REL_TOL) if t.shape == (2, 2) else FEXACT_LOG_TOL
    t = t.astype(np.int64)
    t = t[t.sum(axis=1) > 0][:, t.sum(axis=0) > 0]
    result: dict[str, float | int | str | None] = {
        "p": 1.0,
        "method": "not testable",
        "n_tables": None,
        "n_enumerated": None,
        "n_sim": None,
        "seed": None,
        "mc_se": None,
        "reason": None,
    }
    if t.shape[0] < 2 or t.shape[1] < 2:
        result["reason"] = f"fewer than 2 non-empty rows or columns ({t.shape[0]} x {t.shape[1]} after dropping empty ones)"
        return result
    if t.shape[1] > t.shape[0]:
        t = t.T
    n = int(t.sum())
    lf = _log_factorials(n)
    rows, cols = t.sum(axis=1), t.sum(axis=0)
    log_const = float(lf[rows].sum() + lf[cols].sum() - lf[n])
    log_threshold = log_const - float(lf[t].sum()) + log_tol

    if cols.size == 2:
        rows = np.sort(rows)
        n_tables, h, n_enum = _two_column_split(rows, int(cols[0]), int(cols[1]))
        result.update(n_tables=n_tables, n_enumerated=n_enum)
        if n_enum <= max_tables:
            p = _exact_two_columns(rows, int(cols[0]), int(cols[1]), h, lf, log_threshold, log_const)
            result.update(p=min(p, 1.0), method="exact")
            return result
    else:
        exact = _exact_general(t, lf, log_threshold, log_const, max_tables)
        if exact is not None:
            p, n_tables = exact
            result.update(p=min(p, 1.0), method="exact", n_tables=n_tables, n_enumerated=n_tables)
            return result
    p = _monte_carlo(t, lf, log_threshold, log_const, n_sim, seed)
    result.update(p=p, method="monte carlo", n_sim=n_sim, seed=seed, mc_se=math.sqrt(p * (1 - p) / n_sim))
    return result


# ----------------------------------------------------------------------------- k-sample tests
def _clean_groups(groups: Sequence[Sequence[float]]) -> list[np.ndarray]:
    """Groups as float arrays; NaN is refused (the caller drops and counts missing values)."""
    out = [np.asarray(g, dtype=float).ravel() for g in groups]
    for i, g in enumerate(out):
        if not np.all(np.isfinite(g)):
            raise ValueError(f"group {i + 1} holds NaN or infinite values; drop (and count) missing values before testing")
    return out


def kruskal_wallis(groups: Sequence[Sequence[float]]) -> dict[str, float | int | str | None]:
    """Kruskal-Wallis rank-sum test with tie correction, as R's ``kruskal.test(x ~ g)``.

    Empty groups are left out (as R does for an unused factor level), so ``k`` and ``df``
    count non-empty groups. The effect size is epsilon-squared, E^2 = H / (n - 1)
    (Tomczak & Tomczak 2014, equal to H / ((n^2 - 1) / (n + 1))): 0 when the mean ranks are
    equal, 1 when all the variation of the ranks lies between groups (groups that do not
    overlap, each with one value repeated).

    Returns ``h``, ``df``, ``p``, ``epsilon_squared``, ``n`` (values), ``k`` (non-empty
    groups) and ``reason`` (why the statistics are NaN: fewer than two non-empty groups,
    or all values equal, where R's H is NaN too; None otherwise).
    """
    from scipy.stats import kruskal

    data = [g for g in _clean_groups(groups) if g.size]
    n = sum(g.size for g in data)
    out: dict[str, float | int | str | None] = {
        "h": math.nan,
        "df": len(data) - 1 if len(data) >= 2 else math.nan,
        "p": math.nan,
        "epsilon_squared": math.nan,
        "n": n,
        "k": len(data),
        "reason": None,
    }
    if len(data) < 2:
        out["reason"] = f"{len(data)} non-empty group(s); the test needs at least 2"
        return out
    pooled = np.concatenate(data)
    if np.all(pooled == pooled[0]):
        out["reason"] = "all values are equal, so there are no ranks to compare"
        return out
    res = kruskal(*data)
    h = float(res.statistic)
    out.update(h=h, p=float(res.pvalue), epsilon_squared=h / (n - 1))
    return out


def welch_anova(groups: Sequence[Sequence[float]]) -> dict[str, float | int | str | None]:
    """Welch's one-way ANOVA (unequal variances), as R's ``oneway.test(y ~ g, var.equal = FALSE)``.

    With n_i, mean_i, s_i^2 per group, w_i = n_i / s_i^2, W = sum w_i and the weighted mean
    M = sum w_i mean_i / W:

        F   = [sum w_i (mean_i - M)^2 / (k - 1)] / [1 + 2 (k - 2) / (k^2 - 1) * L],
        L   = sum (1 - w_i / W)^2 / (n_i - 1),
        df1 = k - 1,   df2 = (k^2 - 1) / (3 L),   p = P(F(df1, df2) > F).

    Empty groups are left out (R drops unused factor levels). Degenerate cases give NaN and
    a ``reason`` rather than R's behaviour: R stops with "not enough observations" when a
    group has fewer than 2 values, and returns F = NaN when a group has zero variance
    (its weight n_i / 0 is infinite); fewer than 2 non-empty groups is R's "not enough
    groups". Returns ``f``, ``df1``, ``df2``, ``p``, ``n``, ``k``, ``reason``.
    """
    data = [g for g in _clean_groups(groups) if g.size]
    out: dict[str, float | int | str | None] = {
        "f": math.nan,
        "df1": math.nan,
        "df2": math.nan,
        "p": math.nan,
        "n": sum(g.size for g in data),
        "k": len(data),
        "reason": None,
    }
    k = len(data)
    if k < 2:
        out["reason"] = f"{k} non-empty group(s); the test needs at least 2"
        return out
    ns = np.array([g.size for g in data], dtype=float)
    if np.any(ns < 2):
        out["reason"] = "a group has fewer than 2 values, so its variance is undefined"
        return out
    means = np.array([g.mean() for g in data])
    variances = np.array([g.var(ddof=1) for g in data])
    if np.any(variances == 0):
        out["reason"] = "a group has zero variance (all its values equal), so its weight n/variance is infinite"
        return out
    from scipy.stats import f as f_dist

    w = ns / variances
    big_w = w.sum()
    grand = (w * means).sum() / big_w
    lam = ((1 - w / big_w) ** 2 / (ns - 1)).sum()
    f_stat = (w * (means - grand) ** 2).sum() / ((k - 1) * (1 + 2 * (k - 2) / (k**2 - 1) * lam))
    df2 = (k**2 - 1) / (3 * lam)
    out.update(f=float(f_stat), df1=float(k - 1), df2=float(df2), p=float(f_dist.sf(f_stat, k - 1, df2)))
    return out


def group_summary(groups: Sequence[Sequence[float]]) -> list[dict[str, float | int]]:
    """n, mean, SD (n - 1 denominator) and median of each group, in the order given (NaN when undefined)."""
    out = []
    for g in _clean_groups(groups):
        out.append(
            {
                "n": int(g.size),
                "mean": float(g.mean()) if g.size else math.nan,
                "sd": float(g.std(ddof=1)) if g.size >= 2 else math.nan,
                "median": float(np.median(g)) if g.size else math.nan,
            }
        )
    return out
