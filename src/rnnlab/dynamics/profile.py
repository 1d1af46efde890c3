"""A gradient profile: ||dL/dh_t|| against the distance T - t for one cell, with its bound (SPEC S3, S4).

The loss is a fixed linear readout of the last state, L = v . h_T (v seeded, ||v|| about 1), so dL/dh_T = v
and every earlier dL/dh_t is what backpropagation carries back through the recurrence alone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import torch
from matplotlib.axes import Axes
from matplotlib.ticker import MaxNLocator
from torch import Tensor

from rnnlab.core.recurrence import Recurrent
from rnnlab.dynamics.jacobian import cell_log10_bound, count_violations
from rnnlab.dynamics.probe import linear_readout, probe
from rnnlab.dynamics.training import make_rnn, seeded, set_spectral_norm

INPUTS = 4  # input size of the probed cell; inputs x_t ~ N(0, 1)


DECAY_LABEL = "least-squares fit of log10 ||dL/dh_t|| over T - t"  # how decay_per_step is measured, for labels


def decay_fit(norms_by_distance: Tensor) -> tuple[float, float]:
    """(factor per step, R^2) of the least-squares line through log10 norm against the distance (entry i is at
    distance i): the factor is 10^slope, R^2 says how well one exponential describes the whole profile (1: a
    straight line on the log plot). Zero norms (underflow) are left out; (nan, nan) when fewer than two norms
    remain, as no rate is defined then. A fit uses every distance, so one noisy endpoint moves it less than the
    endpoint ratio (norm at T-1 / norm at 0)^(1/(T-1)) would."""
    n = norms_by_distance.double()
    ok = n > 0
    if int(ok.sum()) < 2:
        return math.nan, math.nan
    d = torch.arange(n.shape[0], dtype=torch.float64)[ok]
    y = n[ok].log10()
    dc, yc = d - d.mean(), y - y.mean()
    slope = float((dc * yc).sum() / (dc**2).sum())
    total = float((yc**2).sum())
    residual = float(((yc - slope * dc) ** 2).sum())
    r2 = 1 - residual / total if total > 0 else 1.0  # a level profile is a perfect (flat) line
    return 10**slope, r2


def decay_per_step(norms_by_distance: Tensor) -> float:
    """The factor by which a gradient norm shrinks per step back: 10^slope of decay_fit; nan when undefined."""
    return decay_fit(norms_by_distance)[0]


def format_rate(rate: float, digits: int = 3) -> str:
    """'x0.231' for a decay factor, 'undefined' when there is none (nan)."""
    return f"x{rate:.{digits}g}" if math.isfinite(rate) else "undefined"


@dataclass(frozen=True)
class GradientProfile:
    cell: str  # sigmoid, tanh, skip, gru or lstm
    T: int  # sequence length
    hidden: int  # H
    seed: int  # seeds the weights, inputs and readout
    norms: Tensor  # (T,) ||dL/dh_t|| for t = 1..T (float64)
    log10_bound: Tensor | None  # (T,) log10 of the bound (S3; with M for the skip cell); None for GRU/LSTM
    w_norm: float | None  # ||W||_2 of rnnlab cells
    delay: int | None = None  # k of the skip cell's M h_{t-k}, None for other cells
    m_norm: float | None = None  # ||M||_2 of the skip cell, None for other cells

    @property
    def decay_per_step(self) -> float:
        """Per-step factor of ||dL/dh_t|| going back (see decay_per_step); nan when T = 1."""
        return decay_per_step(self.norms.flip(0))

    @property
    def decay_r2(self) -> float:
        """R^2 of the log-linear fit behind decay_per_step: how exponential the profile is (nan when T = 1)."""
        return decay_fit(self.norms.flip(0))[1]

    @property
    def bound(self) -> Tensor | None:
        """(T,) the bound itself, inf where it is beyond float64's range (every finite norm is still below it)."""
        return None if self.log10_bound is None else 10**self.log10_bound

    @property
    def violations(self) -> int:
        """How many t have ||dL/dh_t|| above the bound (relative tolerance 1e-9)."""
        return 0 if self.bound is None else count_violations(self.norms, self.bound)

    @property
    def bound_overflows(self) -> int:
        """How many t have a bound beyond float64's range (inf in `bound`, finite in `log10_bound`)."""
        return 0 if self.bound is None else int(torch.isinf(self.bound).sum())

    def to_dict(self) -> dict[str, Any]:
        return {"cell": self.cell, "T": self.T, "hidden": self.hidden, "seed": self.seed,
                "norms": self.norms.tolist(), "bound": None if self.bound is None else self.bound.tolist(),
                "log10_bound": None if self.log10_bound is None else self.log10_bound.tolist(),
                "bound_overflows": self.bound_overflows, "violations": self.violations, "w_norm": self.w_norm,
                "delay": self.delay, "m_norm": self.m_norm, "decay_per_step": self.decay_per_step,
                "decay_r2": self.decay_r2}


