"""``make inspect FILE=… [CONFIG=…]``: how the pipeline would read an export, before a first real run.

(Not named ``inspect.py``: in ``tools/`` that name would shadow the standard library's
``inspect``, which numpy and pandas import, for every script run from this folder.)

For a survey export: the format detected, encoding, sheet, respondent count, which column
is which item and which are left unmatched, every answer of the item columns with the
label and score it maps to (or that nobody declared its meaning), and the demographic
answers that map to no level of the config. For a coded QDA export: the tool detected, the
offset unit and the evidence for it, the column read for each role of a table (and which were
found by content), its coder column, documents, codes, coders, segments per source kind and
the segments that cannot be placed.

Counts and headers only: no cell value that could identify someone is printed (see
:func:`survey_formats.describe.inspect_export` for what is shown and what is described), and
nothing is written anywhere, least of all under ``results/``. The config (``config.yaml``,
with ``--config`` merged over it as Snakemake's ``--configfile`` is) says how to read the file:
``survey.*``, ``inputs.survey_dictionary`` and ``qualitative.coded_export.*``; a QDA export is
also placed in the flip-chart notes and transcripts the config names, when they can be read.

    python tools/inspect_export.py FILE [--config CONFIG] [--dictionary REDCAP_DICTIONARY] [--kind auto|survey|qda]

Exit status 0 when the pipeline would read the file as it is, 1 when the report lists
problems, 2 when the file cannot be read at all (the error line says why).
"""

import argparse
import os
import sys
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))

ROOT = Path(__file__).resolve().parent.parent
#: Longest column key or question text printed in full; longer ones are cut with "…".
WIDTH = 70


def _cut(text: str, width: int = WIDTH) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[: width - 1] + "…"


def load_config(path: str | os.PathLike | None = None) -> dict:
    """The config as the pipeline reads it: ``config.yaml``, and over it the file ``path`` (as
    ``--configfile`` merges it), strict YAML, checked against the schema (one error line) and
    with the schema's defaults filled in (Snakemake's ``validate``). Input paths are relative
    to the repository. The input files need not exist yet."""
    from snakemake.utils import update_config, validate

    from config_check import SCHEMA, load_config_file
    from schemas import validate_against_schema

    config = load_config_file(ROOT / "config.yaml").data
    if path is not None and Path(path).resolve() != (ROOT / "config.yaml").resolve():
        update_config(config, load_config_file(Path(path)).data)
    validate_against_schema(config, SCHEMA, file=str(path or "config.yaml"), what="config")
    validate(config, str(SCHEMA))
    return config


def file_kind(path: Path, kind: str, config: Mapping | None = None) -> str:
    """``survey`` or ``qda``: a .qdpx, or a table a QDA tool's export headers identify, is a
    coded export, and so is a file the config names as its coded export with a format given
    (``qualitative.coded_export.format: maxqda`` reads a MAXQDA table whose headers are in
    another interface language); so is a REFI-QDA project file given without its .qdpx (the QDA
    reader says what to export instead). Everything else is taken for a survey export."""
    if kind != "auto":
        return kind
    import qda
    from errors import InputError
    from sniff import sniff_file
    from study import coded_exports

    if Path(path).is_file() and sniff_file(path).kind == "qde":
        return "qda"
    config = config or {}
    options = (config.get("qualitative") or {}).get("coded_export") or {}
    try:
        qda.detect_format(path, options.get("encoding", "auto"))
    except InputError:
        fmt = options.get("format", "auto")
        named = {(ROOT / p).resolve() for p, _ in coded_exports(config)}
        return "qda" if fmt != "auto" and Path(path).resolve() in named else "survey"
    return "qda"


# --------------------------------------------------------------------------- survey exports
def survey_report(path: Path, config: Mapping, dictionary: str | None = None) -> dict:
    """:func:`survey_formats.describe.inspect_export` of the file, read as the config says."""
    from anonymise_survey import read_survey
    from instrument import load_instrument
    from survey_formats.describe import inspect_export

    dictionary = dictionary or config["inputs"].get("survey_dictionary")
    table = read_survey(path, config, str(ROOT / dictionary) if dictionary and not Path(dictionary).is_absolute() else dictionary)
    instrument = load_instrument(ROOT / config["instrument"])
    return inspect_export(table, instrument, config)


