"""Anonymisation of the qualitative arm: the only code that reads raw free text.

It reads the flip-chart notes, the focus-group transcripts and the coded export(s) of the
QDA tool (any shape ``qda.read_coded_export`` reads), and writes their redacted versions:

* every roster participant becomes ``[Participant NN]``, numbered by the rank of a keyed
  HMAC of their e-mail, so the number says nothing about the roster's order and is the same
  in every file and on every rerun with the same key; facilitators become ``[Facilitator]``;
* e-mails, phones, NHS numbers, postcodes, places and services are replaced (``redact.py``);
* a speaker at the start of a turn who is on no list becomes ``[Unlisted speaker]``, so a
  name missing from the roster cannot survive as a speaker label;
* coded segments are re-mapped onto the redacted text, so they point at the same words.

Structural fields are treated like free text (issue 12): nothing read from a raw file
reaches ``results/`` unless it passed the redactor or is a configured label.

* **Documents get neutral ids.** Transcripts become ``Focus group 1`` ... in the order of
  their file names (compared without regard to case, runs of digits by value, so
  ``fg_10`` follows ``fg_9``); notes become ``note 001`` ... in the order of the notes
  file. The file names and note ids are used only to match the export's document names
  (ignoring case, punctuation and a file extension) and never leave this stage, except in
  ``restricted/document_key.csv`` (git-ignored, read by no rule). Errors name a transcript
  by its neutral id and position (``file 3 of 6 in name order``), a note by its row.
* **Code names are redacted** level by level, with the configured category names
  (``qualitative.codebook``) kept as they are. The hierarchy survives: each code keeps its
  level and parent, and two codes that redaction would make equal under one parent stay
  distinct: the first (configured categories first, then by original name) keeps the
  redacted name, the others get `` (2)``, `` (3)`` ... appended.
* **Coders** are neutral labels: from the reader (``Coder A`` ...), or, with one export per
  coder, the label the config gives it (``inputs.coded_export: [{path, coder}, ...]``).

What cannot be read is counted, never dropped silently: codings on non-text sources (PDF,
audio, ...) and exact duplicates go to the log and to ``qualitative_log.json``.
"""

import logging
import re
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from consensus import counted, shown
from contracts import result, write_result
from errors import InputError, one_of, set_value_redactor
from outputs import atomic_dir, write_csv, write_text
from provenance import sha256_file
from pseudonyms import demo_key_allowed, load_key, pseudonym
from qda import CodedExport, document_key, normalise_newlines, read_coded_export, split_code_path
from qda.refi_qda import NAME as REFI_QDA
from qda.refi_qda import PDF_HINT
from rawinput import normalise_header, read_csv_input, read_text_input
from redact import Person, Redacted, Redactor
from roster import read_facilitators, read_roster
from schemas import validate_frame
from stage import as_list, run_rule
from turns import participants

PARTICIPANT = "[Participant {n:02d}]"
FACILITATOR = "[Facilitator]"
UNLISTED = "[Unlisted speaker]"
TRANSCRIPT_ID = "Focus group {n}"
NOTE_ID = "note {n:0{width}d}"
SEGMENT_COLUMNS = ["segment_id", "source", "group", "coder", "code_path", "category", "theme", "sub_theme", "start", "end", "text"]
#: Raw inputs of this stage that a study may leave out (``inputs.<key>`` absent).
OPTIONAL_INPUTS = ("roster", "facilitators", "flipchart", "transcripts")
NOTE_COLUMNS = ["note_id", "sheet", "text"]


# ----------------------------------------------------------------------------- people
def participant_labels(roster: pd.DataFrame, key: bytes) -> dict[str, str]:
    """Roster name -> '[Participant NN]', NN the rank of HMAC(key, e-mail) (1-based)."""
    digests = {
        row["name"]: pseudonym(key, row["email"] or row["name"], domain="participant", length=64) for row in roster.to_dict("records")
    }
    width = max(2, len(str(len(digests))))
    ranked = sorted(digests, key=lambda name: digests[name])
    return {name: f"[Participant {i:0{width}d}]" for i, name in enumerate(ranked, start=1)}


