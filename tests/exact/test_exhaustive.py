"""The exhaustive checker against two independent oracles: the dense numpy simulation and a pure-Python,
exact-arithmetic (Fraction) brute force over every input in order of length, then lexicographically."""

from __future__ import annotations

import itertools
import math
from dataclasses import replace
from fractions import Fraction

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rnnlab.core.activations import IDENTITY, sigmoid, step
from rnnlab.exact import bitparallel as bp
from rnnlab.exact.automaton import Automaton
from rnnlab.exact.exhaustive import (
    MAX_BITS_BIT_PARALLEL,
    MAX_BITS_TORCH,
    exhaustive_check,
    exhaustive_check_dense,
)
from rnnlab.exact.net import Layer, Net, layer
from rnnlab.exact.sheet import NETS, all_ones_from_zero, get_net

SPEC_NETS = [name for name, factory in NETS.items() if factory().spec is not None]


# --- the brute-force oracle ---------------------------------------------------------------------------------

def _python_step(net: Net, state: list[list[Fraction | float]], bits: tuple[int, ...]) -> list[list[Fraction | float]]:
    """One step in exact rationals (step / identity layers) or Python floats (sigmoid / tanh)."""
    inputs: list[Fraction | float] = [Fraction(b) for b in bits]
    new = []
    for L, prev in zip(net.layers, state, strict=True):
        out: list[Fraction | float] = []
        for j in range(L.size):
            z: Fraction | float = Fraction(L.b[j])
            z += sum((Fraction(w) * v for w, v in zip(L.U[j], inputs, strict=True) if w), Fraction(0))
            z += sum((Fraction(w) * v for w, v in zip(L.W[j], prev, strict=True) if w), Fraction(0))
            a = L.act
            if a.kind == "step":
                out.append(Fraction(int(z > Fraction(a.threshold) if a.strict else z >= Fraction(a.threshold))))
            elif a.kind == "identity":
                out.append(z)
            elif a.kind == "sigmoid":
                out.append(1.0 / (1.0 + math.exp(-a.gain * float(z))))
            else:
                out.append(math.tanh(float(z)))
        new.append(out)
        inputs += out
    return new


def _agrees(y: Fraction | float, bit: int, kind: str) -> bool:
    if kind == "sigmoid":
        return y > 0.5 if bit else y < 0.5
    return y == bit


def brute_force(net: Net, spec: Automaton, max_len: int) -> tuple[str, str | None] | None:
    """The first failing input in order of length, then symbol strings ("x1x2") lexicographically."""
    kind = net.layers[-1].act.kind
    symbols = sorted(range(len(spec.alphabet)), key=lambda a: spec.alphabet[a])
    start = [[Fraction(v) for v in L.h0] for L in net.layers]
    level: list[tuple[tuple[int, ...], list[list[Fraction | float]], int]] = [((), start, spec.start)]
    for _ in range(max_len):
        nxt = []
        for path, state, q in level:
            for a in symbols:
                new = _python_step(net, state, spec.symbol_bits(a))
                q2 = spec.delta[q][a]
                if not _agrees(new[-1][0], int(q2 in spec.accept), kind):
                    bits = [spec.symbol_bits(s) for s in (*path, a)]
                    return "".join(str(b[0]) for b in bits), ("".join(str(b[1]) for b in bits)
                                                              if spec.n_inputs == 2 else None)
                nxt.append(((*path, a), new, q2))
        level = nxt
    return None


def _max_len(net: Net, one: int, two: int) -> int:
    return one if net.n_inputs == 1 else two


def _assert_real(net: Net, spec: Automaton, cex_input: str, cex_input2: str | None, got: list[float],
                 expected: list[int]) -> None:
    """The counterexample really is one: rerunning the net gives `got`, which agrees up to the last step only."""
    cols = [cex_input] if cex_input2 is None else [cex_input, cex_input2]
    x = torch.tensor([[int(c[t]) for c in cols] for t in range(len(cex_input))], dtype=torch.float64)
    assert net.run(x).y[0, :, 0].tolist() == got
    symbols = [spec.alphabet.index("".join(c[t] for c in cols)) for t in range(len(cex_input))]
    assert spec.outputs(symbols) == expected
    kind = net.layers[-1].act.kind
    assert all(_agrees(g, e, kind) for g, e in zip(got[:-1], expected[:-1], strict=True))
    assert not _agrees(got[-1], expected[-1], kind)


