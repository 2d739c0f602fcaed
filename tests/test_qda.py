"""Tests for the qda package: three export shapes of one hand-made coding give one tidy table.

The coding (worked out by hand; offsets are code points into the LF-normalised text):

E01            "Learn from each other — and from Zoë.\\nShared cases help."
               line 1 is 37 code points, so line 2 starts at 38.
O07            "Time 😀 and money: naïve planning.\\nNo cover for staff."
               "😀" is ONE code point (two UTF-16 units, four UTF-8 bytes); line 2 starts at 34.
Focus group 3  four lines joined by CRLF in the raw file (blank line 3):
               LF text: line 1 0..33, line 2 34..71, line 3 72..72, line 4 73..104.
               CRs of the CRLF pairs in the raw text sit at 33, 72, 74 and 107, so a raw
               ("two") position is the LF position plus the number of CRLFs before it.
"""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from errors import WITHHELD, InputError
from qda import CodedExport, detect_format, normalise_newlines, read_coded_export, split_code_path
from synth_qual import MAXQDA_COLUMNS

# --------------------------------------------------------------------------- the coding
E01 = "Learn from each other — and from Zoë.\nShared cases help."
O07 = "Time 😀 and money: naïve planning.\nNo cover for staff."
FG3_RAW = "Facilitator: Welcome to São Tomé.\r\nAnn: We need joint training — really.\r\n\r\nBob: Supervision time is short.\r\n"
FG3 = "Facilitator: Welcome to São Tomé.\nAnn: We need joint training — really.\n\nBob: Supervision time is short.\n"
DOCUMENTS = {"E01": E01, "O07": O07, "Focus group 3": FG3_RAW}

GROUP_E, GROUP_O, GROUP_FG = "Flip chart: expectations", "Flip chart: obstacles", "Focus groups"
LEARNING = "Expectations > Learning"
SHARED = "Expectations > Learning > Shared learning"
RESOURCES = "Obstacles > Resources"
PLANNING = "Obstacles > Resources > Planning"
TIME_O = "Obstacles > Resources > Time"
CONSTRAINTS = "Focus-group themes > Constraints"
TIME_FG = "Focus-group themes > Constraints > Time"
JOINT = "Focus-group themes > Content of training > Joint training"
MULTI = "We need joint training — really.\n\nBob: Supervision"

# Sorted by (document, start, end, code_path); every offset worked out by hand. One coder,
# "AB" in every export, appears as the neutral label "Coder A".
EXPECTED = pd.DataFrame(
    [
        ("E01", GROUP_E, LEARNING, 0, 21, "Learn from each other", "Coder A"),
        ("E01", GROUP_E, SHARED, 38, 55, "Shared cases help", "Coder A"),
        ("Focus group 3", GROUP_FG, CONSTRAINTS, 39, 89, MULTI, "Coder A"),
        ("Focus group 3", GROUP_FG, JOINT, 47, 61, "joint training", "Coder A"),
        ("Focus group 3", GROUP_FG, TIME_FG, 78, 103, "Supervision time is short", "Coder A"),
        ("O07", GROUP_O, PLANNING, 18, 32, "naïve planning", "Coder A"),
        ("O07", GROUP_O, RESOURCES, 34, 52, "No cover for staff", "Coder A"),
        ("O07", GROUP_O, TIME_O, 34, 52, "No cover for staff", "Coder A"),
    ],
    columns=["document", "document_group", "code_path", "start", "end", "text", "coder"],
).astype({"start": "int64", "end": "int64"})

# Focus group 3 selections as (LF start, LF end, "two" start, "two" end, code guid, text).
FG3_SELECTIONS = [
    (39, 89, 40, 92, "c-constraints", MULTI),
    (47, 61, 48, 62, "c-joint", "joint training"),
    (78, 103, 81, 106, "c-time-fg", "Supervision time is short"),
]


def guid(key: str) -> str:
    """A stable 8-4-4-4-12 hex GUID for a readable key."""
    n = sum((i + 1) * ord(c) for i, c in enumerate(key))
    return f"{n:08x}-0000-4000-8000-{len(key):012x}"