def people_for(roster: pd.DataFrame, facilitators: Sequence[str], key: bytes) -> list[Person]:
    labels = participant_labels(roster, key)
    people = [Person(name=n, label=labels[n], category="participant") for n in roster["name"]]
    people += [Person(name=n, label=FACILITATOR, category="facilitator") for n in facilitators]
    return people


def unlisted_speakers(texts: Mapping[str, str], pattern: str, redactor: Redactor) -> list[str]:
    """Speaker names at the start of turns that no list covers (after redaction they would
    still be readable)."""
    rx = re.compile(pattern, re.MULTILINE)
    found = set()
    for text in texts.values():
        for m in rx.finditer(text):
            speaker = m.group("speaker").strip()
            if speaker and not redactor.redact(speaker).edits:
                found.add(speaker)
    return sorted(found)


def lookup_field(grouping: str, spec: Mapping) -> str:
    """The field of an ``organisation_lookup`` entry that gives a level of ``grouping``:
    ``org_type`` for a grouping with ``source: lookup``, ``sector`` for ``fallback: lookup``."""
    if spec.get("source") == "lookup":
        return "org_type"
    if spec.get("fallback") == "lookup":
        return "sector"
    raise InputError(
        "config.yaml",
        "qualitative.speaker_grouping names a grouping that organisation_lookup does not give",
        key="qualitative.speaker_grouping",
        found=grouping,
        expected="a grouping under demographics with source: lookup or fallback: lookup (e.g. org_type)",
    )


def speaker_levels(roster: pd.DataFrame, labels: Mapping[str, str], speakers: Collection[str], config: Mapping) -> pd.DataFrame:
    """``speaker, level``: each participant who speaks in a transcript and the level of the
    ``qualitative.speaker_grouping`` their roster organisation has in ``organisation_lookup``
    (the survey's lookup; a blank organisation falls back to ``job_title_lookup``). Blank
    when no grouping is configured or the organisation is blank or not in the lookup."""
    grouping = config["qualitative"].get("speaker_grouping")
    level_of: dict[str, str] = {}
    if grouping:
        fld = lookup_field(grouping, config["demographics"][grouping])
        tables = [
            ("organisation", {normalise_header(k): v for k, v in config.get("organisation_lookup", {}).items()}),
            ("job_title", {normalise_header(k): v for k, v in config.get("job_title_lookup", {}).items()}),
        ]
        for row in roster.to_dict("records"):
            for role, table in tables:
                value = str(row.get(role, "") or "").strip()
                if value:
                    level_of[labels[row["name"]]] = (table.get(normalise_header(value)) or {}).get(fld, "")
                    break
    rows = [{"speaker": s, "level": level_of.get(s, "")} for s in sorted(speakers)]
    return pd.DataFrame(rows, columns=["speaker", "level"])


# ----------------------------------------------------------------------------- inputs
def notes_schema(cfg: Mapping):
    """What the flip-chart notes must hold (pandera, over columns ``note_id, sheet, text``):
    an id on every note, unique ignoring case and punctuation (ids are matched to the export
    that way), a sheet the config knows, and some text."""
    import pandera.pandas as pa

    sheets = {normalise_header(v) for values in cfg["sheets"].values() for v in values}
    return pa.DataFrameSchema(
        {
            "note_id": pa.Column(
                str,
                [
                    pa.Check(lambda s: s.str.strip().ne(""), name="note_id", error="note has no id", description="a unique note id"),
                    pa.Check(
                        lambda s: s.str.strip().eq("") | ~s.map(document_key).duplicated(),
                        name="unique",
                        error="note id used twice (ignoring case and punctuation)",
                        description="unique note ids",
                    ),
                ],
            ),
            "sheet": pa.Column(
                str,
                pa.Check(
                    lambda s: s.map(normalise_header).isin(sheets),
                    name="sheet",
                    error="unknown flip-chart sheet",
                    description=one_of(v for vs in cfg["sheets"].values() for v in vs),
                ),
            ),
            "text": pa.Column(
                str, pa.Check(lambda s: s.ne(""), name="text", error="note has no text", description="the note's text (delete empty notes)")
            ),
        }
    )


