"""The anonymisation stage reads every survey export through the registry, to the same analysis data.

Every fixture written from the synthetic study by ``tools/survey_fixtures.py`` (the same 44
respondents as Excel, SPSS, Stata, Qualtrics, SurveyMonkey and REDCap export them) is run
through ``anonymise_survey.main`` with a config that differs from the shipped one only in
``survey.*`` and ``inputs.*``: ``questionnaire.csv`` must come out byte for byte as from the
original CSV. Codes are never guessed; a survey without a roster or without names works;
bad input of each kind stops with one line naming the file, sheet/row/column, what was found
and what was expected. Two tests (marked ``pipeline``) run Snakemake itself from an .xlsx and
a .sav in a fresh copy and compare the tables with the CSV run's.
"""

import copy
import csv
import io
import json
import shutil
import time
from pathlib import Path

import pandas as pd
import pyreadstat
import pytest
import yaml

import anonymise_survey
from _support import finished_copy, run_pipeline
from _survey_exports import (
    FIXTURE_NAMES,
    FX,
    QUALTRICS_ITEMS,
    SAV_COLUMNS,
    config_for,
    survey_settings,
    write_fixtures,
)
from errors import InputError
from mock_snakemake import MockSnakemake
from survey_formats import FORMATS
from survey_formats.mapping import DEFAULT_ITEM_PATTERN

ROOT = Path(__file__).resolve().parent.parent
CONFIG = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
SCHEMA = yaml.safe_load((ROOT / "workflow" / "schemas" / "config.schema.yaml").read_text(encoding="utf-8"))
KEY = "a-test-key-for-the-anonymisation-tests"
OUTPUTS = {
    "questionnaire": "questionnaire.csv",
    "sample": "sample.json",
    "anonymisation_log": "anonymisation_log.json",
    "k_anonymity": "k_anonymity.json",
    "hashes_survey": "raw_input_hashes_survey.json",
}


def frame(data: bytes) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False)


def run_stage(config: dict, out: Path, *, roster=True) -> dict[str, bytes]:
    """``anonymise_survey.main`` as the rule runs it; the files it wrote, by name."""
    out.mkdir(parents=True, exist_ok=True)
    inputs = {"survey": config["inputs"]["survey"], "instrument": str(ROOT / config["instrument"])}
    if roster and config["inputs"].get("roster"):
        inputs["roster"] = str(ROOT / config["inputs"]["roster"])
    if config["inputs"].get("survey_dictionary"):
        inputs["survey_dictionary"] = config["inputs"]["survey_dictionary"]
    smk = MockSnakemake(input=inputs, output={k: str(out / f) for k, f in OUTPUTS.items()}, config=config)
    anonymise_survey.main(smk)
    return {f: (out / f).read_bytes() for f in OUTPUTS.values()}


@pytest.fixture(autouse=True)
def key(monkeypatch):
    monkeypatch.setenv(CONFIG["pseudonymisation"]["key_env"], KEY)


@pytest.fixture(scope="module")
def fixtures(tmp_path_factory):
    return write_fixtures(tmp_path_factory.mktemp("fixtures"))


@pytest.fixture(scope="module")
def original(tmp_path_factory):
    """The stage's outputs from the shipped CSV, with the test key."""
    mp = pytest.MonkeyPatch()
    mp.setenv(CONFIG["pseudonymisation"]["key_env"], KEY)
    try:
        config = config_for({}, {"survey": str(ROOT / CONFIG["inputs"]["survey"])})
        return run_stage(config, tmp_path_factory.mktemp("original"))
    finally:
        mp.undo()


# --------------------------------------------------------------------------- every format, same bytes
def test_the_schema_names_every_format_of_the_registry():
    assert SCHEMA["properties"]["survey"]["properties"]["format"]["enum"] == ["auto", *FORMATS]
    assert SCHEMA["properties"]["survey"]["properties"]["item_header_pattern"]["default"] == DEFAULT_ITEM_PATTERN
    assert CONFIG["survey"]["item_header_pattern"] == DEFAULT_ITEM_PATTERN


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_every_export_gives_the_same_questionnaire_bytes(fixtures, original, name, tmp_path):
    survey, inputs = survey_settings(name, fixtures[name])
    out = run_stage(config_for(survey, inputs), tmp_path)
    assert out["questionnaire.csv"] == original["questionnaire.csv"]
    assert out["sample.json"] == original["sample.json"]
    log = json.loads(out["anonymisation_log.json"])
    assert (log["rows_read"], log["respondents_written"], log["export"]["format"]) == (44, 44, fixtures[name].format)
    hashes = json.loads(out["raw_input_hashes_survey.json"])
    assert set(hashes) == {inputs["survey"], str(ROOT / CONFIG["inputs"]["roster"]), *inputs.values()}


