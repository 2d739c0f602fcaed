"""From a :class:`SurveyTable` to the instrument: which column is which item, and what each answer means.

Pure functions, called by the anonymisation rule:

* :func:`match_items` finds the column of every instrument item, by a header pattern
  (``Q12. wording``) applied to each column's key and question text, or by an explicit map
  ``{12: "Q5_3"}``; wherever the file carries question text it must match the instrument's
  wording (ignoring case and punctuation; truncation allowed).
* :func:`answer_labels` maps a column's cells to the instrument's canonical labels. Labels
  and aliases are matched ignoring case and punctuation. **A number is mapped only through a
  declared meaning**: the file's own value labels (applied by the reader), a REDCap data
  dictionary (likewise), or ``codes`` from the config. Survey tools number options their own
  way (Qualtrics by display order, REDCap as the designer typed, SPSS by its value labels),
  so a code is never guessed: an undeclared one stops the run.
* :func:`role_columns` finds the columns the config names by role (``survey.columns``),
  headers matched ignoring case and punctuation.
* :func:`row_ids` says what identifies a response when no link to a roster does (the
  tool's response id, else the row number).
* :func:`parse_number` (from :mod:`rawinput`) is the strict number parser every such
  decision uses (Python's ``float`` accepts ``"4_5"``, ``" 1e3 "``, ``"nan"`` and
  Arabic-Indic digits).

Error lines never quote a cell: they describe it (``a number``, ``a 23-character text``)
and, for answers, name the nearest label of the instrument.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from errors import InputError, Stated, one_of
from instrument import Instrument
from pseudonyms import normalise_identifier
from rawinput import normalise_header, parse_number, show_headers
from survey_formats.table import SurveyTable, first_duplicate

#: Item headers such as ``Q12. wording``, ``Q12: wording``, ``Q12 wording``; not ``Q2 - Topics``
#: (a dash after the number is how Qualtrics names text-analysis and sub-columns).
DEFAULT_ITEM_PATTERN = r"^Q(?P<number>\d+)(?:[.:)]\s*|\s+)(?P<text>[^\s\-–—].*)$"
#: How tools join a question and a sub-question (matrix statement) in one text.
_SEPARATORS = re.compile(r"\s+[-–—]\s+")
#: A number label before wording ("Q12. ", "12) ") dropped before wording is compared.
_NUMBER_LABEL = re.compile(r"^\s*(?:Q\s*)?\d+\s*[.:)]?\s+", re.IGNORECASE)
#: A text shorter than this many words is a label ("q12", "Item 12"), not wording to compare.
MIN_WORDING_WORDS = 4


# --------------------------------------------------------------------------- items
@dataclass
class ItemMatch:
    """The result of :func:`match_items`.

    ``columns``: item number -> column key, for every item of the instrument.
    ``not_in_instrument``: columns that name an item the instrument does not have.
    ``unmatched``: every other column (demographics, metadata, comments), for counting.
    """

    columns: dict[int, str]
    not_in_instrument: list[str] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)


def _candidates(text: str) -> list[str]:
    """The text, and what follows each question/statement separator in it."""
    out = [text]
    for m in _SEPARATORS.finditer(text):
        out.append(text[m.end() :])
    return out


def wording_matches(file_text: str, item_text: str) -> bool:
    """Whether the question text a file carries is the item's wording: the whole text, or the
    part after a question/statement separator, with a leading number label dropped, equals
    the wording ignoring case and punctuation, or one is a truncation of the other."""
    inst = normalise_header(item_text)
    for cand in _candidates(file_text):
        n = normalise_header(_NUMBER_LABEL.sub("", cand, count=1))
        if n and (n.startswith(inst) or (inst.startswith(n) and len(n) >= min(len(inst), 12))):
            return True
    return False


def _wordy(text: str) -> bool:
    return len(normalise_header(_NUMBER_LABEL.sub("", text, count=1)).split()) >= MIN_WORDING_WORDS


def match_items(
    table: SurveyTable,
    instrument: Instrument,
    *,
    pattern: str | None = None,
    items: Mapping[int | str, str] | None = None,
    check_wording: bool = True,
    complete: bool = True,
) -> ItemMatch:
    """The column of every instrument item (:class:`ItemMatch`).

    With ``items`` (config ``survey.items``: item number -> column key), exactly those
    columns, for every item of the instrument. Otherwise by ``pattern`` (config
    ``survey.item_header_pattern``, default :data:`DEFAULT_ITEM_PATTERN`; a regular
    expression with a ``number`` group and optionally a ``text`` group), tried on each
    column's key, then its question text, then the part of the text after each
    question/statement separator (``Question - Statement``): the first that matches gives the
    item number; two that give different numbers stop the run.

    With ``check_wording``, wherever the file carries wording for a matched column (its
    question text of at least four words, or the pattern's ``text`` group) it must be the
    instrument's (:func:`wording_matches`); a mismatch names the column and the item.

    With ``complete`` (the pipeline), an item without a column stops the run; without it
    (``make inspect``), the items found are returned and the others are left out.
    """
    wanted = {it.number: it for it in instrument.items}
    if items is not None:
        found = _explicit(table, wanted, items)
        not_in: list[str] = []
    else:
        found, not_in = _by_pattern(table, wanted, pattern or DEFAULT_ITEM_PATTERN, check_wording)
    if check_wording:
        for n, key in found.items():
            text = table.columns[key].text
            if text and _wordy(text) and not wording_matches(text, wanted[n].text):
                raise InputError(
                    table.where,
                    f"the question text of the column does not match item {n} of the instrument",
                    column=key,
                    found=Stated(f"a {len(text)}-character question text"),
                    expected=f"wording beginning {wanted[n].text[:60]!r}" + (" (check survey.items)" if items is not None else ""),
                )
    missing = [n for n in wanted if n not in found]
    if missing and complete:
        n = missing[0]
        hint = (
            "an entry for it under survey.items"
            if items is not None
            else f"a column headed like 'Q{n}. {wanted[n].text[:40]}…', or survey.items mapping item numbers to columns "
            "(make inspect lists the columns)"
        )
        raise InputError(
            table.where,
            f"item {n} of the instrument has no column",
            column=None if items is not None else f"Q{n}",
            found=Stated(f"columns for {len(found)} of the {len(wanted)} items of the instrument"),
            expected=hint,
        )
    used = set(found.values()) | set(not_in)
    return ItemMatch(columns=dict(sorted(found.items())), not_in_instrument=not_in, unmatched=[k for k in table.columns if k not in used])


def _explicit(table: SurveyTable, wanted: Mapping[int, object], items: Mapping[int | str, str]) -> dict[int, str]:
    found: dict[int, str] = {}
    by_column: dict[str, int] = {}
    for raw_number, key in items.items():
        number = parse_number(str(raw_number))
        if number is None or not number.is_integer() or int(number) not in wanted:
            raise InputError(
                "config.yaml",
                "survey.items names an item the instrument does not have",
                key=f"survey.items.{raw_number}",
                found=raw_number,
                expected=f"an item number of the instrument ({min(wanted)}-{max(wanted)})",
            )
        n = int(number)
        if key not in table.columns:
            close = difflib.get_close_matches(str(key), list(table.columns), n=1, cutoff=0.6)
            raise InputError(
                table.where,
                f"survey.items maps item {n} to a column the export does not have",
                key=f"survey.items.{raw_number}",
                found=key,
                expected=f"a column key of the export{f', e.g. {close[0]!r}' if close else ''} (make inspect lists them)",
            )
        if key in by_column:
            raise InputError(
                "config.yaml",
                f"survey.items maps items {by_column[key]} and {n} to the same column",
                key=f"survey.items.{raw_number}",
                found=key,
                expected="one column per item",
            )
        by_column[key] = n
        found[n] = key
    return found


def _by_pattern(table: SurveyTable, wanted: Mapping[int, object], pattern: str, check_wording: bool) -> tuple[dict[int, str], list[str]]:
    try:
        rx = re.compile(pattern)
    except re.error as exc:
        raise InputError(
            "config.yaml",
            "the item header pattern is not a valid regular expression",
            key="survey.item_header_pattern",
            found=str(exc),
            expected="a Python regular expression",
        ) from None
    if "number" not in rx.groupindex:
        raise InputError(
            "config.yaml",
            "the item header pattern has no 'number' group",
            key="survey.item_header_pattern",
            found=pattern,
            expected="a group (?P<number>\\d+)",
        )
    found: dict[int, str] = {}
    not_in: list[str] = []
    for key, col in table.columns.items():
        texts = [key] + [c for c in _candidates(col.text) if c and c != key]
        matches = [(t, m) for t in texts if (m := rx.match(t))]
        if not matches:
            continue
        numbers = {int(m.group("number")) for _, m in matches}
        if len(numbers) > 1:
            raise InputError(
                table.where,
                "the column names two different items in its name and its question text",
                column=key,
                found=f"items {sorted(numbers)}",
                expected="one item per column (or survey.items mapping items to columns)",
            )
        n = numbers.pop()
        if n not in wanted:
            not_in.append(key)
            continue
        if n in found:
            raise InputError(table.where, f"two columns are item {n}", column=key, found=[found[n], key], expected="each item once")
        wording = next((m.groupdict().get("text") or "" for _, m in matches), "")
        if check_wording and wording and not wording_matches(wording, wanted[n].text):
            raise InputError(
                table.where,
                f"the wording of item {n} does not match the instrument",
                column=key,
                found=Stated(f"a {len(wording)}-character wording"),
                expected=f"wording beginning {wanted[n].text[:60]!r}",
            )
        found[n] = key
    return found, not_in


def required_roles(config: Mapping) -> list[str]:
    """The ``survey.columns`` roles the export must have: the link (``survey.link_on``), the
    response id if the config names one, the demographic columns, organisation and job title
    (each when ``survey.columns`` names it)."""
    s = config["survey"]
    needed = {spec["column"] for spec in config["demographics"].values() if "column" in spec}
    needed |= {"organisation", "job_title", "respondent_id"}
    if s.get("link_on"):
        needed.add(s["link_on"])
    return [r for r in sorted(needed) if r in s["columns"]]


def role_columns(table: SurveyTable, headers: Mapping[str, str], *, required: Iterable[str] = ()) -> dict[str, str]:
    """Role -> column key for the config's ``survey.columns`` (role -> header): headers are
    matched to the keys ignoring case and punctuation, as ``read_csv_input`` matches them.
    Roles whose header is absent are left out; a ``required`` one stops the run."""
    by_norm = {normalise_header(k): k for k in table.columns}
    found = {role: by_norm[normalise_header(h)] for role, h in headers.items() if normalise_header(h) in by_norm}
    for role in required:
        if role not in found:
            close = difflib.get_close_matches(str(headers[role]), list(table.columns), n=1, cutoff=0.6)
            raise InputError(
                table.where,
                "required column missing from survey export",
                column=headers[role],
                key=f"survey.columns.{role}",
                found=show_headers(list(table.columns)),
                expected=f"a column headed {headers[role]!r} (matched ignoring case and punctuation)"
                + (f", e.g. {close[0]!r}" if close else "")
                + " (make inspect lists the columns)",
            )
    return found


# --------------------------------------------------------------------------- respondents
#: Columns that identify a response in the tools' exports (Qualtrics current and legacy,
#: also in its SPSS export; SurveyMonkey); a REDCap export's first column is its record id.
ROW_ID_COLUMNS = ("ResponseId", "ResponseID", "Respondent ID")


def row_id_column(table: SurveyTable, column: str | None = None) -> str | None:
    """The column whose values identify each response: ``column`` (config
    ``survey.columns.respondent_id``) if given, else the tool's own (:data:`ROW_ID_COLUMNS`;
    REDCap's record id), else None (the row number then identifies the response)."""
    if column is not None:
        return column
    found = next((k for k in ROW_ID_COLUMNS if k in table.columns), None)
    if found is None and table.format == "redcap":
        found = next(iter(table.columns))
    return found


def row_ids(table: SurveyTable, column: str | None = None) -> tuple[list[str], str]:
    """Per respondent, a text that identifies the response within the export, and what it is.

    ``column`` (see :func:`row_id_column`): its values, which must be present and unique
    (ignoring case and spaces, as pseudonyms compare identifiers); without one, the row
    number (:attr:`SurveyTable.rows`), which stays the same only while the export's row order
    does. Returned as ``(["ResponseId R_1a…", …], "column ResponseId")`` or
    ``(["row 2", …], "row number")``: the kind is part of each id, so that an id can never
    equal one of another kind.
    """
    key = row_id_column(table, column)
    if key is None:
        return [f"row {r}" for r in table.rows], "row number"
    values = table.frame[key]
    blank = values.str.strip() == ""
    if blank.any():
        pos = int(np.flatnonzero(blank.to_numpy())[0])
        raise InputError(
            table.where,
            "a response has no id",
            row=table.rows[pos],
            column=key,
            found="",
            expected="the response id on every row (or survey.link_on to identify respondents by the roster)",
        )
    found = first_duplicate(values.map(normalise_identifier))
    if found is not None:
        pos, earlier = found
        raise InputError(
            table.where,
            f"two rows have the same response id (also row {table.rows[earlier]})",
            row=table.rows[pos],
            column=key,
            expected="one row per response",
        )
    return [f"{key} {v}" for v in values], f"column {key}"


# --------------------------------------------------------------------------- answers
def declared_codes(codes: Mapping | None, instrument: Instrument, *, key: str = "survey.codes") -> dict[float, str]:
    """A config code map (``{5: Strongly agree, ...}``) checked: numeric codes, each once, each
    to a label or alias of the instrument; returned as number -> canonical label."""
    if not codes:
        return {}
    if not isinstance(codes, Mapping):
        raise InputError("config.yaml", "a code map is not a mapping", key=key, found=type(codes).__name__, expected="code: label pairs")
    out: dict[float, str] = {}
    for raw, label in codes.items():
        number = parse_number(str(raw))
        if number is None:
            raise InputError(
                "config.yaml", "a code is not a number", key=f"{key}.{raw}", found=raw, expected="a numeric code such as 1 or 5"
            )
        if number in out:
            raise InputError("config.yaml", "a code is declared twice", key=f"{key}.{raw}", found=raw, expected="each code once")
        canonical = instrument.label_lookup.get(normalise_header(str(label)))
        if canonical is None:
            raise InputError(
                "config.yaml",
                "a code is declared as a label the instrument does not have",
                key=f"{key}.{raw}",
                found=label,
                expected=one_of(instrument.labels),
            )
        out[number] = canonical
    return out


def codes_for_item(instrument: Instrument, number: int, codes: Mapping | None, item_codes: Mapping | None) -> tuple[Mapping | None, str]:
    """The code map for item ``number`` and the config key it comes from: the item's own
    (``survey.item_codes.<number>``) where declared, else ``survey.codes``. Every key of
    ``item_codes`` must be an item of the instrument."""
    wanted = {it.number for it in instrument.items}
    own = None
    for raw, value in (item_codes or {}).items():
        n = parse_number(str(raw))
        if n is None or not n.is_integer() or int(n) not in wanted:
            raise InputError(
                "config.yaml",
                "survey.item_codes names an item the instrument does not have",
                key=f"survey.item_codes.{raw}",
                found=raw,
                expected=f"an item number of the instrument ({min(wanted)}-{max(wanted)})",
            )
        if int(n) == number:
            own = (value, f"survey.item_codes.{raw}")
    return own or (codes, "survey.codes")


@dataclass(frozen=True)
class Meaning:
    """How one distinct answer of an item column is read (:func:`answer_meanings`).

    ``text``: the answer as the cell holds it (a raw value: never written anywhere).
    ``count``: the cells holding it; ``row``: the first row holding it (the file's own).
    ``kind``: ``skipped`` (blank, or a missing value of the instrument), ``label`` (a
    label or alias of the instrument), ``code`` (a number declared under ``codes``),
    ``undeclared code`` (a number whose meaning nobody declared) or ``unknown`` (text that
    is no label). ``label``: the canonical label, or None. ``via``: where the meaning comes
    from (``instrument label``, ``instrument alias``, ``the file's value label``, the config
    key of a code, ``missing value``), ``""`` when there is none.
    """

    text: str
    count: int
    row: int
    kind: str
    label: str | None
    via: str


def answer_meanings(
    table: SurveyTable,
    key: str,
    instrument: Instrument,
    *,
    codes: Mapping | None = None,
    codes_key: str = "survey.codes",
) -> list[Meaning]:
    """Every distinct answer of column ``key`` and how it is read, in order of first
    occurrence, without stopping at a problem (``make inspect`` shows them all;
    :func:`answer_labels` stops at the first). Config mistakes in ``codes`` still stop."""
    column = table.columns[key]
    lookup = instrument.label_lookup
    own_labels = {normalise_header(label) for label in instrument.labels}
    file_labels = set(column.value_labels.values())
    declared = declared_codes(codes, instrument, key=codes_key)
    if declared and column.value_labels:
        _agree(table, key, column.value_labels, declared, lookup, codes_key)
    values, uniques = pd.factorize(table.frame[key], sort=False)  # uniques in order of first occurrence
    _, first = np.unique(values, return_index=True)
    counts = np.bincount(values, minlength=len(uniques))
    out = []
    for k, raw in enumerate(uniques):
        text = raw.strip()
        row, count = table.rows[int(first[k])], int(counts[k])
        if text == "" or text in instrument.missing_values:
            out.append(Meaning(raw, count, row, "skipped", None, "missing value" if text else ""))
        elif (number := parse_number(text)) is not None:
            label = declared.get(number)
            out.append(Meaning(raw, count, row, "code" if label else "undeclared code", label, codes_key if label else ""))
        elif (label := lookup.get(normalise_header(text))) is not None:
            if text in file_labels:
                via = "the file's value label"
            else:
                via = "instrument label" if normalise_header(text) in own_labels else "instrument alias"
            out.append(Meaning(raw, count, row, "label", label, via))
        else:
            out.append(Meaning(raw, count, row, "unknown", None, ""))
    return out


def answer_labels(
    table: SurveyTable,
    key: str,
    instrument: Instrument,
    *,
    codes: Mapping | None = None,
    codes_key: str = "survey.codes",
) -> pd.Series:
    """Column ``key`` as the instrument's canonical labels, ``""`` where skipped.

    A cell is skipped when blank or one of the instrument's ``missing_values``. A text cell
    must be a label or alias of the instrument (ignoring case and punctuation). A number
    (:func:`parse_number`) is mapped only through ``codes`` (config ``codes_key``: code ->
    label); the file's own value labels were applied by the reader, so a number still here
    has no meaning declared by the file. A column holding both numbers and labels is refused
    unless the file declared value labels for it (then the numbers are the codes it left
    unlabelled, and need ``codes``). Codes declared both by the file and the config must agree.
    Each distinct value is looked at once (:func:`answer_meanings`); an error names the row
    of its first occurrence: first an unknown text, then a mix of codes and labels, then an
    undeclared code.
    """
    column = table.columns[key]
    meanings = answer_meanings(table, key, instrument, codes=codes, codes_key=codes_key)
    unknown = next((m for m in meanings if m.kind == "unknown"), None)
    if unknown is not None:
        text = unknown.text.strip()
        raise InputError(
            table.where,
            f"answer is not a response label of the instrument (found {_describe(text)})",
            row=unknown.row,
            column=key,
            expected=f"{one_of(instrument.labels)}, or blank{_nearest(text, instrument)}",
        )
    numbers = [m for m in meanings if m.kind in ("code", "undeclared code")]
    first_label = next((m.row for m in meanings if m.kind == "label"), None)
    if numbers and first_label is not None and not column.value_labels:
        first_code = numbers[0].row
        raise InputError(
            table.where,
            f"the column mixes numeric codes and response labels (first code on row {first_code}, first label on row {first_label})",
            row=max(first_code, first_label),
            column=key,
            expected="one kind of answer per column: all labels, or all codes declared under " + codes_key,
        )
    undeclared = next((m for m in numbers if m.kind == "undeclared code"), None)
    if undeclared is not None:
        cause = (
            "the file labels other codes of this column but not this one"
            if column.value_labels
            else "the file declares no value labels for this column"
        )
        raise InputError(
            table.where,
            f"a numeric code with no declared meaning (found a number; {cause})",
            row=undeclared.row,
            column=key,
            expected=f"the code declared under {codes_key} (code: label, e.g. 1: {instrument.labels[0]})"
            if codes
            else f"its meaning declared under {codes_key} (code: label), or the export with labels (or the REDCap data dictionary)",
        )
    by_text = {m.text: m.label or "" for m in meanings}
    values, uniques = pd.factorize(table.frame[key], sort=False)
    mapped = np.array([by_text[u] for u in uniques], dtype=object)
    return pd.Series(mapped[values], index=table.frame.index, dtype=object)


def _agree(table: SurveyTable, key: str, file_labels: Mapping[str, str], declared: Mapping[float, str], lookup, codes_key: str) -> None:
    for code, label in file_labels.items():
        number = parse_number(code)
        if number is None or number not in declared:
            continue
        own = lookup.get(normalise_header(label))
        if own is not None and own != declared[number]:
            raise InputError(
                table.where,
                f"{codes_key} says code {code} means {declared[number]!r}, but the file's own value labels say {own!r}",
                column=key,
                key=f"{codes_key}.{code}",
                expected="codes that agree with the file's value labels (or no survey.codes: the file's labels are used)",
            )


def _describe(text: str) -> str:
    return f"a {len(text)}-character text"


def _nearest(text: str, instrument: Instrument) -> str:
    names = {normalise_header(x): x for x in instrument.labels}
    names.update({alias: label for alias, label in instrument.aliases.items()})
    close = difflib.get_close_matches(normalise_header(text), list(names), n=1, cutoff=0.6)
    return f"; nearest label: {names[close[0]]!r}" if close else ""
