"""The all-length verifier against brute force: verdicts, shortest counterexamples, the interval proof."""

import itertools
import math
from dataclasses import replace
from pathlib import Path

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rnnlab.core.activations import sigmoid
from rnnlab.exact.automaton import Automaton, random_dfa
from rnnlab.exact.compiler import compile_dfa
from rnnlab.exact.net import Net, layer
from rnnlab.exact.sheet import ALL_ONES, PAIRS, get_net
from rnnlab.exact.verifier import _Machine, certify_gain, interval_margins, prove, smallest_gain

SPECS = Path(__file__).parents[2] / "examples" / "specs"


def walk(spec: Automaton, symbols: list[str]) -> list[int]:
    """Oracle for the spec: follow its JSON transition table by state names."""
    d = spec.to_dict()
    q, out = d["start"], []
    for s in symbols:
        q = d["transitions"][q][s]
        out.append(int(q in d["accept"]))
    return out


def disagreements(net: Net, spec: Automaton, T: int) -> list[list[str]]:
    """Brute force: every input of exactly T symbols on which the net's output at step T differs from the spec's."""
    words = [list(w) for w in itertools.product(spec.alphabet, repeat=T)]
    x = torch.tensor([[[int(c) for c in s] for s in w] for w in words], dtype=torch.float64)  # (B, T, n)
    y = net.run(x).y[:, -1, 0]
    if any(L.act.kind == "sigmoid" for L in net.layers):
        y = (y > 0.5).to(y.dtype)
    return [w for w, v in zip(words, y.tolist(), strict=True) if v != walk(spec, w)[-1]]


def symbols_of(cex_input: str, cex_input2: str | None) -> list[str]:
    return [a + (b if cex_input2 is not None else "") for a, b in zip(cex_input, cex_input2 or cex_input, strict=True)]


def assert_real_and_shortest(net: Net, spec: Automaton, proof_cex: object) -> None:
    """The counterexample disagrees at its last step (re-run independently), and no shorter input disagrees."""
    assert proof_cex is not None
    w = symbols_of(proof_cex.input, proof_cex.input2)  # type: ignore[attr-defined]
    x = torch.tensor([[int(c) for c in s] for s in w], dtype=torch.float64)
    y = net.run(x).y[0, :, 0].tolist()
    expected = walk(spec, w)
    assert proof_cex.expected == expected and proof_cex.got == y  # type: ignore[attr-defined]
    assert y[-1] != expected[-1]
    for T in range(1, len(w)):
        assert disagreements(net, spec, T) == []


@pytest.mark.parametrize("name", ["all-ones", "equality", "adder", "compiled", "compiled-sigmoid"])
def test_batched_step_is_net_step(name: str) -> None:
    spec = random_dfa(5, PAIRS, seed=2)
    net = {"compiled": compile_dfa(spec), "compiled-sigmoid": compile_dfa(spec, "sigmoid")}.get(name) or get_net(name)
    gen = torch.Generator().manual_seed(0)
    state = [torch.randint(0, 2, (64, L.size), generator=gen).double() for L in net.layers]
    x = torch.randint(0, 2, (64, net.n_inputs), generator=gen).double()
    machine = _Machine(net, [L.act for L in net.layers])
    s = torch.cat([h for h, L in zip(state, net.layers, strict=True) if L.is_recurrent], dim=1)
    s_next, y, _ = machine.step(s, x)
    want = net.step(state, x)
    close = {"rtol": 0.0, "atol": 1e-12}  # step outputs are bits, so close means equal
    torch.testing.assert_close(y, want[-1], **close)
    rec = [h for h, L in zip(want, net.layers, strict=True) if L.is_recurrent]
    torch.testing.assert_close(s_next, torch.cat(rec, dim=1), **close)