def test_the_formats_run_cover_the_registry(fixtures):
    assert {fixtures[n].format for n in FIXTURE_NAMES} == set(FORMATS)


def test_the_default_run_keeps_its_values(original):
    """The shipped CSV: the keys sample.json had before keep their values (52 on the roster, 44
    respondents); invited_n and invited_source are new; the log says how the export was read."""
    sample = json.loads(original["sample.json"])
    assert sample == {
        "roster_n": 52,
        "invited_n": 52,
        "invited_source": "roster",
        "respondents_n": 44,
        "response_rate_pct": 100.0 * 44 / 52,
        "nonresponse_pct": 100.0 * 8 / 52,
    }
    log = json.loads(original["anonymisation_log.json"])
    assert log["export"] == {"format": "csv", "file_kind": "text", "notes": {"header_rows": 1}}
    assert (log["respondents_identified_by"], log["respondents_checked_against_roster"]) == ("email", True)
    assert log["response_rate"] == "out of the roster"


def test_preview_responses_dropped_are_counted_in_the_log(fixtures, tmp_path):
    survey, inputs = survey_settings("qualtrics_choice_text.csv", fixtures["qualtrics_choice_text.csv"])
    log = json.loads(run_stage(config_for(survey, inputs), tmp_path)["anonymisation_log.json"])
    assert log["export"]["notes"] == {"header_rows": 3, "preview_responses_dropped": 2}
    assert log["rows_read"] == 44  # the two previews never reach the stage


# --------------------------------------------------------------------------- codes are never guessed
def test_a_code_map_in_reverse_gives_reversed_scores(fixtures, original, tmp_path):
    name = "qualtrics_numeric.csv"
    survey, inputs = survey_settings(name, fixtures[name])
    survey["codes"] = {6 - code: label for code, label in FX.DISPLAY_CODES.items()}  # 5 = Strongly agree
    out = run_stage(config_for(survey, inputs), tmp_path)
    mine, theirs = frame(out["questionnaire.csv"]), frame(original["questionnaire.csv"])
    labels = list(FX.LABELS)
    flipped = {label: labels[len(labels) - 1 - i] for i, label in enumerate(labels)}
    items = [c for c in theirs.columns if c.startswith("item_")]
    assert mine["respondent"].tolist() == theirs["respondent"].tolist()
    assert (mine[items] == theirs[items].map(lambda v: flipped.get(v, v))).all().all()
    scores = {"Strongly agree": 2, "Agree": 1, "Neither agree nor disagree": 0, "Disagree": -1, "Strongly disagree": -2}
    total = lambda df: sum(scores[v] for v in df[items].to_numpy().ravel() if v)  # noqa: E731
    assert total(mine) == -total(theirs) != 0


def test_per_item_codes_override_the_codes(fixtures, original, tmp_path):
    """Item 12 exported with its own (reversed) codes: survey.item_codes.12 reads it back."""
    name = "qualtrics_numeric.csv"
    path = tmp_path / name
    lines = fixtures[name].path.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    header = lines[0].rstrip("\r\n").split(",")
    column = header.index(QUALTRICS_ITEMS[12])
    out_lines = lines[:5]  # the header rows and the two previews
    for line in lines[5:]:
        cells = line.rstrip("\r\n").split(",")
        cells[column] = str(6 - int(cells[column])) if cells[column] else ""
        out_lines.append(",".join(cells) + "\r\n")
    assert all(line.count('"') == 0 for line in lines[5:])  # no quoted cells: splitting on commas is exact
    path.write_text("".join(out_lines), encoding="utf-8")
    survey, inputs = survey_settings(name, FX.Fixture(path, "qualtrics"))
    common = frame(run_stage(config_for(survey, inputs), tmp_path / "common")["questionnaire.csv"])
    expected = frame(original["questionnaire.csv"])
    differs = [c for c in expected.columns if not common[c].equals(expected[c])]
    assert differs == ["item_12"]  # read with the codes of the other items, item 12 comes out reversed
    survey["item_codes"] = {12: {6 - code: label for code, label in FX.DISPLAY_CODES.items()}}
    out = run_stage(config_for(survey, inputs), tmp_path / "own")
    assert out["questionnaire.csv"] == original["questionnaire.csv"]