def _check_three_ways(net: Net, spec: Automaton, max_len: int, chunk_words: int | None = None) -> None:
    fast = exhaustive_check(net, spec, max_len, chunk_words=chunk_words)
    dense = exhaustive_check_dense(net, spec, max_len)
    brute = brute_force(net, spec, max_len)
    assert fast.holds == dense.holds == (brute is None)
    assert fast.counterexample == dense.counterexample
    if brute is not None:
        assert fast.counterexample is not None
        assert (fast.counterexample.input, fast.counterexample.input2) == brute
        _assert_real(net, spec, fast.counterexample.input, fast.counterexample.input2, fast.counterexample.got,
                     fast.counterexample.expected)


# --- the sheet's nets ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("chunk_words", [None, 1])
@pytest.mark.parametrize("name", SPEC_NETS)
def test_builtin_nets_agree_with_dense_and_brute_force(name: str, chunk_words: int | None) -> None:
    net = get_net(name)
    assert net.spec is not None
    for h0 in (None, 0.0, 1.0):
        variant = net if h0 is None else net.with_h0(h0)
        _check_three_ways(variant, net.spec, _max_len(net, 10, 5), chunk_words)


def test_builtin_verdicts() -> None:
    for name in ("all-ones", "all-ones-from-zero", "equality", "carry", "adder"):
        net = get_net(name)
        assert net.spec is not None
        result = exhaustive_check(net, net.spec, _max_len(net, 14, 7))
        assert result.holds and result.method == "bit-parallel", name
        assert result.sequences == 2 ** (net.n_inputs * result.max_len)
        assert result.sequence_steps == result.sequences * result.max_len


def test_all_ones_from_h0_zero_fails_on_one() -> None:
    net = get_net("all-ones").with_h0(0)
    assert net.spec is not None
    result = exhaustive_check(net, net.spec, 16)
    assert not result.holds and result.counterexample is not None
    assert (result.counterexample.input, result.counterexample.expected, result.counterexample.got) == ("1", [1], [0.0])


def test_equality_as_written_fails_at_length_one() -> None:
    net = get_net("equality-as-written")
    assert net.spec is not None
    result = exhaustive_check(net, net.spec, 8)
    assert result.counterexample is not None
    assert (result.counterexample.input, result.counterexample.input2) == ("0", "0")  # first bits match, y(1) = 0
    assert result.counterexample.expected == [1] and result.counterexample.got == [0.0]


def _mutants(net: Net) -> list[Net]:
    """The net with one nonzero weight or bias at a time negated."""
    out = []
    for li, L in enumerate(net.layers):
        for field in ("W", "U"):
            matrix = getattr(L, field)
            for i, row in enumerate(matrix):
                for j, w in enumerate(row):
                    if w:
                        rows = [list(r) for r in matrix]
                        rows[i][j] = -w
                        new = replace(L, **{field: tuple(tuple(r) for r in rows)})
                        out.append(replace(net, layers=net.layers[:li] + (new,) + net.layers[li + 1:]))
        for i, b in enumerate(L.b):
            if b:
                bias = list(L.b)
                bias[i] = -b
                new = replace(L, b=tuple(bias))
                out.append(replace(net, layers=net.layers[:li] + (new,) + net.layers[li + 1:]))
    return out


@pytest.mark.parametrize("name", ["all-ones", "all-ones-from-zero", "equality", "carry", "adder"])
def test_flipped_weights_give_identical_real_counterexamples(name: str) -> None:
    net = get_net(name)
    assert net.spec is not None
    mutants = _mutants(net)
    failures = 0
    for i, mutant in enumerate(mutants):
        _check_three_ways(mutant, net.spec, _max_len(net, 8, 4), chunk_words=None if i % 2 else 1)
        failures += not exhaustive_check(mutant, net.spec, _max_len(net, 8, 4)).holds
    assert failures > 0  # at least one flip breaks the net, so the comparison covered counterexamples


def test_a_counterexample_deep_in_the_enumeration() -> None:
    # A spec that accepts 1^t only for t <= 9 first differs from all-ones on 1^10: sequence 2^10 - 1, in a late
    # chunk when chunks are small.
    names = [f"q{i}" for i in range(11)]
    trans = {q: {"1": names[min(i + 1, 10)], "0": "dead"} for i, q in enumerate(names)}
    trans["dead"] = {"0": "dead", "1": "dead"}
    late = Automaton.from_dict({"alphabet": ["0", "1"], "states": [*names, "dead"], "start": "q0",
                                "accept": names[:10], "transitions": trans})
    net = get_net("all-ones")
    for chunk_words in (None, 1, 2):
        result = exhaustive_check(net, late, 16, chunk_words=chunk_words)
        assert result.counterexample is not None
        assert result.counterexample.input == "1" * 10
    assert brute_force(net, late, 12) == ("1" * 10, None)


