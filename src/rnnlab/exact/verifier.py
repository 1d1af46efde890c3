"""The all-length verifier (SPEC S9): prove a threshold or sigmoid RNN equal to a specification automaton.

Threshold (step) nets. With binary inputs, every recurrent threshold layer holds a binary vector, so the
net is a finite machine. Breadth-first search over the product

    (net state, spec state),   net state = the states of the recurrent layers (those with W != 0)

visits every reachable pair; for each pair and each symbol the net's output y(t) must equal the spec's
accept bit of the next spec state. Each BFS level is one batched tensor step over (frontier x alphabet).
If every edge agrees, the two machines agree on inputs of EVERY length. Because BFS reaches pairs in order
of input length (and symbols in alphabet order), the first disagreeing edge gives a shortest
counterexample, rebuilt from the parent links.

Sigmoid nets, s_i = sigmoid(H z_i), are proved by an inductive interval invariant (Omlin & Giles 1996,
"Constructing deterministic finite-state automata in recurrent neural networks", JACM 43(6)). Let the
*step twin* be the same weights with s_i = [z_i > 0], so rounding a sigmoid unit (s > 1/2 iff z > 0) gives
the twin's unit. Over the twin's reachable (state, symbol) configurations take, per unit,

    m_i = min |z_i|                     (worst margin; 0 cannot be proved)
    L_i = sum_j |w_ij| over unit inputs (recurrent and earlier-layer units; the input bits x are exact)

If every unit's value is within eps of the twin's bit, z_i moves by at most eps L_i, so whenever

    sigmoid(H (m_i - eps L_i)) >= 1 - eps,  i.e.  H (m_i - eps L_i) >= log((1 - eps) / eps)

holds for every unit that another unit reads (and m_i > eps L_i for units nobody reads: only their sign
matters), the bound holds again one step later. From the exact inputs and an h0 within eps of binary,
induction over t gives: every unit stays within eps of the twin forever (eps < 1/2), so the rounded sigmoid
net IS the step twin, for every length; the twin is then proved against the spec as above.
The condition is concave in eps on (0, 1/2), so a grid plus golden-section search finds the best eps.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import torch
from torch import Tensor

from rnnlab.core.activations import Activation, step
from rnnlab.exact.automaton import Automaton
from rnnlab.exact.counterexample import Counterexample
from rnnlab.exact.net import Net, Sparse, nonzeros

MAX_STATES = 1_000_000  # default cap on explored (net state, spec state) pairs
CHUNK_BYTES = 32 * 2**20  # the batched step of the BFS handles at most about this many bytes of states at once
TOL = 1e-9  # every inequality of the interval proof must hold with this much room (float64 rounding)
_EPS_FLOOR = 1e-300  # smallest eps searched (log((1 - eps) / eps) stays finite)

__all__ = [
    "MAX_STATES",
    "IntervalProof",
    "Margins",
    "Proof",
    "certify_gain",
    "interval_margins",
    "prove",
    "smallest_gain",
]


@dataclass(frozen=True)
class Margins:
    """Per-unit numbers of the interval argument, measured on the step twin's reachable configurations."""

    units: tuple[str, ...]  # unit names, "layer[i]"
    gain: tuple[float, ...]  # H of each unit's sigmoid(H z)
    margin: tuple[float, ...]  # m_i = min over reachable (state, symbol) of |z_i|
    sensitivity: tuple[float, ...]  # L_i = sum of |weights| on unit inputs (x is exact)
    read: tuple[bool, ...]  # whether some unit reads unit i (if not, only the sign of z_i matters)
    h0_deviation: float  # max |h0 - twin's h0| over recurrent units: the invariant's base needs eps >= this
    configurations: int  # reachable (state, symbol) configurations the margins were taken over


@dataclass(frozen=True)
class IntervalProof:
    """The interval invariant of a sigmoid net: what was measured and the eps it certifies."""

    margins: Margins
    eps: float | None  # every read unit stays within eps of 0 or 1 for ever; None: no eps < 1/2 works
    smallest_gain: float  # least uniform gain H for which these margins admit an eps (inf: none)


