"""The qualitative arm's structure (issues 9, 10 and 12): coders and the consensus coding,
themes by people with small-cell suppression, neutral document ids and redacted code names,
optional inputs, and the hostile cases, run through the two stages (no Snakemake).

Expected values are worked out by hand in the tests, or computed here from the *raw* files
by a route of their own (raw speaker names, the roster and the organisation lookup), not by
the code under test.
"""

import copy
import csv
import io
import itertools
import re
import shutil
import zipfile
from pathlib import Path

import pandas as pd
import pytest
import yaml

import anonymise_freetext
import themes
from anonymise_freetext import (
    anonymise_text,
    neutral_code_paths,
    people_for,
    read_notes,
    read_transcripts,
    speaker_levels,
    transcript_files,
)
from consensus import counted
from contracts import produced_by, read_result, result
from errors import WITHHELD, InputError
from mock_snakemake import MockSnakemake
from qda import read_coded_export
from redact import Person, Redactor
from roster import read_facilitators, read_roster
from stage import setup_logging
from test_privacy import identifiers, leaks, patterns
from themes import align_totals, focus_group_speakers, focus_group_themes, speakers_by_grouping, suppress_row
from turns import Speakers, participants, turns

ROOT = Path(__file__).resolve().parent.parent
SYN = ROOT / "data" / "synthetic"
CONFIG = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
# These tests read the divided coding (one coder per document: flip charts, three focus
# groups each), for which no consensus coder is needed: unset, as a study coded that way has it.
CONFIG["qualitative"]["consensus"] = None
QUAL = CONFIG["qualitative"]
KEY = b"test-key-for-the-structure-tests"
ROSTER_NAMES = [r["Full name"] for r in csv.DictReader(io.StringIO((SYN / "roster.csv").read_text(encoding="utf-8")))]


def raised(fn, *args, **kwargs) -> InputError:
    with pytest.raises(InputError) as excinfo:
        fn(*args, **kwargs)
    return excinfo.value


@pytest.fixture(scope="module")
def base():
    roster = read_roster(SYN / "roster.csv", CONFIG)
    facilitators = read_facilitators(SYN / "facilitators.csv")
    redactor = Redactor.from_config(people_for(roster, facilitators, KEY), CONFIG["redaction"])
    notes = read_notes(SYN / "flipchart_notes.csv", QUAL["flipchart"])
    transcripts = read_transcripts(SYN / "transcripts", "*.txt")
    return roster, facilitators, redactor, notes, transcripts


@pytest.fixture(scope="module")
def maxqda(base):
    _, _, redactor, notes, transcripts = base
    return anonymise_text(notes, transcripts, SYN / "coded_segments_maxqda_divided.csv", redactor, QUAL)


# ============================================================================= small-cell suppression
@pytest.mark.parametrize(
    ("cells", "total", "shown", "shown_total", "names"),
    [
        # nothing below k
        ({"a": 5, "b": 6}, 11, {"a": 5, "b": 6}, 11, []),
        # zeros are shown
        ({"a": 0, "b": 0}, 0, {"a": 0, "b": 0}, 0, []),
        # one small cell and the total would give it away (10 - 7 = 3): the smallest other goes too
        ({"a": 0, "b": 7, "c": 3}, 10, {"a": 0, "b": None, "c": None}, 10, ["b", "c"]),
        # two small cells whose sum (7) leaves each 3 or 4: not pinned, the rest is shown
        ({"a": 3, "b": 4, "c": 9}, 16, {"a": None, "b": None, "c": 9}, 16, ["a", "b"]),
        # two ones: their sum 2 over two cells pins both at 1
        ({"a": 1, "b": 1, "c": 6}, 8, {"a": None, "b": None, "c": None}, 8, ["a", "b", "c"]),
        # two at the bound: sum 8 over two cells of at most 4 pins both at 4
        ({"a": 4, "b": 4, "c": 9}, 17, {"a": None, "b": None, "c": None}, 17, ["a", "b", "c"]),
        # a small total is suppressed itself
        ({"a": 2, "b": 2}, 4, {"a": None, "b": None}, None, ["a", "b", "total"]),
        # nothing else to hide (a total of people in two groups need not be a sum): the total goes
        ({"a": 3, "b": 0}, 6, {"a": None, "b": 0}, None, ["a", "total"]),
        # the smallest of the others goes first, the first among equals
        ({"a": 2, "b": 9, "c": 6, "d": 6}, 23, {"a": None, "b": 9, "c": None, "d": 6}, 23, ["a", "c"]),
    ],
)
def test_suppress_row(cells, total, shown, shown_total, names):
    assert suppress_row(cells, total, 5) == (shown, shown_total, names)


