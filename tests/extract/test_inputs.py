"""`extract.inputs`: lines of inputs read in chunks and encoded by table lookup, each checked against a plain
per-character oracle (the alphabet's index of every symbol); bad lines named as `rnnlab run --inputs` names them;
chunks bounded by their steps, read no further than one line ahead."""

from __future__ import annotations

import random
from collections.abc import Iterator

import numpy as np
import pytest

from rnnlab.exact.net import Net
from rnnlab.exact.sheet import get_net
from rnnlab.extract.inputs import check_inputs, encode, read_chunks
from rnnlab.extract.model import LearnedNet


def gru(alphabet: tuple[str, ...], hidden: int = 3, seed: int = 0) -> LearnedNet:
    """A GRU net of random weights on `alphabet` (rnnlab-net/2)."""
    rng = np.random.default_rng(seed)
    G, A = 3, len(alphabet)
    weights = {"W_ih": rng.normal(size=(G * hidden, A)), "W_hh": rng.normal(size=(G * hidden, hidden)),
               "b_ih": rng.normal(size=G * hidden), "b_hh": rng.normal(size=G * hidden)}
    return LearnedNet("gru", "gru", alphabet, (), {k: v.astype(np.float32) for k, v in weights.items()},
                      np.zeros(hidden, dtype=np.float32), np.zeros(0, dtype=np.float32),
                      rng.normal(size=hidden).astype(np.float32), 0.0)


NETS: dict[str, Net | LearnedNet] = {
    "bits": get_net("all-ones"),
    "two bits": get_net("adder"),
    "symbols": gru(("a", "b", "c")),
    "not ASCII": gru(("α", "β", "0")),
    "pairs": gru(("ab", "ba", "aa", "cc")),  # not every pair of characters is a symbol
}


def oracle(net: Net | LearnedNet, x1: str, x2: str | None) -> np.ndarray:
    """Every step looked up on its own: bits for rnnlab-net/1, the alphabet's index for rnnlab-net/2."""
    if isinstance(net, Net):
        return np.array([[int(c) for c in step] for step in zip(x1, *([x2] if x2 else []), strict=True)])
    return np.array([net.alphabet.index(a + (b or "")) for a, b in zip(x1, x2 or [None] * len(x1), strict=True)])


def random_inputs(net: Net | LearnedNet, rng: random.Random, n: int) -> list[tuple[str, str | None]]:
    """Inputs of lengths 1..9 made of the net's symbols."""
    out: list[tuple[str, str | None]] = []
    for _ in range(n):
        T = rng.randint(1, 9)
        if isinstance(net, Net):
            x1 = "".join(rng.choice("01") for _ in range(T))
            out.append((x1, "".join(rng.choice("01") for _ in range(T)) if net.n_inputs == 2 else None))
            continue
        symbols = [rng.choice(net.alphabet) for _ in range(T)]
        pairs = len(net.alphabet[0]) == 2
        out.append(("".join(s[0] for s in symbols), "".join(s[1] for s in symbols) if pairs else None))
    return out


def as_lines(inputs: list[tuple[str, str | None]], rng: random.Random) -> list[bytes]:
    """One line an input, with spaces, blank lines, comments and CRLF endings between."""
    lines = [b"# inputs\n"]
    for x1, x2 in inputs:
        text = x1 if x2 is None else f"{x1} , {x2}"
        lines.append(f"  {text}".encode() + rng.choice([b"\n", b"\r\n"]))
        if rng.random() < 0.2:
            lines.append(rng.choice([b"\n", b"   \n", b"# a comment\n"]))
    return lines


