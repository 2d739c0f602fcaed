"""Tests of the figures: diverging geometry, determinism, labels, palettes, and the rule entry."""

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PathCollection, QuadMesh
from matplotlib.patches import Rectangle

import figures_questionnaire
import figures_themes
import plotting
from instrument import label_slug, load_instrument, parse_instrument
from mock_snakemake import MockSnakemake
from reliability import item_statistics
from score import item_scores, subscale_scores

ROOT = Path(__file__).resolve().parents[1]
RIPLS = ROOT / "data" / "instruments" / "ripls_hean2015.yaml"
SVG_NS = "{http://www.w3.org/2000/svg}"


# --------------------------------------------------------------------------- inputs
@pytest.fixture(scope="module")
def ripls():
    return load_instrument(RIPLS)


@pytest.fixture(scope="module")
def four_point():
    """A made-up instrument with four labels (no neutral), two subscales, one unscored item."""
    return parse_instrument(
        {
            "id": "four_point",
            "name": "Four-point test scale",
            "response_scale": [
                {"label": "Very ready", "score": 4},
                {"label": "Ready", "score": 3},
                {"label": "Not ready", "score": 2},
                {"label": "Not at all ready", "score": 1},
            ],
            "missing_values": [""],
            "missing_rule": {"method": "complete"},
            "subscales": [
                {"id": "alpha", "name": "First subscale", "higher_is_ready": True},
                {"id": "beta", "name": "Second subscale", "higher_is_ready": False},
            ],
            "items": [
                {"number": 1, "subscale": "alpha", "text": "First item wording"},
                {"number": 2, "subscale": "alpha", "text": "Second item wording"},
                {"number": 3, "subscale": "beta", "text": "Third item wording"},
                {"number": 4, "subscale": "beta", "text": "Fourth item wording"},
                {"number": 5, "subscale": None, "text": "Asked but not scored"},
            ],
        },
        path="<four_point>",
    )


def answers_for(instrument, n: int = 30, seed: int = 7) -> pd.DataFrame:
    """A questionnaire as the anonymisation stage writes it: labels, blanks, an org_type column."""
    rng = np.random.default_rng(seed)
    labels = list(instrument.labels)
    p = np.linspace(2.0, 1.0, len(labels))
    data = {
        "respondent": [f"r{i:03d}" for i in range(n)],
        "org_type": ["MHS" if i % 2 else "CJS" for i in range(n)],
    }
    data["org_type"][0] = ""  # non-response to the grouping
    for it in instrument.items:
        col = list(rng.choice(labels, size=n, p=p / p.sum()))
        col[1 + (it.number * 3) % (n - 1)] = ""  # one skipped answer per item (never respondent 0)
        data[it.column] = col
    return pd.DataFrame(data)


def upstream_tables(instrument, n: int = 30):
    """item_statistics and subscale_scores made by the real upstream stage functions."""
    answers = answers_for(instrument, n)
    scores = item_scores(answers, instrument)
    subs = subscale_scores(scores, instrument)
    subs.insert(1, "org_type", answers["org_type"].replace("", np.nan))
    return item_statistics(answers, scores, instrument), subs


def hand_items(instrument, counts: dict[int, list[int]]) -> pd.DataFrame:
    """An item_statistics table (README columns) with given counts per item, others all in the first label."""
    rows = []
    for it in instrument.items:
        c = counts.get(it.number, [10] + [0] * (len(instrument.labels) - 1))
        row = {"item": it.number, "subscale": it.subscale or "", "text": it.text, "n": sum(c), "n_missing": 1}
        row.update({f"n_{label_slug(lab)}": k for lab, k in zip(instrument.labels, c, strict=True)})
        row.update({"mean": 0.0, "sd": 1.0, "median": 0.0, "median_label": "", "mode_label": "", "modal_n": max(c), "modal_pct": 0.0})
        row.update({"item_rest_r": 0.5, "alpha_if_deleted": 0.8})
        rows.append(row)
    return pd.DataFrame(rows)


