"""Validation at the boundaries: YAML files against JSON schemas, tables against pandera.

Config, instrument files and the published figures are validated when they are loaded;
files the pipeline wrote are never re-validated (they follow :mod:`contracts`).
A failure becomes one :class:`errors.InputError` line naming the key or row and column.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from contextlib import suppress
from typing import TYPE_CHECKING, Any

from errors import InputError, one_of
from rawinput import read_text_input

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd


def validate_frame(
    df: pd.DataFrame,
    schema: Any,
    *,
    file: str | os.PathLike,
    headers: Mapping[str, str] | None = None,
    identifying: Iterable[str] = (),
) -> pd.DataFrame:
    """Check a table read from ``file`` against a pandera ``DataFrameSchema``; return it.

    The first failure, by row and then by the schema's column order, stops the run as one
    :class:`InputError`. Each ``Check`` of the schema says what it is in words: its
    ``error`` is the problem (formatted with the failing row's cells, e.g. ``{figure!r}``)
    and its ``description`` what was expected. A frame-wide check blames the column named
    by its ``name``. Row ``i`` of ``df`` (0-based) is spreadsheet row ``i + 2``. Cells of
    ``identifying`` columns are never quoted; ``headers`` maps the frame's column names to
    the file's headers, which the message names.
    """
    import pandas as pd
    import pandera.errors

    try:
        return schema.validate(df, lazy=True)
    except pandera.errors.SchemaErrors as exc:
        errors = exc.schema_errors
    except pandera.errors.SchemaError as exc:
        errors = [exc]
    order = {name: k for k, name in enumerate(schema.columns)}
    position = {label: pos for pos, label in enumerate(df.index)}
    failures = []  # (row position or -1, column order, error order, column, index label, value, check)
    for k, err in enumerate(errors):
        check = err.check
        column = getattr(err.schema, "name", None) or getattr(check, "name", None)
        cases = err.failure_cases
        if isinstance(cases, pd.DataFrame) and {"index", "failure_case"} <= set(cases.columns):
            if "column" in cases.columns and column in set(cases["column"]):
                cases = cases[cases["column"] == column]
            for label, value in zip(cases["index"], cases["failure_case"], strict=True):
                pos = position.get(label, -1) if label is not None and not pd.isna(label) else -1
                failures.append((pos, order.get(column, len(order)), k, column, label if pos >= 0 else None, value, check))
        else:
            value = cases.iloc[0, -1] if isinstance(cases, pd.DataFrame) and len(cases) else cases
            failures.append((-1, order.get(column, len(order)), k, column, None, value, check))
    pos, _, _, column, label, value, check = min(failures, key=lambda f: f[:3])
    if hasattr(check, "description"):  # one of the schema's checks, described in words
        problem, expected = check.error or check.name or "check failed", check.description
    else:  # pandera's own: a missing column, a wrong data type, a blank, a duplicate
        what = str(check)
        if what == "column_in_dataframe":
            problem, column, value, expected = "required column missing", value, None, f"a column headed {value!r}"
        else:
            problem, expected = {
                "field_uniqueness": ("value appears twice", "unique values"),
                "not_nullable": ("blank cell", "a value"),
            }.get(what, (f"failed pandera check {what}", None))
    if label is not None and "{" in problem:
        with suppress(KeyError, IndexError, ValueError):
            problem = problem.format_map(df.loc[label].to_dict())
    raise InputError(
        file,
        problem,
        row=_row(df, pos),
        column=(headers or {}).get(column, column) if column is not None else None,
        found=value if not (isinstance(value, float) and pd.isna(value)) else "",
        expected=expected,
        identifying=column in set(identifying),
    )


def _row(df: pd.DataFrame, pos: int) -> int | None:
    """The spreadsheet row of data row ``pos``: from ``attrs["rows"]`` when the reader kept
    them (blank lines skipped), else ``pos + 2`` (header on row 1)."""
    if pos < 0:
        return None
    rows = df.attrs.get("rows")
    return int(rows[pos]) if rows is not None and len(rows) == len(df) else pos + 2


def load_yaml(path: str | os.PathLike, *, what: str = "YAML file") -> Any:
    import yaml

    text = read_text_input(path, what=what)
    if yaml.__with_libyaml__ and "\t" not in text:  # libyaml's parser when it parses (as PyYAML's would); PyYAML's gives the message
        try:
            return yaml.load(text, Loader=yaml.CSafeLoader)
        except yaml.YAMLError:
            pass
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputError(
            path,
            f"{what} is not valid YAML",
            row=(mark.line + 1) if mark else None,
            found=getattr(exc, "problem", None) or str(exc).splitlines()[0],
            expected="well-formed YAML",
        ) from None


def validate_against_schema(data: Any, schema_path: str | os.PathLike, *, file: str | os.PathLike, what: str) -> None:
    """Validate ``data`` against a JSON schema (YAML or JSON file); one-line error on failure.

    The line names the dotted key (an unknown or missing key included), the value found
    (a mapping or list by its kind, not its contents) and what the schema expects there.
    """
    import jsonschema

    schema = load_yaml(schema_path, what="schema")
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(data), key=lambda e: (len(e.absolute_path), list(map(str, e.absolute_path))))
    if errors:
        err = jsonschema.exceptions.best_match(errors)
        problem, found, expected, subkey = _schema_problem(err)
        location = key_path([*err.absolute_path, *([subkey] if subkey is not None else [])]) or "(top level)"
        raise InputError(file, f"{what} does not match its schema: {problem}", key=location, found=found, expected=expected)


def key_path(parts: Iterable[Any]) -> str:
    """A dotted key with list positions in brackets: ``relations[3].parts``."""
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


def _describe(value: Any) -> Any:
    """A value for an error line: scalars as they are, containers by their kind."""
    if isinstance(value, dict):
        return f"a mapping with keys {sorted(map(str, value))[:8]}"
    if isinstance(value, list):
        return f"a list of {len(value)} item{'s' if len(value) != 1 else ''}"
    return value


def _schema_problem(err: Any) -> tuple[str, Any, str, str | None]:
    """(problem, found, expected, key below the error's path) for a jsonschema error."""
    kw, value, instance = err.validator, err.validator_value, err.instance
    message = err.message if len(err.message) <= 120 and not isinstance(instance, dict | list) else f"fails '{kw}'"
    if kw == "additionalProperties" and isinstance(instance, dict):
        allowed = err.schema.get("properties", {})
        extra = next((str(k) for k in instance if k not in allowed), None)
        return "unknown key", extra, one_of(allowed) if allowed else "no further keys", extra
    if kw == "required" and isinstance(instance, dict):
        missing = next((k for k in value if k not in instance), value[0])
        return "a required key is missing", f"keys {sorted(map(str, instance))[:12]}", f"a value for {missing!r}", missing
    if kw == "type":
        return message if not isinstance(instance, dict | list) else "wrong type", _describe(instance), f"a value of type {value}", None
    if kw == "enum":
        return message, _describe(instance), one_of(value), None
    if kw in {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"}:
        return message, instance, f"{kw} {value}", None
    if kw in {"oneOf", "anyOf"} and isinstance(instance, dict) and all(set(alt) == {"required"} for alt in value):
        keys = [k for alt in value for k in alt["required"]]
        present = [k for k in keys if k in instance]
        how = "exactly" if kw == "oneOf" else "at least"
        return f"needs {how} one of the keys {keys}", f"keys {present}", f"{how} one of {keys}", None
    return message, _describe(instance), f"to satisfy '{kw}: {_describe(value)}'", None
