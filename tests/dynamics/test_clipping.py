"""Clipping statistics over torch.nn.utils, and the non-finite guard."""

import math

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch import nn

from rnnlab.dynamics.clipping import Clip, ClipLog, clip_gradients, parse_clip


def _params(grads: list[list[float]]) -> list[nn.Parameter]:
    params = []
    for g in grads:
        p = nn.Parameter(torch.zeros(len(g)))
        p.grad = torch.tensor(g)
        params.append(p)
    return params


def test_norm_clipping_keeps_the_direction() -> None:
    params = _params([[3.0, -4.0], [12.0]])  # ||g|| = 13
    step = clip_gradients(params, Clip("norm", 1.0))
    assert step.fired and step.finite
    assert step.pre_norm == pytest.approx(13.0)
    assert step.post_norm == pytest.approx(1.0, rel=1e-5)
    assert step.cosine == pytest.approx(1.0, abs=1e-12)
    flat = torch.cat([p.grad for p in params])
    torch.testing.assert_close(flat, torch.tensor([3.0, -4.0, 12.0]) / 13, rtol=1e-5, atol=0)


def test_value_clipping_turns_the_gradient_when_it_cuts() -> None:
    params = _params([[3.0, -0.5], [0.2]])
    step = clip_gradients(params, Clip("value", 1.0))
    assert step.fired
    assert torch.cat([p.grad for p in params]).tolist() == pytest.approx([1.0, -0.5, 0.2])
    raw, cut = torch.tensor([3.0, -0.5, 0.2]), torch.tensor([1.0, -0.5, 0.2])
    assert step.cosine == pytest.approx(float(raw @ cut / (raw.norm() * cut.norm())), rel=1e-6)
    assert step.cosine < 1


def test_below_the_threshold_nothing_fires() -> None:
    for clip in (Clip("value", 5.0), Clip("norm", 100.0), Clip()):
        params = _params([[3.0, -4.0]])
        step = clip_gradients(params, clip)
        assert not step.fired and step.cosine == 1.0 and step.pre_norm == step.post_norm == pytest.approx(5.0)


@pytest.mark.parametrize("bad", [math.nan, math.inf])
def test_a_nonfinite_gradient_is_flagged_and_cleared(bad: float) -> None:
    """finite=False tells the caller to skip the step (training does: test_training); no bad value stays in .grad."""
    torch.manual_seed(0)
    model = nn.Linear(3, 2)
    log = ClipLog()
    model(torch.randn(4, 3)).sum().backward()
    model.weight.grad[0, 1] = bad  # injected
    step = clip_gradients(model.parameters(), Clip("norm", 1.0))
    log.add(step)
    assert not step.finite and not math.isfinite(step.pre_norm) and log.nonfinite_skipped == 1
    for p in model.parameters():
        assert p.grad is not None and not p.grad.any()


def test_log_summary() -> None:
    log = ClipLog()
    for g in ([3.0, 4.0], [0.3, 0.4]):
        log.add(clip_gradients(_params([g]), Clip("norm", 1.0)))
    s = log.summary()
    assert s["steps"] == 2 and s["fired"] == 1
    assert s["mean_pre_norm"] == pytest.approx(2.75) and s["min_cosine"] == pytest.approx(1.0)


@pytest.mark.parametrize("text,expected", [("none", Clip()), ("value:0.5", Clip("value", 0.5)),
                                           ("norm:1", Clip("norm", 1.0)), (" norm : 2e1 ", Clip("norm", 20.0))])
def test_parse_clip(text: str, expected: Clip) -> None:
    assert parse_clip(text) == expected
    assert parse_clip(str(expected)) == expected


@pytest.mark.parametrize("text", ["", "norm", "norm:", "norm:-1", "norm:0", "value:abc", "none:3", "max:1",
                                  "norm:inf", "norm:nan", "norm:1:2"])
def test_parse_clip_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="clipping"):
        parse_clip(text)


@given(kind=st.sampled_from(["value", "norm"]),
       c=st.floats(min_value=1e-30, max_value=1e30, allow_nan=False, allow_infinity=False))
def test_parse_clip_round_trips_any_positive_threshold(kind: str, c: float) -> None:
    assert parse_clip(f"{kind}:{c!r}") == Clip(kind, c)
