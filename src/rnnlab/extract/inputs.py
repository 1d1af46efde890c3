"""Inputs written for a net, one a line (`rnnlab run --inputs FILE`), read and encoded a chunk at a time.

A line is a word `x1` in the word syntax of `rnnlab.symbols` (symbols separated by spaces, or end to end
when every symbol is one character), or `x1,x2` for a net that reads two sequences of equal length:
two-input rnnlab-net/1 nets (bits) and rnnlab-net/2 nets on a pair alphabet (every symbol two characters),
whose symbol at step t is x1[t] x2[t]; a pair alphabet's line may also be its symbols separated by spaces.
Blank lines and lines starting with # are skipped; spaces around a line and its comma are ignored.

A file of any size is read in chunks of about `chunk_symbols` steps. Each chunk is encoded at once: for
one-character symbols by one table lookup over the code points of all its characters (numpy) rather than
one lookup per character in Python; for longer names by one dictionary lookup per symbol. Memory grows with
the chunk and never with the file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import numpy as np

from rnnlab.exact.net import Net
from rnnlab.extract.model import LearnedNet
from rnnlab.extract.torch_net import TorchNet
from rnnlab.symbols import compact, parse_word, symbol_index

__all__ = ["CHUNK_SYMBOLS", "MAX_LENGTH", "Chunk", "InputsSummary", "check_inputs", "encode", "read_chunks",
           "sequences"]

CHUNK_SYMBOLS = 2**21  # steps held at a time (a pair x1[t] x2[t] is one step); a chunk ends before the line that
#                        would overflow it
MAX_LENGTH = 10_000_000  # steps of one input: an input is held whole, so this bounds one line's memory
BITS = ("0", "1")  # what an rnnlab-net/1 net reads in each sequence


def sequences(net: Net | LearnedNet | TorchNet) -> int:
    """How many input sequences a line carries: 2 for two-sequence nets and pair alphabets (every symbol two
    characters, "x1x2"), else 1."""
    if isinstance(net, Net):
        return net.n_inputs
    return 2 if {len(s) for s in net.alphabet} == {2} else 1


@dataclass(frozen=True)
class Chunk:
    """Consecutive inputs of a file, as written and as the net reads them."""

    texts: tuple[str, ...]  # each input as written, spaces dropped (one-character symbols) or made single: x1, x1,x2
    words: list[np.ndarray]  # each input encoded: (T,) symbol indices (rnnlab-net/2) or (T, n_inputs) bits (/1),
    #                          of the smallest integer type that holds them
    end: int  # bytes of the source read up to and including this chunk's last line


@dataclass(frozen=True)
class InputsSummary:
    """What a whole file of inputs holds, found by reading it once (`check_inputs`)."""

    inputs: int  # input lines
    width: int  # characters of the longest input as written (x1 or x1,x2)
    bytes: int  # bytes read


class BadSymbol(ValueError):
    """A symbol outside the net's alphabet; `index` is the input it is in (0 = the first encoded together)."""

    def __init__(self, index: int, step: int, symbol: str, alphabet: tuple[str, ...]) -> None:
        super().__init__(f"symbol {symbol!r} at step {step + 1} is not in the net's alphabet {' '.join(alphabet)}")
        self.index = index


