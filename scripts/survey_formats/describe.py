"""A summary of a survey export for ``make inspect``: what the file is and what each column holds.

Counts and headers only. No cell value is reported: a column is described by its key, its
question text and value labels (what the file declares about it), how many respondents
answered it, how many distinct answers it holds and what kind they are:

* ``blank``: no answer in any row;
* ``labels declared by the file``: the file's value labels, applied (SPSS, Stata, REDCap
  with its dictionary); ``codes, some without a label`` when some codes have none;
* ``numbers``: bare numbers with no declared meaning (codes need ``survey.codes``, or ages);
* ``numbers and text``: both, which the mapping step refuses for an item;
* ``categories``: few distinct texts (at most 20, and at most half the answers): labels;
* ``free text``: everything else (names, e-mails, comments).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from errors import InputError
from groupings import NON_RESPONSE, levels_of, map_level
from instrument import Instrument
from pseudonyms import normalise_identifier
from rawinput import normalise_header, parse_number
from survey_formats.mapping import answer_meanings, codes_for_item, match_items, required_roles, role_columns, row_id_column
from survey_formats.table import SurveyTable

#: At most this many distinct texts (and at most half the answers) make a column "categories".
MAX_CATEGORIES = 20


def column_kind(values, value_labels: dict[str, str]) -> str:
    """The kind of answers in one column (see the module docstring); ``values`` are its non-blank cells."""
    distinct = set(values)
    if not distinct:
        return "blank"
    numeric = {v for v in distinct if parse_number(v) is not None}
    if value_labels:
        labels = set(value_labels.values())
        if distinct <= labels:
            return "labels declared by the file"
        if numeric and (distinct - numeric) <= labels:
            return "codes, some without a label"
    if numeric == distinct:
        return "numbers"
    if numeric:
        return "numbers and text"
    if len(distinct) <= MAX_CATEGORIES and len(distinct) * 2 <= len(values):
        return "categories"
    return "free text"


def describe(table: SurveyTable) -> dict:
    """The summary of a read export: file facts, notes and one entry per column."""
    columns = []
    for key, col in table.columns.items():
        cells = [v for v in table.frame[key] if v != ""]
        columns.append(
            {
                "key": key,
                "text": col.text,
                "kind": column_kind(cells, col.value_labels),
                "answered": len(cells),
                "distinct": len(set(cells)),
                "value_labels": dict(col.value_labels),
                "missing_codes": sorted(col.missing_codes),
            }
        )
    return {
        "source": table.source,
        "format": table.format,
        "file_kind": table.file_kind,
        "encoding": table.encoding,
        "delimiter": table.delimiter,
        "sheet": table.sheet,
        "respondents": len(table.frame),
        "notes": dict(sorted(table.notes.items())),
        "columns": columns,
    }


# --------------------------------------------------------------------------- make inspect, with a config
#: Answers that identify nobody, shown as they are wherever they turn up (compared ignoring
#: case and punctuation). Any other answer a respondent typed or chose is described by its
#: kind and length: a rare category can single someone out.
PLAIN_WORDS = frozenset(
    normalise_header(w)
    for w in (
        "yes",
        "no",
        "other",
        "none",
        "unknown",
        "missing",
        "n/a",
        "na",
        "not applicable",
        "not answered",
        "skipped",
        "don't know",
        "do not know",
        "prefer not to say",
        "rather not say",
        "female",
        "male",
        "woman",
        "man",
        "true",
        "false",
    )
)
#: Numbers up to this many characters are shown in item columns (response codes: "5", "-2", "2.5").
MAX_CODE_CHARS = 4


def kind_of(text: str) -> str:
    """A raw value described without quoting it: ``a number`` or ``a 14-character text``."""
    return "a number" if parse_number(text) is not None else f"a {len(text.strip())}-character text"


def _shown(text: str, *, declared: bool = False, count: int = 0, k: int = 0) -> str | None:
    """The value as it may be shown, or None (then it is described instead): a plain word, or
    a value label the file declares when at least ``k`` respondents gave it."""
    if normalise_header(text) in PLAIN_WORDS or (declared and count >= k):
        return text.strip()
    return None


def _error(exc: InputError) -> str:
    return exc.line()


def inspect_export(table: SurveyTable, instrument: Instrument, config: Mapping) -> dict:
    """What the pipeline would make of ``table`` under ``config``, for ``make inspect``.

    Keys: ``file`` (:func:`describe`: format, encoding, sheet, respondents, notes, columns),
    ``labels`` (the instrument's, in order),
    ``roles`` (config role -> column key, or None when absent; ``required``), ``identified_by``,
    ``items`` (item number -> column, ``missing``, ``not_in_instrument``, ``unmatched``
    columns), ``answers`` (per matched item: each distinct answer as shown or described,
    its count, the label and score it maps to and through what, or why it has no meaning),
    ``demographics`` (per grouping: respondents per level, and the answers that map to no
    level, by count and kind) and ``problems`` (the error lines the run would stop with,
    which never quote a cell).

    A value from the file is shown only when it identifies nobody: an instrument label or
    alias, a response code of at most :data:`MAX_CODE_CHARS` characters, a value label the
    file declares (for a demographic answer only when at least ``k_anonymity.k`` respondents
    gave it), or one of :data:`PLAIN_WORDS`. Everything else is described by its kind and
    length.
    """
    s = config["survey"]
    k = config.get("k_anonymity", {}).get("k", 5)
    problems: list[str] = []
    out: dict[str, Any] = {"file": describe(table), "labels": list(instrument.labels), "problems": problems}

    cols = s.get("columns", {})
    found = role_columns(table, cols)
    required = required_roles(config)
    out["roles"] = {"found": {role: found.get(role) for role in cols}, "required": required}
    for role in required:
        if role not in found:
            problems.append(f"required column of role {role!r} (survey.columns.{role}: {cols[role]!r}) is not in the export")
    link = s.get("link_on")
    if link:
        column = f"column {found[link]!r}" if link in found else "no such column in the export"
        out["identified_by"] = f"survey.link_on: {link} ({column})"
        if link in found:
            ident = table.frame[found[link]]
            blank = int((ident.str.strip() == "").sum())
            dup = int(ident.map(normalise_identifier).duplicated().sum())
            out["link"] = {"blank": blank, "duplicates": dup}
            if blank or dup:
                problems.append(f"the link column has {blank} blank and {dup} duplicate values (each respondent needs one, once)")
    else:
        column = row_id_column(table, found.get("respondent_id"))
        out["identified_by"] = f"response id (column {column!r})" if column else "row number"

    items_cfg = s.get("items") or None
    try:
        match = match_items(table, instrument, pattern=s.get("item_header_pattern"), items=items_cfg, complete=False)
    except InputError as exc:
        problems.append(_error(exc))
        match = None
    wanted = [it.number for it in instrument.items]
    if match is not None:
        used = set(match.columns.values()) | set(match.not_in_instrument) | {c for c in found.values() if c}
        out["items"] = {
            "matched": dict(match.columns),
            "missing": [n for n in wanted if n not in match.columns],
            "not_in_instrument": list(match.not_in_instrument),
            "unmatched": [c for c in table.columns if c not in used],
        }
        if out["items"]["missing"]:
            problems.append(f"items without a column: {out['items']['missing']} (set survey.items or survey.item_header_pattern)")
        out["answers"] = _answers(table, instrument, match.columns, s, problems)
    out["demographics"] = _demographics(table, config, found, k)
    for gid, d in out["demographics"].items():
        if d.get("unmapped"):
            n = sum(u["count"] for u in d["unmapped"])
            problems.append(f"demographics.{gid}: {n} answers map to no level (demographics.{gid})")
    return out


_ITEM_PROBLEMS = (("unknown", "texts that are no label of the instrument"), ("undeclared code", "numbers with no declared meaning"))


def _answers(table: SurveyTable, instrument: Instrument, columns: Mapping[int, str], s: Mapping, problems: list[str]) -> dict:
    by_number = {it.number: it for it in instrument.items}
    out = {}
    for n, key in columns.items():
        item = by_number[n]
        try:
            codes, codes_key = codes_for_item(instrument, n, s.get("codes"), s.get("item_codes"))
            meanings = answer_meanings(table, key, instrument, codes=codes, codes_key=codes_key)
        except InputError as exc:
            problems.append(_error(exc))
            continue
        declared = set(table.columns[key].value_labels.values())
        rows = []
        for m in meanings:
            text = m.text.strip()
            number = parse_number(text) is not None
            if m.kind == "label":
                shown = m.label if m.via != "the file's value label" else text
            elif m.kind in ("code", "undeclared code") and len(text) <= MAX_CODE_CHARS:
                shown = text
            elif m.kind == "skipped":
                shown = text or None  # a blank is described as "(blank)"
            else:
                shown = _shown(text, declared=text in declared and not number)
            entry = {
                "answer": shown if shown is not None else (kind_of(text) if text else "(blank)"),
                "shown": shown is not None,
                "count": m.count,
                "kind": m.kind,
                "via": m.via,
                "label": m.label,
                "score": instrument.item_score(item, m.label) if m.label and item.subscale is not None else None,
            }
            rows.append(entry)
        for kind, what in (
            ("unknown", "texts that are no label of the instrument"),
            ("undeclared code", "numbers with no declared meaning"),
        ):
            bad = [m for m in meanings if m.kind == kind]
            if bad:
                hint = f" (declare them under {codes_key})" if kind == "undeclared code" else ""
                problems.append(f"item {n} (column {key!r}): {sum(m.count for m in bad)} answers ({len(bad)} distinct) are {what}{hint}")
        out[n] = {"column": key, "reverse": item.reverse, "answers": rows}
    return out


def _demographics(table: SurveyTable, config: Mapping, roles: Mapping[str, str | None], k: int) -> dict:
    out = {}
    for gid, spec in config.get("demographics", {}).items():
        if spec.get("source") == "lookup":
            out[gid] = _lookup_summary(table, config, roles)
            continue
        role = spec["column"]
        key = roles.get(role)
        if key is None:
            out[gid] = {"column": None, "levels": {}, "unmapped": []}
            continue
        column = table.columns[key]
        declared = set(column.value_labels.values())
        levels = dict.fromkeys([*levels_of(spec), "non-response"], 0)
        unmapped = []
        values, uniques = pd.factorize(table.frame[key], sort=False)
        counts = np.bincount(values, minlength=len(uniques))
        for raw, count in zip(uniques, counts, strict=True):
            try:
                level = map_level(raw, spec, file=table.where, row=0, column=key, grouping=gid)
            except InputError as exc:
                text = raw.strip()
                shown = _shown(text, declared=text in declared, count=int(count), k=k)
                unmapped.append(
                    {
                        "answer": shown if shown is not None else kind_of(text),
                        "shown": shown is not None,
                        "count": int(count),
                        "reason": _bin_reason(text, spec) if "bins" in spec else exc.problem.split(": ", 1)[-1],
                    }
                )
                continue
            levels["non-response" if level == NON_RESPONSE else level] += int(count)
        out[gid] = {"column": key, "levels": levels, "unmapped": unmapped}
    return out


def _bin_reason(text: str, spec: Mapping) -> str:
    x = parse_number(text)
    if x is None:
        return "not a number"
    low = min(b["min"] for b in spec["bins"])
    high = max(b["below"] for b in spec["bins"])
    return "below the lowest band" if x < low else ("at or above the highest band" if x >= high else "between bands")


def _lookup_summary(table: SurveyTable, config: Mapping, roles: Mapping[str, str | None]) -> dict:
    """Respondents per way the organisation lookup matched; names are never shown."""
    orgs = {normalise_header(k) for k in config.get("organisation_lookup", {})}
    titles = {normalise_header(k) for k in config.get("job_title_lookup", {})}
    blank = pd.Series("", index=table.frame.index)
    org = table.frame[roles["organisation"]] if roles.get("organisation") else blank
    title = table.frame[roles["job_title"]] if roles.get("job_title") else blank
    counts = Counter()
    for o, t in zip(org, title, strict=True):
        if o.strip():
            counts["by organisation" if normalise_header(o) in orgs else "organisation not in organisation_lookup"] += 1
        elif t.strip():
            counts["by job title" if normalise_header(t) in titles else "job title not in job_title_lookup"] += 1
        else:
            counts["neither given (non-response)"] += 1
    missing = counts["organisation not in organisation_lookup"] + counts["job title not in job_title_lookup"]
    return {
        "column": roles.get("organisation"),
        "lookup": dict(sorted(counts.items())),
        "unmapped": [{"answer": "an organisation or job title", "shown": False, "count": missing, "reason": "not in the lookup"}]
        if missing
        else [],
    }