def test_a_total_suppressed_in_one_table_is_suppressed_in_the_other():
    # MHS and CJS both hidden with a total of 8 and at most 4 each: the groups table's 8 would pin them.
    by_group = pd.DataFrame({"theme": ["T", "T"], "sub_theme": ["", "s"], "total": pd.array([8, 9], "Int64"), "suppressed": ["", "x"]})
    by_level = pd.DataFrame(
        {
            "theme": ["(all speakers)", "T", "T"],
            "sub_theme": ["", "", "s"],
            "total": pd.array([20, pd.NA, 9], "Int64"),
            "suppressed": ["", "total", ""],
        }
    )
    a, b = align_totals(by_group, by_level)
    assert a["total"].tolist() == [pd.NA, 9] and a["suppressed"].tolist() == ["total", "x"]
    assert b["total"].tolist() == [20, pd.NA, 9] and b["suppressed"].tolist() == ["", "total", ""]


# ============================================================================= turns and speakers
TRANSCRIPT = """Welcome, everyone.
[Facilitator]: What should the training cover?
[Participant 01]: Roles, mostly.
And who to call.
[Participant 02] (CJS): Budgets.
[Participant 03] and [Participant 04]: Both of those.
[Unlisted speaker]: Me too.
"""


def test_turns_start_at_a_label_and_a_colon_and_run_to_the_next():
    t = turns(TRANSCRIPT)
    assert [TRANSCRIPT[x.start : x.end].split(":")[0] for x in t] == [
        "[Facilitator]",
        "[Participant 01]",
        "[Participant 02] (CJS)",
        "[Participant 03] and [Participant 04]",
        "[Unlisted speaker]",
    ]
    assert [x.participants for x in t] == [(), ("[Participant 01]",), ("[Participant 02]",), ("[Participant 03]", "[Participant 04]"), ()]
    assert participants(TRANSCRIPT) == {"[Participant 01]", "[Participant 02]", "[Participant 03]", "[Participant 04]"}
    assert turns("no turns at all") == []


def test_a_segment_is_raised_by_the_participants_of_the_turns_it_overlaps():
    who = Speakers(TRANSCRIPT)
    at = TRANSCRIPT.index
    assert who.of(at("who to call"), at("who to call") + 11) == {"[Participant 01]"}  # a continuation line
    assert who.of(at("Roles"), at("Budgets") + 7) == {"[Participant 01]", "[Participant 02]"}
    assert who.of(at("Both"), at("Both") + 4) == {"[Participant 03]", "[Participant 04]"}
    assert who.of(at("What"), at("What") + 4) == set()  # the facilitator is nobody's pseudonym
    assert who.of(0, 7) == set()  # before the first turn
    assert who.of(at("Budgets"), at("Budgets")) == {"[Participant 02]"}  # zero-length: the turn it sits in


# ============================================================================= coders and consensus
def frame(rows):
    return pd.DataFrame(rows, columns=["source", "coder"])


def test_consensus_unset_counts_every_segment_when_each_document_has_one_coder():
    mask, summary = counted(frame([("d1", "Coder A"), ("d1", "Coder A"), ("d2", "Coder B")]), None)
    assert mask.tolist() == [True, True, True]
    assert summary == {"consensus": None, "documents_by_consensus": 0, "documents_by_only_coder": 2, "segments_counted": 3}


def test_consensus_unset_with_a_document_coded_twice_asks_for_the_key():
    exc = raised(counted, frame([("d1", "Coder A"), ("d1", "Coder B")]), None)
    assert "key qualitative.consensus" in exc.line() and "1 documents are coded by more than one coder" in exc.line()
    assert "expected qualitative.consensus set to one of: 'Coder A', 'Coder B'" in exc.line()


def test_consensus_label_counts_its_coding_where_it_coded_and_the_only_coder_elsewhere():
    seg = frame([("d1", "Coder A"), ("d1", "Agreed"), ("d2", "Coder A"), ("d2", "Coder B"), ("d2", "Agreed"), ("d3", "Coder C")])
    mask, summary = counted(seg, "Agreed")
    assert mask.tolist() == [False, True, False, False, True, True]
    assert summary == {"consensus": "Agreed", "documents_by_consensus": 2, "documents_by_only_coder": 1, "segments_counted": 3}


def test_consensus_coder_decides_the_whole_group_it_coded():
    """Double-coded flip charts: the consensus coder left note 3 uncoded, the other coder coded
    it; in the consensus coding note 3 has no theme. The focus groups, coded by one person
    only, count that coder."""
    seg = pd.DataFrame(
        [
            ("note 001", "expectation", "Coder A"),
            ("note 001", "expectation", "Coder B"),
            ("note 003", "expectation", "Coder B"),
            ("Focus group 1", "focus_group", "Coder C"),
        ],
        columns=["source", "group", "coder"],
    )
    mask, summary = counted(seg, "Coder A")
    assert mask.tolist() == [True, False, False, True]
    assert summary == {"consensus": "Coder A", "documents_by_consensus": 2, "documents_by_only_coder": 1, "segments_counted": 2}


