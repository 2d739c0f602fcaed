"""Fixtures shared by the tests. `pipeline_run` runs the whole pipeline once per session, on
the synthetic study, in a fresh copy of the repository, and is reused by every test that
checks outputs."""

import pytest

from _support import fresh_copy, run_pipeline


@pytest.fixture(scope="session")
def pipeline_run(tmp_path_factory):
    work = fresh_copy(tmp_path_factory.mktemp("run") / "repo")
    proc = run_pipeline(work)
    if proc.returncode != 0:
        pytest.fail(f"pipeline failed:\n{proc.stderr[-4000:]}")
    return work
