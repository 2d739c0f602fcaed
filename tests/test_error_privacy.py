"""Error messages never carry raw values into files (issue 12).

* :mod:`errors`: the log-file line describes the value found (kind, length), never quotes it;
  the terminal line shows a raw value only redacted (or withheld), with its description and
  the nearest expected answer.
* ``stage.run_rule`` writes the one to the rule's log and the other to stderr.
* Runtime: hostile raw inputs (a canary name or e-mail in every kind of cell, document name,
  note id and file name) through the anonymisation rules' ``main``, in process: the canary is
  never in the log, and on the terminal only where it is not personal (a name on no list).
* Static: no problem text of an ``InputError`` raised by the modules the anonymisation rules
  import interpolates anything but the reviewed structural values listed here.
* End to end (3 Snakemake runs in one fresh copy): an e-mail in the County cell, a coded
  export naming a document "Interview <roster full name>", and note text in the Sheet cell.
"""

import ast
import csv
import io
import logging
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

import anonymise_freetext
import anonymise_survey
import errors
import module_deps
from _support import PYTHON, ROOT, fresh_copy, run_pipeline
from contracts import produced_by
from errors import BLANK, WITHHELD, WITHHELD_RAW, InputError, describe, nearest, one_of, set_value_redactor
from mock_snakemake import MockSnakemake
from redact import Person, Redactor
from stage import run_rule

SYN = ROOT / "data" / "synthetic"
CANARY = "Quentin Zarkovsky"  # a name on no list: the terminal may show it, no file may
CANARY_EMAIL = "quentin.zarkovsky@harbour.example"


@pytest.fixture(autouse=True)
def no_redactor():
    set_value_redactor(None)
    yield
    set_value_redactor(None)


# ------------------------------------------------------------------------------ describe
@pytest.mark.parametrize(
    ("value", "described"),
    [
        ("callum.thistlewood@kestrelbay-yot.example", "a 41-character value that looks like an e-mail address"),
        ("07700 900123", "a 12-character value that looks like a phone number"),
        ("+44 7700 900123", "a 15-character value that looks like a phone number"),
        ("943 476 5919", "a 12-character value that looks like an NHS number"),
        ("SO17 1BJ", "an 8-character value that looks like a postcode"),
        ("2013-06-03 12:52:32", "a 19-character date"),
        ("38", "a 2-character number"),
        ("Ashdown", "a 7-character name-like word"),
        ("Interview Andrew Ashdown", "a 24-character name-like text of 3 words"),
        ("O'Brien-Smith", "a 13-character name-like word"),
        ("Meet Niamh's opposite numbers in the police", "a 43-character text of 7 words"),
        ("Ring me on 07700 900123", "a 23-character text of 5 words and digits"),
        ("write to a.b@c.org today", "a 24-character text of 4 words with an e-mail address in it"),
        ("E01", "a 3-character code"),
        ("yes", "a 3-character word"),
        ("", "a blank"),
        ("   ", "a blank"),
        (42, "a number"),
        (3.5, "a number"),
        (["a.txt", "A.txt"], "2 values"),
        ({"k": 1}, "a mapping of 1 key"),
        ("x" * 11, "an 11-character word"),
        ("x" * 80, "an 80-character word"),
    ],
)
def test_describe_gives_kind_and_length_only(value, described):
    assert describe(value) == described


def test_nearest_expected_answer():
    choices = ["County H", "H", "County D", "D"]
    assert nearest("countyh", choices) == "County H"
    assert nearest("County  d", choices) == "County D"
    assert nearest("callum@x.example", choices) is None
    assert nearest(42, choices) is None and nearest("", choices) is None


