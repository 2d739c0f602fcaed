"""The rule ``intercoder_agreement`` (scripts/intercoder_agreement.py), run through its ``main``.

* A hand-worked study (two coders, three flip-chart notes, one transcript): every figure of
  the table worked out in the comments.
* The synthetic study, anonymised as the pipeline does it, one MAXQDA export per coder: the
  overall alpha equals ``krippendorff.alpha`` and the overall kappa statsmodels' ``cohens_kappa``
  on reliability data built here independently (one value per unit, code and coder), and the
  document and utterance figures equal the generator's record.
* One coder, no coder column, no shared document: a table with the header and no rows.

``krippendorff`` and statsmodels are imported here only: the pipeline computes both itself.
"""

import math
import re
import subprocess
import sys
import time
import warnings
from pathlib import Path

import krippendorff
import numpy as np
import pandas as pd
import pytest
import yaml
from statsmodels.stats.inter_rater import cohens_kappa

import agreement
import intercoder_agreement as ia
from anonymise_freetext import anonymise_text, people_for, read_notes, read_transcripts
from contracts import read_result, result
from errors import InputError
from mock_snakemake import MockSnakemake
from redact import Redactor
from roster import read_roster

ROOT = Path(__file__).resolve().parent.parent
SYN = ROOT / "data" / "synthetic"
CONFIG = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
QUAL = CONFIG["qualitative"]
KEY = b"test-key-for-the-intercoder-agreement-tests"
SEGMENT_COLUMNS = ["segment_id", "source", "group", "coder", "code_path", "category", "theme", "sub_theme", "start", "end", "text"]
ALL = agreement.ALL_CODES
#: Floats in the written table have 10 significant digits (``%.10g``).
CSV = {"rel": 1e-9, "abs": 1e-10}


# --------------------------------------------------------------------------- running the rule
def write_inputs(folder: Path, segments: pd.DataFrame, notes: pd.DataFrame, transcripts: dict[str, str], codebook: list[str]) -> dict:
    """The rule's inputs as anonymise_freetext writes them (coded_segments.csv with ``coder``
    right after ``group``, as the anonymisation writes it once it reads several coders)."""
    (folder / "transcripts").mkdir(parents=True)
    for name, text in transcripts.items():
        (folder / "transcripts" / f"{name}.txt").write_text(text, encoding="utf-8", newline="")
    segments.to_csv(folder / "coded_segments.csv", index=False, lineterminator="\n")
    notes.to_csv(folder / "flipchart_notes.csv", index=False, lineterminator="\n")
    levels = [p.split(" > ") for p in codebook]
    pd.DataFrame(
        {
            "code_path": codebook,
            "name": [lv[-1] for lv in levels],
            "level": [len(lv) for lv in levels],
            "parent": [" > ".join(lv[:-1]) for lv in levels],
            "description": "",
        }
    ).to_csv(folder / "codebook.csv", index=False, lineterminator="\n")
    return {
        "segments": str(folder / "coded_segments.csv"),
        "notes": str(folder / "flipchart_notes.csv"),
        "transcripts": str(folder / "transcripts"),
        "export_codebook": str(folder / "codebook.csv"),
    }


def run_rule(folder: Path, inputs: dict, agreement_cfg: dict | None = None) -> pd.DataFrame:
    out = folder / "intercoder_agreement.csv"
    smk = MockSnakemake(
        input=inputs,
        output={"agreement": str(out)},
        params={
            "codebook": QUAL["codebook"],
            "agreement": QUAL["agreement"] if agreement_cfg is None else agreement_cfg,
            "speaker_pattern": QUAL["transcripts"]["speaker_pattern"],
        },
    )
    ia.main(smk)
    return read_result(out, result("agreement"))


def part(table: pd.DataFrame, group: str, unit: str | None = None) -> pd.DataFrame:
    """The rows of a group (and unit kind) of a table indexed by (group, unit, code_path), in table order."""
    keep = table.index.get_level_values("group") == group
    if unit is not None:
        keep &= table.index.get_level_values("unit") == unit
    out = table[keep]
    return out.droplevel(["group", "unit"]) if unit is not None else out.droplevel("group")