def test_consensus_errors_name_the_key_and_no_person():
    seg = frame([("Focus group 2", "Coder A"), ("Focus group 2", "Coder B"), ("note 001", "Coder C")])
    exc = raised(counted, seg, "Coder C")
    expected = "in a group the consensus coder did not code, e.g. Focus group 2 (coded by Coder A, Coder B)"
    assert f"1 documents are coded by several coders {expected}" in exc.line()
    exc = raised(counted, seg, "Coder D")
    assert "names a coder that has no coded segments; found 'Coder D'" in exc.line()


def test_coded_segments_carry_a_coder_after_group_and_keep_every_coder(maxqda):
    seg = maxqda["segments"]
    assert list(seg.columns[:5]) == ["segment_id", "source", "group", "coder", "code_path"]
    raw = pd.read_csv(SYN / "coded_segments_maxqda_divided.csv", dtype=str)
    # Coder A, B, C in order of first appearance: KT (flip charts), LW and RA (three focus groups each)
    first = list(dict.fromkeys(raw["Created by"]))
    expected = raw["Created by"].map({c: f"Coder {chr(65 + i)}" for i, c in enumerate(first)}).value_counts().to_dict()
    assert seg["coder"].value_counts().to_dict() == expected == {"Coder A": 157, "Coder B": 85, "Coder C": 82}
    assert not any(name in set(seg["coder"]) for name in first)
    q = maxqda["qualitative"]
    assert q["consensus"] == {"consensus": None, "documents_by_consensus": 0, "documents_by_only_coder": 154, "segments_counted": 324}


def test_one_export_per_coder_with_labels_from_the_config(base, tmp_path):
    *_, redactor, notes, transcripts = base
    second = tmp_path / "second_coder.csv"
    shutil.copy(SYN / "taguette_highlights.csv", second)
    exports = [(SYN / "taguette_highlights.csv", "Coder A"), (second, "Agreed")]
    exc = raised(anonymise_text, notes, transcripts, exports, redactor, QUAL)
    assert "key qualitative.consensus" in exc.line() and "expected qualitative.consensus set to one of: 'Agreed', 'Coder A'" in exc.line()
    out = anonymise_text(notes, transcripts, exports, redactor, QUAL | {"consensus": "Agreed"})
    seg = out["segments"]
    assert seg["coder"].value_counts().to_dict() == {"Agreed": 324, "Coder A": 324}
    a, b = (seg[seg["coder"] == c].drop(columns=["segment_id", "coder"]).reset_index(drop=True) for c in ("Coder A", "Agreed"))
    pd.testing.assert_frame_equal(a, b)  # every coder's segments in the same redacted offsets
    assert out["qualitative"]["consensus"]["segments_counted"] == 324
    assert [e["coder"] for e in out["qualitative"]["exports"]] == ["Coder A", "Agreed"]


def test_an_export_with_several_coders_cannot_take_one_label(base):
    *_, redactor, notes, transcripts = base
    exc = raised(anonymise_text, notes, transcripts, [(SYN / "coded_segments_maxqda_divided.csv", "Coder A")], redactor, QUAL)
    assert "the export records 3 coders, but the config gives it one coder label" in exc.line()
    assert "key inputs.coded_export[0].coder" in exc.line()


# ============================================================================= code names
def redactor_for(*people: tuple[str, str]) -> Redactor:
    return Redactor([Person(n, label, "participant") for n, label in people], places=["Ashcombe"])


def test_code_names_are_redacted_level_by_level_and_keep_their_structure():
    red = redactor_for(("Sarah Okafor", "[Participant 07]"))
    paths = [
        "Focus-group themes > Budget > Sarah Okafor's view",
        "Focus-group themes > Budget > Sarah Okafor's view > detail",
        "Ashcombe themes > Ashcombe",
    ]
    mapping, counts = neutral_code_paths(paths, red, keep={"Focus-group themes", "Ashcombe themes"})
    assert mapping == {
        "Focus-group themes": "Focus-group themes",
        "Focus-group themes > Budget": "Focus-group themes > Budget",
        "Focus-group themes > Budget > Sarah Okafor's view": "Focus-group themes > Budget > [Participant 07]'s view",
        "Focus-group themes > Budget > Sarah Okafor's view > detail": "Focus-group themes > Budget > [Participant 07]'s view > detail",
        "Ashcombe themes": "Ashcombe themes",  # a configured category is a label of the config, kept
        "Ashcombe themes > Ashcombe": "Ashcombe themes > [Place]",
    }
    assert counts == {"participant": 1, "place": 1}  # each code name is redacted once, however many paths hold it


