"""S11 claims: each verdict flips when its check is handed a broken subject (a compiled net whose gain is far below
the safe one, an extractor that lies about its DFA or its certificate, a trained net with one weight moved, the
sheet's net started from the wrong h0). The net-against-DFA check (`run_against`) is itself held against a plain
Python walk of every short input."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np
import pytest
from scipy.spatial import Delaunay

from rnnlab.core.activations import sigmoid
from rnnlab.exact.automaton import Automaton
from rnnlab.exact.compiler import compile_dfa
from rnnlab.exact.net import Net
from rnnlab.exact.sheet import get_net
from rnnlab.extract.certify import Certificate, Region
from rnnlab.extract.languages import BUILTIN
from rnnlab.extract.lstar import ExtractConfig, ExtractResult, extract
from rnnlab.extract.model import LearnedNet
from rnnlab.report import extract_parts as xp
from rnnlab.report.automaton_figures import _box_outline, principal_axes
from rnnlab.report.claims import FAILS, HOLDS, INCONCLUSIVE

CFG = ExtractConfig(time_limit=10.0)
CHECK = (50, 100, 0)  # random inputs, their length, seed: small, the exhaustive part does most of the work
Extract = Callable[[Any, ExtractConfig, Automaton | None], ExtractResult]


def changed_transition(dfa: Automaton) -> Automaton:
    """dfa with the start state's transition on the first symbol sent to the other end of the state list."""
    d = dfa.to_dict()
    q = d["start"]
    a = d["alphabet"][0]
    others = [s for s in d["states"] if s != d["transitions"][q][a]]
    d["transitions"][q][a] = others[-1]
    return Automaton.from_dict(d)


def lying(make: Callable[[ExtractResult], ExtractResult]) -> Extract:
    """The real extractor, its result edited by make."""
    return lambda net, config, target: make(extract(net, config, target))


# --- S11.round-trip ---------------------------------------------------------------------------------

SMALL = {k: xp.ROUND_TRIP[k] for k in ("equal-so-far", "tomita-2")}


def test_round_trip_holds_on_compiled_nets() -> None:
    ev, results = xp.measure_round_trip(SMALL, CFG)
    assert xp.S11_ROUND_TRIP.judge(ev) == HOLDS
    assert all(r["certificate_rechecked"] and r["dfa_states"] == r["minimal_states"] for r in ev["specs"])


def test_round_trip_flips_when_the_gain_is_far_below_the_safe_one() -> None:
    # At 0.5-0.9 of the safe gain the nets still extract back certified (the extractor's proof needs less than
    # the compiler's interval bound); at 0.2 the units no longer saturate and the net computes another language.
    def low_gain(spec: Automaton, activation: str) -> Net:
        net = compile_dfa(spec, activation)
        return replace(net, layers=tuple(replace(L, act=sigmoid(L.act.gain * 0.2)) for L in net.layers))

    ev, _ = xp.measure_round_trip({"tomita-2": xp.ROUND_TRIP["tomita-2"]}, CFG, compile=low_gain)
    assert xp.S11_ROUND_TRIP.judge(ev) == FAILS
    (row,) = ev["specs"]
    assert not row["equals_minimal"] and row["first_difference"] is not None


def test_round_trip_flips_on_a_dfa_with_one_transition_changed() -> None:
    ev, _ = xp.measure_round_trip(SMALL, CFG, extract_fn=lying(lambda r: replace(r, dfa=changed_transition(r.dfa))))
    assert xp.S11_ROUND_TRIP.judge(ev) == FAILS
    assert not any(r["equals_minimal"] for r in ev["specs"])


def test_round_trip_flips_on_a_certificate_that_does_not_check() -> None:
    def moved(r: ExtractResult) -> ExtractResult:
        assert r.certificate is not None
        g = r.certificate.regions[0]
        bad = Region(g.state, g.lo + 0.5, g.hi + 0.5)
        return replace(r, certificate=Certificate(r.certificate.dfa, (bad, *r.certificate.regions[1:])))

    ev, _ = xp.measure_round_trip(SMALL, CFG, extract_fn=lying(moved))
    assert xp.S11_ROUND_TRIP.judge(ev) == FAILS
    assert not any(r["certificate_rechecked"] for r in ev["specs"])
    assert all(r["equals_minimal"] for r in ev["specs"])  # only the certificate is wrong


