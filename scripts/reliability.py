"""Reliability and item statistics: Table 2, the item table, and Table 3.

* Cronbach's alpha from sample variances, with Feldt's confidence interval. Alpha is
  computed on respondents who answered every item of the subscale (listwise), as SPSS
  does by default; this equals ``pingouin.cronbach_alpha(..., nan_policy="listwise")``
  and R ``psych::alpha(..., use="complete.obs")$total$raw_alpha`` (the tests check both).
  pingouin itself is not imported here: it costs ~2 s per process and is used only to
  check this code in the tests.
* Item-rest correlation (psych's ``r.drop``) and alpha if the item is deleted.
* Per-item counts, median and mode as labels, % in the modal category.
* Table 3: the most highly rated items of each subscale, selected by a stated rule.
"""

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from contracts import read_result, result, write_result
from instrument import Instrument, label_slug, load_instrument
from stage import run_rule


# ----------------------------------------------------------------------------- alpha
def cronbach_alpha(data: np.ndarray | pd.DataFrame) -> float:
    """Cronbach's alpha of a complete respondents x items matrix (sample variances).

    alpha = k/(k-1) * (1 - sum of item variances / variance of the total).
    Rows containing a missing value are dropped first (listwise). NaN if fewer than two
    items or two rows, or if the total has no variance.
    """
    x = _complete(data)
    n, k = x.shape
    if k < 2 or n < 2:
        return math.nan
    item_var = x.var(axis=0, ddof=1).sum()
    total_var = x.sum(axis=1).var(ddof=1)
    if total_var == 0:
        return math.nan
    return float(k / (k - 1) * (1 - item_var / total_var))


def feldt_ci(alpha: float, n: int, k: int, level: float = 0.95) -> tuple[float, float]:
    """Feldt (1965) confidence interval for alpha from n respondents and k items.

    (1 - alpha) / (1 - A) follows F(n-1, (n-1)(k-1)); the bounds are
    1 - (1 - alpha) * F_{1-(1-level)/2} and 1 - (1 - alpha) * F_{(1-level)/2}.
    The F quantiles come from ``scipy.special.fdtri`` (what ``scipy.stats.f.ppf`` calls;
    importing scipy.stats would cost the rule a second).
    """
    from scipy.special import fdtri

    if math.isnan(alpha) or n < 2 or k < 2:
        return (math.nan, math.nan)
    df1, df2 = n - 1, (n - 1) * (k - 1)
    tail = (1 - level) / 2
    lower = 1 - (1 - alpha) * fdtri(df1, df2, 1 - tail)
    upper = 1 - (1 - alpha) * fdtri(df1, df2, tail)
    return (float(lower), float(upper))


def item_rest_correlations(data: np.ndarray | pd.DataFrame) -> np.ndarray:
    """Correlation of each item with the sum of the other items (psych ``r.drop``)."""
    x = _complete(data)
    total = x.sum(axis=1)
    out = np.full(x.shape[1], np.nan)
    for i in range(x.shape[1]):
        rest = total - x[:, i]
        if x[:, i].std() > 0 and rest.std() > 0:
            out[i] = np.corrcoef(x[:, i], rest)[0, 1]
    return out


def alpha_if_deleted(data: np.ndarray | pd.DataFrame) -> np.ndarray:
    """Alpha of the remaining items when each item is dropped (psych ``alpha.drop``)."""
    x = _complete(data)
    return np.array([cronbach_alpha(np.delete(x, i, axis=1)) for i in range(x.shape[1])])


def _complete(data: np.ndarray | pd.DataFrame) -> np.ndarray:
    x = np.asarray(data, dtype=float)
    if x.ndim != 2:
        raise ValueError("expected a respondents x items matrix")
    return x[~np.isnan(x).any(axis=1)]