def table4() -> pd.DataFrame:
    rows = [
        ("expectation", "Network and build relationships", "", 24, 75),
        ("expectation", "Increase knowledge", "", 21, 75),
        ("expectation", "Increase knowledge", "Roles of other agencies", 9, 75),
        ("expectation", "Share good practice", "", 6, 75),
        ("expectation", "(no theme)", "", 4, 75),
        ("obstacle", "Problems with communication", "", 19, 62),
        ("obstacle", "(no theme)", "", 3, 62),
        ("obstacle", "Lack of understanding of roles", "", 15, 62),
    ]
    df = pd.DataFrame(rows, columns=["sheet", "theme", "sub_theme", "n_notes", "denominator"])
    df["pct"] = 100 * df["n_notes"] / df["denominator"]
    return df


def focus_groups() -> pd.DataFrame:
    rows = [
        ("Content of training", "", 9, 4, 0, 13, 2),
        ("Content of training", "Awareness of liaison and diversion", 5, 1, 0, 6, 2),
        ("Content of training", "Attitudinal change", 4, 3, 0, 7, 2),
        ("Constraints", "", 2, 6, 3, 11, 3),
        ("Constraints", "Staff release", 2, 6, 3, 11, 3),
        ("Networking", "", 1, 0, 2, 3, 2),
    ]
    return pd.DataFrame(rows, columns=["theme", "sub_theme", "Focus group 1", "Focus group 2", "Focus group 3", "total", "n_groups"])


@pytest.fixture(scope="module")
def ripls_tables(ripls):
    return upstream_tables(ripls)


@pytest.fixture(scope="module")
def all_figures(ripls, ripls_tables):
    items, subs = ripls_tables
    return {
        "likert": figures_questionnaire.likert_items(items, ripls),
        "distributions": figures_questionnaire.subscale_distributions(subs, ripls, by="org_type", by_label="Organisation type"),
        "flipchart": figures_themes.flipchart_themes(table4()),
        "heatmap": figures_themes.focus_group_heatmap(focus_groups()),
    }


def drawn(fig):
    """The figure after a draw (tick labels are only final then)."""
    plotting.render(fig)
    return fig


def svg_texts(svg: bytes) -> set[str]:
    root = ET.fromstring(svg)
    return {"".join(t.itertext()) for t in root.iter(f"{SVG_NS}text")}


def brewer_puor() -> set[tuple]:
    """The colours of ColorBrewer PuOr over its 3- to 11-class schemes (colorbrewer2.org)."""
    hexes = "f1a340 998ec3 e66101 fdb863 b2abd2 5e3c99 b35806 fee0b6 d8daeb 542788 e08214 8073ac 7f3b08 2d004b f7f7f7"
    eleven = {rgb(c) for c in matplotlib.colormaps["PuOr"](np.linspace(0, 1, 11))}  # matplotlib's PuOr is the 11-class scheme
    return {rgb("#" + h) for h in hexes.split()} | eleven


def rgb(colour) -> tuple:
    return tuple(round(c, 3) for c in matplotlib.colors.to_rgb(colour))


def segments(fig, item: int) -> dict[str, Rectangle]:
    """The bar segments of one item, by label slug (from their gids)."""
    prefix = f"item_{item:02d}-"
    return {p.get_gid()[len(prefix) :]: p for ax in fig.axes for p in ax.patches if (p.get_gid() or "").startswith(prefix)}


# --------------------------------------------------------------------------- diverging geometry
def test_layout_odd_scale_is_centred_on_the_neutral_label():
    labels = ["SA", "A", "N", "D", "SD"]
    lay = figures_questionnaire.likert_layout([10, 20, 10, 5, 5], labels).set_index("label")
    # pct 20, 40, 20, 10, 10: disagreement 20 + half the neutral 10 lies left of zero
    assert lay.loc["SD", "left"] == pytest.approx(-30)
    assert lay["width"].sum() == pytest.approx(100)
    assert lay.loc["N", "left"] == pytest.approx(-10)
    assert lay.loc["N", "right"] == pytest.approx(10)
    assert lay.loc["SA", "right"] == pytest.approx(70)
    # segments touch, from the most disagreeing label rightwards
    order = lay.loc[labels[::-1]]
    assert np.allclose(order["left"].to_numpy()[1:], order["right"].to_numpy()[:-1])


def test_layout_even_scale_is_centred_between_the_middle_labels():
    labels = ["Very ready", "Ready", "Not ready", "Not at all ready"]
    counts = {"Very ready": 3, "Ready": 1, "Not ready": 2, "Not at all ready": 4}
    lay = figures_questionnaire.likert_layout(counts, labels).set_index("label")
    assert lay.loc["Not at all ready", "left"] == pytest.approx(-60)
    assert lay.loc["Not ready", "right"] == pytest.approx(0)
    assert lay.loc["Ready", "left"] == pytest.approx(0)
    assert lay["width"].sum() == pytest.approx(100)


