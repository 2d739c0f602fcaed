"""The report stage's own functions: escaping, tables, the published-value lookup,
withholding identifying config lists, dates, and the choice and invocation of the renderer
(Quarto is not installable here: a stand-in records its calls, prints a warning and leaves
its scratch folder, as the real one does)."""

import json
import os
import stat

import pandas as pd
import pytest

import provenance
import report


def test_escape_keeps_markdown_inert():
    assert report.esc("[Participant 07] said <40 | *x*") == r"\[Participant 07\] said \<40 \| \*x\*"
    assert report.esc(float("nan")) == "" and report.esc(None) == ""
    assert report.esc("two\nlines") == "two lines"


def test_number_and_p_formats():
    assert report.num(-4.0227, 2) == "-4.02" and report.num(float("inf")) == "∞" and report.num(float("nan")) == ""
    assert report.pval(0.0004) == "<0.001" and report.pval(0.05) == "0.050"


def test_md_table_widths_and_alignment():
    text = report.md_table(["a", "b"], [["1", "2"]], widths=[3, 6], align="lr")
    assert text.splitlines() == ["| a | b |", "|:---|------:|", "| 1 | 2 |"]


SPEC = "tables/table2_subscales.csv[subscale=insularity].mean"


def test_published_lookup_and_cell():
    figures = pd.DataFrame(
        [
            {
                "figure": "t2_insularity_mean",
                "location": "table2",
                "printed": "-4.03",
                "compute": "tables/table2_subscales.csv[subscale=insularity].mean",
            },
            {
                "figure": "txt_insularity_mean",
                "location": "text",
                "printed": "-4.02",
                "compute": "tables/table2_subscales.csv[subscale=insularity].mean",
            },
        ]
    )
    checks = pd.DataFrame(
        [
            {"figure": "t2_insularity_mean", "published": "-4.03", "computed": "-4.02", "status": "differs"},
            {"figure": "txt_insularity_mean", "published": "-4.02", "computed": "-4.02", "status": "reproduced"},
        ]
    )
    pub = report.Published(figures, checks)
    table = pub.get("tables/table2_subscales.csv", {"subscale": "insularity"}, "mean", "table2")
    text = pub.get("tables/table2_subscales.csv", {"subscale": "insularity"}, "mean", "text")
    assert report.cell("-4.02", table) == "-4.02 (published -4.03) ⚠"
    assert report.cell("-4.02", text) == "-4.02"
    assert pub.get("tables/table2_subscales.csv", {"subscale": "insularity"}, "alpha", "table2") is None


def test_identifying_config_lists_are_withheld():
    config = {
        "redaction": {"places": ["Ashcombe", "Dunmere"], "services": ["Kestrel House"], "keep_key": True},
        "organisation_lookup": {"Ashcombe Constabulary": {"org_type": "CJS"}},
        "job_title_lookup": {"Police Constable": {"org_type": "CJS"}},
        "pseudonymisation": {"demo_key": "demo", "key_env": "RIPLS_PSEUDONYM_KEY"},
        "analysis": {"table1": ["gender"]},
    }
    out = provenance.withhold(config)
    text = json.dumps(out)
    for word in ("Ashcombe", "Dunmere", "Kestrel", "Police Constable", 'demo"'):
        assert word not in text
    assert out["redaction"]["places"] == "<withheld: 2 places named in free text>"
    assert out["analysis"] == {"table1": ["gender"]} and out["redaction"]["keep_key"] is True
    assert config["redaction"]["places"] == ["Ashcombe", "Dunmere"], "the config itself is untouched"


def test_build_date_from_source_date_epoch():
    assert provenance.build_date({"SOURCE_DATE_EPOCH": "1700000000"}) == {
        "date": "2023-11-14 22:13 UTC",
        "source": "SOURCE_DATE_EPOCH",
        "epoch": 1700000000,
    }
    assert provenance.build_date({})["source"].startswith("clock")