def tidy(rows: list[tuple]) -> pd.DataFrame:
    """Segments from (source, group, coder, code_path, start, end), with the other columns filled."""
    df = pd.DataFrame(rows, columns=["source", "group", "coder", "code_path", "start", "end"])
    levels = df["code_path"].str.split(" > ")
    df["category"] = levels.str[0]
    df["theme"] = levels.str[1].fillna("")
    df["sub_theme"] = levels.str[2:].str.join(" > ")
    df["text"] = ""
    df["segment_id"] = [f"S{i:04d}" for i in range(1, len(df) + 1)]
    return df[SEGMENT_COLUMNS]


# --------------------------------------------------------------------------- the hand-worked study
NOTES = pd.DataFrame({"note_id": ["N1", "N2", "N3"], "sheet": "expectation", "text": ["Meet people", "Learn roles", "Tea"]})
# Offsets: line 0 "Focus group 1\n" is 0-14; line 1 "[Facilitator]: What helps?\n" 14-41;
# line 2 "[Participant 01]: Joint training days.\n" 41-80, its words from 59 ("Joint") to 79;
# line 3 "[Participant 02]: Money is tight.\n" 80-114, its words from 98 to 113. 114 characters.
FG_TEXT = "Focus group 1\n[Facilitator]: What helps?\n[Participant 01]: Joint training days.\n[Participant 02]: Money is tight.\n"
NET, ROLES, SHARE = "Expectations > Network", "Expectations > Knowledge > Roles", "Expectations > Share"
WORK, BUDGET = "Focus-group themes > Modes > Workshops", "Focus-group themes > Constraints > Budget"
CODEBOOK = [
    "Expectations",
    NET,
    "Expectations > Knowledge",
    ROLES,
    SHARE,
    "Focus-group themes",
    "Focus-group themes > Modes",
    WORK,
    "Focus-group themes > Constraints",
    BUDGET,
]
HAND = tidy(
    [
        ("N1", "expectation", "Coder A", NET, 0, 11),
        ("N2", "expectation", "Coder A", ROLES, 0, 11),
        ("N1", "expectation", "Coder B", NET, 0, 11),
        ("N2", "expectation", "Coder B", NET, 0, 11),  # B: Network where A saw Roles
        ("Focus group 1", "focus_group", "Coder A", WORK, 59, 79),  # "Joint training days."
        ("Focus group 1", "focus_group", "Coder A", BUDGET, 98, 113),  # "Money is tight."
        ("Focus group 1", "focus_group", "Coder B", WORK, 65, 79),  # "training days.": B starts a word later
    ]
)


@pytest.fixture(scope="module")
def hand(tmp_path_factory) -> pd.DataFrame:
    folder = tmp_path_factory.mktemp("hand")
    assert FG_TEXT[59:79] == "Joint training days." and FG_TEXT[65:79] == "training days." and FG_TEXT[98:113] == "Money is tight."
    assert len(FG_TEXT) == 114
    table = run_rule(folder, write_inputs(folder, HAND, NOTES, {"Focus group 1": FG_TEXT}, CODEBOOK))
    return table.set_index(["group", "unit", "code_path"])


def test_hand_rows_and_codes(hand):
    # Codes per group: the codebook's codes under the group's category that have no sub-code
    # (Knowledge, Modes, Constraints organise the codebook and nobody applied them directly),
    # Share included although nobody applied it. Units: notes by document, the transcript by
    # utterance and character (config.yaml).
    assert list(hand.index) == [
        ("expectation", "document", ROLES),
        ("expectation", "document", NET),
        ("expectation", "document", SHARE),
        ("expectation", "document", ALL),
        ("focus_group", "utterance", BUDGET),
        ("focus_group", "utterance", WORK),
        ("focus_group", "utterance", ALL),
        ("focus_group", "character", BUDGET),
        ("focus_group", "character", WORK),
        ("focus_group", "character", ALL),
    ]
    assert (hand["coders"] == "Coder A | Coder B").all() and (hand["n_coders"] == 2).all()
    assert part(hand, "expectation")["n_documents"].eq(3).all() and part(hand, "focus_group")["n_documents"].eq(1).all()
    # Segments: Network A 1 + B 2; Roles A 1; Share none; Workshops A 1 + B 1; Budget A 1.
    assert part(hand, "expectation")["n_segments"].tolist() == [1, 3, 0, 4]
    assert part(hand, "focus_group", "utterance")["n_segments"].tolist() == [1, 2, 3]


