"""Specification automata (SPEC S9): a DFA read from a small JSON file.

    {"alphabet": ["0", "1"], "states": ["q0", "q1"], "start": "q0", "accept": ["q0"],
     "transitions": {"q0": {"0": "q1", "1": "q0"}, "q1": {"0": "q1", "1": "q1"}}}

The machine's output at step t is 1 iff the state after reading x_1..x_t is accepting. A symbol is any
name (`rnnlab.symbols`: no whitespace or comma, not starting with #); a net with binary inputs reads symbols
that are strings of bits, one per input sequence: "0"/"1" for one sequence, "00".."11" for two ("x1x2").
A Mealy machine, which emits a bit on every transition, is written with "outputs" in place of "accept":
{..., "outputs": {"q0": {"0": 0, "1": 1}, ...}}; it is read as the equivalent DFA (module `from_dict`).
A Moore machine gives every state a label, "labels": {"q0": "even", "q1": "odd"}, in place of "accept": its
output after x_1..x_t is the label of the state reached (SPEC S11, continued). A spec holds exactly one of
"accept", "labels" and "outputs".
"""

from __future__ import annotations

import difflib
import json
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from rnnlab.fields import Field, FieldError
from rnnlab.symbols import check_symbols

T = TypeVar("T")

# The one table of a spec file's keys: the parser checks against it and its error messages list it.
REQUIRED_KEYS = ("alphabet", "states", "start", "transitions")
OUTPUT_KEYS = ("accept", "labels", "outputs")  # exactly one: a DFA, a Moore machine, a Mealy machine
OPTIONAL_KEYS = ("name", "description")
VALID_KEYS = (*REQUIRED_KEYS[:3], "accept", REQUIRED_KEYS[3], *OPTIONAL_KEYS, "outputs", "labels")
DFA_CLASSES = ("0", "1")  # a DFA's outputs as labels: reject, accept


