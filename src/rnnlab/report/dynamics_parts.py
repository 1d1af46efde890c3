"""Report parts for gradient dynamics: S3 (vanishing-gradient bound), S4 (skip connection), S5 (clipping).

Each claim is a measure (subject -> evidence dict) and a ClaimSpec whose judge reads only the evidence, so a test
can measure a broken subject (gamma 20% too small, a wrong Jacobian, M = 0, a clip that never fires) and see the
verdict flip. Claims over seeds are decided by a stated test (report/decide.py) and may be "inconclusive".
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from matplotlib.figure import Figure

from rnnlab.dynamics.jacobian import (
    BoundConfig,
    BoundReport,
    JacobianFn,
    check_bound,
    check_jacobian,
    plot_tightness,
    step_jacobian,
)
from rnnlab.dynamics.profile import GradientProfile, gradient_profile, plot_profile
from rnnlab.dynamics.skip import Bptt, bptt_by_hand, check_two_paths
from rnnlab.dynamics.training import torch_threads
from rnnlab.experiments import clipping, skip
from rnnlab.report.claims import (
    FAILS,
    FIG_HEIGHT,
    FIG_WIDTH,
    HOLDS,
    INCONCLUSIVE,
    ClaimSpec,
    Part,
    PartResult,
    new_figure,
    verdict_of,
)
from rnnlab.report.decide import compare_rates, rate_at_least

PASCANU = "Pascanu, Mikolov, Bengio 2013, On the difficulty of training recurrent neural networks (ICML)"
LIN = ("Lin, Horne, Tino, Giles 1996, Learning long-term dependencies in NARX recurrent neural networks "
       "(IEEE Trans. Neural Networks)")
EXPONENTIAL_R2 = 0.95  # a log-linear fit at least this good counts as "exponential"

# --- S3 ---------------------------------------------------------------------------------------------


def _s3_config(scale: str) -> dict[str, Any]:
    quick = scale == "quick"
    return {"jacobian_cells": 5, "trials": 60 if quick else 1000, "adversarial": 40 if quick else 200,
            "T": 30 if quick else 50, "hidden": 8 if quick else 16, "profile_T": 100,
            "profile_seeds": 3 if quick else 10, "profile_w_norms": [0.0, 6.0], "seed": 0}


def measure_jacobian(cells: int, seed: int, jacobian: JacobianFn = step_jacobian) -> dict[str, Any]:
    """Evidence for S3.jacobian: `jacobian` (the closed form, or a broken one in a test) against autograd."""
    return check_jacobian(cells=cells, seed=seed, jacobian=jacobian).to_dict()


S3_JACOBIAN = ClaimSpec(
    "S3.jacobian", r"The step Jacobian is $dh_{t+1}/dh_t = \mathrm{diag}(\sigma'(W h_t + U x_{t+1})) W$",
    source="sheet", source_says=HOLDS, expected=HOLDS,
    criterion="On random sigmoid cells with $\\|W\\|_2$ from 0.5 to 8, the closed form is compared entry by entry "
              "with autograd's Jacobian in float64: holds iff the largest absolute difference is below 1e-12",
    judge=lambda ev: verdict_of(ev["max_abs_diff_vs_autograd"] < 1e-12))


def bound_reports(cfg: dict[str, Any], gamma_factor: float = 1.0) -> list[BoundReport]:
    """The bound checked on random and adversarial cells, sigmoid then tanh (gamma_factor < 1: a wrong bound)."""
    return [check_bound(BoundConfig(trials=cfg["trials"], T=cfg["T"], hidden=cfg["hidden"], act=act,
                                    seed=cfg["seed"], adversarial=cfg["adversarial"]), gamma_factor)
            for act in ("sigmoid", "tanh")]


def measure_bound(cfg: dict[str, Any], gamma_factor: float = 1.0) -> dict[str, Any]:
    """Evidence for S3.bound, per activation."""
    return {r.config.act: r.to_dict() for r in bound_reports(cfg, gamma_factor)}


S3_BOUND = ClaimSpec(
    "S3.bound", r"Since $\max \sigma' = 1/4$, $\|dL/dh_t\| \le \|dL/dh_T\| (\|W\|_2/4)^{T-t}$ ($\gamma = 1$ for tanh)",
    source="sheet", source_says=HOLDS, expected=HOLDS, cite=PASCANU,
    criterion="Every (cell, t < T) pair is compared in float64 on random cells ($\\|W\\|_2$ log-uniform in "
              "[0.25, 8], above 4 included) and adversarial cells whose pre-activations sit at 0, where "
              "$f' = \\gamma$ (they reach the bound); holds iff no norm exceeds its bound by more than a relative "
              "1e-9, for sigmoid and tanh",
    judge=lambda ev: verdict_of(all(ev[act]["violations"] == 0 for act in ("sigmoid", "tanh"))))


def measure_vanishing(cell: str, T: int, seeds: list[int], w_norms: list[float]) -> dict[str, Any]:
    """Evidence for S3.vanishing: the fitted decay per step and its R^2 for each (||W||_2, seed); w_norm 0 keeps
    nn.RNN's initialisation."""
    cases = []
    for w in w_norms:
        for seed in seeds:
            p = gradient_profile(cell, T=T, seed=seed, w_norm=w or None)
            cases.append({"w_norm_target": w or None, "seed": seed, "w_norm": p.w_norm,
                          "bound_factor_per_step": None if p.w_norm is None else p.w_norm / 4,
                          "decay_per_step": p.decay_per_step, "r2": p.decay_r2})
    return {"cell": cell, "T": T, "cases": cases}


