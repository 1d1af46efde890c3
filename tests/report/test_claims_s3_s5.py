"""S3, S4 and S5 claims: each verdict flips when its check is handed a broken subject (a mutation test per claim),
and each claim's reproduce command prints the evidence's numbers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import tomli_w
import torch
import torch.nn.functional as F

from rnnlab.cli.main import main
from rnnlab.dynamics import clipping as clipping_module
from rnnlab.dynamics import training
from rnnlab.dynamics.clipping import Clip
from rnnlab.dynamics.skip import bptt_by_hand
from rnnlab.experiments import clipping, skip
from rnnlab.report import dynamics_parts as dp
from rnnlab.report.claims import FAILS, HOLDS

SMALL_BOUND = {"trials": 10, "adversarial": 10, "T": 20, "hidden": 6, "seed": 0}
TINY_CLIP = clipping.ClippingConfig(T=10, hidden=8, w_norm=5.0, lr=0.1, steps=12, seeds=(0, 1), test_sequences=200)


def _run_json(argv: list[str], capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    rc = main(argv)
    out = capsys.readouterr().out
    assert rc in (0, 1), out
    return json.loads(out)


# --- S3 ---------------------------------------------------------------------------------------------

def _jacobian_with_sigmoid_not_its_derivative(cell: Any, h: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """A wrong closed form: diag(sigmoid(z)) W, the activation where its derivative belongs."""
    z = F.linear(x, cell.U, cell.b) + h @ cell.W.t()
    return torch.sigmoid(z).unsqueeze(-1) * cell.W


def test_s3_jacobian_flips_on_a_wrong_factor() -> None:
    assert dp.S3_JACOBIAN.judge(dp.measure_jacobian(5, 0)) == HOLDS
    assert dp.S3_JACOBIAN.judge(dp.measure_jacobian(5, 0, _jacobian_with_sigmoid_not_its_derivative)) == FAILS
    twice = dp.measure_jacobian(5, 0, lambda c, h, x: 1.25 * dp.step_jacobian(c, h, x))
    assert dp.S3_JACOBIAN.judge(twice) == FAILS


def test_s3_bound_flips_with_gamma_20_percent_too_small() -> None:
    good = dp.measure_bound(SMALL_BOUND)
    assert dp.S3_BOUND.judge(good) == HOLDS
    assert good["sigmoid"]["adversarial_max_ratio"] > 0.99  # the adversarial cells reach the bound
    wrong = dp.measure_bound(SMALL_BOUND, gamma_factor=0.8)
    assert dp.S3_BOUND.judge(wrong) == FAILS
    assert wrong["sigmoid"]["violations"] > 0 and wrong["tanh"]["violations"] > 0


def test_s3_vanishing_flips_on_a_cell_whose_gradient_does_not_vanish() -> None:
    good = dp.measure_vanishing("sigmoid", 40, [0, 1], [0.0, 6.0])
    assert dp.S3_VANISHING.judge(good) == HOLDS
    assert any(c["bound_factor_per_step"] > 1 for c in good["cases"])  # a case the bound does not force
    exploding = dp.measure_vanishing("tanh", 40, [0, 1], [3.0])  # tanh with ||W||_2 = 3 near 0: grows
    assert dp.S3_VANISHING.judge(exploding) == FAILS


# --- S4 ---------------------------------------------------------------------------------------------

def test_s4_two_paths_flips_without_m_or_with_a_bptt_that_drops_it() -> None:
    assert dp.S4_TWO_PATHS.judge(dp.measure_two_paths()) == HOLDS
    assert dp.S4_TWO_PATHS.judge(dp.measure_two_paths(m_scale=0.0)) == FAILS  # M = 0 carries nothing

    def w_path_only(cell: Any, x: torch.Tensor, h: torch.Tensor, direct: torch.Tensor) -> torch.Tensor:
        return bptt_by_hand(cell, x, h, direct, lags=(1,))

    assert dp.S4_TWO_PATHS.judge(dp.measure_two_paths(bptt=w_path_only)) == FAILS


def test_s4_slower_decay_flips_with_m_zero() -> None:
    config = dp._s4_settings("quick")  # the report's decay settings: 10 seeds, H = 32, T = 60
    assert dp.S4_SLOWER.judge(dp.measure_decay(config)) == HOLDS
    assert dp.S4_SLOWER.judge(dp.measure_decay(config, m_scale=0.0)) == FAILS


def _longer(skip_solved: int, plain_solved: int, n: int = 5) -> dict[str, Any]:
    return {"task": "temporal_order", "lengths": [15], "seeds": n, "steps": 200, "test_sequences": 10_000,
            "solved_counts": {"skip": [skip_solved], "sigmoid": [plain_solved]}}


def test_s4_longer_range_judge() -> None:
    assert dp.S4_LONGER.judge(_longer(5, 0)) == HOLDS
    # a skip cell that learns like the plain one (what M = 0 makes of it): equal counts decide nothing
    assert dp.S4_LONGER.judge(_longer(2, 2)) != HOLDS
    assert dp.S4_LONGER.judge(_longer(0, 5)) == FAILS  # the opposite direction, significant


@pytest.mark.slow
def test_s4_longer_range_flips_when_the_skip_cell_is_the_plain_one() -> None:
    config = dp._s4_settings("quick")
    result = skip.run(config)
    assert dp.S4_LONGER.judge(dp.measure_longer_range(result)) == dp.S4_LONGER.expected
    # The broken subject: the "skip" cell's runs are the plain cell's (no M): measured, not made up.
    broken = dp.measure_longer_range(result)
    broken["solved_counts"]["skip"] = broken["solved_counts"]["sigmoid"]
    assert dp.S4_LONGER.judge(broken) != dp.S4_LONGER.expected


# --- S5 ---------------------------------------------------------------------------------------------

def test_s5_direction_flips_when_clipping_never_fires() -> None:
    good = dp.measure_clipping(clipping.run(TINY_CLIP))
    assert dp.S5_DIRECTION.judge(good) == HOLDS
    never = dp.measure_clipping(clipping.run(TINY_CLIP.__class__(
        **{**TINY_CLIP.__dict__, "clips": ("none", "value:1e9", "norm:1e9")})))
    assert dp.S5_DIRECTION.judge(never) == FAILS
    # an unclipped run scores a cosine of 1 up to rounding: it must not count as "value clipping turned it"
    assert never["summary"]["value:1e9"]["fired_steps"] == never["summary"]["norm:1e9"]["fired_steps"] == 0


def test_s5_direction_flips_when_norm_clipping_clips_per_component(monkeypatch: pytest.MonkeyPatch) -> None:
    real = clipping_module.clip_gradients

    def per_component(params: Any, clip: Clip) -> Any:
        # a clamp per component at c / 10, so that it fires whatever the CPU's rounding makes of the gradients
        return real(params, Clip("value", clip.c / 10) if clip.kind == "norm" else clip)

    monkeypatch.setattr(training, "clip_gradients", per_component)
    broken = dp.measure_clipping(clipping.run(TINY_CLIP))
    assert broken["summary"]["norm:1"]["fired_steps"] > 0
    assert dp.S5_DIRECTION.judge(broken) == FAILS


def _stab(none: int, value: int, norm: int, n: int = 10) -> dict[str, Any]:
    return {"summary": {"none": {"diverged": none, "runs": n}, "value:0.1": {"diverged": value, "runs": n},
                        "norm:1": {"diverged": norm, "runs": n}}}


def test_s5_stabilizes_judge() -> None:
    assert dp.S5_STABILIZES.judge(_stab(8, 0, 0)) == HOLDS
    # a clip that never fires: its runs are the unclipped ones; 10 seeds cannot show the difference is < 0.1
    assert dp.S5_STABILIZES.judge(_stab(8, 8, 8)) == "inconclusive"
    assert dp.S5_STABILIZES.judge(_stab(8, 0, 8)) == "inconclusive"  # one clipping that does not help
    assert dp.S5_STABILIZES.judge(_stab(3, 0, 0)) == "inconclusive"  # too few divergences to decide on 10 seeds
    assert dp.S5_STABILIZES.judge(_stab(0, 8, 0)) == FAILS  # clipping that makes runs diverge: opposite, significant
    # with 40 seeds a clip that never fires is shown not to help: the whole interval lies below the margin
    assert dp.S5_STABILIZES.judge(_stab(40, 40, 40, n=40)) == FAILS


@pytest.mark.slow
def test_s5_stabilizes_flips_when_clipping_never_fires() -> None:
    config = dp._s5_settings("quick")
    assert dp.S5_STABILIZES.judge(dp.measure_clipping(clipping.run(config))) == HOLDS
    never = config.__class__(**{**config.__dict__, "clips": ("none", "value:1e9", "norm:1e9")})
    assert dp.S5_STABILIZES.judge(dp.measure_clipping(clipping.run(never))) != HOLDS


# --- reproduce commands print the evidence --------------------------------------------------------

def test_s3_commands_print_the_evidence(capsys: pytest.CaptureFixture[str]) -> None:
    assert _run_json(["jacobian", "--cells", "5", "--seed", "0", "--json"], capsys) == dp.measure_jacobian(5, 0)
    out = _run_json(["bound", "--trials", "10", "--adversarial", "10", "--T", "20", "--hidden", "6", "--seed", "0",
                     "--json"], capsys)
    ev = dp.measure_bound(SMALL_BOUND)
    assert {k: out[k] for k in ev["sigmoid"]} == ev["sigmoid"]
    assert {k: out["tanh"][k] for k in ev["tanh"]} == ev["tanh"]
    out = _run_json(["gradients", "--cell", "sigmoid", "--T", "40", "--seed", "1", "--w-norm", "6", "--json"], capsys)
    case = dp.measure_vanishing("sigmoid", 40, [1], [6.0])["cases"][0]
    assert (out["decay_per_step"], out["decay_r2"], out["w_norm"]) == (case["decay_per_step"], case["r2"],
                                                                         case["w_norm"])


def test_s4_commands_print_the_evidence(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = [str(x) for kv in dp.TWO_PATHS.items() for x in (f"--{kv[0]}", kv[1])]
    assert _run_json(["skip-paths", *args, "--json"], capsys) == dp.measure_two_paths()
    config = skip.SkipConfig(cells=("sigmoid", "skip"), lengths=(6,), seeds=(0,), steps=3, test_sequences=100,
                             decay_T=12, decay_seeds=(0, 1), hidden=8)
    path = tmp_path / "S4.toml"
    path.write_text(tomli_w.dumps(dp.asdict(config)))
    out = _run_json(["experiment", "skip", "--config", str(path), "--json"], capsys)
    ev = dp.measure_decay(config)
    for regime, key in (("init", "decay"), ("large", "decay_large")):
        assert {k: out[key][k] for k in ev[regime] if k in out[key]} == {k: v for k, v in ev[regime].items()
                                                                          if k in out[key]}
        assert out[key]["skip_rates"] == ev[regime]["skip_rates"]
    assert out["solved_counts"] == skip.run(config).solved_counts()


def test_s5_command_prints_the_evidence(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "S5.toml"
    path.write_text(tomli_w.dumps(dp.asdict(TINY_CLIP)))
    out = _run_json(["experiment", "clipping", "--config", str(path), "--json"], capsys)
    ev = dp.measure_clipping(clipping.run(TINY_CLIP))
    assert out["summary"] == json.loads(json.dumps(ev["summary"]))
    assert out["constant_predictor"]["test_error"] == ev["constant_predictor_test_error"]


def test_experiment_config_refuses_unknown_keys(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('seeds = [0]\nsteps = 3\nclip = "norm:1"\n')
    assert main(["experiment", "clipping", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unknown key(s) clip" in err and "valid keys: task, cell, T" in err
