"""Anonymisation of the questionnaire arm: the only code that reads the raw survey export.

The export is read through the survey-export registry (:mod:`survey_formats`): CSV or TSV
in any encoding and delimiter, Excel and OpenDocument workbooks, SPSS, Stata, Qualtrics,
SurveyMonkey and REDCap exports, told apart by content; the config's ``survey.*`` keys say
how to read it. From the export (and the roster, if there is one) it writes the analysis
data set, in which

* each respondent is a keyed pseudonym, HMAC-SHA256 (ENISA's recommended pseudonymisation:
  a keyed hash with the key kept apart from the data) of the normalised link id
  (``survey.link_on``: the e-mail or name that also links the respondent to the roster),
  or, in a survey without a link, of the response's own id (a Qualtrics ``ResponseId``,
  REDCap record id, SurveyMonkey ``Respondent ID``, or ``survey.columns.respondent_id``),
  else of its row number. The key is needed either way (see :func:`main`);
* names, e-mails, phones, timestamps and free-text comments are dropped, and so is every
  column the config does not name (an allow-list, not a deny-list);
* age in years becomes its band; organisation and job title become the professional group
  (MHS / CJS) and sector through the config's lookup, then are dropped;
* answers become the instrument's canonical labels, through a meaning someone declared: a
  label or alias of the instrument, the file's own value labels (SPSS, Stata, the REDCap
  data dictionary), or ``survey.codes`` / ``survey.item_codes`` in the config. A number
  whose meaning nobody declared stops the run: codes are never guessed
  (:mod:`survey_formats.mapping`).

It also writes the sample size and response rate (out of the roster, else out of
``study.invited_n``, else not reported), a log of what was removed and derived (counts
only, never values) and a k-anonymity report over the quasi-identifiers. Rows in error
lines are the file's own (the spreadsheet row, or the case number of a .sav/.dta).
"""

import functools
import logging
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
from rawinput import normalise_header
from redact import Person, Redactor
from roster import read_roster
from stage import as_list, run_rule
from survey_formats import SurveyTable, read_survey_export
from survey_formats.mapping import answer_labels, codes_for_item, match_items, required_roles, role_columns, row_ids
from survey_formats.table import first_duplicate

log = logging.getLogger("ripls.anonymise_survey")

#: HMAC domain of pseudonyms made from a response id or row number rather than a link id.
ROW_DOMAIN = "respondent row"


# ----------------------------------------------------------------------------- columns
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
def map_distinct(series: pd.Series, fn, rows: Sequence[int]) -> pd.Series:
    """``fn(value, row)`` once per distinct value, broadcast to every row.

    ``row`` is the file's own row number (``rows[i]`` for position ``i``) where the value
    first occurs, so an error raised by ``fn`` names the first row that holds the bad value.
    Values are visited in order of first occurrence. This keeps the cost per distinct value,
    not per cell: an export of 100,000 respondents has a handful of distinct answers per column.
    """
    codes, uniques = pd.factorize(series, sort=False)
    _, first = np.unique(codes, return_index=True)
    results = np.empty(len(uniques), dtype=object)
    for k, value in enumerate(uniques):
        results[k] = fn(value, rows[int(first[k])])
    return pd.Series(results[codes], index=series.index, dtype=object)


def _first_row(mask, rows: Sequence[int]) -> int:
    return rows[int(np.flatnonzero(np.asarray(mask))[0])]


def respondent_pseudonyms(table: SurveyTable, roles: Mapping[str, str], roster: pd.DataFrame | None, config: Mapping, key: bytes):
    """(pseudonym per row, what identified the respondents, whether the roster was checked).

    With ``survey.link_on``, the link id: present on every row, once, and (with a roster)
    on the roster. Without it, the response id or row number (:func:`mapping.row_ids`),
    under an HMAC domain of its own.
    """
    link = config["survey"].get("link_on")
    length = config["pseudonymisation"].get("pseudonym_length", 12)
    rows = table.rows
    if not link:
        ids, source = row_ids(table, roles.get("respondent_id"))
        return pseudonyms(key, ids, domain=ROW_DOMAIN, length=length), ("response id" if source != "row number" else source), False
    column = roles[link]
    ident = table.frame[column]
    blank = ident.str.strip() == ""
    if blank.any():
        raise InputError(
            table.where,
            f"respondent has no {link}",
            row=_first_row(blank, rows),
            column=column,
            found="",
            expected=f"the respondent's {link}" + (", to link to the roster" if roster is not None else " (survey.link_on)"),
        )
    norm = ident.map(normalise_identifier)
    found = first_duplicate(norm)
    if found is not None:
        pos, earlier = found
        raise InputError(
            table.where,
            f"duplicate respondent (same {link} as row {rows[earlier]})",
            row=rows[pos],
            column=column,
            found=ident.iloc[pos],
            identifying=True,
            expected="one row per respondent",
        )
    if roster is not None:
        absent = ~norm.isin({normalise_identifier(v) for v in roster[link]})
        if absent.any():
            pos = int(np.flatnonzero(absent.to_numpy())[0])
            raise InputError(
                table.where,
                "respondent is not on the roster",
                row=rows[pos],
                column=column,
                found=ident.iloc[pos],
                identifying=True,
                expected=f"{'an' if link[:1] in 'aeiou' else 'a'} {link} listed in the roster",
            )
    return pseudonyms(key, ident, length=length), link, roster is not None


