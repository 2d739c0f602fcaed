"""Every input is validated before use: a bad one stops the run with ONE clear line.

The line starts with "ERROR ", names the file, the row or column (or YAML key), the value
found (never an identifying one: ``<withheld: identifying>`` stands in for it) and what was
expected. Each case below copies a synthetic file into ``tmp_path``, breaks it in one way and
calls the stage function that reads it. Three variants are not errors and must give exactly
the anonymised questionnaire of the original export: columns in another order, a
semicolon-delimited file and UTF-8 with a byte-order mark.

The tests marked ``pipeline`` run the real pipeline in a fresh copy of the repository, first
successfully, then with one bad input at a time: the run exits non-zero, its last stderr line
is the one ERROR line, the failing rule's outputs are gone and nothing half-written is left.
"""

import csv
import io
import json
import re
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
import yaml

import anonymise_survey
import config_check
import published
import roster as roster_module
from _support import finished_copy, run_pipeline
from anonymise_freetext import anonymise_text, people_for, read_notes, read_transcripts
from errors import BLANK, WITHHELD, InputError
from instrument import load_instrument
from qda import read_coded_export
from rawinput import read_csv_input, sniff_delimiter
from redact import Redactor
from roster import read_facilitators

ROOT = Path(__file__).resolve().parent.parent
SYN = ROOT / "data" / "synthetic"
CONFIG = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
INSTRUMENT_PATH = ROOT / CONFIG["instrument"]
INSTRUMENT = load_instrument(INSTRUMENT_PATH)
PUBLISHED = ROOT / CONFIG["inputs"]["published"]
KEY = b"a-test-key-for-the-validation-tests"
QUAL = CONFIG["qualitative"]


# ----------------------------------------------------------------------------- helpers
def rows_of(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline="")))


def csv_text(rows: list[list[str]], delimiter: str = ",") -> str:
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator="\n").writerows(rows)
    return buf.getvalue()


def write_rows(path: Path, rows: list[list[str]], *, delimiter: str = ",", encoding: str = "utf-8") -> Path:
    path.write_bytes(csv_text(rows, delimiter).encode(encoding))
    return path


def column(rows: list[list[str]], prefix: str) -> int:
    """Position of the header ``prefix``, else of the first header starting with it."""
    if prefix in rows[0]:
        return rows[0].index(prefix)
    return next(i for i, h in enumerate(rows[0]) if h.startswith(prefix))


def edited(src: Path, dest: Path, row: int, prefix: str, value: str) -> Path:
    """A copy of ``src`` with the cell at spreadsheet ``row`` (header = 1) of column ``prefix`` set to ``value``."""
    rows = rows_of(src)
    rows[row - 1][column(rows, prefix)] = value
    return write_rows(dest, rows)


def raised(fn: Callable, *args, **kwargs) -> InputError:
    with pytest.raises(InputError) as excinfo:
        fn(*args, **kwargs)
    return excinfo.value


def check_line(
    exc: InputError,
    file: Path | str,
    *,
    where: tuple[str, ...] = (),
    found: str | None = None,
    expected: str,
    problem: str = "",
    secrets: tuple[str, ...] = (),
) -> str:
    """The error is one line, starts with "ERROR ", names the file, the place (``where``:
    'row 4', "column 'Gender'", 'key k_anonymity.k'), the value found (as shown after
    "found ") and what was expected; ``secrets`` never appear in it."""
    line = exc.line()
    assert line == str(exc)
    assert "\n" not in line and "\r" not in line, line
    assert line.startswith("ERROR "), line
    assert str(file) in line, line
    head = line.split(": ", 1)[0]
    for w in where:
        assert w in head, f"{w!r} not in the location of: {line}"
    assert problem in line, line
    if found is not None:
        assert f"; found {found}" in line, line
    assert "; expected " in line and expected in line.split("; expected ", 1)[1], line
    for s in secrets:
        assert s not in line, f"identifying value {s!r} quoted in: {line}"
    return line


def anonymised(survey: Path = SYN / "survey_export.csv", roster: Path = SYN / "roster.csv", config: dict = CONFIG):
    """The anonymise_survey stage on these files: (questionnaire, sample, log)."""
    roster_df = roster_module.read_roster(roster, config)
    table = anonymise_survey.read_survey(survey, config)
    return anonymise_survey.anonymise_survey(table, roster_df, INSTRUMENT, config, KEY)


@pytest.fixture(scope="module")
def baseline():
    return anonymised()


@pytest.fixture(scope="module")
def documents() -> dict[str, str]:
    notes = read_notes(SYN / "flipchart_notes.csv", QUAL["flipchart"])
    docs = dict(zip(notes["note_id"], notes["text"], strict=True))
    docs.update({name: text for name, (_, text) in read_transcripts(SYN / "transcripts", "*.txt").items()})
    return docs


# Each tabular input read by rawinput.read_csv_input: its synthetic file, how the pipeline reads
# it, a required column. The survey export has readers of its own (survey_formats), which accept
# more encodings and layouts: its bad inputs are tested below and in tests/test_anonymise_survey.py.
READERS: dict[str, tuple[Path, Callable, str]] = {
    "roster": (SYN / "roster.csv", lambda p, docs: roster_module.read_roster(p, CONFIG), "Email"),
    "flip-chart notes": (SYN / "flipchart_notes.csv", lambda p, docs: read_notes(p, QUAL["flipchart"]), "Sheet"),
    "MAXQDA export": (
        SYN / "coded_segments_maxqda_coder_a.csv",
        lambda p, docs: read_coded_export(p, fmt="maxqda", documents=docs),
        "Segment",
    ),
    "Taguette export": (SYN / "taguette_highlights.csv", lambda p, docs: read_coded_export(p, fmt="taguette", documents=docs), "content"),
    "published figures": (PUBLISHED, lambda p, docs: published.load_figures(p), "kind"),
}
KINDS = list(READERS)


def read(kind: str, path: Path, docs) -> pd.DataFrame:
    result = READERS[kind][1](path, docs)
    return result.segments if hasattr(result, "segments") else result


# ============================================================================= any CSV input
@pytest.mark.parametrize("kind", KINDS)
def test_missing_file(kind, tmp_path, documents):
    path = tmp_path / "absent.csv"
    exc = raised(read, kind, path, documents)
    check_line(exc, path, problem="not found", found="'no file at this path'", expected="an existing file")


@pytest.mark.parametrize("content", [b"", b"\n  \r\n"], ids=["zero bytes", "whitespace"])
@pytest.mark.parametrize("kind", KINDS)
def test_empty_file(kind, content, tmp_path, documents):
    path = tmp_path / "empty.csv"
    path.write_bytes(content)
    exc = raised(read, kind, path, documents)
    check_line(exc, path, problem="is empty", found=f"'{len(content)} bytes", expected="a file with content")


