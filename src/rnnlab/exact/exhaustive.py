"""Exhaustive check: simulate a net on EVERY input up to a length and compare each step with its spec (SPEC S9).

The second, independent oracle beside the all-length verifier: no reasoning about reachable states,
only simulation of every input. Inputs are numbered so that sequence s reads bit n(t-1) + i of s as
input i at step t (n inputs per step). Every input of length t < L is the length-t prefix of some input
of length L, and the output at step t depends only on that prefix, so one pass over all 2^(nL) inputs of
length L checks every length 1..L.

Three engines, one answer:
- bit-parallel (binary nets): the net and spec as a boolean word program (bitparallel.py), 64 inputs per
  uint64 word; the input words are truth-table columns: for bit p < 6 a fixed lane pattern, for p >= 6
  whole words of 0s or 1s. Work goes in chunks of words that stay in cache.
- torch (any other net, e.g. sigmoid nets from the compiler): batched float64 simulation of the net itself.
- dense (the plain numpy baseline): float arrays (2^(nL), H), one matmul per layer per step.

Output rule: a sigmoid output reads 1 above 0.5 and 0 below (exactly 0.5 reads as neither); any other
output must equal the spec's bit exactly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch

from rnnlab.exact import bitparallel as bp
from rnnlab.exact.automaton import Automaton
from rnnlab.exact.counterexample import Counterexample
from rnnlab.exact.net import Net

MAX_BITS_BIT_PARALLEL = 32  # at most 2^32 inputs of the longest length (2^32 x 32 steps: ~30 s at 5e9/s)
MAX_BITS_TORCH = 20  # at most 2^20 inputs for the float simulation of a non-binary net
MAX_BITS_DENSE = 22  # the dense baseline holds every input's state at once: 2^22 x H float64
CHUNK_WORDS = 4096  # most words per chunk (32 KiB per register): fewer numpy calls per input
CACHE_BYTES = 1 << 22  # a chunk's registers should fit here, so that a step's work stays in cache
TORCH_BATCH = 1 << 14  # inputs per batch of the float simulation


@dataclass(frozen=True)
class Exhaustive:
    holds: bool  # the net's output equals the spec's at every step of every input of length 1..max_len
    max_len: int  # the longest input length checked
    sequences: int  # inputs of length max_len simulated (each shorter input is a prefix of one); fewer when a
    # counterexample let the search stop early
    sequence_steps: int  # sequences * max_len: the simulation work done
    counterexample: Counterexample | None  # a shortest failing input, the lexicographically smallest of that length
    method: str  # "bit-parallel", "torch" or "dense"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def exhaustive_check(net: Net, spec: Automaton, max_len: int, chunk_words: int | None = None) -> Exhaustive:
    """Check net against spec on all inputs of every length 1..max_len; return a shortest counterexample if any.

    Binary nets run bit-parallel (n_inputs * max_len <= 32); others fall back to a float simulation in
    torch (n_inputs * max_len <= 20). chunk_words (a power of two; default: sized to the cache) tunes the
    bit-parallel engine only.
    """
    _validate(net, spec, max_len)
    try:
        bp.check_boolean(net)
    except bp.NotBoolean:
        return _torch_check(net, spec, max_len)
    if net.n_inputs * max_len > MAX_BITS_BIT_PARALLEL:
        raise ValueError(f"max_len {max_len} would enumerate 2^{net.n_inputs * max_len} inputs; the bit-parallel "
                         f"check allows up to 2^{MAX_BITS_BIT_PARALLEL} (max_len <= "
                         f"{MAX_BITS_BIT_PARALLEL // net.n_inputs} for this net)")
    if chunk_words is not None and (chunk_words < 1 or chunk_words & (chunk_words - 1)):
        raise ValueError(f"chunk_words must be a power of two, got {chunk_words}")
    try:
        engine = _BitParallel(net, spec, max_len, chunk_words)
    except bp.NotBoolean:  # a unit too large to expand into a boolean function
        return _torch_check(net, spec, max_len)
    return engine.run()


def _validate(net: Net, spec: Automaton, max_len: int) -> None:
    if not isinstance(max_len, int) or max_len < 1:
        raise ValueError(f"max_len must be a positive integer, got {max_len!r}")
    if spec.n_inputs != net.n_inputs:
        raise ValueError(f"net {net.name!r} reads {net.n_inputs} input(s) per step but the spec's symbols "
                         f"have {spec.n_inputs} bit(s)")
    if net.layers[-1].size != 1:
        raise ValueError(f"net {net.name!r} has {net.layers[-1].size} outputs; a spec is checked against one")


# --- the search shared by the engines ---------------------------------------------------------------------

# A block evaluator simulates inputs [start, stop) and returns None, or the first step t (1-based) at which
# one of them fails together with the indices that fail at t.
BlockResult = tuple[int, np.ndarray] | None


def _search(n: int, max_len: int, block: int, evaluate: Callable[[int, int], BlockResult]) -> tuple[int, Any]:
    """Run blocks in order; return (inputs simulated, (t, failing prefixes) or None).

    A failure at step t is a failure of its prefix s mod 2^(nt) < 2^(nt), so once a failure at t is
    known, inputs from 2^(nt) on can hold neither a shorter one nor another of the same length.
    """
    total = 1 << (n * max_len)
    best_t, prefixes = max_len + 1, [np.empty(0, np.int64)]
    start = 0
    while start < total and start < (1 << (n * min(best_t, max_len))):
        stop = min(total, start + block)
        found = evaluate(start, stop)
        start = stop
        if found is None:
            continue
        t, failing = found
        if t < best_t:
            best_t, prefixes = t, []
        if t == best_t:
            prefixes.append(failing & ((1 << (n * t)) - 1))
    if best_t > max_len:
        return start, None
    return start, (best_t, np.unique(np.concatenate(prefixes)))


def _first_in_order(prefixes: np.ndarray, t: int, n: int) -> int:
    """The prefix whose symbol string x(1) x(2) ... is smallest; a symbol reads "x1x2", so x1 counts most."""
    candidates = prefixes
    for step in range(t):
        value = np.zeros_like(candidates)
        for i in range(n):
            value |= ((candidates >> (n * step + i)) & 1) << (n - 1 - i)
        candidates = candidates[value == value.min()]
    return int(candidates[0])


def _counterexample(net: Net, spec: Automaton, s: int, t: int) -> Counterexample:
    n = net.n_inputs
    steps = [[(s >> (n * k + i)) & 1 for i in range(n)] for k in range(t)]  # (t, n)
    symbols = [spec.alphabet.index("".join(map(str, bits))) for bits in steps]
    y = net.run(torch.tensor(steps, dtype=torch.float64)).y[0, :, 0]
    return Counterexample(
        input="".join(str(bits[0]) for bits in steps),
        input2="".join(str(bits[1]) for bits in steps) if n == 2 else None,
        expected=spec.outputs(symbols),
        got=[float(v) for v in y.tolist()],
    )


def _result(net: Net, spec: Automaton, max_len: int, simulated: int, found: Any, method: str) -> Exhaustive:
    sequences = min(simulated, 1 << (net.n_inputs * max_len))
    if found is None:
        return Exhaustive(True, max_len, sequences, sequences * max_len, None, method)
    t, prefixes = found
    s = _first_in_order(prefixes, t, net.n_inputs)
    return Exhaustive(False, max_len, sequences, sequences * max_len, _counterexample(net, spec, s, t), method)


def _symbol_table(spec: Automaton) -> np.ndarray:
    """code -> alphabet index, where code = sum_i x_i 2^i over the n input bits; -1 outside the alphabet."""
    n = spec.n_inputs
    table = np.full(1 << n, -1, dtype=np.int64)
    for a, symbol in enumerate(spec.alphabet):
        table[sum(int(c) << i for i, c in enumerate(symbol))] = a
    return table


def _reads(y: np.ndarray, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """(reads as 1, reads as 0) for an output y under the module's output rule."""
    if kind == "sigmoid":
        return y > 0.5, y < 0.5
    return y == 1.0, y == 0.0


