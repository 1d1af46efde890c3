"""The probe against finite differences through the modules' own forward, and a 2-step case by hand."""

import math

import pytest
import torch
from torch import nn

from rnnlab.core import TANH, Recurrent, sigmoid
from rnnlab.dynamics.probe import linear_readout, probe, trajectory


def _module(kind: str) -> nn.Module:
    torch.manual_seed(0)
    if kind == "sigmoid":
        return Recurrent(3, 4, sigmoid(), batch_first=True).double()
    if kind == "skip":
        return Recurrent(3, 4, sigmoid(), delays=[2], batch_first=True).double()
    if kind == "tanh":
        return Recurrent(3, 4, TANH, batch_first=True).double()
    return {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}[kind](3, 4, batch_first=True).double()


def _loss_from(module: nn.Module, x: torch.Tensor, t: int, h_t: torch.Tensor, v: torch.Tensor) -> float:
    """L = v . h_T computed by the module's OWN forward, restarted at step t from the state h_t."""
    if isinstance(module, Recurrent) and module.delays:
        raise AssertionError("restarting a delayed cell needs its history")
    if t == x.shape[1]:
        return float(h_t[0] @ v)
    rest = x[:, t:]
    if isinstance(module, nn.LSTM):
        _, (h_prev, c_prev) = module(x[:, :t])  # c_t from the module itself
        _, (h_T, _) = module(rest, (h_t.unsqueeze(0), c_prev))
    else:
        _, h_T = module(rest, h_t.unsqueeze(0))
    return float(h_T[0, 0] @ v)


@pytest.mark.parametrize("kind", ["sigmoid", "tanh", "rnn", "gru", "lstm"])
def test_probe_matches_finite_differences(kind: str) -> None:
    module = _module(kind)
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(1, 6, 3, generator=gen, dtype=torch.float64)
    v = torch.randn(4, generator=gen, dtype=torch.float64)
    result = probe(module, x, linear_readout(v))
    eps = 1e-6
    with torch.no_grad():
        for t in range(1, 7):
            h_t = result.h[:, t - 1]  # (1, H)
            fd = torch.zeros(4, dtype=torch.float64)
            for i in range(4):
                e = torch.zeros_like(h_t)
                e[0, i] = eps
                fd[i] = (_loss_from(module, x, t, h_t + e, v) - _loss_from(module, x, t, h_t - e, v)) / (2 * eps)
            torch.testing.assert_close(result.grads[0, t - 1], fd, atol=1e-8, rtol=1e-6)


@pytest.mark.parametrize("kind", ["rnn", "gru", "lstm"])
def test_stepping_reproduces_the_module_forward(kind: str) -> None:
    module = _module(kind)
    x = torch.randn(2, 5, 3, dtype=torch.float64)
    out, _ = module(x)
    torch.testing.assert_close(torch.stack(trajectory(module, x).h, dim=1), out)


def test_probe_fills_the_module_parameter_gradients() -> None:
    """One backward pass: the probe's parameter gradients equal those of the module's own forward."""
    module = _module("gru")
    x = torch.randn(2, 5, 3, dtype=torch.float64)
    v = torch.randn(4, dtype=torch.float64)
    probe(module, x, linear_readout(v))
    ours = [p.grad.clone() for p in module.parameters()]
    module.zero_grad()
    out, _ = module(x)
    (out[:, -1] @ v).sum().backward()
    for a, p in zip(ours, module.parameters(), strict=True):
        torch.testing.assert_close(a, p.grad)


def test_two_steps_by_hand() -> None:
    """Scalar sigmoid cell, h_0 = 0, b = 0: h_1 = s(u x_1), h_2 = s(w h_1 + u x_2), L = v h_2.

    dL/dh_2 = v and dL/dh_1 = v s'(w h_1 + u x_2) w, with s' = s (1 - s), in plain Python floats.
    """
    w, u, v, x1, x2 = 1.7, -0.6, 2.5, 0.9, -1.3
    cell = Recurrent(1, 1, sigmoid(), batch_first=True, bias=False).double()
    with torch.no_grad():
        cell.W.fill_(w)
        cell.U.fill_(u)
    s = lambda z: 1 / (1 + math.exp(-z))  # noqa: E731
    h1 = s(u * x1)
    z2 = w * h1 + u * x2
    expected = [v * s(z2) * (1 - s(z2)) * w, v]
    result = probe(cell, torch.tensor([[[x1], [x2]]], dtype=torch.float64), linear_readout(torch.tensor([v]).double()))
    assert result.grads[0, :, 0].tolist() == pytest.approx(expected, rel=1e-12)
    assert result.norms[0].tolist() == pytest.approx([abs(e) for e in expected], rel=1e-12)


@pytest.mark.parametrize("kind", ["skip", "gru"])
def test_a_loss_that_ignores_the_states_gives_zero_gradients(kind: str) -> None:
    module = _module(kind)
    x = torch.randn(2, 5, 3, dtype=torch.float64)
    result = probe(module, x, lambda hs: sum(p.sum() for p in module.parameters()))
    assert result.grads.shape == (2, 5, 4) and not result.grads.any()


@pytest.mark.parametrize("kind", ["sigmoid", "skip", "lstm"])
def test_a_frozen_model_is_probed_like_a_trainable_one(kind: str) -> None:
    module = _module(kind)
    x = torch.randn(2, 6, 3, dtype=torch.float64)
    v = torch.randn(4, dtype=torch.float64)
    expected = probe(module, x, linear_readout(v)).grads
    module.requires_grad_(False)
    with torch.no_grad():
        frozen = probe(module, x, linear_readout(v))
    torch.testing.assert_close(frozen.grads, expected)


def test_rejects_what_it_cannot_step() -> None:
    with pytest.raises(ValueError, match="one-layer"):
        trajectory(nn.GRU(3, 4, num_layers=2, batch_first=True), torch.randn(1, 2, 3))
    with pytest.raises(ValueError, match="no probe"):
        trajectory(nn.Linear(3, 4), torch.randn(1, 2, 3))
    with pytest.raises(ValueError, match=r"\(B, T, I\)"):
        trajectory(nn.GRU(3, 4), torch.randn(2, 3))