def test_codes_that_redaction_makes_equal_stay_distinct():
    red = redactor_for(("Sarah Okafor", "[Participant 07]"))
    # "Sarah" and "Okafor" both become [Participant 07]; "Okafor" comes first by name and keeps it, "Sarah" is the
    # second, and a code really named "[Participant 07] (2)" (third by name) becomes the third.
    paths = ["T > Sarah", "T > Okafor", "T > Sarah > a", "T > Okafor > a", "T > [Participant 07] (2)"]
    mapping, _ = neutral_code_paths(paths, red)
    assert mapping["T > Okafor"] == "T > [Participant 07]"
    assert mapping["T > Sarah"] == "T > [Participant 07] (2)"
    assert mapping["T > [Participant 07] (2)"] == "T > [Participant 07] (2) (2)"
    assert mapping["T > Sarah > a"] == "T > [Participant 07] (2) > a" and mapping["T > Okafor > a"] == "T > [Participant 07] > a"
    assert len(set(mapping.values())) == len(mapping)


def test_a_roster_name_in_a_maxqda_code_cell_is_redacted_in_segments_and_codebook(base, tmp_path):
    *_, redactor, notes, transcripts = base
    name = ROSTER_NAMES[0]
    text = (SYN / "coded_segments_maxqda_divided.csv").read_text(encoding="utf-8")
    path = tmp_path / "maxqda.csv"
    path.write_text(text.replace(" > Budgetary pressure,", f" > Budgetary pressure for {name},"), encoding="utf-8")
    out = anonymise_text(notes, transcripts, path, redactor, QUAL)
    written = out["segments"].to_csv() + out["codebook"].to_csv()
    assert name.split()[-1] not in written and name.split()[0] not in written
    assert re.search(r"Constraints > Budgetary pressure for \[Participant \d\d\],", written)
    assert ("codebook.csv", "participant", 1) in set(out["log"].itertuples(index=False, name=None))


# ============================================================================= documents and their neutral ids
def test_transcripts_are_found_without_regard_to_case_in_name_order(tmp_path):
    for name in ["focus_group_6.TXT", "fg_10.txt", "fg_9.txt", "notes.docx", "FG_2.Txt"]:
        (tmp_path / name).write_text("[x]: y\n", encoding="utf-8")
    assert [f.name for f in transcript_files(tmp_path, "*.txt")] == ["FG_2.Txt", "fg_9.txt", "fg_10.txt", "focus_group_6.TXT"]
    assert list(read_transcripts(tmp_path, "*.txt")) == ["Focus group 1", "Focus group 2", "Focus group 3", "Focus group 4"]


def test_notes_and_transcripts_get_neutral_ids_and_the_map_stays_in_restricted(maxqda):
    key = maxqda["document_key"]
    assert key.iloc[0].tolist() == ["note", "note 001", "E01"]
    assert key[key["kind"] == "transcript"]["original"].tolist() == [f"focus_group_{i}.txt" for i in range(1, 7)]
    assert maxqda["notes"]["note_id"].tolist()[:2] == ["note 001", "note 002"]
    assert set(maxqda["segments"]["source"]) <= set(key["neutral"])


def test_a_transcript_file_that_the_export_does_not_name_is_an_error(base, tmp_path):
    *_, redactor, notes, _ = base
    folder = tmp_path / "transcripts"
    shutil.copytree(SYN / "transcripts", folder)
    (folder / f"Interview {ROSTER_NAMES[2]}.txt").write_text("[x]: something\n", encoding="utf-8")
    transcripts = read_transcripts(folder, "*.txt")  # "interview ..." sorts after "focus group ..."
    exc = raised(anonymise_text, notes, transcripts, SYN / "coded_segments_maxqda_divided.csv", redactor, QUAL, transcripts_folder=folder)
    line = exc.line()
    assert line.startswith(
        f"ERROR {folder}, file 7 of 7 in name order (Focus group 7): the transcript is not a document of the coded export"
    )
    assert ROSTER_NAMES[2].split()[-1] not in line


def test_an_export_document_that_matches_no_file_is_an_error_without_its_name(base, tmp_path):
    *_, redactor, notes, transcripts = base
    rows = list(csv.reader(io.StringIO((SYN / "coded_segments_maxqda_divided.csv").read_text(encoding="utf-8"))))
    rows[12][rows[0].index("Document name")] = f"Interview {ROSTER_NAMES[3]}"
    path = tmp_path / "maxqda.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    line = raised(anonymise_text, notes, transcripts, path, redactor, QUAL).line()
    assert f"row 13, column 'Document name': segment refers to an unknown document; found {WITHHELD}" in line
    assert "documents given, ignoring case and punctuation" in line and ROSTER_NAMES[3].split()[-1] not in line


def test_a_note_id_that_clashes_with_a_transcript_name_is_an_error(base, tmp_path):
    *_, redactor, _, transcripts = base
    notes = pd.DataFrame({"note_id": ["Focus group 2"], "sheet": ["expectation"], "text": ["x"]})
    line = raised(anonymise_text, notes, transcripts, SYN / "coded_segments_maxqda_divided.csv", redactor, QUAL).line()
    assert "file 2 of 6 in name order (Focus group 2): a transcript file has the same name as the flip-chart note on row 2" in line


