"""`rnnlab extract`: L* on the net, then the all-length proof (SPEC S11).

1. L* (AALpy, Angluin 1987) learns a DFA with the net answering membership queries. Queries are answered
   from a cache of prefix states (a query costs one step per symbol not seen before), and AALpy's own query
   cache is filled beforehand from one batched run over every input of a fixed length.
2. Each equivalence query first tests the hypothesis on every input up to length N and on random inputs
   (uniform, and runs of one symbol at many time scales: `words`), batched; a disagreement goes back to L*
   as its counterexample. Otherwise `certify.search` tries to prove the hypothesis for every length. A proof
   ends learning ("certified"); a failed proof leads to a search for a disagreeing input from the states where
   it failed; none found in time: "unknown" (every input up to length N agrees).
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from aalpy.base import SUL, Oracle
from aalpy.learning_algs import run_Lstar

from rnnlab.exact.automaton import Automaton
from rnnlab.exact.net import Net
from rnnlab.extract.certify import Certificate, Failure, search
from rnnlab.extract.dfa import minimal, shortest_difference
from rnnlab.extract.machine import Machine
from rnnlab.extract.model import LearnedNet
from rnnlab.extract.words import random_words

STATUSES = ("certified", "counterexample", "unknown")
LONG_WORDS, LONG_LEN = 2000, 1000  # random inputs tried against the target when nothing else decided
EXHAUSTIVE_WORDS = 4096  # all inputs up to length N with A^N <= this are tested at every equivalence query

__all__ = ["ExtractConfig", "ExtractResult", "STATUSES", "extract", "dfa_outputs"]


@dataclass(frozen=True)
class ExtractConfig:
    time_limit: float = 60.0  # seconds for learning and proving together
    seed: int = 0  # seeds the random test inputs
    random_words: int = 1000  # random test inputs per equivalence query (each prefix tested too)
    random_max_len: int = 100  # their length
    threads: int = 1  # torch threads (tiny batches run fastest on one)


@dataclass(frozen=True)
class ExtractResult:
    status: str  # one of STATUSES
    dfa: Automaton  # the last hypothesis, minimal on non-empty inputs
    certificate: Certificate | None  # the proof, when certified
    wrong_input: list[int] | None  # counterexample: an input where net and dfa differ (symbol indices)
    agrees_up_to: int  # every input up to this length was run and agrees with dfa (unknown / certified)
    seconds: float  # wall time
    rounds: int  # equivalence queries asked
    reason: str  # one line: why not certified (empty when certified)
    queries: int = 0  # membership queries answered by the net
    implements: bool | None = None  # with a target: dfa == target and certified (True), net wrong (False)
    net_wrong_input: list[int] | None = None  # with a target: an input where the net's output is wrong
    extra: dict[str, Any] = field(default_factory=dict)  # e.g. the target comparison's details


def dfa_outputs(dfa: Automaton, words: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(accept bits (B, T), states (B, T)) of dfa after every prefix of words (B, T)."""
    delta = np.array(dfa.delta, dtype=np.int64)
    accept = np.zeros(len(dfa.states), dtype=bool)
    accept[list(dfa.accept)] = True
    q = np.full(words.shape[0], dfa.start, dtype=np.int64)
    acc = np.empty(words.shape, dtype=bool)
    st = np.empty(words.shape, dtype=np.int64)
    for t in range(words.shape[1]):
        q = delta[q, words[:, t]]
        acc[:, t], st[:, t] = accept[q], q
    return acc, st


def all_words(A: int, n: int) -> np.ndarray:
    """Every input of length n, (A^n, n), in lexicographic order."""
    if n == 0:
        return np.zeros((1, 0), dtype=np.int64)
    return np.array(list(itertools.product(range(A), repeat=n)), dtype=np.int64)


def exhaustive_len(A: int, budget: int = EXHAUSTIVE_WORDS) -> int:
    n = 1
    while A ** (n + 1) <= budget:
        n += 1
    return n


class _OutOfTime(Exception):
    pass


class _Node:
    """A prefix in the query cache: the net's state after it, its output, and its one-symbol extensions."""

    __slots__ = ("S", "acc", "next")

    def __init__(self, S: torch.Tensor, acc: bool) -> None:
        self.S, self.acc = S, acc
        self.next: dict[int, _Node] = {}


