"""Random test inputs: run inputs hold one symbol for long, which uniform inputs almost never do, and that is what
finds a net that loses count in a long run."""

from __future__ import annotations

import numpy as np
import pytest
from learned_nets import loses_count_at

import rnnlab.extract.lstar as lstar
from rnnlab.exact.compiler import compile_dfa
from rnnlab.extract.languages import TOMITA
from rnnlab.extract.lstar import ExtractConfig, dfa_outputs, extract
from rnnlab.extract.machine import Machine
from rnnlab.extract.words import random_words, run_words, uniform_words


def _runs(word: np.ndarray) -> list[tuple[int, int]]:
    """(symbol, length) of each maximal run."""
    cuts = np.flatnonzero(np.diff(word)) + 1
    return [(int(p[0]), len(p)) for p in np.split(word, cuts)]


@pytest.mark.parametrize("A", [1, 2, 4])
def test_run_words_are_runs_of_symbols_of_the_alphabet(A: int) -> None:
    w = run_words(np.random.default_rng(0), 50, 300, A)
    assert w.shape == (50, 300) and w.dtype == np.int64
    assert w.min() >= 0 and w.max() < A


def test_run_lengths_span_time_scales_that_uniform_inputs_miss() -> None:
    rng = np.random.default_rng(1)
    longest_runs = [max(n for _, n in _runs(w)) for w in run_words(rng, 200, 1000, 2)]
    longest_uniform = [max(n for _, n in _runs(w)) for w in uniform_words(rng, 200, 1000, 2)]
    assert max(longest_uniform) < 30  # about log2(1000) = 10, give or take
    assert sum(n >= 100 for n in longest_runs) >= 40  # a good share of run inputs hold a symbol for 100 steps
    assert min(longest_runs) < 30  # and some are short-run inputs: every scale from 1 up


def test_max_mean_one_alternates() -> None:
    w = run_words(np.random.default_rng(2), 10, 40, 2, max_mean=1)
    assert all(n == 1 for word in w for _, n in _runs(word))


def test_random_words_are_half_uniform_half_runs() -> None:
    a = random_words(np.random.default_rng(3), 9, 50, 3)
    rng = np.random.default_rng(3)
    assert np.array_equal(a[:5], uniform_words(rng, 5, 50, 3))
    assert np.array_equal(a[5:], run_words(rng, 4, 50, 3))




def test_a_net_wrong_only_on_a_long_run_is_found_wrong(monkeypatch: pytest.MonkeyPatch) -> None:
    """A compiled net that agrees with Tomita 1 on every input except those starting with 31 ones: uniform inputs
    meet it once in 2^31, run inputs often. The verdict flips to undecided when the extractor draws uniform
    inputs only."""
    net = compile_dfa(loses_count_at(30), "sigmoid")
    r = extract(net, ExtractConfig(time_limit=6.0, random_words=300), TOMITA["tomita1"])
    assert r.implements is False
    assert r.net_wrong_input is not None
    word = np.array([r.net_wrong_input])
    got, _ = Machine(net).run(word)
    assert got[0, -1] != dfa_outputs(TOMITA["tomita1"], word)[0][0, -1]  # checked by running the net
    assert r.net_wrong_input == [1] * 31  # the only kind of input where they differ, and its shortest
    monkeypatch.setattr(lstar, "random_words", lambda rng, n, length, A: uniform_words(rng, n, length, A))
    r = extract(net, ExtractConfig(time_limit=3.0, random_words=300), TOMITA["tomita1"])
    assert r.implements is None


def test_learn_check_runs_finds_a_net_that_loses_count() -> None:
    """`check_runs` against a plain loop over the same inputs: a net that is Tomita 1 up to 30 ones gets inputs
    wrong (runs of 31+ ones at the start), the net of Tomita 1 itself none."""
    from learned_nets import learned_from_compiled

    from rnnlab.extract.learn import check_runs

    spec = TOMITA["tomita1"]
    right = check_runs(learned_from_compiled(spec), spec, 300, 160, seed=0)
    assert right == {"inputs": 300, "length": 160, "accuracy": 1.0, "inputs_wrong": 0}
    net = learned_from_compiled(loses_count_at(30))
    got = check_runs(net, spec, 300, 160, seed=0)
    words = run_words(np.random.default_rng([0, 3]), 300, 160, 2)
    wrong = sum(all(w[:31]) for w in words.tolist())  # the two languages differ exactly on prefixes 1^n, n > 30
    assert got["inputs_wrong"] == wrong > 0 and got["accuracy"] < 1