@pytest.mark.parametrize("kind", KINDS)
def test_header_only_file(kind, tmp_path, documents):
    path = write_rows(tmp_path / "header.csv", rows_of(READERS[kind][0])[:1])
    exc = raised(read, kind, path, documents)
    check_line(exc, path, problem="has a header but no data rows", found="'0 data rows'", expected="at least one data row")


@pytest.mark.parametrize("kind", KINDS)
def test_missing_required_column(kind, tmp_path, documents):
    src, _, required = READERS[kind]
    rows = rows_of(src)
    i = rows[0].index(required)
    path = write_rows(tmp_path / "no_column.csv", [r[:i] + r[i + 1 :] for r in rows])
    exc = raised(read, kind, path, documents)
    check_line(
        exc,
        path,
        where=(f"column {required!r}",),
        problem="required column missing",
        found='"columns ',
        expected=f"a column headed {required!r}",
    )


@pytest.mark.parametrize(
    ("variant", "delimiter", "encoding"), [("semicolon", ";", "utf-8"), ("BOM", ",", "utf-8-sig"), ("tab", "\t", "utf-8")]
)
@pytest.mark.parametrize("kind", KINDS)
def test_semicolon_tab_and_bom_are_read_like_the_original(kind, variant, delimiter, encoding, tmp_path, documents):
    src = READERS[kind][0]
    path = write_rows(tmp_path / f"{variant}.csv", rows_of(src), delimiter=delimiter, encoding=encoding)
    pd.testing.assert_frame_equal(read(kind, path, documents), read(kind, src, documents))


@pytest.mark.parametrize("name", ["coded_segments_maxqda_coder_a.csv", "taguette_highlights.csv"])
def test_coded_export_shape_is_detected_in_semicolon_and_bom_files(name, tmp_path, documents):
    original = read_coded_export(SYN / name, documents=documents)
    for delimiter, encoding in ((";", "utf-8"), (",", "utf-8-sig"), (";", "utf-8-sig")):
        path = write_rows(tmp_path / name, rows_of(SYN / name), delimiter=delimiter, encoding=encoding)
        again = read_coded_export(path, documents=documents)  # format: auto, as in config.yaml
        assert again.format == original.format
        pd.testing.assert_frame_equal(again.segments, original.segments)


@pytest.mark.parametrize(("encoding", "char", "byte"), [("latin-1", "é", "0xE9"), ("cp1252", "’", "0x92")])
@pytest.mark.parametrize("kind", KINDS)
def test_latin1_and_windows1252_are_refused(kind, encoding, char, byte, tmp_path, documents):
    rows = rows_of(READERS[kind][0])
    assert csv_text(rows[:1]).isascii()
    rows[1][0] = char + rows[1][0]  # the first non-ASCII character of the file, in row 2
    path = tmp_path / f"{encoding}.csv"
    path.write_bytes(csv_text(rows).encode(encoding, errors="replace"))
    exc = raised(read, kind, path, documents)
    check_line(
        exc,
        path,
        where=("row 2",),
        problem="not valid UTF-8",
        found=f"'byte {byte}'",
        expected="UTF-8 (re-save or re-export the file as UTF-8",
    )


def test_bad_byte_is_reported_at_its_spreadsheet_row_not_its_line(tmp_path):
    rows = rows_of(SYN / "flipchart_notes.csv")
    assert any("\n" in r[2] for r in rows[1:9]), "the notes before row 10 include a multi-line note"
    rows[9][0] += "é"
    path = tmp_path / "notes.csv"
    text = csv_text(rows)
    path.write_bytes(text.encode("latin-1", errors="replace"))
    assert text[: text.index("é")].count("\n") + 1 > 10  # its line is later than its row
    check_line(raised(read_notes, path, QUAL["flipchart"]), path, where=("row 10",), found="'byte 0xE9'", expected="UTF-8")


