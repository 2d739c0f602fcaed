"""RIPLS scoring: item scores from answers, and subscale scores under the missing-data rule.

Item score = the instrument's score for the answer's label, reverse-keyed items scored as
(max + min) - score. A subscale score is the unweighted sum of its item scores:

* ``complete``: only for respondents who answered every item of the subscale;
* ``prorate``: for respondents with at most ``max_missing`` skipped items, the mean of the
  answered items times the number of items (person-mean imputation).
"""

import numpy as np
import pandas as pd

from contracts import read_result, result, write_result
from instrument import Instrument, load_instrument
from stage import run_rule


def item_scores(answers: pd.DataFrame, instrument: Instrument) -> pd.DataFrame:
    """Respondent x item scores (float, NaN where skipped) from canonical labels."""
    out = pd.DataFrame({"respondent": answers["respondent"]})
    for it in instrument.items:
        # each distinct label is scored once (element-wise mapping of a string column of
        # 100,000 answers took about 0.25 s per item)
        codes, uniques = pd.factorize(answers[it.column].fillna("").to_numpy(dtype=object))
        mapping = {lab: instrument.item_score(it, lab) for lab in instrument.labels}
        unknown = {u for u in uniques if u != "" and u not in mapping}
        if unknown:  # the anonymisation stage only writes canonical labels
            raise ValueError(f"{it.column}: non-canonical labels {sorted(unknown)}")
        scored = np.array([mapping.get(u, np.nan) for u in uniques], dtype=float)
        out[it.column] = scored[codes]
    return out


def subscale_scores(scores: pd.DataFrame, instrument: Instrument) -> pd.DataFrame:
    """Respondent x subscale scores under the instrument's missing-data rule."""
    out = pd.DataFrame({"respondent": scores["respondent"]})
    for sub in instrument.subscales:
        m = scores[[it.column for it in sub.items]].to_numpy(dtype=float)
        k = m.shape[1]
        n_missing = np.isnan(m).sum(axis=1)
        if instrument.missing_method == "complete":
            value = np.where(n_missing == 0, np.nansum(m, axis=1), np.nan)
        else:  # prorate
            with np.errstate(invalid="ignore"):
                mean = np.nanmean(np.where(n_missing[:, None] < k, m, 0.0), axis=1)
            value = np.where((n_missing <= instrument.max_missing) & (n_missing < k), mean * k, np.nan)
        out[sub.id] = value
    return out


def main(smk) -> None:
    instrument = load_instrument(smk.input.instrument)
    answers = read_result(smk.input.questionnaire, result("questionnaire"))
    groupings = [c for c in answers.columns if c != "respondent" and not c.startswith("item_")]
    scores = item_scores(answers, instrument)
    subs = subscale_scores(scores, instrument)
    subs = pd.concat([subs[["respondent"]], answers[groupings].replace("", np.nan), subs.drop(columns="respondent")], axis=1)
    write_result(scores, smk.output.item_scores, result("item_scores"))
    write_result(subs, smk.output.subscale_scores, result("subscale_scores"), names={"<subscale>": [s.id for s in instrument.subscales]})


if "snakemake" in globals():
    run_rule(snakemake, main)  # noqa: F821
