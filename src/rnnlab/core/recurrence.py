"""The one recurrence every rnnlab cell runs.

    h_t = act(W h_{t-1} + sum_k M_k h_{t-k} + U x_t + b),     t = 1..T

with optional delayed connections M_k (k >= 2; k = 2 is the sheet's temporal skip connection, S4).
States before the start are zero: h_{t-k} = 0 when t - k < 0, and h_0 is given.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from rnnlab.core.activations import Activation


def recur(
    xu: Sequence[Tensor],
    h0: Tensor,
    W: Tensor,
    act: Activation,
    delayed: Sequence[tuple[int, Tensor]] = (),
) -> list[Tensor]:
    """Run the recurrence over precomputed input terms xu[t-1] = U x_t + b, each (B, H).

    Returns [h_1, ..., h_T], each (B, H). The input terms come as a sequence of separate tensors
    (from `unbind`): indexing one (B, T, H) tensor inside the loop would make autograd build a
    full-size zero tensor per step in the backward pass, which is O(T^2).
    """
    Wt = W.t()  # (H, H)
    Mts = [(k, M.t()) for k, M in delayed]
    states = [h0]  # states[t] = h_t
    for t, xu_t in enumerate(xu, start=1):
        z = torch.addmm(xu_t, states[t - 1], Wt)  # (B, H)
        for k, Mt in Mts:
            if t - k >= 0:
                z = torch.addmm(z, states[t - k], Mt)
        states.append(act(z))
    return states[1:]


class Recurrent(nn.Module):
    """A single-layer recurrent cell with torch.nn.RNN's calling convention.

    forward(input, h0) -> (output, h_n): input (T, B, I), or (B, T, I) with batch_first, or (T, I)
    unbatched; h0 (1, B, H) or (1, H), zeros when omitted; output holds every h_t, h_n = h_T.
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        act: Activation,
        delays: Sequence[int] = (),
        batch_first: bool = False,
        bias: bool = True,
    ) -> None:
        super().__init__()
        if input_size < 1 or hidden_size < 1:
            raise ValueError(f"input and hidden sizes must be >= 1, got {input_size} and {hidden_size}")
        if any(k < 2 for k in delays):
            raise ValueError(f"delays must be >= 2 (delay 1 is W itself), got {list(delays)}")
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.act = act
        self.delays = tuple(delays)
        self.batch_first = batch_first
        self.W = nn.Parameter(torch.empty(hidden_size, hidden_size))  # recurrent weights
        self.U = nn.Parameter(torch.empty(hidden_size, input_size))  # input weights
        self.b = nn.Parameter(torch.empty(hidden_size)) if bias else None
        self.M = nn.ParameterList(nn.Parameter(torch.empty(hidden_size, hidden_size)) for _ in self.delays)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        # nn.RNN's initialisation: uniform(-1/sqrt(H), 1/sqrt(H)) for every weight.
        bound = self.hidden_size**-0.5
        for p in self.parameters():
            nn.init.uniform_(p, -bound, bound)

    @classmethod
    def from_rnn(cls, rnn: nn.RNN) -> Recurrent:
        """A cell with the weights of a one-layer, unidirectional tanh nn.RNN (b = b_ih + b_hh)."""
        if rnn.num_layers != 1 or rnn.bidirectional or rnn.nonlinearity != "tanh":
            raise ValueError("only a one-layer, unidirectional tanh nn.RNN can be copied")
        cell = cls(rnn.input_size, rnn.hidden_size, Activation("tanh"), batch_first=rnn.batch_first, bias=rnn.bias)
        cell = cell.to(next(rnn.parameters()).dtype)
        p = dict(rnn.named_parameters())
        with torch.no_grad():
            cell.W.copy_(p["weight_hh_l0"])
            cell.U.copy_(p["weight_ih_l0"])
            if cell.b is not None:
                cell.b.copy_(p["bias_ih_l0"] + p["bias_hh_l0"])
        return cell

    def step(self, x_t: Tensor, h_prev: Tensor) -> Tensor:
        """One step without delayed terms: h_t = act(W h_{t-1} + U x_t + b); x_t (B, I), h_prev (B, H)."""
        if self.delays:
            raise ValueError("a cell with delayed connections needs its history: call forward")
        return self.act(F.linear(x_t, self.U, self.b) + h_prev @ self.W.t())

    def forward(self, input: Tensor, h0: Tensor | None = None) -> tuple[Tensor, Tensor]:
        unbatched = input.dim() == 2
        x = input.unsqueeze(1) if unbatched else input  # (T, B, I) or (B, T, I)
        if not self.batch_first or unbatched:
            x = x.transpose(0, 1)  # (B, T, I)
        B = x.shape[0]
        h = x.new_zeros(B, self.hidden_size) if h0 is None else h0.reshape(B, self.hidden_size)
        xu = F.linear(x, self.U, self.b).unbind(1)  # T tensors of (B, H)
        hs = recur(xu, h, self.W, self.act, list(zip(self.delays, self.M, strict=True)))
        output = torch.stack(hs, dim=1)  # (B, T, H)
        h_n = hs[-1].unsqueeze(0) if hs else h.unsqueeze(0)  # (1, B, H)
        if unbatched:
            return output[0], h_n[:, 0]
        if not self.batch_first:
            output = output.transpose(0, 1)  # (T, B, H)
        return output, h_n
