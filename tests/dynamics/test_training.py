"""The training loop: reproducible, solves an easy setting, records clipping, survives a NaN."""

import math
from collections.abc import Iterable
from contextlib import nullcontext
from dataclasses import asdict, replace

import pytest
import torch
from torch import nn

import rnnlab.dynamics.training as training
from rnnlab.dynamics.clipping import Clip, ClipStep
from rnnlab.dynamics.tasks import Batch, Task, get_task
from rnnlab.dynamics.training import TrainConfig, build_model, error_rate, make_rnn, train


def test_solves_a_short_temporal_order_and_is_reproducible() -> None:
    config = TrainConfig(task="temporal_order", cell="gru", T=6, hidden=16, steps=400, check_every=25,
                         test_sequences=2000)
    a, b = train(config), train(config)
    assert a.solved and a.test_error < 0.01
    assert a.losses == b.losses and a.test_error == b.test_error
    # the reported error is the model's real error: recount it on fresh data with an independent loop
    model = build_model(config)
    assert error_rate(model, get_task("temporal_order"), 8, 1000, torch.Generator().manual_seed(5)) > 0.5


def test_records_clipping_per_step() -> None:
    r = train(TrainConfig(task="adding", cell="tanh", T=10, hidden=8, steps=20, clip=Clip("norm", 1e-3),
                          check_every=1000, test_sequences=100))
    assert r.steps_run == 20 and len(r.pre_norms) == 20
    assert r.clip["steps"] == 20 and r.clip["fired"] == 20  # every gradient is above 1e-3
    assert r.clip["min_cosine"] == pytest.approx(1.0, abs=1e-9)
    assert r.nonfinite_skipped == 0 and math.isfinite(r.final_loss)


def test_a_nan_batch_is_skipped_not_applied(monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches that make the gradient NaN are counted, and the weights stay exactly the initial ones."""
    config = TrainConfig(task="adding", cell="sigmoid", T=6, hidden=4, steps=3, check_every=1000, test_sequences=10)

    class Poisoned(Task):
        def batch(self, size: int, T: int, gen: torch.Generator) -> Batch:
            b = super().batch(size, T, gen)
            b.x[0, 0, 1] = math.nan
            return b

    task = Poisoned(**asdict(get_task("adding")))
    monkeypatch.setattr(training, "get_task", lambda name: task)
    r = train(config)
    assert r.nonfinite_skipped == 3 and all(math.isnan(v) for v in r.losses)
    initial = build_model(config).state_dict()
    for name, value in r.model.state_dict().items():
        assert torch.equal(value, initial[name]), name


def test_a_nonfinite_step_leaves_adam_weights_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    """A NaN gradient at step 2, after Adam has state: the weights equal those of a run that stopped at step 1."""
    config = TrainConfig(task="adding", cell="sigmoid", T=6, hidden=4, steps=1, check_every=1000, test_sequences=10)
    after_one = train(config).model.state_dict()
    real, calls = training.clip_gradients, []

    def poison_the_second(params: Iterable[nn.Parameter], clip: Clip) -> ClipStep:
        params = list(params)
        calls.append(len(calls))
        if len(calls) == 2:
            assert params[0].grad is not None
            params[0].grad[0] = math.nan
        return real(params, clip)

    monkeypatch.setattr(training, "clip_gradients", poison_the_second)
    r = train(replace(config, steps=2))
    assert r.nonfinite_skipped == 1 and len(calls) == 2
    moved = [name for name, value in r.model.state_dict().items() if not torch.equal(value, after_one[name])]
    assert moved == []


def test_make_rnn_rejects() -> None:
    with pytest.raises(ValueError, match="unknown cell"):
        make_rnn("elman", 2, 4)
    with pytest.raises(ValueError, match="hidden"):
        make_rnn("tanh", 2, 0)
    with pytest.raises(ValueError, match="delay"):
        make_rnn("skip", 2, 4, delay=1)
    with pytest.raises(ValueError, match="optimizer"):
        TrainConfig(optimizer="lbfgs")
    with pytest.raises(ValueError, match="T must be"):
        TrainConfig(T=0)


def test_building_a_model_leaves_the_callers_random_stream_alone() -> None:
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    a = build_model(TrainConfig(cell="lstm", seed=7))
    assert torch.equal(torch.rand(3), expected)
    b = build_model(TrainConfig(cell="lstm", seed=7))
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters(), strict=True))


def test_flush_denormals_is_scoped_and_restores() -> None:
    tiny = torch.finfo(torch.float32).tiny
    with training.flush_denormals():
        assert float(torch.full((1,), tiny).mul_(0.5)) == 0.0
    assert float(torch.full((1,), tiny).mul_(0.5)) == tiny / 2


def test_flushing_subnormals_leaves_training_as_it_was(monkeypatch: pytest.MonkeyPatch) -> None:
    """A float32 sigmoid net whose gradient at the first steps goes subnormal (checked): the same losses, norms and
    weights, bit for bit, with flushing on (train's default) and off."""
    config = TrainConfig(task="temporal_order", cell="sigmoid", T=60, hidden=8, batch=4, steps=30, w_norm=0.5,
                         check_every=1000, test_sequences=50, optimizer="adam")
    model, task = build_model(config), get_task(config.task)
    x = task.batch(config.batch, config.T, torch.Generator().manual_seed(config.seed)).x.requires_grad_()
    (g,) = torch.autograd.grad(model(x).square().sum(), x)
    assert bool(((g != 0) & (g.abs() < torch.finfo(torch.float32).tiny)).any())  # subnormals without flushing
    flushed = train(config)
    monkeypatch.setattr(training, "flush_denormals", nullcontext)
    kept = train(config)
    assert flushed.losses == kept.losses and flushed.pre_norms == kept.pre_norms
    for a, b in zip(flushed.model.parameters(), kept.model.parameters(), strict=True):
        assert torch.equal(a, b)
