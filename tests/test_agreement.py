"""Intercoder agreement (scripts/agreement.py), checked by hand, against R and against the libraries.

References:

* Worked by hand below (comments show each step).
* R: tests/reference/r_reference_agreement.json, written by tests/reference/make_reference_agreement.R
  (psych::cohen.kappa; Krippendorff's alpha written out after Krippendorff 2011 and checked there on
  the paper's own example). R is not needed to run these tests.
* The ``krippendorff`` package (``krippendorff.alpha``, nominal) and statsmodels' ``cohens_kappa``,
  on seeded random presence tables, with and without missing values and run-length weights.
"""

from __future__ import annotations

import json
import math
import random
import time
import warnings
from itertools import combinations
from pathlib import Path

import krippendorff
import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.inter_rater import cohens_kappa

import agreement as ag
from errors import InputError

REF_FILE = Path(__file__).resolve().parent / "reference" / "r_reference_agreement.json"
NA = math.nan
AB = ["Coder A", "Coder B"]


def _decode(value):
    if isinstance(value, dict):
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if value in ("NA", "NaN"):
        return math.nan
    return value


R = _decode(json.loads(REF_FILE.read_text(encoding="utf-8")))

# The hand-worked sets, as sent to R (coders x units; NaN = the coder did not code the unit).
HAND_10x2 = [
    [1, 1, 0, 0, 1, 0, 1, 0, 0, 0],
    [1, 0, 0, 0, 1, 1, 1, 0, 0, 0],
]
HAND_5x3 = [
    [1, 1, 0, 1, NA],
    [1, 0, 0, 1, 0],
    [1, NA, 0, 0, NA],
]


def stats_of(data, weights=None) -> dict:
    """Statistics of a coders x units matrix (the R layout)."""
    return ag.agreement_statistics(ag.tally(np.asarray(data, dtype=float).T, weights))


