"""Experiment A (SPEC S4): what the temporal skip connection buys.

Two measurements:
  1. decay: ||dL/dh_t|| / ||dL/dh_T|| against the distance T - t for the skip cell and for the same cell with M
     removed (same W, U, b, inputs), over several seeds. Through M some paths back take (T - t)/k steps.
  2. success: the fraction of seeds that solve a long-range task (Pascanu et al. 2013: under 1% errors on 10,000
     fresh sequences) against the sequence length, for sigmoid, sigmoid + skip, tanh, and nn.GRU / nn.LSTM.
Expected: the skip cell decays more slowly and solves longer sequences than the plain sigmoid cell
(Lin, Horne, Tino & Giles 1996 report NARX networks keep information 2-3x longer).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import torch
from matplotlib.axes import Axes
from torch import Tensor

from rnnlab.core.activations import sigmoid
from rnnlab.core.recurrence import Recurrent
from rnnlab.dynamics.batched import train_batched
from rnnlab.dynamics.probe import linear_readout, probe
from rnnlab.dynamics.profile import DECAY_LABEL, decay_fit, format_rate
from rnnlab.dynamics.tasks import get_task
from rnnlab.dynamics.training import CELLS, TrainConfig, seeded

CELL_LABELS = {"sigmoid": "sigmoid", "skip": "sigmoid + skip M", "tanh": "tanh", "gru": "nn.GRU", "lstm": "nn.LSTM"}


@dataclass(frozen=True)
class SkipConfig:
    task: str = "temporal_order"  # the long-range task (adding or temporal_order)
    cells: tuple[str, ...] = ("sigmoid", "skip", "tanh", "gru", "lstm")  # cells compared
    lengths: tuple[int, ...] = (10, 20, 40, 80)  # sequence lengths T
    seeds: tuple[int, ...] = (0, 1, 2, 3, 4)  # one training run per seed, cell and length
    hidden: int = 32  # hidden units H
    delay: int = 2  # k of the skip connection M h_{t-k} (the sheet's is 2)
    steps: int = 1000  # maximum Adam updates per run (runs stop early once solved)
    batch: int = 32  # sequences per update
    lr: float = 1e-2  # Adam learning rate
    test_sequences: int = 10_000  # fresh sequences of the success test (Pascanu's criterion uses 10,000)
    decay_T: int = 60  # length of the gradient-decay comparison
    decay_seeds: tuple[int, ...] = tuple(range(10))  # cells drawn for the decay comparison
    # a second decay comparison with W and M both rescaled to this spectral norm (above 4, so the sigmoid bound
    # grows with T - t and nothing forces the decay); 0 leaves it out
    decay_w_norm: float = 6.0
    check_every: int = 50  # steps between validation checks (a run stops once solved)

    def __post_init__(self) -> None:
        unknown = [c for c in self.cells if c not in CELLS]
        if unknown:
            raise ValueError(f"unknown cell(s) {unknown}; valid: {', '.join(CELLS)}")
        if not self.lengths or not self.seeds or not self.cells:
            raise ValueError("cells, lengths and seeds must each be non-empty")
        min_T = get_task(self.task).min_T
        if min(self.lengths) < min_T:
            raise ValueError(f"lengths must be >= {min_T} for task {self.task!r}, got {min(self.lengths)}")

    def train_config(self, cell: str, T: int, seed: int) -> TrainConfig:
        return TrainConfig(task=self.task, cell=cell, T=T, hidden=self.hidden, delay=self.delay, steps=self.steps,
                           batch=self.batch, lr=self.lr, seed=seed, test_sequences=self.test_sequences,
                           check_every=self.check_every)

    @property
    def total_steps(self) -> int:
        """The most training steps the experiment can take (for a progress bar)."""
        return len(self.cells) * len(self.lengths) * len(self.seeds) * self.steps


@dataclass(frozen=True)
class Decay:
    """||dL/dh_t|| / ||dL/dh_T|| by distance for the same cells with and without M."""

    distance: Tensor  # (T,) T - t = 0..T-1
    plain: Tensor  # (seeds, T) without M
    skip: Tensor  # (seeds, T) with M (delay k)
    plain_rate: float  # median over seeds of profile.decay_per_step (least-squares fit over the distance)
    skip_rate: float  # the same with M
    plain_rates: list[float] = field(default_factory=list)  # per seed, the fitted decay per step without M
    skip_rates: list[float] = field(default_factory=list)  # per seed, with M
    plain_r2: list[float] = field(default_factory=list)  # per seed, R^2 of the log-linear fit without M (1: exact)
    skip_r2: list[float] = field(default_factory=list)  # per seed, with M
    w_norms: list[float] = field(default_factory=list)  # per seed, ||W||_2
    m_norms: list[float] = field(default_factory=list)  # per seed, ||M||_2

    def to_dict(self) -> dict[str, Any]:
        return {"plain_rate": self.plain_rate, "skip_rate": self.skip_rate, "plain_rates": self.plain_rates,
                "skip_rates": self.skip_rates, "plain_r2": self.plain_r2, "skip_r2": self.skip_r2,
                "w_norms": self.w_norms, "m_norms": self.m_norms}


@dataclass(frozen=True)
class Run:
    cell: str
    T: int
    seed: int
    solved: bool
    test_error: float
    steps_run: int


@dataclass(frozen=True)
class SkipResult:
    config: SkipConfig
    decay: Decay
    runs: list[Run]
    success: dict[str, list[float]]  # cell -> success rate at each of config.lengths
    largest_solved: dict[str, int | None]  # cell -> largest length solved by at least half the seeds
    decay_large: Decay | None = None  # the decay comparison at ||W||_2 = config.decay_w_norm (None if 0)

    def solved_counts(self) -> dict[str, list[int]]:
        """cell -> number of seeds that solved each of config.lengths."""
        return {c: [sum(r.solved for r in self.runs if r.cell == c and r.T == T) for T in self.config.lengths]
                for c in self.config.cells}

    def to_dict(self) -> dict[str, Any]:
        return {
            "config": asdict(self.config),
            "lengths": list(self.config.lengths),
            "success": self.success,
            "largest_solved": self.largest_solved,
            "solved_counts": self.solved_counts(),
            "decay_per_step": {"plain": self.decay.plain_rate, "skip": self.decay.skip_rate},
            "decay": self.decay.to_dict(),
            "decay_large": None if self.decay_large is None else self.decay_large.to_dict(),
            "runs": [asdict(r) for r in self.runs],
        }


def _median(values: list[float]) -> float:
    """Median over seeds (seeds without a rate, nan, left out; nan when none has one)."""
    return float(torch.tensor(values, dtype=torch.float64).nanmedian())


def gradient_decay(config: SkipConfig, w_norm: float | None = None, m_scale: float = 1.0) -> Decay:
    """Probe each seed's skip cell and the same cell without M (float64, nn.RNN's init, L = v . h_T); with w_norm
    W and M are first rescaled to that spectral norm; then M is multiplied by m_scale (0 removes the M path: a
    mutation).

    Both cells are built under seeded(seed), so the caller's global random stream is neither used nor advanced."""
    T, H = config.decay_T, config.hidden
    plain_rows: list[Tensor] = []
    skip_rows: list[Tensor] = []
    w_norms, m_norms = [], []
    for seed in config.decay_seeds:
        with seeded(seed):
            skip = Recurrent(4, H, sigmoid(), delays=[config.delay], batch_first=True).double()
            plain = Recurrent(4, H, sigmoid(), batch_first=True).double()  # its W, U, b are replaced by skip's
        with torch.no_grad():
            if w_norm is not None:
                skip.W.mul_(w_norm / torch.linalg.matrix_norm(skip.W, ord=2))
                skip.M[0].mul_(w_norm / torch.linalg.matrix_norm(skip.M[0], ord=2))
            skip.M[0].mul_(m_scale)
        plain.load_state_dict({k: v for k, v in skip.state_dict().items() if not k.startswith("M.")})
        w_norms.append(float(torch.linalg.matrix_norm(skip.W.detach(), ord=2)))
        m_norms.append(float(torch.linalg.matrix_norm(skip.M[0].detach(), ord=2)))
        gen = torch.Generator().manual_seed(seed)
        x = torch.randn(1, T, 4, generator=gen, dtype=torch.float64)
        v = torch.randn(H, generator=gen, dtype=torch.float64)
        for cell, rows in ((plain, plain_rows), (skip, skip_rows)):
            n = probe(cell, x, linear_readout(v)).norms[0]  # (T,) for t = 1..T
            rows.append((n / n[-1]).flip(0))  # by distance
    plain_t, skip_t = torch.stack(plain_rows), torch.stack(skip_rows)
    pf = [decay_fit(r) for r in plain_t]
    sf = [decay_fit(r) for r in skip_t]
    return Decay(torch.arange(T), plain_t, skip_t, _median([f[0] for f in pf]), _median([f[0] for f in sf]),
                 [f[0] for f in pf], [f[0] for f in sf], [f[1] for f in pf], [f[1] for f in sf], w_norms, m_norms)


