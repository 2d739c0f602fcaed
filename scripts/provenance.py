"""Provenance of a run: input hashes, the config used (identifying lists withheld), git state,
versions and the build date.

The anonymisation rules hash the raw files they read (only they may read them); the report
hashes the rest and records the rest of this.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import subprocess
from collections.abc import Iterable, Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WITHHELD_KEYS = {
    ("redaction", "places"): "places named in free text",
    ("redaction", "services"): "services named in free text",
    ("organisation_lookup",): "organisations",
    ("job_title_lookup",): "job titles",
}


def sha256_file(path: str | os.PathLike) -> str:
    import hashlib

    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def hash_inputs(paths: Iterable[str | os.PathLike]) -> dict[str, str]:
    """SHA-256 of each file; a folder contributes each file below it (sorted)."""
    out: dict[str, str] = {}
    for p in map(Path, paths):
        files = sorted(f for f in p.rglob("*") if f.is_file()) if p.is_dir() else [p]
        for f in files:
            out[str(f)] = sha256_file(f)
    return out


def withhold(config: Mapping) -> dict:
    """The config as used, with lists that name places, services and organisations withheld."""
    out = json_safe(config)
    for path, what in WITHHELD_KEYS.items():
        node = out
        for k in path[:-1]:
            node = node.get(k, {})
        if path[-1] in node:
            n = len(node[path[-1]])
            node[path[-1]] = f"<withheld: {n} {what}>"
    if "pseudonymisation" in out:
        for k in ("demo_key",):
            if out["pseudonymisation"].get(k):
                out["pseudonymisation"][k] = "<withheld>"
    return out


def json_safe(obj):
    if isinstance(obj, Mapping):
        return {str(k): json_safe(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [json_safe(v) for v in obj]
    return obj


def git_state(root: Path = ROOT) -> dict:
    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=True).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            return ""

    commit = git("rev-parse", "HEAD")
    status = git("status", "--porcelain")
    return {"commit": commit or "unknown (not a git checkout)", "dirty": bool(status) if commit else None}


def build_date(environ: Mapping[str, str] = os.environ) -> dict:
    epoch = environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        when = dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC)
        return {"date": when.strftime("%Y-%m-%d %H:%M UTC"), "source": "SOURCE_DATE_EPOCH", "epoch": int(epoch)}
    now = dt.datetime.now(tz=dt.UTC)
    return {"date": now.strftime("%Y-%m-%d %H:%M UTC"), "source": "clock (SOURCE_DATE_EPOCH not set)", "epoch": int(now.timestamp())}


def versions(renderer: Mapping) -> dict:
    from importlib.metadata import PackageNotFoundError, version

    pkgs = {}
    for name in ("snakemake", "pandas", "numpy", "scipy", "matplotlib", "pyyaml", "jsonschema", "pypandoc_binary", "typst"):
        try:
            pkgs[name] = version(name)
        except PackageNotFoundError:
            pkgs[name] = "not installed"
    return {"python": platform.python_version(), "platform": platform.platform(terse=True), "packages": pkgs, "renderer": dict(renderer)}