def gradient_profile(cell: str, T: int = 100, hidden: int = 32, delay: int = 2, seed: int = 0,
                     w_norm: float | None = None) -> GradientProfile:
    """Probe a freshly initialised cell (nn.RNN's init; W rescaled to ||W||_2 = w_norm if given) in float64."""
    if T < 1:
        raise ValueError(f"T must be >= 1, got {T}")
    with seeded(seed):
        rnn = make_rnn(cell, INPUTS, hidden, delay).double()
    if w_norm is not None:
        set_spectral_norm(rnn, w_norm)
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(1, T, INPUTS, generator=gen, dtype=torch.float64)
    v = torch.randn(hidden, generator=gen, dtype=torch.float64) / hidden**0.5
    norms = probe(rnn, x, linear_readout(v)).norms[0]  # (T,)
    if isinstance(rnn, Recurrent):
        log10_bound = cell_log10_bound(rnn, float(norms[-1]), T)
        W = float(torch.linalg.matrix_norm(rnn.W.detach(), ord=2))
        k, M = None, None
        if rnn.delays:  # the skip cell: one delayed matrix
            k, M = rnn.delays[0], float(torch.linalg.matrix_norm(rnn.M[0].detach(), ord=2))
        return GradientProfile(cell, T, hidden, seed, norms, log10_bound, W, k, M)
    return GradientProfile(cell, T, hidden, seed, norms, None, None)


def plot_profile(ax: Axes, profile: GradientProfile) -> list[Any]:
    """log10 ||dL/dh_t|| against T - t, with the bound line (drawn from log10 B, so past float64's range too)."""
    distance = torch.arange(profile.T - 1, -1, -1)  # T - t for t = 1..T
    n = profile.norms
    ok = n > 0  # an underflowed gradient has no logarithm
    # markers keep a short profile (T = 1: a single point) visible; a long one would be a smear of them
    marks: dict[str, Any] = {"marker": "o", "ms": 4} if profile.T <= 60 else {}
    name = profile.cell if profile.delay is None else f"{profile.cell} (k = {profile.delay})"
    artists = ax.plot(distance[ok], n[ok].log10(), label=f"||dL/dh_t||, {name}", lw=2, **marks)
    if profile.log10_bound is not None:
        lb = profile.log10_bound
        gam = "1/4" if profile.cell in ("sigmoid", "skip") else "1"
        if profile.delay is None:
            label = f"bound ||dL/dh_T|| ({gam} ||W||_2)^(T-t), ||W||_2 = {profile.w_norm:.3g}"
        else:
            label = (f"bound B_t = a B_(t+1) + b B_(t+k), k = {profile.delay},\n"
                     f"a = {gam} ||W||_2, ||W||_2 = {profile.w_norm:.3g}; "
                     f"b = {gam} ||M||_2, ||M||_2 = {profile.m_norm:.3g}")
        if profile.bound_overflows:
            label += f"\n(above float64's range at {profile.bound_overflows} steps; drawn from log10 B_t)"
        fin = torch.isfinite(lb)
        bound_marks: dict[str, Any] = {"marker": "x", "ms": 5} if marks else {}
        artists += ax.plot(distance[fin], lb[fin], "--", color="black", label=label, **bound_marks)
    ax.set_xlabel("distance T - t (steps)")
    ax.set_ylabel("log10 ||dL/dh_t||")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # distances are whole steps
    if profile.T == 1:
        ax.set_xlim(-1, 1)  # room for whole-step ticks around the single point
    rate = profile.decay_per_step
    if math.isfinite(rate):
        what = "vanishes" if rate < 0.9 else ("explodes" if rate > 1.1 else "stays level")
        finding = f"the gradient {what}, {format_rate(rate)} per step back (fitted)"
    elif profile.T == 1:
        finding = "T = 1, a single step: no decay rate"
    else:
        finding = "fewer than two nonzero norms: no decay rate"
    held = ""
    if profile.violations:
        held = f"\n{profile.violations} bound violations"
    elif profile.bound is not None:
        held = f"\nbound holds at all {profile.T} steps" if profile.T > 1 else "\nat t = T the bound is the norm itself"
    ax.set_title(f"{name}: {finding}{held}")
    ax.legend(fontsize="small")
    ax.grid(True, alpha=0.3)
    return artists
