"""Hand-wired and compiled nets: a stack of core recurrent layers, stored as plain data (NET.json).

Layer l reads the inputs and every earlier layer at the same step:

    s_l(t) = act_l(W_l s_l(t-1) + U_l [x(t); s_0(t); ...; s_{l-1}(t)] + b_l),   s_l(0) = h0_l

Each layer is one core `Recurrent` cell, so the whole net runs on the shared recurrence. The last
layer is the output y(t); the others are the hidden state h(t). A layer whose W is zero has no memory.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from rnnlab.core.activations import Activation
from rnnlab.core.recurrence import Recurrent
from rnnlab.exact.automaton import Automaton, load_json

FORMAT = "rnnlab-net/1"
Matrix = tuple[tuple[float, ...], ...]


@dataclass(frozen=True)
class Layer:
    name: str  # e.g. "h" or "y"; used in printed tables
    W: Matrix  # (H, H) recurrent weights
    U: Matrix  # (H, I_l) weights on [x(t); earlier layers at t]
    b: tuple[float, ...]  # (H,) bias
    act: Activation
    h0: tuple[float, ...]  # (H,) initial state s_l(0)

    @property
    def size(self) -> int:
        return len(self.b)

    @property
    def is_recurrent(self) -> bool:
        return any(w != 0 for row in self.W for w in row)

    def cell(self, dtype: torch.dtype = torch.float64) -> Recurrent:
        """This layer as a core cell (batch_first) with its weights copied in."""
        cell = Recurrent(len(self.U[0]), self.size, self.act, batch_first=True).to(dtype)
        with torch.no_grad():
            cell.W.copy_(torch.tensor(self.W, dtype=dtype))
            cell.U.copy_(torch.tensor(self.U, dtype=dtype))
            assert cell.b is not None
            cell.b.copy_(torch.tensor(self.b, dtype=dtype))
        return cell.requires_grad_(False)


@dataclass(frozen=True)
class Trace:
    """Every state of a run: states[l] is (B, T, H_l); y = states[-1], h = the rest concatenated."""

    states: list[Tensor]

    @property
    def y(self) -> Tensor:
        return self.states[-1]  # (B, T, n_out)

    @property
    def h(self) -> Tensor:
        hidden = self.states[:-1]
        return torch.cat(hidden, dim=-1) if hidden else self.y[..., :0]  # (B, T, sum H_l)


@dataclass(frozen=True)
class Net:
    name: str
    n_inputs: int  # binary input sequences read per step (1, or 2 for x1, x2)
    layers: tuple[Layer, ...]
    spec: Automaton | None = None  # what the net claims to compute, if it is a finite machine
    description: str = ""
    meta: dict[str, Any] = field(default_factory=dict, compare=False)  # e.g. the compiler's gain proof

    def __post_init__(self) -> None:
        if not self.layers:
            raise ValueError("a net needs at least one layer")
        width = self.n_inputs
        for layer in self.layers:
            H = layer.size
            if len(layer.W) != H or any(len(r) != H for r in layer.W):
                raise ValueError(f"layer {layer.name!r}: W must be {H}x{H}")
            if len(layer.U) != H or any(len(r) != width for r in layer.U):
                raise ValueError(f"layer {layer.name!r}: U must be {H}x{width} (inputs + earlier layers)")
            if len(layer.h0) != H:
                raise ValueError(f"layer {layer.name!r}: h0 must have {H} values")
            width += H
        if self.spec is not None and self.spec.n_inputs != self.n_inputs:
            raise ValueError(f"net reads {self.n_inputs} input(s) but its spec's symbols have {self.spec.n_inputs}")

    @property
    def is_binary(self) -> bool:
        """All layers are threshold layers: the net is a finite machine over binary states."""
        return all(layer.act.is_binary for layer in self.layers)

    def with_h0(self, value: float | Sequence[float]) -> Net:
        """The same net started from another initial state of its recurrent units (the `--h0 V` flag).

        One number sets every recurrent unit; a sequence gives one value per recurrent unit in order.
        """
        units = sum(layer.size for layer in self.layers if layer.is_recurrent)
        values = [float(value)] * units if isinstance(value, (int, float)) else [float(v) for v in value]
        if len(values) != units:
            raise ValueError(f"net {self.name!r} has {units} recurrent unit(s); got {len(values)} h0 value(s)")
        layers, it = [], iter(values)
        for layer in self.layers:
            h0 = tuple(next(it) for _ in range(layer.size)) if layer.is_recurrent else layer.h0
            layers.append(replace(layer, h0=h0))
        return replace(self, layers=tuple(layers))

    def run(self, x: Tensor) -> Trace:
        """x: (B, T, n_inputs) or (T, n_inputs). Runs each layer over the whole sequence in turn."""
        if x.dim() == 2:
            x = x.unsqueeze(0)
        x = x.to(torch.float64)
        B, inputs, states = x.shape[0], x, []
        for layer in self.layers:
            h0 = torch.tensor(layer.h0, dtype=torch.float64).expand(B, -1).reshape(1, B, layer.size)
            out, _ = layer.cell()(inputs, h0)  # (B, T, H_l)
            states.append(out)
            inputs = torch.cat([inputs, out], dim=-1)
        return Trace(states)

    def step(self, state: Sequence[Tensor], x_t: Tensor) -> list[Tensor]:
        """One step for a batch: state[l] (B, H_l) -> new states; x_t (B, n_inputs)."""
        inputs, new = x_t.to(torch.float64), []
        for layer, s in zip(self.layers, state, strict=True):
            s_new = layer.cell().step(inputs, s)
            new.append(s_new)
            inputs = torch.cat([inputs, s_new], dim=-1)
        return new

    def initial_state(self, batch: int = 1) -> list[Tensor]:
        return [torch.tensor(layer.h0, dtype=torch.float64).expand(batch, -1).clone() for layer in self.layers]

    # --- NET.json -----------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "name": self.name,
            "description": self.description,
            "inputs": self.n_inputs,
            "layers": [
                {"name": L.name, "W": [list(r) for r in L.W], "U": [list(r) for r in L.U], "b": list(L.b),
                 "activation": L.act.to_dict(), "h0": list(L.h0)}
                for L in self.layers
            ],
            "spec": self.spec.to_dict() if self.spec else None,
            "meta": self.meta,
        }

    @classmethod
    def from_dict(cls, data: Any) -> Net:
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ValueError(f"not an rnnlab net: expected an object with \"format\": \"{FORMAT}\"")
        try:
            layers = tuple(
                Layer(
                    name=str(L["name"]),
                    W=_matrix(L["W"]),
                    U=_matrix(L["U"]),
                    b=tuple(float(v) for v in L["b"]),
                    act=Activation.from_dict(L["activation"]),
                    h0=tuple(float(v) for v in L["h0"]),
                )
                for L in data["layers"]
            )
            spec = Automaton.from_dict(data["spec"]) if data.get("spec") else None
            return cls(str(data["name"]), int(data["inputs"]), layers, spec, str(data.get("description", "")),
                       dict(data.get("meta") or {}))
        except (KeyError, TypeError) as e:
            raise ValueError(f"malformed net: missing or wrong-typed field {e}") from None

    def save(self, path: str | Path) -> None:
        try:
            Path(path).write_text(json.dumps(self.to_dict(), indent=1) + "\n")
        except OSError as e:
            raise ValueError(f"cannot write net file {str(path)!r}: {e.strerror}") from None

    @classmethod
    def load(cls, path: str | Path) -> Net:
        return load_json(path, "net", cls.from_dict)


def _matrix(rows: Any) -> Matrix:
    return tuple(tuple(float(v) for v in row) for row in rows)


def layer(name: str, W: Any, U: Any, b: Any, act: Activation, h0: Any = None) -> Layer:
    """Build a Layer from nested lists (h0 defaults to zeros)."""
    b_t = tuple(float(v) for v in b)
    h0_t = tuple(float(v) for v in h0) if h0 is not None else (0.0,) * len(b_t)
    return Layer(name, _matrix(W), _matrix(U), b_t, act, h0_t)
