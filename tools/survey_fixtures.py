"""Write the synthetic survey export (``data/synthetic/survey_export.csv``) in every layout the readers accept.

Each fixture holds the same 44 respondents and 24 item answers as the original CSV, laid
out as the named tool writes its export (layouts: ``/work/shared/REFERENCE.md`` "Export
formats researchers hold", the tools' help pages, and real files where found: Qualtrics
from ropensci/qualtRics' test files, REDCap from OuhscBbmc/REDCapR's test projects, SPSS
from pyreadstat's test data). The tests read every fixture back and compare it with the
original, so this module deliberately uses none of the readers' code: only the csv module,
openpyxl and pyreadstat's writers.

``write_fixtures(dest)`` returns, per fixture, how to read it and where its columns are
(:class:`Fixture`). Run as a script to write them into a folder::

    python tools/survey_fixtures.py OUTDIR [--xls]

``--xls`` also converts the .xlsx to a legacy .xls with LibreOffice (``soffice``), which is
how ``tests/fixtures/survey/survey_export.xls`` was made (no .xls writer is installed).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import json
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ORIGINAL = ROOT / "data" / "synthetic" / "survey_export.csv"

#: Response labels in display order: "numeric values" exports number them from 1 this way.
LABELS = ("Strongly agree", "Agree", "Neither agree nor disagree", "Disagree", "Strongly disagree")
DISPLAY_CODES = {i + 1: label for i, label in enumerate(LABELS)}  # 1 = Strongly agree
#: The REDCap designer's own codes: the reverse of the display order.
REDCAP_CODES = {5 - i: label for i, label in enumerate(LABELS)}  # 5 = Strongly agree
MATRIX = "Please indicate how much you agree with each statement."
#: Demographic roles the tests compare, and their header in the original export.
ROLES = {
    "organisation": "Organisation",
    "age": "Age (years)",
    "gender": "Gender",
    "county": "County",
    "managerial": "Do you hold a managerial role?",
    "sector": "Sector of your employer",
}


@dataclass
class Fixture:
    """One written fixture: read it with ``read_survey_export(path, **options)``, expect ``format``,
    find the items by pattern (``items`` None) or by ``items``, map numbers with ``codes``; the
    demographic roles are in the columns keyed ``roles``."""

    path: Path
    format: str
    options: dict = field(default_factory=dict)
    items: dict[int, str] | None = None
    codes: dict[int, str] | None = None
    roles: dict[str, str] = field(default_factory=dict)


@dataclass
class Study:
    """The original export: headers, rows as dicts, the item headers and their numbers and wording."""

    headers: list[str]
    rows: list[dict[str, str]]

    @property
    def item_headers(self) -> list[str]:
        return [h for h in self.headers if re.match(r"^Q\d+\. ", h)]

    def number(self, header: str) -> int:
        return int(re.match(r"^Q(\d+)\. ", header).group(1))

    def wording(self, header: str) -> str:
        return re.sub(r"^Q\d+\. ", "", header)


def load_study(path: Path = ORIGINAL) -> Study:
    with open(path, encoding="utf-8", newline="") as fh:
        records = list(csv.reader(fh))
    headers = records[0]
    return Study(headers=headers, rows=[dict(zip(headers, r, strict=True)) for r in records[1:]])


def _csv_text(records: list[list[str]], delimiter: str = ",", newline: str = "\r\n") -> str:
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator=newline).writerows(records)
    return buf.getvalue()


def _plain_records(study: Study) -> list[list[str]]:
    return [study.headers, *[[r[h] for h in study.headers] for r in study.rows]]


def _timestamp(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, "%Y-%m-%d %H:%M:%S")


# --------------------------------------------------------------------------- text and Excel
def write_text_variants(study: Study, dest: Path) -> list[Fixture]:
    """CSV in Windows-1252 with ';' (European Excel), UTF-16 LE tab-separated with BOM (Excel
    "Unicode text"), UTF-8 with BOM (Excel "CSV UTF-8")."""
    records = _plain_records(study)
    roles = dict(ROLES)
    out = []
    p = dest / "survey_cp1252_semicolon.csv"
    p.write_bytes(_csv_text(records, ";").encode("cp1252"))
    out.append(Fixture(p, "csv", roles=roles))
    p = dest / "survey_unicode_text.txt"
    p.write_bytes(codecs.BOM_UTF16_LE + _csv_text(records, "\t").encode("utf-16-le"))
    out.append(Fixture(p, "csv", roles=roles))
    p = dest / "survey_utf8_bom.csv"
    p.write_bytes(codecs.BOM_UTF8 + _csv_text(records).encode("utf-8"))
    out.append(Fixture(p, "csv", roles=roles))
    return out


def _typed(header: str, value: str):
    """A cell as a person keying the data into Excel would type it: ages as numbers, the timestamp as a date."""
    if value == "":
        return None
    if header == "Age (years)":
        return int(value)
    if header == "Timestamp":
        return _timestamp(value)
    return value


def write_excel_variants(study: Study, dest: Path) -> list[Fixture]:
    """An .xlsx with the header on row 1 of its only sheet, and one whose data sit on a second
    sheet under two title rows (header on row 3)."""
    from openpyxl import Workbook

    roles = dict(ROLES)
    wb = Workbook()
    ws = wb.active
    ws.title = "Responses"
    ws.append(study.headers)
    for r in study.rows:
        ws.append([_typed(h, r[h]) for h in study.headers])
    plain = dest / "survey.xlsx"
    wb.save(plain)

    wb = Workbook()
    about = wb.active
    about.title = "About"
    about.append(["RIPLS survey, keyed from paper forms"])
    data = wb.create_sheet("Data")
    data.append(["RIPLS survey export"])
    data.append([])
    data.append(study.headers)
    for r in study.rows:
        data.append([_typed(h, r[h]) for h in study.headers])
    offset = dest / "survey_sheet2_row3.xlsx"
    wb.save(offset)
    return [Fixture(plain, "excel", roles=roles), Fixture(offset, "excel", options={"sheet": "Data", "header_row": 3}, roles=roles)]


def convert_to_xls(xlsx: Path, dest: Path) -> Path:
    """The workbook saved as legacy .xls by LibreOffice (headless), as Excel 97-2003."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        raise SystemExit("LibreOffice (soffice) is needed to write .xls: apt-get install libreoffice-calc-nogui")
    subprocess.run(
        [soffice, "--headless", "--convert-to", "xls:MS Excel 97", "--outdir", str(dest), str(xlsx)], check=True, capture_output=True
    )
    return dest / (xlsx.stem + ".xls")