@dataclass(frozen=True)
class _Symbols:
    """How a net's written characters become what it reads, as lookup tables indexed by code point."""

    two: bool  # a line carries x1,x2
    bits: bool  # rnnlab-net/1: each sequence is one input column of bits; else one symbol index per step
    tables: tuple[np.ndarray, ...]  # per sequence: code point -> index of the character, -1 for none (the last
    #                                 entry stands for every larger code point)
    pairs: np.ndarray | None  # pair alphabets: (x1 character, x2 character) -> symbol index, -1: no such symbol
    alphabet: tuple[str, ...]  # the symbols an error message names
    spaced: bool  # symbols of more than one character: a word is its symbols separated by single spaces
    index: dict[str, int]  # symbol -> index, for spaced words (and a pair alphabet's words written as symbols)

    @classmethod
    def of(cls, net: Net | LearnedNet | TorchNet) -> _Symbols:
        two = sequences(net) == 2
        if isinstance(net, Net):
            return cls(two, True, (_table(BITS),) * (2 if two else 1), None, BITS, False, symbol_index(BITS))
        index = symbol_index(net.alphabet)
        if not two:
            spaced = not compact(net.alphabet)
            return cls(False, False, () if spaced else (_table(net.alphabet),), None, net.alphabet, spaced, index)
        firsts, seconds = sorted({s[0] for s in net.alphabet}), sorted({s[1] for s in net.alphabet})
        pairs = np.full((len(firsts), len(seconds)), -1, dtype=_index_type(len(net.alphabet)))
        for a, s in enumerate(net.alphabet):
            pairs[firsts.index(s[0]), seconds.index(s[1])] = a
        return cls(True, False, (_table(firsts), _table(seconds)), pairs, net.alphabet, False, index)

    def steps(self, x1: str) -> int:
        """Steps of one normalised input (`_split`)."""
        return x1.count(" ") + 1 if self.spaced else len(x1)

    def encode(self, x1s: list[str], x2s: list[str] | None) -> list[np.ndarray]:
        """Inputs as the net reads them: (T,) symbol indices (rnnlab-net/2) or (T, n_inputs) bits (/1).
        The first symbol outside the alphabet raises BadSymbol."""
        if self.spaced:
            return self._encode_spaced(x1s)
        lengths = np.fromiter(map(len, x1s), dtype=np.int64, count=len(x1s))
        joined = ["".join(x1s)] + (["".join(x2s)] if x2s is not None else [])  # every input end to end
        cols = [_lookup(table, text) for table, text in zip(self.tables, joined, strict=True)]  # (N,) each
        if self.bits:
            codes = np.stack(cols, axis=1)  # (N, n_inputs)
            valid = (codes >= 0).all(axis=1)

            def written(p: int) -> str:  # at one step, x1's character before x2's
                return next(text[p] for text, col in zip(joined, cols, strict=True) if col[p] < 0)
        elif self.pairs is not None:
            i1, i2 = cols
            codes = np.where((i1 >= 0) & (i2 >= 0), self.pairs[np.maximum(i1, 0), np.maximum(i2, 0)], -1)
            valid = codes >= 0

            def written(p: int) -> str:
                return joined[0][p] + joined[1][p]
        else:
            codes = cols[0]
            valid = codes >= 0

            def written(p: int) -> str:
                return joined[0][p]
        if not valid.all():
            p = int(np.argmin(valid))  # the first invalid step of the inputs end to end
            ends = np.cumsum(lengths)
            k = int(np.searchsorted(ends, p, side="right"))
            raise BadSymbol(k, p - int(ends[k] - lengths[k]), written(p), self.alphabet)
        return np.split(codes, np.cumsum(lengths)[:-1])

    def _encode_spaced(self, x1s: list[str]) -> list[np.ndarray]:
        """Words of symbols separated by single spaces: one dictionary lookup per symbol."""
        words = [x.split(" ") for x in x1s]
        get, out = self.index.get, []
        dtype = _index_type(len(self.alphabet))
        for k, w in enumerate(words):
            codes = np.fromiter((get(s, -1) for s in w), dtype=np.int64, count=len(w))
            if (codes < 0).any():
                p = int(np.argmax(codes < 0))
                raise BadSymbol(k, p, w[p], self.alphabet)
            out.append(codes.astype(dtype))
        return out

    def normalise(self, x1: str, x2: str | None) -> tuple[str, str | None]:
        """An input as written to its normal form: spaces dropped between one-character symbols, single between
        longer ones; a pair alphabet's word of symbols (no x2) as x1, x2. ValueError for an unknown pair symbol."""
        if self.two and x2 is None and not self.bits:
            try:
                word = parse_word(x1, self.alphabet, self.index)
            except ValueError as e:
                raise ValueError(f"the net reads two sequences: write x1,x2 or its symbols separated by spaces; {e}"
                                 ) from None
            return "".join(self.alphabet[a][0] for a in word), "".join(self.alphabet[a][1] for a in word)
        if self.spaced:
            return " ".join(x1.split()), x2
        if " " in x1 or "\t" in x1:
            x1 = "".join(x1.split())
        return x1, x2


def _index_type(n: int) -> type[np.signedinteger]:
    """The smallest signed integer type that holds 0..n-1 and -1: a chunk's encoded steps take 1 byte each, not 8."""
    return np.int8 if n < 2**7 else np.int16 if n < 2**15 else np.int32


def _table(chars: Iterable[str]) -> np.ndarray:
    """code point -> index of the character among `chars`, -1 for any other code point (the last entry)."""
    chars = list(chars)
    table = np.full(max(map(ord, chars)) + 2, -1, dtype=_index_type(len(chars)))
    for i, c in enumerate(chars):
        table[ord(c)] = i
    return table


def _lookup(table: np.ndarray, text: str) -> np.ndarray:
    """Each character of text through the table, in one vectorised step."""
    if text.isascii():
        points = np.frombuffer(text.encode("ascii"), dtype=np.uint8)
        if len(table) > 129:  # keep the ASCII entries and the last (-1), so that the last index fits a byte
            table = np.concatenate([table[:128], table[-1:]])
    else:
        points = np.frombuffer(text.encode("utf-32-le"), dtype="<u4")
    return table[np.minimum(points, len(table) - 1)]


