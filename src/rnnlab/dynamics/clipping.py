"""Gradient clipping with statistics (SPEC S5), over PyTorch's own clip_grad_norm_ / clip_grad_value_.

By value: each component clamped to [-c, c] (the direction can change).
By norm:  g <- g min(1, c / ||g||)           (the direction is kept; Pascanu, Mikolov & Bengio 2013, Alg. 1).
Every step records the total norm before and after, whether clipping changed the gradient, and the cosine
between the clipped and the raw gradient. A step whose gradient is not finite is skipped and counted, so a
NaN or inf never reaches the weights.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

import torch
from torch import Tensor, nn

CLIP_KINDS = ("none", "value", "norm")


@dataclass(frozen=True)
class Clip:
    """How to clip: kind none, value (threshold c per component) or norm (threshold c on the total norm)."""

    kind: str = "none"  # one of CLIP_KINDS
    c: float = 0.0  # the threshold; unused for none

    def __post_init__(self) -> None:
        if self.kind not in CLIP_KINDS:
            raise ValueError(f"unknown clipping {self.kind!r}; valid: none, value:C, norm:C")
        if self.kind != "none" and not (math.isfinite(self.c) and self.c > 0):
            raise ValueError(f"clipping threshold must be a finite number > 0, got {self.c}")

    def __str__(self) -> str:
        return "none" if self.kind == "none" else f"{self.kind}:{self.c:g}"


def parse_clip(text: str) -> Clip:
    """'none', 'value:C' or 'norm:C' (C > 0), e.g. 'norm:1' -> Clip('norm', 1.0)."""
    m = re.fullmatch(r"\s*(none|value|norm)\s*(?::\s*([^\s]+))?\s*", text)
    if m is None or (m.group(1) == "none") != (m.group(2) is None):
        raise ValueError(f"bad clipping spec {text!r}; valid: none, value:C, norm:C with C > 0, e.g. norm:1")
    if m.group(1) == "none":
        return Clip()
    try:
        c = float(m.group(2))
    except ValueError:
        raise ValueError(f"bad clipping threshold {m.group(2)!r} in {text!r}; C must be a number > 0") from None
    return Clip(m.group(1), c)


@dataclass(frozen=True)
class ClipStep:
    """What clipping did on one step."""

    pre_norm: float  # ||g|| before clipping (inf or nan when the gradient is not finite)
    post_norm: float  # ||g|| after clipping (what the optimizer sees); nan on a skipped step
    fired: bool  # clipping changed the gradient
    cosine: float  # cos(clipped g, raw g): 1 for norm clipping, < 1 when value clipping cuts a component
    finite: bool  # False: the step was skipped and the weights left alone


def _flat(params: list[nn.Parameter]) -> Tensor:
    return torch.cat([p.grad.detach().reshape(-1) for p in params if p.grad is not None])


def clip_gradients(params: Iterable[nn.Parameter], clip: Clip) -> ClipStep:
    """Clip the .grad of params in place with torch.nn.utils and report what happened.

    A non-finite gradient is reported with finite=False and zeroed, so that no nan or inf stays behind in .grad.
    The caller must skip the optimizer step: a stateful optimizer (Adam, momentum) still moves on a zero gradient.
    """
    params = [p for p in params if p.grad is not None]
    if not params:
        raise ValueError("no parameter has a gradient: call backward() before clipping")
    raw = _flat(params).double()  # a copy: the cosine needs the gradient before clipping
    pre = float(torch.linalg.vector_norm(raw))
    if not math.isfinite(pre):
        for p in params:
            assert p.grad is not None
            p.grad.zero_()
        return ClipStep(pre, math.nan, False, math.nan, False)
    if clip.kind == "norm":
        torch.nn.utils.clip_grad_norm_(params, clip.c)
    elif clip.kind == "value":
        torch.nn.utils.clip_grad_value_(params, clip.c)
    clipped = _flat(params).double()
    post = float(torch.linalg.vector_norm(clipped))
    fired = not torch.equal(clipped, raw)
    cosine = float(clipped @ raw / (post * pre)) if pre > 0 and post > 0 else 1.0
    return ClipStep(pre, post, fired, cosine, True)


@dataclass
class ClipLog:
    """Per-step clipping statistics of one training run (mutable: it grows as training goes)."""

    steps: list[ClipStep] = field(default_factory=list)

    def add(self, step: ClipStep) -> None:
        self.steps.append(step)

    @property
    def nonfinite_skipped(self) -> int:
        return sum(not s.finite for s in self.steps)

    def summary(self) -> dict[str, float | int]:
        """{"steps", "fired", "mean_pre_norm", "max_pre_norm", "min_cosine"} over the finite steps."""
        ok = [s for s in self.steps if s.finite]
        return {
            "steps": len(self.steps),
            "fired": sum(s.fired for s in ok),
            "mean_pre_norm": sum(s.pre_norm for s in ok) / len(ok) if ok else math.nan,
            "max_pre_norm": max((s.pre_norm for s in ok), default=math.nan),
            "min_cosine": min((s.cosine for s in ok), default=math.nan),
        }
