"""The initialisations of Pascanu, Mikolov & Bengio 2013 (Section 4.1), as the authors' code draws them.

From github.com/pascanur/trainingRNNs, RNN.py: 0.01 and 0.1 are standard deviations (rng.normal(scale=...)).
sigmoid: U, W and the readout ~ N(0, 0.01); basic tanh: all three ~ N(0, 0.1); smart tanh: U and the readout
~ N(0, 0.01), W ~ N(0, 0.01) with all but 15 randomly chosen weights of each unit's row of their W_hh set to 0,
then rescaled to spectral radius 0.95. Biases start at 0. Their W_hh acts on row vectors (h W_hh), so their
rows are the columns of rnnlab's W (z = W h): each unit keeps 15 outgoing recurrent weights.
"""

from __future__ import annotations

import torch
from torch import nn

from rnnlab.core.recurrence import Recurrent

INITS = {"sigmoid": ("sigmoid", 0.01), "tanh": ("tanh", 0.1), "tanh_smart": ("tanh", 0.01)}  # cell, std
SMART_NONZEROS = 15  # recurrent weights kept per unit (smart tanh)
SMART_RADIUS = 0.95  # spectral radius of W after rescaling (smart tanh)


def sparse_recurrent(hidden: int, std: float, nonzeros: int, radius: float, gen: torch.Generator) -> torch.Tensor:
    """(H, H) W for z = W h: N(0, std) weights, `nonzeros` kept per column (a unit's outgoing weights), at the
    given spectral radius."""
    if not 1 <= nonzeros <= hidden:
        raise ValueError(f"nonzeros must be in [1, {hidden}], got {nonzeros}")
    W_hh = torch.randn(hidden, hidden, generator=gen, dtype=torch.float64) * std  # their layout: h W_hh
    for row in W_hh:
        row[torch.randperm(hidden, generator=gen)[nonzeros:]] = 0.0
    rho = torch.linalg.eigvals(W_hh).abs().max()
    return (radius * W_hh / rho).t().contiguous()


@torch.no_grad()
def init_weights(rnn: Recurrent, readout: nn.Linear, init: str, gen: torch.Generator) -> None:
    """Overwrite a freshly built cell and readout with the paper's initialisation `init` (one of INITS)."""
    if init not in INITS:
        raise ValueError(f"unknown initialisation {init!r}; valid: {', '.join(INITS)}")
    if rnn.delays or rnn.act.kind != INITS[init][0]:
        raise ValueError(f"initialisation {init!r} is for a plain {INITS[init][0]} cell")
    std = INITS[init][1]
    dtype = rnn.W.dtype
    for p in (rnn.U, rnn.W, readout.weight):
        p.copy_(torch.randn(p.shape, generator=gen, dtype=torch.float64).mul_(std).to(dtype))
    if init == "tanh_smart":
        rnn.W.copy_(sparse_recurrent(rnn.hidden_size, std, SMART_NONZEROS, SMART_RADIUS, gen).to(dtype))
    for b in (rnn.b, readout.bias):
        if b is not None:
            b.zero_()