@pytest.fixture
def fake_quarto(tmp_path, monkeypatch):
    """A stand-in `quarto` on PATH that records its arguments and writes the output file."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    calls = tmp_path / "calls.txt"
    script = bindir / "quarto"
    script.write_text(
        "#!/bin/sh\n"
        f'echo "$@" >> {calls}\n'
        'if [ "$1" = "--version" ]; then echo 1.6.0; exit 0; fi\n'
        'out=""; prev=""; for a in "$@"; do [ "$prev" = "--output" ] && out="$a"; prev="$a"; done\n'
        'mkdir -p .quarto/xref && echo "third-party README" > .quarto/README.md\n'
        'echo "WARNING: stand-in warning about $out" >&2\n'
        'echo "rendered by the stand-in" > "$out"\n'
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    return calls


def test_quarto_is_chosen_when_on_path_and_called_for_both_formats(fake_quarto, tmp_path, caplog):
    chosen = report.choose_renderer("auto")
    assert chosen["name"] == "quarto" and chosen["version"] == "1.6.0"
    source = tmp_path / "source"
    source.mkdir()
    (source / "report.qmd").write_text("# x\n")
    outputs = {"html": tmp_path / "report.html", "pdf": tmp_path / "report.pdf"}
    with caplog.at_level("INFO", logger="ripls.report"):
        report.render_quarto(chosen["path"], source, ["html", "pdf"], 1700000000, outputs)
    calls = fake_quarto.read_text().splitlines()
    assert "render report.qmd --to html --output report.html" in calls
    assert "render report.qmd --to typst --output report.pdf" in calls
    assert outputs["html"].read_text() == "rendered by the stand-in\n" and outputs["pdf"].exists()
    assert not (source / "report.html").exists(), "outputs are moved to results/report/"
    assert not (source / ".quarto").exists(), "Quarto's scratch folder is not left in results/"
    assert "quarto: WARNING: stand-in warning about report.pdf" in caplog.text, "Quarto's warnings reach the rule's log"


def test_pandoc_route_without_quarto(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # no quarto here
    chosen = report.choose_renderer("auto")
    assert chosen["name"] == "pandoc + typst" and "pandoc 3" in chosen["version"]
    from errors import InputError

    with pytest.raises(InputError, match="quarto is not on PATH"):
        report.choose_renderer("quarto")


def test_pandoc_route_renders_a_small_source(tmp_path):
    source = tmp_path / "source"
    source.mkdir()
    (source / "report.css").write_text("body { margin: 0 }\n")
    table = report.md_table(["Item", "Median"], [["29", "Agree"]])
    (source / "report.qmd").write_text(f'---\ntitle: "T"\n---\n\n# Tables\n\n{table}\n')
    outputs = {"html": tmp_path / "r.html", "pdf": tmp_path / "r.pdf"}
    report.render_pandoc(source, ["html", "pdf"], 1700000000, outputs)
    html = outputs["html"].read_text()
    assert '<td style="text-align: left;">Agree</td>' in html and "margin: 0" in html
    assert outputs["pdf"].read_bytes()[:5] == b"%PDF-"
    first = outputs["pdf"].read_bytes()
    report.render_pandoc(source, ["pdf"], 1700000000, outputs)
    assert outputs["pdf"].read_bytes() == first, "the PDF is byte-identical for a fixed date"
    assert not list(tmp_path.glob(".*.tmp")), "outputs are renamed into place, no temporary file is left"


def test_tables_are_kept_apart_from_paragraphs():
    text = "Some text.\n| a | b |\n|:---|---:|\n| 1 | 2 |\nMore text.\n\n| c |\n|---|\n"
    assert report.tidy_markdown(text) == "Some text.\n\n| a | b |\n|:---|---:|\n| 1 | 2 |\n\nMore text.\n\n| c |\n|---|\n"


def test_cells_that_look_like_typst_markup_are_escaped():
    typ = "    [/ -6.0], [= 2], [- x], [+ y], [8.0 /], [a/b], [--], [==],\n"
    assert report.typst_safe(typ) == "    [\\/ -6.0], [\\= 2], [\\- x], [\\+ y], [8.0 /], [a/b], [--], [==],\n"


def test_a_table_of_not_computable_values_renders_to_pdf(tmp_path):
    """One respondent: every group comparison is blank; the PDF still builds (it stopped with
    typst's "expected colon" on a cell "/ -6.0")."""
    source = tmp_path / "source"
    source.mkdir()
    (source / "report.css").write_text("")
    table = report.md_table(["Median", "Mean"], [["/ -6.0", "- 8"], ["= 1", "+ 2"]])
    (source / "report.qmd").write_text(f'---\ntitle: "T"\n---\n\n{table}\n')
    outputs = {"pdf": tmp_path / "r.pdf"}
    report.render_pandoc(source, ["pdf"], 1700000000, outputs)
    from pypdf import PdfReader

    text = PdfReader(str(outputs["pdf"])).pages[0].extract_text()
    assert "/ -6.0" in text.replace("\u2212", "-") and "= 1" in text
