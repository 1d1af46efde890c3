"""The core recurrence against torch.nn.RNN (oracle) and against the equation written out by hand."""

import pytest
import torch
from torch import nn

from rnnlab.core import TANH, Activation, Recurrent, sigmoid, step


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


def test_rejects_bad_sizes_and_delays() -> None:
    with pytest.raises(ValueError, match=">= 1"):
        Recurrent(3, 0, TANH)
    with pytest.raises(ValueError, match="delays"):
        Recurrent(3, 4, TANH, delays=[1])
