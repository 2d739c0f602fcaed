# Anonymisation of the questionnaire arm: with anonymise_freetext, the ONLY rules that read
# raw data (tests/test_privacy.py checks this).


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
        key_fingerprint=key_fingerprint("survey", "roster", "survey_dictionary"),
    script:
        "../../scripts/anonymise_survey.py"