def test_one_of_keeps_its_values_through_concatenation_and_copies():
    import copy
    import pickle

    e = one_of(["Agree", "Disagree"]) + ", or blank"
    assert e == "one of: 'Agree', 'Disagree', or blank" and e.values == ("Agree", "Disagree") and e.file_text is None
    r = one_of(["E01", "Focus group 1"], raw=True) + ", or blank"
    assert r.file_text == "one of 2 values read from the inputs, or blank"
    for c in (copy.deepcopy(r), pickle.loads(pickle.dumps(r))):
        assert (str(c), c.values, c.file_text) == (str(r), r.values, r.file_text)


# ------------------------------------------------------------------------------ the three lines
def county_error(file="data/raw/survey.csv", value="callum.t@kestrel.example", **kw):
    return InputError(
        file,
        "county: answer not mapped in config",
        row=6,
        column="County",
        found=value,
        expected=one_of(["County H", "H", "County D", "D"]) + ", or blank",
        **kw,
    )


RAW = (Path("data/raw").resolve(),)


def test_log_line_describes_and_never_quotes():
    exc = county_error()
    assert exc.log_line(RAW) == (
        "ERROR data/raw/survey.csv, row 6, column 'County': county: answer not mapped in config; "
        "found a 24-character value that looks like an e-mail address; expected one of: 'County H', 'H', 'County D', 'D', or blank"
    )
    assert "callum" not in exc.log_line() and "callum" in exc.line(), "line() is the in-memory version"
    # a non-raw file (config) is described in files too: files never quote a value
    assert "'mal'" not in InputError("config.yaml", "bad level", found="mal").log_line(RAW)
    assert InputError("config.yaml", "bad level", found="").log_line(RAW).endswith("found a blank")


def test_terminal_line_redacts_raw_values():
    exc = county_error(value="callum.t@kestrel.example")
    # no redactor installed: a raw value is withheld, described
    assert f"found {WITHHELD_RAW} (a 24-character value that looks like an e-mail address)" in exc.terminal_line(RAW)
    set_value_redactor(Redactor([]))  # patterns only
    line = exc.terminal_line(RAW)
    assert "found '[Email]' (a 24-character value that looks like an e-mail address); expected one of:" in line
    assert "callum" not in line
    # the nearest expected answer
    assert county_error(value="Countyh").terminal_line(RAW).endswith("or blank; did you mean 'County H'?")
    # identifying: withheld even redacted, and no hint
    ident = county_error(value="County Hx", identifying=True).terminal_line(RAW)
    assert f"found {WITHHELD} (a 9-character name-like text of 2 words)" in ident and "did you mean" not in ident
    # blank
    assert f"found {BLANK};" in county_error(value=" ").terminal_line(RAW)
    # a value from a file that is not raw is shown as it is
    assert "found 'mal' (a 3-character word)" in InputError("config.yaml", "bad level", found="mal").terminal_line(RAW)
    # an error naming no file is treated as raw
    set_value_redactor(None)
    assert WITHHELD_RAW in InputError(None, "bad", found="x").terminal_line(())


def test_roster_redactor_covers_names_in_the_value_and_in_the_rest_of_the_line():
    set_value_redactor(Redactor([Person("Andrew Ashdown", "[Participant 01]", "participant")]))
    exc = InputError("data/raw/transcripts/Interview Andrew Ashdown.txt", "text is not valid UTF-8", row=3, found="Andrew Ashdown's notes")
    term = exc.terminal_line(RAW)
    assert term.startswith("ERROR data/raw/transcripts/Interview [Participant 01].txt, row 3:"), "the redactor guards the whole line"
    assert "Ashdown" not in term and 'found "[Participant 01]\'s notes" (a 22-character text of 3 words)' in term
    assert exc.log_line(RAW).startswith("ERROR data/raw/transcripts/Interview [Participant 01].txt, row 3:")
    transcripts = (*RAW, Path("data/raw/transcripts").resolve())  # a configured folder: its files' names are raw
    log = exc.log_line(transcripts)
    assert log == "ERROR a file in data/raw/transcripts, row 3: text is not valid UTF-8; found a 22-character text of 3 words"