def expect(row, *, units, table, present, pct, kappa, alpha, threshold):
    """``table``: (both present, only A, only B, both absent)."""
    got = (row["n_both_present"], row["n_only_first"], row["n_only_second"], row["n_both_absent"])
    assert got == table
    assert row["n_units"] == row["n_units_pairable"] == units and row["n_values"] == 2 * units
    assert row["n_present_by_coder"] == present and row["n_missing_by_coder"] == "0 | 0"
    assert (row["n_agree_present"], row["n_agree_absent"], row["n_disagree"]) == (table[0], table[3], table[1] + table[2])
    assert row["pct_agreement"] == pytest.approx(pct, **CSV) and row["pct_agreement_pairwise"] == pytest.approx(pct, **CSV)
    assert (math.isnan(row["cohen_kappa"]) and math.isnan(kappa)) or row["cohen_kappa"] == pytest.approx(kappa, **CSV)
    assert (math.isnan(row["krippendorff_alpha"]) and math.isnan(alpha)) or row["krippendorff_alpha"] == pytest.approx(alpha, **CSV)
    assert row["alpha_threshold"] == threshold


def test_hand_notes_by_document(hand):
    # Units: the three notes; both coders coded the sheet, so N3 (nobody coded it) is agreement on absence.
    # Network:  A 1 0 0, B 1 1 0. 2x2: both 1 (N1), A only 0, B only 1 (N2), both absent 1 (N3).
    #   % = 2/3. kappa: p_o = 2/3, p_e = 1/3*2/3 + 2/3*1/3 = 4/9, (2/9)/(5/9) = 0.4.
    #   alpha: o11 = 2 (N1's two ordered pairs), o00 = 2 (N3), o01 = 1 (N2); n1 = 3, n0 = 3, n = 6;
    #   1 - (n - 1) o01 / (n0 n1) = 1 - 5/9 = 4/9.
    expect(
        hand.loc[("expectation", "document", NET)],
        units=3,
        table=(1, 0, 1, 1),
        present="1 | 2",
        pct=200 / 3,
        kappa=0.4,
        alpha=4 / 9,
        threshold="<0.667",
    )
    # Roles:    A 0 1 0, B 0 0 0. 2x2 (0, 1, 0, 2). % = 2/3. kappa: p_e = 1/3*0 + 2/3*1 = 2/3 = p_o -> 0.
    #   alpha: o00 = 4, o01 = 1; n0 = 5, n1 = 1, n = 6; 1 - 5*1/(5*1) = 0.
    expect(
        hand.loc[("expectation", "document", ROLES)],
        units=3,
        table=(0, 1, 0, 2),
        present="1 | 0",
        pct=200 / 3,
        kappa=0.0,
        alpha=0.0,
        threshold="<0.667",
    )
    # Share: nobody applied it: 100 %, kappa and alpha undefined (no variation).
    share = hand.loc[("expectation", "document", SHARE)]
    expect(share, units=3, table=(0, 0, 0, 3), present="0 | 0", pct=100.0, kappa=math.nan, alpha=math.nan, threshold="undefined")
    assert "alpha undefined: no variation" in share["note"] and "kappa undefined: no variation" in share["note"]
    # Overall: the three codes stacked, 9 decisions. 2x2 (1, 1, 1, 6); % = 7/9.
    #   kappa: p_o = 7/9; A present 2/9, B 2/9; p_e = 4/81 + 49/81 = 53/81; (63 - 53)/(81 - 53) = 10/28.
    #   alpha: o11 = 2, o00 = 2 + 4 + 6 = 12, o01 = 1 + 1 = 2; n1 = 4, n0 = 14, n = 18; 1 - 17*2/56 = 22/56.
    overall = hand.loc[("expectation", "document", ALL)]
    expect(overall, units=9, table=(1, 1, 1, 6), present="2 | 2", pct=700 / 9, kappa=10 / 28, alpha=22 / 56, threshold="<0.667")
    assert overall["n_codes"] == 3 and (overall["o_absent_absent"], overall["o_absent_present"], overall["o_present_present"]) == (12, 2, 2)


