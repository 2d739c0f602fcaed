"""Atomic writers keep their temporary files out of the output folders (issue 12).

A run killed mid-write (SIGKILL: no clean-up at all) used to leave
``results/anonymised/.k_anonymity.json.<random>.tmp`` behind, which no later run removed.
Temporary files now live in ``.snakemake/ripls-tmp/`` (same file system, so the rename stays
atomic), carry the writer's process id, and ``tools/pipeline.py`` removes those of dead
writers when no run holds the lock.
"""

import errno
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

import outputs
import pipeline
from _support import ROOT
from outputs import TMP_DIR, atomic_dir, atomic_path, stale_temporary_files, write_text


def files_under(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def test_the_temporary_file_lies_outside_the_output_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    target = Path("results/anonymised/k_anonymity.json")
    with atomic_path(target) as tmp:
        tmp.write_text("{}")
        assert tmp.parent == tmp_path / TMP_DIR
        assert tmp.name.startswith(f".k_anonymity.json.{os.getpid()}.") and tmp.name.endswith(".tmp")
        assert files_under(tmp_path / "results") == [], "nothing in results/ until the rename"
    assert target.read_text() == "{}"
    assert files_under(tmp_path / TMP_DIR) == []
    assert oct(target.stat().st_mode & 0o777) == oct(0o666 & ~outputs._UMASK)


def test_a_failed_write_leaves_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("results").mkdir()
    Path("results/old.csv").write_text("old")
    with pytest.raises(RuntimeError), atomic_path("results/old.csv") as tmp:
        tmp.write_text("half")
        raise RuntimeError
    assert Path("results/old.csv").read_text() == "old"
    assert files_under(tmp_path / TMP_DIR) == []


def test_outside_the_working_directory_the_temporary_file_is_beside_the_target(tmp_path, monkeypatch):
    work, elsewhere = tmp_path / "work", tmp_path / "elsewhere"
    work.mkdir()
    monkeypatch.chdir(work)
    with atomic_path(elsewhere / "x.txt") as tmp:
        assert tmp.parent == elsewhere
    assert not (work / ".snakemake").exists()


def test_a_rename_across_file_systems_falls_back_to_a_copy_beside_the_target(tmp_path, monkeypatch):
    """os.replace refuses to cross file systems (EXDEV): the file is moved beside the target first."""
    monkeypatch.chdir(tmp_path)
    real_replace = os.replace
    calls = []

    def replace(src, dst):
        calls.append((Path(src).parent, Path(dst).parent))
        if Path(src).parent != Path(dst).parent:
            raise OSError(errno.EXDEV, "Invalid cross-device link")
        real_replace(src, dst)

    monkeypatch.setattr(outputs.os, "replace", replace)
    write_text("results/a.txt", "text\n")
    assert Path("results/a.txt").read_text() == "text\n"
    assert files_under(tmp_path / "results") == ["a.txt"] and files_under(tmp_path / TMP_DIR) == []
    assert len(calls) == 2, "tried the atomic rename first"


def test_atomic_dir_replaces_the_folder_whole_or_not_at_all(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    out = Path("results/anonymised/transcripts")
    out.mkdir(parents=True)
    (out / "old.txt").write_text("old")
    with pytest.raises(RuntimeError), atomic_dir(out) as d:
        write_text(d / "Focus group 1.txt", "new")
        raise RuntimeError
    assert files_under(out) == ["old.txt"], "a failed build leaves the old folder"
    with atomic_dir(out) as d:
        assert d.parent == tmp_path / TMP_DIR
        write_text(d / "Focus group 1.txt", "one")
        write_text(d / "Focus group 2.txt", "two")
        assert files_under(out) == ["old.txt"], "the new folder appears only at the end"
    assert files_under(out) == ["Focus group 1.txt", "Focus group 2.txt"]
    assert list((tmp_path / TMP_DIR).iterdir()) == []


CHILD = """
import sys, time
sys.path.insert(0, {scripts!r})
from outputs import atomic_path
with atomic_path("results/anonymised/k_anonymity.json") as tmp:
    tmp.write_text("{{half")
    print(tmp, flush=True)
    time.sleep(600)
"""


def test_a_writer_killed_mid_write_leaves_nothing_in_results_and_the_wrapper_clears_it(tmp_path):
    """Killed at an observable moment: the child says it holds a half-written temporary file."""
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD.format(scripts=str(ROOT / "scripts"))], cwd=tmp_path, stdout=subprocess.PIPE, text=True
    )
    tmp = Path(child.stdout.readline().strip())
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    child.stdout.close()
    assert tmp.is_file() and tmp.parent == tmp_path / TMP_DIR and f".{child.pid}." in tmp.name
    assert files_under(tmp_path / "results") == []
    assert stale_temporary_files(tmp_path, lambda pid: True) == [], "a live writer's file is not stale"
    assert stale_temporary_files(tmp_path, pipeline._alive) == [tmp]
    locks = tmp_path / ".snakemake" / "locks"
    locks.mkdir()
    (locks / "0.output.lock").write_text("")
    assert pipeline.clear_stale_temporary_files(tmp_path) == 0 and tmp.exists(), "another run holds the lock: keep"
    (locks / "0.output.lock").unlink()
    assert pipeline.clear_stale_temporary_files(tmp_path) == 1 and not tmp.exists()


def test_stale_files_beside_a_target_in_results_are_found_too(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True)
    pid = int(dead.stdout)
    (tmp_path / "results" / "report" / ".source.x").mkdir(parents=True)
    stale = tmp_path / "results" / "report" / f".report.pdf.{pid}.ab_cd12.tmp"
    stale.write_text("")
    folder = tmp_path / "results" / "report" / f".source.{pid}.zz9_xy.tmpdir"
    folder.mkdir()
    (tmp_path / "results" / "report" / ".not.ours.tmp").write_text("")
    assert stale_temporary_files(tmp_path, pipeline._alive) == [stale, folder]
