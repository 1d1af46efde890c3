"""What one benchmark is: a measurement taken side by side with its baseline in the same run."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Result:
    name: str  # the benchmark's name, e.g. "recurrence_tanh_vs_nn_rnn"
    value: float  # what was measured (seconds, a rate, ...)
    unit: str  # unit of value and baseline, e.g. "s" or "seq-steps/s"
    baseline: float | None  # the same quantity for the baseline, measured in the same run
    ratio: float | None  # value / baseline
    target: str = ""  # the target in words, e.g. "ratio <= 1.1"
    detail: str = ""  # what was run: sizes, repeats
    met: bool | None = None  # whether the target was met in this run (None: no target)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Case:
    name: str
    run: Callable[[], Result]
    summary: str  # one line for `rnnlab bench --help` / listings


def best_time(fn: Callable[[], object], repeats: int = 5, inner: int = 1) -> float:
    """Best-of-`repeats` seconds per call of fn (minimum over repeats resists noise from a shared machine)."""
    fn()  # warm-up
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(inner):
            fn()
        best = min(best, (time.perf_counter() - start) / inner)
    return best


def interleaved_times(
    a: Callable[[], object], b: Callable[[], object], repeats: int = 7, inner: int = 1
) -> tuple[float, float]:
    """Best seconds per call of a and of b, timed alternately so that both see the same machine load."""
    a()
    b()
    best_a = best_b = float("inf")
    for _ in range(repeats):
        for fn, which in ((a, "a"), (b, "b")):
            start = time.perf_counter()
            for _ in range(inner):
                fn()
            elapsed = (time.perf_counter() - start) / inner
            if which == "a":
                best_a = min(best_a, elapsed)
            else:
                best_b = min(best_b, elapsed)
    return best_a, best_b
