"""The local backend: a real tiny sweep killed with SIGKILL and resumed, results against in-process training,
raising trials recorded, a dying worker survived, and the summary against a recount of the trial files."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import torch

from rnnlab.cli.main import main
from rnnlab.dynamics.training import TrainConfig
from rnnlab.sweep import load_config, load_sweep, parse_config, run_sweep, summarize, train_trial
from rnnlab.sweep.trial import train_trials

TINY = Path(__file__).parents[2] / "examples" / "sweeps" / "tiny.toml"


def trial_files(out: Path) -> dict[str, Path]:
    return {p.stem: p for p in (out / "trials").glob("*.json")}


@pytest.fixture(scope="module")
def resumed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Run the tiny sweep in a subprocess, SIGKILL it (workers too) once a trial file exists, then re-run it."""
    out = tmp_path_factory.mktemp("resume") / "sweep"
    cmd = [sys.executable, "-m", "rnnlab", "sweep", str(TINY), "--out", str(out), "--workers", "2", "--json"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + 120
    while not trial_files(out) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)  # the whole sweep at once: the CLI and its pool, as in a crash
    proc.communicate()
    before = {k: (p.stat().st_mtime_ns, p.read_bytes()) for k, p in trial_files(out).items()}
    argv = ["sweep", str(TINY), "--out", str(out), "--workers", "2", "--json"]
    return {"out": out, "before": before, "killed_rc": proc.returncode, "argv": argv, **_run(argv)}


def _run(argv: list[str]) -> dict[str, Any]:
    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        rc = main(argv)
    return {"rc": rc, "json": json.loads(buf.getvalue())}


def test_sigkilled_sweep_resumes_with_nothing_lost_or_repeated(resumed: dict[str, Any]) -> None:
    out, before, report = resumed["out"], resumed["before"], resumed["json"]
    assert resumed["killed_rc"] == -signal.SIGKILL
    expected = {t.id for t in load_config(TINY).trials()}
    assert 1 <= len(before) < len(expected)  # killed mid-sweep: some trials finished, some not
    assert resumed["rc"] == 0
    assert report["total"] == len(expected) and report["errors"] == 0
    assert report["skipped"] == len(before) and report["ran"] == len(expected) - len(before)  # each run once
    files = trial_files(out)
    assert set(files) == expected  # nothing lost, nothing extra
    for key, (mtime, data) in before.items():  # finished trials were not run again
        assert files[key].stat().st_mtime_ns == mtime and files[key].read_bytes() == data
    records = [json.loads(p.read_text()) for p in files.values()]
    assert all(r["status"] == "ok" and r["id"] == k for k, r in zip(files, records, strict=True))
    # a third run finds everything finished and runs nothing
    again = _run(resumed["argv"])["json"]
    assert (again["skipped"], again["ran"]) == (len(expected), 0)


def test_results_equal_training_in_this_process(resumed: dict[str, Any]) -> None:
    """Bit for bit: the stored numbers are what batched training gives for the same config, run here (one thread)
    whatever unit it shared in the sweep; and a solo train() run agrees to rounding, with the same decisions."""
    sweep = load_sweep(resumed["out"])
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        for t in (sweep.trials[0], sweep.trials[-1]):  # sigmoid T=5 seed 0, skip T=15 seed 2
            stored = sweep.records[t.id].result
            assert stored == json.loads(json.dumps(train_trials([t.config])[0]))
            solo = train_trial(t.config)
            assert (stored["solved"], stored["steps_run"]) == (solo["solved"], solo["steps_run"])
            assert stored["losses"] == pytest.approx(solo["losses"], rel=1e-4)
    finally:
        torch.set_num_threads(threads)


