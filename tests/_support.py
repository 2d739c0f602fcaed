"""Helpers for tests that run the whole pipeline in a fresh copy of the repository."""

import functools
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
EPOCH = "1700000000"  # SOURCE_DATE_EPOCH for reproducible reports in tests


def fresh_copy(dest: Path) -> Path:
    """A copy of the working tree as a fresh clone would have it (tracked and new files,
    nothing git ignores: no results/, no .snakemake/, no data/raw/ contents), with .git so
    the report can record the commit."""
    out = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT, capture_output=True, check=True)
    dest.mkdir(parents=True, exist_ok=True)
    for rel in filter(None, out.stdout.decode().split("\0")):
        src = ROOT / rel
        if src.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
    if (ROOT / ".git").is_dir():
        shutil.copytree(ROOT / ".git", dest / ".git", symlinks=True)
    else:  # a git worktree: .git is a file pointing elsewhere; clone the repository's history instead
        subprocess.run(["git", "clone", "-q", "--no-checkout", str(ROOT), str(dest / ".clone")], check=True, capture_output=True)
        (dest / ".clone" / ".git").rename(dest / ".git")
        shutil.rmtree(dest / ".clone")
        subprocess.run(["git", "reset", "-q"], cwd=dest, check=True, capture_output=True)
    return dest


def finished_copy(run: Path, dest: Path) -> Path:
    """A copy of a finished run's whole tree (results/, restricted/ and Snakemake's records,
    modification times kept), for a test that starts from a completed run without paying for
    another: Snakemake finds everything up to date in it (checked by the tests that use it)."""
    shutil.copytree(run, dest, symlinks=True)
    return dest


def run_pipeline(workdir: Path, *args: str, env: dict | None = None, timeout: int = 600) -> subprocess.CompletedProcess:
    """`make report`'s command, in ``workdir``; the pseudonym key variable is cleared unless
    given. In ``env``, a value of None removes the variable."""
    base = {k: v for k, v in os.environ.items() if k != "RIPLS_PSEUDONYM_KEY"}
    base.update({"SOURCE_DATE_EPOCH": EPOCH, "PYTHONHASHSEED": "0", "MPLBACKEND": "Agg"})
    base.update(env or {})
    base = {k: v for k, v in base.items() if v is not None}
    return subprocess.run(
        [PYTHON, "tools/pipeline.py", "--cores", "2", *args], cwd=workdir, env=base, capture_output=True, text=True, timeout=timeout
    )


def result_files(workdir: Path) -> dict[str, bytes]:
    root = workdir / "results"
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def pdf_text(path: Path) -> list[str]:
    """Text of each page (pypdf's layout mode: its default mode drops table cells). Read once
    per file version (5 s for the report's 50 pages; several tests read the same PDF)."""
    st = Path(path).stat()
    return list(_pdf_text(str(Path(path).resolve()), st.st_mtime_ns, st.st_size))


@functools.lru_cache(maxsize=16)
def _pdf_text(path: str, mtime_ns: int, size: int) -> tuple[str, ...]:
    from pypdf import PdfReader

    return tuple(page.extract_text(extraction_mode="layout") for page in PdfReader(path).pages)


RAW_KEYS = ("roster", "survey", "facilitators", "flipchart", "transcripts")


def to_real_data(work: Path) -> dict:
    """Point config.yaml at copies of the synthetic exports in data/raw/, as for a real study
    (``study.synthetic: false``, no generator records: a real study reads nothing from
    data/synthetic/). Returns the config written."""
    import yaml

    config = yaml.safe_load((work / "config.yaml").read_text(encoding="utf-8"))
    raw = work / "data" / "raw"

    def moved(path: str) -> str:
        src, dst = work / path, raw / Path(path).name
        if src.is_dir():
            shutil.copytree(src, dst)
        else:
            dst.write_bytes(src.read_bytes())
        return f"data/raw/{src.name}"

    inputs = config["inputs"]
    for k in RAW_KEYS:
        if inputs.get(k):
            inputs[k] = moved(inputs[k])
    export = inputs["coded_export"]
    inputs["coded_export"] = moved(export) if isinstance(export, str) else [{**e, "path": moved(e["path"])} for e in export]
    inputs["generator_records"] = []
    config["study"]["synthetic"] = False
    (work / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return config


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
        raise AssertionError(f"the privacy scan cannot read {path}: add a reader for its kind") from None


def one_arm(config: dict, arm: str) -> dict:
    """``config`` cut down to one arm of the study (``questionnaire`` or ``qualitative``), as a
    study with only that arm would be configured: a test that concerns one arm runs that arm's
    rules only (and the report). The paper is left out: reproducing it needs both arms."""
    study = {k: v for k, v in config["study"].items() if k != "publication"}
    shared = ("pseudonymisation", "roster", "survey", "organisation_lookup", "report")
    if arm == "qualitative":
        keys = ("roster", "facilitators", "flipchart", "transcripts", "coded_export")
        # the speakers' professional group (themes by people) comes from the roster's organisation
        extra = {"qualitative": config["qualitative"], "redaction": config["redaction"]}
        extra["demographics"] = {"org_type": config["demographics"]["org_type"]}
    elif arm == "questionnaire":
        keys = ("survey", "roster")
        extra = {k: config[k] for k in ("instrument", "demographics", "analysis", "k_anonymity", "figures") if k in config}
    else:
        raise ValueError(f"arm must be questionnaire or qualitative, not {arm!r}")
    inputs = {k: config["inputs"][k] for k in keys if config["inputs"].get(k)}
    return {"study": study, "inputs": inputs, **{k: config[k] for k in shared if k in config}, **extra}


def write_one_arm_config(work: Path, arm: str) -> str:
    """Write ``<arm>.yaml`` beside config.yaml (cut down by :func:`one_arm`); returns its name,
    for ``run_pipeline(work, "--configfile", name)``."""
    import yaml

    config = yaml.safe_load((work / "config.yaml").read_text(encoding="utf-8"))
    name = f"{arm}.yaml"
    (work / name).write_text(yaml.safe_dump(one_arm(config, arm), sort_keys=False, allow_unicode=True), encoding="utf-8")
    return name
