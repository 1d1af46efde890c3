"""S7 and S8 claims: each verdict flips when its check is handed a broken subject (a mutation test per claim)."""

from dataclasses import replace

import pytest

from rnnlab.exact.net import Net
from rnnlab.exact.sheet import add_numbers, get_net
from rnnlab.report import exact_parts as ep
from rnnlab.report.claims import FAILS, HOLDS, ClaimSpec


def _bias_shift(net: Net, layer: int, delta: float) -> Net:
    """The net with layer `layer`'s first bias moved by delta: a wrong weight."""
    lay = net.layers[layer]
    return replace(net, layers=tuple(replace(lay, b=(lay.b[0] + delta, *lay.b[1:])) if i == layer else x
                                     for i, x in enumerate(net.layers)))


@pytest.mark.parametrize(("spec", "good", "broken"), [
    (ep.S7_SHEET, get_net("all-ones"), _bias_shift(get_net("all-ones"), 0, 1.0)),
    (ep.S7_H0_ZERO, get_net("all-ones").with_h0(0.0), get_net("all-ones").with_h0(1.0)),
    (ep.S7_FROM_ZERO, get_net("all-ones-from-zero"), get_net("all-ones-from-zero").with_h0(1.0)),
    (ep.S8_EQUALITY, get_net("equality"), get_net("equality-as-written")),
    (ep.S8_AS_WRITTEN, get_net("equality-as-written"), get_net("equality")),
    (ep.S8_CARRY, get_net("carry"), _bias_shift(get_net("carry"), 1, -1.0)),
    (ep.S8_ADDER, get_net("adder"), _bias_shift(get_net("adder"), 0, 1.0)),
])
def test_proof_claims_flip_on_a_broken_net(spec: ClaimSpec, good: Net, broken: Net) -> None:
    verdict = spec.judge(ep.measure_proof(good))
    assert verdict == spec.expected
    assert spec.judge(ep.measure_proof(broken)) != verdict


def test_sheet_example_flips_on_wrong_weights() -> None:
    assert ep.S7_EXAMPLE.judge(ep.measure_sheet_example(get_net("all-ones"))) == HOLDS
    assert ep.S7_EXAMPLE.judge(ep.measure_sheet_example(_bias_shift(get_net("all-ones"), 0, 1.0))) == FAILS


def test_adder_long_flips_on_a_wrong_adder() -> None:
    assert ep.S8_ADDER_LONG.judge(ep.measure_adder_long(add_numbers, 64, 3, 0)) == HOLDS
    off_by_one = ep.measure_adder_long(lambda a, b: add_numbers(a, b) ^ (1 << 63), 64, 3, 0)
    assert ep.S8_ADDER_LONG.judge(off_by_one) == FAILS
