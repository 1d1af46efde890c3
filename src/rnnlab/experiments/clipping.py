"""Experiment B (SPEC S5): gradient clipping in the exploding regime.

A tanh cell whose recurrent matrix starts with ||W||_2 well above 1 (so that gradients can grow with the
distance), trained with plain SGD on the adding problem, under no clipping, clipping by value and clipping by
norm, over several seeds. A run diverges when its loss becomes non-finite or rises above `blowup` times its
first-step loss. Reported per clipping: divergence rate, loss curves, how often clipping fired, the smallest
cosine between the clipped and the raw gradient (1 for norm clipping: the direction is kept), and how many
non-finite steps were skipped. Pascanu, Mikolov & Bengio 2013 (sec. 3.2) motivate norm clipping.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from rnnlab.dynamics.clipping import parse_clip
from rnnlab.dynamics.tasks import constant_predictor
from rnnlab.dynamics.training import TrainConfig, train

COLORS = {"none": "tab:red", "value": "tab:orange", "norm": "tab:blue"}
# a run "learned" the task when its test error is this far below the constant predictor's (about four standard
# errors of an error rate near 0.36 measured on 10,000 sequences)
LEARNED_MARGIN = 0.02


@dataclass(frozen=True)
class ClippingConfig:
    task: str = "adding"  # the long-range task
    cell: str = "tanh"  # the cell (an rnnlab cell: its W is rescaled)
    T: int = 50  # sequence length
    hidden: int = 32  # hidden units H
    w_norm: float = 3.0  # ||W||_2 at init: well above 1, the exploding regime
    optimizer: str = "sgd"  # plain SGD: nothing adaptive hides a gradient spike
    lr: float = 0.05  # SGD learning rate
    steps: int = 300  # updates per run (no early stop: the whole loss curve is the point)
    batch: int = 32  # sequences per update
    clips: tuple[str, ...] = ("none", "value:0.1", "norm:1")  # clipping specs compared
    seeds: tuple[int, ...] = (0, 1, 2, 3, 4)  # one run per seed and clipping
    blowup: float = 100.0  # a run diverges if its loss exceeds blowup x its first-step loss (or is not finite)
    test_sequences: int = 10_000  # fresh sequences of the final error test

    def __post_init__(self) -> None:
        for spec in self.clips:
            parse_clip(spec)
        if not self.seeds or not self.clips:
            raise ValueError("clips and seeds must each be non-empty")
        if not self.blowup > 1:
            raise ValueError(f"blowup must be > 1, got {self.blowup}")

    def train_config(self, clip: str, seed: int) -> TrainConfig:
        return TrainConfig(task=self.task, cell=self.cell, T=self.T, hidden=self.hidden, w_norm=self.w_norm,
                           optimizer=self.optimizer, lr=self.lr, steps=self.steps, batch=self.batch,
                           clip=parse_clip(clip), seed=seed, check_every=self.steps + 1,
                           test_sequences=self.test_sequences)

    @property
    def total_steps(self) -> int:
        return len(self.clips) * len(self.seeds) * self.steps


@dataclass(frozen=True)
class ClipRun:
    clip: str
    seed: int
    diverged: bool  # loss non-finite or above blowup x its first value at some step
    losses: list[float]  # training loss per step (nan/inf where it blew up)
    pre_norms: list[float]  # gradient norm before clipping per step
    fired: int  # steps where clipping changed the gradient
    min_cosine: float  # smallest cos(clipped, raw) over the finite steps
    nonfinite_skipped: int  # steps skipped because the gradient was not finite
    final_loss: float  # mean loss over the last 10% of steps (nan if any was not finite)
    test_error: float  # error rate on fresh sequences after training


@dataclass(frozen=True)
class ClippingResult:
    config: ClippingConfig
    runs: list[ClipRun]

    def for_clip(self, clip: str) -> list[ClipRun]:
        return [r for r in self.runs if r.clip == clip]

    @property
    def divergence_rate(self) -> dict[str, float]:
        return {c: sum(r.diverged for r in self.for_clip(c)) / len(self.for_clip(c)) for c in self.config.clips}

    def summary(self) -> dict[str, dict[str, float | int]]:
        """Per clipping: divergence rate, median final loss and test error, clip statistics."""
        out: dict[str, dict[str, float | int]] = {}
        chance_error, _ = constant_predictor(self.config.task)
        for c in self.config.clips:
            runs = self.for_clip(c)
            finite = [r.final_loss for r in runs if math.isfinite(r.final_loss)]
            out[c] = {
                "runs": len(runs),
                "diverged": sum(r.diverged for r in runs),
                "fired_steps": sum(r.fired for r in runs),
                # beat the input-blind constant predictor by more than LEARNED_MARGIN in test error
                "learned": sum(r.test_error < chance_error - LEARNED_MARGIN for r in runs),
                "divergence_rate": self.divergence_rate[c],
                "median_final_loss": statistics.median(finite) if finite else math.nan,  # over runs that stayed finite
                "median_test_error": statistics.median(r.test_error for r in runs),
                "fired_fraction": sum(r.fired for r in runs) / (len(runs) * self.config.steps),
                "min_cosine": min(r.min_cosine for r in runs),
                "max_pre_norm": max(max(r.pre_norms) for r in runs),
                "nonfinite_skipped": sum(r.nonfinite_skipped for r in runs),
            }
        return out

    def to_dict(self) -> dict[str, Any]:
        chance_error, chance_loss = constant_predictor(self.config.task)
        return {"config": asdict(self.config), "summary": self.summary(),
                "constant_predictor": {"test_error": chance_error, "loss": chance_loss,
                                       "learned_margin": LEARNED_MARGIN},
                "runs": [{k: v for k, v in asdict(r).items() if k not in ("losses", "pre_norms")} for r in self.runs]}


def _diverged(losses: list[float], blowup: float) -> bool:
    first = losses[0]
    return any(not math.isfinite(v) or v > blowup * first for v in losses)


def run(config: ClippingConfig, progress: Callable[[int], None] | None = None) -> ClippingResult:
    """Run experiment B; progress(n) is called with the number of training steps just taken."""
    runs = []
    for clip in config.clips:
        for seed in config.seeds:
            r = train(config.train_config(clip, seed), (lambda step: progress(1)) if progress else None)
            runs.append(ClipRun(clip, seed, _diverged(r.losses, config.blowup), r.losses, r.pre_norms,
                                int(r.clip["fired"]), float(r.clip["min_cosine"]), r.nonfinite_skipped,
                                r.final_loss, r.test_error))
    return ClippingResult(config, runs)


def _kind(clip: str) -> str:
    return clip.split(":")[0]


def _per_seed_lines(ax: Axes, result: ClippingResult, series: Callable[[ClipRun], list[float]], alpha: float,
                    label: Callable[[str], str]) -> list[Any]:
    """One thin line per seed and step, coloured by clipping kind, labelled once per clipping; non-finite as gaps."""
    artists: list[Any] = []
    for clip in result.config.clips:
        for i, r in enumerate(result.for_clip(clip)):
            ys = [v if math.isfinite(v) else math.nan for v in series(r)]
            artists += ax.plot(range(1, len(ys) + 1), ys, color=COLORS.get(_kind(clip)), alpha=alpha, lw=1,
                               label=label(clip) if i == 0 else None)
    return artists


def plot_losses(ax: Axes, result: ClippingResult) -> list[Any]:
    """Training loss per step (log scale), one thin line per seed; an x marks where a run's loss blew up."""
    artists = _per_seed_lines(ax, result, lambda r: r.losses, 0.6,
                              lambda clip: f"{clip} ({result.divergence_rate[clip]:.0%} diverged)")
    for clip in result.config.clips:
        for r in result.for_clip(clip):
            ys = [v for v in r.losses if math.isfinite(v)]
            bad = next((s for s, v in enumerate(r.losses, 1)
                        if not math.isfinite(v) or v > result.config.blowup * r.losses[0]), None)
            if bad is not None:
                y = r.losses[bad - 1] if math.isfinite(r.losses[bad - 1]) else max(ys, default=1.0)
                artists += ax.plot([bad], [y], "x", color=COLORS.get(_kind(clip)), ms=10, mew=2)
    ax.set_yscale("log")
    ax.set_xlabel("training step")
    ax.set_ylabel("training loss (mean squared error)")
    rates = result.divergence_rate
    ax.set_title(f"{result.config.task}, {result.config.cell}, ||W||_2 = {result.config.w_norm:g} at init\n"
                 + ", ".join(f"{c} {rates[c]:.0%}" for c in result.config.clips) + " diverge (x: loss blew up)")
    ax.legend()
    ax.grid(True, alpha=0.3)
    return artists


