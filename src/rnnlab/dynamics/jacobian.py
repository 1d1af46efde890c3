"""The step Jacobian and the vanishing-gradient bound (SPEC S3; Pascanu, Mikolov & Bengio 2013, sec. 2.1).

For h_t = f(z_t), z_t = W h_{t-1} + sum_k M_k h_{t-k} + U x_t + b:

    dh_t/dh_{t-1} = diag(f'(z_t)) W,     dh_t/dh_{t-k} = diag(f'(z_t)) M_k.

With gamma = max f' (1/4 for sigmoid, gain/4 with a gain, 1 for tanh), ||diag(f') W||_2 <= gamma ||W||_2, so for
a loss that reads h_T only:  ||dL/dh_t|| <= ||dL/dh_T|| (gamma ||W||_2)^(T-t).
With delayed connections the same argument gives g_t <= a g_{t+1} + sum_k b_k g_{t+k} (a = gamma ||W||_2,
b_k = gamma ||M_k||_2), so the sequence B_T = ||dL/dh_T||, B_t = a B_{t+1} + sum_k b_k B_{t+k} (B_s = 0 past T)
bounds g_t = ||dL/dh_t|| by induction from T down.
The bound grows like a^(T-t), beyond float64's range for ||W||_2 = 50 within 200 steps, so it is computed as
log10 B_t (a log-sum-exp recurrence) and exponentiated only at the end: B_t is then inf where it overflows,
which still compares correctly with every finite norm.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from matplotlib.axes import Axes
from torch import Tensor

from rnnlab.core.activations import Activation
from rnnlab.core.recurrence import Recurrent
from rnnlab.dynamics.probe import linear_readout, probe


def activation_derivative(act: Activation, z: Tensor) -> Tensor:
    """f'(z) elementwise, written from the closed forms: sigmoid' = g s(gz)(1 - s(gz)), tanh' = 1 - tanh^2."""
    if act.kind == "sigmoid":
        s = torch.sigmoid(act.gain * z)
        return act.gain * s * (1 - s)
    if act.kind == "tanh":
        return 1 - torch.tanh(z) ** 2
    if act.kind == "identity":
        return torch.ones_like(z)
    raise ValueError(f"no derivative for activation {act.kind!r}; valid: sigmoid, tanh, identity")


def gamma(act: Activation) -> float:
    """max_z f'(z): 1/4 for sigmoid (times its gain), 1 for tanh and identity (Pascanu et al. 2013)."""
    if act.kind == "sigmoid":
        return act.gain / 4
    if act.kind in ("tanh", "identity"):
        return 1.0
    raise ValueError(f"no derivative bound for activation {act.kind!r}; valid: sigmoid, tanh, identity")


def step_jacobians(cell: Recurrent, history: Sequence[Tensor], x_t: Tensor) -> dict[int, Tensor]:
    """The analytic Jacobians of h_t with respect to h_{t-1} (key 1) and each h_{t-k} (key k).

    history: [h_0, ..., h_{t-1}], each (B, H); x_t: (B, I). Returns {lag: (B, H, H)}, row i = dh_t[i]/dh_{t-lag}.
    """
    t = len(history)
    z = F.linear(x_t, cell.U, cell.b) + history[-1] @ cell.W.t()  # (B, H)
    for k, M in zip(cell.delays, cell.M, strict=True):
        if t - k >= 0:
            z = z + history[t - k] @ M.t()
    d = activation_derivative(cell.act, z)  # (B, H)
    jac = {1: d.unsqueeze(-1) * cell.W}  # diag(f'(z)) W, (B, H, H)
    for k, M in zip(cell.delays, cell.M, strict=True):
        if t - k >= 0:
            jac[k] = d.unsqueeze(-1) * M
    return jac


def step_jacobian(cell: Recurrent, h_prev: Tensor, x_t: Tensor) -> Tensor:
    """diag(f'(W h_{t-1} + U x_t + b)) W, (B, H, H), for a cell without delayed connections."""
    if cell.delays:
        raise ValueError("a cell with delayed connections has one Jacobian per lag: use step_jacobians")
    return step_jacobians(cell, [h_prev], x_t)[1]