def test_incomplete_alphabet_only_checks_its_symbols() -> None:
    # equality's hidden layer against a spec over {"00", "11"} only: the pairs that differ never occur.
    spec = Automaton.from_dict({"alphabet": ["00", "11"], "states": ["a"], "start": "a", "accept": ["a"],
                                "transitions": {"a": {"00": "a", "11": "a"}}})
    net = get_net("equality")
    _check_three_ways(net, spec, 6)
    assert exhaustive_check(net, spec, 6).holds
    bad = Automaton.from_dict({"alphabet": ["00", "11"], "states": ["a", "b"], "start": "a", "accept": ["a"],
                               "transitions": {"a": {"00": "a", "11": "b"}, "b": {"00": "b", "11": "b"}}})
    _check_three_ways(net, bad, 6)


# --- nets that are not binary: the float simulation -----------------------------------------------------------

def _sigmoid_all_ones(gain: float = 10.0) -> Net:
    """all-ones-from-zero with sigmoid(gain z) in place of both threshold and identity."""
    base = all_ones_from_zero()
    return replace(base, name="sigmoid-all-ones", layers=(
        layer("h", [[1]], [[-1]], [0.5], sigmoid(gain)),
        layer("y", [[0]], [[0, -1]], [0.5], sigmoid(gain)),
    ))


def test_sigmoid_nets_use_the_float_simulation() -> None:
    net = _sigmoid_all_ones()
    assert net.spec is not None
    result = exhaustive_check(net, net.spec, 10)
    assert result.method == "torch"
    _check_three_ways(net, net.spec, 10)
    failures = 0
    for mutant in _mutants(net):
        _check_three_ways(mutant, net.spec, 8)
        failures += not exhaustive_check(mutant, net.spec, 8).holds
    assert failures > 0


def test_float_simulation_limit_is_stated() -> None:
    net = _sigmoid_all_ones()
    assert net.spec is not None
    with pytest.raises(ValueError, match=f"limit is 2\\^{MAX_BITS_TORCH}"):
        exhaustive_check(net, net.spec, MAX_BITS_TORCH + 1)


# --- bad input ----------------------------------------------------------------------------------------------

def test_bad_arguments() -> None:
    net = get_net("all-ones")
    assert net.spec is not None
    with pytest.raises(ValueError, match="max_len must be a positive integer"):
        exhaustive_check(net, net.spec, 0)
    with pytest.raises(ValueError, match=f"up to 2\\^{MAX_BITS_BIT_PARALLEL}"):
        exhaustive_check(net, net.spec, MAX_BITS_BIT_PARALLEL + 1)
    with pytest.raises(ValueError, match="2 bit"):
        exhaustive_check(net, get_net("carry").spec, 3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="power of two"):
        exhaustive_check(net, net.spec, 3, chunk_words=3)
    with pytest.raises(ValueError, match="dense check allows"):
        exhaustive_check_dense(net, net.spec, 40)


# --- random small threshold nets ------------------------------------------------------------------------------

WEIGHTS = st.sampled_from([Fraction(k, 2) for k in range(-4, 5)])


