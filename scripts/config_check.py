"""Check the configuration before any rule runs, with one line a person can act on.

Two stages, both before Snakemake builds its job graph:

* :func:`load_config_file` reads a config file strictly (:class:`StrictLoader`, PyYAML's
  ``SafeLoader`` refusing a key given twice in one mapping, at any depth: YAML allows it and
  PyYAML silently keeps the last). A tab in the indentation or any other syntax error is one
  line with its line and column. It runs at the top of the Snakefile, before ``configfile:``
  (Snakemake's own load gives a multi-line message without a line number), and in
  ``tools/pipeline.py`` for files given with ``--configfile``, which Snakemake reads before
  it parses the Snakefile (:func:`configfile_problem`).
* :func:`check_config` checks the merged config: first the schema (the Snakefile also calls
  Snakemake's ``validate()`` against it, which fills in defaults), then what a schema cannot:
  regexes compile and have their named groups, separators are not blank, age bins are not
  empty and do not overlap, an answer maps to one level only and is not also "missing",
  ``level_labels`` name levels, groupings named in the analysis exist and have at least two levels,
  the collapse rule uses labels of the instrument, lookups give known levels, every input
  file exists, and the instrument file reads strictly too. :func:`check_config_or_exit`
  adds the file and line that define the key the error names.
"""

import argparse
import copy
import json
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from errors import InputError, one_of
from groupings import levels_of
from rawinput import normalise_header, read_text_input
from schemas import validate_against_schema

SCHEMA = Path(__file__).resolve().parent.parent / "workflow" / "schemas" / "config.schema.yaml"

#: Regexes of the config: the flags their users compile them with, the named groups they
#: need, and what the groups capture (for the error line).
PATTERNS = {
    "survey.item_header_pattern": (
        0,
        ("number",),
        "(?P<number>...) for the item number (a group (?P<text>...) for the wording is optional)",
    ),
    "qualitative.transcripts.speaker_pattern": (
        re.MULTILINE,
        ("speaker",),
        "(?P<speaker>...) for the speaker's name at the start of a turn",
    ),
}

_MERGE_TAG = "tag:yaml.org,2002:merge"
_LINE_BREAKS = "\n\r\x85\u2028\u2029"  # what PyYAML counts as a line break


# --------------------------------------------------------------------------- strict YAML
class DuplicateKeyError(yaml.MarkedYAMLError):
    """A key given twice in one mapping; ``path`` leads to the mapping, ``first`` is the
    1-based line of the first definition (``problem_mark`` marks the second)."""

    def __init__(self, path: tuple[str, ...], key_text: str, first: int, second: yaml.Mark) -> None:
        super().__init__(problem=f"duplicate key {key_text!r}", problem_mark=second)
        self.path = path
        self.key_text = key_text
        self.first = first


