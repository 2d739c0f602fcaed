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

import hashlib
import hmac
import os
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from _helpers import InputError, hash_inputs, normalise_header, one_of, read_csv_input, run_rule, validate_frame, write_csv, write_json
from instrument import Instrument, load_instrument

REPO = Path(__file__).resolve().parent.parent
MIN_KEY_LENGTH = 16
NON_RESPONSE = ""


# ----------------------------------------------------------------------------- the key
def demo_key_allowed(synthetic: bool, input_paths: Sequence[str | os.PathLike], root: Path = REPO) -> bool:
    """The demo key may be used only for the shipped synthetic study: the config must say
    so AND every raw input must lie under ``data/synthetic/``."""
    synth_dir = (root / "data" / "synthetic").resolve()
    return synthetic and all((root / p).resolve().is_relative_to(synth_dir) for p in input_paths)


def load_key(spec: Mapping, *, demo_allowed: bool, root: Path = REPO, environ: Mapping[str, str] = os.environ) -> tuple[bytes, str]:
    """The HMAC key and where it came from: environment variable, key file, or demo key.

    The key file must lie outside the repository, so it can never be committed. Real data
    without a key stops the run.
    """
    env = spec["key_env"]
    if environ.get(env, "").strip():
        key, source = environ[env].strip(), f"environment variable {env}"
    else:
        key_file = Path(os.path.expanduser(spec["key_file"]))
        if not key_file.is_absolute():
            key_file = root / key_file
        if key_file.is_file():
            if key_file.resolve().is_relative_to(root.resolve()):
                raise InputError(
                    key_file,
                    "the pseudonymisation key file is inside the repository",
                    expected="a key file outside the repository (e.g. ~/.config/ripls/pseudonym.key)",
                )
            key, source = key_file.read_text(encoding="utf-8").strip(), "key file"
        elif demo_allowed and spec.get("demo_key"):
            return spec["demo_key"].encode("utf-8"), "demo key (synthetic study)"
        else:
            raise InputError(
                "config.yaml",
                "no pseudonymisation key for real data",
                key="pseudonymisation",
                expected=f"the key in environment variable {env} or in the file {spec['key_file']} (outside the repository); "
                "the demo key is honoured only for the synthetic study under data/synthetic/",
            )
    if len(key) < MIN_KEY_LENGTH:
        raise InputError(
            source,
            "pseudonymisation key is too short",
            found=f"{len(key)} characters",
            expected=f"at least {MIN_KEY_LENGTH} characters of random text",
        )
    return key.encode("utf-8"), source


def pseudonym(key: bytes, identifier: str, *, domain: str = "respondent", length: int = 12) -> str:
    """Keyed pseudonym of an identifier: HMAC-SHA256(key, domain:identifier), hex, truncated."""
    msg = f"{domain}:{normalise_identifier(identifier)}".encode()
    return hmac.new(key, msg, hashlib.sha256).hexdigest()[:length]


def pseudonyms(key: bytes, identifiers, *, domain: str = "respondent", length: int = 12) -> list[str]:
    """:func:`pseudonym` of many identifiers, the keyed HMAC set up once and copied."""
    base = hmac.new(key, digestmod=hashlib.sha256)
    out = []
    for identifier in identifiers:
        h = base.copy()
        h.update(f"{domain}:{normalise_identifier(identifier)}".encode())
        out.append(h.hexdigest()[:length])
    return out


def normalise_identifier(value: str) -> str:
    """E-mails and names are compared case- and space-insensitively."""
    return " ".join(str(value).split()).casefold()


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