def test_utf16_is_refused(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_bytes((SYN / "roster.csv").read_text(encoding="utf-8").encode("utf-16"))
    check_line(
        raised(roster_module.read_roster, path, CONFIG),
        path,
        where=("row 1",),
        problem="UTF-16",
        found="'byte-order mark 0xFFFE'",
        expected="UTF-8",
    )


def test_spreadsheet_saved_as_xlsx_is_refused(tmp_path):
    path = tmp_path / "roster.csv"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("xl/workbook.xml", "<workbook/>")
    exc = raised(roster_module.read_roster, path, CONFIG)
    check_line(exc, path, problem="zip archive", found="'a zip archive'", expected="'CSV UTF-8'")


@pytest.mark.parametrize(("encoding", "char"), [("utf-16", "é"), ("cp1252", "’"), ("latin-1", "é")])
def test_survey_export_in_another_encoding_gives_the_same_questionnaire(encoding, char, tmp_path, baseline):
    """The survey export is read by survey_formats, which tells UTF-16 (by its byte-order mark)
    and Windows-1252 (where charset-normalizer and Windows-1252 agree) from UTF-8."""
    rows = rows_of(SYN / "survey_export.csv")
    rows[1][0] = char + rows[1][0]  # in the timestamp, which is dropped
    path = tmp_path / "survey.csv"
    path.write_bytes(csv_text(rows).encode(encoding))
    data, sample, log = anonymised(path)
    pd.testing.assert_frame_equal(data, baseline[0])
    assert sample == baseline[1] and log["export"]["notes"] == baseline[2]["export"]["notes"]


def test_a_broken_workbook_as_survey_export(tmp_path):
    path = tmp_path / "survey.csv"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("xl/workbook.xml", "<workbook/>")
    check_line(
        raised(anonymised, path),
        path,
        problem="survey export cannot be read as a spreadsheet",
        found="'python-calamine: ",
        expected="an .xlsx, .xlsb, .xls or .ods workbook that opens in Excel",
    )


# ============================================================================= CSV structure
@pytest.mark.parametrize(("change", "fields", "problem"), [(1, 36, "more fields"), (-2, 33, "fewer fields")])
def test_row_with_more_or_fewer_fields_than_the_header(change, fields, problem, tmp_path):
    rows = rows_of(SYN / "survey_export.csv")
    rows[4] = rows[4] + ["extra"] if change > 0 else rows[4][:change]
    path = write_rows(tmp_path / "ragged.csv", rows)
    check_line(raised(anonymised, path), path, where=("row 5",), problem=problem, found=f"'{fields} fields'", expected="35 fields")
    roster = rows_of(SYN / "roster.csv")
    roster[4] = roster[4] + ["extra"] if change > 0 else roster[4][:change]
    path = write_rows(tmp_path / "roster.csv", roster)
    n = len(roster[0]) + change
    expected = f"{len(roster[0])} fields"
    exc = raised(roster_module.read_roster, path, CONFIG)
    check_line(exc, path, where=("row 5",), problem=problem, found=f"'{n} fields'", expected=expected)


def test_quote_never_closed(tmp_path):
    rows = rows_of(SYN / "survey_export.csv")
    path = tmp_path / "quote.csv"
    path.write_text(csv_text(rows) + '2013-06-04 09:00:00,"Ann Other,ann@example.org\n', encoding="utf-8")  # row 46 opens a quote
    check_line(
        raised(anonymised, path),
        path,
        where=(f"row {len(rows) + 1}",),
        problem="survey export is not well-formed delimited text",
        found="'a quote that is never closed'",
        expected="double quotes",
        secrets=("Ann Other", "ann@example.org"),
    )


def test_two_columns_with_the_same_header(tmp_path):
    rows = rows_of(SYN / "survey_export.csv")
    g = column(rows, "Gender")
    path = write_rows(tmp_path / "dup_header.csv", [[*r, r[g]] for r in rows])
    check_line(
        raised(anonymised, path),
        path,
        where=("column 'Gender'",),
        problem="same header",
        found="['Gender', 'Gender']",
        expected="unique column headers",
    )


def test_sniffer_is_not_fooled_by_commas_inside_quoted_headers():
    assert sniff_delimiter('"Age, in years";"Gender";"County"') == ";"
    assert sniff_delimiter("Name,Email") == ","
    assert sniff_delimiter("only one column") == ","


# ============================================================================= the survey export
@pytest.mark.parametrize(
    "variant",
    ["survey columns in another order", "survey semicolon-delimited", "survey UTF-8 with BOM", "roster columns in another order",
     "roster semicolon-delimited", "roster UTF-8 with BOM"],
)  # fmt: skip
def test_variants_give_the_same_questionnaire(variant, baseline, tmp_path):
    which = variant.split()[0]
    src = SYN / ("survey_export.csv" if which == "survey" else "roster.csv")
    rows = rows_of(src)
    path = tmp_path / src.name
    if "order" in variant:
        order = list(reversed(range(len(rows[0]))))
        assert order != list(range(len(rows[0])))
        write_rows(path, [[r[i] for i in order] for r in rows])
    elif "semicolon" in variant:
        write_rows(path, rows, delimiter=";")
        assert path.read_text(encoding="utf-8").splitlines()[0].count(";") == len(rows[0]) - 1
    else:
        write_rows(path, rows, encoding="utf-8-sig")
        assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    data, sample, log = anonymised(**{which: path})
    pd.testing.assert_frame_equal(data, baseline[0])
    assert sample == baseline[1] and log == baseline[2]


def test_unknown_response_label(tmp_path):
    path = edited(SYN / "survey_export.csv", tmp_path / "survey.csv", 4, "Q3.", "Agree strongly")
    header = rows_of(path)[0][column(rows_of(path), "Q3.")]
    line = check_line(
        raised(anonymised, path),
        path,
        where=("row 4", f"column {header!r}"),
        problem="answer is not a response label of the instrument (found a 14-character text)",
        expected="one of: 'Strongly agree', 'Agree', 'Neither agree nor disagree', 'Disagree', 'Strongly disagree', or blank",
    )
    assert "Agree strongly" not in line  # answers are described, not quoted


def with_codes(tmp_path, codes: dict[str, str], edit=None) -> Path:
    """The synthetic export with every answer replaced by its code (``codes``: label -> code)."""
    rows = rows_of(SYN / "survey_export.csv")
    for r in rows[1:]:
        for i, h in enumerate(rows[0]):
            if h.startswith("Q") and r[i] in codes:
                r[i] = codes[r[i]]
    if edit:
        edit(rows)
    return write_rows(tmp_path / "codes.csv", rows)


CODES = {"Strongly agree": "5", "Agree": "4", "Neither agree nor disagree": "3", "Disagree": "2", "Strongly disagree": "1"}


def test_numeric_codes_without_a_declared_meaning_stop_the_run(tmp_path):
    """The instrument no longer says what numbers mean: a numeric export needs survey.codes."""
    path = with_codes(tmp_path, CODES)
    q1 = rows_of(path)[0][column(rows_of(path), "Q1.")]
    check_line(
        raised(anonymised, path),
        path,
        where=("row 2", f"column {q1!r}"),
        problem="a numeric code with no declared meaning (found a number; the file declares no value labels for this column)",
        expected="its meaning declared under survey.codes (code: label)",
    )


@pytest.mark.parametrize("code", ["0", "6", "-2", "4.5"])
def test_numeric_code_not_declared(code, tmp_path):
    def edit(rows):
        rows[8][column(rows, "Q12.")] = code

    path = with_codes(tmp_path, CODES, edit)
    header = rows_of(path)[0][column(rows_of(path), "Q12.")]
    config = {**CONFIG, "survey": {**CONFIG["survey"], "codes": {int(c): label for label, c in CODES.items()}}}
    check_line(
        raised(anonymised, path, config=config),
        path,
        where=("row 9", f"column {header!r}"),
        problem="a numeric code with no declared meaning",
        expected="the code declared under survey.codes (code: label, e.g. 1: Strongly agree)",
    )


def test_numeric_codes_declared_in_the_config_are_answers(tmp_path, baseline):
    config = {**CONFIG, "survey": {**CONFIG["survey"], "codes": {int(c): label for label, c in CODES.items()}}}
    data, _, _ = anonymised(with_codes(tmp_path, CODES), config=config)
    pd.testing.assert_frame_equal(data, baseline[0])


def test_duplicate_respondent(tmp_path):
    rows = rows_of(SYN / "survey_export.csv")
    email = rows[5][column(rows, "Email address")]
    name = rows[5][column(rows, "Full name")]
    rows.append(list(rows[5]))
    path = write_rows(tmp_path / "survey.csv", rows)
    check_line(
        raised(anonymised, path),
        path,
        where=(f"row {len(rows)}", "column 'Email address'"),
        problem="duplicate respondent (same email as row 6)",
        found=WITHHELD,
        expected="one row per respondent",
        secrets=(email, name),
    )


def test_duplicate_respondent_differing_only_in_case_and_spaces(tmp_path):
    rows = rows_of(SYN / "survey_export.csv")
    e = column(rows, "Email address")
    rows.append(list(rows[2]))
    rows[-1][e] = f"  {rows[2][e].upper()} "
    path = write_rows(tmp_path / "survey.csv", rows)
    check_line(
        raised(anonymised, path),
        path,
        where=(f"row {len(rows)}",),
        problem="duplicate respondent",
        found=WITHHELD,
        expected="one row per respondent",
    )


def test_respondent_not_on_the_roster(tmp_path):
    survey = rows_of(SYN / "survey_export.csv")
    email = survey[7][column(survey, "Email address")]
    roster = [r for r in rows_of(SYN / "roster.csv") if r[1] != email]
    assert len(roster) == 52
    roster_path = write_rows(tmp_path / "roster.csv", roster)
    survey_path = SYN / "survey_export.csv"
    check_line(
        raised(anonymised, survey_path, roster_path),
        survey_path,
        where=("row 8", "column 'Email address'"),
        problem="respondent is not on the roster",
        found=WITHHELD,
        expected="an email listed in the roster",
        secrets=(email, email.split("@")[0]),
    )


def test_questionnaire_with_every_item_blank(tmp_path):
    rows = rows_of(SYN / "survey_export.csv")
    for i, h in enumerate(rows[0]):
        if h.startswith("Q"):
            rows[3][i] = ""
    path = write_rows(tmp_path / "survey.csv", rows)
    check_line(
        raised(anonymised, path),
        path,
        where=("row 4",),
        problem="every item is blank",
        found=f"'no answer in any of the {len(INSTRUMENT.items)} item columns'",
        expected="at least one answered item",
    )


def test_respondent_without_the_link_column(tmp_path):
    path = edited(SYN / "survey_export.csv", tmp_path / "survey.csv", 3, "Email address", "")
    check_line(raised(anonymised, path), path, where=("row 3", "column 'Email address'"), found=BLANK, expected="the respondent's email")


@pytest.mark.parametrize(
    ("header", "value", "problem", "expected"),
    [
        ("Gender", "Nonbinary", "gender: answer not mapped in config", "one of: 'Female', 'F', 'Woman', 'Male', 'M', 'Man', or blank"),
        ("County", "County Z", "county: answer not mapped in config", "'County H'"),
        ("Do you hold a managerial role?", "Sometimes", "managerial: answer not mapped", "'Yes'"),
        ("Sector of your employer", "Military", "sector: answer not mapped", "'Public sector'"),
        ("Age (years)", "forty", "age_band: not a number", "a number"),
        ("Age (years)", "120", "age_band: value outside every band", "a value in [16, 40), [40, 100)"),
    ],
)
def test_demographic_value_the_config_does_not_map(header, value, problem, expected, tmp_path):
    path = edited(SYN / "survey_export.csv", tmp_path / "survey.csv", 5, header, value)
    check_line(raised(anonymised, path), path, where=("row 5", f"column {header!r}"), problem=problem, found=repr(value), expected=expected)


def test_organisation_not_in_the_lookup_is_withheld(tmp_path):
    path = edited(SYN / "survey_export.csv", tmp_path / "survey.csv", 5, "Organisation", "Ashcombe Secret Unit")
    check_line(
        raised(anonymised, path),
        path,
        where=("row 5", "column 'Organisation'"),
        problem="organisation not in config organisation_lookup",
        found=WITHHELD,
        expected="organisation_lookup",
        secrets=("Ashcombe Secret Unit",),
    )


def test_item_column_missing(tmp_path):
    rows = rows_of(SYN / "survey_export.csv")
    i = column(rows, "Q7.")
    path = write_rows(tmp_path / "survey.csv", [r[:i] + r[i + 1 :] for r in rows])
    check_line(
        raised(anonymised, path),
        path,
        where=("column 'Q7'",),
        problem="item 7 of the instrument has no column",
        found=f"'columns for {len(INSTRUMENT.items) - 1} of the {len(INSTRUMENT.items)} items of the instrument'",
        expected="a column headed like 'Q7.",
    )


# ============================================================================= the roster
def test_roster_entry_without_a_name(tmp_path):
    path = edited(SYN / "roster.csv", tmp_path / "roster.csv", 4, "Full name", " ")
    check_line(
        raised(roster_module.read_roster, path, CONFIG),
        path,
        where=("row 4", "column 'Full name'"),
        problem="roster entry has no name",
        found=BLANK,
        expected="the person's name",
    )


def test_a_roster_row_after_a_blank_line_is_named_as_a_spreadsheet_shows_it(tmp_path):
    """Blank lines are skipped when reading but still count as rows: the entry without a
    name on line 4, after a blank line 3, is row 4 (not row 3, its position among the entries)."""
    lines = (SYN / "roster.csv").read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    blank_name = ",".join("someone@example.org" if h == "Email" else "" for h in header)
    path = tmp_path / "roster.csv"
    path.write_text("\n".join([lines[0], lines[1], "", blank_name, *lines[2:]]) + "\n", encoding="utf-8")
    check_line(
        raised(roster_module.read_roster, path, CONFIG),
        path,
        where=("row 4", "column 'Full name'"),
        problem="roster entry has no name",
        found=BLANK,
        expected="the person's name",
    )


def test_roster_lists_a_person_twice(tmp_path):
    rows = rows_of(SYN / "roster.csv")
    rows.append([f"{rows[9][0]} Jr", rows[9][1].upper(), *rows[9][2:]])
    path = write_rows(tmp_path / "roster.csv", rows)
    check_line(
        raised(roster_module.read_roster, path, CONFIG),
        path,
        where=(f"row {len(rows)}", "column 'Email'"),
        problem="two roster entries have the same email",
        found=WITHHELD,
        expected="one entry per person",
        secrets=(rows[9][1], rows[9][1].upper(), rows[9][0]),
    )


def test_facilitator_without_a_name(tmp_path):
    path = edited(SYN / "facilitators.csv", tmp_path / "facilitators.csv", 3, "Full name", "")
    check_line(
        raised(read_facilitators, path),
        path,
        where=("row 3", "column 'Full name'"),
        problem="facilitator has no name",
        found=BLANK,
        expected="name",
    )


# ============================================================================= the instrument
def instrument_with(tmp_path: Path, mutate: Callable[[dict], None]) -> Path:
    data = yaml.safe_load(INSTRUMENT_PATH.read_text(encoding="utf-8"))
    mutate(data)
    path = tmp_path / "instrument.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def test_unknown_subscale_in_the_instrument(tmp_path):
    path = instrument_with(tmp_path, lambda d: d["items"][3].update(subscale="teamwork"))
    check_line(
        raised(load_instrument, path),
        path,
        where=("key items[3].subscale",),
        problem="item 4 names an unknown subscale",
        found="'teamwork'",
        expected="one of: 'shared_learning', 'insularity', 'person_centredness'",
    )


def test_item_listed_twice_in_the_instrument(tmp_path):
    path = instrument_with(tmp_path, lambda d: d["items"].append(dict(d["items"][2])))
    check_line(
        raised(load_instrument, path),
        path,
        where=("key items[24]",),
        problem="item listed twice",
        found="'item 3'",
        expected="each item number once",
    )


def test_instrument_value_of_the_wrong_type(tmp_path):
    path = instrument_with(tmp_path, lambda d: d["response_scale"][0].update(score="two"))
    exc = raised(load_instrument, path)
    check_line(exc, path, where=("key response_scale[0].score",), found="'two'", expected="a value of type number")


def test_instrument_that_is_not_yaml(tmp_path):
    path = tmp_path / "instrument.yaml"
    path.write_text("id: ripls\nitems: [unclosed\n", encoding="utf-8")
    check_line(
        raised(load_instrument, path),
        path,
        where=("row 3",),
        problem="not valid YAML",
        found="\"expected ',' or ']'",
        expected="well-formed YAML",
    )


# ============================================================================= the config
def config_with(mutate: Callable[[dict], None]) -> dict:
    config = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    mutate(config)
    return config


WRONG_TYPES = [
    ("k_anonymity.k", "five", "'five'", "a value of type integer"),
    ("study.synthetic", "yes", "'yes'", "a value of type boolean"),
    ("analysis.collapse.positive", "Agree", "'Agree'", "a value of type array"),
    ("qualitative.quotes.max_chars", "400", "'400'", "a value of type integer"),
    ("analysis.ci_level", [0.95], "'a list of 1 item'", "a value of type number"),
    ("demographics.gender.levels", "female", "'female'", "a value of type object"),
]


def set_key(config: dict, dotted: str, value) -> None:
    *parents, last = dotted.split(".")
    node = config
    for p in parents:
        node = node[p]
    node[last] = value


@pytest.mark.parametrize(("key", "value", "found", "expected"), WRONG_TYPES, ids=[w[0] for w in WRONG_TYPES])
def test_config_key_of_the_wrong_type(key, value, found, expected):
    exc = raised(config_check.check_config, config_with(lambda c: set_key(c, key, value)), root=ROOT)
    check_line(exc, "config.yaml", where=(f"key {key}",), problem="config does not match its schema", found=found, expected=expected)


@pytest.mark.parametrize(("key", "value", "found", "expected"), WRONG_TYPES, ids=[w[0] for w in WRONG_TYPES])
def test_snakemakes_validate_refuses_the_same_config(key, value, found, expected):
    """The Snakefile also calls Snakemake's validate() on the same schema (after our one-line check)."""
    from snakemake.exceptions import WorkflowError
    from snakemake.utils import validate

    with pytest.raises(WorkflowError):
        validate(config_with(lambda c: set_key(c, key, value)), str(ROOT / "workflow" / "schemas" / "config.schema.yaml"))


def test_the_shipped_config_passes_both_checks():
    config = config_with(lambda c: None)
    config_check.check_config(config, root=ROOT)
    from snakemake.utils import validate

    validate(config, str(ROOT / "workflow" / "schemas" / "config.schema.yaml"))


@pytest.mark.parametrize(
    ("mutate", "where", "found", "expected"),
    [
        (lambda c: c.update(extra_section=1), "key extra_section", "'extra_section'", "one of: 'study'"),
        (
            lambda c: c["study"].pop("title"),
            "key study.title",
            "\"keys ['description', 'publication', 'synthetic']\"",
            "a value for 'title'",
        ),
        (lambda c: c["report"].update(renderer="word"), "key report.renderer", "'word'", "one of: 'auto', 'quarto', 'pandoc'"),
        (lambda c: c["analysis"].update(ci_level=1.5), "key analysis.ci_level", "1.5", "exclusiveMaximum 1"),
        (
            lambda c: c["demographics"]["age_band"].update(levels={"a": ["x"]}),
            "key demographics.age_band",
            "\"keys ['levels', 'bins']\"",
            "exactly one of",
        ),
        (lambda c: c["analysis"].update(table1=["org_type", "religion"]), "key analysis.table1", "'religion'", "one of: 'org_type'"),
        (
            lambda c: c["inputs"].update(survey="data/synthetic/nope.csv"),
            "key inputs.survey",
            "'data/synthetic/nope.csv'",
            "an existing file",
        ),
        (
            lambda c: c["analysis"]["collapse"].update(positive=["Agree strongly"]),
            "key analysis.collapse.positive",
            "'Agree strongly'",
            "'Strongly agree'",
        ),
    ],
    ids=["unknown key", "missing key", "enum", "range", "levels and bins", "unknown grouping", "missing input", "collapse label"],
)
def test_other_config_mistakes(mutate, where, found, expected):
    exc = raised(config_check.check_config, config_with(mutate), root=ROOT)
    check_line(exc, "config.yaml", where=(where,), found=found, expected=expected)


# ============================================================================= flip-chart notes and transcripts
def test_flipchart_duplicate_note_id(tmp_path):
    rows = rows_of(SYN / "flipchart_notes.csv")
    rows[20][0] = rows[3][0]
    path = write_rows(tmp_path / "notes.csv", rows)
    check_line(
        raised(read_notes, path, QUAL["flipchart"]),
        path,
        where=("row 21", "column 'Note ID'"),
        problem="note id used twice",
        found=WITHHELD,  # a note id may name someone (issue 12)
        expected="unique note ids",
    )


def test_flipchart_note_ids_that_differ_only_in_case_and_punctuation(tmp_path):
    """Ids are matched to the export ignoring case and punctuation: "e03." would match E03's document too."""
    rows = rows_of(SYN / "flipchart_notes.csv")
    rows[20][0] = rows[3][0].lower() + "."
    path = write_rows(tmp_path / "notes.csv", rows)
    check_line(
        raised(read_notes, path, QUAL["flipchart"]),
        path,
        where=("row 21", "column 'Note ID'"),
        problem="note id used twice (ignoring case and punctuation)",
        found=WITHHELD,
        expected="unique note ids",
    )


def test_flipchart_unknown_sheet(tmp_path):
    path = edited(SYN / "flipchart_notes.csv", tmp_path / "notes.csv", 6, "Sheet", "Hopes")
    check_line(
        raised(read_notes, path, QUAL["flipchart"]),
        path,
        where=("row 6", "column 'Sheet'"),
        problem="unknown flip-chart sheet",
        found="'Hopes'",
        expected="one of: 'Expectations', 'Expectation', 'Obstacles', 'Obstacle'",
    )


@pytest.mark.parametrize(
    ("header", "problem", "expected"), [("Note ID", "note has no id", "a unique note id"), ("Note", "note has no text", "the note's text")]
)
def test_flipchart_note_without_id_or_text(header, problem, expected, tmp_path):
    path = edited(SYN / "flipchart_notes.csv", tmp_path / "notes.csv", 8, header, "")
    check_line(
        raised(read_notes, path, QUAL["flipchart"]),
        path,
        where=("row 8", f"column {header!r}"),
        problem=problem,
        found=BLANK,
        expected=expected,
    )


def test_flipchart_sheet_matching_ignores_case_and_punctuation(tmp_path):
    rows = rows_of(SYN / "flipchart_notes.csv")
    rows[1][1] = " expectations. "
    notes = read_notes(write_rows(tmp_path / "notes.csv", rows), QUAL["flipchart"])
    assert notes["sheet"].iloc[0] == "expectation"


def test_transcripts_folder_that_is_empty(tmp_path):
    folder = tmp_path / "transcripts"
    folder.mkdir()
    (folder / "notes.docx").write_bytes(b"not a transcript")
    check_line(
        raised(read_transcripts, folder, "*.txt"),
        folder,
        problem="no transcripts in the folder",
        found="\"no files matching '*.txt'\"",
        expected="one text file per focus group",
    )


def test_transcripts_folder_that_is_missing(tmp_path):
    folder = tmp_path / "nowhere"
    check_line(
        raised(read_transcripts, folder, "*.txt"),
        folder,
        problem="transcripts folder not found",
        found="'no folder at this path'",
        expected="a folder",
    )


@pytest.fixture
def transcripts_copy(tmp_path) -> Path:
    folder = tmp_path / "transcripts"
    shutil.copytree(SYN / "transcripts", folder)
    return folder


def test_transcript_that_is_empty(transcripts_copy):
    """A transcript is named by its folder, its place in name order and its neutral id, never by its file name."""
    path = transcripts_copy / "focus_group_4.txt"
    path.write_text("", encoding="utf-8")
    check_line(
        raised(read_transcripts, transcripts_copy, "*.txt"),
        f"{transcripts_copy}, file 4 of 6 in name order (Focus group 4)",
        problem="transcript is empty",
        found="'0 bytes'",
        expected="a file with content",
        secrets=("focus_group_4",),
    )


def test_transcript_in_latin1(transcripts_copy):
    path = transcripts_copy / "focus_group_2.txt"
    text = path.read_text(encoding="utf-8")
    path.write_bytes(("Zoë: hello\n" + text).encode("latin-1", errors="replace"))
    check_line(
        raised(read_transcripts, transcripts_copy, "*.txt"),
        f"{transcripts_copy}, file 2 of 6 in name order (Focus group 2)",
        where=("row 1",),
        found="'byte 0xEB'",
        expected="UTF-8",
        secrets=("focus_group_2",),
    )


def test_transcript_with_a_bom_and_crlf_reads_like_the_original(transcripts_copy):
    path = transcripts_copy / "focus_group_5.txt"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_text(encoding="utf-8").replace("\r\n", "\n").replace("\n", "\r\n").encode())
    assert read_transcripts(transcripts_copy, "*.txt") == read_transcripts(SYN / "transcripts", "*.txt")


