"""A change of pseudonymisation key reruns the anonymisation and everything after it (issue 12).

The anonymisation rules carry a param ``key_fingerprint`` (``workflow/rules/common.smk``):
16 hex digits of HMAC-SHA256(key, "key fingerprint:ripls pseudonymisation key"), read the way
``load_key`` reads the key; ``"no key"`` when there is none. Never the key, never a plain hash
of it: the fingerprints below are checked against ``hmac`` directly.
"""

import csv
import hashlib
import hmac
import io
import shutil
from pathlib import Path

import pytest
import yaml

from _support import fresh_copy, run_pipeline
from pseudonyms import NO_KEY, REPO, key_fingerprint

SPEC = {"key_env": "RIPLS_TEST_KEY", "key_file": "~/.config/ripls-test/none.key", "demo_key": "synthetic-demo-key: not a secret"}
SYNTHETIC = ["data/synthetic/survey_export.csv", "data/synthetic/roster.csv"]
REAL = ["data/raw/survey_export.csv", "data/raw/roster.csv"]


def expected(key: str) -> str:
    return hmac.new(key.encode(), b"key fingerprint:ripls pseudonymisation key", hashlib.sha256).hexdigest()[:16]


def test_fingerprint_is_a_keyed_hmac_of_a_fixed_label():
    key = "a-long-enough-secret-key-1"
    fp = key_fingerprint(SPEC, synthetic=False, input_paths=REAL, environ={"RIPLS_TEST_KEY": key})
    assert fp == expected(key) and len(fp) == 16
    assert fp not in hashlib.sha256(key.encode()).hexdigest(), "not a plain hash of the key"
    assert key_fingerprint(SPEC, synthetic=False, input_paths=REAL, environ={"RIPLS_TEST_KEY": key + "x"}) != fp


def test_fingerprint_reads_the_key_as_load_key_does(tmp_path):
    # the demo key, only for the synthetic study
    assert key_fingerprint(SPEC, synthetic=True, input_paths=SYNTHETIC, environ={}) == expected(SPEC["demo_key"])
    # an environment variable wins over the demo key
    assert key_fingerprint(SPEC, synthetic=True, input_paths=SYNTHETIC, environ={"RIPLS_TEST_KEY": "k" * 20}) == expected("k" * 20)
    # a key file outside the repository
    key_file = tmp_path / "pseudonym.key"
    key_file.write_text("file-key-0123456789\n")
    assert key_fingerprint({**SPEC, "key_file": str(key_file)}, synthetic=False, input_paths=REAL, environ={}) == expected(
        "file-key-0123456789"
    )


@pytest.mark.parametrize(
    ("synthetic", "paths", "environ"),
    [
        (False, REAL, {}),  # real data, no key
        (True, REAL, {}),  # the demo key is not honoured outside data/synthetic
        (False, REAL, {"RIPLS_TEST_KEY": "short"}),  # too short: the rule says so
    ],
)
def test_no_usable_key_gives_a_marker_not_an_error(synthetic, paths, environ):
    assert key_fingerprint(SPEC, synthetic=synthetic, input_paths=paths, environ=environ) == NO_KEY


def test_a_key_file_inside_the_repository_gives_the_marker(tmp_path):
    (tmp_path / "restricted").mkdir()
    inside = tmp_path / "restricted" / "pseudonym.key"  # tmp_path stands for the repository
    inside.write_text("a-key-that-must-not-be-here-123")
    spec = {**SPEC, "key_file": str(inside)}
    assert key_fingerprint(spec, synthetic=False, input_paths=REAL, environ={}, root=tmp_path) == NO_KEY
    assert key_fingerprint(spec, synthetic=False, input_paths=REAL, environ={}, root=REPO) == expected("a-key-that-must-not-be-here-123")


# ------------------------------------------------------------------------------ end to end
RAW_KEYS = ("roster", "survey", "facilitators", "flipchart", "transcripts", "coded_export")


def to_real_data(work: Path) -> None:
    """Point config.yaml at copies of the synthetic exports in data/raw/, as for a real study."""
    text = (work / "config.yaml").read_text()
    config = yaml.safe_load(text)
    for k in RAW_KEYS:
        src = work / config["inputs"][k]
        dst = work / "data" / "raw" / src.name
        if src.is_dir():
            shutil.copytree(src, dst)
        else:
            dst.write_bytes(src.read_bytes())
        text = text.replace(f"{k}: {config['inputs'][k]}", f"{k}: data/raw/{src.name}")
    (work / "config.yaml").write_text(text.replace("synthetic: true", "synthetic: false"))


def respondents(work: Path, table: str) -> list[str]:
    rows = csv.DictReader(io.StringIO((work / "results" / table).read_text()))
    return sorted(r["respondent"] for r in rows)


def files_holding(root: Path, needle: str) -> list[str]:
    return [str(p) for p in root.rglob("*") if p.is_file() and needle.encode() in p.read_bytes()]


@pytest.mark.pipeline
def test_a_new_key_reruns_the_anonymisation_and_what_follows(tmp_path):
    work = fresh_copy(tmp_path / "repo")
    to_real_data(work)
    home = str(tmp_path / "home")
    first_key, second_key = "first-study-key-for-this-test-only-4b1d", "second-study-key-for-this-test-only-7c2e"

    proc = run_pipeline(work, env={"HOME": home, "RIPLS_PSEUDONYM_KEY": first_key})
    assert proc.returncode == 0, proc.stderr[-3000:]
    first = respondents(work, "anonymised/questionnaire.csv")
    assert first == respondents(work, "scores/subscale_scores.csv")

    proc = run_pipeline(work, env={"HOME": home, "RIPLS_PSEUDONYM_KEY": second_key})
    assert proc.returncode == 0, proc.stderr[-3000:]
    second = respondents(work, "anonymised/questionnaire.csv")
    assert len(second) == len(first) == 44 and not set(first) & set(second), "every pseudonym changed"
    assert second == respondents(work, "scores/subscale_scores.csv") == respondents(work, "scores/item_scores.csv"), "what follows reran"

    for key in (first_key, second_key):
        for secret in (key, hashlib.sha256(key.encode()).hexdigest()[:16]):
            assert files_holding(work / ".snakemake", secret) == [] and files_holding(work / "results", secret) == []
    assert files_holding(work / ".snakemake" / "metadata", expected(second_key)), "Snakemake recorded the fingerprint"
