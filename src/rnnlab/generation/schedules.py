"""The decays of scheduled sampling and the training strategies built on them (SPEC S6).

Bengio, Vinyals, Jaitly, Shazeer 2015, "Scheduled Sampling for Sequence Prediction with Recurrent
Neural Networks", section 2.4: at training step i each input token is the ground truth with probability
eps_i and the model's own token otherwise, with eps_i decaying as

    linear           eps_i = max(eps_min, k - c i)         (0 <= eps_min <= 1, c >= 0)
    exponential      eps_i = k^i                           (0 < k < 1)
    inverse sigmoid  eps_i = k / (k + exp(i / k))          (k >= 1)

Teacher forcing is eps = 1 at every step, free running eps = 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

DECAYS = ("linear", "exponential", "inverse-sigmoid")
STRATEGIES = ("teacher", "free", *(f"scheduled:{d}" for d in DECAYS))


@dataclass(frozen=True)
class Schedule:
    """eps_i, the probability of feeding the ground-truth token at training step i."""

    decay: str  # one of DECAYS
    k: float  # linear: eps at i = 0; exponential: the base (0 < k < 1); inverse sigmoid: k >= 1
    c: float = 0.0  # linear only: the decrease of eps per step
    eps_min: float = 0.0  # linear only: the floor eps never goes below

    def __post_init__(self) -> None:
        if self.decay not in DECAYS:
            raise ValueError(f"unknown decay {self.decay!r}; valid: {', '.join(DECAYS)}")
        if not math.isfinite(self.k):
            raise ValueError(f"k must be finite, got {self.k}")
        if self.decay == "linear":
            if not 0 <= self.eps_min <= 1:
                raise ValueError(f"eps_min must be in [0, 1], got {self.eps_min}")
            if not 0 <= self.k <= 1:
                raise ValueError(f"linear decay needs 0 <= k <= 1 (k is eps at step 0), got k = {self.k}")
            if not (math.isfinite(self.c) and self.c >= 0):
                raise ValueError(f"linear decay needs a finite c >= 0, got c = {self.c}")
        elif self.decay == "exponential" and not 0 < self.k < 1:
            raise ValueError(f"exponential decay needs 0 < k < 1, got k = {self.k}")
        elif self.decay == "inverse-sigmoid" and not self.k >= 1:
            raise ValueError(f"inverse sigmoid decay needs k >= 1, got k = {self.k}")

    def eps(self, i: int) -> float:
        if i < 0:
            raise ValueError(f"training step must be >= 0, got {i}")
        if self.decay == "linear":
            return max(self.eps_min, self.k - self.c * i)
        if self.decay == "exponential":
            return self.k**i
        # k / (k + exp(i/k)) = 1 / (1 + exp(i/k - ln k)), written so that exp never overflows.
        z = i / self.k - math.log(self.k)
        return 1.0 / (1.0 + math.exp(z)) if z < 0 else math.exp(-z) / (1.0 + math.exp(-z))


def default_schedule(decay: str, steps: int) -> Schedule:
    """A schedule of the given decay that spans a run of `steps` steps.

    linear reaches eps_min = 0 at the last step; exponential reaches 0.01 at the last step; inverse
    sigmoid crosses 1/2 at mid-run (k ln k = steps / 2).
    """
    if steps < 1:
        raise ValueError(f"steps must be >= 1, got {steps}")
    if decay == "linear":
        return Schedule("linear", k=1.0, c=1.0 / steps, eps_min=0.0)
    if decay == "exponential":
        return Schedule("exponential", k=0.01 ** (1.0 / steps))
    if decay == "inverse-sigmoid":
        return Schedule("inverse-sigmoid", k=_solve_k_ln_k(steps / 2))
    raise ValueError(f"unknown decay {decay!r}; valid: {', '.join(DECAYS)}")


def _solve_k_ln_k(target: float) -> float:
    """The k >= 1 with k ln k = target (bisection; k ln k is increasing on [1, inf))."""
    lo, hi = 1.0, max(2.0, target + 2.0)
    for _ in range(200):
        mid = (lo + hi) / 2
        if mid * math.log(mid) < target:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


@dataclass(frozen=True)
class Strategy:
    """How the next input token is chosen during training."""

    name: str  # "teacher", "free" or "scheduled:DECAY"
    schedule: Schedule | None = None  # scheduled sampling only

    def eps(self, i: int) -> float:
        """Probability that the input at training step i is the ground truth."""
        if self.name == "teacher":
            return 1.0
        if self.name == "free":
            return 0.0
        assert self.schedule is not None
        return self.schedule.eps(i)


def parse_strategy(text: str, steps: int, k: float | None = None, c: float | None = None,
                   eps_min: float | None = None) -> Strategy:
    """"teacher" | "free" | "scheduled:DECAY"; the schedule's k, c, eps_min default to default_schedule(steps)."""
    if text in ("teacher", "free"):
        return Strategy(text)
    kind, _, decay = text.partition(":")
    if kind != "scheduled" or not decay:
        raise ValueError(f"unknown strategy {text!r}; valid: {', '.join(STRATEGIES)}")
    base = default_schedule(decay, steps)
    schedule = Schedule(decay, k=base.k if k is None else k, c=base.c if c is None else c,
                        eps_min=base.eps_min if eps_min is None else eps_min)
    return Strategy(text, schedule)
