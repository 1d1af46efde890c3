"""The bounded check of a trained net (`extract.bounded`) against brute force: every input of every length
enumerated in Python, run one at a time by `LearnedNet.logits`, compared with the spec's outputs."""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np
import pytest

from rnnlab.exact.automaton import Automaton
from rnnlab.exact.compiler import compile_dfa
from rnnlab.exact.net import Layer
from rnnlab.exact.sheet import EQUAL_SO_FAR
from rnnlab.extract.bounded import bounded_check, default_max_len, largest_max_len
from rnnlab.extract.languages import TOMITA
from rnnlab.extract.learn import LearnConfig, learn
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


def nets() -> list[tuple[str, LearnedNet, Automaton]]:
    t4 = TOMITA["tomita4"]
    out = [("compiled-tomita4", learned_from_compiled(t4), t4),
           ("compiled-tomita4-perturbed", perturbed(learned_from_compiled(t4)), t4),
           ("compiled-tomita4-vs-tomita7", learned_from_compiled(t4), TOMITA["tomita7"]),
           ("compiled-equality-perturbed", perturbed(learned_from_compiled(EQUAL_SO_FAR)), EQUAL_SO_FAR)]
    for cell in ("sigmoid", "tanh", "gru", "lstm"):
        out.append((f"{cell}-tomita4", learn(t4, LearnConfig(cell=cell, hidden=3, steps=10, eval_every=10)).net, t4))
    out.append(("gru-equality", learn(EQUAL_SO_FAR, LearnConfig(cell="gru", hidden=3, steps=10, eval_every=10)).net,
                EQUAL_SO_FAR))
    return out


NETS = nets()


@pytest.mark.parametrize("name,net,spec", NETS, ids=[n for n, _, _ in NETS])
def test_bounded_check_finds_the_brute_force_shortest_disagreement(name: str, net: LearnedNet,
                                                                   spec: Automaton) -> None:
    n = 6 if len(net.alphabet) == 4 else 10
    r = bounded_check(net, spec, n)
    expect = brute_force(net, spec, n)
    assert r.holds == (expect is None), name
    if name == "compiled-tomita4":
        assert r.holds  # the compiled net implements its spec: the check must be able to say so
    if name.endswith("perturbed") or name.endswith("tomita7"):
        assert not r.holds  # and a broken subject must flip it
    if expect is not None:
        d = r.disagreement
        assert d is not None
        word, want = expect
        symbols = [net.alphabet[a] for a in word]
        assert (d.input, d.input2) == (("".join(s[0] for s in symbols), "".join(s[1] for s in symbols))
                                       if len(net.alphabet) == 4 else ("".join(symbols), None))
        assert d.expected == want and d.got[-1] != want[-1]
        assert d.got == [int(v > 0) for v in net.logits([word])[0]]


def test_lengths_and_limits() -> None:
    t4 = learned_from_compiled(TOMITA["tomita4"])
    eq = learned_from_compiled(EQUAL_SO_FAR)
    assert default_max_len(t4) == 16 and default_max_len(eq) == 8
    top = largest_max_len(t4)
    assert 2 ** (top - 1) * t4.state_size <= 2**25 < 2**top * t4.state_size
    with pytest.raises(ValueError, match="max_len"):
        bounded_check(t4, TOMITA["tomita4"], top + 1)
    with pytest.raises(ValueError, match="alphabet"):
        bounded_check(t4, EQUAL_SO_FAR, 3)
