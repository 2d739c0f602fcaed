"""Figures of the qualitative arm: flip-chart themes and the focus-group heat map.

* ``flipchart_themes``: % of notes per theme, one panel per flip-chart sheet, "(no theme)"
  last in grey.
* ``focus_group_heatmap``: coded segments per sub-theme (rows, grouped by theme) and focus
  group (columns).

Each is written as PNG and SVG (``plotting.save``).
"""

from collections.abc import Mapping

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from contracts import read_result, result
from plotting import HEATMAP_CMAP, NO_THEME, NO_THEME_COLOUR, SHEET_COLOURS, floats, log, new_figure, save, style, text, text_colour, wrap
from stage import run_rule


# ----------------------------------------------------------------------------- 3. flip chart
def flipchart_themes(table4: pd.DataFrame, *, sheet_titles: Mapping[str, str] | None = None) -> Figure:
    """% of notes per theme (theme rows only), one panel per sheet, "(no theme)" last in grey.
    ``sheet_titles``: sheet id -> title (config ``qualitative.flipchart.sheet_titles``)."""
    titles = dict(sheet_titles or {})
    t = floats(table4, ["n_notes", "denominator"])
    for col in ("sheet", "theme", "sub_theme"):
        t[col] = text(t[col])
    t = t[t["sub_theme"] == ""]
    sheets = list(dict.fromkeys(t["sheet"]))
    blocks = []
    for sheet in sheets:
        b = t[t["sheet"] == sheet]
        b = pd.concat([b[b["theme"] != NO_THEME], b[b["theme"] == NO_THEME]])
        blocks.append(b)
    max_pct = max([10.0] + [100 * r["n_notes"] / r["denominator"] for b in blocks for _, r in b.iterrows() if r["denominator"] > 0])

    with style():
        fig = new_figure(8.0, 1.4 + sum(0.3 * len(b) + 0.7 for b in blocks))
        axes = fig.subplots(len(blocks), 1, squeeze=False, height_ratios=[len(b) + 0.8 for b in blocks])[:, 0]
        for k, (ax, sheet, b) in enumerate(zip(axes, sheets, blocks, strict=True)):
            denom = int(b["denominator"].max()) if len(b) else 0
            pct = [100 * n / d if d > 0 else 0.0 for n, d in zip(b["n_notes"], b["denominator"], strict=True)]
            colour = SHEET_COLOURS[k % len(SHEET_COLOURS)]
            colours = [NO_THEME_COLOUR if th == NO_THEME else colour for th in b["theme"]]
            y = np.arange(len(b))
            ax.barh(y, pct, height=0.7, color=colours)
            for yi, p, n, d in zip(y, pct, b["n_notes"], b["denominator"], strict=True):
                ax.text(p + max_pct * 0.01, yi, f"{n:.0f}/{d:.0f} ({p:.0f}%)", va="center", fontsize=7)
            ax.set_yticks(y, [wrap(th, 45) for th in b["theme"]])
            ax.set_ylim(len(b) - 0.4, -0.6)
            ax.set_xlim(0, max_pct * 1.22)
            ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:g}%"))
            ax.set_ylabel("Theme")
            ax.set_xlabel("% of notes on the sheet (a note may carry several themes)")
            ax.set_title(f"{titles.get(sheet, sheet.capitalize())} (n = {denom} notes)", loc="left", fontweight="bold", fontsize=8.5)
        total = sum(int(b["denominator"].max()) for b in blocks if len(b))
        fig.suptitle(
            f"Flip-chart notes by theme (n = {total} notes on {len(blocks)} sheets; theme rows of Table 4; grey: notes with no theme)"
        )
    return fig