# --------------------------------------------------------------------------- export builders
MAXQDA_HEADER = MAXQDA_COLUMNS  # MAXQDA's English coded-segments header, as the generator writes it
# (group, document, code as MAXQDA writes it, Beginning, End, Segment)
MAXQDA_ROWS = [
    (GROUP_E, "E01", SHARED, 2, 2, "Shared cases help"),
    (GROUP_E, "E01", LEARNING, 1, 1, "Learn from each other"),
    (GROUP_FG, "Focus group 3", JOINT, 2, 2, "joint training"),
    (GROUP_FG, "Focus group 3", CONSTRAINTS, 2, 4, "We need joint training — really.\r\n\r\nBob: Supervision"),
    (GROUP_FG, "Focus group 3", TIME_FG, 4, 4, "Supervision  time is\nshort"),  # whitespace differs from the text
    (GROUP_O, "O07", PLANNING, 1, 1, "naïve planning"),
    (GROUP_O, "O07", TIME_O, 2, 2, "No cover for staff"),
    (GROUP_O, "O07", RESOURCES, 2, 2, "No cover for staff"),
]


def write_maxqda(path: Path, rows=MAXQDA_ROWS, *, delimiter=",", bom=False, header=MAXQDA_HEADER) -> Path:
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    w.writerow(header)
    for group, doc, code, beg, end, seg in rows:
        full = {
            "Color": "#ff0000",
            "Document group": group,
            "Document name": doc,
            "Code": code,
            "Beginning": beg,
            "End": end,
            "Weight score": 0,
            "Segment": seg,
            "Modified by": "AB",
            "Modified": "01.02.2024 10:00",
            "Created by": "AB",
            "Created": "01.02.2024 10:00",
            "Area": len(seg),
            "Coverage %": "12.5",
        }
        w.writerow([full[h] for h in header])
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + buf.getvalue().encode("utf-8"))
    return path


TAGUETTE_ROWS = [
    (1, "E01", "Expectations\\Learning\\Shared learning", "Shared cases help"),
    (2, "E01", "Expectations\\Learning", "Learn from each other"),
    (5, "focus group 3", "Focus-group themes\\Content of training\\Joint training", "joint training"),
    (4, "focus_group_3", "Focus-group themes\\Constraints", "We need joint training — really.\n\nBob: Supervision"),
    (6, "Focus Group 3", "Focus-group themes\\Constraints\\Time", "Supervision time is short"),
    (7, "O07", "Obstacles\\Resources\\Planning", "naïve planning"),
    (8, "O07", "Obstacles\\Resources\\Time", "No cover for staff"),
    (8, "O07", "Obstacles\\Resources", "No cover for staff"),  # one highlight, two tags
]


def write_taguette(path: Path, rows=TAGUETTE_ROWS) -> Path:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["id", "document", "tag", "content"])
    w.writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


def codebook_xml(*, descriptions=True) -> str:
    desc = "<Description>Learning with and from others</Description>" if descriptions else ""
    return f"""<CodeBook><Codes>
    <Code guid="{guid("c-expectations")}" name="Expectations" isCodable="false" color="#ff0000">
      <Code guid="{guid("c-learning")}" name="Learning" isCodable="true">{desc}
        <Code guid="{guid("c-shared")}" name="Shared learning" isCodable="true"/>
      </Code>
    </Code>
    <Code guid="{guid("c-obstacles")}" name="Obstacles" isCodable="true">
      <Code guid="{guid("c-resources")}" name="Resources" isCodable="true">
        <Code guid="{guid("c-planning")}" name="Planning" isCodable="false"/>
        <Code guid="{guid("c-time-o")}" name="Time" isCodable="true"/>
      </Code>
    </Code>
    <Code guid="{guid("c-fg")}" name="Focus-group themes" isCodable="false">
      <Code guid="{guid("c-content")}" name="Content of training" isCodable="false">
        <Code guid="{guid("c-joint")}" name="Joint training" isCodable="true"/>
      </Code>
      <Code guid="{guid("c-constraints")}" name="Constraints" isCodable="true">
        <Code guid="{guid("c-time-fg")}" name="Time" isCodable="true"/>
      </Code>
    </Code>
  </Codes></CodeBook>"""


