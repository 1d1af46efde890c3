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
    assert ep.S8_ADDER_LONG.judge(ep.measure_adder_long(64, 3, 0)) == HOLDS
    off_by_one = ep.measure_adder_long(64, 3, 0, lambda a, b: add_numbers(a, b) ^ (1 << 63))
    assert ep.S8_ADDER_LONG.judge(off_by_one) == FAILS
    wrong_net = _bias_shift(get_net("adder"), 2, 1.0)  # the sum bit's threshold moved: wrong weights
    assert ep.S8_ADDER_LONG.judge(ep.measure_adder_long(64, 3, 0, lambda a, b: add_numbers(a, b, wrong_net))) == FAILS


def test_traces_show_the_sheets_example_and_its_slips() -> None:
    sheet = ep.s7("quick").tables
    rows = sheet["S7.sheet-example#trace"]
    assert [r["t"] for r in rows] == list(range(1, 9))
    assert "".join(str(r["x"]) for r in rows) == "11110100"
    assert [r["y"] for r in rows] == [r["expected"] for r in rows] == [1, 1, 1, 1, 0, 0, 0, 0]
    from_zero = sheet["S7.h0-zero#trace"]
    assert from_zero[0]["y"] == 0 and from_zero[0]["expected"] == 1  # the slip, at step 1
    s8 = ep.s8("quick")
    written = s8.tables["S8.as-written#trace"]
    assert written[0]["x1"] == written[0]["x2"] and written[0]["y"] == 0 and written[0]["expected"] == 1
    adder = s8.tables["S8.adder#trace"]
    assert sum(r["y"] << i for i, r in enumerate(adder)) == 11 + 7
    assert all(r["y"] == r["expected"] for r in s8.tables["S8.equality#trace"])


def test_steppers_are_json_and_runnable() -> None:
    import json

    from rnnlab.exact.net import Net

    steppers = {**ep.s7("quick").steppers, **ep.s8("quick").steppers}
    assert set(steppers) == {"all-ones", "all-ones-from-zero", "equality", "equality-as-written", "carry", "adder"}
    for key, st in steppers.items():
        st = json.loads(json.dumps(st))
        net = Net.from_dict(st["net"])
        assert net.name == key and st["spec"] is not None
        assert (st["input2"] is None) == (net.n_inputs == 1) and len(st["input"]) >= 5
