"""Tabular QDA exports (MAXQDA, ATLAS.ti, Dedoose, Taguette as CSV, XLSX or XLS), the registry,
detection by content, and ``describe_export``.

The hand-made coding of ``test_qda`` (offsets worked out by hand there) is written in each
tool's layout; every layout must read to that same table. The synthetic study's coding is
written in every tabular layout and must read to Coder A's segments of its ``coded_project.qdpx``.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import logging
import random
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from errors import WITHHELD, InputError
from qda import CODER_NOT_IDENTIFIED, FORMATS, REGISTRY, describe_export, detect_format, read_coded_export
from qda._container import sniff
from qda._table import _read_workbook
from test_qda import (
    DOCUMENTS,
    E01,
    EXPECTED,
    FG3_RAW,
    MAXQDA_HEADER,
    MAXQDA_ROWS,
    O07,
    TAGUETTE_ROWS,
    assert_segments,
    write_maxqda,
    write_qdpx,
)

ROOT = Path(__file__).resolve().parent.parent
SYN = ROOT / "data" / "synthetic"
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "qda"
COLUMNS = ["document", "code_path", "start", "end", "text"]


def write_xlsx(path: Path, rows: list[list]) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def write_csv(path: Path, rows: list[list], *, delimiter: str = ",", bom: bool = False) -> Path:
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + buf.getvalue().encode("utf-8"))
    return path


def maxqda_rows(header_names: dict[str, str], keep: list[str]) -> list[list]:
    """The hand-made MAXQDA rows (English columns ``keep``), headed in another language."""
    base = list(csv.reader(io.StringIO(write_maxqda_text())))
    idx = [base[0].index(k) for k in keep]
    return [[header_names.get(k, k) for k in keep]] + [[r[i] for i in idx] for r in base[1:]]


def write_maxqda_text() -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(MAXQDA_HEADER)
    for group, doc, code, beg, end, seg in MAXQDA_ROWS:
        row = dict(zip(MAXQDA_HEADER, [""] * len(MAXQDA_HEADER), strict=True))
        row.update(
            {"Document group": group, "Document name": doc, "Code": code, "Beginning": beg, "End": end, "Segment": seg, "Created by": "AB"}
        )
        w.writerow([row[h] for h in MAXQDA_HEADER])
    return buf.getvalue()


# Header names by language, from the sources listed in scripts/qda/maxqda.py.
GERMAN = {"Document group": "Dokumentgruppe", "Document name": "Dokumentname", "Beginning": "Anfang", "End": "Ende"}
POLISH = {
    "Document name": "Nazwa dokumentu",
    "Code": "Kod",
    "Beginning": "Początek",
    "End": "Koniec",
    "Segment": "Fragment",
    "Created by": "Autor",
}
CORE = ["Document name", "Code", "Beginning", "End", "Segment"]


# --------------------------------------------------------------------------- the registry
def test_registry_names_every_format_once():
    assert FORMATS == ("refi-qda", "maxqda", "atlasti", "dedoose", "taguette")
    for f in REGISTRY:
        assert callable(f.module.read) and callable(f.detect) and f.tool
        assert f.tabular == hasattr(f.module, "records")


# --------------------------------------------------------------------------- detection by content
def test_detection_looks_at_content_not_the_extension(tmp_path):
    xlsx = write_xlsx(tmp_path / "segments.qdpx", maxqda_rows({}, MAXQDA_HEADER))  # an .xlsx misnamed .qdpx
    assert (sniff(xlsx), detect_format(xlsx)) == ("xlsx", "maxqda")
    assert_segments(read_coded_export(xlsx, documents=DOCUMENTS).segments, EXPECTED)
    qdpx = write_qdpx(tmp_path / "project.zip")
    assert (sniff(qdpx), detect_format(qdpx)) == ("qdpx", "refi-qda")
    renamed = tmp_path / "highlights.xlsx"
    renamed.write_bytes(b"id,document,tag,content\n1,E01,A,Learn\n")  # a CSV misnamed .xlsx
    assert (sniff(renamed), detect_format(renamed)) == ("text", "taguette")


def test_a_real_xls_workbook_is_detected_and_read():
    path = FIXTURES / "calamine_base.xls"
    assert path.read_bytes()[:8] == bytes.fromhex("D0CF11E0A1B11AE1")
    assert sniff(path) == "xls"
    cells = _read_workbook(path, "coded export")
    # Row 1 of Sheet1 is empty; row 2 holds the values python-calamine's own test_xls_read
    # expects, as text by workbook.cell_text (tests/test_survey_formats.py checks them all).
    assert cells[0] == [""] * 10 and cells[1][:4] == ["String", "1", "1.1", "TRUE"] and len(cells) == 2
    # Not a QDA export: one clear error about the table, not "NUL bytes / UTF-16".
    with pytest.raises(InputError, match="has a header but no data rows"):
        read_coded_export(path, documents=DOCUMENTS)


def test_a_damaged_ole2_file_is_a_workbook_that_cannot_be_read(tmp_path):
    path = tmp_path / "segments.xls"
    path.write_bytes(bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 600)
    assert sniff(path) == "xls"
    with pytest.raises(InputError, match="coded export cannot be read as a spreadsheet"):
        read_coded_export(path, documents=DOCUMENTS)


def test_a_zip_that_is_neither_workbook_nor_project(tmp_path):
    path = tmp_path / "export.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("notes.txt", "hello")
    assert sniff(path) == "zip"
    with pytest.raises(InputError, match=r"project\.qde missing from the REFI-QDA project"):
        read_coded_export(path)


def test_an_unknown_table_names_what_it_found(tmp_path):
    path = write_xlsx(tmp_path / "x.xlsx", [["File", "Coder", "Codename"], ["a", "b", "c"]])
    with pytest.raises(InputError) as ei:
        read_coded_export(path, documents=DOCUMENTS)
    line = ei.value.line()
    assert "cannot tell which QDA tool wrote this coded export" in line and "a workbook with header ['File', 'Coder', 'Codename']" in line
    assert line.endswith(
        "; a MAXQDA coded-segments export in another interface language is read with qualitative.coded_export.format: maxqda"
        " (its columns found by content)"
    )


# --------------------------------------------------------------------------- MAXQDA
def test_maxqda_xlsx_in_english_reads_like_the_csv(tmp_path):
    path = write_xlsx(tmp_path / "m.xlsx", maxqda_rows({}, MAXQDA_HEADER))
    result = read_coded_export(path, documents=DOCUMENTS)
    assert result.format == "maxqda"
    assert_segments(result.segments, EXPECTED)
    pd.testing.assert_frame_equal(result.segments, read_coded_export(write_maxqda(tmp_path / "m.csv"), documents=DOCUMENTS).segments)


def test_maxqda_xlsx_with_german_headers(tmp_path):
    path = write_xlsx(tmp_path / "de.xlsx", maxqda_rows(GERMAN, ["Document group", *CORE]))
    assert path and detect_format(path) == "maxqda"
    result = read_coded_export(path, documents=DOCUMENTS)
    # No coder column is documented for German: blank, unless named (next test).
    assert_segments(result.segments, EXPECTED.assign(coder=""))


def test_a_coder_column_the_built_in_names_miss_can_be_named(tmp_path):
    rows = maxqda_rows(GERMAN, ["Document group", *CORE, "Created by"])
    rows[0][-1] = "Bearbeiter (Spalte dieses Tests)"
    path = write_xlsx(tmp_path / "de.xlsx", rows)
    result = read_coded_export(path, documents=DOCUMENTS, columns={"coder": "Bearbeiter (Spalte dieses Tests)"})
    assert_segments(result.segments, EXPECTED)


def test_maxqda_xlsx_with_polish_headers(tmp_path):
    path = write_xlsx(tmp_path / "pl.xlsx", maxqda_rows(POLISH, [*CORE, "Created by"]))
    assert detect_format(path) == "maxqda"
    result = read_coded_export(path, documents=DOCUMENTS)
    assert_segments(result.segments, EXPECTED.assign(document_group=""))  # no group column


def test_maxqda_csv_with_localised_headers(tmp_path):
    path = write_csv(tmp_path / "pl.csv", maxqda_rows(POLISH, [*CORE, "Created by"]), delimiter=";", bom=True)
    assert detect_format(path) == "maxqda"
    assert_segments(read_coded_export(path, documents=DOCUMENTS).segments, EXPECTED.assign(document_group=""))


# --------------------------------------------------------------------------- MAXQDA headers in no known language
# Headers of the interface languages whose names were not found (Spanish, French, …) are not
# built in; such a table, read as MAXQDA, has its required columns found by what they hold.
# Every header below is MADE UP for these tests: none is claimed to be MAXQDA's.
MADE_UP = {h: f"Col {i}" for i, h in enumerate(MAXQDA_HEADER, start=1)}  # Document name is 'Col 3', Created by 'Col 11'
#: Made-up "French-looking" headers keeping the English 'Code' and 'Segment' (taken by their header).
MADE_UP_PARTLY = {"Document group": "Groupe (made up)", "Document name": "Nom (made up)", "Beginning": "De (made up)", "End": "À (made up)"}
BY_CONTENT = ["document", "code", "begin", "end", "segment"]


def _table(path: Path, rows: list[list]) -> Path:
    return write_xlsx(path, rows) if path.suffix == ".xlsx" else write_csv(path, rows)


def _columns(rows: list[list], order: list[int]) -> list[list]:
    return [[r[i] for i in order] for r in rows]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
@pytest.mark.parametrize(("names", "inferred"), [(MADE_UP, BY_CONTENT), (MADE_UP_PARTLY, ["document", "begin", "end"])])
def test_maxqda_headers_in_no_known_language_are_found_by_content(tmp_path, suffix, names, inferred):
    path = _table(tmp_path / f"made_up{suffix}", maxqda_rows(names, MAXQDA_HEADER))
    with pytest.raises(InputError, match="cannot tell which QDA tool wrote this coded export"):
        detect_format(path)
    english = read_coded_export(_table(tmp_path / f"english{suffix}", maxqda_rows({}, MAXQDA_HEADER)), documents=DOCUMENTS)
    assert_segments(english.segments, EXPECTED)
    result = read_coded_export(path, fmt="maxqda", documents=DOCUMENTS)
    # the same segments; group and coder are never inferred (a coder column keeping its English name is read)
    pd.testing.assert_frame_equal(result.segments[COLUMNS], english.segments[COLUMNS])
    coders = ["Coder A"] if "Created by" not in names else []
    assert set(result.segments["document_group"]) == {""} and result.coders == coders
    # named, they read to exactly the English result
    named = {"group": names["Document group"], "coder": names.get("Created by", "Created by")}
    pd.testing.assert_frame_equal(read_coded_export(path, fmt="maxqda", documents=DOCUMENTS, columns=named).segments, english.segments)
    report = describe_export(path, fmt="maxqda", documents=DOCUMENTS)
    assert report["found_by_content"] == inferred and report["unplaceable"] == [] and report["segments"] == {"text": 8}
    assert report["columns"] == {
        "document": names["Document name"],
        "code": names.get("Code", "Code"),
        "begin": names["Beginning"],
        "end": names["End"],
        "segment": names.get("Segment", "Segment"),
        **({} if "Created by" in names else {"coder": "Created by"}),  # English coder header, taken by its name
    }


@pytest.mark.parametrize("order", ["reversed", "shuffled"])
def test_maxqda_columns_found_by_content_in_any_order(tmp_path, order):
    """Begin and End not adjacent (reversed: End comes first): the pair is told by paragraph
    numbers that fit the documents (Area, also whole numbers, exceeds them)."""
    columns = list(range(len(MAXQDA_HEADER)))
    columns.reverse() if order == "reversed" else random.Random(20150801).shuffle(columns)
    rows = _columns(maxqda_rows(MADE_UP, MAXQDA_HEADER), columns)
    begin, end = rows[0].index(MADE_UP["Beginning"]), rows[0].index(MADE_UP["End"])
    assert end != begin + 1
    result = read_coded_export(write_xlsx(tmp_path / "m.xlsx", rows), fmt="maxqda", documents=DOCUMENTS)
    assert_segments(result.segments, EXPECTED.assign(document_group="", coder=""))


def test_maxqda_document_column_found_through_aliases(tmp_path):
    """Documents named by neutral ids, the export's names given as aliases (as the pipeline reads it)."""
    path = write_xlsx(tmp_path / "m.xlsx", maxqda_rows(MADE_UP, MAXQDA_HEADER))
    documents = {"doc 1": E01, "doc 2": O07, "doc 3": FG3_RAW}
    aliases = {"E01": "doc 1", "O07": "doc 2", "focus_group_3.txt": "doc 3"}
    result = read_coded_export(path, fmt="maxqda", documents=documents, aliases=aliases)
    ids = {"E01": "doc 1", "O07": "doc 2", "Focus group 3": "doc 3"}
    want = EXPECTED.assign(document=EXPECTED["document"].map(ids), document_group="", coder="")
    want = want.sort_values(["document", "start", "end", "code_path"])
    assert_segments(result.segments, want)