@dataclass(frozen=True)
class Proof:
    holds: bool  # the net equals the spec on inputs of every length (rounded outputs for sigmoid nets)
    states_explored: int  # reachable (net state, spec state) pairs visited
    counterexample: Counterexample | None  # a shortest disagreeing input (None when it holds or unknown)
    reason: str  # one line: why it holds or why not
    interval: IntervalProof | None = None  # sigmoid nets only


# --- batched steps ------------------------------------------------------------------------------------


class _Machine:
    """A net's layers as tensors: one batched step over many (state, input) pairs at once.

    The equation of Net.step (tested against it), kept apart because the interval proof needs the
    pre-activations z and because the weights are converted to tensors once, not once per BFS level.
    """

    def __init__(self, net: Net, acts: Sequence[Activation]) -> None:
        f64 = torch.float64
        self.n_inputs = net.n_inputs
        # A sparse matrix (the compiler's one-hot nets) stays sparse: products go through scipy.
        self.W = [L.W.scipy() if isinstance(L.W, Sparse) else torch.tensor(L.W, dtype=f64) for L in net.layers]
        self.U = [L.U.scipy() if isinstance(L.U, Sparse) else torch.tensor(L.U, dtype=f64) for L in net.layers]
        self.b = [torch.tensor(L.b, dtype=f64) for L in net.layers]
        self.acts = list(acts)
        self.sizes = [L.size for L in net.layers]
        self.recurrent = [L.is_recurrent for L in net.layers]
        self.h0 = torch.tensor([v for L in net.layers if L.is_recurrent for v in L.h0], dtype=f64)  # (D,)

    @staticmethod
    def _product(z: Tensor, inputs: Tensor, M: Any) -> Tensor:
        """z + inputs @ M^T, (B, H)."""
        if isinstance(M, Tensor):
            return torch.addmm(z, inputs, M.t())
        return z + torch.from_numpy(np.ascontiguousarray((M @ inputs.numpy().T).T))

    def step(self, s: Tensor, x: Tensor) -> tuple[Tensor, Tensor, list[Tensor]]:
        """s (B, D) recurrent state, x (B, I) -> (new recurrent state (B, D), y (B, n_out), z per layer)."""
        inputs, rec, zs, offset = x, [], [], 0
        for W, U, b, act, H, recurrent in zip(self.W, self.U, self.b, self.acts, self.sizes, self.recurrent,
                                              strict=True):
            z = self._product(b.expand(inputs.shape[0], -1), inputs, U)  # (B, H)
            if recurrent:
                z = self._product(z, s[:, offset:offset + H], W)
                offset += H
            out = act(z)
            if recurrent:
                rec.append(out)
            zs.append(z)
            inputs = torch.cat([inputs, out], dim=1)
        return torch.cat(rec, dim=1) if rec else s[:, :0], out, zs


@dataclass(frozen=True)
class _Exploration:
    states_explored: int
    mismatch: list[int] | None  # symbol path of the first (shortest) disagreeing input
    margin: Tensor | None  # (units,) min |z| over reachable configurations (when tracked)
    configurations: int


def _keys(rows: np.ndarray, spec_states: list[int]) -> list[tuple[bytes, int]]:
    """Exact dictionary keys of (net state, spec state): binary states packed 8 units to a byte, others raw."""
    binary = ((rows == 0) | (rows == 1)).all(axis=1)
    packed = np.packbits(rows > 0.5, axis=1)
    return [((b"b" + packed[k].tobytes()) if binary[k] else (b"f" + rows[k].tobytes()), spec_states[k])
            for k in range(len(rows))]


class _Visited:
    """The search graph so far: every (net state, spec state) pair seen, with the edge that first reached it."""

    def __init__(self, key: tuple[bytes, int], start: int, max_states: int) -> None:
        self.index = {key: 0}  # pair key -> pair number
        self.spec_state, self.parent, self.via = [start], [-1], [-1]  # per pair: spec state, parent pair, symbol
        self.max_states = max_states

    def __len__(self) -> int:
        return len(self.spec_state)

    def admit(self, key: tuple[bytes, int], parent: int, symbol: int) -> int | None:
        """The new pair's number, or None if it was seen before."""
        if key in self.index:
            return None
        if len(self) >= self.max_states:
            raise ValueError(f"more than {self.max_states} reachable (net state, spec state) pairs; the net may not "
                             f"be a finite machine of manageable size (raise max_states to explore further)")
        i = len(self)
        self.index[key] = i
        self.spec_state.append(key[1])
        self.parent.append(parent)
        self.via.append(symbol)
        return i

    def path(self, i: int) -> list[int]:
        return _path(self.parent, self.via, i)


