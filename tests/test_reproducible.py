"""Reproducible to the byte, and resumable.

* Without SOURCE_DATE_EPOCH only the report's date-bearing files differ: only the provenance
  module reads the clock, and the rules whose libraries could stamp a time, rerun without
  the variable, change nothing else.
* A run killed part-way (SIGKILL: no clean-up at all), then rerun in a third fresh copy, ends
  with files byte-identical to the session's clean run, figures and report included
  (SOURCE_DATE_EPOCH set, as `make` sets it), and no temporary file anywhere.

No assertion depends on timing (the suite runs on busy 2-core machines): the kill happens at a
moment the test observes (the first anonymised table exists, so the report cannot), not after
a delay; the only clock is a guard against a run that hangs.
"""

import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

from _support import EPOCH, PYTHON, finished_copy, fresh_copy, result_files, run_pipeline
from module_deps import SCRIPTS
from outputs import TMP_DIR

pytestmark = pytest.mark.pipeline

#: Files allowed to differ when SOURCE_DATE_EPOCH is unset: they carry the build date.
DATED = {
    "report/report.html",
    "report/report.pdf",
    "report/provenance.json",
    "report/source/report.qmd",
    "report/source/report.typ",
    "report/source/fragments/provenance.md",
}


def differing(a: dict[str, bytes], b: dict[str, bytes]) -> set[str]:
    return {k for k in a.keys() | b.keys() if a.get(k) != b.get(k)}


#: Every rule whose output a library could stamp with the time (figures: matplotlib; report:
#: pandoc and typst), besides the one module that reads the clock itself.
CLOCK_PRONE_RULES = ("figures_questionnaire", "figures_themes", "report")


def test_only_the_provenance_module_reads_the_clock():
    """What a run writes depends on the clock only through ``provenance.build_date``."""
    calls = re.compile(r"\b(?:datetime\.now|datetime\.utcnow|date\.today|time\.time|time\.gmtime|time\.localtime|time\.strftime)\(")
    readers = sorted(str(p.relative_to(SCRIPTS)) for p in SCRIPTS.rglob("*.py") if calls.search(p.read_text(encoding="utf-8")))
    assert readers == ["provenance.py"]


def test_without_source_date_epoch_only_the_dated_report_files_differ(pipeline_run, tmp_path):
    """The session's run copied, its clock-prone rules rerun without SOURCE_DATE_EPOCH: only
    the date-bearing files change. (With the variable set, two runs in fresh copies are equal
    in every file: test_a_killed_run_resumes_to_the_same_files compares a second run in full.)"""
    other = finished_copy(pipeline_run, tmp_path / "repo")
    proc = run_pipeline(other, "--forcerun", *CLOCK_PRONE_RULES, env={"SOURCE_DATE_EPOCH": None})
    assert proc.returncode == 0, proc.stderr[-3000:]
    first, second = result_files(pipeline_run), result_files(other)
    assert len(first) > 40 and first.keys() == second.keys()
    diff = differing(first, second)
    assert diff <= DATED, diff - DATED
    assert "report/provenance.json" in diff  # the date really is taken from the clock


#: A guard against a hung run, not a timing assertion: a cold run takes ~10 s idle, ~90 s loaded.
HANG_GUARD_SECONDS = 900


def temporary_files(work: Path) -> list[str]:
    """Every temporary file or folder of an atomic write, under results/ or Snakemake's folder."""
    found = [p for p in (work / "results").rglob("*") if ".tmp" in p.name]
    found += [p for p in (work / TMP_DIR).glob("*")] if (work / TMP_DIR).is_dir() else []
    return sorted(str(p.relative_to(work)) for p in found)


def test_a_killed_run_resumes_to_the_same_files(pipeline_run, tmp_path):
    work = fresh_copy(tmp_path / "repo")
    env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH, "PYTHONHASHSEED": "0", "MPLBACKEND": "Agg"}
    env.pop("RIPLS_PSEUDONYM_KEY", None)
    proc = subprocess.Popen(
        [PYTHON, "tools/pipeline.py", "--cores", "2"],
        cwd=work,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    # Kill while the anonymisation is writing its outputs: the first one exists, the rest are
    # being written (the moment a temporary file used to be left in results/anonymised/).
    marker = work / "results" / "anonymised" / "questionnaire.csv"
    guard = time.monotonic() + HANG_GUARD_SECONDS
    while not marker.exists():
        assert proc.poll() is None, "the run ended before writing its first output"
        assert time.monotonic() < guard, "the run hangs"
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)  # the whole process group: wrapper, Snakemake and its jobs
    proc.wait()
    assert not (work / "results" / "report" / "report.html").exists(), "killed part-way (the report needs every table)"
    assert [t for t in temporary_files(work) if t.startswith("results")] == [], "no temporary file is ever made in results/"

    resumed = run_pipeline(work)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "lock was cleared" in resumed.stderr
    assert temporary_files(work) == [], "nothing of the killed run survives, not even in .snakemake/ripls-tmp/"
    assert differing(result_files(pipeline_run), result_files(work)) == set()
