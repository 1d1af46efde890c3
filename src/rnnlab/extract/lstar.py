"""`rnnlab extract`: L* on the net, then the all-length proof (SPEC S11).

1. L* (AALpy, Angluin 1987) learns a DFA with the net answering membership queries. Queries are answered
   from a cache of prefix states (a query costs one step per symbol not seen before), and AALpy's own query
   cache is filled beforehand from one batched run over every input of a fixed length.
2. Each equivalence query first tests the hypothesis on every input up to length N and on random inputs
   (uniform, and runs of one symbol at many time scales: `words`), batched; a disagreement goes back to L*
   as its counterexample. Otherwise `certify.search` tries to prove the hypothesis for every length. A proof
   ends learning; a failed proof leads to a search for a disagreeing input from the states where it failed.
3. With a target language, the DFA is compared with it exactly, and the net itself is run on the inputs that
   could show it wrong (the final check).

The outcome (`status`) answers the question asked: without a target "which DFA is the net?", with one "does the
net implement it?". The truth table (`decide`):

    target  proof of the DFA  an input in hand                               status          exit (ok)
    none    found             -                                              certified       0
    none    not found         where the net and the DFA differ               counterexample  1
    none    not found         none                                           unknown         1
    given   found, DFA = it   - (none can exist)                             certified       0
    given   found, DFA != it  their shortest difference: the net is wrong    wrong           1
    given   not found         where the net is wrong (checked by running it) wrong           1
    given   not found         none where the net is wrong                    unknown         1

With a target, an input where the net and its DFA differ is kept (`wrong_input`) but decides nothing.

The time limit is the caller's: every phase takes an absolute deadline on one monotonic clock and checks it
between queries, between boxes of the proof, and between the steps of every batched run, so the whole ends
within one such unit of the limit. L* and the proof stop early enough to leave the final check the time it is
estimated to need (at the rate of the net runs so far); a phase cut short says so (`out_of_time`, `reason`). The
seconds spent per phase are in `phases`.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from aalpy.base import SUL, Oracle
from aalpy.learning_algs import run_Lstar

from rnnlab.exact.automaton import Automaton
from rnnlab.exact.net import Net
from rnnlab.extract.certify import OUT_OF_TIME, Certificate, Failure, search
from rnnlab.extract.dfa import minimal, shortest_difference
from rnnlab.extract.diagnosis import Diagnosis, diagnose
from rnnlab.extract.machine import NO_PROOF, Machine
from rnnlab.extract.model import LearnedNet
from rnnlab.extract.torch_net import TorchNet
from rnnlab.extract.words import random_words

STATUSES = ("certified", "wrong", "counterexample", "unknown")  # module docstring's truth table
PHASES = {"setup": "first batched run", "queries": "L* membership queries", "testing": "equivalence tests",
          "proof": "proof search", "hunt": "counterexample hunt", "final": "final check against the target"}
LONG_WORDS, LONG_LEN = 2000, 1000  # random inputs tried against the target when nothing else decided
EXHAUSTIVE_WORDS = 4096  # all inputs up to length N with A^N <= this are tested at every equivalence query
CHUNK = 2**20  # symbols (inputs x length) per batched run: the runs check the time between steps
RESERVE = (0.02, 0.25)  # the final check's share of the limit kept from L*: at least, at most

__all__ = ["ExtractConfig", "ExtractResult", "PHASES", "STATUSES", "decide", "dfa_outputs", "extract"]

DIAGNOSIS_RESERVE = 0.03  # share of the time limit left unused by the diagnosis of a failed proof

Clock = Callable[[], float]


@dataclass(frozen=True)
class ExtractConfig:
    time_limit: float = 60.0  # seconds for everything: learning, proving and the final check
    seed: int = 0  # seeds the random test inputs
    random_words: int = 1000  # random test inputs per equivalence query (each prefix tested too)
    random_max_len: int = 100  # their length
    threads: int = 1  # torch threads (tiny batches run fastest on one)


@dataclass(frozen=True)
class ExtractResult:
    status: str  # one of STATUSES: the answer to the question asked (module docstring's truth table)
    dfa: Automaton  # the last hypothesis, minimal on non-empty inputs
    certificate: Certificate | None  # the proof that the net equals dfa, when one was found
    wrong_input: list[int] | None  # an input where the net and dfa differ (symbol indices), when one is in hand
    agrees_up_to: int  # every input up to this length was run and agrees with dfa
    seconds: float  # time spent, on the clock extract was given
    rounds: int  # equivalence queries asked
    reason: str  # one line: why not certified (empty when certified)
    queries: int = 0  # membership queries answered by the net
    implements: bool | None = None  # with a target: dfa == target and certified (True), net wrong (False)
    net_wrong_input: list[int] | None = None  # with a target: an input where the net's output is wrong
    extra: dict[str, Any] = field(default_factory=dict)  # e.g. the target comparison's details
    phases: dict[str, float] = field(default_factory=dict)  # seconds per phase (PHASES), summing to seconds
    time_limit: float = float("inf")  # the limit it ran under
    out_of_time: tuple[str, ...] = ()  # the phases (keys of PHASES) that the time limit cut short, in order
    diagnosis: Diagnosis | None = None  # where and why the proof of dfa failed, when it was sought and failed

    @property
    def ok(self) -> bool:
        """The exit-status decision: certified (without a target: the net is the DFA; with one: it implements
        the target)."""
        return self.status == "certified"


def decide(certified: bool, dfa_counterexample: bool, has_target: bool, implements: bool | None) -> str:
    """The status of the module docstring's truth table. certified: a proof that the net equals its DFA;
    dfa_counterexample: an input where they differ is in hand; implements (with a target): True when certified
    and the DFA equals the target, False when an input where the net is wrong was found by running it."""
    if has_target:
        return "certified" if implements is True else "wrong" if implements is False else "unknown"
    return "certified" if certified else "counterexample" if dfa_counterexample else "unknown"


class _Budget:
    """The time limit as absolute deadlines on one monotonic clock (passed in, so a test can drive it), and
    the seconds spent per phase.

        t0 ............................. learn_end ........... end
        |  setup, L*, tests, proof, hunt  |  the final check    |   nothing starts after end
    """

    def __init__(self, clock: Clock, limit: float) -> None:
        self.clock, self.limit = clock, limit
        self.t0 = clock()
        self.end = self.t0 + limit
        self.spent = dict.fromkeys(PHASES, 0.0)
        self.cut: list[str] = []  # the phases that the limit cut short
        self.final_symbols = 0  # what the final check will run (symbols: inputs x length); 0 without a target
        self.symbols, self.run_seconds = 0, 0.0  # net runs so far, for the rate the final check is estimated at

    def ran(self, symbols: int, seconds: float) -> None:
        self.symbols += symbols
        self.run_seconds += seconds

    @property
    def learn_end(self) -> float:
        """Where L* and the proof stop: the end, less twice the final check's estimated time (at the rate of
        the net runs so far), within RESERVE of the limit."""
        if not self.final_symbols:
            return self.end
        need = 2 * self.final_symbols * self.run_seconds / max(1, self.symbols)
        lo, hi = RESERVE
        return self.end - min(max(need, lo * self.limit), hi * self.limit)

    def stop(self, deadline: float, phase: str) -> Callable[[], bool]:
        """`expired` as a question a net run asks between steps."""
        return lambda: self.expired(deadline, phase)

    def expired(self, deadline: float, phase: str) -> bool:
        """Whether deadline has passed; if so, phase is recorded as cut short."""
        if self.clock() < deadline:
            return False
        if phase not in self.cut:
            self.cut.append(phase)
        return True

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        t = self.clock()
        try:
            yield
        finally:
            self.spent[name] += self.clock() - t


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
    L*'s table can otherwise fill the memory). Past `deadline` on `clock`, every query and step raises
    _OutOfTime (once `may_stop` allows: L* must have a hypothesis to stand)."""

    def __init__(self, m: Machine, deadline: float | Callable[[], float] = float("inf"), max_nodes: int = 1_000_000,
                 clock: Clock = time.monotonic) -> None:
        super().__init__()
        self.m = m
        self.deadline = deadline if callable(deadline) else lambda: deadline
        self.clock = clock
        self.max_nodes = max_nodes
        self.may_stop: Callable[[], bool] = lambda: True
        self.index = {s: a for a, s in enumerate(m.alphabet)}
        self.root = _Node(m.initial(1), False)
        self.nodes = 1
        self.here = self.root  # the node of `word`, for step()
        self.asked = 0

    def _check(self) -> None:
        # one clock read per query or step: a query costs at least one net step, which takes far longer
        if self.clock() > self.deadline() and self.may_stop():
            raise _OutOfTime  # L* filling its table past the limit (a net that is no small DFA): stop it

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
        self._check()
        if len(word) == 0:
            return [False]  # the empty input has no output; its answer is fixed and does not matter
        node, out = self.root, []
        for s in word:
            node = self._child(node, self.index[s])
            out.append(node.acc)
        return out

    def forget(self) -> None:
        """Drop the cache (L* is done with it): freeing a million prefix states takes about a second, which
        belongs inside the time limit, not after the result."""
        self.root = self.here = _Node(self.m.initial(1), False)
        self.nodes = 1
        self.may_stop = lambda: True

    def pre(self) -> None:
        self.here = self.root

    def post(self) -> None:
        self.here = self.root

    def step(self, letter: Any) -> Any:
        self._check()
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