class _SpecRunner:
    """The spec over a batch of inputs: per step, whether each input is inside the alphabet and accepted."""

    def __init__(self, spec: Automaton, batch: int) -> None:
        Q, A = len(spec.states), len(spec.alphabet)
        self.outside = Q  # an extra absorbing state, entered on a symbol outside the alphabet
        self.delta = np.full((Q + 1, A + 1), Q, dtype=np.int64)
        self.delta[:Q, :A] = np.array(spec.delta, dtype=np.int64).reshape(Q, A)
        self.accept = np.zeros(Q + 1, dtype=bool)
        self.accept[list(spec.accept)] = True
        self.table = _symbol_table(spec)
        self.table[self.table < 0] = A
        self.q = np.full(batch, spec.start, dtype=np.int64)

    def step(self, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        self.q = self.delta[self.q, self.table[codes]]
        return self.accept[self.q], self.q != self.outside


def _mismatch(y: np.ndarray, kind: str, accept: np.ndarray, inside: np.ndarray) -> np.ndarray:
    one, zero = _reads(y, kind)
    return np.where(accept, ~one, ~zero) & inside


# --- bit-parallel ---------------------------------------------------------------------------------------------

_UFUNCS = {"and": np.bitwise_and, "or": np.bitwise_or, "xor": np.bitwise_xor}


def _lane_pattern(p: int) -> np.uint64:
    """Bit j of the word is bit p of j: input bit p < 6 across the 64 lanes."""
    return np.uint64(sum(1 << j for j in range(64) if (j >> p) & 1))


class _BitParallel:
    """Word programs for every step, then every chunk of 64 * C inputs run through them in order.

    Registers: 0 / 1 constant words, 2 the mismatch accumulator, the input bits, two banks of state
    words (net units and one-hot spec; step t reads bank (t - 1) % 2 and writes bank t % 2), temporaries.
    """

    def __init__(self, net: Net, spec: Automaton, max_len: int, chunk_words: int | None) -> None:
        self.bnet = bp.BooleanNet.from_net(net)
        self.net, self.spec, self.max_len, self.n = net, spec, max_len, net.n_inputs
        self.recurrent = [len(units) if rec else 0 for units, rec in zip(self.bnet.layers, self.bnet.recurrent,
                                                                         strict=True)]
        complete = len({spec.symbol_bits(a) for a in range(len(spec.alphabet))}) == 1 << self.n
        self.n_spec = len(spec.states) + (0 if complete else 1)
        self.n_state = sum(self.recurrent) + self.n_spec
        self.x_regs = list(range(3, 3 + self.n))
        first_bank = 3 + self.n
        self.banks = [list(range(first_bank + b * self.n_state, first_bank + (b + 1) * self.n_state)) for b in (0, 1)]
        self.first_temp = first_bank + 2 * self.n_state
        if chunk_words is None:  # fit the state banks and some temporaries in CACHE_BYTES
            fit = CACHE_BYTES // (8 * (self.first_temp + 32))
            chunk_words = max(1, min(CHUNK_WORDS, 1 << (fit.bit_length() - 1)))
        self.C = min(chunk_words, 1 << max(0, self.n * max_len - 6))  # words per chunk
        self.k = self.C.bit_length() - 1  # input bits 6 .. 6+k-1 vary inside a chunk; later ones are constant
        self.dags: dict[tuple[bool, tuple[int | None, ...]], tuple[bp.Dag, list[int], list[int], bp.StepOutputs]] = {}
        self.programs: dict[tuple[bool, tuple[int | None, ...], int], bp.Program] = {}
        # Build the programs up front so that an oversized unit shows before any simulation.
        for t in range(1, max_len + 1):
            for config in self._configs(t):
                self._program(t, config)

    def _config(self, t: int, chunk: int) -> tuple[int | None, ...]:
        """Per input bit p at step t: None where it varies inside a chunk, else its value in `chunk`.

        Bits 6 + k and up of the sequence index are the chunk number, so input bit p >= 6 + k is the
        constant bit p - 6 - k of the chunk number.
        """
        out: list[int | None] = []
        for i in range(self.n):
            p = self.n * (t - 1) + i
            out.append(None if p < 6 + self.k else (chunk >> (p - 6 - self.k)) & 1)
        return tuple(out)

    def _configs(self, t: int) -> set[tuple[int | None, ...]]:
        """Every config step t can take (the constant bits take each value in some chunk)."""
        firsts = [self.n * (t - 1) + i for i in range(self.n)]
        return {tuple(None if p < 6 + self.k else (v >> i) & 1 for i, p in enumerate(firsts))
                for v in range(1 << self.n)}

    def _step_dag(self, first: bool, config: tuple[int | None, ...]) -> Any:
        """The step's nodes: (dag, x leaves, state leaves, outputs); the first step starts from constants."""
        key = (first, config)
        if key not in self.dags:
            dag = bp.Dag()
            x = [dag.leaf(f"x{i}") if c is None else (bp.ONE if c else bp.ZERO) for i, c in enumerate(config)]
            state_leaves: list[int] = []
            if first:
                net_prev: list[list[bp.Operand]] = [list(h0) if size else [] for h0, size in zip(
                    self.bnet.h0, self.recurrent, strict=True)]
                spec_prev = [bp.ONE if q == self.spec.start else bp.ZERO for q in range(self.n_spec)]
            else:
                net_prev = []
                for size in self.recurrent:
                    units = [dag.leaf("h") for _ in range(size)]
                    net_prev.append(list(units))
                    state_leaves += units
                spec_prev = [dag.leaf("q") for _ in range(self.n_spec)]
                state_leaves += spec_prev
            out = bp.build_step(dag, self.bnet, self.spec, x, net_prev, spec_prev)
            self.dags[key] = (dag, x, state_leaves, out)
        return self.dags[key]

    def _program(self, t: int, config: tuple[int | None, ...]) -> bp.Program:
        """Step t reads state bank (t - 1) % 2 and writes bank t % 2."""
        key = (t == 1, config, t % 2)
        if key not in self.programs:
            dag, x, state_leaves, out = self._step_dag(t == 1, config)
            leaf_registers = {node: reg for node, reg, c in zip(x, self.x_regs, config, strict=True) if c is None}
            leaf_registers.update(zip(state_leaves, self.banks[(t - 1) % 2], strict=False))
            outputs = [u for units in out.net_state for u in units] + out.spec_state
            self.programs[key] = bp.allocate(dag, leaf_registers, outputs, self.banks[t % 2], out.mismatch,
                                             self.first_temp)
        return self.programs[key]

    def run(self) -> Exhaustive:
        n_registers = max(p.n_registers for p in self.programs.values())
        regs = np.zeros((n_registers, self.C), dtype=np.uint64)
        rows = list(regs)
        regs[bp.REG_ONE] = ~np.uint64(0)
        resolved = {key: [(_UFUNCS[op], rows[a], rows[b], rows[o]) for op, a, b, o in program.ops]
                    for key, program in self.programs.items()}
        local = np.arange(self.C, dtype=np.uint64)
        patterns: dict[int, np.ndarray] = {}  # input bit p -> its words inside a chunk (the same in every chunk)
        for p in range(min(6 + self.k, self.n * self.max_len)):
            if p < 6:
                patterns[p] = np.full(self.C, _lane_pattern(p), dtype=np.uint64)
            else:
                patterns[p] = np.where((local >> np.uint64(p - 6)) & np.uint64(1), ~np.uint64(0), np.uint64(0))
        table = [  # table[t-1][config] = (input copies, ops) of step t
            {config: ([(rows[self.x_regs[i]], patterns[self.n * (t - 1) + i]) for i, c in enumerate(config)
                       if c is None], resolved[(t == 1, config, t % 2)]) for config in self._configs(t)}
            for t in range(1, self.max_len + 1)
        ]
        err = rows[bp.REG_ERR]

        def simulate(chunk: int, watch: bool) -> int:
            """Run one chunk; return the first failing step when watching, else 0 or 1 for any failure."""
            err.fill(0)
            for t in range(1, self.max_len + 1):
                copies, ops = table[t - 1][self._config(t, chunk)]
                for dst, src in copies:
                    np.copyto(dst, src)
                for f, a, b, out in ops:
                    f(a, b, out=out)
                if watch and err.any():
                    return t
            return int(err.any())

        def evaluate(start: int, stop: int) -> BlockResult:
            chunk = start // (64 * self.C)
            if not simulate(chunk, watch=False):
                return None
            t = simulate(chunk, watch=True)
            words = np.nonzero(err)[0]
            lanes = np.unpackbits(err[words].astype("<u8").view(np.uint8).reshape(-1, 8), axis=1, bitorder="little")
            w, j = np.nonzero(lanes)
            failing = (chunk * self.C + words[w].astype(np.int64)) * 64 + j
            return t, failing

        simulated, found = _search(self.n, self.max_len, 64 * self.C, evaluate)
        return _result(self.net, self.spec, self.max_len, simulated, found, "bit-parallel")


# --- float simulations ----------------------------------------------------------------------------------------

def _input_bits(start: int, stop: int, n: int, max_len: int) -> np.ndarray:
    """(B, max_len, n) 0/1 inputs of sequences start..stop-1: input i at step t is bit n(t-1) + i."""
    s = np.arange(start, stop, dtype=np.int64)
    return ((s[:, None] >> np.arange(n * max_len, dtype=np.int64)) & 1).reshape(-1, max_len, n)


def _first_failure(start: int, mismatch: np.ndarray) -> BlockResult:
    """From a (B, T) mismatch table: the first failing step and the inputs failing there."""
    steps = np.nonzero(mismatch.any(axis=0))[0]
    if steps.size == 0:
        return None
    t = int(steps[0])
    return t + 1, start + np.nonzero(mismatch[:, t])[0].astype(np.int64)


def _torch_check(net: Net, spec: Automaton, max_len: int) -> Exhaustive:
    """Batched float64 simulation of the net itself, for nets whose state is not binary."""
    n = net.n_inputs
    if n * max_len > MAX_BITS_TORCH:
        raise ValueError(f"net {net.name!r} is not a binary-state net, so it is simulated in floats; max_len "
                         f"{max_len} would enumerate 2^{n * max_len} inputs, the limit is 2^{MAX_BITS_TORCH} "
                         f"(max_len <= {MAX_BITS_TORCH // n} for this net)")
    kind = net.layers[-1].act.kind

    def evaluate(start: int, stop: int) -> BlockResult:
        x = _input_bits(start, stop, n, max_len)  # (B, T, n)
        y = net.run(torch.from_numpy(x).to(torch.float64)).y[..., 0].numpy()  # (B, T)
        codes = (x << np.arange(n)).sum(axis=2)  # (B, T)
        runner = _SpecRunner(spec, stop - start)
        mismatch = np.empty_like(y, dtype=bool)
        for t in range(max_len):
            accept, inside = runner.step(codes[:, t])
            mismatch[:, t] = _mismatch(y[:, t], kind, accept, inside)
        return _first_failure(start, mismatch)

    simulated, found = _search(n, max_len, TORCH_BATCH, evaluate)
    return _result(net, spec, max_len, simulated, found, "torch")


def _activation(kind: str, gain: float, threshold: float, strict: bool) -> Callable[[np.ndarray], np.ndarray]:
    if kind == "step":
        return lambda z: (z > threshold if strict else z >= threshold).astype(np.float64)
    if kind == "sigmoid":
        return lambda z: 1.0 / (1.0 + np.exp(-gain * z))
    if kind == "tanh":
        return np.tanh
    return lambda z: z


def exhaustive_check_dense(net: Net, spec: Automaton, max_len: int) -> Exhaustive:
    """The plain numpy baseline: every input of length max_len at once, float64 states (2^(nL), H).

    One buffer row per input holds [x(t); s_0; s_1; ...]. Layer l reads the columns up to and including
    its own (still s_l(t-1) when it runs), so each layer is one matmul per step:

        s_l(t) = act_l([x(t); s_0(t); ...; s_{l-1}(t); s_l(t-1)] [U_l W_l]^T + b_l)

    Same answer as exhaustive_check; at most 2^22 inputs.
    """
    _validate(net, spec, max_len)
    n = net.n_inputs
    if n * max_len > MAX_BITS_DENSE:
        raise ValueError(f"max_len {max_len} would hold 2^{n * max_len} inputs at once; the dense check allows "
                         f"up to 2^{MAX_BITS_DENSE} (max_len <= {MAX_BITS_DENSE // n} for this net)")
    S = 1 << (n * max_len)
    sizes = [L.size for L in net.layers]
    ends = np.cumsum([n, *sizes]).tolist()  # layer l's columns are ends[l]:ends[l+1]
    buf = np.zeros((S, ends[-1]))  # (S, n + sum H_l)
    weights = []  # per layer: ([U_l W_l]^T (ends[l+1], H_l), b_l, act_l)
    for L, lo, hi in zip(net.layers, ends[:-1], ends[1:], strict=True):
        buf[:, lo:hi] = L.h0
        UW = np.concatenate([np.array(L.U), np.array(L.W)], axis=1)  # (H, ends[l+1])
        act = _activation(L.act.kind, L.act.gain, L.act.threshold, L.act.strict)
        weights.append((np.ascontiguousarray(UW.T), np.array(L.b), act))
    runner = _SpecRunner(spec, S)
    s = np.arange(S, dtype=np.int64)
    mismatch = np.zeros((S, max_len), dtype=bool)
    kind = net.layers[-1].act.kind

    def evaluate(start: int, stop: int) -> BlockResult:
        for t in range(max_len):
            codes = (s >> (n * t)) & ((1 << n) - 1)  # (S,)
            buf[:, :n] = (codes[:, None] >> np.arange(n)) & 1  # x(t), (S, n)
            for (UWt, b, act), lo, hi in zip(weights, ends[:-1], ends[1:], strict=True):
                # einsum: numpy's own single-threaded loop; BLAS is slow on tall, narrow (S, <10) operands
                z = np.einsum("si,ih->sh", buf[:, :hi], UWt)  # (S, H_l)
                z += b
                buf[:, lo:hi] = act(z)
            accept, inside = runner.step(codes)
            mismatch[:, t] = _mismatch(buf[:, -1], kind, accept, inside)
        return _first_failure(start, mismatch)

    simulated, found = _search(n, max_len, S, evaluate)
    return _result(net, spec, max_len, simulated, found, "dense")
