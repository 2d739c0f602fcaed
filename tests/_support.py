"""Helpers for tests that run the whole pipeline in a fresh copy of the repository."""

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
    """Text of each page (pypdf's layout mode: its default mode drops table cells)."""
    from pypdf import PdfReader

    return [page.extract_text(extraction_mode="layout") for page in PdfReader(str(path)).pages]