def test_a_numeric_export_without_codes_names_survey_codes(fixtures, tmp_path):
    name = "qualtrics_numeric.csv"
    survey, inputs = survey_settings(name, fixtures[name])
    del survey["codes"]
    with pytest.raises(InputError) as e:
        run_stage(config_for(survey, inputs), tmp_path)
    assert e.value.line() == (
        f"ERROR {fixtures[name].path}, row 6, column 'Q5_1': a numeric code with no declared meaning (found a number; the file "
        "declares no value labels for this column); expected its meaning declared under survey.codes (code: label), or the export "
        "with labels (or the REDCap data dictionary)"
    )


def test_a_sav_without_value_labels_names_survey_codes(fixtures, original, tmp_path):
    """The .sav of the study with the value labels of its items stripped (numbers only): one clear
    line naming survey.codes; with the codes declared there, the same questionnaire."""
    df, meta = pyreadstat.read_sav(str(fixtures["survey.sav"].path), user_missing=True)
    path = tmp_path / "nolabels.sav"
    pyreadstat.write_sav(
        df,
        path,
        column_labels=meta.column_names_to_labels,
        variable_value_labels={"gender": meta.variable_value_labels["gender"]},  # the items' labels are gone
        missing_ranges=meta.missing_ranges,
    )
    survey = {"columns": {**SAV_COLUMNS}}
    with pytest.raises(InputError) as e:
        run_stage(config_for(survey, {"survey": str(path)}), tmp_path / "out")
    assert e.value.line() == (
        f"ERROR {path}, row 1, column 'q1': a numeric code with no declared meaning (found a number; the file declares no value "
        "labels for this column); expected its meaning declared under survey.codes (code: label), or the export with labels "
        "(or the REDCap data dictionary)"
    )
    survey["codes"] = dict(FX.DISPLAY_CODES)
    out = run_stage(config_for(survey, {"survey": str(path)}), tmp_path / "codes")
    assert out["questionnaire.csv"] == original["questionnaire.csv"]


def test_an_instrument_with_codes_gets_one_clear_error(tmp_path):
    from instrument import load_instrument

    text = (ROOT / CONFIG["instrument"]).read_text(encoding="utf-8")
    old = text.replace("{label: Strongly agree, score: 2}", "{label: Strongly agree, score: 2, code: 5}")
    assert old != text
    path = tmp_path / "old_instrument.yaml"
    path.write_text(old, encoding="utf-8")
    with pytest.raises(InputError) as e:
        load_instrument(path)
    assert e.value.line() == (
        f"ERROR {path}, key response_scale[0].code: response categories no longer carry numeric codes (survey tools number "
        "answers their own way); found 5; expected no 'code:' in the instrument; if the survey export holds numbers, declare "
        "what they mean in config.yaml under survey.codes, e.g. survey.codes: {5: Strongly agree}"
    )


# --------------------------------------------------------------------------- survey-only and anonymous studies
def anonymous_config(**study) -> dict:
    """No roster, no names, no e-mails, no link: the synthetic export as an anonymous survey."""
    config = copy.deepcopy(CONFIG)
    config["inputs"]["roster"] = None
    config["study"].update(study)
    columns = {k: v for k, v in config["survey"]["columns"].items() if k not in ("name", "email")}
    config["survey"].update(columns=columns, link_on=None)
    return config


def anonymous_export(tmp_path) -> Path:
    """The synthetic export without its name and e-mail columns."""
    df = pd.read_csv(ROOT / CONFIG["inputs"]["survey"], dtype=str, keep_default_na=False)
    path = tmp_path / "anonymous.csv"
    df.drop(columns=["Full name", "Email address"]).to_csv(path, index=False)
    return path


