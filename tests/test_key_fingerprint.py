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
from pathlib import Path

import pytest

from _support import file_text, fresh_copy, run_pipeline, to_real_data, write_one_arm_config
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
def respondents(work: Path, table: str) -> list[str]:
    rows = csv.DictReader(io.StringIO((work / "results" / table).read_text()))
    return sorted(r["respondent"] for r in rows)


def files_holding(root: Path, needle: str) -> list[str]:
    return [str(p) for p in root.rglob("*") if p.is_file() and needle.encode() in p.read_bytes()]


FIRST_KEY, SECOND_KEY = "first-study-key-for-this-test-only-4b1d", "second-study-key-for-this-test-only-7c2e"
#: What the second key's run asks for: the anonymisation and the rules that follow it.
RERUN_TARGETS = ("results/anonymised/questionnaire.csv", "results/scores/subscale_scores.csv", "results/scores/item_scores.csv")


@pytest.fixture(scope="module")
def real_study(tmp_path_factory):
    """config.yaml switched to copies of the exports in data/raw/, as for a real study, then
    run three times: without a key (the whole study); with a first key (its questionnaire,
    through to the report); with a second key (the anonymisation and the scores). Returns the
    copy and what each run left."""
    tmp = tmp_path_factory.mktemp("real_study")
    work = fresh_copy(tmp / "repo")
    config = to_real_data(work)
    assert config["inputs"]["survey"] == "data/raw/survey_export.csv"
    questionnaire = ("--configfile", write_one_arm_config(work, "questionnaire"))
    home = str(tmp / "home")  # no key file there
    seen = {"no key": run_pipeline(work, env={"HOME": home})}
    anonymised = [f for d in ("results/anonymised", "restricted") for f in (work / d).rglob("*") if f.is_file() and f.name != "README.md"]
    seen["written without a key"] = sorted(map(str, anonymised))
    seen["first"] = run_pipeline(work, *questionnaire, env={"HOME": home, "RIPLS_PSEUDONYM_KEY": FIRST_KEY})
    assert seen["first"].returncode == 0, seen["first"].stderr[-3000:]
    seen["first respondents"] = respondents(work, "anonymised/questionnaire.csv")
    seen["first scored"] = respondents(work, "scores/subscale_scores.csv")
    seen["html"] = (work / "results" / "report" / "report.html").read_text(encoding="utf-8")
    seen["second"] = run_pipeline(work, *RERUN_TARGETS, *questionnaire, env={"HOME": home, "RIPLS_PSEUDONYM_KEY": SECOND_KEY})
    assert seen["second"].returncode == 0, seen["second"].stderr[-3000:]
    return work, seen


@pytest.mark.pipeline
def test_real_data_needs_a_key(real_study):
    """Without a key: one clear error line, nothing written; with one, the whole pipeline runs."""
    work, seen = real_study
    proc = seen["no key"]
    assert proc.returncode != 0
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("ERROR ") and "RIPLS_PSEUDONYM_KEY" in last and "pseudonymisation" in last
    assert sum(line.startswith("ERROR ") for line in proc.stderr.splitlines()) == 1
    assert seen["written without a key"] == [], "a run stopped for want of a key anonymises nothing"
    assert "Synthetic data" not in seen["html"] and "Readiness for interprofessional learning" in seen["html"]
    for path in sorted((work / "results").rglob("*")):  # the first key's report, PDF text included
        if path.is_file():
            for key in (FIRST_KEY, SECOND_KEY):
                assert key not in file_text(path) and key not in path.read_bytes().decode("latin-1"), path


@pytest.mark.pipeline
def test_a_new_key_reruns_the_anonymisation_and_what_follows(real_study):
    work, seen = real_study
    first = seen["first respondents"]
    assert first == seen["first scored"]
    second = respondents(work, "anonymised/questionnaire.csv")
    assert len(second) == len(first) == 44 and not set(first) & set(second), "every pseudonym changed"
    assert second == respondents(work, "scores/subscale_scores.csv") == respondents(work, "scores/item_scores.csv"), "what follows reran"

    for key in (FIRST_KEY, SECOND_KEY):
        for secret in (key, hashlib.sha256(key.encode()).hexdigest()[:16]):
            assert files_holding(work / ".snakemake", secret) == [] and files_holding(work / "results", secret) == []
    assert files_holding(work / ".snakemake" / "metadata", expected(SECOND_KEY)), "Snakemake recorded the fingerprint"