def test_files_inside_a_raw_folder_are_named_by_the_folder_in_logs():
    raw = errors.raw_input_paths({"inputs": {"transcripts": "data/synthetic/transcripts", "published": "data/published/x.csv"}})
    assert Path("data/synthetic/transcripts").resolve() in raw and Path("data/raw").resolve() in raw
    assert Path("data/published/x.csv").resolve() not in raw
    exc = InputError("data/synthetic/transcripts/focus_group_1.txt", "two transcripts have the same name", found=["a", "b"])
    assert exc.log_line(raw) == "ERROR a file in data/synthetic/transcripts: two transcripts have the same name; found 2 values"
    assert exc.terminal_line(raw).startswith("ERROR data/synthetic/transcripts/focus_group_1.txt:")


def test_raw_derived_expected_values_are_counted_in_files():
    exc = InputError("data/raw/coded.csv", "unknown document", found="Interview X", expected=one_of(["E01", "Interview Y"], raw=True))
    assert exc.log_line(RAW).endswith("expected one of 2 values read from the inputs")
    assert "'Interview Y'" in exc.terminal_line(RAW) or WITHHELD_RAW in exc.terminal_line(RAW)


# ------------------------------------------------------------------------------ run_rule
def test_run_rule_writes_the_described_line_to_the_log_and_the_redacted_one_to_stderr(tmp_path, capsys):
    out = tmp_path / "out.csv"
    log = tmp_path / "rule.log"

    def main(smk):
        Path(smk.output[0]).write_text("partial")
        set_value_redactor(Redactor([]))
        raise county_error(file="data/raw/survey.csv", value="ring 07700 900123")

    smk = MockSnakemake(output=[str(out)], log=[str(log)], config={"inputs": {"survey": "data/raw/survey.csv"}})
    with pytest.raises(SystemExit) as exit_info:
        run_rule(smk, main)
    logging.shutdown()
    assert exit_info.value.code == 1
    assert not out.exists(), "a failed job's outputs are removed"
    text = log.read_text()
    assert text == (
        "ERROR ripls: data/raw/survey.csv, row 6, column 'County': county: answer not mapped in config; "
        "found a 17-character text of 3 words and digits; expected one of: 'County H', 'H', 'County D', 'D', or blank\n"
    )
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("ERROR data/raw/survey.csv, row 6, column 'County'")
    assert "found 'ring [Phone]' (a 17-character text of 3 words and digits)" in err and "900123" not in err


# ------------------------------------------------------------------------------ hostile inputs, in process
def _rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))


def _write_rows(path: Path, rows: list[list[str]]) -> None:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")


MAXQDA = "coded_segments_maxqda_divided.csv"  # the synthetic coding as one shared MAXQDA project exports it


def _set_cell(path: Path, column: str, value: str, *, where=lambda row: True, nth: int = 0) -> None:
    rows = _rows(path)
    c = rows[0].index(column)
    hits = [i for i, row in enumerate(rows[1:], start=1) if where(dict(zip(rows[0], row, strict=True)))]
    rows[hits[nth]][c] = value
    _write_rows(path, rows)


def _roster_email(k: int) -> str:
    return _rows(SYN / "roster.csv")[k + 1][1]


def _survey_county_email(d):
    _set_cell(d / "survey_export.csv", "County", CANARY_EMAIL, nth=4)


def _rename_note(d):
    _set_cell(d / "flipchart_notes.csv", "Note ID", CANARY, where=lambda r: r["Note ID"] == "E05")
    _set_cell(d / "coded_segments_maxqda_divided.csv", "Document name", CANARY, where=lambda r: r["Document name"] == "E05")
    _set_cell(d / "coded_segments_maxqda_divided.csv", "End", "9999", where=lambda r: r["Document name"] == CANARY)


def _two_transcripts_alike(d):
    src = d / "transcripts" / "focus_group_1.txt"
    (d / "transcripts" / "Quentin_Zarkovsky.txt").write_bytes(src.read_bytes())
    (d / "transcripts" / "quentin zarkovsky.txt").write_bytes(src.read_bytes())


