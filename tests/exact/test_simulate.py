"""The long-input float simulation against the net's own recurrence and against brute force."""

from dataclasses import replace

import numpy as np
import pytest
import torch

from rnnlab.core.activations import sigmoid
from rnnlab.exact.automaton import random_dfa
from rnnlab.exact.compiler import compile_dfa
from rnnlab.exact.sheet import PAIRS, get_net
from rnnlab.exact.simulate import simulate_long, spec_outputs


def test_spec_outputs_is_the_automaton_run_symbol_by_symbol() -> None:
    spec = random_dfa(5, ["0", "1"], 3)
    symbols = np.random.default_rng(0).integers(0, 2, size=(7, 30))
    got = spec_outputs(spec, symbols)
    for row, out in zip(symbols.tolist(), got.tolist(), strict=True):
        assert out == spec.outputs(row)


@pytest.mark.parametrize(("alphabet", "activation"), [(["0", "1"], "sigmoid"), (PAIRS, "sigmoid"), (PAIRS, "step")])
def test_the_simulation_is_the_nets_own_arithmetic(alphabet: list[str], activation: str) -> None:
    """Same float64 numbers as Net.run, up to summation order: checked through the max deviation and verdict."""
    spec = random_dfa(6, alphabet, 1)
    net = compile_dfa(spec, activation)
    run = simulate_long(net, spec, length=40, inputs=16, seed=2)
    assert run.agree and run.disagreements == 0 and run.first_disagreement is None
    # the same inputs through the core recurrence
    rng = np.random.default_rng(2)
    symbols = rng.integers(0, len(alphabet), size=(16, 40))
    x = torch.tensor([[spec.symbol_bits(a) for a in row] for row in symbols.tolist()], dtype=torch.float64)
    trace = net.run(x)
    hidden = torch.cat(trace.states[:-1], dim=-1)
    deviation = float(torch.minimum(hidden.abs(), (1 - hidden).abs()).max())
    assert run.max_deviation == pytest.approx(deviation, rel=1e-9, abs=1e-15)
    want = torch.tensor(spec_outputs(spec, symbols), dtype=torch.float64)
    assert bool(((trace.y[..., 0] > 0.5).double() == want).all())


def test_a_broken_net_disagrees_and_the_first_step_is_reported() -> None:
    net = get_net("all-ones").with_h0(0.0)  # wrong at step 1 on input 1
    run = simulate_long(net, length=1000, inputs=300, seed=0)
    assert not run.agree and run.first_disagreement is not None and run.first_disagreement["step"] == 1
    spec = random_dfa(32, ["0", "1"], 0)
    low = compile_dfa(spec, "sigmoid")
    low = replace(low, layers=tuple(replace(L, act=sigmoid(3.0)) for L in low.layers))
    for dtype in ("float64", "float32"):
        bad = simulate_long(low, spec, length=1000, inputs=256, dtype=dtype)
        assert not bad.agree and bad.max_deviation > 0.4


def test_float32_agrees_on_a_safe_net_and_bad_arguments_are_named() -> None:
    spec = random_dfa(16, ["0", "1"], 0)
    net = compile_dfa(spec, "sigmoid")
    run = simulate_long(net, spec, length=1000, inputs=256, dtype="float32")
    assert run.agree and run.dtype == "float32" and run.max_deviation <= net.meta["eps"] + 1e-6
    with pytest.raises(ValueError, match="dtype"):
        simulate_long(net, spec, dtype="float16")
    with pytest.raises(ValueError, match="no specification"):
        simulate_long(get_net("alternating"))
    with pytest.raises(ValueError, match=">= 1"):
        simulate_long(net, spec, length=0)
