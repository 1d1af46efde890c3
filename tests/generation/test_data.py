"""Corpus loading, the nanoGPT split and bad data files."""

from pathlib import Path

import pytest
import torch

from rnnlab.generation.data import char_vocab, load_text, make_corpus, random_windows, split_words, word_vocab


def test_tinyshakespeare_is_shipped_and_split_like_nanogpt() -> None:
    text = load_text("tinyshakespeare")
    assert len(text.encode("utf-8")) == 1_115_394
    corpus = make_corpus()
    assert corpus.vocab.size == 65 == len(set(text))
    n = len(text)
    assert len(corpus.train) == int(0.9 * n) and len(corpus.val) == n - int(0.9 * n)
    assert corpus.vocab.decode(corpus.train[:14]) == text[:14]
    assert corpus.vocab.decode(corpus.val[-20:]) == text[-20:]


def test_char_vocab_round_trip() -> None:
    v = char_vocab("hello, world")
    assert v.decode(v.encode("world, hello")) == "world, hello"
    with pytest.raises(ValueError, match="not in the model"):
        v.encode("xyz")


def test_word_level() -> None:
    assert split_words("Speak, speak. We know't!") == ["speak", ",", "speak", ".", "we", "know't", "!"]
    v = word_vocab(["a", "b", "a", "c", "a", "b"], min_count=2)
    assert v.tokens == ("<unk>", "a", "b")
    assert v.encode("A c b").tolist() == [1, 0, 2]


def test_random_windows_are_shifted_by_one() -> None:
    ids = torch.arange(100)
    x, y = random_windows(ids, 8, 10, torch.Generator().manual_seed(0))
    assert x.shape == y.shape == (8, 10)
    assert torch.equal(y, x + 1)
    with pytest.raises(ValueError, match="shorter"):
        random_windows(ids[:5], 1, 10, torch.Generator())


def test_bad_data_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match="does not exist"):
        load_text(str(tmp_path / "missing.txt"))
    with pytest.raises(ValueError, match="not a file"):
        load_text(str(tmp_path))
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    with pytest.raises(ValueError, match="empty"):
        load_text(str(empty))
    binary = tmp_path / "bin.txt"
    binary.write_bytes(b"\xff\xfe\x00abc")
    with pytest.raises(ValueError, match="not UTF-8"):
        load_text(str(binary))
    locked = tmp_path / "locked.txt"
    locked.write_text("abc")

    def deny(*args: object, **kwargs: object) -> str:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "read_text", deny)  # root ignores chmod, so the refusal is simulated
    with pytest.raises(ValueError, match="not readable"):
        load_text(str(locked))


def test_too_short_to_split(tmp_path: Path) -> None:
    f = tmp_path / "tiny.txt"
    f.write_text("ab")
    with pytest.raises(ValueError, match="too few"):
        make_corpus(str(f))
    with pytest.raises(ValueError, match="unknown level"):
        make_corpus(str(f), level="byte")