def _latin1_transcript(d):
    (d / "transcripts" / "Interview Quentin Zarkovsky.txt").write_bytes("Chlo\xe9: fine\n".encode("latin-1"))


def _duplicate_roster_email(d):
    _set_cell(d / "roster.csv", "Email", _roster_email(1), nth=2)


#: (id, rule, mutation, the raw value, may the terminal show it?)
HOSTILE = [
    ("county-email", "survey", _survey_county_email, CANARY_EMAIL, False),
    ("county-roster-name", "survey", lambda d: _set_cell(d / "survey_export.csv", "County", "Andrew Ashdown", nth=3), "Ashdown", False),
    ("age-name", "survey", lambda d: _set_cell(d / "survey_export.csv", "Age (years)", CANARY, nth=2), CANARY, True),
    ("gender-name", "survey", lambda d: _set_cell(d / "survey_export.csv", "Gender", CANARY, nth=7), CANARY, True),
    ("managerial-name", "survey", lambda d: _set_cell(d / "survey_export.csv", "Do you hold a managerial role?", CANARY), CANARY, True),
    ("sector-name", "survey", lambda d: _set_cell(d / "survey_export.csv", "Sector of your employer", CANARY, nth=9), CANARY, True),
    ("item-name", "survey", lambda d: _set_cell(d / "survey_export.csv", _rows(SYN / "survey_export.csv")[0][14], CANARY), CANARY, True),
    ("organisation-name", "survey", lambda d: _set_cell(d / "survey_export.csv", "Organisation", CANARY, nth=5), CANARY, False),
    ("respondent-email", "survey", lambda d: _set_cell(d / "survey_export.csv", "Email address", CANARY_EMAIL, nth=6), CANARY_EMAIL, False),
    ("roster-duplicate-email", "survey", _duplicate_roster_email, _roster_email(1), False),
    ("sheet-name", "freetext", lambda d: _set_cell(d / "flipchart_notes.csv", "Sheet", f"Ask {CANARY}", nth=11), CANARY, True),
    ("note-id-twice", "freetext", lambda d: [_set_cell(d / "flipchart_notes.csv", "Note ID", CANARY, nth=k) for k in (1, 2)], CANARY, True),
    ("note-id-beyond-end", "freetext", _rename_note, CANARY, True),
    (
        "document-name",
        "freetext",
        lambda d: _set_cell(d / "coded_segments_maxqda_divided.csv", "Document name", f"Interview {CANARY}", nth=200),
        CANARY,
        True,
    ),
    ("segment-text", "freetext", lambda d: _set_cell(d / MAXQDA, "Segment", f"{CANARY} said", nth=40), CANARY, False),
    ("beginning-name", "freetext", lambda d: _set_cell(d / MAXQDA, "Beginning", CANARY, nth=3), CANARY, True),
    ("transcripts-alike", "freetext", _two_transcripts_alike, "zarkovsky", True),
    ("transcript-latin1", "freetext", _latin1_transcript, "zarkovsky", True),
]


@pytest.fixture(scope="module")
def config():
    return yaml.safe_load((ROOT / "config.yaml").read_text())


def _smk(rule: str, raw: Path, out: Path, config: dict) -> MockSnakemake:
    config = {**config, "inputs": {**config["inputs"]}}
    inputs = {
        "survey": raw / "survey_export.csv",
        "roster": raw / "roster.csv",
        "facilitators": raw / "facilitators.csv",
        "flipchart": raw / "flipchart_notes.csv",
        "transcripts": raw / "transcripts",
        "coded_export": raw / "coded_segments_maxqda_divided.csv",
    }
    config["inputs"].update({k: str(v) for k, v in inputs.items()})
    name = f"anonymise_{rule}"
    outputs = {r.key: str(out / r.path) for r in produced_by(name)}
    if rule == "survey":
        inputs = {"survey": inputs["survey"], "roster": inputs["roster"], "instrument": ROOT / config["instrument"]}
        params = {}
    else:
        inputs.pop("survey")
        outputs["restricted_key"] = [str(out / "restricted" / "key.csv"), str(out / "restricted" / "documents.csv")]
        params = {"keep_key": True, "coders": [None]}
    return MockSnakemake(
        input={k: str(v) for k, v in inputs.items()}, output=outputs, params=params, log=[str(out / "rule.log")], config=config
    )


