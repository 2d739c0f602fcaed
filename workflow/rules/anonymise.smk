# Anonymisation: the ONLY rules that read raw data (tests/test_privacy.py checks this).


rule anonymise_survey:
    input:
        code=code("anonymise_survey"),
        survey=config["inputs"]["survey"],
        roster=config["inputs"]["roster"],
        instrument=config["instrument"],
    output:
        **outputs("anonymise_survey"),
    log:
        "results/logs/anonymise_survey.log",
    conda:
        "../../environment.yml"
    params:
        config_sha256=fingerprint(
            "study",
            "pseudonymisation",
            "roster",
            "survey",
            "organisation_lookup",
            "job_title_lookup",
            "demographics",
            "k_anonymity",
        ),
    script:
        "../../scripts/anonymise_survey.py"


def coded_exports():
    """inputs.coded_export as [(path, coder label or None)]: one path (the reader labels its
    coders), or one {path, coder} per coder's export."""
    spec = config["inputs"]["coded_export"]
    if isinstance(spec, str):
        return [(spec, None)]
    return [(e["path"], e["coder"]) for e in spec]


# roster, facilitators, flipchart and transcripts are optional: absent ones are no inputs.
FREETEXT_INPUTS = ("roster", "facilitators", "flipchart", "transcripts")


rule anonymise_freetext:
    input:
        code=code("anonymise_freetext"),
        **{k: config["inputs"][k] for k in FREETEXT_INPUTS if config["inputs"].get(k)},
        coded_export=[path for path, _ in coded_exports()],
    output:
        **outputs("anonymise_freetext"),
        # restricted/ (git-ignored, read by no rule): name -> label, file name / note id -> neutral id
        restricted_key=(
            ["restricted/redaction_key.csv", "restricted/document_key.csv"]
            if config["redaction"]["keep_key"]
            else []
        ),
    log:
        "results/logs/anonymise_freetext.log",
    conda:
        "../../environment.yml"
    params:
        config_sha256=fingerprint(
            "study",
            "pseudonymisation",
            "roster",
            "survey",
            "qualitative",
            "redaction",
            "organisation_lookup",
            "job_title_lookup",
            "demographics",
        ),
        keep_key=config["redaction"]["keep_key"],
        coders=[coder for _, coder in coded_exports()],
    script:
        "../../scripts/anonymise_freetext.py"
