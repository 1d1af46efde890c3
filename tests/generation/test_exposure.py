"""Exposure-bias metrics against their definitions."""

import pytest
import torch
import torch.nn.functional as F

from rnnlab.generation.data import make_corpus
from rnnlab.generation.exposure import _kl, accumulated_excess, oracle_curves, position_curves
from rnnlab.generation.lm import LMConfig, build_model
from rnnlab.generation.oracle import random_hmm


def test_kl_matches_torch() -> None:
    logp = F.log_softmax(torch.randn(5, 7, dtype=torch.float64), -1)
    logq = F.log_softmax(torch.randn(5, 7, dtype=torch.float64), -1)
    expected = F.kl_div(logq, logp, reduction="none", log_target=True).sum(-1)
    torch.testing.assert_close(_kl(logp, logq), expected)
    assert torch.equal(_kl(logp, logp), torch.zeros(5, dtype=torch.float64))


def test_accumulated_excess() -> None:
    assert accumulated_excess([2.0, 3.0, 5.0], [1.0, 1.0, 2.0]) == [100.0, 150.0, 150.0]


def test_a_model_blind_to_its_input_has_no_exposure_bias() -> None:
    """With the input weights at zero the prediction cannot depend on the prefix: own = true exactly."""
    model = build_model(LMConfig(65, "gru", 8, 16), 0)
    with torch.no_grad():
        model.embed.weight.zero_()
    c = position_curves(model, make_corpus().val, windows=16, prompt=4, length=10)
    assert c.tf_nll == pytest.approx(c.fr_nll, rel=1e-6) and c.tf_err == c.fr_err
    assert len(c.tf_nll) == 10


def test_own_prefix_is_worse_for_a_real_model_on_text() -> None:
    """Even an untrained model's own prefix differs from the truth; the curves are well formed."""
    model = build_model(LMConfig(65, "gru", 8, 16), 1)
    c = position_curves(model, make_corpus().val, windows=32, prompt=8, length=12)
    s = c.summary()
    assert set(s) >= {"tf_nll", "fr_nll", "gap_nll", "tf_err", "fr_err"}
    assert all(0 <= e <= 1 for e in c.fr_err)


def test_oracle_curves_are_exact_divergences() -> None:
    hmm = random_hmm(4, 5, seed=0)
    model = build_model(LMConfig(6, "gru", 4, 8), 0)  # 5 symbols + BOS
    c = oracle_curves(model, hmm, n=64, T=6)
    assert len(c.kl_true) == len(c.kl_own) == len(c.entropy) == 6
    assert min(c.kl_true) >= 0 and min(c.kl_own) >= 0
    # The source's own conditional NLL is its entropy; at t = 1 it is H(pi B) exactly in expectation.
    p1 = hmm.pi @ hmm.B
    h1 = -(p1 * p1.log()).sum().item()
    assert c.entropy[0] == pytest.approx(h1, abs=0.25)
