"""Anonymisation of the questionnaire arm: the only code that reads the raw survey export.

From the raw export and roster it writes the analysis data set, in which

* each respondent is a keyed pseudonym, HMAC-SHA256 of the normalised e-mail (ENISA's
  recommended pseudonymisation: a keyed hash with the key kept apart from the data);
* names, e-mails, phones, timestamps and free-text comments are dropped, and so is every
  column the config does not name (an allow-list, not a deny-list);
* age in years becomes its band; organisation and job title become the professional group
  (MHS / CJS) and sector through the config's lookup, then are dropped;
* answers become the instrument's canonical labels.

It also writes the sample size and response rate, a log of what was removed and derived
(counts only, never values) and a k-anonymity report over the quasi-identifiers.
"""

import re
from collections import Counter
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from contracts import result, write_result
from errors import InputError, one_of, set_value_redactor
from groupings import NON_RESPONSE, map_level
from instrument import Instrument, load_instrument
from provenance import hash_inputs
from pseudonyms import demo_key_allowed, load_key, normalise_identifier, pseudonyms
from rawinput import normalise_header, read_csv_input
from redact import Person, Redactor
from roster import read_roster
from stage import run_rule


# ----------------------------------------------------------------------------- columns
def item_columns(df: pd.DataFrame, instrument: Instrument, pattern: str) -> tuple[dict[int, str], list[str]]:
    """Map instrument item numbers to export headers; return also headers of items not in the instrument.

    Columns are matched by the number in the header; the wording must match the
    instrument's (ignoring case and punctuation; a truncated header is accepted).
    """
    rx = re.compile(pattern)
    found: dict[int, str] = {}
    extra: list[str] = []
    wanted = {it.number: it for it in instrument.items}
    file = df.attrs.get("source")
    for h in df.columns:
        m = rx.match(str(h))
        if not m:
            continue
        n = int(m.group("number"))
        if n not in wanted:
            extra.append(h)
            continue
        if n in found:
            raise InputError(file, f"two columns are item {n}", column=h, expected="each item once")
        text = normalise_header(m.groupdict().get("text") or "")
        inst = normalise_header(wanted[n].text)
        if text and not (inst.startswith(text) or text.startswith(inst)):
            raise InputError(
                file,
                f"the wording of item {n} does not match the instrument",
                column=h,
                expected=f"wording beginning {wanted[n].text[:60]!r}",
            )
        found[n] = h
    missing = [n for n in wanted if n not in found]
    if missing:
        raise InputError(
            file,
            f"item {missing[0]} of the instrument has no column",
            column=f"Q{missing[0]}",
            found=f"columns for {len(found)} of the {len(wanted)} items of the instrument",
            expected=f"a column headed like 'Q{missing[0]}. {wanted[missing[0]].text[:40]}…'",
        )
    return found, extra


def lookup_org(
    org: str, title: str, org_lookup: Mapping, title_lookup: Mapping, *, file, row: int, columns: Mapping[str, str]
) -> tuple[dict | None, str]:
    """Lookup entry for an organisation (or, if blank, the job title) and which one matched."""
    for role, value, table, problem, expected in (
        (
            "organisation",
            org,
            org_lookup,
            "organisation not in config organisation_lookup",
            "an organisation listed under organisation_lookup (add it there)",
        ),
        (
            "job_title",
            title,
            title_lookup,
            "organisation blank and job title not in config job_title_lookup",
            "a job title listed under job_title_lookup, or an organisation",
        ),
    ):
        if not value.strip():
            continue
        entry = {normalise_header(k): v for k, v in table.items()}.get(normalise_header(value))
        if entry is None:
            raise InputError(file, problem, row=row, column=columns[role], found=value, identifying=True, expected=expected)
        return entry, role
    return None, "none"


# ----------------------------------------------------------------------------- the stage
def map_distinct(series: pd.Series, fn) -> pd.Series:
    """``fn(value, row)`` once per distinct value, broadcast to every row.

    ``row`` is the spreadsheet row where the value first occurs (the header is row 1), so an
    error raised by ``fn`` names the first row that holds the bad value. Values are visited
    in order of first occurrence. This keeps the cost per distinct value, not per cell: an
    export of 100,000 respondents has a handful of distinct answers per column.
    """
    codes, uniques = pd.factorize(series, sort=False)
    _, first = np.unique(codes, return_index=True)
    results = np.empty(len(uniques), dtype=object)
    for k, value in enumerate(uniques):
        results[k] = fn(value, int(first[k]) + 2)
    return pd.Series(results[codes], index=series.index, dtype=object)


def _first_row(mask) -> int:
    return int(np.flatnonzero(np.asarray(mask))[0]) + 2