@pytest.mark.parametrize(("case", "rule", "mutate", "value", "terminal_may_show"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_raw_values_never_reach_the_log(case, rule, mutate, value, terminal_may_show, config, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(config["pseudonymisation"]["key_env"], "a-test-key-for-error-privacy-only")
    raw = tmp_path / "raw"
    shutil.copytree(SYN, raw)
    mutate(raw)
    smk = _smk(rule, raw, tmp_path / "out", config)
    main = anonymise_survey.main if rule == "survey" else anonymise_freetext.main
    with pytest.raises(SystemExit):
        run_rule(smk, main)
    logging.shutdown()
    log = (tmp_path / "out" / "rule.log").read_text(encoding="utf-8")
    err = capsys.readouterr().err
    errors_in_log = [line for line in log.splitlines() if line.startswith("ERROR ")]
    assert len(errors_in_log) == 1, log
    assert [line for line in err.splitlines() if line.startswith("ERROR ")] == [err.strip()]
    assert value.casefold() not in log.casefold(), (case, log)
    if not terminal_may_show:
        assert value.casefold() not in err.casefold(), (case, err)
    assert "found " in errors_in_log[0] and "found " in err, "the value is described, not left out"
    assert not any(p.is_file() for p in (tmp_path / "out").rglob("*") if p.name != "rule.log"), "no output is left"


@pytest.mark.parametrize("rule", ["survey", "freetext"])
def test_before_the_roster_is_read_values_are_redacted_by_pattern(rule, config, tmp_path, monkeypatch, capsys):
    """Each anonymisation rule installs a pattern redactor first: a roster error shows its
    (non-identifying) value on the terminal rather than withholding it."""
    monkeypatch.setenv(config["pseudonymisation"]["key_env"], "a-test-key-for-error-privacy-only")
    raw = tmp_path / "raw"
    shutil.copytree(SYN, raw)
    roster = raw / "roster.csv"
    roster.write_bytes(b"\xff\xfe" + roster.read_text(encoding="utf-8").encode("utf-16-le"))
    main = anonymise_survey.main if rule == "survey" else anonymise_freetext.main
    with pytest.raises(SystemExit):
        run_rule(_smk(rule, raw, tmp_path / "out", config), main)
    logging.shutdown()
    err = capsys.readouterr().err
    assert "roster is UTF-16 text; found 'byte-order mark 0xFFFE' (a 22-character text of 3 words and digits)" in err, err
    assert "found a 22-character text of 3 words and digits" in (tmp_path / "out" / "rule.log").read_text()


# ------------------------------------------------------------------------------ static
#: Every expression interpolated into the problem text of an InputError raised by a module the
#: anonymisation rules import (or the survey-format registry they will import), reviewed: item
#: numbers, row numbers, config keys and ids, instrument values, descriptions written by code,
#: GUIDs and ordinals. A new one fails here until someone checks it carries no raw value (a raw
#: value travels as ``found``).
REVIEWED = {
    "anonymise_freetext": {"<problem>", "<exc.problem>", "len(export.coders)", "row", "pdf", "PDF_HINT"},
    "anonymise_survey": {"missing[0]", "link", "earlier", "n", "gid", "<problem>", "<str(exc)>", "rows[earlier]"},
    # coder labels are neutral (Coder A ...), documents neutral ids (note 001, Focus group 2)
    "consensus": {"', '.join(map(shown, orphans.iloc[0]))", "len(orphans)", "len(several)", "orphans.index[0]"},
    # encoding names and counts; the workbook's sheet as configured (survey.sheet)
    "sniff": {"'more' if n > width else 'fewer'", "encoding", "guess", "name", "what"}
    | {'<"text holds NUL characters: it is not a text file, or not in the encoding " + ("detected" if encoding == "auto" else "named")>'},
    "workbook": {"sheet", "wanted", "what"},
    "groupings": {"grouping"},
    "instrument": {"lookup[key]", "n", "aliases[key]", "label"},
    "qda": {"column", "what", "name", "expected", "how.noun", "where", "role", "WHAT", "attr", "line", "col"}
    | {"MAX_CODE_DEPTH", "sguid", "place", "sel.guid", "codes"},
    "rawinput": {"what", "'more' if len(rec) > width else 'fewer'"},
    "schemas": {"<problem>", "what", "problem"},
    "survey_formats": {"_REFUSED[kind.kind]", "name", "source.kind.description", "header_row", "what", "'more' if n > width else 'fewer'"}
    | {"kind.description", "n", "first_code", "first_label", "by_column[key]", "cause", "codes_key", "code", "declared[number]", "own"}
    | {"_describe(text)", "h", "named", "named + unnamed", "problem", "table.rows[earlier]"},
}


def _problem_interpolations(module: str) -> set[str]:
    found = set()
    for f in module_deps._files(module, module_deps.SCRIPTS):
        src = f.read_text(encoding="utf-8")
        for node in ast.walk(ast.parse(src)):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) == "InputError"):
                continue
            problem = node.args[1] if len(node.args) > 1 else next((k.value for k in node.keywords if k.arg == "problem"), None)
            if isinstance(problem, ast.JoinedStr):
                found |= {ast.get_source_segment(src, v.value) for v in problem.values if isinstance(v, ast.FormattedValue)}
            elif problem is not None and not isinstance(problem, ast.Constant):
                found.add(f"<{ast.get_source_segment(src, problem)}>")
    return found


def test_problem_texts_interpolate_only_reviewed_values():
    modules = set(module_deps.closure("anonymise_survey")) | set(module_deps.closure("anonymise_freetext"))
    modules |= {"anonymise_survey", "anonymise_freetext"} | ({"survey_formats"} & module_deps.local_modules())
    unreviewed = {m: sorted(_problem_interpolations(m) - REVIEWED.get(m, set())) for m in sorted(modules)}
    assert {m: v for m, v in unreviewed.items() if v} == {}
    assert "doc" not in _problem_interpolations("qda"), "document names travel as found, not in the problem"


#: What a ``Stated`` found may interpolate (it is quoted as it is, log files included):
#: counts, positions, byte values, encodings and library exception types, never a cell.
STATED_REVIEWED = {
    "agreement": {"df.at[i, 'start']", "df.at[i, 'end']", "int(lengths.iat[i])"},
    "_container": {"size", "exc if isinstance(exc, zipfile.BadZipFile) else type(exc).__name__", "n", "limit"}
    | {"info.file_size", "info.compress_size", "info.file_size // max(info.compress_size, 1)"},
    "dedoose": {"len(table.headers)"},
    "_table": {"len(candidates)"},  # how many columns (or pairs) qualify for a role by content
    "refi_qda": {"data[exc.start]", "start", "end", "sel.start", "sel.end", "len(members)"},
    "sniff": {"data[bad]", "data[exc.start]", "data[len(bom) + exc.start : len(bom) + exc.end].hex().upper()", "n", "used"},
    "grid": {"first", "header_row + header_rows - 1"},
    "mapping": {"len(found)", "len(text)", "len(wanted)", "len(wording)"},
    "plain": {"unnamed"},
    "qualtrics": {"len(frame)"},
    "spss": {"type(exc).__name__"},
    "workbook": {"len(names)", "type(exc).__name__"},
}


def test_stated_found_values_interpolate_only_reviewed_values():
    seen: dict[str, set[str]] = {}
    for f in sorted(module_deps.SCRIPTS.rglob("*.py")):
        src = f.read_text(encoding="utf-8")
        for node in ast.walk(ast.parse(src)):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Stated":
                for sub in ast.walk(node.args[0]):
                    if isinstance(sub, ast.FormattedValue):
                        seen.setdefault(f.stem, set()).add(ast.get_source_segment(src, sub.value))
    assert {m: sorted(v - STATED_REVIEWED.get(m, set())) for m, v in seen.items() if v - STATED_REVIEWED.get(m, set())} == {}
    assert seen, "the check found the Stated values"


def test_a_stated_found_is_quoted_in_every_line():
    exc = InputError("data/raw/project.qdpx", "not a zip", found=errors.Stated("3000 bytes: File is not a zip file"), expected="a .qdpx")
    quoted = "found '3000 bytes: File is not a zip file'; expected a .qdpx"
    assert quoted in exc.line() and quoted in exc.log_line(RAW) and quoted in exc.terminal_line(RAW)


def test_schema_checks_of_raw_tables_format_no_cell_into_the_problem():
    """schemas.validate_frame formats a failing row's cells into a Check's ``error`` when it
    has {placeholders}: no check on a raw table may have one."""
    for module in ("roster", "anonymise_freetext"):
        src = (module_deps.SCRIPTS / f"{module}.py").read_text(encoding="utf-8")
        for node in ast.walk(ast.parse(src)):
            if isinstance(node, ast.keyword) and node.arg == "error":
                parts = [node.value] if isinstance(node.value, ast.Constant) else getattr(node.value, "values", [])
                assert not any(isinstance(p, ast.Constant) and "{" in str(p.value) for p in parts), (module, ast.unparse(node))


# ------------------------------------------------------------------------------ end to end
E2E_RAW = {
    "survey": "data/synthetic/survey_export.csv",
    "coded": "data/synthetic/coded_segments_maxqda_coder_a.csv",  # one of the two coders' exports the default config reads
    "notes": "data/synthetic/flipchart_notes.csv",
}


def _scan(work: Path, needles: list[str]) -> list[tuple[str, str]]:
    """(file, needle) for every needle found, case-folded, in any file under results/ or .snakemake/."""
    hits = []
    for top in ("results", ".snakemake"):
        for p in sorted((work / top).rglob("*")):
            if p.is_file():
                text = p.read_bytes().decode("utf-8", errors="replace").casefold()
                hits += [(str(p.relative_to(work)), n) for n in needles if n.casefold() in text]
    return hits


@pytest.fixture(scope="module")
def hostile_copy(tmp_path_factory):
    work = fresh_copy(tmp_path_factory.mktemp("hostile") / "repo")
    pristine = {k: (work / p).read_bytes() for k, p in E2E_RAW.items()}
    yield work, pristine


def _restore(work: Path, pristine: dict[str, bytes]) -> None:
    for k, p in E2E_RAW.items():
        (work / p).write_bytes(pristine[k])


def _error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("ERROR ") and not line.startswith("ERROR ripls: ")]


