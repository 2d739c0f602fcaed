# Anonymisation: the ONLY rules that read raw data (tests/test_privacy.py checks this).


rule anonymise_survey:
    input:
        code=code("instrument"),
        survey=config["inputs"]["survey"],
        roster=config["inputs"]["roster"],
        instrument=config["instrument"],
    output:
        questionnaire="results/anonymised/questionnaire.csv",
        sample="results/anonymised/sample.json",
        log="results/anonymised/anonymisation_log.json",
        k_anonymity="results/anonymised/k_anonymity.json",
        hashes="results/anonymised/raw_input_hashes_survey.json",
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
        "../../scripts/anonymise.py"


rule anonymise_freetext:
    input:
        code=code("anonymise", "instrument", "qda", "redact"),
        roster=config["inputs"]["roster"],
        facilitators=config["inputs"]["facilitators"],
        flipchart=config["inputs"]["flipchart"],
        transcripts=config["inputs"]["transcripts"],
        coded_export=config["inputs"]["coded_export"],
    output:
        notes="results/anonymised/flipchart_notes.csv",
        transcripts=directory("results/anonymised/transcripts"),
        segments="results/anonymised/coded_segments.csv",
        codebook="results/anonymised/codebook.csv",
        log="results/anonymised/redaction_log.csv",
        hashes="results/anonymised/raw_input_hashes_freetext.json",
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
        "../../scripts/anonymise_text.py"