def test_hand_transcript_by_utterance(hand):
    # Units: the title line (text before the first turn), the facilitator's turn, P01's, P02's: 4.
    # Workshops: both coders on P01's turn (B's shorter segment overlaps it): 2x2 (1, 0, 0, 3), 100 %.
    #   kappa: p_e = (1/4)^2 + (3/4)^2 = 10/16; (1 - 10/16)/(6/16) = 1. alpha: o01 = 0 -> 1.
    expect(
        hand.loc[("focus_group", "utterance", WORK)],
        units=4,
        table=(1, 0, 0, 3),
        present="1 | 1",
        pct=100.0,
        kappa=1.0,
        alpha=1.0,
        threshold=">=0.8",
    )
    # Budget: A on P02's turn, B nowhere: 2x2 (0, 1, 0, 3), 75 %. kappa: p_e = 3/4 = p_o -> 0.
    #   alpha: o00 = 6, o01 = 1; n0 = 7, n1 = 1, n = 8; 1 - 7/7 = 0.
    expect(
        hand.loc[("focus_group", "utterance", BUDGET)],
        units=4,
        table=(0, 1, 0, 3),
        present="1 | 0",
        pct=75.0,
        kappa=0.0,
        alpha=0.0,
        threshold="<0.667",
    )
    # Overall, 8 decisions: 2x2 (1, 1, 0, 6), % = 7/8. kappa: p_o = 7/8; A 2/8, B 1/8;
    #   p_e = 2/64 + 42/64 = 44/64; (56 - 44)/(64 - 44) = 0.6.
    #   alpha: o11 = 2, o00 = 6 + 6 = 12, o01 = 1; n1 = 3, n0 = 13, n = 16; 1 - 15/39 = 24/39.
    expect(
        hand.loc[("focus_group", "utterance", ALL)],
        units=8,
        table=(1, 1, 0, 6),
        present="2 | 1",
        pct=87.5,
        kappa=0.6,
        alpha=24 / 39,
        threshold="<0.667",
    )


def test_hand_transcript_by_character(hand):
    # Units: the 114 characters. Workshops: A 59-79 (20), B 65-79 (14): both 14, A only 6, absent 94.
    #   % = 108/114. kappa: p_o = 108/114; p_e = (20*14 + 94*100)/114^2 = 9680/12996;
    #   (108*114 - 9680)/(12996 - 9680) = 2632/3316.
    #   alpha: o11 = 28, o00 = 188, o01 = 6; n1 = 34, n0 = 194, n = 228; 1 - 227*6/(194*34) = 5234/6596.
    work = hand.loc[("focus_group", "character", WORK)]
    expect(
        work, units=114, table=(14, 6, 0, 94), present="20 | 14", pct=10800 / 114, kappa=2632 / 3316, alpha=5234 / 6596, threshold=">=0.667"
    )
    # Budget: A 98-113 (15), B none: (0, 15, 0, 99), % = 99/114; kappa 0 (p_e = 99/114 = p_o).
    #   alpha: o00 = 198, o01 = 15; n0 = 213, n1 = 15, n = 228; 1 - 227*15/(213*15) = -14/213 (below
    #   zero: one coder never applied the code, and alpha corrects for the sample size).
    budget = hand.loc[("focus_group", "character", BUDGET)]
    expect(budget, units=114, table=(0, 15, 0, 99), present="15 | 0", pct=9900 / 114, kappa=0.0, alpha=-14 / 213, threshold="<0.667")
    # Overall, 228 decisions: (14, 21, 0, 193), % = 207/228. kappa: p_o = 207/228; A 35/228, B 14/228;
    #   p_e = (35*14 + 193*214)/228^2 = 41792/51984; (207*228 - 41792)/(51984 - 41792) = 5404/10192.
    #   alpha: o11 = 28, o00 = 386, o01 = 21; n1 = 49, n0 = 407, n = 456; 1 - 455*21/(407*49) = 10388/19943.
    overall = hand.loc[("focus_group", "character", ALL)]
    expect(
        overall,
        units=228,
        table=(14, 21, 0, 193),
        present="35 | 14",
        pct=20700 / 228,
        kappa=5404 / 10192,
        alpha=10388 / 19943,
        threshold="<0.667",
    )


