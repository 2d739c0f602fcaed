"""Multiple-testing adjustment of p values, as R's ``p.adjust`` (tests check it against R).

One function for the step-down (Holm) and step-up (Benjamini-Hochberg) procedures: both
sort the p values, scale each by a factor of its rank, and make the sequence monotone
(Holm: running maximum from the smallest p; BH: running minimum from the largest), capped
at 1. statsmodels' ``multipletests`` gives the same values but costs ~2 s to import per rule.
"""

from collections.abc import Sequence

import numpy as np

METHODS = ("holm", "BH")


def p_adjust(p: Sequence[float], method: str) -> np.ndarray:
    """Adjusted p values (``method``: ``holm`` or ``BH``); NaN stays NaN and is not counted."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}; got {method!r}")
    p = np.asarray(p, dtype=float)
    out = np.full_like(p, np.nan)
    ok = ~np.isnan(p)
    q = p[ok]
    m = q.size
    if m == 0:
        return out
    rank = np.arange(m)
    if method == "holm":  # smallest first: (m - i) p_(i), running maximum
        order = np.argsort(q, kind="stable")
        adj = np.maximum.accumulate((m - rank) * q[order])
    else:  # largest first: m / (m - i) p, running minimum
        order = np.argsort(q, kind="stable")[::-1]
        adj = np.minimum.accumulate(m / (m - rank) * q[order])
    res = np.empty(m)
    res[order] = np.minimum(adj, 1.0)
    out[ok] = res
    return out