def test_two_transcripts_with_the_same_document_name(transcripts_copy):
    shutil.copy(transcripts_copy / "focus_group_3.txt", transcripts_copy / "Focus-Group-3.txt")
    exc = raised(read_transcripts, transcripts_copy, "*.txt")
    # Name order ignores case and punctuation: Focus-Group-3 and focus_group_3 are files 3 and 4 ("-" before "_" on a tie)
    check_line(
        exc,
        transcripts_copy,
        problem="two transcripts have the same name ignoring case, punctuation and extension",
        found="'files 3 and 4 of 7 in name order (Focus group 3, Focus group 4)'",
        expected="distinct names",
        secrets=("focus_group_3", "Focus-Group-3"),
    )


# ============================================================================= the coded export
def test_maxqda_segment_for_an_unknown_document(tmp_path, documents):
    path = edited(SYN / "coded_segments_maxqda_coder_a.csv", tmp_path / "maxqda.csv", 12, "Document name", "E99")
    check_line(
        raised(read_coded_export, path, documents=documents),
        path,
        where=("row 12", "column 'Document name'"),
        problem="segment refers to an unknown document",
        found="'E99'",
        expected="one of: 'E01'",
    )


def test_taguette_highlight_for_an_unknown_document(tmp_path, documents):
    path = edited(SYN / "taguette_highlights.csv", tmp_path / "taguette.csv", 30, "document", "Focus group 9")
    check_line(
        raised(read_coded_export, path, documents=documents),
        path,
        where=("row 30", "column 'document'"),
        problem="unknown document",
        found="'Focus group 9'",
        expected="one of: ",
    )