def test_hand_with_descendants_and_other_units(tmp_path):
    """include_descendants: every code under the category and the category itself get a row,
    and a segment counts for every code above it. Paragraph units are the non-blank lines."""
    cfg = {"units": {"notes": ["document"], "focus_groups": ["paragraph"]}, "thresholds": [0.9], "include_descendants": True}
    table = run_rule(tmp_path, write_inputs(tmp_path, HAND, NOTES, {"Focus group 1": FG_TEXT}, CODEBOOK), cfg).set_index(
        ["group", "unit", "code_path"]
    )
    notes = part(table, "expectation", "document")
    assert list(notes.index) == ["Expectations", "Expectations > Knowledge", ROLES, NET, SHARE, ALL]
    # "Expectations": A coded N1 and N2 with some code, so did B: (2, 0, 0, 1), 100 %, alpha 1.
    cat = notes.loc["Expectations"]
    assert (cat["n_both_present"], cat["n_only_first"], cat["n_only_second"], cat["n_both_absent"]) == (2, 0, 0, 1)
    assert cat["krippendorff_alpha"] == 1.0 and cat["alpha_threshold"] == ">=0.9" and cat["n_segments"] == 4
    # Paragraphs: the four lines (none blank), so the same figures as the utterances here.
    fg = part(table, "focus_group", "paragraph")
    assert fg.loc[BUDGET, "n_units"] == 4 and fg.loc[BUDGET, "alpha_threshold"] == "<0.9"
    assert fg.loc["Focus-group themes > Modes", "krippendorff_alpha"] == 1.0


def test_a_partial_config_keeps_the_other_defaults(tmp_path):
    cfg = {"units": {"focus_groups": ["paragraph"]}}
    table = run_rule(tmp_path, write_inputs(tmp_path, HAND, NOTES, {"Focus group 1": FG_TEXT}, CODEBOOK), cfg)
    assert list(dict.fromkeys(zip(table["group"], table["unit"], strict=True))) == [
        ("expectation", "document"),
        ("focus_group", "paragraph"),
    ]
    assert set(table["alpha_threshold"]) <= {">=0.8", ">=0.667", "<0.667", "undefined"}


def test_unrecorded_and_agreed_codings_are_left_out(tmp_path, caplog):
    """An agreed coding is not an independent coder, and a segment without a coder cannot be
    attributed: both are left out (and counted in the log); the two coders' figures are as by hand."""
    extra = tidy(
        [
            ("N3", "expectation", "Consensus", SHARE, 0, 3),
            ("N2", "expectation", "Agreed", ROLES, 0, 11),
            ("Focus group 1", "focus_group", "", BUDGET, 98, 113),
        ]
    )
    inputs = write_inputs(tmp_path, pd.concat([HAND, extra]), NOTES, {"Focus group 1": FG_TEXT}, CODEBOOK)
    with caplog.at_level("INFO", logger="ripls.intercoder_agreement"):
        table = run_rule(tmp_path, inputs).set_index(["group", "unit", "code_path"])
    assert "1 segments with no coder recorded, 2 segments of an agreed coding" in caplog.text
    assert (table["coders"] == "Coder A | Coder B").all()
    assert table.loc[("expectation", "document", ALL), "krippendorff_alpha"] == pytest.approx(22 / 56, **CSV)
    assert table.loc[("focus_group", "character", ALL), "krippendorff_alpha"] == pytest.approx(10388 / 19943, **CSV)