@pytest.mark.parametrize("name", ["all-ones", "all-ones-from-zero", "equality", "carry", "adder"])
def test_sheet_nets_hold(name: str) -> None:
    net = get_net(name)
    proof = prove(net)
    assert proof.holds and proof.counterexample is None and proof.states_explored >= 2
    assert net.spec is not None
    for T in range(1, 5):
        assert disagreements(net, net.spec, T) == []


def test_all_ones_from_h0_zero_fails_on_input_1() -> None:
    net = get_net("all-ones").with_h0(0)
    proof = prove(net)
    assert not proof.holds and proof.counterexample is not None
    assert (proof.counterexample.input, proof.counterexample.expected, proof.counterexample.got) == ("1", [1], [0.0])
    assert_real_and_shortest(net, ALL_ONES, proof.counterexample)


def test_equality_as_written_fails_at_length_1() -> None:
    net = get_net("equality-as-written")
    proof = prove(net)
    assert not proof.holds and proof.counterexample is not None
    assert len(proof.counterexample.input) == 1 and proof.counterexample.input2 == proof.counterexample.input
    assert net.spec is not None
    assert_real_and_shortest(net, net.spec, proof.counterexample)


def test_against_another_spec() -> None:
    proof = prove(get_net("all-ones-from-zero"), random_dfa(3, ["0", "1"], seed=5))
    assert proof.holds is False and proof.counterexample is not None


def test_bad_inputs_raise_value_errors() -> None:
    with pytest.raises(ValueError, match="identity activation"):
        prove(get_net("alternating"))
    with pytest.raises(ValueError, match="carries no specification"):
        prove(replace(get_net("all-ones"), spec=None))
    with pytest.raises(ValueError, match="reads 2"):
        prove(get_net("equality"), ALL_ONES)
    with pytest.raises(ValueError, match="more than 3 reachable"):
        prove(compile_dfa(random_dfa(8, ["0", "1"], seed=1)), max_states=3)


def perturbed(net: Net, layer_index: int, row: int, col: int, delta: float, which: str) -> Net:
    L = net.layers[layer_index]
    M = [list(r) for r in getattr(L, which)]
    M[row][col] += delta
    layers = list(net.layers)
    layers[layer_index] = replace(L, **{which: tuple(tuple(r) for r in M)})
    return replace(net, layers=tuple(layers))


@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(n=st.integers(1, 5), pairs=st.booleans(), seed=st.integers(0, 10**6), which=st.sampled_from(["W", "U"]),
       pick=st.integers(0, 10**6), delta=st.sampled_from([-2.0, -1.0, 1.0]))