class _Strict:
    """A ``SafeLoader`` that refuses a key given twice in one mapping, at any depth, and records
    the line of every key and list item (``lines``: path of str components -> 1-based line).

    Keys are compared as constructed (``yes`` and ``true`` are the same key, as in the dict
    PyYAML would build); keys brought in by a merge (``<<: *anchor``) may be overridden, as
    YAML intends. Paths are indexed from the node tree before anything is constructed, since
    PyYAML builds nested mappings later, breadth first, and rewrites merged mappings in place.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.lines: dict[tuple[str, ...], int] = {}
        self._paths: dict[int, tuple[str, ...]] = {}
        self._own_pairs: dict[int, list] = {}

    def construct_document(self, node: yaml.Node) -> Any:
        self._index(node, ())
        return super().construct_document(node)

    def _index(self, root: yaml.Node, path: tuple[str, ...]) -> None:
        """Walk the node tree in document order (an anchor comes before its aliases)."""
        stack = [(root, path)]
        while stack:
            node, path = stack.pop()
            if id(node) in self._paths:  # an alias: indexed where its anchor is
                continue
            self._paths[id(node)] = path
            children = []
            if isinstance(node, yaml.MappingNode):
                self._own_pairs[id(node)] = list(node.value)
                for key_node, value_node in node.value:
                    child = path if key_node.tag == _MERGE_TAG else (*path, _key_text(key_node))
                    self.lines.setdefault(child, key_node.start_mark.line + 1)
                    children.append((value_node, child))
            elif isinstance(node, yaml.SequenceNode):
                for i, item in enumerate(node.value):
                    self.lines.setdefault((*path, str(i)), item.start_mark.line + 1)
                    children.append((item, (*path, str(i))))
            stack.extend(reversed(children))

    def construct_mapping(self, node: yaml.Node, deep: bool = False) -> dict:
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, yaml.Node] = {}
            for key_node, _ in self._own_pairs.get(id(node), node.value):
                if key_node.tag == _MERGE_TAG:
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    first = seen.setdefault(key, key_node)
                except TypeError:  # an unhashable key: SafeLoader says so below
                    continue
                if first is not key_node:
                    raise DuplicateKeyError(
                        self._paths.get(id(node), ()), _key_text(key_node), first.start_mark.line + 1, key_node.start_mark
                    )
        return super().construct_mapping(node, deep=deep)


class StrictLoader(_Strict, yaml.SafeLoader):
    """:class:`_Strict` on PyYAML's pure-Python parser: its error messages are the ones shown."""


#: :class:`_Strict` on libyaml's parser (5x faster: Snakemake loads the config and its files
#: at every start), for input that parses and holds no tab (libyaml takes a tab after a colon,
#: PyYAML does not); on any error the text is parsed again by :class:`StrictLoader`, so what
#: is accepted and the message do not depend on whether libyaml is installed.
FastStrictLoader = type("FastStrictLoader", (_Strict, yaml.CSafeLoader), {}) if yaml.__with_libyaml__ else StrictLoader


def _key_text(node: yaml.Node) -> str:
    return node.value if isinstance(node, yaml.ScalarNode) else f"<{node.id} key>"


def key_path(path: Sequence[str]) -> str:
    """``('demographics', 'age_band', 'bins', '1')`` -> ``demographics.age_band.bins[1]``."""
    text = ""
    for part in path:
        text += f"[{part}]" if part.isdigit() and text else f".{part}" if text else part
    return text


def _split_key(key: str) -> tuple[str, ...]:
    """The inverse of :func:`key_path`; also reads the schema's ``response_scale.0.score``."""
    return tuple(p for p in re.split(r"[.\[\]]+", key) if p)


def strict_load(text: str, *, file: str | Path) -> tuple[Any, dict[tuple[str, ...], int]]:
    """Parse YAML (or JSON) text strictly: (data, line of every key). One-line InputError for
    a duplicate key, a tab where YAML forbids one, or any other syntax error.

    JSON is read as Snakemake reads it (``json`` first: ``1e5`` stays a number, tabs may
    indent), refusing duplicate keys; it has no line numbers.
    """
    try:
        return json.loads(text, object_pairs_hook=lambda pairs: _json_object(pairs, file)), {}
    except ValueError:
        pass
    if FastStrictLoader is not StrictLoader and "\t" not in text:  # libyaml allows a tab where PyYAML does not
        fast = FastStrictLoader(text)
        try:
            return fast.get_single_data(), fast.lines
        except yaml.YAMLError:
            pass  # parsed again below, for the message
        finally:
            fast.dispose()
    loader = StrictLoader(text)
    try:
        return loader.get_single_data(), loader.lines
    except DuplicateKeyError as exc:
        second = exc.problem_mark.line + 1
        raise InputError(
            file,
            f"key given twice in one mapping, on lines {exc.first} and {second} (YAML keeps only the last, silently dropping the first)",
            row=second,
            key=key_path((*exc.path, exc.key_text)),
            expected="each key once in its mapping (merge the two blocks)",
        ) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise _syntax_error(file, text, exc, mark) from None
    except yaml.YAMLError as exc:
        raise InputError(file, "not valid YAML", found=str(exc).splitlines()[0], expected="well-formed YAML") from None
    finally:
        loader.dispose()


