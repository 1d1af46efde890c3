"""Experiment A at a size of seconds: the data is consistent with its own runs, the figures draw."""

import dataclasses

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from rnnlab.dynamics.profile import decay_per_step  # noqa: E402
from rnnlab.experiments.skip import (  # noqa: E402
    Decay,
    SkipConfig,
    decay_title,
    gradient_decay,
    plot_decay,
    plot_success,
    run,
)

SMALL = SkipConfig(cells=("sigmoid", "skip", "gru"), lengths=(5, 10), seeds=(0, 1), steps=150, test_sequences=1000,
                   decay_T=30, decay_seeds=(0, 1, 2))


@pytest.fixture(scope="module")
def result():  # noqa: ANN201
    return run(SMALL)


def test_success_rates_are_the_runs(result) -> None:  # noqa: ANN001
    assert len(result.runs) == 3 * 2 * 2
    for cell in SMALL.cells:
        for i, T in enumerate(SMALL.lengths):
            runs = [r for r in result.runs if r.cell == cell and r.T == T]
            assert result.success[cell][i] == sum(r.solved for r in runs) / len(runs)
            assert all(r.solved == (r.test_error < 0.01) for r in runs)
        solved = [T for T, s in zip(SMALL.lengths, result.success[cell], strict=True) if s >= 0.5]
        assert result.largest_solved[cell] == (max(solved) if solved else None)
    assert result.success["gru"] == [1.0, 1.0]  # a reference cell solves these short lengths


def test_skip_decays_slower_for_the_same_weights(result) -> None:  # noqa: ANN001
    d = result.decay
    assert d.plain.shape == d.skip.shape == (3, 30)
    assert torch.all(d.plain[:, 0] == 1) and torch.all(d.skip[:, 0] == 1)
    assert d.skip_rate > d.plain_rate
    assert torch.all(d.skip[:, -1] > d.plain[:, -1])


def test_rates_are_the_one_fitted_definition(result) -> None:  # noqa: ANN001
    d = result.decay
    for rows, rate in ((d.plain, d.plain_rate), (d.skip, d.skip_rate)):
        rates = torch.tensor([decay_per_step(r) for r in rows], dtype=torch.float64)
        assert rate == pytest.approx(float(rates.median()), rel=1e-12)


def test_gradient_decay_ignores_and_keeps_the_global_rng() -> None:
    config = dataclasses.replace(SMALL, decay_T=12, decay_seeds=(3, 4))
    torch.manual_seed(123)
    before = torch.get_rng_state()
    first = gradient_decay(config)
    assert torch.equal(torch.get_rng_state(), before)  # the caller's stream is not advanced
    torch.manual_seed(987)
    second = gradient_decay(config)
    assert torch.equal(first.plain, second.plain) and torch.equal(first.skip, second.skip)
    assert (first.plain_rate, first.skip_rate) == (second.plain_rate, second.skip_rate)


def _decay(plain_rate: float, skip_rate: float) -> Decay:
    return Decay(torch.arange(3), torch.ones(1, 3), torch.ones(1, 3), plain_rate, skip_rate)


def test_decay_title_states_what_the_rates_show() -> None:
    slows = decay_title(_decay(0.4, 0.6), 2)
    assert "slows" in slows and "still vanishes" in slows and "x0.6 vs x0.4" in slows and "k=2" in slows
    assert "speeds up" in decay_title(_decay(0.6, 0.4), 3)
    assert "grows" in decay_title(_decay(0.6, 1.2), 2)
    assert "no rate" in decay_title(_decay(float("nan"), 0.5), 2) and "nan" not in decay_title(_decay(0.5, 0.5), 2)


def test_figures(result, tmp_path) -> None:  # noqa: ANN001
    for plot in (plot_decay, plot_success):
        fig, ax = plt.subplots()
        assert plot(ax, result)
        assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title()
        fig.savefig(tmp_path / "f.png")
        plt.close(fig)


def test_config_rejects() -> None:
    with pytest.raises(ValueError, match="unknown cell"):
        SkipConfig(cells=("elman",))
    with pytest.raises(ValueError, match="non-empty"):
        dataclasses.replace(SMALL, seeds=())


@pytest.mark.slow
def test_full_run() -> None:
    """The CPU-sized default: 5 cells x 4 lengths x 5 seeds; the skip cell must reach at least the plain one."""
    full = run(SkipConfig())
    plain, skip = full.largest_solved["sigmoid"], full.largest_solved["skip"]
    assert skip is not None and (plain is None or skip >= plain)
    assert full.decay.skip_rate > full.decay.plain_rate