def plot_norms(ax: Axes, result: ClippingResult) -> list[Any]:
    """The raw gradient norm ||g|| per step (before clipping), log scale: the spikes that clipping catches."""
    artists = _per_seed_lines(ax, result, lambda r: r.pre_norms, 0.5, lambda clip: clip)
    ax.set_yscale("log")
    ax.set_xlabel("training step")
    ax.set_ylabel("||g|| before clipping")
    worst = max((v for r in result.runs for v in r.pre_norms if math.isfinite(v)), default=math.nan)
    ax.set_title(f"Gradient norms spike up to {worst:.3g}: the exploding regime")
    ax.legend()
    ax.grid(True, alpha=0.3)
    return artists


def plot_divergence(ax: Axes, result: ClippingResult) -> list[Any]:
    """Divergence rate per clipping, as bars."""
    rates = result.divergence_rate
    clips = list(result.config.clips)
    bars = ax.bar(clips, [rates[c] for c in clips], color=[COLORS.get(_kind(c), "gray") for c in clips])
    ax.bar_label(bars, labels=[f"{rates[c]:.0%}" for c in clips])
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("clipping")
    ax.set_ylabel(f"divergence rate (fraction of {len(result.config.seeds)} seeds)")
    unclipped = [rates[c] for c in clips if _kind(c) == "none"]
    clipped = [rates[c] for c in clips if _kind(c) != "none"]
    if unclipped and clipped and max(clipped) < min(unclipped):
        title = "Clipping lowers the divergence rate"
    elif unclipped and clipped and max(clipped) == min(unclipped):
        title = "Clipping makes no difference to the divergence rate here"
    else:
        title = "Divergence rate by clipping"
    ax.set_title(title + ": " + ", ".join(f"{c} {rates[c]:.0%}" for c in clips))
    return list(bars)


