"""Sweep files: the grid's trials against a brute-force product, stable ids, and every bad input as one line/exit 2."""

from __future__ import annotations

import itertools
import math
from dataclasses import replace
from pathlib import Path

import pytest

from rnnlab.cli.main import main
from rnnlab.dynamics.clipping import Clip
from rnnlab.dynamics.training import TrainConfig
from rnnlab.sweep import load_config, parse_config, trial_id
from rnnlab.sweep.config import train_fields
from rnnlab.sweep.summary import Z95, wilson

EXAMPLES = Path(__file__).parents[2] / "examples" / "sweeps"


def write(tmp_path: Path, text: str) -> str:
    p = tmp_path / "sweep.toml"
    p.write_text(text)
    return str(p)


def test_trials_are_the_product_of_the_grid() -> None:
    config = parse_config({"task": "adding", "steps": 5, "lr": 1, "clip": "norm:0.5",
                           "grid": {"cell": ["tanh", "gru"], "T": [4, 8, 16], "seed": [0, 1]}})
    trials = config.trials()
    expected = [TrainConfig(task="adding", steps=5, lr=1.0, clip=Clip("norm", 0.5), cell=c, T=T, seed=s)
                for c in ("tanh", "gru") for T in (4, 8, 16) for s in (0, 1)]
    assert [t.config for t in trials] == expected
    assert [t.params for t in trials] == [{"cell": c.cell, "T": c.T, "seed": c.seed} for c in expected]
    assert isinstance(trials[0].config.lr, float)
    assert len({t.id for t in trials}) == len(trials)


def test_trial_ids_are_stable_and_depend_on_every_field() -> None:
    base = TrainConfig(cell="skip", T=12, seed=3)
    assert trial_id(base) == trial_id(TrainConfig(cell="skip", T=12, seed=3))
    changed = {"task": "adding", "cell": "gru", "T": 13, "hidden": 31, "delay": 3, "steps": 999, "batch": 31,
               "lr": 0.011, "optimizer": "sgd", "clip": Clip("value", 1.0), "w_norm": 2.0, "seed": 4,
               "check_every": 49, "test_sequences": 9999}
    assert set(changed) <= set(train_fields())
    ids = {trial_id(replace(base, **{k: v})) for k, v in changed.items()}
    assert len(ids) == len(changed) and trial_id(base) not in ids


def test_same_trial_same_id_in_any_grid_and_after_a_round_trip() -> None:
    small = parse_config({"steps": 3, "clip": "value:0.1", "grid": {"T": [10], "seed": [1, 2]}})
    big = parse_config({"clip": "value:0.1", "grid": {"seed": [2, 1, 0], "steps": [3, 4], "T": [20, 10]}})
    assert {t.id for t in small.trials()} < {t.id for t in big.trials()}
    again = parse_config(big.to_dict())
    assert [t.id for t in again.trials()] == [t.id for t in big.trials()]


def test_example_configs_load() -> None:
    tiny = load_config(EXAMPLES / "tiny.toml")
    assert len(tiny.trials()) == math.prod(len(v) for v in tiny.grid.values()) == 12
    full = load_config(EXAMPLES / "skip-success.toml")
    assert (len(full.grid["seed"]), len(full.grid["T"]), len(full.grid["cell"])) == (10, 8, 4)
    assert len(full.trials()) == 320 and full.fixed["test_sequences"] == 10_000


@pytest.mark.parametrize("k,n", [(0, 3), (3, 3), (1, 10), (5, 10), (7, 20)])
def test_wilson_interval_solves_the_score_equation(k: int, n: int) -> None:
    lo, hi = wilson(k, n)
    # Wilson's interval: the p with (k/n - p)^2 = z^2 p (1 - p) / n (its ends are the roots)
    for p in (lo, hi):
        if 0 < p < 1:
            assert (k / n - p) ** 2 == pytest.approx(Z95**2 * p * (1 - p) / n, rel=1e-9)
    assert lo <= k / n <= hi
    if k == 0:
        assert lo == 0 and hi == pytest.approx(Z95**2 / (n + Z95**2))
    if k == n:
        assert hi == 1 and lo == pytest.approx(n / (n + Z95**2))


