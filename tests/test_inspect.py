"""``make inspect`` (tools/inspect_export.py): how the pipeline would read an export, without a value that identifies anyone.

Run on every survey fixture of the synthetic study with the config a researcher would write
for it (the same as tests/test_anonymise_survey.py runs the stage with), on exports with
mistakes in them, and on coded QDA exports (.qdpx and a MAXQDA table). The output must hold
none of the identifying strings of the synthetic study, and nothing may be written.
"""

import csv
import io
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pytest
import yaml

import inspect_export
from _survey_exports import CONFIG, FIXTURE_NAMES, FX, QUALTRICS_ITEMS, survey_settings, write_fixtures

ROOT = Path(__file__).resolve().parent.parent
SYN = ROOT / "data" / "synthetic"


@pytest.fixture(scope="module")
def fixtures(tmp_path_factory):
    return write_fixtures(tmp_path_factory.mktemp("fixtures"))


@pytest.fixture(scope="module")
def secrets() -> list[str]:
    """Every identifying string of the synthetic survey export and roster: names, e-mails,
    organisations, job titles, comments, timestamps, phone numbers."""
    survey = pd.read_csv(SYN / "survey_export.csv", dtype=str, keep_default_na=False)
    roster = pd.read_csv(SYN / "roster.csv", dtype=str, keep_default_na=False)
    values = [*survey[["Full name", "Email address", "Organisation", "Job title", "Any other comments?", "Timestamp"]].to_numpy().ravel()]
    values += [*roster.to_numpy().ravel()]
    return sorted({v for v in values if len(v) >= 4})


