"""The page's HTML without a browser: typeset math, escaping, evidence as formatted tables, the summary order, a
self-contained file, and the templates shipped as package data."""

from __future__ import annotations

import re
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from rnnlab.report.html import cell, claim_sort_key, evidence_blocks, when
from rnnlab.report.mathml import to_mathml, typeset

REPO = Path(__file__).resolve().parents[2]


def test_math_becomes_mathml() -> None:
    out = str(typeset(r"The gradient shrinks by at most $\|W\|_2 / 4$ per step"))
    assert out.startswith("The gradient shrinks by at most <math ") and out.endswith("</math> per step")
    math = ET.fromstring(out[out.index("<math"):out.index("</math>") + 7])
    assert math.tag == "{http://www.w3.org/1998/Math/MathML}math"
    assert [el.tag.split("}")[1] for el in math.iter()].count("msub") == 1
    assert math.get("alttext") == r"\|W\|_2 / 4"


def test_text_around_math_is_escaped_and_a_backslash_dollar_is_a_dollar() -> None:
    out = str(typeset(r"costs \$5 <b>x</b> & $a < b$"))
    assert out.startswith("costs $5 &lt;b&gt;x&lt;/b&gt; &amp; <math")
    assert "<mo>&lt;</mo>" in out  # the formula's own "<" is escaped inside MathML
    assert "<math" not in str(typeset(r"price \$5 and \$6"))


@pytest.mark.parametrize(("latex", "prefix"), [
    ("c_0 = -0.5", [True]), ("v = [-1, 1]", [True]), ("-x", [True]), ("(-1)^T", [True]),
    ("a - b", [False]), ("(a) - b", [False]), ("T - t + 1", [False, False]), ("10^{-9}", [True]),
])
def test_a_sign_after_an_operator_or_opening_bracket_is_unary(latex: str, prefix: list[bool]) -> None:
    math = ET.fromstring(str(to_mathml(latex)))
    signs = [el for el in math.iter() if el.tag.endswith("}mo") and el.text in ("\u2212", "+")]
    assert [el.get("form") == "prefix" and el.get("rspace") == "0" for el in signs] == prefix


@pytest.mark.parametrize("latex", [r"\text{<script>alert(1)</script>}", r"\text{<b>}"])
def test_markup_smuggled_into_a_formula_never_reaches_the_page(latex: str) -> None:
    out = str(to_mathml(latex))
    assert "<script" not in out and "<b>" not in out
    assert "&lt;" in out  # shown as text, escaped


def test_no_dollar_no_math_and_none_is_empty() -> None:
    assert str(typeset("h_0 = 1, y = 1 - h")) == "h_0 = 1, y = 1 - h"
    assert str(typeset(None)) == ""


EVIDENCE: dict[str, Any] = {
    "trials": 1000, "proved": True, "counterexample": None, "nan": float("nan"), "one_hot_bytes": 400_000,
    "success": {"k": 7, "n": 10}, "divergence_rate": 1 / 3, "worst": 0.9999999999999991,
    "per_cell": {"sigmoid": {"violations": 0, "w_norm": 4.5678}},
    "cases": [{"input": "0101", "h_T": None, "ok": True, "cex": {"input": "1", "output": "0"}}],
    "norms": [0.5 ** i for i in range(40)],
    "decision": {"test": {"p_value": 0.0312, "ci": [0.1, 0.5]}, "margin": 0.05},
}


def _texts(blocks: list[dict[str, Any]]) -> list[str]:
    out: list[str] = []
    for b in blocks:
        if b["kind"] == "kv":
            out += [t for row in b["rows"] for t in row]
        elif b["kind"] == "table":
            out += b["columns"] + [t for row in b["rows"] for t in row]
        elif b["kind"] == "list":
            out.append(b["text"])
        else:
            out += _texts(b["blocks"])
    return out


def test_evidence_reads_as_tables_of_formatted_numbers() -> None:
    blocks = evidence_blocks(EVIDENCE)
    texts = _texts(blocks)
    joined = " | ".join(texts)
    for repr_text in ("True", "False", "None", "{", "}", "[", "]", "0.9999999999999991", "'"):
        assert repr_text not in joined, repr_text
    kv = dict(blocks[0]["rows"])
    assert kv == {"trials": "1,000", "proved": "yes", "counterexample": "-", "nan": "NaN",
                  "one hot bytes": "400 KB", "success": "7/10 (70%)", "divergence rate": "33.3%", "worst": "1"}
    kinds = {b["title"]: (b["kind"], b.get("fold")) for b in blocks}
    assert kinds["per cell"] == ("table", False)
    assert kinds["cases"] == ("table", False)
    assert kinds["norms (40 values)"] == ("list", True)  # long detail folded
    assert kinds["decision"] == ("group", True)
    assert "input 1; output 0" in texts  # a record inside a cell reads as words
    assert cell([0.5, None, True]) == "0.5, -, yes"


def test_records_with_the_same_fields_sit_side_by_side() -> None:
    evidence = {"trials": 3, "sigmoid": {"violations": 0, "bytes": 2048, "ok": True},
                "tanh": {"violations": 1, "bytes": 4096, "ok": False}, "other": {"x": 1}}
    blocks = evidence_blocks(evidence)
    assert [b["title"] for b in blocks] == ["measured", "sigmoid, tanh", "other"]
    side = blocks[1]
    assert side["kind"] == "table" and side["columns"] == ["", "sigmoid", "tanh"]
    assert side["rows"] == [["violations", "0", "1"], ["bytes", "2.05 KB", "4.1 KB"], ["ok", "yes", "no"]]
    assert blocks[2]["kind"] == "kv"  # a record with no twin stays a key/value table