@st.composite
def small_problems(draw: st.DrawFn) -> tuple[Net, Automaton, int]:
    n = draw(st.sampled_from([1, 2]))
    sizes = draw(st.lists(st.integers(1, 3), min_size=1, max_size=2))
    layers: list[Layer] = []
    width = n
    for i, H in enumerate(sizes):
        W = [[float(draw(WEIGHTS)) if draw(st.booleans()) else 0.0 for _ in range(H)] for _ in range(H)]
        U = [[float(draw(WEIGHTS)) for _ in range(width)] for _ in range(H)]
        b = [float(draw(WEIGHTS)) for _ in range(H)]
        act = step(float(draw(st.sampled_from([-0.5, 0.0, 0.5]))), strict=draw(st.booleans()))
        h0 = [float(draw(st.sampled_from([0, 1, 0, 1, 0.5]))) for _ in range(H)]
        layers.append(layer(f"h{i}", W, U, b, act, h0))
        width += H
    if draw(st.booleans()):  # a memoryless linear output, as in S7
        layers.append(layer("y", [[0.0]], [[float(draw(WEIGHTS)) for _ in range(width)]], [float(draw(WEIGHTS))],
                            IDENTITY))
    else:
        y0 = [draw(st.sampled_from([0, 1]))]
        layers.append(layer("y", [[float(draw(WEIGHTS))]], [[float(draw(WEIGHTS)) for _ in range(width)]],
                            [float(draw(WEIGHTS))], step(0.0, strict=draw(st.booleans())), y0))
    all_symbols = ["".join(bits) for bits in itertools.product("01", repeat=n)]
    alphabet = draw(st.sampled_from([all_symbols, all_symbols, all_symbols[1:]]))
    Q = draw(st.integers(1, 4))
    states = [f"q{i}" for i in range(Q)]
    spec = Automaton.from_dict({
        "alphabet": alphabet, "states": states, "start": "q0",
        "accept": [q for q in states if draw(st.booleans())],
        "transitions": {q: {a: draw(st.sampled_from(states)) for a in alphabet} for q in states},
    })
    return Net("random", n, tuple(layers), None), spec, draw(st.integers(1, 7 if n == 1 else 4))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_problems(), st.sampled_from([None, 1]))
def test_random_threshold_nets_match_brute_force(problem: tuple[Net, Automaton, int], chunk_words: int | None) -> None:
    net, spec, max_len = problem
    result = exhaustive_check(net, spec, max_len, chunk_words=chunk_words)
    assert result.method == "bit-parallel"
    brute = brute_force(net, spec, max_len)
    assert result.holds == (brute is None)
    if brute is not None:
        assert result.counterexample is not None
        assert (result.counterexample.input, result.counterexample.input2) == brute


# --- compiled nets --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("alphabet", [["0", "1"], ["00", "01", "10", "11"]])
@pytest.mark.parametrize("seed", [0, 1])
def test_compiled_random_dfas_hold_and_their_mutants_agree(alphabet: list[str], seed: int) -> None:
    from rnnlab.exact.automaton import random_dfa
    from rnnlab.exact.compiler import compile_dfa

    spec = random_dfa(5, alphabet, seed)
    max_len = 7 if len(alphabet) == 2 else 3
    net = compile_dfa(spec, "step")
    assert exhaustive_check(net, spec, max_len).holds
    _check_three_ways(net, spec, max_len)
    mutants = _mutants(net)[::15]  # a spread of single flipped weights
    failures = 0
    for mutant in mutants:
        _check_three_ways(mutant, spec, max_len)
        failures += not exhaustive_check(mutant, spec, max_len).holds
    assert failures > 0


def test_a_unit_too_large_to_expand_falls_back_to_the_float_simulation(monkeypatch: pytest.MonkeyPatch) -> None:
    # A shift register of the last 12 inputs read by one output unit whose 12 weights give every subset its
    # own sum: the decision diagram is wide near the threshold (here over a lowered limit, to stay fast).
    monkeypatch.setattr(bp, "MAX_DIAGRAM_NODES", 500)
    m = 12
    W = [[1.0 if j == i - 1 else 0.0 for j in range(m)] for i in range(m)]
    U = [[1.0 if i == 0 else 0.0] for i in range(m)]
    weights = [1 + 2**i / 2**14 for i in range(m)]
    net = Net("wide", 1, (
        layer("r", W, U, [-0.5] * m, step()),
        layer("y", [[0.0]], [[0.0, *weights]], [-sum(weights) / 2], step()),
    ))
    spec = Automaton.from_dict({"alphabet": ["0", "1"], "states": ["a"], "start": "a", "accept": [],
                                "transitions": {"a": {"0": "a", "1": "a"}}})
    result = exhaustive_check(net, spec, 12)
    assert result.method == "torch"
    assert result.counterexample is not None and exhaustive_check_dense(net, spec, 12) == replace(
        result, method="dense")


def test_non_finite_h0_is_simulated_in_floats() -> None:
    net = get_net("all-ones").with_h0(float("inf"))  # h_1 = [inf + x - 1.5 >= 0.5] = 1 whatever x is
    assert net.spec is not None
    result = exhaustive_check(net, net.spec, 6)
    assert result.method == "torch"
    assert result.counterexample is not None and result.counterexample.input == "0"
    assert exhaustive_check_dense(net, net.spec, 6).counterexample == result.counterexample
