# Tables 1-3 and the tests the paper ran: reliability, item statistics, Fisher, group tests.


rule table1:
    input:
        code=code(),
        questionnaire=rules.anonymise_survey.output.questionnaire,
        sample=rules.anonymise_survey.output.sample,
    output:
        report(
            "results/tables/table1_demographics.csv",
            caption="../report/table1.rst",
            category="Questionnaire tables",
        ),
    log:
        "results/logs/table1.log",
    conda:
        "../../environment.yml"
    params:
        demographics=config["demographics"],
        order=config["analysis"]["table1"],
    script:
        "../../scripts/tables.py"


rule reliability:
    input:
        code=code("instrument"),
        questionnaire=rules.anonymise_survey.output.questionnaire,
        item_scores=rules.score.output.item_scores,
        subscale_scores=rules.score.output.subscale_scores,
        instrument=config["instrument"],
    output:
        table2=report(
            "results/tables/table2_subscales.csv",
            caption="../report/table2.rst",
            category="Questionnaire tables",
        ),
        item_statistics=report(
            "results/tables/item_statistics.csv",
            caption="../report/item_statistics.rst",
            category="Questionnaire tables",
        ),
        table3=report(
            "results/tables/table3_top_items.csv",
            caption="../report/table3.rst",
            category="Questionnaire tables",
        ),
    log:
        "results/logs/reliability.log",
    conda:
        "../../environment.yml"
    params:
        ci_level=config["analysis"]["ci_level"],
        per_subscale=config["analysis"]["table3"]["per_subscale"],
    script:
        "../../scripts/reliability.py"


rule fisher_tests:
    input:
        code=code("instrument"),
        questionnaire=rules.anonymise_survey.output.questionnaire,
        instrument=config["instrument"],
    output:
        report(
            "results/tables/fisher_tests.csv",
            caption="../report/fisher.rst",
            category="Questionnaire tables",
        ),
    log:
        "results/logs/fisher_tests.log",
    conda:
        "../../environment.yml"
    params:
        demographics=config["demographics"],
        groupings=config["analysis"]["fisher_groupings"],
        collapse=config["analysis"]["collapse"],
        family=config["analysis"]["fisher_family"],
        ci_level=config["analysis"]["ci_level"],
    script:
        "../../scripts/inference.py"


rule scale_group_tests:
    input:
        code=code("instrument"),
        subscale_scores=rules.score.output.subscale_scores,
        instrument=config["instrument"],
    output:
        report(
            "results/tables/scale_group_tests.csv",
            caption="../report/scale_tests.rst",
            category="Questionnaire tables",
        ),
    log:
        "results/logs/scale_group_tests.log",
    conda:
        "../../environment.yml"
    params:
        demographics=config["demographics"],
        groupings=config["analysis"]["scale_test_groupings"],
        exact_max_n=config["analysis"]["exact_mwu_max_n"],
    script:
        "../../scripts/inference.py"
