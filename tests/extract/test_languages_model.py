"""Built-in languages against AALpy's Tomita grammars; learned nets against PyTorch's own GRU/LSTM; net files."""

from __future__ import annotations

import copy
import itertools
import json
import math
import re
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
import torch
from aalpy.SULs.TomitaSUL import tomita_1, tomita_2, tomita_3, tomita_4, tomita_5, tomita_6, tomita_7

from rnnlab.exact.compiler import compile_dfa
from rnnlab.exact.sheet import get_net
from rnnlab.extract.languages import BUILTIN, TOMITA, load_language
from rnnlab.extract.learn import LearnConfig, labels, learn, sample_words
from rnnlab.extract.machine import Machine
from rnnlab.extract.model import LearnedNet, load_any, net_from_dict

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


def _number_paths(value: Any, path: str = "") -> Iterator[tuple[str, list[Any]]]:
    """(path as a message names it, the keys that reach it) of every number in a net file, meta and spec aside."""
    if isinstance(value, dict):
        for k, v in value.items():
            if k not in ("meta", "spec"):
                for p, keys in _number_paths(v, f"{path}.{k}" if path else k):
                    yield p, [k, *keys]
    elif isinstance(value, list):
        for i, v in enumerate(value):
            for p, keys in _number_paths(v, f"{path}[{i}]"):
                yield p, [i, *keys]
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        yield path, []


def _net_dicts() -> dict[str, dict[str, Any]]:
    v1 = compile_dfa(TOMITA["tomita4"], "sigmoid").to_dict()  # dense, with a sigmoid gain
    sparse = get_net("adder").to_dict()  # the same net with its first layer's U written sparsely
    sparse["layers"][0]["U"] = {"shape": [2, 2], "indptr": [0, 2, 4], "indices": [0, 1, 0, 1],
                                "values": [-1.0, -1.0, 1.0, 1.0]}
    nets = {"rnnlab-net/1": v1, "rnnlab-net/1 sparse": sparse}
    for cell in ("sigmoid", "gru", "lstm"):
        nets[cell] = learn(BUILTIN["equality"], LearnConfig(cell=cell, hidden=2, steps=1, eval_every=1)).net.to_dict()
    return nets


@pytest.mark.parametrize("bad, says", [("0.1", "the string '0.1'"), (True, "true"), ([0.5], "a list"),
                                       (None, "null"), (math.inf, "inf")])
def test_every_number_field_of_both_formats_refuses_what_is_not_a_finite_number(bad: Any, says: str) -> None:
    for kind, d in _net_dicts().items():
        assert net_from_dict(d).to_dict() == net_from_dict(json.loads(json.dumps(d))).to_dict()
        paths = list(_number_paths(d))
        assert len(paths) > 10, kind
        for path, keys in paths:
            changed = copy.deepcopy(d)
            target = changed
            for k in keys[:-1]:
                target = target[k]
            target[keys[-1]] = bad
            with pytest.raises(ValueError) as e:
                net_from_dict(changed)
            assert f"malformed net: {path} " in str(e.value) and says in str(e.value), (kind, path, str(e.value))


def test_every_weight_of_a_learned_net_refuses_a_value_beyond_float32() -> None:
    for d in _net_dicts().values():
        if d["format"] != "rnnlab-net/2":
            continue
        for path, keys in _number_paths(d):
            changed = copy.deepcopy(d)
            target = changed
            for k in keys[:-1]:
                target = target[k]
            target[keys[-1]] = -1e39
            with pytest.raises(ValueError, match=re.escape(f"{path} is -1e+39, beyond float32's range")):
                net_from_dict(changed)  # and no numpy warning, which the test settings make an error