@dataclass(frozen=True)
class Automaton:
    alphabet: tuple[str, ...]  # symbols (rnnlab.symbols); bit strings of one width for nets with binary inputs
    states: tuple[str, ...]  # state names; index i is state i
    start: int  # index of the start state
    accept: frozenset[int]  # indices of accepting states (empty for a Moore machine)
    delta: tuple[tuple[int, ...], ...]  # delta[state][symbol index] = next state index
    labels: tuple[str, ...] | None = None  # a Moore machine: labels[q] is state q's output; None for a DFA

    @property
    def moore(self) -> bool:
        """Whether the outputs are state labels (a Moore machine) rather than accept/reject."""
        return self.labels is not None

    @property
    def classes(self) -> tuple[str, ...]:
        """The output labels: "0", "1" for a DFA; a Moore machine's distinct labels, sorted (so that a machine
        labelled 0/1 has the DFA's classes)."""
        return DFA_CLASSES if self.labels is None else tuple(sorted(set(self.labels)))

    @property
    def out(self) -> tuple[int, ...]:
        """out[q]: the index in `classes` of state q's output (a DFA: 1 iff q accepts)."""
        if self.labels is None:
            return tuple(int(q in self.accept) for q in range(len(self.states)))
        index = {c: i for i, c in enumerate(self.classes)}
        return tuple(index[c] for c in self.labels)

    @property
    def bits(self) -> bool:
        """Whether every symbol is a string of bits of one width, as nets with binary inputs read."""
        return len({len(s) for s in self.alphabet}) == 1 and all(set(s) <= {"0", "1"} for s in self.alphabet)

    @property
    def n_inputs(self) -> int:
        """How many binary input sequences one symbol carries (bit-string alphabets only)."""
        if not self.bits:
            raise ValueError(f"the alphabet {' '.join(self.alphabet[:10])} is not made of bit strings of one "
                             "width, which nets with binary inputs (rnnlab-net/1) read")
        return len(self.alphabet[0])

    def require_dfa(self, what: str) -> Automaton:
        """self as a DFA: a DFA itself, a Moore machine labelled with "0" and "1" only as the DFA accepting where
        the label is "1"; any other Moore machine raises ValueError saying that `what` needs accept/reject."""
        if self.labels is not None and set(self.labels) <= set(DFA_CLASSES):
            return Automaton(self.alphabet, self.states, self.start,
                             frozenset(q for q, c in enumerate(self.labels) if c == "1"), self.delta)
        if self.labels is not None:
            raise ValueError(f"{what} takes an accept/reject spec (\"accept\"), not a Moore machine (\"labels\": "
                             f"{' '.join(self.classes[:10])})")
        return self

    def symbol_bits(self, a: int) -> tuple[int, ...]:
        return tuple(int(c) for c in self.alphabet[a])

    def outputs(self, symbols: Sequence[int]) -> list[int]:
        """Output after each symbol (symbol indices), as an index in `classes`: a DFA's 1 iff the state reached
        accepts; a Moore machine's label of the state reached."""
        q, out, cls = self.start, [], self.out
        for a in symbols:
            q = self.delta[q][a]
            out.append(cls[q])
        return out

    def output_labels(self, symbols: Sequence[int]) -> list[str]:
        """outputs(symbols) as labels: "0"/"1" for a DFA, the states' labels for a Moore machine."""
        return [self.classes[c] for c in self.outputs(symbols)]

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"alphabet": list(self.alphabet), "states": list(self.states),
                               "start": self.states[self.start]}
        if self.labels is None:
            out["accept"] = [self.states[q] for q in sorted(self.accept)]
        else:
            out["labels"] = dict(zip(self.states, self.labels, strict=True))
        out["transitions"] = {
            self.states[q]: {s: self.states[self.delta[q][a]] for a, s in enumerate(self.alphabet)}
            for q in range(len(self.states))
        }
        return out

    @classmethod
    def from_dict(cls, data: Any) -> Automaton:
        """Validate and build; every problem raises ValueError naming the bad field by its path."""
        return cls.read(Field(data))

    @classmethod
    def read(cls, f: Field) -> Automaton:
        """from_dict of a spec at f.path: a spec inside another file (a net's "spec") is named by its path there."""
        data = f.object()
        given = [k for k in OUTPUT_KEYS if k in data]
        if len(given) > 1:
            raise FieldError(f"{f.path or 'a spec'} has {' and '.join(map(repr, given))}: a spec holds exactly one "
                             "of 'accept' (a DFA), 'labels' (a Moore machine) or 'outputs' (a Mealy machine)")
        if f.get("outputs") is not None:
            return cls._from_mealy(f)
        _check_keys(f)
        for key in OPTIONAL_KEYS:
            if f.get(key) is not None:
                f[key].string()
        alphabet, states = f["alphabet"].strings(), f["states"].strings()
        where_a, where_s = f["alphabet"].path or "alphabet", f["states"].path
        try:
            check_symbols(alphabet, where_a)
        except ValueError as e:
            raise FieldError(str(e)) from None
        if not states:
            raise FieldError(f"{where_s} must be a non-empty list of strings")
        if len(set(states)) != len(states):
            raise FieldError(f"{where_s} has duplicate names: {_some(states)}")
        index, symbols = {q: i for i, q in enumerate(states)}, set(alphabet)

        def state(g: Field) -> int:
            q = g.string()
            if q not in index:
                raise FieldError(f"{g.path}: unknown state {q!r}; states are {_some(states)}")
            return index[q]

        start = state(f["start"])
        labels: tuple[str, ...] | None = None
        if "labels" in data:
            given_labels = f["labels"].members()
            for q, g in given_labels.items():
                if q not in index:
                    raise FieldError(f"{g.path}: unknown state {q!r}; states are {_some(states)}")
            missing = [q for q in states if q not in given_labels]
            if missing:
                raise FieldError(f"{f['labels'].path}: no label for state {missing[0]!r}; a Moore machine labels "
                                 "every state")
            labels = tuple(_label(given_labels[q]) for q in states)
            accept: frozenset[int] = frozenset()
        else:
            accept = frozenset(state(g) for g in f["accept"].elements())
        transitions = f["transitions"].members()
        for q, g in transitions.items():
            if q not in index:
                raise FieldError(f"{g.path}: unknown state {q!r}; states are {_some(states)}")
        delta = []
        for q in states:
            if q not in transitions:
                raise FieldError(f"{f['transitions'].path}: missing transitions for state {q!r}")
            row = transitions[q].members()
            for s in row:
                if s not in symbols:
                    raise FieldError(f"symbol {s!r} in {transitions[q].path} is outside the alphabet "
                                     f"{_some(alphabet)}")
            for s in alphabet:
                if s not in row:
                    raise FieldError(f"{transitions[q].path}: missing transition from state {q!r} on symbol {s!r}")
            delta.append(tuple(state(row[s]) for s in alphabet))
        return cls(tuple(alphabet), tuple(states), start, accept, tuple(delta), labels)

    @classmethod
    def _from_mealy(cls, f: Field) -> Automaton:
        """A Mealy machine ("outputs": {state: {symbol: 0 or 1}}, the bit emitted on each transition, instead
        of "accept") as the equivalent DFA: state (q, o) = "in q, having just emitted o", accepting iff o = 1."""
        data = f.object()
        mealy = cls.read(Field({k: v for k, v in data.items() if k != "outputs"} | {"accept": []}, f.path))
        outputs = f["outputs"].members()
        for q, g in outputs.items():
            if q not in mealy.states:
                raise FieldError(f"{g.path}: unknown state {q!r}; states are {_some(mealy.states)}")
        bit: dict[tuple[str, str], int] = {}
        for q in mealy.states:
            bits = outputs[q].members() if q in outputs else {}
            if set(bits) != set(mealy.alphabet):
                raise FieldError(f"{f['outputs'][q].path} must give 0 or 1 for every symbol {list(mealy.alphabet)}")
            for a, g in bits.items():
                b = g.integer()
                if b not in (0, 1):
                    raise FieldError(f"{g.path} must be 0 or 1, got {b}")
                bit[(q, a)] = b
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


