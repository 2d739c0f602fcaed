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
from pathlib import Path

import pytest
import yaml

from _support import fresh_copy, pdf_text, run_pipeline
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


def patterns(ids: dict[str, set[str]]) -> list[tuple[str, re.Pattern]]:
    """One regex per category. Words match whole (accents and case folded); phone and NHS
    numbers match with any spacing or punctuation between their digits."""
    out = []
    for cat, values in ids.items():
        if not values:
            continue
        if cat in {"phone", "nhs_number"}:
            alts = []
            for v in sorted(values):
                digits = re.sub(r"\D", "", v)
                if digits.startswith("44"):
                    digits = "0" + digits[2:]
                if digits.startswith("0"):
                    alts.append(r"(?:0|\+44[\s()]*0?)[\s().-]*" + r"[\s().-]*".join(digits[1:]))
                else:
                    alts.append(r"[\s-]*".join(digits))
            rx = r"(?<!\d)(?:" + "|".join(alts) + r")(?!\d)"
        else:
            words = sorted({fold(v) for v in values}, key=len, reverse=True)
            # Whole words, "_" a separator ("focus_group_zoe_castellano.txt", "E05_Oliver")
            rx = r"(?<![^\W_])(?:" + "|".join(map(re.escape, words)) + r")(?![^\W_])"
        out.append((cat, re.compile(rx, re.IGNORECASE)))
    return out


DATA_URI = re.compile(r"data:[\w/+.-]+;base64,[A-Za-z0-9+/=]+")


def file_text(path: Path) -> str:
    """The text of any file: a PDF's text, a PNG's text chunks, every member of a zip, and
    any other file as UTF-8 text (a file that is none of these fails the scan)."""
    if path.suffix == ".pdf":
        return "\n".join(pdf_text(path))
    if path.suffix == ".png":  # metadata chunks (tEXt, iTXt, zTXt); the pixels hold no text
        from PIL import Image

        with Image.open(path) as im:
            return "\n".join(f"{k}: {v}" for k, v in im.text.items())
    if path.suffix == ".zip":  # Snakemake's provenance report: every member as text
        import zipfile

        with zipfile.ZipFile(path) as zf:
            return "\n".join(zf.read(n).decode("utf-8", errors="replace") for n in zf.namelist())
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        pytest.fail(f"the privacy scan cannot read {path}: add a reader for its kind")


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
    assert inputs["coded_export"].endswith("maxqda.csv"), "the default run reads the MAXQDA export"
    names = [r["Full name"] for r in read_csv_rows(work / inputs["roster"])]
    in_code, in_file, in_note = names[0], names[2], names[1]
    first, last = in_file.split()[0], in_file.split()[-1]
    stem = f"focus_group_{first}_{last}"
    note = f"E05 {in_note}"
    folder = work / inputs["transcripts"]
    (folder / "focus_group_3.txt").rename(folder / f"{stem}.txt")
    notes_path = work / inputs["flipchart"]
    notes_path.write_text(notes_path.read_text(encoding="utf-8").replace("\nE05,", f"\n{note},", 1), encoding="utf-8")
    export = work / inputs["coded_export"]
    rows = list(csv.reader(io.StringIO(export.read_text(encoding="utf-8"))))
    head = rows[0]
    doc, code = head.index("Document name"), head.index("Code")
    changed = Counter()
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
    assert changed["file"] and changed["note"] and changed["code"], changed
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    export.write_text(out.getvalue(), encoding="utf-8")
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
    """The pipeline on inputs that hide roster names in a code name, a file name and a note id."""
    work = fresh_copy(tmp_path_factory.mktemp("hostile") / "repo")
    hidden = hostile_inputs(work)
    proc = run_pipeline(work)
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
    on the hostile inputs (so code names carry names too)."""
    work = fresh_copy(tmp_path_factory.mktemp("bypass") / "repo")
    hostile_inputs(work)
    redact = work / "scripts" / "redact.py"
    redact.write_text(
        redact.read_text()
        + "\n\n# TEST ONLY: bypass the anonymisation\nRedactor.redact = lambda self, text: Redacted(text=text, edits=())\n"
    )
    proc = run_pipeline(work)
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


def test_real_data_needs_a_key(tmp_path):
    """Switching config.yaml to exports in data/raw/: one clear error line without a key; with one it runs."""
    work = fresh_copy(tmp_path / "repo")
    raw = work / "data" / "raw"
    config_text = (work / "config.yaml").read_text()
    config = yaml.safe_load(config_text)
    for k in RAW_KEYS:
        src = work / config["inputs"][k]
        dst = raw / src.name
        if src.is_dir():
            __import__("shutil").copytree(src, dst)
        else:
            dst.write_bytes(src.read_bytes())
        config_text = config_text.replace(f"{k}: {config['inputs'][k]}", f"{k}: data/raw/{src.name}")
    config_text = config_text.replace("synthetic: true", "synthetic: false")
    # a real study reads nothing from data/synthetic/: not even the generator records
    config_text = re.sub(r"  generator_records:\n(    - .*\n)+", "  generator_records: []\n", config_text)
    (work / "config.yaml").write_text(config_text)
    assert "data/raw/survey_export.csv" in config_text

    proc = run_pipeline(work, env={"HOME": str(tmp_path / "home")})
    assert proc.returncode != 0
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("ERROR ") and "RIPLS_PSEUDONYM_KEY" in last and "pseudonymisation" in last
    assert sum(line.startswith("ERROR ") for line in proc.stderr.splitlines()) == 1
    assert not (work / "results" / "anonymised" / "questionnaire.csv").exists()

    key = "a-real-study-key-for-this-test-only-9f27c1"
    proc = run_pipeline(work, env={"HOME": str(tmp_path / "home"), "RIPLS_PSEUDONYM_KEY": key})
    assert proc.returncode == 0, proc.stderr[-3000:]
    html = (work / "results" / "report" / "report.html").read_text()
    assert "Synthetic data" not in html
    for path in (work / "results").rglob("*"):
        if path.is_file():
            assert key not in file_text(path) and key not in path.read_bytes().decode("latin-1"), path
