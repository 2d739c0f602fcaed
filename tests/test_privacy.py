"""Privacy holds under test.

* Only the anonymisation rules read raw files (from Snakemake's own record of the run, and
  from the rule files).
* No identifying string from the synthetic raw files reaches any file under results/: not the
  tables, not the logs, not the SVG figures, not the HTML report, not the PDF's text, not the
  PNGs' text chunks, not a file's name. Every file is read (a file the scan cannot read fails it).
* Structural fields are free text too (issue 12): a run whose inputs hide roster names in a
  MAXQDA code name, a transcript's file name and a note id leaks none of them.
* The scan fails when the anonymisation is bypassed (a run with redaction switched off).
* The pseudonymisation key never appears in an output or a log.

The identifying strings are collected from the raw files independently of the pipeline's
redaction code (its own patterns would share its blind spots).
"""

import csv
import io
import re
import subprocess
import unicodedata
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import pytest
import yaml

from _support import file_text, fresh_copy, run_pipeline, write_one_arm_config
from study import coded_exports

pytestmark = pytest.mark.pipeline

RAW_KEYS = ("roster", "survey", "facilitators", "flipchart", "transcripts", "coded_export")
TITLES = {"dr", "prof", "mr", "mrs", "ms", "miss", "mx"}


def fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().casefold()


def read_csv_rows(path: Path) -> list[dict]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))