def test_maxqda_two_columns_that_both_qualify_stop_the_run_until_one_is_named(tmp_path):
    rows = maxqda_rows(MADE_UP, MAXQDA_HEADER)
    doc = rows[0].index("Col 3")
    rows = [[*r, "Col 15" if n == 0 else r[doc]] for n, r in enumerate(rows)]  # the document names twice
    path = write_xlsx(tmp_path / "m.xlsx", rows)
    with pytest.raises(InputError) as ei:
        read_coded_export(path, fmt="maxqda", documents=DOCUMENTS)
    err = ei.value
    assert (
        err.problem
        == "the document column of the MAXQDA coded-segments export cannot be told by its content: more than one column qualifies"
    )
    assert err.line() == (
        f"ERROR {path}: {err.problem}; found '2 candidates'; "
        "expected one of: 'Col 3', 'Col 15': map it with qualitative.coded_export.columns: {document: <header>}"
    )
    assert "'Col 3'" not in err.log_line() and "expected one of 2 values read from the inputs: map it with" in err.log_line()
    # a mapping settles it; it always wins over content
    result = read_coded_export(path, fmt="maxqda", documents=DOCUMENTS, columns={"document": "Col 15"})
    assert_segments(result.segments, EXPECTED.assign(document_group="", coder=""))


