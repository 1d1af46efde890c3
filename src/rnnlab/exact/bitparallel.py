"""A binary-state net and its specification as a straight-line program of bitwise operations on words.

Bit-slicing: one uint64 word holds one unit's value in 64 different input sequences, so one bitwise
operation advances 64 simulations at once. A threshold unit whose inputs are all binary is a boolean
function of them; it becomes a decision diagram over its inputs, memoised on (input index, partial sum)
(an ordered BDD, Bryant 1986), and each diagram node is a multiplexer on words. The specification
automaton runs beside the net, one-hot: one word per state.

    word bit j of unit u  =  u's value in input sequence 64 * (word index) + j

One step of the net and the spec becomes one program: a list of (op, a, b, out) over a register file
of words. Constants are folded and shared subexpressions computed once (hash-consing), so a layer's
one-hot structure (the compiler's nets) stays a handful of ANDs and ORs per unit.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction

from rnnlab.exact.automaton import Automaton
from rnnlab.exact.net import Net

ZERO, ONE = 0, 1  # node ids of the constant words 0...0 and 1...1
MAX_DIAGRAM_NODES = 200_000  # beyond this a unit is no small boolean function: simulate with floats instead

Operand = int | Fraction  # a node id (a binary word) or a known real value


class NotBoolean(ValueError):
    """The net cannot be run as a boolean program (a non-binary state, or a unit too large to expand)."""


class Dag:
    """Nodes of bitwise expressions: constants, leaves (words filled from outside) and and/or/xor nodes.

    Node i >= 2 is ("leaf", name) or (op, a, b) with a < b; building the same expression twice returns
    the same node, and x & 0, x | ~x, x ^ x, ... fold as they are built.
    """

    def __init__(self) -> None:
        self.nodes: list[tuple[str, int, int]] = [("zero", 0, 0), ("one", 0, 0)]
        self.leaf_names: dict[int, str] = {}
        self._index: dict[tuple[str, int, int], int] = {}
        self._complement: dict[int, int] = {ZERO: ONE, ONE: ZERO}

    def leaf(self, name: str) -> int:
        self.nodes.append(("leaf", 0, 0))
        self.leaf_names[len(self.nodes) - 1] = name
        return len(self.nodes) - 1

    def _op(self, op: str, a: int, b: int) -> int:
        key = (op, min(a, b), max(a, b))
        if key not in self._index:
            self.nodes.append(key)
            self._index[key] = len(self.nodes) - 1
        return self._index[key]

    def not_(self, a: int) -> int:
        if a not in self._complement:
            n = self._op("xor", a, ONE)
            self._complement[a], self._complement[n] = n, a
        return self._complement[a]

    def and_(self, a: int, b: int) -> int:
        if a == ZERO or b == ZERO or self._complement.get(a) == b:
            return ZERO
        if a == ONE or a == b:
            return b
        if b == ONE:
            return a
        return self._op("and", a, b)

    def or_(self, a: int, b: int) -> int:
        if a == ONE or b == ONE or self._complement.get(a) == b:
            return ONE
        if a == ZERO or a == b:
            return b
        if b == ZERO:
            return a
        return self._op("or", a, b)

    def xor(self, a: int, b: int) -> int:
        if a == b:
            return ZERO
        if self._complement.get(a) == b:
            return ONE
        if a == ZERO:
            return b
        if b == ZERO:
            return a
        if a == ONE:
            return self.not_(b)
        if b == ONE:
            return self.not_(a)
        return self._op("xor", a, b)

    def mux(self, v: int, hi: int, lo: int) -> int:
        """v ? hi : lo, with the cheap forms when a branch is constant."""
        if hi == lo:
            return hi
        if self._complement.get(hi) == lo:
            return self.xor(v, lo)
        if lo == ZERO:
            return self.and_(v, hi)
        if hi == ONE:
            return self.or_(v, lo)
        if hi == ZERO:
            return self.and_(self.not_(v), lo)
        if lo == ONE:
            return self.or_(self.not_(v), hi)
        return self.xor(lo, self.and_(v, self.xor(hi, lo)))  # lo ^ (v & (hi ^ lo)): 3 ops, no NOT

    def any_of(self, nodes: Sequence[int]) -> int:
        out = ZERO
        for n in nodes:
            out = self.or_(out, n)
        return out


Decide = Callable[[Fraction, Fraction], bool | None]


def boolean_unit(dag: Dag, terms: Sequence[tuple[Fraction, Operand]], bias: Fraction, decide: Decide) -> int:
    """The node of the predicate P(z), z = bias + sum_i w_i v_i, over binary words v_i.

    decide(lo, hi) says whether P holds for every z in [lo, hi] (True), for none (False), or neither
    (None). The diagram branches on one input at a time, heaviest weight first, and stops as soon as
    the remaining inputs cannot change the answer, so an OR of k inputs is k nodes, not 2^k.
    """
    variables: list[tuple[Fraction, int]] = []
    for w, v in terms:
        if w == 0 or v == ZERO:
            continue
        if isinstance(v, Fraction):
            bias += w * v
        elif v == ONE:
            bias += w
        else:
            variables.append((w, v))
    variables.sort(key=lambda wv: -abs(wv[0]))  # heaviest first: often decided sooner, so a smaller diagram
    n = len(variables)
    lo_rest, hi_rest = [Fraction(0)] * (n + 1), [Fraction(0)] * (n + 1)
    for i in range(n - 1, -1, -1):
        w = variables[i][0]
        lo_rest[i], hi_rest[i] = lo_rest[i + 1] + min(w, Fraction(0)), hi_rest[i + 1] + max(w, Fraction(0))

    # Top-down: the partial sums that reach each level undecided. Bottom-up: one node per (level, sum).
    levels: list[set[Fraction]] = [{bias}]
    size = 1
    for i in range(n):
        nxt: set[Fraction] = set()
        for s in levels[i]:
            if decide(s + lo_rest[i], s + hi_rest[i]) is None:
                nxt.update((s, s + variables[i][0]))
        levels.append(nxt)
        size += len(nxt)
        if size > MAX_DIAGRAM_NODES:
            raise NotBoolean(f"a unit's decision diagram exceeds {MAX_DIAGRAM_NODES} nodes")
    below: dict[Fraction, int] = {}
    for i in range(n, -1, -1):
        here: dict[Fraction, int] = {}
        for s in levels[i]:
            d = decide(s + lo_rest[i], s + hi_rest[i])
            if d is not None:
                here[s] = ONE if d else ZERO
            else:
                w, v = variables[i]
                here[s] = dag.mux(v, below[s + w], below[s])
        below = here
    return below[bias]


def threshold_decider(threshold: Fraction, strict: bool) -> Decide:
    """[z > threshold] (strict) or [z >= threshold]: monotone in z, so the interval's ends decide."""

    def fire(z: Fraction) -> bool:
        return z > threshold if strict else z >= threshold

    def decide(lo: Fraction, hi: Fraction) -> bool | None:
        if fire(lo):
            return True
        if not fire(hi):
            return False
        return None

    return decide