# --- S11.trained-* ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def trained() -> tuple[LearnedNet, dict[str, Any]]:
    return xp.train(xp._net_row("all-ones", 2, 400, 10))


def recurrent_weight_lowered(net: LearnedNet, by: float = 1.5) -> LearnedNet:
    L = net.layers[0]
    W = [list(r) for r in L.W]
    W[0][0] -= by
    return replace(net, layers=(replace(L, W=tuple(map(tuple, W))),))


SPEC = xp._trained_spec("all-ones", "all-ones", xp._net_row("all-ones", 2, 400, 10))


def measure(net: LearnedNet, sheet: str = "all-ones", h0: float | None = None,
            extract_fn: Extract = extract) -> dict[str, Any]:
    sheet_net = get_net(sheet) if h0 is None else get_net(sheet).with_h0(h0)
    return xp.measure_trained(net, "all-ones", sheet_net, CFG, *CHECK, extract_fn=extract_fn)[0]


def test_trained_net_holds(trained: tuple[LearnedNet, dict[str, Any]]) -> None:
    net, report = trained
    assert report["every_heldout_prefix_right"]
    ev = measure(net)
    assert SPEC.judge(ev) == HOLDS
    assert ev["status"] == "certified" and ev["implements"] is True
    assert ev["run_against_language"]["inputs_that_differ"] == 0


def test_trained_net_flips_when_a_weight_is_moved(trained: tuple[LearnedNet, dict[str, Any]]) -> None:
    ev = measure(recurrent_weight_lowered(trained[0]))
    assert SPEC.judge(ev) == FAILS
    assert ev["implements"] is False and ev["wrong_input_checked"] is True
    assert ev["run_against_language"]["inputs_that_differ"] > 0


def test_trained_net_flips_when_the_extractor_certifies_a_wrong_net(trained: tuple[LearnedNet, dict[str, Any]]
                                                                     ) -> None:
    # A wrong proof: the broken net reported as certified to implement the language. Running the net catches it.
    def claims_success(r: ExtractResult) -> ExtractResult:
        return replace(r, status="certified", implements=True, net_wrong_input=None, dfa=BUILTIN["all-ones"])

    ev = measure(recurrent_weight_lowered(trained[0]), extract_fn=lying(claims_success))
    assert ev["implements"] is True and SPEC.judge(ev) == FAILS


def test_trained_net_is_inconclusive_without_a_proof(trained: tuple[LearnedNet, dict[str, Any]]) -> None:
    ev = measure(trained[0], extract_fn=lying(lambda r: replace(r, status="unknown", certificate=None,
                                                                implements=None)))
    assert SPEC.judge(ev) == INCONCLUSIVE


def test_trained_net_is_not_shown_when_its_certificate_does_not_recheck(trained: tuple[LearnedNet, dict[str, Any]]
                                                                        ) -> None:
    # The extractor's word alone is not enough: a certificate with a region moved fails certify.check.
    def moved(r: ExtractResult) -> ExtractResult:
        assert r.certificate is not None
        g = r.certificate.regions[0]
        bad = Region(g.state, g.lo + 0.5, g.hi + 0.5)
        return replace(r, certificate=replace(r.certificate, regions=(bad, *r.certificate.regions[1:])))

    ev = measure(trained[0], extract_fn=lying(moved))
    assert ev["status"] == "certified" and ev["certificate_rechecked"] is False
    assert SPEC.judge(ev) == INCONCLUSIVE
    assert measure(trained[0])["certificate_rechecked"] is True


def test_trained_claim_flips_when_the_sheet_net_fails_its_proof(trained: tuple[LearnedNet, dict[str, Any]]) -> None:
    ev = measure(trained[0], h0=0.0)  # S7's slip: the sheet's weights from h0 = 0
    assert not ev["sheet_net"]["proved"] and SPEC.judge(ev) == FAILS


# --- S11.tomita-sound ----------------------------------------------------------------------------------


def tomita(net: LearnedNet, extract_fn: Extract = extract) -> dict[str, Any]:
    """The all-ones net is a Tomita 1 net: 1* is the same language."""
    row = xp._net_row("tomita1", 2, 400, 10)
    report = {"steps_taken": 400, "heldout_accuracy": 1.0, "learn_seconds": 0.0}
    return xp.measure_tomita([(row, net, report)], CFG, *CHECK, extract_fn=extract_fn)[0]


