"""PyTorch nets as they are (SPEC S11, continued): `from_torch`, `import_state_dict` and the net file format
rnnlab-net/3.

A net people train in PyTorch reads a framed word prefix . w . suffix (start and end tokens, possibly none):

    x(t)    = e_k (one-hot) or E[k] (an nn.Embedding's row) for the t-th symbol k
    s(t)    = block_m(...block_1(x(t), s_1(t-1))..., s_m(t-1))     blocks: nn.RNN (tanh, relu), nn.GRU, nn.LSTM,
                                                                   each of one or more layers, applied in turn
    y(w_1..t) = head(h(after prefix . w_1..w_t . suffix))         head: Linear, Softmax, Sigmoid, Dropout, ...
    output  1 value: accept iff y > 0 (y > 1/2 after a final Sigmoid); 2 values: accept iff y_1 > y_0;
            C > 2: the label of argmax y (torch.argmax: the first of equal values)

Every step is the torch module itself run one step at a time on CPU in float32 (`Block.step`), so the numbers
are the module's own: stepping nn.RNN / nn.GRU / nn.LSTM one step at a time gives bit for bit what the
full-sequence call gives (for LSTM, unlike torch.lstm_cell, whose op order differs from the fused CPU kernel by
an ulp). The head is the module's chain run as torch runs it, Softmax included, so two logits that round to
equal probabilities decide as the module decides.

    ┌ prefix ┐  ┌──── word ────┐  ┌ suffix ┐
     <s>        w_1  w_2 .. w_t     </s>      -> head -> decision after w_1..w_t
                 └ state S(t): every block's h (and c), carried on; the suffix is run from S(t) each time
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch
from torch import Tensor, nn

from rnnlab.exact.automaton import load_json
from rnnlab.fields import Field, FieldError
from rnnlab.files import write_atomic
from rnnlab.symbols import check_symbols

FORMAT = "rnnlab-net/3"
CELLS = ("rnn_tanh", "rnn_relu", "gru", "lstm")
OPS = ("linear", "softmax", "log_softmax", "sigmoid", "tanh", "relu", "identity", "dropout")

__all__ = ["CELLS", "FORMAT", "OPS", "Block", "HeadOp", "TorchModules", "TorchNet", "from_torch"]


def _f32(values: Any) -> np.ndarray:
    return np.ascontiguousarray(np.asarray(values, dtype=np.float32))


def _param(p: Tensor | None) -> np.ndarray | None:
    return None if p is None else _f32(p.detach().cpu().to(torch.float32).numpy())


# --- the recurrent blocks -----------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Block:
    """One torch recurrent module of `layers` layers (PyTorch layout: gates r, z, n for GRU, i, f, g, o for LSTM).

    weights[l] = (W_ih (G H, I_l), W_hh (G H, H), b_ih (G H,) or None, b_hh (G H,) or None); I_0 is the block's
    input size, later layers read H. The state is every layer's h (Elman, GRU) or every h then every c (LSTM).
    """

    cell: str  # one of CELLS
    weights: tuple[tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None], ...]  # per layer

    gates: ClassVar[int] = 1  # weight blocks stacked in W_ih, W_hh
    module_class: ClassVar[type[nn.RNNBase]] = nn.RNN

    def __post_init__(self) -> None:
        H = self.hidden
        for n, (W_ih, W_hh, b_ih, b_hh) in enumerate(self.weights):
            width = self.input_size if n == 0 else H
            want: dict[str, tuple[int, ...]] = {"W_ih": (self.gates * H, width), "W_hh": (self.gates * H, H)}
            if b_ih is not None or b_hh is not None:
                want |= {"b_ih": (self.gates * H,), "b_hh": (self.gates * H,)}
            got = {"W_ih": W_ih.shape, "W_hh": W_hh.shape, "b_ih": getattr(b_ih, "shape", None),
                   "b_hh": getattr(b_hh, "shape", None)}
            for k, shape in want.items():
                if got[k] != shape:
                    raise ValueError(f"layer {n} of a {self.cell} block: {k} must have shape {shape} ({self.gates} "
                                     f"gates x {H} units, input {width}), got {got[k]}")
            if (b_ih is None) != (b_hh is None):
                raise ValueError(f"layer {n} of a {self.cell} block: give both biases or neither")
            for k, w in (("W_ih", W_ih), ("W_hh", W_hh), ("b_ih", b_ih), ("b_hh", b_hh)):
                if w is not None and not np.isfinite(w).all():
                    raise ValueError(f"layer {n} of a {self.cell} block: {k} holds NaN or infinity; weights must "
                                     "be finite")
        object.__setattr__(self, "_module", self.to_torch())

    @staticmethod
    def of(cell: str, weights: Sequence[tuple[Any, Any, Any, Any]]) -> Block:
        """The block class of a cell kind, with its weights as float32 arrays."""
        cls = {"rnn_tanh": ElmanBlock, "rnn_relu": ElmanBlock, "gru": GRUBlock, "lstm": LSTMBlock}[cell]
        return cls(cell, tuple((_f32(a), _f32(b), None if c is None else _f32(c), None if d is None else _f32(d))
                               for a, b, c, d in weights))

    @property
    def layers(self) -> int:
        return len(self.weights)

    @property
    def hidden(self) -> int:
        return self.weights[0][1].shape[1] if self.weights[0][1].ndim == 2 else 0

    @property
    def input_size(self) -> int:
        return self.weights[0][0].shape[1] if self.weights[0][0].ndim == 2 else 0

    @property
    def bias(self) -> bool:
        return self.weights[0][2] is not None

    @property
    def state_size(self) -> int:
        return self.layers * self.hidden

    def to_torch(self, batch_first: bool = False) -> nn.RNNBase:
        """A fresh torch module holding these weights, in eval mode."""
        kw: dict[str, Any] = {"nonlinearity": self.cell[4:]} if self.module_class is nn.RNN else {}
        make: Any = self.module_class
        m = make(self.input_size, self.hidden, num_layers=self.layers, bias=self.bias, batch_first=batch_first, **kw)
        with torch.no_grad():
            for n, ws in enumerate(self.weights):
                for k, w in zip(("weight_ih", "weight_hh", "bias_ih", "bias_hh"), ws, strict=True):
                    if w is not None:
                        getattr(m, f"{k}_l{n}").copy_(torch.from_numpy(w))
        return m.eval()

    def step(self, x: Tensor, S: Tensor) -> tuple[Tensor, Tensor]:
        """One step of the module: x (B, I), S (B, state_size) -> (top layer's h (B, H), new state)."""
        B, L, H = x.shape[0], self.layers, self.hidden
        h = S.reshape(B, L, H).transpose(0, 1).contiguous()  # (L, B, H), torch's layout of h
        out, h_new = self._module(x[None], h)  # type: ignore[attr-defined]
        return out[0], h_new.transpose(0, 1).reshape(B, L * H)


class ElmanBlock(Block):
    """nn.RNN: h' = tanh or relu(W_ih x + b_ih + W_hh h + b_hh)."""

    gates = 1
    module_class = nn.RNN


class GRUBlock(Block):
    """nn.GRU: r, z = sig(..), n = tanh(W_in x + b_in + r * (W_hn h + b_hn)), h' = (h - n) * z + n (ATen's order)."""

    gates = 3
    module_class = nn.GRU


class LSTMBlock(Block):
    """nn.LSTM: i, f, o = sig(..), g = tanh(..), c' = f * c + i * g, h' = o * tanh(c'); the state is (h, c)."""

    gates = 4
    module_class = nn.LSTM

    @property
    def state_size(self) -> int:
        return 2 * self.layers * self.hidden

    def step(self, x: Tensor, S: Tensor) -> tuple[Tensor, Tensor]:
        B, L, H = x.shape[0], self.layers, self.hidden
        h = S[:, :L * H].reshape(B, L, H).transpose(0, 1).contiguous()  # (L, B, H)
        c = S[:, L * H:].reshape(B, L, H).transpose(0, 1).contiguous()  # (L, B, H)
        out, (h_new, c_new) = self._module(x[None], (h, c))  # type: ignore[attr-defined]
        return out[0], torch.cat([h_new.transpose(0, 1).reshape(B, L * H), c_new.transpose(0, 1).reshape(B, L * H)],
                                 dim=1)


# --- the head -------------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class HeadOp:
    """One module of the head's chain: a Linear (W (out, in), b (out,) or None) or an elementwise / softmax op."""

    op: str  # one of OPS
    W: np.ndarray | None = None  # linear only
    b: np.ndarray | None = None  # linear only (None: bias=False)
    p: float = 0.0  # dropout only: its probability (no effect in eval mode; kept so to_torch gives it back)

    def __post_init__(self) -> None:
        if self.op not in OPS:
            raise ValueError(f"unknown head op {self.op!r}; valid: {', '.join(OPS)}")
        if self.op == "linear":
            if self.W is None or self.W.ndim != 2 or (self.b is not None and self.b.shape != (self.W.shape[0],)):
                raise ValueError(f"a linear head op needs W (out, in) and b (out,) or none, got W "
                                 f"{getattr(self.W, 'shape', None)}, b {getattr(self.b, 'shape', None)}")
            if not np.isfinite(self.W).all() or (self.b is not None and not np.isfinite(self.b).all()):
                raise ValueError("a linear head op holds NaN or infinity; weights must be finite")

    def to_torch(self) -> nn.Module:
        if self.op == "linear":
            assert self.W is not None
            m = nn.Linear(self.W.shape[1], self.W.shape[0], bias=self.b is not None)
            with torch.no_grad():
                m.weight.copy_(torch.from_numpy(self.W))
                if self.b is not None:
                    m.bias.copy_(torch.from_numpy(self.b))
            return m.eval()
        return {"softmax": lambda: nn.Softmax(dim=-1), "log_softmax": lambda: nn.LogSoftmax(dim=-1),
                "sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "relu": nn.ReLU, "identity": nn.Identity,
                "dropout": lambda: nn.Dropout(self.p)}[self.op]().eval()


def _head_ops(readout: nn.Module | Sequence[nn.Module]) -> list[HeadOp]:
    mods = list(readout) if isinstance(readout, (nn.Sequential, list, tuple, nn.ModuleList)) else [readout]
    ops: list[HeadOp] = []
    for i, m in enumerate(mods):
        if isinstance(m, nn.Linear):
            ops.append(HeadOp("linear", _param(m.weight), _param(m.bias)))
        elif isinstance(m, (nn.Softmax, nn.LogSoftmax)):
            if m.dim not in (-1, 1):
                raise ValueError(f"readout[{i}]: {m!r}: only a softmax over the classes (dim=-1, or dim=1 of a (B, C) "
                                 "output) is supported")
            ops.append(HeadOp("softmax" if isinstance(m, nn.Softmax) else "log_softmax"))
        elif isinstance(m, nn.Dropout):
            ops.append(HeadOp("dropout", p=float(m.p)))
        elif isinstance(m, (nn.Sigmoid, nn.Tanh, nn.ReLU, nn.Identity)):
            ops.append(HeadOp({nn.Sigmoid: "sigmoid", nn.Tanh: "tanh", nn.ReLU: "relu",
                               nn.Identity: "identity"}[type(m)]))
        else:
            raise ValueError(f"readout[{i}] is {type(m).__name__}; a readout is nn.Linear, or a list / Sequential of "
                             "Linear, Softmax, LogSoftmax, Sigmoid, Tanh, ReLU, Identity, Dropout")
    if not any(o.op == "linear" for o in ops):
        raise ValueError("the readout has no nn.Linear")
    return ops


# --- the net ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TorchModules:
    """A net as PyTorch modules (`TorchNet.to_torch`), in eval mode."""

    rnn: nn.Module | list[nn.Module]  # one recurrent module, or a list applied in turn
    readout: nn.Module  # nn.Linear, or an nn.Sequential of the head's chain
    embedding: nn.Embedding | None  # None: the input is one-hot


@dataclass(frozen=True, eq=False)
class TorchNet:
    """A PyTorch recurrent classifier as it is (module docstring); rnnlab-net/3 on disk."""

    name: str  # shown in printed results
    symbols: tuple[str, ...]  # names of the input indices: one-hot positions, or embedding rows
    blocks: tuple[Block, ...]  # the recurrent modules, applied in turn
    head: tuple[HeadOp, ...]  # the readout chain
    embedding: np.ndarray | None = None  # (len(symbols), I) nn.Embedding weight; None: one-hot
    labels: tuple[str, ...] = ("0", "1")  # the output's names: reject/accept for 1 or 2 outputs, else one per class
    prefix: tuple[str, ...] = ()  # symbols fed before every word (start tokens)
    suffix: tuple[str, ...] = ()  # symbols fed after every prefix of the word before the head reads (end tokens)
    batch_first: bool = False  # how to_torch builds the modules (no effect on the numbers)
    grouped: bool = False  # the rnn was a list of modules (to_torch gives a list back)
    meta: dict[str, Any] = field(default_factory=dict)  # free-form

    def __post_init__(self) -> None:
        check_symbols(self.symbols, "symbols")
        S = len(self.symbols)
        if not self.blocks:
            raise ValueError("a net needs at least one recurrent block")
        width = S if self.embedding is None else self.embedding.shape[1]
        if self.embedding is not None:
            if self.embedding.ndim != 2 or self.embedding.shape[0] != S:
                raise ValueError(f"the embedding has shape {self.embedding.shape}, where {S} symbols need ({S}, dim)")
            if not np.isfinite(self.embedding).all():
                raise ValueError("the embedding holds NaN or infinity; weights must be finite")
        for i, blk in enumerate(self.blocks):
            if blk.input_size != width:
                source = "previous block" if i else "one-hot symbols" if self.embedding is None else "embedding"
                raise ValueError(f"block {i} ({blk.cell}) reads {blk.input_size} inputs, but gets {width} (the "
                                 f"{source})")
            width = blk.hidden
        for i, op in enumerate(self.head):
            if op.op == "linear":
                assert op.W is not None
                if op.W.shape[1] != width:
                    raise ValueError(f"head[{i}] (linear) reads {op.W.shape[1]} values, but gets {width}")
                width = op.W.shape[0]
        if not any(op.op == "linear" for op in self.head):
            raise ValueError("the head needs a linear op")
        want = 2 if width <= 2 else width
        if len(self.labels) != want or len(set(self.labels)) != want:
            raise ValueError(f"the head gives {width} output(s), so 'labels' must be {want} distinct names, got "
                             f"{list(self.labels)}")
        for what, framing in (("prefix", self.prefix), ("suffix", self.suffix)):
            bad = [s for s in framing if s not in self.symbols]
            if bad:
                raise ValueError(f"{what} symbol {bad[0]!r} is not one of the symbols {' '.join(self.symbols)}")
        if not self.alphabet:
            raise ValueError("every symbol is a framing symbol: no symbols are left for words")
        object.__setattr__(self, "_torch", self._make())

    def _make(self) -> dict[str, Any]:
        """Input vectors of every symbol, word symbol rows, the head module, the state after the prefix."""
        X = torch.eye(len(self.symbols)) if self.embedding is None else torch.from_numpy(self.embedding)
        rows = torch.tensor([self.symbols.index(s) for s in self.alphabet], dtype=torch.int64)
        head = nn.Sequential(*(op.to_torch() for op in self.head)).eval()
        made = {"X": X, "rows": rows, "head": head,
                "suffix": [self.symbols.index(s) for s in self.suffix]}
        S = torch.zeros(1, self.state_size)
        with torch.no_grad():
            for k in (self.symbols.index(s) for s in self.prefix):
                S = self._advance(X[k][None], S)[1]
        made["S0"] = S[0]
        return made

    # --- what the extractor reads (as rnnlab-net/2's LearnedNet) -------------------------------------------

    @property
    def alphabet(self) -> tuple[str, ...]:
        """The word symbols: every symbol but the framing ones."""
        framing = set(self.prefix) | set(self.suffix)
        return tuple(s for s in self.symbols if s not in framing)

    @property
    def outputs(self) -> int:
        """How many values the head gives (C)."""
        return next(op.W.shape[0] for op in reversed(self.head) if op.W is not None)

    @property
    def binary(self) -> bool:
        """Whether the output is accept/reject (1 or 2 head outputs)."""
        return self.outputs <= 2

    @property
    def hidden(self) -> int:
        return self.blocks[-1].hidden

    @property
    def state_size(self) -> int:
        return sum(b.state_size for b in self.blocks)

    def initial_state(self) -> np.ndarray:
        """The state after the prefix, (state_size,) float32."""
        return self._torch["S0"].numpy().copy()  # type: ignore[attr-defined]

    def _advance(self, x: Tensor, S: Tensor) -> tuple[Tensor, Tensor]:
        out, parts, k = x, [], 0
        for blk in self.blocks:
            out, s = blk.step(out, S[:, k:k + blk.state_size])
            k += blk.state_size
            parts.append(s)
        return out, torch.cat(parts, dim=1) if len(parts) > 1 else parts[0]

    def step(self, S: Tensor, a: Tensor) -> Tensor:
        """One step of a batch: S (B, D) states, a (B,) word symbol indices -> (B, D), float32."""
        T: dict[str, Any] = self._torch  # type: ignore[attr-defined]
        return self._advance(T["X"][T["rows"][a]], S)[1]

    def head_output(self, S: Tensor) -> Tensor:
        """The head's output (B, C) read after the suffix is run from each state S (B, D)."""
        T: dict[str, Any] = self._torch  # type: ignore[attr-defined]
        h = self._top(S)
        for k in T["suffix"]:
            h, S = self._advance(T["X"][k].expand(S.shape[0], -1), S)
        return T["head"](h)

    def _top(self, S: Tensor) -> Tensor:
        """The last block's top layer's h in each state (B, D) -> (B, H)."""
        blk = self.blocks[-1]
        start = S.shape[1] - blk.state_size + (blk.layers - 1) * blk.hidden
        return S[:, start:start + blk.hidden]

    @property
    def rule(self) -> str:
        """The output rule in words, as `decide` applies it."""
        if self.outputs == 1:
            return "accepts a prefix iff y > " + ("1/2" if self.head[-1].op == "sigmoid" else "0")
        return "accepts a prefix iff y_1 > y_0" if self.outputs == 2 else "the output is the label of argmax y"

    def decide(self, y: Tensor) -> Tensor:
        """Label indices (B,) of head outputs y (B, C): module docstring's output rule."""
        if y.shape[1] == 1:
            return (y[:, 0] > (0.5 if self.head[-1].op == "sigmoid" else 0.0)).to(torch.int64)
        return torch.argmax(y, dim=1)  # C = 2: label 1 iff y_1 > y_0 (argmax picks the first of equals)

    def logit(self, S: Tensor) -> Tensor:
        """A score (B,) that is > 0 exactly when the net accepts (binary nets): y - threshold, or y_1 - y_0
        (a float difference is 0 only for equal floats, so its sign is the comparison's)."""
        y = self.head_output(S)
        if y.shape[1] == 1:
            return y[:, 0] - (0.5 if self.head[-1].op == "sigmoid" else 0.0)
        if y.shape[1] == 2:
            return y[:, 1] - y[:, 0]
        raise ValueError(f"net {self.name!r} has {y.shape[1]} output labels; it is not an accept/reject net")

    def run(self, words: np.ndarray | Sequence[Sequence[int]]) -> tuple[np.ndarray, np.ndarray]:
        """Head outputs (B, T, C) float32 and label indices (B, T) after every prefix of words (B, T)."""
        x = torch.as_tensor(np.asarray(words, dtype=np.int64))
        B, T = x.shape
        S = self._torch["S0"].expand(B, -1)  # type: ignore[attr-defined]
        ys = torch.empty(B, T, self.outputs)
        with torch.no_grad():
            for t in range(T):
                S = self.step(S, x[:, t])
                ys[:, t] = self.head_output(S)
        return ys.numpy(), self.decide(ys.reshape(B * T, -1)).reshape(B, T).numpy()

    def logits(self, words: np.ndarray | Sequence[Sequence[int]]) -> np.ndarray:
        """Binary nets: the score after every prefix (B, T), accept iff > 0 (`logit`)."""
        x = torch.as_tensor(np.asarray(words, dtype=np.int64))
        B, T = x.shape
        S = self._torch["S0"].expand(B, -1)  # type: ignore[attr-defined]
        out = torch.empty(B, T)
        with torch.no_grad():
            for t in range(T):
                S = self.step(S, x[:, t])
                out[:, t] = self.logit(S)
        return out.numpy()

    def to_torch(self) -> TorchModules:
        """The net as PyTorch modules again: the rnn (a list if it was one), the readout, the embedding."""
        mods = [b.to_torch(self.batch_first) for b in self.blocks]
        head = self.head[0].to_torch() if len(self.head) == 1 else nn.Sequential(*(o.to_torch() for o in self.head))
        emb = None
        if self.embedding is not None:
            emb = nn.Embedding(*self.embedding.shape)
            with torch.no_grad():
                emb.weight.copy_(torch.from_numpy(self.embedding))
        rnn: nn.Module | list[nn.Module] = list(mods) if self.grouped else mods[0]
        return TorchModules(rnn, head.eval(), emb)

    # --- NET.json (rnnlab-net/3) --------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        def arr(a: np.ndarray | None) -> Any:
            return None if a is None else a.tolist()

        head = [{"op": "linear", "W": arr(o.W), "b": arr(o.b)} if o.op == "linear" else
                {"op": o.op, "p": o.p} if o.op == "dropout" else {"op": o.op} for o in self.head]
        return {"format": FORMAT, "name": self.name, "symbols": list(self.symbols),
                "input": {"kind": "one-hot"} if self.embedding is None else
                {"kind": "embedding", "weight": arr(self.embedding)},
                "blocks": [{"cell": b.cell, "layers": [{"W_ih": arr(w[0]), "W_hh": arr(w[1]), "b_ih": arr(w[2]),
                                                        "b_hh": arr(w[3])} for w in b.weights]} for b in self.blocks],
                "head": head, "labels": list(self.labels), "prefix": list(self.prefix), "suffix": list(self.suffix),
                "torch": {"batch_first": self.batch_first, "grouped": self.grouped}, "meta": self.meta}

    @classmethod
    def from_dict(cls, data: Any) -> TorchNet:
        """A net from rnnlab-net/3 content; a bad field is a ValueError naming its path, e.g. "malformed net:
        blocks[0].layers[1].W_hh must be a list, got a number"."""
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ValueError(f"not an rnnlab net: expected an object with \"format\": \"{FORMAT}\"")
        f = Field(data)
        try:
            f.only(("format", "name", "symbols", "input", "blocks", "head", "labels", "prefix", "suffix", "torch",
                    "meta"))

            def maybe(g: Field | None, matrix: bool) -> np.ndarray | None:
                if g is None or g.value is None:
                    return None
                return _f32(g.matrix(float32=True) if matrix else g.numbers(float32=True))

            inp = f["input"]
            kind = inp["kind"].string(("one-hot", "embedding"))
            emb = _f32(inp["weight"].matrix(float32=True)) if kind == "embedding" else None
            blocks = []
            for i, b in enumerate(f["blocks"].elements()):
                cell = b["cell"].string(CELLS)
                weights = [(maybe(L["W_ih"], True), maybe(L["W_hh"], True), maybe(L.get("b_ih"), False),
                            maybe(L.get("b_hh"), False)) for L in b["layers"].elements()]
                if not weights:
                    raise ValueError(f"malformed net: blocks[{i}].layers is empty")
                try:
                    blocks.append(Block.of(cell, weights))
                except ValueError as e:
                    raise ValueError(f"malformed net: blocks[{i}]: {e}") from None
            head = []
            for i, o in enumerate(f["head"].elements()):
                op = o["op"].string(OPS)
                try:
                    head.append(HeadOp(op, maybe(o["W"], True), maybe(o.get("b"), False)) if op == "linear" else
                                HeadOp(op, p=o["p"].number() if o.get("p") is not None else 0.0))
                except ValueError as e:
                    raise ValueError(f"malformed net: head[{i}]: {e}") from None
            name = f.get("name")
            opts = f.get("torch")
            labels = f.get("labels")
            return cls(name.string() if name else "net", f["symbols"].strings(), tuple(blocks), tuple(head), emb,
                       labels.strings() if labels else ("0", "1"),
                       f["prefix"].strings() if f.get("prefix") else (),
                       f["suffix"].strings() if f.get("suffix") else (),
                       opts["batch_first"].boolean() if opts and opts.get("batch_first") else False,
                       opts["grouped"].boolean() if opts and opts.get("grouped") else False,
                       dict(f["meta"].object()) if f.get("meta") is not None and f["meta"].value is not None else {})
        except FieldError as e:
            raise ValueError(f"malformed net: {e}") from None

    def save(self, path: str | Path) -> None:
        try:
            write_atomic(path, json.dumps(self.to_dict()) + "\n")
        except OSError as e:
            raise ValueError(f"cannot write net file {str(path)!r}: {e.strerror}") from None

    @classmethod
    def load(cls, path: str | Path) -> TorchNet:
        return load_json(path, "net", cls.from_dict)


# --- from PyTorch -------------------------------------------------------------------------------------------


def _blocks_of(rnn: nn.Module | Sequence[nn.Module]) -> tuple[list[Block], bool, bool]:
    """The blocks of an rnn module or list of them, whether it was a list, and batch_first."""
    grouped = isinstance(rnn, (list, tuple, nn.ModuleList, nn.Sequential))
    mods = list(rnn) if grouped else [rnn]  # type: ignore[arg-type]
    if not mods:
        raise ValueError("rnn is an empty list; give an nn.RNN, nn.GRU or nn.LSTM or a list of them")
    blocks = []
    for i, m in enumerate(mods):
        where = f"rnn[{i}]" if grouped else "rnn"
        if not isinstance(m, (nn.RNN, nn.GRU, nn.LSTM)):
            raise ValueError(f"{where} is {type(m).__name__}; rnnlab takes nn.RNN (tanh or relu), nn.GRU and nn.LSTM")
        if m.bidirectional:
            raise ValueError(f"{where} is bidirectional: it reads the word backwards too, so its output after a prefix "
                             "depends on what follows and it is no automaton; only unidirectional nets are supported")
        if getattr(m, "proj_size", 0):
            raise ValueError(f"{where} has proj_size={m.proj_size}: LSTMs with projections are not supported")
        cell = {nn.GRU: "gru", nn.LSTM: "lstm"}.get(type(m), f"rnn_{getattr(m, 'nonlinearity', 'tanh')}")
        keys = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
        weights = [tuple(_param(getattr(m, f"{k}_l{n}", None)) for k in keys) for n in range(m.num_layers)]
        blocks.append(Block.of(cell, weights))  # type: ignore[arg-type]
    return blocks, grouped, bool(getattr(mods[0], "batch_first", False))


def from_torch(rnn: nn.Module | Sequence[nn.Module], readout: nn.Module | Sequence[nn.Module],
               alphabet: Sequence[str], *, embedding: nn.Embedding | None = None, prefix: Sequence[str] = (),
               suffix: Sequence[str] = (), name: str | None = None, labels: Sequence[str] | None = None) -> TorchNet:
    """A PyTorch net as it is, for rnnlab to run, extract and save (module docstring).

    rnn: nn.RNN (tanh or relu), nn.GRU or nn.LSTM, any num_layers, unidirectional, or a list of them applied in
    turn. readout: nn.Linear, or a list / nn.Sequential of Linear with Softmax, Sigmoid, Identity or Dropout;
    1 output (accept iff > 0), 2 (accept iff output 1 > output 0) or C > 2 (the argmax's label, `labels`,
    default "0".."C-1"). alphabet: the names of the input indices (one-hot positions or embedding rows);
    prefix / suffix: symbols fed before / after every word (start and end tokens); the word symbols are the
    rest. Dropout has no effect (eval mode).

        net = rnnlab.from_torch(model.rnn, model.head, ["<s>", "a", "b", "</s>"], embedding=model.emb,
                                prefix=["<s>"], suffix=["</s>"])
        net.save("net.json")
    """
    blocks, grouped, batch_first = _blocks_of(rnn)
    head = _head_ops(readout)
    emb = None
    if embedding is not None:
        if not isinstance(embedding, nn.Embedding):
            raise ValueError(f"embedding is {type(embedding).__name__}; give an nn.Embedding or None (one-hot)")
        emb = _param(embedding.weight)
    return assemble(name or "torch-net", tuple(str(s) for s in alphabet), blocks, head, emb, labels, prefix, suffix,
                    batch_first, grouped)


def assemble(name: str, symbols: Sequence[str], blocks: Sequence[Block], head: Sequence[HeadOp],
             embedding: np.ndarray | None, labels: Sequence[str] | None, prefix: Sequence[str],
             suffix: Sequence[str], batch_first: bool, grouped: bool) -> TorchNet:
    """The net of these parts, with one name per input index checked and the labels defaulted ("0", "1" for one
    or two outputs, else "0".."C-1"); from_torch and the state_dict import both end here."""
    n = blocks[0].input_size if embedding is None else embedding.shape[0]
    if len(symbols) != n:
        raise ValueError(f"{len(symbols)} symbol names were given, but the net reads {n} "
                         f"{'one-hot positions' if embedding is None else 'embedding rows'}")
    C = next(o.W.shape[0] for o in reversed(head) if o.W is not None)
    if labels is None:
        labels = tuple(str(k) for k in range(C)) if C > 2 else ("0", "1")
    return TorchNet(name, tuple(symbols), tuple(blocks), tuple(head), embedding, tuple(labels), tuple(prefix),
                    tuple(suffix), batch_first, grouped)