def _vanishes(ev: dict[str, Any]) -> str:
    return verdict_of(all(c["decay_per_step"] < 1 and c["r2"] >= EXPONENTIAL_R2 for c in ev["cases"]))


S3_VANISHING = ClaimSpec(
    "S3.vanishing", "In a sigmoid RNN the gradient vanishes exponentially with the distance $T - t$",
    source="sheet", source_says=HOLDS, expected=HOLDS,
    criterion="For every seed at nn.RNN's initialisation ($\\|W\\|_2 \\approx 1$, where the bound already decays) "
              f"and at $\\|W\\|_2 = 6$ (bound factor 1.5 per step: nothing forces the decay), a least-squares line "
              f"through $\\log_{{10}} \\|dL/dh_t\\|$ against $T - t$: holds iff every fitted factor per step is "
              f"below 1 with $R^2 \\ge {EXPONENTIAL_R2}$",
    judge=_vanishes)


def s3(scale: str) -> PartResult:
    cfg, out = _s3_config(scale), PartResult()
    with torch_threads(1):
        ev = measure_jacobian(cfg["jacobian_cells"], cfg["seed"])
        out.claims.append(S3_JACOBIAN.decide(
            ev, scale={"cells": cfg["jacobian_cells"]}, key=f"max |difference| {ev['max_abs_diff_vs_autograd']:.2g}",
            reproduce=f"rnnlab jacobian --cells {cfg['jacobian_cells']} --seed {cfg['seed']} --json"))

        reports = bound_reports(cfg)
        ev = {r.config.act: r.to_dict() for r in reports}
        fig, ax = new_figure()
        plot_tightness(ax, reports)
        sig, tanh = ev["sigmoid"], ev["tanh"]
        out.claims.append(S3_BOUND.decide(
            ev, scale={k: cfg[k] for k in ("trials", "adversarial", "T", "hidden", "seed")},
            key=f"{sig['violations'] + tanh['violations']} violations in {sig['checked'] + tanh['checked']} pairs; "
                f"max actual/bound {max(sig['max_ratio'], tanh['max_ratio']):.4f}",
            reproduce=f"rnnlab bound --trials {cfg['trials']} --adversarial {cfg['adversarial']} --T {cfg['T']} "
                      f"--hidden {cfg['hidden']} --seed {cfg['seed']} --json",
            figures=(out.add_figure(
                "s3-bound", fig, "The solid lines are the largest ratio actual/bound at each distance: they must "
                "stay at or below 0 (log scale); the adversarial cells reach it."),)))

        seeds = list(range(cfg["profile_seeds"]))
        ev = measure_vanishing("sigmoid", cfg["profile_T"], seeds, cfg["profile_w_norms"])
        fig, axes = new_figure(FIG_WIDTH, FIG_HEIGHT + 0.6, 2)
        for ax, w in zip(axes, cfg["profile_w_norms"], strict=True):
            _plot_one_profile(ax, gradient_profile("sigmoid", T=cfg["profile_T"], seed=0, w_norm=w or None))
        _one_legend(fig, axes, ["||dL/dh_t||, measured (seed 0)", "bound ||dL/dh_T|| (||W||_2 / 4)^(T-t)"])
        worst = max(ev["cases"], key=lambda c: c["decay_per_step"])
        out.claims.append(S3_VANISHING.decide(
            ev, scale={"T": cfg["profile_T"], "seeds": len(seeds), "w_norms": ["init", 6.0]},
            key=f"slowest x{worst['decay_per_step']:.3g} per step (||W||_2 = {worst['w_norm']:.3g}), "
                f"min R^2 {min(c['r2'] for c in ev['cases']):.3f}",
            reproduce=" && ".join(f"rnnlab gradients --cell sigmoid --T {cfg['profile_T']} --seed {s}"
                                  + (f" --w-norm {w:g}" if w else "") + " --json"
                                  for w in cfg["profile_w_norms"] for s in seeds),
            figures=(out.add_figure(
                "s3-profile", fig, "Left: nn.RNN's initialisation; right: ||W||_2 = 6, where the bound (dashed) "
                "grows, yet the measured gradient still falls on a straight line in log scale."),)))
    return out