def map_level(value: str, spec: Mapping, *, file, row: int, column: str, grouping: str) -> str:
    """The grouping level of one raw answer ('' for non-response); unknown answers stop the run."""
    v = value.strip()
    if v == "" or normalise_header(v) in {normalise_header(m) for m in spec.get("missing", [])}:
        return NON_RESPONSE
    if "bins" in spec:
        try:
            x = float(v)
        except ValueError:
            raise InputError(
                file, f"{grouping}: not a number", row=row, column=column, found=v, expected="a number, e.g. an age in years"
            ) from None
        for b in spec["bins"]:
            if b["min"] <= x < b["below"]:
                return b["level"]
        ranges = ", ".join(f"[{b['min']}, {b['below']})" for b in spec["bins"])
        raise InputError(
            file,
            f"{grouping}: value outside every band",
            row=row,
            column=column,
            found=v,
            expected=f"a value in {ranges} (demographics.{grouping}.bins)",
        )
    key = normalise_header(v)
    for level, answers in spec["levels"].items():
        if key in {normalise_header(a) for a in answers}:
            return level
    accepted = [a for answers in spec["levels"].values() for a in answers]
    raise InputError(
        file,
        f"{grouping}: answer not mapped in config (demographics.{grouping}.levels)",
        row=row,
        column=column,
        found=v,
        expected=one_of(accepted) + ", or blank",
    )


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


def roster_schema(link: str):
    """What a roster must hold, as a pandera schema over the columns renamed to their roles:
    a name on every entry (a person without one could not be redacted from free text) and
    no two entries with the same ``link`` value (ignoring case and spaces; blanks allowed)."""
    import pandera.pandas as pa

    checks = {
        "name": [
            pa.Check(
                lambda s: s.str.contains(r"[^\W_]", regex=True),
                name="name",
                error="roster entry has no name",
                description="the person's name (needed to redact it from the free text)",
            )
        ]
    }
    checks.setdefault(link, []).append(
        pa.Check(
            lambda s: s.eq("") | ~s.map(normalise_identifier).duplicated(),
            name="unique",
            error=f"two roster entries have the same {link}",
            description="one entry per person",
        )
    )
    return pa.DataFrameSchema({col: pa.Column(str, cs) for col, cs in checks.items()})


def read_roster(path, config: Mapping) -> pd.DataFrame:
    """The roster with columns renamed to their roles (``roster.columns``), checked."""
    cols = config["roster"]["columns"]
    link = config["survey"]["link_on"]
    df = read_csv_input(
        path, what="roster", required=[cols["name"], cols[link]], optional=list(cols.values()), identifying=list(cols.values())
    )
    df = df.rename(columns={v: k for k, v in cols.items()})
    return validate_frame(df, roster_schema(link), file=path, headers=cols, identifying=list(cols))


def read_survey(path, config: Mapping) -> pd.DataFrame:
    cols = config["survey"]["columns"]
    link = config["survey"]["link_on"]
    needed = {link} | {spec["column"] for spec in config["demographics"].values() if "column" in spec} | {"organisation", "job_title"}
    required = [cols[r] for r in sorted(needed) if r in cols]
    df = read_csv_input(path, what="survey export", required=required, optional=list(cols.values()))
    return df.rename(columns={v: k for k, v in cols.items()})


def main(smk) -> None:
    config = smk.config
    instrument = load_instrument(smk.input.instrument)
    demo = demo_key_allowed(config["study"]["synthetic"], [smk.input.survey, smk.input.roster])
    key, source = load_key(config["pseudonymisation"], demo_allowed=demo)
    roster = read_roster(smk.input.roster, config)
    survey = read_survey(smk.input.survey, config)
    data, sample, log = anonymise_survey(survey, roster, instrument, config, key)
    log["key_source"] = source
    kanon = k_anonymity(data, config["k_anonymity"]["quasi_identifiers"], config["k_anonymity"]["k"])
    write_csv(data, smk.output.questionnaire)
    write_json(smk.output.sample, sample)
    write_json(smk.output.log, log)
    write_json(smk.output.k_anonymity, kanon)
    write_json(smk.output.hashes, hash_inputs([smk.input.survey, smk.input.roster]))


if "snakemake" in globals():
    run_rule(snakemake, main)  # noqa: F821
