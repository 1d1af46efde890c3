"""Backpropagation through time written out by hand, both paths of the skip connection (SPEC S4).

For h_{t+1} = f(W h_t + M h_{t-1} + U x_{t+1} + b) (delay k = 2; any k here) the total derivative is

    dL/dh_t = d+L/dh_t + dL/dh_{t+1} diag(f'(z_{t+1})) W + dL/dh_{t+k} diag(f'(z_{t+k})) M,

d+L/dh_t the direct term. Through M some paths from T back to t take about (T-t)/k steps instead of T-t,
so the gradient decays more slowly, though still exponentially (Lin, Horne, Tino & Giles 1996).
Two references the probe is checked against: this autograd-free loop, and autograd on the unrolled graph.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from rnnlab.core.recurrence import Recurrent, unroll
from rnnlab.dynamics.jacobian import step_jacobians


def bptt_by_hand(cell: Recurrent, x: Tensor, h: Tensor, direct: Tensor, h0: Tensor | None = None) -> Tensor:
    """dL/dh_t for t = 0..T from the equation above, newest first.

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
        for lag in (1, *cell.delays):  # the later states that read h_t directly: h_{t+1} and h_{t+k}
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
