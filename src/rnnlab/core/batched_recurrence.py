"""The core recurrence for S models at once, over a leading model axis (SPEC S12).

    h_t[s] = act(W[s] h_{t-1}[s] + sum_k M_k[s] h_{t-k}[s] + U[s] x_t[s] + b[s]),   s = 1..S, t = 1..T

Every product is a batched product over the model axis (torch.bmm), so S small models cost one loop over
t instead of S. `recur`'s hand-written backward is an autograd.Function, which torch.func.vmap cannot map
over; this module is its batched twin, with its own backward, held against autograd of `unroll` slice by
slice in the tests. States before the start are zero; h_0 is given.

Layout, time-major so that one step is one contiguous block:

    xu, states   (T, S, B, H)      h0, h_T (S, B, H)      W, M_k (S, H, H)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import Tensor
from torch.autograd.function import once_differentiable

from rnnlab.core.activations import Activation


def recur_batched(
    xu: Tensor,
    h0: Tensor,
    W: Tensor,
    act: Activation,
    delayed: Sequence[tuple[int, Tensor]] = (),
    grad_hook: Callable[[Tensor], None] | None = None,
) -> tuple[Tensor, Tensor]:
    """Run S recurrences over precomputed input terms xu[t-1, s] = U[s] x_t[s] + b[s], shaped (T, S, B, H).

    Returns (states, last): the states h_1..h_T as (T, S, B, H), and h_T (S, B, H) as a tensor of its own, so
    that a caller that reads only h_T (a readout) sends no gradient through the states: a full-size zero
    gradient would otherwise be built and read on every backward pass. xu may be any dense layout, e.g. a
    (T, S, B, H) view of a model-major (S, T, B, H) product; its gradient comes back in the same layout.
    grad_hook: called once in the backward pass with the total derivatives dL/dh_t (every path),
    (T, S, B, H), as `recur`'s hook is.
    """
    if xu.dim() != 4 or h0.shape != xu.shape[1:] or W.shape != (xu.shape[1], xu.shape[3], xu.shape[3]):
        raise ValueError(f"xu must be (T, S, B, H), h0 (S, B, H) and W (S, H, H); got {tuple(xu.shape)}, "
                         f"{tuple(h0.shape)} and {tuple(W.shape)}")
    if any(k < 2 for k, _ in delayed):
        raise ValueError(f"delays must be >= 2 (delay 1 is W itself), got {[k for k, _ in delayed]}")
    delays = tuple(k for k, _ in delayed)
    states, last = _BatchedRecurrence.apply(xu, h0, W, grad_hook, act, delays, *(M for _, M in delayed))
    return states, last


class _BatchedRecurrence(torch.autograd.Function):
    """The recurrence over a model axis with a hand-written backward pass.

    Forward, per step: z_t = xu_t + sum_k h_{t-k} M_k^T + h_{t-1} W^T (batched products), h_t = f(z_t).
    Backward, per step from T down: dL/dz_t = f'(z_t) * dL/dh_t (one fused pass); dL/dh_{t-1} += dL/dz_t W and
    dL/dh_{t-k} += dL/dz_t M_k. The weight gradients dW[s] = sum_t dz_t[s]^T h_{t-1}[s] accumulate in the same
    loop: one product over all steps (as `recur` does for one model) would need the (T, S, B, H) buffers copied
    model-major first, which measured slower. Everything per step works on (S, B, H) slices that stay in cache.
    """

    @staticmethod
    def forward(  # type: ignore[override]
        ctx: Any, xu: Tensor, h0: Tensor, W: Tensor, grad_hook: Callable[[Tensor], None] | None,
        act: Activation, delays: tuple[int, ...], *Ms: Tensor,
    ) -> tuple[Tensor, Tensor]:
        T = xu.shape[0]
        out = xu.new_empty(xu.shape)  # contiguous; out[t-1]: z_t, then h_t in place
        rows, xs = [h0, *out.unbind(0)], xu.unbind(0)  # rows[t] = h_t, (S, B, H)
        Wt = W.transpose(1, 2)
        Mts = [(k, M.transpose(1, 2)) for k, M in zip(delays, Ms, strict=True)]
        for t in range(1, T + 1):
            terms = [(rows[t - k], Mt) for k, Mt in Mts if t - k >= 0] + [(rows[t - 1], Wt)]
            torch.baddbmm(xs[t - 1], *terms[0], out=rows[t])  # xu_t read in whatever layout it has, no copy
            for h, Mt in terms[1:]:
                rows[t].baddbmm_(h, Mt)
            act.apply_(rows[t])
        ctx.save_for_backward(xu, h0, out, W, *Ms)
        ctx.act, ctx.delays, ctx.grad_hook = act, delays, grad_hook
        ctx.set_materialize_grads(False)
        return out, rows[T].clone()

    @staticmethod
    @once_differentiable
    def backward(ctx: Any, grad: Tensor | None, grad_last: Tensor | None) -> tuple[Tensor | None, ...]:  # type: ignore[override]
        xu, h0, out, W, *Ms = ctx.saved_tensors
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
        dz = torch.empty_like(xu)  # dz[t-1] = dL/dz_t, in xu's layout: the caller's backward then copies nothing
        need = ctx.needs_input_grad
        dW = W.new_zeros(W.shape) if need[2] else None
        dMs = [M.new_zeros(M.shape) if need[6 + i] else None for i, M in enumerate(Ms)]
        h_rows, dz_rows = [h0, *out.unbind(0)], dz.unbind(0)
        for t in range(T, 0, -1):
            dz_t = act.backward(dh_rows[t], h_rows[t], dz_rows[t - 1])  # (S, B, H)
            dz_tT = dz_t.transpose(1, 2)
            if accumulate:
                dh_rows[t - 1].baddbmm_(dz_t, W)
            else:
                torch.bmm(dz_t, W, out=dh_rows[t - 1])
            if dW is not None:
                dW.baddbmm_(dz_tT, h_rows[t - 1])
            for k, M, dM in zip(delays, Ms, dMs, strict=True):
                if t - k >= 0:
                    dh_rows[t - k].baddbmm_(dz_t, M)
                    if dM is not None:
                        dM.baddbmm_(dz_tT, h_rows[t - k])
        if ctx.grad_hook is not None:
            ctx.grad_hook(dh[1:])
        return dz if need[0] else None, dh_rows[0] if need[1] else None, dW, None, None, None, *dMs


def unroll_batched(
    xu: Tensor,
    h0: Tensor,
    W: Tensor,
    act: Activation,
    delayed: Sequence[tuple[int, Tensor]] = (),
) -> list[Tensor]:
    """The same S recurrences op by op (every h_t its own autograd node); returns [h_1, ..., h_T], each (S, B, H)."""
    Wt = W.transpose(1, 2)
    Mts = [(k, M.transpose(1, 2)) for k, M in delayed]
    states = [h0]
    for t, xu_t in enumerate(xu.unbind(0), start=1):
        z = torch.baddbmm(xu_t, states[t - 1], Wt)  # (S, B, H)
        for k, Mt in Mts:
            if t - k >= 0:
                z = torch.baddbmm(z, states[t - k], Mt)
        states.append(act(z))
    return states[1:]
