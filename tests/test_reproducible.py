"""Reproducible to the byte, and resumable.

* Two clean runs in fresh copies of the repository give byte-identical files under
  results/, figures and report included (SOURCE_DATE_EPOCH set, as `make` sets it).
* Without SOURCE_DATE_EPOCH, only the report's date-bearing files differ.
* A run killed part-way (SIGKILL: no clean-up at all), then rerun, ends with the same files
  as a clean run.
"""

import os
import signal
import subprocess
import time

import pytest

from _support import PYTHON, fresh_copy, result_files, run_pipeline

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


def test_two_clean_runs_are_byte_identical(pipeline_run, tmp_path):
    other = fresh_copy(tmp_path / "repo")
    proc = run_pipeline(other)
    assert proc.returncode == 0, proc.stderr[-3000:]
    first, second = result_files(pipeline_run), result_files(other)
    assert len(first) > 40
    assert any(k.endswith(".png") for k in first) and any(k.endswith(".pdf") for k in first)
    assert differing(first, second) == set()


def test_without_source_date_epoch_only_the_dated_report_files_differ(pipeline_run, tmp_path):
    other = fresh_copy(tmp_path / "repo")
    proc = run_pipeline(other, env={"SOURCE_DATE_EPOCH": None})
    assert proc.returncode == 0, proc.stderr[-3000:]
    diff = differing(result_files(pipeline_run), result_files(other))
    assert diff <= DATED, diff - DATED
    assert "report/provenance.json" in diff  # the date really is taken from the clock


def test_a_killed_run_resumes_to_the_same_files(pipeline_run, tmp_path):
    work = fresh_copy(tmp_path / "repo")
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1700000000", "PYTHONHASHSEED": "0", "MPLBACKEND": "Agg"}
    env.pop("RIPLS_PSEUDONYM_KEY", None)
    proc = subprocess.Popen(
        [PYTHON, "tools/pipeline.py", "--cores", "2"],
        cwd=work,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    marker = work / "results" / "anonymised" / "questionnaire.csv"
    deadline = time.monotonic() + 120
    while not marker.exists() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    assert proc.poll() is None, "the run finished before it could be killed"
    os.killpg(proc.pid, signal.SIGKILL)  # the whole process group: wrapper, Snakemake and its jobs
    proc.wait()
    assert not (work / "results" / "report" / "report.html").exists(), "killed part-way"

    resumed = run_pipeline(work)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "lock was cleared" in resumed.stderr
    assert differing(result_files(pipeline_run), result_files(work)) == set()
