"""`rnnlab reproduce pascanu2013`: the JSON contract end to end on a tiny budget, resume, the paper budget's
refusal without Ray (its cost estimate printed), and bad input as one line with exit 2."""

import json
from pathlib import Path

import pytest

from rnnlab.cli import reproduce as cli_reproduce
from rnnlab.cli.main import main
from rnnlab.experiments import pascanu2013 as p13

TINY = p13.Budget("quick", (5,), 40, 10, "tests", (8,))


@pytest.fixture
def tiny_budgets(monkeypatch: pytest.MonkeyPatch) -> None:
    """The quick budget shrunk to one short length and a few updates, and a paper budget that costs nothing to
    measure (the CLI reads the budget table at run time)."""
    monkeypatch.setitem(p13.BUDGETS, "quick", TINY)
    monkeypatch.setitem(p13.BUDGETS, "paper", p13.Budget("paper", (5,), p13.PAPER_UPDATES, 10, "tests", (8,)))
    monkeypatch.setattr(p13, "estimate_cost", lambda b: p13.CostEstimate({("MSGD", 5): 2.0}, 9, b.updates, 9e4))


def test_json_end_to_end_and_resume(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                    tiny_budgets: None) -> None:
    argv = ["reproduce", "pascanu2013", "--budget", "quick", "--out", str(tmp_path), "--workers", "1", "--json"]
    assert main(argv) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["budget"] == "quick" and d["complete"] and Path(d["figure"]).is_file()
    run = [c for c in d["cells"] if c["status"] != "not run at this budget"]
    assert {(c["init"], c["method"], c["T"]) for c in run} == {(i, m, 5) for i in p13.INITS for m in p13.METHODS}
    for c in d["cells"]:
        assert set(c) >= {"init", "method", "T", "seeds", "successes", "median_updates", "status", "paper",
                          "updates_budget"}
        assert c["status"] in ("reproduced", "not reproduced", "not run at this budget")
    assert sum(d["counts"].values()) == len(d["cells"])
    assert all(c["updates_budget"] == 40 for c in run)
    records = sorted((tmp_path / "trials").glob("*.json"))
    assert len(records) == 45
    stamps = [r.stat().st_mtime_ns for r in records]
    assert main(argv) == 0  # every cell finished: nothing is run again
    again = json.loads(capsys.readouterr().out)
    assert [r.stat().st_mtime_ns for r in records] == stamps and again["cells"] == d["cells"]
    assert p13.latest(tmp_path) is not None  # a finished run of a named budget: what the report reads
    assert main(argv[:-1]) == 0  # the same, as text
    out = capsys.readouterr().out
    assert "not run at this budget" in out and "figure:" in out


def test_paper_budget_without_ray_refuses_with_its_estimate(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                            tiny_budgets: None,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    def no_ray() -> None:
        raise ValueError("the ray backend needs Ray, which is not installed: pip install 'rnnlab[ray]'")

    monkeypatch.setattr(cli_reproduce, "import_ray", no_ray)
    argv = ["reproduce", "pascanu2013", "--budget", "paper", "--backend", "ray", "--out", str(tmp_path)]
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert "per 1,000 updates" in captured.out and "CPU-hours" in captured.out
    assert len(captured.err.splitlines()) == 1 and "Ray" in captured.err
    assert not (tmp_path / "trials").exists()  # nothing ran
    assert main([*argv, "--json"]) == 2
    d = json.loads(capsys.readouterr().out)
    assert d["cost_estimate"]["total_cpu_seconds"] == 9e4 and "Ray" in d["error"]
    assert main(["reproduce", "pascanu2013", "--budget", "paper", "--out", str(tmp_path)]) == 2  # local backend
    assert "--backend ray" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [
    ["reproduce", "hochreiter1997"],
    ["reproduce", "pascanu2013", "--budget", "huge"],
    ["reproduce", "pascanu2013", "--backend", "slurm"],
    ["reproduce", "pascanu2013", "--workers", "0"],
    ["reproduce", "pascanu2013", "--address", "auto"],
])
def test_bad_input_is_one_line_exit_2(argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                      tiny_budgets: None) -> None:
    assert main([*argv, "--out", str(tmp_path / "out")]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and len(captured.err.splitlines()) == 1
