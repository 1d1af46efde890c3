"""Hand-wired and compiled nets: a stack of core recurrent layers, stored as plain data (NET.json).

Layer l reads the inputs and every earlier layer at the same step:

    s_l(t) = act_l(W_l s_l(t-1) + U_l [x(t); s_0(t); ...; s_{l-1}(t)] + b_l),   s_l(0) = h0_l

Each layer is one core `Recurrent` cell, so the whole net runs on the shared recurrence. The last
layer is the output y(t); the others are the hidden state h(t). A layer whose W is zero has no memory.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from rnnlab.core.activations import Activation
from rnnlab.core.recurrence import Recurrent
from rnnlab.exact.automaton import Automaton, load_json
from rnnlab.fields import Field, FieldError
from rnnlab.files import write_atomic

FORMAT = "rnnlab-net/1"
DENSE_MAX_ENTRIES = 65_536  # a matrix with more entries is written to NET.json in sparse form
Dense = tuple[tuple[float, ...], ...]


@dataclass(frozen=True, eq=False)
class Sparse(Sequence[tuple[float, ...]]):
    """A matrix stored by its nonzero entries (compressed rows), for the compiler's one-hot nets, whose
    recurrent matrix has a few nonzeros per row: a 10,000-state DFA's is 20,001 x 20,001 with 40,002 of them.

    It reads as a sequence of dense rows (M[i][j], len(M), iteration), so that code written for small dense
    matrices works unchanged; `scipy()` gives the matrix for sparse products.
    """

    shape: tuple[int, int]  # (rows, columns)
    indptr: tuple[int, ...]  # (rows + 1,) row i's entries are indptr[i]:indptr[i + 1]
    indices: tuple[int, ...]  # (nnz,) column of each entry, increasing within a row
    values: tuple[float, ...]  # (nnz,) nonzero values

    @classmethod
    def from_entries(cls, shape: tuple[int, int], entries: dict[tuple[int, int], float]) -> Sparse:
        """From {(row, col): value}; zeros are dropped."""
        rows: list[list[tuple[int, float]]] = [[] for _ in range(shape[0])]
        for (i, j), v in entries.items():
            if not (0 <= i < shape[0] and 0 <= j < shape[1]):
                raise ValueError(f"entry ({i}, {j}) outside a {shape[0]}x{shape[1]} matrix")
            if v != 0:
                rows[i].append((j, float(v)))
        indptr, indices, values = [0], [], []
        for row in rows:
            for j, v in sorted(row):
                indices.append(j)
                values.append(v)
            indptr.append(len(indices))
        return cls(shape, tuple(indptr), tuple(indices), tuple(values))

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return tuple(self[k] for k in range(*i.indices(len(self))))
        if not -len(self) <= i < len(self):
            raise IndexError(i)
        i %= len(self)
        row = [0.0] * self.shape[1]
        for k in range(self.indptr[i], self.indptr[i + 1]):
            row[self.indices[k]] = self.values[k]
        return tuple(row)

    def __iter__(self) -> Iterator[tuple[float, ...]]:
        return (self[i] for i in range(len(self)))

    def items(self) -> Iterator[tuple[int, int, float]]:
        """(row, col, value) of every nonzero, row by row."""
        for i in range(self.shape[0]):
            for k in range(self.indptr[i], self.indptr[i + 1]):
                yield i, self.indices[k], self.values[k]

    def scipy(self) -> Any:
        """The matrix as scipy.sparse.csr_matrix (float64)."""
        from scipy.sparse import csr_matrix

        return csr_matrix((np.asarray(self.values, dtype=np.float64), np.asarray(self.indices, dtype=np.int64),
                           np.asarray(self.indptr, dtype=np.int64)), shape=self.shape)

    def dense(self) -> Dense:
        return tuple(self)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sparse):
            return (self.shape, self.indptr, self.indices, self.values) == (
                other.shape, other.indptr, other.indices, other.values)
        if isinstance(other, tuple):  # the same matrix written densely
            return len(other) == self.shape[0] and all(tuple(r) == s for r, s in zip(other, self, strict=True))
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.dense()) if self.shape[0] * self.shape[1] <= DENSE_MAX_ENTRIES else hash(self.values)


Matrix = Dense | Sparse


def shape(M: Matrix) -> tuple[int, int]:
    """(rows, columns) of a dense or sparse matrix; a dense one must be rectangular."""
    if isinstance(M, Sparse):
        return M.shape
    widths = {len(r) for r in M}
    if len(widths) > 1:
        raise ValueError("rows of different lengths")
    return len(M), (widths.pop() if widths else 0)


def nonzeros(M: Matrix) -> Iterator[tuple[int, int, float]]:
    """(row, col, value) of every nonzero entry."""
    if isinstance(M, Sparse):
        yield from M.items()
        return
    for i, row in enumerate(M):
        for j, v in enumerate(row):
            if v != 0:
                yield i, j, v


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
        if isinstance(self.W, Sparse):
            return any(w != 0 for w in self.W.values)
        return any(w != 0 for row in self.W for w in row)

    @property
    def is_sparse(self) -> bool:
        return isinstance(self.W, Sparse) or isinstance(self.U, Sparse)

    def cell(self, dtype: torch.dtype = torch.float64) -> Recurrent:
        """This layer as a core cell (batch_first) with its weights copied in (dense layers only)."""
        if self.is_sparse:
            raise ValueError(f"layer {self.name!r} is sparse; it runs by sparse products (Net.run), not as a cell")
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
            for name, M, cols in (("W", layer.W, H), ("U", layer.U, width)):
                try:
                    ok = shape(M) == (H, cols) and (H > 0 or isinstance(M, Sparse) or len(M) == 0)
                except ValueError:
                    ok = False
                if not ok:
                    what = f"{H}x{H}" if name == "W" else f"{H}x{width} (inputs + earlier layers)"
                    raise ValueError(f"layer {layer.name!r}: {name} must be {what}")
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
            if layer.is_sparse:
                out = _run_sparse(layer, inputs)
            else:
                h0 = torch.tensor(layer.h0, dtype=torch.float64).expand(B, -1).reshape(1, B, layer.size)
                out, _ = layer.cell()(inputs, h0)  # (B, T, H_l)
            states.append(out)
            inputs = torch.cat([inputs, out], dim=-1)
        return Trace(states)

    def step(self, state: Sequence[Tensor], x_t: Tensor) -> list[Tensor]:
        """One step for a batch: state[l] (B, H_l) -> new states; x_t (B, n_inputs)."""
        inputs, new = x_t.to(torch.float64), []
        for layer, s in zip(self.layers, state, strict=True):
            s_new = _step_sparse(layer, inputs, s) if layer.is_sparse else layer.cell().step(inputs, s)
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
                {"name": L.name, "W": _matrix_json(L.W), "U": _matrix_json(L.U), "b": list(L.b),
                 "activation": L.act.to_dict(), "h0": list(L.h0)}
                for L in self.layers
            ],
            "spec": self.spec.to_dict() if self.spec else None,
            "meta": self.meta,
        }

    @classmethod
    def from_dict(cls, data: Any) -> Net:
        """A net from NET.json's content. Every field is checked for its type and every number for being finite;
        a bad one is a ValueError naming its path, e.g. "malformed net: layers[0].b[1] must be a number, got the
        string '0.5'"."""
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ValueError(f"not an rnnlab net: expected an object with \"format\": \"{FORMAT}\"")
        f = Field(data)
        try:
            description = f.get("description")
            return cls(f["name"].string(), f["inputs"].integer(min=1),
                       tuple(read_layer(L) for L in f["layers"].elements()), read_spec(f),
                       description.string() if description else "", read_meta(f))
        except FieldError as e:
            raise ValueError(f"malformed net: {e}") from None

    def save(self, path: str | Path) -> None:
        try:
            write_atomic(path, json.dumps(self.to_dict(), indent=None if _large(self) else 1) + "\n")
        except OSError as e:
            raise ValueError(f"cannot write net file {str(path)!r}: {e.strerror}") from None

    @classmethod
    def load(cls, path: str | Path) -> Net:
        return load_json(path, "net", cls.from_dict)