def _json_object(pairs: list[tuple[str, Any]], file: str | Path) -> dict:
    data: dict = {}
    for key, value in pairs:
        if key in data:
            raise InputError(file, "key given twice in one JSON object (only the last would be kept)", key=key, expected="each key once")
        data[key] = value
    return data


def _syntax_error(file: str | Path, text: str, exc: yaml.MarkedYAMLError, mark: yaml.Mark | None) -> InputError:
    if mark is None:
        return InputError(file, "not valid YAML", found=exc.problem or str(exc).splitlines()[0], expected="well-formed YAML")
    line, column = mark.line + 1, mark.column + 1
    if exc.problem and "'\\t'" in exc.problem:
        start = max(text.rfind(c, 0, mark.index) for c in _LINE_BREAKS) + 1
        if not text[start : mark.index].strip(" \t"):
            return InputError(
                file,
                f"a tab is used for indentation at line {line}, column {column} (YAML forbids tabs for indentation)",
                row=line,
                found="a tab character",
                expected="spaces for indentation",
            )
        return InputError(
            file,
            f"a tab character outside quotes at line {line}, column {column} (YAML accepts tabs only inside quoted text)",
            row=line,
            found="a tab character",
            expected="spaces, or quotes around the value",
        )
    return InputError(
        file,
        f"not valid YAML at line {line}, column {column}" + (f" ({exc.context})" if exc.context else ""),
        row=line,
        found=exc.problem,
        expected="well-formed YAML",
    )


@dataclass(frozen=True)
class ConfigFile:
    """A config file read strictly: how error lines name it, its data, the line of each key."""

    shown: str
    data: dict
    lines: dict[tuple[str, ...], int] = field(default_factory=dict)


def load_config_file(path: str | Path, *, shown: str | None = None, what: str = "config file") -> ConfigFile:
    """Read a config (or instrument) file strictly; see :func:`strict_load`. ``shown`` names
    the file in error lines (default: the path as given)."""
    shown = shown or str(path)
    if not Path(path).is_file():
        raise InputError(shown, f"{what} not found", found="no file at this path", expected="an existing YAML file")
    try:
        text = read_text_input(path, what=what)
    except InputError as exc:  # named as the caller shows it
        raise InputError(shown, exc.problem, row=exc.row, found=exc.found, expected=exc.expected) from None
    data, lines = strict_load(text, file=shown)
    if not isinstance(data, dict):
        raise InputError(shown, f"{what} is not a mapping", found=type(data).__name__, expected="a YAML mapping of keys to values")
    return ConfigFile(shown, data, lines)


def locate(key: str, files: Sequence[ConfigFile]) -> tuple[str, int] | None:
    """(file, line) where ``key`` (or its nearest parent) is defined; a later file overrides
    an earlier one, as Snakemake merges them. None if no file defines even its first part."""
    parts = _split_key(key)
    best: tuple[int, str, int] | None = None
    for f in files:
        for depth in range(len(parts), 0, -1):
            if parts[:depth] in f.lines:
                if best is None or depth >= best[0]:
                    best = (depth, f.shown, f.lines[parts[:depth]])
                break
    return (best[1], best[2]) if best else None


def shown_path(path: str | Path) -> str:
    """A path as error lines show it: relative to the working directory when inside it."""
    p = Path(path)
    try:
        return str(p.resolve().relative_to(Path.cwd().resolve())) if p.is_absolute() else str(p)
    except ValueError:
        return str(p)


def configfile_args(args: Sequence[str]) -> list[str]:
    """The files of ``--configfile``/``--configfiles`` in Snakemake arguments, parsed as
    Snakemake parses them (several after one flag; a later flag replaces an earlier one)."""
    parser = argparse.ArgumentParser(add_help=False, allow_abbrev=False, exit_on_error=False)
    parser.add_argument("--configfile", "--configfiles", nargs="+", default=[])
    try:
        known, _ = parser.parse_known_args(list(args))
    except argparse.ArgumentError:  # e.g. --configfile without a file: Snakemake says so itself
        return []
    return known.configfile


