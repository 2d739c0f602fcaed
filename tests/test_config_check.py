"""The config is checked completely before any rule runs: each fault is ONE line naming the key.

Each case writes a copy of ``config.yaml`` (or of the instrument) with one fault into
``tmp_path`` and reads it as the Snakefile does: strictly (a key given twice, a tab, a
syntax error), then the semantic checks of ``check_config``. The line names the file, the
line of the key (computed here from the file written, so a reviewer can check it) and the
key. Two end-to-end runs of ``tools/pipeline.py`` show that a bad ``--configfile`` stops
the run before Snakemake starts, with the one line and no ``results/``.
"""

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

import config_check
from _support import run_pipeline
from config_check import check_config_files, configfile_args, configfile_problem, load_config_file, strict_load
from errors import InputError
from instrument import load_instrument

ROOT = Path(__file__).resolve().parent.parent
CONFIG_TEXT = (ROOT / "config.yaml").read_text(encoding="utf-8")
INSTRUMENT = ROOT / "data" / "instruments" / "ripls_hean2015.yaml"


# ----------------------------------------------------------------------------- helpers
def written(path: Path, text: str, old: str, new: str) -> Path:
    """``text`` with its one occurrence of ``old`` replaced by ``new``, written to ``path``."""
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


def config_with(tmp_path: Path, old: str, new: str) -> Path:
    return written(tmp_path / "config.yaml", CONFIG_TEXT, old, new)


def line_of(path: Path, snippet: str, nth: int = 1) -> int:
    """1-based line of the ``nth`` line of ``path`` that contains ``snippet``."""
    hits = [i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if snippet in line]
    return hits[nth - 1]


def refused(*paths: Path) -> str:
    """The one error line of reading and checking these config files, merged in order."""
    with pytest.raises(InputError) as excinfo:
        check_config_files(paths, root=ROOT)
    line = excinfo.value.line()
    assert len(line.splitlines()) == 1 and line.startswith("ERROR "), line
    return line


def assert_place(line: str, file: Path, row: int | None, key: str | None) -> None:
    where = ", ".join([str(file), *([f"row {row}"] if row else []), *([f"key {key}"] if key else [])])
    assert line.startswith(f"ERROR {where}: "), line


# ----------------------------------------------------------------------------- what must pass
def test_the_shipped_config_and_instruments_read_strictly_and_pass():
    config = check_config_files([ROOT / "config.yaml"], root=ROOT)
    assert config == yaml.safe_load(CONFIG_TEXT)  # strict reading gives what PyYAML gives
    for inst in sorted((ROOT / "data" / "instruments").glob("*.yaml")):
        assert load_config_file(inst, what="instrument").data == yaml.safe_load(inst.read_text(encoding="utf-8"))