def qdpx_with(tmp_path: Path, edit: Callable[[bytes], bytes], *, name: str = "project.qdpx") -> Path:
    """A copy of the synthetic .qdpx whose project.qde is ``edit(project.qde)``."""
    path = tmp_path / name
    with zipfile.ZipFile(SYN / "coded_project.qdpx") as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            dst.writestr(info, edit(data) if info.filename == "project.qde" else data)
    return path


def test_qdpx_source_that_is_an_unknown_document(tmp_path):
    path = qdpx_with(tmp_path, lambda b: b.replace(b'name="E01" plainTextPath', b'name="E99" plainTextPath', 1))
    notes = read_notes(SYN / "flipchart_notes.csv", QUAL["flipchart"])
    transcripts = read_transcripts(SYN / "transcripts", "*.txt")
    redactor = Redactor.from_config(people_for(roster_module.read_roster(SYN / "roster.csv", CONFIG), [], KEY), CONFIG["redaction"])
    exc = raised(anonymise_text, notes, transcripts, path, redactor, QUAL)
    check_line(
        exc,
        path,
        problem="neither a flip-chart note nor a transcript",
        found='"text source 1 of 161 in the export\'s order"',
        expected="one document per flip-chart note id or transcript file name",
        secrets=("E99",),
    )


