"""The one recurrence every rnnlab cell runs.

    h_t = act(W h_{t-1} + sum_k M_k h_{t-k} + U x_t + b),     t = 1..T

with optional delayed connections M_k (k >= 2; k = 2 is the sheet's temporal skip connection, S4).
States before the start are zero: h_{t-k} = 0 when t - k < 0, and h_0 is given.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.autograd.function import once_differentiable

from rnnlab.core.activations import Activation


def recur(
    xu: Tensor,
    h0: Tensor,
    W: Tensor,
    act: Activation,
    delayed: Sequence[tuple[int, Tensor]] = (),
    grad_hook: Callable[[Tensor], None] | None = None,
) -> Tensor:
    """Run the recurrence over precomputed input terms xu[t-1] = U x_t + b, time-major (T, B, H).

    Returns the states h_1..h_T as (T, B, H). Backpropagation through time is written by hand (see
    `_Recurrence`); `unroll` is the same recurrence op by op, which autograd differentiates, and the
    tests hold the two together.

    grad_hook: called once in the backward pass with the total derivatives dL/dh_t, t = 1..T, as (T, B, H):
    every path, where the gradient arriving at the returned states holds only the direct terms.
    """
    if xu.dim() != 3 or h0.shape != xu.shape[1:]:
        raise ValueError(f"xu must be (T, B, H) and h0 (B, H); got {tuple(xu.shape)} and {tuple(h0.shape)}")
    delays = tuple(k for k, _ in delayed)
    states: Tensor = _Recurrence.apply(xu, h0, W, grad_hook, act, delays, *(M for _, M in delayed))
    return states


class _Recurrence(torch.autograd.Function):
    """The recurrence with a hand-written backward pass.

    Autograd would keep one node per matrix product and accumulate dW step by step. Here the loop holds only
    what is sequential: forward, h_{t-1} W^T; backward, dL/dz_t W into dL/dh_{t-1}. The weight gradients
    are then one product over all steps, dW = sum_t dz_t^T h_{t-1} (as cuDNN does; Appleyard, Kocisky &
    Blunsom 2016). A delayed term M h_{t-k} only needs states at least k steps old, so the k terms of a
    block of k steps [jk, (j+1)k) are one product, in both directions.
    """

    @staticmethod
    def forward(  # type: ignore[override]
        ctx: Any, xu: Tensor, h0: Tensor, W: Tensor, grad_hook: Callable[[Tensor], None] | None,
        act: Activation, delays: tuple[int, ...], *Ms: Tensor,
    ) -> Tensor:
        T, B, H = xu.shape
        out = xu.clone(memory_format=torch.contiguous_format)  # out[t-1]: z_t, then h_t itself, in place
        rows = [h0, *out.unbind(0)]  # rows[t] = h_t; views made once, as the loop pays per operation
        delayed: list[list[tuple[Tensor, Tensor, Tensor]]] = [[] for _ in range(T + 1)]  # products due at step t
        for k, M in zip(delays, Ms, strict=True):
            Mt = M.t()
            for t in range(k, min(2 * k, T + 1)):  # the first block reads h_0..h_{k-1}; h_0 is not in `out`
                delayed[k].append((rows[t], rows[t - k], Mt))
            block = _blocks(out[k - 1:], k)  # block[i]: steps (i+1)k .. (i+2)k-1
            for i in range(1, len(block)):  # at t = (i+1)k, z_t..z_{t+k-1} gain M h_{t-k}..M h_{t-1}: all known
                src = block[i - 1] if len(block[i]) == len(block[i - 1]) else block[i - 1][: len(block[i])]
                delayed[(i + 1) * k].append((block[i], src, Mt))
        Wt = W.t()
        for t in range(1, T + 1):
            for dst, src, Mt in delayed[t]:
                dst.addmm_(src, Mt)
            rows[t].addmm_(rows[t - 1], Wt)
            act.apply_(rows[t])
        ctx.save_for_backward(h0, out, W, *Ms)
        ctx.act, ctx.delays, ctx.grad_hook = act, delays, grad_hook
        return out

    @staticmethod
    @once_differentiable
    def backward(ctx: Any, grad: Tensor) -> tuple[Tensor | None, ...]:  # type: ignore[override]
        h0, out, W, *Ms = ctx.saved_tensors
        delays: tuple[int, ...] = ctx.delays
        T, B, H = grad.shape
        dh = torch.cat([grad.new_zeros(1, B, H), grad])  # dh[t]: total dL/dh_t, complete when step t is reached
        dz = ctx.act.derivative(out)  # dz[t-1] = f'(z_t), then dL/dz_t in place
        dh_rows, dz_rows = dh.unbind(0), dz.unbind(0)
        delayed: list[list[tuple[Tensor, Tensor, Tensor]]] = [[] for _ in range(T + 1)]  # products due at step t
        for k, M in zip(delays, Ms, strict=True):
            dh_block, dz_block = _blocks(dh, k), _blocks(dz[k - 1:], k)  # steps jk.. and (j+1)k.. for block j
            for j in range(len(dz_block)):  # at t = (j+1)k - 1, dh of steps jk.. gains dz of steps (j+1)k.. times M
                src, dst = dz_block[j], dh_block[j]
                delayed[(j + 1) * k - 1].append((dst if len(dst) == len(src) else dst[: len(src)], src, M))
        for t in range(T, 0, -1):
            for dst, src, M in delayed[t]:
                dst.addmm_(src, M)
            dz_rows[t - 1].mul_(dh_rows[t])
            dh_rows[t - 1].addmm_(dz_rows[t - 1], W)
        if ctx.grad_hook is not None:
            ctx.grad_hook(dh[1:])
        need = ctx.needs_input_grad
        dW = _lagged_outer(dz, h0, out, 1) if need[2] else None
        dMs = [_lagged_outer(dz, h0, out, k) if need[6 + i] else None for i, k in enumerate(delays)]
        return dz if need[0] else None, dh[0] if need[1] else None, dW, None, None, None, *dMs


def _lagged_outer(dz: Tensor, h0: Tensor, out: Tensor, lag: int) -> Tensor:
    """sum over t >= lag of dz_t^T h_{t-lag}: a weight's gradient, one product over all steps (h_0 apart)."""
    T, _, H = dz.shape
    if T < lag:
        return dz.new_zeros(H, H)
    return dz[lag - 1].t() @ h0 + dz[lag:].reshape(-1, H).t() @ out[: T - lag].reshape(-1, H)


