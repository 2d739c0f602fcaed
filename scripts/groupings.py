"""Demographic groupings: their levels, and the level of a raw answer.

A grouping (config ``demographics.<id>``) maps raw answers to levels (``levels``: level ->
accepted answers, matched ignoring case and punctuation) or bins a number (``bins``, read
by :func:`rawinput.parse_number`); blank answers and the ``missing`` answers are
non-response. One place says what the levels of a grouping are, for every stage that needs
them.
"""

from collections.abc import Mapping, Sequence

from errors import InputError, one_of
from rawinput import normalise_header, parse_number

#: The level of a respondent who did not answer (a blank cell in the analysis data).
NON_RESPONSE = ""


def levels_of(spec: Mapping) -> list[str]:
    """Level ids of one grouping, in config order (its ``levels``, or its ``bins``)."""
    return list(spec["levels"]) if "levels" in spec else [b["level"] for b in spec["bins"]]


def grouping_levels(demographics: Mapping[str, Mapping], ids: Sequence[str]) -> dict[str, list[str]]:
    """Level ids of each named grouping, in config order."""
    return {gid: levels_of(demographics[gid]) for gid in ids}


def map_level(value: str, spec: Mapping, *, file, row: int, column: str, grouping: str) -> str:
    """The grouping level of one raw answer ('' for non-response); unknown answers stop the run."""
    v = value.strip()
    if v == "" or normalise_header(v) in {normalise_header(m) for m in spec.get("missing", [])}:
        return NON_RESPONSE
    if "bins" in spec:
        x = parse_number(v)  # strict: "4_5" is not 45, "1e2" and "nan" are not numbers
        if x is None:
            raise InputError(
                file,
                f"{grouping}: not a number",
                row=row,
                column=column,
                found=v,
                expected="a number written with digits and an optional decimal point, e.g. an age in years",
            )
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
