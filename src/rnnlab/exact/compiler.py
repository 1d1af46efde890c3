"""The automaton compiler (SPEC S9): a DFA spec becomes a threshold RNN, or a sigmoid RNN with a safe gain.

Three layers, read in order at every step t (`Net`'s layer stack):

    symbol  one unit per symbol p:  [sum_j (2 p_j - 1) x_j - |p| + 1/2 > 0]     one-hot of x(t) (no memory)
    qa      one unit per (reachable state q, symbol a), "the state before step t was q and x(t) = a":
              [sum_{(p, b): delta(p, b) = q} qa_{p,b}(t-1) + start(t-1) [q = q_start] + symbol_a(t) - 3/2 > 0]
            plus a start unit, 1 only at t = 0 (h0 = 1, no input, bias -1/2)
    y       [sum_{(q, a): delta(q, a) accepting} qa_{q,a}(t) - 1/2 > 0]        the spec's output after x(t)

Exactly one qa unit is on at every t >= 1, so every pre-activation is +-1/2 or further from 0: every margin
is 1/2. The sigmoid net uses the same weights with sigmoid(H z); its gain is the least H for which the
verifier's interval invariant (Omlin & Giles 1996) can be proved, rounded up and checked by the same
routine `prove` uses (`rnnlab.exact.verifier.certify_gain`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from rnnlab.core.activations import Activation, sigmoid, step
from rnnlab.exact.automaton import Automaton
from rnnlab.exact.net import DENSE_MAX_ENTRIES, Layer, Matrix, Net, Sparse, layer
from rnnlab.exact.verifier import certify_gain, interval_margins, smallest_gain

ACTIVATIONS = ("step", "sigmoid")

__all__ = ["ACTIVATIONS", "GainProof", "check_compilable", "compile_dfa", "gain_proof", "reachable_states", "safe_gain"]


@dataclass(frozen=True)
class GainProof:
    """The compiler's gain for a spec and the interval numbers that justify it."""

    gain: float  # H used: the smallest provable gain rounded up to 4 significant digits
    smallest: float  # the least provable H found by the optimiser (before rounding up)
    eps: float  # the eps certified at `gain`: every read unit stays within eps of 0 or 1
    max_sensitivity: float  # max L_i, the largest fan-in of units (what drives H up)


def reachable_states(spec: Automaton) -> list[int]:
    """States reachable from the start, in breadth-first order (the start first)."""
    seen, order = {spec.start}, [spec.start]
    for q in order:
        for r in spec.delta[q]:
            if r not in seen:
                seen.add(r)
                order.append(r)
    return order


def _layers(spec: Automaton, act: Activation) -> tuple[Layer, ...]:
    """One weight construction for both activations (module docstring); only reachable states get units."""
    n_in, A = spec.n_inputs, len(spec.alphabet)
    states = reachable_states(spec)
    Q = len(states)
    unit = {q: k for k, q in enumerate(states)}  # (q, a) is qa unit unit[q] * A + a; the start unit is Q * A
    # symbol: z = 1/2 - Hamming(x, p)
    U0 = [[2 * b - 1 for b in spec.symbol_bits(a)] for a in range(A)]  # (A, n_in)
    b0 = [0.5 - sum(spec.symbol_bits(a)) for a in range(A)]
    n = Q * A + 1
    entries: dict[tuple[int, int], float] = {}  # W1 (n, n): A nonzeros per column, so sparse for large DFAs
    for p in states:
        for b in range(A):
            q = spec.delta[p][b]
            for a in range(A):
                entries[unit[q] * A + a, unit[p] * A + b] = 1.0
    for a in range(A):
        entries[unit[spec.start] * A + a, Q * A] = 1.0
    sparse = Sparse.from_entries((n, n), entries)
    W1: Matrix = sparse.dense() if n * n <= DENSE_MAX_ENTRIES else sparse
    U1 = [[0.0] * (n_in + A) for _ in range(n)]  # (n, n_in + A)
    for k in range(Q):
        for a in range(A):
            U1[k * A + a][n_in + a] = 1.0
    b1 = [-1.5] * (Q * A) + [-0.5]
    h01 = [0.0] * (Q * A) + [1.0]
    # y: reads the qa layer only
    U2 = [[0.0] * (n_in + A) + [float(spec.delta[q][a] in spec.accept) for q in states for a in range(A)] + [0.0]]
    return (
        layer("symbol", [[0.0] * A for _ in range(A)], U0, b0, act),
        layer("qa", W1, U1, b1, act, h0=h01),
        layer("y", [[0.0]], U2, [-0.5], act),
    )


def _net(spec: Automaton, act: Activation, meta: dict[str, object]) -> Net:
    kind = "threshold" if act.kind == "step" else f"sigmoid(H z), H = {act.gain:g}"
    return Net("compiled", spec.n_inputs, _layers(spec, act), spec,
               f"compiled from a {len(spec.states)}-state DFA: {kind}", dict(meta))


def _round_up(H: float) -> float:
    """Up to 4 significant digits, after a relative nudge of 1e-6 so that the check has room."""
    H *= 1 + 1e-6
    unit = 10.0 ** (math.floor(math.log10(H)) - 3)
    return math.ceil(H / unit) * unit


def gain_proof(spec: Automaton) -> GainProof:
    """The smallest provably safe gain of the compiled sigmoid net for `spec`, checked."""
    margins = interval_margins(_net(spec, sigmoid(1.0), {}), spec)
    H_min, _ = smallest_gain(margins)
    if not math.isfinite(H_min):
        raise ValueError("no gain makes the compiled net provably safe (a margin is 0)")
    H = _round_up(H_min)
    eps = certify_gain(margins, H)
    if eps is None:
        raise RuntimeError(f"gain {H} (rounded up from {H_min}) failed the interval check")
    return GainProof(H, H_min, eps, max(margins.sensitivity))


def safe_gain(spec: Automaton) -> float:
    """The gain H of `compile_dfa(spec, "sigmoid")`: least provable H, rounded up to 4 digits and checked."""
    return gain_proof(spec).gain


def check_compilable(spec: Automaton) -> Automaton:
    """spec as a DFA when the compiler can build a net for it: an accept/reject machine (a Moore machine only
    when labelled 0/1) over bit-string symbols, as the compiled net reads binary inputs and has one output unit;
    else ValueError saying why."""
    spec = spec.require_dfa("the compiler")
    if not spec.bits:
        raise ValueError(f"the compiler builds nets with binary inputs (rnnlab-net/1): every symbol must be a "
                         f"string of bits of one width, but the alphabet is {' '.join(spec.alphabet[:10])}"
                         f"{' ...' if len(spec.alphabet) > 10 else ''}; train a net on it with `rnnlab learn`")
    return spec


def compile_dfa(spec: Automaton, activation: str = "step") -> Net:
    """A net whose output after each step is the spec's accept bit: threshold units ("step") or
    sigmoid(H z) units with the safe gain ("sigmoid"; rounded outputs, proof numbers in Net.meta)."""
    spec = check_compilable(spec)
    if activation == "step":
        return _net(spec, step(), {"activation": "step"})
    if activation == "sigmoid":
        g = gain_proof(spec)
        return _net(spec, sigmoid(g.gain),
                    {"activation": "sigmoid", "gain": g.gain, "smallest_gain": g.smallest, "eps": g.eps})
    raise ValueError(f"unknown activation {activation!r}; valid: {', '.join(ACTIVATIONS)}")
