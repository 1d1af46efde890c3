"""Long-range tasks of Hochreiter & Schmidhuber 1997, as defined in Pascanu, Mikolov & Bengio 2013.

Adding (regression, input (B, L, 2)): channel 1 holds uniform [0, 1) numbers, channel 0 marks two of them,
the first in the first 10% of the sequence, the second in [10%, 50%). Target: the mean of the two marked
numbers. The length L is drawn per batch in [T, T + T/10). A sequence counts as an error when the squared
error exceeds 0.04, as in Pascanu et al.'s released code. Hochreiter & Schmidhuber's own criterion is stricter,
an absolute error of 0.04 (their target 0.5 + (X1 + X2)/4 over inputs in [-1, 1] is this same mean): under the
looser rule a constant output of 0.5 is already right on about 64% of sequences.

Temporal order (4-way classification, input (B, T, 6) one-hot): symbols {A, B, c, d, e, f}; A or B appears
at one position in [T/10, 2T/10) and again at one in [5T/10, 6T/10); every other position holds a random
distractor from {c, d, e, f}. Target: which of AA, BA, AB, BB was seen (class = first + 2 second, A = 0).
Below T = 20 each window is one position wide (T/10 rounds down to 1, or 0 taken as 1), so the two
positions are fixed; the task still needs the first symbol carried over the distractors to the end.

Success (both): under 1% errors on 10,000 fresh sequences.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

SUCCESS_ERROR_RATE = 0.01  # a run solves a task with under 1% errors ...
TEST_SEQUENCES = 10_000  # ... on this many fresh sequences (Pascanu et al. 2013)
ADDING_TOLERANCE = 0.04  # adding: an error is a squared error above this


@dataclass(frozen=True)
class Batch:
    x: Tensor  # (B, L, n_in) inputs
    y: Tensor  # (B,) class indices (long) or (B, 1) regression targets


@dataclass(frozen=True)
class Task:
    """A long-range task: its sizes, a seeded generator, its loss and its error criterion."""

    name: str  # "adding" or "temporal_order"
    n_in: int  # input channels
    n_out: int  # readout size
    regression: bool  # True: squared error on a number; False: cross-entropy over classes
    min_T: int  # the shortest length at which the positions are well defined

    def batch(self, size: int, T: int, gen: torch.Generator) -> Batch:
        """`size` sequences of length T (adding: one length in [T, T + T/10) for the whole batch)."""
        if T < self.min_T:
            raise ValueError(f"T must be >= {self.min_T} for task {self.name!r}, got {T}")
        if size < 1:
            raise ValueError(f"batch size must be >= 1, got {size}")
        return _adding(size, T, gen) if self.name == "adding" else _temporal_order(size, T, gen)

    def loss(self, out: Tensor, y: Tensor) -> Tensor:
        """Mean squared error (adding) or mean cross-entropy (temporal order) of readout `out` (B, n_out)."""
        return F.mse_loss(out, y) if self.regression else F.cross_entropy(out, y)

    def errors(self, out: Tensor, y: Tensor) -> Tensor:
        """(B,) bool: which sequences count as errors under the task's criterion."""
        if self.regression:
            return ((out - y) ** 2).sum(dim=1) > ADDING_TOLERANCE
        return out.argmax(dim=1) != y


def _randint(lo: int, width: int, size: int, gen: torch.Generator) -> Tensor:
    """Uniform integers in [lo, lo + width), width at least 1."""
    return lo + torch.randint(max(width, 1), (size,), generator=gen)


def _adding(size: int, T: int, gen: torch.Generator) -> Batch:
    L = T + int(torch.randint(max(T // 10, 1), (), generator=gen))
    p0 = _randint(0, L // 10, size, gen)  # first marker in [0, L/10)
    p1 = _randint(max(L // 10, 1), L // 2 - max(L // 10, 1), size, gen)  # second in [L/10, L/2)
    values = torch.rand(size, L, generator=gen)
    markers = torch.zeros(size, L)
    rows = torch.arange(size)
    markers[rows, p0] = 1.0
    markers[rows, p1] = 1.0
    y = (values[rows, p0] + values[rows, p1]) / 2
    return Batch(torch.stack([markers, values], dim=2), y.unsqueeze(1))  # x (B, L, 2), y (B, 1)


def _temporal_order(size: int, T: int, gen: torch.Generator) -> Batch:
    symbols = torch.randint(2, 6, (size, T), generator=gen)  # distractors c, d, e, f
    width = T // 10
    p0 = _randint(width, width, size, gen)  # in [T/10, 2T/10)
    p1 = _randint(T // 2, width, size, gen)  # in [5T/10, 6T/10)
    v0 = torch.randint(2, (size,), generator=gen)  # A = 0, B = 1
    v1 = torch.randint(2, (size,), generator=gen)
    rows = torch.arange(size)
    symbols[rows, p0] = v0
    symbols[rows, p1] = v1
    return Batch(F.one_hot(symbols, 6).float(), v0 + 2 * v1)  # x (B, T, 6), y (B,)


TASKS = {
    "adding": Task("adding", n_in=2, n_out=1, regression=True, min_T=4),
    "temporal_order": Task("temporal_order", n_in=6, n_out=4, regression=False, min_T=4),
}


def constant_predictor(name: str) -> tuple[float, float]:
    """(error rate, loss) of the best input-blind predictor, in closed form: what a net that learned nothing gets.

    adding: the constant 1/2. The target is S/2 with S = X1 + X2 triangular on [0, 2], so an error (squared
    error above 0.04, |S - 1| > 0.4) has probability (1 - 0.4)^2 = 0.36, and the mean squared error is
    Var(S/2) = 1/24. temporal order: the four classes are equally likely, so any constant class is wrong 3/4 of
    the time, and the uniform distribution's cross-entropy is ln 4."""
    if name == "adding":
        return (1 - 2 * ADDING_TOLERANCE**0.5) ** 2, 1 / 24
    if name == "temporal_order":
        return 0.75, math.log(4)
    raise ValueError(f"unknown task {name!r}; valid: {', '.join(TASKS)}")


def get_task(name: str) -> Task:
    if name not in TASKS:
        raise ValueError(f"unknown task {name!r}; valid: {', '.join(TASKS)}")
    return TASKS[name]