def test_maxqda_no_pair_of_paragraph_numbers_stops_the_run(tmp_path):
    keep = [h for h in MAXQDA_HEADER if h != "End"]
    path = write_xlsx(tmp_path / "m.xlsx", maxqda_rows(MADE_UP, keep))
    with pytest.raises(InputError) as ei:
        read_coded_export(path, fmt="maxqda", documents=DOCUMENTS)
    err = ei.value
    assert err.line() == (
        f"ERROR {path}: no column of the MAXQDA coded-segments export holds the begin and end by its content; "
        "found 'no column qualifies'; expected two columns of whole numbers >= 1 (paragraph numbers), the first <= the second "
        "in every row and within its document; or map it with qualitative.coded_export.columns: {begin: <header>, end: <header>}"
    )
    assert err.log_line() == err.line()  # nothing from the file in it


def test_maxqda_a_document_name_not_given_leaves_no_document_column(tmp_path):
    rows = maxqda_rows(MADE_UP, MAXQDA_HEADER)
    rows[4][rows[0].index("Col 3")] = "Call Zoë on 07700 900123"
    path = write_xlsx(tmp_path / "m.xlsx", rows)
    with pytest.raises(InputError) as ei:
        read_coded_export(path, fmt="maxqda", documents=DOCUMENTS)
    line = ei.value.line()
    assert "no column of the MAXQDA coded-segments export holds the document by its content" in line
    assert "a column whose every value names one of the 3 documents given" in line and "Zoë" not in line


