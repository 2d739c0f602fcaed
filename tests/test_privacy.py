"""Privacy holds under test.

* Only the anonymisation rules read raw files (from Snakemake's own record of the run, and
  from the rule files).
* No identifying string from the synthetic raw files reaches any file under results/: not the
  tables, not the logs, not the SVG figures, not the HTML report, not the PDF's text.
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
from pathlib import Path

import pytest
import yaml

from _support import fresh_copy, pdf_text, run_pipeline

pytestmark = pytest.mark.pipeline

RAW_KEYS = ("roster", "survey", "facilitators", "flipchart", "transcripts", "coded_export")
TEXT_SUFFIXES = {".csv", ".json", ".txt", ".md", ".log", ".svg", ".html", ".typ", ".qmd", ".yaml", ".css"}
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
    for full in [r["Full name"] for r in roster] + facilitators:
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
            rx = r"(?<![\w])(?:" + "|".join(map(re.escape, words)) + r")(?![\w])"
        out.append((cat, re.compile(rx, re.IGNORECASE)))
    return out


DATA_URI = re.compile(r"data:[\w/+.-]+;base64,[A-Za-z0-9+/=]+")


def file_text(path: Path) -> str | None:
    if path.suffix == ".pdf":
        return "\n".join(pdf_text(path))
    if path.suffix == ".zip":  # Snakemake's provenance report: every member as text
        import zipfile

        with zipfile.ZipFile(path) as zf:
            return "\n".join(zf.read(n).decode("utf-8", errors="replace") for n in zf.namelist())
    if path.suffix in TEXT_SUFFIXES:
        return path.read_text(encoding="utf-8", errors="replace")
    return None


def leaks(results: Path, pats, files: list[Path] | None = None) -> list[tuple[str, str, str]]:
    """(file, category, matched text) for every identifier found under ``results``."""
    found = []
    for path in files or sorted(p for p in results.rglob("*") if p.is_file()):
        text = file_text(path)
        if text is None:
            continue
        text = DATA_URI.sub(" ", text)  # embedded images are not text
        folded = fold(text)
        for cat, rx in pats:
            for m in rx.finditer(text if cat in {"phone", "nhs_number"} else folded):
                found.append((str(path.relative_to(results)), cat, m.group()))
    return found


# ------------------------------------------------------------------------------ tests
def test_only_anonymisation_rules_read_raw_files(pipeline_run):
    config = yaml.safe_load((pipeline_run / "config.yaml").read_text())
    raw = [Path(config["inputs"][k]) for k in RAW_KEYS]
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
    scanned = [p for p in results.rglob("*") if p.is_file() and file_text(p) is not None]
    assert (
        any(p.suffix == ".pdf" for p in scanned) and any(p.suffix == ".svg" for p in scanned) and any(p.suffix == ".log" for p in scanned)
    )
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
            text = file_text(path) or path.read_bytes().decode("latin-1")
            assert demo not in text, path


@pytest.fixture(scope="module")
def bypassed_run(tmp_path_factory):
    """The pipeline with the free-text redaction switched off (every text passes unchanged)."""
    work = fresh_copy(tmp_path_factory.mktemp("bypass") / "repo")
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
            assert key not in (file_text(path) or path.read_bytes().decode("latin-1")), path
