"""The two-path gradient of the skip connection (S4), written out by hand, against autograd."""

import pytest
import torch

from rnnlab.core import Recurrent, sigmoid
from rnnlab.dynamics.probe import linear_readout, probe
from rnnlab.dynamics.skip import bptt_by_autograd, bptt_by_hand


@pytest.mark.parametrize("delays", [[], [2], [3], [2, 5]])
def test_two_paths_match_autograd(delays: list[int]) -> None:
    """By hand, by autograd on the unrolled graph, and by the probe (the fused recurrence's own backward)."""
    torch.manual_seed(0)
    cell = Recurrent(3, 5, sigmoid(), delays=delays, batch_first=True).double()
    x = torch.randn(2, 12, 3, dtype=torch.float64)
    h0 = torch.rand(2, 5, dtype=torch.float64)
    v = torch.randn(5, dtype=torch.float64)
    probed = probe(cell, x, lambda hs: (hs[-1] @ v).sum() + 0.5 * (hs[4] ** 2).sum(), h0)  # direct terms at 5, 12
    direct = torch.zeros(2, 12, 5, dtype=torch.float64)
    direct[:, -1] = v
    direct[:, 4] = probed.h[:, 4]
    auto = bptt_by_autograd(cell, x, direct, h0)
    torch.testing.assert_close(bptt_by_hand(cell, x, probed.h, direct, h0), auto)
    torch.testing.assert_close(probed.grads, auto[:, 1:])
    assert auto[:, 1].norm() > 0 and auto[:, 0].norm() > 0


def test_skip_slows_the_decay() -> None:
    """Same W, U, b: adding M makes ||dL/dh_1|| larger relative to ||dL/dh_T|| (S4), for each of several seeds."""
    for seed in range(5):
        torch.manual_seed(seed)
        skip = Recurrent(2, 8, sigmoid(), delays=[2], batch_first=True).double()
        plain = Recurrent(2, 8, sigmoid(), batch_first=True).double()
        plain.load_state_dict({k: v for k, v in skip.state_dict().items() if not k.startswith("M")})
        x = torch.randn(1, 40, 2, dtype=torch.float64)
        v = torch.randn(8, dtype=torch.float64)
        n_skip = probe(skip, x, linear_readout(v)).norms[0]
        n_plain = probe(plain, x, linear_readout(v)).norms[0]
        assert n_skip[0] > n_plain[0]
