"""Tests for tools/synth_qual.py and the qualitative files it committed under data/synthetic/.

The committed files are checked as they are (counts, line endings, identifiers present for the
anonymisation to remove, no job titles, two coders), and a fresh run into a temporary folder
must give the same bytes. Coder A's coding is the study's single coding from before the second
coder was added (``tests/fixtures/synthetic/``), so no theme table can change.
"""

from __future__ import annotations

import csv
import json
import math
import re
import zipfile
from collections import Counter
from pathlib import Path
from xml.etree import ElementTree

import pandas as pd
import pytest
import yaml

import synth_qual
from qda import read_coded_export

ROOT = Path(__file__).resolve().parent.parent
SYNTH = ROOT / "data" / "synthetic"
CONFIG = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
GENERATED = [
    "flipchart_notes.csv",
    "coded_segments_maxqda_coder_a.csv",
    "coded_segments_maxqda_coder_b.csv",
    "coded_segments_maxqda_divided.csv",
    "coded_project.qdpx",
    "taguette_highlights.csv",
    "generator_record_qual.json",
    *(f"transcripts/focus_group_{g}.txt" for g in range(1, 7)),
]
BEFORE = ROOT / "tests" / "fixtures" / "synthetic" / "single_coding_2c389c3.csv"
SPEAKER = re.compile(CONFIG["qualitative"]["transcripts"]["speaker_pattern"])
NHS = re.compile(r"(?<![\w+])(\d{3})([ -])(\d{3})\2(\d{4})(?!\w)")
POSTCODE = re.compile(r"(?<![^\W_])[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]?[ ]{1,2}\d[ABD-HJLNP-UW-Z]{2}(?![^\W_])")


# ------------------------------------------------------------------ fixtures
def read_csv_rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def roster() -> list[dict]:
    return read_csv_rows(SYNTH / "roster.csv")


@pytest.fixture(scope="module")
def facilitators() -> list[str]:
    return [r["Full name"] for r in read_csv_rows(SYNTH / "facilitators.csv")]


@pytest.fixture(scope="module")
def notes() -> list[dict]:
    return read_csv_rows(SYNTH / "flipchart_notes.csv")


@pytest.fixture(scope="module")
def raw_transcripts() -> dict[int, bytes]:
    return {g: (SYNTH / "transcripts" / f"focus_group_{g}.txt").read_bytes() for g in range(1, 7)}


@pytest.fixture(scope="module")
def documents(notes, raw_transcripts) -> dict[str, str]:
    """Raw document texts as a pipeline reads them: each note, each transcript (CRLF kept)."""
    docs = {n["Note ID"]: n["Note"] for n in notes}
    docs.update({f"Focus group {g}": data.decode("utf-8") for g, data in raw_transcripts.items()})
    return docs


@pytest.fixture(scope="module")
def exports(documents):
    """Each export as read; ``maxqda`` is Coder A's file, ``maxqda_b`` Coder B's, the .qdpx holds both."""
    return {
        "maxqda": read_coded_export(SYNTH / "coded_segments_maxqda_coder_a.csv", documents=documents),
        "maxqda_b": read_coded_export(SYNTH / "coded_segments_maxqda_coder_b.csv", documents=documents),
        "refi-qda": read_coded_export(SYNTH / "coded_project.qdpx"),
        "taguette": read_coded_export(SYNTH / "taguette_highlights.csv", documents=documents),
    }


def of_coder(segments: pd.DataFrame, coder: str) -> pd.DataFrame:
    return segments[segments["coder"] == coder].reset_index(drop=True)


