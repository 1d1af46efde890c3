"""S9 claims: each verdict flips when its check is handed a broken subject (a mutation test per claim).

S9.compiler-sigmoid is checked twice: by the interval proof at the compiler's gain, and by a float simulation of
long random inputs that shares no code with the proof. One notch below the safe gain the proof fails while the
nets still simulate correctly (the proof is sufficient, not necessary), so that mutation flips the verdict through
the proof; a wrong proof (one that passes a net whose gain is too low) flips it through the simulation.
"""

import math
from dataclasses import replace
from typing import Any

import pytest

from rnnlab.core.activations import sigmoid
from rnnlab.exact import compiler_check, exhaustive
from rnnlab.exact.automaton import Automaton
from rnnlab.exact.compiler import compile_dfa
from rnnlab.exact.compiler_check import CompilerCheckConfig
from rnnlab.exact.net import Net
from rnnlab.exact.oracles import TwoOracles, disagreement, two_oracles
from rnnlab.exact.verifier import Proof, prove
from rnnlab.report import exact_parts as ep
from rnnlab.report.claims import FAILS, HOLDS

SMALL = CompilerCheckConfig(builtin=("all-ones", "carry"), random_sizes=(8,), random_pair_sizes=(),
                            exhaustive_len=8, sim_length=1000, sim_inputs=256)


def with_gain(net: Net, gain: float) -> Net:
    return replace(net, layers=tuple(replace(L, act=sigmoid(gain)) for L in net.layers))


def notch_below(spec: Automaton, activation: str) -> Net:
    """The compiled net with its gain one unit lower in the 4th significant digit (the compiler's rounding)."""
    net = compile_dfa(spec, activation)
    H = net.meta["gain"]
    return with_gain(net, H - 10.0 ** (math.floor(math.log10(H)) - 3))


def wrong_accept(spec: Automaton, activation: str) -> Net:
    """The compiled net with the output weight of the first qa unit flipped (wrong weights)."""
    net = compile_dfa(spec, activation)
    y = net.layers[-1]
    U = list(y.U[0])
    first = net.n_inputs + len(spec.alphabet)  # the first qa column
    U[first] = 1.0 - U[first]
    return replace(net, layers=(*net.layers[:-1], replace(y, U=(tuple(U),))))


def test_two_oracles_flip_when_one_oracle_lies(monkeypatch: pytest.MonkeyPatch) -> None:
    assert ep.S9_TWO_ORACLES.judge(ep.measure_two_oracles(ep.TWO_ORACLE_NETS, 8)) == HOLDS
    real = exhaustive.exhaustive_check

    def always_holds(*args: Any, **kwargs: Any) -> exhaustive.Exhaustive:
        return replace(real(*args, **kwargs), holds=True, counterexample=None)

    monkeypatch.setattr(exhaustive, "exhaustive_check", always_holds)
    evidence = ep.measure_two_oracles(ep.TWO_ORACLE_NETS, 8)
    assert ep.S9_TWO_ORACLES.judge(evidence) == FAILS
    assert {r["net"] for r in evidence["nets"] if not r["agree"]} == {"all-ones --h0 0", "equality-as-written"}


def test_two_oracles_flip_when_the_proof_lies() -> None:
    def proof_without_counterexample(net: Net, n: int) -> TwoOracles:
        both = two_oracles(net, max_len=n)
        lying = Proof(True, both.proof.states_explored, None, "claims to hold")
        return TwoOracles(lying, both.exhaustive, disagreement(lying, both.exhaustive))

    assert ep.S9_TWO_ORACLES.judge(ep.measure_two_oracles(ep.TWO_ORACLE_NETS, 8, proof_without_counterexample)) \
        == FAILS


def test_compiler_threshold_flips_on_wrong_weights() -> None:
    assert ep.S9_THRESHOLD.judge(ep.measure_compiler(SMALL, "step")) == HOLDS
    evidence = ep.measure_compiler(SMALL, "step", wrong_accept)
    assert ep.S9_THRESHOLD.judge(evidence) == FAILS
    # both checks see it: the proof and the exhaustive simulation
    assert not any(r["proved"] or r["exhaustive_holds"] for r in evidence["automata"])


def test_compiler_sigmoid_flips_one_notch_below_the_safe_gain() -> None:
    good = ep.measure_compiler(SMALL, "sigmoid")
    assert ep.S9_SIGMOID.judge(good) == HOLDS
    assert all(r["float64_max_deviation"] <= r["eps"] for r in good["automata"])
    low = ep.measure_compiler(SMALL, "sigmoid", notch_below)
    assert ep.S9_SIGMOID.judge(low) == FAILS
    rows = low["automata"]
    assert not any(r["proved"] for r in rows) and all(r["eps"] is None for r in rows)
    # What flips it is the proof: at one notch below, the nets still simulate correctly.
    assert all(r["float64_agree"] for r in rows)


def test_compiler_sigmoid_flips_through_the_simulation_when_the_proof_is_wrong(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # A wrong proof: it certifies the low-gain net with the safe net's eps.
    monkeypatch.setattr(compiler_check, "prove", lambda net, spec: prove(compile_dfa(spec, "sigmoid"), spec))
    for gain, caught_by in ((6.0, "deviation"), (4.0, "outputs")):
        evidence = ep.measure_compiler(SMALL, "sigmoid", lambda s, a, g=gain: with_gain(compile_dfa(s, a), g))
        rows = evidence["automata"]
        assert all(r["proved"] for r in rows)  # the wrong proof passes every net
        assert ep.S9_SIGMOID.judge(evidence) == FAILS
        if caught_by == "outputs":
            assert not all(r["float64_agree"] for r in rows)
        else:
            assert any(r["float64_max_deviation"] > r["eps"] for r in rows)
