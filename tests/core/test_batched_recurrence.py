"""S recurrences as one computation: the hand-written batched backward against autograd of `unroll`, slice by
slice in float64; batched GRU / LSTM against nn.GRU / nn.LSTM per slice."""

import pytest
import torch
from torch import nn

from rnnlab.core import IDENTITY, TANH, Activation, sigmoid, unroll
from rnnlab.core.batched_gated import gru_batched, lstm_batched
from rnnlab.core.batched_recurrence import recur_batched, unroll_batched

S, B, H, N_IN = 3, 2, 4, 3


def _inputs(T: int, n_delays: int, seed: int) -> tuple[torch.Tensor, ...]:
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(T, S, B, N_IN, generator=g, dtype=torch.float64)
    U = torch.randn(S, H, N_IN, generator=g, dtype=torch.float64)
    h0 = torch.randn(S, B, H, generator=g, dtype=torch.float64)
    W = torch.randn(S, H, H, generator=g, dtype=torch.float64) * 0.6
    Ms = [torch.randn(S, H, H, generator=g, dtype=torch.float64) * 0.4 for _ in range(n_delays)]
    return x, U, h0, W, *Ms


@pytest.mark.parametrize("act", [sigmoid(), TANH, IDENTITY], ids=lambda a: a.kind)
@pytest.mark.parametrize("delays", [[], [2], [3], [2, 5]])
@pytest.mark.parametrize("T", [1, 2, 3, 7])
@pytest.mark.parametrize("direct", [True, False], ids=["all-states", "last-only"])
def test_batched_backward_matches_autograd_of_each_slice(act: Activation, delays: list[int], T: int,
                                                         direct: bool) -> None:
    """direct: the loss reads every state, or only h_T (the backward's path without accumulation)."""
    x, U, h0, W, *Ms = (t.requires_grad_() for t in _inputs(T, len(delays), seed=T + 10 * len(delays)))
    totals: list[torch.Tensor] = []
    out, last = recur_batched(x, U, h0, W, act, list(zip(delays, Ms, strict=True)), grad_hook=totals.append)
    assert torch.equal(last, out[-1])
    v = torch.randn(T, S, B, H, dtype=torch.float64, generator=torch.Generator().manual_seed(1)) * direct
    loss = (out * v).sum() + last.sin().sum() if direct else last.sin().sum()
    grads = torch.autograd.grad(loss, [x, U, h0, W, *Ms])
    for s in range(S):  # the oracle: the solo op-by-op recurrence of slice s, under autograd
        leaves = [x.detach()[:, s].clone().requires_grad_(), *(t.detach()[s].clone().requires_grad_()
                                                              for t in (U, h0, W, *Ms))]
        xs, Us, h0s, Ws, *Mss = leaves
        hs = unroll(list((xs @ Us.t()).unbind(0)), h0s, Ws, act, list(zip(delays, Mss, strict=True)))
        ref = torch.stack(hs)
        torch.testing.assert_close(out[:, s], ref, rtol=1e-12, atol=1e-12)
        ref_loss = (ref * v[:, s]).sum() + ref[-1].sin().sum()
        inputs = [*leaves, *hs]
        ref_grads = [torch.zeros_like(t) if g is None else g  # a delay longer than T leaves M unused: zero
                     for t, g in zip(inputs, torch.autograd.grad(ref_loss, inputs, allow_unused=True), strict=True)]
        for got, want in zip([grads[0][:, s], *(g[s] for g in grads[1:])], ref_grads[: len(leaves)], strict=True):
            torch.testing.assert_close(got, want, rtol=1e-10, atol=1e-12)
        torch.testing.assert_close(totals[0][:, s], torch.stack(ref_grads[len(leaves):]), rtol=1e-10, atol=1e-12)


