"""Activations of the core recurrence: identity, sigmoid with a gain, tanh, and the Heaviside step.

An activation is plain data (a frozen dataclass) so that a net can be written to and read from JSON.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import Tensor

from rnnlab.fields import Field, FieldError

KINDS = ("identity", "sigmoid", "tanh", "step")
FIELDS = ("kind", "gain", "threshold", "strict")  # of an activation in a net file


@dataclass(frozen=True)
class Activation:
    """f(z) applied elementwise after h_t's pre-activation z = W h_{t-1} + U x_t + b."""

    kind: str = "tanh"  # one of KINDS
    gain: float = 1.0  # sigmoid only: f(z) = sigmoid(gain * z), the H of Omlin & Giles 1996
    threshold: float = 0.0  # step only: f(z) = [z > threshold] (strict) or [z >= threshold]
    strict: bool = True  # step only: strict inequality z > threshold

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown activation {self.kind!r}; valid: {', '.join(KINDS)}")
        if self.kind == "sigmoid" and not self.gain > 0:
            raise ValueError(f"sigmoid gain must be > 0, got {self.gain}")

    def __call__(self, z: Tensor) -> Tensor:
        if self.kind == "tanh":
            return torch.tanh(z)
        if self.kind == "sigmoid":
            return torch.sigmoid(z * self.gain if self.gain != 1.0 else z)
        if self.kind == "identity":
            return z
        # The step has zero derivative almost everywhere; the comparison carries no gradient.
        fired = z > self.threshold if self.strict else z >= self.threshold
        return fired.to(z.dtype)

    def apply_(self, z: Tensor) -> Tensor:
        """f(z) written over z (the fused recurrence's forward pass works in one buffer)."""
        if self.kind == "tanh":
            return z.tanh_()
        if self.kind == "sigmoid":
            return (z.mul_(self.gain) if self.gain != 1.0 else z).sigmoid_()
        if self.kind == "identity":
            return z
        return z.copy_(z > self.threshold if self.strict else z >= self.threshold)

    def derivative(self, a: Tensor) -> Tensor:
        """f'(z) as a function of the output a = f(z), for every element of a (the hand-written backward)."""
        if self.kind == "tanh":
            return 1 - a * a
        if self.kind == "sigmoid":
            d = a - a * a
            return d.mul_(self.gain) if self.gain != 1.0 else d
        if self.kind == "identity":
            return torch.ones_like(a)
        return torch.zeros_like(a)  # the step is flat almost everywhere

    def backward(self, grad: Tensor, a: Tensor, out: Tensor) -> Tensor:
        """grad * f'(z) from the output a = f(z), written into out; one pass for sigmoid and tanh (torch's own
        backward kernels), where derivative() and a product are three."""
        if self.kind == "sigmoid" and self.gain == 1.0:
            return torch.ops.aten.sigmoid_backward.grad_input(grad, a, grad_input=out)
        if self.kind == "tanh":
            return torch.ops.aten.tanh_backward.grad_input(grad, a, grad_input=out)
        return torch.mul(self.derivative(a), grad, out=out)

    @property
    def is_binary(self) -> bool:
        """True when every output is exactly 0 or 1 (the net is then a finite machine)."""
        return self.kind == "step"

    def to_dict(self) -> dict[str, Any]:
        keep = {"identity": (), "tanh": (), "sigmoid": ("gain",), "step": ("threshold", "strict")}[self.kind]
        return {"kind": self.kind, **{k: v for k, v in asdict(self).items() if k in keep}}

    @classmethod
    def from_dict(cls, data: Any) -> Activation:
        return cls.read(Field(data, "activation"))

    @classmethod
    def read(cls, f: Field, float32: bool = False) -> Activation:
        """From a net file's {"kind": ..., "gain"/"threshold"/"strict": ...}; a bad field is named by f's path.
        float32: the net runs in float32, so gain and threshold must be float32 values."""
        f.only(FIELDS)
        kind = f["kind"].string(KINDS)
        options: dict[str, Any] = {k: f[k].number(float32) for k in ("gain", "threshold") if f.get(k) is not None}
        if f.get("strict") is not None:
            options["strict"] = f["strict"].boolean()
        try:
            return cls(kind, **options)
        except ValueError as e:
            raise FieldError(f"{f.path}: {e}") from None


def step(threshold: float = 0.0, strict: bool = True) -> Activation:
    """The Heaviside step [z > threshold] (strict) or [z >= threshold]."""
    return Activation("step", threshold=threshold, strict=strict)


def sigmoid(gain: float = 1.0) -> Activation:
    """sigmoid(gain * z)."""
    return Activation("sigmoid", gain=gain)


TANH = Activation("tanh")
IDENTITY = Activation("identity")