def test_perturbed_weights_verdict_matches_brute_force(n: int, pairs: bool, seed: int, which: str, pick: int,
                                                        delta: float) -> None:
    """Change one weight of a compiled net: prove's verdict agrees with brute force, and its counterexample
    is a real one with no shorter one."""
    spec = random_dfa(n, PAIRS if pairs else ["0", "1"], seed)
    net = compile_dfa(spec)
    k = 1 if which == "W" else pick % 3
    M = getattr(net.layers[k], which)
    row, col = pick % len(M), (pick // 7) % len(M[0])
    bad = perturbed(net, k, row, col, delta, which)
    proof = prove(bad)
    if proof.holds:
        for T in range(1, 4 if pairs else 7):
            assert disagreements(bad, spec, T) == []
    else:
        assert_real_and_shortest(bad, spec, proof.counterexample)


def test_a_perturbation_that_changes_behaviour_is_caught() -> None:
    spec = Automaton.load(SPECS / "tomita-4.json")
    net = compile_dfa(spec)
    bad = replace(net, layers=(*net.layers[:2], replace(net.layers[2], b=(0.5,))))  # y fires always
    proof = prove(bad)
    assert not proof.holds and proof.counterexample is not None
    assert proof.counterexample.input == "000"  # the first input Tomita 4 rejects
    assert_real_and_shortest(bad, spec, proof.counterexample)


# --- sigmoid nets: the interval proof ------------------------------------------------------------------


def with_gain(net: Net, H: float) -> Net:
    return replace(net, layers=tuple(replace(L, act=sigmoid(H)) for L in net.layers))


def test_compiled_sigmoid_net_is_proved_and_below_the_safe_gain_is_not() -> None:
    spec = Automaton.load(SPECS / "divisible-by-3.json")
    net = compile_dfa(spec, "sigmoid")
    H = net.meta["gain"]
    proof = prove(net)
    assert proof.holds and proof.interval is not None and proof.interval.eps is not None
    assert 0 < proof.interval.eps < 0.5
    assert proof.interval.smallest_gain <= H
    low = prove(with_gain(net, 0.95 * proof.interval.smallest_gain))
    assert not low.holds and low.interval is not None and low.interval.eps is None
    assert "not proved" in low.reason and "smallest provable uniform gain" in low.reason


def test_certified_eps_really_bounds_every_read_unit_on_all_inputs_up_to_10() -> None:
    """Independent oracle for the invariant: simulate in floats, measure each unit's distance to 0 or 1."""
    spec = Automaton.load(SPECS / "tomita-7.json")
    net = compile_dfa(spec, "sigmoid")
    proof = prove(net)
    assert proof.interval is not None and proof.interval.eps is not None
    x = torch.tensor(list(itertools.product([0.0, 1.0], repeat=10)), dtype=torch.float64).unsqueeze(-1)
    trace = net.run(x)
    units = torch.cat(trace.states, dim=-1)  # (B, T, units)
    distance = torch.minimum(units, 1 - units)
    read = torch.tensor(proof.interval.margins.read)
    assert distance[..., read].max() <= proof.interval.eps
    assert distance[..., read].max() > proof.interval.eps / 100  # the bound is not vacuous


def test_gain_check_is_monotone_and_tight() -> None:
    net = compile_dfa(random_dfa(6, ["0", "1"], seed=3), "sigmoid")
    m = interval_margins(net)
    H, eps = smallest_gain(m)
    assert math.isfinite(H) and 0 < eps < 0.5
    assert certify_gain(m, H * 0.99) is None
    for f in (1.001, 1.5, 10.0):
        assert certify_gain(m, H * f) is not None


def test_a_margin_of_zero_cannot_be_proved() -> None:
    # h_t = sigmoid(H (h_{t-1} + x_t - 1)): with h = 1, x = 0 the pre-activation is exactly 0
    h = layer("h", [[1]], [[1]], [-1], sigmoid(50.0), h0=[1])
    y = layer("y", [[0]], [[0, 1]], [-0.5], sigmoid(50.0))
    net = Net("zero-margin", 1, (h, y), ALL_ONES)
    proof = prove(net)
    assert not proof.holds and proof.interval is not None
    assert min(proof.interval.margins.margin) == 0.0
    assert proof.interval.eps is None and proof.interval.smallest_gain == math.inf


def test_mixed_activations_are_refused() -> None:
    net = compile_dfa(ALL_ONES)
    mixed = replace(net, layers=(replace(net.layers[0], act=sigmoid(20.0)), *net.layers[1:]))
    with pytest.raises(ValueError, match="mixes sigmoid"):
        prove(mixed)


def test_initial_state_near_a_bit_is_covered_and_far_from_one_is_not() -> None:
    spec = Automaton.load(SPECS / "parity.json")
    net = compile_dfa(spec, "sigmoid")
    h0 = [0.001] * (net.layers[1].size - 1) + [0.999]  # every unit 0.001 from its bit; the start unit is last
    near = prove(net.with_h0(h0))
    assert near.holds and near.interval is not None and near.interval.eps is not None
    assert near.interval.eps >= 0.001 and near.interval.margins.h0_deviation == pytest.approx(0.001)
    far = prove(net.with_h0(0.3))
    assert not far.holds and far.interval is not None and far.interval.eps is None
    assert "fails already at eps = 0.3" in far.reason
