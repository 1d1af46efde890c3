"""`extract.batch`: inputs of similar length share a padded forward pass, and batching changes no output (each
input run alone is the oracle); rnnlab-net/1 outputs read as y > 1/2; `run_inputs` runs a source a chunk at a
time, reading no further than one line past the chunk it gives out."""

from __future__ import annotations

from collections.abc import Iterator

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
    z_alone = [net.logits(w[None, :])[0] for w in words]
    alone = [(z > 0).astype(int) for z in z_alone]
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
    checked = 0
    for g, a, z in zip(got, alone, z_alone, strict=True):
        sure = np.abs(z) > 1e-4  # a logit nearer 0 may round either way in another pass shape (CPU kernels differ)
        np.testing.assert_array_equal(g[sure], a[sure])
        checked += int(sure.sum())
    assert checked > 100


def test_a_pass_is_split_when_it_would_hold_too_many_states(monkeypatch: pytest.MonkeyPatch) -> None:
    net = get_net("all-ones")
    words = [np.ones((8, 1), dtype=np.int64)] * 10
    monkeypatch.setattr(batch, "STEP_BUDGET", 3 * 8 * (1 + 2))  # 3 inputs of 8 steps, 1 input and 2 units
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


def test_a_chunk_of_mixed_lengths_needs_one_pass_per_doubling_not_per_length(monkeypatch: pytest.MonkeyPatch) -> None:
    net = get_net("all-ones")
    words = [np.ones((T, 1), dtype=np.int64) for T in range(1, 65)]  # 64 distinct lengths
    runs: list[tuple[int, int]] = []
    run = Net.run

    def counted(self: Net, x: torch.Tensor) -> object:
        runs.append((x.shape[0], x.shape[1]))
        return run(self, x)

    monkeypatch.setattr(Net, "run", counted)
    assert [y[:, 0].tolist() for y in batch.outputs(net, words)] == [[1] * T for T in range(1, 65)]
    assert runs == [(33, 64), (16, 31), (8, 15), (4, 7), (2, 3), (1, 1)]  # 32..64, 16..31, ... padded


def test_passes_run_on_one_torch_thread_and_restore_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    net = get_net("all-ones")
    seen: list[int] = []
    run = Net.run

    def counted(self: Net, x: torch.Tensor) -> object:
        seen.append(torch.get_num_threads())
        return run(self, x)

    monkeypatch.setattr(Net, "run", counted)
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        batch.outputs(net, [np.ones((3, 1), dtype=np.int64)])
        assert seen == [1] and torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


def words_text(rng: np.random.Generator, n: int) -> list[str]:
    return ["".join(map(str, rng.integers(0, 2, size=int(rng.integers(1, 30))))) for _ in range(n)]


@pytest.mark.parametrize("chunk_symbols", [1, 50, 10**6])
def test_run_inputs_gives_each_input_its_outputs_alone_in_order(chunk_symbols: int) -> None:
    net = compile_dfa(TOMITA["tomita4"], "sigmoid")
    texts = words_text(np.random.default_rng(2), 80)
    lines = [f"{x}\n".encode() for x in texts]
    got = [(x, y[:, 0].tolist()) for chunk, ys in batch.run_inputs(net, lines, "f.txt", chunk_symbols)
           for x, y in zip(chunk.texts, ys, strict=True)]
    assert got == [(x, TOMITA["tomita4"].outputs([int(c) for c in x])) for x in texts]


def test_the_first_results_come_out_before_more_than_one_chunk_is_read() -> None:
    """Memory is bounded by the chunk: the first chunk's outputs come from a source that never ends, having read
    only that chunk and the one line that told it was full."""
    read = 0

    def endless() -> Iterator[bytes]:
        nonlocal read
        rng = np.random.default_rng(3)
        while True:
            read += 1
            yield "".join(map(str, rng.integers(0, 2, size=int(rng.integers(1, 30))))).encode() + b"\n"

    chunk, ys = next(batch.run_inputs(get_net("all-ones"), endless(), chunk_symbols=200))
    steps = sum(len(y) for y in ys)
    assert steps <= 200 and len(chunk.texts) == len(ys) and read == len(ys) + 1