def _large(net: Net) -> bool:
    return any(L.is_sparse for L in net.layers)


def _matrix(rows: Any) -> Matrix:
    """A matrix built in Python: a list of rows, or a Sparse one as it is."""
    if isinstance(rows, Sparse):
        return rows
    if isinstance(rows, str) or not all(isinstance(r, (list, tuple)) for r in rows):
        raise ValueError("a matrix must be a list of rows")
    return tuple(tuple(float(v) for v in row) for row in rows)


def read_layer(f: Field, float32: bool = False) -> Layer:
    """A layer of a net file, {"name", "W", "U", "b", "activation", "h0"}; float32 for rnnlab-net/2, whose
    numbers are float32 values (sparse matrices are rnnlab-net/1's only)."""
    W, U = (f[k].matrix(float32) if float32 else _read_matrix(f[k]) for k in ("W", "U"))
    return Layer(f["name"].string(), W, U, f["b"].numbers(float32), Activation.read(f["activation"], float32),
                 f["h0"].numbers(float32))


def read_spec(f: Field) -> Automaton | None:
    """A net file's "spec": absent or null for a net that claims no finite machine."""
    spec = f.get("spec")
    return Automaton.read(spec) if spec is not None and spec.value is not None else None


def read_meta(f: Field) -> dict[str, Any]:
    """A net file's "meta": free-form, but an object (absent or null: empty)."""
    meta = f.get("meta")
    return dict(meta.object()) if meta is not None and meta.value is not None else {}


