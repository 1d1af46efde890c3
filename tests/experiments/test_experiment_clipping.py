"""Experiment B at a size of seconds: statistics consistent with the runs, clipping behaves as defined."""

import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from rnnlab.experiments.clipping import ClippingConfig, plot_divergence, plot_losses, plot_norms, run  # noqa: E402

SMALL = ClippingConfig(T=20, hidden=16, steps=40, seeds=(0, 1), lr=0.3, test_sequences=500)


@pytest.fixture(scope="module")
def result():  # noqa: ANN201
    return run(SMALL)


def test_runs_and_summary(result) -> None:  # noqa: ANN001
    assert [(r.clip, r.seed) for r in result.runs] == [(c, s) for c in SMALL.clips for s in SMALL.seeds]
    summary = result.summary()
    for clip in SMALL.clips:
        runs = result.for_clip(clip)
        for r in runs:
            assert len(r.losses) == len(r.pre_norms) == SMALL.steps
            blew = any(not math.isfinite(v) or v > SMALL.blowup * r.losses[0] for v in r.losses)
            assert r.diverged == blew
        assert summary[clip]["divergence_rate"] == sum(r.diverged for r in runs) / len(runs)
    assert summary["none"]["fired_fraction"] == 0
    assert summary["norm:1"]["min_cosine"] == pytest.approx(1.0, abs=1e-9)  # norm clipping keeps the direction
    assert summary["value:0.1"]["min_cosine"] < 1  # value clipping cut components and turned the gradient
    assert summary["norm:1"]["fired_fraction"] > 0


def test_the_exploding_regime_is_reached(result) -> None:  # noqa: ANN001
    """With ||W||_2 = 3 the raw gradient norm grows far beyond the norm-clipping threshold somewhere."""
    assert result.summary()["norm:1"]["max_pre_norm"] > 10


def test_figures(result, tmp_path) -> None:  # noqa: ANN001
    for plot in (plot_losses, plot_norms, plot_divergence):
        fig, ax = plt.subplots()
        assert plot(ax, result)
        assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title()
        fig.savefig(tmp_path / "f.png")
        plt.close(fig)


def test_config_rejects() -> None:
    with pytest.raises(ValueError, match="clipping"):
        ClippingConfig(clips=("norm:-1",))


@pytest.mark.slow
def test_full_run() -> None:
    """The default: clipping by norm never diverges where no clipping does at least as often."""
    full = run(ClippingConfig())
    rates = full.divergence_rate
    assert rates["norm:1"] <= rates["none"]
    assert full.summary()["norm:1"]["nonfinite_skipped"] == 0
