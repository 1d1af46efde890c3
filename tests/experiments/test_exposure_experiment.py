"""The exposure-bias experiment at a tiny size: every strategy trains, is scored, and is compared."""

import pytest

from rnnlab.experiments.exposure import ExposureConfig, run_exposure, text_config
from rnnlab.generation.schedules import STRATEGIES


def test_oracle_experiment_tiny() -> None:
    config = ExposureConfig(seeds=(0, 1), steps=8, batch=8, seq_len=8, hidden=8, train_sequences=64, eval_samples=32)
    result = run_exposure(config)
    assert len(result.runs) == len(STRATEGIES) * 2
    table = result.table()
    assert set(table) == set(STRATEGIES) and set(table["teacher"]) >= {"kl_true", "kl_own", "excess_nll_own"}
    assert all(r.metrics["kl_own"] >= 0 for r in result.runs)
    comps = {c.strategy: c for c in result.comparisons()}
    assert comps["teacher"].verdict == "reference" and comps["teacher"].delta_vs_teacher == 0.0
    for c in comps.values():
        vals = [r.metrics["kl_own"] for r in result.runs if r.strategy == c.strategy]
        assert c.mean == pytest.approx(sum(vals) / 2)
    assert result.eps["teacher"] == [1.0] * 8 and result.eps["free"] == [0.0] * 8
    assert result.eps["scheduled:linear"][0] == 1.0 > result.eps["scheduled:linear"][-1]
    assert set(result.figures) == {"schedules", "by_position"}


def test_text_experiment_tiny() -> None:
    result = run_exposure(text_config(seeds=(0,), strategies=("teacher", "scheduled:inverse-sigmoid"), steps=4,
                                      batch=4, seq_len=16, hidden=8, eval_windows=8, length=8))
    assert result.primary == "val_nll" and len(result.runs) == 2
    assert len(result.runs[0].curves.tf_nll) == 8  # type: ignore[union-attr]


def test_bad_experiment_configs() -> None:
    with pytest.raises(ValueError, match="unknown source"):
        ExposureConfig(source="wikipedia")
    with pytest.raises(ValueError, match="unknown strategy"):
        ExposureConfig(strategies=("teacher", "beam"))
    with pytest.raises(ValueError, match="seed"):
        ExposureConfig(seeds=())