def render_survey(report: Mapping[str, Any]) -> list[str]:
    f = report["file"]
    lines = [f"Survey export: {f['source']}"]
    read = [f"format {f['format']} ({f['file_kind']})"]
    if f["encoding"]:
        read.append(f"encoding {f['encoding']}")
    if f["delimiter"]:
        read.append(f"delimiter {f['delimiter']!r}")
    if f["sheet"] is not None:
        read.append(f"sheet {f['sheet']!r}")
    lines.append("  read as " + ", ".join(read))
    lines.append(f"  respondents: {f['respondents']}")
    if f["notes"]:
        lines.append("  reader's notes: " + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in f["notes"].items()))
    lines.append(f"  respondents identified by: {report['identified_by']}")
    if "link" in report:
        lines.append(f"  link column: {report['link']['blank']} blank, {report['link']['duplicates']} duplicate values")

    lines.append("")
    lines.append("Roles (survey.columns):")
    for role, key in report["roles"]["found"].items():
        mark = " (required)" if role in report["roles"]["required"] else ""
        lines.append(f"  {role:<14} {repr(_cut(key)) if key else 'NOT FOUND'}{mark}")

    items = report.get("items")
    if items is not None:
        lines.append("")
        lines.append(f"Items: {len(items['matched'])} of {len(items['matched']) + len(items['missing'])} matched")
        for n, key in items["matched"].items():
            lines.append(f"  item {n:>2} <- {_cut(key)!r}")
        if items["missing"]:
            lines.append(f"  no column for items {items['missing']}")
        if items["not_in_instrument"]:
            lines.append(f"  {len(items['not_in_instrument'])} item-like columns of items the instrument does not list:")
            lines += [f"    {_cut(k)!r}" for k in items["not_in_instrument"]]
        kinds = {c["key"]: c for c in f["columns"]}
        lines.append(f"  {len(items['unmatched'])} columns neither an item nor a role (dropped):")
        for key in items["unmatched"]:
            c = kinds[key]
            lines.append(f"    {_cut(key)!r}: {c['kind']}, {c['answered']} answered")

    if report.get("answers"):
        lines += render_answers(report["answers"], report["labels"])

    lines.append("")
    lines.append("Demographics:")
    for gid, d in report["demographics"].items():
        if "lookup" in d:
            counts = ", ".join(f"{k} {v}" for k, v in d["lookup"].items())
            lines.append(f"  {gid} (organisation_lookup): {counts}")
            continue
        if d["column"] is None:
            lines.append(f"  {gid}: no column")
            continue
        counts = ", ".join(f"{k} {v}" for k, v in d["levels"].items())
        lines.append(f"  {gid} ({_cut(d['column'], 40)!r}): {counts}")
        for u in d["unmapped"]:
            answer = repr(u["answer"]) if u["shown"] else u["answer"]
            lines.append(f"    maps to no level: {answer}, {u['count']} respondents ({u['reason']})")

    lines.append("")
    if report["problems"]:
        lines.append(f"Problems the run would stop at ({len(report['problems'])}):")
        lines += [f"  {p}" for p in report["problems"]]
    else:
        lines.append("No problems: the pipeline would read this export as shown.")
    return lines


def _meaning(e: Mapping[str, Any]) -> str:
    if e["kind"] == "skipped":
        return "skipped" + (f" ({e['via']})" if e["via"] else "")
    if e["label"]:
        return f"{e['label']} (via {e['via']})"
    if e["kind"] == "undeclared code":
        return "NO DECLARED MEANING: declare the code under survey.codes"
    return "NOT A LABEL of the instrument"


def render_answers(answers: Mapping[int, Mapping[str, Any]], labels: list[str]) -> list[str]:
    """The answers of the item columns: each distinct answer once, with what it maps to (and
    in which items, where it means different things in different items), then each item's
    counts; answers in the order of the instrument's labels."""
    entries: dict[tuple, list[int]] = {}
    for n, a in answers.items():
        for e in a["answers"]:
            entries.setdefault((e["answer"], e["shown"], e["kind"], e["via"], e["label"] or ""), []).append(n)
    meanings = Counter(key[:2] for key in entries)
    order = {label: i for i, label in enumerate(labels)}
    scores = {e["label"]: e["score"] for a in answers.values() if not a["reverse"] for e in a["answers"] if e["label"]}

    def rank(key: tuple) -> tuple:
        answer, _, kind, _, label = key
        return (kind == "skipped", order.get(label, len(order)), str(answer))

    keys = sorted(entries, key=rank)
    lines = ["", f"Answers in the {len(answers)} item columns (the score is the label's; a reverse-keyed item scores max + min - it):"]
    for key in keys:
        answer, shown, kind, via, label = key
        meaning = _meaning({"kind": kind, "via": via, "label": label or None})
        score = f", score {scores[label]:g}" if scores.get(label) is not None else ""
        where = f"  [items {', '.join(map(str, entries[key]))}]" if meanings[key[:2]] > 1 else ""
        lines.append(f"  {repr(answer) if shown else answer:<30} -> {meaning}{score}{where}")
    lines.append("  per item:")
    for n, a in answers.items():
        mine = sorted(a["answers"], key=lambda e: rank((e["answer"], e["shown"], e["kind"], e["via"], e["label"] or "")))
        counts = ", ".join(f"{repr(e['answer']) if e['shown'] else e['answer']} {e['count']}" for e in mine)
        lines.append(f"    item {n:>2}{' (reverse-keyed)' if a['reverse'] else ''}: {counts}")
    return lines