def test_survey_only_with_invited_n(tmp_path, original):
    config = anonymous_config(invited_n=60)
    config["inputs"]["survey"] = str(anonymous_export(tmp_path))
    out = run_stage(config, tmp_path / "out")
    sample = json.loads(out["sample.json"])
    assert sample == {
        "roster_n": None,
        "invited_n": 60,
        "invited_source": "config",
        "respondents_n": 44,
        "response_rate_pct": 100.0 * 44 / 60,
        "nonresponse_pct": 100.0 * 16 / 60,
    }
    log = json.loads(out["anonymisation_log.json"])
    assert (log["respondents_identified_by"], log["respondents_checked_against_roster"]) == ("row number", False)
    assert log["response_rate"] == "out of study.invited_n"
    assert "email" not in log["dropped_values"] and "name" not in log["dropped_values"]
    mine, theirs = frame(out["questionnaire.csv"]), frame(original["questionnaire.csv"])
    assert len(mine) == 44 and mine["respondent"].str.fullmatch(r"[0-9a-f]{12}").all()
    assert set(mine["respondent"]).isdisjoint(theirs["respondent"])  # row numbers, not e-mails, under another domain
    columns = [c for c in theirs.columns if c != "respondent"]
    key = lambda df: df[columns].sort_values(columns).reset_index(drop=True)  # noqa: E731
    pd.testing.assert_frame_equal(key(mine), key(theirs))  # the same answers and groupings
    assert json.loads(out["raw_input_hashes_survey.json"]).keys() == {config["inputs"]["survey"]}


def test_survey_only_without_invited_n_reports_no_rate(tmp_path):
    config = anonymous_config()
    config["inputs"]["survey"] = str(anonymous_export(tmp_path))
    out = run_stage(config, tmp_path / "out")
    sample = json.loads(out["sample.json"])
    assert sample == {
        "roster_n": None,
        "invited_n": None,
        "invited_source": None,
        "respondents_n": 44,
        "response_rate_pct": None,
        "nonresponse_pct": None,
    }
    assert json.loads(out["anonymisation_log.json"])["response_rate"] == "not reported: no roster and no study.invited_n"


def test_invited_n_smaller_than_the_respondents_is_refused(tmp_path):
    config = anonymous_config(invited_n=40)
    config["inputs"]["survey"] = str(anonymous_export(tmp_path))
    with pytest.raises(InputError) as e:
        run_stage(config, tmp_path / "out")
    assert e.value.line().startswith(
        "ERROR config.yaml, key study.invited_n: study.invited_n is smaller than the number of respondents (44); found 40"
    )


def test_a_roster_without_a_link_gives_the_rate_but_no_check(tmp_path):
    config = copy.deepcopy(CONFIG)
    config["survey"]["link_on"] = None
    out = run_stage(config_for({}, {"survey": str(ROOT / CONFIG["inputs"]["survey"])}, config), tmp_path)
    sample, log = json.loads(out["sample.json"]), json.loads(out["anonymisation_log.json"])
    assert (sample["invited_n"], sample["invited_source"], log["respondents_checked_against_roster"]) == (52, "roster", False)


def test_pseudonyms_from_a_response_id(fixtures, tmp_path):
    """Qualtrics without a link: the keyed HMAC of the ResponseId, so a re-export in another
    row order gives the same pseudonyms; two rows with one id stop the run."""
    name = "qualtrics_choice_text.csv"
    survey, inputs = survey_settings(name, fixtures[name])
    survey["link_on"] = None
    config = config_for(survey, inputs)
    config["inputs"]["roster"] = None
    first = run_stage(config, tmp_path / "a")
    assert json.loads(first["anonymisation_log.json"])["respondents_identified_by"] == "response id"
    lines = fixtures[name].path.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    shuffled = tmp_path / "shuffled.csv"
    shuffled.write_text("".join(lines[:5] + lines[5:][::-1]), encoding="utf-8")
    config["inputs"]["survey"] = str(shuffled)
    assert run_stage(config, tmp_path / "b")["questionnaire.csv"] == first["questionnaire.csv"]
    twice = tmp_path / "twice.csv"
    twice.write_text("".join(lines + lines[7:8]), encoding="utf-8")
    config["inputs"]["survey"] = str(twice)
    with pytest.raises(InputError, match=r"row 50, column 'ResponseId': two rows have the same response id \(also row 8\)"):
        run_stage(config, tmp_path / "c")


def test_an_anonymous_survey_still_needs_the_key(tmp_path, monkeypatch):
    """Without a key, real data stops the run, with or without names: a pseudonym of a row number
    under a key anyone could derive would point straight back to the row in the export."""
    monkeypatch.delenv(CONFIG["pseudonymisation"]["key_env"])
    config = anonymous_config(synthetic=False)
    config["inputs"]["survey"] = str(anonymous_export(tmp_path))
    config["pseudonymisation"]["key_file"] = str(tmp_path / "no.key")
    with pytest.raises(InputError, match="no pseudonymisation key for real data"):
        run_stage(config, tmp_path / "out")


