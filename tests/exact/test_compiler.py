"""The compiler: example specs are what they say (Python predicates), compile, verify, and the sigmoid nets
really match their spec when simulated in floats."""

import itertools
import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rnnlab.exact.automaton import Automaton, random_dfa
from rnnlab.exact.compiler import compile_dfa, gain_proof, safe_gain
from rnnlab.exact.net import Net
from rnnlab.exact.sheet import PAIRS, get_net
from rnnlab.exact.verifier import certify_gain, interval_margins, prove

SPECS = Path(__file__).parents[2] / "examples" / "specs"

# What each example spec claims, as a predicate on the prefix read so far (the independent oracle).
PREDICATES: dict[str, Callable[[str], bool]] = {
    "parity": lambda w: w.count("1") % 2 == 1,
    "contains-11": lambda w: "11" in w,
    "divisible-by-3": lambda w: int(w, 2) % 3 == 0,
    "tomita-1": lambda w: re.fullmatch("1*", w) is not None,
    "tomita-2": lambda w: re.fullmatch("(10)*", w) is not None,
    "tomita-4": lambda w: "000" not in w,
    "tomita-5": lambda w: w.count("0") % 2 == 0 and w.count("1") % 2 == 0,
    "tomita-7": lambda w: re.fullmatch("0*1*0*1*", w) is not None,
    "all-ones": lambda w: set(w) <= {"1"},
}


def equal_so_far(w: list[str]) -> bool:
    return all(s[0] == s[1] for s in w)


def sum_bit(w: list[str]) -> bool:
    """Bit t of x1 + x2 (LSB first) after reading w[:t+1], by Python integers."""
    t = len(w) - 1
    a = sum(int(s[0]) << i for i, s in enumerate(w))
    b = sum(int(s[1]) << i for i, s in enumerate(w))
    return bool(((a + b) >> t) & 1)


PAIR_PREDICATES: dict[str, Callable[[list[str]], bool]] = {"equal-so-far": equal_so_far, "serial-adder": sum_bit}


def test_every_example_spec_has_an_oracle() -> None:
    names = {p.stem for p in SPECS.glob("*.json")}
    assert names == set(PREDICATES) | set(PAIR_PREDICATES)


@pytest.mark.parametrize("name", sorted(PAIR_PREDICATES))
def test_pair_spec_means_what_it_says(name: str) -> None:
    spec = Automaton.load(SPECS / f"{name}.json")
    for T in range(1, 6):
        for w in itertools.product(PAIRS, repeat=T):
            assert spec.outputs([PAIRS.index(s) for s in w])[-1] == PAIR_PREDICATES[name](list(w)), w


@pytest.mark.parametrize("name", sorted(PREDICATES))
def test_example_spec_means_what_it_says(name: str) -> None:
    spec = Automaton.load(SPECS / f"{name}.json")
    for T in range(1, 11):
        for w in itertools.product("01", repeat=T):
            word = "".join(w)
            assert spec.outputs([int(c) for c in word])[-1] == PREDICATES[name](word), word


def outputs(net: Net, words: list[list[str]]) -> torch.Tensor:
    x = torch.tensor([[[int(c) for c in s] for s in w] for w in words], dtype=torch.float64)  # (B, T, n)
    return net.run(x).y[..., 0]  # (B, T)


def rounded_outputs(net: Net, words: list[list[str]]) -> list[list[int]]:
    return (outputs(net, words) > 0.5).int().tolist()


@pytest.mark.parametrize("activation", ["step", "sigmoid"])
@pytest.mark.parametrize("name", sorted(PREDICATES) + sorted(PAIR_PREDICATES))
def test_example_compiles_verifies_and_matches_its_oracle(name: str, activation: str) -> None:
    """prove() holds, and float simulation of the compiled net on every input up to length 10 (pairs: 5)
    matches the spec's meaning directly."""
    spec = Automaton.load(SPECS / f"{name}.json")
    net = compile_dfa(spec, activation)
    proof = prove(net)
    assert proof.holds, proof.reason
    T = 5 if name in PAIR_PREDICATES else 10
    words = [list(w) for w in itertools.product(spec.alphabet, repeat=T)]
    outs = rounded_outputs(net, words)
    for w, out in zip(words, outs, strict=True):
        if name in PAIR_PREDICATES:
            want = [int(PAIR_PREDICATES[name](w[: t + 1])) for t in range(T)]
        else:
            want = [int(PREDICATES[name]("".join(w[: t + 1]))) for t in range(T)]
        assert out == want, w
    if activation == "step":  # threshold nets output exact bits, not just values on the right side of 1/2
        assert set(outputs(net, words).unique().tolist()) <= {0.0, 1.0}


