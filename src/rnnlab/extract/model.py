"""Learned nets and the net file format rnnlab-net/2 (SPEC S11); rnnlab-net/1 files still load.

A learned net reads one-hot symbols x(t) of its alphabet and gives an accept/reject output after every
prefix, t >= 1 (the empty input has no output). Cells, in PyTorch's conventions (gate order r, z, n for
GRU and i, f, g, o for LSTM):

    elman   a stack of layers, layer l reading [x(t); s_0(t); ...; s_{l-1}(t)] as in rnnlab-net/1:
              s_l(t) = act_l(W_l s_l(t-1) + U_l [...] + b_l)
    gru     r = sig(W_ir x + b_ir + W_hr h + b_hr),  z = sig(W_iz x + b_iz + W_hz h + b_hz)
            n = tanh(W_in x + b_in + r * (W_hn h + b_hn)),   h' = (1 - z) * n + z * h
    lstm    i, f, o = sig(...), g = tanh(...),  c' = f * c + i * g,  h' = o * tanh(c')

    output  accept after x(1..t)  iff  v . h(t) + c > 0       (h: the last elman layer, or the GRU/LSTM h)

The net is its float32 weights run in float32 (`LearnedNet.logits`); the file stores each weight as the
decimal of a float32 value, so reading it back loses nothing.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from rnnlab.exact.automaton import Automaton, load_json
from rnnlab.exact.net import FORMAT as FORMAT_V1
from rnnlab.exact.net import Layer, Net, read_layer, read_meta, read_spec
from rnnlab.extract.torch_net import FORMAT as FORMAT_V3
from rnnlab.extract.torch_net import TorchNet
from rnnlab.fields import Field, FieldError, describe
from rnnlab.files import write_atomic

FORMAT = "rnnlab-net/2"
CELLS = ("elman", "gru", "lstm")
GATES = {"gru": 3, "lstm": 4}  # weight blocks stacked in W_ih, W_hh, b_ih, b_hh

__all__ = ["CELLS", "FORMAT", "LearnedNet", "load_any", "net_from_dict"]


def _f32(values: Any) -> np.ndarray:
    return np.asarray(values, dtype=np.float32)


@dataclass(frozen=True, eq=False)
class LearnedNet:
    name: str  # shown in printed results
    cell: str  # one of CELLS
    alphabet: tuple[str, ...]  # symbols; symbol k is the one-hot vector e_k
    layers: tuple[Layer, ...]  # elman only: the layer stack (U reads [one-hot x; earlier layers])
    weights: dict[str, np.ndarray]  # gru/lstm only: W_ih (G H, A), W_hh (G H, H), b_ih, b_hh (G H,)
    h0: np.ndarray  # gru/lstm: (H,) initial h (elman: each layer's h0)
    c0: np.ndarray  # lstm: (H,) initial cell state; empty otherwise
    v: np.ndarray  # (H,) readout weights
    c: float  # readout bias: accept iff v . h + c > 0
    spec: Automaton | None = None  # the language it was trained on, if known
    meta: dict[str, Any] = field(default_factory=dict)  # training settings and results

    def __post_init__(self) -> None:
        if self.cell not in CELLS:
            raise ValueError(f"unknown cell {self.cell!r}; valid: {', '.join(CELLS)}")
        A = len(self.alphabet)
        if A < 1 or len(set(self.alphabet)) != A:
            raise ValueError("'alphabet' must be a non-empty list of distinct symbols")
        if self.cell == "elman":
            if not self.layers:
                raise ValueError("layers: an elman net needs at least one layer")
            width = A
            for i, L in enumerate(self.layers):
                H = L.size
                if len(L.W) != H or any(len(r) != H for r in L.W) or len(L.U) != H or any(len(r) != width for r in L.U):
                    raise ValueError(f"layers[{i}] ({L.name!r}): W must be {H}x{H} and U {H}x{width} (b has {H} "
                                     f"values; U reads {A} symbols and the earlier layers)")
                if len(L.h0) != H:
                    raise ValueError(f"layers[{i}].h0 must have {H} values, got {len(L.h0)}")
                width += H
            H = self.layers[-1].size
        else:
            G = GATES[self.cell]
            H = len(self.h0)
            shapes = {"W_ih": (G * H, A), "W_hh": (G * H, H), "b_ih": (G * H,), "b_hh": (G * H,)}
            for k, shape in shapes.items():
                got = self.weights[k].shape if k in self.weights else None
                if got != shape:
                    raise ValueError(f"weights.{k} must have shape {shape} ({G} gates x {H} units from h0, "
                                     f"{A} symbols), got {got}")
            if self.cell == "lstm" and self.c0.shape != (H,):
                raise ValueError(f"c0 must have {H} values (as h0), got {self.c0.size}")
        if self.v.shape != (H,):
            raise ValueError(f"readout.v must have {H} values (the last hidden layer's size), got {self.v.size}")
        self._check_finite()
        if self.spec is not None and list(self.spec.alphabet) != list(self.alphabet):
            raise ValueError(f"net alphabet {list(self.alphabet)} differs from its spec's {list(self.spec.alphabet)}")
        object.__setattr__(self, "_tensors", self._make_tensors())

    def _check_finite(self) -> None:
        """NaN or infinity in a weight would make every verdict about the net meaningless: refuse the net."""
        named: list[tuple[str, Any]] = [("readout.v", self.v), ("readout.c", [self.c]), ("h0", self.h0),
                                        ("c0", self.c0), *((f"weights.{k}", w) for k, w in self.weights.items())]
        for i, L in enumerate(self.layers):
            named += [(f"layers[{i}].{k}", getattr(L, k)) for k in ("W", "U", "b", "h0")]
            named += [(f"layers[{i}].activation.{k}", [getattr(L.act, k)]) for k in ("gain", "threshold")]
        for what, values in named:
            if not np.isfinite(np.asarray(values, dtype=np.float64)).all():
                raise ValueError(f"{what} holds NaN or infinity; weights must be finite")

    def _make_tensors(self) -> dict[str, Any]:
        """The weights as float32 tensors, made once (a one-hot x selects a column: x @ U.T = U.T[a])."""
        A = len(self.alphabet)
        if self.cell == "elman":
            return {"layers": [(_t(L.U)[:, :A].T.contiguous(), _t(L.U)[:, A:].T.contiguous(), _t(L.W).T.contiguous(),
                                _t(L.b), L.act) for L in self.layers]}
        w = {k: torch.from_numpy(v) for k, v in self.weights.items()}
        return {"W_ih_T": w["W_ih"].T.contiguous(), "W_hh_T": w["W_hh"].T.contiguous(), "b_ih": w["b_ih"],
                "b_hh": w["b_hh"], "v": torch.from_numpy(self.v), "c": torch.tensor(self.c, dtype=torch.float32)}

    @property
    def hidden(self) -> int:
        return self.layers[-1].size if self.cell == "elman" else len(self.h0)

    @property
    def state_size(self) -> int:
        """Length of the state vector the extractor tracks: all elman layers, h (and c for LSTM)."""
        if self.cell == "elman":
            return sum(L.size for L in self.layers)
        return 2 * self.hidden if self.cell == "lstm" else self.hidden

    def initial_state(self) -> np.ndarray:
        if self.cell == "elman":
            return _f32(np.concatenate([np.asarray(L.h0) for L in self.layers]))
        return _f32(np.concatenate([self.h0, self.c0]) if self.cell == "lstm" else self.h0)

    def step(self, S: Tensor, a: Tensor) -> Tensor:
        """One step of a batch in float32: S (B, D) state vectors, a (B,) symbol indices -> (B, D)."""
        T: dict[str, Any] = self._tensors  # type: ignore[attr-defined]
        if self.cell == "elman":
            earlier, out, k = S[:, :0], [], 0
            for Ux_T, Ue_T, W_T, b, act in T["layers"]:
                H = W_T.shape[0]
                s = S[:, k:k + H]
                k += H
                z = Ux_T[a] + earlier @ Ue_T + s @ W_T + b  # (B, H)
                s_new = act(z)
                out.append(s_new)
                earlier = torch.cat([earlier, s_new], dim=1)
            return torch.cat(out, dim=1) if len(out) > 1 else out[0]
        H = self.hidden
        h = S[:, :H]
        gi = T["W_ih_T"][a] + T["b_ih"]  # (B, G H)
        gh = h @ T["W_hh_T"] + T["b_hh"]  # (B, G H)
        if self.cell == "gru":
            r = torch.sigmoid(gi[:, :H] + gh[:, :H])
            z = torch.sigmoid(gi[:, H:2 * H] + gh[:, H:2 * H])
            n = torch.tanh(gi[:, 2 * H:] + r * gh[:, 2 * H:])
            return (1 - z) * n + z * h
        c = S[:, H:]
        g = gi + gh
        i, f = torch.sigmoid(g[:, :H]), torch.sigmoid(g[:, H:2 * H])
        gg, o = torch.tanh(g[:, 2 * H:3 * H]), torch.sigmoid(g[:, 3 * H:])
        c_new = f * c + i * gg
        return torch.cat([o * torch.tanh(c_new), c_new], dim=1)

    def logit(self, S: Tensor) -> Tensor:
        """v . h + c for a batch of state vectors (B, D) -> (B,)."""
        if self.cell == "elman":
            h = S[:, S.shape[1] - self.hidden:]
        else:
            h = S[:, :self.hidden]
        return h @ torch.from_numpy(self.v) + self.c

    def logits(self, words: np.ndarray | Sequence[Sequence[int]]) -> np.ndarray:
        """The readout after every prefix: words (B, T) symbol indices -> (B, T) float32 logits."""
        x = torch.as_tensor(np.asarray(words, dtype=np.int64))
        B, T = x.shape
        S = torch.from_numpy(self.initial_state()).expand(B, -1)
        out = torch.empty(B, T, dtype=torch.float32)
        with torch.no_grad():
            for t in range(T):
                S = self.step(S, x[:, t])
                out[:, t] = self.logit(S)
        return out.numpy()

    # --- NET.json (rnnlab-net/2) ----------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"format": FORMAT, "name": self.name, "cell": self.cell,
                             "alphabet": list(self.alphabet), "encoding": "one-hot"}
        if self.cell == "elman":
            d["layers"] = [{"name": L.name, "W": [list(r) for r in L.W], "U": [list(r) for r in L.U],
                            "b": list(L.b), "activation": L.act.to_dict(), "h0": list(L.h0)} for L in self.layers]
        else:
            d["weights"] = {k: v.tolist() for k, v in self.weights.items()}
            d["h0"] = self.h0.tolist()
            if self.cell == "lstm":
                d["c0"] = self.c0.tolist()
        d["readout"] = {"v": self.v.tolist(), "c": float(self.c)}
        d["spec"] = self.spec.to_dict() if self.spec else None
        d["meta"] = self.meta
        return d

    @classmethod
    def from_dict(cls, data: Any) -> LearnedNet:
        """A net from rnnlab-net/2 content. Every field is checked for its type and every weight for being a
        finite float32; a bad one is a ValueError naming its path, e.g. "malformed net: readout.c must be a
        number, got a list" or "layers[0].W[1][2] is 1e+39, beyond float32's range"."""
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ValueError(f"not an rnnlab net: expected an object with \"format\": \"{FORMAT}\"")
        f = Field(data)
        try:
            if f.get("encoding") is not None:
                f["encoding"].string(("one-hot",))
            cell = f["cell"].string(CELLS)
            layers: tuple[Layer, ...] = ()
            weights: dict[str, np.ndarray] = {}
            h0 = c0 = _f32([])
            if cell == "elman":
                layers = tuple(read_layer(L, float32=True) for L in f["layers"].elements())
            else:
                w = f["weights"]
                weights = {k: _f32(w[k].matrix(float32=True)) for k in ("W_ih", "W_hh")}
                weights |= {k: _f32(w[k].numbers(float32=True)) for k in ("b_ih", "b_hh")}
                h0 = _f32(f["h0"].numbers(float32=True))
                if cell == "lstm":
                    c0 = _f32(f["c0"].numbers(float32=True))
            name = f.get("name")
            readout = f["readout"]
            return cls(name.string() if name else "net", cell, f["alphabet"].strings(), layers, weights, h0, c0,
                       _f32(readout["v"].numbers(float32=True)), readout["c"].number(float32=True), read_spec(f),
                       read_meta(f))
        except FieldError as e:
            raise ValueError(f"malformed net: {e}") from None

    def save(self, path: str | Path) -> None:
        try:
            write_atomic(path, json.dumps(self.to_dict(), indent=1) + "\n")
        except OSError as e:
            raise ValueError(f"cannot write net file {str(path)!r}: {e.strerror}") from None

    @classmethod
    def load(cls, path: str | Path) -> LearnedNet:
        return load_json(path, "net", cls.from_dict)