def _plot_one_profile(ax: Any, profile: GradientProfile) -> None:
    plot_profile(ax, profile)
    ax.set_title(f"||W||_2 = {profile.w_norm:.3g}: x{profile.decay_per_step:.3g} per step,\n"
                 f"R^2 = {profile.decay_r2:.4f}", fontsize="medium")


def _one_legend(fig: Figure, axes: Any, labels: list[str]) -> None:
    """One legend for side-by-side panels drawn alike, below them, instead of one squeezing each panel."""
    for ax in axes:
        legend = ax.get_legend()
        if legend is not None:
            legend.remove()
    handles = [h for h in axes[0].get_lines() if h.get_label() and not h.get_label().startswith("_")]
    fig.legend(handles[: len(labels)], labels, loc="outside lower center", ncols=2, fontsize=9)


# --- S4 ---------------------------------------------------------------------------------------------

def _s4_settings(scale: str) -> skip.SkipConfig:
    if scale == "quick":
        return skip.SkipConfig(cells=("sigmoid", "skip"), lengths=(15,), seeds=tuple(range(10)), steps=200,
                               check_every=25, decay_seeds=tuple(range(10)))
    return skip.SkipConfig(cells=("sigmoid", "skip", "tanh", "gru"), lengths=(10, 15, 20),
                           seeds=tuple(range(10)), steps=1000, check_every=25, decay_seeds=tuple(range(20)))


def _s4_config(scale: str) -> dict[str, Any]:
    return asdict(_s4_settings(scale))


TWO_PATHS = {"cells": 3, "T": 12, "hidden": 8, "delay": 2, "seed": 0}


def measure_two_paths(m_scale: float = 1.0, bptt: Bptt = bptt_by_hand) -> dict[str, Any]:
    """Evidence for S4.two-paths: both paths by hand against autograd, and the share of gradient M carries."""
    return check_two_paths(**TWO_PATHS, m_scale=m_scale, bptt=bptt).to_dict()


S4_TWO_PATHS = ClaimSpec(
    "S4.two-paths",
    r"$dL/dh_t = dL/dh_{t+1} \mathrm{diag}(s'_{t+1}) W + dL/dh_{t+2} \mathrm{diag}(s'_{t+2}) M$: both paths carry "
    "gradient",
    source="sheet", source_says=HOLDS, expected=HOLDS,
    criterion="On random skip cells (k = 2, T = 12, float64) the equation run step by step and rnnlab's own backward "
              "pass are compared with autograd on the unrolled graph (holds iff both differ by under 1e-10), and the "
              "share of $dL/dh_1$ that the M path carries must exceed 1%",
    judge=lambda ev: verdict_of(ev["max_abs_diff_by_hand"] < 1e-10 and ev["max_abs_diff_probe"] < 1e-10
                                and ev["min_m_path_share"] > 0.01))


def _decay_evidence(d: skip.Decay) -> dict[str, Any]:
    slower = sum(s > p for s, p in zip(d.skip_rates, d.plain_rates, strict=True))
    return {**d.to_dict(), "seeds": len(d.skip_rates), "seeds_slower_with_m": slower}


def measure_decay(config: skip.SkipConfig, m_scale: float = 1.0) -> dict[str, Any]:
    """Evidence for S4.slower-decay at nn.RNN's init and with W and M rescaled to config.decay_w_norm."""
    return {"init": _decay_evidence(skip.gradient_decay(config, m_scale=m_scale)),
            "large": _decay_evidence(skip.gradient_decay(config, config.decay_w_norm, m_scale=m_scale)),
            "large_w_norm": config.decay_w_norm}


