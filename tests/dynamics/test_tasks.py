"""Task generators: shapes, positions, and targets recomputed independently from the inputs."""

import pytest
import torch

from rnnlab.dynamics.tasks import get_task


@pytest.mark.parametrize("T", [4, 10, 37, 100])
def test_adding(T: int) -> None:
    task = get_task("adding")
    b = task.batch(64, T, torch.Generator().manual_seed(T))
    B, L, C = b.x.shape
    assert (B, C) == (64, 2) and T <= L < T + max(T // 10, 1) and b.y.shape == (64, 1)
    for x, y in zip(b.x, b.y, strict=True):
        marked = [i for i in range(L) if x[i, 0].item() == 1.0]
        assert len(marked) == 2 and set(x[:, 0].tolist()) <= {0.0, 1.0}
        p0, p1 = marked
        assert p0 < max(L // 10, 1) and max(L // 10, 1) <= p1 < max(L // 2, 2)
        assert y.item() == pytest.approx((x[p0, 1].item() + x[p1, 1].item()) / 2)
        assert 0 <= x[:, 1].min() and x[:, 1].max() < 1


@pytest.mark.parametrize("T", [4, 10, 50, 120])
def test_temporal_order(T: int) -> None:
    task = get_task("temporal_order")
    b = task.batch(64, T, torch.Generator().manual_seed(T))
    assert b.x.shape == (64, T, 6) and b.y.shape == (64,)
    assert torch.equal(b.x.sum(dim=2), torch.ones(64, T))  # one-hot
    names = "ABcdef"
    for x, y in zip(b.x, b.y, strict=True):
        seq = "".join(names[int(i)] for i in x.argmax(dim=1))
        specials = [(i, c) for i, c in enumerate(seq) if c in "AB"]
        assert len(specials) == 2
        (p0, s0), (p1, s1) = specials
        w = T // 10
        assert w <= p0 < max(2 * w, w + 1) and T // 2 <= p1 < T // 2 + max(w, 1)
        assert int(y) == ["AA", "BA", "AB", "BB"].index(s0 + s1)


def test_seeded_and_balanced() -> None:
    task = get_task("temporal_order")
    a = task.batch(4000, 20, torch.Generator().manual_seed(7))
    b = task.batch(4000, 20, torch.Generator().manual_seed(7))
    assert torch.equal(a.x, b.x) and torch.equal(a.y, b.y)
    counts = torch.bincount(a.y, minlength=4).float() / 4000
    assert torch.all((counts - 0.25).abs() < 0.03)


def test_error_criteria() -> None:
    add = get_task("adding")
    y = torch.tensor([[0.5], [0.5]])
    assert add.errors(torch.tensor([[0.5 + 0.19], [0.5 + 0.21]]), y).tolist() == [False, True]  # 0.2^2 = 0.04
    order = get_task("temporal_order")
    assert order.errors(torch.eye(4), torch.tensor([0, 1, 3, 3])).tolist() == [False, False, True, False]


def test_a_constant_half_is_wrong_on_36_percent_of_adding_sequences() -> None:
    """Closed form: the mean m of two U[0, 1) numbers has density 4m below 1/2, so P(|m - 1/2| > 0.2) = 2 (2 0.3^2)."""
    task = get_task("adding")
    b = task.batch(20_000, 40, torch.Generator().manual_seed(3))
    rate = task.errors(torch.full_like(b.y, 0.5), b.y).double().mean().item()
    assert abs(rate - 0.36) < 0.015  # 20,000 draws: standard error 0.0034


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="unknown task"):
        get_task("copy")
    with pytest.raises(ValueError, match="T must be"):
        get_task("adding").batch(2, 1, torch.Generator())
    with pytest.raises(ValueError, match="batch size"):
        get_task("adding").batch(0, 10, torch.Generator())


def test_constant_predictor_closed_form_matches_simulation() -> None:
    """The input-blind baseline the clipping report compares against: closed form vs 20,000 simulated sequences."""
    import math

    from rnnlab.dynamics.tasks import constant_predictor, get_task

    gen = torch.Generator().manual_seed(0)
    adding = get_task("adding")
    b = adding.batch(20_000, 20, gen)
    half = torch.full_like(b.y, 0.5)
    error, loss = constant_predictor("adding")
    assert error == pytest.approx(0.36) and loss == pytest.approx(1 / 24)
    assert float(adding.errors(half, b.y).float().mean()) == pytest.approx(error, abs=0.015)
    assert float(adding.loss(half, b.y)) == pytest.approx(loss, rel=0.05)
    order = get_task("temporal_order")
    b = order.batch(20_000, 20, gen)
    uniform = torch.zeros(20_000, 4)
    error, loss = constant_predictor("temporal_order")
    assert float(order.errors(uniform, b.y).float().mean()) == pytest.approx(error, abs=0.015)
    assert float(order.loss(uniform, b.y)) == pytest.approx(loss) and loss == pytest.approx(math.log(4))