def test_maxqda_found_by_content_says_so_and_that_the_coder_is_not_identified(tmp_path, caplog):
    path = write_csv(tmp_path / "m.csv", maxqda_rows(MADE_UP, MAXQDA_HEADER))
    with caplog.at_level(logging.INFO, logger="ripls.qda"):
        read_coded_export(path, fmt="maxqda", documents=DOCUMENTS)
    messages = [r.getMessage() for r in caplog.records]
    assert (
        "MAXQDA coded-segments export: headers in no known interface language; 5 required columns found by content "
        "(document, code, begin, end, segment)" in messages
    )
    assert "coder column not identified: 8 coded rows read as one coder's (map it with qualitative.coded_export.columns.coder)" in messages
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="ripls.qda"):
        read_coded_export(path, fmt="maxqda", documents=DOCUMENTS, columns={"coder": "Col 11"})
    assert not any("coder column" in r.getMessage() for r in caplog.records)


def test_describe_a_maxqda_table_found_by_content(tmp_path):
    path = write_xlsx(tmp_path / "m.xlsx", maxqda_rows(MADE_UP, MAXQDA_HEADER))
    report = describe_export(path, fmt="maxqda", documents=DOCUMENTS)
    assert report["coder_column"] == CODER_NOT_IDENTIFIED == "not identified (map it with qualitative.coded_export.columns.coder)"
    assert (report["documents"], report["coders"], report["codes"]) == (3, 0, {"count": 12, "depth": 3})
    assert describe_export(path, fmt="maxqda", documents=DOCUMENTS, columns={"coder": "Col 11"})["coder_column"] == "Col 11"
    english = describe_export(write_xlsx(tmp_path / "en.xlsx", maxqda_rows({}, MAXQDA_HEADER)), documents=DOCUMENTS)
    assert (english["coder_column"], english["found_by_content"]) == ("Created by", [])
    # without the texts the document column cannot be told
    with pytest.raises(InputError) as ei:
        describe_export(path, fmt="maxqda")
    assert "the document column of the MAXQDA coded-segments export cannot be found by its content without the document texts" in (
        ei.value.line()
    )


