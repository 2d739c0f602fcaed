# RIPLS study pipeline: anonymise -> score -> statistics -> themes -> figures ->
# reproduction check and consistency audit -> report. See README.md.
import sys

from snakemake.utils import min_version, validate

min_version("9.0")

# One clear line for a bad config (scripts/config_check.py), then the schema with defaults.
# The config files are read strictly first (a key given twice, a tab, a syntax error: with
# its line), before Snakemake's own load of configfile: below. Snakemake has read the
# --configfile files already, before this file (scripts/pipeline.py checks them earlier).
sys.path.insert(0, f"{workflow.basedir}/scripts")
from config_check import check_config_or_exit, check_yaml_or_exit, config_fingerprint
from contracts import RESULTS_LIST, produced_by
from module_deps import module_files

CONFIGFILE = "config.yaml"
check_yaml_or_exit(CONFIGFILE, workflow.overwrite_configfiles)


configfile: CONFIGFILE


check_config_or_exit(
    config, file=CONFIGFILE, files=[CONFIGFILE, *workflow.overwrite_configfiles]
)


validate(config, "workflow/schemas/config.schema.yaml")


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/anonymise.smk"
include: "workflow/rules/score.smk"
include: "workflow/rules/statistics.smk"
include: "workflow/rules/themes.smk"
include: "workflow/rules/agreement.smk"
include: "workflow/rules/reproduce.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/report.smk"


rule all:
    default_target: True
    input:
        rules.report.output,
        list(all_results(kinds=("csv", "json", "png", "svg", "dir")).values()),