def equals_decider(target: Fraction) -> Decide:
    def decide(lo: Fraction, hi: Fraction) -> bool | None:
        if target < lo or target > hi:
            return False
        if lo == hi == target:
            return True
        return None

    return decide


def check_boolean(net: Net) -> None:
    """Raise NotBoolean unless every layer is a step layer, except that the last may be linear and memoryless.

    A memoryless identity output y = b + u.h over binary h is a real number; it matches the spec's
    output bit when it equals it exactly.
    """
    *hidden, last = net.layers
    for layer in hidden:
        if not layer.act.is_binary:
            raise NotBoolean(f"layer {layer.name!r} has a {layer.act.kind} activation: its state is not binary")
    if not last.act.is_binary and not (last.act.kind == "identity" and not last.is_recurrent):
        raise NotBoolean(f"output layer {last.name!r} ({last.act.kind}) is not a threshold or memoryless linear layer")


@dataclass(frozen=True)
class Unit:
    """One unit's pre-activation z = b + sum of its nonzero weights on layer inputs and previous states."""

    inputs: tuple[tuple[int, Fraction], ...]  # (index into [x; earlier layers], weight), weight != 0
    recurrent: tuple[tuple[int, Fraction], ...]  # (index into the layer's previous state, weight)
    bias: Fraction