def test_maxqda_offset_beyond_the_text(tmp_path, documents):
    rows = rows_of(SYN / "coded_segments_maxqda_coder_a.csv")
    r = next(i for i, row in enumerate(rows) if row[2] == "Focus group 2")
    rows[r][column(rows, "End")] = "9999"
    path = write_rows(tmp_path / "maxqda.csv", rows)
    paragraphs = documents["Focus group 2"].count("\n") + 1
    check_line(
        raised(read_coded_export, path, documents=documents),
        path,
        where=(f"row {r + 1}", "column 'End'"),
        problem="offset outside its text: paragraph number beyond the end of its document",
        found=f"'paragraphs {rows[r][column(rows, 'Beginning')]}..9999'",
        expected=f"paragraph numbers 1..{paragraphs}",
    )


def test_qdpx_offset_beyond_the_text(tmp_path):
    path = qdpx_with(tmp_path, lambda b: b.replace(b'startPosition="0" endPosition="46"', b'startPosition="0" endPosition="4600"', 1))
    check_line(
        raised(read_coded_export, path, crlf="two"),
        path,
        where=("column 'endPosition'",),
        problem="offset outside its text: a selection lies beyond the end of source #1 (guid ",
        found="'startPosition 0, endPosition 4600'",
        expected="positions 0..46",
        secrets=("'E01'",),
    )


def test_maxqda_offset_that_is_not_a_number(tmp_path, documents):
    path = edited(SYN / "coded_segments_maxqda_coder_a.csv", tmp_path / "maxqda.csv", 7, "Beginning", "one")
    check_line(
        raised(read_coded_export, path, documents=documents),
        path,
        where=("row 7", "column 'Beginning'"),
        found="'one'",
        expected="a whole number",
    )


