# Anonymisation: the ONLY rules that read raw data (tests/test_privacy.py checks this).


rule anonymise_survey:
    input:
        code=code("anonymise_survey"),
        survey=config["inputs"]["survey"],
        roster=config["inputs"].get("roster") or [],
        survey_dictionary=config["inputs"].get("survey_dictionary") or [],
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


rule anonymise_freetext:
    input:
        code=code("anonymise_freetext"),
        roster=config["inputs"]["roster"],
        facilitators=config["inputs"]["facilitators"],
        flipchart=config["inputs"]["flipchart"],
        transcripts=config["inputs"]["transcripts"],
        coded_export=config["inputs"]["coded_export"],
    output:
        **outputs("anonymise_freetext"),
        restricted_key=(
            ["restricted/redaction_key.csv"] if config["redaction"]["keep_key"] else []
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
        ),
        keep_key=config["redaction"]["keep_key"],
    script:
        "../../scripts/anonymise_freetext.py"
