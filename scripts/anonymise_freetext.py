"""Anonymisation of the qualitative arm: the only code that reads raw free text.

It reads the flip-chart notes, the focus-group transcripts and the coded export of the
QDA tool (any shape ``qda.read_coded_export`` reads), and writes their redacted versions:

* every roster participant becomes ``[Participant NN]``, numbered by the rank of a keyed
  HMAC of their e-mail, so the number says nothing about the roster's order and is the same
  in every file and on every rerun with the same key; facilitators become ``[Facilitator]``;
* e-mails, phones, NHS numbers, postcodes, places and services are replaced (``redact.py``);
* a speaker at the start of a turn who is on no list becomes ``[Unlisted speaker]``, so a
  name missing from the roster cannot survive as a speaker label;
* coded segments are re-mapped onto the redacted text, so they point at the same words.

Replacements are logged as counts per file and category. The original-to-label map, if
kept, goes to ``restricted/`` (git-ignored, read by no later rule).
"""

import logging
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from contracts import result, write_result
from errors import InputError, one_of, set_value_redactor
from outputs import atomic_dir, write_csv, write_text
from provenance import hash_inputs
from pseudonyms import demo_key_allowed, load_key, pseudonym
from qda import normalise_newlines, read_coded_export, split_code_path
from rawinput import normalise_header, read_csv_input, read_text_input
from redact import Person, Redacted, Redactor
from roster import read_facilitators, read_roster
from schemas import validate_frame
from stage import run_rule

PARTICIPANT = "[Participant {n:02d}]"
FACILITATOR = "[Facilitator]"
UNLISTED = "[Unlisted speaker]"
SEGMENT_COLUMNS = ["segment_id", "source", "group", "code_path", "category", "theme", "sub_theme", "start", "end", "text"]


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