def anonymise_survey(
    survey: pd.DataFrame,
    roster: pd.DataFrame,
    instrument: Instrument,
    config: Mapping,
    key: bytes,
) -> tuple[pd.DataFrame, dict, dict]:
    """Return (analysis data set, sample counts, counts-only log). Column by column: each
    check or mapping runs once per distinct value (see :func:`map_distinct`)."""
    file = survey.attrs.get("source", "survey export")
    cols = config["survey"]["columns"]
    link = config["survey"]["link_on"]
    length = config["pseudonymisation"].get("pseudonym_length", 12)
    demographics = config["demographics"]
    log: dict = {"rows_read": len(survey), "dropped_values": Counter(), "derived": Counter()}

    items, extra_items = item_columns(survey, instrument, config["survey"]["item_header_pattern"])

    # -- who: present, once, and on the roster
    ident = survey[link]
    blank = ident.str.strip() == ""
    if blank.any():
        raise InputError(
            file,
            f"respondent has no {link}",
            row=_first_row(blank),
            column=cols[link],
            found="",
            expected=f"the respondent's {link}, to link to the roster",
        )
    norm = ident.map(normalise_identifier)
    dup = norm.duplicated(keep="first")
    if dup.any():
        row = _first_row(dup)
        earlier = _first_row(norm == norm.iloc[row - 2])
        raise InputError(
            file,
            f"duplicate respondent (same {link} as row {earlier})",
            row=row,
            column=cols[link],
            found=ident.iloc[row - 2],
            identifying=True,
            expected="one row per respondent",
        )
    roster_ids = {normalise_identifier(v) for v in roster[link]}
    absent = ~norm.isin(roster_ids)
    if absent.any():
        row = _first_row(absent)
        raise InputError(
            file,
            "respondent is not on the roster",
            row=row,
            column=cols[link],
            found=ident.iloc[row - 2],
            identifying=True,
            expected=f"{'an' if link[:1] in 'aeiou' else 'a'} {link} listed in the roster",
        )
    out = pd.DataFrame({"respondent": pseudonyms(key, ident, length=length)}, index=survey.index)

    # -- organisation and job title -> lookup entry (then both are dropped)
    org = survey["organisation"] if "organisation" in survey.columns else pd.Series("", index=survey.index)
    title = survey["job_title"] if "job_title" in survey.columns else pd.Series("", index=survey.index)

    def lookup(pair: str, row: int):
        o, t = pair.split("\x1f")
        return lookup_org(o, t, config["organisation_lookup"], config.get("job_title_lookup", {}), file=file, row=row, columns=cols)

    found = map_distinct(org + "\x1f" + title, lookup)
    entries = found.map(lambda x: x[0])
    for matched, count in found.map(lambda x: x[1]).value_counts().items():
        log["derived"][f"org_lookup_by_{matched}"] += int(count)

    # -- demographic groupings
    for gid, spec in demographics.items():
        if spec.get("source") == "lookup":
            values = entries.map(lambda e: e["org_type"] if e else NON_RESPONSE)
            bad = values[(values != NON_RESPONSE) & ~values.isin(list(spec["levels"]))]
            if len(bad):
                raise InputError(
                    "config.yaml",
                    f"organisation_lookup gives an org_type not among demographics.{gid}.levels",
                    found=bad.iloc[0],
                    expected=one_of(spec["levels"]),
                )
        else:
            role = spec["column"]
            raw = survey[role] if role in survey.columns else pd.Series("", index=survey.index)
            column = cols.get(role, role)
            values = map_distinct(
                raw, lambda v, row, spec=spec, column=column, gid=gid: map_level(v, spec, file=file, row=row, column=column, grouping=gid)
            )
            if spec.get("fallback") == "lookup":
                fallback = entries.map(lambda e: (e or {}).get("sector") or NON_RESPONSE)
                fill = (values == NON_RESPONSE) & (fallback != NON_RESPONSE)
                differs = (values != NON_RESPONSE) & (fallback != NON_RESPONSE) & (values != fallback)
                if fill.any():
                    log["derived"][f"{gid}_from_lookup"] += int(fill.sum())
                if differs.any():
                    log["derived"][f"{gid}_self_report_differs_from_lookup"] += int(differs.sum())
                values = values.where(~fill, fallback)
            if "bins" in spec and (values != NON_RESPONSE).any():
                log["derived"][f"{role}_to_{gid}"] += int((values != NON_RESPONSE).sum())
        out[gid] = values

    # -- answers -> canonical labels
    def label_of(header: str):
        def fn(cell: str, row: int) -> str:
            try:
                return instrument.canonical_label(cell) or ""
            except ValueError as exc:
                raise InputError(file, str(exc), row=row, column=header, found=cell, expected=instrument.expected_answers()) from None

        return fn

    for it in instrument.items:
        out[it.column] = map_distinct(survey[items[it.number]], label_of(items[it.number]))
    item_cols = [it.column for it in instrument.items]
    none_answered = (out[item_cols] == "").all(axis=1)
    if none_answered.any():
        raise InputError(
            file,
            "every item is blank",
            row=_first_row(none_answered),
            found=f"no answer in any of the {len(instrument.items)} item columns",
            expected="at least one answered item (delete empty submissions from the export)",
        )

    data = out.astype(str).sort_values("respondent", kind="stable").reset_index(drop=True)
    if data["respondent"].duplicated().any():  # a collision in a truncated HMAC: astronomically unlikely
        raise InputError(
            "config.yaml",
            "two respondents share a pseudonym",
            column="pseudonymisation.pseudonym_length",
            expected="a longer pseudonym_length",
        )

    kept_roles = {spec["column"] for spec in demographics.values() if "column" in spec}
    for role in cols:
        if role in survey.columns:
            n_values = int((survey[role] != "").sum())
            if role in kept_roles:
                log["derived"][f"{role}_answers_mapped"] += n_values
            else:
                log["dropped_values"][role] += n_values
    known = set(cols) | set(items.values())
    unknown = [c for c in survey.columns if c not in known]
    log["dropped_columns_not_in_config"] = len(unknown) - len(extra_items)
    log["dropped_item_columns_not_in_instrument"] = len(extra_items)
    log["free_text_comments_dropped"] = int((survey["comment"] != "").sum()) if "comment" in survey.columns else 0
    log["respondents_written"] = len(data)
    log["dropped_values"] = dict(sorted(log["dropped_values"].items()))
    log["derived"] = dict(sorted(log["derived"].items()))

    roster_n = len(roster)
    sample = {
        "roster_n": roster_n,
        "respondents_n": len(data),
        "response_rate_pct": 100.0 * len(data) / roster_n,
        "nonresponse_pct": 100.0 * (roster_n - len(data)) / roster_n,
    }
    return data, sample, log