# --------------------------------------------------------------------------- SPSS and Stata
_SAV_NAMES = {
    "Timestamp": "timestamp",
    "Full name": "name",
    "Email address": "email",
    "Organisation": "organisation",
    "Job title": "job_title",
    "Age (years)": "age",
    "Gender": "gender",
    "County": "county",
    "Do you hold a managerial role?": "managerial",
    "Sector of your employer": "sector",
    "Any other comments?": "comment",
}
SAV_LABELS = {**DISPLAY_CODES, 9: "No answer"}  # deliberately 1 = Strongly agree
GENDER_CODES = {1: "Female", 2: "Male"}


def _sav_name(study: Study, header: str) -> str:
    return f"q{study.number(header)}" if header in study.item_headers else _SAV_NAMES[header]


def _labelled_frame(study: Study, *, skipped):
    """The data as SPSS/Stata hold it: items and gender as numeric codes with value labels."""
    import numpy as np
    import pandas as pd

    code_of = {label: code for code, label in DISPLAY_CODES.items()}
    gender_of = {label: code for code, label in GENDER_CODES.items()}
    cols: dict[str, list] = {}
    for h in study.headers:
        name = _sav_name(study, h)
        values = [r[h] for r in study.rows]
        if h in study.item_headers:
            cols[name] = [float(code_of[v]) if v else skipped for v in values]
        elif h == "Gender":
            cols[name] = [float(gender_of[v]) if v else np.nan for v in values]
        elif h == "Age (years)":
            cols[name] = [float(v) if v else np.nan for v in values]
        elif h == "Timestamp":
            cols[name] = pd.to_datetime(values)
        else:
            cols[name] = values
    return pd.DataFrame(cols)


def write_spss_stata(study: Study, dest: Path) -> list[Fixture]:
    """.sav and .zsav with value labels 1 = Strongly agree … 5 = Strongly disagree (the
    reverse of the instrument's old ``code`` fields) and 9 = "No answer" declared user-missing
    (skipped items hold 9); .dta with the same labels (Stata: variable labels cut at 80
    characters, skipped items system-missing)."""
    import numpy as np
    import pyreadstat

    items = [_sav_name(study, h) for h in study.item_headers]
    labels = {_sav_name(study, h): h for h in study.headers}
    vvl = {**{q: dict(SAV_LABELS) for q in items}, "gender": dict(GENDER_CODES)}
    roles = {role: _SAV_NAMES[h] for role, h in ROLES.items()}
    df = _labelled_frame(study, skipped=9.0)
    out = []
    for name, compress in (("survey.sav", False), ("survey.zsav", True)):
        p = dest / name
        pyreadstat.write_sav(
            df, p, column_labels=labels, variable_value_labels=vvl, missing_ranges={q: [9] for q in items}, compress=compress
        )
        out.append(Fixture(p, "spss", roles=roles))
    p = dest / "survey.dta"
    stata_vvl = {k: {c: lab for c, lab in v.items() if c != 9} for k, v in vvl.items()}
    dta = _labelled_frame(study, skipped=np.nan)
    pyreadstat.write_dta(dta, p, column_labels={k: v[:80] for k, v in labels.items()}, variable_value_labels=stata_vvl)
    out.append(Fixture(p, "stata", roles=roles))
    return out


