"""The benchmark plumbing and `rnnlab bench`, run at tiny sizes (no timing is asserted: timings are noisy)."""

from __future__ import annotations

import json
import math
from functools import partial

import pytest

from rnnlab.bench import Case, Result, all_cases, run_cases
from rnnlab.bench import exact_cases as ec
from rnnlab.cli import bench as bench_cli
from rnnlab.cli.main import main

FIELDS = {"name", "value", "unit", "baseline", "ratio", "target", "detail", "met"}

TINY = [
    Case("recurrence_tanh_vs_nn_rnn",
         partial(ec.recurrence_tanh_vs_nn_rnn, batch=2, steps=3, inputs=2, hidden=4, repeats=1), "tiny"),
    Case("verifier_exhaustive_seq_steps_per_s",
         partial(ec.verifier_exhaustive_seq_steps_per_s, one_len=8, two_len=4, dense_one_len=6, dense_two_len=3,
                 repeats=1), "tiny"),
    Case("verifier_proof_256_state_dfa_s",
         partial(ec.verifier_proof_256_state_dfa_s, n_states=8, exhaustive_len=6, repeats=1), "tiny"),
    Case("run_inputs_batched_vs_one_at_a_time",
         partial(run_cases.run_inputs_batched_vs_one_at_a_time, inputs=20, max_len=4, hidden=3, repeats=1), "tiny"),
    Case("run_inputs_streamed_first_line_s",
         partial(run_cases.run_inputs_streamed_first_line_s, inputs=30, length=20, hidden=3), "tiny"),
    Case("run_inputs_streamed_peak_rss_mb",
         partial(run_cases.run_inputs_streamed_peak_rss_mb, inputs=30, length=20, hidden=3), "tiny"),
]


def test_case_names_are_unique_and_include_the_foundation() -> None:
    names = [c.name for c in all_cases()]
    assert len(names) == len(set(names))
    assert {c.name for c in TINY} <= set(names)
    assert all(c.summary for c in all_cases())


@pytest.mark.parametrize("case", TINY, ids=lambda c: c.name)
def test_each_case_reports_value_baseline_and_ratio(case: Case) -> None:
    result = case.run()
    assert isinstance(result, Result) and result.name == case.name
    assert set(result.to_dict()) == FIELDS
    assert result.value > 0 and result.baseline is not None and result.baseline > 0
    assert result.ratio is not None and math.isclose(result.ratio, result.value / result.baseline)
    assert result.target and result.detail and isinstance(result.met, bool)


def test_exhaustive_case_names_every_holding_net() -> None:
    result = TINY[1].run()
    for name in ("all-ones", "all-ones-from-zero", "equality", "carry", "adder"):
        assert f"{name} L=" in result.detail
    assert "equality-as-written" not in result.detail  # it fails at length 1: no rate to measure


def test_cli_json(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(bench_cli, "all_cases", lambda: TINY)
    assert main(["bench", "--only", "verifier_proof_256_state_dfa_s", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)  # progress goes to stderr, never into the JSON
    assert [b["name"] for b in out["benchmarks"]] == ["verifier_proof_256_state_dfa_s"]
    assert set(out["benchmarks"][0]) == FIELDS
    assert {"cpu", "cores", "torch"} <= set(out["machine"])


def test_cli_table(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(bench_cli, "all_cases", lambda: TINY)
    assert main(["bench", "--only", "recurrence_tanh_vs_nn_rnn", "--only", "verifier_proof_256_state_dfa_s"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("machine: ")
    header = out.splitlines()[1].split()
    assert header == ["name", "value", "unit", "baseline", "ratio", "target", "met"]
    assert "recurrence_tanh_vs_nn_rnn" in out and "verifier_proof_256_state_dfa_s" in out
    assert "verifier_exhaustive_seq_steps_per_s" not in out


def test_cli_unknown_name_lists_the_valid_ones(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "--only", "nope"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and "'nope'" in lines[0]
    assert all(c.name in lines[0] for c in all_cases())


def test_streamed_case_measures_both_runs_of_the_generated_file() -> None:
    result = TINY[-1].run()
    assert "a 0.00063 MB file (30 inputs of 20 random bits)" in result.detail
    assert "streamed (rnnlab run --inputs): first line" in result.detail and "the file as one chunk" in result.detail
    assert 50 < result.value < 10_000 and result.unit == "MB"  # a Python process with torch loaded