@pytest.mark.pipeline
def test_e2e_email_in_the_county_cell(hostile_copy):
    work, pristine = hostile_copy
    _restore(work, pristine)
    rows = _rows(work / E2E_RAW["survey"])
    email = rows[5][rows[0].index("Email address")]  # a respondent's own e-mail, typed in the wrong cell
    _set_cell(work / E2E_RAW["survey"], "County", email, nth=4)
    proc = run_pipeline(work)
    assert proc.returncode != 0
    (line,) = _error_lines(proc.stderr)
    assert line.startswith(f"ERROR {E2E_RAW['survey']}, row 6, column 'County': county: answer not mapped in config")
    assert f"found '[Email]' (a {len(email)}-character value that looks like an e-mail address)" in line
    assert email not in proc.stderr and email.split("@")[0] not in proc.stderr
    log = (work / "results" / "logs" / "anonymise_survey.log").read_text()
    assert f"found a {len(email)}-character value that looks like an e-mail address" in log
    assert _scan(work, [email]) == []


@pytest.mark.pipeline
def test_e2e_document_named_after_a_participant(hostile_copy):
    work, pristine = hostile_copy
    _restore(work, pristine)
    name = _rows(work / "data" / "synthetic" / "roster.csv")[1][0]
    rows = _rows(work / E2E_RAW["coded"])
    row = next(i for i, r in enumerate(rows) if r[rows[0].index("Document name")] == "Focus group 2") + 1
    _set_cell(work / E2E_RAW["coded"], "Document name", f"Interview {name}", where=lambda r: r["Document name"] == "Focus group 2")
    proc = run_pipeline(work)
    assert proc.returncode != 0
    (line,) = _error_lines(proc.stderr)
    assert line.startswith(f"ERROR {E2E_RAW['coded']}, row {row}, column 'Document name': segment refers to an unknown document")
    # a document name is a file name or note id, which may name someone on no list: withheld, described
    assert f"found <withheld: identifying> (a {len(name) + 10}-character name-like text of 3 words)" in line, line
    assert name.split()[-1] not in proc.stderr
    n_documents = len(_rows(work / E2E_RAW["notes"])) - 1 + len(list((work / "data" / "synthetic" / "transcripts").glob("*.txt")))
    log = (work / "results" / "logs" / "anonymise_freetext.log").read_text()
    assert (
        f"found a {len(name) + 10}-character name-like text of 3 words; expected the name of one of the {n_documents} documents given"
    ) in log
    assert _scan(work, [f"Interview {name}", name]) == []


