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