@pytest.fixture(scope="module")
def record() -> dict:
    return json.loads((SYNTH / "generator_record_qual.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def turns(raw_transcripts) -> dict[int, list[tuple[str, str]]]:
    """Focus group -> [(speaker, text)] from lines matching the configured speaker pattern."""
    out = {}
    for g, data in raw_transcripts.items():
        out[g] = []
        for line in data.decode("utf-8").replace("\r\n", "\n").split("\n"):
            m = SPEAKER.match(line)
            if m:
                out[g].append((m.group("speaker"), line[m.end() :]))
    return out


# ------------------------------------------------------------------ determinism
def test_regeneration_is_byte_identical(tmp_path):
    synth_qual.generate(tmp_path)
    for name in GENERATED:
        assert (tmp_path / name).read_bytes() == (SYNTH / name).read_bytes(), f"{name} differs from a fresh run"
    assert sorted(p.name for p in (tmp_path / "transcripts").iterdir()) == sorted(p.name for p in (SYNTH / "transcripts").iterdir())


def test_another_seed_gives_other_files(tmp_path):
    synth_qual.generate(tmp_path, seed=synth_qual.SEED + 1)
    assert (tmp_path / "flipchart_notes.csv").read_bytes() != (SYNTH / "flipchart_notes.csv").read_bytes()
    assert (tmp_path / "coded_project.qdpx").read_bytes() != (SYNTH / "coded_project.qdpx").read_bytes()


# ------------------------------------------------------------------ the three export shapes
def test_three_export_shapes_give_identical_segments(exports):
    mx, qd, tg = exports["maxqda"].segments, exports["refi-qda"].segments, exports["taguette"].segments
    assert len(mx) > 200
    assert exports["refi-qda"].coders == ["Coder A", "Coder B"]
    pd.testing.assert_frame_equal(mx, of_coder(qd, "Coder A"))
    pd.testing.assert_frame_equal(mx.assign(document_group="", coder=""), tg)
    # Coder B's own MAXQDA file is the .qdpx's Coder B (each MAXQDA file has one user, labelled Coder A in it).
    assert exports["maxqda_b"].coders == ["Coder A"]
    pd.testing.assert_frame_equal(exports["maxqda_b"].segments.assign(coder="Coder B"), of_coder(qd, "Coder B"))
    # REFI-QDA positions count CRLF as two code points (the standard), not as one.
    pd.testing.assert_frame_equal(read_coded_export(SYNTH / "coded_project.qdpx", crlf="two").segments, qd)


def test_coder_a_is_the_single_coding_from_before_the_second_coder(exports):
    """Every export's Coder A (Taguette: its only coding) is exactly the earlier single coding."""
    before = pd.read_csv(BEFORE, dtype={"document": str, "code_path": str, "start": "int64", "end": "int64"})
    cols = list(before.columns)
    for name, segments in (
        ("maxqda", exports["maxqda"].segments),
        ("refi-qda", of_coder(exports["refi-qda"].segments, "Coder A")),
        ("taguette", exports["taguette"].segments),
    ):
        pd.testing.assert_frame_equal(segments[cols].reset_index(drop=True), before, obj=name)


def test_each_coder_is_named_in_their_export(exports):
    """MAXQDA: one user per file in Created by (and Modified by), a different one in each file;
    .qdpx: two Users, every coding and selection created by one of them."""
    users = []
    for name in ("coded_segments_maxqda_coder_a.csv", "coded_segments_maxqda_coder_b.csv"):
        rows = read_csv_rows(SYNTH / name)
        (user,) = {r["Created by"] for r in rows}
        assert {r["Modified by"] for r in rows} == {user} and user
        users.append(user)
    assert users[0] != users[1]
    with zipfile.ZipFile(SYNTH / "coded_project.qdpx") as zf:
        root = ElementTree.fromstring(zf.read("project.qde"))
    ns = {"q": "urn:QDA-XML:project:1.0"}
    listed = [(u.get("guid"), u.get("name")) for u in root.findall("q:Users/q:User", ns)]
    assert [n for _, n in listed] == users  # Users order: Coder A, Coder B
    guids = {g for g, _ in listed}
    codings = root.findall(".//q:Coding", ns)
    selections = root.findall(".//q:PlainTextSelection", ns)
    assert len(codings) == len(exports["refi-qda"].segments)
    assert {c.get("creatingUser") for c in codings} == {s.get("creatingUser") for s in selections} == guids


def test_coder_b_codes_the_same_documents_with_plausible_departures(exports, notes, record):
    a, b = exports["maxqda"].segments, exports["maxqda_b"].segments
    fg = [f"Focus group {g}" for g in range(1, 7)]
    assert set(b["document"]) >= set(fg) and set(b.loc[b["document"].isin(fg), "code_path"]) <= set(
        synth_qual.SEPARATOR.join(lv) for lv in synth_qual.CODEBOOK.values()
    )
    # Notes: whole-note codings of the note's own category, as Coder A's.
    texts = {n["Note ID"]: n["Note"] for n in notes}
    bn = b[~b["document"].isin(fg)]
    assert (bn["start"] == 0).all() and (bn["end"] == bn["document"].map(lambda d: len(texts[d]))).all()
    category = {"E": "Expectations", "O": "Obstacles"}
    assert (bn["code_path"].str.split(" > ").str[0] == bn["document"].str[0].map(category)).all()
    # The departures as recorded: codings A has and B lacks come from misses and sibling swaps, codings
    # B has and A lacks from sibling swaps and extras (bounds: a swap may land on a code the note has).
    key = ["document", "start", "end", "code_path"]
    both = a[key].merge(b[key], how="outer", indicator=True)
    only_a = both[both["_merge"] == "left_only"]
    only_b = both[both["_merge"] == "right_only"]
    dep = record["second_coder"]["departures"]
    a_notes = only_a[~only_a["document"].isin(fg)]
    assert dep["flipchart"]["missed"] <= len(a_notes) <= dep["flipchart"]["missed"] + dep["flipchart"]["sibling"]
    assert dep["flipchart"]["extra"] <= len(only_b[~only_b["document"].isin(fg)]) <= dep["flipchart"]["sibling"] + dep["flipchart"]["extra"]
    # B adds codes only to notes A coded: every document B coded, A coded too.
    assert set(b["document"]) <= set(a["document"])
    spans_a = set(map(tuple, a.loc[a["document"].isin(fg), ["document", "start", "end"]].to_numpy()))
    spans_b = set(map(tuple, b.loc[b["document"].isin(fg), ["document", "start", "end"]].to_numpy()))
    assert 0 < len(spans_b - spans_a) <= dep["focus_groups"]["boundaries_moved"]
    assert record["second_coder"]["segments"] == {
        "coder_a": len(a),
        "coder_b": len(b),
        "coder_b_flipchart": len(bn),
        "coder_b_focus_groups": len(b) - len(bn),
    }
    # Some departures of every kind; most codings identical; a moved span still covers words Coder A selected.
    assert min(dep["flipchart"].values()) > 0 and min(dep["focus_groups"].values()) > 0
    assert len(a[key].merge(b[key])) > 0.6 * len(a)
    for doc, start, end in spans_b - spans_a:
        assert any(d == doc and s < end and start < e for d, s, e in spans_a)


def test_recorded_agreement_is_the_rules_on_the_committed_files_and_realistic(exports, record, notes):
    """The record's figures are what scripts/intercoder_agreement.py gives on the committed
    exports (raw LF texts), and sit where a real double-coding would: overall alpha about 0.8
    in each group and unit kind, most codes between 0.6 and 0.95."""
    from intercoder_agreement import intercoder_table

    sheet = {"Expectations": "expectation", "Obstacles": "obstacle"}
    note_df = pd.DataFrame([{"note_id": n["Note ID"], "sheet": sheet[n["Sheet"]], "text": n["Note"]} for n in notes])
    group = dict(zip(note_df["note_id"], note_df["sheet"], strict=True))
    segs = pd.concat([exports["maxqda"].segments, exports["maxqda_b"].segments.assign(coder="Coder B")])
    segs = segs.rename(columns={"document": "source"}).assign(group=lambda d: d["source"].map(group).fillna("focus_group"))
    docs = exports["maxqda"].documents
    transcripts = {n: t for n, t in docs.items() if n.startswith("Focus")}
    qual = CONFIG["qualitative"]
    table = intercoder_table(
        segs,
        note_df,
        transcripts,
        list(exports["refi-qda"].codebook["code_path"]),
        qual["codebook"],
        qual["agreement"],
        speaker_pattern=qual["transcripts"]["speaker_pattern"],
    )
    achieved = record["second_coder"]["agreement"]
    alphas = []
    for row in table.itertuples():
        got = achieved[row.group][row.unit]
        if row.code_path == "(all codes)":
            for key in ("krippendorff_alpha", "cohen_kappa", "pct_agreement"):  # the record rounds to 4 decimals
                assert got["overall"][key] == round(getattr(row, key), 4)
            assert 0.7 <= row.krippendorff_alpha <= 0.9, (row.group, row.unit)
        else:
            want = row.krippendorff_alpha
            assert got["alpha_by_code"][row.code_path] == (None if math.isnan(want) else round(want, 4))
            alphas.append(row.krippendorff_alpha)
    assert sorted(achieved) == ["expectation", "focus_group", "obstacle"]
    assert len(alphas) == sum(len(u["alpha_by_code"]) for g in achieved.values() for u in g.values())
    alphas = pd.Series(alphas).dropna()
    assert alphas.between(0.6, 0.95).mean() >= 0.75


def test_export_documents_are_the_raw_files_lf_normalised(exports, documents):
    want = {name: text.replace("\r\n", "\n") for name, text in documents.items()}
    assert exports["refi-qda"].documents == want
    assert exports["maxqda"].documents == want


def test_codebook_is_the_specified_three_level_tree(exports):
    tree = {synth_qual.SEPARATOR.join(levels) for levels in synth_qual.codebook_tree()}
    for shape, export in exports.items():
        assert set(export.codebook["code_path"]) == tree, shape
    cb = exports["refi-qda"].codebook
    assert list(cb.loc[cb["level"] == 1, "name"]) == ["Expectations", "Obstacles", "Focus-group themes"]
    assert cb["level"].max() == 3


def test_document_groups(exports):
    seg = exports["maxqda"].segments
    groups = dict(zip(seg["document"], seg["document_group"], strict=True))
    for doc, group in groups.items():
        want = {"E": "Flip chart: expectations", "O": "Flip chart: obstacles", "F": "Focus groups"}[doc[0]]
        assert group == want, doc
    # Flip-chart notes carry their own sheet's codes only; transcripts the focus-group codes.
    category = seg["code_path"].str.split(" > ").str[0]
    want_category = seg["document"].str[0].map({"E": "Expectations", "O": "Obstacles", "F": "Focus-group themes"})
    assert (category == want_category).all()


# ------------------------------------------------------------------ flip charts
def test_flipchart_counts(notes, record):
    sheets = Counter(n["Sheet"] for n in notes)
    assert sheets["Expectations"] == 75
    assert 0 < sheets["Obstacles"] <= 104
    assert sheets["Obstacles"] == record["flipchart"]["obstacle_notes"]
    assert set(sheets) == {"Expectations", "Obstacles"}
    ids = [n["Note ID"] for n in notes]
    assert ids == [f"E{i:02d}" for i in range(1, 76)] + [f"O{i:02d}" for i in range(1, sheets["Obstacles"] + 1)]
    assert all(n["Note"] == n["Note"].strip() and n["Note"] for n in notes)


def test_note_segments_cover_whole_notes_and_some_notes_are_uncoded(exports, notes, record):
    seg = exports["maxqda"].segments
    seg = seg[~seg["document"].str.startswith("Focus")]
    texts = {n["Note ID"]: n["Note"] for n in notes}
    assert (seg["start"] == 0).all()
    assert (seg["end"] == seg["document"].map(lambda d: len(texts[d]))).all()
    uncoded = set(texts) - set(seg["document"])
    assert len(uncoded) == record["flipchart"]["uncoded_notes"] > 0
    per_note = seg.groupby("document").size()
    assert per_note.max() == 2 and (per_note == 2).sum() == record["flipchart"]["notes_with_two_codes"]


# ------------------------------------------------------------------ focus groups
def test_group_sizes_and_every_participant_speaks_in_exactly_one_group(turns, roster, facilitators, record):
    names = {r["Full name"] for r in roster}
    spoke_in: dict[str, set[int]] = {}
    for g, ts in turns.items():
        speakers = {s for s, _ in ts}
        assert speakers - names == {facilitators[g - 1]}, f"group {g}: unexpected speakers"
        for s in speakers & names:
            spoke_in.setdefault(s, set()).add(g)
    assert set(spoke_in) == names
    assert all(len(gs) == 1 for gs in spoke_in.values())
    sizes = [sum(1 for gs in spoke_in.values() if gs == {g}) for g in range(1, 7)]
    assert sum(sizes) == 52 == len(roster)
    assert sizes == record["focus_groups"]["sizes"]
    assert min(sizes) >= 8
    assert all(40 <= len(ts) <= 90 for ts in turns.values())


def test_groups_mix_mhs_and_cjs(turns, roster):
    lookup = {synth_qual.normalise_header(k): v["org_type"] for k, v in CONFIG["organisation_lookup"].items()}
    side = {r["Full name"]: lookup[synth_qual.normalise_header(r["Organisation"])] for r in roster}
    for g, ts in turns.items():
        sides = Counter(side[s] for s in {s for s, _ in ts} if s in side)
        assert sides["MHS"] >= 3 and sides["CJS"] >= 3, f"group {g}"


def test_crlf_only_in_transcripts_2_and_5(raw_transcripts, record):
    for g, data in raw_transcripts.items():
        if g in (2, 5):
            assert b"\r\n" in data
            assert data.count(b"\n") == data.count(b"\r\n"), f"group {g} mixes line endings"
        else:
            assert b"\r" not in data, f"group {g}"
    assert record["focus_groups"]["crlf_transcripts"] == [2, 5]


def test_every_sub_theme_is_coded(exports):
    codes = set(exports["refi-qda"].segments["code_path"])
    leaves = {synth_qual.SEPARATOR.join(levels) for levels in synth_qual.CODEBOOK.values()}
    assert leaves - codes == set()
    fg = exports["refi-qda"].segments
    fg = fg[fg["document"].str.startswith("Focus")]
    per_code_groups = fg.groupby("code_path")["document"].nunique()
    assert (per_code_groups >= 1).all()
    assert (per_code_groups >= 2).sum() > len(per_code_groups) / 2  # most sub-themes in several groups


def test_focus_group_segments_are_in_turn_text_on_word_boundaries(exports):
    """Both coders' segments: within one speaker turn, after the label, on word boundaries."""
    seg = exports["refi-qda"].segments
    docs = exports["refi-qda"].documents
    for row in seg[seg["document"].str.startswith("Focus")].itertuples():
        text = docs[row.document]
        line_start = text.rfind("\n", 0, row.start) + 1
        m = SPEAKER.match(text[line_start : text.find("\n", line_start)])
        assert m and row.start >= line_start + m.end(), "segment starts before the end of the speaker label"
        assert "\n" not in row.text
        assert row.text == row.text.strip()
        assert not (row.start > 0 and text[row.start - 1].isalnum() and text[row.start].isalnum())
        assert not (text[row.end - 1].isalnum() and text[row.end].isalnum())


def test_record_counts_match_the_coding(exports, record):
    seg = exports["maxqda"].segments
    for path, counts in record["expected_counts"]["by_code"].items():
        rows = seg[seg["code_path"] == path]
        if "notes" in counts:
            assert rows["document"].nunique() == counts["notes"], path
        else:
            assert len(rows) == counts["segments"], path
            assert [int((rows["document"] == f"Focus group {g}").sum()) for g in range(1, 7)] == counts["per_group"], path
    for path, counts in record["expected_counts"]["by_theme"].items():
        rows = seg[seg["code_path"].str.startswith(path)]
        if "notes" in counts:
            assert rows["document"].nunique() == counts["notes"], path
        else:
            assert len(rows) == counts["segments"] and len(rows[["document", "start", "end"]].drop_duplicates()) == counts["distinct_spans"]


# ------------------------------------------------------------------ identifiers (for the anonymisation to remove)
def nhs_valid(digits: str) -> bool:
    total = sum(int(d) * (10 - i) for i, d in enumerate(digits[:9]))
    check = (11 - total % 11) % 11
    return check != 10 and check == int(digits[9])


def test_raw_files_contain_identifiers(turns, notes, roster, documents):
    talk = "\n".join(text for ts in turns.values() for _, text in ts)  # turn text, without speaker labels
    note_text = "\n".join(n["Note"] for n in notes)
    assert any(r["Full name"] in talk for r in roster)
    assert any(re.search(rf"\b{re.escape(r['Full name'].split()[0])}\b", talk) for r in roster)
    assert any(r["Email"] in talk for r in roster)
    assert any(r["Phone"] in talk for r in roster)
    assert any(r["Phone"] in note_text for r in roster)
    assert any(re.search(rf"\b{re.escape(r['Full name'].split()[0])}\b", note_text) for r in roster)
    nhs = [m.group(1) + m.group(3) + m.group(4) for m in NHS.finditer(talk)]
    assert len(nhs) >= 2 and all(nhs_valid(d) for d in nhs)
    assert len(POSTCODE.findall(talk)) >= 2
    assert any(p in talk for p in CONFIG["redaction"]["places"])
    assert any(s in talk for s in CONFIG["redaction"]["services"])


def test_nhs_number_check():
    assert nhs_valid("9434765919")  # the NHS's published example
    assert not nhs_valid("9434765918")
    for number in synth_qual.nhs_numbers(synth_qual.np.random.default_rng(0), 20):
        assert nhs_valid(number.replace(" ", ""))


def test_coded_segments_contain_identifiers(exports, roster):
    seg = exports["maxqda"].segments
    text = "\n".join(seg.loc[seg["document"].str.startswith("Focus"), "text"])
    assert any(r["Email"] in text for r in roster)
    assert any(r["Full name"] in text or re.search(rf"\b{re.escape(r['Full name'].split()[0])}\b", text) for r in roster)
    assert NHS.search(text)


def test_no_job_title_or_unlisted_organisation_in_the_words(documents, roster):
    services = {synth_qual.normalise_header(s) for s in CONFIG["redaction"]["services"]}
    phrases = {r["Job title"] for r in roster}
    phrases |= {r["Organisation"] for r in roster if synth_qual.normalise_header(r["Organisation"]) not in services}
    assert "Custody Sergeant" in phrases
    for name, text in documents.items():
        for phrase in phrases:
            assert not re.search(rf"(?<!\w){re.escape(phrase)}(?!\w)", text, re.IGNORECASE), f"{name} names a job title or organisation"


def test_record_holds_no_identifiers(record, roster, facilitators):
    text = json.dumps(record, ensure_ascii=False)
    words = set()
    for name in [r["Full name"] for r in roster] + facilitators + list(synth_qual.CODER_NAMES):
        words |= {w for w in re.split(r"[\s'-]+", name) if len(w) > 3 and w not in {"Prof"}}
    for w in words:
        assert not re.search(rf"\b{re.escape(w)}\b", text), "a name is in the generator record"
    for r in roster:
        assert r["Email"] not in text and r["Phone"] not in text
    assert not NHS.search(text) and not POSTCODE.search(text)


def test_record_shape(record):
    assert record["generator"] == "tools/synth_qual.py"
    assert record["flipchart"]["expectation_notes"] == 75
    (entry,) = record["unreachable"]
    assert entry["figure"] == "txt_fg_sizes" and entry["published"] == "9-12"
    assert entry["achieved"] == f"{min(record['focus_groups']['sizes'])}-{max(record['focus_groups']['sizes'])}"
    figures = pd.read_csv(ROOT / "data" / "published" / "hean2015_figures.csv", dtype=str, keep_default_na=False)
    assert entry["figure"] in set(figures.iloc[:, 0])
