"""What the report is made of: each claim of the sheet, the evidence measured for it, and a verdict."""

from __future__ import annotations

import base64
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from matplotlib.figure import Figure

SCALES = ("quick", "full")


@dataclass(frozen=True)
class Claim:
    id: str  # stable identifier, e.g. "S7.sheet-weights"
    part: str  # the SPEC part, "S1".."S9"
    claim: str  # the claim in words, as the sheet (or SPEC) makes it
    holds: bool  # the verdict, computed from the evidence
    evidence: dict[str, Any]  # the numbers behind the verdict
    command: str  # the rnnlab command that reproduces the evidence
    figure: str | None = None  # key of a figure in the part's figures, if any

    @property
    def verdict(self) -> str:
        return "holds" if self.holds else "does not hold"

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "part": self.part, "claim": self.claim, "verdict": self.verdict,
                "evidence": self.evidence, "command": self.command, "figure": self.figure}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Claim:
        return cls(d["id"], d["part"], d["claim"], d["verdict"] == "holds", d["evidence"], d["command"], d["figure"])


@dataclass
class PartResult:
    claims: list[Claim] = field(default_factory=list)
    figures: dict[str, str] = field(default_factory=dict)  # key -> PNG, base64

    def add_figure(self, key: str, fig: Figure) -> str:
        self.figures[key] = figure_png_base64(fig)
        return key


@dataclass(frozen=True)
class Part:
    id: str  # "S1"
    title: str  # shown as the section heading
    run: Callable[[str], PartResult]  # scale -> claims and figures
    config: Callable[[str], dict[str, Any]]  # scale -> the settings the result depends on (the cache key)


def new_figure(width: float, height: float, ncols: int = 1) -> tuple[Figure, Any]:
    """A figure and its axes, outside pyplot: no global figure registry, no backend to choose."""
    fig = Figure(figsize=(width, height), layout="constrained")
    return fig, fig.subplots(1, ncols)


def figure_png_base64(fig: Figure) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    return base64.b64encode(buf.getvalue()).decode("ascii")