def test_the_variant_config_of_test_variant_passes(tmp_path):
    """As tests/test_variant.py writes it (yaml.safe_dump of the edited config), given with
    --configfile after config.yaml. Its survey and roster are written by that test: empty
    stand-ins here, in a copy of the data folder (only their existence is checked)."""
    root = tmp_path / "repo"
    shutil.copytree(ROOT / "data", root / "data")
    (root / "data" / "synthetic" / "variant").mkdir()
    for name in ("survey_export.csv", "roster.csv"):
        (root / "data" / "synthetic" / "variant" / name).write_text("x\n", encoding="utf-8")
    config = yaml.safe_load(CONFIG_TEXT)
    config["instrument"] = "data/instruments/ripls_mcfadyen2005.yaml"
    config["inputs"]["survey"] = "data/synthetic/variant/survey_export.csv"
    config["inputs"]["roster"] = "data/synthetic/variant/roster.csv"
    (root / "variant.yaml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    merged = check_config_files([ROOT / "config.yaml", root / "variant.yaml"], root=root)
    assert merged["instrument"] == "data/instruments/ripls_mcfadyen2005.yaml"


# ----------------------------------------------------------------------------- YAML faults
def test_tab_indentation(tmp_path):
    path = config_with(tmp_path, "\n  k: 5\n", "\n\tk: 5\n")
    row = line_of(path, "\tk: 5")
    line = refused(path)
    assert line == (
        f"ERROR {path}, row {row}: a tab is used for indentation at line {row}, column 1 (YAML forbids tabs for indentation); "
        "found 'a tab character'; expected spaces for indentation"
    )


def test_tab_after_a_colon_is_not_called_indentation(tmp_path):
    path = config_with(tmp_path, "\n  k: 5\n", "\n  k:\t5\n")
    line = refused(path)
    assert_place(line, path, line_of(path, "k:\t5"), None)
    assert "a tab character outside quotes at line" in line and ", column 5 " in line


@pytest.mark.parametrize(
    ("old", "new", "key", "first", "second"),
    [
        # a second top-level block: PyYAML would keep it and drop the first silently
        (
            "\nk_anonymity:\n",
            "\nk_anonymity:\n  k: 2\n  quasi_identifiers: [gender]\nk_anonymity:\n",
            "k_anonymity",
            ("k_anonymity:", 1),
            ("k_anonymity:", 2),
        ),
        (
            "\n  age_band:\n",
            "\n  age_band:\n    label: Age\n  age_band:\n",
            "demographics.age_band",
            ("  age_band:", 1),
            ("  age_band:", 2),
        ),
        ("\n  k: 5\n", "\n  k: 5\n  k: 2\n", "k_anonymity.k", ("  k: 5", 1), ("  k: 2", 1)),
        ('{level: "<40", min: 16,', '{level: "<40", min: 16, min: 0,', "demographics.age_band.bins[0].min", ("min: 0", 1), ("min: 0", 1)),
    ],
    ids=["top level", "nested", "deep", "inside a list item"],
)
def test_key_given_twice(old, new, key, first, second, tmp_path):
    path = config_with(tmp_path, old, new)
    first, second = line_of(path, *first), line_of(path, *second)
    assert refused(path) == (
        f"ERROR {path}, row {second}, key {key}: key given twice in one mapping, on lines {first} and {second} "
        "(YAML keeps only the last, silently dropping the first); expected each key once in its mapping (merge the two blocks)"
    )


def test_other_yaml_syntax_error_has_line_and_column(tmp_path):
    path = config_with(tmp_path, "  positive: [Strongly agree, Agree]\n", "  positive: [Strongly agree, Agree\n")
    line = refused(path)
    # PyYAML reports where it gave up: the next line, at the ':' after 'positive_label'
    row = line_of(path, "positive_label:")
    assert line == (
        f"ERROR {path}, row {row}: not valid YAML at line {row}, column 19 (while parsing a flow sequence); "
        "found \"expected ',' or ']', but got ':'\"; expected well-formed YAML"
    )


def test_strict_loader_compares_keys_as_constructed_and_allows_merge_overrides():
    with pytest.raises(InputError, match=r"row 3, key a\.true: key given twice in one mapping, on lines 2 and 3"):
        strict_load("a:\n  yes: 1\n  true: 2\n", file="x.yaml")  # both are the boolean True
    data, lines = strict_load("base: &b {x: 1, y: 2}\nd:\n  <<: *b\n  x: 3\n", file="x.yaml")
    assert data == {"base": {"x": 1, "y": 2}, "d": {"x": 3, "y": 2}}
    assert lines[("d", "x")] == 4


def test_json_config_is_read_as_snakemake_reads_it():
    """Snakemake tries JSON first: tab indentation is fine there and 1e5 is a number."""
    data, _ = strict_load('{\n\t"k_anonymity": {"k": 1e1}\n}', file="c.json")
    assert data == {"k_anonymity": {"k": 10.0}}
    with pytest.raises(InputError, match="key k: key given twice in one JSON object"):
        strict_load('{"k": 1, "k": 2}', file="c.json")


# ----------------------------------------------------------------------------- regexes and separators
SPEAKER = "  speaker_pattern: '^(?P<speaker>[^:\\r\\n]{1,60}):[ \\t]'\n"
ITEMS = "  item_header_pattern: '^Q(?P<number>\\d+)(?:[.:)]\\s*|\\s+)(?P<text>[^\\s\\-–—].*)$'\n"


@pytest.mark.parametrize(
    ("old", "new", "key", "problem", "found"),
    [
        (
            SPEAKER,
            SPEAKER.replace("60}):", "60}:"),
            "qualitative.transcripts.speaker_pattern",
            "not a valid regular expression: missing ), unterminated subpattern at position 1",
            "'^(?P<speaker>[^:\\\\r\\\\n]{1,60}:[ \\\\t]'",
        ),
        (
            SPEAKER,
            SPEAKER.replace("?P<speaker>", "?P<name>"),
            "qualitative.transcripts.speaker_pattern",
            "the regular expression has no named group 'speaker'",
            "\"named groups ['name']\"",
        ),
        (
            ITEMS,
            ITEMS.replace("(?:", "(?:("),
            "survey.item_header_pattern",
            "not a valid regular expression: missing ), unterminated subpattern at position 17",
            None,
        ),
        (
            ITEMS,
            "  item_header_pattern: '^Q\\d+'\n",
            "survey.item_header_pattern",
            "the regular expression has no named group 'number'",
            "'no named group'",
        ),
    ],
    ids=["speaker invalid", "speaker group missing", "item header invalid", "item number group missing"],
)
def test_regex_faults(old, new, key, problem, found, tmp_path):
    path = config_with(tmp_path, old, new)
    line = refused(path)
    assert_place(line, path, line_of(path, key.rsplit(".", 1)[1] + ":"), key)
    assert f": {problem}; found " in line, line
    if found:
        assert f"; found {found}; expected " in line, line


def test_item_header_pattern_without_a_text_group_is_accepted(tmp_path):
    path = config_with(tmp_path, ITEMS, "  item_header_pattern: '^Q(?P<number>\\d+)'\n")
    check_config_files([path], root=ROOT)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('""', "config does not match its schema: '' should be non-empty; found <blank>; expected to satisfy 'minLength: 1'"),
        ('"   "', "the code-path separator is only whitespace, which would split code names at their spaces; found <blank>"),
    ],
    ids=["empty", "spaces"],
)
def test_blank_code_path_separator(value, expected, tmp_path):
    path = config_with(tmp_path, 'separator: " > "', f"separator: {value}")
    line = refused(path)
    assert_place(line, path, line_of(path, "separator:"), "qualitative.coded_export.separator")
    assert expected in line, line