@pytest.mark.parametrize("damage", ["truncated", "not a zip", "bad CRC"])
def test_corrupt_qdpx(damage, tmp_path):
    data = (SYN / "coded_project.qdpx").read_bytes()
    path = tmp_path / "project.qdpx"
    if damage == "truncated":
        path.write_bytes(data[: len(data) // 3])
        found, problem = f"'{len(data) // 3} bytes: File is not a zip file'", "not a readable zip archive"
    elif damage == "not a zip":
        path.write_text("Document name,Code\n", encoding="utf-8")
        found, problem = "'19 bytes: File is not a zip file'", "not a readable zip archive"
    else:  # project.qde is stored uncompressed: change a byte of it, so its CRC no longer matches
        i = data.index(b"Crossing boundaries workshop")
        path.write_bytes(data[:i] + b"X" + data[i + 1 :])
        found, problem = "\"Bad CRC-32 for file 'project.qde'\"", "REFI-QDA project is corrupt: project.qde cannot be extracted"
    check_line(raised(read_coded_export, path), path, problem=problem, found=found, expected="a .qdpx exported by the QDA tool")


def test_qdpx_with_malformed_xml(tmp_path):
    path = qdpx_with(tmp_path, lambda b: b.replace(b"</CodeBook>", b"", 1))
    check_line(
        raised(read_coded_export, path),
        path,
        problem="project.qde is not well-formed XML (line ",
        found="'mismatched tag'",
        expected="the XML the QDA tool wrote",
    )


def test_qdpx_that_is_not_a_refi_qda_project(tmp_path):
    path = qdpx_with(tmp_path, lambda b: b'<?xml version="1.0"?>\n<Workbook/>\n')
    check_line(
        raised(read_coded_export, path), path, problem="not a REFI-QDA project", found="'root element <Workbook>'", expected="<Project"
    )


# ============================================================================= published figures
def figures_with(tmp_path: Path, row: int, header: str, value: str) -> Path:
    return edited(PUBLISHED, tmp_path / "figures.csv", row, header, value)


@pytest.mark.parametrize(
    ("header", "value", "problem", "expected"),
    [
        ("kind", "median", "has an unknown kind", "one of: 'pct', 'mean', 'alpha', 'count', 'label', 'n', 'range'"),
        ("location", "appendix", "has an unknown location", "one of: 'abstract', 'text'"),
        ("n", "-3", "has an n that is not a positive whole number", "a positive whole number, or blank"),
        ("n", "many", "has an n that is not a positive whole number", "a positive whole number, or blank"),
        ("printed", "", "has no printed value", "the value as printed"),
        ("same_as", "t9_nothing", "same_as names no other figure", "another figure id"),
        ("figure", "Table 2 mean", "figure id is not <loc>_<what> in snake_case", "e.g. t2_insularity_mean"),
    ],
)
def test_published_figures_bad_cell(header, value, problem, expected, tmp_path):
    rows = rows_of(PUBLISHED)
    referenced = {r[column(rows, "same_as")] for r in rows}
    i = next(i for i in range(6, len(rows)) if rows[i][0] not in referenced)  # renaming it leaves no same_as dangling
    fid = rows[i][0]
    path = figures_with(tmp_path, i + 1, header, value)
    line = check_line(
        raised(published.load_figures, path),
        path,
        where=(f"row {i + 1}", f"column {header!r}"),
        problem=problem,
        found=repr(value) if value else BLANK,
        expected=expected,
    )
    if header != "figure":
        assert f"figure {fid!r}" in line


def test_published_figures_duplicate_id(tmp_path):
    rows = rows_of(PUBLISHED)
    rows.append(list(rows[10]))
    path = write_rows(tmp_path / "figures.csv", rows)
    check_line(
        raised(published.load_figures, path),
        path,
        where=(f"row {len(rows)}", "column 'figure'"),
        problem="figure id appears twice",
        found=repr(rows[10][0]),
        expected="unique ids",
    )


def test_published_figures_first_error_is_reported_by_row(tmp_path):
    rows = rows_of(PUBLISHED)
    rows[40][column(rows, "kind")] = "median"
    rows[9][column(rows, "same_as")] = "t9_nothing"
    path = write_rows(tmp_path / "figures.csv", rows)
    assert "row 10, column 'same_as'" in raised(published.load_figures, path).line()


def test_published_figures_frame_missing_a_column():
    frame = published.load_figures(PUBLISHED).drop(columns=["kind"])
    exc = raised(published.validate_figures, frame, "figures.csv")
    check_line(
        exc,
        "figures.csv",
        where=("column 'kind'",),
        problem="column missing from the published figures",
        found='"columns [',
        expected="columns ['figure'",
    )


def test_published_figures_pass_and_are_stripped_strings():
    df = published.load_figures(PUBLISHED)
    assert list(df.columns) == published.FIGURE_COLUMNS and len(df) > 100
    assert all(df[c].map(lambda v: isinstance(v, str) and v == v.strip()).all() for c in df.columns)


RELATIONS = ROOT / CONFIG["inputs"]["published_relations"]


@pytest.mark.parametrize(
    ("mutate", "where", "found", "expected"),
    [
        (lambda r: r[0].update(kind="sum_of_things"), "key relations[0].kind", "'sum_of_things'", "one of: 'parts_sum'"),
        (lambda r: r.append(dict(r[1])), "key relations[{last}].id", None, "unique ids"),
        (lambda r: r[2].pop("statement"), "key relations[2].statement", None, "a value for 'statement'"),
    ],
    ids=["unknown kind", "id twice", "no statement"],
)
def test_published_relations_mistakes(mutate, where, found, expected, tmp_path):
    data = yaml.safe_load(RELATIONS.read_text(encoding="utf-8"))
    mutate(data["relations"])
    path = tmp_path / "relations.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    exc = raised(published.load_relations, path, published.load_figures(PUBLISHED))
    check_line(exc, path, where=(where.format(last=len(data["relations"]) - 1),), found=found, expected=expected)


def test_published_relation_naming_an_unknown_figure(tmp_path):
    data = yaml.safe_load(RELATIONS.read_text(encoding="utf-8"))
    i, rel = next((i, r) for i, r in enumerate(data["relations"]) if r["kind"] == "at_most")
    rel["left"] = "t9_nowhere"
    path = tmp_path / "relations.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    exc = raised(published.load_relations, path, published.load_figures(PUBLISHED))
    check_line(
        exc,
        path,
        where=(f"key relations[{i}]",),
        problem="names a figure that is not in the figures table",
        found="'t9_nowhere'",
        expected="the id of a figure",
    )


# ============================================================================= the error line itself
def test_blank_found_is_shown_as_blank_and_identifying_values_are_withheld():
    assert InputError("f.csv", "p", found="", expected="x").line() == "ERROR f.csv: p; found <blank>; expected x"
    assert InputError("f.csv", "p", found="  ", identifying=True, expected="x").line() == "ERROR f.csv: p; found <blank>; expected x"
    line = InputError("f.csv", "p", row=3, column="Email", found="a@b.example", identifying=True, expected="x").line()
    assert line == f"ERROR f.csv, row 3, column 'Email': p; found {WITHHELD}; expected x"


def test_read_csv_input_keeps_blank_headers_and_strips_cells(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text(" a , b ,\n 1 , x ,\n\n2,y,\n", encoding="utf-8")
    df = read_csv_input(path, what="table", required=["a", "b"])
    assert list(df.columns) == ["a", "b", "Unnamed: 2"]
    assert df.to_dict("records") == [{"a": "1", "b": "x", "Unnamed: 2": ""}, {"a": "2", "b": "y", "Unnamed: 2": ""}]
    assert list(df.attrs["rows"]) == [2, 4]  # the blank line is row 3, as a spreadsheet shows it
    copied = df.rename(columns={"a": "A"})  # pandas deep-copies attrs: the row numbers survive, uncopied
    assert list(copied.attrs["rows"]) == [2, 4] and copied.attrs["rows"] is df.attrs["rows"]


def test_read_csv_input_reads_a_10_mb_cell(tmp_path):
    """Python's csv module refuses a cell over 128 KB unless told otherwise (a long note or transcript
    pasted into one cell); read_csv_input reads through sniff.read_records, which allows any size."""
    big = "x" * (10 * 1024 * 1024)
    path = tmp_path / "notes.csv"
    path.write_text(f'Note ID,Sheet,Note\nN1,Expectations,"{big}"\nN2,Obstacles,short\n', encoding="utf-8")
    df = read_csv_input(path, what="flip-chart notes", required=["Note"])
    assert [len(v) for v in df["Note"]] == [len(big), 5] and list(df.attrs["rows"]) == [2, 3]
    assert csv.field_size_limit() == 131072  # the process-wide limit is restored


# ============================================================================= the pipeline
def last_error(proc) -> str:
    """The run failed, its last stderr line is its one ERROR line: return that line."""
    assert proc.returncode != 0, proc.stderr[-2000:]
    lines = proc.stderr.strip().splitlines()
    errors = [ln for ln in lines if ln.startswith("ERROR ")]
    assert len(errors) == 1, errors
    assert lines[-1] == errors[0], lines[-5:]
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    return errors[0]


def assert_nothing_half_written(work: Path) -> None:
    """No temporary file of an atomic write is left under results/, and every CSV and JSON there parses."""
    results = work / "results"
    assert not [p for p in results.rglob("*") if p.name.endswith(".tmp")]
    for p in results.rglob("*.csv"):
        pd.read_csv(p)
    for p in results.rglob("*.json"):
        json.loads(p.read_text(encoding="utf-8"))


def snapshot(work: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(work)): (p.stat().st_mtime_ns, p.stat().st_size) for p in (work / "results").rglob("*") if p.is_file()}


SURVEY_OUTPUTS = ["questionnaire.csv", "sample.json", "anonymisation_log.json", "k_anonymity.json", "raw_input_hashes_survey.json"]
FREETEXT_OUTPUTS = [
    "flipchart_notes.csv",
    "transcripts",
    "coded_segments.csv",
    "codebook.csv",
    "redaction_log.csv",
    "raw_input_hashes_freetext.json",
]


@pytest.fixture(scope="module")
def good_run(pipeline_run, tmp_path_factory):
    """A copy of the session's finished run (the pipeline has run successfully once)."""
    work = finished_copy(pipeline_run, tmp_path_factory.mktemp("validation") / "repo")
    assert (work / "results" / "report" / "report.html").is_file()
    return work


@pytest.mark.pipeline
def test_pipeline_stops_on_an_unknown_response_label(good_run):
    survey = good_run / CONFIG["inputs"]["survey"]
    original = survey.read_bytes()
    anonymised_dir = good_run / "results" / "anonymised"
    assert all((anonymised_dir / f).exists() for f in SURVEY_OUTPUTS + FREETEXT_OUTPUTS)
    try:
        edited(survey, survey, 4, "Q3.", "Agree strongly")
        line = last_error(run_pipeline(good_run))
        assert line.startswith(f'ERROR {CONFIG["inputs"]["survey"]}, row 4, column "Q3. Shared learning with professionals')
        assert "answer is not a response label of the instrument (found a 14-character text); expected one of: 'Strongly agree'" in line
        assert not [f for f in SURVEY_OUTPUTS if (anonymised_dir / f).exists()], "the failed rule left outputs"
        assert all((anonymised_dir / f).exists() for f in FREETEXT_OUTPUTS), "an unrelated rule lost its outputs"
        assert_nothing_half_written(good_run)
    finally:
        survey.write_bytes(original)


@pytest.mark.pipeline
def test_pipeline_stops_on_a_corrupt_qdpx_selected_in_config(good_run):
    config_path = good_run / "config.yaml"
    config_text = config_path.read_text(encoding="utf-8")
    corrupt = good_run / "data" / "synthetic" / "corrupt_project.qdpx"  # under data/synthetic/: the demo key still applies
    corrupt.write_bytes((good_run / "data" / "synthetic" / "coded_project.qdpx").read_bytes()[:3000])
    old = re.search(r"  coded_export:\n(    - .*\n)+", config_text).group(0)  # one export per coder
    try:
        config_path.write_text(config_text.replace(old, "  coded_export: data/synthetic/corrupt_project.qdpx\n"), encoding="utf-8")
        line = last_error(run_pipeline(good_run))
        assert line == (
            "ERROR data/synthetic/corrupt_project.qdpx: REFI-QDA project is not a readable zip archive (corrupt, or not a .qdpx); "
            "found '3000 bytes: File is not a zip file'; expected a .qdpx exported by the QDA tool"
        )
        anonymised_dir = good_run / "results" / "anonymised"
        assert not [f for f in FREETEXT_OUTPUTS if (anonymised_dir / f).exists()], "the failed rule left outputs"
        assert not (good_run / "restricted" / "redaction_key.csv").exists()
        assert_nothing_half_written(good_run)
    finally:
        config_path.write_text(config_text, encoding="utf-8")
        corrupt.unlink()


@pytest.mark.pipeline
def test_pipeline_stops_on_a_config_key_of_the_wrong_type(good_run):
    config_path = good_run / "config.yaml"
    config_text = config_path.read_text(encoding="utf-8")
    assert "\n  k: 5\n" in config_text
    before = snapshot(good_run)
    try:
        config_path.write_text(config_text.replace("\n  k: 5\n", '\n  k: "five"\n'), encoding="utf-8")
        line = last_error(run_pipeline(good_run))
        row = config_text.split("\n").index("  k: 5") + 1  # the line a person opens the file at
        assert line == (
            f"ERROR config.yaml, row {row}, key k_anonymity.k: config does not match its schema: 'five' is not of type 'integer'; "
            "found 'five'; expected a value of type integer"
        )
        assert snapshot(good_run) == before, "a run stopped by the config check must not touch results/"
        assert_nothing_half_written(good_run)
    finally:
        config_path.write_text(config_text, encoding="utf-8")