# ----------------------------------------------------------------------------- 4. heat map
def _focus_group_matrix(fgt: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Rows to plot (sub-themes in table order; a theme without sub-themes as one row) and groups."""
    cols = list(fgt.columns)
    groups = cols[cols.index("sub_theme") + 1 : cols.index("total")]
    t = floats(fgt, groups)
    t["theme"], t["sub_theme"] = text(t["theme"]), text(t["sub_theme"])
    t[groups] = t[groups].fillna(0)
    rows = []
    for theme in dict.fromkeys(t["theme"]):
        part = t[t["theme"] == theme]
        subs = part[part["sub_theme"] != ""]
        if len(subs):
            rows += subs.to_dict("records")
        else:
            rows += [{**r, "sub_theme": "(whole theme)"} for r in part.to_dict("records")[:1]]
    return pd.DataFrame(rows, columns=["theme", "sub_theme", *groups]), groups


def focus_group_heatmap(focus_group_themes: pd.DataFrame) -> Figure:
    """Coded segments per sub-theme (rows, grouped by theme) and focus group (columns)."""
    rows, groups = _focus_group_matrix(focus_group_themes)
    m = rows[groups].to_numpy(dtype=float)
    cmap = matplotlib.colormaps[HEATMAP_CMAP]
    norm = matplotlib.colors.Normalize(vmin=0, vmax=max(1.0, float(m.max()) if m.size else 1.0))
    themes = list(dict.fromkeys(rows["theme"]))

    with style():
        fig = new_figure(3.6 + 0.75 * len(groups), 2.2 + 0.3 * len(rows))
        ax = fig.subplots()
        mesh = ax.pcolormesh(
            np.arange(len(groups) + 1), np.arange(len(rows) + 1), m, cmap=cmap, norm=norm, edgecolors="white", linewidth=0.8
        )
        for i in range(m.shape[0]):
            for j in range(m.shape[1]):
                ax.text(j + 0.5, i + 0.5, f"{m[i, j]:.0f}", ha="center", va="center", fontsize=7, color=text_colour(cmap(norm(m[i, j]))))
        ax.set_xlim(0, len(groups))
        ax.set_ylim(max(len(rows), 1), 0)
        if not len(rows):
            ax.text(len(groups) / 2, 0.5, "no coded focus-group segments", ha="center", va="center")
        ax.set_xticks(np.arange(len(groups)) + 0.5, [wrap(g, 10) for g in groups])
        ax.set_yticks(
            np.arange(len(rows)) + 0.5, [f"{wrap(s, 40)} (n = {tot:.0f})" for s, tot in zip(rows["sub_theme"], m.sum(axis=1), strict=True)]
        )
        ax.tick_params(length=0)
        for side in ("left", "bottom"):
            ax.spines[side].set_visible(False)
        ax.set_xlabel("Focus group")
        ax.set_ylabel("Sub-theme (segments in all groups)")
        centres, start = [], 0
        for theme in themes:
            k = int((rows["theme"] == theme).sum())
            centres.append(start + k / 2)
            start += k
            if start < len(rows):
                ax.axhline(start, color="white", linewidth=3.5)
        sec = ax.secondary_yaxis("right")
        sec.set_yticks(centres, [wrap(th, 26) for th in themes], fontweight="bold")
        sec.tick_params(length=0)
        sec.spines["right"].set_visible(False)
        sec.set_ylabel("Theme")
        cbar = fig.colorbar(mesh, ax=ax, location="bottom", shrink=0.6, aspect=30, pad=0.02)
        cbar.set_label("Coded segments (count)")
        cbar.ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        fig.suptitle(
            f"Focus-group themes: coded segments per sub-theme and group\n"
            f"(n = {m.sum():.0f} segments in {len(rows)} sub-themes, {len(groups)} focus groups)"
        )
    return fig


def main(smk) -> None:
    """Inputs ``table4, focus_groups``; outputs ``{flipchart,heatmap}_{png,svg}``."""
    table4 = read_result(smk.input.table4, result("table4"))
    fgt = read_result(smk.input.focus_groups, result("focus_groups"))
    synthetic = bool(smk.params.get("synthetic"))
    save(
        flipchart_themes(table4, sheet_titles=smk.params.sheet_titles),
        smk.output.flipchart_png,
        smk.output.flipchart_svg,
        synthetic=synthetic,
    )
    save(focus_group_heatmap(fgt), smk.output.heatmap_png, smk.output.heatmap_svg, synthetic=synthetic)
    log.info("wrote 2 figures (PNG and SVG): %d Table 4 rows, %d focus-group theme rows", len(table4), len(fgt))


if "snakemake" in globals():
    run_rule(snakemake, main)  # noqa: F821
