"""The qualitative arm in process: free-text anonymisation and theme tables on the synthetic
study, from each shape of the coded export.

The expected counts come from the generator's record (data/synthetic/generator_record_qual.json),
which it wrote from its own coding, independently of the readers and the tables tested here.
"""

import json
import re
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import pandas as pd
import pytest
import yaml

from anonymise_freetext import anonymise_text, people_for, read_notes, read_transcripts
from consensus import counted
from redact import Redactor
from roster import read_roster
from themes import codebook_table, focus_group_themes, group_sizes, table4, theme_quotes

ROOT = Path(__file__).resolve().parent.parent
SYN = ROOT / "data" / "synthetic"
SHAPES = ["coded_segments_maxqda_coder_a.csv", "coded_project.qdpx", "taguette_highlights.csv"]
KEY = b"test-key-for-the-qualitative-tests"


@pytest.fixture(scope="module")
def setup():
    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    config["qualitative"]["consensus"] = None  # each export here holds one coding (Coder A's, or no coder recorded)
    roster = read_roster(SYN / "roster.csv", config)
    facilitators = pd.read_csv(SYN / "facilitators.csv")["Full name"].tolist()
    redactor = Redactor.from_config(people_for(roster, facilitators, KEY), config["redaction"])
    notes = read_notes(SYN / "flipchart_notes.csv", config["qualitative"]["flipchart"])
    transcripts = read_transcripts(SYN / "transcripts", "*.txt")
    record = json.loads((SYN / "generator_record_qual.json").read_text())
    return config, roster, facilitators, redactor, notes, transcripts, record


def coder_a_only(qdpx: Path, out: Path) -> Path:
    """The synthetic .qdpx without Coder B's selections: the theme tables count Coder A's coding,
    which the MAXQDA file and Taguette file hold alone (the .qdpx holds both coders)."""
    ns = "urn:QDA-XML:project:1.0"
    ElementTree.register_namespace("", ns)
    with zipfile.ZipFile(qdpx) as src:
        members = [(info, src.read(info)) for info in src.infolist()]
    qde = next(data for info, data in members if info.filename == "project.qde")
    root = ElementTree.fromstring(qde)
    second = root.findall(f"{{{ns}}}Users/{{{ns}}}User")[1].get("guid")
    for source in root.iter(f"{{{ns}}}TextSource"):
        for sel in source.findall(f"{{{ns}}}PlainTextSelection"):
            if sel.get("creatingUser") == second:
                source.remove(sel)
    with zipfile.ZipFile(out, "w") as dst:
        for info, data in members:
            dst.writestr(
                info, ElementTree.tostring(root, encoding="utf-8", xml_declaration=True) if info.filename == "project.qde" else data
            )
    return out


@pytest.fixture(scope="module")
def outputs(setup, tmp_path_factory):
    config, _, _, redactor, notes, transcripts, _ = setup
    paths = {shape: SYN / shape for shape in SHAPES}
    paths["coded_project.qdpx"] = coder_a_only(SYN / "coded_project.qdpx", tmp_path_factory.mktemp("qdpx") / "coder_a.qdpx")
    return {shape: anonymise_text(notes, transcripts, path, redactor, config["qualitative"]) for shape, path in paths.items()}


def tables(out, config):
    cb = config["qualitative"]["codebook"]
    q = config["qualitative"]["quotes"]
    groups = list(out["transcripts"])
    segments = out["segments"][counted(out["segments"], config["qualitative"]["consensus"])[0]]
    return {
        "table4": table4(segments, out["notes"], cb["flipchart_categories"]),
        "focus_groups": focus_group_themes(segments, groups, cb["focus_group_category"]),
        "quotes": theme_quotes(segments, q["per_sub_theme"], q["max_chars"]),
        "codebook": codebook_table(out["codebook"].fillna(""), segments),
        "sizes": group_sizes(out["transcripts"]),
    }


def test_every_export_shape_gives_identical_segments_and_tables(setup, outputs):
    config = setup[0]
    base = tables(outputs[SHAPES[0]], config)
    for shape in SHAPES[1:]:
        # Taguette records no coder: the coder column is blank there, the rest is the same.
        same = ["coder"] if shape.startswith("taguette") else []
        pd.testing.assert_frame_equal(outputs[shape]["segments"].drop(columns=same), outputs[SHAPES[0]]["segments"].drop(columns=same))
        other = tables(outputs[shape], config)
        for name, df in base.items():
            if name == "codebook":  # the .qdpx carries descriptions; compare the hierarchy and counts
                df, o = df.drop(columns="description"), other[name].drop(columns="description")
            else:
                o = other[name]
            pd.testing.assert_frame_equal(o, df, obj=f"{shape}: {name}")