def run(config: SkipConfig, progress: Callable[[int], None] | None = None) -> SkipResult:
    """Run experiment A; progress(n) is called with the number of training steps just taken (or skipped)."""
    decay = gradient_decay(config)
    large = gradient_decay(config, config.decay_w_norm) if config.decay_w_norm > 0 else None
    runs: list[Run] = []
    n = len(config.seeds)
    for cell in config.cells:
        for T in config.lengths:
            # The seeds of one (cell, T) train as one batched computation: the same numbers as one run per seed.
            results = train_batched([config.train_config(cell, T, seed) for seed in config.seeds],
                                    (lambda step: progress(n)) if progress else None)
            for seed, r in zip(config.seeds, results, strict=True):
                runs.append(Run(cell, T, seed, r.solved, r.test_error, r.steps_run))
    success = {c: [sum(r.solved for r in runs if r.cell == c and r.T == T) / len(config.seeds)
                   for T in config.lengths] for c in config.cells}
    largest = {c: max((T for T, s in zip(config.lengths, success[c], strict=True) if s >= 0.5), default=None)
               for c in config.cells}
    return SkipResult(config, decay, runs, success, largest, large)


def plot_decay(ax: Axes, result: SkipResult, decay: Decay | None = None, title: str | None = None) -> list[Any]:
    """log10 ||dL/dh_t|| / ||dL/dh_T|| against T - t, each seed a thin line, the median bold (result.decay
    unless another comparison, e.g. result.decay_large, is given)."""
    d = result.decay if decay is None else decay
    artists: list[Any] = []
    for rows, color, label, rate in ((d.plain, "tab:red", "sigmoid, no M", d.plain_rate),
                                     (d.skip, "tab:blue", f"sigmoid + M (k={result.config.delay})", d.skip_rate)):
        logs = torch.where(rows > 0, rows, torch.nan).log10()
        for row in logs:
            artists += ax.plot(d.distance, row, color=color, alpha=0.25, lw=0.8)
        artists += ax.plot(d.distance, logs.nanmedian(dim=0).values, color=color, lw=2.5,
                           label=f"{label}: {format_rate(rate)} per step ({len(rows)} seeds)")
    ax.set_xlabel("distance T - t (steps)")
    ax.set_ylabel("log10 ||dL/dh_t|| / ||dL/dh_T||")
    ax.set_title(decay_title(d, result.config.delay) if title is None else title)
    ax.legend(title=f"median decay per step back:\n{DECAY_LABEL}", fontsize="small", title_fontsize="small")
    ax.grid(True, alpha=0.3)
    return artists


