"""`extract.batch`: inputs of similar length share a padded forward pass, and batching changes no output (each
input run alone is the oracle); rnnlab-net/1 outputs read as y > 1/2; `run_inputs` runs a source a chunk at a
time, reading no further than one line past the chunk it gives out."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from rnnlab.exact.compiler import compile_dfa
from rnnlab.exact.net import Net
from rnnlab.exact.sheet import get_net
from rnnlab.extract import batch
from rnnlab.extract.languages import TOMITA
from rnnlab.extract.learn import LearnConfig, learn
from rnnlab.extract.model import LearnedNet


def test_lengths_within_a_factor_2_share_a_pass_and_outputs_equal_one_at_a_time(
        monkeypatch: pytest.MonkeyPatch) -> None:
    net = learn(TOMITA["tomita4"], LearnConfig(cell="gru", hidden=3, steps=5, eval_every=5)).net
    rng = np.random.default_rng(0)
    words = [rng.integers(0, 2, size=int(rng.integers(1, 6))) for _ in range(60)]
    alone = [(net.logits(w[None, :])[0] > 0).astype(int) for w in words]
    passes: list[tuple[int, ...]] = []
    logits = LearnedNet.logits

    def counted(self: LearnedNet, x: np.ndarray) -> np.ndarray:
        passes.append(np.asarray(x).shape)
        return logits(self, x)

    monkeypatch.setattr(LearnedNet, "logits", counted)
    got = batch.outputs(net, words)
    # longest first: lengths 5, 4, 3 padded to 5, then 2 and 1 padded to 2
    lengths = [len(w) for w in words]
    assert passes == [(sum(T >= 3 for T in lengths), 5), (sum(T <= 2 for T in lengths), 2)]
    for g, a in zip(got, alone, strict=True):
        np.testing.assert_array_equal(g, a)


def test_a_pass_is_split_when_it_would_hold_too_many_states(monkeypatch: pytest.MonkeyPatch) -> None:
    net = get_net("all-ones")
    words = [np.ones((8, 1), dtype=np.int64)] * 10
    monkeypatch.setattr(batch, "STEP_BUDGET", 8 * 2 * 3)  # 3 inputs of 8 steps, 2 units
    runs: list[int] = []
    run = Net.run

    def counted(self: Net, x: torch.Tensor) -> object:
        runs.append(x.shape[0])
        return run(self, x)

    monkeypatch.setattr(Net, "run", counted)
    assert [y[:, 0].tolist() for y in batch.outputs(net, words)] == [[1] * 8] * 10
    assert runs == [3, 3, 3, 1]


def test_net1_outputs_read_above_one_half() -> None:
    net = compile_dfa(TOMITA["tomita7"], "sigmoid")
    rng = np.random.default_rng(1)
    words = [rng.integers(0, 2, size=(int(rng.integers(1, 9)), 1)) for _ in range(30)]
    for w, y in zip(words, batch.outputs(net, words), strict=True):
        assert y[:, 0].tolist() == TOMITA["tomita7"].outputs(w[:, 0].tolist())
