"""A fake monotonic clock for `extract`'s time limit: it advances only when the net or the proof works. Every
step of a batched net run costs a fixed amount and more per input, every single step of a membership query and
every image of a box a fixed amount, so an extraction takes the same (fake) time on any machine and its limit can
be checked exactly."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from rnnlab.extract.machine import Machine

RUN, RUN_STEP = 2e-6, 1e-5  # fake seconds per input of a step of a batched run, and per such step
STEP, IMAGE = 2e-4, 5e-4  # per single step (membership queries), per box image (proof search)


class FakeClock:
    """A monotonic clock that moves only by `spend`; it keeps every unit of work as (start, cost, kind)."""

    def __init__(self) -> None:
        self.t = 1000.0
        self.units: list[tuple[float, float, str]] = []
        self.run = RUN  # fake seconds per input of a batched step, from now on

    def __call__(self) -> float:
        return self.t

    def spend(self, cost: float, kind: str) -> None:
        self.units.append((self.t, cost, kind))
        self.t += cost


def timed_machine(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeClock]:
    """The clock, with Machine's steps (batched or single) and images made to spend its time (a pytest
    fixture's body)."""
    fake = FakeClock()
    run, step, box_step, affine_step = Machine.run, Machine.step, Machine.box_step, Machine.affine_step
    inside = [False]  # in a batched run

    def timed_run(self: Machine, words: np.ndarray, keep_states: bool = False, stop: Any = None) -> Any:
        inside[0] = True
        try:
            return run(self, words, keep_states, stop)
        finally:
            inside[0] = False

    def timed_step(self: Machine, S: Any, a: Any) -> Any:
        if inside[0]:
            fake.spend(RUN_STEP + fake.run * S.shape[0], "run")  # S: (B, D)
        else:
            fake.spend(STEP, "step")
        return step(self, S, a)

    def timed_box(self: Machine, lo: Any, hi: Any, a: int) -> Any:
        fake.spend(IMAGE, "image")
        return box_step(self, lo, hi, a)

    def timed_affine(self: Machine, s: Any, a: int) -> Any:
        fake.spend(IMAGE, "image")
        return affine_step(self, s, a)

    monkeypatch.setattr(Machine, "run", timed_run)
    monkeypatch.setattr(Machine, "step", timed_step)
    monkeypatch.setattr(Machine, "box_step", timed_box)
    monkeypatch.setattr(Machine, "affine_step", timed_affine)
    yield fake
