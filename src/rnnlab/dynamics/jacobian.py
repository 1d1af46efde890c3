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
from collections.abc import Callable, Sequence
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
class JacobianCheck:
    """The analytic step Jacobian diag(f'(W h + U x + b)) W against autograd's on random cells (SPEC S3)."""

    cells: int  # random sigmoid cells checked
    hidden: int  # H
    w_norms: list[float]  # ||W||_2 of each cell (log-spaced up to 8: beyond 4 too, where the bound exceeds 1)
    max_abs_diff: float  # max over cells and entries of |analytic - autograd|
    max_abs_entry: float  # max |entry| of autograd's Jacobians: the scale the difference is read against

    def to_dict(self) -> dict[str, Any]:
        return {"cells": self.cells, "hidden": self.hidden, "w_norms": self.w_norms,
                "max_abs_diff_vs_autograd": self.max_abs_diff, "max_abs_entry": self.max_abs_entry}


JacobianFn = Callable[[Recurrent, Tensor, Tensor], Tensor]  # (cell, h_prev (B, H), x_t (B, I)) -> (B, H, H)


def check_jacobian(cells: int = 5, hidden: int = 8, inputs: int = 3, seed: int = 0,
                   jacobian: JacobianFn = step_jacobian) -> JacobianCheck:
    """Compare `jacobian` (the closed form by default) with autograd on `cells` random sigmoid cells, float64.

    Cell i has ||W||_2 log-spaced from 0.5 to 8, a random state h in (0, 1)^H and input x ~ N(0, 1)."""
    if cells < 1 or hidden < 1 or inputs < 1:
        raise ValueError(f"cells, hidden and inputs must be >= 1, got {cells}, {hidden}, {inputs}")
    from rnnlab.core.activations import sigmoid

    gen = torch.Generator().manual_seed(seed)
    cell = Recurrent(inputs, hidden, sigmoid(), batch_first=True).double()
    worst, scale, norms = 0.0, 0.0, []
    for i in range(cells):
        target = 0.5 * 16 ** (i / max(1, cells - 1))  # 0.5 .. 8
        W = torch.randn(hidden, hidden, generator=gen, dtype=torch.float64)
        with torch.no_grad():
            cell.W.copy_(W * (target / torch.linalg.matrix_norm(W, ord=2)))
            cell.U.copy_(torch.randn(hidden, inputs, generator=gen, dtype=torch.float64))
            assert cell.b is not None
            cell.b.copy_(torch.randn(hidden, generator=gen, dtype=torch.float64))
        h = torch.rand(1, hidden, generator=gen, dtype=torch.float64)
        x = torch.randn(1, inputs, generator=gen, dtype=torch.float64)
        auto = torch.autograd.functional.jacobian(lambda hp, xt=x: cell.step(xt, hp)[0], h)[:, 0]  # (H, H)
        worst = max(worst, float((jacobian(cell, h, x)[0].detach() - auto).abs().max()))
        scale = max(scale, float(auto.abs().max()))
        norms.append(float(torch.linalg.matrix_norm(cell.W.detach(), ord=2)))
    return JacobianCheck(cells, hidden, norms, worst, scale)


@dataclass(frozen=True)
class BoundConfig:
    trials: int = 1000  # random (W, U, b, x, h_0, readout) draws, each its own W
    T: int = 50  # sequence length, >= 2 (the bound is compared at t < T)
    hidden: int = 16  # H
    inputs: int = 4  # input size I
    act: str = "sigmoid"  # sigmoid (gamma = 1/4) or tanh (gamma = 1)
    w_norm: tuple[float, float] = (0.25, 8.0)  # ||W||_2 drawn log-uniformly in this range (above 4 included)
    seed: int = 0  # seeds every draw
    # extra trials built to sit on the bound: x = 0, b = -W f(0) and h_0 = f(0) + 1e-9 noise keep every
    # pre-activation near 0, where f' = gamma; W symmetric with gamma ||W||_2 in [0.5, 1.1] and the readout its
    # top eigenvector, so ||dL/dh_t|| is close to ||dL/dh_T|| (gamma ||W||_2)^(T-t) itself
    adversarial: int = 100


