"""Text corpora for the language models: loading, vocabularies, the nanoGPT split, random windows.

Tiny Shakespeare ships with rnnlab as package data; nothing is downloaded. The split is nanoGPT's
(first 90% of the characters train, last 10% validate) and the character vocabulary is the sorted set
of the whole text's characters (65 for Tiny Shakespeare), so losses compare with nanoGPT's.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import torch
from torch import Tensor

BUILTIN = "tinyshakespeare"  # the name of the shipped corpus
UNK = "<unk>"  # the word vocabulary's token for rare words
_WORD = re.compile(r"[a-z]+(?:'[a-z]+)*|[^\sa-z]")  # words (with inner apostrophes) and single punctuation marks


def load_text(source: str = BUILTIN) -> str:
    """The text of the shipped corpus (source "tinyshakespeare") or of a UTF-8 file at the path `source`."""
    if source == BUILTIN:
        return resources.files("rnnlab").joinpath("data", "tinyshakespeare.txt").read_text(encoding="utf-8")
    path = Path(source)
    if not path.exists():
        raise ValueError(f"data file {source!r} does not exist; give a UTF-8 text file or {BUILTIN!r}")
    if not path.is_file():
        raise ValueError(f"data path {source!r} is not a file; give a UTF-8 text file or {BUILTIN!r}")
    try:
        text = path.read_text(encoding="utf-8")
    except PermissionError:
        raise ValueError(f"data file {source!r} is not readable (permission denied)") from None
    except UnicodeDecodeError as e:
        raise ValueError(f"data file {source!r} is not UTF-8 text ({e.reason} at byte {e.start})") from None
    except OSError as e:
        raise ValueError(f"data file {source!r} cannot be read: {e.strerror}") from None
    if not text:
        raise ValueError(f"data file {source!r} is empty; a language model needs text")
    return text


@dataclass(frozen=True)
class Vocab:
    """A token <-> index table. Characters for the char-level model, words for the word-level one."""

    tokens: tuple[str, ...]  # index -> token, in a fixed order
    level: str = "char"  # "char" (a token is one character) or "word"

    @property
    def size(self) -> int:
        return len(self.tokens)

    def index(self) -> dict[str, int]:
        return {t: i for i, t in enumerate(self.tokens)}

    def encode(self, text: str) -> Tensor:
        """text -> (N,) int64 token ids; unknown characters are an error, unknown words map to <unk>."""
        stoi = self.index()
        if self.level == "char":
            unknown = sorted(set(text) - set(stoi))
            if unknown:
                raise ValueError(f"characters {unknown[:5]} are not in the model's {self.size}-character vocabulary")
            return torch.tensor([stoi[c] for c in text], dtype=torch.long)
        unk = stoi.get(UNK, 0)
        return torch.tensor([stoi.get(w, unk) for w in split_words(text)], dtype=torch.long)

    def decode(self, ids: Tensor | list[int]) -> str:
        items = ids.tolist() if isinstance(ids, Tensor) else ids
        sep = "" if self.level == "char" else " "
        return sep.join(self.tokens[i] for i in items)


def char_vocab(text: str) -> Vocab:
    """The sorted set of the text's characters (nanoGPT's vocabulary)."""
    return Vocab(tuple(sorted(set(text))), "char")


def split_words(text: str) -> list[str]:
    """Lower-cased words and punctuation marks, e.g. "Speak, speak." -> [speak , speak .]."""
    return _WORD.findall(text.lower())


def word_vocab(words: list[str], min_count: int = 3) -> Vocab:
    """Words seen at least min_count times, most frequent first, after <unk>."""
    if min_count < 1:
        raise ValueError(f"min_count must be >= 1, got {min_count}")
    counts = Counter(words)
    kept = sorted((w for w, n in counts.items() if n >= min_count), key=lambda w: (-counts[w], w))
    return Vocab((UNK, *kept), "word")


@dataclass(frozen=True)
class Corpus:
    """A tokenised text split in two: train is the first train_frac of the tokens, val the rest."""

    vocab: Vocab  # the token table, built from the whole text
    train: Tensor  # (N_train,) int64 token ids
    val: Tensor  # (N_val,) int64 token ids
    source: str  # where the text came from

    def default_prompt(self) -> str:
        """ROMEO: on Tiny Shakespeare; otherwise the start of the validation text's first line (up to 16 tokens),
        so that a prompt is always made of the text's own tokens."""
        if self.source == BUILTIN:
            return "ROMEO:"
        text = self.vocab.decode(self.val[:16].tolist())
        first = text.split("\n")[0] if self.vocab.level == "char" else text
        return first or text[:1]


def make_corpus(source: str = BUILTIN, level: str = "char", train_frac: float = 0.9, min_count: int = 3) -> Corpus:
    """Load, tokenise and split a text the way nanoGPT splits Tiny Shakespeare."""
    if level not in ("char", "word"):
        raise ValueError(f"unknown level {level!r}; valid: char, word")
    if not 0 < train_frac < 1:
        raise ValueError(f"train_frac must be in (0, 1), got {train_frac}")
    text = load_text(source)
    if level == "char":
        vocab = char_vocab(text)
        ids = vocab.encode(text)
    else:
        words = split_words(text)
        vocab = word_vocab(words, min_count)
        stoi = vocab.index()
        ids = torch.tensor([stoi.get(w, 0) for w in words], dtype=torch.long)
    n = int(train_frac * len(ids))
    if n < 2 or len(ids) - n < 2:
        raise ValueError(f"data {source!r} has {len(ids)} {level} tokens: too few to split into train and validation")
    return Corpus(vocab, ids[:n], ids[n:], source)


def random_windows(ids: Tensor, batch: int, length: int, generator: torch.Generator) -> tuple[Tensor, Tensor]:
    """`batch` random windows: x = ids[i : i + length], y = ids[i + 1 : i + 1 + length] (nanoGPT's get_batch)."""
    if len(ids) < length + 1:
        raise ValueError(f"text of {len(ids)} tokens is shorter than one window of {length} + 1 tokens")
    starts = torch.randint(len(ids) - length, (batch,), generator=generator)  # (B,)
    offsets = torch.arange(length + 1)  # (T + 1,)
    chunk = ids[starts[:, None] + offsets]  # (B, T + 1)
    return chunk[:, :-1], chunk[:, 1:]