@dataclass(frozen=True)
class BooleanNet:
    """A net prepared for boolean expansion: exact weights (Fractions), zeros dropped."""

    n_inputs: int
    layers: tuple[tuple[Unit, ...], ...]
    step: tuple[tuple[Fraction, bool] | None, ...]  # per layer: (threshold, strict), None for the linear output
    recurrent: tuple[bool, ...]  # per layer: W != 0, so its state is carried between steps
    h0: tuple[tuple[Fraction, ...], ...]

    @classmethod
    def from_net(cls, net: Net) -> BooleanNet:
        check_boolean(net)
        numbers = [v for L in net.layers for v in (*L.b, *L.h0, *(w for row in (*L.W, *L.U) for w in row))]
        if not all(math.isfinite(v) for v in numbers):
            raise NotBoolean(f"net {net.name!r} has a non-finite weight, bias or h0")
        layers = tuple(
            tuple(Unit(tuple((k, Fraction(w)) for k, w in enumerate(L.U[j]) if w != 0),
                       tuple((k, Fraction(w)) for k, w in enumerate(L.W[j]) if w != 0),
                       Fraction(L.b[j])) for j in range(L.size))
            for L in net.layers)
        step = tuple((Fraction(L.act.threshold), L.act.strict) if L.act.is_binary else None for L in net.layers)
        return cls(net.n_inputs, layers, step, tuple(L.is_recurrent for L in net.layers),
                   tuple(tuple(Fraction(v) for v in L.h0) for L in net.layers))


@dataclass(frozen=True)
class StepOutputs:
    net_state: list[list[int]]  # new state of each recurrent layer (empty list for the others)
    spec_state: list[int]  # one-hot: word q is 1 where the spec is in state q (+ 'outside the alphabet')
    mismatch: int  # 1 where the net's output differs from the spec's at this step


def build_step(
    dag: Dag,
    net: BooleanNet,
    spec: Automaton,
    x: Sequence[int],
    net_prev: Sequence[Sequence[Operand]],
    spec_prev: Sequence[int],
) -> StepOutputs:
    """One step of the net and the spec as nodes; x: one node per input bit (leaf or constant)."""
    inputs: list[Operand] = list(x)
    net_state: list[list[int]] = []
    y_one = y_zero = ZERO
    for units, step, recurrent, prev in zip(net.layers, net.step, net.recurrent, net_prev, strict=True):
        out: list[int] = []
        for unit in units:
            terms = [(w, inputs[k]) for k, w in unit.inputs] + [(w, prev[k]) for k, w in unit.recurrent]
            if step is not None:
                out.append(boolean_unit(dag, terms, unit.bias, threshold_decider(*step)))
            else:  # the memoryless linear output (check_boolean allows only this)
                y_one = boolean_unit(dag, terms, unit.bias, equals_decider(Fraction(1)))
                y_zero = boolean_unit(dag, terms, unit.bias, equals_decider(Fraction(0)))
        if step is not None:
            y_one, y_zero = out[-1], dag.not_(out[-1])
        net_state.append(out if recurrent else [])
        inputs += out

    # Spec: s'_q = OR_c (c(x_t) AND OR{s_p : p goes to q exactly on the symbols of c}); grouping the
    # predecessors by condition first shares the ORs. An extra absorbing state catches symbols outside
    # the alphabet, and steps there are not compared.
    n = spec.n_inputs
    symbols = [spec.symbol_bits(a) for a in range(len(spec.alphabet))]
    complete = len(set(symbols)) == 2**n
    n_states = len(spec.states)
    groups: dict[tuple[int, frozenset[tuple[int, ...]]], list[int]] = {}
    for p in range(n_states):
        if spec_prev[p] == ZERO:
            continue
        for q in sorted(set(spec.delta[p])):
            members = frozenset(symbols[a] for a in range(len(symbols)) if spec.delta[p][a] == q)
            groups.setdefault((q, members), []).append(spec_prev[p])
    new = [ZERO] * n_states
    for (q, members), states in groups.items():
        new[q] = dag.or_(new[q], dag.and_(dag.any_of(sorted(states)), bit_set_function(dag, set(members), x)))
    if not complete:
        outside = dag.or_(spec_prev[n_states], dag.not_(bit_set_function(dag, set(symbols), x)))
        new.append(outside)
    accept = dag.any_of([new[q] for q in spec.accept])
    if y_zero == dag.not_(y_one):  # a binary output: it differs from the spec where the two bits differ
        mismatch = dag.xor(y_one, accept)
    else:
        mismatch = dag.not_(dag.mux(accept, y_one, y_zero))
    if not complete:
        mismatch = dag.and_(mismatch, dag.not_(new[n_states]))
    return StepOutputs(net_state, new, mismatch)