def encode(net: Net | LearnedNet | TorchNet, x1: str, x2: str | None) -> np.ndarray:
    """One input as the net reads it: (T, n_inputs) bits (rnnlab-net/1) or (T,) symbol indices (rnnlab-net/2).
    A symbol outside the net's alphabet raises ValueError naming it and its step."""
    symbols = _Symbols.of(net)
    x1, x2 = _split(x1 if x2 is None else f"{x1},{x2}", symbols, net.name)
    try:
        return symbols.encode([x1], None if x2 is None else [x2])[0].astype(np.int64)
    except BadSymbol as e:
        raise ValueError(str(e)) from None


def _split(line: str, symbols: _Symbols, name: str) -> tuple[str, str | None]:
    """A stripped, non-comment line as (x1, x2 or None), normalised (`_Symbols.normalise`); ValueError saying
    what is wrong with it."""
    parts = [p.strip() for p in line.split(",")] if "," in line else [line.strip()]
    if len(parts) > 2:
        raise ValueError(f"{len(parts)} sequences; write one input x1 or two, x1,x2")
    if not all(parts):
        raise ValueError(f"an empty sequence in {line[:40]!r}; write x1 or x1,x2")
    x2: str | None
    if len(parts) == 2:  # one character a step in each sequence
        x1, x2 = ("".join(p.split()) for p in parts)
        if len(x1) != len(x2):
            raise ValueError(f"x1 has {len(x1)} symbols but x2 has {len(x2)}; they must be equal")
        if not symbols.two:
            raise ValueError(f"net {name!r} reads one sequence: write x1 alone")
    elif symbols.two and symbols.bits:
        raise ValueError(f"net {name!r} reads two sequences: write x1,x2")
    else:
        x1, x2 = symbols.normalise(parts[0], None)
    n = symbols.steps(x1)
    if n > MAX_LENGTH:
        raise ValueError(f"{n} symbols; at most {MAX_LENGTH}")
    return x1, x2


def read_chunks(lines: Iterable[bytes], net: Net | LearnedNet | TorchNet, source: str = "inputs",
                chunk_symbols: int = CHUNK_SYMBOLS) -> Iterator[Chunk]:
    """The inputs of `lines` (a file opened "rb", or any iterable of UTF-8 lines) in chunks, in order.

    A chunk holds at most `chunk_symbols` steps (or one input, if longer) and is yielded when the next input
    would overflow it, so at most one chunk and one line are held, whatever the source's size. A bad line
    raises ValueError naming `source` and the line: the first bad line, as a bad symbol is found before a
    later malformed line.
    """
    symbols = _Symbols.of(net)
    n = end = inputs = steps = 0
    numbers: list[int] = []  # line number of each held input
    x1s: list[str] = []
    x2s: list[str] = []
    texts: list[str] = []

    def encoded() -> list[np.ndarray]:
        try:
            return symbols.encode(x1s, x2s if symbols.two else None)
        except BadSymbol as e:
            raise ValueError(f"{source!r} line {numbers[e.index]}: {e}") from None

    def chunk(through: int) -> Chunk:
        nonlocal inputs, steps
        out = Chunk(tuple(texts), encoded(), through)
        inputs, steps = inputs + len(texts), 0
        for held in (numbers, x1s, x2s, texts):
            held.clear()
        return out

    for raw in lines:
        before, end = end, end + len(raw)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            encoded()
            raise ValueError(f"{source!r} line {n + 1}: not UTF-8 text") from None
        for line in text.splitlines():
            n += 1
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            try:
                x1, x2 = _split(line, symbols, net.name)
            except ValueError as e:
                encoded()
                raise ValueError(f"{source!r} line {n}: {e}") from None
            n_steps = symbols.steps(x1)
            if texts and steps + n_steps > chunk_symbols:
                yield chunk(before)
            numbers.append(n)
            x1s.append(x1)
            texts.append(x1 if x2 is None else f"{x1},{x2}")
            if x2 is not None:
                x2s.append(x2)
            steps += n_steps
    if texts:
        yield chunk(end)
    if not inputs:
        raise ValueError(f"inputs file {source!r} holds no input (blank lines and # comments are skipped)")


def check_inputs(lines: Iterable[bytes], net: Net | LearnedNet | TorchNet, source: str = "inputs",
                 progress: Callable[[int], None] | None = None, chunk_symbols: int = CHUNK_SYMBOLS) -> InputsSummary:
    """Read every input once, holding one chunk at a time: ValueError at the first bad line (read_chunks), else
    how many inputs there are and how wide the widest is. progress(n) after each chunk of n bytes."""
    inputs = width = done = 0
    for chunk in read_chunks(lines, net, source, chunk_symbols):
        inputs += len(chunk.texts)
        width = max(width, *map(len, chunk.texts))
        if progress is not None:
            progress(chunk.end - done)
        done = chunk.end
    return InputsSummary(inputs, width, done)
