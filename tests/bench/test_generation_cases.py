"""The generation benchmark at a tiny size: it runs, measures both sides and states its target."""

import pytest

from rnnlab.bench.generation_cases import CASES, scheduled_sampling_vs_teacher_forcing


def test_scheduled_sampling_case_tiny() -> None:
    r = scheduled_sampling_vs_teacher_forcing(batch=4, steps=6, hidden=8, vocab=11, repeats=1)
    assert r.name == "scheduled_sampling_vs_teacher_forcing" and r.unit == "s/token"
    assert r.value > 0 and r.baseline is not None and r.baseline > 0
    assert r.ratio == pytest.approx(r.value / r.baseline) and r.met == (r.ratio <= 2.5)
    assert [c.name for c in CASES] == ["scheduled_sampling_vs_teacher_forcing"]
