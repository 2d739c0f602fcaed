"""Figures: item responses, subscale score distributions, flip-chart themes, focus-group themes.

Four figures, each written as PNG and SVG that are byte-identical on every rerun with the
same inputs on the same machine:

* ``likert_items``: diverging stacked bars of every scored item, grouped by subscale,
  centred on the neutral category (half of it each side of zero; with an even number of
  response labels, centred between the two middle labels). Percentages are of the
  respondents who answered the item; the n of each item is printed beside its bar.
* ``subscale_distributions``: per subscale, box plot and one dot per respondent, for all
  scored respondents and by a grouping (organisation type); respondents who did not answer
  the grouping are in "All" only, and their number is stated under the panel.
* ``flipchart_themes``: % of notes per theme, one panel per flip-chart sheet.
* ``focus_group_heatmap``: coded segments per sub-theme (rows, grouped by theme) and focus
  group (columns).

Reproducibility: figures are built on :class:`matplotlib.figure.Figure` with the Agg canvas
(no pyplot state), under :data:`RC` (bundled DejaVu Sans, fixed SVG hash salt, text kept as
text in SVG, no math parsing of study text), at a fixed dpi and a size computed from the
data only; PNG and SVG are saved without date or software metadata. Dot positions in the
distributions are computed (stacked ties), not random.

Colours: the response scale uses ColorBrewer PuOr (colour-blind safe, checked for
deuteranopia by ColorBrewer) with a neutral grey in the middle; categories use the
Okabe-Ito palette; the heat map uses viridis.
"""

import io
import logging
import math
import textwrap
from collections.abc import Mapping, Sequence
from contextlib import contextmanager

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MaxNLocator

from _helpers import InputError, read_csv_input, run_rule, write_bytes
from instrument import Instrument, load_instrument
from reliability import label_slug

# ----------------------------------------------------------------------------- style
#: rcParams every figure is built and saved under.
RC: dict = {
    "font.family": ["DejaVu Sans"],  # bundled with matplotlib; found before any system copy
    "font.size": 8,
    "axes.titlesize": 9,
    "axes.labelsize": 8,
    "xtick.labelsize": 7.5,
    "ytick.labelsize": 7.5,
    "legend.fontsize": 7.5,
    "figure.titlesize": 10,
    "text.parse_math": False,  # study text may contain '$'
    "text.usetex": False,
    "svg.fonttype": "none",  # text stays text in the SVG
    "svg.hashsalt": "ripls-figures",
    "svg.image_inline": True,
    "path.simplify": True,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
    "savefig.bbox": "standard",
    "savefig.dpi": 150,
    "figure.dpi": 150,
}
DPI = 150
log = logging.getLogger("ripls.figures")
SVG_METADATA = {"Date": None, "Creator": None}
PNG_METADATA = {"Software": None}

#: Okabe & Ito (2008), colour-blind safe qualitative palette.
OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
    "grey": "#999999",
}
#: Colours of the groups in the distributions, in level order (after black for "All").
GROUP_COLOURS = ("#E69F00", "#56B4E9", "#009E73", "#0072B2", "#D55E00", "#CC79A7")
#: Colours of the flip-chart sheets, in sheet order; "(no theme)" is grey.
SHEET_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7")
NO_THEME = "(no theme)"
NO_THEME_COLOUR = OKABE_ITO["grey"]
HEATMAP_CMAP = "viridis"