# --------------------------------------------------------------------------- Qualtrics
_QUALTRICS_META = [
    ("StartDate", "Start Date", "startDate"),
    ("EndDate", "End Date", "endDate"),
    ("Status", "Response Type", "status"),
    ("IPAddress", "IP Address", "ipAddress"),
    ("Progress", "Progress", "progress"),
    ("Duration (in seconds)", "Duration (in seconds)", "duration"),
    ("Finished", "Finished", "finished"),
    ("RecordedDate", "Recorded Date", "recordedDate"),
    ("ResponseId", "Response ID", "_recordId"),
    ("RecipientLastName", "Recipient Last Name", "recipientLastName"),
    ("RecipientFirstName", "Recipient First Name", "recipientFirstName"),
    ("RecipientEmail", "Recipient Email", "recipientEmail"),
    ("ExternalReference", "External Data Reference", "externalDataReference"),
    ("LocationLatitude", "Location Latitude", "locationLatitude"),
    ("LocationLongitude", "Location Longitude", "locationLongitude"),
    ("DistributionChannel", "Distribution Channel", "distributionChannel"),
    ("UserLanguage", "User Language", "userLanguage"),
]
#: Question numbers of the non-item questions; the items are matrix Q5 (Q5_1 … Q5_24).
_QUALTRICS_Q = {
    "Full name": 1,
    "Email address": 2,
    "Organisation": 3,
    "Job title": 4,
    "Age (years)": 6,
    "Gender": 7,
    "County": 8,
    "Do you hold a managerial role?": 9,
    "Sector of your employer": 10,
    "Any other comments?": 11,
}


def _qualtrics_questions(study: Study) -> list[tuple[str, str, str, str]]:
    """(variable name, question text, ImportId, original header) per question column, in survey order."""
    out = []
    for h in study.headers:
        if h == "Timestamp":
            continue
        if h in study.item_headers:
            k = study.item_headers.index(h) + 1
            out.append((f"Q5_{k}", f"{MATRIX} - {study.wording(h)}", f"QID5_{k}", h))
        else:
            q = _QUALTRICS_Q[h]
            out.append((f"Q{q}", h, f"QID{q}_TEXT", h))
    out.sort(key=lambda c: tuple(int(x or 0) for x in re.match(r"Q(\d+)(?:_(\d+))?", c[0]).groups()))
    return out


def _qualtrics_items(study: Study) -> dict[int, str]:
    return {study.number(h): f"Q5_{k + 1}" for k, h in enumerate(study.item_headers)}


def _preview_rows(study: Study) -> list[dict[str, str]]:
    """Two responses a researcher made while testing the survey: Qualtrics marks them as preview."""
    first = dict(study.rows[0])
    return [
        {**first, "Full name": "Preview Person", "Email address": "", **{h: "Agree" for h in study.item_headers}},
        {**first, "Full name": "Preview Person", "Email address": "", **{h: "Disagree" for h in study.item_headers}},
    ]


