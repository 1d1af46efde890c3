"""Report parts for gradient dynamics: S3 (vanishing-gradient bound), S4 (skip connection), S5 (clipping)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import torch

from rnnlab.core.activations import sigmoid
from rnnlab.core.recurrence import Recurrent
from rnnlab.dynamics.jacobian import BoundConfig, check_bound, plot_tightness, step_jacobian
from rnnlab.dynamics.probe import linear_readout, probe
from rnnlab.dynamics.profile import gradient_profile, plot_profile
from rnnlab.dynamics.skip import bptt_by_autograd, bptt_by_hand
from rnnlab.dynamics.training import seeded
from rnnlab.experiments import clipping, skip
from rnnlab.report.claims import Claim, Part, PartResult, new_figure

# --- S3 ---------------------------------------------------------------------------------------------


def _s3_config(scale: str) -> dict[str, Any]:
    return {"trials": 200 if scale == "quick" else 1000, "T": 50, "hidden": 16, "jacobian_cells": 5,
            "profile_T": 100, "seed": 0}


def s3(scale: str) -> PartResult:
    cfg, out = _s3_config(scale), PartResult()

    # The analytic step Jacobian diag(sigmoid'(W h_t + U x_{t+1} + b)) W against autograd's.
    worst = 0.0
    for seed in range(cfg["jacobian_cells"]):
        with seeded(seed):
            cell = Recurrent(3, 8, sigmoid(), batch_first=True).double()
        gen = torch.Generator().manual_seed(seed)
        h, x = torch.rand(1, 8, generator=gen, dtype=torch.float64), torch.randn(1, 3, generator=gen,
                                                                                 dtype=torch.float64)
        auto = torch.autograd.functional.jacobian(lambda hp, c=cell, xt=x: c.step(xt, hp)[0], h)[:, 0]
        worst = max(worst, (step_jacobian(cell, h, x)[0] - auto).abs().max().item())
    out.claims.append(Claim(
        "S3.jacobian", "S3", "The step Jacobian is dh_{t+1}/dh_t = diag(sigmoid'(W h_t + U x_{t+1})) W",
        worst < 1e-12, {"cells": cfg["jacobian_cells"], "max_abs_diff_vs_autograd": worst},
        "python -m pytest tests/dynamics/test_jacobian.py",
    ))

    reports = [check_bound(BoundConfig(trials=cfg["trials"], T=cfg["T"], hidden=cfg["hidden"], act=act,
                                       seed=cfg["seed"])) for act in ("sigmoid", "tanh")]
    fig, ax = new_figure(6.5, 4)
    plot_tightness(ax, reports)
    out.claims.append(Claim(
        "S3.bound", "S3",
        "Since max sigmoid' = 1/4, ||dL/dh_t|| <= ||dL/dh_T|| (||W||_2 / 4)^(T-t) (gamma = 1 for tanh)",
        all(r.violations == 0 for r in reports), {r.config.act: r.to_dict() for r in reports},
        f"rnnlab bound --trials {cfg['trials']} --T {cfg['T']} --hidden {cfg['hidden']} --seed {cfg['seed']}",
        out.add_figure("s3-bound", fig),
    ))

    profile = gradient_profile("sigmoid", T=cfg["profile_T"], seed=cfg["seed"])
    fig, ax = new_figure(6.5, 4)
    plot_profile(ax, profile)
    out.claims.append(Claim(
        "S3.vanishing", "S3", "In a sigmoid RNN the gradient vanishes exponentially with the distance T - t",
        profile.decay_per_step < 1 and profile.violations == 0,
        {"T": profile.T, "decay_per_step": profile.decay_per_step, "bound_violations": profile.violations,
         "norm_ratio_first_to_last": float(profile.norms[0] / profile.norms[-1])},
        f"rnnlab gradients --cell sigmoid --T {cfg['profile_T']} --seed {cfg['seed']} --plot gradients.png",
        out.add_figure("s3-profile", fig),
    ))
    return out


# --- S4 ---------------------------------------------------------------------------------------------

def _s4_settings(scale: str) -> skip.SkipConfig:
    if scale == "quick":
        return skip.SkipConfig(cells=("sigmoid", "skip"), lengths=(10, 20), seeds=(0, 1, 2))
    return skip.SkipConfig(cells=("sigmoid", "skip", "tanh", "gru"), lengths=(10, 20, 40), seeds=(0, 1, 2, 3, 4))


def _s4_config(scale: str) -> dict[str, Any]:
    return asdict(_s4_settings(scale))


def s4(scale: str) -> PartResult:
    config, out = _s4_settings(scale), PartResult()

    # Both gradient paths written out by hand, against autograd on the unrolled graph and against the probe.
    worst = 0.0
    for seed in range(3):
        with seeded(seed):
            cell = Recurrent(4, 8, sigmoid(), delays=[config.delay], batch_first=True).double()
        gen = torch.Generator().manual_seed(seed)
        x = torch.randn(1, 12, 4, generator=gen, dtype=torch.float64)
        v = torch.randn(8, generator=gen, dtype=torch.float64)
        probed = probe(cell, x, linear_readout(v))
        direct = torch.zeros_like(probed.h)
        direct[:, -1] = v
        by_hand = bptt_by_hand(cell, x, probed.h, direct)[:, 1:]  # (1, T, H) for t = 1..T
        auto = bptt_by_autograd(cell, x, direct)[:, 1:]
        worst = max(worst, (by_hand - auto).abs().max().item(), (probed.grads - auto).abs().max().item())
    out.claims.append(Claim(
        "S4.two-paths", "S4",
        "dL/dh_t = dL/dh_{t+1} diag(s'_{t+1}) W + dL/dh_{t+2} diag(s'_{t+2}) M: both paths carry gradient",
        worst < 1e-10, {"cells": 3, "T": 12, "max_abs_diff_vs_autograd": worst},
        "python -m pytest tests/dynamics/test_skip.py",
    ))

    result = skip.run(config)
    fig, ax = new_figure(6.5, 4)
    skip.plot_decay(ax, result)
    d = result.decay
    out.claims.append(Claim(
        "S4.slower-decay", "S4", "Through M the gradient decays more slowly, though still exponentially",
        d.plain_rate < d.skip_rate < 1,
        {"decay_per_step_without_M": d.plain_rate, "decay_per_step_with_M": d.skip_rate,
         "T": config.decay_T, "seeds": len(config.decay_seeds)},
        "rnnlab experiment skip --out figures/",
        out.add_figure("s4-decay", fig),
    ))
    fig, ax = new_figure(6.5, 4)
    skip.plot_success(ax, result)
    plain, with_m = result.largest_solved["sigmoid"], result.largest_solved["skip"]
    out.claims.append(Claim(
        "S4.longer-range", "S4",
        f"On a long-range task ({config.task}) the skip cell solves longer sequences than the plain sigmoid cell",
        (with_m or 0) > (plain or 0),
        {"lengths": list(config.lengths), "seeds": len(config.seeds), "success_rate": result.success,
         "largest_solved": result.largest_solved, "max_steps": config.steps},
        f"rnnlab train {config.task} --cell skip --T 20 --seeds 0,1,2",
        out.add_figure("s4-success", fig),
    ))
    return out


# --- S5 ---------------------------------------------------------------------------------------------

def _s5_settings(scale: str) -> clipping.ClippingConfig:
    return clipping.ClippingConfig(seeds=(0, 1, 2) if scale == "quick" else tuple(range(10)))


def _s5_config(scale: str) -> dict[str, Any]:
    return asdict(_s5_settings(scale))


def s5(scale: str) -> PartResult:
    config, out = _s5_settings(scale), PartResult()
    result = clipping.run(config)
    summary = result.summary()
    norm = [c for c in config.clips if c.startswith("norm")]
    value = [c for c in config.clips if c.startswith("value")]
    out.claims.append(Claim(
        "S5.norm-keeps-direction", "S5",
        "Clipping by norm, g <- g min(1, c/||g||), keeps the direction exactly; clipping by value can change it",
        all(abs(summary[c]["min_cosine"] - 1) < 1e-6 for c in norm)
        and all(summary[c]["min_cosine"] < 1 for c in value),
        {c: {"min_cosine": summary[c]["min_cosine"], "fired_fraction": summary[c]["fired_fraction"]}
         for c in norm + value},
        "rnnlab train adding --cell tanh --clip value:0.1 --json",
    ))
    fig, axes = new_figure(11, 4, 2)
    clipping.plot_losses(axes[0], result)
    clipping.plot_divergence(axes[1], result)
    rates = result.divergence_rate
    out.claims.append(Claim(
        "S5.stabilizes", "S5",
        f"In the exploding regime (||W||_2 = {config.w_norm:g} at init, plain SGD) clipping prevents divergence",
        all(rates[c] < rates["none"] for c in norm + value),
        {"divergence_rate": rates, "summary": summary, "seeds": len(config.seeds), "steps": config.steps},
        "rnnlab experiment clipping --out figures/",
        out.add_figure("s5-clipping", fig),
    ))
    return out


PARTS = [
    Part("S3", "S3. Vanishing gradients in a sigmoid RNN", s3, _s3_config),
    Part("S4", "S4. A temporal skip connection", s4, _s4_config),
    Part("S5", "S5. Gradient clipping", s5, _s5_config),
]