def test_layout_of_an_unanswered_item_is_empty_not_nan():
    lay = figures_questionnaire.likert_layout([0, 0, 0], ["a", "b", "c"])
    assert lay[["pct", "left", "width"]].eq(0).all().all()
    with pytest.raises(ValueError):
        figures_questionnaire.likert_layout([1, 2], ["a", "b", "c"])


def test_likert_bars_have_the_computed_extents(ripls):
    # item 2: 10 SA, 20 A, 10 N, 5 D, 5 SD of 50 answered
    fig = figures_questionnaire.likert_items(hand_items(ripls, {2: [10, 20, 10, 5, 5]}), ripls)
    seg = segments(fig, 2)
    assert set(seg) == {label_slug(lab) for lab in ripls.labels}
    assert seg["strongly_disagree"].get_x() == pytest.approx(-30)
    assert min(p.get_x() for p in seg.values()) == pytest.approx(-(10 + 10 + 20 / 2))
    assert sum(p.get_width() for p in seg.values()) == pytest.approx(100)
    assert seg["neither_agree_nor_disagree"].get_x() == pytest.approx(-10)
    assert seg["strongly_agree"].get_x() + seg["strongly_agree"].get_width() == pytest.approx(70)
    # the percentages written in the bars: all five segments are >= 5 % wide
    texts = {t.get_text() for ax in fig.axes for t in ax.texts}
    assert {"20", "40", "10"} <= texts
    # every scored item is drawn, and n is shown per item
    drawn_items = {int(p.get_gid()[5:7]) for ax in fig.axes for p in ax.patches if p.get_gid()}
    assert drawn_items == {it.number for it in ripls.scored_items}
    assert "n = 50" in texts


def test_likert_frame_matches_the_layout(ripls, ripls_tables):
    items, _ = ripls_tables
    frame = figures_questionnaire.likert_frame(items, ripls)
    assert list(frame["item"].unique()) == [it.number for it in ripls.scored_items]
    assert frame.groupby("item")["width"].sum().round(9).eq(100).all()
    stats = items.set_index("item")
    for num, part in frame.groupby("item"):
        assert part["count"].sum() == stats.loc[num, "n"]
        lay = figures_questionnaire.likert_layout(part["count"].tolist(), ripls.labels)
        assert np.allclose(part["left"], lay["left"])


def test_four_label_instrument_works(four_point):
    items = hand_items(four_point, {1: [3, 1, 2, 4]})
    fig = figures_questionnaire.likert_items(items, four_point)
    seg = segments(fig, 1)
    assert seg["not_at_all_ready"].get_x() == pytest.approx(-60)
    assert seg["ready"].get_x() == pytest.approx(0)  # no segment straddles zero
    assert 5 not in {int(p.get_gid()[5:7]) for ax in fig.axes for p in ax.patches if p.get_gid()}  # unscored item left out
    svg = plotting.render(fig)["svg"]
    assert set(four_point.labels) <= svg_texts(svg)
    # the whole pipeline of figures runs on it too
    items2, subs = upstream_tables(four_point, 12)
    plotting.render(figures_questionnaire.likert_items(items2, four_point))
    plotting.render(figures_questionnaire.subscale_distributions(subs, four_point))


def test_likert_legend_and_colours_follow_the_scale(ripls, all_figures):
    fig = all_figures["likert"]
    palette = plotting.likert_palette(len(ripls.labels))
    legend = fig.legends[0]
    assert [t.get_text() for t in legend.get_texts()] == list(ripls.labels)
    assert [rgb(h.get_facecolor()) for h in legend.legend_handles] == [rgb(c) for c in palette]
    by_label = dict(zip(map(label_slug, ripls.labels), palette, strict=True))
    for ax in fig.axes:
        for p in ax.patches:
            if p.get_gid():
                assert rgb(p.get_facecolor()) == rgb(by_label[p.get_gid()[8:]])