def test_tomita_table_holds(trained: tuple[LearnedNet, dict[str, Any]]) -> None:
    ev = tomita(trained[0])
    assert xp.S11_TOMITA.judge(ev) == HOLDS
    assert ev["certified"] == ev["implement"] == 1 and ev["contradicted"] == 0


def test_tomita_table_flips_when_a_certified_dfa_is_wrong(trained: tuple[LearnedNet, dict[str, Any]]) -> None:
    ev = tomita(trained[0], lying(lambda r: replace(r, dfa=changed_transition(r.dfa), implements=False)))
    assert ev["contradicted"] == 1 and xp.S11_TOMITA.judge(ev) == FAILS


def test_tomita_table_flips_when_a_wrong_input_is_not_wrong(trained: tuple[LearnedNet, dict[str, Any]]) -> None:
    ev = tomita(trained[0], lying(lambda r: replace(r, implements=False, net_wrong_input=[1, 1, 1])))
    assert ev["nets"][0]["wrong_input_checked"] is False and xp.S11_TOMITA.judge(ev) == FAILS


def test_tomita_table_is_inconclusive_when_nothing_is_certified(trained: tuple[LearnedNet, dict[str, Any]]) -> None:
    ev = tomita(trained[0], lying(lambda r: replace(r, status="unknown", certificate=None, implements=None)))
    assert ev["certified"] == 0 and xp.S11_TOMITA.judge(ev) == INCONCLUSIVE


def test_a_broken_but_honestly_certified_net_does_not_break_soundness(trained: tuple[LearnedNet, dict[str, Any]]
                                                                      ) -> None:
    # The claim is that certificates are never wrong, not that every net is right: a wrong net certified with its
    # own (wrong) DFA and a checked wrong input keeps the verdict, and the table shows the net as not implementing.
    ev = tomita(recurrent_weight_lowered(trained[0]))
    row = ev["nets"][0]
    assert row["implements"] is False and row["wrong_input_checked"] is True and row["inputs_wrong"] > 0
    assert row["status"] == "wrong"  # the verdict on the grammar, whatever the proof of its DFA did
    assert xp.S11_TOMITA.judge(ev) == (HOLDS if row["dfa_certified"] else INCONCLUSIVE)


# --- the independent check and the drawing's projection ----------------------------------------------


def test_run_against_counts_what_a_plain_walk_counts(trained: tuple[LearnedNet, dict[str, Any]]) -> None:
    net = trained[0]
    dfa = changed_transition(BUILTIN["all-ones"])
    ev = xp.run_against(net, dfa, 0, 1, 0)
    n = ev["all_inputs_up_to"]
    words = np.array(list(itertools.product((0, 1), repeat=n)))  # their prefixes are every shorter input
    got = (net.logits(words) > 0).astype(int).tolist()
    want, shortest = 0, None
    for w, g in zip(words.tolist(), got, strict=True):
        e = dfa.outputs(w)  # the automaton's own walk, one input at a time
        if g != e:
            want += 1
            t = next(i for i in range(n) if g[i] != e[i])
            if shortest is None or t + 1 < len(shortest):
                shortest = "".join(map(str, w[:t + 1]))
    assert ev["inputs_that_differ"] == want > 0 and ev["shortest_difference"] == shortest


def test_projected_box_contains_the_projection_of_every_point_inside() -> None:
    rng = np.random.default_rng(0)
    mean, P = principal_axes(rng.normal(size=(200, 4)))
    lo, hi = np.array([-0.3, 0.1, -1.0, 0.0]), np.array([0.5, 0.4, 0.2, 0.9])
    outline = _box_outline(lo, hi, mean, P)
    inside = (lo + rng.random((500, 4)) * (hi - lo) - mean) @ P
    assert (Delaunay(outline).find_simplex(inside, tol=1e-9) >= 0).all()
    corners = (np.array(list(itertools.product(*zip(lo, hi, strict=True)))) - mean) @ P
    assert (Delaunay(outline).find_simplex(corners, tol=1e-9) >= 0).all()  # the outline is the whole shadow
