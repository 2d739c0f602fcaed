"""REFI-QDA projects (``.qdpx``): ``project.qde`` (XML, ``urn:QDA-XML:project:1.0``) plus ``sources/``.

What is read, and how:

* **Text.** Each ``TextSource``'s plain text (``plainTextPath`` inside the zip, else
  ``PlainTextContent``), BOM dropped, CRLF kept until positions are mapped. Its
  ``PlainTextSelection`` codings become segments; a ``Coding`` directly on the source codes
  the whole document. A ``PDFSource`` whose ``Representation`` carries plain text is read
  the same way: that text is the one the tool itself extracted and coded, under the PDF
  source's name.
* **Not text.** Codings on PDF regions (``PDFSelection``), pictures, audio and video
  (including ``TranscriptSelection``, placed by sync points) are counted per kind in
  ``CodedExport.skipped`` and logged, never dropped silently.
* **Positions** are mapped to LF-normalised code-point offsets under one convention for the
  whole project, chosen by ``_offsets.decide`` (``offset_unit``, ``crlf``: ``auto`` or fixed)
  and logged with its reason and counts.
* **Names.** A source is named by its ``name``; a source without one by the first file name
  (without extension) among ``plainTextPath``, ``richTextPath`` and ``path`` that is not a
  bare GUID (internal files are named by GUID), else by its GUID. A known document
  extension is dropped (ATLAS.ti writes ``Focus group 1.txt``).
* **Coders.** A segment's coder is the ``creatingUser`` of its ``Coding``, else of its
  selection, labelled ``Coder A``, ``Coder B``… in the order of the ``Users`` list (then of
  first appearance); blank when neither says. User names are never read into the result.
* **Errors** name sources, selections and codes by ordinal and GUID, never by name or text.

Hardening: the zip and its members pass the limits of ``_container``; ``project.qde`` is
parsed with ``defusedxml`` (no DTD, entities or external references); codes are walked
without recursion and refused beyond :data:`MAX_CODE_DEPTH` levels.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as DET
from defusedxml import DefusedXmlException

from errors import InputError, Stated

from . import _container
from ._common import CodedExport, CoderLabels, Problems, codebook_frame, collapse, join_levels, result, strip_document_extension
from ._offsets import Decision, SourceText, decide, producer

log = logging.getLogger("ripls.qda")

NAME = "refi-qda"
TOOL = "REFI-QDA project (.qdpx) from ATLAS.ti, MAXQDA, NVivo, QualCoder and others"
QDA_NAMESPACE = "urn:QDA-XML:project:1.0"
#: Deepest code hierarchy read (real codebooks have 2-6 levels).
MAX_CODE_DEPTH = 100
SOURCE_KINDS = {"TextSource": "text", "PDFSource": "pdf", "PictureSource": "picture", "AudioSource": "audio", "VideoSource": "video"}
PDF_HINT = (
    "codes on PDF regions have no text offsets: export the PDF's text as a text document and code that, "
    "or export from a tool that writes the PDF's plain-text Representation into the .qdpx"
)
_GUID = re.compile(r"\{?[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\}?")


def detect(kind: str, header: list[str] | None) -> bool:
    return kind == "qdpx"


@dataclass
class _Selection:
    guid: str
    start: int
    end: int
    name: str
    codings: list[tuple[str, str, str]]  # (code guid key, coder key, code guid as written)
    whole: bool = False  # a Coding on the source itself: the whole document


@dataclass
class _Text:
    ordinal: int
    guid: str
    name: str
    group: str
    src: SourceText
    selections: list[_Selection] = field(default_factory=list)


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _kids(el: Element | None, name: str) -> list[Element]:
    return [] if el is None else [c for c in el if _local(c.tag) == name]


def _kid(el: Element | None, name: str) -> Element | None:
    found = _kids(el, name)
    return found[0] if found else None


def _descendants(el: Element, name: str) -> Iterator[Element]:
    return (d for d in el.iter() if _local(d.tag) == name)


def guid_key(value: str | None) -> str:
    """GUIDs compared without braces and letter case (the XSD allows ``{…}``; tools differ in case)."""
    return (value or "").strip().strip("{}").lower()


# --------------------------------------------------------------------------- reading
def read(path, *, crlf: str = "auto", offset_unit: str = "auto", problems: Problems | None = None, **_options) -> CodedExport:
    """Read a .qdpx into a :class:`CodedExport` (see the module docstring)."""
    p = Path(path)
    problems = problems or Problems()
    with _container.open_zip(p, "REFI-QDA project", ".qdpx") as zf:
        members = [n for n in zf.namelist() if not n.endswith("/")]
        qde = _container.qde_member(members)
        if qde is None:
            raise InputError(
                p,
                "project.qde missing from the REFI-QDA project",
                found=Stated(f"{len(members)} files in the zip"),
                expected="a .qdpx holding project.qde",
            )
        if PurePosixPath(qde).name.lower() != "project.qde":
            log.info("the project XML is named after the project, not project.qde (as ATLAS.ti 26 writes it): read it")
        root = parse_qde(p, _container.read_member(zf, p, qde, label="project.qde"))
        sources_dir: dict[str, str] = {}
        for n in members:
            pp = PurePosixPath(n)
            if len(pp.parts) >= 2 and pp.parts[-2].lower() == "sources":
                sources_dir.setdefault(pp.name, n)
                sources_dir.setdefault(pp.name.lower(), n)
        return _read_project(p, root, zf, sources_dir, crlf=crlf, offset_unit=offset_unit, problems=problems)


def parse_qde(p: Path, data: bytes) -> Element:
    try:
        root = DET.fromstring(data, forbid_dtd=True)
    except ParseError as exc:
        line, col = exc.position
        raise InputError(
            p,
            f"project.qde is not well-formed XML (line {line}, column {col})",
            found=str(exc).split(":")[0],
            expected="the XML the QDA tool wrote (re-export the project)",
        ) from None
    except DefusedXmlException as exc:
        raise InputError(
            p,
            "project.qde declares a DTD, entities or external references (refused: they can read local files or exhaust memory)",
            found=type(exc).__name__,
            expected="plain REFI-QDA XML, as the QDA tools write it",
        ) from None
    if _local(root.tag) != "Project":
        raise InputError(
            p,
            "project.qde is not a REFI-QDA project",
            found=f"root element <{_local(root.tag)}>",
            expected=f"<Project xmlns={QDA_NAMESPACE!r}>",
        )
    return root


def read_codebook(p: Path, root: Element) -> tuple[dict[str, str], list[dict], int]:
    """Code guid -> code path, codebook rows in the tool's order (levels from nesting, not
    ``isCodable``), and the depth of the deepest code. Walked with a stack, not recursion."""
    by_guid: dict[str, str] = {}
    rows: dict[str, dict] = {}
    deepest = 0
    stack = [(code, ()) for code in reversed(_kids(_kid(_kid(root, "CodeBook"), "Codes"), "Code"))]
    while stack:
        code, parents = stack.pop()
        if len(parents) >= MAX_CODE_DEPTH:
            raise InputError(
                p,
                f"codes are nested more than {MAX_CODE_DEPTH} levels deep",
                found=f"code guid {(code.get('guid') or '').strip() or '<none>'} at level {len(parents) + 1}",
                expected=f"a code hierarchy of at most {MAX_CODE_DEPTH} levels",
            )
        name = (code.get("name") or code.get("guid") or "").strip()
        levels = (*parents, name)
        deepest = max(deepest, len(levels))
        path = join_levels(levels)
        if code.get("guid"):
            by_guid.setdefault(guid_key(code.get("guid")), path)
        if path not in rows:
            desc = _kid(code, "Description")
            rows[path] = {
                "code_path": path,
                "name": name,
                "level": len(levels),
                "parent": join_levels(parents),
                "description": collapse(desc.text or "") if desc is not None else "",
            }
        stack.extend((child, levels) for child in reversed(_kids(code, "Code")))
    return by_guid, list(rows.values()), deepest


def source_name(el: Element, guid: str) -> str:
    """``name``; else the first non-GUID file stem of plainTextPath, richTextPath, path; else the GUID."""
    name = (el.get("name") or "").strip()
    if name:
        return strip_document_extension(name)
    for attr in ("plainTextPath", "richTextPath", "path"):
        ref = re.sub(r"^[a-z]+:/*", "", (el.get(attr) or "").strip(), flags=re.IGNORECASE).replace("\\", "/")
        stem = PurePosixPath(ref).stem if ref else ""
        if stem and not _GUID.fullmatch(stem):
            return strip_document_extension(stem)
    return guid


def _text(p: Path, zf, sources_dir: dict[str, str], el: Element, where: str) -> str:
    ref = (el.get("plainTextPath") or "").strip()
    if ref:
        if re.match(r"[a-z]+:", ref, re.IGNORECASE) and not ref.lower().startswith("internal:"):
            raise InputError(
                p,
                f"plain text of {where} is outside the .qdpx",
                found=f"a {ref.split(':', 1)[0]} path",
                expected="sources embedded in the .qdpx (export the project with its sources)",
            )
        fname = PurePosixPath(re.sub(r"^[a-z]+://", "", ref, flags=re.IGNORECASE).replace("\\", "/")).name
        member = sources_dir.get(fname) or sources_dir.get(fname.lower())
        if member is not None:
            data = _container.read_member(zf, p, member, label=f"the plain text of {where}")
            if data.startswith(b"\xef\xbb\xbf"):
                data = data[3:]
            try:
                return data.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise InputError(
                    p,
                    f"plain text of {where} is not valid UTF-8",
                    found=Stated(f"byte 0x{data[exc.start]:02X}"),
                    expected="UTF-8 plain text",
                ) from None
    content = _kid(el, "PlainTextContent")
    if content is not None and content.text is not None:
        return content.text
    raise InputError(
        p,
        f"plain text file of {where} is missing from the zip",
        found="a plainTextPath naming no file in sources/" if ref else "no plainTextPath and no PlainTextContent",
        expected="the file named by plainTextPath in the sources/ folder of the .qdpx",
    )


def _position(p: Path, sel: Element, attr: str, where: str) -> int:
    value = (sel.get(attr) or "").strip()
    if not re.fullmatch(r"-?\d+", value):
        raise InputError(
            p, f"a selection in {where} has no whole-number {attr}", column=attr, found=value or "nothing", expected="a position >= 0"
        )
    return int(value)


def _codings(el: Element, fallback_user: str) -> list[tuple[str, str, str]]:
    out = []
    for coding in _kids(el, "Coding"):
        coder = guid_key(coding.get("creatingUser")) or fallback_user
        out.extend((guid_key(ref.get("targetGUID")), coder, (ref.get("targetGUID") or "").strip()) for ref in _kids(coding, "CodeRef"))
    return out


def _text_source(p: Path, zf, sources_dir, el: Element, t: _Text, problems: Problems) -> None:
    """Fill ``t`` with the selections of text element ``el`` (a TextSource or a PDF Representation)."""
    where = f"source #{t.ordinal} (guid {t.guid})"
    for sel in _kids(el, "PlainTextSelection"):
        sguid = (sel.get("guid") or "").strip()
        try:
            at = f"{where} (selection guid {sguid})"
            start, end = _position(p, sel, "startPosition", at), _position(p, sel, "endPosition", at)
            if start > end:
                raise InputError(
                    p,
                    f"start > end in a selection of {where}, selection guid {sguid}",
                    found=Stated(f"startPosition {start}, endPosition {end}"),
                    expected="startPosition <= endPosition",
                )
        except InputError as err:
            problems.add(err, source=t.guid, selection=sguid)
            continue
        t.selections.append(_Selection(sguid, start, end, sel.get("name") or "", _codings(sel, guid_key(sel.get("creatingUser")))))
    whole = _codings(el, "")
    if whole:
        t.selections.append(_Selection(t.guid, 0, 0, "", whole, whole=True))


def _read_project(p: Path, root: Element, zf, sources_dir, *, crlf: str, offset_unit: str, problems: Problems) -> CodedExport:
    tool = producer(root.get("origin") or "")
    users = [guid_key(u.get("guid")) for u in _kids(_kid(root, "Users"), "User")]
    by_guid, code_rows, depth = read_codebook(p, root)
    groups: dict[str, str] = {}
    for s in _kids(_kid(root, "Sets"), "Set"):
        for m in _kids(s, "MemberSource"):
            groups.setdefault(guid_key(m.get("targetGUID")), (s.get("name") or "").strip())

    texts: list[_Text] = []
    skipped: dict[str, dict[str, int]] = {}
    sources_el = _kid(root, "Sources")
    for ordinal, src in enumerate(list(sources_el) if sources_el is not None else [], start=1):
        tag = _local(src.tag)
        kind = SOURCE_KINDS.get(tag, tag.lower())
        guid = (src.get("guid") or "").strip()
        read_as_text: Element | None = src if tag == "TextSource" else None
        if tag == "PDFSource":
            rep = _kid(src, "Representation")
            if rep is not None and ((rep.get("plainTextPath") or "").strip() or _kid(rep, "PlainTextContent") is not None):
                read_as_text = rep
        if read_as_text is not None:
            raw = _text(p, zf, sources_dir, read_as_text, f"source #{ordinal} (guid {guid})")
            t = _Text(ordinal, guid, source_name(src, guid), groups.get(guid_key(guid), ""), SourceText(raw))
            _text_source(p, zf, sources_dir, read_as_text, t, problems)
            if read_as_text is not src:  # a PDF: codings on its source element count as whole-document
                t.selections.extend(_Selection(guid, 0, 0, "", c, whole=True) for c in [_codings(src, "")] if c)
            texts.append(t)
        if kind != "text":
            read_codings = sum(len(s.codings) for s in texts[-1].selections) if read_as_text is not None else 0
            all_codings = sum(len(_kids(c, "CodeRef")) for c in _descendants(src, "Coding"))
            counts = skipped.setdefault(kind, {"sources": 0, "codings": 0})
            counts["sources"] += 1
            counts["codings"] += all_codings - read_codings

    names: dict[str, str] = {}
    for t in texts:
        if t.name in names:
            raise InputError(
                p,
                "two text sources have the same name (ignoring a file extension)",
                found=f"source guids {names[t.name]} and {t.guid}",
                expected="distinct source names (rename one in the QDA tool)",
            )
        names[t.name] = t.guid

    decision = decide([(t.src, [(s.start, s.end, s.name) for s in t.selections if not s.whole]) for t in texts], offset_unit, crlf, tool)
    log.info("REFI-QDA positions read as %s", decision.describe())
    rows, coders = _segments(p, texts, by_guid, decision, users, problems)
    for kind, counts in sorted(skipped.items()):
        if counts["codings"]:
            log.warning("%d codings on %d %s sources are not on text and are not read", counts["codings"], counts["sources"], kind)
    if skipped.get("pdf", {}).get("codings"):
        log.warning("%s", PDF_HINT)
    return result(
        rows,
        {t.name: t.src.text for t in texts},
        codebook_frame(code_rows),
        NAME,
        coders,
        skipped=skipped,
        offset_unit=decision.unit,
        crlf=decision.crlf,
        evidence={**decision.evidence, "reason": decision.reason, "code_depth": depth},
        producer=tool,
    )


def _segments(p: Path, texts: list[_Text], by_guid: dict[str, str], d: Decision, users: list[str], problems: Problems):
    coders = CoderLabels(users)
    rows: list[dict] = []
    unit = "UTF-16 code units" if d.unit == "utf16" else "code points"
    for t in texts:
        text = t.src.text
        where = f"source #{t.ordinal} (guid {t.guid})"
        for sel in t.selections:
            codes = ", ".join(sorted({raw for _, _, raw in sel.codings})) or "none"
            if sel.whole:
                a, b = 0, len(text)
            else:
                a, b = t.src.to_lf(sel.start, d.unit, d.crlf), t.src.to_lf(sel.end, d.unit, d.crlf)
            if a is None or b is None:
                bad = sel.start if a is None else sel.end
                n = t.src.length(d.unit, d.crlf)
                place = "inside a character of" if 0 <= bad <= n else "before the start of" if bad < 0 else "beyond the end of"
                problems.add(
                    InputError(
                        p,
                        f"offset outside its text: a selection lies {place} {where}; selection guid {sel.guid}, code guid {codes}",
                        column="startPosition" if a is None else "endPosition",
                        found=Stated(f"startPosition {sel.start}, endPosition {sel.end}"),
                        expected=f"positions 0..{n} ({unit}, CRLF counted as {d.crlf}; "
                        "set the coded export's offset_unit or crlf in config.yaml if the tool counts otherwise)",
                    ),
                    source=t.guid,
                    selection=sel.guid,
                    codes=codes,
                    start=sel.start,
                    end=sel.end,
                )
                continue
            for code, coder, raw_code in sel.codings:
                if code not in by_guid:
                    problems.add(
                        InputError(
                            p,
                            f"a coding in {where} refers to a code that is not in the codebook",
                            found=f"targetGUID {raw_code}",
                            expected="the guid of a Code in CodeBook",
                        ),
                        source=t.guid,
                        selection=sel.guid,
                        codes=raw_code,
                    )
                    continue
                rows.append(
                    {
                        "document": t.name,
                        "document_group": t.group,
                        "code_path": by_guid[code],
                        "start": a,
                        "end": b,
                        "text": text[a:b],
                        "coder": coders.see(coder),
                    }
                )
    return rows, coders
