"""rnnlab-net/2 nets for tests whose right answers are known (compiled automata in the trained-net format, and
the same with a weight moved), and the brute-force shortest input on which a net and a spec differ."""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np

from rnnlab.exact.automaton import Automaton
from rnnlab.exact.compiler import compile_dfa
from rnnlab.exact.net import Layer
from rnnlab.extract.model import LearnedNet


def learned_from_compiled(spec: Automaton, name: str = "compiled") -> LearnedNet:
    """A compiled sigmoid net (S9) as an rnnlab-net/2 elman net: bit x of a symbol becomes one-hot columns,
    column k of U = the bit's column times the bit of symbol k; accept iff y - 1/2 > 0. It implements spec."""
    net = compile_dfa(spec, "sigmoid")
    n, A = net.n_inputs, len(spec.alphabet)
    bits = np.array([[int(c) for c in s] for s in spec.alphabet], dtype=np.float64)  # (A, n)
    layers = []
    for L in net.layers:
        U = np.array(L.U, dtype=np.float64)
        U2 = np.concatenate([U[:, :n] @ bits.T, U[:, n:]], axis=1)  # (H, A + earlier)
        layers.append(Layer(L.name, tuple(map(tuple, np.float32(L.W).tolist())), tuple(map(tuple, np.float32(U2)
                            .tolist())), tuple(np.float32(L.b).tolist()), L.act, tuple(np.float32(L.h0).tolist())))
    assert A == len(spec.alphabet)
    empty = np.zeros(0, dtype=np.float32)
    return LearnedNet(name, "elman", spec.alphabet, tuple(layers), {}, empty, empty, np.ones(1, dtype=np.float32),
                      -0.5, spec)


def perturbed(net: LearnedNet, amount: float = 0.9) -> LearnedNet:
    """The same net with one recurrent weight of its first layer moved."""
    L = net.layers[0]
    W = np.array(L.W, dtype=np.float32)
    W[0, 0] += amount
    return replace(net, layers=(replace(L, W=tuple(map(tuple, W.tolist()))), *net.layers[1:]))


def brute_force(net: LearnedNet, spec: Automaton, max_len: int) -> tuple[list[int], list[int]] | None:
    """(word, expected outputs) of the shortest, then first in the net's symbol order, disagreeing input."""
    to_spec = [spec.alphabet.index(s) for s in net.alphabet]
    for t in range(1, max_len + 1):
        words = np.array(list(itertools.product(range(len(net.alphabet)), repeat=t)), dtype=np.int64)
        got = net.logits(words)[:, -1] > 0
        for w, g in zip(words.tolist(), got, strict=True):
            want = spec.outputs([to_spec[a] for a in w])
            if bool(g) != bool(want[-1]):
                return w, want
    return None


def one_hot_net(spec: Automaton, name: str = "one-hot", gain: float | None = 20.0) -> LearnedNet:
    """An rnnlab-net/2 elman net over any alphabet that implements spec (a DFA): the compiler's qa layer (S9) read
    straight from one-hot symbols, unit (q, a) on iff the state before the step was q and the symbol is a, plus a
    start unit; accept iff the qa unit on leads to an accepting state. Sigmoid(gain z) units (step: gain None)."""
    from rnnlab.core.activations import sigmoid, step

    A, Q = len(spec.alphabet), len(spec.states)
    n = Q * A + 1
    W = np.zeros((n, n), dtype=np.float32)
    for p in range(Q):
        for b in range(A):
            W[spec.delta[p][b] * A:(spec.delta[p][b] + 1) * A, p * A + b] = 1.0
    W[spec.start * A:(spec.start + 1) * A, Q * A] = 1.0
    U = np.zeros((n, A), dtype=np.float32)
    for q in range(Q):
        U[q * A:(q + 1) * A, :] = np.eye(A, dtype=np.float32)
    b = np.full(n, -1.5, dtype=np.float32)
    b[-1] = -0.5
    h0 = np.zeros(n, dtype=np.float32)
    h0[-1] = 1.0
    act = step() if gain is None else sigmoid(gain)
    layer = Layer("qa", tuple(map(tuple, W.tolist())), tuple(map(tuple, U.tolist())), tuple(b.tolist()), act,
                  tuple(h0.tolist()))
    v = np.array([float(spec.delta[q][a] in spec.accept) for q in range(Q) for a in range(A)] + [0.0],
                 dtype=np.float32)
    empty = np.zeros(0, dtype=np.float32)
    return LearnedNet(name, "elman", spec.alphabet, (layer,), {}, empty, empty, v, -0.5, spec)


def loses_count_at(k: int) -> Automaton:
    """1^n for 1 <= n <= k, and nothing else: Tomita 1 (1*) up to a run of k ones."""
    states = [f"s{i}" for i in range(k + 1)] + ["d"]
    tr = {f"s{i}": {"0": "d", "1": f"s{i + 1}" if i < k else "d"} for i in range(k + 1)}
    tr["d"] = {"0": "d", "1": "d"}
    return Automaton.from_dict({"alphabet": ["0", "1"], "states": states, "start": "s0", "accept": states[:-1],
                                "transitions": tr})