def test_empty_transcript_glob_is_refused_by_the_schema(tmp_path):
    path = config_with(tmp_path, 'glob: "*.txt"', 'glob: ""')
    assert_place(refused(path), path, line_of(path, "glob:"), "qualitative.transcripts.glob")


# ----------------------------------------------------------------------------- groupings
def test_overlapping_bins(tmp_path):
    path = config_with(tmp_path, '{level: "<40", min: 16, below: 40}', '{level: "<40", min: 16, below: 45}')
    row = line_of(path, '{level: "40 and over"')
    assert refused(path) == (
        f"ERROR {path}, row {row}, key demographics.age_band.bins[1]: "
        "bins 0 ('<40') and 1 ('40 and over') overlap from 40 to 45, where a value would silently go to the first; "
        "found '[16, 45) and [40, 100)'; expected bins that do not overlap (min is inclusive, below exclusive), e.g. [16, 40) and [40, 100)"
    )


def test_bin_whose_min_is_not_below_its_upper_bound(tmp_path):
    path = config_with(tmp_path, '{level: "<40", min: 16, below: 40}', '{level: "<40", min: 40, below: 40}')
    row = line_of(path, '{level: "<40"')
    assert refused(path) == (
        f"ERROR {path}, row {row}, key demographics.age_band.bins[0]: "
        "bin '<40' is empty: its min is not below its upper bound; found 'min 40, below 40'; "
        "expected min < below (min is inclusive, below exclusive)"
    )


def test_bins_in_any_order_are_accepted(tmp_path):
    """Their order sets the order of the levels in tables, so it is not forced."""
    first, second = '      - {level: "<40", min: 16, below: 40}\n', '      - {level: "40 and over", min: 40, below: 100}\n'
    path = config_with(tmp_path, first + second, second + first)
    config = check_config_files([path], root=ROOT)
    assert config_check.levels_of(config["demographics"]["age_band"]) == ["40 and over", "<40"]


def test_answer_under_two_levels(tmp_path):
    """'charity.' and 'Charity' are the same answer once case and punctuation are ignored."""
    old = "public: [Public sector, Public, NHS, Local authority]"
    path = config_with(tmp_path, old, old.replace("]", ', "charity."]'))
    assert refused(path) == (
        f"ERROR {path}, row {line_of(path, 'not public: [')}, key demographics.sector.levels.not public: "
        "answer listed under two levels, 'public' and 'not public' (answers are compared ignoring case and punctuation); "
        "found 'Charity'; expected each answer under one level only"
    )