@pytest.mark.pipeline
def test_e2e_note_text_in_the_sheet_cell_with_snakemake_copying_failed_logs(hostile_copy):
    """Run with Snakemake itself (the conda route) and --show-failed-logs, which copies a failed
    rule's log into Snakemake's own log under .snakemake/log/ (checked: it does, and the job's
    stderr it does not): the copy holds the description, never the value."""
    work, pristine = hostile_copy
    _restore(work, pristine)
    rows = _rows(work / E2E_RAW["notes"])
    note = next(r for r in rows if "Niamh" in r[2] and "\n" not in r[2])
    row = rows.index(note) + 1
    _set_cell(work / E2E_RAW["notes"], "Sheet", note[2], where=lambda r: r["Note ID"] == note[0])
    env = {k: v for k, v in os.environ.items() if k != "RIPLS_PSEUDONYM_KEY"}
    env.update({"SOURCE_DATE_EPOCH": "1700000000", "PYTHONHASHSEED": "0", "MPLBACKEND": "Agg"})
    exe = Path(PYTHON).with_name("snakemake")
    proc = subprocess.run(
        [str(exe), "--cores", "2", "--show-failed-logs"], cwd=work, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    assert proc.returncode != 0
    output = proc.stdout + proc.stderr
    (line,) = _error_lines(output)
    assert line.startswith(f"ERROR {E2E_RAW['notes']}, row {row}, column 'Sheet': unknown flip-chart sheet")
    redacted = re.sub(r"\bNiamh\b", "[Participant NN]", note[2])
    shown = re.search(r"found \"(.*)\" \(a (\d+)-character text of (\d+) words\)", line)
    assert shown and re.sub(r"\[Participant \d+\]", "[Participant NN]", shown.group(1)) == redacted, line
    assert "Niamh" not in output
    described = f"found a {len(note[2])}-character text of {len(note[2].split())} words"
    snakemake_logs = "".join(p.read_text() for p in (work / ".snakemake" / "log").glob("*.snakemake.log"))
    assert described in snakemake_logs, "Snakemake copied the rule's log into its own"
    assert _scan(work, [note[2], "Niamh"]) == []