def _t(m: Any) -> Tensor:
    return torch.tensor(m, dtype=torch.float32)


def net_from_dict(data: Any) -> Net | LearnedNet | TorchNet:
    """A net file's content of any format: rnnlab-net/1 (hand-wired and compiled nets), rnnlab-net/2 (learned)
    or rnnlab-net/3 (PyTorch nets as they are, `torch_net`)."""
    want = f'"format": "{FORMAT_V1}", "{FORMAT}" or "{FORMAT_V3}"'
    if not isinstance(data, dict):
        raise ValueError(f"not an rnnlab net: the file holds {describe(data)}, where a net file is an object with "
                         f"{want}")
    if "format" not in data:
        raise ValueError(f'not an rnnlab net: an object without "format", where a net file has {want}')
    fmt = data["format"]
    if fmt == FORMAT:
        return LearnedNet.from_dict(data)
    if fmt == FORMAT_V1:
        return Net.from_dict(data)
    if fmt == FORMAT_V3:
        return TorchNet.from_dict(data)
    raise ValueError(f'not an rnnlab net: its "format" is {json.dumps(fmt)[:60]}, where a net file has {want}')


def load_any(path: str | Path) -> Net | LearnedNet | TorchNet:
    """A net file of any format (net_from_dict)."""
    return load_json(path, "net", net_from_dict)
