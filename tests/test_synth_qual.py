"""Tests for tools/synth_qual.py and the qualitative files it committed under data/synthetic/.

The committed files are checked as they are (counts, line endings, identifiers present for the
anonymisation to remove, no job titles), and a fresh run into a temporary folder must give
the same bytes.
"""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from pathlib import Path

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
    "coded_segments_maxqda.csv",
    "coded_project.qdpx",
    "taguette_highlights.csv",
    "generator_record_qual.json",
    *(f"transcripts/focus_group_{g}.txt" for g in range(1, 7)),
]
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
    return {
        "maxqda": read_coded_export(SYNTH / "coded_segments_maxqda.csv", documents=documents),
        "refi-qda": read_coded_export(SYNTH / "coded_project.qdpx"),
        "taguette": read_coded_export(SYNTH / "taguette_highlights.csv", documents=documents),
    }


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
    pd.testing.assert_frame_equal(mx, qd)
    pd.testing.assert_frame_equal(mx.assign(document_group="", coder=""), tg)
    # REFI-QDA positions count CRLF as two code points (the standard), not as one.
    pd.testing.assert_frame_equal(read_coded_export(SYNTH / "coded_project.qdpx", crlf="two").segments, qd)


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
    seg = exports["maxqda"].segments
    docs = exports["maxqda"].documents
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
    for name in [r["Full name"] for r in roster] + facilitators:
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
