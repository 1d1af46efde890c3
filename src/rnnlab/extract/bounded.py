"""A learned net against a spec on every input up to a length, and the shortest input where they differ (S11).

This is the bounded answer `rnnlab verify` gives for rnnlab-net/2 nets; the all-length answer is
`rnnlab extract --against`. Inputs run as a prefix tree, one level per length: the states after every
input of length t are the parents of those of length t + 1, so each input costs one batched step, and
input number i of length t (in the order of the net's alphabet, symbol-major) is parent i // A read on
symbol i % A. The first level with a disagreement holds the shortest ones; its first is reported.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch

from rnnlab.exact.automaton import Automaton
from rnnlab.extract.inputs import sequences
from rnnlab.extract.model import LearnedNet
from rnnlab.symbols import format_word

__all__ = ["BoundedCheck", "Disagreement", "bounded_check", "default_max_len", "inputs_up_to", "largest_max_len",
           "symbol_map"]

DEFAULT_WORDS = 2**16  # default length: the longest whose inputs number at most this many
MAX_STATE_FLOATS = 2**25  # the longest level kept in memory: inputs x state size (128 MB of float32)
CHUNK = 2**15  # inputs stepped at once


@dataclass(frozen=True)
class Disagreement:
    """A shortest input on which the net's accept/reject differs from the spec's."""

    input: str  # the first (or only) sequence in the word syntax (rnnlab.symbols), e.g. "0110" or "s3 s12"
    input2: str | None  # the second sequence for pair alphabets ("x1x2" symbols), else None
    expected: list[int]  # the spec's output after every prefix
    got: list[int]  # the net's output after every prefix (1 iff v . h + c > 0)
    logits: list[float]  # v . h + c after every prefix
    steps: tuple[str, ...] = ()  # the first sequence's symbol at every step, as printed in a table

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if k != "steps"}


@dataclass(frozen=True)
class BoundedCheck:
    holds: bool  # no disagreement on any input of length 1..max_len
    max_len: int
    inputs: int  # inputs run (each shorter one is a prefix of a longer one, all compared); fewer when one differs
    disagreement: Disagreement | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def default_max_len(net: LearnedNet) -> int:
    """The longest length whose inputs number at most DEFAULT_WORDS (16 for {0, 1}, 8 for pair alphabets)."""
    A, n, top = len(net.alphabet), 1, largest_max_len(net)
    if A == 1:
        return min(top, 64)
    while A ** (n + 1) <= DEFAULT_WORDS and n < top:
        n += 1
    return n


def largest_max_len(net: LearnedNet) -> int:
    """The longest length whose second-to-last level of states fits in MAX_STATE_FLOATS."""
    A, n = len(net.alphabet), 1
    while A ** n * net.state_size <= MAX_STATE_FLOATS and n < 100_000:  # (a one-symbol alphabet never grows)
        n += 1
    return n


def symbol_map(net: LearnedNet, spec: Automaton) -> np.ndarray:
    """spec symbol index of each of the net's symbols; ValueError when the two alphabets are not the same set."""
    if sorted(net.alphabet) != sorted(spec.alphabet):
        raise ValueError(f"the spec's alphabet {' '.join(spec.alphabet)} is not the net's {' '.join(net.alphabet)}")
    return np.array([spec.alphabet.index(s) for s in net.alphabet], dtype=np.int64)


def spec_outputs(net: LearnedNet, spec: Automaton) -> np.ndarray:
    """(Q,) the net's output (0/1) that each spec state asks for; ValueError when the spec is a Moore machine
    whose labels are not 0 and 1, the outputs of an accept/reject net."""
    if spec.moore and not set(spec.classes) <= {"0", "1"}:
        raise ValueError(f"the spec is a Moore machine with labels {' '.join(spec.classes[:10])}; the net "
                         f"{net.name!r} gives accept/reject (labels 0 and 1)")
    return np.array([int(spec.classes[c]) for c in spec.out], dtype=np.int64)


def inputs_up_to(net: LearnedNet, max_len: int) -> int:
    """How many inputs of length 1..max_len there are: A + A^2 + ... + A^max_len."""
    A = len(net.alphabet)
    return sum(A**t for t in range(1, max_len + 1))


def bounded_check(net: LearnedNet, spec: Automaton, max_len: int,
                  progress: Callable[[int], None] | None = None) -> BoundedCheck:
    """Compare the net's output with the spec's after every prefix of every input of length 1..max_len;
    progress(n) after each chunk of n inputs run (inputs_up_to(net, max_len) in all)."""
    if not 1 <= max_len <= largest_max_len(net):
        raise ValueError(f"max_len must be in [1, {largest_max_len(net)}] for this net, got {max_len}")
    A = len(net.alphabet)
    to_spec = symbol_map(net, spec)
    delta = np.array(spec.delta, dtype=np.int64)[:, to_spec]  # (Q, A) in the net's symbol order
    accept = spec_outputs(net, spec)  # (Q,)
    S = torch.from_numpy(net.initial_state())[None, :]  # (P, D) states of the inputs of the level before
    q = np.array([spec.start], dtype=np.int64)  # (P,) spec states
    inputs = 0
    with torch.no_grad():
        for t in range(1, max_len + 1):
            P = S.shape[0]
            keep = t < max_len
            level_S, level_q = [], []
            for lo in range(0, P * A, CHUNK):
                idx = torch.arange(lo, min(lo + CHUNK, P * A))
                parent, a = idx // A, idx % A
                S_new = net.step(S[parent], a)  # (B, D)
                q_new = delta[q[parent.numpy()], a.numpy()]
                got = (net.logit(S_new) > 0).numpy()
                inputs += len(idx)
                if progress is not None:
                    progress(len(idx))
                wrong = np.flatnonzero(got != accept[q_new])
                if len(wrong):
                    return BoundedCheck(False, max_len, inputs, _disagreement(net, spec, lo + int(wrong[0]), t))
                if keep:
                    level_S.append(S_new)
                    level_q.append(q_new)
            if keep:
                S, q = torch.cat(level_S), np.concatenate(level_q)
    return BoundedCheck(True, max_len, inputs, None)


def _disagreement(net: LearnedNet, spec: Automaton, index: int, t: int) -> Disagreement:
    A = len(net.alphabet)
    word = [(index // A ** (t - 1 - k)) % A for k in range(t)]  # base-A digits, most significant first
    logits = net.logits([word])[0]
    to_spec = symbol_map(net, spec)
    want = spec_outputs(net, spec)
    q, expected = spec.start, []
    for a in word:
        q = spec.delta[q][int(to_spec[a])]
        expected.append(int(want[q]))
    symbols = [net.alphabet[a] for a in word]
    if sequences(net) == 2:
        x1, x2 = "".join(s[0] for s in symbols), "".join(s[1] for s in symbols)
        steps = tuple(s[0] for s in symbols)
    else:
        x1, x2, steps = format_word(word, net.alphabet), None, tuple(symbols)
    return Disagreement(x1, x2, expected, [int(v > 0) for v in logits], [float(v) for v in logits], steps)