@dataclass(frozen=True)
class BoundReport:
    config: BoundConfig
    violations: int  # (trial, t) pairs with ||dL/dh_t|| > bound (relative tolerance 1e-9, float64)
    max_ratio: float  # max over trials and t < T of actual / bound (1 would be tight)
    median_ratio: float  # median of the same ratios
    w_norms: Tensor  # (trials + adversarial,) ||W||_2 of each trial, float64, measured on the rescaled W
    ratio_by_distance: Tensor  # (T,) median actual / bound at distance T - t = 0..T-1
    checked: int  # (trial, t) pairs compared
    max_ratio_by_distance: Tensor  # (T,) max actual / bound at distance T - t over all trials
    adversarial_max_ratio: float  # max actual / bound (t < T) over the adversarial trials (nan if none)
    gamma_factor: float = 1.0  # the bound was computed with gamma times this (1: the true bound)

    def to_dict(self) -> dict[str, Any]:
        return {"act": self.config.act, "trials": self.config.trials, "adversarial": self.config.adversarial,
                "T": self.config.T, "hidden": self.config.hidden, "checked": self.checked,
                "violations": self.violations, "max_ratio": self.max_ratio, "median_ratio": self.median_ratio,
                "adversarial_max_ratio": self.adversarial_max_ratio,
                "median_ratio_one_step": float(self.ratio_by_distance[1]),
                "w_norm_min": float(self.w_norms.min()), "w_norm_max": float(self.w_norms.max()),
                "trials_w_norm_above_4": int((self.w_norms > 4).sum()), "gamma_factor": self.gamma_factor}


def _fill_trial(cell: Recurrent, gen: torch.Generator, target: float, adversarial: bool, T: int
                ) -> tuple[Tensor, Tensor, Tensor]:
    """Set the cell's weights for one trial; returns its input x (1, T, I), h_0 (1, H) and readout v (H,)."""
    H, n_in = cell.hidden_size, cell.input_size
    assert cell.b is not None
    with torch.no_grad():
        if not adversarial:
            W = torch.randn(H, H, generator=gen, dtype=torch.float64)
            cell.W.copy_(W * (target / torch.linalg.matrix_norm(W, ord=2)))
            cell.U.copy_(torch.randn(H, n_in, generator=gen, dtype=torch.float64))
            cell.b.copy_(torch.randn(H, generator=gen, dtype=torch.float64))
            x = torch.randn(1, T, n_in, generator=gen, dtype=torch.float64)
            h0 = cell.act(torch.randn(1, H, generator=gen, dtype=torch.float64))
            return x, h0, torch.randn(H, generator=gen, dtype=torch.float64)
        Q, _ = torch.linalg.qr(torch.randn(H, H, generator=gen, dtype=torch.float64))
        lam = torch.rand(H, generator=gen, dtype=torch.float64) * 2 - 1
        lam = lam * (target / lam.abs().max())  # ||W||_2 = max |lambda| = target
        cell.W.copy_(Q @ torch.diag(lam) @ Q.t())
        fixed = cell.act(torch.zeros(1, H, dtype=torch.float64))  # f(0): 1/2 for sigmoid, 0 for tanh
        cell.U.zero_()
        cell.b.copy_(-(fixed @ cell.W.t())[0])  # z_t = W (h_{t-1} - f(0)) stays near 0
        h0 = fixed + 1e-9 * torch.randn(1, H, generator=gen, dtype=torch.float64)
        return torch.zeros(1, T, n_in, dtype=torch.float64), h0, Q[:, int(lam.abs().argmax())].clone()