def test_maxqda_error_rows_are_spreadsheet_rows_in_a_workbook_too(tmp_path):
    rows = maxqda_rows({}, MAXQDA_HEADER)
    rows[3][MAXQDA_HEADER.index("Document name")] = "E99"
    path = write_xlsx(tmp_path / "m.xlsx", rows)
    with pytest.raises(InputError) as ei:
        read_coded_export(path, documents=DOCUMENTS)
    assert "row 4, column 'Document name': segment refers to an unknown document; found 'E99'" in ei.value.line()


# --------------------------------------------------------------------------- ATLAS.ti
ATLAS_HEADER = [
    "ID",
    "Quotation Name",
    "Document",
    "Document Groups",
    "Quotation Content",
    "Comment",
    "Codes",
    "Reference",
    "Density",
    "Created by",
    "Modified by",
    "Created",
    "Modified",
]


def atlas_rows() -> list[list]:
    """The hand-made coding as ATLAS.ti's quotation export: one row per quotation, its codes one per line."""
    rows = [ATLAS_HEADER]
    by_place: dict[tuple, list[str]] = {}
    for r in EXPECTED.itertuples():
        by_place.setdefault((r.document, r.document_group, r.start, r.end, r.text), []).append(r.code_path)
    ext = {"E01": "E01.txt", "O07": "O07.docx", "Focus group 3": "Focus group 3.txt"}
    for n, ((doc, group, start, _end, text), codes) in enumerate(by_place.items(), start=1):
        para = DOCUMENTS[doc].replace("\r\n", "\n")[:start].count("\n") + 1
        rows.append(
            [
                f"1:{n}",
                "",
                ext[doc],
                f"{group}\r\nAll documents",
                text,
                "",
                "\r\n".join(codes),
                f"¶ {para} – {para}",
                "0",
                "AB",
                "AB",
                "",
                "",
            ]
        )
    return rows


def test_atlasti_quotation_export_xlsx(tmp_path):
    path = write_xlsx(tmp_path / "quotations.xlsx", atlas_rows())
    assert detect_format(path) == "atlasti"
    result = read_coded_export(path, documents=DOCUMENTS)
    assert_segments(result.segments, EXPECTED)  # "E01.txt" matched to E01, codes split per line


def test_atlasti_reference_chooses_between_repeated_quotations(tmp_path):
    docs = {"Notes": "time, no time\nmore time here"}
    rows = [
        ATLAS_HEADER[:8],
        ["1:1", "", "Notes", "", "time", "", "Time", "¶ 2 – 2"],
        ["1:2", "", "Notes", "", "time", "", "Time", "¶ 1 – 1"],
    ]
    seg = read_coded_export(write_xlsx(tmp_path / "q.xlsx", rows), documents=docs).segments
    assert seg[["start", "end"]].values.tolist() == [[0, 4], [19, 23]]


# --------------------------------------------------------------------------- Dedoose
def dedoose_rows() -> list[list]:
    codes = sorted(set(EXPECTED["code_path"]))
    header = ["Excerpt Range", "Excerpt Creator", "Codes Applied Combined", "Media Title", "Excerpt Copy", "Excerpt Date"]
    header += [f"Code: {c.replace(' > ', chr(92))} Applied" for c in codes]
    rows = [header]
    by_place: dict[tuple, list[str]] = {}
    for r in EXPECTED.itertuples():
        by_place.setdefault((r.document, r.start, r.end, r.text), []).append(r.code_path)
    for (doc, start, end, text), applied in by_place.items():
        title = f"{doc}.txt" if doc == "E01" else doc
        leaves = ", ".join(c.split(" > ")[-1] for c in applied)
        rows.append([f"Page 1: {start}-{end}", "AB", leaves, title, text, "2024-01-02", *[str(c in applied) for c in codes]])
    return rows


@pytest.mark.parametrize("suffix", ["xlsx", "csv"])
def test_dedoose_excerpts_export(tmp_path, suffix):
    rows = dedoose_rows()
    path = write_xlsx(tmp_path / "ex.xlsx", rows) if suffix == "xlsx" else write_csv(tmp_path / "ex.csv", rows)
    assert detect_format(path) == "dedoose"
    result = read_coded_export(path, documents=DOCUMENTS)
    assert_segments(result.segments, EXPECTED.assign(document_group=""))