def configfile_problem(args: Sequence[str], *, root: Path) -> str | None:
    """For ``tools/pipeline.py``: the error line for the first ``--configfile`` that does not
    read strictly (paths relative to ``root``, where Snakemake runs), or None.

    Snakemake reads these files before it parses the Snakefile, so a tab there would give its
    own multi-line message; a duplicate key it would accept silently."""
    try:
        for name in configfile_args(args):
            load_config_file(root / name, shown=name)
    except InputError as exc:
        return exc.line()
    return None


def check_yaml_or_exit(default: str | Path, overrides: Sequence[str | Path] = ()) -> None:
    """For the top of the Snakefile, before ``configfile:``: read the study's config file
    strictly (``--configfile`` when given, which replaces config.yaml; else the default);
    print the one line and stop on a problem."""
    files = list(overrides) or [default]
    try:
        for path in files:
            load_config_file(path, shown=shown_path(path))
    except InputError as exc:
        _exit(exc)


def _exit(exc: InputError) -> None:
    print(exc.line(), file=sys.stderr, flush=True)
    sys.exit(1)


# --------------------------------------------------------------------------- semantic checks
def _get(config: Mapping, dotted: str) -> Any:
    """The value at a dotted key, or None where a section is absent."""
    node: Any = config
    for part in dotted.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def check_patterns(config: Mapping, *, file: str) -> None:
    """Each regex of :data:`PATTERNS` compiles with its user's flags and has its named groups."""
    for key, (flags, groups, meaning) in PATTERNS.items():
        pattern = _get(config, key)
        if pattern is None:  # the part of the study that uses it is not there
            continue
        try:
            rx = re.compile(pattern, flags)
        except re.error as exc:
            raise InputError(
                file,
                f"not a valid regular expression: {exc.msg} at position {exc.pos}",
                key=key,
                found=pattern,
                expected=f"a Python regular expression with a named group {meaning}",
            ) from None
        for group in groups:
            if group not in rx.groupindex:
                raise InputError(
                    file,
                    f"the regular expression has no named group {group!r}",
                    key=key,
                    found=f"named groups {sorted(rx.groupindex)}" if rx.groupindex else "no named group",
                    expected=f"a named group {meaning}",
                )


def check_separator(config: Mapping, *, file: str) -> None:
    """The code-path separator holds more than spaces (the schema refuses an empty one):
    code names contain spaces, so a blank separator would split them into words."""
    key = "qualitative.coded_export.separator"
    separator = config["qualitative"]["coded_export"].get("separator", " > ")
    if not separator.strip():
        raise InputError(
            file,
            "the code-path separator is only whitespace, which would split code names at their spaces",
            key=key,
            found=separator,
            expected="the text the QDA tool puts between levels of a code path, e.g. ' > ' (MAXQDA) or '\\' (Taguette)",
        )