def _explore(machine: _Machine, spec: Automaton | None, alphabet: Sequence[str], max_states: int,
             stop_at_mismatch: bool, track_margin: bool) -> _Exploration:
    """BFS over (net state, spec state); spec None explores the net alone (margins only).

    Only the frontier's states are kept as vectors, in chunks of at most CHUNK_BYTES; visited pairs are kept
    as packed keys, so a net of n units costs about n / 8 bytes per pair.
    """
    A = len(alphabet)
    X = torch.tensor([[int(c) for c in a] for a in alphabet], dtype=torch.float64)  # (A, I)
    delta = torch.tensor(spec.delta if spec else [[0] * A])  # (Q, A)
    accept = torch.tensor([float(q in spec.accept) for q in range(len(spec.states))] if spec else [0.0])  # (Q,)
    start = spec.start if spec else 0

    h0 = machine.h0.numpy()
    D = len(h0)
    seen = _Visited(_keys(h0[None, :], [start])[0], start, max_states)
    frontier, rows_of = [0], {0: h0}  # rows_of: the state vector of every frontier pair
    margin: Tensor | None = None
    configurations, mismatch = 0, None
    chunk = max(1, CHUNK_BYTES // (8 * A * max(1, D + sum(machine.sizes))))  # frontier pairs per batched step
    while frontier:
        new_frontier: list[int] = []
        new_rows: dict[int, np.ndarray] = {}
        for c0 in range(0, len(frontier), chunk):
            part = frontier[c0:c0 + chunk]
            F = len(part)
            s = torch.from_numpy(np.stack([rows_of[i] for i in part])).repeat_interleave(A, dim=0)  # (F*A, D)
            x = X.repeat(F, 1)  # (F*A, I)
            s_next, y, zs = machine.step(s, x)
            configurations += F * A
            if track_margin:
                level = torch.cat(zs, dim=1).abs().amin(dim=0)  # (units,)
                margin = level if margin is None else torch.minimum(margin, level)
            q = torch.tensor([seen.spec_state[i] for i in part]).repeat_interleave(A)  # (F*A,)
            a = torch.arange(A).repeat(F)  # (F*A,)
            q_next = delta[q, a]
            if spec is not None and mismatch is None:
                bad = (y[:, 0] != accept[q_next]).nonzero()
                if len(bad):
                    k = int(bad[0])
                    mismatch = seen.path(part[k // A]) + [k % A]
                    if stop_at_mismatch:
                        return _Exploration(len(seen), mismatch, margin, configurations)
            rows, q_list = s_next.numpy(), q_next.tolist()
            for k, key in enumerate(_keys(rows, q_list)):
                if (i := seen.admit(key, part[k // A], k % A)) is not None:
                    new_frontier.append(i)
                    new_rows[i] = rows[k].copy()
        frontier, rows_of = new_frontier, new_rows
    return _Exploration(len(seen), mismatch, margin, configurations)


class _SparseMachine:
    """_Machine for nets with sparse matrices (the compiler's one-hot nets): states are scipy CSR rows.

    A layer's pre-activation is split as z = C[p] + delta: C[p] = b + U x~ over the "small" inputs x~ (the input
    bits and small dense layers), which take few distinct values p per batch, and delta = W s + U over the big
    sparse layers, which has a few nonzeros per row. A unit outside delta's support has z = C[p]_i, so the
    (B, H) pre-activation is never materialised: a step over B configurations costs O(B x nonzeros per row).
    """

    SMALL = 64  # dense layers up to this size count as small inputs

    def __init__(self, net: Net, acts: Sequence[Activation]) -> None:
        from scipy.sparse import csr_matrix

        self.n_inputs = net.n_inputs
        self.acts = list(acts)
        self.sizes = [L.size for L in net.layers]
        self.recurrent = [L.is_recurrent for L in net.layers]
        self.b = [np.asarray(L.b, dtype=np.float64) for L in net.layers]
        self.W = [L.W.scipy() if isinstance(L.W, Sparse) else csr_matrix(np.asarray(L.W, dtype=np.float64))
                  for L in net.layers]
        small_cols = list(range(net.n_inputs))  # columns of [x; s_0; s_1; ...] that are small inputs
        offset = net.n_inputs
        self.small: list[np.ndarray] = []
        self.U_small: list[np.ndarray] = []
        self.U_big: list[Any] = []
        for L in net.layers:
            U = L.U.scipy() if isinstance(L.U, Sparse) else csr_matrix(np.asarray(L.U, dtype=np.float64))
            cols = np.asarray(small_cols, dtype=np.int64)
            mask = np.ones(U.shape[1], dtype=bool)
            mask[cols] = False
            self.small.append(cols)
            self.U_small.append(U[:, cols].toarray())  # (H, small)
            self.U_big.append(U[:, np.nonzero(mask)[0]].tocsr())  # (H, big)
            if not L.is_sparse and L.size <= self.SMALL:
                small_cols.extend(range(offset, offset + L.size))
            offset += L.size
        h0 = np.asarray([v for L in net.layers if L.is_recurrent for v in L.h0], dtype=np.float64)
        self.h0 = csr_matrix(h0[None, :]) if len(h0) else csr_matrix((1, 0))

    def step(self, s: Any, x: np.ndarray) -> tuple[Any, np.ndarray, np.ndarray]:
        """s (B, D) CSR, x (B, I) -> (new state (B, D) CSR, y (B, n_out) dense, min |z| per unit (units,))."""
        from scipy.sparse import csr_matrix, hstack

        B = x.shape[0]
        inputs, rec, margins, offset = csr_matrix(x), [], [], 0
        out: Any = None
        for k, (W, b, act, H, recurrent) in enumerate(zip(self.W, self.b, self.acts, self.sizes, self.recurrent,
                                                          strict=True)):
            small = self.small[k]
            big = np.setdiff1d(np.arange(inputs.shape[1]), small, assume_unique=True)
            patterns, pattern = np.unique(inputs[:, small].toarray(), axis=0, return_inverse=True)
            pattern = pattern.reshape(-1)
            C = b + patterns @ self.U_small[k].T  # (P, H): z of a unit that no sparse input reaches
            delta = (inputs[:, big] @ self.U_big[k].T).tocsr()  # (B, H)
            if recurrent:
                delta = (delta + s[:, offset:offset + H] @ W.T).tocsr()
                offset += H
            delta.sum_duplicates()
            rows = np.repeat(np.arange(B), np.diff(delta.indptr))
            z_on = C[pattern[rows], delta.indices] + delta.data  # z where delta has an entry
            o_on = act(torch.from_numpy(z_on)).numpy()
            rest = act(torch.from_numpy(C)).numpy()  # (P, H) output off delta's support
            # min |z| per unit: over delta's support, and |C[p]_i| wherever a row of pattern p lacks unit i
            m = np.full(H, np.inf)
            np.minimum.at(m, delta.indices, np.abs(z_on))
            counts = np.bincount(pattern, minlength=len(patterns))  # rows per pattern
            covered = np.zeros((len(patterns), H), dtype=np.int64)
            np.add.at(covered, (pattern[rows], delta.indices), 1)
            open_ = covered < counts[:, None]  # (P, H) some row of pattern p does not reach unit i
            m = np.minimum(m, np.where(open_, np.abs(C), np.inf).min(axis=0))
            margins.append(m)
            o = csr_matrix((o_on, (rows, delta.indices)), shape=(B, H))
            if (rest != 0).any():  # units that are on without sparse input: fill them where delta is absent
                fill = rest[pattern]  # (B, H); only reached by nets whose off state is not 0
                fill[rows, delta.indices] = 0.0
                o = (o + csr_matrix(fill)).tocsr()
            o.eliminate_zeros()
            out = o
            if recurrent:
                rec.append(o)
            inputs = hstack([inputs, o], format="csr")
        state = hstack(rec, format="csr") if rec else csr_matrix((B, 0))
        return state, out.toarray(), np.concatenate(margins)


def _row_key(M: Any, k: int) -> bytes:
    """An exact key of row k of a CSR matrix with canonical (sorted, no zeros) entries."""
    lo, hi = M.indptr[k], M.indptr[k + 1]
    return M.indices[lo:hi].astype(np.int64).tobytes() + b"|" + M.data[lo:hi].tobytes()


def _explore_sparse(machine: _SparseMachine, spec: Automaton | None, alphabet: Sequence[str], max_states: int,
                    stop_at_mismatch: bool, track_margin: bool) -> _Exploration:
    """_explore for sparse nets: the same BFS (same order, same shortest counterexample, same margins)."""
    from scipy.sparse import csr_matrix

    A = len(alphabet)
    X = np.asarray([[int(c) for c in a] for a in alphabet], dtype=np.float64)  # (A, I)
    delta = np.asarray(spec.delta if spec else [[0] * A])  # (Q, A)
    accept = np.asarray([float(q in spec.accept) for q in range(len(spec.states))] if spec else [0.0])  # (Q,)
    start = spec.start if spec else 0
    h0 = machine.h0
    h0.sort_indices()
    h0.eliminate_zeros()
    seen = _Visited((_row_key(h0, 0), start), start, max_states)
    D = h0.shape[1]
    frontier, rows_of = [0], {0: (h0.indices.astype(np.int64), h0.data.copy())}  # a row as (columns, values)
    margin: np.ndarray | None = None
    configurations, mismatch = 0, None
    chunk = 4096
    while frontier:
        new_frontier: list[int] = []
        new_rows: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        for c0 in range(0, len(frontier), chunk):
            part = frontier[c0:c0 + chunk]
            F = len(part)
            cols = [rows_of[i][0] for i in part for _ in range(A)]
            indptr = np.concatenate([[0], np.cumsum([len(c) for c in cols])])
            S = csr_matrix((np.concatenate([rows_of[i][1] for i in part for _ in range(A)]), np.concatenate(cols),
                            indptr), shape=(F * A, D))  # (F*A, D): each frontier state once per symbol
            x = np.tile(X, (F, 1))  # (F*A, I)
            s_next, y, m = machine.step(S, x)
            configurations += F * A
            if track_margin:
                margin = m if margin is None else np.minimum(margin, m)
            q = np.repeat(np.asarray([seen.spec_state[i] for i in part]), A)  # (F*A,)
            a = np.tile(np.arange(A), F)
            q_next = delta[q, a]
            if spec is not None and mismatch is None:
                bad = np.nonzero(y[:, 0] != accept[q_next])[0]
                if len(bad):
                    k = int(bad[0])
                    mismatch = seen.path(part[k // A]) + [k % A]
                    if stop_at_mismatch:
                        return _Exploration(len(seen), mismatch, None, configurations)
            s_next.sort_indices()
            q_list = q_next.tolist()
            for k in range(F * A):
                if (i := seen.admit((_row_key(s_next, k), q_list[k]), part[k // A], k % A)) is not None:
                    new_frontier.append(i)
                    lo, hi = s_next.indptr[k], s_next.indptr[k + 1]
                    new_rows[i] = (s_next.indices[lo:hi].astype(np.int64), s_next.data[lo:hi].copy())
        frontier, rows_of = new_frontier, new_rows
    return _Exploration(len(seen), mismatch,
                        torch.from_numpy(margin) if margin is not None else None, configurations)


def _explore_net(net: Net, acts: Sequence[Activation], spec: Automaton | None, alphabet: Sequence[str],
                 max_states: int, stop_at_mismatch: bool, track_margin: bool) -> _Exploration:
    """The BFS on dense tensors, or on sparse rows when the net has sparse matrices."""
    if any(L.is_sparse for L in net.layers):
        return _explore_sparse(_SparseMachine(net, acts), spec, alphabet, max_states, stop_at_mismatch,
                               track_margin)
    return _explore(_Machine(net, acts), spec, alphabet, max_states, stop_at_mismatch, track_margin)


def _path(parent: list[int], via: list[int], i: int) -> list[int]:
    path = []
    while parent[i] >= 0:
        path.append(via[i])
        i = parent[i]
    return path[::-1]


def _counterexample(net: Net, spec: Automaton, path: list[int]) -> Counterexample:
    """Rebuild the input from its symbols and re-run the net itself (the core recurrence) on it."""
    bits = [spec.symbol_bits(a) for a in path]
    x = torch.tensor(bits, dtype=torch.float64)  # (T, I)
    got = net.run(x).y[0, :, 0].tolist()
    seqs = ["".join(str(b[j]) for b in bits) for j in range(spec.n_inputs)]
    return Counterexample(seqs[0], seqs[1] if len(seqs) > 1 else None, spec.outputs(path), got)


# --- the proof ----------------------------------------------------------------------------------------


def _check(net: Net, spec: Automaton | None) -> Automaton:
    spec = spec if spec is not None else net.spec
    if spec is None:
        raise ValueError(f"net {net.name!r} carries no specification; give one (--against SPEC.json)")
    if spec.n_inputs != net.n_inputs:
        raise ValueError(
            f"the spec's symbols carry {spec.n_inputs} input sequence(s) but net {net.name!r} reads {net.n_inputs}"
        )
    if net.layers[-1].size != 1:
        raise ValueError(f"net {net.name!r} has {net.layers[-1].size} outputs; a spec automaton gives one bit")
    return spec


def prove(net: Net, spec: Automaton | None = None, max_states: int = MAX_STATES) -> Proof:
    """Prove that `net` equals `spec` (default: net.spec) on inputs of every length, or find a shortest input
    on which they differ. Threshold nets are explored exactly; sigmoid nets are reduced to their step twin
    by the interval invariant (module docstring). Other recurrent activations raise ValueError.
    """
    for L in net.layers:
        if L.is_recurrent and L.act.kind not in ("step", "sigmoid"):
            raise ValueError(
                f"net {net.name!r}: recurrent layer {L.name!r} has a {L.act.kind} activation, so its reachable "
                "states are not a finite set of binary vectors; the verifier proves threshold (step) nets and "
                "sigmoid nets only"
            )
    if any(L.act.kind == "sigmoid" for L in net.layers):
        return _prove_sigmoid(net, _check(net, spec), max_states)
    spec = _check(net, spec)
    found = _explore_net(net, [L.act for L in net.layers], spec, spec.alphabet, max_states,
                         stop_at_mismatch=True, track_margin=False)
    if found.mismatch is None:
        return Proof(True, found.states_explored, None,
                     f"all {found.states_explored} reachable (net state, spec state) pairs agree on every symbol")
    cex = _counterexample(net, spec, found.mismatch)
    assert cex.got[-1] != cex.expected[-1], "BFS and the net's own run disagree"
    return Proof(False, found.states_explored, cex, f"shortest disagreeing input has length {len(found.mismatch)}")


def _twin(net: Net) -> Net:
    """The step twin of a sigmoid net: same weights, [z > 0], h0 rounded to the nearest bit."""
    bad = [L.name for L in net.layers if L.act.kind != "sigmoid"]
    if bad:
        raise ValueError(
            f"net {net.name!r} mixes sigmoid with other activations (layer(s) {bad}); the interval proof handles "
            "nets whose layers are all sigmoid(H z)"
        )
    return replace(net, layers=tuple(replace(L, act=step(), h0=tuple(float(v > 0.5) for v in L.h0))
                                     for L in net.layers))


def _interval_numbers(net: Net, spec: Automaton | None, max_states: int) -> tuple[Margins, _Exploration]:
    twin = _twin(net)
    alphabet = spec.alphabet if spec else ["".join(str((k >> (net.n_inputs - 1 - j)) & 1)
                                                    for j in range(net.n_inputs)) for k in range(2**net.n_inputs)]
    found = _explore_net(twin, [L.act for L in twin.layers], spec, alphabet, max_states,
                         stop_at_mismatch=False, track_margin=True)
    assert found.margin is not None
    units: list[str] = []
    gain: list[float] = []
    sens: list[float] = []
    read: list[bool] = []
    n_in, offset = net.n_inputs, 0
    for k, L in enumerate(net.layers):
        if L.is_sparse or any(M.is_sparse for M in net.layers[k + 1:]):
            s_i, r_i = _sparse_sensitivity(net, k, offset)
            units.extend(f"{L.name}[{i}]" for i in range(L.size))
            gain.extend([L.act.gain] * L.size)
            sens.extend(s_i)
            read.extend(r_i)
            offset += L.size
            continue
        W, U = np.abs(np.array(L.W)), np.abs(np.array(L.U))  # (H, H), (H, I_l)
        later = [np.abs(np.array(M.U))[:, n_in + offset:n_in + offset + L.size] for M in net.layers[k + 1:]]
        for i in range(L.size):
            units.append(f"{L.name}[{i}]")
            gain.append(L.act.gain)
            sens.append(float(W[i].sum() + U[i, n_in:].sum()))
            read.append(bool(W[:, i].any() or any(c[:, i].any() for c in later)))
        offset += L.size
    dev = max((abs(v - float(v > 0.5)) for L in net.layers if L.is_recurrent for v in L.h0), default=0.0)
    margins = Margins(tuple(units), tuple(gain), tuple(found.margin.tolist()), tuple(sens), tuple(read), dev,
                      found.configurations)
    return margins, found


def _sparse_sensitivity(net: Net, k: int, offset: int) -> tuple[list[float], list[bool]]:
    """L_i and whether unit i is read, for layer k of a net with sparse matrices (the same sums as the dense
    path, entry by entry in row order)."""
    L, n_in = net.layers[k], net.n_inputs
    sens = [0.0] * L.size
    read = [False] * L.size
    for M, cols in ((L.W, None), (L.U, n_in)):
        rows: dict[int, list[float]] = {}
        for i, j, v in nonzeros(M):
            if cols is None or j >= cols:
                rows.setdefault(i, []).append(abs(v))
            if cols is None:
                read[j] = True
        for i, vs in rows.items():
            sens[i] += float(np.sum(np.asarray(vs)))
    for later in net.layers[k + 1:]:
        lo = n_in + offset
        for _, j, _v in nonzeros(later.U):
            if lo <= j < lo + L.size:
                read[j - lo] = True
    return sens, read


def interval_margins(net: Net, spec: Automaton | None = None, max_states: int = MAX_STATES) -> Margins:
    """m_i, L_i and who reads whom for a sigmoid net, over its step twin's reachable configurations."""
    return _interval_numbers(net, spec, max_states)[0]


def _slack(margins: Margins, eps: float, gain: np.ndarray) -> float:
    """min over units of how far the inductive condition holds at eps (>= TOL: holds with room)."""
    logit = math.log1p(-eps) - math.log(eps)  # log((1 - eps) / eps)
    m, L, read = (np.asarray(v) for v in (margins.margin, margins.sensitivity, margins.read))
    room = m - eps * L
    return float(np.where(read, gain * room - logit, room).min())


def _maximise(f: Callable[[float], float], lo: float, hi: float, grid: int = 200,
              iters: int = 80) -> tuple[float, float]:
    """argmax of a unimodal f on [lo, hi] (searched in log eps): a grid, then golden section."""
    u = np.linspace(math.log(lo), math.log(hi), grid)
    values = [f(math.exp(v)) for v in u]
    k = int(np.argmax(values))
    a, b = u[max(k - 1, 0)], u[min(k + 1, grid - 1)]
    g = (math.sqrt(5) - 1) / 2
    c, d = b - g * (b - a), a + g * (b - a)
    fc, fd = f(math.exp(c)), f(math.exp(d))
    for _ in range(iters):
        if fc >= fd:
            b, d, fd = d, c, fc
            c = b - g * (b - a)
            fc = f(math.exp(c))
        else:
            a, c, fc = c, d, fd
            d = a + g * (b - a)
            fd = f(math.exp(d))
    best = max([(values[k], math.exp(u[k])), (fc, math.exp(c)), (fd, math.exp(d))])
    return best[1], best[0]


def _eps_range(margins: Margins) -> tuple[float, float]:
    return max(margins.h0_deviation, _EPS_FLOOR), 0.5 * (1 - 1e-12)


def certify_gain(margins: Margins, gain: float | Sequence[float] | None = None) -> float | None:
    """An eps < 1/2 for which the interval invariant is inductive at these gains (default: the net's), or None.

    This is the one check behind both `prove` and the compiler's safe gain.
    """
    gains = np.asarray(margins.gain if gain is None else (
        [float(gain)] * len(margins.units) if isinstance(gain, (int, float)) else list(gain)), dtype=np.float64)
    lo, hi = _eps_range(margins)
    if lo >= hi:
        return None
    eps, slack = _maximise(lambda e: _slack(margins, e, gains), lo, hi)
    return eps if slack >= TOL else None


def _needed_gain(margins: Margins, eps: float) -> float:
    """The least uniform H for which the condition holds at this eps (inf if a margin is used up)."""
    logit = math.log1p(-eps) - math.log(eps)
    m, L, read = (np.asarray(v) for v in (margins.margin, margins.sensitivity, margins.read))
    room = m - eps * L
    if (room <= TOL).any():
        return math.inf
    return float((logit / room[read]).max(initial=0.0))


def smallest_gain(margins: Margins) -> tuple[float, float]:
    """(H, eps): the least uniform gain for which some eps makes the invariant inductive, and that eps.

    H(eps) = max_i log((1 - eps) / eps) / (m_i - eps L_i) is quasi-convex in eps (its sublevel sets are the
    intervals where a concave condition holds), so minimising it over a grid plus golden section is reliable.
    H is an upper bound on the true infimum, to the optimiser's precision; (inf, nan) when no gain works.
    """
    lo, hi = _eps_range(margins)
    if lo >= hi:
        return math.inf, math.nan
    eps, neg = _maximise(lambda e: -_needed_gain(margins, e), lo, hi)
    return (-neg, eps) if math.isfinite(neg) else (math.inf, math.nan)


def _binding(margins: Margins) -> str:
    """The unit that sets the smallest gain (at the eps that minimises it), for the reason line."""
    H, eps = smallest_gain(margins)
    if margins.h0_deviation >= 0.5:
        return f" (an initial state is {margins.h0_deviation:g} from the nearest bit: no eps < 1/2 covers it)"
    if not math.isfinite(H):
        lo = _eps_range(margins)[0]  # the smallest eps the initial state allows
        room = [m - lo * L for m, L in zip(margins.margin, margins.sensitivity, strict=True)]
        i = min(range(len(room)), key=room.__getitem__)
        return (f" (unit {margins.units[i]}: margin m = {margins.margin[i]:.6g}, input weight sum "
                f"L = {margins.sensitivity[i]:.6g}; m - eps L > 0 fails already at eps = {lo:.3g})")
    logit = math.log1p(-eps) - math.log(eps)
    need = [logit / (m - eps * L) if r else 0.0
            for m, L, r in zip(margins.margin, margins.sensitivity, margins.read, strict=True)]
    i = max(range(len(need)), key=need.__getitem__)
    return (f" (set by unit {margins.units[i]}: margin m = {margins.margin[i]:.6g}, "
            f"input weight sum L = {margins.sensitivity[i]:.6g}, at eps = {eps:.3g})")


def _prove_sigmoid(net: Net, spec: Automaton, max_states: int) -> Proof:
    margins, found = _interval_numbers(net, spec, max_states)
    eps = certify_gain(margins)
    H_min, _ = smallest_gain(margins)
    interval = IntervalProof(margins, eps, H_min)
    cex = _counterexample(net, spec, found.mismatch) if found.mismatch is not None else None
    if eps is None:
        why = (f"interval invariant not proved: no eps < 1/2 makes it inductive at gain(s) "
               f"{sorted(set(margins.gain))}; the smallest provable uniform gain is {H_min:.6g}"
               + _binding(margins))
        if cex is not None and round(cex.got[-1]) == cex.expected[-1]:
            cex = None  # the step twin fails here but the sigmoid net does not: no confirmed counterexample
        return Proof(False, found.states_explored, cex, why, interval)
    if cex is not None:
        return Proof(False, found.states_explored, cex,
                     f"every unit stays within eps = {eps:.3g} of its step twin, and the twin's shortest "
                     f"disagreeing input has length {len(found.mismatch or [])}", interval)
    return Proof(True, found.states_explored, None,
                 f"every unit stays within eps = {eps:.3g} of 0 or 1 for ever, so the rounded net is its step twin, "
                 f"which agrees with the spec on all {found.states_explored} reachable pairs", interval)
