"""Theme tables from the anonymised coded segments: Table 4, the focus-group matrix, themes by people, quotes.

Code paths are ``category > theme > sub-theme``. The config names the categories of the
flip-chart sheets (Table 4) and of the focus groups. Counting rules:

* Table 4: per sheet and theme, the number of notes coded with the theme (at the theme or
  any of its sub-themes), of all notes on that sheet; a note may carry several themes, so
  percentages need not add to 100. Notes with no theme get a row of their own.
* Focus groups: per theme and sub-theme, coded segments in each group, the total, and the
  number of groups with at least one; a theme row (empty sub-theme) totals its sub-themes.
* Group sizes: distinct ``[Participant NN]`` labels that speak in each transcript.
* Themes by people (``turns.py``: a segment is raised by the participants of the turns
  it overlaps): per theme and sub-theme, the distinct participants who raised it in each
  focus group, and by the level of ``qualitative.speaker_grouping`` of each participant
  (``anonymised/speaker_groups.csv``), the joint display of "statistics by themes". Rows in
  the order of the focus-group matrix (segment counts, never the suppressed counts).
* Small cells (:func:`suppress_row`): a count of people from 1 to k - 1
  (``k_anonymity.k``) is left blank and the row's ``suppressed`` column names it; zeros are
  shown. While the shown total and the other cells would give a blank cell's value away,
  the smallest shown cell is suppressed as well (or the total, when none is left); a total
  suppressed in one of the two tables is suppressed in the other (:func:`align_totals`).
* Only the consensus coding counts (``consensus.py``); ``coded_segments.csv`` holds every
  coder's segments.
* A study without flip charts or transcripts gets empty tables (the header only) for
  what it lacks.
* Quotes: per sub-theme, up to ``per_sub_theme`` segments, each from a different source,
  the longest of at most ``max_chars`` characters in each source; sources ranked by that
  segment's length (then name). Deterministic, and stated in each row's ``rule``.

Rows are ordered by category (config order), then by count (descending), then by name, so
the tables do not depend on the order in which a QDA tool exported its codebook.
"""

import re
from collections import Counter
from collections.abc import Mapping, Sequence

import pandas as pd

from consensus import counted
from contracts import read_result, result, write_result
from groupings import levels_of
from qda import split_code_path
from stage import run_rule
from turns import Speakers, participants

NO_THEME = "(no theme)"
ALL_SPEAKERS = "(all speakers)"


def _ordered(df: pd.DataFrame, count: str) -> pd.DataFrame:
    return df.sort_values([count, "theme", "sub_theme"], ascending=[False, True, True], kind="stable")


def table4(segments: pd.DataFrame, notes: pd.DataFrame, categories: Mapping[str, str]) -> pd.DataFrame:
    """Per sheet (config order) and theme / sub-theme: notes coded, of all notes on the sheet.
    No notes (a study without flip charts): the header only."""
    rows = []
    if notes.empty:
        return pd.DataFrame(rows, columns=["sheet", "theme", "sub_theme", "n_notes", "denominator", "pct"])
    for sheet, category in categories.items():
        on_sheet = notes[notes["sheet"] == sheet]
        denom = len(on_sheet)
        seg = segments[(segments["category"] == category) & segments["source"].isin(on_sheet["note_id"])]
        block = []
        for theme, t in seg.groupby("theme", sort=True):
            block.append({"sheet": sheet, "theme": theme, "sub_theme": "", "n_notes": t["source"].nunique()})
            for sub, st in t[t["sub_theme"] != ""].groupby("sub_theme", sort=True):
                block.append({"sheet": sheet, "theme": theme, "sub_theme": sub, "n_notes": st["source"].nunique()})
        block_df = pd.DataFrame(block, columns=["sheet", "theme", "sub_theme", "n_notes"])
        theme_rows = _ordered(block_df[block_df["sub_theme"] == ""], "n_notes")
        for _, tr in theme_rows.iterrows():
            rows.append(tr.to_dict())
            subs = _ordered(block_df[(block_df["theme"] == tr["theme"]) & (block_df["sub_theme"] != "")], "n_notes")
            rows += subs.to_dict("records")
        uncoded = denom - seg["source"].nunique()
        rows.append({"sheet": sheet, "theme": NO_THEME, "sub_theme": "", "n_notes": uncoded})
        for r in rows:
            if r["sheet"] == sheet:
                r["denominator"] = denom
    out = pd.DataFrame(rows, columns=["sheet", "theme", "sub_theme", "n_notes", "denominator"])
    out["pct"] = 100.0 * out["n_notes"] / out["denominator"]
    return out


