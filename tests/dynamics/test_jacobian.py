"""The analytic step Jacobian against autograd, and the S3 bound on many random cells."""

import pytest
import torch
from torch.autograd.functional import jacobian

from rnnlab.core import TANH, Recurrent, sigmoid
from rnnlab.dynamics.jacobian import (
    BoundConfig,
    bound_curve,
    cell_bound,
    check_bound,
    gamma,
    step_jacobian,
    step_jacobians,
)
from rnnlab.dynamics.probe import linear_readout, probe


@pytest.mark.parametrize("act", [sigmoid(), sigmoid(3.0), TANH], ids=["sigmoid", "sigmoid-gain3", "tanh"])
def test_step_jacobian_matches_autograd(act) -> None:
    torch.manual_seed(0)
    cell = Recurrent(3, 5, act).double()
    h_prev = torch.rand(1, 5, dtype=torch.float64)
    x_t = torch.randn(1, 3, dtype=torch.float64)
    ours = step_jacobian(cell, h_prev, x_t)[0]
    ref = jacobian(lambda h: cell.step(x_t, h.unsqueeze(0))[0], h_prev[0])  # autograd's (H, H)
    torch.testing.assert_close(ours, ref)


def test_delayed_jacobians_match_autograd() -> None:
    torch.manual_seed(1)
    k = 3
    cell = Recurrent(2, 4, sigmoid(), delays=[k], batch_first=True).double()
    history = [torch.rand(1, 4, dtype=torch.float64) for _ in range(5)]  # h_0..h_4, so t = 5
    x_t = torch.randn(1, 2, dtype=torch.float64)

    def h_t(h_last: torch.Tensor, h_lag: torch.Tensor) -> torch.Tensor:
        z = h_last @ cell.W.T + h_lag @ cell.M[0].T + x_t @ cell.U.T + cell.b
        return torch.sigmoid(z)[0]

    ref_W, ref_M = jacobian(h_t, (history[-1], history[5 - k]))
    ours = step_jacobians(cell, history, x_t)
    torch.testing.assert_close(ours[1][0], ref_W[:, 0])
    torch.testing.assert_close(ours[k][0], ref_M[:, 0])


def test_gamma_is_the_derivative_maximum() -> None:
    z = torch.linspace(-10, 10, 200_001, dtype=torch.float64)
    for act in (sigmoid(), sigmoid(2.0), TANH):
        z.requires_grad_(True)
        (d,) = torch.autograd.grad(act(z).sum(), z)
        assert float(d.max()) == pytest.approx(gamma(act), rel=1e-9)


def test_bound_curve_closed_form_without_skip() -> None:
    B = bound_curve(2.0, 6, 0.3)
    assert B.tolist() == pytest.approx([2.0 * 0.3 ** (6 - t) for t in range(1, 7)], rel=1e-12)


@pytest.mark.parametrize("act", ["sigmoid", "tanh"])
def test_bound_holds_on_many_random_cells(act: str) -> None:
    report = check_bound(BoundConfig(trials=150, T=30, hidden=8, act=act, seed=3))
    assert report.violations == 0
    assert (report.w_norms > 4).sum() > 10  # the loose regime is exercised
    assert 0 < report.max_ratio <= 1
    assert report.ratio_by_distance[0] == pytest.approx(1.0)  # at t = T the bound is the actual norm


def test_bound_holds_with_the_skip_connection() -> None:
    torch.manual_seed(4)
    violations = 0
    for trial in range(30):
        cell = Recurrent(3, 6, sigmoid(), delays=[2], batch_first=True).double()
        with torch.no_grad():
            cell.W.mul_(1 + trial / 3)
            cell.M[0].mul_(1 + trial / 5)
        x = torch.randn(1, 25, 3, dtype=torch.float64)
        norms = probe(cell, x, linear_readout(torch.randn(6, dtype=torch.float64))).norms[0]
        bound = cell_bound(cell, float(norms[-1]), 25)
        violations += int((norms > bound * (1 + 1e-9)).sum())
    assert violations == 0


def test_a_violation_is_detected() -> None:
    """The check can fail: claim gamma = 1/40 instead of 1/4 and the sigmoid cell breaks the 'bound'."""
    torch.manual_seed(5)
    cell = Recurrent(3, 6, sigmoid(), batch_first=True).double()
    norms = probe(cell, torch.randn(1, 10, 3, dtype=torch.float64), linear_readout(torch.ones(6).double())).norms[0]
    W_norm = float(torch.linalg.matrix_norm(cell.W.detach(), ord=2))
    assert (norms > bound_curve(float(norms[-1]), 10, W_norm / 40)).any()


def test_rejects_bad_config() -> None:
    with pytest.raises(ValueError, match="trials"):
        check_bound(BoundConfig(trials=0))
    with pytest.raises(ValueError, match="unknown activation"):
        check_bound(BoundConfig(trials=1, act="relu"))


def test_tightness_plot_and_one_step_ratio(tmp_path) -> None:  # noqa: ANN001
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from rnnlab.dynamics.jacobian import plot_tightness

    reports = [check_bound(BoundConfig(trials=20, T=10, hidden=4, act=act)) for act in ("sigmoid", "tanh")]
    for r in reports:
        assert r.to_dict()["median_ratio_one_step"] == pytest.approx(float(r.ratio_by_distance[1]))
    fig, ax = plt.subplots()
    assert plot_tightness(ax, reports) and "holds on all 20" in ax.get_title()
    fig.savefig(tmp_path / "t.png")
    plt.close(fig)
