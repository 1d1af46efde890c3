"""The regulariser Omega of Pascanu, Mikolov & Bengio 2013 (Section 3.3, Eq. 9), against vanishing gradients.

    Omega = mean over (k, sequence) of ( ||dE/dh_{k+1} dh_{k+1}/dh_k|| / ||dE/dh_{k+1}|| - 1 )^2

It pushes each step's Jacobian to keep the norm of the error signal in the direction that signal has. With
h_{k+1} = f(W h_k + U x_{k+1} + b) and row vectors, dE/dh_{k+1} dh_{k+1}/dh_k = (dE/dh_{k+1} * f'(z_{k+1})) W.

Choices, against the paper and the authors' code (github.com/pascanur/trainingRNNs, RNN.py):
- The ratio of norms, as Eq. 9 writes it (the code compares squared norms; both are 0 at the same place).
- A mean over the (k, sequence) pairs whose ||dE/dh_{k+1}||^2 is at least 1e-20, as the code normalises
  (Eq. 9 sums over k): the weight then does not scale with the length or the batch.
- The weight: 4, as Section 4.1.1 states for the temporal-order experiments ("the regularization weight was
  fixed to 4"); the code's alpha = 2 is the default of its example script, which is set up for another task
  (memorization).
- dE/dh_{k+1} is a constant when differentiating Omega, as the paper says; the gradient still reaches every
  weight through f'(z_{k+1}) and the states (the code keeps only Omega's direct dependence on W).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from rnnlab.core.activations import Activation
from rnnlab.core.recurrence import Recurrent, recur

DEFAULT_OMEGA_WEIGHT = 4.0  # the paper's weight for its synthetic tasks (Sec. 4.1.1; module docstring)
OMEGA_MIN_SQ_NORM = 1e-20  # pairs with ||dE/dh_{k+1}||^2 under this are left out (the code's state['bound'])


def omega(states: Tensor, dh: Tensor, W: Tensor, act: Activation) -> Tensor:
    """Omega per model, (S,), from states h_1..h_T (T, S, B, H), the totals dE/dh_t (T, S, B, H) and W (S, H, H).

    dh is detached here: the paper holds dE/dh_{k+1} constant when it differentiates Omega.
    """
    g = dh.detach()
    v = torch.einsum("tsbi,sij->tsbj", g * act.derivative(states), W)  # (dE/dh_{k+1} * f') W, (T, S, B, H)
    g_sq = g.square().sum(dim=3)  # (T, S, B)
    keep = g_sq >= OMEGA_MIN_SQ_NORM
    ratio = v.square().sum(dim=3).sqrt() / torch.where(keep, g_sq, 1.0).sqrt()
    terms = torch.where(keep, (ratio - 1).square(), 0.0)
    count = keep.sum(dim=(0, 2)).clamp(min=1)  # (S,)
    return terms.sum(dim=(0, 2)) / count


def omega_backward(rnn: Recurrent, readout: nn.Linear, x: Tensor, y: Tensor,
                   loss_fn: Callable[[Tensor, Tensor], Tensor], weight: float) -> tuple[Tensor, Tensor]:
    """Backpropagate E + weight * Omega of one model (a batch-first Recurrent without delays and its readout of
    h_T) into the .grad of its parameters; returns (E, Omega), detached.

    Two passes: E's backward yields every dE/dh_t (the recurrence's totals), then Omega's own backward.
    """
    if rnn.delays:
        raise ValueError("Omega is defined for cells without delayed connections (sigmoid, tanh)")
    xu = F.linear(x, rnn.U, rnn.b).transpose(0, 1)  # (T, B, H)
    totals: list[Tensor] = []
    hs = recur(xu, xu.new_zeros(xu.shape[1:]), rnn.W, rnn.act, grad_hook=totals.append)  # (T, B, H)
    loss = loss_fn(readout(hs[-1]), y)
    loss.backward(retain_graph=True)
    om = omega(hs.unsqueeze(1), totals[0].unsqueeze(1), rnn.W.unsqueeze(0), rnn.act)[0]
    (weight * om).backward()
    return loss.detach(), om.detach()