BAD = {
    "unknown key": ('cel = "skip"\n[grid]\nseed = [0]\n', ["unknown key 'cel'", "valid:", "cell", "[grid]"]),
    "unknown grid key": ('[grid]\nsead = [0]\n', ["'sead'", "valid:", "seed"]),
    "wrong type": ('T = "ten"\n[grid]\nseed = [0]\n', ["'T'", "must be an integer", "'ten'"]),
    "wrong type in list": ('[grid]\nT = [10, "x"]\n', ["'T'", "must be an integer", "'x'"]),
    "bool for int": ('hidden = true\n[grid]\nseed = [0]\n', ["'hidden'", "must be an integer"]),
    "number expected": ('lr = "fast"\n[grid]\nseed = [0]\n', ["'lr'", "must be a number"]),
    "grid not a list": ('[grid]\ncell = "skip"\n', ["'cell'", "must be a list"]),
    "grid not a table": ('grid = 3\n', ["[grid]", "table"]),
    "empty grid": ('task = "adding"\n[grid]\n', ["[grid] is empty"]),
    "no grid": ('task = "adding"\n', ["no [grid] table"]),
    "empty list": ('[grid]\nseed = []\n', ["'seed'", "empty list"]),
    "repeated value": ('[grid]\nseed = [0, 1, 0]\n', ["'seed'", "twice"]),
    "fixed and grid": ('seed = 1\n[grid]\nseed = [0]\n', ["'seed'", "also fixed"]),
    "bad cell": ('[grid]\ncell = ["elman"]\n', ["unknown cell 'elman'", "valid:"]),
    "bad clip": ('clip = "norm"\n[grid]\nseed = [0]\n', ["clipping", "norm:C"]),
    "T too short": ('[grid]\nT = [2, 10]\n', ["T=2", "T must be >= 4"]),
    "malformed": ('[grid\nseed = [0]\n', ["malformed TOML"]),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_config_is_one_line_exit_2(case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text, fragments = BAD[case]
    rc = main(["sweep", write(tmp_path, text), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert rc == 2
    assert err.count("\n") == 1 and err.startswith("rnnlab: error:") and "Traceback" not in err
    for fragment in fragments:
        assert fragment in err
    assert not (tmp_path / "out").exists()  # nothing written for a bad config


def test_missing_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sweep", str(tmp_path / "nope.toml")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "nope.toml" in err and "not found" in err


@pytest.mark.parametrize("argv,fragment", [
    (["--address", "127.0.0.1:1"], "--backend ray"),
    (["--workers", "0"], "--workers"),
    (["--backend", "dask"], "--backend"),
])
def test_bad_flags(argv: list[str], fragment: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sweep", str(EXAMPLES / "tiny.toml"), "--out", str(tmp_path / "o"), *argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and fragment in err


def test_unwritable_out(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    assert main(["sweep", str(EXAMPLES / "tiny.toml"), "--out", str(blocker / "sweep")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot write the sweep directory" in err and str(blocker) in err


def test_ray_backend_without_ray(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setitem(__import__("sys").modules, "ray", None)  # `import ray` now raises ImportError
    assert main(["sweep", str(EXAMPLES / "tiny.toml"), "--out", str(tmp_path / "o"), "--backend", "ray"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "pip install 'rnnlab[ray]'" in err


def test_grid_product_is_exhaustive() -> None:
    grid = {"cell": ["sigmoid", "skip", "tanh"], "T": [4, 5], "hidden": [2, 3], "seed": [7, 8, 9]}
    got = {tuple(t.params.values()) for t in parse_config({"grid": grid}).trials()}
    assert got == set(itertools.product(*grid.values()))