# ============================================================================= what cannot be read is counted
def test_codes_only_on_pdfs_are_counted_and_carry_the_hint(base, tmp_path):
    from test_qda_refi import MEDIA, project, write

    *_, redactor, notes, _ = base
    path = write(tmp_path / "pdf_only.qdpx", project(MEDIA))
    out = anonymise_text(notes, {}, path, redactor, QUAL)
    q = out["qualitative"]
    assert q["segments"] == 0 and q["skipped"]["pdf"] == {"sources": 1, "codings": 3}
    assert q["exports"][0]["skipped"]["audio"] == {"sources": 1, "codings": 2}
    assert q["hints"][0].startswith("3 codings are only on PDF sources and were not read: codes on PDF regions have no text offsets")
    assert (
        q["hints"][1]
        == "codings on non-text sources were not read (audio: 2, picture: 2, video: 1); only text can be redacted and tabulated"
    )
    # With transcripts that the PDFs stand for, the error says why they are missing.
    transcripts = read_transcripts(SYN / "transcripts", "*.txt")
    line = raised(anonymise_text, notes, transcripts, path, redactor, QUAL).line()
    assert "the export has 3 codings on PDF sources" in line and "export the PDF's text as a text document" in line


# ============================================================================= themes by people, checked from the raw files
def raw_people_by_row(category):
    """Independently of turns.py and the redaction: raw speakers ('Name:' at a line start) of
    the turns each raw segment overlaps, mapped to the roster (titles dropped), by (theme,
    sub_theme): {row: {focus group: set of names}}."""
    docs = {f"Focus group {i}": (SYN / "transcripts" / f"focus_group_{i}.txt").read_text(encoding="utf-8") for i in range(1, 7)}
    export = read_coded_export(SYN / "coded_segments_maxqda_divided.csv", documents=docs | _notes())
    seg = export.segments[export.segments["code_path"].str.startswith(category + " > ")]
    roster = {re.sub(r"^(Dr|Prof|Mr|Mrs|Ms) ", "", n): n for n in ROSTER_NAMES}
    out: dict[tuple[str, str], dict[str, set]] = {}
    for r in seg.itertuples():
        text = docs[r.document]
        starts = [m.start() for m in re.finditer(r"^[^:\n]{1,60}:[ \t]", text, re.MULTILINE)] + [len(text)]
        people = set()
        for a, b in itertools.pairwise(starts):
            if a < r.end and b > r.start:
                speaker = re.sub(r"^(Dr|Prof|Mr|Mrs|Ms) ", "", text[a:].split(":", 1)[0])
                if speaker in roster:
                    people.add(roster[speaker])
        levels = r.code_path.split(" > ")
        for key in [(levels[1], ""), (levels[1], " > ".join(levels[2:]))] if len(levels) > 2 else [(levels[1], "")]:
            out.setdefault(key, {}).setdefault(r.document, set()).update(people)
    return out


def _notes():
    notes = read_notes(SYN / "flipchart_notes.csv", QUAL["flipchart"])
    return dict(zip(notes["note_id"], notes["text"], strict=True))


def org_type_of(config: dict) -> dict[str, str]:
    lookup = {k.casefold(): v["org_type"] for k, v in config["organisation_lookup"].items()}
    rows = csv.DictReader(io.StringIO((SYN / "roster.csv").read_text(encoding="utf-8")))
    return {r["Full name"]: lookup.get(r["Organisation"].casefold(), "") for r in rows}


def test_people_per_theme_match_the_raw_transcripts(base, maxqda):
    roster = base[0]
    category = QUAL["codebook"]["focus_group_category"]
    groups = [f"Focus group {i}" for i in range(1, 7)]
    fg = focus_group_themes(maxqda["segments"], groups, category)
    order = fg[["theme", "sub_theme"]]
    unsuppressed = focus_group_speakers(maxqda["segments"], maxqda["transcripts"], groups, category, 1, order)
    expected = raw_people_by_row(category)
    assert len(unsuppressed) == len(expected) == 23
    for row in unsuppressed.to_dict("records"):
        per = expected[(row["theme"], row["sub_theme"])]
        assert [row[g] for g in groups] == [len(per.get(g, set())) for g in groups], row
        assert row["total"] == len(set().union(*per.values())) and row["n_groups"] == sum(bool(p) for p in per.values())
    # By professional group: the roster's organisation through the survey's lookup
    labels = anonymise_freetext.participant_labels(roster, KEY)
    speaking = set().union(*map(participants, maxqda["transcripts"].values()))
    groups_df = speaker_levels(roster, labels, speaking, CONFIG)
    org = org_type_of(CONFIG)
    assert dict(zip(groups_df["speaker"], groups_df["level"], strict=True)) == {labels[n]: org[n] for n in labels if labels[n] in speaking}
    by_level = speakers_by_grouping(maxqda["segments"], maxqda["transcripts"], groups_df, ["MHS", "CJS"], category, 1, order)
    assert by_level.iloc[0][["theme", "MHS", "CJS", "no_level", "total"]].tolist() == ["(all speakers)", 27, 25, 0, 52]
    for row in by_level.iloc[1:].to_dict("records"):
        people = set().union(*expected[(row["theme"], row["sub_theme"])].values())
        assert [row["MHS"], row["CJS"], row["total"]] == [sum(org[p] == lv for p in people) for lv in ("MHS", "CJS")] + [len(people)]