def test_a_bad_offset_is_one_line_naming_the_row(tmp_path):
    """The row is the file's, even after segments without a coder (row 2) were left out."""
    bad = pd.concat([tidy([("N3", "expectation", "", SHARE, 0, 3)]), HAND], ignore_index=True)
    bad.loc[3, "end"] = 99  # HAND's third segment, now spreadsheet row 5, ends beyond its 11-character note
    inputs = write_inputs(tmp_path, bad, NOTES, {"Focus group 1": FG_TEXT}, CODEBOOK)
    with pytest.raises(InputError) as err:
        run_rule(tmp_path, inputs)
    line = err.value.line()
    assert "coded_segments.csv" in line and "row 5" in line and "outside its document" in line and "\n" not in line


# --------------------------------------------------------------------------- when it cannot be computed
def test_one_coder_gives_the_header_and_no_rows(tmp_path):
    one = HAND[HAND["coder"] == "Coder A"]
    table = run_rule(tmp_path, write_inputs(tmp_path, one, NOTES, {"Focus group 1": FG_TEXT}, CODEBOOK))
    assert table.empty and list(table.columns) == agreement.COLUMNS
    assert (tmp_path / "intercoder_agreement.csv").read_text(encoding="utf-8") == ",".join(agreement.COLUMNS) + "\n"


def test_no_coder_column_is_one_coding(tmp_path):
    table = run_rule(tmp_path, write_inputs(tmp_path, HAND.drop(columns="coder"), NOTES, {"Focus group 1": FG_TEXT}, CODEBOOK))
    assert table.empty and list(table.columns) == agreement.COLUMNS


def test_coders_who_coded_different_documents_give_no_rows(tmp_path):
    """Coder A coded the notes, Coder B the transcript: no document coded by two coders."""
    apart = HAND[(HAND["coder"] == "Coder A") == (HAND["group"] == "expectation")]
    assert set(apart["coder"]) == {"Coder A", "Coder B"}
    table = run_rule(tmp_path, write_inputs(tmp_path, apart, NOTES, {"Focus group 1": FG_TEXT}, CODEBOOK))
    assert table.empty


def test_a_transcript_only_one_coder_coded_is_missing_for_the_other(tmp_path):
    """A second coder who double-coded the notes only: the transcript is compared on nobody's
    units (missing for B), so its rows have no pairable unit; the notes' rows are as by hand."""
    only_notes_b = HAND[(HAND["coder"] == "Coder A") | (HAND["group"] == "expectation")]
    table = run_rule(tmp_path, write_inputs(tmp_path, only_notes_b, NOTES, {"Focus group 1": FG_TEXT}, CODEBOOK)).set_index(
        ["group", "unit", "code_path"]
    )
    fg = part(table, "focus_group", "utterance")
    assert (fg["n_units_pairable"] == 0).all() and fg["n_missing_by_coder"].tolist() == ["0 | 4", "0 | 4", "0 | 8"]
    assert fg["krippendorff_alpha"].isna().all()
    assert table.loc[("expectation", "document", ALL), "krippendorff_alpha"] == pytest.approx(22 / 56, **CSV)