def _read_matrix(f: Field) -> Matrix:
    """Dense: a list of rows; sparse: {"shape": [r, c], "indptr": [...], "indices": [...], "values": [...]}."""
    if not isinstance(f.value, dict):
        return f.matrix()
    shp, indptr, indices = (f[k].integers(min=0) for k in ("shape", "indptr", "indices"))
    values = f["values"].numbers()
    if (len(shp) != 2 or len(indptr) != shp[0] + 1 or indptr[0] != 0 or indptr[-1] != len(indices)
            or len(values) != len(indices) or any(a > b for a, b in zip(indptr, indptr[1:], strict=False))
            or any(not 0 <= j < shp[1] for j in indices)):
        raise FieldError(f"{f.path}: a sparse matrix whose shape, indptr, indices and values do not fit together")
    return Sparse((shp[0], shp[1]), indptr, indices, values)


def _matrix_json(M: Matrix) -> Any:
    if isinstance(M, Sparse):
        if M.shape[0] * M.shape[1] <= DENSE_MAX_ENTRIES:
            return [list(r) for r in M]
        return {"shape": list(M.shape), "indptr": list(M.indptr), "indices": list(M.indices),
                "values": list(M.values)}
    return [list(r) for r in M]


def _inputs_z(layer: Layer, inputs: Tensor) -> Tensor:
    """U [x; earlier layers] + b for a batch (B, I) by a sparse product when U is sparse."""
    if isinstance(layer.U, Sparse):
        z = torch.from_numpy(np.ascontiguousarray((layer.U.scipy() @ inputs.numpy().T).T))
    else:
        z = inputs @ torch.tensor(layer.U, dtype=torch.float64).t()
    return z + torch.tensor(layer.b, dtype=torch.float64)  # (B, H)


def _step_sparse(layer: Layer, inputs: Tensor, s: Tensor) -> Tensor:
    """One step of a layer with a sparse matrix: act(W s + U inputs + b), inputs (B, I), s (B, H)."""
    z = _inputs_z(layer, inputs)
    W = layer.W.scipy() if isinstance(layer.W, Sparse) else np.asarray(layer.W, dtype=np.float64)
    z = z + torch.from_numpy(np.ascontiguousarray((W @ s.numpy().T).T))
    return layer.act(z)


def _run_sparse(layer: Layer, inputs: Tensor) -> Tensor:
    """A sparse layer over a whole sequence, step by step: inputs (B, T, I) -> states (B, T, H)."""
    B, T = inputs.shape[:2]
    s = torch.tensor(layer.h0, dtype=torch.float64).expand(B, -1)
    out = []
    for t in range(T):
        s = _step_sparse(layer, inputs[:, t], s)
        out.append(s)
    return torch.stack(out, dim=1) if out else inputs.new_zeros(B, 0, layer.size)


def layer(name: str, W: Any, U: Any, b: Any, act: Activation, h0: Any = None) -> Layer:
    """Build a Layer from nested lists (h0 defaults to zeros)."""
    b_t = tuple(float(v) for v in b)
    h0_t = tuple(float(v) for v in h0) if h0 is not None else (0.0,) * len(b_t)
    return Layer(name, _matrix(W), _matrix(U), b_t, act, h0_t)
