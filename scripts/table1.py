"""Table 1: the sample by demographic grouping, and the response rate.

Counts and percentages of the respondents per level of each grouping, in the config's
order, with non-response as a level of its own (as the paper's Table 1 has it), followed
by the response rate out of the people invited (the roster, or ``study.invited_n``).
"""

from collections.abc import Mapping, Sequence

import pandas as pd

from contracts import read_result, result, write_result
from groupings import levels_of
from stage import run_rule

NON_RESPONSE = "non-response"


def table1(data: pd.DataFrame, sample: Mapping, demographics: Mapping[str, Mapping], order: Sequence[str]) -> pd.DataFrame:
    """Rows: variable, variable_label, level, level_label, n, denominator, pct."""
    n = len(data)
    rows = []
    for var in order:
        spec = demographics[var]
        levels = levels_of(spec)
        labels = spec.get("level_labels", {})
        values = data[var].fillna("")
        for level in [*levels, NON_RESPONSE]:
            count = int((values == "").sum()) if level == NON_RESPONSE else int((values == level).sum())
            rows.append(
                {
                    "variable": var,
                    "variable_label": spec["label"],
                    "level": level,
                    "level_label": "Non response" if level == NON_RESPONSE else labels.get(level, level),
                    "n": count,
                    "denominator": n,
                    "pct": 100.0 * count / n if n else float("nan"),
                }
            )
        unexpected = set(values) - set(levels) - {""}
        if unexpected:
            raise ValueError(f"{var}: levels {sorted(unexpected)} are not in the config")
    invited, resp_n = sample.get("invited_n"), sample["respondents_n"]
    if invited is None:  # no roster and no study.invited_n: no response rows (the report says why)
        return pd.DataFrame(rows, columns=result("table1").names())
    for level, label, count in (("responded", "Responded", resp_n), ("did not respond", "Did not respond", invited - resp_n)):
        rows.append(
            {
                "variable": "response",
                "variable_label": "Questionnaire response",
                "level": level,
                "level_label": label,
                "n": count,
                "denominator": invited,
                "pct": 100.0 * count / invited,
            }
        )
    return pd.DataFrame(rows)


def main(smk) -> None:
    data = read_result(smk.input.questionnaire, result("questionnaire"))
    sample = read_result(smk.input.sample, result("sample"))
    write_result(table1(data, sample, smk.params.demographics, smk.params.order), smk.output.table1, result("table1"))


if "snakemake" in globals():
    run_rule(snakemake, main)  # noqa: F821
