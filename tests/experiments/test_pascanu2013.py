"""The paper's initialisations, as the authors' code draws them."""

import pytest
import torch
from torch import nn

from rnnlab.core import TANH, Recurrent, sigmoid
from rnnlab.experiments.pascanu2013 import SMART_NONZEROS, init_weights, sparse_recurrent


def test_smart_tanh_is_sparse_per_unit_at_radius_095() -> None:
    W = sparse_recurrent(50, 0.01, 15, 0.95, torch.Generator().manual_seed(0))
    assert ((W != 0).sum(dim=0) == 15).all()  # each unit's 15 outgoing weights (a column of W)
    assert float(torch.linalg.eigvals(W).abs().max()) == pytest.approx(0.95, rel=1e-12)


@pytest.mark.parametrize(("init", "std"), [("sigmoid", 0.01), ("tanh", 0.1)])
def test_dense_inits_are_normal_with_that_std(init: str, std: float) -> None:
    rnn = Recurrent(6, 50, sigmoid() if init == "sigmoid" else TANH, batch_first=True)
    readout = nn.Linear(50, 4)
    init_weights(rnn, readout, init, torch.Generator().manual_seed(1))
    assert float(rnn.W.detach().std()) == pytest.approx(std, rel=0.05)  # 2500 draws
    assert rnn.b is not None and not rnn.b.any() and not readout.bias.any()


def test_smart_init_on_a_cell_and_refusals() -> None:
    rnn, readout = Recurrent(6, 50, TANH, batch_first=True), nn.Linear(50, 4)
    init_weights(rnn, readout, "tanh_smart", torch.Generator().manual_seed(2))
    assert ((rnn.W != 0).sum(dim=0) == SMART_NONZEROS).all()
    with pytest.raises(ValueError, match="plain sigmoid"):
        init_weights(rnn, readout, "sigmoid", torch.Generator())
    with pytest.raises(ValueError, match="unknown initialisation"):
        init_weights(rnn, readout, "orthogonal", torch.Generator())