def overlay(tmp_path: Path, survey: dict, inputs: dict) -> Path:
    """A config file with only the survey.* and inputs.* keys, merged over config.yaml as --configfile is."""
    path = tmp_path / "overlay.yaml"
    path.write_text(yaml.safe_dump({"survey": survey, "inputs": inputs}, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def inspected(path: Path, config: Path | None = None, **kw):
    kind, report, lines = inspect_export.inspect_file(path, config, **kw)
    return kind, report, "\n".join(lines)


def assert_private(text: str, secrets: list[str]) -> None:
    leaked = [s for s in secrets if s in text]
    assert not leaked, leaked[:5]


# --------------------------------------------------------------------------- every survey fixture
@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_every_fixture_is_read_as_the_stage_reads_it(fixtures, name, tmp_path, secrets):
    fixture = fixtures[name]
    survey, inputs = survey_settings(name, fixture)
    kind, report, text = inspected(fixture.path, overlay(tmp_path, survey, inputs))
    assert kind == "survey"
    assert report["problems"] == []
    f = report["file"]
    assert (f["format"], f["respondents"]) == (fixture.format, 44)
    assert list(report["items"]["matched"]) == [it for it in sorted(QUALTRICS_ITEMS)]  # the 24 items, by number
    assert report["items"]["missing"] == []
    answers = {e["label"] for a in report["answers"].values() for e in a["answers"] if e["label"]}
    assert answers == set(FX.LABELS)
    levels = report["demographics"]["gender"]["levels"]
    assert (levels["female"], levels["male"], levels["non-response"]) == (30, 14, 0)  # as the synthetic study's Table 1
    assert f"read as format {fixture.format}" in text and "No problems" in text
    assert_private(text, secrets)


def test_what_the_report_says_of_a_numeric_qualtrics_export(fixtures, tmp_path):
    name = "qualtrics_numeric.csv"
    survey, inputs = survey_settings(name, fixtures[name])
    _, report, text = inspected(fixtures[name].path, overlay(tmp_path, survey, inputs))
    assert "'1'                            -> Strongly agree (via survey.codes), score 2" in text
    assert "reader's notes: header rows 3, preview responses dropped 2" in text
    assert "respondents identified by: survey.link_on: email (column 'Q2')" in text
    del survey["codes"]
    _, report, text = inspected(fixtures[name].path, overlay(tmp_path, survey, inputs))
    assert len(report["problems"]) == 24 and "NO DECLARED MEANING: declare the code under survey.codes" in text
    assert report["problems"][0] == (
        "item 1 (column 'Q5_1'): 44 answers (5 distinct) are numbers with no declared meaning (declare them under survey.codes)"
    )


def test_items_without_a_column_and_columns_left_over(fixtures, tmp_path):
    """A Qualtrics export read with the default header pattern: no item found, every column listed."""
    name = "qualtrics_choice_text.csv"
    survey, inputs = survey_settings(name, fixtures[name])
    survey["items"] = {}
    _, report, text = inspected(fixtures[name].path, overlay(tmp_path, survey, inputs))
    assert report["items"]["matched"] == {} and len(report["items"]["missing"]) == 24
    assert "Q5_1" in report["items"]["unmatched"] and "ResponseId" in report["items"]["unmatched"]
    assert "items without a column: [1, 2, 3" in report["problems"][0]
    assert "'Q5_1': numbers and text" not in text and "'Q5_1': categories, 44 answered" in text


# --------------------------------------------------------------------------- demographics that map to no level
def edited_export(tmp_path: Path, edits: dict[tuple[int, str], str]) -> Path:
    rows = list(csv.reader(io.StringIO((SYN / "survey_export.csv").read_text(encoding="utf-8"), newline="")))
    for (row, header), value in edits.items():
        rows[row - 1][rows[0].index(header)] = value
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    path = tmp_path / "edited.csv"
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


def test_unmapped_demographic_answers_are_counted_not_quoted(tmp_path, secrets):
    path = edited_export(
        tmp_path,
        {
            (3, "Gender"): "Nonbinary",
            (4, "Gender"): "Other",
            (5, "Gender"): "Other",
            (6, "Age (years)"): "120",
            (7, "Age (years)"): "4_5",
            (8, "County"): "Wessex",
            (9, "Q7. For group learning to work, participants must trust and respect each other"): "Agreed",
            (10, "Q7. For group learning to work, participants must trust and respect each other"): "7",
        },
    )
    _, report, text = inspected(path)
    gender = report["demographics"]["gender"]["unmapped"]
    assert gender == [
        {"answer": "a 9-character text", "shown": False, "count": 1, "reason": "answer not mapped in config (demographics.gender.levels)"},
        {"answer": "Other", "shown": True, "count": 2, "reason": "answer not mapped in config (demographics.gender.levels)"},
    ]
    ages = report["demographics"]["age_band"]["unmapped"]
    assert [(u["answer"], u["reason"]) for u in ages] == [
        ("a number", "at or above the highest band"),
        ("a 3-character text", "not a number"),
    ]
    assert report["demographics"]["county"]["unmapped"][0]["answer"] == "a 6-character text"
    q7 = {e["answer"]: e for e in report["answers"][7]["answers"]}
    assert q7["a 6-character text"]["kind"] == "unknown" and q7["7"]["kind"] == "undeclared code"
    for value in ("Nonbinary", "Wessex", "Agreed", "120", "4_5"):
        assert value not in text, value
    assert "maps to no level: 'Other', 2 respondents" in text
    assert "maps to no level: a 9-character text, 1 respondents" in text
    assert len(report["problems"]) == 5  # items 7 (twice), gender, age_band, county
    assert_private(text, secrets)


def test_value_labels_the_file_declares_are_shown_only_for_k_respondents(fixtures, tmp_path):
    """A .sav whose gender labels include a category one respondent chose: that respondent's
    label is described, not shown (fewer than k_anonymity.k gave it)."""
    import pyreadstat

    df, meta = pyreadstat.read_sav(str(fixtures["survey.sav"].path), user_missing=True)
    df.loc[0, "gender"] = 3.0
    df.loc[1:5, "gender"] = 4.0
    vvl = dict(meta.variable_value_labels)
    vvl["gender"] = {**vvl["gender"], 3: "Self-described", 4: "Another gender"}
    path = tmp_path / "gender.sav"
    pyreadstat.write_sav(df, path, column_labels=meta.column_names_to_labels, variable_value_labels=vvl, missing_ranges=meta.missing_ranges)
    survey, _ = survey_settings("survey.sav", fixtures["survey.sav"])
    _, report, text = inspected(path, overlay(tmp_path, survey, {"survey": str(path)}))
    unmapped = {u["answer"]: u["count"] for u in report["demographics"]["gender"]["unmapped"]}
    assert unmapped == {"a 14-character text": 1, "Another gender": 5}
    assert "Self-described" not in text.split("Demographics:")[1]


# --------------------------------------------------------------------------- coded QDA exports
def test_a_qdpx_is_described(tmp_path, secrets):
    kind, report, text = inspected(SYN / "coded_project.qdpx")
    assert kind == "qda"
    assert (report["format"], report["offsets"]["unit"], report["offsets"]["crlf"]) == ("refi-qda", "codepoint", "two")
    # two coders (the synthetic second coder): Coder A's 324 segments and Coder B's 293
    assert (report["documents"], report["codes"]["count"], report["coders"], report["unplaceable"]) == (161, 41, 2, [])
    assert report["segments"] == {"text": 324 + 293}
    assert "offsets: codepoint, CRLF counted as two" in text and "segments that cannot be placed: 0" in text
    assert_private(text, secrets)


def test_a_maxqda_table_is_placed_in_the_configs_documents(tmp_path, secrets):
    kind, report, text = inspected(SYN / "coded_segments_maxqda_divided.csv")
    assert (kind, report["format"], report["segments"], report["unplaceable"]) == ("qda", "maxqda", {"text": 324}, [])
    assert "placement" not in report  # documents read from the config's notes and transcripts: placement checked
    assert_private(text, secrets)


def test_a_maxqda_table_in_another_interface_language_is_read_by_content(tmp_path, secrets):
    """Headers 'Col 1'..'Col 14' (made up, not MAXQDA's): read as MAXQDA because the config
    names the file as its coded export with format: maxqda; the columns are found by content."""
    rows = list(csv.reader(io.StringIO((SYN / "coded_segments_maxqda_divided.csv").read_text(encoding="utf-8"), newline="")))
    rows[0] = [f"Col {i}" for i in range(1, len(rows[0]) + 1)]
    path = tmp_path / "segmentos.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    config = tmp_path / "overlay.yaml"
    config.write_text(
        yaml.safe_dump({"inputs": {"coded_export": str(path)}, "qualitative": {"coded_export": {"format": "maxqda"}}}), encoding="utf-8"
    )
    kind, report, text = inspected(path, config)
    assert (kind, report["format"], report["segments"], report["unplaceable"]) == ("qda", "maxqda", {"text": 324}, [])
    assert report["found_by_content"] == ["document", "code", "begin", "end", "segment"]
    assert "  coder column: not identified (map it with qualitative.coded_export.columns.coder)\n" in text
    assert "  columns: document 'Col 3' (found by content), code 'Col 4' (found by content)," in text
    assert_private(text, secrets)
    assert inspect_export.file_kind(path, "auto", inspect_export.load_config()) == "survey"  # not named by the config


def test_a_cp1252_maxqda_table_is_told_by_its_header_and_read_with_the_encoding_named(tmp_path, secrets):
    """Excel on Western European Windows saves CSV as cp1252. The header tells the tool even
    while the text cannot be decoded; with qualitative.coded_export.encoding the table is read."""
    path = tmp_path / "segments.csv"
    path.write_bytes((SYN / "coded_segments_maxqda_divided.csv").read_text(encoding="utf-8").encode("cp1252"))
    assert inspect_export.file_kind(path, "auto", inspect_export.load_config()) == "qda"
    config = tmp_path / "overlay.yaml"
    config.write_text(yaml.safe_dump({"qualitative": {"coded_export": {"encoding": "cp1252"}}}), encoding="utf-8")
    kind, report, text = inspected(path, config)
    assert (kind, report["format"], report["segments"], report["unplaceable"]) == ("qda", "maxqda", {"text": 324}, [])
    assert_private(text, secrets)


def test_a_project_qde_alone_is_taken_for_a_coded_export_and_refused(tmp_path):
    path = tmp_path / "project.qde"
    path.write_text('<?xml version="1.0" encoding="utf-8"?>\n<Project xmlns="urn:QDA-XML:project:1.0" name="p"/>\n', encoding="utf-8")
    assert inspect_export.file_kind(path, "auto") == "qda"
    with pytest.raises(Exception, match=r"REFI-QDA project file \(project.qde\) on its own"):
        inspect_export.inspect_file(path)


def test_a_coded_export_with_no_coded_text_is_a_problem(tmp_path):
    """Like the ATLAS.ti blank project of the ponte repository: read, but nothing to count (exit 1)."""
    path = tmp_path / "blank.qdpx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(
            "project.qde", '<?xml version="1.0" encoding="utf-8"?>\n<Project xmlns="urn:QDA-XML:project:1.0" name="b" origin="test"/>'
        )
    kind, report, text = inspected(path)
    assert (kind, report["segments"], report["problems"]) == ("qda", {"text": 0}, ["no coded segment on a text source"])
    assert text.endswith("Problems (1):\n  no coded segment on a text source")
    assert inspect_export.main([str(path)]) == 1
    assert inspect_export.main([str(SYN / "coded_project.qdpx")]) == 0


def test_a_link_column_the_export_lacks_is_said_in_words(fixtures, tmp_path):
    name = "qualtrics_choice_text.csv"
    survey, inputs = survey_settings(name, fixtures[name])
    survey["columns"] = {**survey["columns"], "email": "No such header"}
    _, report, _ = inspected(fixtures[name].path, overlay(tmp_path, survey, inputs))
    assert report["identified_by"] == "survey.link_on: email (no such column in the export)"


def test_a_survey_export_can_be_forced_to_be_read_as_qda():
    with pytest.raises(Exception, match="cannot tell which QDA tool wrote this coded export"):
        inspect_export.inspect_file(SYN / "survey_export.csv", kind="qda")


# --------------------------------------------------------------------------- the command
def snapshot(root: Path) -> dict[str, int]:
    return {str(p): p.stat().st_mtime_ns for p in root.rglob("*") if p.is_file() and ".git" not in p.parts}


def test_the_command_runs_prints_and_writes_nothing(tmp_path):
    """As ``make inspect`` runs it; nothing is written in the repository."""
    before = snapshot(ROOT / "results") if (ROOT / "results").exists() else {}
    tracked = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True).stdout
    proc = subprocess.run(
        [sys.executable, "tools/inspect_export.py", "data/synthetic/survey_export.csv"], cwd=ROOT, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("Survey export: data/synthetic/survey_export.csv\n  read as format csv (text), encoding utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"A,B\n1,2,3\n")
    proc = subprocess.run([sys.executable, "tools/inspect_export.py", str(bad)], cwd=ROOT, capture_output=True, text=True)
    assert (proc.returncode, proc.stdout) == (2, "")
    assert proc.stderr.strip() == (
        f"ERROR {bad}, row 2: row has more fields than the header; found '3 fields'; expected 2 fields, as in the header "
        "(a cell holding the delimiter ',' must be in double quotes)"
    )
    assert (snapshot(ROOT / "results") if (ROOT / "results").exists() else {}) == before
    assert subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True).stdout == tracked


def test_a_config_overlay_is_merged_over_config_yaml(fixtures, tmp_path):
    name = "redcap_raw.csv"
    survey, inputs = survey_settings(name, fixtures[name])
    config = inspect_export.load_config(overlay(tmp_path, survey, inputs))
    assert config["survey"]["columns"]["email"] == "email" and config["survey"]["link_on"] == "email"
    assert config["survey"]["format"] == "auto" and config["demographics"] == CONFIG["demographics"]
    _, report, _ = inspected(fixtures[name].path, overlay(tmp_path, survey, inputs))
    assert report["file"]["notes"]["data_dictionary"] == 1 and report["problems"] == []
