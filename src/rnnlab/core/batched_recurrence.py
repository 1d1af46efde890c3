"""The core recurrence for S models at once, over a leading model axis (SPEC S12).

    h_t[s] = act(W[s] h_{t-1}[s] + sum_k M_k[s] h_{t-k}[s] + U[s] x_t[s]),   s = 1..S, t = 1..T

(a bias is a column of U against a constant 1 in x). Every product is a batched product over the model axis
(torch.bmm), so S small models cost one loop over t instead of S. `recur`'s hand-written backward is an
autograd.Function, which torch.func.vmap cannot map over; this module is its batched twin, with its own
backward, held against autograd of `unroll` slice by slice in the tests. States before the start are zero;
h_0 is given.

Layout, time-major so that one step is one contiguous block:

    x (T, S, B, I)     states (T, S, B, H)     h0, h_T (S, B, H)     U (S, H, I)     W, M_k (S, H, H)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import Tensor
from torch.autograd.function import once_differentiable

from rnnlab.core.activations import Activation


def recur_batched(
    x: Tensor,
    U: Tensor,
    h0: Tensor,
    W: Tensor,
    act: Activation,
    delayed: Sequence[tuple[int, Tensor]] = (),
    grad_hook: Callable[[Tensor], None] | None = None,
) -> tuple[Tensor, Tensor]:
    """Run S recurrences over inputs x (T, S, B, I) with input weights U (S, H, I).

    Returns (states, last): the states h_1..h_T as (T, S, B, H), and h_T (S, B, H) as a tensor of its own, so
    that a caller that reads only h_T (a readout) sends no gradient through the states: a full-size zero
    gradient would otherwise be built and read on every backward pass. grad_hook: called once in the backward
    pass with the total derivatives dL/dh_t (every path), (T, S, B, H), as `recur`'s hook is.
    """
    if (x.dim() != 4 or U.dim() != 3 or W.dim() != 3 or U.shape[0] != x.shape[1] or U.shape[2] != x.shape[3]
            or W.shape != (x.shape[1], U.shape[1], U.shape[1]) or h0.shape != (*x.shape[1:3], U.shape[1])):
        raise ValueError(f"x must be (T, S, B, I), U (S, H, I), h0 (S, B, H) and W (S, H, H); got "
                         f"{tuple(x.shape)}, {tuple(U.shape)}, {tuple(h0.shape)} and {tuple(W.shape)}")
    if any(k < 2 for k, _ in delayed):
        raise ValueError(f"delays must be >= 2 (delay 1 is W itself), got {[k for k, _ in delayed]}")
    delays = tuple(k for k, _ in delayed)
    states, last = _BatchedRecurrence.apply(x, U, h0, W, grad_hook, act, delays, *(M for _, M in delayed))
    return states, last


class _BatchedRecurrence(torch.autograd.Function):
    """The recurrence over a model axis with a hand-written backward pass.

    Forward, per step: z_t = x_t U^T + sum_k h_{t-k} M_k^T + h_{t-1} W^T (batched products), h_t = f(z_t).
    Backward, per step from T down: dL/dz_t = f'(z_t) * dL/dh_t (one fused pass); dL/dh_{t-1} += dL/dz_t W,
    dL/dh_{t-k} += dL/dz_t M_k, dL/dx_t = dL/dz_t U. The weight gradients dW[s] = sum_t dz_t[s]^T h_{t-1}[s]
    (and dU, dM_k) accumulate in the same loop. The input term is computed step by step too: everything then
    works on (S, B, H) slices that stay in cache, and no (T, S, B, H) buffer but the states is written (fresh
    memory costs its page faults; measured, a step with the input term and dL/dz_t as full buffers took 1.25x).
    """

    @staticmethod
    def forward(  # type: ignore[override]
        ctx: Any, x: Tensor, U: Tensor, h0: Tensor, W: Tensor, grad_hook: Callable[[Tensor], None] | None,
        act: Activation, delays: tuple[int, ...], *Ms: Tensor,
    ) -> tuple[Tensor, Tensor]:
        T = x.shape[0]
        out = x.new_empty((T, *h0.shape))  # out[t-1]: z_t, then h_t in place
        rows, xs = [h0, *out.unbind(0)], x.unbind(0)  # rows[t] = h_t, (S, B, H)
        Ut, Wt = U.transpose(1, 2), W.transpose(1, 2)
        Mts = [(k, M.transpose(1, 2)) for k, M in zip(delays, Ms, strict=True)]
        for t in range(1, T + 1):
            torch.bmm(xs[t - 1], Ut, out=rows[t])
            for k, Mt in Mts:
                if t - k >= 0:
                    rows[t].baddbmm_(rows[t - k], Mt)
            rows[t].baddbmm_(rows[t - 1], Wt)
            act.apply_(rows[t])
        ctx.save_for_backward(x, U, h0, out, W, *Ms)
        ctx.act, ctx.delays, ctx.grad_hook = act, delays, grad_hook
        ctx.set_materialize_grads(False)
        return out, rows[T].clone()

    @staticmethod
    @once_differentiable
    def backward(ctx: Any, grad: Tensor | None, grad_last: Tensor | None) -> tuple[Tensor | None, ...]:  # type: ignore[override]
        x, U, h0, out, W, *Ms = ctx.saved_tensors
        delays: tuple[int, ...] = ctx.delays
        act: Activation = ctx.act
        T = out.shape[0]
        # dh[t]: total dL/dh_t once step t is reached. Without direct gradients on h_1..h_{T-1} and without delays,
        # each dh[t-1] has one source (dz_t W) and is written, not accumulated, so it needs no zeroing; and
        # without a hook to hand them to, two rows in turn hold them all.
        accumulate = grad is not None or bool(delays)
        shape = out.shape[1:]
        if accumulate or ctx.grad_hook is not None:
            dh = out.new_zeros((T + 1, *shape)) if accumulate else out.new_empty((T + 1, *shape))
            dh_rows = list(dh.unbind(0))
        else:
            ring = out.new_empty((2, *shape)).unbind(0)
            dh_rows = [ring[t % 2] for t in range(T + 1)]
        if grad is not None:
            dh[1:] = grad
        if grad_last is not None:
            dh_rows[T].add_(grad_last) if accumulate else dh_rows[T].copy_(grad_last)
        elif not accumulate:
            dh_rows[T].zero_()
        need = ctx.needs_input_grad
        dx = torch.empty_like(x) if need[0] else None
        dU = U.new_zeros(U.shape) if need[1] else None
        dW = W.new_zeros(W.shape) if need[3] else None
        dMs = [M.new_zeros(M.shape) if need[7 + i] else None for i, M in enumerate(Ms)]
        dz_t = out.new_empty(shape)  # dL/dz_t, one step at a time
        h_rows, xs = [h0, *out.unbind(0)], x.unbind(0)
        for t in range(T, 0, -1):
            act.backward(dh_rows[t], h_rows[t], dz_t)
            dz_tT = dz_t.transpose(1, 2)
            if accumulate:
                dh_rows[t - 1].baddbmm_(dz_t, W)
            else:
                torch.bmm(dz_t, W, out=dh_rows[t - 1])
            if dW is not None:
                dW.baddbmm_(dz_tT, h_rows[t - 1])
            if dU is not None:
                dU.baddbmm_(dz_tT, xs[t - 1])
            if dx is not None:
                torch.bmm(dz_t, U, out=dx[t - 1])
            for k, M, dM in zip(delays, Ms, dMs, strict=True):
                if t - k >= 0:
                    dh_rows[t - k].baddbmm_(dz_t, M)
                    if dM is not None:
                        dM.baddbmm_(dz_tT, h_rows[t - k])
        if ctx.grad_hook is not None:
            ctx.grad_hook(dh[1:])
        return dx, dU, dh_rows[0] if need[2] else None, dW, None, None, None, *dMs


def unroll_batched(
    x: Tensor,
    U: Tensor,
    h0: Tensor,
    W: Tensor,
    act: Activation,
    delayed: Sequence[tuple[int, Tensor]] = (),
) -> list[Tensor]:
    """The same S recurrences op by op (every h_t its own autograd node); returns [h_1, ..., h_T], each (S, B, H)."""
    Ut, Wt = U.transpose(1, 2), W.transpose(1, 2)
    Mts = [(k, M.transpose(1, 2)) for k, M in delayed]
    states = [h0]
    for t, x_t in enumerate(x.unbind(0), start=1):
        z = torch.bmm(x_t, Ut)  # (S, B, H)
        for k, Mt in Mts:
            if t - k >= 0:
                z = torch.baddbmm(z, states[t - k], Mt)
        states.append(act(torch.baddbmm(z, states[t - 1], Wt)))
    return states[1:]