def write_qualtrics(study: Study, dest: Path) -> list[Fixture]:
    """Three-row CSVs (choice text; numeric values numbered by display order, 1 = Strongly agree)
    with two preview responses on top, and a legacy two-row CSV."""
    questions = _qualtrics_questions(study)
    items = _qualtrics_items(study)
    code_of = {label: str(code) for code, label in DISPLAY_CODES.items()}
    roles = {role: f"Q{_QUALTRICS_Q[h]}" for role, h in ROLES.items()}
    out = []
    for numeric in (False, True):
        records = [
            [m[0] for m in _QUALTRICS_META] + [q[0] for q in questions],
            [m[1] for m in _QUALTRICS_META] + [q[1] for q in questions],
            [json.dumps({"ImportId": m[2]}, separators=(",", ":")) for m in _QUALTRICS_META]
            + [json.dumps({"ImportId": q[2]}, separators=(",", ":")) for q in questions],
        ]
        people = [(r, True) for r in _preview_rows(study)] + [(r, False) for r in study.rows]
        for i, (r, preview) in enumerate(people):
            when = r["Timestamp"]
            status = ("1" if preview else "0") if numeric else ("Survey Preview" if preview else "IP Address")
            meta = [when, when, status, f"192.0.2.{i % 250 + 1}", "100", "300", "1" if numeric else "True", when]
            meta += [f"R_fixture{i:04d}", "", "", "", "", "", "", "preview" if preview else "anonymous", "EN"]
            answers = []
            for _, _, _, h in questions:
                v = r[h]
                answers.append(code_of[v] if numeric and h in study.item_headers and v else v)
            records.append(meta + answers)
        p = dest / ("qualtrics_numeric.csv" if numeric else "qualtrics_choice_text.csv")
        p.write_bytes(codecs.BOM_UTF8 + _csv_text(records).encode("utf-8"))
        out.append(Fixture(p, "qualtrics", items=items, codes=dict(DISPLAY_CODES) if numeric else None, roles=roles))

    legacy_meta = [
        "ResponseID",
        "ResponseSet",
        "Name",
        "ExternalDataReference",
        "EmailAddress",
        "IPAddress",
        "Status",
        "StartDate",
        "EndDate",
        "Finished",
    ]
    records = [
        [f"V{i + 1}" for i in range(len(legacy_meta))] + [q[0] for q in questions],
        legacy_meta + [q[1] for q in questions],
    ]
    for i, r in enumerate(study.rows):
        meta = [
            f"R_fixture{i:04d}",
            "Default Response Set",
            "Anonymous",
            "",
            "",
            f"192.0.2.{i % 250 + 1}",
            "0",
            r["Timestamp"],
            r["Timestamp"],
            "1",
        ]
        records.append(meta + [r[h] for _, _, _, h in questions])
    p = dest / "qualtrics_legacy.csv"
    p.write_bytes(_csv_text(records).encode("utf-8"))
    out.append(Fixture(p, "qualtrics", items=items, roles=roles))
    return out


# --------------------------------------------------------------------------- SurveyMonkey
_SM_FIXED = [
    "Respondent ID",
    "Collector ID",
    "Start Date",
    "End Date",
    "IP Address",
    "Email Address",
    "First Name",
    "Last Name",
    "Custom Data 1",
]
_SM_CHOICE = {"Gender", "County", "Do you hold a managerial role?", "Sector of your employer"}


def write_surveymonkey(study: Study, dest: Path) -> list[Fixture]:
    """The expanded export as CSV and XLSX: the fixed columns, one column per question
    (``Response`` / ``Open-Ended Response`` in row 2), the 24 items as one matrix question
    (row 1 over its first column only, row 2 the statements)."""
    from openpyxl import Workbook

    questions = [h for h in study.headers if h not in ("Timestamp", "Email address")]
    row1, row2 = list(_SM_FIXED), [""] * len(_SM_FIXED)
    for h in questions:
        if h in study.item_headers:
            row1.append(MATRIX if h == study.item_headers[0] else "")
            row2.append(h)
        else:
            row1.append(h)
            row2.append("Response" if h in _SM_CHOICE else "Open-Ended Response")
    records = [row1, row2]
    for i, r in enumerate(study.rows):
        when = _timestamp(r["Timestamp"]).strftime("%m/%d/%Y %I:%M:%S %p")
        fixed = [str(11400000001 + i), "405123456", when, when, f"192.0.2.{i % 250 + 1}", r["Email address"], "", "", ""]
        records.append(fixed + [r[h] for h in questions])
    roles = {role: h for role, h in ROLES.items()}
    p = dest / "surveymonkey_expanded.csv"
    p.write_bytes(_csv_text(records).encode("utf-8"))
    wb = Workbook()
    ws = wb.active
    ws.title = "Sheet"
    for rec in records:
        ws.append([int(c) if c.isdigit() else (c or None) for c in rec])
    px = dest / "surveymonkey_expanded.xlsx"
    wb.save(px)
    return [Fixture(p, "surveymonkey", roles=roles), Fixture(px, "surveymonkey", roles=roles)]


# --------------------------------------------------------------------------- REDCap
_DICT_HEADER = [
    "Variable / Field Name",
    "Form Name",
    "Section Header",
    "Field Type",
    "Field Label",
    "Choices, Calculations, OR Slider Labels",
    "Field Note",
    "Text Validation Type OR Show Slider Number",
    "Text Validation Min",
    "Text Validation Max",
    "Identifier?",
    "Branching Logic (Show field only if...)",
    "Required Field?",
    "Custom Alignment",
    "Question Number (surveys only)",
    "Matrix Group Name",
    "Matrix Ranking?",
    "Field Annotation",
]
_REDCAP_FIELDS = {
    "Full name": ("name", "text", True),
    "Email address": ("email", "text", True),
    "Organisation": ("organisation", "text", False),
    "Job title": ("job_title", "text", False),
    "Age (years)": ("age", "text", False),
    "Gender": ("gender", "radio", False),
    "County": ("county", "dropdown", False),
    "Do you hold a managerial role?": ("managerial", "yesno", False),
    "Sector of your employer": ("sector", "radio", False),
    "Any other comments?": ("comments", "notes", True),
}
FORM = "ripls_survey"