def sample_counts(respondents: int, roster_n: int | None, invited_n: int | None) -> dict:
    """``sample.json``: the response rate out of those invited, which is ``study.invited_n``
    when the config gives it (invitations may reach more people than the roster lists),
    else the roster's length, else unknown (then no rate is reported: ``None``)."""
    if invited_n is not None:
        problem = ""
        if invited_n < respondents:
            problem = f"study.invited_n is smaller than the number of respondents ({respondents})"
        elif roster_n is not None and invited_n < roster_n:
            problem = f"study.invited_n is smaller than the roster ({roster_n} entries)"
        if problem:
            raise InputError(
                "config.yaml",
                problem,
                key="study.invited_n",
                found=invited_n,
                expected="the number of people invited to the survey (at least every respondent and everyone on the roster)",
            )
        invited, source = invited_n, "config"
    elif roster_n is not None:
        invited, source = roster_n, "roster"
    else:
        invited, source = None, None
    return {
        "roster_n": roster_n,
        "invited_n": invited,
        "invited_source": source,
        "respondents_n": respondents,
        "response_rate_pct": 100.0 * respondents / invited if invited else None,
        "nonresponse_pct": 100.0 * (invited - respondents) / invited if invited else None,
    }


RESPONSE_RATE_BASIS = {
    "roster": "out of the roster",
    "config": "out of study.invited_n",
    None: "not reported: no roster and no study.invited_n",
}