# --------------------------------------------------------------------------- the synthetic study
@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    """The synthetic study anonymised as the pipeline does it, each coder's MAXQDA export read
    on its own and given its coder label; the rule run on it; the inputs it read."""
    roster = read_roster(SYN / "roster.csv", CONFIG)
    facilitators = pd.read_csv(SYN / "facilitators.csv")["Full name"].tolist()
    redactor = Redactor.from_config(people_for(roster, facilitators, KEY), CONFIG["redaction"])
    notes = read_notes(SYN / "flipchart_notes.csv", QUAL["flipchart"])
    transcripts = read_transcripts(SYN / "transcripts", "*.txt")
    parts, out = [], None
    for coder, name in (("Coder A", "coded_segments_maxqda_coder_a.csv"), ("Coder B", "coded_segments_maxqda_coder_b.csv")):
        out = anonymise_text(notes, transcripts, SYN / name, redactor, QUAL)
        parts.append(out["segments"].assign(coder=coder))
    segments = pd.concat(parts).sort_values(["source", "start", "end", "code_path", "coder"], kind="stable")
    segments["segment_id"] = [f"S{i:04d}" for i in range(1, len(segments) + 1)]
    segments = segments[SEGMENT_COLUMNS]
    folder = tmp_path_factory.mktemp("synthetic")
    inputs = write_inputs(folder, segments, out["notes"], out["transcripts"], list(out["codebook"]["code_path"]))
    t0 = time.perf_counter()
    table = run_rule(folder, inputs)
    seconds = time.perf_counter() - t0
    print(f"\nintercoder_agreement main on the synthetic study: {seconds:.3f} s, {len(table)} rows")
    return table, segments, out["notes"], out["transcripts"]


def reliability_data(segments: pd.DataFrame, texts: dict[str, str], kind: str, codes: list[str]) -> dict[str, np.ndarray]:
    """Per code, the coders x units values built directly, one column per unit (no runs): 1 when
    a segment of the coder with the code overlaps the unit by a character, else 0."""
    speaker = re.compile(QUAL["transcripts"]["speaker_pattern"], re.MULTILINE)
    spans_of: dict[tuple, list[tuple[int, int]]] = {}
    for r in segments.itertuples():
        spans_of.setdefault((r.source, r.coder, r.code_path), []).append((int(r.start), int(r.end)))
    out = {code: [] for code in codes}
    for doc in sorted(texts):
        text = texts[doc]
        if kind == "document":
            bounds = [(0, len(text))]
        elif kind == "utterance":
            starts = [m.start() for m in speaker.finditer(text)]
            bounds = ([(0, starts[0])] if text[: starts[0]].strip() else []) + list(zip(starts, [*starts[1:], len(text)], strict=True))
        else:  # character: every code point
            bounds = None
        for code in codes:
            values = []
            for coder in ("Coder A", "Coder B"):
                spans = spans_of.get((doc, coder, code), [])
                if bounds is None:
                    covered = np.zeros(len(text), dtype=float)
                    for s, e in spans:
                        covered[s:e] = 1
                    values.append(covered)
                else:
                    values.append(np.array([float(any(s < b and a < e for s, e in spans)) for a, b in bounds]))
            out[code].append(np.vstack(values))
    return {code: np.hstack(blocks) for code, blocks in out.items()}