# --------------------------------------------------------------------------- coded QDA exports
def qda_report(path: Path, config: Mapping) -> dict:
    """:func:`qda.describe_export` with the config's ``qualitative.coded_export`` options and,
    when the config's flip-chart notes and transcripts can be read, placed in them."""
    import qda
    from anonymise_freetext import read_notes, read_transcripts
    from errors import InputError

    opts = config["qualitative"]["coded_export"]
    documents, note = None, ""
    try:
        notes = read_notes(ROOT / config["inputs"]["flipchart"], config["qualitative"]["flipchart"])
        documents = dict(zip(notes["note_id"], notes["text"], strict=True))
        glob = config["qualitative"]["transcripts"]["glob"]
        documents.update({name: text for name, (_, text) in read_transcripts(ROOT / config["inputs"]["transcripts"], glob).items()})
    except InputError as exc:
        documents, note = None, f"placement not checked: {exc.line()}"
    out = qda.describe_export(
        path,
        fmt=opts.get("format", "auto"),
        documents=documents,
        crlf=opts.get("crlf", "auto"),
        separator=opts.get("separator", " > "),
        offset_unit=opts.get("offset_unit", "auto"),
        columns=opts.get("columns") or None,
        encoding=opts.get("encoding", "auto"),
    )
    if note:
        out["placement"] = note
    out["problems"] = qda_problems(out)
    return out


def qda_problems(report: Mapping[str, Any]) -> list[str]:
    """What would stop the run or leave it nothing to count: no coded text, unplaceable segments."""
    problems = []
    if not report["segments"].get("text"):
        other = {k: v for k, v in report["segments"].items() if k != "text" and v}
        problems.append(
            "no coded segment on a text source"
            + (f" (codings on other kinds of source only: {', '.join(f'{k} {v}' for k, v in other.items())})" if other else "")
        )
    if report["unplaceable"]:
        problems.append(f"{len(report['unplaceable'])} segments cannot be placed in their documents (listed above)")
    return problems


def render_qda(report: Mapping[str, Any], path: Path) -> list[str]:
    import qda

    lines = [f"Coded QDA export: {path}", f"  tool: {report['tool']} (format {report['format']})"]
    if report.get("producer"):
        lines.append(f"  producer: {report['producer']}")
    if "offsets" in report:
        o = report["offsets"]
        lines.append(f"  offsets: {o['unit']}, CRLF counted as {o['crlf']}: {o['reason']}")
        for k, v in o["evidence"].items():
            lines.append(f"    {k.replace('_', ' ')}: {v}")
    if report.get("columns"):
        by_content = set(report["found_by_content"])
        shown = [f"{role} {_cut(h, 40)!r}" + (" (found by content)" if role in by_content else "") for role, h in report["columns"].items()]
        lines.append("  columns: " + ", ".join(shown))
    if "coder_column" in report:
        coder = report["coder_column"]
        lines.append(f"  coder column: {coder if coder == qda.CODER_NOT_IDENTIFIED else repr(_cut(coder, 40))}")
    lines.append(f"  documents: {report['documents']}")
    lines.append(f"  codes: {report['codes']['count']} (depth {report['codes']['depth']})")
    lines.append(f"  coders: {report['coders']}")
    lines.append("  segments: " + ", ".join(f"{k} {v}" for k, v in report["segments"].items()))
    if "sources" in report:
        lines.append("  sources: " + ", ".join(f"{k} {v}" for k, v in report["sources"].items()))
    lines.append(f"  duplicates dropped: {report['duplicates_dropped']}")
    if report.get("placement"):
        lines.append(f"  {report['placement']}")
    lines.append(f"  segments that cannot be placed: {len(report['unplaceable'])}")
    for u in report["unplaceable"]:
        where = ", ".join(f"{k} {v}" for k, v in u.items() if k != "reason")
        lines.append(f"    {where}: {u['reason']}")
    if report["problems"]:
        lines.append(f"Problems ({len(report['problems'])}):")
        lines += [f"  {p}" for p in report["problems"]]
    return lines


# --------------------------------------------------------------------------- entry point
def inspect_file(path: str | os.PathLike, config_path: str | os.PathLike | None = None, *, kind: str = "auto", dictionary=None):
    """``(kind, report, lines)`` for the file: what :func:`main` prints."""
    p = Path(path)
    config = load_config(config_path)
    which = file_kind(p, kind, config)
    if which == "qda":
        report = qda_report(p, config)
        return which, report, render_qda(report, p)
    report = survey_report(p, config, dictionary)
    return which, report, render_survey(report)


def main(argv: list[str] | None = None) -> int:
    from errors import InputError

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("file", help="the export to inspect")
    parser.add_argument("--config", default=None, help="a config file merged over config.yaml, as --configfile is (default: none)")
    parser.add_argument("--dictionary", default=None, help="the REDCap data dictionary of a raw REDCap export")
    parser.add_argument("--kind", choices=["auto", "survey", "qda"], default="auto", help="survey or coded QDA export (auto: by content)")
    args = parser.parse_args(argv)
    try:
        _, report, lines = inspect_file(args.file, args.config, kind=args.kind, dictionary=args.dictionary)
    except InputError as exc:
        print(exc.line(), file=sys.stderr)
        return 2
    print("\n".join(lines))
    return 1 if report["problems"] else 0


if __name__ == "__main__":
    sys.exit(main())
