# Anonymisation: the ONLY rules that read raw data (tests/test_privacy.py checks this).


rule anonymise_survey:
    input:
        survey=config["inputs"]["survey"],
        roster=config["inputs"]["roster"],
        instrument=config["instrument"],
    output:
        questionnaire="results/anonymised/questionnaire.csv",
        sample="results/anonymised/sample.json",
        log="results/anonymised/anonymisation_log.json",
        k_anonymity="results/anonymised/k_anonymity.json",
    params:
        settings=settings(
            "study",
            "pseudonymisation",
            "roster",
            "survey",
            "organisation_lookup",
            "job_title_lookup",
            "demographics",
            "k_anonymity",
        ),
    log:
        "results/logs/anonymise_survey.log",
    conda:
        "../../environment.yml"
    script:
        "../../scripts/anonymise.py"
