# Figures (PNG and SVG, byte-identical on reruns). Two rules, so that the theme figures are
# drawn while the statistics still run, and a recoded segment does not redraw the Likert chart.


rule figures_questionnaire:
    input:
        code=code("figures_questionnaire"),
        item_statistics=rules.reliability.output.item_statistics,
        subscale_scores=rules.score.output.subscale_scores,
        instrument=config["instrument"],
    output:
        **outputs("figures_questionnaire"),
    log:
        "results/logs/figures_questionnaire.log",
    conda:
        "../../environment.yml"
    script:
        "../../scripts/figures_questionnaire.py"


rule figures_themes:
    input:
        code=code("figures_themes"),
        table4=rules.themes.output.table4,
        focus_groups=rules.themes.output.focus_groups,
    output:
        **outputs("figures_themes"),
    log:
        "results/logs/figures_themes.log",
    conda:
        "../../environment.yml"
    params:
        sheet_titles=config["qualitative"]["flipchart"]["sheet_titles"],
    script:
        "../../scripts/figures_themes.py"
