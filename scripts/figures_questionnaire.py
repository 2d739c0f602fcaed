"""Figures of the questionnaire arm: item responses and subscale score distributions.

* ``likert_items``: diverging stacked bars of every scored item, grouped by subscale,
  centred on the neutral category (half of it each side of zero; with an even number of
  response labels, centred between the two middle labels). Percentages are of the
  respondents who answered the item; the n of each item is printed beside its bar.
* ``subscale_distributions``: per subscale, box plot and one dot per respondent, for all
  scored respondents and by a grouping; respondents who did not answer the grouping are in
  "All" only, and their number is stated under the panel. Dot positions are computed
  (stacked ties), not random.

Each is written as PNG and SVG (``plotting.save``).
"""

import math
from collections.abc import Mapping, Sequence

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MaxNLocator

from contracts import read_result, result
from groupings import levels_of
from instrument import Instrument, label_slug, load_instrument
from plotting import GROUP_COLOURS, OKABE_ITO, floats, fmt, likert_palette, log, new_figure, save, style, text, text_colour, wrap
from stage import run_rule


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
    stats = floats(item_statistics, ["item", "n", "n_missing", *cols.values()])
    stats = stats.drop_duplicates("item", keep="first").set_index("item")
    rows = []
    for it in instrument.scored_items:
        r = stats.loc[float(it.number)]
        counts = {lab: float(np.nan_to_num(r[c])) for lab, c in cols.items()}
        answered = sum(counts.values())
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
    with style():
        fig = new_figure(9.5, 1.6 + 0.34 * n_items + 0.55 * len(subs))
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
                ink = text_colour(colour_of[lab])
                for _, r in part[part["width"] >= min_pct_label].iterrows():
                    ax.text(
                        r["left"] + r["width"] / 2, ypos[r["item"]], f"{r['pct']:.0f}", ha="center", va="center", fontsize=6.5, color=ink
                    )
            for num in numbers:
                ax.text(1.01, ypos[num], f"n = {per_item.loc[num, 'n']:.0f}", transform=ax.get_yaxis_transform(), va="center", fontsize=7)
            ax.set_yticks(range(len(numbers)), [wrap(f"{num}. {per_item.loc[num, 'text']}", label_width, 2) for num in numbers])
            ax.set_ylim(len(numbers) - 0.4, -0.6)
            ax.axvline(0, color="#333333", linewidth=0.8, zorder=3)
            ax.tick_params(axis="y", length=0)
            ready = "agreement" if sub.higher_is_ready else "disagreement"
            ax.set_title(wrap(f"{sub.name} ({len(numbers)} items; readiness = {ready})", 80), loc="left", fontweight="bold", fontsize=8.5)
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
            wrap(f"{instrument.name}: responses to the {n_items} scored items", 100)
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
    by: str | None = None,
    *,
    by_label: str | None = None,
    levels: Sequence[str] | None = None,
) -> Figure:
    """Per subscale: scores of all scored respondents and, when ``by`` names a grouping
    column, by its levels (``levels`` in display order, ``by_label`` its name); box + one dot each."""
    sub_ids = [s.id for s in instrument.subscales]
    df = floats(subscale_scores, sub_ids)
    group = text(df[by]) if by else pd.Series([""] * len(df), index=df.index, dtype=object)
    levels = (list(levels) if levels is not None else sorted(v for v in group.unique() if v)) if by else []
    by_label = (by_label or by.replace("_", " ").capitalize()) if by else ""
    cats = [("All", OKABE_ITO["black"], np.ones(len(df), dtype=bool))]
    cats += [(lev, GROUP_COLOURS[i % len(GROUP_COLOURS)], (group == lev).to_numpy()) for i, lev in enumerate(levels)]
    no_answer = (group == "").to_numpy()

    with style():
        fig = new_figure(1.0 + (1.1 + 0.75 * len(cats)) * len(sub_ids), 4.8)
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
            ax.set_ylabel(f"Subscale score (possible range {fmt(lo)} to {fmt(hi)}, dotted)")
            note = [by_label] if by else []
            excluded = int((scored & no_answer).sum()) if by else 0
            if excluded:
                note.append(f"{excluded} scored with no {by_label.lower()} answer: in All only")
            if (~scored).sum():
                note.append(f"{int((~scored).sum())} of {len(s)} not scored (items skipped)")
            ax.set_xlabel("\n".join(note))
            arrow = "higher" if sub.higher_is_ready else "lower"
            ax.set_title(f"{wrap(sub.name, 40)}\n(n = {int(scored.sum())} scored; {arrow} = more ready)", fontsize=8.5)
        fig.suptitle(f"Subscale scores, all respondents{f' and by {by_label.lower()}' if by else ''} (n = {len(df)} respondents)")
        fig.supxlabel("Box: median and quartiles, whiskers to 1.5 × IQR; dots: respondents; ◆ mean; dashed: scale midpoint", fontsize=7)
    return fig


def main(smk) -> None:
    """Inputs ``item_statistics, subscale_scores, instrument``; outputs
    ``{likert,distributions}_{png,svg}``; params ``by`` (the grouping of the distributions,
    config ``figures.distributions_by``, or None), ``demographics`` (its label and level
    order) and ``synthetic`` (every figure then says so)."""
    instrument = load_instrument(smk.input.instrument)
    items = read_result(smk.input.item_statistics, result("item_statistics"))
    params = smk.params
    by = params.get("by")
    spec = params.demographics[by] if by else {}
    scores = read_result(smk.input.subscale_scores, result("subscale_scores"), names={"<subscale>": [s.id for s in instrument.subscales]})
    synthetic = bool(params.get("synthetic"))
    save(likert_items(items, instrument), smk.output.likert_png, smk.output.likert_svg, synthetic=synthetic)
    save(
        subscale_distributions(scores, instrument, by=by, by_label=spec.get("label"), levels=levels_of(spec) if by else None),
        smk.output.distributions_png,
        smk.output.distributions_svg,
        synthetic=synthetic,
    )
    log.info(
        "wrote 2 figures (PNG and SVG): %d scored items, %d respondents x %d subscales",
        len(instrument.scored_items),
        len(scores),
        len(instrument.subscales),
    )


if "snakemake" in globals():
    run_rule(snakemake, main)  # noqa: F821
