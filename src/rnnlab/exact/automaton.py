"""Specification automata (SPEC S9): a DFA read from a small JSON file.

    {"alphabet": ["0", "1"], "states": ["q0", "q1"], "start": "q0", "accept": ["q0"],
     "transitions": {"q0": {"0": "q1", "1": "q0"}, "q1": {"0": "q1", "1": "q1"}}}

The machine's output at step t is 1 iff the state after reading x_1..x_t is accepting. A symbol is a
string of bits, one per input sequence: "0"/"1" for one sequence, "00".."11" for two ("x1x2").
A Mealy machine, which emits a bit on every transition, is written with "outputs" in place of "accept":
{..., "outputs": {"q0": {"0": 0, "1": 1}, ...}}; it is read as the equivalent DFA (module `from_dict`).
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

# The one table of a spec file's keys: the parser checks against it and its error messages list it.
REQUIRED_KEYS = ("alphabet", "states", "start", "accept", "transitions")
OPTIONAL_KEYS = ("name", "description")
VALID_KEYS = (*REQUIRED_KEYS, *OPTIONAL_KEYS, "outputs")


@dataclass(frozen=True)
class Automaton:
    alphabet: tuple[str, ...]  # symbols, each a string of n_inputs bits
    states: tuple[str, ...]  # state names; index i is state i
    start: int  # index of the start state
    accept: frozenset[int]  # indices of accepting states
    delta: tuple[tuple[int, ...], ...]  # delta[state][symbol index] = next state index

    @property
    def n_inputs(self) -> int:
        """How many binary input sequences one symbol carries."""
        return len(self.alphabet[0])

    def symbol_bits(self, a: int) -> tuple[int, ...]:
        return tuple(int(c) for c in self.alphabet[a])

    def outputs(self, symbols: Sequence[int]) -> list[int]:
        """Output after each symbol (symbol indices): 1 iff the state reached accepts."""
        q, out = self.start, []
        for a in symbols:
            q = self.delta[q][a]
            out.append(int(q in self.accept))
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "alphabet": list(self.alphabet),
            "states": list(self.states),
            "start": self.states[self.start],
            "accept": [self.states[q] for q in sorted(self.accept)],
            "transitions": {
                self.states[q]: {s: self.states[self.delta[q][a]] for a, s in enumerate(self.alphabet)}
                for q in range(len(self.states))
            },
        }

    @classmethod
    def from_dict(cls, data: Any) -> Automaton:
        """Validate and build; every problem raises ValueError naming the bad value."""
        if not isinstance(data, dict):
            raise ValueError("an automaton spec must be a JSON object")
        if "outputs" in data:
            return cls._from_mealy(data)
        required = set(REQUIRED_KEYS)
        missing, unknown = required - set(data), set(data) - set(VALID_KEYS)
        if missing:
            raise ValueError(f"spec is missing key(s) {sorted(missing)}")
        if unknown:
            raise ValueError(f"spec has unknown key(s) {sorted(unknown)}; valid keys: {', '.join(VALID_KEYS)} "
                             "('outputs' in place of 'accept' for a Mealy machine)")
        alphabet, states = data["alphabet"], data["states"]
        if not isinstance(alphabet, list) or not alphabet or not all(isinstance(s, str) for s in alphabet):
            raise ValueError("'alphabet' must be a non-empty list of strings")
        if len(set(alphabet)) != len(alphabet):
            raise ValueError(f"'alphabet' has duplicate symbols: {alphabet}")
        width = len(alphabet[0])
        for s in alphabet:
            if not s or len(s) != width or set(s) - {"0", "1"}:
                raise ValueError(
                    f"symbol {s!r}: every symbol must be a string of {width or 'n'} bits (e.g. '0' or '01')"
                )
        if not isinstance(states, list) or not states or not all(isinstance(q, str) for q in states):
            raise ValueError("'states' must be a non-empty list of strings")
        if len(set(states)) != len(states):
            raise ValueError(f"'states' has duplicate names: {states}")
        index = {q: i for i, q in enumerate(states)}

        def state(q: Any, where: str) -> int:
            if q not in index:
                raise ValueError(f"unknown state {q!r} in {where}; states are {states}")
            return index[q]

        start = state(data["start"], "'start'")
        if not isinstance(data["accept"], list):
            raise ValueError("'accept' must be a list of states")
        accept = frozenset(state(q, "'accept'") for q in data["accept"])
        transitions = data["transitions"]
        if not isinstance(transitions, dict):
            raise ValueError("'transitions' must be an object: state -> {symbol: state}")
        for q in transitions:
            state(q, "'transitions'")
        delta = []
        for q in states:
            row = transitions.get(q)
            if not isinstance(row, dict):
                raise ValueError(f"missing transitions for state {q!r}")
            for s in row:
                if s not in alphabet:
                    raise ValueError(f"symbol {s!r} in transitions of {q!r} is outside the alphabet {alphabet}")
            for s in alphabet:
                if s not in row:
                    raise ValueError(f"missing transition from state {q!r} on symbol {s!r}")
            delta.append(tuple(state(row[s], f"transitions[{q!r}][{s!r}]") for s in alphabet))
        return cls(tuple(alphabet), tuple(states), start, accept, tuple(delta))

    @classmethod
    def _from_mealy(cls, data: dict[str, Any]) -> Automaton:
        """A Mealy machine ("outputs": {state: {symbol: 0 or 1}}, the bit emitted on each transition, instead
        of "accept") as the equivalent DFA: state (q, o) = "in q, having just emitted o", accepting iff o = 1."""
        if "accept" in data:
            raise ValueError("a spec has either 'accept' (a DFA) or 'outputs' (a Mealy machine), not both")
        mealy = cls.from_dict({k: v for k, v in data.items() if k != "outputs"} | {"accept": []})
        outputs = data["outputs"]
        if not isinstance(outputs, dict):
            raise ValueError("'outputs' must be an object: state -> {symbol: 0 or 1}")
        for q in outputs:
            if q not in mealy.states:
                raise ValueError(f"unknown state {q!r} in 'outputs'; states are {list(mealy.states)}")
        bit: dict[tuple[str, str], int] = {}
        for q in mealy.states:
            row = outputs.get(q)
            if not isinstance(row, dict) or set(row) != set(mealy.alphabet) or set(row.values()) - {0, 1}:
                raise ValueError(f"'outputs' of state {q!r} must give 0 or 1 for every symbol {list(mealy.alphabet)}")
            bit.update(((q, a), int(v)) for a, v in row.items())
        name = {(q, o): f"{q}/{o}" for q in mealy.states for o in (0, 1)}
        return cls.from_dict({
            "alphabet": list(mealy.alphabet),
            "states": list(name.values()),
            "start": name[(mealy.states[mealy.start], 0)],  # no bit is emitted before the first symbol
            "accept": [name[(q, 1)] for q in mealy.states],
            "transitions": {name[(q, o)]: {a: name[(mealy.states[mealy.delta[i][k]], bit[(q, a)])]
                                           for k, a in enumerate(mealy.alphabet)}
                            for i, q in enumerate(mealy.states) for o in (0, 1)},
        })

    @classmethod
    def load(cls, path: str | Path) -> Automaton:
        """Read a spec file; a missing or malformed file raises ValueError naming it."""
        return load_json(path, "spec", cls.from_dict)


def load_json(path: str | Path, what: str, parse: Callable[[Any], T]) -> T:
    """parse(the JSON in path); an unreadable file, bad JSON or a parse error is one ValueError naming the file."""
    try:
        data = json.loads(Path(path).read_text())
    except OSError as e:
        raise ValueError(f"cannot read {what} file {str(path)!r}: {e.strerror}") from None
    except json.JSONDecodeError as e:
        raise ValueError(f"{what} file {str(path)!r} is not valid JSON: {e.msg} at line {e.lineno}") from None
    except UnicodeDecodeError:
        raise ValueError(f"{what} file {str(path)!r} is not UTF-8 text") from None
    try:
        return parse(data)
    except ValueError as e:
        raise ValueError(f"{what} file {str(path)!r}: {e}") from None


def random_dfa(n_states: int, alphabet: Sequence[str], seed: int, accept_prob: float = 0.5) -> Automaton:
    """A DFA with uniformly random transitions and accepting states; start state 0 (seeded, for tests and benchmarks).

    States are named q0..q{n-1}; each state accepts with probability accept_prob.
    """
    if n_states < 1:
        raise ValueError(f"a DFA needs at least one state, got n_states={n_states}")
    rng = random.Random(seed)
    states = [f"q{i}" for i in range(n_states)]
    return Automaton.from_dict({
        "alphabet": list(alphabet),
        "states": states,
        "start": states[0],
        "accept": [q for q in states if rng.random() < accept_prob],
        "transitions": {q: {a: states[rng.randrange(n_states)] for a in alphabet} for q in states},
    })
