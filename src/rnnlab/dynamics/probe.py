"""The gradient probe: ||dL/dh_t|| for every t from ONE backward pass (SPEC S3, S4).

nn.RNN's `output` gradient holds only the direct term dL/dh_t of a loss that reads h_t itself, not the
total derivative through h_{t+1}, h_{t+2}, ...; so the probe steps the model through time itself and
keeps every h_t as a node of the graph. For rnnlab's `Recurrent` it runs the core `recur`; for
torch.nn.RNN / GRU / LSTM it steps the module's own weights with the matching nn.*Cell
(torch.func.functional_call), so gradients still reach the module's parameters.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.func import functional_call

from rnnlab.core.recurrence import Recurrent, recur

Loss = Callable[[Sequence[Tensor]], Tensor]  # [h_1, ..., h_T] -> scalar loss


@dataclass(frozen=True)
class Trajectory:
    """The states of one run, each a node of the autograd graph."""

    h: list[Tensor]  # [h_1, ..., h_T], each (B, H)
    c: list[Tensor] | None = None  # LSTM only: the memory cells c_1..c_T, each (B, H)


@dataclass(frozen=True)
class Probe:
    """What one probe measured."""

    grads: Tensor  # (B, T, H): dL/dh_t, the total derivative, for t = 1..T
    loss: float  # the value of L
    h: Tensor  # (B, T, H): the states h_1..h_T (detached)

    @property
    def norms(self) -> Tensor:
        """(B, T): ||dL/dh_t|| for each sequence of the batch."""
        return self.grads.norm(dim=-1)


def _single_layer(rnn: nn.RNNBase) -> None:
    if rnn.num_layers != 1 or rnn.bidirectional or rnn.proj_size:
        raise ValueError(
            f"the probe steps one-layer, unidirectional modules without projection; got num_layers={rnn.num_layers},"
            f" bidirectional={rnn.bidirectional}"
        )


def _cell_for(rnn: nn.RNNBase) -> tuple[nn.Module, dict[str, Tensor]]:
    """The nn.*Cell that computes one step of `rnn`, and `rnn`'s own weights under the cell's names."""
    _single_layer(rnn)
    kwargs = {"bias": rnn.bias, "device": "meta"}  # only the cell's structure is needed: the weights are rnn's
    cell: nn.Module
    if isinstance(rnn, nn.LSTM):
        cell = nn.LSTMCell(rnn.input_size, rnn.hidden_size, **kwargs)  # type: ignore[arg-type]
    elif isinstance(rnn, nn.GRU):
        cell = nn.GRUCell(rnn.input_size, rnn.hidden_size, **kwargs)  # type: ignore[arg-type]
    elif isinstance(rnn, nn.RNN):
        cell = nn.RNNCell(rnn.input_size, rnn.hidden_size, nonlinearity=rnn.nonlinearity, **kwargs)  # type: ignore[arg-type]
    else:
        raise ValueError(f"no probe for {type(rnn).__name__}; valid: Recurrent, nn.RNN, nn.GRU, nn.LSTM")
    names = ["weight_ih", "weight_hh"] + (["bias_ih", "bias_hh"] if rnn.bias else [])
    weights = {name: getattr(rnn, f"{name}_l0") for name in names}
    return cell, weights


def trajectory(model: nn.Module, x: Tensor, h0: Tensor | None = None) -> Trajectory:
    """Run `model` over x (B, T, I), batch first whatever the module's layout, keeping every h_t in the graph.

    h0: (B, H), zeros when omitted (for an LSTM, c_0 = 0 too).
    """
    if x.dim() != 3:
        raise ValueError(f"x must be (B, T, I), got shape {tuple(x.shape)}")
    B = x.shape[0]
    if isinstance(model, Recurrent):
        h = x.new_zeros(B, model.hidden_size) if h0 is None else h0
        xu = F.linear(x, model.U, model.b).unbind(1)  # T tensors of (B, H)
        return Trajectory(recur(xu, h, model.W, model.act, list(zip(model.delays, model.M, strict=True))))
    if not isinstance(model, nn.RNNBase):
        raise ValueError(f"no probe for {type(model).__name__}; valid: Recurrent, nn.RNN, nn.GRU, nn.LSTM")
    cell, weights = _cell_for(model)
    h = x.new_zeros(B, model.hidden_size) if h0 is None else h0
    hs: list[Tensor] = []
    if isinstance(model, nn.LSTM):
        c = torch.zeros_like(h)
        cs: list[Tensor] = []
        for x_t in x.unbind(1):
            h, c = functional_call(cell, weights, (x_t, (h, c)))
            hs.append(h)
            cs.append(c)
        return Trajectory(hs, cs)
    for x_t in x.unbind(1):
        h = functional_call(cell, weights, (x_t, h))
        hs.append(h)
    return Trajectory(hs)


def linear_readout(v: Tensor) -> Loss:
    """L = sum over the batch of v . h_T: a fixed linear readout of the last state, so dL/dh_T = v."""

    def loss(h: Sequence[Tensor]) -> Tensor:
        return (h[-1] @ v).sum()

    return loss


def probe(model: nn.Module, x: Tensor, loss_fn: Loss, h0: Tensor | None = None) -> Probe:
    """||dL/dh_t|| for t = 1..T from one backward pass; the parameters' .grad fill as in training.

    x: (B, T, I); loss_fn maps [h_1..h_T] to a scalar. retain_grad keeps each intermediate dL/dh_t,
    which autograd computes anyway on its way to the weights (the total derivative through every path).
    """
    traj = trajectory(model, x, h0)
    for h in traj.h:
        h.retain_grad()
    loss = loss_fn(traj.h)
    loss.backward()
    grads = torch.stack([h.grad if h.grad is not None else torch.zeros_like(h) for h in traj.h], dim=1)  # (B, T, H)
    return Probe(grads, float(loss.detach()), torch.stack([h.detach() for h in traj.h], dim=1))
