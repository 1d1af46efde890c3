"""Backpropagation through time written out by hand, both paths of the skip connection (SPEC S4).

For h_{t+1} = f(W h_t + M h_{t-1} + U x_{t+1} + b) (delay k = 2; any k here) the total derivative is

    dL/dh_t = d+L/dh_t + dL/dh_{t+1} diag(f'(z_{t+1})) W + dL/dh_{t+k} diag(f'(z_{t+k})) M,

d+L/dh_t the direct term. Through M some paths from T back to t take about (T-t)/k steps instead of T-t,
so the gradient decays more slowly, though still exponentially (Lin, Horne, Tino & Giles 1996).
Two references the probe is checked against: this autograd-free loop, and autograd on the unrolled graph.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

from rnnlab.core.activations import sigmoid
from rnnlab.core.recurrence import Recurrent, unroll
from rnnlab.dynamics.jacobian import step_jacobians
from rnnlab.dynamics.probe import linear_readout, probe


def bptt_by_hand(cell: Recurrent, x: Tensor, h: Tensor, direct: Tensor, h0: Tensor | None = None,
                 lags: Sequence[int] | None = None) -> Tensor:
    """dL/dh_t for t = 0..T from the equation above, newest first; `lags` keeps only those paths (default all:
    1 for W and each delay k for M_k), so (1,) is the gradient the W path alone would carry.

    x: (B, T, I); h: (B, T, H), the states h_1..h_T of the cell on x; direct: (B, T, H), d+L/dh_t for
    t = 1..T (e.g. zeros except v at t = T for a readout of h_T). Returns (B, T + 1, H): index 0 is dL/dh_0.
    """
    B, T, _ = x.shape
    states = [torch.zeros(B, cell.hidden_size, dtype=x.dtype) if h0 is None else h0] + list(h.unbind(1))
    # J[s][lag] = dh_s/dh_{s-lag}, (B, H, H), from the closed form diag(f'(z_s)) W or diag(f'(z_s)) M_k.
    J = {s: step_jacobians(cell, states[:s], x[:, s - 1]) for s in range(1, T + 1)}
    g = [torch.zeros(B, cell.hidden_size, dtype=x.dtype) for _ in range(T + 1)]  # g[t] = dL/dh_t
    for t in range(T, -1, -1):
        total = direct[:, t - 1].clone() if t >= 1 else torch.zeros_like(g[0])  # (B, H)
        # the later states that read h_t directly: h_{t+1} and h_{t+k}
        for lag in (1, *cell.delays) if lags is None else lags:
            s = t + lag
            if s <= T and lag in J[s]:
                total = total + torch.einsum("bi,bij->bj", g[s], J[s][lag])  # row vector times Jacobian
        g[t] = total
    return torch.stack(g, dim=1)


def bptt_by_autograd(cell: Recurrent, x: Tensor, direct: Tensor, h0: Tensor | None = None) -> Tensor:
    """The same dL/dh_t, t = 0..T, by autograd on the op-by-op graph (`unroll`), for L = sum_t direct_t . h_t.

    That loss has exactly the direct terms d+L/dh_t = direct[:, t-1]. Shapes as in `bptt_by_hand`.
    """
    B = x.shape[0]
    start = torch.zeros(B, cell.hidden_size, dtype=x.dtype) if h0 is None else h0.detach()
    start.requires_grad_(True)
    hs = unroll(F.linear(x, cell.U, cell.b).unbind(1), start, cell.W, cell.act,
                list(zip(cell.delays, cell.M, strict=True)))
    for h in hs:
        h.retain_grad()  # each h_t is its own node here, so its grad is the total derivative
    torch.stack([(h * d).sum() for h, d in zip(hs, direct.unbind(1), strict=True)]).sum().backward()
    grads = [start.grad] + [h.grad if h.grad is not None else torch.zeros_like(h) for h in hs]
    return torch.stack(grads, dim=1)  # type: ignore[arg-type]


@dataclass(frozen=True)
class TwoPathsCheck:
    """dL/dh_t by hand (both paths) against autograd and against the probe, on random skip cells (SPEC S4)."""

    cells: int  # random skip cells checked
    T: int  # sequence length
    hidden: int  # H
    delay: int  # k of M h_{t-k}
    max_abs_diff_by_hand: float  # max |by hand - autograd| over cells, t and units
    max_abs_diff_probe: float  # max |probe (the recurrence's own backward) - autograd|
    min_m_path_share: float  # min over cells of ||dL/dh_1 - (W path alone)|| / ||dL/dh_1||: what M carries

    def to_dict(self) -> dict[str, Any]:
        return {"cells": self.cells, "T": self.T, "hidden": self.hidden, "delay": self.delay,
                "max_abs_diff_by_hand": self.max_abs_diff_by_hand, "max_abs_diff_probe": self.max_abs_diff_probe,
                "min_m_path_share": self.min_m_path_share}


Bptt = Callable[..., Tensor]  # bptt_by_hand's signature


def check_two_paths(cells: int = 3, T: int = 12, hidden: int = 8, delay: int = 2, seed: int = 0,
                    m_scale: float = 1.0, bptt: Bptt = bptt_by_hand) -> TwoPathsCheck:
    """Check `bptt` (the equation above by default) on `cells` random skip cells (nn.RNN's init, M scaled by
    m_scale; 0 removes the M path) for L = v . h_T, in float64, and measure how much gradient the M path carries
    back to h_1."""
    if cells < 1 or T < delay or hidden < 1:
        raise ValueError(f"cells and hidden must be >= 1 and T >= delay, got {cells}, {T}, {hidden}")
    worst_hand, worst_probe, share = 0.0, 0.0, float("inf")
    for i in range(cells):
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed + i)
            cell = Recurrent(4, hidden, sigmoid(), delays=[delay], batch_first=True).double()
        with torch.no_grad():
            cell.M[0].mul_(m_scale)
        gen = torch.Generator().manual_seed(seed + i)
        x = torch.randn(1, T, 4, generator=gen, dtype=torch.float64)
        v = torch.randn(hidden, generator=gen, dtype=torch.float64)
        probed = probe(cell, x, linear_readout(v))
        direct = torch.zeros_like(probed.h)
        direct[:, -1] = v
        with torch.no_grad():
            by_hand = bptt(cell, x, probed.h, direct)[:, 1:]  # (1, T, H) for t = 1..T
            w_only = bptt_by_hand(cell, x, probed.h, direct, lags=(1,))[:, 1:]
        auto = bptt_by_autograd(cell, x, direct)[:, 1:].detach()
        worst_hand = max(worst_hand, float((by_hand - auto).abs().max()))
        worst_probe = max(worst_probe, float((probed.grads - auto).abs().max()))
        share = min(share, float((auto[:, 0] - w_only[:, 0]).norm() / auto[:, 0].norm()))
    return TwoPathsCheck(cells, T, hidden, delay, worst_hand, worst_probe, share)
