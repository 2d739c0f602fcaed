"""Run the whole pipeline (what `make report` calls): Snakemake, quietly, with errors for people.

* Snakemake wraps a failing job in many lines of its own. This runs it with its per-job
  chatter off, passes its output through, and, if the run fails, ends with the one-line
  error(s) the stages raised (lines that start with "ERROR "): which file, row or column,
  what was found and what was expected.
* Resumable: jobs whose outputs a killed run left incomplete are rerun
  (``--rerun-incomplete``). Snakemake's directory lock carries no process id, so a run killed
  with SIGKILL would leave a lock that blocks every later run; this wrapper records the process
  id of the Snakemake process that holds the lock and, when that process is gone, clears the
  stale lock first. Then, when no run holds the lock, it removes the temporary files that
  killed jobs left (``scripts/outputs.py`` keeps them in ``.snakemake/ripls-tmp/``, named with
  the writer's process id), so nothing of a killed run survives.
* The error lines are the stages' terminal lines (raw values redacted, ``scripts/errors.py``);
  the copies of the rule logs that ``--show-failed-logs`` prints are passed through, not
  repeated.

Any arguments are passed to Snakemake (e.g. ``--cores 2``, ``--configfile other.yaml``).
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
from config_check import configfile_problem
from errors import ERROR_PREFIX
from outputs import stale_temporary_files

ROOT = Path(__file__).resolve().parent.parent
PID_FILE = ROOT / ".snakemake" / "ripls-pipeline.pid"
#: How a stage's log file records its error (scripts/stage.py): shown by --show-failed-logs.
LOG_RECORD = f"{ERROR_PREFIX} ripls: "


def snakemake_command(args: list[str]) -> list[str]:
    exe = Path(sys.executable).with_name("snakemake")
    base = [str(exe)] if exe.exists() else [sys.executable, "-m", "snakemake"]
    return [*base, "--quiet", "rules", "host", "--rerun-incomplete", *args]


def _alive(pid: int) -> bool:
    """Whether a process runs. A zombie (dead, not yet reaped, as happens in containers
    whose first process reaps nothing) counts as dead."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state not in {"Z", "X"}


def clean_environment(environ: dict[str, str]) -> dict[str, str]:
    """SOURCE_DATE_EPOCH must be a number of seconds or absent: libraries fail on ''."""
    env = dict(environ)
    if not env.get("SOURCE_DATE_EPOCH", "0").strip().isdigit():
        del env["SOURCE_DATE_EPOCH"]
    return env


def clear_stale_lock(args: list[str]) -> bool:
    """If the run that wrote PID_FILE is dead, unlock the working directory. True if cleared."""
    try:
        pid = int(PID_FILE.read_text().strip())
    except (OSError, ValueError):
        return False
    if _alive(pid):
        return False
    subprocess.run([*snakemake_command(args), "--unlock"], cwd=ROOT, capture_output=True, check=False)
    PID_FILE.unlink(missing_ok=True)
    return True


def clear_stale_temporary_files(root: Path = ROOT) -> int:
    """Remove the temporary files of dead writers, if no run holds Snakemake's lock. How many."""
    locks = root / ".snakemake" / "locks"
    if locks.is_dir() and any(locks.iterdir()):
        return 0
    stale = stale_temporary_files(root, _alive)
    for p in stale:
        if p.is_dir():
            shutil.rmtree(p, ignore_errors=True)
        else:
            p.unlink(missing_ok=True)
    return len(stale)


def run(args: list[str]) -> int:
    problem = configfile_problem(args, root=ROOT)  # Snakemake reads --configfile files before the Snakefile
    if problem:
        sys.stderr.write(problem + "\n")
        return 1
    if clear_stale_lock(args):
        sys.stderr.write("A previous run was killed; its lock was cleared and its incomplete outputs will be rebuilt.\n")
    clear_stale_temporary_files()
    PID_FILE.parent.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen(
        snakemake_command(args),
        cwd=ROOT,
        env=clean_environment(os.environ),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
    )
    PID_FILE.write_text(str(proc.pid))  # the process that holds Snakemake's lock
    errors: list[str] = []
    assert proc.stdout is not None
    try:
        for line in proc.stdout:
            if line.startswith(f"{ERROR_PREFIX} ") and not line.startswith(LOG_RECORD):
                if line.rstrip() not in errors:
                    errors.append(line.rstrip())
                continue  # repeated at the end, once
            sys.stderr.write(line)
        code = proc.wait()
    except KeyboardInterrupt:  # Snakemake got the same SIGINT and shuts down cleanly
        code = proc.wait()
    PID_FILE.unlink(missing_ok=True)
    if code != 0:
        if not errors:
            errors.append(f"{ERROR_PREFIX} the pipeline failed: see the messages above and the logs in results/logs/")
        sys.stderr.write("\n" + "\n".join(errors) + "\n")
    return code


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