def test_trace_rows_where_y_differs_from_expected_are_marked() -> None:
    from rnnlab.report.html import table_block

    rows = [{"t": 1, "x": 1, "h": "0", "y": 0, "expected": 1}, {"t": 2, "x": 0, "h": "0", "y": 0, "expected": 0}]
    block = table_block("trace", rows)
    assert block["marks"] == [True, False] and block["wrong"] == 1
    assert table_block("plain", [{"t": 1, "v": 2}])["marks"] == []


def test_long_tables_fold() -> None:
    (block,) = evidence_blocks({"rows": [{"t": t} for t in range(50)]})
    assert block["kind"] == "table" and block["fold"] and len(block["rows"]) == 50


def test_unexpected_verdicts_sort_first() -> None:
    claims = [{"id": "a", "verdict": "holds", "expected": "holds"},
              {"id": "b", "verdict": "inconclusive", "expected": "holds"},
              {"id": "c", "verdict": "does not hold", "expected": "does not hold"},
              {"id": "d", "verdict": "holds", "expected": "does not hold"}]
    order = {c["id"]: i for i, c in enumerate(claims)}
    assert [c["id"] for c in sorted(claims, key=lambda c: claim_sort_key(c, order))] == ["b", "d", "a", "c"]


def test_page_is_one_self_contained_file(demo_page: Any) -> None:
    page = demo_page.html.read_text()
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    # Nothing is fetched: no external scripts, styles, fonts or images (only the MathML namespace is a URL).
    urls = re.findall(r"""(?:src|href)\s*=\s*["']?(https?:|//)""", page)
    assert not urls
    assert "<link" not in page and "@import" not in page and "url(" not in page
    assert page.count("<figure") == page.count("<figcaption>") >= 1
    assert "data:image/png;base64," in page
    # Every claim has an anchor and a row in the summary table; the math claim is typeset.
    for c in demo_page.payload["claims"]:
        assert f'id="{c["id"]}"' in page and f'href="#{c["id"]}"' in page
    assert page.count("<math ") >= 3
    # A stepper for every entry, its data a JSON island the page parses (no "</script>" can end it early).
    assert page.count('class="stepper-data"') == len(demo_page.payload["steppers"])
    assert "<b>not bold</b>" not in page and "&lt;b&gt;not bold&lt;/b&gt;" in page


def test_templates_are_package_data() -> None:
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    patterns = pyproject["tool"]["setuptools"]["package-data"]["rnnlab"]
    templates = REPO / "src" / "rnnlab" / "report" / "templates"
    names = {p.name for p in templates.iterdir()}
    assert {"page.html.j2", "macros.html.j2", "page.css", "stepper.js"} <= names
    assert any(Path("report/templates/x").match(p) or p == "report/templates/*" for p in patterns)


def test_when_reads_a_timestamp() -> None:
    assert when("2026-12-02T14:31:54+0000") == "2026-12-02 14:31:54 +0000"
    assert when(None) == "an earlier report"


def test_a_missing_figure_file_is_named_not_fatal(demo_page: Any, tmp_path: Path) -> None:
    from rnnlab.report.html import render

    payload = {**demo_page.payload, "tables": {**demo_page.payload["tables"], "S7.h0-zero": [{"a": 1}]}}
    page = render(payload, tmp_path)  # no figures/ folder here
    assert "The figure file figures/demo-decay.png is missing" in page


def test_records_the_part_also_stored_as_a_table_show_once(demo_page: Any, tmp_path: Path) -> None:
    from rnnlab.report.html import render

    claims = [dict(c) for c in demo_page.payload["claims"]]
    claim = next(c for c in claims if c["id"] == "S7.h0-zero")
    trace = demo_page.payload["tables"]["S7.h0-zero#trace"]
    claim["evidence"] = {**claim["evidence"], "trace": trace}
    page = render({**demo_page.payload, "claims": claims}, tmp_path)
    article = page[page.index('<article class="claim" id="S7.h0-zero"'):]
    article = article[:article.index("</article>")]
    assert article.count("<caption>trace") == 1


def test_a_part_over_its_time_budget_says_so() -> None:
    from rnnlab.report.html import _part_status

    payload = {"timestamp": "t", "parts_run": ["S1", "S2"], "cached_parts": []}
    over = _part_status("S1", {"seconds": 6.64, "budget_s": 4.5}, payload)
    assert over == "ran now in 6.64 s (budget 4.5 s, over it)"
    assert _part_status("S2", {"seconds": 1.5, "budget_s": 4.5}, payload) == "ran now in 1.5 s (budget 4.5 s)"


@pytest.mark.parametrize(("line", "split"), [
    ("rnnlab verify a --json; rnnlab verify b --json", ["rnnlab verify a --json", "rnnlab verify b --json"]),
    ("a --x && b --y && c", ["a --x", "b --y", "c"]),
    ('python -c "import json; print(json.dumps(1))"', ['python -c "import json; print(json.dumps(1))"']),
    ("echo 'a; b' ; c", ["echo 'a; b'", "c"]),
    ("rnnlab bound --T 30 --json", ["rnnlab bound --T 30 --json"]),
])
def test_a_reproduce_line_is_shown_one_command_a_line(line: str, split: list[str]) -> None:
    from rnnlab.report.html import commands

    assert commands(line) == split
