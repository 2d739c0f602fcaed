# Figures (PNG and SVG, byte-identical on reruns). Two rules, so that the theme figures are
# drawn while the statistics still run, and a recoded segment does not redraw the Likert chart.


rule figures_questionnaire:
    input:
        code=code("instrument", "reliability"),
        item_statistics=rules.reliability.output.item_statistics,
        subscale_scores=rules.score.output.subscale_scores,
        instrument=config["instrument"],
    output:
        likert_png=report(
            "results/figures/likert_items.png",
            caption="../report/figure.rst",
            category="Figures",
        ),
        likert_svg="results/figures/likert_items.svg",
        distributions_png=report(
            "results/figures/subscale_distributions.png",
            caption="../report/figure.rst",
            category="Figures",
        ),
        distributions_svg="results/figures/subscale_distributions.svg",
    log:
        "results/logs/figures_questionnaire.log",
    conda:
        "../../environment.yml"
    script:
        "../../scripts/figures.py"


rule figures_themes:
    input:
        code=code("instrument", "reliability"),
        table4=rules.themes.output.table4,
        focus_groups=rules.themes.output.focus_groups,
    output:
        flipchart_png=report(
            "results/figures/flipchart_themes.png",
            caption="../report/figure.rst",
            category="Figures",
        ),
        flipchart_svg="results/figures/flipchart_themes.svg",
        heatmap_png=report(
            "results/figures/focus_group_heatmap.png",
            caption="../report/figure.rst",
            category="Figures",
        ),
        heatmap_svg="results/figures/focus_group_heatmap.svg",
    log:
        "results/logs/figures_themes.log",
    conda:
        "../../environment.yml"
    script:
        "../../scripts/figures.py"