def log10_bound_curve(log10_g_T: float, T: int, a: float, b: Sequence[tuple[int, float]] = ()) -> Tensor:
    """log10 B_t for t = 1..T (float64; -inf where B_t = 0), from log10 B_T, a and the (k, b_k) of bound_curve.

    Without b it is the closed form log10 B_T + (T - t) log10 a; with b the recurrence is run on natural logs,
    ln B_t = logsumexp(ln a + ln B_{t+1}, ln b_k + ln B_{t+k}, ...), which never overflows.
    """
    if T < 1:
        raise ValueError(f"T must be >= 1, got {T}")
    if a < 0 or any(bk < 0 for _, bk in b):
        raise ValueError(f"a and every b_k must be >= 0 (they are norms), got a={a}, b={list(b)}")
    if not b:
        distance = torch.arange(T - 1, -1, -1, dtype=torch.float64)
        log10_a = math.log10(a) if a > 0 else -math.inf
        # distance 0 is B_T itself: written separately so that 0 * log10(0) never makes a nan
        return torch.where(distance > 0, log10_g_T + distance * log10_a, torch.tensor(log10_g_T, dtype=torch.float64))
    ln = [(1, math.log(a) if a > 0 else -math.inf)] + [(k, math.log(bk) if bk > 0 else -math.inf) for k, bk in b]
    L = [-math.inf] * (T + 2 + max(k for k, _ in b))  # ln B[t], -inf (B = 0) past T
    L[T] = log10_g_T * math.log(10)
    for t in range(T - 1, 0, -1):
        terms = [lc + L[t + k] for k, lc in ln]
        top = max(terms)
        L[t] = top if top == -math.inf else top + math.log(sum(math.exp(x - top) for x in terms))
    return torch.tensor(L[1 : T + 1], dtype=torch.float64) / math.log(10)


def bound_curve(g_T: float, T: int, a: float, b: Sequence[tuple[int, float]] = ()) -> Tensor:
    """B_t for t = 1..T (float64): B_T = g_T, B_t = a B_{t+1} + sum_k b_k B_{t+k}; with no b, g_T a^(T-t).

    inf where B_t is beyond float64's range (use log10_bound_curve for its value there).
    """
    if g_T < 0:
        raise ValueError(f"g_T is a norm and must be >= 0, got {g_T}")
    return 10 ** log10_bound_curve(math.log10(g_T) if g_T > 0 else -math.inf, T, a, b)


def _bound_rates(cell: Recurrent) -> tuple[float, list[tuple[int, float]]]:
    """a = gamma ||W||_2 and the (k, b_k = gamma ||M_k||_2) of the cell's bound."""
    gam = gamma(cell.act)
    a = gam * float(torch.linalg.matrix_norm(cell.W.detach().double(), ord=2))
    b = [(k, gam * float(torch.linalg.matrix_norm(M.detach().double(), ord=2)))
         for k, M in zip(cell.delays, cell.M, strict=True)]
    return a, b


def cell_bound(cell: Recurrent, g_T: float, T: int) -> Tensor:
    """The bound on ||dL/dh_t||, t = 1..T, for a loss reading h_T only, from the cell's own weights (inf where
    it overflows float64)."""
    return bound_curve(g_T, T, *_bound_rates(cell))


def cell_log10_bound(cell: Recurrent, g_T: float, T: int) -> Tensor:
    """log10 of cell_bound, finite where cell_bound overflows."""
    if g_T < 0:
        raise ValueError(f"g_T is a norm and must be >= 0, got {g_T}")
    return log10_bound_curve(math.log10(g_T) if g_T > 0 else -math.inf, T, *_bound_rates(cell))


def count_violations(norms: Tensor, bound: Tensor, rtol: float = 1e-9) -> int:
    """How many t have ||dL/dh_t|| above the bound beyond a relative float tolerance (an inf bound holds)."""
    return int((norms.double() > bound * (1 + rtol)).sum())


@dataclass(frozen=True)
class BoundConfig:
    trials: int = 1000  # random (W, U, b, x, h_0, readout) draws, each its own W
    T: int = 50  # sequence length, >= 2 (the bound is compared at t < T)
    hidden: int = 16  # H
    inputs: int = 4  # input size I
    act: str = "sigmoid"  # sigmoid (gamma = 1/4) or tanh (gamma = 1)
    w_norm: tuple[float, float] = (0.25, 8.0)  # ||W||_2 drawn log-uniformly in this range (above 4 included)
    seed: int = 0  # seeds every draw


