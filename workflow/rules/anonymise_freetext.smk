# Anonymisation of the qualitative arm: with anonymise_survey, the ONLY rules that read raw
# data (tests/test_privacy.py checks this).


rule anonymise_freetext:
    input:
        **{k: config["inputs"][k] for k in FREETEXT_INPUTS if config["inputs"].get(k)},
        code=code("anonymise_freetext"),
        # roster, facilitators, flipchart and transcripts are optional: absent ones are no inputs
        coded_export=[path for path, _ in coded_exports(config)],
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
        key_fingerprint=key_fingerprint(*FREETEXT_INPUTS, "coded_export"),
        coders=[coder for _, coder in coded_exports(config)],
    script:
        "../../scripts/anonymise_freetext.py"