def _first_blowup(r: ClipRun, blowup: float) -> int | None:
    """The first step (1-based) whose loss is non-finite or above blowup x the first loss, None if none."""
    return next((s for s, v in enumerate(r.losses, 1) if not math.isfinite(v) or v > blowup * r.losses[0]), None)


def plot_panels(fig: Figure, result: ClippingResult) -> list[Axes]:
    """Four panels, each on its own axes: (a) the unclipped runs' loss (log scale: it blows up), (b) the clipped
    runs' loss (linear, beside the constant predictor's loss), (c) diverged runs per clipping with Wilson 95%
    intervals, (d) each run's test error against the constant predictor's. Returns the axes."""
    from scipy import stats

    c = result.config
    chance_error, chance_loss = constant_predictor(c.task)
    (ax_a, ax_b), (ax_c, ax_d) = fig.subplots(2, 2)
    clipped = [k for k in c.clips if _kind(k) != "none"]
    for ax, clips in ((ax_a, [k for k in c.clips if _kind(k) == "none"]), (ax_b, clipped)):
        for clip in clips:
            for i, r in enumerate(result.for_clip(clip)):
                ys = [v if math.isfinite(v) else math.nan for v in r.losses]
                ax.plot(range(1, len(ys) + 1), ys, color=COLORS.get(_kind(clip)), alpha=0.5, lw=1,
                        label=clip if i == 0 else None)
                bad = _first_blowup(r, c.blowup)
                if bad is not None:
                    finite = [v for v in r.losses[:bad] if math.isfinite(v)]
                    ax.plot([bad], [finite[-1] if finite else 1.0], "x", color="black", ms=7, mew=1.5,
                            label="x: run diverged here" if not any(
                                h.get_label().startswith("x:") for h in ax.get_lines()[:-1]) else None)
        ax.axhline(chance_loss, color="gray", ls="--", lw=1, label=f"constant predictor ({chance_loss:.3g})")
        ax.set_xlabel("training step")
        ax.set_ylabel("training loss (MSE)")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=9)
    ax_a.set_yscale("log")
    ax_a.set_title("(a) no clipping (log scale)")
    ax_b.set_title("(b) clipped (linear scale)")
    n = len(c.seeds)
    summary = result.summary()
    ks = [int(summary[k]["diverged"]) for k in c.clips]
    lo, hi = [], []
    for k in ks:
        ci = stats.binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
        lo.append(k - n * float(ci.low))
        hi.append(n * float(ci.high) - k)
    bars = ax_c.bar(list(c.clips), ks, color=[COLORS.get(_kind(k), "gray") for k in c.clips],
                    yerr=[lo, hi], capsize=4)
    ax_c.bar_label(bars, labels=[f"{k}/{n}" for k in ks], padding=3)
    ax_c.set_ylim(0, n * 1.15)
    ax_c.set_ylabel(f"diverged runs (of {n})")
    ax_c.set_title("(c) diverged, Wilson 95% bars")
    for i, clip in enumerate(c.clips):
        errs = [r.test_error for r in result.for_clip(clip)]
        ax_d.plot([i] * len(errs), errs, "o", color=COLORS.get(_kind(clip)), alpha=0.6, ms=5)
    ax_d.axhline(chance_error, color="gray", ls="--", lw=1, label=f"constant predictor ({chance_error:.2f})")
    ax_d.set_xticks(range(len(c.clips)), list(c.clips))
    ax_d.set_ylim(0, 1.02)
    ax_d.set_ylabel("test error rate")
    ax_d.set_title("(d) test error, one dot per run")
    ax_d.legend(fontsize=9)
    learned = ", ".join(f"{k} {summary[k]['learned']}/{n}" for k in clipped)
    diverged = ", ".join(f"{k} {d}/{n}" for k, d in zip(c.clips, ks, strict=True))
    fig.suptitle(f"{c.cell}, ||W||_2 = {c.w_norm:g} at init, {c.task} T = {c.T}. Diverged: {diverged};\n"
                 f"beat the constant predictor: {learned}", fontsize="medium")
    return [ax_a, ax_b, ax_c, ax_d]