def test_dedoose_export_in_the_layout_of_a_real_one_without_text_is_refused(tmp_path):
    # Laid out like the USHMM excerpts_3.csv: no Media Title and no Excerpt Copy columns.
    header = [
        "Excerpt Range",
        "Excerpt Creator",
        "Codes Applied Combined",
        "Code: Tool Applied",
        "Code: Tool\\Mediation_tool Applied",
        "Index Number",
        "Title",
        "Year",
        "",
    ]
    path = write_csv(
        tmp_path / "excerpts.csv",
        [header, ["Page 1: 0-32", "coder1", "Mediation_tool", "False", "True", "Mediation.2023.34", "A study", "2022", ""]],
    )
    assert detect_format(path) == "dedoose"
    with pytest.raises(InputError, match="column 'Media Title': required column missing from Dedoose excerpts export"):
        read_coded_export(path, documents=DOCUMENTS)


def test_dedoose_code_column_that_is_not_true_or_false(tmp_path):
    rows = dedoose_rows()
    rows[2][-1] = "maybe"
    with pytest.raises(InputError) as ei:
        read_coded_export(write_csv(tmp_path / "ex.csv", rows), documents=DOCUMENTS)
    line = ei.value.line()
    assert "row 3" in line and "a code column holds neither True nor False" in line and "'maybe'" in line


def test_dedoose_range_chooses_between_repeated_excerpts(tmp_path):
    docs = {"Notes": "time, no time, time"}
    rows = [
        ["Media Title", "Excerpt Copy", "Excerpt Range", "Code: Time Applied"],
        ["Notes", "time", "Page 1: 15-19", "True"],
        ["Notes", "time", "9-13", "True"],
    ]
    seg = read_coded_export(write_csv(tmp_path / "ex.csv", rows), documents=docs).segments
    assert seg[["start", "end"]].values.tolist() == [[9, 13], [15, 19]]


# --------------------------------------------------------------------------- Taguette
def test_taguette_xlsx_reads_like_its_csv(tmp_path):
    rows = [["id", "document", "tag", "content"], *[list(r) for r in TAGUETTE_ROWS]]
    xlsx = read_coded_export(write_xlsx(tmp_path / "t.xlsx", rows), documents=DOCUMENTS)
    plain = read_coded_export(write_csv(tmp_path / "t.csv", rows), documents=DOCUMENTS)
    assert xlsx.format == "taguette"
    pd.testing.assert_frame_equal(xlsx.segments, plain.segments)


# --------------------------------------------------------------------------- coders in tables
def test_table_coders_get_labels_in_order_of_first_appearance(tmp_path):
    rows = maxqda_rows({}, MAXQDA_HEADER)
    col = MAXQDA_HEADER.index("Created by")
    for i, who in enumerate(
        ["Zoë Secret", "Ian Hidden", "Zoë Secret", "Ian Hidden", "Zoë Secret", "Ian Hidden", "Zoë Secret", "Ian Hidden"], start=1
    ):
        rows[i][col] = who
    rows.append(list(rows[1]))  # the same coding by the same coder again: dropped, counted
    rows.append(list(rows[1]))
    rows[-1][col] = "Ian Hidden"  # the same coding by the other coder: kept
    result = read_coded_export(write_xlsx(tmp_path / "m.xlsx", rows), documents=DOCUMENTS)
    assert result.coders == ["Coder A", "Coder B"] and result.duplicates_dropped == 1
    shared = result.segments[(result.segments.document == "E01") & (result.segments.start == 38)]
    assert shared["coder"].tolist() == ["Coder A", "Coder B"]
    assert "Zoë" not in result.segments.to_csv() and "Ian" not in result.segments.to_csv()


# --------------------------------------------------------------------------- the synthetic study in every layout
@pytest.fixture(scope="module")
def synthetic():
    """Coder A's coding in the synthetic .qdpx (which holds two coders; the tabular files hold Coder A's)."""
    export = read_coded_export(SYN / "coded_project.qdpx")
    assert export.coders == ["Coder A", "Coder B"]
    return dataclasses.replace(export, segments=export.segments[export.segments["coder"] == "Coder A"].reset_index(drop=True))


@pytest.fixture(scope="module")
def synthetic_documents(synthetic) -> dict[str, str]:
    """The synthetic study's documents: the transcript files as they are, the notes as in the .qdpx."""
    documents = {
        name: (SYN / "transcripts" / f"{name.lower().replace(' ', '_')}.txt").read_text(encoding="utf-8")
        for name in synthetic.documents
        if name.startswith("Focus")
    }
    return documents | {n: t for n, t in synthetic.documents.items() if not n.startswith("Focus")}  # notes: LF texts as in the .qdpx