@pytest.mark.parametrize("key", list(NETS))
@pytest.mark.parametrize("chunk_symbols", [1, 7, 10**6])
def test_chunks_hold_every_input_in_order_encoded_as_the_oracle(key: str, chunk_symbols: int) -> None:
    net, rng = NETS[key], random.Random(key)
    inputs = random_inputs(net, rng, 60)
    lines = as_lines(inputs, rng)
    chunks = list(read_chunks(lines, net, "f.txt", chunk_symbols))
    texts = [t for c in chunks for t in c.texts]
    words = [w for c in chunks for w in c.words]
    assert texts == [x1 if x2 is None else f"{x1},{x2}" for x1, x2 in inputs]
    for w, (x1, x2) in zip(words, inputs, strict=True):
        np.testing.assert_array_equal(w, oracle(net, x1, x2))
    for c in chunks:  # at most chunk_symbols steps, or one input that is longer
        assert sum(len(w) for w in c.words) <= chunk_symbols or len(c.words) == 1
    assert [c.end for c in chunks] == sorted(c.end for c in chunks) and chunks[-1].end == sum(map(len, lines))
    assert encode(net, *inputs[0]).tolist() == oracle(net, *inputs[0]).tolist()


def test_the_first_chunk_comes_out_one_line_after_its_last() -> None:
    read = 0

    def endless() -> Iterator[bytes]:  # a source far larger than memory
        nonlocal read
        while True:
            read += 1
            yield b"0110\n"

    first = next(read_chunks(endless(), NETS["bits"], chunk_symbols=40))
    assert len(first.texts) == 10 and read == 11


@pytest.mark.parametrize("key,line,message", [
    ("symbols", "abxa", "line 4: symbol 'x' at step 3 is not in the net's alphabet a b c"),
    ("not ASCII", "αβ0γ", "line 4: symbol 'γ' at step 4 is not in the net's alphabet α β 0"),
    ("pairs", "abc,baa", "line 4: symbol 'ca' at step 3 is not in the net's alphabet ab ba aa cc"),
    ("two bits", "0101,0121", "line 4: symbol '2' at step 3 is not in the net's alphabet 0 1"),
    ("two bits", "01,1", "line 4: x1 has 2 symbols but x2 has 1; they must be equal"),
    ("two bits", "0110", "line 4: net 'adder' reads two sequences: write x1,x2"),
    ("bits", "01,10", "line 4: net 'all-ones' reads one sequence: write x1 alone"),
    ("bits", "0,1,0", "line 4: 3 sequences; write one input x1 or two, x1,x2"),
    ("bits", "01,", "line 4: an empty sequence in '01,'; write x1 or x1,x2"),
])
@pytest.mark.parametrize("chunk_symbols", [1, 10**6])
def test_a_bad_line_is_named(key: str, line: str, message: str, chunk_symbols: int) -> None:
    net = NETS[key]
    good = "01,10" if key == "two bits" else {"symbols": "ab", "not ASCII": "α0", "pairs": "ac,bc"}.get(key, "01")
    lines = [f"{good}\n".encode(), b"# x\n", b"\n", f"{line}\n".encode()] + [f"{good}\n".encode()] * 5
    with pytest.raises(ValueError) as e:
        list(read_chunks(lines, net, "f.txt", chunk_symbols))
    assert str(e.value) == f"'f.txt' {message}"


def test_a_bad_symbol_is_named_before_a_later_malformed_line() -> None:
    lines = [b"01\n", b"0a1\n", b"0,1,0\n"]  # one chunk: the symbol is found when the chunk is encoded
    with pytest.raises(ValueError, match="line 2: symbol 'a'"):
        list(read_chunks(lines, NETS["bits"], "f.txt"))


@pytest.mark.parametrize("lines,message", [
    ([b"# only a comment\n", b"\n"], "inputs file 'f.txt' holds no input"),
    ([b"01\n", b"\xff\xfe\n"], "'f.txt' line 2: not UTF-8 text"),
])
def test_a_file_without_inputs_or_not_utf8_is_refused(lines: list[bytes], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        list(read_chunks(lines, NETS["bits"], "f.txt"))


def test_check_reads_everything_once_and_gives_count_width_and_bytes() -> None:
    lines = [b"0110\n", b"# comment\n", b"1\n", b"0,1\n", b"000111000\n"]
    seen: list[int] = []
    with pytest.raises(ValueError, match="line 4"):
        check_inputs(lines, NETS["bits"], "f.txt")
    del lines[3]
    summary = check_inputs(lines, NETS["bits"], "f.txt", seen.append, chunk_symbols=5)
    assert (summary.inputs, summary.width, summary.bytes) == (3, 9, sum(map(len, lines)))
    assert sum(seen) == summary.bytes and len(seen) == 2