# ============================================================================= the stages, end to end (no Snakemake)
def run_stages(tmp: Path, config: dict, inputs: dict, coders=(None,)) -> Path:
    """anonymise_freetext then themes, as their rules wire them, into ``tmp/results``."""
    res = tmp / "results"
    out_a = {r.key: str(res / r.path) for r in produced_by("anonymise_freetext")}
    restricted = [str(tmp / "restricted" / "redaction_key.csv"), str(tmp / "restricted" / "document_key.csv")]
    setup_logging(res / "logs" / "anonymise_freetext.log")
    anonymise_freetext.main(
        MockSnakemake(
            input=inputs,
            output={**out_a, "restricted_key": restricted},
            params={"keep_key": True, "coders": list(coders)},
            config=config,
        )
    )
    out_t = {r.key: str(res / r.path) for r in produced_by("themes")}
    grouping = config["qualitative"].get("speaker_grouping")
    setup_logging(res / "logs" / "themes.log")
    themes.main(
        MockSnakemake(
            input={k: out_a[k] for k in ("segments", "notes", "export_codebook", "transcripts", "speaker_groups")},
            output=out_t,
            params={
                "codebook": config["qualitative"]["codebook"],
                "quotes": config["qualitative"]["quotes"],
                "consensus": config["qualitative"].get("consensus"),
                "k": config["k_anonymity"]["k"],
                "speaker_grouping": grouping,
                "demographics": config.get("demographics", {}),
            },
            config=config,
        )
    )
    setup_logging(None)
    return res


DEFAULT_INPUTS = {
    "roster": SYN / "roster.csv",
    "facilitators": SYN / "facilitators.csv",
    "flipchart": SYN / "flipchart_notes.csv",
    "transcripts": SYN / "transcripts",
    "coded_export": SYN / "coded_segments_maxqda_divided.csv",
}


def table(res: Path, key: str) -> pd.DataFrame:
    return read_result(res / result(key).path, result(key), as_text=True)


@pytest.fixture(scope="module")
def default_stages(tmp_path_factory):
    return run_stages(tmp_path_factory.mktemp("default"), CONFIG, {k: str(v) for k, v in DEFAULT_INPUTS.items()})


def test_default_stages_write_the_people_tables_with_small_cells_suppressed(default_stages):
    by_group, by_level = table(default_stages, "focus_group_speakers"), table(default_stages, "theme_speakers_by_grouping")
    k = CONFIG["k_anonymity"]["k"]
    for df, cols in ((by_group, [f"Focus group {i}" for i in range(1, 7)]), (by_level, ["MHS", "CJS", "no_level"])):
        for row in df.to_dict("records"):
            hidden = [c for c in [*cols, "total"] if row[c] == ""]
            assert hidden == [c for c in row["suppressed"].split("; ") if c], row
            assert all(row[c] == "0" or int(row[c]) >= k for c in [*cols, "total"] if row[c] != ""), row
    assert by_level.iloc[0].tolist() == ["(all speakers)", "", "27", "25", "0", "52", ""]
    # the rows of both follow the focus-group matrix, whose values are unchanged
    fg = table(default_stages, "focus_groups")
    assert (
        by_group[["theme", "sub_theme"]].values.tolist()
        == fg[["theme", "sub_theme"]].values.tolist()
        == by_level.iloc[1:][["theme", "sub_theme"]].values.tolist()
    )
    groups = read_result(default_stages / result("speaker_groups").path, result("speaker_groups"))
    assert list(groups.columns) == ["speaker", "level"] and len(groups) == 52 and set(groups["level"]) == {"MHS", "CJS"}
    log = read_result(default_stages / result("qualitative_log").path, result("qualitative_log"))
    assert log["speakers"] == {"participants": 52, "without_level": 0} and log["inputs_absent"] == []