def _synthetic_maxqda(tmp: Path, names: dict[str, str], order: list[int] | None = None) -> Path:
    rows = list(csv.reader(io.StringIO((SYN / "coded_segments_maxqda_coder_a.csv").read_text(encoding="utf-8"), newline="")))
    rows[0] = [names.get(h, h) for h in rows[0]]
    return write_xlsx(tmp / f"maxqda_{len(names)}.xlsx", _columns(rows, order) if order else rows)


def _synthetic_from(result, tmp: Path, kind: str) -> Path:
    seg = result.segments
    by_place: dict[tuple, list] = {}
    for r in seg.itertuples():
        by_place.setdefault((r.document, r.start, r.end, r.text, r.document_group), []).append(r.code_path)
    if kind == "atlasti":
        rows = [ATLAS_HEADER]
        for n, ((doc, start, _e, text, group), codes) in enumerate(by_place.items(), start=1):
            para = result.documents[doc][:start].count("\n") + 1
            rows.append([f"1:{n}", "", f"{doc}.txt", group, text, "", "\n".join(codes), f"¶ {para} – {para}", "0", "KT", "", "", ""])
    else:
        codes = sorted(set(seg["code_path"]))
        rows = [
            [
                "Media Title",
                "Excerpt Copy",
                "Excerpt Range",
                "Excerpt Creator",
                *[f"Code: {c.replace(' > ', chr(92))} Applied" for c in codes],
            ]
        ]
        for (doc, start, end, text, _g), applied in by_place.items():
            rows.append([doc, text, f"Page 1: {start}-{end}", "KT", *[c in applied for c in codes]])
    return write_xlsx(tmp / f"{kind}.xlsx", rows)


def test_every_tabular_layout_of_the_synthetic_coding_reads_like_its_qdpx(synthetic, synthetic_documents, tmp_path):
    documents = synthetic_documents
    want = synthetic.segments[COLUMNS].reset_index(drop=True)
    assert len(want) == 324
    paths = {
        "maxqda csv": SYN / "coded_segments_maxqda_coder_a.csv",
        "maxqda xlsx": _synthetic_maxqda(tmp_path, {}),
        "maxqda xlsx, German": _synthetic_maxqda(tmp_path, GERMAN),
        "maxqda xlsx, Polish": _synthetic_maxqda(tmp_path, POLISH),
        "taguette csv": SYN / "taguette_highlights.csv",
        "atlasti xlsx": _synthetic_from(synthetic, tmp_path, "atlasti"),
        "dedoose xlsx": _synthetic_from(synthetic, tmp_path, "dedoose"),
    }
    for label, path in paths.items():
        got = read_coded_export(path, documents=documents).segments[COLUMNS].reset_index(drop=True)
        pd.testing.assert_frame_equal(got, want, obj=label)


def test_the_synthetic_coding_with_made_up_headers_in_any_order_reads_like_its_qdpx(synthetic, synthetic_documents, tmp_path):
    """The study's MAXQDA export (324 rows, notes and long transcripts) headed 'Col 1'..'Col 14'
    and its columns shuffled: every required column found by content."""
    order = list(range(len(MAXQDA_HEADER)))
    random.Random(2016).shuffle(order)
    assert order.index(MAXQDA_HEADER.index("End")) != order.index(MAXQDA_HEADER.index("Beginning")) + 1  # not adjacent
    path = _synthetic_maxqda(tmp_path, MADE_UP, order)
    result = read_coded_export(path, fmt="maxqda", documents=synthetic_documents)
    pd.testing.assert_frame_equal(result.segments[COLUMNS].reset_index(drop=True), synthetic.segments[COLUMNS].reset_index(drop=True))
    assert describe_export(path, fmt="maxqda", documents=synthetic_documents)["columns"] == {
        role: MADE_UP[h] for role, h in zip(BY_CONTENT, ["Document name", "Code", "Beginning", "End", "Segment"], strict=True)
    }


# --------------------------------------------------------------------------- describe_export
def test_describe_a_table_with_and_without_documents(tmp_path):
    rows = maxqda_rows({}, MAXQDA_HEADER)
    rows[2][MAXQDA_HEADER.index("Document name")] = "E99"
    rows[5][MAXQDA_HEADER.index("Segment")] = "Call Zoë on 07700 900123"
    path = write_xlsx(tmp_path / "m.xlsx", rows)
    blind = describe_export(path)
    assert blind["placement"] == "not checked (no documents given)"
    assert (blind["format"], blind["documents"], blind["segments"], blind["coders"]) == ("maxqda", 4, {"text": 8}, 1)
    assert blind["codes"] == {"count": 12, "depth": 3}
    seen = describe_export(path, documents=DOCUMENTS)
    assert seen["segments"] == {"text": 6}
    assert seen["unplaceable"] == [
        {"row": 3, "reason": "segment refers to an unknown document"},
        {"row": 6, "reason": "segment text not found in paragraphs 4..4 of its document"},
    ]
    assert "Zoë" not in str(seen) and "07700" not in str(seen) and WITHHELD not in str(seen)