def test_summary_matches_a_recount_of_the_files(resumed: dict[str, Any]) -> None:
    out = resumed["out"]
    raw = [json.loads(p.read_text()) for p in trial_files(out).values()]
    summary = summarize(load_sweep(out))
    assert summary.keys == ["cell", "T"] and summary.missing == 0
    assert [r.point for r in summary.rows] == [{"cell": c, "T": T} for c in ("sigmoid", "skip") for T in (5, 15)]
    for row in summary.rows:
        mine = [r["result"] for r in raw if r["params"]["cell"] == row.point["cell"] and r["params"]["T"] ==
                row.point["T"]]
        assert row.seeds == row.finished == len(mine) == 3
        assert row.solved == sum(m["test_error"] < 0.01 for m in mine)  # Pascanu: under 1% errors
        assert row.success_rate == row.solved / 3
        assert row.test_error_mean == pytest.approx(sum(m["test_error"] for m in mine) / 3)
    assert any(r.success_rate == 1 for r in summary.rows) and any(r.success_rate == 0 for r in summary.rows)
    rows, cols, rates = summary.pivot("cell", "T")
    assert rows == ["sigmoid", "skip"] and cols == [5, 15]
    assert rates[1][0] == summary.rows[2].success_rate


def test_table_output(resumed: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sweep", str(TINY), "--out", str(resumed["out"])]) == 0
    out = capsys.readouterr()
    assert "sigmoid" in out.out and "skip" in out.out and "12 trials: 12 already finished, 0 run now" in out.out
    assert out.err == ""  # no progress bar when stderr is not a terminal


GRID = {"steps": 1, "test_sequences": 1, "grid": {"seed": [0, 1, 2, 3]}}


def fails_on_seed_1(config: TrainConfig) -> dict[str, Any]:
    if config.seed == 1:
        raise ValueError(f"seed {config.seed} is cursed")
    return {"solved": config.seed % 2 == 0, "test_error": config.seed / 10}


def test_raising_trial_is_recorded_and_counted(tmp_path: Path) -> None:
    config = parse_config(GRID)
    run = run_sweep(config, tmp_path, workers=2, trial_fn=fails_on_seed_1)
    assert (run.ran, run.errors) == (4, 1)
    sweep = load_sweep(tmp_path)
    assert sweep.complete and [r.params["seed"] for r in sweep.failed] == [1]
    stored = json.loads((tmp_path / "trials" / f"{sweep.failed[0].id}.json").read_text())
    assert stored["status"] == "error" and stored["result"] is None
    assert stored["error"] == {"type": "ValueError", "message": "seed 1 is cursed"}
    row = summarize(sweep).rows[0]
    assert (row.seeds, row.finished, row.errors, row.solved) == (4, 3, 1, 2)
    # a re-run counts the error as finished; retry_errors runs exactly that trial again
    assert run_sweep(config, tmp_path, trial_fn=fails_on_seed_1).ran == 0
    again = run_sweep(config, tmp_path, workers=1, trial_fn=fails_on_seed_1, retry_errors=True)
    assert (again.skipped, again.ran, again.errors) == (3, 1, 1)


def dies_once(config: TrainConfig, marker: Path) -> dict[str, Any]:
    """Kill this worker process the first time seed 2 runs (the marker file remembers)."""
    if config.seed == 2 and not marker.exists():
        marker.write_text(str(os.getpid()))
        os.kill(os.getpid(), signal.SIGKILL)
    return {"solved": True, "test_error": 0.0, "pid": os.getpid()}


def test_dead_worker_is_replaced_and_its_trial_rerun(tmp_path: Path) -> None:
    marker = tmp_path / "killed"
    run = run_sweep(parse_config(GRID), tmp_path / "out", workers=2, trial_fn=partial(dies_once, marker=marker))
    assert marker.exists()  # the worker did die
    assert (run.ran, run.errors) == (4, 0) and len(trial_files(tmp_path / "out")) == 4
    rerun = [r for r in run.records.values() if r.params["seed"] == 2][0]
    assert rerun.result is not None and rerun.result["pid"] != int(marker.read_text())