# --------------------------------------------------------------------------- bad input, one clear line each
def bad(tmp_path, name: str, data: bytes) -> Path:
    p = tmp_path / name
    p.write_bytes(data)
    return p


def stage_error(config: dict, tmp_path: Path) -> str:
    with pytest.raises(InputError) as e:
        run_stage(config, tmp_path / "out")
    line = e.value.line()
    assert line.startswith("ERROR ") and "\n" not in line and "; expected " in line, line
    assert not (tmp_path / "out" / "questionnaire.csv").exists()
    return line


def test_bad_csv_exports(tmp_path):
    original = (ROOT / CONFIG["inputs"]["survey"]).read_bytes()
    lines = original.decode().splitlines(keepends=True)
    cases = {
        "empty.csv": (b"", "survey export is empty; found '0 bytes'"),
        "blank.csv": (b"\n \r\n", "survey export holds no cells; found 'only blank rows'"),
        "header.csv": (lines[0].encode(), "survey export has header rows but no respondents; found '0 data rows below row 1'"),
        "ragged.csv": (
            "".join([*lines[:4], lines[4].rstrip("\r\n") + ",extra\r\n", *lines[5:]]).encode(),
            "row 5: row has more fields than the header; found '36 fields'; expected 35 fields",
        ),
        "quote.csv": (original + b'2013-06-04 09:00:00,"Ann Other\n', "row 46: survey export is not well-formed delimited text"),
        "mixed.csv": (original + "Zoë,x\n".encode("cp1252"), "row 46: text mixes UTF-8 with bytes of another encoding"),
    }
    for name, (data, expected) in cases.items():
        path = bad(tmp_path, name, data)
        line = stage_error(config_for({}, {"survey": str(path)}), tmp_path)
        assert f"ERROR {path}" in line and expected in line, line
        assert "Ann Other" not in line
    line = stage_error(config_for({}, {"survey": str(tmp_path / "absent.csv")}), tmp_path)
    assert "survey export not found; found 'no file at this path'" in line


def test_a_required_column_missing_names_what_the_file_has(tmp_path):
    df = pd.read_csv(ROOT / CONFIG["inputs"]["survey"], dtype=str, keep_default_na=False)
    path = tmp_path / "no_gender.csv"
    df.drop(columns=["Gender"]).to_csv(path, index=False)
    line = stage_error(config_for({}, {"survey": str(path)}), tmp_path)
    assert line.startswith(f"ERROR {path}, column 'Gender', key survey.columns.gender: required column missing from survey export; ")
    assert "found \"columns 'Timestamp', 'Full name', 'Email address'" in line and "(+26 more)" in line


def test_bad_workbooks(fixtures, tmp_path):
    xlsx = str(fixtures["survey_sheet2_row3.xlsx"].path)
    line = stage_error(config_for({"sheet": "Responses"}, {"survey": xlsx}), tmp_path)
    assert line == (f"ERROR {xlsx}: survey export has no sheet named 'Responses'; found '2 sheets'; expected one of: 'About', 'Data'")
    line = stage_error(config_for({"sheet": "Data"}, {"survey": xlsx}), tmp_path)
    assert line.startswith(f"ERROR {xlsx} (sheet 'Data'), row 1: the header row (row 1) names 1 of 35 columns: is it a title")
    assert "expected survey.header_row: 3 if the headers start there" in line
    line = stage_error(config_for({"sheet": "Data", "header_row": 3}, {"survey": str(fixtures["survey.xlsx"].path)}), tmp_path)
    assert "has no sheet named 'Data'" in line
    broken = bad(tmp_path, "broken.xlsx", fixtures["survey.xlsx"].path.read_bytes()[:4000])
    line = stage_error(config_for({}, {"survey": str(broken)}), tmp_path)
    assert f"ERROR {broken}" in line and "zip archive" in line
    line = stage_error(config_for({"format": "spss"}, {"survey": xlsx}), tmp_path)
    assert "survey.format is spss, but the file is an Excel workbook (.xlsx)" in line and "survey.format: auto (or excel)" in line