def k_anonymity(data: pd.DataFrame, quasi_identifiers: Sequence[str], k: int) -> dict:
    """Equivalence classes over the quasi-identifiers (non-response is a value of its own)."""
    sizes = data.groupby(list(quasi_identifiers), dropna=False).size()
    hist = Counter(int(s) for s in sizes)
    return {
        "k": k,
        "quasi_identifiers": list(quasi_identifiers),
        "records": len(data),
        "classes": len(sizes),
        "smallest_class": int(sizes.min()) if len(sizes) else 0,
        "records_in_classes_below_k": int(sizes[sizes < k].sum()),
        "classes_below_k": int((sizes < k).sum()),
        "class_size_histogram": {str(s): hist[s] for s in sorted(hist)},
    }


def read_survey(path, config: Mapping) -> pd.DataFrame:
    cols = config["survey"]["columns"]
    link = config["survey"]["link_on"]
    needed = {link} | {spec["column"] for spec in config["demographics"].values() if "column" in spec} | {"organisation", "job_title"}
    required = [cols[r] for r in sorted(needed) if r in cols]
    df = read_csv_input(path, what="survey export", required=required, optional=list(cols.values()))
    return df.rename(columns={v: k for k, v in cols.items()})


def main(smk) -> None:
    set_value_redactor(Redactor([]))  # errors show raw values redacted: patterns now, names once the roster is read
    config = smk.config
    instrument = load_instrument(smk.input.instrument)
    demo = demo_key_allowed(config["study"]["synthetic"], [smk.input.survey, smk.input.roster])
    key, source = load_key(config["pseudonymisation"], demo_allowed=demo)
    roster = read_roster(smk.input.roster, config)
    set_value_redactor(Redactor.from_config([Person(n, "[Participant]", "participant") for n in roster["name"]], config["redaction"]))
    survey = read_survey(smk.input.survey, config)
    data, sample, log = anonymise_survey(survey, roster, instrument, config, key)
    log["key_source"] = source
    kanon = k_anonymity(data, config["k_anonymity"]["quasi_identifiers"], config["k_anonymity"]["k"])
    write_result(data, smk.output.questionnaire, result("questionnaire"))
    write_result(sample, smk.output.sample, result("sample"))
    write_result(log, smk.output.anonymisation_log, result("anonymisation_log"))
    write_result(kanon, smk.output.k_anonymity, result("k_anonymity"))
    write_result(hash_inputs([smk.input.survey, smk.input.roster]), smk.output.hashes_survey, result("hashes_survey"))


if "snakemake" in globals():
    run_rule(snakemake, main)  # noqa: F821