@pytest.mark.parametrize(
    "absent",
    [("flipchart",), ("transcripts",), ("roster", "facilitators")],
    ids=["no flip charts", "flip charts only", "no lists of people"],
)
def test_every_part_but_the_export_is_optional(absent, tmp_path, monkeypatch):
    monkeypatch.setenv("RIPLS_PSEUDONYM_KEY", "a-test-key-for-optional-inputs")
    inputs = {k: str(v) for k, v in DEFAULT_INPUTS.items() if k not in absent}
    if "transcripts" in absent:  # an export of the flip charts only
        rows = list(csv.reader(io.StringIO((SYN / "coded_segments_maxqda_divided.csv").read_text(encoding="utf-8"))))
        rows = [rows[0]] + [r for r in rows[1:] if not r[2].startswith("Focus group")]
        inputs["coded_export"] = str(tmp_path / "flipchart_only.csv")
        with open(inputs["coded_export"], "w", encoding="utf-8", newline="") as fh:
            csv.writer(fh).writerows(rows)
    if "flipchart" in absent:
        rows = list(csv.reader(io.StringIO((SYN / "taguette_highlights.csv").read_text(encoding="utf-8"))))
        rows = [rows[0]] + [r for r in rows[1:] if r[1].startswith("Focus group")]
        inputs["coded_export"] = str(tmp_path / "transcripts_only.csv")
        with open(inputs["coded_export"], "w", encoding="utf-8", newline="") as fh:
            csv.writer(fh).writerows(rows)
    res = run_stages(tmp_path, CONFIG, inputs)
    log = read_result(res / result("qualitative_log").path, result("qualitative_log"))
    assert log["inputs_absent"] == list(absent)
    t4, fg = table(res, "table4"), table(res, "focus_groups")
    by_group, by_level = table(res, "focus_group_speakers"), table(res, "theme_speakers_by_grouping")
    if "flipchart" in absent:
        assert t4.empty and list(t4.columns) == ["sheet", "theme", "sub_theme", "n_notes", "denominator", "pct"]
        assert len(fg) == 23 and len(by_group) == 23
    if "transcripts" in absent:
        assert len(t4) == 17 and fg.empty and by_group.empty and by_level.empty and table(res, "sizes").empty
        assert list(by_level.columns) == ["theme", "sub_theme", "MHS", "CJS", "no_level", "total", "suppressed"]
        assert not any((res / "anonymised" / "transcripts").iterdir())
    if "roster" in absent:  # nobody is a participant: every speaker is unlisted, nobody is counted
        assert log["unlisted_speakers"] > 40 and log["speakers"] == {"participants": 0, "without_level": 0}
        assert by_level.iloc[0].tolist() == ["(all speakers)", "", "0", "0", "0", "0", ""]
        assert len(t4) == 17 and len(fg) == 23


# ============================================================================= hostile inputs, scanned as test_privacy scans results/
def test_the_scan_sees_names_joined_by_underscores_and_in_file_names(tmp_path):
    first, last = ROSTER_NAMES[2].split()[0], ROSTER_NAMES[2].split()[-1]
    (tmp_path / "anonymised").mkdir()
    (tmp_path / "anonymised" / f"focus_group_{first}_{last}.txt").write_text("nothing here\n", encoding="utf-8")
    (tmp_path / "notes.csv").write_text(f"note_id\nE05_{first}\n", encoding="utf-8")
    found = leaks(tmp_path, patterns(identifiers(ROOT)))
    assert {(f, m) for f, _, m in found} >= {
        (f"anonymised/focus_group_{first}_{last}.txt", first.lower()),
        (f"anonymised/focus_group_{first}_{last}.txt", last.lower()),
        ("notes.csv", first.lower()),
    }


def test_hostile_qdpx_and_file_names_reach_no_result(default_stages, tmp_path, monkeypatch):
    """A roster name in a .qdpx code name, a transcript file named after a participant (and its
    .qdpx source), a roster name in a note id: each stays out of every file the stages write."""
    monkeypatch.setenv("RIPLS_PSEUDONYM_KEY", "a-test-key-for-hostile-inputs")
    in_code, in_note, in_file = ROSTER_NAMES[0], ROSTER_NAMES[1], ROSTER_NAMES[2]
    stem = f"Interview {in_file}"
    data = tmp_path / "data"
    shutil.copytree(SYN, data)
    (data / "transcripts" / "focus_group_3.txt").rename(data / "transcripts" / f"{stem}.txt")
    notes = data / "flipchart_notes.csv"
    notes.write_text(notes.read_text(encoding="utf-8").replace("\nE05,", f"\nE05 {in_note},", 1), encoding="utf-8")
    qdpx = data / "coded_project.qdpx"
    with zipfile.ZipFile(SYN / "coded_project.qdpx") as src, zipfile.ZipFile(qdpx, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info)
            if info.filename == "project.qde":
                body = body.replace(b'name="Budgetary pressure"', f'name="Budgetary pressure ({in_code})"'.encode())
                body = body.replace(b'name="Focus group 3"', f'name="{stem}"'.encode()).replace(
                    b'name="E05"', f'name="E05 {in_note}"'.encode()
                )
            dst.writestr(info, body)
    inputs = {k: str(data / Path(v).relative_to(SYN)) for k, v in DEFAULT_INPUTS.items()} | {"coded_export": str(qdpx)}
    config = copy.deepcopy(CONFIG)
    config["qualitative"]["consensus"] = "Coder A"  # the .qdpx holds two coders of every document
    res = run_stages(tmp_path, config, inputs)
    assert leaks(res, patterns(identifiers(ROOT))) == []
    codebook = table(res, "codebook")
    assert any(re.fullmatch(r"Budgetary pressure \(\[Participant \d\d\]\)", s) for s in codebook["sub_theme"])
    key = pd.read_csv(tmp_path / "restricted" / "document_key.csv", dtype=str)
    assert key.set_index("original")["neutral"][f"{stem}.txt"] == "Focus group 6"
    assert key.set_index("original")["neutral"][f"E05 {in_note}"] == "note 005"
    # the same tables as the default run (the renamed transcript is now Focus group 6)
    assert table(res, "table4").equals(table(default_stages, "table4"))
    fg, fg0 = table(res, "focus_groups"), table(default_stages, "focus_groups")
    fg["sub_theme"] = fg["sub_theme"].str.replace(r" \(\[Participant \d\d\]\)$", "", regex=True)
    renamed = {
        "Focus group 6": "Focus group 3",
        "Focus group 3": "Focus group 4",
        "Focus group 4": "Focus group 5",
        "Focus group 5": "Focus group 6",
    }
    fg = fg.rename(columns=renamed)[list(fg0.columns)]
    assert sorted(fg.values.tolist()) == sorted(fg0.values.tolist())


