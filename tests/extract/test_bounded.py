"""The bounded check of a trained net (`extract.bounded`) against brute force: every input of every length
enumerated in Python, run one at a time by `LearnedNet.logits`, compared with the spec's outputs."""

from __future__ import annotations

import pytest
from learned_nets import brute_force, learned_from_compiled, perturbed

from rnnlab.exact.automaton import Automaton
from rnnlab.exact.sheet import EQUAL_SO_FAR
from rnnlab.extract.bounded import bounded_check, default_max_len, largest_max_len
from rnnlab.extract.languages import TOMITA
from rnnlab.extract.learn import LearnConfig, learn
from rnnlab.extract.model import LearnedNet


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