def check_bound(config: BoundConfig, gamma_factor: float = 1.0) -> BoundReport:
    """Check ||dL/dh_t|| <= ||dL/dh_T|| (gamma ||W||_2)^(T-t) on `trials` random cells and `adversarial` cells
    built to sit on it, in float64. gamma_factor != 1 checks a deliberately wrong bound (tests use 0.8: gamma
    20% too small must be caught)."""
    if config.trials < 1 or config.hidden < 1 or config.adversarial < 0:
        raise ValueError(f"trials and hidden must be >= 1 and adversarial >= 0, got {config.trials}, "
                         f"{config.hidden}, {config.adversarial}")
    if config.T < 2:
        raise ValueError(f"T must be >= 2 (the bound is compared at t < T; at t = T it is the norm itself), "
                         f"got {config.T}")
    lo, hi = config.w_norm
    if not 0 < lo <= hi:
        raise ValueError(f"w_norm range must satisfy 0 < lo <= hi, got {config.w_norm}")
    act = Activation(config.act)
    gam = gamma(act)
    gen = torch.Generator().manual_seed(config.seed)
    H, n_in, T = config.hidden, config.inputs, config.T
    cell = Recurrent(n_in, H, act, batch_first=True).double()
    ratios, w_norms, violations = [], [], 0
    for trial in range(config.trials + config.adversarial):
        adversarial = trial >= config.trials
        a_lo, a_hi = (0.5 / gam, 1.1 / gam) if adversarial else (lo, hi)
        target = a_lo * (a_hi / a_lo) ** float(torch.rand((), generator=gen, dtype=torch.float64))
        x, h0, v = _fill_trial(cell, gen, target, adversarial, T)
        norms = probe(cell, x, linear_readout(v), h0).norms[0]  # (T,)
        a, b = _bound_rates(cell)
        bound = bound_curve(float(norms[-1]), T, a * gamma_factor, [(k, bk * gamma_factor) for k, bk in b])
        violations += count_violations(norms, bound)
        ratio = torch.where(bound > 0, norms / bound.clamp_min(torch.finfo(bound.dtype).tiny), 0.0)
        ratios.append(ratio.flip(0))  # by distance T - t
        w_norms.append(float(torch.linalg.matrix_norm(cell.W.detach(), ord=2)))
    r = torch.stack(ratios)  # (trials + adversarial, T)
    far = r[:, 1:].flatten()  # t < T
    adv = r[config.trials:, 1:]
    return BoundReport(config, violations, float(far.max()), float(far.median()),
                       torch.tensor(w_norms, dtype=torch.float64), r.median(dim=0).values, int(far.numel()),
                       r.max(dim=0).values, float(adv.max()) if adv.numel() else math.nan, gamma_factor)


def plot_tightness(ax: Axes, reports: Sequence[BoundReport]) -> list[Any]:
    """The largest and the median actual / bound against the distance T - t (log scale), per activation.

    The bound is an upper bound, so the largest ratio is what matters: it must stay at or below 1."""
    artists: list[Any] = []
    colors = {"sigmoid": "tab:blue", "tanh": "tab:orange"}
    for i, r in enumerate(reports):
        d = torch.arange(r.config.T)
        name = f"{r.config.act} (gamma = {gamma(Activation(r.config.act)):g})"
        for series, style, what in ((r.max_ratio_by_distance, "-", "max"), (r.ratio_by_distance, ":", "median")):
            ok = series > 0
            lw = 4 - 2 * i if what == "max" else 2  # max lines that coincide stay visible: the first one wider
            artists += ax.plot(d[ok], series[ok].log10(), style, lw=lw, color=colors.get(r.config.act),
                               label=f"{name}, {what}" + (f": {r.violations} violations" if what == "max" else ""))
    ax.axhline(0, color="black", ls="--", lw=1, label="actual = bound", zorder=3)
    ax.set_xlabel("distance T - t (steps)")
    ax.set_ylabel("log10 ||dL/dh_t|| / bound")
    n = sum(r.config.trials + r.config.adversarial for r in reports[:1])
    held = "never exceeds" if not any(r.violations for r in reports) else "EXCEEDS"
    top = max((r.max_ratio for r in reports), default=math.nan)
    ax.set_title(f"Over {n} cells per activation the largest ratio {held} 1\n"
                 f"(max {top:.4f}: cells built to sit at f' = gamma reach the bound)")
    ax.legend(fontsize="small")
    ax.grid(True, alpha=0.3)
    return artists