@settings(max_examples=12, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(n=st.integers(1, 8), pairs=st.booleans(), seed=st.integers(0, 10**6))
def test_random_dfas_compile_and_verify(n: int, pairs: bool, seed: int) -> None:
    spec = random_dfa(n, PAIRS if pairs else ["0", "1"], seed)
    T = 3 if pairs else 6
    words = [list(w) for w in itertools.product(spec.alphabet, repeat=T)]
    want = [spec.outputs([spec.alphabet.index(s) for s in w]) for w in words]
    for activation in ("step", "sigmoid"):
        net = compile_dfa(spec, activation)
        proof = prove(net)
        assert proof.holds, proof.reason
        assert proof.states_explored <= n * len(spec.alphabet) + 1  # one per reachable (state, symbol), + start
        assert rounded_outputs(net, words) == want


def test_safe_gain_is_checked_and_nearly_the_least() -> None:
    spec = random_dfa(20, ["0", "1"], seed=7)
    g = gain_proof(spec)
    assert safe_gain(spec) == g.gain
    assert g.smallest <= g.gain <= g.smallest * 1.002
    net = compile_dfa(spec, "sigmoid")
    margins = interval_margins(net)
    assert certify_gain(margins) is not None  # at the net's own gain
    assert certify_gain(margins, 0.99 * g.smallest) is None
    assert net.meta["gain"] == g.gain and net.meta["eps"] == g.eps


def test_compiled_net_round_trips_through_json(tmp_path: Path) -> None:
    spec = Automaton.load(SPECS / "tomita-5.json")
    net = compile_dfa(spec, "sigmoid")
    path = tmp_path / "net.json"
    net.save(path)
    again = Net.load(path)
    assert again == net and again.meta == json.loads(json.dumps(net.meta))
    assert prove(again).holds


def test_unknown_activation() -> None:
    with pytest.raises(ValueError, match="unknown activation 'tanh'"):
        compile_dfa(random_dfa(2, ["0", "1"], 0), "tanh")


def test_random_dfa_is_seeded() -> None:
    assert random_dfa(10, ["0", "1"], 1) == random_dfa(10, ["0", "1"], 1)
    assert random_dfa(10, ["0", "1"], 1) != random_dfa(10, ["0", "1"], 2)
    with pytest.raises(ValueError, match="at least one state"):
        random_dfa(0, ["0", "1"], 0)


def test_only_reachable_states_get_units() -> None:
    spec = random_dfa(12, ["0", "1"], seed=4)
    # brute force: every state reachable at all is reached by some input of fewer than 12 symbols
    reached = {spec.start}
    for T in range(1, 12):
        for w in itertools.product([0, 1], repeat=T):
            q = spec.start
            for a in w:
                q = spec.delta[q][a]
            reached.add(q)
    assert len(reached) < 12  # this seed has unreachable states, so the test means something
    net = compile_dfa(spec)
    assert net.layers[1].size == 2 * len(reached) + 1
    assert prove(net).holds


def test_mealy_spec_is_read_as_its_dfa_and_proves_the_sheets_adder() -> None:
    spec = Automaton.load(SPECS / "serial-adder.json")
    assert len(spec.states) == 4 and prove(get_net("adder"), spec).holds
    assert not prove(get_net("carry"), spec).holds


@pytest.mark.parametrize("change, message", [
    ({"accept": []}, "exactly one of"),
    ({"outputs": {"c0": {"00": 0, "01": 1, "10": 1, "11": 0}}}, "outputs.c1 must give 0 or 1 for every symbol"),
    ({"outputs": {"c0": {"00": 2, "01": 1, "10": 1, "11": 0}, "c1": {}}}, 'outputs.c0["00"] must be 0 or 1, got 2'),
    ({"outputs": {"c0": {"00": True, "01": 1, "10": 1, "11": 0}}}, 'outputs.c0["00"] must be a whole number'),
    ({"outputs": {"c9": {}}}, "outputs.c9: unknown state 'c9'"),
    ({"outputs": [0, 1]}, "outputs must be an object, got a list"),
])
def test_malformed_mealy_specs(change: dict[str, object], message: str) -> None:
    data = json.loads((SPECS / "serial-adder.json").read_text()) | change
    with pytest.raises(ValueError, match=re.escape(message)):
        Automaton.from_dict(data)
