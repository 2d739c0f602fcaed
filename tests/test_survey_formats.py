"""Survey exports in every shape researchers hold read to the same tidy answers.

The reference is the synthetic study's plain CSV: for every fixture written by
``tools/survey_fixtures.py`` (same 44 respondents in another tool's layout), the 44 x 24
matrix of canonical labels and the demographic columns must come out equal. Bad input of
each kind stops with one InputError line naming the file, row/column and what was expected.
Real files from other projects (``tests/fixtures/survey/real/``) are read and checked
against values anyone can see by opening them.
"""

import codecs
import csv
import io
import json
import zipfile
from pathlib import Path

import pandas as pd
import pyreadstat
import pytest

from _survey_exports import FIXTURE_NAMES, FX, write_fixtures
from errors import InputError
from instrument import load_instrument
from survey_formats import FORMATS, REGISTRY, describe_export, detect_format, read_survey_export
from survey_formats.mapping import DEFAULT_ITEM_PATTERN, answer_labels, match_items, parse_number, role_columns

ROOT = Path(__file__).resolve().parent.parent
ORIGINAL = ROOT / "data" / "synthetic" / "survey_export.csv"
REAL = ROOT / "tests" / "fixtures" / "survey" / "real"
XLS = ROOT / "tests" / "fixtures" / "survey" / "survey_export.xls"  # LibreOffice's .xls of survey.xlsx (tools/survey_fixtures.py --xls)
INSTRUMENT = load_instrument(ROOT / "data" / "instruments" / "ripls_hean2015.yaml")
OLD_PATTERN = r"^Q(?P<number>\d+)[.:)]?\s+(?P<text>.*)$"  # config.yaml's item_header_pattern before this change


@pytest.fixture(scope="module")
def fixtures(tmp_path_factory):
    return write_fixtures(tmp_path_factory.mktemp("survey"))


@pytest.fixture(scope="module")
def study():
    return FX.load_study()


