"""The gradient probe: ||dL/dh_t|| for every t from ONE backward pass (SPEC S3, S4).

nn.RNN's `output` gradient holds only the direct term dL/dh_t of a loss that reads h_t itself, not the
total derivative through h_{t+1}, h_{t+2}, ...; so the probe steps the model through time itself and
keeps every h_t as a node of the graph. For rnnlab's `Recurrent` it runs the core `recur`, whose
hand-written backward pass hands over the totals dL/dh_t it computes anyway; for
torch.nn.RNN / GRU / LSTM it steps the module's own weights with the matching nn.*Cell
(torch.func.functional_call), so gradients still reach the module's parameters.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.func import functional_call

from rnnlab.core.recurrence import Recurrent, recur

Loss = Callable[[Sequence[Tensor]], Tensor]  # [h_1, ..., h_T] -> scalar loss


@dataclass(frozen=True)
class Trajectory:
    """The states of one run, in the autograd graph; after a backward pass, `total_grads` holds every dL/dh_t."""

    h: list[Tensor]  # [h_1, ..., h_T], each (B, H)
    c: list[Tensor] | None = None  # LSTM only: the memory cells c_1..c_T, each (B, H)
    totals: list[Tensor] = field(default_factory=list)  # rnnlab cells: (T, B, H) from the backward pass
    stacked: Tensor | None = None  # rnnlab cells: (T, B, H), the one tensor the views in h come from

    def states(self) -> Tensor:
        """(B, T, H): every h_t, detached."""
        if self.stacked is not None:
            return self.stacked.detach().transpose(0, 1)
        with torch.no_grad():
            return torch.stack(self.h, dim=1)

    def total_grads(self) -> Tensor:
        """(B, T, H): the total derivative dL/dh_t through every path, zeros where L does not depend on h_t."""
        if self.stacked is not None:  # nothing arrives when L does not depend on the states at all
            return self.totals[-1].transpose(0, 1) if self.totals else torch.zeros_like(self.states())
        return torch.stack([h.grad if h.grad is not None else torch.zeros_like(h) for h in self.h], dim=1)


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


def _start(model: nn.Module, x: Tensor, h0: Tensor | None) -> Tensor:
    """h_0: zeros when omitted; a leaf that asks for its gradient when nothing else would put the states in a graph."""
    hidden: int = model.hidden_size  # type: ignore[assignment]
    h = x.new_zeros(x.shape[0], hidden) if h0 is None else h0
    if not (h.requires_grad or x.requires_grad or any(p.requires_grad for p in model.parameters())):
        h = h.detach().requires_grad_()  # a frozen model
    return h


def trajectory(model: nn.Module, x: Tensor, h0: Tensor | None = None) -> Trajectory:
    """Run `model` over x (B, T, I), batch first whatever the module's layout, keeping every h_t in the graph.

    h0: (B, H), zeros when omitted (for an LSTM, c_0 = 0 too).
    """
    if x.dim() != 3:
        raise ValueError(f"x must be (B, T, I), got shape {tuple(x.shape)}")
    if isinstance(model, Recurrent):
        h = _start(model, x, h0)
        xu = F.linear(x.transpose(0, 1), model.U, model.b)  # (T, B, H)
        totals: list[Tensor] = []
        states = recur(xu, h, model.W, model.act, list(zip(model.delays, model.M, strict=True)), totals.append)
        return Trajectory(list(states.unbind(0)), totals=totals, stacked=states)
    if not isinstance(model, nn.RNNBase):
        raise ValueError(f"no probe for {type(model).__name__}; valid: Recurrent, nn.RNN, nn.GRU, nn.LSTM")
    cell, weights = _cell_for(model)
    h = _start(model, x, h0)
    hs: list[Tensor] = []
    if isinstance(model, nn.LSTM):
        c = torch.zeros_like(h)
        cs: list[Tensor] = []
        for x_t in x.unbind(1):
            h, c = functional_call(cell, weights, (x_t, (h, c)))
            if h.requires_grad:
                h.retain_grad()  # each h_t is its own node: its grad will be the total dL/dh_t
            hs.append(h)
            cs.append(c)
        return Trajectory(hs, cs)
    for x_t in x.unbind(1):
        h = functional_call(cell, weights, (x_t, h))
        if h.requires_grad:
            h.retain_grad()
        hs.append(h)
    return Trajectory(hs)


def linear_readout(v: Tensor) -> Loss:
    """L = sum over the batch of v . h_T: a fixed linear readout of the last state, so dL/dh_T = v."""

    def loss(h: Sequence[Tensor]) -> Tensor:
        return (h[-1] @ v).sum()

    return loss


def probe(model: nn.Module, x: Tensor, loss_fn: Loss, h0: Tensor | None = None) -> Probe:
    """||dL/dh_t|| for t = 1..T from one backward pass; the parameters' .grad fill as in training.

    x: (B, T, I); loss_fn maps [h_1..h_T] to a scalar. The total derivative dL/dh_t through every path is
    computed anyway on the way to the weights; the trajectory keeps it.
    """
    with torch.enable_grad():
        traj = trajectory(model, x, h0)
        loss = loss_fn(traj.h)
        loss.backward()
    return Probe(traj.total_grads(), float(loss.detach()), traj.states())
