"""The core recurrence against torch.nn.RNN, against autograd on the op-by-op graph, and against the equation."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from rnnlab.core import IDENTITY, TANH, Activation, Recurrent, recur, sigmoid, step, unroll


@pytest.mark.parametrize("batch_first", [False, True])
def test_matches_nn_rnn_forward_and_gradients(batch_first: bool) -> None:
    torch.manual_seed(0)
    rnn = nn.RNN(5, 7, batch_first=batch_first).double()
    cell = Recurrent.from_rnn(rnn)
    x = torch.randn(3, 11, 5, dtype=torch.float64)
    x = x if batch_first else x.transpose(0, 1)
    h0 = torch.randn(1, 3, 7, dtype=torch.float64)
    out_ref, hn_ref = rnn(x, h0)
    out, hn = cell(x, h0)
    torch.testing.assert_close(out, out_ref)
    torch.testing.assert_close(hn, hn_ref)
    (out_ref.sin().sum() + hn_ref.sum()).backward()
    (out.sin().sum() + hn.sum()).backward()
    torch.testing.assert_close(cell.W.grad, rnn.weight_hh_l0.grad)
    torch.testing.assert_close(cell.U.grad, rnn.weight_ih_l0.grad)
    assert cell.b is not None and rnn.bias_hh_l0.grad is not None
    torch.testing.assert_close(cell.b.grad, rnn.bias_hh_l0.grad)


def test_unbatched_input_like_nn_rnn() -> None:
    torch.manual_seed(1)
    rnn = nn.RNN(2, 3)
    cell = Recurrent.from_rnn(rnn)
    x, h0 = torch.randn(6, 2), torch.randn(1, 3)
    for a, b in zip(cell(x, h0), rnn(x, h0), strict=True):
        torch.testing.assert_close(a, b)


def test_delayed_connection_is_the_equation() -> None:
    """h_t = sigmoid(W h_{t-1} + M h_{t-k} + U x_t + b), h_{t-k} = 0 before the start."""
    torch.manual_seed(2)
    k = 3
    cell = Recurrent(2, 4, sigmoid(), delays=[k], batch_first=True).double()
    x = torch.randn(2, 9, 2, dtype=torch.float64)
    h0 = torch.randn(1, 2, 4, dtype=torch.float64)
    out, _ = cell(x, h0)
    hs = [h0[0]]
    for t in range(1, 10):
        z = hs[t - 1] @ cell.W.T + x[:, t - 1] @ cell.U.T + cell.b
        if t - k >= 0:
            z = z + hs[t - k] @ cell.M[0].T
        hs.append(torch.sigmoid(z))
    torch.testing.assert_close(out, torch.stack(hs[1:], dim=1))


@pytest.mark.parametrize("act", [sigmoid(), sigmoid(2.5), TANH, IDENTITY, step()], ids=lambda a: str(a.to_dict()))
@pytest.mark.parametrize("delays", [[], [2], [3], [2, 5], [13]])
@pytest.mark.parametrize("T", [1, 2, 3, 6, 7, 12])
def test_hand_written_backward_matches_autograd(act: Activation, delays: list[int], T: int) -> None:
    """Every gradient of the fused recurrence, and the totals dL/dh_t it hands over, against autograd (`unroll`)."""
    gen = torch.Generator().manual_seed(T * 100 + len(delays))
    H, B = 4, 3
    W = (torch.randn(H, H, generator=gen, dtype=torch.float64) * 0.6).requires_grad_()
    Ms = [(torch.randn(H, H, generator=gen, dtype=torch.float64) * 0.6).requires_grad_() for _ in delays]
    xu = torch.randn(T, B, H, generator=gen, dtype=torch.float64, requires_grad=True)
    h0 = torch.randn(B, H, generator=gen, dtype=torch.float64, requires_grad=True)
    weight = torch.randn(T, B, H, generator=gen, dtype=torch.float64)  # L = sum_t weight_t . h_t^2
    inputs = [xu, h0, W, *Ms]

    totals: list[torch.Tensor] = []
    ours = recur(xu, h0, W, act, list(zip(delays, Ms, strict=True)), totals.append)
    (weight * ours**2).sum().backward()
    got = [p.grad.clone() for p in inputs] + totals
    for p in inputs:
        p.grad = None

    hs = unroll(xu.unbind(0), h0, W, act, list(zip(delays, Ms, strict=True)))
    if not hs[0].requires_grad:  # a step net carries no graph: dL/dh_t is the direct term alone
        hs = [h.detach().requires_grad_() for h in hs]
    for h in hs:
        h.retain_grad()
    (weight * torch.stack(hs) ** 2).sum().backward()
    expected = [torch.zeros_like(p) if p.grad is None else p.grad for p in inputs]
    expected.append(torch.stack([h.grad for h in hs]))

    torch.testing.assert_close(ours, torch.stack(hs).detach())
    for name, a, b in zip(["xu", "h0", "W", *(f"M{k}" for k in delays), "dL/dh"], got, expected, strict=True):
        torch.testing.assert_close(a, b, msg=lambda m, n=name: f"{n}: {m}")


def test_recurrence_gradients_reach_only_what_asks() -> None:
    W = torch.eye(2, requires_grad=True)
    xu, h0 = torch.zeros(3, 1, 2), torch.zeros(1, 2)
    recur(xu, h0, W, IDENTITY).sum().backward()
    assert W.grad is not None and h0.grad is None and xu.grad is None
    with pytest.raises(ValueError, match=r"\(T, B, H\)"):
        recur(torch.zeros(3, 2), h0, W, IDENTITY)


def test_non_contiguous_input_terms() -> None:
    gen = torch.Generator().manual_seed(7)
    xu = torch.randn(3, 9, 4, generator=gen, dtype=torch.float64).transpose(0, 1)  # (T, B, H), not contiguous
    W, M = torch.randn(4, 4, generator=gen, dtype=torch.float64), torch.randn(4, 4, generator=gen, dtype=torch.float64)
    h0 = torch.zeros(3, 4, dtype=torch.float64)
    ours = recur(xu, h0, W, TANH, [(2, M)])
    torch.testing.assert_close(ours, torch.stack(unroll(xu.unbind(0), h0, W, TANH, [(2, M)])))


def test_module_and_its_reference_agree_for_a_skip_cell() -> None:
    torch.manual_seed(4)
    cell = Recurrent(3, 5, sigmoid(), delays=[2], batch_first=True).double()
    x = torch.randn(4, 9, 3, dtype=torch.float64)
    out, h_n = cell(x)
    hs = unroll(F.linear(x, cell.U, cell.b).unbind(1), torch.zeros(4, 5, dtype=torch.float64), cell.W, cell.act,
                [(2, cell.M[0])])
    torch.testing.assert_close(out, torch.stack(hs, dim=1))
    torch.testing.assert_close(h_n[0], hs[-1])


def test_activations() -> None:
    z = torch.tensor([-1.0, 0.0, 0.5, 2.0])
    assert step()(z).tolist() == [0, 0, 1, 1]
    assert step(strict=False)(z).tolist() == [0, 1, 1, 1]
    assert step(0.5, strict=False)(z).tolist() == [0, 0, 1, 1]
    torch.testing.assert_close(sigmoid(10.0)(z), torch.sigmoid(10 * z))
    torch.testing.assert_close(TANH(z), torch.tanh(z))
    assert Activation.from_dict(sigmoid(3.0).to_dict()) == sigmoid(3.0)
    with pytest.raises(ValueError, match="unknown activation"):
        Activation("relu6")


def test_input_and_h0_gradients_match_nn_rnn_in_every_layout() -> None:
    torch.manual_seed(5)
    for batch_first, unbatched in [(False, False), (True, False), (False, True), (True, True)]:
        rnn = nn.RNN(3, 4, batch_first=batch_first).double()
        cell = Recurrent.from_rnn(rnn)
        shape = (6, 3) if unbatched else ((2, 6, 3) if batch_first else (6, 2, 3))
        x = torch.randn(*shape, dtype=torch.float64)
        h0 = torch.randn(*((1, 4) if unbatched else (1, 2, 4)), dtype=torch.float64)
        grads = []
        for module in (rnn, cell):
            xi, hi = x.clone().requires_grad_(), h0.clone().requires_grad_()
            out, h_n = module(xi, hi)
            (out.cos().sum() + h_n.sum()).backward()
            grads.append((out.detach(), xi.grad, hi.grad))
        for a, b in zip(*grads, strict=True):
            torch.testing.assert_close(a, b)


def test_rejects_mis_shaped_input_and_h0() -> None:
    cell = Recurrent(3, 4, TANH)
    with pytest.raises(ValueError, match=r"h0 must have shape \(1, 2, 4\), got \(2, 4\)"):
        cell(torch.zeros(5, 2, 3), torch.zeros(2, 4))
    with pytest.raises(ValueError, match=r"h0 must have shape \(1, 4\)"):
        cell(torch.zeros(5, 3), torch.zeros(1, 1, 4))
    with pytest.raises(ValueError, match="input must be"):
        cell(torch.zeros(5, 2, 7))
    with pytest.raises(ValueError, match="input must be"):
        cell(torch.zeros(5))


def test_rejects_bad_sizes_and_delays() -> None:
    with pytest.raises(ValueError, match=">= 1"):
        Recurrent(3, 0, TANH)
    with pytest.raises(ValueError, match="delays"):
        Recurrent(3, 4, TANH, delays=[1])