def identifiers(repo: Path) -> dict[str, set[str]]:
    """Every identifying string in the synthetic raw files, by category."""
    config = yaml.safe_load((repo / "config.yaml").read_text())
    inputs = config["inputs"]
    roster = read_csv_rows(repo / inputs["roster"])
    facilitators = [r["Full name"] for r in read_csv_rows(repo / inputs["facilitators"])]
    ids: dict[str, set[str]] = {k: set() for k in ("name", "email", "phone", "job_title", "place", "nhs_number", "postcode")}
    # the coders' names in the coded exports ("Created by") and the .qdpx users are people too
    coders = set()
    for path, _ in coded_exports(config):
        if path.endswith(".csv"):
            coders |= {r.get("Created by", "") for r in read_csv_rows(repo / path)} - {""}
    for full in [r["Full name"] for r in roster] + facilitators + sorted(coders):
        words = [w for w in full.split() if w.casefold().rstrip(".") not in TITLES]
        ids["name"].add(" ".join(words))
        ids["name"].add(words[0])  # first name
        ids["name"].add(" ".join(words[1:]))  # surname, "de Souza" included
        ids["name"].update(part for w in words[1:] for part in w.split("-") if len(part) > 2 and part.casefold() != "de")
    ids["email"] = {r["Email"] for r in roster}
    ids["phone"] = {r["Phone"] for r in roster}
    ids["job_title"] = {r["Job title"] for r in roster}
    ids["place"] = set(config["redaction"]["places"]) | set(config["redaction"]["services"])
    free_text = [(repo / inputs["survey"]).read_text(encoding="utf-8")]
    free_text.append((repo / inputs["flipchart"]).read_text(encoding="utf-8"))
    free_text += [p.read_text(encoding="utf-8") for p in sorted((repo / inputs["transcripts"]).glob("*.txt"))]
    for text in free_text:
        ids["email"].update(re.findall(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", text))
        ids["phone"].update(re.findall(r"(?:\+44\s?|0)\d{3,4}[\s-]?\d{3}[\s-]?\d{3,4}", text))
        ids["nhs_number"].update(re.findall(r"\b\d{3}[ -]\d{3}[ -]\d{4}\b", text))
        ids["postcode"].update(re.findall(r"\b[A-Z]{1,2}\d[A-Z\d]? \d[A-Z]{2}\b", text))
    return ids


_END = ""


def trie_regex(values: Iterable[str], sep: str = "") -> str:
    """One regular expression matching any of ``values`` (characters literal, ``sep`` between
    them), longest first, built as a trie: at each position only the branch of the next
    character is tried, where an alternation of all values tries each one (the scan of a run's
    files took 4 s with it). A test holds it equal to the plain alternation."""
    trie: dict = {}
    for v in values:
        node = trie
        for ch in v:
            node = node.setdefault(ch, {})
        node[_END] = {}

    def emit(node: dict, depth: int) -> str:
        alts = [(sep if depth else "") + re.escape(k) + emit(node[k], depth + 1) for k in sorted(node) if k != _END]
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        return f"(?:{body})?" if _END in node else body

    return emit(trie, 0)


PHONE_SEP, PHONE_TRUNK = r"[\s().-]*", r"(?:0|\+44[\s()]*0?)[\s().-]*"


def patterns(ids: dict[str, set[str]]) -> list[tuple[str, re.Pattern]]:
    """One regex per category. Words match whole (accents and case folded); phone and NHS
    numbers match with any spacing or punctuation between their digits."""
    out = []
    for cat, values in ids.items():
        if not values:
            continue
        if cat in {"phone", "nhs_number"}:
            trunk, other = set(), set()
            for v in values:
                digits = re.sub(r"\D", "", v)
                if digits.startswith("44"):
                    digits = "0" + digits[2:]
                (trunk.add(digits[1:]) if digits.startswith("0") else other.add(digits))
            alts = ([PHONE_TRUNK + trie_regex(trunk, PHONE_SEP)] if trunk else []) + ([trie_regex(other, r"[\s-]*")] if other else [])
            rx = r"(?<!\d)(?:" + "|".join(alts) + r")(?!\d)"
        else:
            # Whole words, "_" a separator ("focus_group_zoe_castellano.txt", "E05_Oliver")
            rx = r"(?<![^\W_])(?:" + trie_regex({fold(v) for v in values}) + r")(?![^\W_])"
        out.append((cat, re.compile(rx, re.IGNORECASE)))
    return out


def test_trie_regex_matches_what_the_plain_alternation_matches():
    import random

    rng = random.Random(12)
    words = {"".join(rng.choice("abé-") for _ in range(rng.randint(1, 6))) for _ in range(300)} | {"ab", "abab", "a b"}
    text = "".join(rng.choice("abé- _\n") for _ in range(20000))
    plain = r"(?<![^\W_])(?:" + "|".join(map(re.escape, sorted(words, key=len, reverse=True))) + r")(?![^\W_])"
    trie = r"(?<![^\W_])(?:" + trie_regex(words) + r")(?![^\W_])"
    assert [m.span() for m in re.finditer(trie, text)] == [m.span() for m in re.finditer(plain, text)]
    digits = {"".join(rng.choice("0123") for _ in range(rng.randint(3, 8))) for _ in range(100)}
    text = "".join(rng.choice("0123 -()") for _ in range(20000))
    plain = r"(?<!\d)(?:" + "|".join(PHONE_SEP.join(d) for d in sorted(digits, key=len, reverse=True)) + r")(?!\d)"
    trie = r"(?<!\d)(?:" + trie_regex(digits, PHONE_SEP) + r")(?!\d)"
    assert [m.span() for m in re.finditer(trie, text)] == [m.span() for m in re.finditer(plain, text)]


DATA_URI = re.compile(r"data:[\w/+.-]+;base64,[A-Za-z0-9+/=]+")


def leaks(results: Path, pats, files: list[Path] | None = None) -> list[tuple[str, str, str]]:
    """(file, category, matched text) for every identifier found under ``results``, in a
    file's text or in its path (a file named after someone leaks the name)."""
    found = []
    for path in files or sorted(p for p in results.rglob("*") if p.is_file()):
        text = str(path.relative_to(results)) + "\n" + file_text(path)
        text = DATA_URI.sub(" ", text)  # embedded images are not text
        folded = fold(text)
        for cat, rx in pats:
            for m in rx.finditer(text if cat in {"phone", "nhs_number"} else folded):
                found.append((str(path.relative_to(results)), cat, m.group()))
    return found


def raw_paths(config: dict) -> list[Path]:
    """The configured raw inputs (absent ones left out; one path per coder's export)."""
    out = []
    for k in RAW_KEYS:
        value = config["inputs"].get(k)
        for v in value if isinstance(value, list) else [value] if value else []:
            out.append(Path(v["path"] if isinstance(v, dict) else v))
    return out


def hostile_inputs(work: Path) -> dict[str, str]:
    """Hide roster names in the structural fields of the default inputs of ``work`` (issue 12):
    a full name inside a code name (the MAXQDA ``Code`` cell of every segment of one
    sub-theme), a transcript file named after a participant (and the export's document name
    for it, as a QDA tool names a document after its file), and a name inside a note id (in
    the notes and the export). Returns what was hidden where."""
    config = yaml.safe_load((work / "config.yaml").read_text())
    inputs = config["inputs"]
    exports = [path for path, _ in coded_exports(config)]
    assert all(p.endswith(".csv") and "maxqda" in p for p in exports), "the default run reads MAXQDA exports (one per coder)"
    names = [r["Full name"] for r in read_csv_rows(work / inputs["roster"])]
    in_code, in_file, in_note = names[0], names[2], names[1]
    first, last = in_file.split()[0], in_file.split()[-1]
    stem = f"focus_group_{first}_{last}"
    note = f"E05 {in_note}"
    folder = work / inputs["transcripts"]
    (folder / "focus_group_3.txt").rename(folder / f"{stem}.txt")
    notes_path = work / inputs["flipchart"]
    notes_path.write_text(notes_path.read_text(encoding="utf-8").replace("\nE05,", f"\n{note},", 1), encoding="utf-8")
    changed = Counter()
    for path in exports:  # every coder's export names the documents and codes alike
        export = work / path
        rows = list(csv.reader(io.StringIO(export.read_text(encoding="utf-8"))))
        head = rows[0]
        doc, code = head.index("Document name"), head.index("Code")
        for row in rows[1:]:
            if row[doc] == "Focus group 3":
                row[doc] = stem
                changed["file"] += 1
            elif row[doc] == "E05":
                row[doc] = note
                changed["note"] += 1
            if row[code].endswith(" > Budgetary pressure"):
                row[code] += f" raised by {in_code}"
                changed["code"] += 1
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows(rows)
        export.write_text(out.getvalue(), encoding="utf-8")
    assert changed["file"] and changed["note"] and changed["code"], changed
    return {"code": in_code, "file": f"{stem}.txt", "note": note}


# ------------------------------------------------------------------------------ tests
def test_only_anonymisation_rules_read_raw_files(pipeline_run):
    config = yaml.safe_load((pipeline_run / "config.yaml").read_text())
    raw = raw_paths(config)
    summary = subprocess.run(
        [str(Path(__import__("sys").executable).with_name("snakemake")), "--detailed-summary", "--cores", "1", "--quiet", "all"],
        cwd=pipeline_run,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rows = list(csv.DictReader(io.StringIO(summary), delimiter="\t"))
    assert rows and "input-file(s)" in rows[0]
    readers = {}
    for row in rows:
        for inp in filter(None, row["input-file(s)"].split(",")):
            p = Path(inp.strip())
            if any(p == r or r in p.parents or p in r.parents for r in raw) or Path("data/raw") in p.parents:
                readers.setdefault(row["rule"], set()).add(str(p))
    assert set(readers) == {"anonymise_survey", "anonymise_freetext"}, readers
    # Paths could also be smuggled in as params: raw input keys appear only in the anonymisation rules' files.
    for smk in sorted((pipeline_run / "workflow" / "rules").glob("*.smk")):
        text = smk.read_text()
        used = [k for k in RAW_KEYS if re.search(rf'config\["inputs"\](\["{k}"\]|\.get\("{k}")', text)]
        assert smk.name in ("anonymise_survey.smk", "anonymise_freetext.smk") or not used, (smk.name, used)


def test_no_identifier_from_the_raw_files_reaches_results(pipeline_run):
    ids = identifiers(pipeline_run)
    assert len(ids["name"]) > 100 and len(ids["email"]) >= 52 and ids["nhs_number"] and ids["postcode"] and ids["job_title"]
    results = pipeline_run / "results"
    scanned = {p.suffix for p in results.rglob("*") if p.is_file()}
    assert {".pdf", ".svg", ".log", ".png", ".csv", ".json", ".html"} <= scanned, scanned
    assert leaks(results, patterns(ids)) == []


def test_snakemake_provenance_report_has_captions_and_no_identifiers(pipeline_run):
    """`snakemake --report` embeds rule params and outputs: it must carry no identifier either."""
    import sys
    import zipfile

    exe = str(Path(sys.executable).with_name("snakemake"))
    # Written beside results/, not in it: the shared run's results are compared byte for byte elsewhere.
    subprocess.run([exe, "--report", "provenance-test.zip", "--quiet", "all"], cwd=pipeline_run, check=True, capture_output=True)
    zpath = pipeline_run / "provenance-test.zip"
    with zipfile.ZipFile(zpath) as zf:
        html = next(zf.read(n).decode() for n in zf.namelist() if n.count("/") == 1 and n.endswith("/report.html"))
    assert "Table 2: per subscale" in html and "Consistency audit" in html, "captions are in the report"
    ids = identifiers(pipeline_run)
    assert leaks(pipeline_run, patterns(ids), files=[zpath]) == []


def test_no_key_in_outputs_or_logs(pipeline_run):
    config = yaml.safe_load((pipeline_run / "config.yaml").read_text())
    demo = config["pseudonymisation"]["demo_key"]
    for path in (pipeline_run / "results").rglob("*"):
        if path.is_file():
            assert demo not in file_text(path) and demo not in path.read_bytes().decode("latin-1"), path


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    """The pipeline on inputs that hide roster names in a code name, a file name and a note id
    (all in the qualitative arm: its rules and the report run)."""
    work = fresh_copy(tmp_path_factory.mktemp("hostile") / "repo")
    hidden = hostile_inputs(work)
    proc = run_pipeline(work, "--configfile", write_one_arm_config(work, "qualitative"))
    assert proc.returncode == 0, proc.stderr[-3000:]
    return work, hidden


def test_names_in_code_names_file_names_and_note_ids_do_not_reach_results(hostile_run):
    work, hidden = hostile_run
    assert leaks(work / "results", patterns(identifiers(work))) == []
    # The names were there to find, and their structure survived under neutral names.
    key = {r["original"]: r["neutral"] for r in read_csv_rows(work / "restricted" / "document_key.csv")}
    assert key[hidden["file"]] == "Focus group 6", "the renamed file sorts last in name order"
    assert key[hidden["note"]] == "note 005"
    codes = {r["code_path"] for r in read_csv_rows(work / "results" / "tables" / "codebook.csv")}
    assert any(re.fullmatch(r"Focus-group themes > Constraints > Budgetary pressure raised by \[Participant \d\d\]", c) for c in codes)
    fg = read_csv_rows(work / "results" / "tables" / "focus_group_themes.csv")
    assert [c for c in fg[0] if c.startswith("Focus group")] == [f"Focus group {i}" for i in range(1, 7)]


@pytest.fixture(scope="module")
def bypassed_run(tmp_path_factory):
    """The pipeline with the free-text redaction switched off (every text passes unchanged),
    on the hostile inputs (so code names carry names too): the qualitative arm and the report."""
    work = fresh_copy(tmp_path_factory.mktemp("bypass") / "repo")
    hostile_inputs(work)
    redact = work / "scripts" / "redact.py"
    redact.write_text(
        redact.read_text()
        + "\n\n# TEST ONLY: bypass the anonymisation\nRedactor.redact = lambda self, text: Redacted(text=text, edits=())\n"
    )
    proc = run_pipeline(work, "--configfile", write_one_arm_config(work, "qualitative"))
    assert proc.returncode == 0, proc.stderr[-3000:]
    return work


def test_leak_scan_fails_when_anonymisation_is_bypassed(bypassed_run):
    found = leaks(bypassed_run / "results", patterns(identifiers(bypassed_run)))
    files = {f for f, _, _ in found}
    cats = {c for _, c, _ in found}
    assert {"name", "phone", "email", "place"} <= cats, cats
    assert "anonymised/coded_segments.csv" in files
    assert {"anonymised/codebook.csv", "tables/codebook.csv"} <= files, "the scan reads code names"
    assert "report/report.html" in files and "report/report.pdf" in files, "the scan reads the rendered report too"
