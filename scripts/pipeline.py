"""Run the whole pipeline (what `make report` calls): Snakemake, quietly, with errors for people.

Snakemake wraps a failing job in many lines of its own. This runs it with its per-job
chatter turned off, passes its output through, and, if the run fails, ends with the
one-line error(s) the stages raised (the lines that start with "ERROR "), so the last thing
on the screen says which file, row or column, what was found and what was expected.
Any arguments are passed to Snakemake (e.g. `--cores 2`, `--configfile other.yaml`).
"""

import subprocess
import sys
from pathlib import Path

from _helpers import ERROR_PREFIX

ROOT = Path(__file__).resolve().parent.parent


def snakemake_command(args: list[str]) -> list[str]:
    exe = Path(sys.executable).with_name("snakemake")
    base = [str(exe)] if exe.exists() else [sys.executable, "-m", "snakemake"]
    return [*base, "--quiet", "rules", "host", *args]


def run(args: list[str]) -> int:
    proc = subprocess.Popen(snakemake_command(args), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1)
    errors: list[str] = []
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith(f"{ERROR_PREFIX} "):
            if line.rstrip() not in errors:
                errors.append(line.rstrip())
            continue  # repeated at the end, once
        sys.stderr.write(line)
    code = proc.wait()
    if code != 0:
        if not errors:
            errors.append(f"{ERROR_PREFIX} the pipeline failed: see the messages above and the logs in results/logs/")
        sys.stderr.write("\n" + "\n".join(errors) + "\n")
    return code


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
