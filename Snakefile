# RIPLS study pipeline: anonymise -> score -> statistics -> themes -> figures ->
# reproduction check and consistency audit -> report. See README.md.
import sys

from snakemake.utils import min_version, validate

min_version("9.0")


configfile: "config.yaml"


# One clear line for a bad config (scripts/config_check.py), then the schema with defaults.
sys.path.insert(0, f"{workflow.basedir}/scripts")
from config_check import check_config_or_exit, config_fingerprint
from contracts import RESULTS_LIST, produced_by
from module_deps import module_files

check_config_or_exit(
    config, file=workflow.configfiles[-1] if workflow.configfiles else "config.yaml"
)


validate(config, "workflow/schemas/config.schema.yaml")


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/anonymise.smk"
include: "workflow/rules/score.smk"
include: "workflow/rules/statistics.smk"
include: "workflow/rules/themes.smk"
include: "workflow/rules/reproduce.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/report.smk"


rule all:
    default_target: True
    input:
        rules.report.output,
        list(all_results(kinds=("csv", "json", "png", "svg", "dir")).values()),