def read_notes(path, cfg: Mapping) -> pd.DataFrame:
    """Flip-chart notes as ``note_id, sheet, text``: sheet is the canonical sheet id, text
    LF-normalised, note_id the raw id (see :func:`neutral_notes`). Note ids and texts are
    never quoted in an error."""
    cols = cfg["columns"]
    df = read_csv_input(
        path, what="flip-chart notes", required=[cols["note_id"], cols["sheet"], cols["text"]], identifying=[cols["note_id"], cols["text"]]
    )
    df = df.rename(columns={cols["note_id"]: "note_id", cols["sheet"]: "sheet", cols["text"]: "text"})[NOTE_COLUMNS]
    df = validate_frame(df, notes_schema(cfg), file=path, headers=cols, identifying=["note_id", "text"])
    sheets = {normalise_header(v): sid for sid, values in cfg["sheets"].items() for v in values}
    df["sheet"] = df["sheet"].map(lambda v: sheets[normalise_header(v)])
    df["text"] = df["text"].map(normalise_newlines)
    return df


def natural_key(name: str) -> tuple:
    """Sort key of a file name: case ignored, runs of digits compared by value."""
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in re.split(r"(\d+)", name.casefold()) if p)


def transcript_files(folder, pattern: str) -> list[Path]:
    """Files in ``folder`` whose name matches the glob ``pattern`` without regard to case
    (``focus_group_6.TXT`` matches ``*.txt``), in name order: case, punctuation and a file
    extension ignored (as names are matched), runs of digits by value (:func:`natural_key`);
    ties by the name as written. A pattern with ``/`` is matched against the path below ``folder``."""
    import fnmatch

    folder = Path(folder)
    candidates = folder.rglob("*") if "/" in pattern else folder.iterdir()
    pat = pattern.casefold()
    rel = {f: f.relative_to(folder).as_posix() for f in candidates if f.is_file()}
    files = [f for f, r in rel.items() if fnmatch.fnmatchcase(r.casefold(), pat)]
    return sorted(files, key=lambda f: (natural_key(document_key(rel[f])), natural_key(rel[f]), rel[f]))


def transcript_place(folder, i: int, n: int) -> str:
    """How an error names transcript ``i`` (1-based) of ``n``: never by its file name."""
    return f"{folder}, file {i} of {n} in name order ({TRANSCRIPT_ID.format(n=i)})"