def _choices(study: Study, header: str) -> dict[int, str]:
    if header in study.item_headers:
        return dict(REDCAP_CODES)
    if header == "Do you hold a managerial role?":
        return {1: "Yes", 0: "No"}
    values = sorted({r[header] for r in study.rows} - {""})
    return {i + 1: v for i, v in enumerate(values)}


def write_redcap(study: Study, dest: Path) -> list[Fixture]:
    """The raw export (designer's codes: items 5 = Strongly agree … 1 = Strongly disagree) with
    its data dictionary, and the labels export of the same records."""
    fields = []  # (variable, header, type, identifier)
    for h in study.headers:
        if h == "Timestamp":
            continue
        if h in study.item_headers:
            fields.append((f"ripls_{study.number(h)}", h, "radio", False))
        else:
            fields.append((*_REDCAP_FIELDS[h][:1], h, *_REDCAP_FIELDS[h][1:]))
    dictionary = [_DICT_HEADER, ["record_id", FORM, "", "text", "Record ID", *[""] * 13]]
    for var, h, kind, ident in fields:
        choices = "" if kind in {"text", "notes", "yesno"} else " | ".join(f"{c}, {lab}" for c, lab in _choices(study, h).items())
        label = f"<b>{h}</b>" if h in study.item_headers[:1] else h  # REDCap labels may hold HTML
        validation = "integer" if var == "age" else ""
        dictionary.append([var, FORM, "", kind, label, choices, "", validation, "", "", "y" if ident else "", "", "", "", "", "", "", ""])
    pd_path = dest / "redcap_dictionary.csv"
    pd_path.write_bytes(_csv_text(dictionary, newline="\n").encode("utf-8"))

    raw = [["record_id", "redcap_survey_identifier", f"{FORM}_timestamp", *[f[0] for f in fields], f"{FORM}_complete"]]
    labels = [["Record ID", "Survey Identifier", "Survey Timestamp", *[f[1] for f in fields], "Complete?"]]
    for i, r in enumerate(study.rows):
        codes_row, labels_row = [], []
        for _, h, kind, _ in fields:
            v = r[h]
            labels_row.append(v)
            if kind in {"radio", "dropdown", "yesno"} and v:
                code_of = {lab: code for code, lab in _choices(study, h).items()}
                codes_row.append(str(code_of[v]))
            else:
                codes_row.append(v)
        stamp = r["Timestamp"]
        raw.append([str(i + 1), "", stamp, *codes_row, "2"])
        labels.append([str(i + 1), "", stamp, *labels_row, "Complete"])
    raw_path = dest / "redcap_raw.csv"
    raw_path.write_bytes(_csv_text(raw, newline="\n").encode("utf-8"))
    labels_path = dest / "redcap_labels.csv"
    labels_path.write_bytes(_csv_text(labels, newline="\n").encode("utf-8"))
    var_of = {h: f[0] for f in fields for h in [f[1]]}
    return [
        Fixture(raw_path, "redcap", options={"dictionary": pd_path}, roles={role: var_of[h] for role, h in ROLES.items()}),
        Fixture(labels_path, "redcap", roles=dict(ROLES)),
    ]


def write_fixtures(dest: str | Path, study: Study | None = None) -> dict[str, Fixture]:
    """Every fixture written into ``dest``, by name (the file name)."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    study = study or load_study()
    fixtures = [
        *write_text_variants(study, dest),
        *write_excel_variants(study, dest),
        *write_spss_stata(study, dest),
        *write_qualtrics(study, dest),
        *write_surveymonkey(study, dest),
        *write_redcap(study, dest),
    ]
    return {f.path.name: f for f in fixtures}


def main(argv: list[str]) -> None:
    if not argv or argv[0].startswith("-"):
        raise SystemExit(__doc__)
    dest = Path(argv[0])
    fixtures = write_fixtures(dest)
    if "--xls" in argv:
        convert_to_xls(fixtures["survey.xlsx"].path, dest)
    for name in sorted(fixtures):
        print(name)


if __name__ == "__main__":
    main(sys.argv[1:])