def test_an_unknown_answer_in_a_workbook_names_sheet_row_and_column(fixtures, tmp_path):
    from openpyxl import load_workbook

    wb = load_workbook(fixtures["survey_sheet2_row3.xlsx"].path)
    ws = wb["Data"]
    header = [c.value for c in ws[3]]
    col = header.index(next(h for h in header if h and h.startswith("Q7. "))) + 1
    ws.cell(row=10, column=col, value="Agreed")
    path = tmp_path / "edited.xlsx"
    wb.save(path)
    line = stage_error(config_for({"sheet": "Data", "header_row": 3}, {"survey": str(path)}), tmp_path)
    assert line.startswith(f"ERROR {path} (sheet 'Data'), row 10, column 'Q7. For group learning")
    assert "answer is not a response label of the instrument (found a 6-character text)" in line and "'Agreed'" not in line
    assert "nearest label: 'Agree'" in line


def test_bad_spss_and_stata_files(fixtures, tmp_path):
    sav = str(fixtures["survey.sav"].path)
    line = stage_error(config_for({"columns": SAV_COLUMNS, "sheet": "Data"}, {"survey": sav}), tmp_path)
    assert line == (
        f"ERROR {sav}, key survey.sheet: a sheet is named for a data file without sheets; found \"sheet 'Data'\"; expected no survey.sheet"
    )
    broken = bad(tmp_path, "broken.sav", fixtures["survey.sav"].path.read_bytes()[:700])
    line = stage_error(config_for({"columns": SAV_COLUMNS}, {"survey": str(broken)}), tmp_path)
    assert line.startswith(f"ERROR {broken}: an SPSS data file (.sav) cannot be read; found 'pyreadstat: ")
    df, meta = pyreadstat.read_sav(sav, user_missing=True)
    df.loc[4, "gender"] = 3.0  # a code the file labels for no one
    path = tmp_path / "gender3.sav"
    vvl = {k: v for k, v in meta.variable_value_labels.items()}
    pyreadstat.write_sav(df, path, column_labels=meta.column_names_to_labels, variable_value_labels=vvl, missing_ranges=meta.missing_ranges)
    line = stage_error(config_for({"columns": SAV_COLUMNS}, {"survey": str(path)}), tmp_path)
    assert line.startswith(
        f"ERROR {path}, row 5, column 'gender': gender: answer not mapped in config (demographics.gender.levels); found '3'"
    )


def test_bad_qualtrics_surveymonkey_and_redcap_exports(fixtures, tmp_path):
    q = fixtures["qualtrics_choice_text.csv"]
    survey, inputs = survey_settings("qualtrics_choice_text.csv", q)
    line = stage_error(config_for({**survey, "format": "csv"}, inputs), tmp_path)
    assert "row 2: rows 2-3 are Qualtrics header rows (text, importid)" in line and "survey.format: qualtrics" in line
    line = stage_error(config_for({**survey, "items": {**QUALTRICS_ITEMS, 1: "Q5_01"}}, inputs), tmp_path)
    assert line.startswith(f"ERROR {q.path}, key survey.items.1: survey.items maps item 1 to a column the export does not have")
    line = stage_error(config_for({**survey, "items": {**QUALTRICS_ITEMS, 1: QUALTRICS_ITEMS[2], 2: QUALTRICS_ITEMS[1]}}, inputs), tmp_path)
    assert "column 'Q5_2': the question text of the column does not match item 1 of the instrument" in line
    line = stage_error(config_for({**survey, "items": {}}, inputs), tmp_path)
    assert "item 1 of the instrument has no column" in line and "survey.items" in line
    m = fixtures["surveymonkey_expanded.xlsx"]
    survey, inputs = survey_settings("surveymonkey_expanded.xlsx", m)
    line = stage_error(config_for({**survey, "format": "excel"}, inputs), tmp_path)
    assert "row 2 is SurveyMonkey's second header row" in line and "survey.format: surveymonkey" in line
    r = fixtures["redcap_raw.csv"]
    survey, inputs = survey_settings("redcap_raw.csv", r)
    line = stage_error(config_for(survey, {"survey": inputs["survey"]}), tmp_path)  # no dictionary: no question text either
    assert line.startswith(f"ERROR {r.path}, column 'Q1': item 1 of the instrument has no column")
    items = {n: f"ripls_{n}" for n in QUALTRICS_ITEMS}
    line = stage_error(config_for({**survey, "items": items}, {"survey": inputs["survey"]}), tmp_path)
    assert line.startswith(f"ERROR {r.path}, row 2, column 'sector': sector: answer not mapped in config")  # a code, too
    demographics = {g: spec for g, spec in CONFIG["demographics"].items() if g in ("org_type", "age_band")}  # no coded ones
    config = config_for({**survey, "items": items}, {"survey": inputs["survey"]})
    config["demographics"] = demographics
    line = stage_error(config, tmp_path)
    assert line.startswith(f"ERROR {r.path}, row 2, column 'ripls_1': a numeric code with no declared meaning")
    assert "or the REDCap data dictionary" in line
    line = stage_error(config_for(survey, {"survey": inputs["survey_dictionary"]}), tmp_path)
    assert "this is a REDCap data dictionary, not the data export" in line
    line = stage_error(
        config_for({"columns": CONFIG["survey"]["columns"]}, {**inputs, "survey": str(ROOT / CONFIG["inputs"]["survey"])}), tmp_path
    )
    assert "key inputs.survey_dictionary: a data dictionary is given, but the export is not a REDCap export" in line