#: ColorBrewer PuOr, n classes, orange (disagreement) to purple (agreement).
_PUOR = {
    3: ("#f1a340", "#f7f7f7", "#998ec3"),
    4: ("#e66101", "#fdb863", "#b2abd2", "#5e3c99"),
    5: ("#e66101", "#fdb863", "#f7f7f7", "#b2abd2", "#5e3c99"),
    6: ("#b35806", "#f1a340", "#fee0b6", "#d8daeb", "#998ec3", "#542788"),
    7: ("#b35806", "#f1a340", "#fee0b6", "#f7f7f7", "#d8daeb", "#998ec3", "#542788"),
    8: ("#b35806", "#e08214", "#fdb863", "#fee0b6", "#d8daeb", "#b2abd2", "#8073ac", "#542788"),
    9: ("#b35806", "#e08214", "#fdb863", "#fee0b6", "#f7f7f7", "#d8daeb", "#b2abd2", "#8073ac", "#542788"),
    10: ("#7f3b08", "#b35806", "#e08214", "#fdb863", "#fee0b6", "#d8daeb", "#b2abd2", "#8073ac", "#542788", "#2d004b"),
    11: ("#7f3b08", "#b35806", "#e08214", "#fdb863", "#fee0b6", "#f7f7f7", "#d8daeb", "#b2abd2", "#8073ac", "#542788", "#2d004b"),
}
#: The neutral (middle) category is drawn grey, not PuOr's near-white, so it shows on white.
NEUTRAL_COLOUR = "#c8c8c8"


def likert_palette(n: int) -> list[str]:
    """Colours of ``n`` response labels in scale order (most agreement first).

    ColorBrewer PuOr with ``n`` classes (purple = agreement, orange = disagreement), the
    middle class grey when ``n`` is odd. Two labels take the outer colours of four; more than
    eleven are sampled evenly from matplotlib's PuOr colormap.
    """
    if n < 2:
        raise ValueError("a response scale needs at least two labels")
    if n == 2:
        colours = [_PUOR[4][0], _PUOR[4][-1]]
    elif n in _PUOR:
        colours = list(_PUOR[n])
    else:
        cmap = matplotlib.colormaps["PuOr"]
        colours = [matplotlib.colors.to_hex(cmap(x)) for x in np.linspace(0, 1, n)]
    if n % 2:
        colours[n // 2] = NEUTRAL_COLOUR
    return colours[::-1]  # palette runs disagreement -> agreement; labels run the other way


@contextmanager
def _style():
    with matplotlib.rc_context(RC):
        yield


def _new_figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(round(width, 2), round(height, 2)), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def render(fig: Figure) -> dict[str, bytes]:
    """The figure as PNG and SVG bytes, without dates or software versions.

    The constrained layout is computed once and then frozen (the layout engine is removed),
    so both formats share one layout and each format costs a single draw.
    """
    out = {}
    with _style():
        if fig.get_layout_engine() is not None:
            fig.draw_without_rendering()
            fig.set_layout_engine(None)
        for fmt, meta in (("png", PNG_METADATA), ("svg", SVG_METADATA)):
            buf = io.BytesIO()
            fig.savefig(buf, format=fmt, dpi=DPI, metadata=meta)
            out[fmt] = buf.getvalue()
    return out


def save(fig: Figure, png: str, svg: str) -> None:
    """Write the figure atomically as PNG and SVG."""
    data = render(fig)
    write_bytes(png, data["png"])
    write_bytes(svg, data["svg"])


def _text_colour(colour) -> str:
    """Black or white, whichever reads better on ``colour`` (WCAG relative luminance)."""
    r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in matplotlib.colors.to_rgb(colour))
    return "black" if 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.179 else "white"


def _wrap(text: str, width: int, max_lines: int | None = None) -> str:
    """``text`` broken into lines of at most ``width`` characters; cut with '…' after ``max_lines``."""
    return "\n".join(textwrap.wrap(str(text), width, max_lines=max_lines, placeholder=" …")) or str(text)


def _fmt(x: float) -> str:
    return f"{x:g}"


# ----------------------------------------------------------------------------- inputs
def _numeric(df: pd.DataFrame, columns: Sequence[str], what: str) -> pd.DataFrame:
    """Columns as float (blank = NaN); a cell that is not a number stops the run."""
    out = df.copy()
    for col in columns:
        if col not in out.columns:
            raise InputError(df.attrs.get("source"), f"column missing from {what}", column=col, expected=f"a column {col!r}")
        s = out[col]
        if pd.api.types.is_numeric_dtype(s):
            out[col] = s.astype(float)
            continue
        text = s.astype("string").fillna("").str.strip()
        values = pd.to_numeric(text.where(text != "", None), errors="coerce")
        bad = values.isna() & (text != "")
        if bad.any():
            pos = int(np.flatnonzero(bad.to_numpy())[0])
            raise InputError(
                df.attrs.get("source"),
                f"a value in {what} is not a number",
                row=pos + 2,
                column=col,
                found=text.iloc[pos],
                expected="a number or blank",
            )
        out[col] = values.astype(float)
    return out