def _label(g: Field) -> str:
    """A Moore state's label: a non-empty string without whitespace (it is printed in columns and as JSON)."""
    c = g.string()
    if not c or any(ch.isspace() for ch in c):
        raise FieldError(f"{g.path} is {c!r}: a label is a non-empty string without whitespace")
    return c


def _check_keys(f: Field) -> None:
    """Refuse a DFA spec with a required key missing or a key outside VALID_KEYS, naming both (a misspelt key is
    usually both: "acept" unknown and "accept" missing)."""
    data = f.object()
    needed = REQUIRED_KEYS if any(k in data for k in OUTPUT_KEYS) else (*REQUIRED_KEYS, "accept")
    missing = [k for k in VALID_KEYS if k in needed and k not in data]
    unknown = [k for k in data if k not in VALID_KEYS]
    if not missing and not unknown:
        return
    problems = []
    for k in unknown:
        close = difflib.get_close_matches(k, VALID_KEYS, n=1)
        problems.append(f"has unknown key {k!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
    if missing:
        problems.append(f"is missing {', '.join(map(repr, missing))}")
    raise FieldError(f"{f.path or 'spec'} {' and '.join(problems)}; valid keys: {', '.join(VALID_KEYS)} "
                     "('labels' in place of 'accept' for a Moore machine, 'outputs' for a Mealy machine)")


def _some(names: Sequence[str], most: int = 10) -> str:
    """A list of names for a message, cut after `most` (a compiled spec may have 10,000 states)."""
    shown = ", ".join(map(repr, names[:most]))
    return f"[{shown}{f', ... ({len(names)} in all)' if len(names) > most else ''}]"


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