@pytest.mark.parametrize("n", range(2, 14))
def test_likert_palette_is_diverging_with_a_grey_neutral(n):
    pal = plotting.likert_palette(n)
    assert len(pal) == n == len(set(pal))
    if n % 2:
        assert pal[n // 2] == plotting.NEUTRAL_COLOUR
    # agreement (first labels) purple-ish: more blue than red; disagreement orange: more red than blue
    r0, _, b0 = matplotlib.colors.to_rgb(pal[0])
    r1, _, b1 = matplotlib.colors.to_rgb(pal[-1])
    assert b0 > r0 and r1 > b1


# --------------------------------------------------------------------------- the other figures
def test_distributions_state_n_range_and_excluded_nonresponse(ripls, ripls_tables, all_figures):
    _, subs = ripls_tables
    fig = drawn(all_figures["distributions"])
    for ax, sub in zip(fig.axes, ripls.subscales, strict=True):
        scored = subs[sub.id].notna()
        ticks = [t.get_text() for t in ax.get_xticklabels()]
        assert ticks[0] == f"All\nn = {int(scored.sum())}"
        assert ticks[1:] == [f"{lev}\nn = {int((scored & subs['org_type'].eq(lev)).sum())}" for lev in ["CJS", "MHS"]]
        lo, hi = ripls.possible_range(sub.id)
        assert f"{lo:g} to {hi:g}" in ax.get_ylabel()
        ylo, yhi = ax.get_ylim()
        assert ylo < lo and yhi > hi
        excluded = int((scored & subs["org_type"].isna()).sum())
        assert excluded >= 1
        assert f"{excluded} scored with no organisation type answer" in ax.get_xlabel()
        assert f"n = {int(scored.sum())}" in ax.get_title()
        # one dot per scored respondent in "All"
        dots = [c for c in ax.collections if isinstance(c, PathCollection) and len(c.get_offsets()) > 1]
        assert len(dots[0].get_offsets()) == int(scored.sum())


def test_distributions_take_level_order_and_label(ripls, ripls_tables):
    _, subs = ripls_tables
    fig = drawn(
        figures_questionnaire.subscale_distributions(subs, ripls, by="org_type", by_label="Professional mix", levels=["MHS", "CJS"])
    )
    ticks = [t.get_text().split("\n")[0] for t in fig.axes[0].get_xticklabels()]
    assert ticks == ["All", "MHS", "CJS"]
    assert fig.axes[0].get_xlabel().startswith("Professional mix")
    assert "by professional mix" in fig.get_suptitle()


def test_distributions_without_a_grouping_show_all_respondents_only(ripls, ripls_tables):
    _, subs = ripls_tables
    fig = drawn(figures_questionnaire.subscale_distributions(subs, ripls))
    assert [t.get_text().split("\n")[0] for t in fig.axes[0].get_xticklabels()] == ["All"]
    assert fig.get_suptitle() == f"Subscale scores, all respondents (n = {len(subs)} respondents)"


def test_figures_of_synthetic_data_say_so(ripls, ripls_tables, tmp_path):
    items, _ = ripls_tables
    fig = figures_questionnaire.likert_items(items, ripls)
    plotting.save(fig, tmp_path / "a.png", tmp_path / "a.svg", synthetic=True)
    assert plotting.SYNTHETIC_MARK in (tmp_path / "a.svg").read_text(encoding="utf-8")
    plotting.save(figures_questionnaire.likert_items(items, ripls), tmp_path / "b.png", tmp_path / "b.svg")
    assert plotting.SYNTHETIC_MARK not in (tmp_path / "b.svg").read_text(encoding="utf-8")


def test_flipchart_shows_theme_rows_with_no_theme_last_in_grey(all_figures):
    fig = drawn(all_figures["flipchart"])
    exp, obs = fig.axes[:2]
    assert [t.get_text() for t in exp.get_yticklabels()] == [
        "Network and build relationships",
        "Increase knowledge",
        "Share good practice",
        "(no theme)",
    ]
    assert [t.get_text() for t in obs.get_yticklabels()][-1] == "(no theme)"
    for ax in (exp, obs):
        bars = ax.patches
        assert rgb(bars[-1].get_facecolor()) == rgb(plotting.NO_THEME_COLOUR)
        assert all(rgb(b.get_facecolor()) != rgb(plotting.NO_THEME_COLOUR) for b in bars[:-1])
    assert exp.patches[0].get_width() == pytest.approx(32)
    assert "24/75 (32%)" in {t.get_text() for t in exp.texts}
    assert "n = 75 notes" in exp.get_title(loc="left") and "n = 62 notes" in obs.get_title(loc="left")
    assert "n = 137 notes" in fig.get_suptitle()


def test_heatmap_rows_are_sub_themes_grouped_by_theme(all_figures):
    fig = drawn(all_figures["heatmap"])
    ax = fig.axes[0]
    rows = [t.get_text().rsplit(" (n = ", 1)[0] for t in ax.get_yticklabels()]
    assert rows == ["Awareness of liaison and diversion", "Attitudinal change", "Staff release", "(whole theme)"]
    mesh = next(c for c in ax.collections if isinstance(c, QuadMesh))
    assert mesh.get_cmap().name == plotting.HEATMAP_CMAP
    assert np.asarray(mesh.get_array()).reshape(4, 3).tolist() == [[5, 1, 0], [4, 3, 0], [2, 6, 3], [1, 0, 2]]
    assert sorted(t.get_text() for t in ax.texts) == sorted(str(v) for v in [5, 1, 0, 4, 3, 0, 2, 6, 3, 1, 0, 2])
    theme_axis = ax.child_axes[0]
    assert [t.get_text() for t in theme_axis.get_yticklabels()] == ["Content of training", "Constraints", "Networking"]
    colourbar = fig.axes[1]
    assert colourbar.get_xlabel() == "Coded segments (count)"


# --------------------------------------------------------------------------- every figure
def test_no_visible_axis_is_unlabelled(all_figures):
    for name, fig in all_figures.items():
        drawn(fig)
        for ax in [*fig.axes, *(c for a in fig.axes for c in a.child_axes)]:
            if not ax.axison:
                continue
            for axis, label in ((ax.xaxis, ax.get_xlabel()), (ax.yaxis, ax.get_ylabel())):
                shows_ticks = axis.get_visible() and any(t.get_visible() and t.get_text() for t in axis.get_ticklabels())
                if shows_ticks:
                    assert label.strip(), f"{name}: an axis with tick labels has no label"
        assert fig.get_suptitle().strip() and "n = " in fig.get_suptitle(), name


def test_colours_come_from_the_declared_palettes(all_figures):
    okabe = {rgb(c) for c in plotting.OKABE_ITO.values()}
    dist = all_figures["distributions"]
    for ax in dist.axes:
        for coll in ax.collections:
            assert {rgb(c) for c in coll.get_facecolor()} <= okabe
        for p in ax.patches:
            assert rgb(p.get_facecolor()) in okabe
    flip = all_figures["flipchart"]
    assert {rgb(p.get_facecolor()) for ax in flip.axes for p in ax.patches} <= okabe
    assert rgb(plotting.NO_THEME_COLOUR) == rgb(plotting.OKABE_ITO["grey"])
    # the Likert palette is ColorBrewer PuOr with a grey neutral
    for n in range(2, 12):
        assert {rgb(c) for c in plotting.likert_palette(n) if c != plotting.NEUTRAL_COLOUR} <= brewer_puor(), n


def test_rendered_files_carry_no_software_or_date_stamp(ripls, ripls_tables):
    """(That rendering is deterministic, in this process and another, is
    test_main_writes_every_figure_identically_in_another_process.)"""
    items, subs = ripls_tables
    builders = [
        lambda: figures_questionnaire.likert_items(items, ripls),
        lambda: figures_questionnaire.subscale_distributions(subs, ripls),
        lambda: figures_themes.flipchart_themes(table4()),
        lambda: figures_themes.focus_group_heatmap(focus_groups()),
    ]
    for build in builders:
        a = plotting.render(build())
        assert a["png"].startswith(b"\x89PNG")
        assert b"Software" not in a["png"] and b"matplotlib" not in a["png"].lower()
        assert b"<dc:date>" not in a["svg"] and b"Matplotlib v" not in a["svg"]


def test_svg_keeps_labels_and_response_labels_as_text(ripls, all_figures):
    for name, fig in all_figures.items():
        texts = svg_texts(plotting.render(fig)["svg"])
        for ax in fig.axes:
            for label in (ax.get_xlabel(), ax.get_ylabel(), ax.get_title(loc="left"), ax.get_title()):
                for line in filter(None, label.split("\n")):
                    assert line in texts, f"{name}: {line!r} is not text in the SVG"
        if name == "likert":
            assert set(ripls.labels) <= texts


def test_fonts_are_matplotlibs_bundled_dejavu():
    from matplotlib.font_manager import FontProperties, findfont

    data = Path(matplotlib.get_data_path()).resolve()
    with matplotlib.rc_context(plotting.RC):
        for weight in ("normal", "bold"):
            path = Path(findfont(FontProperties(family=plotting.RC["font.family"], weight=weight), fallback_to_default=False))
            assert data in path.resolve().parents, path


# --------------------------------------------------------------------------- rule entry
def write_inputs(tmp_path: Path, instrument_path: Path = RIPLS) -> dict[str, str]:
    instrument = load_instrument(instrument_path)
    items, subs = upstream_tables(instrument)
    paths = {
        "item_statistics": tmp_path / "item_statistics.csv",
        "subscale_scores": tmp_path / "subscale_scores.csv",
        "table4": tmp_path / "table4_flipchart_themes.csv",
        "focus_groups": tmp_path / "focus_group_themes.csv",
    }
    items.to_csv(paths["item_statistics"], index=False)
    subs.to_csv(paths["subscale_scores"], index=False)
    table4().to_csv(paths["table4"], index=False)
    focus_groups().to_csv(paths["focus_groups"], index=False)
    return {**{k: str(v) for k, v in paths.items()}, "instrument": str(instrument_path)}


OUTPUT_NAMES = [f"{fig}_{ext}" for fig in ("likert", "distributions", "flipchart", "heatmap") for ext in ("png", "svg")]


SHEET_TITLES = {"expectation": "Expectations", "obstacle": "Obstacles"}


def run_mains(inputs: dict, outputs: dict) -> None:
    """Both figure rules' ``main``, each with its own inputs and outputs."""
    import figures_questionnaire
    import figures_themes

    q = {k: v for k, v in outputs.items() if k.split("_")[0] in ("likert", "distributions")}
    t = {k: v for k, v in outputs.items() if k not in q}
    figures_questionnaire.main(MockSnakemake(input=inputs, output=q))
    figures_themes.main(MockSnakemake(input=inputs, output=t, params={"sheet_titles": SHEET_TITLES}))


_SUBPROCESS = """
import json, sys
sys.path.insert(0, {scripts!r})
sys.path.insert(0, {tests!r})
from test_figures import run_mains
run_mains(json.loads(sys.argv[1]), json.loads(sys.argv[2]))
"""


def test_main_writes_every_figure_identically_in_another_process(tmp_path):
    """main() writes all eight files; a fresh interpreter (other hash seed, backend) writes the same bytes."""
    inputs = write_inputs(tmp_path)
    runs = [{name: str(tmp_path / f"run{run}" / f"{name}.{name.rsplit('_', 1)[1]}") for name in OUTPUT_NAMES} for run in (0, 1)]
    run_mains(inputs, runs[0])
    for name, path in runs[0].items():
        data = Path(path).read_bytes()
        if name.endswith("png"):
            assert data.startswith(b"\x89PNG\r\n\x1a\n")
        else:
            ET.fromstring(data)
    assert sorted(p.name for p in (tmp_path / "run0").iterdir()) == sorted(Path(p).name for p in runs[0].values())  # no temp files
    env = {**os.environ, "PYTHONHASHSEED": "12345", "MPLBACKEND": "svg"}
    code = _SUBPROCESS.format(scripts=str(ROOT / "scripts"), tests=str(ROOT / "tests"))
    subprocess.run(
        [sys.executable, "-c", code, json.dumps(inputs), json.dumps(runs[1])], capture_output=True, text=True, env=env, check=True
    )
    for name in OUTPUT_NAMES:
        assert Path(runs[0][name]).read_bytes() == Path(runs[1][name]).read_bytes(), name


@pytest.mark.parametrize("script", ["figures_questionnaire", "figures_themes"])
def test_stage_module_has_no_future_import(script):
    # Snakemake inserts a preamble at the top of a stage script; a __future__ import would then be a SyntaxError
    source = (ROOT / "scripts" / f"{script}.py").read_text(encoding="utf-8")
    assert "from __future__" not in source
    assert source.rstrip().splitlines()[-1].lstrip().startswith("run_rule(snakemake, ")
