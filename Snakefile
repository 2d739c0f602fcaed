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
from specs import spec_files
from study import (
    coded_exports,
    input_paths as study_input_paths,
    parts as study_parts,
    rules as study_rules,
)

# The anonymisation of free text reads these inputs when they are given (all optional).
FREETEXT_INPUTS = ("roster", "facilitators", "flipchart", "transcripts")

# A study is one config file: config.yaml, or the file given with --configfile (then
# config.yaml is not read at all, so no section of the default study leaks into another).
CONFIGFILE = "config.yaml"
CONFIGFILES = list(workflow.overwrite_configfiles) or [CONFIGFILE]
check_yaml_or_exit(CONFIGFILE, workflow.overwrite_configfiles)

if not workflow.overwrite_configfiles:

    configfile: CONFIGFILE


check_config_or_exit(config, file=CONFIGFILES[-1], files=CONFIGFILES)


validate(config, "workflow/schemas/config.schema.yaml")


report: "workflow/report/workflow.rst"


PARTS = study_parts(config)
RULES = study_rules(config)


include: "workflow/rules/common.smk"


if PARTS["questionnaire"]:

    include: "workflow/rules/anonymise_survey.smk"
    include: "workflow/rules/score.smk"
    include: "workflow/rules/statistics.smk"
    include: "workflow/rules/figures_questionnaire.smk"


if PARTS["qualitative"]:

    include: "workflow/rules/anonymise_freetext.smk"
    include: "workflow/rules/themes.smk"
    include: "workflow/rules/intercoder_agreement.smk"
    include: "workflow/rules/figures_themes.smk"


if PARTS["published"]:

    include: "workflow/rules/reproduce.smk"


include: "workflow/rules/report.smk"


rule all:
    default_target: True
    input:
        rules.report.output,
        list(all_results(kinds=("csv", "json", "png", "svg", "dir")).values()),
