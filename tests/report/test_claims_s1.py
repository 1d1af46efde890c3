"""S1 claims: each verdict flips when its check is handed a broken subject (a mutation test per claim)."""

from dataclasses import replace

import torch

from rnnlab.core.activations import sigmoid
from rnnlab.exact.automaton import Automaton
from rnnlab.exact.compiler import compile_dfa
from rnnlab.exact.net import Net
from rnnlab.exact.sheet import alternating, alternating_closed_form
from rnnlab.report import exact_parts as ep
from rnnlab.report.claims import FAILS, HOLDS

H0S = ep.S1_H0
N = 6  # inputs of every length up to 6: enough for every mutation below to show


def with_h(net: Net, **change: object) -> Net:
    """The S1 net with its hidden unit h changed (wrong weights)."""
    return replace(net, layers=(replace(net.layers[0], **change), net.layers[1]))


def with_y(net: Net, **change: object) -> Net:
    return replace(net, layers=(net.layers[0], replace(net.layers[1], **change)))


def h0_without_sign(x: torch.Tensor, h0: float = 0.0) -> torch.Tensor:
    """A closed form with a sign error: h_0 in place of (-1)^T h_0."""
    return alternating_closed_form(x, 0.0) + h0


def test_closed_form_flips_on_wrong_weights_and_a_sign_error() -> None:
    net = alternating()
    assert ep.S1_CLOSED_FORM.judge(ep.measure_closed_form(net, H0S, N, 100)) == HOLDS
    assert ep.S1_CLOSED_FORM.judge(ep.measure_closed_form(with_h(net, W=((1.0,),)), H0S, N, 100)) == FAILS
    assert ep.S1_CLOSED_FORM.judge(ep.measure_closed_form(with_h(net, U=((0.5,),)), H0S, N, 100)) == FAILS
    # The sign error only shows from h_0 != 0: that is why the claim tests three h_0.
    assert ep.S1_CLOSED_FORM.judge(ep.measure_closed_form(net, (0.0,), N, 100, closed_form=h0_without_sign)) == HOLDS
    assert ep.S1_CLOSED_FORM.judge(ep.measure_closed_form(net, H0S, N, 100, closed_form=h0_without_sign)) == FAILS


def test_sign_test_flips_on_a_biased_output_and_on_a_plain_sum() -> None:
    net = alternating()
    assert ep.S1_SIGN.judge(ep.measure_sign_test(net, H0S, N)) == HOLDS
    biased = ep.measure_sign_test(with_y(net, b=(0.01,)), H0S, N)  # y(S = 0) = sigmoid(0.01) != 1/2
    assert ep.S1_SIGN.judge(biased) == FAILS
    assert ep.S1_SIGN.judge(ep.measure_sign_test(with_h(net, W=((1.0,),)), H0S, N)) == FAILS


def test_not_parity_flips_on_a_parity_detector() -> None:
    parity = Automaton.from_dict({"alphabet": ["0", "1"], "states": ["even", "odd"], "start": "even",
                                  "accept": ["odd"], "transitions": {"even": {"0": "even", "1": "odd"},
                                                                     "odd": {"0": "odd", "1": "even"}}})
    assert ep.S1_NOT_PARITY.judge(ep.measure_parity(alternating(), N)) == HOLDS
    for activation in ("step", "sigmoid"):
        evidence = ep.measure_parity(compile_dfa(parity, activation), N)
        assert evidence["disagreements"] == 0 and ep.S1_NOT_PARITY.judge(evidence) == FAILS


def test_gradients_flip_on_a_leaky_weight_a_wrong_gain_and_a_sign_error() -> None:
    net = alternating()
    assert ep.S1_GRADIENTS.judge(ep.measure_gradients(net, H0S, N)) == HOLDS
    assert ep.S1_GRADIENTS.judge(ep.measure_gradients(with_h(net, W=((-0.999,),)), H0S, N)) == FAILS
    assert ep.S1_GRADIENTS.judge(ep.measure_gradients(with_y(net, act=sigmoid(10.01)), H0S, N)) == FAILS
    # h_T enters dy/dx; at an odd T the missing sign on h_0 moves it (at an even T the two forms agree)
    assert ep.S1_GRADIENTS.judge(ep.measure_gradients(net, H0S, N + 1, closed_form=h0_without_sign)) == FAILS
