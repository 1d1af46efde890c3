"""Symbols and how a word of them is written (SPEC S11, continued): the one definition every command uses.

A symbol is any name without whitespace or commas that does not start with `#` (a comment line in an
inputs file); an alphabet lists distinct symbols. A word is written with its symbols separated by spaces,
which is always accepted:

    a b c        12 3 7        0 1 1

and, when every symbol of the alphabet is one character ("compact"), also without them: `0110`, `abca`.
`format_word` writes the short form where there is one, so what rnnlab prints it also reads back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

__all__ = ["check_symbol", "check_symbols", "compact", "format_word", "parse_word", "symbol_index"]


def check_symbol(s: object, where: str = "symbol") -> str:
    """s itself when it is a valid symbol name; else ValueError saying what is wrong, naming `where`."""
    if not isinstance(s, str) or not s:
        raise ValueError(f"{where} is {s!r}: a symbol is a non-empty string")
    if any(c.isspace() for c in s):
        raise ValueError(f"{where} is {s!r}: a symbol holds no whitespace (words are written 'a b c')")
    if "," in s:
        raise ValueError(f"{where} is {s!r}: a symbol holds no comma (',' separates x1,x2 in inputs files)")
    if s.startswith("#"):
        raise ValueError(f"{where} is {s!r}: a symbol does not start with '#' (a comment in inputs files)")
    return s


def check_symbols(symbols: Sequence[object], where: str = "alphabet") -> tuple[str, ...]:
    """The alphabet as a tuple when it is non-empty with valid, distinct names; else one ValueError naming
    the first bad symbol by its position `where[i]`."""
    if not symbols:
        raise ValueError(f"{where} must be a non-empty list of symbols")
    seen: dict[str, int] = {}
    for i, s in enumerate(symbols):
        name = check_symbol(s, f"{where}[{i}]")
        if name in seen:
            raise ValueError(f"{where}[{i}] is {name!r}, as is {where}[{seen[name]}]: symbols must be distinct")
        seen[name] = i
    return tuple(seen)


def compact(alphabet: Sequence[str]) -> bool:
    """Whether every symbol is one character, so that words may also be written without spaces."""
    return all(len(s) == 1 for s in alphabet)


def symbol_index(alphabet: Sequence[str]) -> dict[str, int]:
    """symbol -> its index in the alphabet."""
    return {s: a for a, s in enumerate(alphabet)}


def parse_word(text: str, alphabet: Sequence[str], index: Mapping[str, int] | None = None) -> list[int]:
    """The symbol indices of a written word (module docstring). A symbol outside the alphabet raises one-line
    ValueError naming it and its position (1 = the first symbol). Empty text is the empty word."""
    index = symbol_index(alphabet) if index is None else index
    symbols = list("".join(text.split())) if compact(alphabet) else text.split()
    out = []
    for t, s in enumerate(symbols):
        a = index.get(s)
        if a is None:
            shown = " ".join(alphabet) if len(alphabet) <= 16 else " ".join(alphabet[:16]) + \
                f" ... ({len(alphabet)} in all)"
            raise ValueError(f"symbol {s!r} at position {t + 1} is not in the alphabet {shown}")
        out.append(a)
    return out


def format_word(word: Sequence[int], alphabet: Sequence[str]) -> str:
    """A word (symbol indices) as written: symbols end to end for a compact alphabet, else separated by spaces."""
    return ("" if compact(alphabet) else " ").join(alphabet[a] for a in word)