class _NetSUL(SUL):
    """Membership queries answered by the net from a cache of prefix states: a trie, so a long query costs
    memory linear in its length; past `max_nodes` prefixes the cache starts afresh (long counterexamples in
    L*'s table can otherwise fill the memory)."""

    def __init__(self, m: Machine, deadline: float = float("inf"), max_nodes: int = 1_000_000) -> None:
        super().__init__()
        self.m = m
        self.deadline = deadline
        self.max_nodes = max_nodes
        self.may_stop: Callable[[], bool] = lambda: True
        self.index = {s: a for a, s in enumerate(m.alphabet)}
        self.root = _Node(m.initial(1), False)
        self.nodes = 1
        self.here = self.root  # the node of `word`, for step()
        self.asked = 0

    def _child(self, node: _Node, a: int) -> _Node:
        nxt = node.next.get(a)
        if nxt is None:
            if self.nodes >= self.max_nodes:  # drop the cache; the node in hand stays valid on its own
                self.root = _Node(self.m.initial(1), False)
                self.nodes = 1
            with torch.no_grad():
                S = self.m.step(node.S, torch.tensor([a]))
                nxt = _Node(S, bool(self.m.logit(S)[0] > 0))
            node.next[a] = nxt
            self.nodes += 1
        return nxt

    def query(self, word: tuple) -> list:
        self.asked += 1
        if self.asked % 256 == 0 and time.monotonic() > self.deadline and self.may_stop():
            raise _OutOfTime  # L* filling its table past the limit (a net that is no small DFA): stop it
        if len(word) == 0:
            return [False]  # the empty input has no output; its answer is fixed and does not matter
        node, out = self.root, []
        for s in word:
            node = self._child(node, self.index[s])
            out.append(node.acc)
        return out

    def pre(self) -> None:
        self.here = self.root

    def post(self) -> None:
        self.here = self.root

    def step(self, letter: Any) -> Any:
        if letter is None:
            return False
        self.here = self._child(self.here, self.index[letter])
        return self.here.acc


def _to_automaton(hyp: Any, alphabet: tuple[str, ...]) -> Automaton:
    ids = {s.state_id: f"s{k}" for k, s in enumerate(hyp.states)}
    return Automaton.from_dict({
        "alphabet": list(alphabet), "states": [ids[s.state_id] for s in hyp.states],
        "start": ids[hyp.initial_state.state_id],
        "accept": [ids[s.state_id] for s in hyp.states if s.is_accepting],
        "transitions": {ids[s.state_id]: {a: ids[s.transitions[a].state_id] for a in alphabet} for s in hyp.states},
    })


def _first_disagreement(m: Machine, dfa: Automaton, words: np.ndarray) -> list[int] | None:
    """The shortest prefix (over all words) where net and dfa differ, or None."""
    if len(words) == 0:
        return None
    net_acc, _ = m.run(words)
    want, _ = dfa_outputs(dfa, words)
    bad = net_acc != want
    if not bad.any():
        return None
    rows, cols = np.nonzero(bad)
    k = int(np.argmin(cols))
    return words[rows[k], :cols[k] + 1].tolist()


class _ProvingOracle(Oracle):
    """Equivalence queries: batched testing, then the proof (module docstring)."""

    def __init__(self, m: Machine, config: ExtractConfig, deadline: float) -> None:
        super().__init__(list(m.alphabet), None)  # type: ignore[arg-type]
        self.m, self.config, self.deadline = m, config, deadline
        self.A = len(m.alphabet)
        self.N = exhaustive_len(self.A)
        self.rng = np.random.default_rng([config.seed, 2])
        self.exhaustive = [all_words(self.A, self.N)]  # its prefixes are every shorter input
        self.rounds = 0
        self.certificate: Certificate | None = None
        self.wrong: list[int] | None = None
        self.reason = ""
        self.timed_out = False
        self.last: Automaton | None = None  # the latest hypothesis

    def _random(self, n: int, max_len: int) -> list[np.ndarray]:
        """n random inputs of length max_len, half uniform and half runs (`words`); each prefix is tested too,
        so every length 1..max_len is."""
        return [random_words(self.rng, n, max_len, self.A)]

    def _test(self, dfa: Automaton, groups: list[np.ndarray]) -> list[int] | None:
        found = [w for g in groups if (w := _first_disagreement(self.m, dfa, g)) is not None]
        return min(found, key=len) if found else None

    def find_cex(self, hypothesis: Any) -> tuple | None:
        self.rounds += 1
        dfa = minimal(_to_automaton(hypothesis, self.m.alphabet))
        self.last = dfa
        self.certificate, self.wrong = None, None
        cex = self._test(dfa, self.exhaustive)
        if cex is None and time.monotonic() < self.deadline:
            cex = self._test(dfa, self._random(self.config.random_words, self.config.random_max_len))
        if cex is None and time.monotonic() < self.deadline:
            out = search(self.m, dfa, self._points(dfa), self.deadline)
            if isinstance(out, Certificate):
                self.certificate = out
                return None
            self.reason = out.reason
            cex = self._hunt(dfa, out)
        if cex is None:
            self.timed_out = time.monotonic() >= self.deadline
            return None
        self.wrong = cex
        if time.monotonic() >= self.deadline:
            self.timed_out = True
            return None  # out of time with a counterexample in hand: L* stops here
        return tuple(self.m.alphabet[a] for a in cex)

    def _points(self, dfa: Automaton) -> dict[int, np.ndarray]:
        """Visited net states labelled with the DFA state, from the exhaustive and some random inputs."""
        groups = self.exhaustive + self._random(200, 3 * self.N)
        pts: dict[int, list[np.ndarray]] = {}
        for g in groups:
            _, S = self.m.run(g, keep_states=True)
            _, q = dfa_outputs(dfa, g)
            assert S is not None
            for s in np.unique(q):
                pts.setdefault(int(s), []).append(S[q == s])
        return {s: np.concatenate(v) for s, v in pts.items()}

    def _hunt(self, dfa: Automaton, failure: Failure) -> list[int] | None:
        """A disagreeing input near the failure: inputs reaching its state, then random continuations (half of
        them runs)."""
        _, q = dfa_outputs(dfa, self.exhaustive[-1])
        heads = [self.exhaustive[-1][i, :t + 1] for i, t in zip(*np.nonzero(q == failure.state), strict=True)][:256]
        if not heads:
            heads = [np.zeros(0, dtype=np.int64)]
        tail = 4 * self.config.random_max_len
        while time.monotonic() < self.deadline:
            picks = self.rng.integers(0, len(heads), size=256)
            L = int(self.rng.integers(1, tail + 1))
            for n in {len(heads[i]) for i in picks}:
                idx = [i for i in picks if len(heads[i]) == n]
                words = np.concatenate([np.stack([heads[i] for i in idx]),
                                        random_words(self.rng, len(idx), L, self.A)], axis=1)
                cex = _first_disagreement(self.m, dfa, words)
                if cex is not None:
                    return cex
            if len(heads) and time.monotonic() > self.deadline - 0.5 * self.config.time_limit:
                break  # leave time for the rest of L*
        return None


