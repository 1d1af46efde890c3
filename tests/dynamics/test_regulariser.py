"""Omega (Pascanu et al. 2013, Eq. 9): its value in closed form, its gradient against autograd of a direct
implementation with dE/dh_{k+1} detached, and training with it batched against solo."""

import pytest
import torch
import torch.nn.functional as F

from rnnlab.core import IDENTITY, TANH, Activation, Recurrent, sigmoid, unroll
from rnnlab.dynamics.batched import train_batched
from rnnlab.dynamics.clipping import Clip
from rnnlab.dynamics.regulariser import omega, omega_backward
from rnnlab.dynamics.training import TrainConfig, train


def _fprime(act: Activation, z: torch.Tensor) -> torch.Tensor:
    s = torch.sigmoid(z)
    return s * (1 - s) if act.kind == "sigmoid" else 1 - torch.tanh(z) ** 2


def _direct(cell: Recurrent, readout: torch.nn.Linear, x: torch.Tensor, y: torch.Tensor, weight: float,
            detach: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    """E + weight * Omega written out: op-by-op states, dE/dh_t by autograd, an explicit Jacobian per (t, b)."""
    xs = [F.linear(x[:, t], cell.U, cell.b) for t in range(x.shape[1])]
    hs = unroll(xs, x.new_zeros(x.shape[0], cell.hidden_size), cell.W, cell.act)
    E = F.cross_entropy(readout(hs[-1]), y)
    gs = torch.autograd.grad(E, hs, retain_graph=True, create_graph=not detach)
    terms = []
    h_prev = x.new_zeros(x.shape[0], cell.hidden_size)
    for t, (h, g) in enumerate(zip(hs, gs, strict=True)):
        z = xs[t] + h_prev @ cell.W.T  # the pre-activation of h_t
        h_prev = h
        for b in range(x.shape[0]):
            gb = g[b].detach() if detach else g[b]
            J = torch.diag(_fprime(cell.act, z[b])) @ cell.W  # dh_t / dh_{t-1}
            terms.append((torch.linalg.vector_norm(gb @ J) / torch.linalg.vector_norm(gb) - 1) ** 2)
    om = torch.stack(terms).mean()
    return E + weight * om, om


@pytest.mark.parametrize("act", [sigmoid(), TANH], ids=lambda a: a.kind)
def test_omega_gradient_matches_autograd_of_the_direct_form(act: Activation) -> None:
    torch.manual_seed(0)
    cell = Recurrent(3, 5, act, batch_first=True).double()
    readout = torch.nn.Linear(5, 4).double()
    x = torch.randn(4, 7, 3, dtype=torch.float64)
    y = torch.randint(4, (4,))
    E, om = omega_backward(cell, readout, x, y, F.cross_entropy, 2.0)
    ours = [p.grad.clone() for p in (*cell.parameters(), *readout.parameters())]  # type: ignore[union-attr]
    for p in (*cell.parameters(), *readout.parameters()):
        p.grad = None
    total, om_direct = _direct(cell, readout, x, y, 2.0)
    total.backward()
    torch.testing.assert_close(om, om_direct.detach(), rtol=1e-12, atol=1e-14)
    assert float(om) > 1e-3  # a real signal, not zero against zero
    for got, p in zip(ours, (*cell.parameters(), *readout.parameters()), strict=True):
        torch.testing.assert_close(got, p.grad, rtol=1e-9, atol=1e-13)
    # the check can fail: differentiating through dE/dh_{k+1} as well gives another gradient
    for p in (*cell.parameters(), *readout.parameters()):
        p.grad = None
    _direct(cell, readout, x, y, 2.0, detach=False)[0].backward()
    assert cell.W.grad is not None and not torch.allclose(ours[0], cell.W.grad, rtol=1e-6)


def test_omega_in_closed_form() -> None:
    """Identity activation: the Jacobian is W; W = c Q with Q orthogonal scales every signal by c: Omega = (c - 1)^2."""
    Q, _ = torch.linalg.qr(torch.randn(6, 6, dtype=torch.float64, generator=torch.Generator().manual_seed(1)))
    states = torch.randn(5, 1, 3, 6, dtype=torch.float64)
    dh = torch.randn(5, 1, 3, 6, dtype=torch.float64)
    for c in (1.0, 2.0, 0.5):
        torch.testing.assert_close(omega(states, dh, (c * Q).unsqueeze(0), IDENTITY), torch.tensor([(c - 1) ** 2],
                                   dtype=torch.float64))
    dh[1, 0, 2] = 0.0  # a zero error signal is left out, not a 0/0
    assert torch.isfinite(omega(states, dh, Q.unsqueeze(0), IDENTITY)).all()


def test_training_with_omega_batched_equals_solo() -> None:
    configs = [TrainConfig(task="temporal_order", cell="tanh", T=6, hidden=4, batch=4, steps=30, lr=0.05,
                           optimizer="sgd", clip=Clip("norm", 1.0), omega=2.0, check_every=1000, test_sequences=50,
                           dtype="float64", seed=s) for s in (0, 1)]
    got, want = train_batched(configs), [train(c) for c in configs]
    plain = train(TrainConfig(**{**configs[0].__dict__, "omega": 0.0}))
    for g, w in zip(got, want, strict=True):
        assert max(abs(a - b) / abs(b) for a, b in zip(g.losses, w.losses, strict=True)) < 1e-9
    assert plain.losses[5:] != want[0].losses[5:]  # Omega changes the training


def test_omega_needs_a_plain_cell() -> None:
    with pytest.raises(ValueError, match="Omega needs"):
        TrainConfig(cell="gru", omega=1.0)
    with pytest.raises(ValueError, match=">= 0"):
        TrainConfig(omega=-1.0)
