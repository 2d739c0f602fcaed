"""Rule ``intercoder_agreement``: how far the coders of the qualitative arm agreed.

Reads the anonymised coding (``coded_segments.csv`` with its ``coder`` column), the redacted
flip-chart notes and transcripts, and the export's codebook; writes
``results/tables/intercoder_agreement.csv`` (columns :data:`agreement.COLUMNS`, one row per
document group, unit kind and code, then an overall row per group and unit kind; see
``agreement.py`` for every statistic).

What this stage decides, so that the figures mean what a reviewer expects:

* **Who coded what.** Every flip-chart note of a sheet counts as coded by each coder who
  coded at least one note of that sheet: a note nobody coded is agreement on absence (a
  short note left uncoded is a decision), not a missing value. A transcript counts as coded
  by a coder who has at least one segment in it, so a second coder who double-coded only
  some transcripts (common practice) is compared on those alone.
* **Which codes get a row.** Per group, the codes of the codebook under the group's category
  (``qualitative.codebook``: a sheet's flip-chart category, the focus-group category), so a
  code nobody applied still gets a row, plus any other code applied in the group. Without
  ``include_descendants`` a code with sub-codes that nobody applied *directly* is left out
  (it organises the codebook; a row of it would be all agreement on absence); with it, every
  code under the category and the category itself get a row.
* **Who is compared.** The independent coders: every coder label except an agreed coding
  (``Agreed``, ``Consensus``: the outcome of reconciling the codings, which would agree with
  them by construction) and segments whose export did not record a coder. Both are left out
  of the comparison and counted in the log.
* **When it runs.** With fewer than two coders (or no ``coder`` column: an export that does
  not say who coded is one coding), or when no document was coded by two or more coders, the
  table has the header and no rows, and the log says why.

Config ``qualitative.agreement``: ``units`` (unit kinds for ``notes`` and ``focus_groups``),
``thresholds`` (alpha levels to label, default 0.8 and 0.667), ``include_descendants``.
"""

import logging
from collections.abc import Mapping, Sequence
from itertools import combinations

import numpy as np
import pandas as pd

from agreement import COLUMNS, DEFAULT_UNIT_KINDS, SPEAKER_PATTERN, THRESHOLDS, agreement_table
from contracts import read_result, result, write_result
from qda import CODE_PATH_SEPARATOR
from stage import run_rule

log = logging.getLogger("ripls.intercoder_agreement")

FOCUS_GROUP = "focus_group"
#: Labels of an agreed coding (config ``inputs.coded_export``): not an independent coder.
AGREED_LABELS = ("Agreed", "Consensus")
#: ``qualitative.agreement`` as the schema's defaults give it.
DEFAULTS: dict = {
    "units": {"notes": list(DEFAULT_UNIT_KINDS["expectation"]), "focus_groups": list(DEFAULT_UNIT_KINDS[FOCUS_GROUP])},
    "thresholds": list(THRESHOLDS),
    "include_descendants": False,
}


def coder_order(labels) -> list[str]:
    """Coder labels in label order: ``Coder B`` before ``Coder AA`` (spreadsheet letters)."""
    return sorted({str(c) for c in labels}, key=lambda c: (len(c), c))


def coded_documents(segments: pd.DataFrame, notes: pd.DataFrame, transcripts: Sequence[str], coders: Sequence[str]) -> dict[str, list[str]]:
    """Per coder, the documents that coder coded (see the module docstring): every note of a
    sheet on which the coder coded any note, and every transcript holding a segment of theirs."""
    sheet_of = dict(zip(notes["note_id"], notes["sheet"], strict=True))
    out: dict[str, list[str]] = {}
    for coder in coders:
        sources = set(segments.loc[segments["coder"] == coder, "source"])
        sheets = {sheet_of[s] for s in sources if s in sheet_of}
        docs = [n for n, s in sheet_of.items() if s in sheets] + [t for t in transcripts if t in sources]
        out[coder] = sorted(docs)
    return out


def group_codes(
    codebook_paths: Sequence[str],
    applied: Mapping[str, Sequence[str]],
    categories: Mapping[str, str],
    include_descendants: bool,
) -> dict[str, list[str]]:
    """Per document group, the code paths that get a row (see the module docstring).

    ``applied``: group -> code paths applied in it; ``categories``: group -> its category
    (level 1 of the code paths), absent for a group the config gives none.
    """
    sep = CODE_PATH_SEPARATOR
    paths = [str(p) for p in codebook_paths]
    parents = {p.rsplit(sep, 1)[0] for p in paths if sep in p}
    out: dict[str, list[str]] = {}
    for group, used in applied.items():
        codes = {str(p) for p in used}
        category = categories.get(group)
        if category is not None:
            under = [p for p in paths if p.startswith(category + sep)]
            if include_descendants:
                codes |= {category, *under}
            else:
                codes |= {p for p in under if p not in parents}
        if include_descendants:
            codes |= {sep.join(c.split(sep)[:i]) for c in list(codes) for i in range(1, c.count(sep) + 1)}
        out[group] = sorted(codes)
    return out