def read_transcripts(folder, pattern: str) -> dict[str, tuple[str, str]]:
    """Neutral id (``Focus group N``, N its place in name order) -> (file name, LF-normalised
    text). Two files whose names are the same ignoring case, punctuation and extension are
    refused: a document of the coded export would match both."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(
            folder,
            "transcripts folder not found",
            found="a file, not a folder" if folder.exists() else "no folder at this path",
            expected="a folder of transcript text files (inputs.transcripts)",
        )
    files = transcript_files(folder, pattern)
    if not files:
        raise InputError(
            folder, "no transcripts in the folder", found=f"no files matching {pattern!r}", expected="one text file per focus group"
        )
    out: dict[str, tuple[str, str]] = {}
    seen: dict[str, int] = {}
    for i, f in enumerate(files, start=1):
        key = document_key(f.name)
        if key in seen:
            raise InputError(
                folder,
                "two transcripts have the same name ignoring case, punctuation and extension: an export document would match both",
                found=f"files {seen[key]} and {i} of {len(files)} in name order "
                f"({TRANSCRIPT_ID.format(n=seen[key])}, {TRANSCRIPT_ID.format(n=i)})",
                expected="one file per focus group, with distinct names",
            )
        seen[key] = i
        try:
            text = read_text_input(f, what="transcript")
        except InputError as exc:  # the file name may name someone: say which file by position
            raise InputError(
                transcript_place(folder, i, len(files)), exc.problem, row=exc.row, column=exc.column, found=exc.found, expected=exc.expected
            ) from None
        out[TRANSCRIPT_ID.format(n=i)] = (f.relative_to(folder).as_posix(), normalise_newlines(text))
    return out


@dataclass
class Sources:
    """The raw documents under their neutral ids."""

    notes: pd.DataFrame  # note_id (neutral), sheet, text (raw)
    transcripts: dict[str, str]  # neutral id -> raw text
    aliases: dict[str, str]  # raw name (note id, transcript file name) -> neutral id
    key_rows: list[dict]  # kind, neutral, original: for restricted/ only
    group: dict[str, str] = field(default_factory=dict)  # neutral id -> sheet id or "focus_group"

    @property
    def documents(self) -> dict[str, str]:
        return dict(zip(self.notes["note_id"], self.notes["text"], strict=True)) | self.transcripts


def neutral_sources(notes: pd.DataFrame, transcripts: Mapping[str, tuple[str, str]], *, transcripts_folder="transcripts") -> Sources:
    """Give notes neutral ids (``note 001`` ... in file order) beside the transcripts' ids.
    A note id and a transcript file that would match the same export document is an error."""
    width = max(3, len(str(len(notes))))
    neutral = [NOTE_ID.format(n=i, width=width) for i in range(1, len(notes) + 1)]
    aliases = dict(zip(notes["note_id"], neutral, strict=True))
    key_rows = [{"kind": "note", "neutral": n, "original": o} for o, n in aliases.items()]
    by_key = {document_key(o): n for o, n in aliases.items()}
    for i, (nid, (path, _)) in enumerate(transcripts.items(), start=1):
        fname = Path(path).name  # what the QDA tool named the document after
        clash = by_key.get(document_key(fname))
        if clash is not None:
            row = neutral.index(clash) + 2
            raise InputError(
                transcript_place(transcripts_folder, i, len(transcripts)),
                f"a transcript file has the same name as the flip-chart note on row {row} (ignoring case and punctuation), "
                "so an export document would match both",
                expected="transcript file names that differ from every note id",
            )
        aliases[fname] = nid
        by_key[document_key(fname)] = nid
        key_rows.append({"kind": "transcript", "neutral": nid, "original": path})
    group = dict(zip(neutral, notes["sheet"], strict=True)) | {nid: "focus_group" for nid in transcripts}
    return Sources(
        notes=notes.assign(note_id=neutral)[NOTE_COLUMNS],
        transcripts={nid: text for nid, (_, text) in transcripts.items()},
        aliases=aliases,
        key_rows=key_rows,
        group=group,
    )


# ----------------------------------------------------------------------------- exports
@dataclass
class Export:
    """One coded export, its document names replaced by neutral ids."""

    position: int
    path: str
    label: str | None  # the coder label the config gives it (one export per coder), else None
    data: CodedExport
    segments: pd.DataFrame  # document (neutral), code_path, start, end, coder
    texts: dict[str, str]  # neutral id -> the export's text of it
    named: set[str]  # neutral ids the export names (its sources; for a table, its rows)


def export_list(spec) -> list[tuple[str, str | None]]:
    """``inputs.coded_export`` as (path, coder label or None): one path, or a list of
    ``{path, coder}`` (one export per coder)."""
    if isinstance(spec, str | Path):
        return [(str(spec), None)]
    out = []
    for item in spec:
        if isinstance(item, Mapping):
            out.append((str(item["path"]), item.get("coder")))
        elif isinstance(item, tuple):
            out.append((str(item[0]), item[1]))
        else:
            out.append((str(item), None))
    return out


def read_export(position: int, path: str, label: str | None, sources: Sources, cfg: Mapping) -> Export:
    """Read one export and put its documents under their neutral ids."""
    export = read_coded_export(
        path,
        fmt=cfg["format"],
        documents=sources.documents,
        aliases=sources.aliases,
        crlf=cfg.get("crlf", "auto"),
        separator=cfg.get("separator", " > "),
        offset_unit=cfg.get("offset_unit", "auto"),
        columns=cfg.get("columns") or None,
        encoding=cfg.get("encoding", "auto"),
    )
    segments = export.segments[["document", "code_path", "start", "end", "coder"]].copy()
    if export.format == REFI_QDA:  # a .qdpx names its own sources: match them to the files here
        by_key = {document_key(a): n for a, n in sources.aliases.items()}
        names: dict[str, str] = {}
        for i, name in enumerate(export.documents, start=1):
            nid = by_key.get(document_key(name))
            if nid is None or nid in names.values():
                problem = (
                    "the coded export has a document that is neither a flip-chart note nor a transcript file"
                    if nid is None
                    else "two documents of the coded export match the same note or transcript file"
                )
                raise InputError(
                    path,
                    problem,
                    found=f"text source {i} of {len(export.documents)} in the export's order",
                    expected="one document per flip-chart note id or transcript file name (matched ignoring case and punctuation)",
                )
            names[name] = nid
        texts = {names[n]: t for n, t in export.documents.items()}
        segments["document"] = segments["document"].map(names)
        named = set(texts)
    else:  # a table names documents in its rows, already resolved to neutral ids
        texts = dict(export.documents)
        named = set(segments["document"])
    if label is not None:
        if len(export.coders) > 1:
            raise InputError(
                path,
                f"the export records {len(export.coders)} coders, but the config gives it one coder label",
                key=f"inputs.coded_export[{position - 1}].coder",
                found=label,
                expected="one export per coder, or one export (a path, not a list) holding every coder",
            )
        segments["coder"] = label
    return Export(position, path, label, export, segments, texts, named)


def check_coverage(exports: Sequence[Export], sources: Sources, transcripts_folder) -> None:
    """Every transcript file is a document of some export (else it would silently count as
    uncoded). Notes may be uncoded: a note no theme fits is a finding of Table 4."""
    named = set().union(*(e.named for e in exports)) if exports else set()
    pdf = sum(e.data.skipped.get("pdf", {}).get("codings", 0) for e in exports)
    for i, nid in enumerate(sources.transcripts, start=1):
        if nid not in named:
            problem = "the transcript is not a document of the coded export"
            if pdf:
                problem += f" (the export has {pdf} codings on PDF sources, which it cannot read: {PDF_HINT})"
            raise InputError(
                transcript_place(transcripts_folder, i, len(sources.transcripts)),
                problem,
                expected="a document of the same name (ignoring case, punctuation and extension) in the coded export, "
                "or no such file in the transcripts folder",
            )


def neutral_code_paths(paths: Iterable[str], redactor: Redactor, keep: Collection[str] = ()) -> tuple[dict[str, str], Counter]:
    """Original code path -> redacted code path, and the replacements made (by category).

    Each level is redacted on its own; level-1 names in ``keep`` (configured categories)
    are kept. Parents come first, so a child hangs under its parent's new path. Siblings
    that redaction makes equal stay distinct: configured names first, then by original
    name, the first keeps the name and the next get `` (2)``, `` (3)`` ..."""
    all_paths: set[tuple[str, ...]] = set()
    for p in paths:
        levels = tuple(split_code_path(p))
        all_paths |= {levels[:i] for i in range(1, len(levels) + 1)}
    mapping: dict[tuple[str, ...], tuple[str, ...]] = {(): ()}
    used: set[tuple[str, ...]] = set()
    counts: Counter = Counter()
    ordered = sorted(all_paths, key=lambda lv: (len(lv), lv[:-1], not (len(lv) == 1 and lv[0] in keep), lv[-1]))
    for levels in ordered:
        parent, name = mapping[levels[:-1]], levels[-1]
        if len(levels) == 1 and name in keep:
            new = name
        else:
            red = redactor.redact(name)
            counts.update(red.counts())
            new = red.text.strip()
        candidate, n = (*parent, new), 1
        while candidate in used:
            n += 1
            candidate = (*parent, f"{new} ({n})")
        used.add(candidate)
        mapping[levels] = candidate
    return {" > ".join(k): " > ".join(v) for k, v in mapping.items() if k}, counts


def merged_codebook(exports: Sequence[Export], code_map: Mapping[str, str], redactor: Redactor) -> tuple[pd.DataFrame, Counter]:
    """The union of the exports' codebooks (first occurrence, parents first), renamed, with
    descriptions redacted (the first non-blank description of a code)."""
    rows: dict[str, dict] = {}
    for e in exports:
        for r in e.data.codebook.to_dict("records"):
            desc = str(r.get("description") or "")
            if r["code_path"] not in rows:
                rows[r["code_path"]] = dict(r, description=desc)
            elif desc and not rows[r["code_path"]]["description"]:
                rows[r["code_path"]]["description"] = desc
    counts: Counter = Counter()
    out = []
    for path, r in rows.items():
        new = code_map[path]
        red = redactor.redact(r["description"])
        counts.update(red.counts())
        parent = code_map.get(r["parent"], "")
        name = split_code_path(new)[-1]
        out.append({"code_path": new, "name": name, "level": int(r["level"]), "parent": parent, "description": red.text})
    df = pd.DataFrame(out, columns=["code_path", "name", "level", "parent", "description"])
    return df.astype({"level": "int64"}), counts


# ----------------------------------------------------------------------------- the stage
def anonymise_text(
    notes: pd.DataFrame,
    transcripts: Mapping[str, tuple[str, str]],
    exports,
    redactor: Redactor,
    cfg: Mapping,
    *,
    transcripts_folder="transcripts",
) -> dict:
    """Redact notes, transcripts, coded segments and code names. Returns the outputs as plain data.

    ``notes`` as :func:`read_notes` gives them (raw ids), ``transcripts`` as
    :func:`read_transcripts`; ``exports`` a path or a list of (path, coder label) or
    ``{path, coder}``; ``cfg`` the ``qualitative`` section of the config.
    """
    sources = neutral_sources(notes, transcripts, transcripts_folder=transcripts_folder)
    read = [read_export(i, path, label, sources, cfg["coded_export"]) for i, (path, label) in enumerate(export_list(exports), start=1)]
    check_coverage(read, sources, transcripts_folder)
    codebook_cfg = cfg["codebook"]
    keep = {*codebook_cfg.get("flipchart_categories", {}).values(), codebook_cfg.get("focus_group_category", "")}
    raw_paths = [p for e in read for p in [*e.data.codebook["code_path"], *e.segments["code_path"]]]
    code_map, code_counts = neutral_code_paths(raw_paths, redactor, keep)

    cache: dict[str, Redacted] = {}

    def redacted(text: str) -> Redacted:
        if text not in cache:
            cache[text] = redactor.redact(text)
        return cache[text]

    raw = sources.documents
    differing = sum(text.strip() != raw[nid].strip() for e in read for nid, text in e.texts.items())
    rows, seg_counts = [], Counter()
    for e in read:
        for seg in e.segments.to_dict("records"):
            red = redacted(e.texts[seg["document"]])
            start, end = red.remap(int(seg["start"]), int(seg["end"]))
            seg_counts.update(x.category for x in red.edits if x.start < seg["end"] and x.end > seg["start"])
            path = code_map[seg["code_path"]]
            levels = split_code_path(path)
            rows.append(
                {
                    "source": seg["document"],
                    "group": sources.group[seg["document"]],
                    "coder": seg["coder"],
                    "code_path": path,
                    "category": levels[0],
                    "theme": levels[1] if len(levels) > 1 else "",
                    "sub_theme": " > ".join(levels[2:]),
                    "start": start,
                    "end": end,
                    "text": red.text[start:end],
                }
            )
    segments = pd.DataFrame(rows, columns=SEGMENT_COLUMNS[1:]).astype({"start": "int64", "end": "int64"})
    segments = segments.sort_values(["source", "start", "end", "code_path", "coder"], kind="stable").reset_index(drop=True)
    segments.insert(0, "segment_id", [f"S{i:04d}" for i in range(1, len(segments) + 1)])
    mask, consensus = counted(segments, cfg.get("consensus"))

    note_counts: Counter = Counter()
    note_texts = []
    for text in sources.notes["text"]:
        red = redactor.redact(text)
        note_counts.update(red.counts())
        note_texts.append(red.text)
    log_rows = [("flipchart_notes.csv", c, n) for c, n in sorted(note_counts.items())]
    red_transcripts = {}
    for nid, text in sources.transcripts.items():
        red = redactor.redact(text)
        red_transcripts[nid] = red.text
        log_rows += [(f"transcripts/{nid}.txt", c, n) for c, n in sorted(red.counts().items())]
    log_rows += [("coded_segments.csv", c, n) for c, n in sorted(seg_counts.items())]
    codebook, desc_counts = merged_codebook(read, code_map, redactor)
    log_rows += [("codebook.csv", c, n) for c, n in sorted((code_counts + desc_counts).items())]
    return {
        "notes": sources.notes.assign(text=note_texts),
        "transcripts": red_transcripts,
        "segments": segments[SEGMENT_COLUMNS],
        "codebook": codebook,
        "log": pd.DataFrame(log_rows, columns=["file", "category", "count"]).astype({"count": "int64"}),
        "qualitative": export_summary(read, segments, mask, consensus, differing),
        "document_key": pd.DataFrame(sources.key_rows, columns=["kind", "neutral", "original"]),
        "sources": sources,
    }


def export_summary(exports: Sequence[Export], segments: pd.DataFrame, mask: pd.Series, consensus: dict, differing: int) -> dict:
    """What was read and what was not, as counts (the part of ``qualitative_log.json`` that
    comes from the exports)."""
    skipped: dict[str, dict[str, int]] = {}
    for e in exports:
        for kind, c in e.data.skipped.items():
            into = skipped.setdefault(kind, {"sources": 0, "codings": 0})
            into["sources"] += int(c["sources"])
            into["codings"] += int(c["codings"])
    hints = []
    pdf = skipped.get("pdf", {}).get("codings", 0)
    if pdf:
        where = "only on PDF sources" if not len(segments) else "on PDF sources"
        hints.append(f"{pdf} codings are {where} and were not read: {PDF_HINT}")
    other = {k: v["codings"] for k, v in skipped.items() if k != "pdf" and v["codings"]}
    if other:
        hints.append(
            "codings on non-text sources were not read ("
            + ", ".join(f"{k}: {n}" for k, n in sorted(other.items()))
            + "); only text can be redacted and tabulated"
        )
    if differing:
        hints.append(
            f"{differing} documents in the coded export differ from the raw files: "
            "the segments' offsets and text follow the export's copy (re-import the files in the QDA tool)"
        )
    return {
        "exports": [
            {
                "position": e.position,
                "coder": e.label if e.label is not None else "",
                "format": e.data.format,
                "coders": len(e.data.coders),
                "segments": len(e.segments),
                "duplicates_dropped": int(e.data.duplicates_dropped),
                "skipped": {k: dict(v) for k, v in sorted(e.data.skipped.items())},
            }
            for e in exports
        ],
        "segments": len(segments),
        "segments_by_coder": {shown(c): int(n) for c, n in sorted(Counter(segments["coder"]).items())},
        "consensus": consensus,
        "skipped": skipped,
        "duplicates_dropped": int(sum(e.data.duplicates_dropped for e in exports)),
        "documents_differing_from_raw": int(differing),
        "hints": hints,
    }


def hash_raw_inputs(files: Iterable[str], transcripts_folder: str | None, transcript_names: Mapping[str, str]) -> dict[str, str]:
    """SHA-256 of each raw input: a file under its configured path, a transcript under
    ``<folder>/<neutral id>`` (its file name may name someone)."""
    out = {str(f): sha256_file(f) for f in files}
    for nid, fname in transcript_names.items():
        out[f"{transcripts_folder}/{nid}"] = sha256_file(Path(transcripts_folder) / fname)
    return dict(sorted(out.items()))


def main(smk) -> None:
    set_value_redactor(Redactor([]))  # errors show raw values redacted: patterns now, names once the roster is read
    cfg = smk.config
    qual = cfg["qualitative"]
    given = {k: getattr(smk.input, k, None) for k in OPTIONAL_INPUTS}
    exports = list(zip(as_list(smk.input.coded_export), smk.params.coders, strict=True))  # (path, label or None)
    raw_files = [p for k, p in given.items() if p and k != "transcripts"] + [p for p, _ in exports]
    raw = [*raw_files, *([given["transcripts"]] if given["transcripts"] else [])]
    key, _source = load_key(cfg["pseudonymisation"], demo_allowed=demo_key_allowed(cfg["study"]["synthetic"], raw))
    roster = read_roster(given["roster"], cfg) if given["roster"] else pd.DataFrame(columns=["name", "email"])
    facilitators = read_facilitators(given["facilitators"]) if given["facilitators"] else []
    people = people_for(roster, facilitators, key)
    redactor = Redactor.from_config(people, cfg["redaction"])
    set_value_redactor(lambda text: redactor.redact(text).text)  # errors show raw values redacted (late-bound: also the widened one)
    notes = read_notes(given["flipchart"], qual["flipchart"]) if given["flipchart"] else pd.DataFrame(columns=NOTE_COLUMNS, dtype=str)
    transcripts = read_transcripts(given["transcripts"], qual["transcripts"]["glob"]) if given["transcripts"] else {}

    extra = unlisted_speakers({n: t for n, (_, t) in transcripts.items()}, qual["transcripts"]["speaker_pattern"], redactor)
    if extra:
        people += [Person(name=s, label=UNLISTED, category="unlisted_speaker") for s in extra]
        redactor = Redactor.from_config(people, cfg["redaction"])

    out = anonymise_text(notes, transcripts, exports, redactor, qual, transcripts_folder=given["transcripts"] or "transcripts")
    speaking = set().union(*map(participants, out["transcripts"].values())) if out["transcripts"] else set()
    speakers = speaker_levels(roster, participant_labels(roster, key), speaking, cfg)
    summary = out["qualitative"] | {
        "inputs_absent": [k for k in OPTIONAL_INPUTS if not given[k]],
        "documents": {"notes": len(out["notes"]), "transcripts": len(out["transcripts"])},
        "unlisted_speakers": len(extra),
        "speakers": {"participants": len(speakers), "without_level": int(speakers["level"].eq("").sum())},
    }

    with atomic_dir(smk.output.transcripts) as out_dir:
        for name, text in out["transcripts"].items():
            write_text(out_dir / f"{name}.txt", text)
    write_result(out["notes"], smk.output.notes, result("notes"))
    write_result(out["segments"], smk.output.segments, result("segments"))
    write_result(out["codebook"], smk.output.export_codebook, result("export_codebook"))
    write_result(out["log"], smk.output.redaction_log, result("redaction_log"))
    write_result(speakers, smk.output.speaker_groups, result("speaker_groups"))
    write_result(summary, smk.output.qualitative_log, result("qualitative_log"))
    transcript_names = {nid: fname for nid, (fname, _) in transcripts.items()}
    write_result(hash_raw_inputs(raw_files, given["transcripts"], transcript_names), smk.output.hashes_freetext, result("hashes_freetext"))
    log = logging.getLogger("ripls")
    log.info(
        "coded export(s) read (%s): %d segments by %d coders, %d documents (%d differ from the raw files); %d unlisted speakers",
        ", ".join(e["format"] for e in summary["exports"]),
        summary["segments"],
        len(summary["segments_by_coder"]),
        len(set(out["segments"]["source"])),
        summary["documents_differing_from_raw"],
        len(extra),
    )
    c = summary["consensus"]
    log.info(
        "theme tables count %d segments: consensus coder %s in %d documents, the only coder in %d",
        c["segments_counted"],
        c["consensus"] or "(none named)",
        c["documents_by_consensus"],
        c["documents_by_only_coder"],
    )
    for kind, n in sorted(summary["skipped"].items()):
        log.warning("%d codings on %d %s sources not read (not text)", n["codings"], n["sources"], kind)
    if summary["duplicates_dropped"]:
        log.info("%d exact duplicate codings dropped", summary["duplicates_dropped"])
    for hint in summary["hints"]:
        log.warning("%s", hint)
    if smk.params.keep_key:
        key_rows = [{"name": p.name, "label": p.label, "category": p.category} for p in people]
        key_path, documents_path = smk.output.restricted_key  # declared as a list: empty when keep_key is false
        # restricted/, not results: read by no rule
        write_csv(pd.DataFrame(key_rows, columns=["name", "label", "category"]).sort_values("label", kind="stable"), key_path)
        write_csv(out["document_key"], documents_path)


if "snakemake" in globals():
    run_rule(snakemake, main)  # noqa: F821
