"""Errors a run can end with that are not bad input."""

from __future__ import annotations

__all__ = ["NonFiniteError"]


class NonFiniteError(ArithmeticError):
    """Training met a non-finite loss or gradient and stopped (the analogue of torch's error_if_nonfinite).

    The CLI reports it as one line and exit status 1: the input was valid, the run did not succeed.
    """

    def __init__(self, what: str, step: int, value: float) -> None:
        super().__init__(f"training stopped at step {step}: the {what} is {value} (not finite); lower the learning "
                         f"rate or clip the gradient")
        self.what = what  # "loss" or "gradient norm"
        self.step = step  # the 1-based update at which it happened
        self.value = value  # the non-finite value
