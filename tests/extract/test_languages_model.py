"""Built-in languages against AALpy's Tomita grammars; learned nets against PyTorch's own GRU/LSTM; net files."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest
import torch
from aalpy.SULs.TomitaSUL import tomita_1, tomita_2, tomita_3, tomita_4, tomita_5, tomita_6, tomita_7

from rnnlab.exact.compiler import compile_dfa
from rnnlab.extract.languages import BUILTIN, TOMITA, load_language
from rnnlab.extract.learn import LearnConfig, labels, learn, sample_words
from rnnlab.extract.machine import Machine
from rnnlab.extract.model import LearnedNet, load_any

GRAMMARS = [tomita_1, tomita_2, tomita_3, tomita_4, tomita_5, tomita_6, tomita_7]


@pytest.mark.parametrize("k", range(1, 8))
def test_tomita_matches_aalpy_on_every_input_up_to_10(k: int) -> None:
    spec = TOMITA[f"tomita{k}"]
    for n in range(1, 11):
        for w in itertools.product("01", repeat=n):
            word = "".join(w)
            assert spec.outputs([int(c) for c in word])[-1] == int(GRAMMARS[k - 1](word)), (k, word)


def test_load_language_rejects_unknown_names() -> None:
    assert load_language("equality") is BUILTIN["equality"]
    with pytest.raises(ValueError, match="unknown language"):
        load_language("tomita9")


def test_live_walks_reach_accepting_prefixes_of_sparse_languages() -> None:
    rng = np.random.default_rng(0)
    words = sample_words(TOMITA["tomita2"], 400, 20, rng)
    y = labels(TOMITA["tomita2"], words)
    assert 0.1 < y[:, -1].mean() < 0.9  # uniform strings of length 20 are accepted with probability 2^-20


def _torch_reference(cell: str, net: LearnedNet, words: np.ndarray) -> np.ndarray:
    A, H = len(net.alphabet), net.hidden
    rnn = (torch.nn.GRU if cell == "gru" else torch.nn.LSTM)(A, H, batch_first=True)
    with torch.no_grad():
        for k, name in [("W_ih", "weight_ih_l0"), ("W_hh", "weight_hh_l0"), ("b_ih", "bias_ih_l0"),
                        ("b_hh", "bias_hh_l0")]:
            getattr(rnn, name).copy_(torch.from_numpy(net.weights[k]))
        x = torch.nn.functional.one_hot(torch.from_numpy(words), A).float()
        out, _ = rnn(x)
        return (out @ torch.from_numpy(net.v) + net.c).numpy()


@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_gated_nets_equal_pytorch_modules(cell: str) -> None:
    result = learn(TOMITA["tomita4"], LearnConfig(cell=cell, steps=3, eval_every=3))
    words = np.random.default_rng(1).integers(0, 2, size=(16, 30))
    np.testing.assert_allclose(result.net.logits(words), _torch_reference(cell, result.net, words), atol=1e-5)


@pytest.mark.parametrize("cell", ["sigmoid", "tanh", "gru", "lstm"])
def test_net_file_round_trip(cell: str, tmp_path) -> None:
    net = learn(BUILTIN["equality"], LearnConfig(cell=cell, hidden=3, steps=2, eval_every=2)).net
    net.save(tmp_path / "n.json")
    back = load_any(tmp_path / "n.json")
    assert isinstance(back, LearnedNet) and back.to_dict() == net.to_dict()
    words = np.random.default_rng(0).integers(0, 4, size=(5, 9))
    np.testing.assert_array_equal(back.logits(words), net.logits(words))


def test_v1_files_still_load_and_run_as_the_net_runs(tmp_path) -> None:
    net = compile_dfa(TOMITA["tomita4"], "sigmoid")
    net.save(tmp_path / "c.json")
    back = load_any(tmp_path / "c.json")
    m = Machine(back)
    words = np.random.default_rng(0).integers(0, 2, size=(8, 12))
    acc, _ = m.run(words)
    y = back.run(torch.tensor(words, dtype=torch.float64).unsqueeze(-1)).y[..., 0].numpy()  # type: ignore[union-attr]
    np.testing.assert_array_equal(acc, y > 0.5)


def test_malformed_net_files_raise_value_error(tmp_path) -> None:
    p = tmp_path / "bad.json"
    p.write_text(json.dumps({"format": "rnnlab-net/2", "cell": "gru", "alphabet": ["0", "1"]}))
    with pytest.raises(ValueError, match="malformed net"):
        load_any(p)
    p.write_text(json.dumps({"format": "other"}))
    with pytest.raises(ValueError, match="not an rnnlab net"):
        load_any(p)


def _step_gain(net: LearnedNet, spec, seed: int = 0) -> float:
    """The median gain |f(h + e) - f(h)| / |e| of one step over visited states and symbols, e small and random:
    the same quantity the contraction penalty bounds, measured on the exported float32 net."""
    m = Machine(net)
    words = np.random.default_rng(seed).integers(0, len(spec.alphabet), size=(200, 40))
    _, S = m.run(words, keep_states=True)
    assert S is not None
    h = torch.from_numpy(S[:, :-1].reshape(-1, m.D)).to(torch.float32)
    a = torch.from_numpy(words[:, 1:].reshape(-1))
    e = 1e-3 * torch.randn(h.shape, generator=torch.Generator().manual_seed(seed))
    gain = (m.step(h + e, a) - m.step(h, a)).norm(dim=1) / e.norm(dim=1)
    return float(gain.median())


def test_the_contraction_penalty_lowers_a_gru_steps_gain() -> None:
    spec = TOMITA["tomita4"]
    plain = learn(spec, LearnConfig(cell="gru", seed=1, contraction=0.0)).net
    penalised = learn(spec, LearnConfig(cell="gru", seed=1)).net  # the default for gru: weight 1, target 0.5
    assert _step_gain(penalised, spec) < 0.5 < _step_gain(plain, spec)
    with pytest.raises(ValueError, match="contraction"):
        learn(spec, LearnConfig(cell="gru", contraction=-1.0))
    with pytest.raises(ValueError, match="lstm"):
        learn(spec, LearnConfig(cell="lstm", contraction=1.0))


@pytest.mark.parametrize("k", range(1, 8))
def test_settled_states_are_those_whose_every_continuation_gives_one_output(k: int) -> None:
    """_settled against brute force: from each state, the outputs after every input up to Q symbols."""
    from rnnlab.extract.learn import _settled

    spec = TOMITA[f"tomita{k}"]
    Q = len(spec.states)
    for q, settled in enumerate(_settled(spec)):
        outputs = {q in spec.accept}
        for n in range(1, Q + 1):
            for w in itertools.product(range(len(spec.alphabet)), repeat=n):
                p = q
                for a in w:
                    p = spec.delta[p][a]
                outputs.add(p in spec.accept)
        assert settled == (len(outputs) == 1), (k, spec.states[q])