def focus_group_themes(segments: pd.DataFrame, groups: list[str], category: str) -> pd.DataFrame:
    """Per theme and sub-theme: segments per focus group, total, and groups that raised it."""
    seg = segments[(segments["category"] == category) & (segments["group"] == "focus_group")]
    unknown = set(seg["source"]) - set(groups)
    if unknown:
        raise ValueError(f"segments for focus groups without a transcript: {sorted(unknown)}")

    def row(theme: str, sub: str, part: pd.DataFrame) -> dict:
        counts = part["source"].value_counts()
        r = {"theme": theme, "sub_theme": sub}
        r.update({g: int(counts.get(g, 0)) for g in groups})
        r["total"] = len(part)
        r["n_groups"] = int((counts > 0).sum())
        return r

    themes = [row(t, "", part) for t, part in seg.groupby("theme", sort=True)]
    out = []
    for tr in sorted(themes, key=lambda r: (-r["total"], r["theme"])):
        out.append(tr)
        part = seg[(seg["theme"] == tr["theme"]) & (seg["sub_theme"] != "")]
        subs = [row(tr["theme"], s, p) for s, p in part.groupby("sub_theme", sort=True)]
        out += sorted(subs, key=lambda r: (-r["total"], r["sub_theme"]))
    return pd.DataFrame(out, columns=["theme", "sub_theme", *groups, "total", "n_groups"])


def group_sizes(transcripts: Mapping[str, str]) -> pd.DataFrame:
    """Distinct participant labels speaking in each transcript."""
    rows = [{"group": g, "n_participants": len(participants(text))} for g, text in transcripts.items()]
    return pd.DataFrame(rows, columns=["group", "n_participants"])


def focus_groups_in_order(names) -> list[str]:
    """Focus-group ids in their numeric order (``Focus group 10`` after ``Focus group 9``)."""
    return sorted(names, key=lambda n: [(0, int(p), "") if p.isdigit() else (1, 0, p) for p in re.split(r"(\d+)", n) if p])


# ----------------------------------------------------------------------------- themes by people
def suppress_row(cells: Mapping[str, int], total: int, k: int) -> tuple[dict[str, int | None], int | None, list[str]]:
    """Small-cell suppression of one row of counts of people and its total.

    Primary: a count from 1 to ``k - 1`` is suppressed (``None``); zeros are shown (that
    nobody raised a theme names nobody). Secondary: while the total is shown and pins the
    suppressed cells down (one suppressed cell: total minus the rest; or their sum S over m
    cells is S <= m, all ones; or, all of them primary, S >= m (k - 1), all at the bound),
    the smallest shown non-zero cell (the first among equals) is suppressed too, or the total
    when none is left. Returns (cells, total, the names suppressed with ``total`` last).
    """
    primary = {c for c, v in cells.items() if 0 < v < k}
    shown: dict[str, int | None] = {c: (None if c in primary else int(v)) for c, v in cells.items()}
    tot: int | None = None if 0 < total < k else int(total)
    while tot is not None:
        hidden = [c for c, v in shown.items() if v is None]
        rest = tot - sum(v for v in shown.values() if v is not None)
        m = len(hidden)
        if not hidden or not (m == 1 or rest <= m or (set(hidden) <= primary and rest >= m * (k - 1))):
            break
        candidates = [(v, i) for i, v in enumerate(shown.values()) if v]
        if not candidates:
            tot = None
            break
        _, i = min(candidates)
        shown[list(shown)[i]] = None
    names = [c for c, v in shown.items() if v is None] + (["total"] if tot is None else [])
    return shown, tot, names


def _speaker_rows(seg: pd.DataFrame, order: pd.DataFrame) -> list[tuple[str, str, pd.DataFrame]]:
    """(theme, sub_theme, the segments of the row) in the order of ``order``'s rows."""
    out = []
    for theme, sub in zip(order["theme"], order["sub_theme"], strict=True):
        part = seg[seg["theme"] == theme]
        out.append((theme, sub, part[part["sub_theme"] == sub] if sub else part))
    return out


