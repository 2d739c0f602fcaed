"""Benchmark (`make bench`): where the time goes, with public tools only.

Every scenario runs in a throwaway copy of the repository (sharing this checkout's .venv),
so your own results/ is never touched. Each measurement runs the command in a child
process and records its wall time and peak memory (the largest resident set of any process
it started, from getrusage); the table shows the median over the repeats.

Scenarios
* cold: `make report` after results/ is deleted (environment already installed);
* no-op: `make report` again with nothing changed;
* incremental: `make report` after one coded segment is recoded; the rules that reran are listed;
* scaling: synthetic questionnaires of 44, 1,000, 10,000 and 100,000 respondents (answer rows
  resampled from the synthetic export, each with a fresh fake identity) through
  anonymisation, scoring, reliability and Fisher tests.

Targets (issue 5, on the 2-core machine): cold <= 10 s; no-op <= 1.5 s; 100,000 respondents
<= 2x the time of 44, with peak memory <= 1 GB.
"""

import argparse
import csv
import io
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCALING_TARGETS = [
    "results/anonymised/questionnaire.csv",
    "results/tables/table2_subscales.csv",
    "results/tables/item_statistics.csv",
    "results/tables/fisher_tests.csv",
]


# ----------------------------------------------------------------------------- measuring
def measure(cmd: list[str], cwd: Path, env: dict | None = None) -> dict:
    """Run ``cmd`` in a child process that reports wall time and its children's peak RSS."""
    probe = (
        "import json, resource, subprocess, sys, time\n"
        "t = time.perf_counter()\n"
        "p = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "wall = time.perf_counter() - t\n"
        "rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
        "print(json.dumps({'wall': wall, 'rss_mb': rss / 1024, 'code': p.returncode, 'out': p.stdout[-20000:] + p.stderr[-20000:]}))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe, *cmd], cwd=cwd, env=env, capture_output=True, text=True, check=True)
    result = json.loads(out.stdout)
    if result["code"] != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{result['out'][-3000:]}")
    return result


def repeat(n: int, cmd: list[str], cwd: Path, env: dict, before=None) -> list[dict]:
    runs = []
    for _ in range(n):
        if before:
            before()
        runs.append(measure(cmd, cwd, env))
    return runs


def summary(name: str, runs: list[dict], note: str = "") -> dict:
    walls = [r["wall"] for r in runs]
    return {
        "scenario": name,
        "runs": len(runs),
        "median_s": statistics.median(walls),
        "min_s": min(walls),
        "max_s": max(walls),
        "peak_mb": max(r["rss_mb"] for r in runs),
        "note": note,
    }


# ----------------------------------------------------------------------------- set-up
def workspace(tmp: Path) -> Path:
    """A copy of the working tree (what git tracks plus new files) with the shared .venv."""
    out = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT, capture_output=True, check=True)
    work = tmp / "repo"
    for rel in filter(None, out.stdout.decode().split("\0")):
        src = ROOT / rel
        if src.is_file():
            (work / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, work / rel)
    if (ROOT / ".git").is_dir():
        shutil.copytree(ROOT / ".git", work / ".git", symlinks=True)
    (work / ".venv").symlink_to(ROOT / ".venv")
    return work


def environment() -> dict:
    env = {k: v for k, v in os.environ.items() if k != "RIPLS_PSEUDONYM_KEY"}
    env.update({"SOURCE_DATE_EPOCH": env.get("SOURCE_DATE_EPOCH") or "1700000000", "MPLBACKEND": "Agg", "PYTHONHASHSEED": "0"})
    return env


def recode_one_segment(work: Path) -> None:
    """Move the first focus-group segment of Coder A's MAXQDA export to another sub-theme."""
    path = work / "data" / "synthetic" / "coded_segments_maxqda_coder_a.csv"
    text = path.read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    header = rows[0]
    code = header.index("Code")
    for row in rows[1:]:
        if row[code].startswith("Focus-group themes > Constraints > Budgetary pressure"):
            row[code] = "Focus-group themes > Constraints > Staff release and workload"
            break
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")


def rules_run(output: str) -> list[str]:
    return sorted(set(re.findall(r"\(Rule: (\w+)\)", output)) - {"all"})


