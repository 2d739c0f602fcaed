"""Theme tables from the anonymised coded segments: Table 4, the focus-group matrix, quotes.

Code paths are ``category > theme > sub-theme``. The config names the categories of the
flip-chart sheets (Table 4) and of the focus groups. Counting rules:

* Table 4: per sheet and theme, the number of notes coded with the theme (at the theme or
  any of its sub-themes), of all notes on that sheet; a note may carry several themes, so
  percentages need not add to 100. Notes with no theme get a row of their own.
* Focus groups: per theme and sub-theme, coded segments in each group, the total, and the
  number of groups with at least one; a theme row (empty sub-theme) totals its sub-themes.
* Group sizes: distinct ``[Participant NN]`` labels that speak in each transcript.
* Quotes: per sub-theme, up to ``per_sub_theme`` segments, each from a different source,
  the longest of at most ``max_chars`` characters in each source; sources ranked by that
  segment's length (then name). Deterministic, and stated in each row's ``rule``.

Rows are ordered by category (config order), then by count (descending), then by name, so
the tables do not depend on the order in which a QDA tool exported its codebook.
"""

import re
from collections.abc import Mapping

import pandas as pd

from contracts import read_result, result, write_result
from qda import split_code_path
from stage import run_rule

PARTICIPANT_SPEAKER = re.compile(r"^(\[Participant \d+\]):", re.MULTILINE)
NO_THEME = "(no theme)"


def _ordered(df: pd.DataFrame, count: str) -> pd.DataFrame:
    return df.sort_values([count, "theme", "sub_theme"], ascending=[False, True, True], kind="stable")


def table4(segments: pd.DataFrame, notes: pd.DataFrame, categories: Mapping[str, str]) -> pd.DataFrame:
    """Per sheet (config order) and theme / sub-theme: notes coded, of all notes on the sheet."""
    rows = []
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
    rows = [{"group": g, "n_participants": len(set(PARTICIPANT_SPEAKER.findall(text)))} for g, text in transcripts.items()]
    return pd.DataFrame(rows, columns=["group", "n_participants"])


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
    segments = read_result(smk.input.segments, result("segments"))
    notes = read_result(smk.input.notes, result("notes"))
    codebook = read_result(smk.input.export_codebook, result("export_codebook"))
    transcripts = read_result(smk.input.transcripts, result("transcripts"))
    cb = smk.params.codebook
    quotes = smk.params.quotes
    groups = list(transcripts)
    write_result(table4(segments, notes, cb["flipchart_categories"]), smk.output.table4, result("table4"))
    write_result(
        focus_group_themes(segments, groups, cb["focus_group_category"]),
        smk.output.focus_groups,
        result("focus_groups"),
        names={"<focus group>": groups},
    )
    write_result(group_sizes(transcripts), smk.output.sizes, result("sizes"))
    write_result(theme_quotes(segments, quotes["per_sub_theme"], quotes["max_chars"]), smk.output.quotes, result("quotes"))
    write_result(codebook_table(codebook, segments), smk.output.codebook, result("codebook"))


if "snakemake" in globals():
    run_rule(snakemake, main)  # noqa: F821