def _with_speakers(segments: pd.DataFrame, transcripts: Mapping[str, str], category: str) -> pd.DataFrame:
    seg = segments[(segments["category"] == category) & (segments["group"] == "focus_group")]
    who = {g: Speakers(text) for g, text in transcripts.items()}
    speakers = [frozenset(who[s].of(a, b)) for s, a, b in zip(seg["source"], seg["start"], seg["end"], strict=True)]
    return seg.assign(speakers=pd.Series(speakers, index=seg.index, dtype=object))


def _people(part: pd.DataFrame) -> set[str]:
    return set().union(*part["speakers"]) if len(part) else set()


def focus_group_speakers(
    segments: pd.DataFrame, transcripts: Mapping[str, str], groups: Sequence[str], category: str, k: int, order: pd.DataFrame
) -> pd.DataFrame:
    """Per theme and sub-theme (rows as ``order``): distinct participants who raised it in
    each focus group and in all, and the groups where someone did; small cells suppressed."""
    seg = _with_speakers(segments, transcripts, category)
    rows = []
    for theme, sub, part in _speaker_rows(seg, order):
        per = {g: _people(part[part["source"] == g]) for g in groups}
        cells, total, hidden = suppress_row({g: len(p) for g, p in per.items()}, len(_people(part)), k)
        n_groups = sum(bool(p) for p in per.values())
        rows.append({"theme": theme, "sub_theme": sub, **cells, "total": total, "n_groups": n_groups, "suppressed": "; ".join(hidden)})
    return _counts_frame(rows, ["theme", "sub_theme", *groups, "total", "n_groups", "suppressed"], [*groups, "total"])


def speakers_by_grouping(
    segments: pd.DataFrame,
    transcripts: Mapping[str, str],
    speaker_groups: pd.DataFrame,
    levels: Sequence[str],
    category: str,
    k: int,
    order: pd.DataFrame,
) -> pd.DataFrame:
    """Per theme and sub-theme (rows as ``order``, after an ``(all speakers)`` row of every
    participant who speaks): distinct participants who raised it, by their level of the
    speaker grouping; ``no_level`` for those without one; small cells suppressed."""
    level_of = dict(zip(speaker_groups["speaker"], speaker_groups["level"], strict=True))
    unknown = sorted({v for v in level_of.values() if v and v not in levels})
    if unknown:
        raise ValueError(f"speaker_groups.csv has levels the config does not list: {unknown}")
    seg = _with_speakers(segments, transcripts, category)
    everyone = set().union(*map(participants, transcripts.values())) if transcripts else set()

    def row(theme: str, sub: str, people: set[str]) -> dict:
        by = Counter(level_of.get(p, "") for p in people)
        cells, total, hidden = suppress_row({**{lv: by.get(lv, 0) for lv in levels}, "no_level": by.get("", 0)}, len(people), k)
        return {"theme": theme, "sub_theme": sub, **cells, "total": total, "suppressed": "; ".join(hidden)}

    rows = [row(ALL_SPEAKERS, "", everyone)] if transcripts else []
    rows += [row(theme, sub, _people(part)) for theme, sub, part in _speaker_rows(seg, order)]
    return _counts_frame(rows, ["theme", "sub_theme", *levels, "no_level", "total", "suppressed"], [*levels, "no_level", "total"])