def test_a_damaged_xlsx_is_reported_as_a_workbook(tmp_path):
    good = write_xlsx(tmp_path / "good.xlsx", maxqda_rows({}, MAXQDA_HEADER)).read_bytes()
    path = tmp_path / "segments.xlsx"
    path.write_bytes(good[: len(good) // 3])
    with pytest.raises(InputError) as ei:
        read_coded_export(path, documents=DOCUMENTS)
    assert "is not a readable zip archive (corrupt, or not a .xlsx workbook)" in ei.value.line()


# --------------------------------------------------------------------------- text encodings of CSV exports
def test_a_csv_export_in_windows_1252_reads_exactly_when_its_encoding_is_named(tmp_path):
    """A coded-segments CSV saved by Excel on Western European Windows (cp1252: the em dash
    is byte 0x97, 'ï' 0xEF) reads to the same segments as its UTF-8 original once
    qualitative.coded_export.encoding names it; so does Excel's "Unicode text" (UTF-16)."""
    text = write_maxqda_text()
    assert {"—", "ï"} <= set(text)
    utf8 = read_coded_export(write_csv_text(tmp_path / "utf8.csv", text, "utf-8"), documents=DOCUMENTS).segments
    cp1252 = read_coded_export(write_csv_text(tmp_path / "cp1252.csv", text, "cp1252"), documents=DOCUMENTS, encoding="cp1252")
    utf16 = read_coded_export(write_csv_text(tmp_path / "utf16.csv", text, "utf-16"), documents=DOCUMENTS, encoding="auto")
    assert_segments(utf8, EXPECTED)
    pd.testing.assert_frame_equal(cp1252.segments, utf8)
    pd.testing.assert_frame_equal(utf16.segments, utf8)


def test_a_single_byte_csv_export_whose_encoding_cannot_be_told_names_the_key(tmp_path):
    """'ï' is 0xEF in Windows-1252 and 'ď' in Windows-1250: auto refuses to guess, on the row
    where the two readings first differ, and names the key that settles it."""
    path = write_csv_text(tmp_path / "cp1252.csv", write_maxqda_text(), "cp1252")
    with pytest.raises(InputError) as err:
        read_coded_export(path, documents=DOCUMENTS, encoding="auto")
    line = err.value.line()
    assert "Windows-1252 and cp1250 read it differently" in line
    assert "expected the encoding named in qualitative.coded_export.encoding" in line
    first = next(i for i, row in enumerate(write_maxqda_text().splitlines(), start=1) if "ï" in row)
    assert f", row {first}:" in line


def test_an_undecodable_csv_export_is_still_told_by_its_header(tmp_path):
    """The header alone tells the tool: detection picks the MAXQDA reader, whose error is the
    encoding's (not "cannot tell which QDA tool wrote this")."""
    path = write_csv_text(tmp_path / "cp1252.csv", write_maxqda_text(), "cp1252")
    assert detect_format(path, "auto") == "maxqda"
    with pytest.raises(InputError, match="text encoding cannot be told for sure"):
        describe_export(path, documents=DOCUMENTS, encoding="auto")


def write_csv_text(path: Path, text: str, encoding: str) -> Path:
    path.write_bytes(text.encode(encoding))
    return path


# --------------------------------------------------------------------------- a project file without its .qdpx
QDE = (
    '<?xml version="1.0" encoding="utf-8"?>\n'
    '<Project xmlns="urn:QDA-XML:project:1.0" name="p" origin="MAXQDA 24"><Users/><CodeBook><Codes/></CodeBook></Project>\n'
)


@pytest.mark.parametrize("fmt", ["auto", "refi-qda"])
def test_a_bare_project_qde_is_refused_with_what_to_export(tmp_path, fmt):
    """MAXQDA and others keep project.qde beside the sources; given alone it has no texts."""
    path = tmp_path / "project.qde"
    path.write_text(QDE, encoding="utf-8")
    assert sniff(path) == "qde"
    with pytest.raises(InputError) as err:
        read_coded_export(path, fmt=fmt, documents=DOCUMENTS)
    line = err.value.line()
    assert "REFI-QDA project file (project.qde) on its own, without its sources" in line
    assert "expected the whole project exported as REFI-QDA (.qdpx" in line