def check_grouping(gid: str, spec: Mapping, *, file: str) -> None:
    """A grouping maps every answer to one level: bins are not empty and do not overlap (their
    order is free: it sets the order of the levels in tables), an answer is under one level
    only and not also under ``missing`` (compared as answers are matched: ignoring case and
    punctuation), and ``level_labels`` label levels of the grouping."""
    where = f"demographics.{gid}"
    bins = spec.get("bins", [])
    for j, b in enumerate(bins):
        if not b["min"] < b["below"]:
            raise InputError(
                file,
                f"bin {b['level']!r} is empty: its min is not below its upper bound",
                key=f"{where}.bins[{j}]",
                found=f"min {b['min']}, below {b['below']}",
                expected="min < below (min is inclusive, below exclusive)",
            )
        for i, a in enumerate(bins[:j]):
            if a["min"] < b["below"] and b["min"] < a["below"]:
                raise InputError(
                    file,
                    f"bins {i} ({a['level']!r}) and {j} ({b['level']!r}) overlap from {max(a['min'], b['min'])} to "
                    f"{min(a['below'], b['below'])}, where a value would silently go to the first",
                    key=f"{where}.bins[{j}]",
                    found=f"[{a['min']}, {a['below']}) and [{b['min']}, {b['below']})",
                    expected="bins that do not overlap (min is inclusive, below exclusive), e.g. [16, 40) and [40, 100)",
                )
    owner: dict[str, str] = {}  # normalised answer -> level
    for level, answers in spec.get("levels", {}).items():
        for answer in answers:
            first = owner.setdefault(normalise_header(answer), level)
            if first != level:
                raise InputError(
                    file,
                    f"answer listed under two levels, {first!r} and {level!r} (answers are compared ignoring case and punctuation)",
                    key=f"{where}.levels.{level}",
                    found=answer,
                    expected="each answer under one level only",
                )
    for answer in spec.get("missing", []):
        if normalise_header(answer) in owner:
            level = owner[normalise_header(answer)]
            raise InputError(
                file,
                f"answer listed both under missing and under level {level!r} (answers are compared ignoring case and punctuation)",
                key=f"{where}.missing",
                found=answer,
                expected="an answer either under a level or under missing",
            )
    for level in spec.get("level_labels", {}):
        if level not in levels_of(spec):
            raise InputError(
                file,
                "level_labels names a level the grouping does not have",
                key=f"{where}.level_labels",
                found=level,
                expected=one_of(levels_of(spec)),
            )


def check_qualitative(config: Mapping, *, file: str) -> None:
    """The qualitative arm's cross-key rules: something to code (notes or transcripts), one
    label per coder's export, a consensus among those labels, and a speaker grouping that
    ``organisation_lookup`` gives (the schema has checked each value's form)."""
    inputs, qual = config["inputs"], config["qualitative"]
    if not inputs.get("flipchart") and not inputs.get("transcripts"):
        raise InputError(
            file,
            "the coded export needs documents to point into, but neither flip-chart notes nor transcripts are given",
            key="inputs",
            found=f"keys {sorted(inputs)}",
            expected="inputs.flipchart, inputs.transcripts or both",
        )
    exports = inputs["coded_export"]
    if isinstance(exports, list):
        labels = [e["coder"] for e in exports]
        for i, label in enumerate(labels):
            if label in labels[:i]:
                raise InputError(
                    file,
                    "two coded exports have the same coder label",
                    key=f"inputs.coded_export[{i}].coder",
                    found=label,
                    expected="one label per export (one export per coder)",
                )
        if qual.get("consensus") and qual["consensus"] not in labels:
            raise InputError(
                file,
                "qualitative.consensus is not the label of any coded export",
                key="qualitative.consensus",
                found=qual["consensus"],
                expected=one_of(labels),
            )
    grouping = qual.get("speaker_grouping")
    if grouping:
        demo = config.get("demographics") or {}
        if grouping not in demo or "lookup" not in (demo[grouping].get("source"), demo[grouping].get("fallback")):
            raise InputError(
                file,
                "qualitative.speaker_grouping must be a grouping under demographics that organisation_lookup gives",
                key="qualitative.speaker_grouping",
                found=grouping,
                expected=one_of(g for g, spec in demo.items() if "lookup" in (spec.get("source"), spec.get("fallback"))),
            )


def check_config(config: Mapping, *, file: str = "config.yaml", root: Path | None = None) -> None:
    """Raise InputError (one line) for the first problem found in ``config``."""
    from study import parts

    validate_against_schema(config, SCHEMA, file=file, what="config")
    root = root or SCHEMA.parent.parent.parent
    check_inputs(config, file=file, root=root)
    p = parts(config)
    check_patterns(config, file=file)
    if p["questionnaire"]:
        check_questionnaire(config, file=file, root=root)
    if config["inputs"].get("coded_export"):
        check_qualitative(config, file=file)
    if p["qualitative"]:
        check_separator(config, file=file)


