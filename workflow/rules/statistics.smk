# Tables 1-3 and the tests the paper ran: reliability, item statistics, Fisher, group tests.


rule table1:
    input:
        code=code("table1"),
        questionnaire=rules.anonymise_survey.output.questionnaire,
        sample=rules.anonymise_survey.output.sample,
    output:
        **outputs("table1"),
    log:
        "results/logs/table1.log",
    conda:
        "../../environment.yml"
    params:
        demographics=config["demographics"],
        order=config["analysis"]["table1"],
    script:
        "../../scripts/table1.py"


rule reliability:
    input:
        code=code("reliability"),
        questionnaire=rules.anonymise_survey.output.questionnaire,
        item_scores=rules.score.output.item_scores,
        subscale_scores=rules.score.output.subscale_scores,
        instrument=config["instrument"],
    output:
        **outputs("reliability"),
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
        code=code("fisher_tests"),
        questionnaire=rules.anonymise_survey.output.questionnaire,
        instrument=config["instrument"],
    output:
        **outputs("fisher_tests"),
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
        monte_carlo=config["analysis"]["monte_carlo"],
    script:
        "../../scripts/fisher_tests.py"


rule scale_group_tests:
    input:
        code=code("scale_group_tests"),
        subscale_scores=rules.score.output.subscale_scores,
        instrument=config["instrument"],
    output:
        **outputs("scale_group_tests"),
    log:
        "results/logs/scale_group_tests.log",
    conda:
        "../../environment.yml"
    params:
        demographics=config["demographics"],
        groupings=config["analysis"]["scale_test_groupings"],
        exact_max_n=config["analysis"]["exact_mwu_max_n"],
    script:
        "../../scripts/scale_group_tests.py"