def test_without_a_hook_the_gradients_are_the_same() -> None:
    """Without a hook the backward keeps two rows of dL/dh_t, not T."""
    x, U, h0, W = (t.requires_grad_() for t in _inputs(5, 0, seed=4))
    plain = torch.autograd.grad(recur_batched(x, U, h0, W, TANH)[1].sum(), [x, U, h0, W])
    hooked = torch.autograd.grad(recur_batched(x, U, h0, W, TANH, grad_hook=lambda dh: None)[1].sum(), [x, U, h0, W])
    for a, b in zip(plain, hooked, strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_unroll_batched_is_the_same_recurrence() -> None:
    x, U, h0, W, M = _inputs(6, 1, seed=3)
    a, _ = recur_batched(x, U, h0, W, TANH, [(2, M)])
    b = torch.stack(unroll_batched(x, U, h0, W, TANH, [(2, M)]))
    torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)


def test_a_broken_backward_is_caught() -> None:
    """The comparison above can fail: perturbing the derivative of the activation changes the gradients."""
    x, U, h0, W = (t.requires_grad_() for t in _inputs(4, 0, seed=5))
    broken = Activation("sigmoid", gain=1.0)
    ok = torch.autograd.grad(recur_batched(x, U, h0, W, broken)[0].sum(), W)[0]
    wrong = torch.autograd.grad(recur_batched(x, U, h0, W, Activation("sigmoid", gain=1.01))[0].sum(), W)[0]
    assert not torch.allclose(ok, wrong, rtol=1e-6)


def test_rejects_bad_shapes() -> None:
    x, U, h0, W = _inputs(3, 0, seed=0)
    with pytest.raises(ValueError, match="x must be"):
        recur_batched(x, U, h0, W[:, :2], TANH)
    with pytest.raises(ValueError, match="x must be"):
        recur_batched(x, U[:, :, :2], h0, W, TANH)
    with pytest.raises(ValueError, match="delays"):
        recur_batched(x, U, h0, W, TANH, [(1, W)])


@pytest.mark.parametrize("kind", ["gru", "lstm"])
def test_gated_cells_match_torch_per_slice(kind: str) -> None:
    torch.manual_seed(0)
    n_in, T = 3, 5
    mods = [(nn.GRU if kind == "gru" else nn.LSTM)(n_in, H, batch_first=True).double() for _ in range(S)]
    names = ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"]
    stacked = [torch.stack([getattr(m, n).detach() for m in mods]).requires_grad_() for n in names]
    x = torch.randn(S, B, T, n_in, dtype=torch.float64)
    h0 = torch.randn(S, B, H, dtype=torch.float64)
    c0 = torch.randn(S, B, H, dtype=torch.float64)
    out = gru_batched(x, h0, *stacked) if kind == "gru" else lstm_batched(x, h0, c0, *stacked)
    out.tanh().sum().backward()
    for s, m in enumerate(mods):
        ref, _ = m(x[s], h0[s : s + 1]) if kind == "gru" else m(x[s], (h0[s : s + 1], c0[s : s + 1]))
        torch.testing.assert_close(out[s], ref, rtol=1e-12, atol=1e-12)
        ref.tanh().sum().backward()
        for n, st in zip(names, stacked, strict=True):
            assert st.grad is not None
            torch.testing.assert_close(st.grad[s], getattr(m, n).grad, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("act", [sigmoid(), sigmoid(2.0), TANH, IDENTITY], ids=lambda a: f"{a.kind}{a.gain:g}")
def test_activation_backward_is_autograd_of_the_activation(act: Activation) -> None:
    z = torch.randn(50, dtype=torch.float64, generator=torch.Generator().manual_seed(0)).requires_grad_()
    g = torch.randn(50, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    a = act(z)
    (want,) = torch.autograd.grad(a, z, g)
    out = torch.empty(50, dtype=torch.float64)
    assert act.backward(g, a.detach(), out) is out
    torch.testing.assert_close(out, want, rtol=1e-14, atol=1e-15)
    wrong = Activation(act.kind, gain=act.gain * 1.01) if act.kind == "sigmoid" else sigmoid()
    assert not torch.allclose(wrong.backward(g, a.detach(), torch.empty(50, dtype=torch.float64)), want)