def check_inputs(config: Mapping, *, file: str, root: Path) -> None:
    """Every input exists; a real study (``study.synthetic: false``) reads nothing from the
    synthetic study, so that invented data can never sit silently inside a real report."""
    synthetic_dir = (root / "data" / "synthetic").resolve()
    for key, path in config["inputs"].items():
        for p in path if isinstance(path, list) else [] if path is None else [path]:
            p = p["path"] if isinstance(p, Mapping) else p  # coded_export: [{path, coder}, ...]
            if not (root / p).exists():
                raise InputError(
                    file,
                    f"input file not found (inputs.{key})",
                    key=f"inputs.{key}",
                    found=p,
                    expected="an existing file or folder, relative to the repository",
                )
            if not config["study"]["synthetic"] and (root / p).resolve().is_relative_to(synthetic_dir):
                raise InputError(
                    file,
                    f"a real study (study.synthetic: false) reads the synthetic study's data (inputs.{key})",
                    key=f"inputs.{key}",
                    found=p,
                    expected="your own files (e.g. under data/raw/), or leave the key out if the study has no such part",
                )


def check_questionnaire(config: Mapping, *, file: str, root: Path) -> None:
    """The questionnaire arm's sections agree with each other and with the instrument."""
    from instrument import load_instrument

    demo = config["demographics"]
    if not (root / config["instrument"]).is_file():
        raise InputError(
            file,
            "instrument file not found (instrument)",
            key="instrument",
            found=config["instrument"],
            expected="an instrument file such as data/instruments/ripls_hean2015.yaml",
        )
    instrument_path = root / config["instrument"]
    instrument_file = load_config_file(instrument_path, what="instrument")  # no key given twice
    try:
        instrument = load_instrument(instrument_path)
    except InputError as exc:
        raise relocated(exc, str(instrument_path), [instrument_file]) from None

    analysis = config["analysis"]
    named = {
        "analysis.table1": analysis["table1"],
        "analysis.fisher_groupings": analysis["fisher_groupings"],
        "analysis.scale_test_groupings": analysis["scale_test_groupings"],
        "k_anonymity.quasi_identifiers": config["k_anonymity"]["quasi_identifiers"],
    }
    for key, ids in named.items():
        for gid in ids:
            if gid not in demo:
                raise InputError(file, f"{key} names a grouping that is not under demographics", key=key, found=gid, expected=one_of(demo))
    for key in ("analysis.fisher_groupings", "analysis.scale_test_groupings"):
        for gid in named[key]:
            if len(levels_of(demo[gid])) < 2:
                raise InputError(
                    file,
                    f"{key}: grouping {gid} has fewer than two levels, so nothing can be compared",
                    key=key,
                    found=levels_of(demo[gid]),
                    expected="two levels (2x2 Fisher, Mann-Whitney, Welch) or more (Fisher-Freeman-Halton, Kruskal-Wallis, "
                    "Welch's ANOVA); or leave the grouping out of this list",
                )
    for gid, spec in demo.items():
        check_grouping(gid, spec, file=file)
        if "column" not in spec and spec.get("source") != "lookup":
            raise InputError(
                file,
                f"demographics.{gid} needs a column (a survey.columns role) or source: lookup",
                key=f"demographics.{gid}",
                found=f"keys {sorted(spec)}",
                expected="column: <role> or source: lookup",
            )
        if "column" in spec and spec["column"] not in config["survey"]["columns"]:
            raise InputError(
                file,
                f"demographics.{gid}.column is not a role under survey.columns",
                key=f"demographics.{gid}.column",
                found=spec["column"],
                expected=one_of(config["survey"]["columns"]),
            )

    for label in analysis["collapse"]["positive"]:
        if label not in instrument.labels:
            raise InputError(
                file,
                "analysis.collapse.positive names a label that is not in the instrument's response scale",
                key="analysis.collapse.positive",
                found=label,
                expected=one_of(instrument.labels),
            )

    lookup_groups = [gid for gid, spec in demo.items() if spec.get("source") == "lookup"]
    fallback_groups = [gid for gid, spec in demo.items() if spec.get("fallback") == "lookup"]
    for table in ("organisation_lookup", "job_title_lookup"):
        for name, entry in config.get(table, {}).items():
            for gid in lookup_groups:
                if entry["org_type"] not in levels_of(demo[gid]):
                    raise InputError(
                        file,
                        f"{table}: org_type is not a level of demographics.{gid}",
                        key=f"{table}.{name}",
                        found=entry["org_type"],
                        expected=one_of(levels_of(demo[gid])),
                    )
            for gid in fallback_groups:
                if "sector" in entry and entry["sector"] not in levels_of(demo[gid]):
                    raise InputError(
                        file,
                        f"{table}: sector is not a level of demographics.{gid}",
                        key=f"{table}.{name}",
                        found=entry["sector"],
                        expected=one_of(levels_of(demo[gid])),
                    )

    check_survey_links(config, file=file)