def align_totals(by_group: pd.DataFrame, by_level: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Both tables give the same total (distinct participants who raised a theme): a total
    suppressed in one is suppressed in the other, else one table's total would give away
    the cells the other hides (e.g. MHS and CJS both hidden, total 8, at most 4 each)."""
    key = ["theme", "sub_theme"]
    hidden = {tuple(r) for df in (by_group, by_level) for r in df.loc[df["total"].isna(), key].itertuples(index=False)}
    out = []
    for df in (by_group, by_level):
        df = df.copy()
        hit = [tuple(r) in hidden for r in df[key].itertuples(index=False)] if len(df) else []
        hit = pd.Series(hit, index=df.index, dtype=bool)
        newly = hit & df["total"].notna()
        df.loc[hit, "total"] = pd.NA
        df.loc[newly, "suppressed"] = df.loc[newly, "suppressed"].map(lambda s: f"{s}; total" if s else "total")
        out.append(df)
    return out[0], out[1]


def _counts_frame(rows: list[dict], columns: list[str], counts: list[str]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=columns)
    return df.astype({c: "Int64" for c in counts})


def theme_quotes(segments: pd.DataFrame, per_sub_theme: int, max_chars: int) -> pd.DataFrame:
    """Exemplar quotes per (category, theme, sub-theme) by the rule in the module doc."""
    rule = f"longest segment of at most {max_chars} characters in each source; up to {per_sub_theme} sources, longest first"
    rows = []
    seg = segments.assign(length=segments["text"].str.len(), quote=segments["text"].str.split().str.join(" "))
    seg = seg[seg["length"] <= max_chars]
    for (category, theme, sub), part in seg.groupby(["category", "theme", "sub_theme"], sort=True):
        best = part.sort_values(["length", "source", "start"], ascending=[False, True, True], kind="stable").drop_duplicates("source")
        for rec in best.head(per_sub_theme).to_dict("records"):
            rows.append(
                {
                    "category": category,
                    "theme": theme,
                    "sub_theme": sub,
                    "source": rec["source"],
                    "segment_id": rec["segment_id"],
                    "quote": rec["quote"],
                    "rule": rule,
                }
            )
    return pd.DataFrame(rows, columns=["category", "theme", "sub_theme", "source", "segment_id", "quote", "rule"])


def codebook_table(codebook: pd.DataFrame, segments: pd.DataFrame) -> pd.DataFrame:
    """Every code path (from the export's codebook and the segments), with its levels and counts."""
    paths = set(codebook["code_path"]) | set(segments["code_path"])
    # include every ancestor of every path
    for p in list(paths):
        levels = split_code_path(p)
        paths |= {" > ".join(levels[:i]) for i in range(1, len(levels))}
    desc = dict(zip(codebook["code_path"], codebook.get("description", pd.Series("", index=codebook.index)).fillna(""), strict=True))
    exact = segments["code_path"].value_counts()
    rows = []
    for p in sorted(paths):
        levels = split_code_path(p)
        below = segments["code_path"].map(lambda s, p=p: s == p or s.startswith(p + " > "))
        rows.append(
            {
                "code_path": p,
                "level": len(levels),
                "category": levels[0],
                "theme": levels[1] if len(levels) > 1 else "",
                "sub_theme": " > ".join(levels[2:]),
                "parent": " > ".join(levels[:-1]),
                "n_segments": int(exact.get(p, 0)),
                "n_segments_with_children": int(below.sum()),
                "description": desc.get(p, ""),
            }
        )
    return pd.DataFrame(rows)


def main(smk) -> None:
    all_segments = read_result(smk.input.segments, result("segments"))
    notes = read_result(smk.input.notes, result("notes"))
    codebook = read_result(smk.input.export_codebook, result("export_codebook"))
    transcripts = read_result(smk.input.transcripts, result("transcripts"))
    speaker_groups = read_result(smk.input.speaker_groups, result("speaker_groups"))
    mask, _ = counted(all_segments, smk.params.consensus)
    segments = all_segments[mask].reset_index(drop=True)
    cb = smk.params.codebook
    quotes = smk.params.quotes
    k = smk.params.k
    grouping = smk.params.speaker_grouping
    levels = levels_of(smk.params.demographics[grouping]) if grouping else []
    groups = focus_groups_in_order(transcripts)
    transcripts = {g: transcripts[g] for g in groups}
    write_result(table4(segments, notes, cb["flipchart_categories"]), smk.output.table4, result("table4"))
    fg = focus_group_themes(segments, groups, cb["focus_group_category"])
    write_result(fg, smk.output.focus_groups, result("focus_groups"), names={"<focus group>": groups})
    write_result(group_sizes(transcripts), smk.output.sizes, result("sizes"))
    order = fg[["theme", "sub_theme"]]
    by_group, by_level = align_totals(
        focus_group_speakers(segments, transcripts, groups, cb["focus_group_category"], k, order),
        speakers_by_grouping(segments, transcripts, speaker_groups, levels, cb["focus_group_category"], k, order),
    )
    write_result(by_group, smk.output.focus_group_speakers, result("focus_group_speakers"), names={"<focus group>": groups})
    write_result(by_level, smk.output.theme_speakers_by_grouping, result("theme_speakers_by_grouping"), names={"<level>": levels})
    write_result(theme_quotes(segments, quotes["per_sub_theme"], quotes["max_chars"]), smk.output.quotes, result("quotes"))
    write_result(codebook_table(codebook, segments), smk.output.codebook, result("codebook"))


if "snakemake" in globals():
    run_rule(snakemake, main)  # noqa: F821