def _slower(ev: dict[str, Any]) -> str:
    verdicts = []
    for regime in ("init", "large"):
        r = ev[regime]
        if not (all(x < 1 for x in r["skip_rates"]) and min(r["skip_r2"]) >= EXPONENTIAL_R2):
            return FAILS  # measured, not sampled: a fit that is not an exponential decay refutes "still exponential"
        verdicts.append(rate_at_least(r["seeds_slower_with_m"], r["seeds"], 0.5, alpha=0.025).verdict)
    if FAILS in verdicts:  # faster with M in significantly more than half the seeds
        return FAILS
    return HOLDS if all(v == HOLDS for v in verdicts) else INCONCLUSIVE


S4_SLOWER = ClaimSpec(
    "S4.slower-decay", "Through M the gradient decays more slowly, though still exponentially",
    source="sheet", source_says=HOLDS, expected=HOLDS, cite=LIN,
    criterion="Per seed, the fitted decay per step of $\\|dL/dh_t\\|$ with M and without it (same W, U, b, inputs), "
              "at nn.RNN's initialisation and with W and M rescaled to spectral norm 6 (bound factor above 1): holds "
              "iff in each regime an exact one-sided binomial test finds 'slower with M' in more than half the seeds "
              f"at 2.5% (Bonferroni over two regimes) and every fit with M has factor < 1 and $R^2 \\ge "
              f"{EXPONENTIAL_R2}$; does not hold if a fit is not such a decay or the test finds the opposite; "
              "otherwise inconclusive",
    judge=_slower)


LONGER_MARGIN = 0.2  # a success-rate gain below 20 points is too small to claim


def measure_longer_range(result: skip.SkipResult) -> dict[str, Any]:
    """Evidence for S4.longer-range: seeds solved per cell and length."""
    c = result.config
    return {"task": c.task, "lengths": list(c.lengths), "seeds": len(c.seeds), "steps": c.steps,
            "solved_counts": {cell: result.solved_counts()[cell] for cell in ("sigmoid", "skip")},
            "test_sequences": c.test_sequences}


def longer_range_decision(ev: dict[str, Any]) -> dict[str, Any]:
    """Fisher's exact test, skip vs plain sigmoid, at the longest length run."""
    n = ev["seeds"]
    return compare_rates(ev["solved_counts"]["skip"][-1], n, ev["solved_counts"]["sigmoid"][-1], n,
                         margin=LONGER_MARGIN).to_dict()


S4_LONGER = ClaimSpec(
    "S4.longer-range", "On a long-range task (temporal order) the skip cell solves longer sequences than the plain "
    "sigmoid cell",
    source="paper", source_says=HOLDS, expected=HOLDS, cite=LIN,
    criterion="Seeds solved (under 1% errors on 10,000 fresh sequences) at the longest length run, skip vs plain "
              "sigmoid: Fisher's exact test, one-sided at 5%; does not hold if the opposite direction is significant "
              f"or the Newcombe interval of the rate difference lies below {LONGER_MARGIN:g}; else inconclusive",
    judge=lambda ev: longer_range_decision(ev)["verdict"])


