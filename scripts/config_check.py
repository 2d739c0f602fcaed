"""Check the configuration before any rule runs, with one line a person can act on.

The Snakefile also calls Snakemake's ``validate()`` against the same schema (which fills in
defaults); this module runs first so that a mistake reads as one line naming the key, the
value found and what was expected, and it checks what a schema cannot: that groupings
named in the analysis exist and have two levels, that the collapse rule uses labels of the
instrument, that lookups give known levels, and that every input file exists.
"""

import sys
from collections.abc import Mapping
from pathlib import Path

from errors import InputError, one_of
from groupings import levels_of
from schemas import validate_against_schema

SCHEMA = Path(__file__).resolve().parent.parent / "workflow" / "schemas" / "config.schema.yaml"


def check_config(config: Mapping, *, file: str = "config.yaml", root: Path | None = None) -> None:
    """Raise InputError (one line) for the first problem found in ``config``."""
    from instrument import load_instrument

    validate_against_schema(config, SCHEMA, file=file, what="config")
    root = root or SCHEMA.parent.parent.parent
    demo = config["demographics"]

    for key, path in config["inputs"].items():
        for p in path if isinstance(path, list) else [path]:
            if not (root / p).exists():
                raise InputError(
                    file,
                    f"input file not found (inputs.{key})",
                    key=f"inputs.{key}",
                    found=p,
                    expected="an existing file or folder, relative to the repository",
                )
    if not (root / config["instrument"]).is_file():
        raise InputError(
            file,
            "instrument file not found (instrument)",
            key="instrument",
            found=config["instrument"],
            expected="an instrument file such as data/instruments/ripls_hean2015.yaml",
        )
    instrument = load_instrument(root / config["instrument"])

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
            if len(levels_of(demo[gid])) != 2:
                raise InputError(
                    file,
                    f"{key}: grouping {gid} must have exactly two levels for a 2x2 / two-group test",
                    key=key,
                    found=levels_of(demo[gid]),
                    expected="two levels",
                )
    for gid, spec in demo.items():
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

    if config["survey"]["link_on"] not in config["roster"]["columns"]:
        raise InputError(
            file,
            "survey.link_on must be a role under roster.columns too",
            key="survey.link_on",
            found=config["survey"]["link_on"],
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


def check_config_or_exit(config: Mapping, *, file: str = "config.yaml", root: Path | None = None) -> None:
    """For the Snakefile: print the one line and stop, instead of a traceback."""
    try:
        check_config(config, file=file, root=root)
    except InputError as exc:
        print(exc.line(), file=sys.stderr, flush=True)
        sys.exit(1)
