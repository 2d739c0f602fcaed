"""Which coding the theme tables count when more than one person coded.

``coded_segments.csv`` keeps every coder's segments (intercoder agreement needs them all);
the theme tables count one coding per document, chosen by ``qualitative.consensus``:

* **a label** (``Coder B``, ``Agreed``, ...): in every document *group* (a flip-chart sheet,
  the focus groups: the ``group`` column) in which that label coded anything, its segments
  only: a note it left uncoded is a note with no theme in the consensus coding, even if
  another coder coded it. In a group it did not code at all, the segments of each
  document's only coder (divided coding: one person coded the flip charts, two others three
  focus groups each). A document coded by several coders in such a group is an error: which
  to count is the researcher's decision. Without a ``group`` column each document is a group.
* **unset**: every document must have been coded by one coder at most (one coder, or
  divided coding), and every segment counts; otherwise the run stops and asks for the key.

A blank coder (the export does not record who coded) is a coder of its own here. The
choice is reported as counts (``summary``): how many documents were counted by the
consensus coding and how many by their only coder.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from errors import InputError, one_of

KEY = "qualitative.consensus"
#: How a blank coder is shown in messages and in the qualitative log.
NO_CODER = "(not recorded)"


def shown(label: str) -> str:
    return label or NO_CODER


def counted(segments: pd.DataFrame, consensus: str | None, *, file: str = "config.yaml") -> tuple[pd.Series, dict]:
    """(mask of the segments the theme tables count, summary). ``segments`` has ``source``
    and ``coder``. Raises :class:`InputError` (about ``file``, key ``qualitative.consensus``)
    when the rule above cannot choose."""
    coders_of = segments.groupby("source", sort=True)["coder"].agg(lambda s: sorted(set(s)))
    group = segments["group"] if "group" in segments.columns else segments["source"]
    present = sorted(set(segments["coder"]))
    if consensus is not None and consensus not in present:
        raise InputError(
            file,
            "qualitative.consensus names a coder that has no coded segments",
            key=KEY,
            found=consensus,
            expected=_expected(present),
        )
    several = coders_of[coders_of.map(len) > 1]
    if consensus is None and len(several):
        raise InputError(
            file,
            f"{len(several)} documents are coded by more than one coder, so the theme tables need to know which coding to count",
            key=KEY,
            found="no consensus coder named",
            expected=_expected(present),
        )
    consensus_groups = set(group[segments["coder"].eq(consensus)]) if consensus is not None else set()
    group_of = dict(zip(segments["source"], group, strict=True))
    if consensus is not None:
        orphans = several[[group_of[d] not in consensus_groups for d in several.index]]
        if len(orphans):
            raise InputError(
                file,
                f"{len(orphans)} documents are coded by several coders in a group the consensus coder did not code, "
                f"e.g. {orphans.index[0]} (coded by {', '.join(map(shown, orphans.iloc[0]))})",
                key=KEY,
                found=consensus,
                expected="a consensus coding of every document that several coders coded",
            )
    by_consensus = {d for d in coders_of.index if group_of[d] in consensus_groups}
    mask = segments["coder"].eq(consensus) if consensus is not None else pd.Series(True, index=segments.index)
    mask |= ~group.isin(consensus_groups)
    summary = {
        "consensus": consensus,
        "documents_by_consensus": len(by_consensus),
        "documents_by_only_coder": int(len(coders_of) - len(by_consensus)),
        "segments_counted": int(mask.sum()),
    }
    return mask, summary


def _expected(present: Sequence[str]) -> str:
    labels = [c for c in present if c]
    if not labels:
        return "no consensus key (the export records no coder)"
    return f"qualitative.consensus set to {one_of(labels)}"
