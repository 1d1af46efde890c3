"""The languages `rnnlab learn` knows by name: the seven Tomita grammars and the sheet's two (SPEC S11).

Tomita 3 follows Weiss et al. 2018 and AALpy: no odd-length run of 1s followed, anywhere later, by an
odd-length run of 0s (both runs complete: a run ends at a symbol change or the end of the input).
"""

from __future__ import annotations

from rnnlab.exact.automaton import Automaton
from rnnlab.exact.sheet import ALL_ONES, EQUAL_SO_FAR


def _dfa(states: str, accept: str, rows: dict[str, tuple[str, str]], alphabet: tuple[str, ...] = ("0", "1")
         ) -> Automaton:
    """A binary DFA from one-letter state names; the first state starts."""
    names = [q for q in states]
    return Automaton.from_dict({
        "alphabet": list(alphabet), "states": names, "start": names[0], "accept": [q for q in accept],
        "transitions": {q: dict(zip(alphabet, rows[q], strict=True)) for q in names},
    })


TOMITA: dict[str, Automaton] = {
    # 1: 1*
    "tomita1": _dfa("ad", "a", {"a": ("d", "a"), "d": ("d", "d")}),
    # 2: (10)*
    "tomita2": _dfa("abd", "a", {"a": ("d", "b"), "b": ("a", "d"), "d": ("d", "d")}),
    # 3: a/b clean with the current 1-run even/odd; c/d an odd 1-run is behind and the current 0-run is odd/even;
    #    e: flagged, in a 1-run after an even 0-run
    "tomita3": _dfa("abcdex", "abde", {"a": ("a", "b"), "b": ("c", "a"), "c": ("d", "x"), "d": ("c", "e"),
                                       "e": ("c", "e"), "x": ("x", "x")}),
    # 4: no 000 (state = trailing zeros)
    "tomita4": _dfa("abcd", "abc", {"a": ("b", "a"), "b": ("c", "a"), "c": ("d", "a"), "d": ("d", "d")}),
    # 5: even number of 0s and of 1s (state = the two parities)
    "tomita5": _dfa("abcd", "a", {"a": ("b", "c"), "b": ("a", "d"), "c": ("d", "a"), "d": ("c", "b")}),
    # 6: (#0 - #1) divisible by 3
    "tomita6": _dfa("abc", "a", {"a": ("b", "c"), "b": ("c", "a"), "c": ("a", "b")}),
    # 7: 0*1*0*1*
    "tomita7": _dfa("abcdx", "abcd", {"a": ("a", "b"), "b": ("c", "b"), "c": ("c", "d"), "d": ("x", "d"),
                                      "x": ("x", "x")}),
}

BUILTIN: dict[str, Automaton] = {**TOMITA, "all-ones": ALL_ONES, "equality": EQUAL_SO_FAR}


def load_language(name_or_path: str) -> Automaton:
    """A built-in language by name, or a spec file (S9 JSON); anything else raises ValueError naming both."""
    if name_or_path in BUILTIN:
        return BUILTIN[name_or_path]
    if name_or_path.endswith(".json"):
        return Automaton.load(name_or_path)
    raise ValueError(f"unknown language {name_or_path!r}: give a spec file (.json) or one of {', '.join(BUILTIN)}")