def decay_title(d: Decay, delay: int) -> str:
    """The finding the decay data show: which cell decays faster, and whether the one with M still vanishes."""
    p, s = d.plain_rate, d.skip_rate
    rates = f"({format_rate(s, 2)} vs {format_rate(p, 2)} per step back)"
    if not (math.isfinite(p) and math.isfinite(s)):
        return f"Decay with and without M (k={delay}): no rate defined {rates}"
    if s > p:
        first = f"The skip connection (k={delay}) slows the decay {rates}"
    elif s < p:
        first = f"The skip connection (k={delay}) speeds up the decay {rates}"
    else:
        first = f"The skip connection (k={delay}) leaves the decay unchanged {rates}"
    if s < 1:
        second = f"with M the gradient {'still ' if p < 1 else ''}vanishes exponentially"
    elif s > 1:
        second = "with M the gradient grows exponentially"
    else:
        second = "with M the gradient stays level"
    return f"{first},\n{second}"


def plot_success(ax: Axes, result: SkipResult) -> list[Any]:
    """Success rate against sequence length, one series per cell: markers at the measured lengths only, each with
    its Wilson 95% interval (no line through lengths that were not run)."""
    from scipy import stats

    c = result.config
    counts = result.solved_counts()
    n = len(c.seeds)
    artists: list[Any] = []
    markers = ["o", "s", "^", "D", "v"]
    for i, cell in enumerate(c.cells):
        rates = [k / n for k in counts[cell]]
        lo, hi = [], []
        for k, r in zip(counts[cell], rates, strict=True):
            ci = stats.binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
            lo.append(r - float(ci.low))
            hi.append(float(ci.high) - r)
        artists.append(ax.errorbar(c.lengths, rates, yerr=[lo, hi], fmt=markers[i % len(markers)], ms=7,
                                   capsize=4, lw=1.5, label=f"{CELL_LABELS[cell]}"))
    ax.set_xscale("log", base=2)
    ax.set_xticks(list(c.lengths), [str(T) for T in c.lengths])
    if len(c.lengths) == 1:
        ax.set_xlim(c.lengths[0] / 1.5, c.lengths[0] * 1.5)
    ax.set_ylim(-0.05, 1.05)
    ax.set_xlabel("sequence length T (steps)")
    ax.set_ylabel(f"solved (fraction of {n} seeds)")
    counts_text = ", ".join(f"{CELL_LABELS[cell]} {'/'.join(str(k) for k in counts[cell])}" for cell in c.cells)
    ax.set_title(f"{c.task}: seeds solved of {n}: {counts_text}\n"
                 f"(solved: <1% errors on {c.test_sequences:,} fresh sequences within {c.steps} steps)")
    ax.legend(title="bars: Wilson 95% interval", fontsize="small", title_fontsize="small")
    ax.grid(True, alpha=0.3)
    return artists