def scaled_study(work: Path, n: int, seed: int = 7) -> Path:
    """A survey export and roster of ``n`` respondents, answers resampled from the synthetic
    export, identities fresh and fake; returns the config file that points at them."""
    import numpy as np
    import pandas as pd
    import yaml

    base = work / "data" / "synthetic"
    out = base / f"bench_{n}"
    out.mkdir(parents=True, exist_ok=True)
    survey = pd.read_csv(base / "survey_export.csv", dtype=str, keep_default_na=False)
    rng = np.random.default_rng(seed)
    rows = survey.iloc[rng.integers(0, len(survey), n)].reset_index(drop=True)
    ids = [f"{i:06d}" for i in range(n)]
    rows["Full name"] = [f"Bench Respondent {i}" for i in ids]
    rows["Email address"] = [f"r{i}@bench.example" for i in ids]
    rows["Any other comments?"] = ""
    rows.to_csv(out / "survey_export.csv", index=False, lineterminator="\n")
    roster = pd.DataFrame(
        {"Full name": rows["Full name"], "Email": rows["Email address"], "Phone": "", "Organisation": "", "Job title": "", "County": ""}
    )
    roster.to_csv(out / "roster.csv", index=False, lineterminator="\n")
    config = yaml.safe_load((work / "config.yaml").read_text(encoding="utf-8"))
    config["inputs"]["survey"] = str((out / "survey_export.csv").relative_to(work))
    config["inputs"]["roster"] = str((out / "roster.csv").relative_to(work))
    path = work / f"bench_{n}.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


# ----------------------------------------------------------------------------- main
def run(repeats: int, sizes: list[int]) -> list[dict]:
    env = environment()
    rows = []
    with tempfile.TemporaryDirectory(prefix="ripls-bench-") as tmp:
        work = workspace(Path(tmp))
        make = ["make", "--no-print-directory", "report"]

        cold = repeat(repeats, make, work, env, before=lambda: shutil.rmtree(work / "results", ignore_errors=True))
        rows.append(summary("cold run: make report, results/ deleted", cold, f"{len(rules_run(cold[-1]['out']))} rules ran"))
        noop = repeat(max(repeats, 5), make, work, env)
        rows.append(summary("no-op run: make report again", noop, f"{len(rules_run(noop[-1]['out']))} rules ran"))

        def edit():
            subprocess.run(
                ["git", "checkout", "--", "data/synthetic/coded_segments_maxqda_coder_a.csv"], cwd=work, check=False, capture_output=True
            )
            measure(make, work, env)  # back to the committed coding, everything up to date
            recode_one_segment(work)

        inc = repeat(repeats, make, work, env, before=edit)
        rows.append(summary("incremental: one coded segment recoded", inc, "reran: " + ", ".join(rules_run(inc[-1]["out"]))))

        for n in sizes:
            cfg = scaled_study(work, n)
            # targets first: --quiet and --configfile each take several values
            cmd = [str(work / ".venv" / "bin" / "snakemake"), *SCALING_TARGETS, "--cores", "2", "--quiet", "all", "--configfile", str(cfg)]
            runs = repeat(repeats, cmd, work, env, before=lambda: shutil.rmtree(work / "results", ignore_errors=True))
            rows.append(summary(f"scaling: {n:,} respondents (anonymise, score, reliability, Fisher)", runs))
    return rows


def table(rows: list[dict]) -> str:
    head = f"| {'scenario':<64} | runs | median s | min s | max s | peak MB | note"
    lines = [head, "|" + "-" * 66 + "|------|----------|-------|-------|---------|-----"]
    for r in rows:
        times = f"{r['median_s']:>8.2f} | {r['min_s']:>5.2f} | {r['max_s']:>5.2f}"
        lines.append(f"| {r['scenario']:<64} | {r['runs']:>4} | {times} | {r['peak_mb']:>7.0f} | {r['note']}")
    return "\n".join(lines)


def verdicts(rows: list[dict]) -> list[str]:
    out = []
    cold = next(r for r in rows if r["scenario"].startswith("cold"))
    noop = next(r for r in rows if r["scenario"].startswith("no-op"))
    out.append(f"cold run {cold['median_s']:.2f} s (target <= 10 s): {'met' if cold['median_s'] <= 10 else 'NOT met'}")
    out.append(f"no-op run {noop['median_s']:.2f} s (target <= 1.5 s): {'met' if noop['median_s'] <= 1.5 else 'NOT met'}")
    scaling = [r for r in rows if r["scenario"].startswith("scaling")]
    if len(scaling) >= 2:
        small, big = scaling[0], scaling[-1]
        ratio = big["median_s"] / small["median_s"]
        out.append(
            f"{big['scenario'].split(':')[1].split('(')[0].strip()} / {small['scenario'].split(':')[1].split('(')[0].strip()}: "
            f"{ratio:.2f}x (target <= 2x): {'met' if ratio <= 2 else 'NOT met'}; peak {big['peak_mb']:.0f} MB "
            f"(target <= 1024 MB): {'met' if big['peak_mb'] <= 1024 else 'NOT met'}"
        )
    return out


def cli(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Benchmark the pipeline (see the module doc).")
    ap.add_argument("--repeats", type=int, default=3, help="runs per scenario (no-op: at least 5)")
    ap.add_argument("--sizes", type=int, nargs="+", default=[44, 1000, 10000, 100000])
    ap.add_argument("--json", type=Path, help="also write the rows as JSON here")
    args = ap.parse_args(argv)
    rows = run(args.repeats, args.sizes)
    print(table(rows))
    print()
    for line in verdicts(rows):
        print(line)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(cli())