def intercoder_table(
    segments: pd.DataFrame,
    notes: pd.DataFrame,
    transcripts: Mapping[str, str],
    codebook_paths: Sequence[str],
    codebook_cfg: Mapping,
    agreement_cfg: Mapping | None = None,
    *,
    speaker_pattern: str = SPEAKER_PATTERN,
    file: str | None = None,
) -> pd.DataFrame:
    """The agreement table of a study (columns :data:`agreement.COLUMNS`; no rows when fewer
    than two coders coded the same documents).

    ``segments``: ``coded_segments.csv`` (with ``coder``); ``notes``: ``note_id, sheet, text``;
    ``transcripts``: document -> redacted text; ``codebook_cfg``: ``qualitative.codebook``;
    ``agreement_cfg``: ``qualitative.agreement`` (defaults :data:`DEFAULTS`).
    """
    cfg = {**DEFAULTS, **(agreement_cfg or {})}
    units = {**DEFAULTS["units"], **cfg["units"]}  # a config naming one kind of document keeps the other's default
    empty = pd.DataFrame({c: pd.Series(dtype=object) for c in COLUMNS})
    if "coder" not in segments.columns:
        log.info("the coding has no coder column (the export does not say who coded): one coding, agreement not computable")
        return empty
    segments = segments.assign(row=np.arange(len(segments), dtype=np.int64) + 2)  # error messages name the file's rows
    label = segments["coder"].astype(str)
    unrecorded, agreed = label.str.strip() == "", label.isin(AGREED_LABELS)
    if unrecorded.any() or agreed.any():
        log.info(
            "left out of the comparison: %d segments with no coder recorded, %d segments of an agreed coding",
            int(unrecorded.sum()),
            int(agreed.sum()),
        )
        segments = segments.loc[~(unrecorded | agreed).to_numpy()]
    coders = coder_order(segments["coder"])
    if len(coders) < 2:
        log.info("%d coder in the coding: agreement not computable", len(coders))
        return empty
    coded = coded_documents(segments, notes, list(transcripts), coders)
    shared = set().union(*(set(coded[a]) & set(coded[b]) for a, b in combinations(coders, 2)))
    if not shared:
        log.info("%d coders, but no document coded by two or more of them: agreement not computable", len(coders))
        return empty

    texts = dict(zip(notes["note_id"], notes["text"], strict=True)) | dict(transcripts)
    groups = dict(zip(notes["note_id"], notes["sheet"], strict=True)) | dict.fromkeys(transcripts, FOCUS_GROUP)
    unit_kinds = {g: units["focus_groups"] if g == FOCUS_GROUP else units["notes"] for g in set(groups.values())}
    categories = {**codebook_cfg["flipchart_categories"], FOCUS_GROUP: codebook_cfg["focus_group_category"]}
    applied = {g: list(segments.loc[segments["group"] == g, "code_path"].unique()) for g in set(groups.values())}
    codes = group_codes(codebook_paths, applied, categories, cfg["include_descendants"])
    table = agreement_table(
        segments,
        texts,
        coders,
        coded_documents=coded,
        document_groups=groups,
        unit_kinds=unit_kinds,
        codes=codes,
        include_descendants=cfg["include_descendants"],
        speaker_pattern=speaker_pattern,
        thresholds=cfg["thresholds"],
        file=file,
    )
    log.info(
        "%d coders; documents coded by each: %s; %d documents coded by two or more",
        len(coders),
        ", ".join(str(len(coded[c])) for c in coders),
        len(shared),
    )
    return table


def main(smk) -> None:
    # As text: agreement.py checks the offsets itself, and a coding without a coder column
    # (one coder) reads as well as one with it.
    segments = read_result(smk.input.segments, result("segments"), as_text=True)
    notes = read_result(smk.input.notes, result("notes"))
    transcripts = read_result(smk.input.transcripts, result("transcripts"))
    codebook = read_result(smk.input.export_codebook, result("export_codebook"))
    table = intercoder_table(
        segments,
        notes,
        transcripts,
        list(codebook["code_path"]),
        smk.params.codebook,
        smk.params.agreement,
        speaker_pattern=smk.params.speaker_pattern,
        file=str(smk.input.segments),
    )
    write_result(table, smk.output.agreement, result("agreement"))


if "snakemake" in globals():
    run_rule(snakemake, main)  # noqa: F821