# ----------------------------------------------------------------------------- items
def median_of_counts(counts: Sequence[int], scores: Sequence[float]) -> float:
    """Median of the values ``scores[i]`` repeated ``counts[i]`` times (mean of the two
    middle values when the count is even), as SPSS and numpy compute it."""
    order = np.argsort(np.asarray(scores, dtype=float), kind="stable")
    s = np.asarray(scores, dtype=float)[order]
    cum = np.cumsum(np.asarray(counts, dtype=np.int64)[order])
    n = int(cum[-1]) if len(cum) else 0
    if n == 0:
        return math.nan

    def nth(i: int) -> float:  # the i-th smallest value, 0-based
        return float(s[np.searchsorted(cum, i, side="right")])

    return nth(n // 2) if n % 2 else (nth(n // 2 - 1) + nth(n // 2)) / 2


def score_label(value: float, instrument: Instrument) -> str:
    """The label of a score; a median between two categories reads 'Agree–Strongly agree'."""
    if math.isnan(value):
        return ""
    by_score = {s: lab for lab, s in zip(instrument.labels, instrument.scores, strict=True)}
    if value in by_score:
        return by_score[value]
    below = max(s for s in instrument.scores if s < value)
    above = min(s for s in instrument.scores if s > value)
    return f"{by_score[below]}–{by_score[above]}"


def item_statistics(answers: pd.DataFrame, scores: pd.DataFrame, instrument: Instrument) -> pd.DataFrame:
    """One row per item of the instrument: counts, central tendency, item-rest r, alpha if deleted.

    ``answers`` holds canonical labels (blank = skipped) and ``scores`` the item scores
    (reverse keys applied), both with ``item_NN`` columns. Medians and modes are of the
    answers as given (labels), not of reverse-keyed scores.
    """
    rows = []
    rest_r: dict[int, float] = {}
    a_drop: dict[int, float] = {}
    for sub in instrument.subscales:
        cols = [it.column for it in sub.items]
        m = scores[cols].to_numpy(dtype=float)
        if len(cols) >= 2:
            for it, r, a in zip(sub.items, item_rest_correlations(m), alpha_if_deleted(m), strict=True):
                rest_r[it.number], a_drop[it.number] = float(r), float(a)

    scores_arr = np.asarray(instrument.scores, dtype=float)
    for it in instrument.items:
        col = answers[it.column].fillna("")
        tally = col.value_counts()
        counts = [int(tally.get(lab, 0)) for lab in instrument.labels]
        n = int(sum(counts))
        c = np.asarray(counts, dtype=float)
        mean = float((c * scores_arr).sum() / n) if n else math.nan
        # sample SD from the counts: sum of squared deviations over n - 1
        sd = math.sqrt(float((c * (scores_arr - mean) ** 2).sum()) / (n - 1)) if n > 1 else math.nan
        med = median_of_counts(counts, instrument.scores)
        modal_n = max(counts) if n else 0
        modes = [lab for lab, k in zip(instrument.labels, counts, strict=True) if k == modal_n and n]
        row = {
            "item": it.number,
            "subscale": it.subscale or "",
            "text": it.text,
            "n": n,
            "n_missing": int(len(col) - n),
        }
        for lab, k in zip(instrument.labels, counts, strict=True):
            row[f"n_{label_slug(lab)}"] = k
        row.update(
            {
                "mean": mean,
                "sd": sd,
                "median": med,
                "median_label": score_label(med, instrument),
                "mode_label": " / ".join(modes),
                "modal_n": modal_n,
                "modal_pct": 100.0 * modal_n / n if n else math.nan,
                "item_rest_r": rest_r.get(it.number, math.nan),
                "alpha_if_deleted": a_drop.get(it.number, math.nan),
            }
        )
        rows.append(row)
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------- Table 2
def subscale_table(subscale_scores: pd.DataFrame, scores: pd.DataFrame, instrument: Instrument, ci_level: float = 0.95) -> pd.DataFrame:
    """Table 2: per subscale, items, possible range, n scored, mean, SD, alpha with CI."""
    rows = []
    for sub in instrument.subscales:
        s = subscale_scores[sub.id].astype(float)
        scored = s.dropna()
        cols = [it.column for it in sub.items]
        complete = _complete(scores[cols])
        alpha = cronbach_alpha(complete)
        lo, hi = feldt_ci(alpha, complete.shape[0], len(cols), ci_level)
        rmin, rmax = instrument.possible_range(sub.id)
        rows.append(
            {
                "subscale": sub.id,
                "name": sub.name,
                "items": ", ".join(str(it.number) for it in sub.items),
                "k_items": len(sub.items),
                "range_min": rmin,
                "range_max": rmax,
                "n_scored": int(scored.size),
                "n_not_scored": int(s.size - scored.size),
                "mean": float(scored.mean()) if scored.size else math.nan,
                "sd": float(scored.std(ddof=1)) if scored.size > 1 else math.nan,
                "median": float(scored.median()) if scored.size else math.nan,
                "alpha": alpha,
                "alpha_ci_low": lo,
                "alpha_ci_high": hi,
                "alpha_n": int(complete.shape[0]),
                "note": not_computable_note(scored.size, complete, len(cols)),
            }
        )
    return pd.DataFrame(rows)


def not_computable_note(n_scored: int, complete: np.ndarray, k: int) -> str:
    """Why a figure of Table 2 is blank: in words, for the report (empty when all are there)."""
    notes = []
    if n_scored == 0:
        notes.append("mean and median not computable: no respondent scored")
    elif n_scored < 2:
        notes.append("SD not computable: fewer than 2 respondents scored")
    if k < 2:
        notes.append("alpha not computable: the subscale has one item")
    elif complete.shape[0] < 2:
        notes.append("alpha not computable: fewer than 2 respondents answered every item")
    elif complete.sum(axis=1).var(ddof=1) == 0:
        notes.append("alpha not computable: every respondent has the same total")
    return "; ".join(notes)


# ----------------------------------------------------------------------------- Table 3
def rank_key(item_row: pd.Series, instrument: Instrument, direction: int, reverse: bool) -> tuple[float, float, float]:
    """Sort key of an item toward its subscale's ready pole: (median, mode, modal %).

    ``direction`` is +1 when a higher subscale score means more readiness, -1 otherwise;
    reverse-keyed items are turned round first. Among tied modes the one nearest the pole
    counts.
    """
    if not item_row["n"]:  # nobody answered: never among the most highly rated
        return (-math.inf, -math.inf, -math.inf)
    sign = direction * (-1 if reverse else 1)
    score = instrument.score_of
    mid = (instrument.max_score + instrument.min_score) / 2
    median = item_row["median"]
    modes = [score[m] for m in str(item_row["mode_label"]).split(" / ") if m]
    mode_toward = max(sign * (m - mid) for m in modes) if modes else -math.inf
    return (sign * (median - mid), mode_toward, float(item_row["modal_pct"]))


def select_top_items(items: pd.DataFrame, instrument: Instrument, per_subscale: int) -> pd.DataFrame:
    """Table 3: per subscale, the ``per_subscale`` most highly rated items.

    Items are ranked toward the subscale's ready pole (agreement where a higher score is
    more ready, disagreement where it is less) by median, then mode, then % in the modal
    category; remaining ties go to the lower item number.
    """
    rows = []
    by_number = items.set_index("item")
    for sub in instrument.subscales:
        direction = 1 if sub.higher_is_ready else -1
        ranked = sorted(
            sub.items,
            key=lambda it: (tuple(-v for v in rank_key(by_number.loc[it.number], instrument, direction, it.reverse)), it.number),
        )
        for rank, it in enumerate(ranked[:per_subscale], start=1):
            r = by_number.loc[it.number]
            rows.append(
                {
                    "subscale": sub.id,
                    "rank": rank,
                    "item": it.number,
                    "text": it.text,
                    "median_label": r["median_label"],
                    "mode_label": r["mode_label"],
                    "modal_pct": float(r["modal_pct"]),
                    "n": int(r["n"]),
                }
            )
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------- entry
def main(smk) -> None:
    instrument = load_instrument(smk.input.instrument)
    answers = read_result(smk.input.questionnaire, result("questionnaire"))
    scores = read_result(smk.input.item_scores, result("item_scores"))
    subscale_scores = read_result(
        smk.input.subscale_scores, result("subscale_scores"), names={"<subscale>": [s.id for s in instrument.subscales]}
    )
    items = item_statistics(answers, scores, instrument)
    write_result(subscale_table(subscale_scores, scores, instrument, smk.params.ci_level), smk.output.table2, result("table2"))
    write_result(items, smk.output.item_statistics, result("item_statistics"))
    write_result(select_top_items(items, instrument, smk.params.per_subscale), smk.output.table3, result("table3"))


if "snakemake" in globals():
    run_rule(snakemake, main)  # noqa: F821