def _blocks(x: Tensor, k: int) -> list[Tensor]:
    """x (N, B, H) as (k B, H) views of its rows [0, k), [k, 2k), ... (the last may be shorter)."""
    steps, B, H = x.shape
    full = steps // k
    blocks = list(x[: full * k].view(full, k * B, H).unbind(0))
    if steps > full * k:
        blocks.append(x[full * k:].view(-1, H))
    return blocks


def unroll(
    xu: Sequence[Tensor],
    h0: Tensor,
    W: Tensor,
    act: Activation,
    delayed: Sequence[tuple[int, Tensor]] = (),
) -> list[Tensor]:
    """The same recurrence op by op, every h_t its own autograd node: the reference `recur` is checked against.

    xu: T tensors of (B, H) (from `unbind`: indexing one (B, T, H) tensor inside the loop would make autograd
    build a full-size zero tensor per step in the backward pass, O(T^2)). Returns [h_1, ..., h_T].
    """
    Wt = W.t()
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
    The backward pass reads the output, as torch.sigmoid's does: change it in place only after backward.
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
        if input.dim() not in (2, 3) or input.shape[-1] != self.input_size:
            raise ValueError(f"input must be (T, B, {self.input_size}), (B, T, {self.input_size}) with batch_first, "
                             f"or unbatched (T, {self.input_size}); got shape {tuple(input.shape)}")
        unbatched = input.dim() == 2
        if unbatched:
            x = input.unsqueeze(1)  # (T, 1, I)
        else:
            x = input.transpose(0, 1) if self.batch_first else input  # (T, B, I)
        B = x.shape[1]
        expected = (1, self.hidden_size) if unbatched else (1, B, self.hidden_size)
        if h0 is not None and tuple(h0.shape) != expected:
            raise ValueError(f"h0 must have shape {expected}, got {tuple(h0.shape)}")
        h = x.new_zeros(B, self.hidden_size) if h0 is None else h0.reshape(B, self.hidden_size)
        xu = F.linear(x, self.U, self.b)  # (T, B, H)
        hs = recur(xu, h, self.W, self.act, list(zip(self.delays, self.M, strict=True)))  # (T, B, H)
        h_n = (hs[-1] if len(hs) else h).unsqueeze(0)  # (1, B, H)
        if unbatched:
            return hs[:, 0], h_n[:, 0]
        return (hs.transpose(0, 1) if self.batch_first else hs), h_n
