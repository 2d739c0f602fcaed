# Anonymisation of the qualitative arm: with anonymise_survey, the ONLY rules that read raw
# data (tests/test_privacy.py checks this).


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