def s4(scale: str) -> PartResult:
    config, out = _s4_settings(scale), PartResult()
    out.configs["S4"] = asdict(config)
    with torch_threads(1):
        ev = measure_two_paths()
        out.claims.append(S4_TWO_PATHS.decide(
            ev, scale={k: v for k, v in TWO_PATHS.items() if k != "seed"},
            key=f"max |difference| {max(ev['max_abs_diff_by_hand'], ev['max_abs_diff_probe']):.2g}; "
                f"M carries {ev['min_m_path_share']:.0%} of dL/dh_1",
            reproduce="rnnlab skip-paths " + " ".join(f"--{k} {v}" for k, v in TWO_PATHS.items()) + " --json"))
        result = skip.run(config)
    assert result.decay_large is not None  # the part's settings include the large-norm regime
    ev = {"init": _decay_evidence(result.decay), "large": _decay_evidence(result.decay_large),
          "large_w_norm": config.decay_w_norm}  # what measure_decay(config) computes, taken from the same run
    fig, axes = new_figure(FIG_WIDTH, FIG_HEIGHT + 0.6, 2)
    for ax, d, name in ((axes[0], result.decay, "nn.RNN's init"),
                        (axes[1], result.decay_large, f"W, M at ||.||_2 = {config.decay_w_norm:g}")):
        skip.plot_decay(ax, result, d, title=f"{name}: x{d.plain_rate:.3g} without M,\nx{d.skip_rate:.3g} with M "
                                              f"(per step, median)")
        ax.title.set_fontsize("medium")
    _one_legend(fig, axes, ["sigmoid, no M (thin: one seed; bold: median)", f"sigmoid + M (k = {config.delay})"])
    cfg_cmd = "rnnlab experiment skip --config {configs}/S4.toml --json"
    out.claims.append(S4_SLOWER.decide(
        ev, scale={"T": config.decay_T, "seeds": len(config.decay_seeds), "hidden": config.hidden},
        key=f"slower with M in {ev['init']['seeds_slower_with_m']}/{ev['init']['seeds']} seeds at init, "
            f"{ev['large']['seeds_slower_with_m']}/{ev['large']['seeds']} at norm {config.decay_w_norm:g}",
        reproduce=cfg_cmd,
        figures=(out.add_figure("s4-decay", fig, "Blue (with M) falls less steeply than red (without) in both "
                                "panels, and stays a straight line: slower, still exponential."),)))
    ev = measure_longer_range(result)
    decision = longer_range_decision(ev)
    ev["decision"] = decision
    fig, ax = new_figure()
    skip.plot_success(ax, result)
    k_skip, k_plain, n = ev["solved_counts"]["skip"][-1], ev["solved_counts"]["sigmoid"][-1], ev["seeds"]
    out.claims.append(S4_LONGER.decide(
        ev, scale={"lengths": list(config.lengths), "seeds": n, "steps": config.steps, "hidden": config.hidden},
        key=f"T = {config.lengths[-1]}: skip {k_skip}/{n}, sigmoid {k_plain}/{n} (p = {decision['p_value']:.2g})",
        reproduce=cfg_cmd,
        figures=(out.add_figure("s4-success", fig, "Markers are the measured lengths only; bars are Wilson 95% "
                                "intervals over the seeds."),)))
    return out


# --- S5 ---------------------------------------------------------------------------------------------

def _s5_settings(scale: str) -> clipping.ClippingConfig:
    # The exploding regime made cheap: tanh with ||W||_2 = 5 at init, T = 10, SGD lr 0.1; divergence happens
    # within the first 30 steps, so 40 steps decide it. Full scale runs more seeds and longer.
    quick = scale == "quick"
    return clipping.ClippingConfig(T=10, hidden=16, w_norm=5.0, lr=0.1, steps=40 if quick else 200,
                                   seeds=tuple(range(10 if quick else 30)))


def _s5_config(scale: str) -> dict[str, Any]:
    return asdict(_s5_settings(scale))


def measure_clipping(result: clipping.ClippingResult) -> dict[str, Any]:
    """Evidence for S5's claims: per clipping, runs, diverged, fired steps, min cosine, test errors."""
    summary = result.summary()
    chance_error, chance_loss = clipping.constant_predictor(result.config.task)
    return {"summary": summary, "seeds": len(result.config.seeds), "steps": result.config.steps,
            "constant_predictor_test_error": chance_error, "constant_predictor_loss": chance_loss,
            "learned_margin": clipping.LEARNED_MARGIN}


def _kind_of(clip: str) -> str:
    return clip.split(":")[0]


def _direction(ev: dict[str, Any]) -> str:
    s = ev["summary"]
    norm = [c for c in s if _kind_of(c) == "norm"]
    value = [c for c in s if _kind_of(c) == "value"]
    if not norm or not value:
        return FAILS
    # Norm clipping must fire and keep the direction up to rounding; value clipping must fire and turn it by
    # more than rounding (an unclipped run scores cos = 0.9999999999999991, which must not count).
    norm_ok = all(s[c]["fired_steps"] > 0 and s[c]["min_cosine"] >= 1 - 1e-9 for c in norm)
    value_ok = all(s[c]["fired_steps"] > 0 and s[c]["min_cosine"] < 1 - 1e-6 for c in value)
    return verdict_of(norm_ok and value_ok)