# ============================================================================= config
def config_with(**changes) -> dict:
    import copy

    config = copy.deepcopy(CONFIG)
    for dotted, value in changes.items():
        *parents, last = dotted.split("__")
        node = config
        for part in parents:
            node = node[part]
        if value is None:
            node.pop(last)
        else:
            node[last] = value
    return config


@pytest.mark.parametrize(
    ("changes", "where", "found", "expected"),
    [
        (
            {"inputs__coded_export": [{"path": "data/synthetic/taguette_highlights.csv", "coder": "KT"}]},
            "key inputs.coded_export[0].coder",
            "'KT'",
            "(Coder [A-Z]{1,2}|Agreed|Consensus)",
        ),
        (
            {
                "inputs__coded_export": [
                    {"path": "data/synthetic/taguette_highlights.csv", "coder": "Coder A"},
                    {"path": "data/synthetic/coded_project.qdpx", "coder": "Coder A"},
                ]
            },
            "key inputs.coded_export[1].coder",
            "'Coder A'",
            "one label per export",
        ),
        (
            {
                "inputs__coded_export": [{"path": "data/synthetic/taguette_highlights.csv", "coder": "Coder A"}],
                "qualitative__consensus": "Agreed",
            },
            "key qualitative.consensus",
            "'Agreed'",
            "one of: 'Coder A'",
        ),
        ({"qualitative__consensus": "Sarah"}, "key qualitative.consensus", "'Sarah'", "(Coder [A-Z]{1,2}|Agreed|Consensus)"),
        ({"qualitative__speaker_grouping": "gender"}, "key qualitative.speaker_grouping", "'gender'", "one of: 'org_type', 'sector'"),
        ({"inputs__flipchart": None, "inputs__transcripts": None}, "key inputs", None, "inputs.flipchart, inputs.transcripts or both"),
        ({"redaction__nicknames": "yes"}, "key redaction.nicknames", "'yes'", "a value of type boolean"),
    ],
    ids=[
        "coder label a person's initials",
        "coder label twice",
        "consensus not a label",
        "consensus a name",
        "grouping not looked up",
        "nothing to code",
        "nicknames not a bool",
    ],
)
def test_config_mistakes_of_the_qualitative_arm(changes, where, found, expected):
    import config_check

    line = raised(config_check.check_config, config_with(**changes), root=ROOT).line()
    assert line.startswith("ERROR config.yaml") and where in line.split(": ", 1)[0], line
    if found is not None:
        assert f"; found {found}" in line, line
    assert expected in line, line


def test_the_optional_and_per_coder_forms_pass_the_config_check():
    import config_check

    config_check.check_config(config_with(inputs__roster=None, inputs__facilitators=None, inputs__flipchart=None), root=ROOT)
    exports = [
        {"path": "data/synthetic/taguette_highlights.csv", "coder": "Coder A"},
        {"path": "data/synthetic/coded_project.qdpx", "coder": "Agreed"},
    ]
    config_check.check_config(
        config_with(inputs__coded_export=exports, qualitative__consensus="Agreed", redaction__nicknames=False), root=ROOT
    )


def test_redaction_nicknames_is_wired_from_the_config(base):
    roster = base[0]
    name = next(n for n in roster["name"] if n.startswith("Andrew "))  # Andy and Drew are Andrew's nicknames
    people = people_for(roster, [], KEY)
    on = Redactor.from_config(people, CONFIG["redaction"])
    off = Redactor.from_config(people, CONFIG["redaction"] | {"nicknames": False})
    assert CONFIG["redaction"]["nicknames"] is True
    assert on.redact("Ask Andy.").text != "Ask Andy." and off.redact("Ask Andy.").text == "Ask Andy."
    assert on.redact(f"Ask {name}.").text == off.redact(f"Ask {name}.").text
