"""Spec files: any symbol names, Moore machines ("labels") and the rule of exactly one output key."""

from __future__ import annotations

import itertools
import json
import random
import re
from typing import Any

import pytest

from rnnlab.exact.automaton import Automaton
from rnnlab.extract.dfa import minimal, shortest_difference


def moore(n_states: int, alphabet: list[str], labels: list[str], seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    states = [f"q{i}" for i in range(n_states)]
    return {"alphabet": alphabet, "states": states, "start": "q0",
            "labels": {q: rng.choice(labels) for q in states},
            "transitions": {q: {a: rng.choice(states) for a in alphabet} for q in states}}


def walk(data: dict[str, Any], word: list[str]) -> list[str]:
    """The labels after every prefix, read straight off the JSON (the brute-force oracle)."""
    q, out = data["start"], []
    for a in word:
        q = data["transitions"][q][a]
        out.append(data["labels"][q])
    return out


@pytest.mark.parametrize("seed", range(5))
def test_moore_outputs_match_a_walk_of_the_json(seed: int) -> None:
    alphabet = ["a", "b", "c"] if seed % 2 else [f"s{i}" for i in range(64)]
    data = moore(6, alphabet, ["red", "green", "blue"], seed)
    m = Automaton.from_dict(data)
    assert m.moore and set(m.classes) <= {"red", "green", "blue"}
    rng = random.Random(seed)
    for _ in range(50):
        word = [rng.choice(alphabet) for _ in range(rng.randrange(1, 20))]
        idx = [alphabet.index(a) for a in word]
        assert m.output_labels(idx) == walk(data, word)
    assert Automaton.from_dict(m.to_dict()) == m


@pytest.mark.parametrize("seed", range(5))
def test_moore_minimisation_keeps_every_output_and_difference_finds_the_shortest(seed: int) -> None:
    data = moore(7, ["a", "b", "c"], ["x", "y", "z"], seed)
    m = Automaton.from_dict(data)
    small = minimal(m)
    assert small.moore and len(small.states) <= len(m.states)
    assert shortest_difference(m, small) is None
    for n in range(1, 6):
        for w in itertools.product(range(3), repeat=n):
            assert m.output_labels(list(w)) == small.output_labels(list(w))
    other = Automaton.from_dict(moore(7, ["a", "b", "c"], ["x", "y", "z"], seed + 100))
    d = shortest_difference(m, other)
    brute = next((list(w) for n in range(1, 8) for w in itertools.product(range(3), repeat=n)
                  if m.output_labels(list(w))[-1] != other.output_labels(list(w))[-1]), None)
    assert (d is None) == (brute is None) and (d is None or len(d) == len(brute))  # type: ignore[arg-type]


BASE = {"alphabet": ["a", "b"], "states": ["p", "q"], "start": "p",
        "transitions": {"p": {"a": "q", "b": "p"}, "q": {"a": "p", "b": "q"}}}


@pytest.mark.parametrize("extra, message", [
    ({"accept": ["p"], "labels": {"p": "x", "q": "y"}}, "has 'accept' and 'labels': a spec holds exactly one of"),
    ({"labels": {"p": "x", "q": "y"}, "outputs": {}}, "has 'labels' and 'outputs'"),
    ({}, "is missing 'accept'"),
    ({"labels": {"p": "x"}}, "labels: no label for state 'q'"),
    ({"labels": {"p": "x", "q": "y", "r": "z"}}, "labels.r: unknown state 'r'"),
    ({"labels": {"p": "x", "q": "two words"}}, "labels.q is 'two words': a label is a non-empty string"),
    ({"labels": {"p": "x", "q": 3}}, "labels.q"),
])
def test_the_one_of_rule_and_bad_labels_are_one_line(extra: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)) as e:
        Automaton.from_dict(BASE | extra)
    assert "\n" not in str(e.value)


@pytest.mark.parametrize("alphabet, message", [
    (["a", "b b"], "alphabet[1] is 'b b': a symbol holds no whitespace"),
    (["a", "b,"], "alphabet[1] is 'b,': a symbol holds no comma"),
    (["#a", "b"], "alphabet[0] is '#a': a symbol does not start with '#'"),
])
def test_spec_symbols_are_checked(alphabet: list[str], message: str) -> None:
    data = json.loads(json.dumps(BASE | {"accept": ["p"]}).replace('"a"', json.dumps(alphabet[0]))
                      .replace('"b"', json.dumps(alphabet[1])))
    with pytest.raises(ValueError, match=re.escape(message)):
        Automaton.from_dict(data)


def test_any_names_and_a_zero_one_moore_machine_as_a_dfa() -> None:
    names = [f"s{i}" for i in range(64)]
    dfa = Automaton.from_dict({"alphabet": names, "states": ["e"], "start": "e", "accept": ["e"],
                               "transitions": {"e": {a: "e" for a in names}}})
    assert not dfa.bits and dfa.outputs([0, 63]) == [1, 1]
    with pytest.raises(ValueError, match="not made of bit strings"):
        _ = dfa.n_inputs
    m = Automaton.from_dict(BASE | {"labels": {"p": "1", "q": "0"}})
    d = m.require_dfa("x")
    assert not d.moore and d.outputs([0, 0, 1]) == m.outputs([0, 0, 1]) == [0, 1, 1]
    with pytest.raises(ValueError, match="not a Moore machine"):
        Automaton.from_dict(BASE | {"labels": {"p": "x", "q": "y"}}).require_dfa("compile")
