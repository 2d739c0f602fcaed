# RIPLS scoring: item scores and subscale scores under the instrument's missing-data rule.


rule score:
    input:
        code=code("score"),
        questionnaire=rules.anonymise_survey.output.questionnaire,
        instrument=config["instrument"],
    output:
        **outputs("score"),
    log:
        "results/logs/score.log",
    conda:
        "../../environment.yml"
    script:
        "../../scripts/score.py"
