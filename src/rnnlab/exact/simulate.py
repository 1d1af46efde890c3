"""Long random inputs: a net simulated in floating point against its spec automaton run step by step (SPEC S9).

A check that shares nothing with the verifier or the compiler: no reachable states, no margins, no interval
argument. Random symbols are drawn (seeded), the net's layers are evaluated in the requested float type, and
its output at every step is compared with the automaton's accept bit. For a sigmoid net it also records how far
any hidden unit strays from the nearest bit, the quantity the interval proof bounds by eps.

The net's weight matrices are mostly zeros (a compiled qa layer has about A^2 non-zeros per state), so they
are applied as sparse matrices; the float arithmetic is the net's own: z = b + U [x; earlier layers] + W s,
then the layer's activation, in `dtype` throughout.

Output rule (as in the exhaustive check): a sigmoid output reads 1 above 1/2 and 0 below (exactly 1/2 reads as
neither, so it disagrees); any other output must equal the spec's bit exactly.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.special import expit

from rnnlab.core.activations import Activation
from rnnlab.exact.automaton import Automaton
from rnnlab.exact.net import Net

DTYPES = {"float64": np.float64, "float32": np.float32}
DENSE_MAX = 4096  # weight blocks up to this many entries are applied densely
MAX_WORK = 10**9  # inputs x length x units: a bound that keeps one run to seconds


@dataclass(frozen=True)
class LongRun:
    agree: bool  # the net's output equals the spec's at every step of every input
    dtype: str  # "float64" or "float32": the arithmetic of the whole simulation
    inputs: int  # random inputs simulated
    length: int  # steps per input
    seed: int  # of the random symbols
    disagreements: int  # (input, step) pairs where net and spec differ
    first_disagreement: dict[str, int] | None  # {"input": index, "step": t (1-based)}, smallest step first
    max_deviation: float  # max over hidden units and steps of |s - nearest bit| (0 for threshold nets)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _act(act: Activation, z: np.ndarray) -> np.ndarray:
    if act.kind == "sigmoid":
        return expit(z * z.dtype.type(act.gain))  # no overflow warnings far from 0, keeps the dtype
    if act.kind == "step":
        fired = z > act.threshold if act.strict else z >= act.threshold
        return fired.astype(z.dtype)
    if act.kind == "tanh":
        return np.tanh(z)
    return z


def _matrix(M: np.ndarray) -> Any:
    """Sparse where that saves work (a compiled qa layer), dense where the per-call cost of sparse dominates."""
    return sp.csr_matrix(M) if M.size > DENSE_MAX and np.count_nonzero(M) < 0.1 * M.size else M


def spec_outputs(spec: Automaton, symbols: np.ndarray) -> np.ndarray:
    """The automaton's accept bit after every step: symbols (B, T) of symbol indices -> (B, T) of 0/1."""
    delta = np.asarray(spec.delta)  # (Q, A)
    accept = np.array([q in spec.accept for q in range(len(spec.states))], dtype=np.int8)  # (Q,)
    q = np.full(symbols.shape[0], spec.start)
    out = np.empty(symbols.shape, dtype=np.int8)
    for t in range(symbols.shape[1]):
        q = delta[q, symbols[:, t]]
        out[:, t] = accept[q]
    return out


def simulate_long(net: Net, spec: Automaton | None = None, length: int = 1000, inputs: int = 256, seed: int = 0,
                  dtype: str = "float64") -> LongRun:
    """Run `net` on `inputs` random inputs of `length` symbols in `dtype` and compare with `spec` (default:
    net.spec) at every step."""
    spec = spec if spec is not None else net.spec
    if spec is None:
        raise ValueError(f"net {net.name!r} carries no specification to compare with")
    if spec.n_inputs != net.n_inputs or net.layers[-1].size != 1:
        raise ValueError(f"net {net.name!r} does not read the spec's symbols or has more than one output")
    if dtype not in DTYPES:
        raise ValueError(f"unknown dtype {dtype!r}; valid: {', '.join(DTYPES)}")
    if length < 1 or inputs < 1:
        raise ValueError(f"length and inputs must be >= 1, got {length} and {inputs}")
    units = sum(L.size for L in net.layers)
    if inputs * length * units > MAX_WORK:
        raise ValueError(f"{inputs} inputs x {length} steps x {units} units is more than {MAX_WORK:.0e}; "
                         "use fewer inputs or shorter ones")
    f = DTYPES[dtype]
    rng = np.random.default_rng(seed)
    symbols = rng.integers(0, len(spec.alphabet), size=(inputs, length))  # (B, T)
    bits = np.array([spec.symbol_bits(a) for a in range(len(spec.alphabet))], dtype=f).T  # (n_in, A)
    # Column blocks of U: the part reading x and the part reading each earlier layer; all-zero blocks dropped.
    edges = np.cumsum([net.n_inputs] + [L.size for L in net.layers])
    layers = []
    for k, L in enumerate(net.layers):
        U = np.array(L.U, dtype=f)  # (H, I_l)
        blocks = [(j, _matrix(U[:, lo:hi])) for j, (lo, hi) in enumerate(zip([0, *edges[:k]], edges[:k + 1],
                                                                               strict=True)) if U[:, lo:hi].any()]
        W = _matrix(np.array(L.W, dtype=f)) if L.is_recurrent else None
        layers.append((blocks, W, np.array(L.b, dtype=f)[:, None], L.act))
    state = [np.tile(np.array(L.h0, dtype=f)[:, None], (1, inputs)) for L in net.layers]  # s_l(0), (H_l, B)
    y = np.empty((inputs, length), dtype=f)
    deviation = 0.0
    for t in range(length):
        read = [bits[:, symbols[:, t]]]  # x(t) (n_in, B), then each layer's s_l(t)
        for k, (blocks, W, b, act) in enumerate(layers):
            z = np.zeros((b.shape[0], inputs), dtype=f) if not blocks else blocks[0][1] @ read[blocks[0][0]]
            z += b  # (H_l, B)
            for j, U in blocks[1:]:
                z += U @ read[j]
            if W is not None:
                z += W @ state[k]
            state[k] = _act(act, z)
            read.append(state[k])
            if k < len(layers) - 1 and act.kind == "sigmoid":  # how far hidden units stray from a bit
                deviation = max(deviation, 0.5 - float(np.abs(state[k] - f(0.5)).min()))
            elif k < len(layers) - 1 and act.kind != "step":
                s = state[k]
                deviation = max(deviation, float(np.minimum(np.abs(s), np.abs(1 - s)).max()))
        y[:, t] = state[-1][0]
    want = spec_outputs(spec, symbols)
    if net.layers[-1].act.kind == "sigmoid":
        wrong = np.where(want == 1, ~(y > 0.5), ~(y < 0.5))
    else:
        wrong = y != want
    first = None
    if wrong.any():
        t = int(np.flatnonzero(wrong.any(axis=0))[0])
        first = {"input": int(np.flatnonzero(wrong[:, t])[0]), "step": t + 1}
    return LongRun(not wrong.any(), dtype, inputs, length, seed, int(wrong.sum()), first, deviation)
