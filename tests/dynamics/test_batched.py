"""Seed-batched training against solo runs: the same losses, clip statistics, stopping and skipped steps."""

import math
from dataclasses import asdict, replace

import pytest
import torch
from torch import nn

import rnnlab.dynamics.batched as batched
import rnnlab.dynamics.training as training
from rnnlab.dynamics.batched import StackedOptimizer, check_batchable, clip_stacked, train_batched
from rnnlab.dynamics.clipping import Clip, clip_gradients
from rnnlab.dynamics.tasks import Batch, Task, get_task
from rnnlab.dynamics.training import CELLS, OPTIMIZERS, TrainConfig, TrainResult, train


def _configs(seeds: tuple[int, ...] = (0, 1), **kw: object) -> list[TrainConfig]:
    base = dict(task="temporal_order", T=6, hidden=4, batch=4, steps=100, lr=0.03, check_every=1000,
                test_sequences=50, dtype="float64")
    base.update(kw)
    return [TrainConfig(seed=s, **base) for s in seeds]  # type: ignore[arg-type]


def _max_rel(a: list[float], b: list[float]) -> float:
    assert len(a) == len(b)
    return max((abs(x - y) / max(abs(y), 1e-300) for x, y in zip(a, b, strict=True)), default=0.0)


def _same_as_solo(got: list[TrainResult], want: list[TrainResult], rtol: float) -> None:
    for g, w in zip(got, want, strict=True):
        assert g.config == w.config
        assert g.steps_run == w.steps_run and g.nonfinite_skipped == w.nonfinite_skipped
        assert _max_rel(g.losses, w.losses) < rtol
        assert _max_rel(g.pre_norms, w.pre_norms) < rtol
        assert g.clip["fired"] == w.clip["fired"]
        assert g.solved == w.solved


# every cell and every optimizer in the default suite; the full grid of pairs is slow-marked
_PAIRS = [(cell, OPTIMIZERS[i % len(OPTIMIZERS)]) for i, cell in enumerate(CELLS)]
_GRID = [pytest.param(c, o, marks=[pytest.mark.slow] if (c, o) not in _PAIRS else [])
         for c in CELLS for o in OPTIMIZERS]


@pytest.mark.parametrize(("cell", "optimizer"), _GRID)
def test_float64_losses_equal_solo_runs_over_100_steps(cell: str, optimizer: str) -> None:
    configs = _configs(cell=cell, optimizer=optimizer, clip=Clip("norm", 0.5))
    got, want = train_batched(configs), [train(c) for c in configs]
    _same_as_solo(got, want, 1e-9)
    assert got[0].losses != got[1].losses  # each model its own seed
    for g, w in zip(got, want, strict=True):  # the written-back model is the solo run's model
        for a, b in zip(g.model.parameters(), w.model.parameters(), strict=True):
            torch.testing.assert_close(a, b, rtol=1e-9, atol=1e-12)


def test_adding_groups_models_by_length_and_value_clipping_matches() -> None:
    configs = _configs(seeds=(0, 1, 2), task="adding", T=20, cell="tanh", optimizer="msgd", steps=40,
                       clip=Clip("value", 0.05))
    got, want = train_batched(configs), [train(c) for c in configs]
    _same_as_solo(got, want, 1e-9)
    assert all(g.clip["fired"] > 0 for g in got) and min(g.clip["min_cosine"] for g in got) < 1


def test_a_solved_model_stops_and_the_others_go_on() -> None:
    configs = _configs(seeds=(0, 1, 2, 3), cell="tanh", hidden=6, optimizer="adam", steps=200, check_every=10,
                       lr=0.05, T=6, test_sequences=200)
    got, want = train_batched(configs), [train(c) for c in configs]
    _same_as_solo(got, want, 1e-9)
    assert len({g.steps_run for g in got}) > 1  # they stopped at different steps
    assert any(g.solved for g in got)
    assert [g.test_error for g in got] == [w.test_error for w in want]


def test_a_non_finite_model_is_skipped_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    """Seed 1's batches carry a NaN: its steps are skipped and its weights stay; seed 0 trains as alone."""

    class Poisoned(Task):
        def batch(self, size: int, T: int, gen: torch.Generator) -> Batch:
            b = super().batch(size, T, gen)
            if gen.initial_seed() == 1:
                b.x[0, 0, 0] = math.nan
            return b

    task = Poisoned(**asdict(get_task("temporal_order")))
    monkeypatch.setattr(training, "get_task", lambda name: task)
    monkeypatch.setattr(batched, "get_task", lambda name: task)
    configs = _configs(cell="sigmoid", steps=10, optimizer="adam")
    got, want = train_batched(configs), [train(c) for c in configs]
    assert got[1].nonfinite_skipped == want[1].nonfinite_skipped == 10
    assert got[0].nonfinite_skipped == 0
    assert _max_rel(got[0].losses, want[0].losses) < 1e-9
    init = training.build_model(configs[1])
    for a, b in zip(got[1].model.parameters(), init.parameters(), strict=True):
        assert torch.equal(a, b)