def test_answer_under_a_level_and_under_missing(tmp_path):
    """'NO' is quoted: unquoted, YAML 1.1 reads it as the boolean false (the schema refuses that)."""
    path = config_with(tmp_path, "    missing: [Prefer not to say]\n  county:", "    missing: [Prefer not to say, 'NO']\n  county:")
    row = line_of(path, "Prefer not to say, 'NO'")
    assert refused(path) == (
        f"ERROR {path}, row {row}, key demographics.managerial.missing: "
        "answer listed both under missing and under level 'no' (answers are compared ignoring case and punctuation); "
        "found 'NO'; expected an answer either under a level or under missing"
    )


def test_level_label_for_a_level_that_does_not_exist(tmp_path):
    path = config_with(tmp_path, "level_labels: {female: Female, male: Male}", "level_labels: {female: Female, mal: Male}")
    assert refused(path) == (
        f"ERROR {path}, row {line_of(path, 'mal: Male')}, key demographics.gender.level_labels: "
        "level_labels names a level the grouping does not have; found 'mal'; expected one of: 'female', 'male'"
    )


def test_error_names_the_configfile_that_sets_the_key(tmp_path):
    """Several --configfile files are merged, a later over an earlier: the line names the file
    that defines the faulty key, at its line."""
    base = config_with(tmp_path, "\n  k: 5\n", "\n  k: 1\n")
    override = tmp_path / "override.yaml"
    override.write_text(
        "# bins for a younger sample\n"
        "demographics:\n"
        "  age_band:\n"
        "    bins:\n"
        "      - {level: a, min: 0, below: 30}\n"
        "      - {level: b, min: 20, below: 100}\n",
        encoding="utf-8",
    )
    assert_place(refused(ROOT / "config.yaml", override), override, 6, "demographics.age_band.bins[1]")
    fixed = tmp_path / "fixed.yaml"
    fixed.write_text("demographics:\n  age_band:\n    label: Age in years\n", encoding="utf-8")
    assert_place(refused(base, fixed), base, line_of(base, "  k: 1"), "k_anonymity.k")


# ----------------------------------------------------------------------------- the instrument
def instrument_with(tmp_path: Path, old: str, new: str) -> tuple[Path, Path]:
    inst = written(tmp_path / "instrument.yaml", INSTRUMENT.read_text(encoding="utf-8"), old, new)
    return inst, config_with(tmp_path, f"instrument: {INSTRUMENT.relative_to(ROOT)}\n", f"instrument: {inst}\n")


DISAGREE = "  - {label: Disagree, score: -1}"


def test_alias_on_two_response_categories(tmp_path):
    """Before: the later category won, so 'Neutral' scored -1 (Disagree) instead of 0."""
    inst, path = instrument_with(tmp_path, DISAGREE, DISAGREE.replace("}", ", aliases: [neutral]}"))
    assert refused(path) == (
        f"ERROR {inst}, row {line_of(inst, 'label: Disagree')}, key response_scale[3].aliases: an alias is listed under two "
        "response categories, 'Neither agree nor disagree' and 'Disagree' (aliases are compared ignoring case and punctuation); "
        "found 'neutral'; expected each alias under one category only"
    )
    with pytest.raises(InputError, match="an alias is listed under two response categories"):
        load_instrument(inst)  # the score rule reads it the same way


def test_alias_that_is_another_categorys_label(tmp_path):
    inst, path = instrument_with(tmp_path, DISAGREE, DISAGREE.replace("}", ", aliases: [Strongly Agree!]}"))
    assert refused(path) == (
        f"ERROR {inst}, row {line_of(inst, 'label: Disagree')}, key response_scale[3].aliases: an alias is the label of "
        "another category, 'Strongly agree' (compared ignoring case and punctuation); found 'Strongly Agree!'; "
        "expected aliases that do not collide with labels"
    )


def test_instrument_key_given_twice(tmp_path):
    inst, path = instrument_with(tmp_path, DISAGREE, DISAGREE.replace("score: -1}", "score: -1, score: 1}"))
    row = line_of(inst, "label: Disagree")
    assert refused(path) == (
        f"ERROR {inst}, row {row}, key response_scale[3].score: key given twice in one mapping, on lines {row} and {row} "
        "(YAML keeps only the last, silently dropping the first); expected each key once in its mapping (merge the two blocks)"
    )