# ----------------------------------------------------------------------------- inputs
def notes_schema(cfg: Mapping):
    """What the flip-chart notes must hold (pandera, over columns ``note_id, sheet, text``):
    a unique id on every note, a sheet the config knows, and some text."""
    import pandera.pandas as pa

    sheets = {normalise_header(v) for values in cfg["sheets"].values() for v in values}
    return pa.DataFrameSchema(
        {
            "note_id": pa.Column(
                str,
                [
                    pa.Check(lambda s: s.ne(""), name="note_id", error="note has no id", description="a unique note id"),
                    pa.Check(
                        lambda s: s.eq("") | ~s.duplicated(), name="unique", error="note id used twice", description="unique note ids"
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
    """Flip-chart notes as ``note_id, sheet, text``: sheet is the canonical sheet id, text LF-normalised."""
    cols = cfg["columns"]
    df = read_csv_input(path, what="flip-chart notes", required=[cols["note_id"], cols["sheet"], cols["text"]], identifying=[cols["text"]])
    df = df.rename(columns={cols["note_id"]: "note_id", cols["sheet"]: "sheet", cols["text"]: "text"})[["note_id", "sheet", "text"]]
    df = validate_frame(df, notes_schema(cfg), file=path, headers=cols, identifying=["text"])
    sheets = {normalise_header(v): sid for sid, values in cfg["sheets"].items() for v in values}
    df["sheet"] = df["sheet"].map(lambda v: sheets[normalise_header(v)])
    df["text"] = df["text"].map(normalise_newlines)
    return df


def transcript_name(stem: str) -> str:
    """'focus_group_3' -> 'Focus group 3' (documents are matched ignoring case and punctuation)."""
    words = stem.replace("_", " ").replace("-", " ").split()
    return " ".join(words)[:1].upper() + " ".join(words)[1:]


def read_transcripts(folder, pattern: str) -> dict[str, tuple[str, str]]:
    """Document name -> (file name, LF-normalised text)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(
            folder,
            "transcripts folder not found",
            found="a file, not a folder" if folder.exists() else "no folder at this path",
            expected="a folder of transcript text files (inputs.transcripts)",
        )
    files = sorted(folder.glob(pattern))
    if not files:
        raise InputError(
            folder, "no transcripts in the folder", found=f"no files matching {pattern!r}", expected="one text file per focus group"
        )
    out = {}
    for f in files:
        name = transcript_name(f.stem)
        same = [fname for n, (fname, _) in out.items() if normalise_header(n) == normalise_header(name)]
        if same:
            raise InputError(
                f,
                "two transcripts have the same document name (ignoring case and punctuation)",
                found=[same[0], f.name],
                expected="one file per focus group, with distinct names",
            )
        out[name] = (f.name, normalise_newlines(read_text_input(f, what="transcript")))
    return out


# ----------------------------------------------------------------------------- the stage
def anonymise_text(
    notes: pd.DataFrame,
    transcripts: Mapping[str, tuple[str, str]],
    export_path,
    redactor: Redactor,
    cfg: Mapping,
) -> dict:
    """Redact notes, transcripts and coded segments. Returns the outputs as plain data."""
    export_cfg = cfg["coded_export"]
    documents = {r["note_id"]: r["text"] for r in notes.to_dict("records")}
    documents.update({name: text for name, (_, text) in transcripts.items()})
    kind = {r["note_id"]: r["sheet"] for r in notes.to_dict("records")}
    kind.update({name: "focus_group" for name in transcripts})
    by_key = {normalise_header(k): k for k in documents}

    export = read_coded_export(
        export_path,
        fmt=export_cfg["format"],
        documents=documents,
        crlf=export_cfg.get("crlf", "auto"),
        separator=export_cfg.get("separator", " > "),
        offset_unit=export_cfg.get("offset_unit", "auto"),
        columns=export_cfg.get("columns") or None,
    )

    redacted: dict[str, Redacted] = {}
    differing = 0
    for name, text in export.documents.items():
        known = by_key.get(normalise_header(name))
        if known is None:
            raise InputError(
                export_path,
                "the coded export has a document that is neither a flip-chart note nor a transcript",
                found=name,
                expected="a note id or a transcript name",
            )
        differing += text.strip() != documents[known].strip()
        redacted[name] = redactor.redact(text)

    rows, seg_counts = [], Counter()
    for seg in export.segments.to_dict("records"):
        red = redacted[seg["document"]]
        start, end = red.remap(int(seg["start"]), int(seg["end"]))
        for e in red.edits:
            if e.start < seg["end"] and e.end > seg["start"]:
                seg_counts[e.category] += 1
        levels = split_code_path(seg["code_path"])
        rows.append(
            {
                "source": by_key[normalise_header(seg["document"])],
                "group": kind[by_key[normalise_header(seg["document"])]],
                "code_path": seg["code_path"],
                "category": levels[0],
                "theme": levels[1] if len(levels) > 1 else "",
                "sub_theme": " > ".join(levels[2:]),
                "start": start,
                "end": end,
                "text": red.text[start:end],
            }
        )
    segments = pd.DataFrame(rows, columns=SEGMENT_COLUMNS[1:]).sort_values(["source", "start", "end", "code_path"], kind="stable")
    segments.insert(0, "segment_id", [f"S{i:04d}" for i in range(1, len(segments) + 1)])

    log_rows = []
    note_texts = []
    note_counts = Counter()
    for r in notes.to_dict("records"):
        red = redactor.redact(r["text"])
        note_counts.update(red.counts())
        note_texts.append(red.text)
    red_notes = notes.assign(text=note_texts)
    log_rows += [("flipchart_notes.csv", c, n) for c, n in sorted(note_counts.items())]
    red_transcripts = {}
    for name, (_fname, text) in transcripts.items():
        red = redactor.redact(text)
        red_transcripts[name] = red.text
        log_rows += [(f"transcripts/{name}.txt", c, n) for c, n in sorted(red.counts().items())]
    log_rows += [("coded_segments.csv", c, n) for c, n in sorted(seg_counts.items())]
    return {
        "notes": red_notes,
        "transcripts": red_transcripts,
        "segments": segments[SEGMENT_COLUMNS],
        # Code descriptions are researchers' free text: redacted like everything else.
        "codebook": export.codebook.assign(description=[redactor.redact(d).text for d in export.codebook["description"].fillna("")]),
        "log": pd.DataFrame(log_rows, columns=["file", "category", "count"]).astype({"count": "int64"}),
        "documents_differing_from_raw": differing,
        "format": export.format,
    }


def main(smk) -> None:
    set_value_redactor(Redactor([]))  # errors show raw values redacted: patterns now, names once the roster is read
    cfg = smk.config
    raw = [smk.input.roster, smk.input.facilitators, smk.input.flipchart, smk.input.transcripts, smk.input.coded_export]
    key, _source = load_key(cfg["pseudonymisation"], demo_allowed=demo_key_allowed(cfg["study"]["synthetic"], raw))
    roster = read_roster(smk.input.roster, cfg)
    facilitators = read_facilitators(smk.input.facilitators)
    people = people_for(roster, facilitators, key)
    redactor = Redactor.from_config(people, cfg["redaction"])
    set_value_redactor(lambda text: redactor.redact(text).text)  # errors show raw values redacted (late-bound: also the widened one)
    notes = read_notes(smk.input.flipchart, cfg["qualitative"]["flipchart"])
    transcripts = read_transcripts(smk.input.transcripts, cfg["qualitative"]["transcripts"]["glob"])

    extra = unlisted_speakers({n: t for n, (_, t) in transcripts.items()}, cfg["qualitative"]["transcripts"]["speaker_pattern"], redactor)
    if extra:
        people += [Person(name=s, label=UNLISTED, category="unlisted_speaker") for s in extra]
        redactor = Redactor.from_config(people, cfg["redaction"])

    out = anonymise_text(notes, transcripts, smk.input.coded_export, redactor, cfg["qualitative"])
    with atomic_dir(smk.output.transcripts) as out_dir:
        for name, text in out["transcripts"].items():
            write_text(out_dir / f"{name}.txt", text)
    write_result(out["notes"], smk.output.notes, result("notes"))
    write_result(out["segments"], smk.output.segments, result("segments"))
    write_result(out["codebook"], smk.output.export_codebook, result("export_codebook"))
    write_result(out["log"], smk.output.redaction_log, result("redaction_log"))
    write_result(hash_inputs(raw), smk.output.hashes_freetext, result("hashes_freetext"))
    logging.getLogger("ripls").info(
        "coded export read as %s: %d segments, %d documents (%d differ from the raw files); %d unlisted speakers",
        out["format"],
        len(out["segments"]),
        len(set(out["segments"]["source"])),
        out["documents_differing_from_raw"],
        len(extra),
    )
    if smk.params.keep_key:
        key_rows = [{"name": p.name, "label": p.label, "category": p.category} for p in people]
        (path,) = smk.output.restricted_key  # declared as a list: empty when keep_key is false
        # restricted/, not a result: read by no rule
        write_csv(pd.DataFrame(key_rows).sort_values("label", kind="stable"), path)


if "snakemake" in globals():
    run_rule(snakemake, main)  # noqa: F821