def package_alpha(reliability_data) -> float:
    """krippendorff.alpha, nominal; NaN where the package refuses (no variation / nothing pairable)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return float(krippendorff.alpha(reliability_data=np.asarray(reliability_data, dtype=float), level_of_measurement="nominal"))
    except ValueError:
        return math.nan


def same(a: float, b: float, tol: float = 1e-12) -> bool:
    return (math.isnan(a) and math.isnan(b)) or abs(a - b) <= tol


def segs(rows) -> pd.DataFrame:
    """Segments from (source, code_path, start, end, coder[, group]) tuples."""
    out = []
    for r in rows:
        source, code, start, end, coder = r[:5]
        group = r[5] if len(r) > 5 else "focus_group"
        out.append({"source": source, "group": group, "code_path": code, "start": start, "end": end, "coder": coder})
    return pd.DataFrame(out, columns=["source", "group", "code_path", "start", "end", "coder"])


# --------------------------------------------------------------------------- hand-worked
def test_r_copies_of_the_hand_sets_match():
    assert _nan_eq(R["sets"]["hand_10x2"]["data"], HAND_10x2)
    assert _nan_eq(R["sets"]["hand_5x3"]["data"], HAND_5x3)
    # The R alpha function reproduces Krippendorff's (2011) published nominal example, 0.743.
    assert round(R["kalpha_check"]["computed"], 3) == R["kalpha_check"]["published"] == 0.743
    assert same(package_alpha(R["kalpha_check"]["data"]), R["kalpha_check"]["computed"])


def _nan_eq(a, b) -> bool:
    return np.array_equal(np.asarray(a, dtype=float), np.asarray(b, dtype=float), equal_nan=True)


def test_hand_two_coders():
    # 10 units, 2 coders, no missing values.
    #   A: 1 1 0 0 1 0 1 0 0 0
    #   B: 1 0 0 0 1 1 1 0 0 0
    # 2x2 table: both present = units 1,5,7 -> 3; A only = unit 2 -> 1; B only = unit 6 -> 1; both absent -> 5.
    # Percent agreement: (3 + 5) / 10 = 80 %.
    # Cohen: p_o = 0.8; A present 4/10, B present 4/10; p_e = 0.4*0.4 + 0.6*0.6 = 0.52;
    #        kappa = (0.8 - 0.52) / (1 - 0.52) = 0.28 / 0.48 = 7/12 = 0.58333.
    # Krippendorff: each unit has m = 2 values and adds its 2 ordered pairs with weight 1/(m-1) = 1:
    #        o_11 = 3 units * 2 = 6; o_00 = 5 * 2 = 10; o_01 = o_10 = 2 disagreeing units * 1 = 2;
    #        n_1 = o_11 + o_10 = 8, n_0 = o_00 + o_01 = 12, n = 20;
    #        alpha = 1 - (n - 1) * o_01 / (n_0 * n_1) = 1 - 19 * 2 / 96 = 58/96 = 0.604167.
    s = stats_of(HAND_10x2)
    assert (s["n_both_present"], s["n_only_first"], s["n_only_second"], s["n_both_absent"]) == (3, 1, 1, 5)
    assert s["n_units"] == s["n_units_pairable"] == 10 and s["n_values"] == 20
    assert s["n_present_by_coder"] == "4 | 4" and s["n_missing_by_coder"] == "0 | 0"
    assert (s["n_agree_present"], s["n_agree_absent"], s["n_disagree"]) == (3, 5, 2)
    assert s["pct_agreement"] == s["pct_agreement_pairwise"] == pytest.approx(80.0, abs=1e-12)
    assert s["cohen_kappa"] == pytest.approx(7 / 12, abs=1e-12)
    assert (s["o_absent_absent"], s["o_absent_present"], s["o_present_present"]) == (10, 2, 6)
    assert s["krippendorff_alpha"] == pytest.approx(58 / 96, abs=1e-12)
    assert s["alpha_threshold"] == "<0.667" and s["note"] == ""


def test_hand_three_coders_with_missing():
    # 5 units, 3 coders (NaN: the coder did not code the unit).
    #   u1: 1 1 1    m=3 values, k=3 present   -> all agree
    #   u2: 1 0 -    m=2, k=1                  -> disagree
    #   u3: 0 0 0    m=3, k=0                  -> all agree
    #   u4: 1 1 0    m=3, k=2                  -> disagree
    #   u5: - 0 -    m=1: not pairable, counts nowhere
    # Percent agreement (all who coded agree): 2 of 4 pairable units = 50 %.
    # Pairwise: A-B on u1-u4 agree 3/4; A-C on u1,u3,u4 agree 2/3; B-C on u1,u3,u4 agree 2/3;
    #           mean = (75 + 66.667 + 66.667) / 3 = 69.444 %.
    # Coincidences, each unit adding (pairs of values) / (m - 1):
    #   o_11 = u1 3*2/2 + u4 2*1/2 = 3 + 1 = 4
    #   o_00 = u3 3*2/2 = 3   (u2 and u4 have a single absent value: 1*0)
    #   o_01 = u2 1*1/1 + u4 2*1/2 = 1 + 1 = 2
    #   n_0 = 3 + 2 = 5, n_1 = 4 + 2 = 6, n = 11 (= 3 + 2 + 3 + 3 values)
    #   alpha = 1 - 10 * 2 / (5 * 6) = 1/3.
    s = stats_of(HAND_5x3)
    assert s["n_units"] == 5 and s["n_units_pairable"] == 4 and s["n_values"] == 11
    assert s["n_present_by_coder"] == "3 | 2 | 1" and s["n_missing_by_coder"] == "1 | 0 | 2"
    assert (s["n_agree_present"], s["n_agree_absent"], s["n_disagree"]) == (1, 1, 2)
    assert s["pct_agreement"] == pytest.approx(50.0, abs=1e-12)
    assert s["pct_agreement_pairwise"] == pytest.approx((75 + 200 / 3 + 200 / 3) / 3, abs=1e-12)
    assert (s["o_absent_absent"], s["o_absent_present"], s["o_present_present"]) == (3, 2, 4)
    assert s["krippendorff_alpha"] == pytest.approx(1 / 3, abs=1e-12)
    assert math.isnan(s["cohen_kappa"]) and s["n_both_present"] is None  # kappa is for two coders


# --------------------------------------------------------------------------- against R and the libraries
@pytest.mark.parametrize("name", sorted(R["sets"]))
def test_against_r(name):
    ref = R["sets"][name]
    s = stats_of(ref["data"])
    assert same(s["krippendorff_alpha"], ref["krippendorff_alpha"])
    assert same(s["pct_agreement"], ref["pct_agreement"], 1e-10)
    assert same(s["pct_agreement_pairwise"], ref["pct_agreement_pairwise"], 1e-10)
    if "cohen_kappa" in ref:
        assert same(s["cohen_kappa"], ref["cohen_kappa"])
    assert same(s["krippendorff_alpha"], package_alpha(ref["data"]))


def _random_tables(seed: int, count: int):
    """Seeded random presence tables: (coders x units data with NaN, run weights)."""
    rng = np.random.default_rng(seed)
    for _ in range(count):
        coders, units = int(rng.integers(2, 7)), int(rng.integers(1, 60))
        truth = rng.random(units) < rng.uniform(0.0, 0.6)
        data = (truth[None, :] ^ (rng.random((coders, units)) < rng.uniform(0.0, 0.4))).astype(float)
        data[rng.random((coders, units)) < rng.choice([0.0, 0.1, 0.4])] = np.nan
        weights = rng.integers(1, 5, size=units) if rng.random() < 0.5 else np.ones(units, dtype=np.int64)
        yield data, weights


def test_alpha_equals_krippendorff_package_on_random_tables():
    """Weighted rows (character runs) give the alpha of the expanded table; largest deviation ~1e-15."""
    worst, defined = 0.0, 0
    for data, weights in _random_tables(seed=11, count=400):
        ours = stats_of(data, weights)["krippendorff_alpha"]
        theirs = package_alpha(np.repeat(data, weights, axis=1))
        assert same(ours, theirs), (data, weights)
        if not math.isnan(theirs):
            defined += 1
            worst = max(worst, abs(ours - theirs))
    assert defined > 300 and worst < 1e-12


def test_kappa_equals_statsmodels_and_the_formula():
    rng = np.random.default_rng(7)
    for _ in range(300):
        units = int(rng.integers(2, 80))
        a = (rng.random(units) < rng.uniform(0.05, 0.9)).astype(float)
        b = np.where(rng.random(units) < rng.uniform(0, 0.5), 1 - a, a)
        b[rng.random(units) < 0.1] = np.nan
        weights = rng.integers(1, 4, size=units)
        s = stats_of([a, b], weights)
        both = ~np.isnan(b)
        ea, eb = np.repeat(a[both], weights[both]), np.repeat(b[both], weights[both])
        p_o = np.mean(ea == eb)
        p_e = ea.mean() * eb.mean() + (1 - ea.mean()) * (1 - eb.mean())
        if p_e == 1:
            assert math.isnan(s["cohen_kappa"]) and "kappa undefined" in s["note"]
            continue
        table = np.array(
            [[np.sum((ea == 0) & (eb == 0)), np.sum((ea == 0) & (eb == 1))], [np.sum((ea == 1) & (eb == 0)), np.sum((ea == 1) & (eb == 1))]]
        )
        assert s["cohen_kappa"] == pytest.approx((p_o - p_e) / (1 - p_e), abs=1e-12)
        assert s["cohen_kappa"] == pytest.approx(cohens_kappa(table, return_results=False), abs=1e-12)
        assert (s["n_both_absent"], s["n_only_second"], s["n_only_first"], s["n_both_present"]) == tuple(table.ravel())


def test_two_coder_alpha_is_scotts_pi_corrected_for_sample_size():
    """Two coders, no missing values, n = 2N values: alpha = pi + (1 - pi) / n (Krippendorff 2004,
    sec. 11.3: alpha = 1 - (n - 1)/n * (1 - pi)), with pi from pooled proportions."""
    rng = np.random.default_rng(3)
    for _ in range(100):
        units = int(rng.integers(3, 50))
        a = (rng.random(units) < 0.4).astype(float)
        b = np.where(rng.random(units) < 0.2, 1 - a, a)
        p1 = (a.sum() + b.sum()) / (2 * units)
        if p1 in (0, 1):
            continue
        p_o = np.mean(a == b)
        p_e = p1**2 + (1 - p1) ** 2
        pi = (p_o - p_e) / (1 - p_e)
        assert stats_of([a, b])["krippendorff_alpha"] == pytest.approx(pi + (1 - pi) / (2 * units), abs=1e-12)


def test_pairwise_and_all_agree_percentages_on_random_tables():
    for data, weights in _random_tables(seed=5, count=200):
        s = stats_of(data, weights)
        x = np.repeat(data, weights, axis=1)
        observed = ~np.isnan(x)
        pairable = observed.sum(axis=0) >= 2
        agree = [len(set(x[observed[:, u], u])) == 1 for u in np.flatnonzero(pairable)]
        assert same(s["pct_agreement"], 100 * np.mean(agree) if agree else NA, 1e-10)
        pcts = []
        for i, j in combinations(range(len(x)), 2):
            both = observed[i] & observed[j]
            if both.any():
                pcts.append(100 * np.mean(x[i, both] == x[j, both]))
        assert same(s["pct_agreement_pairwise"], float(np.mean(pcts)) if pcts else NA, 1e-10)
        if len(x) == 2:
            assert same(s["pct_agreement"], s["pct_agreement_pairwise"], 1e-10)


# --------------------------------------------------------------------------- undefined values and thresholds
@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ([[0, 0, 0, 0], [0, 0, 0, 0]], "no coder applied the code"),
        ([[0, 0, 0], [0, 0, 0], [0, NA, 0]], "no coder applied the code"),
        ([[1, 1, 1], [1, 1, 1]], "every coder applied the code to every unit"),
        ([[1, NA, 0], [NA, 1, NA]], "no unit was coded by two or more coders"),
        ([[1, 0], [NA, NA]], "no unit was coded by two or more coders"),
    ],
)
def test_alpha_undefined_without_variation_is_nan_with_a_reason_and_no_warning(data, reason):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = stats_of(data)
    assert math.isnan(s["krippendorff_alpha"]) and math.isnan(package_alpha(data))
    assert reason in s["note"] and s["alpha_threshold"] == "undefined"
    if len(data) == 2:
        assert math.isnan(s["cohen_kappa"]) and "kappa undefined" in s["note"]


def test_threshold_labels():
    assert ag.threshold_label(0.95) == ">=0.8"
    assert ag.threshold_label(0.8) == ">=0.8"
    assert ag.threshold_label(0.8 - 1e-15) == ">=0.8"  # prints as 0.8
    assert ag.threshold_label(0.7999) == ">=0.667"
    assert ag.threshold_label(0.667) == ">=0.667"
    assert ag.threshold_label(0.6669) == "<0.667"
    assert ag.threshold_label(-0.2) == "<0.667"
    assert ag.threshold_label(NA) == "undefined"
    assert ag.threshold_label(0.75, (0.7,)) == ">=0.7"


# --------------------------------------------------------------------------- units
TRANSCRIPT = "Ann: We met.\nBob: Twice,\nthen again.\nAnn: Good.\n"
#             0123456789012 3456789012345678901234 56789012345 6
#  turns: [0, 13) "Ann: We met.\n", [13, 37) "Bob: Twice,\nthen again.\n", [37, 48) "Ann: Good.\n"


def test_utterance_units_are_speaker_turns():
    assert ag.unit_spans(TRANSCRIPT, "utterance").tolist() == [[0, 13], [13, 37], [37, 48]]
    # Text before the first turn is its own unit; a blank preamble is not a unit.
    assert ag.unit_spans("Notes\n" + TRANSCRIPT, "utterance").tolist() == [[0, 6], [6, 19], [19, 43], [43, 54]]
    assert ag.unit_spans("\n\n" + TRANSCRIPT, "utterance").tolist() == [[2, 15], [15, 39], [39, 50]]
    assert ag.unit_spans("no turn at all", "utterance").tolist() == [[0, 14]]
    assert ag.unit_spans("", "utterance").shape == (0, 2)
    # The configured pattern: a "Name:" inside a line does not start a turn.
    assert ag.unit_spans("Ann: note: this\nBob: ok\n", "utterance").tolist() == [[0, 16], [16, 24]]


def test_paragraph_and_document_units():
    text = "First line\n\n  \nSecond\nthird 😀\n"
    assert ag.unit_spans(text, "paragraph").tolist() == [[0, 10], [15, 21], [22, 29]]
    assert ag.unit_spans(text, "document").tolist() == [[0, len(text)]]
    with pytest.raises(ValueError):
        ag.unit_spans(text, "character")


def test_a_segment_spanning_two_turns_counts_for_both_and_boundaries_are_exclusive():
    texts = {"FG": TRANSCRIPT}
    table = ag.presence_tables(
        segs(
            [
                ("FG", "X", 8, 20, "Coder A"),  # "met.\nBob: Tw": turns 1 and 2
                ("FG", "Y", 5, 13, "Coder A"),  # ends exactly where turn 2 starts: turn 1 only
                ("FG", "Y", 37, 40, "Coder B"),  # starts exactly where turn 3 starts: turn 3 only
                ("FG", "Z", 12, 14, "Coder B"),  # the last character of turn 1 and the first of turn 2
            ]
        ),
        texts,
        "utterance",
        AB,
    )
    assert table["X"][AB].to_numpy().tolist() == [[1, 0], [1, 0], [0, 0]]
    assert table["Y"][AB].to_numpy().tolist() == [[1, 0], [0, 0], [0, 1]]
    assert table["Z"][AB].to_numpy().tolist() == [[0, 1], [0, 1], [0, 0]]
    assert table["X"][["source", "start", "end", "n_units"]].to_numpy().tolist() == [["FG", 0, 13, 1], ["FG", 13, 37, 1], ["FG", 37, 48, 1]]


def test_character_units_are_code_points_not_utf16_units():
    text = "ab😀cd"  # 5 code points; 6 UTF-16 code units (NVivo on Windows would count 6)
    assert len(text) == 5 and len(text.encode("utf-16-le")) // 2 == 6
    table = ag.presence_tables(segs([("D", "X", 2, 3, "Coder A"), ("D", "X", 1, 3, "Coder B")]), {"D": text}, "character", AB)["X"]
    # Runs: "a" (0,0), "b" (0,1), "😀" (1,1), "cd" (0,0)
    assert table[["start", "end", "n_units", *AB]].to_numpy().tolist() == [
        [0, 1, 1, 0, 0],
        [1, 2, 1, 0, 1],
        [2, 3, 1, 1, 1],
        [3, 5, 2, 0, 0],
    ]
    s = ag.agreement_statistics(ag.table_tally(table, AB))
    # 5 character units: agree on "a", "😀", "c", "d"; disagree on "b" -> 80 %.
    assert s["n_units"] == 5 and s["pct_agreement"] == pytest.approx(80.0)
    assert s["n_present_by_coder"] == "1 | 2"


def test_nvivo_documented_example_over_characters():
    """NVivo's help ("Coding Comparison query", NVivo 10-12): a 1000-character document, 50 characters
    coded by both users, 150 by one only, 800 by neither -> percentage agreement (800 + 50) / 1000 = 85 %.
    Kappa by NVivo's formula K = (TA - sum EF) / (TC - sum EF), with the 150 split as A only 100, B only 50:
    EF1 = 150 * 100 / 1000 = 15, EF2 = 850 * 900 / 1000 = 765, sum EF = 780, TA = 850, TC = 1000,
    K = 70 / 220 = 0.31818."""
    text = "x" * 1000
    rows = [("D", "X", 0, 150, "Coder A"), ("D", "X", 100, 200, "Coder B")]  # both: 100-150 (50); A only 0-100; B only 150-200
    row = ag.agreement_table(segs(rows), {"D": text}, AB, unit_kinds={"focus_group": ["character"]}).iloc[0]
    assert (row["n_units"], row["n_both_present"], row["n_only_first"], row["n_only_second"], row["n_both_absent"]) == (
        1000,
        50,
        100,
        50,
        800,
    )
    assert row["pct_agreement"] == pytest.approx(85.0, abs=1e-12)
    assert row["cohen_kappa"] == pytest.approx(70 / 220, abs=1e-12)


def _brute_force(text: str, spans, segments: list[tuple[int, int, str]], coders, coded) -> np.ndarray:
    """Units x coders by checking every unit against every segment: a shared code point or none."""
    out = np.zeros((len(spans), len(coders)))
    for u, (a, b) in enumerate(spans):
        for j, c in enumerate(coders):
            out[u, j] = NA if not coded[c] else float(any(max(s, a) < min(e, b) for s, e, who in segments if who == c))
    return out


@pytest.mark.parametrize("kind", ag.UNIT_KINDS)
def test_presence_tables_equal_a_brute_force_count(kind):
    rng = random.Random(42)
    coders = ["A", "B", "C"]
    for trial in range(40):
        lines = [
            rng.choice(["Ann: ", "Bob: ", "", "  "]) + "".join(rng.choice("ab 😀é") for _ in range(rng.randint(0, 12)))
            for _ in range(rng.randint(1, 8))
        ]
        texts = {"D1": "\n".join(lines), "D2": "Ann: hi\n" * rng.randint(0, 3)}
        rows, per_doc = [], {"D1": [], "D2": []}
        coded = {c: {"D1", "D2"} - ({"D2"} if (c == "C" and trial % 3 == 0) else set()) for c in coders}
        for _ in range(rng.randint(0, 10)):
            doc = rng.choice(["D1", "D2"])
            if not texts[doc]:
                continue
            s = rng.randint(0, len(texts[doc]))
            e = rng.randint(s, len(texts[doc]))
            who = rng.choice([c for c in coders if doc in coded[c]])
            rows.append((doc, "X", s, e, who))
            per_doc[doc].append((s, e, who))
        tables = ag.presence_tables(segs(rows), texts, kind, coders, coded, codes=["X"])
        got = ag.reliability_matrix(tables["X"], coders).T
        expected = []
        for doc in ("D1", "D2"):
            text = texts[doc]
            spans = [(i, i + 1) for i in range(len(text))] if kind == "character" else ag.unit_spans(text, kind).tolist()
            expected.append(_brute_force(text, spans, per_doc[doc], coders, {c: doc in coded[c] for c in coders}))
        assert np.array_equal(got, np.concatenate(expected), equal_nan=True), (kind, trial)
        if kind == "character":
            assert tables["X"]["n_units"].sum() == sum(len(t) for t in texts.values())


# --------------------------------------------------------------------------- missing vs absent
def test_a_coder_who_did_not_code_a_document_is_missing_not_absent():
    # Six flip-chart notes, code X. Coder A coded all six; coder B applied X on N1, N2 and N4 and
    # applied nothing on N3; N5 and N6 are either "coded by B, nothing applied" or "not coded by B".
    #                  N1 N2 N3 N4 N5 N6
    #   A:              1  1  0  0  1  0
    #   B absent:       1  1  0  1  0  0
    #   B missing:      1  1  0  1  -  -
    # Missing: pairable N1-N4: o_11 = 2*2 = 4, o_00 = 2, o_01 = 1 (N4); n_0 = 3, n_1 = 5, n = 8;
    #          alpha = 1 - 7 * 1 / 15 = 8/15 = 0.5333.
    # Absent:  adds N5 (disagree: o_01 += 1) and N6 (agree absent: o_00 += 2): o_11 = 4, o_00 = 4,
    #          o_01 = 2; n_0 = 6, n_1 = 6, n = 12; alpha = 1 - 11 * 2 / 36 = 14/36 = 0.3889.
    notes = [f"N{i}" for i in range(1, 7)]
    texts = {n: f"note {n}" for n in notes}
    rows = [(n, "Expectations > X", 0, 4, "Coder A", "expectation") for n in ("N1", "N2", "N5")]
    rows += [(n, "Expectations > X", 0, 4, "Coder B", "expectation") for n in ("N1", "N2", "N4")]
    groups = dict.fromkeys(notes, "expectation")

    def alpha(coded_by_b):
        coded = {"Coder A": notes, "Coder B": coded_by_b}
        table = ag.agreement_table(segs(rows), texts, AB, coded_documents=coded, document_groups=groups)
        row = table.iloc[0]
        tables = ag.presence_tables(segs(rows), texts, "document", AB, coded)
        assert same(row["krippendorff_alpha"], package_alpha(ag.reliability_matrix(tables["Expectations > X"], AB)))
        return row

    absent, missing = alpha(notes), alpha(notes[:4])
    assert absent["krippendorff_alpha"] == pytest.approx(14 / 36, abs=1e-12)
    assert missing["krippendorff_alpha"] == pytest.approx(8 / 15, abs=1e-12)
    assert (absent["n_units"], absent["n_units_pairable"], absent["n_missing_by_coder"]) == (6, 6, "0 | 0")
    assert (missing["n_units"], missing["n_units_pairable"], missing["n_missing_by_coder"]) == (6, 4, "0 | 2")
    # The default (every coder coded every document any coder coded) knows only N1, N2, N4, N5:
    # N3 and N6 have no segment, so they must be named to count.
    default = ag.agreement_table(segs(rows), texts, AB).iloc[0]
    assert (default["n_documents"], default["n_units"]) == (4, 4)


def test_a_coder_with_no_codings_at_all_still_counts():
    rows = [("FG", "T", 0, 5, "Coder A")]
    table = ag.agreement_table(segs(rows), {"FG": TRANSCRIPT}, [*AB, "Coder C"], unit_kinds={"focus_group": ["utterance"]})
    row = table.iloc[0]
    assert (row["n_coders"], row["coders"], row["n_present_by_coder"], row["n_missing_by_coder"]) == (
        3,
        "Coder A | Coder B | Coder C",
        "1 | 0 | 0",
        "0 | 0 | 0",
    )
    # A coder named in coded_documents with an empty list coded nothing: all missing.
    table = ag.agreement_table(
        segs(rows), {"FG": TRANSCRIPT}, AB, coded_documents={"Coder A": ["FG"], "Coder B": []}, unit_kinds={"focus_group": ["utterance"]}
    )
    assert table.iloc[0]["n_missing_by_coder"] == "0 | 3" and math.isnan(table.iloc[0]["krippendorff_alpha"])


# --------------------------------------------------------------------------- the table
def _study():
    texts = {
        "E01": "More joint training",
        "E02": "Learn about court",
        "O01": "No time 😀",
        "Focus group 1": TRANSCRIPT,
        "Focus group 2": "Facilitator: Welcome.\nCat: Funding is short.\nDan: And time.\n",
    }
    rows = [
        ("E01", "Expectations > Training", 0, 5, "Coder A", "expectation"),
        ("E01", "Expectations > Training", 6, 11, "Coder B", "expectation"),
        ("E02", "Expectations > Knowledge", 0, 5, "Coder A", "expectation"),
        ("E02", "Expectations > Training", 0, 5, "Coder B", "expectation"),
        ("O01", "Obstacles > Time", 0, 7, "Coder A", "obstacle"),
        ("O01", "Obstacles > Time", 3, 9, "Coder B", "obstacle"),
        ("Focus group 1", "Focus-group themes > Contact > Meetings", 5, 12, "Coder A"),
        ("Focus group 1", "Focus-group themes > Contact > Meetings", 0, 20, "Coder B"),
        ("Focus group 1", "Focus-group themes > Contact > Phone", 18, 30, "Coder B"),
        ("Focus group 2", "Focus-group themes > Resources", 27, 43, "Coder A"),
        ("Focus group 2", "Focus-group themes > Resources", 22, 43, "Coder B"),
        ("Focus group 2", "Focus-group themes > Contact > Meetings", 50, 58, "Coder A"),
    ]
    return segs(rows), texts


def test_agreement_table_rows_columns_and_order():
    segments, texts = _study()
    table = ag.agreement_table(segments, texts, AB)
    assert list(table.columns) == ag.COLUMNS
    assert list(zip(table["group"], table["unit"], table["code_path"], strict=True)) == [
        ("expectation", "document", "Expectations > Knowledge"),
        ("expectation", "document", "Expectations > Training"),
        ("expectation", "document", ag.ALL_CODES),
        ("obstacle", "document", "Obstacles > Time"),
        ("obstacle", "document", ag.ALL_CODES),
        ("focus_group", "utterance", "Focus-group themes > Contact > Meetings"),
        ("focus_group", "utterance", "Focus-group themes > Contact > Phone"),
        ("focus_group", "utterance", "Focus-group themes > Resources"),
        ("focus_group", "utterance", ag.ALL_CODES),
        ("focus_group", "character", "Focus-group themes > Contact > Meetings"),
        ("focus_group", "character", "Focus-group themes > Contact > Phone"),
        ("focus_group", "character", "Focus-group themes > Resources"),
        ("focus_group", "character", ag.ALL_CODES),
    ]
    # Same input in another order, strings as read_table gives them: the same table.
    shuffled = segments.sample(frac=1, random_state=1).astype(str)
    pd.testing.assert_frame_equal(ag.agreement_table(shuffled, dict(reversed(texts.items())), AB), table)
    # Obstacles: one note, both coders applied Time -> 1 unit, full agreement, alpha undefined.
    ob = table[(table["group"] == "obstacle")].iloc[0]
    assert (ob["n_units"], ob["pct_agreement"], ob["n_segments"], ob["alpha_threshold"]) == (1, 100.0, 2, "undefined")
    assert "no variation" in ob["note"]
    # Expectations > Training: both notes for B, E01 only for A (2x2: both 1, B only 1).
    tr = table[table["code_path"] == "Expectations > Training"].iloc[0]
    assert (tr["n_both_present"], tr["n_only_first"], tr["n_only_second"], tr["n_both_absent"]) == (1, 0, 1, 0)


def test_overall_pools_every_unit_code_pair():
    segments, texts = _study()
    table = ag.agreement_table(segments, texts, AB)
    for unit in ("utterance", "character"):
        part = table[(table["group"] == "focus_group") & (table["unit"] == unit)]
        codes, overall = part.iloc[:-1], part.iloc[-1]
        docs = [d for d in texts if d.startswith("Focus")]
        tables = ag.presence_tables(segments[segments["group"] == "focus_group"], {d: texts[d] for d in docs}, unit, AB)
        stacked = np.concatenate([ag.reliability_matrix(tables[c], AB) for c in codes["code_path"]], axis=1)
        assert overall["n_codes"] == 3 and overall["n_units"] == stacked.shape[1] == codes["n_units"].sum()
        assert overall["krippendorff_alpha"] == pytest.approx(package_alpha(stacked), abs=1e-12)
        a, b = stacked
        p_o, p_e = np.mean(a == b), a.mean() * b.mean() + (1 - a.mean()) * (1 - b.mean())
        assert overall["cohen_kappa"] == pytest.approx((p_o - p_e) / (1 - p_e), abs=1e-12)
        assert overall["pct_agreement"] == pytest.approx(100 * p_o, abs=1e-12)
        for col in (
            "n_agree_present",
            "n_agree_absent",
            "n_disagree",
            "n_values",
            "o_absent_absent",
            "o_absent_present",
            "o_present_present",
        ):
            assert overall[col] == pytest.approx(codes[col].sum())
        # The pooled alpha is not the mean of the per-code alphas.
        assert overall["krippendorff_alpha"] != pytest.approx(codes["krippendorff_alpha"].mean())
    chars = table[(table["unit"] == "character") & (table["code_path"] == ag.ALL_CODES)].iloc[0]
    assert chars["n_units"] == 3 * (len(texts["Focus group 1"]) + len(texts["Focus group 2"]))


def test_codes_exact_by_default_or_at_and_below():
    segments, texts = _study()
    fg = segments[segments["group"] == "focus_group"]
    kinds = {"focus_group": ["utterance"]}
    exact = ag.agreement_table(fg, texts, AB, unit_kinds=kinds)
    below = ag.agreement_table(fg, texts, AB, unit_kinds=kinds, include_descendants=True)
    assert "Focus-group themes > Contact" not in set(exact["code_path"])
    assert list(below["code_path"]) == [
        "Focus-group themes",
        "Focus-group themes > Contact",
        "Focus-group themes > Contact > Meetings",
        "Focus-group themes > Contact > Phone",
        "Focus-group themes > Resources",
        ag.ALL_CODES,
    ]
    contact = below[below["code_path"] == "Focus-group themes > Contact"].iloc[0]
    # Utterance units (FG1: 3 turns, FG2: 3 turns). Contact = Meetings or Phone:
    # A: FG1 turn 1 (5-12), FG2 turn 3 (50-58); B: FG1 turns 1, 2 (0-20, 18-30).
    assert (contact["n_units"], contact["n_segments"], contact["n_present_by_coder"]) == (6, 4, "2 | 2")
    assert (contact["n_both_present"], contact["n_only_first"], contact["n_only_second"], contact["n_both_absent"]) == (1, 1, 1, 3)
    # A code given in the codebook that nobody applied gets a row: NaN with a reason.
    given = ag.agreement_table(fg, texts, AB, unit_kinds=kinds, codes={"focus_group": ["Focus-group themes > Unused"]})
    assert list(given["code_path"]) == ["Focus-group themes > Unused", ag.ALL_CODES]
    assert math.isnan(given.iloc[0]["krippendorff_alpha"]) and "no coder applied the code" in given.iloc[0]["note"]


# --------------------------------------------------------------------------- errors for people
@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda s, t: (s.assign(coder=s["coder"].replace("Coder B", "Dr Real Name")), t), "not in the list of coders"),
        (lambda s, t: (s.assign(end=s["end"].astype(str).replace("20", "2x")), t), "not a whole number"),
        (lambda s, t: (s.assign(end=s["end"].replace(58, 999)), t), "outside its document"),
        (lambda s, t: (s, {**t, "Focus group 1": t["Focus group 1"].replace("\n", "\r\n")}), "carriage return"),
        (lambda s, t: (s.drop(columns="coder"), t), "lack a column"),
        (lambda s, t: (s, {k: v for k, v in t.items() if k != "E01"}), "no text"),
        (lambda s, t: (s.assign(group=s["group"].replace("obstacle", "other")), t), "no unit kind"),
    ],
)
def test_bad_input_is_one_line_without_identifying_values(change, message):
    segments, texts = _study()
    segments, texts = change(segments, texts)
    with pytest.raises(InputError) as err:
        ag.agreement_table(segments, texts, AB, file="coded_segments.csv")
    line = err.value.line()
    assert message in line and "\n" not in line and line.startswith("ERROR coded_segments.csv")
    assert "Real Name" not in line and "Focus group" not in line


def test_bad_arguments_are_refused():
    segments, texts = _study()
    with pytest.raises(InputError, match="at least two coders"):
        ag.agreement_table(segments, texts, ["Coder A"])
    with pytest.raises(InputError, match="does not say which documents"):
        ag.agreement_table(segments, texts, AB, coded_documents={"Coder A": list(texts)})
    with pytest.raises(InputError, match="did not code"):
        ag.agreement_table(segments, texts, AB, coded_documents={"Coder A": ["E01"], "Coder B": list(texts)})
    with pytest.raises(InputError, match="unknown unit kind"):
        ag.presence_tables(segments, texts, "sentence", AB)
    with pytest.raises(InputError, match="no segment and no document group"):
        ag.agreement_table(segments, {**texts, "E03": "x"}, AB, coded_documents={c: [*texts, "E03"] for c in AB})
    with pytest.raises(ValueError, match="0, 1 or NaN"):
        ag.tally(np.array([[1.0, 2.0]]))


# --------------------------------------------------------------------------- size
def test_character_units_of_a_long_transcript_are_runs_not_characters():
    """A 100 kB transcript: one row per run between segment boundaries, however long the text."""
    rng = np.random.default_rng(0)
    turns = [f"{rng.choice(['Ann', 'Bob', 'Cat'])}: " + "word " * int(rng.integers(5, 60)) for _ in range(800)]
    text = "\n".join(turns)
    text = (text * (100_000 // len(text) + 1))[:100_000]
    starts = rng.integers(0, len(text) - 400, size=300)
    rows = [
        ("FG", f"C{i % 40:02d}", int(s), int(s + rng.integers(1, 400)), ("Coder A", "Coder B", "Coder C")[i % 3])
        for i, s in enumerate(starts)
    ]
    tables = ag.presence_tables(segs(rows), {"FG": text}, "character", ["Coder A", "Coder B", "Coder C"])
    for code, table in tables.items():
        n_segments = sum(1 for r in rows if r[1] == code)
        assert table["n_units"].sum() == 100_000 and len(table) <= 2 * n_segments + 1


def measure(transcripts: int = 6, size: int = 20_000, codes: int = 40, coders: int = 3, segments_per_code: int = 30) -> dict:
    """Time agreement_table on character and utterance units (reported, not asserted)."""
    rng = np.random.default_rng(1)
    names = [f"Coder {c}" for c in "ABCDEFG"[:coders]]
    texts, rows = {}, []
    for t in range(transcripts):
        turns = [f"P{int(rng.integers(1, 9))}: " + "word " * int(rng.integers(5, 60)) for _ in range(size // 40)]
        text = "\n".join(turns)
        texts[f"Focus group {t + 1}"] = (text * (size // len(text) + 1))[:size]
    for c in range(codes):
        for _ in range(segments_per_code):
            doc = f"Focus group {int(rng.integers(1, transcripts + 1))}"
            s = int(rng.integers(0, size - 600))
            for coder in names:
                if rng.random() < 0.8:
                    jitter = rng.integers(-30, 30, size=2)
                    rows.append(
                        (doc, f"Focus-group themes > T{c:02d}", max(0, s + int(jitter[0])), min(size, s + 300 + int(jitter[1])), coder)
                    )
    frame = segs(rows)
    out = {"segments": len(rows)}
    for kind in ("character", "utterance"):
        start = time.perf_counter()
        table = ag.agreement_table(frame, texts, names, unit_kinds={"focus_group": [kind]})
        out[kind] = time.perf_counter() - start
        out[f"{kind}_overall_alpha"] = float(table.iloc[-1]["krippendorff_alpha"])
    return out


def test_measure_six_transcripts_forty_codes_three_coders(capsys):
    result = measure()
    with capsys.disabled():
        print(
            f"\nagreement_table, 6 x 20 kB, 40 codes, 3 coders, {result['segments']} segments: "
            f"character {result['character']:.2f} s, utterance {result['utterance']:.2f} s"
        )
    assert 0 < result["character_overall_alpha"] < 1