# ----------------------------------------------------------------------------- --configfile
@pytest.mark.parametrize(
    ("args", "files"),
    [
        (["--cores", "2"], []),
        (["--configfile", "a.yaml", "b.yaml", "--cores", "2"], ["a.yaml", "b.yaml"]),
        (["--configfiles=a.yaml"], ["a.yaml"]),
        (["--configfile", "a.yaml", "--configfile", "b.yaml"], ["b.yaml"]),  # argparse: the last flag wins
        (["--config", "k=v", "--configfile"], []),  # no file: left to Snakemake's own message
    ],
)
def test_configfile_args_as_snakemake_parses_them(args, files):
    assert configfile_args(args) == files


def test_configfile_problem_names_the_file_as_given(tmp_path):
    (tmp_path / "bad.yaml").write_text("a: 1\na: 2\n", encoding="utf-8")
    assert configfile_problem(["--configfile", "bad.yaml"], root=tmp_path) == (
        "ERROR bad.yaml, row 2, key a: key given twice in one mapping, on lines 1 and 2 "
        "(YAML keeps only the last, silently dropping the first); expected each key once in its mapping (merge the two blocks)"
    )
    assert configfile_problem(["--configfile", "nope.yaml"], root=tmp_path) == (
        "ERROR nope.yaml: config file not found; found 'no file at this path'; expected an existing YAML file"
    )
    assert configfile_problem(["--cores", "1"], root=tmp_path) is None


# ----------------------------------------------------------------------------- end to end
def tracked_copy(dest: Path) -> Path:
    """The tracked and new files of the working tree (what a fresh clone has), without .git:
    these runs stop before Snakemake starts, so nothing records a commit."""
    out = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT, capture_output=True, check=True)
    for rel in filter(None, out.stdout.decode().split("\0")):
        if (ROOT / rel).is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / rel, dest / rel)
    return dest


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    return tracked_copy(tmp_path_factory.mktemp("config_check") / "repo")


@pytest.mark.parametrize(
    ("name", "old", "new", "row_at", "expected"),
    [
        (
            "tab.yaml",
            "\n  k: 5\n",
            "\n\tk: 5\n",
            ("\tk: 5", 1),
            "ERROR tab.yaml, row {row}: a tab is used for indentation at line {row}, column 1 (YAML forbids tabs for indentation); "
            "found 'a tab character'; expected spaces for indentation",
        ),
        (
            "dup.yaml",
            "\nk_anonymity:\n",
            "\nk_anonymity:\n  k: 2\n  quasi_identifiers: [gender]\nk_anonymity:\n",
            ("k_anonymity:", 2),
            "ERROR dup.yaml, row {row}, key k_anonymity: key given twice in one mapping, on lines {first} and {row} "
            "(YAML keeps only the last, silently dropping the first); expected each key once in its mapping (merge the two blocks)",
        ),
    ],
    ids=["tab", "duplicate key"],
)
def test_pipeline_stops_on_a_bad_configfile_before_snakemake_starts(work, name, old, new, row_at, expected):
    """Snakemake reads --configfile files before it parses the Snakefile (a tab there gives
    its own multi-line message; a key given twice it keeps silently), so tools/pipeline.py
    reads them strictly first: one line, exit status 1, no results/, no .snakemake/."""
    path = written(work / name, CONFIG_TEXT, old, new)
    proc = run_pipeline(work, "--configfile", name)
    assert proc.returncode == 1
    line = expected.format(row=line_of(path, *row_at), first=line_of(path, "k_anonymity:"))
    assert proc.stderr.strip().splitlines() == [line], proc.stderr[-2000:]
    assert not (work / "results").exists()
    assert not (work / ".snakemake").exists(), "Snakemake started"


def test_libyaml_and_pyyaml_read_every_yaml_file_of_the_repository_alike():
    """strict_load parses with libyaml when it can: the data and the key lines equal PyYAML's."""
    from config_check import FastStrictLoader, StrictLoader

    files = sorted(p for p in ROOT.rglob("*.y*ml") if ".venv" not in p.parts and ".git" not in p.parts and "results" not in p.parts)
    assert len(files) >= 8 and FastStrictLoader is not StrictLoader, "libyaml is installed with PyYAML's wheel"
    for path in files:
        text = path.read_text(encoding="utf-8")
        fast, slow = FastStrictLoader(text), StrictLoader(text)
        assert (fast.get_single_data(), fast.lines) == (slow.get_single_data(), slow.lines), path
        assert yaml.load(text, Loader=yaml.CSafeLoader) == yaml.safe_load(text), path