def anonymise_survey(
    table: SurveyTable,
    roster: pd.DataFrame | None,
    instrument: Instrument,
    config: Mapping,
    key: bytes,
) -> tuple[pd.DataFrame, dict, dict]:
    """Return (analysis data set, sample counts, counts-only log) for an export read by
    :func:`read_survey` and the roster (None for a survey without one). Column by column:
    each check or mapping runs once per distinct value (see :func:`map_distinct`)."""
    s = config["survey"]
    cols = s["columns"]
    demographics = config["demographics"]
    frame, rows, file = table.frame, table.rows, table.where
    log_: dict = {"rows_read": len(frame), "dropped_values": Counter(), "derived": Counter()}

    roles = role_columns(table, cols, required=required_roles(config))
    items = match_items(table, instrument, pattern=s.get("item_header_pattern"), items=s.get("items") or None)
    blank = pd.Series("", index=frame.index, dtype=object)

    # -- who: a keyed pseudonym of the link id (checked against the roster) or of the response id
    respondent, identified_by, roster_checked = respondent_pseudonyms(table, roles, roster, config, key)
    out = pd.DataFrame({"respondent": respondent}, index=frame.index)

    # -- organisation and job title -> lookup entry (then both are dropped)
    org = frame[roles["organisation"]] if "organisation" in roles else blank
    title = frame[roles["job_title"]] if "job_title" in roles else blank
    shown = {role: roles.get(role, cols.get(role, role)) for role in ("organisation", "job_title")}

    def lookup(pair: str, row: int):
        o, t = pair.split("\x1f")
        return lookup_org(o, t, config["organisation_lookup"], config.get("job_title_lookup", {}), file=file, row=row, columns=shown)

    found = map_distinct(org + "\x1f" + title, lookup, rows)
    entries = found.map(lambda x: x[0])
    for matched, count in found.map(lambda x: x[1]).value_counts().items():
        log_["derived"][f"org_lookup_by_{matched}"] += int(count)

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
            raw = frame[roles[role]] if role in roles else blank
            column = roles.get(role, cols.get(role, role))
            values = map_distinct(
                raw,
                lambda v, row, spec=spec, column=column, gid=gid: map_level(v, spec, file=file, row=row, column=column, grouping=gid),
                rows,
            )
            if spec.get("fallback") == "lookup":
                fallback = entries.map(lambda e: (e or {}).get("sector") or NON_RESPONSE)
                fill = (values == NON_RESPONSE) & (fallback != NON_RESPONSE)
                differs = (values != NON_RESPONSE) & (fallback != NON_RESPONSE) & (values != fallback)
                if fill.any():
                    log_["derived"][f"{gid}_from_lookup"] += int(fill.sum())
                if differs.any():
                    log_["derived"][f"{gid}_self_report_differs_from_lookup"] += int(differs.sum())
                values = values.where(~fill, fallback)
            if "bins" in spec and (values != NON_RESPONSE).any():
                log_["derived"][f"{role}_to_{gid}"] += int((values != NON_RESPONSE).sum())
        out[gid] = values

    # -- answers -> canonical labels, through declared meanings only
    for it in instrument.items:
        codes, codes_key = codes_for_item(instrument, it.number, s.get("codes"), s.get("item_codes"))
        out[it.column] = answer_labels(table, items.columns[it.number], instrument, codes=codes, codes_key=codes_key)
    item_cols = [it.column for it in instrument.items]
    none_answered = (out[item_cols] == "").all(axis=1)
    if none_answered.any():
        raise InputError(
            file,
            "every item is blank",
            row=_first_row(none_answered, rows),
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
        if role in roles:
            n_values = int((frame[roles[role]] != "").sum())
            if role in kept_roles:
                log_["derived"][f"{role}_answers_mapped"] += n_values
            else:
                log_["dropped_values"][role] += n_values
    known = set(roles.values()) | set(items.columns.values())
    unknown = [c for c in table.columns if c not in known]
    log_["dropped_columns_not_in_config"] = len(unknown) - len(items.not_in_instrument)
    log_["dropped_item_columns_not_in_instrument"] = len(items.not_in_instrument)
    log_["free_text_comments_dropped"] = int((frame[roles["comment"]] != "").sum()) if "comment" in roles else 0
    log_["respondents_written"] = len(data)
    log_["dropped_values"] = dict(sorted(log_["dropped_values"].items()))
    log_["derived"] = dict(sorted(log_["derived"].items()))
    log_["export"] = {"format": table.format, "file_kind": table.file_kind, "notes": dict(sorted(table.notes.items()))}
    log_["respondents_identified_by"] = identified_by
    log_["respondents_checked_against_roster"] = roster_checked

    sample = sample_counts(len(data), len(roster) if roster is not None else None, config["study"].get("invited_n"))
    log_["response_rate"] = RESPONSE_RATE_BASIS[sample["invited_source"]]
    return data, sample, log_


def k_anonymity(data: pd.DataFrame, quasi_identifiers: Sequence[str], k: int) -> dict:
    """Equivalence classes over the quasi-identifiers (non-response is a value of its own);
    without quasi-identifiers every record is in one class."""
    sizes = data.groupby(list(quasi_identifiers), dropna=False).size() if quasi_identifiers else pd.Series([len(data)])
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


def read_survey(path, config: Mapping, dictionary=None) -> SurveyTable:
    """The survey export as the config's ``survey.format``, ``encoding``, ``sheet`` and
    ``header_row`` say to read it (``dictionary``: a REDCap data dictionary)."""
    s = config["survey"]
    return read_survey_export(
        path,
        format=s.get("format", "auto"),
        encoding=s.get("encoding", "auto"),
        sheet=s.get("sheet"),
        header_row=s.get("header_row", 1),
        dictionary=dictionary,
    )


def _optional_input(smk, name: str) -> str | None:
    paths = as_list(smk.input.get(name))
    return paths[0] if paths else None


def main(smk) -> None:
    """The rule. The pseudonymisation key is required for every survey, with or without names
    or a roster: a pseudonym made from a response id or row number with a key anyone could
    derive would be reversible by anyone holding the export (which still holds IP addresses,
    timestamps and free text), and a fresh random key per run would change every pseudonym,
    and so every output, on each rerun. Only the shipped synthetic study may use the demo key."""
    set_value_redactor(Redactor([]))  # errors show raw values redacted: patterns now, names once the roster is read
    config = smk.config
    instrument = load_instrument(smk.input.instrument)
    roster_path = _optional_input(smk, "roster")
    dictionary = _optional_input(smk, "survey_dictionary")
    raw = [str(smk.input.survey), *(p for p in (roster_path, dictionary) if p)]
    key, source = load_key(config["pseudonymisation"], demo_allowed=demo_key_allowed(config["study"]["synthetic"], raw))
    roster = read_roster(roster_path, config) if roster_path else None
    if roster is not None:
        # Built on first use: only an error message needs it, and a roster of 100,000 names
        # takes about 100 s and 2 GB to compile into a redactor.
        people = [Person(n, "[Participant]", "participant") for n in roster["name"]]
        redactor = functools.cache(lambda: Redactor.from_config(people, config.get("redaction") or {}))
        set_value_redactor(lambda text: redactor().redact(text).text)
    table = read_survey(smk.input.survey, config, dictionary)
    data, sample, log_ = anonymise_survey(table, roster, instrument, config, key)
    log_["key_source"] = source
    log.info("survey export read as %s: %d rows, %d respondents written", table.format, log_["rows_read"], len(data))
    log.info("response rate %s", log_["response_rate"])
    kanon = k_anonymity(data, config["k_anonymity"]["quasi_identifiers"], config["k_anonymity"]["k"])
    write_result(data, smk.output.questionnaire, result("questionnaire"))
    write_result(sample, smk.output.sample, result("sample"))
    write_result(log_, smk.output.anonymisation_log, result("anonymisation_log"))
    write_result(kanon, smk.output.k_anonymity, result("k_anonymity"))
    write_result(hash_inputs(raw), smk.output.hashes_survey, result("hashes_survey"))


if "snakemake" in globals():
    run_rule(snakemake, main)  # noqa: F821
