"""A shortest input on which a net and its specification disagree."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Counterexample:
    input: str  # bits x_1..x_t of the first (or only) sequence, e.g. "1101"
    input2: str | None  # bits of the second sequence for two-sequence nets, else None
    expected: list[int]  # the specification's output at every step
    got: list[float]  # the net's output at every step

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