@dataclass(frozen=True)
class BoundReport:
    config: BoundConfig
    violations: int  # (trial, t) pairs with ||dL/dh_t|| > bound (relative tolerance 1e-9, float64)
    max_ratio: float  # max over trials and t < T of actual / bound (1 would be tight)
    median_ratio: float  # median of the same ratios
    w_norms: Tensor  # (trials,) ||W||_2 of each trial, float64, measured on the rescaled W
    ratio_by_distance: Tensor  # (T,) median actual / bound at distance T - t = 0..T-1
    checked: int  # (trial, t) pairs compared

    def to_dict(self) -> dict[str, Any]:
        return {"act": self.config.act, "trials": self.config.trials, "T": self.config.T,
                "hidden": self.config.hidden, "checked": self.checked, "violations": self.violations,
                "max_ratio": self.max_ratio, "median_ratio": self.median_ratio,
                "median_ratio_one_step": float(self.ratio_by_distance[1]),
                "w_norm_max": float(self.w_norms.max()), "trials_w_norm_above_4": int((self.w_norms > 4).sum())}


def check_bound(config: BoundConfig) -> BoundReport:
    """Check ||dL/dh_t|| <= ||dL/dh_T|| (gamma ||W||_2)^(T-t) on `trials` random cells, in float64."""
    if config.trials < 1 or config.hidden < 1:
        raise ValueError(f"trials and hidden must be >= 1, got {config.trials}, {config.hidden}")
    if config.T < 2:
        raise ValueError(f"T must be >= 2 (the bound is compared at t < T; at t = T it is the norm itself), "
                         f"got {config.T}")
    lo, hi = config.w_norm
    if not 0 < lo <= hi:
        raise ValueError(f"w_norm range must satisfy 0 < lo <= hi, got {config.w_norm}")
    act = Activation(config.act)
    gen = torch.Generator().manual_seed(config.seed)
    H, n_in, T = config.hidden, config.inputs, config.T
    cell = Recurrent(n_in, H, act, batch_first=True).double()
    ratios, w_norms, violations = [], [], 0
    for _ in range(config.trials):
        target = lo * (hi / lo) ** float(torch.rand((), generator=gen, dtype=torch.float64))
        W = torch.randn(H, H, generator=gen, dtype=torch.float64)
        with torch.no_grad():
            cell.W.copy_(W * (target / torch.linalg.matrix_norm(W, ord=2)))
            cell.U.copy_(torch.randn(H, n_in, generator=gen, dtype=torch.float64))
            assert cell.b is not None
            cell.b.copy_(torch.randn(H, generator=gen, dtype=torch.float64))
        x = torch.randn(1, T, n_in, generator=gen, dtype=torch.float64)
        h0 = act(torch.randn(1, H, generator=gen, dtype=torch.float64))
        v = torch.randn(H, generator=gen, dtype=torch.float64)
        norms = probe(cell, x, linear_readout(v), h0).norms[0]  # (T,)
        bound = cell_bound(cell, float(norms[-1]), T)
        violations += count_violations(norms, bound)
        ratio = torch.where(bound > 0, norms / bound.clamp_min(torch.finfo(bound.dtype).tiny), 0.0)
        ratios.append(ratio.flip(0))  # by distance T - t
        w_norms.append(float(torch.linalg.matrix_norm(cell.W.detach(), ord=2)))
    r = torch.stack(ratios)  # (trials, T)
    far = r[:, 1:].flatten()  # t < T
    return BoundReport(config, violations, float(far.max()), float(far.median()),
                       torch.tensor(w_norms, dtype=torch.float64),
                       r.median(dim=0).values, int(far.numel()))


def plot_tightness(ax: Axes, reports: Sequence[BoundReport]) -> list[Any]:
    """Median actual / bound against the distance T - t (log scale), one line per activation."""
    artists: list[Any] = []
    for r in reports:
        d = torch.arange(r.config.T)
        ok = r.ratio_by_distance > 0
        artists += ax.plot(d[ok], r.ratio_by_distance[ok].log10(), lw=2,
                           label=f"{r.config.act} (gamma = {gamma(Activation(r.config.act)):g}): "
                                 f"{r.violations} violations in {r.checked} pairs")
    ax.axhline(0, color="black", ls="--", lw=1, label="actual = bound")
    ax.set_xlabel("distance T - t (steps)")
    ax.set_ylabel("log10 median ||dL/dh_t|| / bound")
    n = reports[0].config.trials if reports else 0
    held = "holds on all" if not any(r.violations for r in reports) else "is VIOLATED on some of the"
    one_step = ", ".join(f"{r.config.act} {float(r.ratio_by_distance[1]):.2g}" for r in reports)
    ax.set_title(f"The bound {held} {n} random cells per activation;\n"
                 f"median actual/bound one step back: {one_step}, then it falls geometrically")
    ax.legend()
    ax.grid(True, alpha=0.3)
    return artists