def bit_set_function(dag: Dag, members: set[tuple[int, ...]], x: Sequence[int], prefix: tuple[int, ...] = ()) -> int:
    """The node of [(x_0, x_1, ...) in members], by branching on one input bit at a time."""
    if len(prefix) == len(x):
        return ONE if prefix in members else ZERO
    hi = bit_set_function(dag, members, x, (*prefix, 1))
    lo = bit_set_function(dag, members, x, (*prefix, 0))
    return dag.mux(x[len(prefix)], hi, lo)


@dataclass(frozen=True)
class Program:
    """A step as register operations: ops[i] = (op, a, b, out), op in {"and", "or", "xor"}."""

    ops: list[tuple[str, int, int, int]]
    n_registers: int


# Fixed registers: 0 holds 0...0, 1 holds 1...1, 2 accumulates mismatches; then the input bits, then two
# banks of state words (the step reads one bank and writes the other), then temporaries.
REG_ZERO, REG_ONE, REG_ERR = 0, 1, 2


def allocate(
    dag: Dag,
    leaf_registers: dict[int, int],
    outputs: Sequence[int],
    output_registers: Sequence[int],
    mismatch: int,
    first_temp: int,
) -> Program:
    """Registers for the nodes that reach an output, reusing a temporary once its last reader has run.

    outputs[k] is written to output_registers[k] (directly when it is computed here, else copied), and
    the step ends with err |= mismatch.
    """
    live = set()
    stack = [*outputs, mismatch]
    while stack:
        n = stack.pop()
        if n in live:
            continue
        live.add(n)
        op, a, b = dag.nodes[n]
        if op in ("and", "or", "xor"):
            stack += [a, b]
    order = sorted(n for n in live if dag.nodes[n][0] in ("and", "or", "xor"))
    last_use: dict[int, int] = {}
    for i, n in enumerate(order):
        _, a, b = dag.nodes[n]
        last_use[a] = last_use[b] = i
    pinned = {n for n in (*outputs, mismatch)}
    direct: dict[int, int] = {}
    for n, r in zip(outputs, output_registers, strict=True):
        if n not in direct and dag.nodes[n][0] in ("and", "or", "xor"):
            direct[n] = r
    where: dict[int, int] = {ZERO: REG_ZERO, ONE: REG_ONE, **leaf_registers}
    free: list[int] = []
    top = first_temp
    ops: list[tuple[str, int, int, int]] = []
    for i, n in enumerate(order):
        op, a, b = dag.nodes[n]
        ra, rb = where[a], where[b]
        for operand in {a, b}:
            if last_use[operand] == i and operand not in pinned and operand in where and where[operand] >= first_temp:
                free.append(where[operand])
        if n in direct:
            out = direct[n]
        elif free:
            out = free.pop()
        else:
            out, top = top, top + 1
        where[n] = out
        ops.append((op, ra, rb, out))
    for n, r in zip(outputs, output_registers, strict=True):
        if where[n] != r:
            ops.append(("or", where[n], REG_ZERO, r))  # copy
    if mismatch != ZERO:
        ops.append(("or", REG_ERR, where[mismatch], REG_ERR))
    return Program(ops, top)