def test_every_item_blank_names_the_files_own_row(fixtures, tmp_path):
    """Row numbers are the file's: a Qualtrics respondent on spreadsheet row 8 (three header
    rows and two previews above) is row 8, not 4."""
    q = fixtures["qualtrics_choice_text.csv"]
    lines = q.path.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    header = lines[0].rstrip("\r\n").split(",")
    columns = [header.index(c) for c in QUALTRICS_ITEMS.values()]
    rows = list(csv.reader(io.StringIO("".join(lines))))
    for c in columns:
        rows[7][c] = ""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    path = tmp_path / "blank_row.csv"
    path.write_text(buf.getvalue(), encoding="utf-8")
    survey, _ = survey_settings("qualtrics_choice_text.csv", q)
    line = stage_error(config_for(survey, {"survey": str(path)}), tmp_path)
    assert line.startswith(f"ERROR {path}, row 8: every item is blank")


# --------------------------------------------------------------------------- Snakemake itself, from .xlsx and .sav
TABLES = [
    "results/anonymised/questionnaire.csv",
    "results/scores/item_scores.csv",
    "results/scores/subscale_scores.csv",
    "results/tables/table1_demographics.csv",
    "results/tables/table2_subscales.csv",
    "results/tables/item_statistics.csv",
    "results/tables/table3_top_items.csv",
    "results/tables/fisher_tests.csv",
    "results/tables/scale_group_tests.csv",
]


@pytest.fixture(scope="module")
def pipeline_copy(pipeline_run, tmp_path_factory):
    """A copy of the session's finished run with the fixtures under data/synthetic/ (the demo
    key applies), and the tables of that run (from the CSV export)."""
    work = finished_copy(pipeline_run, tmp_path_factory.mktemp("survey_pipeline") / "repo")
    folder = work / "data" / "synthetic" / "exports"
    fixtures = FX.write_fixtures(folder)
    return work, fixtures, {t: (pipeline_run / t).read_bytes() for t in TABLES}


def run_from(pipeline_copy, name: str) -> float:
    work, fixtures, expected = pipeline_copy
    survey, inputs = survey_settings(name, fixtures[name])
    inputs = {k: str(Path(v).relative_to(work)) for k, v in inputs.items()}
    config = config_for(survey, inputs, yaml.safe_load((work / "config.yaml").read_text(encoding="utf-8")))
    (work / f"{name}.yaml").write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True), encoding="utf-8")
    shutil.rmtree(work / "results" / "anonymised")
    start = time.perf_counter()
    proc = run_pipeline(work, *TABLES, "--configfile", f"{name}.yaml")
    seconds = time.perf_counter() - start
    assert proc.returncode == 0, proc.stderr[-3000:]
    for t in TABLES:
        assert (work / t).read_bytes() == expected[t], t
    print(f"\nSnakemake run from {name}: {seconds:.1f} s")
    return seconds


@pytest.mark.pipeline
def test_snakemake_from_an_xlsx_gives_the_csv_runs_tables(pipeline_copy):
    run_from(pipeline_copy, "survey.xlsx")


@pytest.mark.pipeline
def test_snakemake_from_a_sav_gives_the_csv_runs_tables(pipeline_copy):
    run_from(pipeline_copy, "survey.sav")