def extract(net: Net | LearnedNet, config: ExtractConfig = ExtractConfig(), target: Automaton | None = None
            ) -> ExtractResult:
    """Learn, test and prove (module docstring); with a target, also decide whether the net implements it."""
    threads = torch.get_num_threads()
    torch.set_num_threads(config.threads)
    try:
        return _extract(net, config, target)
    finally:
        torch.set_num_threads(threads)


def _extract(net: Net | LearnedNet, config: ExtractConfig, target: Automaton | None) -> ExtractResult:
    t0 = time.monotonic()
    m = Machine(net)
    if target is not None and list(target.alphabet) != list(m.alphabet):
        raise ValueError(f"alphabet mismatch: the net reads {list(m.alphabet)}, the spec {list(target.alphabet)}")
    deadline = t0 + config.time_limit
    sul = _NetSUL(m, deadline + 0.1 * config.time_limit)
    oracle = _ProvingOracle(m, config, deadline)
    sul.may_stop = lambda: oracle.last is not None
    A = len(m.alphabet)
    k = max(1, min(exhaustive_len(A, 2048), 10))
    words = all_words(A, k)
    acc, _ = m.run(words)
    samples = [(tuple(m.alphabet[a] for a in w), [bool(b) for b in row]) for w, row in zip(words, acc, strict=True)]
    try:
        hyp = run_Lstar(list(m.alphabet), sul, oracle, "dfa", samples=samples, print_level=0,
                        cache_and_non_det_check=True)
        dfa = minimal(_to_automaton(hyp, m.alphabet))
    except _OutOfTime:  # the last hypothesis asked about stands, with its counterexample if it had one
        assert oracle.last is not None
        dfa = oracle.last
        oracle.timed_out = True
    cert = oracle.certificate if oracle.certificate is not None and oracle.certificate.dfa == dfa else None
    if cert is not None:
        status, reason = "certified", ""
    elif oracle.wrong is not None:
        status, reason = "counterexample", "out of time with an input where the net and the DFA differ"
    else:
        status = "unknown"
        reason = oracle.reason or "out of time before a proof"
    implements: bool | None = None
    net_wrong: list[int] | None = None
    extra: dict[str, Any] = {}
    if target is not None:
        implements, net_wrong, extra = _against(m, dfa, cert is not None, target, oracle)
    return ExtractResult(status, dfa, cert, oracle.wrong if status == "counterexample" else None, oracle.N,
                         time.monotonic() - t0, oracle.rounds, reason, sul.asked, implements, net_wrong, extra)


def _against(m: Machine, dfa: Automaton, certified: bool, target: Automaton, oracle: _ProvingOracle
             ) -> tuple[bool | None, list[int] | None, dict[str, Any]]:
    """Does the net implement target? The extracted DFA is compared exactly (product construction); any input
    offered as proof that the net is wrong is checked by running the net."""
    target = minimal(target)
    diff = shortest_difference(dfa, target)
    if diff is None and certified:
        return True, None, {"dfa_equals_target": True}
    wrong = None
    if diff is not None and _net_wrong(m, target, diff):
        wrong = diff
    if wrong is None:  # the DFA may be wrong where the net is right (no proof): test the net itself
        wrong = oracle._test(target, oracle.exhaustive + oracle._random(oracle.config.random_words,
                                                                          oracle.config.random_max_len))
    if wrong is None:  # errors that only long inputs show (a net that drifts): a batch of long inputs
        wrong = oracle._test(target, oracle._random(LONG_WORDS, LONG_LEN))
    return (False if wrong is not None else None), wrong, {"dfa_equals_target": diff is None}


def _net_wrong(m: Machine, target: Automaton, word: list[int]) -> bool:
    acc, _ = m.run(np.array([word], dtype=np.int64))
    want, _ = dfa_outputs(target, np.array([word], dtype=np.int64))
    return bool(acc[0, -1] != want[0, -1])
