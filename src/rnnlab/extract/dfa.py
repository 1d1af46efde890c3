"""DFAs on non-empty inputs: minimisation and exact comparison by product construction (SPEC S11).

A net has no output for the empty input, so two DFAs are the same language when they agree on every
non-empty input; the start state's own accept bit is then free, and `minimal` picks whichever gives fewer
states. Moore machines (state labels) are minimised and compared the same way, by label.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from rnnlab.exact.automaton import Automaton
from rnnlab.exact.compiler import reachable_states

__all__ = ["minimal", "shortest_difference", "state_of"]


def _moore(dfa: Automaton, start_class: int) -> Automaton:
    """The minimal machine (Moore's partition refinement) with the start state's output (an index in
    dfa.classes) set as given; states named q0, q1, ... in breadth-first order from the start."""
    states = reachable_states(dfa)
    acc = {q: dfa.out[q] if q != dfa.start else start_class for q in states}
    block = {q: acc[q] for q in states}
    while True:
        sig = {q: (block[q], tuple(block[r] for r in dfa.delta[q])) for q in states}
        ids: dict[tuple[int, tuple[int, ...]], int] = {}
        new = {q: ids.setdefault(sig[q], len(ids)) for q in states}
        if len(ids) == len(set(block.values())):
            break
        block = new
    rep: dict[int, int] = {}
    for q in states:
        rep.setdefault(block[q], q)
    order, seen = [block[dfa.start]], {block[dfa.start]}
    for b in order:
        for r in dfa.delta[rep[b]]:
            if block[r] not in seen:
                seen.add(block[r])
                order.append(block[r])
    name = {b: f"q{i}" for i, b in enumerate(order)}
    outputs: dict[str, Any] = {"labels": {name[b]: dfa.classes[acc[rep[b]]] for b in order}} if dfa.moore else \
        {"accept": [name[b] for b in order if acc[rep[b]]]}
    return Automaton.from_dict({
        "alphabet": list(dfa.alphabet), "states": [name[b] for b in order], "start": name[order[0]], **outputs,
        "transitions": {name[b]: {s: name[block[dfa.delta[rep[b]][a]]] for a, s in enumerate(dfa.alphabet)}
                        for b in order},
    })


def _fresh_start(dfa: Automaton) -> Automaton:
    """dfa with a new start state that is never re-entered, so that its accept bit is free."""
    names = list(dfa.states)
    init = "init"
    while init in names:
        init += "'"
    d = dfa.to_dict()
    d["states"] = [init] + names
    d["transitions"][init] = dict(d["transitions"][names[dfa.start]])
    d["start"] = init
    if "labels" in d:  # any label: _moore sets the start's output
        d["labels"][init] = d["labels"][names[dfa.start]]
    return Automaton.from_dict(d)


def minimal(dfa: Automaton) -> Automaton:
    """The minimal DFA (or Moore machine) of dfa's outputs on non-empty inputs (fewest states; on a tie, the start
    rejecting, or with the first label)."""
    fresh = _fresh_start(dfa)
    return min((_moore(fresh, c) for c in range(len(dfa.classes))), key=lambda m: len(m.states))


def state_of(dfa: Automaton, word: list[int]) -> int:
    q = dfa.start
    for a in word:
        q = dfa.delta[q][a]
    return q


def shortest_difference(a: Automaton, b: Automaton) -> list[int] | None:
    """The shortest non-empty input (symbol indices) on which a and b give different outputs, or None when
    they are the same language on non-empty inputs. Breadth-first search of the product automaton."""
    if list(a.alphabet) != list(b.alphabet):
        raise ValueError(f"alphabets differ: {list(a.alphabet)} and {list(b.alphabet)}")
    la, lb = [a.classes[c] for c in a.out], [b.classes[c] for c in b.out]  # each state's output label
    start = (a.start, b.start)
    parent: dict[tuple[int, int], tuple[tuple[int, int], int] | None] = {start: None}
    queue = deque([start])
    while queue:
        p, q = queue.popleft()
        for s in range(len(a.alphabet)):
            nxt = (a.delta[p][s], b.delta[q][s])
            if la[nxt[0]] != lb[nxt[1]]:
                word, cur = [s], (p, q)
                while parent[cur] is not None:
                    prev, sym = parent[cur]  # type: ignore[misc]
                    word.append(sym)
                    cur = prev
                return word[::-1]
            if nxt not in parent:
                parent[nxt] = ((p, q), s)
                queue.append(nxt)
    return None
