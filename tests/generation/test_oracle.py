"""The HMM source's exact likelihood against brute-force enumeration."""

import itertools
import math

import pytest
import torch

from rnnlab.generation.oracle import HMM, random_hmm


def brute_force_probability(hmm: HMM, x: list[int]) -> float:
    """p(x) = sum over every hidden path z of pi[z1] B[z1,x1] prod A[z_{t-1},z_t] B[z_t,x_t], in Python floats."""
    pi, A, B = hmm.pi.tolist(), hmm.A.tolist(), hmm.B.tolist()
    total = 0.0
    for z in itertools.product(range(hmm.n_states), repeat=len(x)):
        p = pi[z[0]] * B[z[0]][x[0]]
        for t in range(1, len(x)):
            p *= A[z[t - 1]][z[t]] * B[z[t]][x[t]]
        total += p
    return total


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("T", [1, 2, 4])
def test_forward_algorithm_equals_enumeration(seed: int, T: int) -> None:
    hmm = random_hmm(n_states=3, n_symbols=3, seed=seed, concentration=0.7, stay=0.3)
    xs = list(itertools.product(range(3), repeat=T))
    ll = hmm.log_likelihood(torch.tensor(xs))
    for x, value in zip(xs, ll.tolist(), strict=True):
        assert value == pytest.approx(math.log(brute_force_probability(hmm, list(x))), rel=1e-10, abs=1e-12)
    assert ll.exp().sum().item() == pytest.approx(1.0, abs=1e-12)  # a distribution over all sequences


def test_predictive_is_a_conditional_distribution() -> None:
    hmm = random_hmm(4, 5, seed=2)
    x = hmm.sample(6, 7, torch.Generator().manual_seed(0))
    p = hmm.predictive(x)
    torch.testing.assert_close(p.sum(-1), torch.ones(6, 7, dtype=torch.float64))
    # p(x_t | x_<t) = p(x_<=t) / p(x_<t), each side by enumeration.
    row = x[0].tolist()
    for t in range(1, 4):
        ratio = brute_force_probability(hmm, row[: t + 1]) / brute_force_probability(hmm, row[:t])
        assert p[0, t, row[t]].item() == pytest.approx(ratio, rel=1e-10)


def test_samples_follow_the_source() -> None:
    hmm = random_hmm(2, 3, seed=3, concentration=1.0)
    x = hmm.sample(20_000, 1, torch.Generator().manual_seed(1))
    freq = torch.bincount(x[:, 0], minlength=3).double() / 20_000
    torch.testing.assert_close(freq, hmm.pi @ hmm.B, atol=0.015, rtol=0)


def test_bad_hmms() -> None:
    with pytest.raises(ValueError, match="shapes"):
        HMM(torch.ones(2, dtype=torch.float64) / 2, torch.eye(3, dtype=torch.float64),
            torch.ones(3, 2, dtype=torch.float64) / 2)
    with pytest.raises(ValueError, match="rows summing to 1"):
        HMM(torch.ones(2, dtype=torch.float64), torch.eye(2, dtype=torch.float64),
            torch.ones(2, 2, dtype=torch.float64) / 2)
    with pytest.raises(ValueError, match="symbols"):
        random_hmm(2, 1)
    with pytest.raises(ValueError, match="stay"):
        random_hmm(2, 2, stay=1.0)
