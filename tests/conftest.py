"""Fixtures shared by the tests. `pipeline_run` runs the whole pipeline once per session, on
the synthetic study, in a fresh copy of the repository, and is reused by every test that
checks outputs.

`make test` runs the suite on two pytest-xdist workers (``--dist loadfile``: a file's tests,
and so its module fixtures, stay on one worker). The session run is made once for both: the
first worker to ask makes it in the folder the workers share, under a file lock, and the other
waits for it and reuses it. Tests treat it as read-only (a test that changes a run works in a
copy: ``_support.finished_copy``).
"""

import fcntl
import json
import os

import pytest

from _support import fresh_copy, run_pipeline


def _make_run(folder):
    work = fresh_copy(folder / "repo")
    proc = run_pipeline(work)
    return work, proc.returncode, proc.stderr[-4000:]


@pytest.fixture(scope="session")
def pipeline_run(tmp_path_factory):
    if "PYTEST_XDIST_WORKER" not in os.environ:
        work, code, stderr = _make_run(tmp_path_factory.mktemp("run"))
    else:
        shared = tmp_path_factory.getbasetemp().parent  # the same for every worker of this session
        record = shared / "pipeline_run.json"
        with open(shared / "pipeline_run.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, even if the run fails
            if not record.exists():
                work, code, stderr = _make_run(shared / "pipeline_run")
                record.write_text(json.dumps({"work": str(work), "code": code, "stderr": stderr}))
            saved = json.loads(record.read_text())
        work, code, stderr = type(shared)(saved["work"]), saved["code"], saved["stderr"]
    if code != 0:
        pytest.fail(f"pipeline failed:\n{stderr}")
    return work
