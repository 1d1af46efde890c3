"""Sweeps train the seeds of a grid point as one batched unit: the plan of units, per-seed records equal to the
ungrouped run, a resume that computes only the missing seeds, and the Ray backend's path (Ray stubbed out)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import rnnlab.sweep.ray_backend as ray_backend
from rnnlab.dynamics.batched import check_batchable
from rnnlab.sweep import SweepRun, load_sweep, parse_config, run_sweep
from rnnlab.sweep.config import Trial
from rnnlab.sweep.runner import plan_units
from rnnlab.sweep.trial import execute_unit

# float64, so that the grouped run can be held to the solo runs to 1e-9
GRID = {"task": "temporal_order", "T": 6, "hidden": 4, "batch": 4, "steps": 25, "lr": 0.03, "check_every": 10,
        "test_sequences": 100, "dtype": "float64", "grid": {"cell": ["tanh", "skip"], "seed": [0, 1, 2, 3]}}


def _results(run: SweepRun) -> dict[str, dict[str, Any]]:
    return {k: r.result for k, r in run.records.items() if r.result is not None}


def _files(out: Path) -> dict[str, bytes]:
    return {p.stem: p.read_bytes() for p in (out / "trials").glob("*.json")}


def test_plan_groups_only_seeds_of_one_shape() -> None:
    fixed = {k: v for k, v in GRID.items() if k != "T"}
    config = parse_config({**fixed, "grid": {"cell": ["tanh", "skip"], "T": [6, 8], "seed": list(range(10))}})
    trials = config.trials()
    units = plan_units(trials, workers=1, grouped=True)
    assert len(units) == 4 and sorted(len(u) for u in units) == [10] * 4  # one unit per (cell, T)
    for unit in units:
        check_batchable([t.config for t in unit])  # differ only in the seed
    assert sorted(t.id for u in units for t in u) == sorted(t.id for t in trials)  # each trial exactly once
    assert [len(u) for u in plan_units(trials, workers=1, grouped=True, most=4)] == [4, 4, 2] * 4
    assert [len(u) for u in plan_units(trials, workers=8, grouped=True)] == [5, 5] * 4  # two per shape: 8 workers
    assert plan_units(trials, workers=1, grouped=False) == [[t] for t in trials]


def test_a_plan_that_mixed_shapes_would_be_rejected() -> None:
    trials = parse_config(GRID).trials()
    with pytest.raises(ValueError, match="only in their seed"):
        check_batchable([trials[0].config, trials[-1].config])  # tanh and skip


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    base = tmp_path_factory.mktemp("grouping")
    config = parse_config(GRID)
    grouped = run_sweep(config, base / "grouped", workers=1)
    alone = run_sweep(config, base / "alone", workers=1, batch=False)
    return {"base": base, "config": config, "grouped": grouped, "alone": alone}


def test_grouped_sweep_runs_one_unit_per_grid_point(runs: dict[str, Any]) -> None:
    grouped, alone = runs["grouped"], runs["alone"]
    assert (grouped.units, grouped.ran, grouped.errors) == (2, 8, 0)  # tanh x 4 seeds, skip x 4 seeds
    assert (alone.units, alone.ran) == (8, 8)
    stored = [json.loads(p.read_text()) for p in (runs["base"] / "grouped" / "trials").glob("*.json")]
    assert len(stored) == 8 and {r["unit"] for r in stored} == {4}  # one record per seed, each from a unit of 4


def test_grouped_results_equal_the_ungrouped_sweep(runs: dict[str, Any]) -> None:
    got, want = _results(runs["grouped"]), _results(runs["alone"])
    assert set(got) == set(want) and len(got) == 8
    for key, g in got.items():
        w = want[key]
        assert (g["solved"], g["steps_run"], g["nonfinite_skipped"], g["clip"]["fired"]) == \
            (w["solved"], w["steps_run"], w["nonfinite_skipped"], w["clip"]["fired"])
        assert g["losses"] == pytest.approx(w["losses"], rel=1e-9)
        assert g["test_error"] == w["test_error"]
    assert len({json.dumps(g["losses"]) for g in got.values()}) == 8  # every seed its own run


def test_resume_computes_only_the_missing_seeds(runs: dict[str, Any], tmp_path: Path) -> None:
    """Seeds 0 and 1 of both cells first; then the full grid runs seeds 2 and 3 only, in one unit per cell, leaves
    the first files untouched, and stores the same numbers, bit for bit, as the sweep that ran all at once."""
    out = tmp_path / "resumed"
    first = run_sweep(parse_config({**GRID, "grid": {"cell": ["tanh", "skip"], "seed": [0, 1]}}), out, workers=1)
    assert (first.ran, first.units) == (4, 2)
    before = _files(out)
    second = run_sweep(runs["config"], out, workers=1)
    assert (second.skipped, second.ran, second.units) == (4, 4, 2)
    after = _files(out)
    assert {k: after[k] for k in before} == before
    assert {r.params["seed"] for k, r in second.records.items() if k not in before} == {2, 3}
    assert _results(second) == _results(runs["grouped"])
    assert run_sweep(runs["config"], out, workers=1).units == 0  # nothing left


def test_ray_backend_runs_the_same_units(runs: dict[str, Any], tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Ray stubbed out: run_sweep hands run_ray the grouped units, and their records are stored per seed."""
    seen: list[list[str]] = []

    def fake_run_ray(trial_fn: Any, group_fn: Any, units: list[list[Trial]], address: str | None,
                     workers: int) -> Any:
        for unit in units:
            seen.append([t.id for t in unit])
            yield from zip(unit, execute_unit(trial_fn, group_fn, [t.id for t in unit], [t.config for t in unit]),
                           strict=True)

    monkeypatch.setattr(ray_backend, "import_ray", lambda: None)
    monkeypatch.setattr(ray_backend, "run_ray", fake_run_ray)
    run = run_sweep(runs["config"], tmp_path / "ray", "ray", workers=1)
    assert (run.units, run.ran) == (2, 8) and sorted(map(len, seen)) == [4, 4]
    assert _results(run) == _results(runs["grouped"])
    assert {json.loads(b)["backend"] for b in _files(tmp_path / "ray").values()} == {"ray"}
    assert load_sweep(tmp_path / "ray").complete
