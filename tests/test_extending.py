"""docs/extending.md stays true: a statistic added in three edits reaches the rule, the
contracts and the report; the format registries equal the config schema's lists; and
docs/outputs.md is what the contracts generate."""

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from _support import PYTHON, fresh_copy

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = yaml.safe_load((ROOT / "workflow" / "schemas" / "config.schema.yaml").read_text(encoding="utf-8"))


def test_qda_registry_equals_the_config_schema():
    import qda

    enum = SCHEMA["properties"]["qualitative"]["properties"]["coded_export"]["properties"]["format"]["enum"]
    assert enum == ["auto", *qda.FORMATS]


def test_outputs_doc_is_generated_from_the_contracts():
    import contracts

    assert (ROOT / "docs" / "outputs.md").read_text(encoding="utf-8") == contracts.outputs_markdown(), "run `make docs`"


# The three edits of "Add a statistic", as a newcomer would make them.
FUNCTION = '''

def item_ranges(scores: pd.DataFrame, instrument: Instrument) -> pd.DataFrame:
    """Per scored item: the lowest and the highest score given."""
    rows = [{"item": it.number, "low": scores[it.column].min(), "high": scores[it.column].max()} for it in instrument.scored_items]
    return pd.DataFrame(rows)
'''
CALL = """    write_result(item_ranges(scores, instrument), smk.output.item_ranges, result("item_ranges"))
"""
CONTRACT = """    _t(
        "item_ranges",
        "tables/item_ranges.csv",
        "reliability",
        "Per scored item, the lowest and the highest score given.",
        Col("item", "int", "item number"),
        Col("low", "float", "lowest score"),
        Col("high", "float", "highest score"),
    ),
"""
BLOCK = """
## Item ranges

{{ results.item_ranges | table }}
{% set r = results.item_ranges.set_index("item").loc[2] %}
Item 2 was scored from {{ r["low"] | num(0) }} to {{ r["high"] | num(0) }}.
"""


def add_a_statistic(work: Path) -> None:
    rel = work / "scripts" / "reliability.py"
    text = rel.read_text(encoding="utf-8")
    anchor = "\n\n# ----------------------------------------------------------------------------- entry"
    assert anchor in text
    text = text.replace(anchor, FUNCTION + anchor, 1)
    last_write = '    write_result(select_top_items(items, instrument, smk.params.per_subscale), smk.output.table3, result("table3"))\n'
    assert last_write in text
    rel.write_text(text.replace(last_write, last_write + CALL), encoding="utf-8")
    con = work / "scripts" / "contracts.py"
    text = con.read_text(encoding="utf-8")
    anchor = '    _t(\n        "fisher",'
    assert anchor in text
    con.write_text(text.replace(anchor, CONTRACT + anchor, 1), encoding="utf-8")
    tpl = work / "reports" / "report.qmd.j2"
    text = tpl.read_text(encoding="utf-8")
    anchor = "## Item statistics\n"
    assert anchor in text
    tpl.write_text(text.replace(anchor, BLOCK.lstrip("\n") + "\n" + anchor, 1), encoding="utf-8")


@pytest.fixture(scope="module")
def extended(tmp_path_factory):
    work = fresh_copy(tmp_path_factory.mktemp("extended") / "repo")
    add_a_statistic(work)
    return work


def test_the_new_statistic_is_an_output_of_its_rule_and_an_input_of_the_report(extended):
    dry = subprocess.run(
        [
            str(Path(PYTHON).with_name("snakemake")),
            "results/tables/item_ranges.csv",
            "results/report/report.html",
            "-n",
            "--quiet",
            "rules",
        ],
        cwd=extended,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert dry.returncode == 0, dry.stderr[-2000:]
    code = "import sys; sys.path.insert(0, 'scripts'); import contracts; r = contracts.result('item_ranges'); print(r.rule, r.target)"
    out = subprocess.run([sys.executable, "-c", code], cwd=extended, capture_output=True, text=True, check=True).stdout
    assert out.split() == ["reliability", "results/tables/item_ranges.csv"]


def test_the_new_statistic_is_written_checked_and_reported(extended, pipeline_run, tmp_path):
    """The rule's main writes it (checked against its contract) and the template shows it:
    run in the extended copy on the default run's scores."""
    script = f"""
import sys, json
sys.path[:0] = ["scripts", "tests"]
from mock_snakemake import MockSnakemake
import reliability
res = {str(pipeline_run / "results")!r}
out = {str(tmp_path)!r}
smk = MockSnakemake(
    input=dict(questionnaire=res + "/anonymised/questionnaire.csv", item_scores=res + "/scores/item_scores.csv",
               subscale_scores=res + "/scores/subscale_scores.csv", instrument="data/instruments/ripls_hean2015.yaml"),
    output={{k: out + "/" + k + ".csv" for k in ("table2", "item_statistics", "table3", "item_ranges")}},
    params=dict(ci_level=0.95, per_subscale=3),
)
reliability.main(smk)
import report, pandas as pd, contracts
t = {{"item_ranges": contracts.read_result(out + "/item_ranges.csv", contracts.result("item_ranges"))}}
print(report.environment(__import__("pathlib").Path("reports")).from_string(
    open("reports/report.qmd.j2").read().split("## Item ranges", 1)[1].split("## Item statistics", 1)[0]
).render(results=t))
"""
    proc = subprocess.run([sys.executable, "-c", script], cwd=extended, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    ranges = pd.read_csv(tmp_path / "item_ranges.csv")
    scores = pd.read_csv(pipeline_run / "results" / "scores" / "item_scores.csv")
    assert ranges.set_index("item").loc[2].tolist() == [scores["item_02"].min(), scores["item_02"].max()]
    low, high = int(scores["item_02"].min()), int(scores["item_02"].max())
    assert f"Item 2 was scored from {low} to {high}." in proc.stdout
    assert "| item | low | high |" in proc.stdout
