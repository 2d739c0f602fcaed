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
* :func:`parse_number` is the strict number parser every such decision uses (Python's
  ``float`` accepts ``"4_5"``, ``" 1e3 "``, ``"nan"`` and Arabic-Indic digits).

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

from errors import InputError, one_of
from instrument import Instrument
from rawinput import normalise_header
from survey_formats.table import SurveyTable

#: Item headers such as ``Q12. wording``, ``Q12: wording``, ``Q12 wording``; not ``Q2 - Topics``
#: (a dash after the number is how Qualtrics names text-analysis and sub-columns).
DEFAULT_ITEM_PATTERN = r"^Q(?P<number>\d+)(?:[.:)]\s*|\s+)(?P<text>[^\s\-–—].*)$"
#: How tools join a question and a sub-question (matrix statement) in one text.
_SEPARATORS = re.compile(r"\s+[-–—]\s+")
#: A number label before wording ("Q12. ", "12) ") dropped before wording is compared.
_NUMBER_LABEL = re.compile(r"^\s*(?:Q\s*)?\d+\s*[.:)]?\s+", re.IGNORECASE)
#: A text shorter than this many words is a label ("q12", "Item 12"), not wording to compare.
MIN_WORDING_WORDS = 4


# --------------------------------------------------------------------------- numbers
def parse_number(text: str, *, decimal: str = ".", thousands: str | None = None) -> float | None:
    """The number ``text`` writes, or None when it is not plainly a number.

    Accepted: an optional sign, ASCII digits, optionally ``decimal`` and more digits
    (``"5"``, ``"-2"``, ``"2.50"``, ``".5"``), surrounding spaces ignored. With
    ``thousands`` declared, digit groups of three separated by it (``"1,234"``). Refused:
    underscores (``"4_5"``), exponents (``"1e3"``), ``nan``/``inf``, undeclared thousands
    separators, spaces inside, non-ASCII digits, a trailing decimal point, anything else.
    """
    if not isinstance(text, str):
        raise TypeError("parse_number takes text")
    t = text.strip()
    if thousands is not None and thousands == decimal:
        raise ValueError("the decimal and thousands separators must differ")
    d = re.escape(decimal)
    whole = r"[0-9]+"
    if thousands is not None:
        whole = rf"(?:[0-9]{{1,3}}(?:{re.escape(thousands)}[0-9]{{3}})+|[0-9]+)"
    if not re.fullmatch(rf"[+-]?(?:{whole}(?:{d}[0-9]+)?|{d}[0-9]+)", t):
        return None
    if thousands is not None:
        t = t.replace(thousands, "")
    return float(t.replace(decimal, "."))


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
                    found=f"a {len(text)}-character question text",
                    expected=f"wording beginning {wanted[n].text[:60]!r}" + (" (check survey.items)" if items is not None else ""),
                )
    missing = [n for n in wanted if n not in found]
    if missing:
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
            found=f"columns for {len(found)} of the {len(wanted)} items of the instrument",
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
                found=f"a {len(wording)}-character wording",
                expected=f"wording beginning {wanted[n].text[:60]!r}",
            )
        found[n] = key
    return found, not_in


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
                expected=f"a column headed {headers[role]!r} (matched ignoring case and punctuation)"
                + (f", e.g. {close[0]!r}" if close else "")
                + " (make inspect lists the columns)",
            )
    return found


# --------------------------------------------------------------------------- answers
def declared_codes(codes: Mapping | None, instrument: Instrument, *, key: str = "survey.codes") -> dict[float, str]:
    """A config code map (``{5: Strongly agree, ...}``) checked: numeric codes, each once, each
    to a label or alias of the instrument; returned as number -> canonical label."""
    if not codes:
        return {}
    lookup = _label_lookup(instrument)
    out: dict[float, str] = {}
    for raw, label in codes.items():
        number = parse_number(str(raw))
        if number is None:
            raise InputError(
                "config.yaml", "a code is not a number", key=f"{key}.{raw}", found=raw, expected="a numeric code such as 1 or 5"
            )
        if number in out:
            raise InputError("config.yaml", "a code is declared twice", key=f"{key}.{raw}", found=raw, expected="each code once")
        canonical = lookup.get(normalise_header(str(label)))
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


def _label_lookup(instrument: Instrument) -> dict[str, str]:
    lookup = {normalise_header(label): label for label in instrument.labels}
    lookup.update(instrument.aliases)
    return lookup


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
    Each distinct value is looked at once; an error names the row of its first occurrence.
    """
    column = table.columns[key]
    series = table.frame[key]
    lookup = _label_lookup(instrument)
    declared = declared_codes(codes, instrument, key=codes_key)
    if declared and column.value_labels:
        _agree(table, key, column.value_labels, declared, lookup, codes_key)
    values, uniques = pd.factorize(series, sort=False)  # uniques in order of first occurrence
    _, first = np.unique(values, return_index=True)
    result = np.empty(len(uniques), dtype=object)
    codes_seen: list[tuple[int, int, float]] = []  # (unique index, row, number), mapped once all are known
    first_label = None
    for k, raw in enumerate(uniques):
        row = table.rows[int(first[k])]
        text = raw.strip()
        if text == "" or text in instrument.missing_values:
            result[k] = ""
        elif (number := parse_number(text)) is not None:
            codes_seen.append((k, row, number))
        elif (label := lookup.get(normalise_header(text))) is not None:
            result[k] = label
            first_label = first_label or row
        else:
            raise InputError(
                table.where,
                f"answer is not a response label of the instrument (found {_describe(text)})",
                row=row,
                column=key,
                expected=f"{one_of(instrument.labels)}, or blank{_nearest(text, instrument)}",
            )
    if codes_seen and first_label is not None and not column.value_labels:
        first_code = codes_seen[0][1]
        raise InputError(
            table.where,
            f"the column mixes numeric codes and response labels (first code on row {first_code}, first label on row {first_label})",
            row=max(first_code, first_label),
            column=key,
            expected="one kind of answer per column: all labels, or all codes declared under " + codes_key,
        )
    for k, row, number in codes_seen:
        if number not in declared:
            cause = (
                "the file labels other codes of this column but not this one"
                if column.value_labels
                else "the file declares no value labels for this column"
            )
            raise InputError(
                table.where,
                f"a numeric code with no declared meaning (found a number; {cause})",
                row=row,
                column=key,
                expected=f"the code declared under {codes_key} (code: label, e.g. 1: {instrument.labels[0]})"
                if declared
                else f"its meaning declared under {codes_key} (code: label), or the export with labels (or the REDCap data dictionary)",
            )
        result[k] = declared[number]
    return pd.Series(result[values], index=series.index, dtype=object)


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