@pytest.mark.parametrize("cell", [c if c == "tanh" else pytest.param(c, marks=pytest.mark.slow) for c in CELLS])
def test_float32_close_to_solo_over_60_steps(cell: str) -> None:
    configs = _configs(seeds=(0, 1, 2), dtype="float32", cell=cell, hidden=8, steps=60, T=8)
    got, want = train_batched(configs), [train(c) for c in configs]
    _same_as_solo(got, want, 1e-4)


@pytest.mark.slow
@pytest.mark.parametrize("cell", CELLS)
def test_float32_larger_runs_close_and_same_decisions(cell: str) -> None:
    """Larger float32 runs: the same decisions, and losses to 1e-4 over the first 20 steps. Not over 60: the two
    computations sum in different orders, and a chaotic stretch of training can grow that 1e-7 (tanh, seed 3
    here: past 1e-5 at step 23, 5% by step 50, with the same decision at the end)."""
    configs = _configs(seeds=tuple(range(6)), dtype="float32", cell=cell, hidden=32, batch=20, T=10, steps=400,
                       check_every=50, test_sequences=2000, lr=0.01, optimizer="adam")
    got, want = train_batched(configs), [train(c) for c in configs]
    for g, w in zip(got, want, strict=True):
        assert _max_rel(g.losses[:20], w.losses[:20]) < 1e-4
        assert g.solved == w.solved


@pytest.mark.parametrize("kind", ["norm", "value"])
def test_stacked_clipping_is_torch_clipping_per_slice(kind: str) -> None:
    gen = torch.Generator().manual_seed(0)
    shapes = [(3, 4, 4), (3, 4), (3, 2, 4)]
    grads = [torch.randn(*s, generator=gen) for s in shapes]
    grads[0][1] *= 100  # model 1 far above the threshold, model 2 tiny: below it
    for g in grads:
        g[2] *= 1e-3
    ref = [g.clone() for g in grads]
    stats = clip_stacked(grads, Clip(kind, 0.5))
    for s in range(3):
        params = [nn.Parameter(torch.zeros(r.shape[1:])) for r in ref]
        for p, r in zip(params, ref, strict=True):
            p.grad = r[s].clone()
        want = clip_gradients(params, Clip(kind, 0.5))
        for p, g in zip(params, grads, strict=True):
            assert p.grad is not None
            torch.testing.assert_close(g[s], p.grad, rtol=1e-6, atol=0)
        got = stats.step(s)
        assert got.fired == want.fired and got.finite == want.finite
        assert got.pre_norm == pytest.approx(want.pre_norm, rel=1e-12)
        assert got.post_norm == pytest.approx(want.post_norm, rel=1e-6)
        assert got.cosine == pytest.approx(want.cosine, rel=1e-6)
    assert bool(stats.fired[1]) and not bool(stats.fired[2])


def test_stacked_clipping_zeroes_a_non_finite_model_only() -> None:
    grads = [torch.ones(2, 3), torch.ones(2, 2)]
    grads[1][0, 1] = math.inf
    stats = clip_stacked(grads, Clip("norm", 1.0))
    assert stats.finite.tolist() == [False, True]
    assert torch.equal(grads[0][0], torch.zeros(3)) and torch.equal(grads[1][0], torch.zeros(2))
    assert float(torch.linalg.vector_norm(torch.cat([grads[0][1], grads[1][1]]))) == pytest.approx(1.0, rel=1e-5)


def test_stacked_optimizer_masked_model_keeps_everything() -> None:
    p = nn.Parameter(torch.ones(2, 3))
    opt = StackedOptimizer([p], "adam", 0.1)
    p.grad = torch.ones(2, 3)
    opt.step(torch.tensor([True, False]))
    assert torch.equal(p[1].detach(), torch.ones(3)) and not torch.equal(p[0].detach(), torch.ones(3))
    assert opt.steps.tolist() == [1.0, 0.0]
    with pytest.raises(ValueError, match="unknown optimizer"):
        StackedOptimizer([p], "rmsprop", 0.1)


def test_configs_must_differ_only_in_seed() -> None:
    a = TrainConfig(seed=0)
    with pytest.raises(ValueError, match="only in their seed"):
        check_batchable([a, replace(a, seed=1, hidden=3)])
    with pytest.raises(ValueError, match="at least one"):
        check_batchable([])


