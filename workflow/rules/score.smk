# RIPLS scoring: item scores and subscale scores under the instrument's missing-data rule.


rule score:
    input:
        code=code("instrument"),
        questionnaire=rules.anonymise_survey.output.questionnaire,
        instrument=config["instrument"],
    output:
        item_scores="results/scores/item_scores.csv",
        subscale_scores="results/scores/subscale_scores.csv",
    log:
        "results/logs/score.log",
    conda:
        "../../environment.yml"
    script:
        "../../scripts/score.py"