def _text(s: pd.Series) -> pd.Series:
    """A column as stripped text, missing values as ''."""
    return s.astype("string").fillna("").str.strip().astype(object)


# ----------------------------------------------------------------------------- 1. Likert
def likert_layout(counts: Mapping[str, float] | Sequence[float], labels: Sequence[str]) -> pd.DataFrame:
    """Geometry of one diverging stacked bar, in scale order (``labels``: most agreement first).

    Returns one row per label: ``label``, ``count``, ``pct`` (of all answers counted),
    ``left`` and ``width`` (in percentage points) and ``right``. Disagreement lies left of
    zero, agreement right; the neutral (middle) label of an odd scale straddles zero, half
    each side; an even scale is centred between its two middle labels. The leftmost segment
    (the last label) starts at -(disagreement % + half the neutral %), and the widths sum to
    100 (0 when nothing was answered).
    """
    labels = list(labels)
    m = len(labels)
    values = [float(counts.get(lab, 0)) for lab in labels] if isinstance(counts, Mapping) else [float(c) for c in counts]
    if len(values) != m:
        raise ValueError(f"{len(values)} counts for {m} labels")
    total = sum(values)
    pct = [100.0 * v / total if total else 0.0 for v in values]
    # share left of zero: the disagreeing half, plus half the neutral label of an odd scale
    negative = sum(pct[m // 2 + 1 :]) + pct[m // 2] / 2 if m % 2 else sum(pct[m // 2 :])
    left = [0.0] * m
    x = -negative
    for i in reversed(range(m)):  # from the most disagreeing label rightwards
        left[i] = x
        x += pct[i]
    out = pd.DataFrame({"label": labels, "count": values, "pct": pct, "left": left, "width": pct})
    out["right"] = out["left"] + out["width"]
    return out


def _item_counts(item_statistics: pd.DataFrame, instrument: Instrument) -> pd.DataFrame:
    """Per scored item (instrument order): counts per label, n answered, n missing."""
    cols = {lab: f"n_{label_slug(lab)}" for lab in instrument.labels}
    stats = _numeric(item_statistics, ["item", "n", "n_missing", *cols.values()], "item statistics")
    stats = stats.drop_duplicates("item", keep="first").set_index("item")
    rows = []
    for it in instrument.scored_items:
        if float(it.number) not in stats.index:
            raise InputError(
                item_statistics.attrs.get("source"),
                "a scored item of the instrument has no row in the item statistics",
                column="item",
                found=f"no item {it.number}",
                expected="one row per item of the instrument",
            )
        r = stats.loc[float(it.number)]
        counts = {lab: float(np.nan_to_num(r[c])) for lab, c in cols.items()}
        answered = sum(counts.values())
        if not math.isnan(r["n"]) and answered != r["n"]:
            raise InputError(
                item_statistics.attrs.get("source"),
                f"item {it.number}: the label counts do not add up to n",
                column="n",
                found=f"{answered:g} counted, n = {r['n']:g}",
                expected="n = the sum of the n_<label> columns",
            )
        rows.append(
            {
                "item": it.number,
                "subscale": it.subscale,
                "text": it.text,
                "n": answered,
                "n_missing": float(np.nan_to_num(r["n_missing"])),
                **counts,
            }
        )
    return pd.DataFrame(rows)


def likert_frame(item_statistics: pd.DataFrame, instrument: Instrument) -> pd.DataFrame:
    """The geometry of every bar of :func:`likert_items`, one row per scored item and label.

    Columns: ``item``, ``subscale``, ``text``, ``n`` (answered), ``n_missing``, then those of
    :func:`likert_layout` (``label``, ``count``, ``pct``, ``left``, ``width``, ``right``).
    Items in instrument order, labels in scale order.
    """
    labels = list(instrument.labels)
    items = _item_counts(item_statistics, instrument)
    parts = []
    for _, r in items.iterrows():
        lay = likert_layout([r[lab] for lab in labels], labels)
        for col in ("n_missing", "n", "text", "subscale", "item"):
            lay.insert(0, col, r[col])
        parts.append(lay)
    cols = ["item", "subscale", "text", "n", "n_missing", "label", "count", "pct", "left", "width", "right"]
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=cols)
    out["item"] = out["item"].astype(int)
    return out[cols]


def likert_items(
    item_statistics: pd.DataFrame,
    instrument: Instrument,
    *,
    min_pct_label: float = 5.0,
    label_width: int = 52,
) -> Figure:
    """Diverging stacked bars of every scored item, one panel per subscale (see module doc).

    Each bar segment is a Rectangle whose gid (the id of its SVG group) is ``item_NN-<label slug>``.
    """
    labels = list(instrument.labels)
    colours = likert_palette(len(labels))
    colour_of = dict(zip(labels, colours, strict=True))
    frame = likert_frame(item_statistics, instrument)
    per_item = frame.drop_duplicates("item").set_index("item")
    respondents = int((per_item["n"] + per_item["n_missing"]).max()) if len(per_item) else 0
    subs = [s for s in instrument.subscales if s.items]
    extent = max([10.0, -frame["left"].min(), frame["right"].max()])
    lim = 10 * math.ceil(extent / 10 + 1e-9)

    n_items = sum(len(s.items) for s in subs)
    with _style():
        fig = _new_figure(9.5, 1.6 + 0.34 * n_items + 0.55 * len(subs))
        axes = fig.subplots(len(subs), 1, sharex=True, squeeze=False, height_ratios=[len(s.items) + 0.6 for s in subs])[:, 0]
        for ax, sub in zip(axes, subs, strict=True):
            numbers = [it.number for it in sub.items]
            ypos = {num: y for y, num in enumerate(numbers)}
            seg = frame[frame["item"].isin(numbers) & (frame["width"] > 0)]
            for lab in labels:
                part = seg[seg["label"] == lab]
                bars = ax.barh(
                    part["item"].map(ypos),
                    part["width"],
                    left=part["left"],
                    height=0.72,
                    color=colour_of[lab],
                    edgecolor="white",
                    linewidth=0.6,
                )
                for patch, num in zip(bars.patches, part["item"], strict=True):
                    patch.set_gid(f"item_{num:02d}-{label_slug(lab)}")
                ink = _text_colour(colour_of[lab])
                for _, r in part[part["width"] >= min_pct_label].iterrows():
                    ax.text(
                        r["left"] + r["width"] / 2, ypos[r["item"]], f"{r['pct']:.0f}", ha="center", va="center", fontsize=6.5, color=ink
                    )
            for num in numbers:
                ax.text(1.01, ypos[num], f"n = {per_item.loc[num, 'n']:.0f}", transform=ax.get_yaxis_transform(), va="center", fontsize=7)
            ax.set_yticks(range(len(numbers)), [_wrap(f"{num}. {per_item.loc[num, 'text']}", label_width, 2) for num in numbers])
            ax.set_ylim(len(numbers) - 0.4, -0.6)
            ax.axvline(0, color="#333333", linewidth=0.8, zorder=3)
            ax.tick_params(axis="y", length=0)
            ready = "agreement" if sub.higher_is_ready else "disagreement"
            ax.set_title(_wrap(f"{sub.name} ({len(numbers)} items; readiness = {ready})", 80), loc="left", fontweight="bold", fontsize=8.5)
            ax.set_ylabel("Item")
            ax.spines["left"].set_visible(False)
            ax.tick_params(axis="x", labelbottom=False)
        bottom = axes[-1]
        bottom.set_xlim(-lim, lim)
        bottom.xaxis.set_major_locator(MaxNLocator(nbins=10, steps=[1, 2, 2.5, 5, 10]))
        bottom.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{abs(v):g}%"))
        bottom.tick_params(axis="x", labelbottom=True)
        bottom.set_xlabel(f"% of respondents who answered the item (left: toward '{labels[-1]}'; right: toward '{labels[0]}')")
        handles = [Patch(facecolor=c, edgecolor="white", label=lab) for lab, c in zip(labels, colours, strict=True)]
        fig.legend(handles=handles, loc="outside lower center", ncols=min(len(labels), 6), frameon=False, title="Response")
        fig.suptitle(
            _wrap(f"{instrument.name}: responses to the {n_items} scored items", 100)
            + f"\n(n = {respondents} respondents; n answering each item at right; numbers in bars: % of those answering)"
        )
    return fig


# ----------------------------------------------------------------------------- 2. distributions
def _dot_offsets(values: np.ndarray, max_width: float = 0.36, step: float = 0.045) -> np.ndarray:
    """Horizontal offsets that stack tied values side by side, centred (a dot plot)."""
    out = np.zeros(len(values))
    keys = np.round(values.astype(float), 6)
    uniq, counts = np.unique(keys, return_counts=True)
    if not len(uniq):
        return out
    step = min(step, 2 * max_width / max(int(counts.max()) - 1, 1))
    for v in uniq:
        idx = np.flatnonzero(keys == v)
        out[idx] = (np.arange(len(idx)) - (len(idx) - 1) / 2) * step
    return out


def subscale_distributions(
    subscale_scores: pd.DataFrame,
    instrument: Instrument,
    by: str = "org_type",
    *,
    by_label: str | None = None,
    levels: Sequence[str] | None = None,
) -> Figure:
    """Per subscale: scores of all scored respondents and by ``by`` (box + one dot each)."""
    sub_ids = [s.id for s in instrument.subscales]
    df = _numeric(subscale_scores, sub_ids, "subscale scores")
    if by not in df.columns:
        raise InputError(
            subscale_scores.attrs.get("source"), "grouping column missing from subscale scores", column=by, expected=f"a column {by!r}"
        )
    group = _text(df[by])
    levels = list(levels) if levels is not None else sorted(v for v in group.unique() if v)
    by_label = by_label or {"org_type": "Organisation type"}.get(by, by.replace("_", " ").capitalize())
    cats = [("All", OKABE_ITO["black"], np.ones(len(df), dtype=bool))]
    cats += [(lev, GROUP_COLOURS[i % len(GROUP_COLOURS)], (group == lev).to_numpy()) for i, lev in enumerate(levels)]
    no_answer = (group == "").to_numpy()

    with _style():
        fig = _new_figure(1.0 + (1.1 + 0.75 * len(cats)) * len(sub_ids), 4.8)
        axes = fig.subplots(1, len(sub_ids), squeeze=False)[0]
        for ax, sub in zip(axes, instrument.subscales, strict=True):
            s = df[sub.id].to_numpy(dtype=float)
            scored = ~np.isnan(s)
            lo, hi = instrument.possible_range(sub.id)
            ticks = []
            for x, (name, colour, mask) in enumerate(cats):
                vals = s[scored & mask]
                ticks.append(f"{name}\nn = {len(vals)}")
                if not len(vals):
                    continue
                box = ax.boxplot(
                    [vals],
                    positions=[x],
                    widths=0.6,
                    whis=1.5,
                    showfliers=False,
                    patch_artist=True,
                    medianprops={"color": "black", "linewidth": 1.4},
                    whiskerprops={"color": "#444444"},
                    capprops={"color": "#444444"},
                    boxprops={"edgecolor": "#444444", "linewidth": 0.8},
                )
                for patch in box["boxes"]:
                    patch.set_facecolor(matplotlib.colors.to_rgba(colour, 0.18))
                ax.scatter(x + _dot_offsets(vals), vals, s=11, color=colour, alpha=0.75, linewidths=0, zorder=3)
                ax.scatter([x + 0.38], [vals.mean()], marker="D", s=18, color=OKABE_ITO["black"], zorder=4)
            pad = 0.04 * (hi - lo)
            for bound in (lo, hi):
                ax.axhline(bound, color="#777777", linestyle=":", linewidth=0.9, zorder=1)
            ax.axhline((lo + hi) / 2, color="#bbbbbb", linestyle="--", linewidth=0.7, zorder=1)
            ax.set_ylim(lo - pad, hi + pad)
            if all(float(v).is_integer() for v in instrument.scores) and instrument.missing_method == "complete":
                ax.yaxis.set_major_locator(MaxNLocator(nbins=8, integer=True, steps=[1, 2, 5, 10]))
            ax.set_xlim(-0.6, len(cats) - 0.4)
            ax.set_xticks(range(len(cats)), ticks)
            ax.set_ylabel(f"Subscale score (possible range {_fmt(lo)} to {_fmt(hi)}, dotted)")
            note = [by_label]
            excluded = int((scored & no_answer).sum())
            if excluded:
                note.append(f"{excluded} scored with no {by_label.lower()} answer: in All only")
            if (~scored).sum():
                note.append(f"{int((~scored).sum())} of {len(s)} not scored (items skipped)")
            ax.set_xlabel("\n".join(note))
            arrow = "higher" if sub.higher_is_ready else "lower"
            ax.set_title(f"{_wrap(sub.name, 40)}\n(n = {int(scored.sum())} scored; {arrow} = more ready)", fontsize=8.5)
        fig.suptitle(f"Subscale scores, all respondents and by {by_label.lower()} (n = {len(df)} respondents)")
        fig.supxlabel("Box: median and quartiles, whiskers to 1.5 × IQR; dots: respondents; ◆ mean; dashed: scale midpoint", fontsize=7)
    return fig


# ----------------------------------------------------------------------------- 3. flip chart
SHEET_TITLES = {"expectation": "Expectations of interagency training", "obstacle": "Obstacles to interagency working"}


def flipchart_themes(table4: pd.DataFrame, *, sheet_titles: Mapping[str, str] | None = None) -> Figure:
    """% of notes per theme (theme rows only), one panel per sheet, "(no theme)" last in grey."""
    titles = {**SHEET_TITLES, **(sheet_titles or {})}
    t = _numeric(table4, ["n_notes", "denominator"], "Table 4")
    for col in ("sheet", "theme", "sub_theme"):
        if col not in t.columns:
            raise InputError(table4.attrs.get("source"), "column missing from Table 4", column=col, expected=f"a column {col!r}")
        t[col] = _text(t[col])
    t = t[t["sub_theme"] == ""]
    sheets = list(dict.fromkeys(t["sheet"]))
    if not sheets:
        raise InputError(table4.attrs.get("source"), "Table 4 has no theme rows", expected="rows with an empty sub_theme")
    blocks = []
    for sheet in sheets:
        b = t[t["sheet"] == sheet]
        b = pd.concat([b[b["theme"] != NO_THEME], b[b["theme"] == NO_THEME]])
        blocks.append(b)
    max_pct = max([10.0] + [100 * r["n_notes"] / r["denominator"] for b in blocks for _, r in b.iterrows() if r["denominator"] > 0])

    with _style():
        fig = _new_figure(8.0, 1.4 + sum(0.3 * len(b) + 0.7 for b in blocks))
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
            ax.set_yticks(y, [_wrap(th, 45) for th in b["theme"]])
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
    for col in ("theme", "sub_theme", "total"):
        if col not in cols:
            raise InputError(
                fgt.attrs.get("source"), "column missing from the focus-group themes", column=col, expected=f"a column {col!r}"
            )
    groups = cols[cols.index("sub_theme") + 1 : cols.index("total")]
    if not groups:
        raise InputError(
            fgt.attrs.get("source"), "no focus-group columns", expected="one column per focus group between sub_theme and total"
        )
    t = _numeric(fgt, groups, "focus-group themes")
    t["theme"], t["sub_theme"] = _text(t["theme"]), _text(t["sub_theme"])
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

    with _style():
        fig = _new_figure(3.6 + 0.75 * len(groups), 2.2 + 0.3 * len(rows))
        ax = fig.subplots()
        mesh = ax.pcolormesh(
            np.arange(len(groups) + 1), np.arange(len(rows) + 1), m, cmap=cmap, norm=norm, edgecolors="white", linewidth=0.8
        )
        for i in range(m.shape[0]):
            for j in range(m.shape[1]):
                ax.text(j + 0.5, i + 0.5, f"{m[i, j]:.0f}", ha="center", va="center", fontsize=7, color=_text_colour(cmap(norm(m[i, j]))))
        ax.set_xlim(0, len(groups))
        ax.set_ylim(max(len(rows), 1), 0)
        if not len(rows):
            ax.text(len(groups) / 2, 0.5, "no coded focus-group segments", ha="center", va="center")
        ax.set_xticks(np.arange(len(groups)) + 0.5, [_wrap(g, 10) for g in groups])
        ax.set_yticks(
            np.arange(len(rows)) + 0.5, [f"{_wrap(s, 40)} (n = {tot:.0f})" for s, tot in zip(rows["sub_theme"], m.sum(axis=1), strict=True)]
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
        sec.set_yticks(centres, [_wrap(th, 26) for th in themes], fontweight="bold")
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


# ----------------------------------------------------------------------------- entry
def main_questionnaire(smk) -> None:
    """Inputs ``item_statistics, subscale_scores, instrument``; outputs
    ``{likert,distributions}_{png,svg}``; optional params ``by`` (grouping column, default
    ``org_type``), ``by_label`` (its name in the figure) and ``levels`` (display order)."""
    instrument = load_instrument(smk.input.instrument)
    labels = [f"n_{label_slug(lab)}" for lab in instrument.labels]
    items = read_csv_input(smk.input.item_statistics, what="item statistics", required=["item", "n", "n_missing", *labels])
    params = smk.params
    by = params.get("by") or "org_type"
    scores = read_csv_input(
        smk.input.subscale_scores, what="subscale scores", required=[by, *(s.id for s in instrument.subscales)], identifying=["respondent"]
    )
    save(likert_items(items, instrument), smk.output.likert_png, smk.output.likert_svg)
    save(
        subscale_distributions(scores, instrument, by=by, by_label=params.get("by_label"), levels=params.get("levels")),
        smk.output.distributions_png,
        smk.output.distributions_svg,
    )
    log.info(
        "wrote 2 figures (PNG and SVG): %d scored items, %d respondents x %d subscales",
        len(instrument.scored_items),
        len(scores),
        len(instrument.subscales),
    )


def main_themes(smk) -> None:
    """Inputs ``table4, focus_groups``; outputs ``{flipchart,heatmap}_{png,svg}``."""
    table4 = read_csv_input(smk.input.table4, what="Table 4", required=["sheet", "theme", "sub_theme", "n_notes", "denominator"])
    fgt = read_csv_input(smk.input.focus_groups, what="focus-group themes", required=["theme", "sub_theme", "total"])
    save(flipchart_themes(table4), smk.output.flipchart_png, smk.output.flipchart_svg)
    save(focus_group_heatmap(fgt), smk.output.heatmap_png, smk.output.heatmap_svg)
    log.info("wrote 2 figures (PNG and SVG): %d Table 4 rows, %d focus-group theme rows", len(table4), len(fgt))


def main(smk) -> None:
    """All four figures in one go (the outputs of both rules)."""
    main_questionnaire(smk)
    main_themes(smk)


if "snakemake" in globals():
    run_rule(snakemake, {"figures_questionnaire": main_questionnaire, "figures_themes": main_themes}.get(snakemake.rule, main))  # noqa: F821
