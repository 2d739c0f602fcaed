"""The synthetic study's survey fixtures (``tools/survey_fixtures.py``) and the config a researcher
would write for each, shared by the tests of the anonymisation stage and of ``make inspect``."""

import copy
import importlib.util
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
CONFIG = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
XLS = ROOT / "tests" / "fixtures" / "survey" / "survey_export.xls"


def _load_tools():
    spec = importlib.util.spec_from_file_location("survey_fixtures", ROOT / "tools" / "survey_fixtures.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


FX = _load_tools()

#: survey.columns for the exports keyed by variable name (SPSS/Stata, REDCap raw), by the
#: fixture writer's own naming (tools/survey_fixtures.py).
SAV_COLUMNS = {role: FX._SAV_NAMES[header] for role, header in CONFIG["survey"]["columns"].items()}
QUALTRICS_COLUMNS = {
    **{role: f"Q{FX._QUALTRICS_Q[header]}" for role, header in CONFIG["survey"]["columns"].items() if header in FX._QUALTRICS_Q},
    "timestamp": "StartDate",
}
SURVEYMONKEY_COLUMNS = {**CONFIG["survey"]["columns"], "email": "Email Address", "timestamp": "Start Date"}
REDCAP_RAW_COLUMNS = {**{role: FX._REDCAP_FIELDS[h][0] for role, h in CONFIG["survey"]["columns"].items() if h in FX._REDCAP_FIELDS}}
REDCAP_RAW_COLUMNS["timestamp"] = f"{FX.FORM}_timestamp"
REDCAP_LABEL_COLUMNS = {**CONFIG["survey"]["columns"], "timestamp": "Survey Timestamp"}
QUALTRICS_ITEMS = FX._qualtrics_items(FX.load_study())


def survey_settings(name: str, fixture) -> tuple[dict, dict]:
    """(survey.* keys, inputs.* keys) a researcher would set for this export."""
    inputs = {"survey": str(fixture.path)}
    if name.startswith(("survey.sav", "survey.zsav", "survey.dta")):
        return {"columns": SAV_COLUMNS}, inputs
    if name.startswith("qualtrics"):
        extra = {"codes": dict(FX.DISPLAY_CODES)} if "numeric" in name else {}
        return {"columns": QUALTRICS_COLUMNS, "items": dict(QUALTRICS_ITEMS), **extra}, inputs
    if name.startswith("surveymonkey"):
        return {"columns": SURVEYMONKEY_COLUMNS}, inputs
    if name == "redcap_raw.csv":
        return {"columns": REDCAP_RAW_COLUMNS}, {**inputs, "survey_dictionary": str(fixture.options["dictionary"])}
    if name == "redcap_labels.csv":
        return {"columns": REDCAP_LABEL_COLUMNS}, inputs
    options = {k: v for k, v in fixture.options.items() if k in ("sheet", "header_row")}
    return options, inputs


def config_for(survey: dict, inputs: dict, base: dict = CONFIG) -> dict:
    config = copy.deepcopy(base)
    config["survey"].update(survey)
    config["inputs"].update(inputs)
    return config


def write_fixtures(dest: Path) -> dict:
    """Every fixture, by file name, written into ``dest`` (and the committed legacy .xls)."""
    out = FX.write_fixtures(dest)
    out["survey_export.xls"] = FX.Fixture(XLS, "excel", roles=dict(FX.ROLES))
    return out


FIXTURE_NAMES = [
    "survey_cp1252_semicolon.csv",
    "survey_unicode_text.txt",
    "survey_utf8_bom.csv",
    "survey.xlsx",
    "survey_sheet2_row3.xlsx",
    "survey_export.xls",
    "survey.sav",
    "survey.zsav",
    "survey.dta",
    "qualtrics_choice_text.csv",
    "qualtrics_numeric.csv",
    "qualtrics_legacy.csv",
    "surveymonkey_expanded.csv",
    "surveymonkey_expanded.xlsx",
    "redcap_raw.csv",
    "redcap_labels.csv",
]
