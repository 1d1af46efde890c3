"""Random test inputs for nets: uniform symbols, and runs of one symbol at many time scales.

Uniform inputs rarely hold a symbol for long (the longest run in 1,000 uniform bits is about 10), and for
languages such as Tomita 3 and 7 almost every uniform input reaches the DFA's dead state within a few symbols,
after which it tests nothing more. A net can pass 10,000 uniform inputs of length 1,000 and still lose count
in a run of 40 ones. Run inputs are sequences of runs, each of one symbol (a different one from the run
before), with lengths geometric around a mean drawn per input log-uniformly from 1 to `max_mean`: they keep
the net in one behaviour long enough to show a drift.
"""

from __future__ import annotations

import numpy as np

__all__ = ["random_words", "run_words", "uniform_words"]


def uniform_words(rng: np.random.Generator, n: int, length: int, A: int) -> np.ndarray:
    """(n, length) symbols drawn uniformly from 0..A-1."""
    return rng.integers(0, A, size=(n, length))


def run_words(rng: np.random.Generator, n: int, length: int, A: int, max_mean: float | None = None) -> np.ndarray:
    """(n, length) inputs made of runs (module docstring); max_mean defaults to length / 4."""
    top = max(1.0, length / 4 if max_mean is None else max_mean)
    means = np.exp(rng.uniform(0.0, np.log(top), size=n)) if top > 1 else np.ones(n)
    out = np.empty((n, length), dtype=np.int64)
    for i, mean in enumerate(means):
        lengths = rng.geometric(min(1.0, 1.0 / mean), size=length)  # `length` runs always suffice
        steps = rng.integers(1, A, size=length) if A > 1 else np.zeros(length, dtype=np.int64)
        symbols = (rng.integers(0, A) + np.cumsum(steps)) % A  # each run's symbol differs from the last
        out[i] = np.repeat(symbols, lengths)[:length]
    return out


def random_words(rng: np.random.Generator, n: int, length: int, A: int) -> np.ndarray:
    """(n, length): the first half uniform, the rest runs."""
    return np.concatenate([uniform_words(rng, n - n // 2, length, A), run_words(rng, n // 2, length, A)])