S5_DIRECTION = ClaimSpec(
    "S5.norm-keeps-direction",
    r"Clipping by norm, $g \leftarrow g \min(1, c/\|g\|)$, keeps the direction exactly; clipping by value can "
    "change it",
    source="sheet", source_says=HOLDS, expected=HOLDS,
    criterion="Over every step of every run: norm clipping must have fired and its smallest cos(clipped, raw) be "
              "1 within 1e-9 (rounding); value clipping must have fired and its smallest cosine be below 1 - 1e-6",
    judge=_direction)

STABILIZE_ALPHA = 0.025  # 5% split over the two clippings (Bonferroni)
STABILIZE_MARGIN = 0.1  # a drop in divergence rate below 10 points is too small to claim


def stabilize_decisions(ev: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Per clipping: Fisher's exact test that the unclipped runs diverge more often than the clipped ones."""
    s = ev["summary"]
    none = next(c for c in s if _kind_of(c) == "none")
    return {c: compare_rates(s[none]["diverged"], s[none]["runs"], s[c]["diverged"], s[c]["runs"],
                             margin=STABILIZE_MARGIN, alpha=STABILIZE_ALPHA).to_dict()
            for c in s if _kind_of(c) != "none"}


def _stabilizes(ev: dict[str, Any]) -> str:
    verdicts = [d["verdict"] for d in stabilize_decisions(ev).values()]
    if not verdicts:
        return INCONCLUSIVE
    if FAILS in verdicts:
        return FAILS
    return HOLDS if all(v == HOLDS for v in verdicts) else INCONCLUSIVE


S5_STABILIZES = ClaimSpec(
    "S5.stabilizes", "In the exploding regime, clipping by value and by norm each lower the rate of diverging runs",
    source="paper", source_says=HOLDS, expected=HOLDS, cite=PASCANU,
    criterion="Diverged runs (loss non-finite or above 100x its first value) over seeds, unclipped vs each clipping: "
              f"Fisher's exact test, one-sided at {STABILIZE_ALPHA:g} each (5% Bonferroni-split); holds iff both are "
              "significant; does not hold if either opposite direction is significant or a Newcombe interval lies "
              f"below {STABILIZE_MARGIN:g}; else inconclusive. Whether the runs learned is reported beside it: test "
              "error against the constant predictor's closed-form 0.36",
    judge=_stabilizes)


def s5(scale: str) -> PartResult:
    config, out = _s5_settings(scale), PartResult()
    out.configs["S5"] = asdict(config)
    result = clipping.run(config)
    ev = measure_clipping(result)
    s = ev["summary"]
    cmd = "rnnlab experiment clipping --config {configs}/S5.toml --json"
    scale_info = {"seeds": len(config.seeds), "steps": config.steps, "T": config.T, "hidden": config.hidden,
                  "w_norm": config.w_norm, "note": "T, hidden and steps cut so that 3 x "
                  f"{len(config.seeds)} runs fit the time budget; divergence happens within the first 30 steps"}
    norm = next(c for c in s if _kind_of(c) == "norm")
    value = next(c for c in s if _kind_of(c) == "value")
    out.claims.append(S5_DIRECTION.decide(
        ev, scale=scale_info, reproduce=cmd,
        key=f"norm: 1 - min cos = {1 - s[norm]['min_cosine']:.1g} over {s[norm]['fired_steps']} clipped steps; "
            f"value: min cos {s[value]['min_cosine']:.3g}"))
    ev = {**ev, "decisions": stabilize_decisions(ev)}
    fig = Figure(figsize=(FIG_WIDTH, FIG_WIDTH * 0.95), layout="constrained")
    clipping.plot_panels(fig, result)
    n = len(config.seeds)
    learned = ", ".join(f"{c} {s[c]['learned']}/{n}" for c in s if _kind_of(c) != "none")
    out.claims.append(S5_STABILIZES.decide(
        ev, scale=scale_info, reproduce=cmd,
        key=", ".join(f"{c} {s[c]['diverged']}/{n}" for c in s) + f" diverged; learned: {learned}",
        figures=(out.add_figure(
            "s5-clipping", fig, "Panel (a) has its own log axis for the unclipped runs that blow up (x: where); "
            "(b) shows the clipped runs on a linear axis; (d) says which runs beat the constant predictor."),)))
    return out


PARTS = [
    Part("S3", "S3. Vanishing gradients in a sigmoid RNN", s3, _s3_config, budget_s=10.0),
    Part("S4", "S4. A temporal skip connection", s4, _s4_config, budget_s=30.0),
    Part("S5", "S5. Gradient clipping", s5, _s5_config, budget_s=20.0),
]
