"""The word syntax (rnnlab.symbols): format then parse is the identity, bad symbols are named with their place."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rnnlab.symbols import check_symbols, compact, format_word, parse_word

NAME = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zs", "Zl", "Zp"), blacklist_characters=",#"),
               min_size=1, max_size=4).filter(lambda s: not any(c.isspace() for c in s))


@st.composite
def alphabet_and_word(draw: st.DrawFn, one_char: bool = False) -> tuple[tuple[str, ...], list[int]]:
    names = st.characters(blacklist_categories=("Cs", "Cc", "Zs", "Zl", "Zp"), blacklist_characters=",#") \
        .filter(lambda c: not c.isspace()) if one_char else NAME
    alphabet = tuple(draw(st.lists(names, min_size=1, max_size=64, unique=True)))
    word = draw(st.lists(st.integers(0, len(alphabet) - 1), max_size=30))
    return alphabet, word


@given(alphabet_and_word())
def test_format_then_parse_is_the_identity(case: tuple[tuple[str, ...], list[int]]) -> None:
    alphabet, word = case
    check_symbols(alphabet)
    assert parse_word(format_word(word, alphabet), alphabet) == word
    assert parse_word(" ".join(alphabet[a] for a in word), alphabet) == word  # spaces: always accepted


@given(alphabet_and_word(one_char=True))
def test_one_character_alphabets_read_with_and_without_spaces(case: tuple[tuple[str, ...], list[int]]) -> None:
    alphabet, word = case
    assert compact(alphabet)
    text = format_word(word, alphabet)
    assert text == "".join(alphabet[a] for a in word)
    assert parse_word(text, alphabet) == word
    assert parse_word("  ".join(alphabet[a] for a in word), alphabet) == word


def test_long_names_are_written_with_spaces() -> None:
    alphabet = tuple(f"s{i}" for i in range(64))
    assert format_word([0, 63, 12], alphabet) == "s0 s63 s12"
    assert parse_word(" s0   s63\ts12 ", alphabet) == [0, 63, 12]
    assert parse_word("12 3 7", ("3", "7", "12")) == [2, 0, 1]


@pytest.mark.parametrize("text, alphabet, message", [
    ("a b x c", ("a", "b", "c"), "symbol 'x' at position 3 is not in the alphabet a b c"),
    ("abxc", ("a", "b", "c"), "symbol 'x' at position 3"),
    ("s0 s64", tuple(f"s{i}" for i in range(64)), "symbol 's64' at position 2 is not in the alphabet s0 s1"),
])
def test_a_bad_symbol_is_named_with_its_position(text: str, alphabet: tuple[str, ...], message: str) -> None:
    with pytest.raises(ValueError, match="^" + message) as e:
        parse_word(text, alphabet)
    assert "\n" not in str(e.value)


@pytest.mark.parametrize("alphabet, message", [
    (["a", "b c"], r"alphabet\[1\] is 'b c': a symbol holds no whitespace"),
    (["a", "b,c"], r"alphabet\[1\] is 'b,c': a symbol holds no comma"),
    (["#a"], r"alphabet\[0\] is '#a': a symbol does not start with '#'"),
    (["a", "", "b"], r"alphabet\[1\] is '': a symbol is a non-empty string"),
    (["a", "b", "a"], r"alphabet\[2\] is 'a', as is alphabet\[0\]: symbols must be distinct"),
    ([], "non-empty"),
])
def test_bad_alphabets_are_refused(alphabet: list[str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        check_symbols(alphabet)
