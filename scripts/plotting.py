"""Shared pieces of the figures: style, palettes and byte-identical rendering.

Reproducibility: figures are built on :class:`matplotlib.figure.Figure` with the Agg canvas
(no pyplot state), under :data:`RC` (bundled DejaVu Sans, fixed SVG hash salt, text kept as
text in SVG, no math parsing of study text), at a fixed dpi and a size computed from the
data only; PNG and SVG are saved without date or software metadata, so a rerun with the
same inputs on the same machine gives the same bytes.

Colours: the response scale uses ColorBrewer PuOr (colour-blind safe, checked for
deuteranopia by ColorBrewer) with a neutral grey in the middle; categories use the
Okabe-Ito palette; the heat map uses viridis.
"""

import io
import logging
import textwrap
from collections.abc import Sequence
from contextlib import contextmanager

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from outputs import write_bytes

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
def style():
    with matplotlib.rc_context(RC):
        yield


def new_figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(round(width, 2), round(height, 2)), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def render(fig: Figure) -> dict[str, bytes]:
    """The figure as PNG and SVG bytes, without dates or software versions.

    The constrained layout is computed once and then frozen (the layout engine is removed),
    so both formats share one layout and each format costs a single draw.
    """
    out = {}
    with style():
        if fig.get_layout_engine() is not None:
            fig.draw_without_rendering()
            fig.set_layout_engine(None)
        for fmt, meta in (("png", PNG_METADATA), ("svg", SVG_METADATA)):
            buf = io.BytesIO()
            fig.savefig(buf, format=fmt, dpi=DPI, metadata=meta)
            out[fmt] = buf.getvalue()
    return out


#: What a figure of synthetic data says in its corner.
SYNTHETIC_MARK = "Synthetic data: invented people and answers"


def save(fig: Figure, png: str, svg: str, *, synthetic: bool = False) -> None:
    """Write the figure atomically as PNG and SVG; a figure of synthetic data says so."""
    if synthetic:
        with style():
            fig.text(0.995, 0.004, SYNTHETIC_MARK, ha="right", va="bottom", fontsize=7, color="#9a5b00", fontstyle="italic")
    data = render(fig)
    write_bytes(png, data["png"])
    write_bytes(svg, data["svg"])


def text_colour(colour) -> str:
    """Black or white, whichever reads better on ``colour`` (WCAG relative luminance)."""
    r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in matplotlib.colors.to_rgb(colour))
    return "black" if 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.179 else "white"


def wrap(text: str, width: int, max_lines: int | None = None) -> str:
    """``text`` broken into lines of at most ``width`` characters; cut with '…' after ``max_lines``."""
    return "\n".join(textwrap.wrap(str(text), width, max_lines=max_lines, placeholder=" …")) or str(text)


def fmt(x: float) -> str:
    return f"{x:g}"


def floats(df: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """A copy with ``columns`` as float (a result table read by :func:`contracts.read_result`
    has them as numbers already; this also accepts frames built in tests)."""
    return df.astype({c: float for c in columns})


def text(s: pd.Series) -> pd.Series:
    """A column as stripped text, missing values as ''."""
    return s.astype("string").fillna("").str.strip().astype(object)