def selection(start: int, end: int, codes: list[str], name: str | None, user: str | None = "u-ab") -> str:
    name_attr = f' name="{_xml_attr(name)}"' if name is not None else ""
    by = f' creatingUser="{guid(user)}"' if user else ""
    codings = "".join(f'<Coding guid="{guid(f"k{start}{c}")}"{by}><CodeRef targetGUID="{guid(c)}"/></Coding>' for c in codes)
    attrs = f'guid="{guid(f"s{start}-{end}")}"{name_attr} startPosition="{start}" endPosition="{end}"'
    return f"<PlainTextSelection {attrs}>{codings}</PlainTextSelection>"


def _xml_attr(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace("\n", "&#10;")


def project_xml(*, fg3_mode="two", names=True, users=True, sets=True, descriptions=True, fg3_selections=None, extra_codings="") -> str:
    """project.qde for the coding; Focus group 3 positions counted with CRLF as ``fg3_mode`` code points."""
    nm = (lambda t: t) if names else (lambda t: None)
    fg3 = fg3_selections or FG3_SELECTIONS
    fg3_sel = "".join(
        selection(ts if fg3_mode == "two" else s, te if fg3_mode == "two" else e, [code], nm(text)) for s, e, ts, te, code, text in fg3
    )
    users_xml = f'<Users><User guid="{guid("u-ab")}" name="AB"/></Users>' if users else ""
    sets_xml = (
        f"""<Sets>
    <Set guid="{guid("set-e")}" name="{GROUP_E}"><MemberSource targetGUID="{guid("src-e01")}"/></Set>
    <Set guid="{guid("set-o")}" name="{GROUP_O}"><MemberSource targetGUID="{guid("src-o07")}"/></Set>
    <Set guid="{guid("set-fg")}" name="{GROUP_FG}"><MemberSource targetGUID="{guid("src-fg3")}"/></Set>
  </Sets>"""
        if sets
        else ""
    )
    return f"""<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="urn:QDA-XML:project:1.0" name="hand-made" origin="test">
  {users_xml}
  {codebook_xml(descriptions=descriptions)}
  <Sources>
    <TextSource guid="{guid("src-e01")}" name="E01" plainTextPath="internal://{guid("src-e01")}.txt">
      {selection(38, 55, ["c-shared"], nm("Shared cases help"))}
      {selection(0, 21, ["c-learning"], nm("Learn from each other"))}
    </TextSource>
    <TextSource guid="{guid("src-o07")}" name="O07" plainTextPath="internal://{guid("src-o07")}.txt">
      {selection(18, 32, ["c-planning"], nm("naïve planning"))}
      {selection(34, 52, ["c-time-o", "c-resources"], nm("No cover for staff"))}
      {extra_codings}
    </TextSource>
    <TextSource guid="{guid("src-fg3")}" name="Focus group 3" plainTextPath="internal://{guid("src-fg3")}.txt">
      {fg3_sel}
    </TextSource>
  </Sources>
  {sets_xml}
</Project>
"""


def write_qdpx(path: Path, xml: str | None = None, *, folder="sources", texts=None, skip=()) -> Path:
    texts = texts or {"src-e01": E01, "src-o07": O07, "src-fg3": FG3_RAW}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("project.qde", project_xml() if xml is None else xml)
        for key, text in texts.items():
            if key not in skip:
                # newline="" semantics: the bytes hold CRLF exactly as the tool wrote them
                zf.writestr(f"{folder}/{guid(key)}.txt", text.encode("utf-8"))
    return path


@pytest.fixture
def maxqda_csv(tmp_path):
    return write_maxqda(tmp_path / "coded_segments.csv")


@pytest.fixture
def taguette_csv(tmp_path):
    return write_taguette(tmp_path / "highlights.csv")


@pytest.fixture
def qdpx(tmp_path):
    return write_qdpx(tmp_path / "project.qdpx")


def assert_segments(actual: pd.DataFrame, expected: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(actual.reset_index(drop=True), expected.reset_index(drop=True), check_dtype=False)


# --------------------------------------------------------------------------- helpers
def test_normalise_newlines():
    assert normalise_newlines("a\r\nb\rc\nd\r\n\r\n") == "a\nb\nc\nd\n\n"


def test_split_code_path():
    assert split_code_path("Expectations > Learning > Shared learning") == ["Expectations", "Learning", "Shared learning"]
    assert split_code_path("Obstacles\\Resources\\ Time ", "\\") == ["Obstacles", "Resources", "Time"]
    assert split_code_path("Obstacles >  > Time > ") == ["Obstacles", "Time"]


def test_detect_format(maxqda_csv, taguette_csv, qdpx, tmp_path):
    assert detect_format(maxqda_csv) == "maxqda"
    assert detect_format(taguette_csv) == "taguette"
    assert detect_format(qdpx) == "refi-qda"
    renamed = tmp_path / "project.zip"
    renamed.write_bytes(qdpx.read_bytes())
    assert detect_format(renamed) == "refi-qda"  # by content, not only by extension


# --------------------------------------------------------------------------- one coding, three shapes
def test_each_shape_reads_to_the_expected_table(maxqda_csv, taguette_csv, qdpx):
    mx = read_coded_export(maxqda_csv, documents=DOCUMENTS)
    tg = read_coded_export(taguette_csv, documents=DOCUMENTS)
    rq = read_coded_export(qdpx)
    assert (mx.format, tg.format, rq.format) == ("maxqda", "taguette", "refi-qda")
    assert list(mx.segments.columns) == ["document", "document_group", "code_path", "start", "end", "text", "coder"]
    assert_segments(mx.segments, EXPECTED)
    assert_segments(rq.segments, EXPECTED)
    assert mx.coders == rq.coders == ["Coder A"]
    # Taguette has no document groups and records no coder; everything else is the same.
    assert set(tg.segments["document_group"]) == set(tg.segments["coder"]) == {""}
    assert tg.coders == []
    assert_segments(tg.segments.assign(document_group=EXPECTED["document_group"], coder="Coder A"), EXPECTED)


def test_all_three_shapes_give_identical_segments(maxqda_csv, taguette_csv, qdpx):
    mx = read_coded_export(maxqda_csv, documents=DOCUMENTS).segments
    rq = read_coded_export(qdpx).segments
    tg = read_coded_export(taguette_csv, documents=DOCUMENTS).segments
    pd.testing.assert_frame_equal(mx, rq)
    pd.testing.assert_frame_equal(mx.drop(columns=["document_group", "coder"]), tg.drop(columns=["document_group", "coder"]))


def test_documents_are_lf_normalised_and_text_is_a_slice(maxqda_csv, qdpx):
    for result in (read_coded_export(maxqda_csv, documents=DOCUMENTS), read_coded_export(qdpx)):
        assert result.documents == {"E01": E01, "O07": O07, "Focus group 3": FG3}
        for r in result.segments.itertuples():
            assert result.documents[r.document][r.start : r.end] == r.text


def test_document_names_matched_ignoring_case_and_punctuation(taguette_csv):
    result = read_coded_export(taguette_csv, documents=DOCUMENTS)
    assert sorted(result.segments["document"].unique()) == ["E01", "Focus group 3", "O07"]  # names as given


def test_non_ascii_offsets_are_code_points():
    prefix = O07[:18]
    assert prefix == "Time 😀 and money: "
    # Code points, not UTF-16 units nor UTF-8 bytes: the fixture would catch either.
    assert (len(prefix), len(prefix.encode("utf-16-le")) // 2, len(prefix.encode("utf-8"))) == (18, 19, 21)
    row = EXPECTED[EXPECTED.code_path == PLANNING].iloc[0]
    assert (row.start, row.end, O07[row.start : row.end]) == (18, 32, "naïve planning")


def test_qdpx_codebook_levels_from_nesting_not_is_codable(qdpx):
    cb = read_coded_export(qdpx).codebook
    assert list(cb.columns) == ["code_path", "name", "level", "parent", "description"]
    rows = [tuple(r) for r in cb.itertuples(index=False)]
    assert rows == [
        ("Expectations", "Expectations", 1, "", ""),
        (LEARNING, "Learning", 2, "Expectations", "Learning with and from others"),
        (SHARED, "Shared learning", 3, LEARNING, ""),
        ("Obstacles", "Obstacles", 1, "", ""),
        (RESOURCES, "Resources", 2, "Obstacles", ""),
        (PLANNING, "Planning", 3, RESOURCES, ""),  # isCodable="false" on a leaf: still level 3
        (TIME_O, "Time", 3, RESOURCES, ""),
        ("Focus-group themes", "Focus-group themes", 1, "", ""),
        ("Focus-group themes > Content of training", "Content of training", 2, "Focus-group themes", ""),
        (JOINT, "Joint training", 3, "Focus-group themes > Content of training", ""),
        (CONSTRAINTS, "Constraints", 2, "Focus-group themes", ""),
        (TIME_FG, "Time", 3, CONSTRAINTS, ""),
    ]


def test_tabular_codebook_holds_every_level(maxqda_csv):
    cb = read_coded_export(maxqda_csv, documents=DOCUMENTS).codebook
    assert cb["code_path"].tolist() == [
        "Expectations",
        LEARNING,
        SHARED,
        "Focus-group themes",
        "Focus-group themes > Content of training",
        JOINT,
        CONSTRAINTS,
        TIME_FG,
        "Obstacles",
        RESOURCES,
        PLANNING,
        TIME_O,
    ]
    assert cb.set_index("code_path").loc[JOINT, ["level", "parent"]].tolist() == [3, "Focus-group themes > Content of training"]


# --------------------------------------------------------------------------- CRLF in .qdpx
FG3_EXPECTED = EXPECTED[EXPECTED.document == "Focus group 3"].reset_index(drop=True)


@pytest.mark.parametrize(
    ("fg3_mode", "crlf", "names"),
    [("two", "two", False), ("one", "one", False), ("two", "auto", True), ("one", "auto", True), ("two", "auto", False)],
)
def test_crlf_counted_either_way_gives_the_same_lf_offsets(tmp_path, fg3_mode, crlf, names):
    path = write_qdpx(tmp_path / "p.qdpx", project_xml(fg3_mode=fg3_mode, names=names))
    seg = read_coded_export(path, crlf=crlf).segments
    assert_segments(seg[seg.document == "Focus group 3"], FG3_EXPECTED)


def test_crlf_one_forced_as_two_pulls_positions_back(tmp_path):
    # Positions counted with CRLF as one, read as "two": each position is pulled back by the
    # CRLFs before it (one before 39, 47, 61; three before 89, 78, 103).
    path = write_qdpx(tmp_path / "p.qdpx", project_xml(fg3_mode="one", names=False))
    seg = read_coded_export(path, crlf="two").segments
    got = seg[seg.document == "Focus group 3"][["start", "end"]].values.tolist()
    assert got == [[38, 86], [46, 60], [75, 100]]
    # Read as "two", those cut words: "two" puts 0 of the 6 ends on word boundaries, "one" all 6.
    # Without names to tell, auto follows the word boundaries.
    auto = read_coded_export(path, crlf="auto")
    assert auto.crlf == "one" and "word boundaries" in auto.evidence["reason"]
    assert_segments(auto.segments[auto.segments.document == "Focus group 3"], FG3_EXPECTED)


# --------------------------------------------------------------------------- lenient parsing
@pytest.mark.parametrize("folder", ["Sources", "SOURCES", "sources"])
def test_sources_folder_any_case(tmp_path, folder):
    path = write_qdpx(tmp_path / "p.qdpx", folder=folder)
    assert_segments(read_coded_export(path).segments, EXPECTED)


@pytest.mark.parametrize("upper_in", ["xml", "zip"])
def test_plain_text_file_name_matched_ignoring_case(tmp_path, upper_in):
    name = f"{guid('src-e01')}.txt"
    xml = project_xml().replace(f"internal://{name}", f"internal://{name.upper()}") if upper_in == "xml" else project_xml()
    path = tmp_path / "p.qdpx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("project.qde", xml)
        zf.writestr(f"sources/{name.upper() if upper_in == 'zip' else name}", E01)
        zf.writestr(f"sources/{guid('src-o07')}.txt", O07)
        zf.writestr(f"sources/{guid('src-fg3')}.txt", FG3_RAW)
    assert read_coded_export(path).documents["E01"] == E01


def test_missing_optional_elements(tmp_path):
    xml = project_xml(users=False, sets=False, descriptions=False, names=False)
    result = read_coded_export(write_qdpx(tmp_path / "p.qdpx", xml))
    assert set(result.segments["document_group"]) == {""}
    assert_segments(result.segments.drop(columns="document_group"), EXPECTED.drop(columns="document_group"))
    assert set(result.codebook["description"]) == {""}


def test_project_without_codebook_or_sources_is_empty(tmp_path):
    xml = '<?xml version="1.0"?><Project xmlns="urn:QDA-XML:project:1.0" name="empty"/>'
    result = read_coded_export(write_qdpx(tmp_path / "p.qdpx", xml))
    assert (len(result.segments), len(result.codebook), result.documents) == (0, 0, {})
    assert list(result.segments.columns) == ["document", "document_group", "code_path", "start", "end", "text", "coder"]


def test_maxqda_semicolon_with_bom(tmp_path, maxqda_csv):
    path = write_maxqda(tmp_path / "semicolon.csv", delimiter=";", bom=True)
    assert path.read_bytes().startswith(b"\xef\xbb\xbfColor;Document group;")
    result = read_coded_export(path, documents=DOCUMENTS)
    assert result.format == "maxqda"
    assert_segments(result.segments, EXPECTED)


def test_maxqda_custom_separator_gives_canonical_paths(tmp_path):
    rows = [(GROUP_E, "E01", "Expectations/Learning/Shared learning", 2, 2, "Shared cases help")]
    result = read_coded_export(write_maxqda(tmp_path / "m.csv", rows), documents=DOCUMENTS, separator="/")
    assert result.segments["code_path"].tolist() == [SHARED]
    assert result.segments[["start", "end"]].values.tolist() == [[38, 55]]


def test_maxqda_repeated_text_in_one_paragraph_takes_next_occurrence(tmp_path):
    docs = {"N1": "time, no time, time\nend"}
    rows = [("", "N1", "A > B", 1, 1, "time"), ("", "N1", "A > B", 1, 1, "time"), ("", "N1", "A > C", 1, 1, "time")]
    seg = read_coded_export(write_maxqda(tmp_path / "m.csv", rows), documents=docs).segments
    assert seg[["code_path", "start", "end"]].values.tolist() == [["A > B", 0, 4], ["A > C", 0, 4], ["A > B", 9, 13]]


def test_taguette_repeated_content_takes_next_unused_occurrence_in_id_order(tmp_path):
    docs = {"Note 1": "Time\r\nNo time, no time."}  # LF text: "time" at 8..12 and 17..21 (case-sensitive)
    rows = [
        (7, "Note 1", "Obstacles\\Time", "time"),
        (3, "Note 1", "Obstacles\\Time", "time"),
        (3, "Note 1", "Obstacles", "time"),  # same highlight, second tag: same place
    ]
    seg = read_coded_export(write_taguette(tmp_path / "t.csv", rows), documents=docs).segments
    assert seg[["code_path", "start", "end"]].values.tolist() == [
        ["Obstacles", 8, 12],
        ["Obstacles > Time", 8, 12],
        ["Obstacles > Time", 17, 21],
    ]


def test_taguette_whitespace_insensitive_match(tmp_path):
    rows = [(1, "O07", "Obstacles\\Resources\\Time", "No  cover\tfor staff")]
    seg = read_coded_export(write_taguette(tmp_path / "t.csv", rows), documents=DOCUMENTS).segments
    assert seg[["start", "end", "text"]].values.tolist() == [[34, 52, "No cover for staff"]]


def test_result_type(qdpx):
    assert isinstance(read_coded_export(qdpx, fmt="refi-qda"), CodedExport)


# --------------------------------------------------------------------------- errors
def error_line(excinfo) -> str:
    line = excinfo.value.line()
    assert "\n" not in line and line.startswith("ERROR ")
    return line


def test_maxqda_unknown_document(tmp_path):
    path = write_maxqda(tmp_path / "m.csv", [(GROUP_E, "E99", SHARED, 1, 1, "Shared")])
    with pytest.raises(InputError) as ei:
        read_coded_export(path, documents=DOCUMENTS)
    line = error_line(ei)
    assert str(path) in line and "unknown document" in line and "'E99'" in line and "row 2" in line


def test_taguette_unknown_document(tmp_path):
    path = write_taguette(tmp_path / "t.csv", [(1, "Focus group 9", "A\\B", "joint")])
    with pytest.raises(InputError) as ei:
        read_coded_export(path, documents=DOCUMENTS)
    line = error_line(ei)
    assert str(path) in line and "unknown document" in line and "'Focus group 9'" in line


def test_qdpx_plain_text_file_missing(tmp_path):
    path = write_qdpx(tmp_path / "p.qdpx", skip=("src-o07",))
    with pytest.raises(InputError) as ei:
        read_coded_export(path)
    line = error_line(ei)
    # Named by ordinal and GUID: a source name may identify someone.
    assert str(path) in line and f"plain text file of source #2 (guid {guid('src-o07')}) is missing from the zip" in line
    assert "O07" not in line


def test_qdpx_unknown_code_guid(tmp_path):
    extra = selection(0, 4, ["c-nowhere"], None)
    path = write_qdpx(tmp_path / "p.qdpx", project_xml(extra_codings=extra))
    with pytest.raises(InputError) as ei:
        read_coded_export(path)
    line = error_line(ei)
    assert str(path) in line and "refers to a code that is not in the codebook" in line and guid("c-nowhere") in line


def test_maxqda_paragraph_beyond_document(tmp_path):
    path = write_maxqda(tmp_path / "m.csv", [(GROUP_E, "E01", SHARED, 2, 3, "Shared")])  # E01 has 2 paragraphs
    with pytest.raises(InputError) as ei:
        read_coded_export(path, documents=DOCUMENTS)
    line = error_line(ei)
    assert str(path) in line and "offset outside its text" in line and "column 'End'" in line and "1..2" in line


def test_maxqda_beginning_after_end(tmp_path):
    path = write_maxqda(tmp_path / "m.csv", [(GROUP_E, "E01", SHARED, 2, 1, "Shared")])
    with pytest.raises(InputError) as ei:
        read_coded_export(path, documents=DOCUMENTS)
    assert "start > end" in error_line(ei) and str(path) in error_line(ei)


@pytest.mark.parametrize(("start", "end", "where"), [(50, 54, "beyond the end"), (-1, 3, "before the start")])
def test_qdpx_selection_outside_text(tmp_path, start, end, where):
    # O07 has 53 code points (54 UTF-16 units: 54 would fit in UTF-16 units, but the other
    # O07 selections fall on word boundaries only in code points, so code points are chosen).
    extra = selection(start, end, ["c-time-o"], None)
    path = write_qdpx(tmp_path / "p.qdpx", project_xml(extra_codings=extra))
    with pytest.raises(InputError) as ei:
        read_coded_export(path, crlf="two")
    line = error_line(ei)
    assert str(path) in line and f"offset outside its text: a selection lies {where} of source #2 (guid {guid('src-o07')})" in line
    assert f"selection guid {guid(f's{start}-{end}')}" in line and f"code guid {guid('c-time-o')}" in line
    assert f"startPosition {start}, endPosition {end}" in line and "positions 0..53 (code points" in line
    assert "O07" not in line and "cover" not in line


def test_qdpx_start_after_end(tmp_path):
    extra = selection(10, 4, ["c-time-o"], None)
    path = write_qdpx(tmp_path / "p.qdpx", project_xml(extra_codings=extra))
    with pytest.raises(InputError) as ei:
        read_coded_export(path)
    line = error_line(ei)
    assert f"start > end in a selection of source #2 (guid {guid('src-o07')}), selection guid {guid('s10-4')}" in line
    assert "startPosition 10, endPosition 4" in line and "O07" not in line


def test_not_a_zip(tmp_path):
    path = tmp_path / "p.qdpx"
    path.write_text("this is not a zip", encoding="utf-8")
    with pytest.raises(InputError) as ei:
        read_coded_export(path)
    line = error_line(ei)
    assert str(path) in line and "not a readable zip archive" in line


def test_truncated_zip(tmp_path, qdpx):
    path = tmp_path / "truncated.qdpx"
    path.write_bytes(qdpx.read_bytes()[:200])
    with pytest.raises(InputError) as ei:
        read_coded_export(path)
    assert "not a readable zip archive" in error_line(ei)


def test_corrupt_member_in_zip(tmp_path):
    path = tmp_path / "p.qdpx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("project.qde", project_xml())
    data = bytearray(path.read_bytes())
    i = data.index(b"hand-made")
    data[i : i + 9] = b"HAND-MADE"  # payload no longer matches its CRC
    path.write_bytes(bytes(data))
    with pytest.raises(InputError) as ei:
        read_coded_export(path)
    line = error_line(ei)
    assert str(path) in line and "corrupt" in line and "project.qde" in line


def test_project_qde_missing(tmp_path):
    path = tmp_path / "p.qdpx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(f"sources/{guid('src-e01')}.txt", E01)
    with pytest.raises(InputError) as ei:
        read_coded_export(path)
    line = error_line(ei)
    assert str(path) in line and "project.qde missing" in line


def test_malformed_xml_reports_line_and_column(tmp_path):
    xml = '<?xml version="1.0"?>\n<Project xmlns="urn:QDA-XML:project:1.0">\n  <CodeBook><Codes></CodeBook>\n</Project>\n'
    path = write_qdpx(tmp_path / "p.qdpx", xml)
    with pytest.raises(InputError) as ei:
        read_coded_export(path)
    line = error_line(ei)
    assert str(path) in line and "project.qde is not well-formed XML (line 3, column 21)" in line


def test_maxqda_required_column_missing(tmp_path):
    header = [h for h in MAXQDA_HEADER if h != "Segment"]
    path = write_maxqda(tmp_path / "m.csv", header=header)
    with pytest.raises(InputError) as ei:
        read_coded_export(path, fmt="maxqda", documents=DOCUMENTS)
    line = error_line(ei)
    assert str(path) in line and "required column missing" in line and "column 'Segment'" in line


def test_taguette_required_column_missing(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("id,document,tag\n1,E01,A\n", encoding="utf-8")
    with pytest.raises(InputError) as ei:
        read_coded_export(path, fmt="taguette", documents=DOCUMENTS)
    assert "required column missing" in error_line(ei) and "column 'content'" in error_line(ei)


def test_segment_not_found_never_quotes_the_text(tmp_path):
    secret = "Call Zoë on 07700 900123"
    path = write_maxqda(tmp_path / "m.csv", [(GROUP_E, "E01", SHARED, 1, 2, secret)])
    with pytest.raises(InputError) as ei:
        read_coded_export(path, documents=DOCUMENTS)
    line = error_line(ei)
    assert "segment text not found in paragraphs 1..2 of its document" in line and "row 2" in line
    assert WITHHELD in line and "07700" not in line and "Zoë" not in line


def test_segment_outside_its_paragraphs_is_not_found(tmp_path):
    # The text exists in E01, but in paragraph 2, not in paragraph 1.
    path = write_maxqda(tmp_path / "m.csv", [(GROUP_E, "E01", SHARED, 1, 1, "Shared cases help")])
    with pytest.raises(InputError, match=r"segment text not found in paragraphs 1\.\.1 "):
        read_coded_export(path, documents=DOCUMENTS)


def test_taguette_content_not_found_never_quotes_the_text(tmp_path):
    path = write_taguette(tmp_path / "t.csv", [(1, "O07", "A\\B", "Ring 07700 900123")])
    with pytest.raises(InputError) as ei:
        read_coded_export(path, documents=DOCUMENTS)
    line = error_line(ei)
    assert "highlight text not found in its document" in line and WITHHELD in line and "07700" not in line


def test_unknown_csv_shape(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("File,Coder,Codename\na,b,c\n", encoding="utf-8")
    with pytest.raises(InputError) as ei:
        read_coded_export(path, documents=DOCUMENTS)
    line = error_line(ei)
    assert str(path) in line and "cannot tell which QDA tool wrote this coded export" in line


def test_tabular_shapes_need_documents(maxqda_csv):
    with pytest.raises(ValueError, match="documents"):
        read_coded_export(maxqda_csv)
