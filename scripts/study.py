"""What a study consists of, read from its config: its arms, its sources, and the rules that run.

Every part of a study is optional. A questionnaire arm exists when ``inputs.survey`` is
given; a qualitative arm when a coded export is given with flip-chart notes, transcripts or
both; a comparison with a publication when ``inputs.published`` is given. The Snakefile
includes only the rules of the parts a study has, and the report states the same parts
(``report_facts``). Standard library only: the Snakefile imports it when it builds the graph.
"""

from collections.abc import Mapping

#: Rules of each part, in pipeline order. ``report_facts`` and ``report`` always run.
PART_RULES: dict[str, tuple[str, ...]] = {
    "questionnaire": ("anonymise_survey", "score", "table1", "reliability", "fisher_tests", "scale_group_tests", "figures_questionnaire"),
    "qualitative": ("anonymise_freetext", "themes", "intercoder_agreement", "figures_themes"),
    "published": ("consistency_audit", "reproduction_check"),
}
ALWAYS = ("report_facts", "report")


def has(config: Mapping, key: str) -> bool:
    """Whether ``inputs.<key>`` is given (a path, or a non-empty list)."""
    value = (config.get("inputs") or {}).get(key)
    return bool(value)


def parts(config: Mapping) -> dict[str, bool]:
    """Which parts the study has, and its qualitative sources."""
    qualitative = has(config, "coded_export") and (has(config, "flipchart") or has(config, "transcripts"))
    return {
        "questionnaire": has(config, "survey"),
        "qualitative": qualitative,
        "flipchart": qualitative and has(config, "flipchart"),
        "focus_groups": qualitative and has(config, "transcripts"),
        "published": has(config, "published"),
    }


def rules(config: Mapping) -> list[str]:
    """The rules that run for this study, in pipeline order."""
    p = parts(config)
    out = [r for part, names in PART_RULES.items() if p[part] for r in names]
    return [*out, *ALWAYS]
