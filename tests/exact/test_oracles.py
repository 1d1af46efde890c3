"""The two oracles as a library: default search length, agreement, and a disagreement named when one lies."""

from dataclasses import replace

import pytest

from rnnlab.exact.compiler import compile_dfa
from rnnlab.exact.oracles import DEFAULT_MAX_LEN, default_max_len, disagreement, two_oracles
from rnnlab.exact.sheet import ALL_ONES, EQUAL_SO_FAR, get_net
from rnnlab.exact.verifier import Proof


def test_default_length_by_kind_of_net() -> None:
    assert default_max_len(get_net("all-ones")) == DEFAULT_MAX_LEN
    assert default_max_len(get_net("equality")) == DEFAULT_MAX_LEN  # threshold: bit-parallel
    assert default_max_len(compile_dfa(ALL_ONES, "sigmoid")) == 12  # floats: 2^16 inputs at most
    assert default_max_len(compile_dfa(EQUAL_SO_FAR, "sigmoid")) == 8


@pytest.mark.parametrize(("name", "h0", "holds", "cex_len"), [
    ("all-ones", None, True, None), ("all-ones", 0.0, False, 1), ("equality-as-written", None, False, 1),
    ("adder", None, True, None)])
def test_both_oracles_agree_on_the_sheet_nets(name: str, h0: float | None, holds: bool, cex_len: int | None) -> None:
    net = get_net(name) if h0 is None else get_net(name).with_h0(h0)
    both = two_oracles(net, max_len=6)
    assert both.agree and both.proof.holds == holds and both.exhaustive is not None
    assert both.exhaustive.holds == holds
    cex = both.proof.counterexample
    assert (len(cex.input) if cex else None) == cex_len


def test_disagreements_are_named() -> None:
    good = two_oracles(get_net("all-ones"), max_len=4)
    bad = two_oracles(get_net("all-ones").with_h0(0.0), max_len=4)
    assert good.exhaustive is not None and bad.exhaustive is not None
    assert "exhaustive check fails" in (disagreement(good.proof, bad.exhaustive) or "")
    assert "passes up to 4" in (disagreement(bad.proof, good.exhaustive) or "")
    longer = replace(bad.exhaustive, counterexample=replace(bad.exhaustive.counterexample, input="01"))
    assert "differ in length" in (disagreement(bad.proof, longer) or "")
    lying = Proof(True, 1, None, "claims to hold")
    assert disagreement(lying, None) is None and two_oracles(get_net("carry"), max_len=0).exhaustive is None
    with pytest.raises(ValueError, match="max_len"):
        two_oracles(get_net("carry"), max_len=-1)