def package_alpha(data: np.ndarray) -> float:
    """krippendorff.alpha, nominal; NaN where the package refuses (no variation)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return float(krippendorff.alpha(reliability_data=data, level_of_measurement="nominal"))
    except ValueError:
        return math.nan


def two_by_two(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """[[absent-absent, absent-present], [present-absent, present-present]] (A rows, B columns)."""
    return np.array(
        [[np.sum((a == 0) & (b == 0)), np.sum((a == 0) & (b == 1))], [np.sum((a == 1) & (b == 0)), np.sum((a == 1) & (b == 1))]]
    )


@pytest.mark.parametrize(
    ("group", "kind"), [("expectation", "document"), ("obstacle", "document"), ("focus_group", "utterance"), ("focus_group", "character")]
)
def test_synthetic_alpha_and_kappa_equal_the_packages(synthetic, group, kind):
    table, segments, notes, transcripts = synthetic
    rows = table[(table["group"] == group) & (table["unit"] == kind)]
    codes = rows.loc[rows["code_path"] != ALL, "code_path"].tolist()
    on_sheet = notes[notes["sheet"] == group]
    texts = transcripts if group == "focus_group" else dict(zip(on_sheet["note_id"], on_sheet["text"], strict=True))
    data = reliability_data(segments, texts, kind, codes)
    stacked = np.hstack([data[c] for c in codes])  # the overall row: every (unit, code) decision
    overall = rows[rows["code_path"] == ALL].iloc[0]
    assert overall["n_units"] == stacked.shape[1] and overall["n_codes"] == len(codes)
    assert overall["krippendorff_alpha"] == pytest.approx(package_alpha(stacked), **CSV)
    t = two_by_two(*stacked)
    assert (overall["n_both_absent"], overall["n_only_second"], overall["n_only_first"], overall["n_both_present"]) == tuple(t.ravel())
    assert overall["cohen_kappa"] == pytest.approx(cohens_kappa(t, return_results=False), **CSV)
    assert overall["pct_agreement"] == pytest.approx(100 * np.mean(stacked[0] == stacked[1]), **CSV)
    defined = 0
    for row in rows[rows["code_path"] != ALL].itertuples():
        x = data[row.code_path]
        want = package_alpha(x)
        assert (math.isnan(row.krippendorff_alpha) and math.isnan(want)) or row.krippendorff_alpha == pytest.approx(want, **CSV)
        if not math.isnan(row.cohen_kappa):
            assert row.cohen_kappa == pytest.approx(cohens_kappa(two_by_two(*x), return_results=False), **CSV)
            defined += 1
    assert defined >= len(codes) - 1


def test_synthetic_document_and_utterance_figures_equal_the_generators_record(synthetic):
    """The generator computed its record on the raw texts; redaction changes no note or turn,
    so the document and utterance figures of the pipeline's run are the same."""
    import json

    table = synthetic[0]
    record = json.loads((SYN / "generator_record_qual.json").read_text(encoding="utf-8"))["second_coder"]["agreement"]
    checked = 0
    for row in table[table["unit"] != "character"].itertuples():
        got = record[row.group][row.unit]
        if row.code_path == ALL:
            # The record rounds to 4 decimals.
            assert got["overall"]["krippendorff_alpha"] == pytest.approx(row.krippendorff_alpha, abs=1e-4)
            assert got["overall"]["cohen_kappa"] == pytest.approx(row.cohen_kappa, abs=1e-4)
        else:
            assert got["alpha_by_code"][row.code_path] == pytest.approx(row.krippendorff_alpha, abs=1e-4, nan_ok=True)
        checked += 1
    assert checked == len(table[table["unit"] != "character"]) > 30


def test_synthetic_table_shape(synthetic):
    table = synthetic[0]
    assert list(table.columns) == agreement.COLUMNS
    assert list(dict.fromkeys(zip(table["group"], table["unit"], strict=True))) == [
        ("expectation", "document"),
        ("obstacle", "document"),
        ("focus_group", "utterance"),
        ("focus_group", "character"),
    ]
    assert (table["coders"] == "Coder A | Coder B").all()
    assert table.loc[table["group"] == "expectation", "n_documents"].eq(75).all()  # every note, coded or not
    fg = table[(table["group"] == "focus_group") & (table["code_path"] != ALL)]
    assert len(fg) == 2 * 20  # the 20 focus-group sub-themes, by utterance and by character


# --------------------------------------------------------------------------- configuration and imports
def test_defaults_and_schema_agree_with_the_module():
    schema = yaml.safe_load((ROOT / "workflow" / "schemas" / "config.schema.yaml").read_text(encoding="utf-8"))
    assert schema["$defs"]["unit_kinds"]["items"]["enum"] == list(agreement.UNIT_KINDS)
    spec = schema["properties"]["qualitative"]["properties"]["agreement"]["properties"]
    assert spec["units"]["default"] == ia.DEFAULTS["units"]
    assert spec["thresholds"]["default"] == ia.DEFAULTS["thresholds"] == list(agreement.THRESHOLDS)
    assert spec["include_descendants"]["default"] is ia.DEFAULTS["include_descendants"]
    assert QUAL["agreement"] == ia.DEFAULTS  # config.yaml states the defaults


def test_the_rule_imports_neither_statsmodels_nor_krippendorff():
    code = "import sys; import intercoder_agreement; print(sorted(m for m in ('statsmodels', 'krippendorff') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT / "scripts", capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