def test_table4_counts_match_the_generators_coding(setup, outputs):
    config, record = setup[0], setup[6]
    t4 = tables(outputs[SHAPES[0]], config)["table4"]
    assert set(t4.loc[t4["sheet"] == "expectation", "denominator"]) == {75}
    assert set(t4.loc[t4["sheet"] == "obstacle", "denominator"]) == {record["flipchart"]["obstacle_notes"]}
    by_theme = record["expected_counts"]["by_theme"]
    sheet_of = {"Expectations": "expectation", "Obstacles": "obstacle"}
    checked = 0
    for path, counts in by_theme.items():
        cat, theme = path.split(" > ")[:2]
        if cat in sheet_of:
            row = t4[(t4["sheet"] == sheet_of[cat]) & (t4["theme"] == theme) & (t4["sub_theme"] == "")]
            assert row["n_notes"].tolist() == [counts["notes"]], path
            checked += 1
    assert checked == 12
    uncoded = t4.loc[t4["theme"] == "(no theme)", "n_notes"].sum()
    assert uncoded == record["flipchart"]["uncoded_notes"]


def test_focus_group_matrix_matches_the_generators_coding(setup, outputs):
    config, record = setup[0], setup[6]
    fg = tables(outputs[SHAPES[0]], config)["focus_groups"]
    groups = [f"Focus group {i}" for i in range(1, 7)]
    checked = 0
    for path, counts in record["expected_counts"]["by_code"].items():
        levels = path.split(" > ")
        if levels[0] != "Focus-group themes" or len(levels) != 3:
            continue
        row = fg[(fg["theme"] == levels[1]) & (fg["sub_theme"] == levels[2])].iloc[0]
        assert [row[g] for g in groups] == counts["per_group"], path
        assert (row["total"], row["n_groups"]) == (counts["segments"], counts["groups_raising"]), path
        checked += 1
    assert checked == 20
    sizes = group_sizes(outputs[SHAPES[0]]["transcripts"])
    assert sizes["n_participants"].tolist() == record["focus_groups"]["sizes"]


def test_segments_point_at_the_same_words_after_redaction(setup, outputs):
    """Each redacted segment is the redaction of the original segment, found at its new offsets."""
    *_, redactor, notes, transcripts, _ = setup
    out = outputs[SHAPES[1]]
    originals = {n: t for n, (_, t) in transcripts.items()} | dict(zip(notes["note_id"], notes["text"], strict=True))
    redacted_docs = out["transcripts"] | dict(zip(out["notes"]["note_id"], out["notes"]["text"], strict=True))
    changed = 0
    for seg in out["segments"].to_dict("records"):
        doc = redacted_docs[seg["source"]]
        assert doc[seg["start"] : seg["end"]] == seg["text"]
        changed += "[" in seg["text"]
    assert changed >= 20, "some segments contain replacements, so the re-mapping is exercised"
    # Independent check: locate each original segment (qda reader) and compare with redacting it alone.
    from qda import read_coded_export

    export = read_coded_export(SYN / SHAPES[1], documents=originals)
    neutral = out["document_key"].set_index("original")["neutral"].to_dict()
    neutral.update({f.removesuffix(".txt").replace("_", " ").capitalize(): n for f, n in neutral.items()})  # .qdpx source names
    coder_a = export.segments[export.segments["coder"] == "Coder A"]  # the coding the outputs were made from
    raw_segments = coder_a.assign(document=coder_a["document"].map(neutral))
    mismatches = 0
    for seg, new in zip(
        raw_segments.sort_values(["document", "start", "end", "code_path", "coder"]).to_dict("records"),
        out["segments"].to_dict("records"),
        strict=True,
    ):
        assert seg["code_path"] == new["code_path"]
        if redactor.redact(seg["text"]).text != new["text"]:
            mismatches += 1  # allowed only where a name straddles a segment boundary (the span widens)
    assert mismatches <= 2


def test_no_roster_name_survives_in_any_output(setup, outputs):
    _, roster, facilitators, *_ = setup
    out = outputs[SHAPES[0]]
    text = "\n".join([*out["transcripts"].values(), *out["notes"]["text"], *out["segments"]["text"]])
    for name in [*roster["name"], *facilitators]:
        for part in name.replace("-", " ").split():
            if len(part) > 2 and part not in {"Dr", "Prof", "de"}:
                assert not re.search(rf"(?<!\w){re.escape(part)}(?!\w)", text, re.IGNORECASE), part
    assert "[Facilitator]:" in text and re.search(r"\[Participant \d\d\]:", text)
