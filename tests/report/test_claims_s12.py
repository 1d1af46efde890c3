"""S12.pascanu-table: the judge reads the labelled cells, and flips when the training behind them is sabotaged."""

from pathlib import Path
from typing import Any

import pytest

from rnnlab.experiments import pascanu2013 as p13
from rnnlab.report import reproduce_parts as s12
from rnnlab.report.claims import FAILS, HOLDS, INCONCLUSIVE

# A length the protocol solves within a few hundred updates, so that the honest run reproduces every statement.
SOLVABLE = p13.Budget("tiny", (5,), 600, 10, "tests", (8,))


def _evidence(tmp_path: Path) -> dict[str, Any]:
    return s12.measure(p13.reproduce(SOLVABLE, tmp_path, workers=1, inits=("tanh_smart",)))


def test_judge_holds_on_the_honest_run_and_flips_when_training_is_sabotaged(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    honest = _evidence(tmp_path / "honest")
    assert [c["status"] for c in honest["cells"]] == ["reproduced"] * 3
    assert s12.judge(honest) == HOLDS
    monkeypatch.setattr(p13, "LR", 1e-7)  # the weights barely move: no run can solve the task
    sabotaged = _evidence(tmp_path / "sabotaged")
    assert all(c["successes"] == 0 for c in sabotaged["cells"])
    assert s12.judge(sabotaged) == FAILS


def test_judge_on_fabricated_labels() -> None:
    def ev(*statuses: str) -> dict[str, Any]:
        return {"cells": [{"status": s} for s in statuses]}

    assert s12.judge(ev("reproduced", "reproduced", "not run at this budget")) == HOLDS
    assert s12.judge(ev("reproduced", "not reproduced")) == FAILS
    assert s12.judge(ev("not run at this budget")) == INCONCLUSIVE


def test_expected_verdict_follows_the_budget() -> None:
    assert s12.spec(10_000).expected == FAILS and "5,000,000" in (s12.spec(10_000).expected_because or "")
    assert s12.spec(p13.PAPER_UPDATES).expected == HOLDS


def test_part_reads_the_latest_finished_run_and_names_its_budget(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RNNLAB_CACHE_DIR", str(tmp_path))
    monkeypatch.setitem(p13.BUDGETS, "quick", p13.Budget("quick", (5,), 20, 10, "tests", (8,)))
    assert s12.finished_runs() == [] and s12._config("quick")["run"] is None
    part = s12.s12("quick")  # no run yet: the smart tanh cells of the quick budget, run now
    claim = part.claims[0]
    assert claim.id == "S12.pascanu-table" and "run now" in claim.evidence["from"]
    assert {c["init"] for c in claim.evidence["cells"]} == {"tanh_smart"}
    p13.reproduce(p13.BUDGETS["quick"], p13.default_out("quick"), workers=1)  # a finished quick run
    assert s12.finished_runs() == [p13.default_out("quick")]
    assert s12._config("quick")["run"] == str(p13.default_out("quick"))
    claim = s12.s12("quick").claims[0]
    assert "budget quick" in claim.evidence["from"] and claim.reproduce.startswith("rnnlab reproduce pascanu2013")
    assert len({c["init"] for c in claim.evidence["cells"]}) == 3