def check_survey_links(config: Mapping, *, file: str = "config.yaml") -> None:
    """``survey.link_on`` names a role of ``survey.columns`` and, with a roster, of
    ``roster.columns``; a roster needs ``roster.columns``."""
    link = config["survey"].get("link_on")
    has_roster = bool(config["inputs"].get("roster"))
    if has_roster and "roster" not in config:
        raise InputError(file, "inputs.roster is given but not its columns", key="roster", expected="roster.columns: {name: <header>, ...}")
    if not link:
        return
    if link not in config["survey"]["columns"]:
        raise InputError(
            file,
            "survey.link_on must be a role under survey.columns",
            key="survey.link_on",
            found=link,
            expected=one_of(config["survey"]["columns"]) + " (or no survey.link_on: respondents are then identified by response id)",
        )
    if has_roster and link not in config["roster"]["columns"]:
        raise InputError(
            file,
            "survey.link_on must be a role under roster.columns too",
            key="survey.link_on",
            found=link,
            expected=one_of(config["roster"]["columns"]),
        )


def config_fingerprint(config: Mapping, keys) -> str:
    """SHA-256 of the named config sections. Rules pass it as a param, so Snakemake reruns
    them when the sections change, without the sections themselves (which name places,
    services and organisations) entering Snakemake's metadata and report."""
    import hashlib
    import json

    blob = json.dumps({k: config.get(k) for k in keys}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def check_config_or_exit(config: Mapping, *, file: str = "config.yaml", root: Path | None = None, files: Sequence[str | Path] = ()) -> None:
    """For the Snakefile: print the one line and stop, instead of a traceback. ``files`` are
    the config files merged into ``config``, in order: the line then names the file and line
    that define the key (they have passed :func:`check_yaml_or_exit` already)."""
    try:
        check_config(config, file=file, root=root)
    except InputError as exc:
        _exit(relocated(exc, file, [load_config_file(f, shown=shown_path(f)) for f in files if Path(f).is_file()]))


def relocated(exc: InputError, file: str, files: Sequence[ConfigFile]) -> InputError:
    """``exc``, if it is about the config ``file`` (not e.g. the instrument), naming the file
    and line that define its key, if one of ``files`` does."""
    place = locate(exc.key, files) if exc.key and exc.file == file else None
    if place is None:
        return exc
    return InputError(place[0], exc.problem, row=place[1], key=exc.key, found=exc.found, expected=exc.expected)


def check_config_files(paths: Sequence[str | Path], *, root: Path | None = None) -> dict:
    """Read config files strictly, merge them as Snakemake does (a later file overrides keys
    of an earlier one) and check the result; errors name the file and line. Returns the config."""
    from snakemake.utils import update_config

    files = [load_config_file(p, shown=shown_path(p)) for p in paths]
    config: dict = {}
    for f in files:
        update_config(config, copy.deepcopy(f.data))
    try:
        check_config(config, file=files[-1].shown, root=root)
    except InputError as exc:
        raise relocated(exc, files[-1].shown, files) from None
    return config