@pytest.fixture(scope="module")
def expected():
    """The 24 item columns of the original CSV as canonical labels, read with the csv module only."""
    with open(ORIGINAL, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    by_number = {int(h.split(".")[0][1:]): h for h in rows[0] if h.startswith("Q")}
    return {n: [r[h] for r in rows] for n, h in sorted(by_number.items())}


def labels_matrix(table, fixture):
    match = match_items(table, INSTRUMENT, items=fixture.items)
    return {n: list(answer_labels(table, key, INSTRUMENT, codes=fixture.codes)) for n, key in match.columns.items()}


def error_line(exc_info) -> str:
    return exc_info.value.line()


# --------------------------------------------------------------------------- every format, same answers
def test_every_format_has_a_fixture(fixtures):
    assert set(FIXTURE_NAMES) == set(fixtures)
    assert {f.format for f in fixtures.values()} == set(FORMATS)


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_every_fixture_reads_to_the_original_answers(fixtures, study, expected, name):
    fixture = fixtures[name]
    table = read_survey_export(fixture.path, **fixture.options)
    assert table.format == fixture.format
    assert len(table.frame) == 44
    assert all(isinstance(v, str) for col in table.frame.columns for v in table.frame[col])
    assert labels_matrix(table, fixture) == expected
    for role, header in FX.ROLES.items():
        assert list(table.frame[fixture.roles[role]]) == [r[header] for r in study.rows], role


def test_formats_are_registered_in_detection_order():
    assert FORMATS == ("spss", "stata", "qualtrics", "surveymonkey", "redcap", "excel", "csv")
    for name, module in REGISTRY.items():
        assert name == module.NAME and callable(module.detect) and callable(module.read) and module.KINDS


def test_what_each_fixture_reports(fixtures):
    t = read_survey_export(fixtures["survey_cp1252_semicolon.csv"].path)
    assert (t.encoding, t.delimiter, t.rows[0], t.rows[-1]) == ("cp1252", ";", 2, 45)
    t = read_survey_export(fixtures["survey_unicode_text.txt"].path)
    assert (t.encoding, t.delimiter) == ("utf-16-le", "\t")
    assert read_survey_export(fixtures["survey_utf8_bom.csv"].path).encoding == "utf-8-sig"
    t = read_survey_export(fixtures["survey_sheet2_row3.xlsx"].path, sheet="Data", header_row=3)
    assert (t.sheet, t.rows[0], t.notes["rows_above_header"]) == ("Data", 4, 2)
    t = read_survey_export(fixtures["survey.sav"].path)
    skipped = sum(v == "" for col in FX.load_study().item_headers for v in [r[col] for r in FX.load_study().rows])
    assert t.notes["user_missing_cells"] == skipped == 2
    assert t.columns["q1"].value_labels["1"] == "Strongly agree" and t.columns["q1"].missing_codes == frozenset({"9"})
    assert t.columns["q1"].text.startswith("Q1. Learning with professionals")
    assert t.rows[:3] == [1, 2, 3]
    t = read_survey_export(fixtures["qualtrics_choice_text.csv"].path)
    assert (t.notes["preview_responses_dropped"], t.notes["header_rows"], t.rows[0]) == (2, 3, 6)
    assert t.columns["Q5_1"].text.startswith("Please indicate how much you agree with each statement. - Learning with")
    t = read_survey_export(fixtures["surveymonkey_expanded.csv"].path)
    key = f"{FX.MATRIX} – Q1. Learning with professionals from other services will help me become a more effective member of a team"
    assert key in t.columns and t.columns["Respondent ID"].text == "" and t.rows[0] == 3
    t = read_survey_export(fixtures["redcap_raw.csv"].path, dictionary=fixtures["redcap_raw.csv"].options["dictionary"])
    assert t.columns["ripls_1"].text.startswith("Q1. Learning with")  # the <b> tags of the label are gone
    assert t.columns["ripls_1"].value_labels["5"] == "Strongly agree" and t.columns["managerial"].value_labels == {"1": "Yes", "0": "No"}


# --------------------------------------------------------------------------- detection by content
def test_detected_by_content_not_by_name(fixtures, tmp_path):
    renamed = tmp_path / "export.csv"
    renamed.write_bytes(fixtures["survey.xlsx"].path.read_bytes())
    assert detect_format(renamed) == "excel"
    dat = tmp_path / "export.dat"
    dat.write_bytes(fixtures["survey.sav"].path.read_bytes())
    assert detect_format(dat) == "spss"
    xls = tmp_path / "export.txt"
    xls.write_bytes(XLS.read_bytes())
    assert detect_format(xls) == "excel"
    monkey = tmp_path / "monkey.xls"
    monkey.write_bytes(fixtures["surveymonkey_expanded.xlsx"].path.read_bytes())
    assert detect_format(monkey) == "surveymonkey"
    assert detect_format(fixtures["survey.dta"].path) == "stata"
    assert detect_format(fixtures["redcap_labels.csv"].path) == "redcap"


@pytest.mark.parametrize("name", ["project.qdpx", "survey.xlsx"])
def test_a_qda_project_is_refused_whatever_its_name(tmp_path, name):
    p = tmp_path / name
    p.write_bytes((ROOT / "data" / "synthetic" / "coded_project.qdpx").read_bytes())
    with pytest.raises(InputError) as e:
        read_survey_export(p)
    assert "a QDA project, not a survey export" in error_line(e) and str(p) in error_line(e)


@pytest.mark.parametrize(
    ("text", "said"),
    [
        (  # a REFI-QDA project file, as MAXQDA keeps it beside its sources
            '<?xml version="1.0" encoding="utf-8"?>\n<Project xmlns="urn:QDA-XML:project:1.0" name="p"><Users/></Project>\n',
            "a QDA project file, not a survey export",
        ),
        (  # Excel 2003 XML Spreadsheet, which some survey tools still offer as "Excel"
            '<?xml version="1.0"?>\n<?mso-application progid="Excel.Sheet"?>\n'
            '<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"><Worksheet/></Workbook>\n',
            "an Excel 2003 XML spreadsheet (open it in Excel or LibreOffice and save it as .xlsx)",
        ),
        ('\ufeff<?xml version="1.0"?>\n<responses><r q1="Agree"/></responses>\n', "an XML document, not a survey export"),
    ],
    ids=["project.qde", "spreadsheetml", "xml"],
)
def test_an_xml_file_is_refused_for_what_it_is(tmp_path, text, said):
    """Read as CSV, XML gives a misleading "row has more fields than the header" error."""
    p = tmp_path / "export.csv"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as e:
        read_survey_export(p)
    assert f"the file is {said}" in error_line(e)


def test_a_zip_that_is_neither_is_refused(tmp_path):
    p = tmp_path / "export.xlsx"
    with zipfile.ZipFile(p, "w") as zf:
        zf.writestr("answers.txt", "not a workbook")
    with pytest.raises(InputError, match="a zip archive that is neither a workbook nor a known export"):
        read_survey_export(p)


def test_password_protected_and_unreadable_workbooks_are_refused():
    with pytest.raises(InputError, match="password-protected"):
        read_survey_export(REAL / "calamine" / "password.xlsx")
    with pytest.raises(InputError, match=r"survey export is a password-protected workbook; found 'python-calamine: PasswordError'"):
        read_survey_export(REAL / "calamine" / "password.xls")  # BIFF8 with a FILEPASS record: calamine says so only by path


def test_a_format_that_cannot_read_the_file_is_refused(fixtures):
    with pytest.raises(InputError) as e:
        read_survey_export(fixtures["survey.xlsx"].path, format="csv")
    line = error_line(e)
    assert "survey.format is csv, but the file is an Excel workbook (.xlsx)" in line and "survey.format: auto (or excel)" in line
    with pytest.raises(InputError, match="unknown survey format"):
        read_survey_export(fixtures["survey.xlsx"].path, format="xlsx")


# --------------------------------------------------------------------------- text: encodings, delimiters, shape
def write(tmp_path, name, data: bytes) -> Path:
    p = tmp_path / name
    p.write_bytes(data)
    return p


def test_encodings(tmp_path):
    text = "Name;Org\nZoë Brontë;Café\n"
    t = read_survey_export(write(tmp_path, "a.csv", text.encode("cp1252")))
    assert (t.encoding, t.frame.iloc[0, 0]) == ("cp1252", "Zoë Brontë")
    t = read_survey_export(write(tmp_path, "b.csv", codecs.BOM_UTF16_BE + text.encode("utf-16-be")))
    assert (t.encoding, t.frame.iloc[0, 1]) == ("utf-16-be", "Café")
    # charset-normalizer takes this Windows-1252 text for Windows-1250 ("Crème" -> "Crčme"): refused, not mangled
    ambiguous = write(tmp_path, "c.csv", "Name;Org\nAnne;Crème brûlée – “Ltd”\n".encode("cp1252"))
    with pytest.raises(InputError) as e:
        read_survey_export(ambiguous)
    assert "the text encoding cannot be told for sure" in error_line(e) and "row 2" in error_line(e)
    t = read_survey_export(ambiguous, encoding="cp1252")
    assert (t.encoding, t.frame.iloc[0, 1]) == ("cp1252", "Crème brûlée – “Ltd”")
    mixed = write(tmp_path, "d.csv", "Name,Org\nZoë,x\n".encode() + "Anne,Café\n".encode("cp1252"))
    with pytest.raises(InputError) as e:
        read_survey_export(mixed)
    assert "mixes UTF-8 with bytes of another encoding" in error_line(e) and "row 3" in error_line(e)
    with pytest.raises(InputError, match="unknown text encoding"):
        read_survey_export(mixed, encoding="klingon")
    with pytest.raises(InputError, match="row 3: text is not valid utf-8"):
        read_survey_export(mixed, encoding="utf-8")


def test_delimiters(tmp_path):
    for delim in [",", ";", "\t", "|"]:
        t = read_survey_export(write(tmp_path, "d.csv", f"Gender{delim}Age\nFemale{delim}41\n".encode()))
        assert (t.delimiter, list(t.frame.columns), t.frame.iloc[0].tolist()) == (delim, ["Gender", "Age"], ["Female", "41"])


def test_a_10_mb_cell_is_read(tmp_path):
    big = "x" * (10 * 1024 * 1024)
    t = read_survey_export(write(tmp_path, "big.csv", f'Name,Comment\nAnne,"{big}"\nBen,short\n'.encode()))
    assert len(t.frame.loc[0, "Comment"]) == len(big) and t.rows == [2, 3]
    assert csv.field_size_limit() == 131072  # the process-wide limit is restored


def test_bad_text_shapes(tmp_path):
    with pytest.raises(InputError) as e:
        read_survey_export(write(tmp_path, "r.csv", b"A,B,C\n1,2,3\n1,2\n"))
    assert error_line(e) == (
        f"ERROR {tmp_path / 'r.csv'}, row 3: row has fewer fields than the header; found '2 fields'; "
        "expected 3 fields, as in the header (a cell holding the delimiter ',' must be in double quotes)"
    )
    with pytest.raises(InputError, match="row 1, column 'gender': two columns have the same header"):
        read_survey_export(write(tmp_path, "d.csv", b"Gender,Age,gender\nF,3,F\n"))
    with pytest.raises(InputError, match="row 3: survey export is not well-formed delimited text; found 'a quote that is never closed'"):
        read_survey_export(write(tmp_path, "q.csv", b'A,B\n1,2\n3,"open\n5,6\n'))
    with pytest.raises(InputError, match="header rows but no respondents"):
        read_survey_export(write(tmp_path, "h.csv", b"A,B\n\n"))
    t = read_survey_export(write(tmp_path, "b.csv", b"A,B,\n1,2,\n\n,,\n3,4,\n"))
    assert (t.rows, t.notes["blank_rows"], t.notes["blank_columns_dropped"], list(t.frame.columns)) == ([2, 5], 2, 1, ["A", "B"])


# --------------------------------------------------------------------------- workbooks
def test_sheets_by_name_and_number(fixtures):
    p = fixtures["survey_sheet2_row3.xlsx"].path
    with pytest.raises(InputError) as e:
        read_survey_export(p, sheet="Responses")
    assert "has no sheet named 'Responses'" in error_line(e) and "one of: 'About', 'Data'" in error_line(e)
    assert read_survey_export(p, sheet=2, header_row=3).sheet == "Data"
    assert read_survey_export(p, sheet="data", header_row=3).sheet == "Data"  # case ignored when unambiguous
    with pytest.raises(InputError, match="has no sheet number 3; found '2 sheets'; expected a number from 1 to 2"):
        read_survey_export(p, sheet=3)
    with pytest.raises(InputError) as e:
        read_survey_export(p, sheet="Data")  # row 1 is a title
    assert "(sheet 'Data'), row 1: the header row (row 1) names 1 of 35 columns: is it a title" in error_line(e)
    assert "survey.header_row: 3 if the headers start there" in error_line(e)
    with pytest.raises(InputError) as e:
        read_survey_export(p, sheet="Data", header_row=2)
    assert "row 2: the header row (row 2) is blank; found 'the first non-blank row is row 1'" in error_line(e)


def test_cells_become_text_by_one_rule():
    """python-calamine's own test workbook (written by Excel); its test suite asserts the same
    values as Python objects (tests/test_base.py: 1.0, 1.1, True, False, date(2010, 10, 10), …)."""
    from workbook import read_sheet

    sheet = read_sheet(REAL / "calamine" / "base.xls")
    assert sheet.sheet_names == ["Sheet1", "Sheet2", "Merged Cells"]
    assert sheet.rows[0] == [""] * 10  # row 1 is empty: rows keep their spreadsheet numbers
    assert sheet.rows[1] == [
        "String",
        "1",
        "1.1",
        "TRUE",
        "FALSE",
        "2010-10-10",
        "2010-10-10T10:10:10",
        "10:10:10",
        "10:10:10.100000",
        "255:10:10",
    ]


def test_xlsx_numbers_and_dates(tmp_path):
    import datetime as dt

    from openpyxl import Workbook, load_workbook

    wb = Workbook()
    wb.active.append(["Age", "When", "Score", "Sum", "Big", "Day", "Yes"])
    wb.active.append([41.0, dt.datetime(2013, 6, 3, 12, 52, 32), 2.5, 0.1 + 0.2, 2.0**60, dt.date(2013, 6, 3), True])
    wb.save(tmp_path / "n.xlsx")
    t = read_survey_export(tmp_path / "n.xlsx")
    stored = [c.value for c in load_workbook(tmp_path / "n.xlsx").active[2]]  # what openpyxl reads back, independently
    assert t.frame.iloc[0].tolist() == ["41", "2013-06-03T12:52:32", "2.5", repr(stored[3]), repr(stored[4]), "2013-06-03", "TRUE"]
    assert repr(stored[4]) == "1.152921504606847e+18"  # beyond 2**53 a whole float keeps float notation


# --------------------------------------------------------------------------- SPSS and Stata
def test_spss_without_value_labels_is_refused_at_mapping(tmp_path):
    df = pd.DataFrame({"q1": [1.0, 2.0, 5.0], "q2": [1.0, 1.0, 2.0]})
    pyreadstat.write_sav(df, tmp_path / "nolabels.sav", column_labels={"q1": "Q1. Learning with professionals", "q2": "Q2. Mentally ill"})
    t = read_survey_export(tmp_path / "nolabels.sav")
    assert t.frame["q1"].tolist() == ["1", "2", "5"]
    with pytest.raises(InputError) as e:
        answer_labels(t, "q1", INSTRUMENT)
    assert error_line(e) == (
        f"ERROR {tmp_path / 'nolabels.sav'}, row 1, column 'q1': a numeric code with no declared meaning "
        "(found a number; the file declares no value labels for this column); expected its meaning declared under "
        "survey.codes (code: label), or the export with labels (or the REDCap data dictionary)"
    )
    codes = {1: "Strongly agree", 2: "Agree", 3: "Neither agree nor disagree", 4: "Disagree", 5: "Strongly disagree"}
    assert answer_labels(t, "q1", INSTRUMENT, codes=codes).tolist() == ["Strongly agree", "Agree", "Strongly disagree"]


def test_a_code_map_in_reverse_gives_reverse_labels_and_scores(fixtures, expected):
    fixture = fixtures["qualtrics_numeric.csv"]
    table = read_survey_export(fixture.path)
    reverse = {6 - code: label for code, label in fixture.codes.items()}  # 5 = Strongly agree
    match = match_items(table, INSTRUMENT, items=fixture.items)
    flipped = {label: INSTRUMENT.labels[-1 - i] for i, label in enumerate(INSTRUMENT.labels)}
    score = INSTRUMENT.score_of
    for n, key in match.columns.items():
        got = answer_labels(table, key, INSTRUMENT, codes=reverse).tolist()
        assert got == [flipped[v] if v else "" for v in expected[n]]
        assert [score[v] for v in got if v] == [-score[v] for v in expected[n] if v]
    with pytest.raises(InputError, match="a numeric code with no declared meaning"):
        answer_labels(table, match.columns[1], INSTRUMENT)


def test_codes_declared_in_config_must_agree_with_the_file(fixtures):
    table = read_survey_export(fixtures["survey.sav"].path)
    reverse = {5: "Strongly agree", 4: "Agree", 3: "Neither agree nor disagree", 2: "Disagree", 1: "Strongly disagree"}
    with pytest.raises(InputError) as e:
        answer_labels(table, "q1", INSTRUMENT, codes=reverse)
    assert "survey.codes says code 1 means 'Strongly disagree', but the file's own value labels say 'Strongly agree'" in error_line(e)


def test_stata_extended_missing_and_system_missing(tmp_path):
    """pyreadstat 1.3.7 reads the system-missing cell of this column as 0 with user_missing=True;
    the reader must give blank, and count only the .a cell as user-missing."""
    df = pd.DataFrame({"q1": [1, 2, "a", None, 2]}, dtype=object)
    pyreadstat.write_dta(
        df, tmp_path / "m.dta", variable_value_labels={"q1": {1: "Strongly agree", 2: "Agree"}}, missing_user_values={"q1": ["a"]}
    )
    t = read_survey_export(tmp_path / "m.dta")
    assert t.frame["q1"].tolist() == ["Strongly agree", "Agree", "", "", "Agree"]
    assert (t.notes["user_missing_cells"], t.columns["q1"].missing_codes) == (1, frozenset({".a"}))


def test_spss_has_no_sheet_or_header_row(fixtures):
    with pytest.raises(InputError, match=r"key survey\.sheet: a sheet is named for a data file without sheets"):
        read_survey_export(fixtures["survey.sav"].path, sheet="Data")
    with pytest.raises(InputError, match=r"survey\.header_row"):
        read_survey_export(fixtures["survey.sav"].path, header_row=2)


# --------------------------------------------------------------------------- answers
def one_column(tmp_path, values, name="Q1. Learning with professionals from other services"):
    """A CSV with an id column and one item column holding ``values`` (rows 2, 3, …)."""
    p = tmp_path / "one.csv"
    p.write_text(f"ID,{name}\n" + "".join(f"{i},{v}\n" for i, v in enumerate(values)), encoding="utf-8")
    return read_survey_export(p)


def test_codes_and_labels_mixed_in_one_column(tmp_path):
    t = one_column(tmp_path, ["Agree", "Strongly agree", "4", "Disagree"])
    with pytest.raises(InputError) as e:
        answer_labels(t, t.frame.columns[1], INSTRUMENT, codes={4: "Agree"})
    line = error_line(e)
    assert "row 4" in line and "mixes numeric codes and response labels (first code on row 4, first label on row 2)" in line
    with pytest.raises(InputError, match=r"mixes numeric codes and response labels"):
        answer_labels(t, t.frame.columns[1], INSTRUMENT)  # without codes too: the mix is the first thing to fix


def test_a_code_the_file_leaves_unlabelled(tmp_path):
    df = pd.DataFrame({"q1": [1.0, 3.0, 5.0]})
    labels = {1: "Strongly agree", 2: "Agree", 4: "Disagree", 5: "Strongly disagree"}
    pyreadstat.write_sav(df, tmp_path / "partial.sav", variable_value_labels={"q1": labels})
    t = read_survey_export(tmp_path / "partial.sav")
    assert t.frame["q1"].tolist() == ["Strongly agree", "3", "Strongly disagree"]
    with pytest.raises(
        InputError, match=r"row 2, column 'q1': a numeric code with no declared meaning \(found a number; the file labels other"
    ):
        answer_labels(t, "q1", INSTRUMENT)
    got = answer_labels(t, "q1", INSTRUMENT, codes={3: "Neither agree nor disagree"})
    assert got.tolist() == ["Strongly agree", "Neither agree nor disagree", "Strongly disagree"]


def test_unknown_labels_are_described_not_quoted(tmp_path):
    t = one_column(tmp_path, ["Agree", "Agreee", "strongly AGREE", "Neutral", "Skipped", ""])
    with pytest.raises(InputError) as e:
        answer_labels(t, t.frame.columns[1], INSTRUMENT)
    line = error_line(e)
    assert "row 3" in line and "found a 6-character text" in line and "nearest label: 'Agree'" in line
    assert "Agreee" not in line
    t = one_column(tmp_path, ["Agree", "strongly AGREE", "Neutral", "Skipped", ""])
    assert answer_labels(t, t.frame.columns[1], INSTRUMENT).tolist() == ["Agree", "Strongly agree", "Neither agree nor disagree", "", ""]


def test_answers_are_mapped_once_per_distinct_value_for_100000_rows(tmp_path):
    labels = [*INSTRUMENT.labels, ""]
    values = [labels[i % 6] for i in range(100_000)]
    t = one_column(tmp_path, values)
    got = answer_labels(t, t.frame.columns[1], INSTRUMENT)
    assert got.value_counts().to_dict() == pd.Series(values).value_counts().to_dict()


def test_parse_number_is_strict():
    assert [parse_number(t) for t in ["5", " -2 ", "2.50", ".5", "+3", "0"]] == [5.0, -2.0, 2.5, 0.5, 3.0, 0.0]
    for text in ["4_5", "1e3", "nan", "inf", "1,234", "1 234", "٣", "5.", "", "-", "1.2.3", "0x10", "five"]:
        assert parse_number(text) is None, text
    assert float("4_5") == 45  # why parse_number exists
    assert parse_number("1,234", thousands=",") == 1234.0 and parse_number("1.234,5", decimal=",", thousands=".") == 1234.5
    assert parse_number("12,34", thousands=",") is None and parse_number("2,5", decimal=",") == 2.5


def test_an_age_of_4_5_is_not_a_number(tmp_path):
    p = tmp_path / "ages.csv"
    p.write_text("Age (years)\n41\n4_5\n", encoding="utf-8")
    t = read_survey_export(p)
    assert [parse_number(v) for v in t.frame["Age (years)"]] == [41.0, None]


# --------------------------------------------------------------------------- items
def test_items_by_pattern_by_map_and_their_errors(fixtures):
    t = read_survey_export(ORIGINAL)
    m = match_items(t, INSTRUMENT)
    assert list(m.columns) == [it.number for it in INSTRUMENT.items] and len(m.unmatched) == 11 and m.not_in_instrument == []
    assert m.columns == match_items(t, INSTRUMENT, pattern=OLD_PATTERN).columns
    q = read_survey_export(fixtures["qualtrics_choice_text.csv"].path)
    with pytest.raises(InputError) as e:
        match_items(q, INSTRUMENT)  # Q5_1 … carry no item number: a map is needed
    assert "item 1 of the instrument has no column" in error_line(e) and "survey.items" in error_line(e)
    items = dict(fixtures["qualtrics_choice_text.csv"].items)
    items[1], items[2] = items[2], items[1]
    with pytest.raises(InputError) as e:
        match_items(q, INSTRUMENT, items=items)
    assert "column 'Q5_2': the question text of the column does not match item 1 of the instrument" in error_line(e)
    items = {**fixtures["qualtrics_choice_text.csv"].items, 1: "Q5_01"}
    with pytest.raises(InputError) as e:
        match_items(q, INSTRUMENT, items=items)
    assert "survey.items maps item 1 to a column the export does not have" in error_line(e) and "e.g. 'Q5_1'" in error_line(e)
    with pytest.raises(InputError, match="maps items 1 and 2 to the same column"):
        match_items(q, INSTRUMENT, items={1: "Q5_1", 2: "Q5_1"})


def test_role_columns(fixtures):
    t = read_survey_export(fixtures["surveymonkey_expanded.csv"].path)
    roles = role_columns(t, {"gender": "gender", "email": "EMAIL ADDRESS", "phone": "Phone"}, required=["gender"])
    assert roles == {"gender": "Gender", "email": "Email Address"}
    with pytest.raises(InputError) as e:
        role_columns(t, {"age": "Age years old"}, required=["age"])
    assert "column 'Age years old', key survey.columns.age: required column missing" in error_line(
        e
    ) and "e.g. 'Age (years)'" in error_line(e)


def test_q2_topics_is_not_item_2():
    """Qualtrics' text-analysis column 'Q2 - Topics' (a real export) must not be taken for item 2."""
    from instrument import parse_instrument

    inst = parse_instrument(
        {
            "id": "t",
            "name": "t",
            "response_scale": [{"label": "Yes", "score": 1}, {"label": "No", "score": 0}],
            "missing_values": [""],
            "missing_rule": {"method": "complete"},
            "subscales": [{"id": "s", "name": "s", "higher_is_ready": True}],
            "items": [{"number": 2, "subscale": "s", "text": "Learning together helps"}],
        }
    )
    t = read_survey_export(REAL / "qualtrics" / "sample.csv")
    assert "Q2 - Topics" in t.columns
    with pytest.raises(InputError, match="item 2 of the instrument has no column"):
        match_items(t, inst, pattern=DEFAULT_ITEM_PATTERN)
    with pytest.raises(InputError, match="column 'Q2 - Topics': the wording of item 2 does not match"):
        match_items(t, inst, pattern=OLD_PATTERN)


# --------------------------------------------------------------------------- Qualtrics header rows
def qualtrics_lines(fixtures):
    return fixtures["qualtrics_choice_text.csv"].path.read_text(encoding="utf-8-sig").splitlines(keepends=True)


def test_qualtrics_with_header_rows_deleted(fixtures, tmp_path, expected):
    lines = qualtrics_lines(fixtures)
    items = fixtures["qualtrics_choice_text.csv"].items
    no_import = write(tmp_path, "q1.csv", "".join(lines[:2] + lines[3:]).encode())
    t = read_survey_export(no_import)
    assert (t.format, t.notes["header_rows"], t.notes["qualtrics_header_rows_missing"], len(t.frame)) == ("qualtrics", 2, 1, 44)
    assert labels_matrix(t, FX.Fixture(no_import, "qualtrics", items=items)) == expected
    names_only = write(tmp_path, "q2.csv", "".join(lines[:1] + lines[3:]).encode())
    t = read_survey_export(names_only)
    assert (t.format, t.notes["header_rows"], t.columns["Q5_1"].text, len(t.frame)) == ("qualtrics", 1, "", 44)
    assert labels_matrix(t, FX.Fixture(names_only, "qualtrics", items=items)) == expected
    no_names = write(tmp_path, "q3.csv", "".join(lines[1:]).encode())
    t = read_survey_export(no_names)
    assert (t.notes["header_rows"], len(t.frame)) == (2, 44) and "Response Type" in t.columns
    only_import = write(tmp_path, "q4.csv", "".join(lines[2:]).encode())
    with pytest.raises(InputError) as e:
        read_survey_export(only_import)
    assert "row 1: the first header row holds Qualtrics ImportId tags" in error_line(e)


def test_qualtrics_read_as_plain_csv_is_explained(fixtures):
    with pytest.raises(InputError) as e:
        read_survey_export(fixtures["qualtrics_choice_text.csv"].path, format="csv")
    assert "row 2: rows 2-3 are Qualtrics header rows (text, importid)" in error_line(e) and "survey.format: qualtrics" in error_line(e)
    with pytest.raises(InputError, match=r"row 2 is SurveyMonkey's second header row.*survey\.format: surveymonkey"):
        read_survey_export(fixtures["surveymonkey_expanded.xlsx"].path, format="excel")


def test_qualtrics_test_responses_are_dropped(fixtures, tmp_path):
    lines = qualtrics_lines(fixtures)
    test_line = lines[3].replace("Survey Preview", "Survey Test").replace(",preview,", ",test,")
    t = read_survey_export(write(tmp_path, "t.csv", "".join([*lines[:3], test_line, *lines[5:]]).encode()))
    assert (t.notes["test_responses_dropped"], "preview_responses_dropped" in t.notes, len(t.frame)) == (1, False, 44)


# --------------------------------------------------------------------------- REDCap
def test_redcap_raw_without_dictionary_keeps_codes(fixtures):
    t = read_survey_export(fixtures["redcap_raw.csv"].path)
    assert (t.format, t.notes["data_dictionary"], t.frame["ripls_1"].iloc[0]) == ("redcap", 0, "5")
    with pytest.raises(InputError, match=r"numeric code with no declared meaning.*REDCap data dictionary"):
        answer_labels(t, "ripls_1", INSTRUMENT)


def test_redcap_dictionary_mistakes(fixtures, tmp_path):
    raw = fixtures["redcap_raw.csv"]
    dictionary = raw.options["dictionary"]
    with pytest.raises(InputError, match="this is a REDCap data dictionary, not the data export"):
        read_survey_export(dictionary)
    lines = Path(dictionary).read_text(encoding="utf-8").splitlines(keepends=True)
    other = write(tmp_path, "other.csv", "".join(line for line in lines if not line.startswith("ripls_12,")).encode())
    with pytest.raises(InputError, match="column 'ripls_12': column is not a field of the data dictionary"):
        read_survey_export(raw.path, dictionary=other)
    with pytest.raises(
        InputError, match=r"key inputs\.survey_dictionary: a data dictionary is given, but the export is not a REDCap export"
    ):
        read_survey_export(fixtures["survey.xlsx"].path, dictionary=dictionary)
    bad_choice = write(tmp_path, "bad.csv", "".join(lines).replace("5, Strongly agree", "Strongly agree", 1).encode())
    with pytest.raises(InputError, match="a choice of field 'ripls_1' has no code"):
        read_survey_export(raw.path, dictionary=bad_choice)


# --------------------------------------------------------------------------- inspect
def test_describe_export_reports_counts_and_headers_only(fixtures, study):
    d = describe_export(fixtures["survey.sav"].path)
    assert (d["format"], d["respondents"], d["notes"]) == ("spss", 44, {"user_missing_cells": 2})
    kinds = {c["key"]: c["kind"] for c in d["columns"]}
    assert kinds["q1"] == "labels declared by the file" and kinds["name"] == "free text" and kinds["age"] == "numbers"
    assert kinds["gender"] == "labels declared by the file" and kinds["county"] == "categories"
    q1 = next(c for c in d["columns"] if c["key"] == "q1")
    assert q1["value_labels"]["9"] == "No answer" and q1["missing_codes"] == ["9"] and q1["answered"] == 44
    text = json.dumps(describe_export(ORIGINAL))
    for r in study.rows:
        for role in ("Full name", "Email address", "Organisation", "Any other comments?"):
            assert not r[role] or r[role] not in text
    d = describe_export(fixtures["qualtrics_numeric.csv"].path)
    assert next(c for c in d["columns"] if c["key"] == "Q5_1")["kind"] == "numbers"


# --------------------------------------------------------------------------- real files from other projects
def test_real_qualtrics_exports():
    t = read_survey_export(REAL / "qualtrics" / "sample.csv")
    assert (t.format, len(t.frame), t.notes["header_rows"], t.encoding) == ("qualtrics", 1, 3, "utf-8")
    assert t.columns["Q1"].text == "This is a multiple choice question." and t.columns["StartDate"].text == "Anfangsdatum"
    assert t.frame.loc[0, ["Q1", "Q2", "DistributionChannel"]].tolist() == ["2", "Hello World!", "anonymous"]
    t = read_survey_export(REAL / "qualtrics" / "sample_legacy.csv")
    assert (t.format, len(t.frame), t.encoding) == ("qualtrics", 1, "utf-8-sig")
    assert t.notes == {"header_rows": 2, "blank_columns_dropped": 1}  # the trailing comma of every line
    assert list(t.columns)[:3] == ["ResponseID", "ResponseSet", "Name"] and t.frame.loc[0, "Q2"] == "Hello World!"


def test_real_spss_and_stata_files():
    """Values as pyreadstat's own tests list them (test_data/basic/sample.csv, sample_missing*.csv)."""
    t = read_survey_export(REAL / "pyreadstat" / "sample.sav")
    assert t.frame["mylabl"].tolist() == ["Male", "Female", "Male", "Female", "Male"]
    assert t.frame["mydate"].tolist()[:3] == ["2018-05-06", "1880-05-06", "1960-01-01"]
    assert t.columns["mychar"].text == "character" and t.encoding == "windows-1252"
    assert read_survey_export(REAL / "pyreadstat" / "sample.zsav").frame.equals(t.frame)
    m = read_survey_export(REAL / "pyreadstat" / "sample_missing.sav")
    assert m.notes["user_missing_cells"] == 5 and m.columns["mynum"].missing_codes == frozenset({"-1", "2000..3000"})
    assert m.frame["myord"].tolist() == ["low", "medium", "high", "low", "low", "", ""]
    d = read_survey_export(REAL / "pyreadstat" / "sample.dta")
    assert d.format == "stata" and d.frame["myord"].tolist()[:3] == ["low", "medium", "high"]
    x = read_survey_export(REAL / "pyreadstat" / "missing_test.dta")
    assert x.notes["user_missing_cells"] == 6 and x.frame.loc[0].tolist() == [""] * 8 + ["1"]


def test_real_redcap_exports():
    base = REAL / "redcapr"
    t = read_survey_export(base / "checkboxes-1" / "data.csv", dictionary=base / "checkboxes-1" / "dictionary.csv")
    assert t.columns["check_two___c"].text == "check two – C"
    assert t.frame["check_one___1"].tolist() == ["Checked", "Unchecked", "Checked", "Unchecked"]
    assert t.frame["form_2_complete"].tolist()[:3] == ["Complete", "Incomplete", "Complete"]
    s = read_survey_export(base / "survey" / "data.csv", dictionary=base / "survey" / "dictionary.csv")
    assert s.frame["has_diabetes"].tolist() == ["True", "False"] and s.columns["email"].text == "E-mail address"
    with pytest.raises(InputError, match="row 3, column 'study_id': the same record appears on two rows"):
        read_survey_export(base / "longitudinal" / "data.csv")


def test_csv_written_by_pandas_round_trips(fixtures, study):
    """An independent writer (pandas) of the same data reads back to the same frame."""
    buf = io.StringIO()
    pd.DataFrame([[r[h] for h in study.headers] for r in study.rows], columns=study.headers).to_csv(buf, index=False, sep="|")
    p = fixtures["survey.xlsx"].path.with_name("pandas_pipe.csv")
    p.write_text(buf.getvalue(), encoding="utf-8")
    assert read_survey_export(p).frame.equals(read_survey_export(ORIGINAL).frame)
