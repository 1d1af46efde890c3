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
from torch import Tensor

from rnnlab.core.recurrence import Recurrent
from rnnlab.dynamics.jacobian import cell_bound, count_violations
from rnnlab.dynamics.probe import linear_readout, probe
from rnnlab.dynamics.training import make_rnn, seeded, set_spectral_norm

INPUTS = 4  # input size of the probed cell; inputs x_t ~ N(0, 1)


@dataclass(frozen=True)
class GradientProfile:
    cell: str  # sigmoid, tanh, skip, gru or lstm
    T: int  # sequence length
    hidden: int  # H
    seed: int  # seeds the weights, inputs and readout
    norms: Tensor  # (T,) ||dL/dh_t|| for t = 1..T (float64)
    bound: Tensor | None  # (T,) the bound for rnnlab cells (S3; with M for the skip cell), None for GRU/LSTM
    violations: int  # t with norms above the bound (relative tolerance 1e-9)
    w_norm: float | None  # ||W||_2 of rnnlab cells

    @property
    def decay_per_step(self) -> float:
        """Geometric mean factor by which ||dL/dh_t|| shrinks per step back (slope of log10 norm vs distance)."""
        n = self.norms
        ok = n > 0
        if int(ok.sum()) < 2:
            return math.nan
        d = torch.arange(self.T - 1, -1, -1, dtype=torch.float64)[ok]  # distance T - t
        y = n[ok].log10()
        slope = float(((d - d.mean()) * (y - y.mean())).sum() / ((d - d.mean()) ** 2).sum())
        return 10**slope

    def to_dict(self) -> dict[str, Any]:
        return {"cell": self.cell, "T": self.T, "hidden": self.hidden, "seed": self.seed,
                "norms": self.norms.tolist(), "bound": None if self.bound is None else self.bound.tolist(),
                "violations": self.violations, "w_norm": self.w_norm, "decay_per_step": self.decay_per_step}


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
        bound = cell_bound(rnn, float(norms[-1]), T)
        W = float(torch.linalg.matrix_norm(rnn.W.detach(), ord=2))
        return GradientProfile(cell, T, hidden, seed, norms, bound, count_violations(norms, bound), W)
    return GradientProfile(cell, T, hidden, seed, norms, None, 0, None)


def plot_profile(ax: Axes, profile: GradientProfile) -> list[Any]:
    """log10 ||dL/dh_t|| against T - t, with the bound line; returns the artists."""
    distance = torch.arange(profile.T - 1, -1, -1)  # T - t for t = 1..T
    n = profile.norms
    ok = n > 0  # an underflowed gradient has no logarithm
    artists = ax.plot(distance[ok], n[ok].log10(), label=f"||dL/dh_t||, {profile.cell}", lw=2)
    if profile.bound is not None:
        b = profile.bound
        gam = "1/4" if profile.cell in ("sigmoid", "skip") else "1"
        label = (f"bound ||dL/dh_T|| ({gam} ||W||_2)^(T-t), ||W||_2 = {profile.w_norm:.3g}" if profile.cell != "skip"
                 else f"bound B_t = a B_(t+1) + b B_(t+k), a = {gam} ||W||_2, b = {gam} ||M||_2")
        artists += ax.plot(distance[b > 0], b[b > 0].log10(), "--", color="black", label=label)
    ax.set_xlabel("distance T - t (steps)")
    ax.set_ylabel("log10 ||dL/dh_t||")
    rate = profile.decay_per_step
    what = "vanishes" if rate < 0.9 else ("explodes" if rate > 1.1 else "stays level")
    held = ""
    if profile.bound is not None:
        held = f"\nbound holds at all {profile.T} steps" if not profile.violations else \
            f"\n{profile.violations} bound violations"
    ax.set_title(f"{profile.cell}: the gradient {what}, x{rate:.3g} per step back{held}")
    ax.legend()
    ax.grid(True, alpha=0.3)
    return artists