def _first_disagreement(m: Machine, dfa: Automaton, words: np.ndarray, stop: Callable[[], bool] | None = None
                        ) -> tuple[list[int] | None, int]:
    """The shortest prefix (over all words) where net and dfa differ, or None; and the steps run: with stop
    (`Machine.run`), only the prefixes run before it said so are compared."""
    net_acc, _ = m.run(words, stop=stop)
    T = net_acc.shape[1]
    bad = net_acc != dfa_outputs(dfa, words[:, :T])[0]
    if not bad.any():
        return None, T
    rows, cols = np.nonzero(bad)
    k = int(np.argmin(cols))
    return words[rows[k], :cols[k] + 1].tolist(), T


def _chunks(words: np.ndarray) -> Iterator[np.ndarray]:
    """words (B, T) in row chunks of at most CHUNK symbols (memory; large enough that a batched step's fixed
    cost is shared by many rows)."""
    B, T = words.shape
    rows = max(1, CHUNK // max(1, T))
    for lo in range(0, B, rows):
        yield words[lo:lo + rows]


class _Scan:
    """Groups of inputs run against a DFA in chunks, each run stopped between two steps at the deadline: the
    shortest disagreeing prefix found, and how many inputs were run to their end, of how many."""

    def __init__(self) -> None:
        self.found: list[int] | None = None
        self.run = 0
        self.total = 0

    @property
    def complete(self) -> bool:
        return self.run == self.total

    def __call__(self, m: Machine, dfa: Automaton, groups: list[np.ndarray], budget: _Budget, deadline: float,
                 phase: str) -> list[int] | None:
        stop = budget.stop(deadline, phase)
        for words in groups:
            self.total += len(words)
            for part in _chunks(words):
                if stop():
                    break
                t = budget.clock()
                w, steps = _first_disagreement(m, dfa, part, stop)
                budget.ran(len(part) * steps, budget.clock() - t)
                if steps == part.shape[1]:
                    self.run += len(part)
                if w is not None and (self.found is None or len(w) < len(self.found)):
                    self.found = w
        return self.found


class _ProvingOracle(Oracle):
    """Equivalence queries: batched testing, then the proof (module docstring)."""

    def __init__(self, m: Machine, config: ExtractConfig, budget: _Budget) -> None:
        super().__init__(list(m.alphabet), None)  # type: ignore[arg-type]
        self.m, self.config, self.budget = m, config, budget
        self.A = len(m.alphabet)
        self.N = exhaustive_len(self.A)
        self.rng = np.random.default_rng([config.seed, 2])
        self.exhaustive = [all_words(self.A, self.N)]  # its prefixes are every shorter input
        self.rounds = 0
        self.certificate: Certificate | None = None
        self.wrong: list[int] | None = None
        self.agrees_up_to = 0  # of the latest hypothesis: every input up to this length was run and agrees
        self.reason = ""
        self.last: Automaton | None = None  # the latest hypothesis
        self.failure: Failure | None = None  # the latest hypothesis's failed proof, and the states it started from
        self.points: dict[int, np.ndarray] | None = None

    def _random(self, n: int, max_len: int) -> list[np.ndarray]:
        """n random inputs of length max_len, half uniform and half runs (`words`); each prefix is tested too,
        so every length 1..max_len is."""
        return [random_words(self.rng, n, max_len, self.A)]

    def find_cex(self, hypothesis: Any) -> tuple | None:
        self.rounds += 1
        dfa = minimal(_to_automaton(hypothesis, self.m.alphabet))
        self.last = dfa
        self.certificate, self.wrong, self.agrees_up_to = None, None, 0
        self.failure, self.points = None, None
        b, end = self.budget, self.budget.learn_end
        found_in = "testing"
        with b.phase("testing"):
            scan = _Scan()
            cex = scan(self.m, dfa, self.exhaustive, b, end, "testing")
            if scan.complete:
                self.agrees_up_to = self.N if cex is None else len(cex) - 1
            if cex is None and not b.expired(end, "testing"):
                cex = _Scan()(self.m, dfa, self._random(self.config.random_words, self.config.random_max_len),
                              b, end, "testing")
        if cex is None and not self.m.provable:
            self.reason = NO_PROOF
        elif cex is None and not b.expired(end, "testing"):
            with b.phase("proof"):
                points = self._points(dfa, end)
                out = search(self.m, dfa, points, end, clock=b.clock) if points is not None else \
                    Failure(dfa.start, OUT_OF_TIME, "time")
            if isinstance(out, Certificate):
                self.certificate = out
                return None
            self.reason = out.reason
            self.failure, self.points = out, points
            if not b.expired(end, "proof"):
                found_in = "hunt"
                with b.phase("hunt"):
                    cex = self._hunt(dfa, out)
        if cex is None:
            return None
        self.wrong = cex
        if b.expired(end, found_in):
            return None  # out of time with a counterexample in hand: L* stops here
        return tuple(self.m.alphabet[a] for a in cex)

    def _points(self, dfa: Automaton, deadline: float) -> dict[int, np.ndarray] | None:
        """Visited net states labelled with the DFA state, from the exhaustive and some random inputs; None
        when the time ran out before any were run."""
        groups = self.exhaustive + self._random(200, 3 * self.N)
        pts: dict[int, list[np.ndarray]] = {}
        stop = self.budget.stop(deadline, "proof")
        for g in groups:
            for part in _chunks(g):
                _, S = self.m.run(part, keep_states=True, stop=stop)
                assert S is not None
                _, q = dfa_outputs(dfa, part[:, :S.shape[1]])
                for s in np.unique(q):
                    pts.setdefault(int(s), []).append(S[q == s])
        if self.budget.expired(deadline, "proof"):
            return None
        return {s: np.concatenate(v) for s, v in pts.items()}

    def _hunt(self, dfa: Automaton, failure: Failure) -> list[int] | None:
        """A disagreeing input near the failure: inputs reaching its state, then random continuations (half of
        them runs)."""
        b, end = self.budget, self.budget.learn_end
        _, q = dfa_outputs(dfa, self.exhaustive[-1])
        heads = [self.exhaustive[-1][i, :t + 1] for i, t in zip(*np.nonzero(q == failure.state), strict=True)][:256]
        if not heads:
            heads = [np.zeros(0, dtype=np.int64)]
        tail = 4 * self.config.random_max_len
        scan = _Scan()
        while not b.expired(end, "hunt"):
            picks = self.rng.integers(0, len(heads), size=256)
            L = int(self.rng.integers(1, tail + 1))
            groups = []
            for n in {len(heads[i]) for i in picks}:
                idx = [i for i in picks if len(heads[i]) == n]
                groups.append(np.concatenate([np.stack([heads[i] for i in idx]),
                                              random_words(self.rng, len(idx), L, self.A)], axis=1))
            cex = scan(self.m, dfa, groups, b, end, "hunt")
            if cex is not None:
                return cex
            if b.clock() > end - 0.5 * self.config.time_limit:
                break  # the hunt has had half the limit: give up, the failure stands
        return None


def extract(net: Net | LearnedNet | TorchNet, config: ExtractConfig = ExtractConfig(), target: Automaton | None = None,
            clock: Clock = time.monotonic) -> ExtractResult:
    """Learn, test and prove (module docstring) within config.time_limit seconds on clock; with a target, also
    decide whether the net implements it."""
    threads = torch.get_num_threads()
    torch.set_num_threads(config.threads)
    try:
        return _extract(net, config, target, clock)
    finally:
        torch.set_num_threads(threads)


def _extract(net: Net | LearnedNet | TorchNet, config: ExtractConfig, target: Automaton | None, clock: Clock
             ) -> ExtractResult:
    budget = _Budget(clock, config.time_limit)
    m = Machine(net)
    if target is not None and list(target.alphabet) != list(m.alphabet):
        raise ValueError(f"alphabet mismatch: the net reads {list(m.alphabet)}, the spec {list(target.alphabet)}")
    oracle = _ProvingOracle(m, config, budget)
    sul = _NetSUL(m, lambda: budget.learn_end, clock=clock)
    sul.may_stop = lambda: oracle.last is not None
    if target is not None:  # L* and the proof leave the final check its time (`_Budget.learn_end`)
        budget.final_symbols = (oracle.exhaustive[0].size + config.random_words * config.random_max_len
                                + LONG_WORDS * LONG_LEN)
    A = len(m.alphabet)
    with budget.phase("setup"):
        k = max(1, min(exhaustive_len(A, 2048), 10))
        words = all_words(A, k)
        acc, _ = m.run(words)
    budget.ran(words.size, budget.spent["setup"])
    samples = [(tuple(m.alphabet[a] for a in w), [bool(b) for b in row]) for w, row in zip(words, acc, strict=True)]
    try:
        hyp = run_Lstar(list(m.alphabet), sul, oracle, "dfa", samples=samples, print_level=0,
                        cache_and_non_det_check=True)
        dfa = minimal(_to_automaton(hyp, m.alphabet))
    except _OutOfTime:  # the last hypothesis asked about stands, with its counterexample if it had one
        assert oracle.last is not None
        dfa = oracle.last
        if "queries" not in budget.cut:
            budget.cut.append("queries")
    sul.forget()
    oracle.sul = None  # AALpy's cache of every query, around sul
    cert = oracle.certificate if oracle.certificate is not None and oracle.certificate.dfa == dfa else None
    wrong = oracle.wrong if cert is None and oracle.last == dfa else None
    agrees = oracle.agrees_up_to if oracle.last == dfa else 0
    implements: bool | None = None
    net_wrong: list[int] | None = None
    extra: dict[str, Any] = {}
    if target is not None:
        with budget.phase("final"):
            implements, net_wrong, extra = _against(m, dfa, cert is not None, target, oracle, budget)
    status = decide(cert is not None, wrong is not None, target is not None, implements)
    diagnosis = None
    if cert is None and wrong is None and oracle.failure is not None and oracle.last == dfa:
        # autograd on the net's step, while the limit allows: it stops 3% of the limit early, as a measurement
        # under way finishes its Jacobian and the process still has to print and exit
        quit_at = budget.end - DIAGNOSIS_RESERVE * config.time_limit
        with budget.phase("proof"):
            diagnosis = diagnose(m, dfa, oracle.failure, oracle.points, config.seed, "proof" in budget.cut,
                                 stop=lambda: clock() >= quit_at)
    seconds = clock() - budget.t0
    # L*'s own share: its membership queries and table, and the little bookkeeping outside every other phase
    budget.spent["queries"] = seconds - sum(v for p, v in budget.spent.items() if p != "queries")
    return ExtractResult(status, dfa, cert, wrong, agrees, seconds, oracle.rounds,
                         _reason(status, cert is not None, wrong, budget.cut, oracle.reason, extra), sul.asked,
                         implements, net_wrong, extra, dict(budget.spent), config.time_limit, tuple(budget.cut),
                         diagnosis)


def _reason(status: str, certified: bool, wrong: list[int] | None, cut: list[str], failure: str,
            extra: dict[str, Any]) -> str:
    """One line: why the outcome is not certified."""
    if status == "certified":
        return ""
    if status == "wrong":
        return "the net's output is wrong on an input (checked by running it)" + (
            "; the net is proved equal to its DFA, which differs from the target" if certified else "")
    why = []
    if cut:
        where = [PHASES[p] + (f" ({extra['final_inputs_run']:,} of {extra['final_inputs']:,} inputs run)"
                              if p == "final" else "") for p in cut]
        why.append(f"the time limit was reached during the {' and then the '.join(where)}")
    if wrong is not None:
        why.append("the net and the DFA differ on an input found too late for L* to use")
    elif failure and not certified and failure != OUT_OF_TIME:
        why.append(f"no proof: {failure}")
    return "; ".join(why) or "no proof, and no input where the net and the DFA differ"


def _against(m: Machine, dfa: Automaton, certified: bool, target: Automaton, oracle: _ProvingOracle,
             budget: _Budget) -> tuple[bool | None, list[int] | None, dict[str, Any]]:
    """Does the net implement target? The extracted DFA is compared exactly (product construction); any input
    offered as proof that the net is wrong is checked by running the net. The final check runs the net on
    every input up to length N, random ones, and long ones, until the limit's end."""
    target = minimal(target)
    diff = shortest_difference(dfa, target)
    extra: dict[str, Any] = {"dfa_equals_target": diff is None}
    if diff is None and certified:
        return True, None, extra
    wrong = diff if diff is not None and _net_wrong(m, target, diff) else None
    extra["wrong_input_from"] = "difference" if wrong is not None else None  # or "final check", below
    scan = _Scan()
    if wrong is None:  # the DFA may be wrong where the net is right (no proof): test the net itself
        groups = oracle.exhaustive + oracle._random(oracle.config.random_words, oracle.config.random_max_len)
        wrong = scan(m, target, groups, budget, budget.end, "final")
    if wrong is None:  # errors that only long inputs show (a net that drifts): a batch of long inputs
        wrong = scan(m, target, oracle._random(LONG_WORDS, LONG_LEN), budget, budget.end, "final")
    extra.update(final_inputs_run=scan.run, final_inputs=scan.total)
    if wrong is not None and extra["wrong_input_from"] is None:
        extra["wrong_input_from"] = "final check"
    return (False if wrong is not None else None), wrong, extra


def _net_wrong(m: Machine, target: Automaton, word: list[int]) -> bool:
    acc, _ = m.run(np.array([word], dtype=np.int64))
    want, _ = dfa_outputs(target, np.array([word], dtype=np.int64))
    return bool(acc[0, -1] != want[0, -1])
