"""One-hot versus embeddings (S2)."""

import math

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from rnnlab.generation.embeddings import (
    SkipGramConfig,
    cost_table,
    grow_embedding,
    one_hot_max_cosine,
    one_hot_times,
    train_skipgram,
    vocab_growth,
)


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 300), st.integers(1, 40), st.integers(0, 2**31 - 1))
def test_one_hot_matmul_equals_embedding_bit_for_bit(V: int, d: int, seed: int) -> None:
    g = torch.Generator().manual_seed(seed)
    emb = nn.Embedding(V, d)
    nn.init.normal_(emb.weight, generator=g)
    ids = torch.randint(V, (17,), generator=g)
    assert torch.equal(one_hot_times(ids, emb.weight), emb(ids))
    assert torch.equal(F.one_hot(ids, V).double() @ emb.weight.double(), emb.weight.double()[ids])


def test_cost_table() -> None:
    rows = cost_table((50, 2000), dim=16, tokens=32, repeats=1)
    assert [r.equal for r in rows] == [True, True]
    assert rows[1].one_hot_bytes == 32 * 2000 * 4 and rows[1].index_bytes == 32 * 8
    assert rows[1].weight_bytes == 2000 * 16 * 4


def test_vocab_growth() -> None:
    g = vocab_growth(V=20, dim=4)
    assert g.one_hot_dim == (20, 21) and g.one_hot_weight_shape == ((4, 20), (4, 21))
    assert not g.old_inputs_fit_new_layer
    assert g.embedding_rows == (20, 21) and g.embedding_outputs_unchanged
    emb = nn.Embedding(3, 2)
    assert torch.equal(grow_embedding(emb, 2).weight[:3], emb.weight)


def test_one_hot_vectors_are_orthogonal() -> None:
    assert one_hot_max_cosine(50) == 0.0


def test_skipgram_puts_words_of_shared_contexts_together() -> None:
    """cat and dog share every context, as do car and bus: each is the other's nearest neighbour."""
    g = torch.Generator().manual_seed(0)
    lines = []
    for _ in range(400):
        a = ["cat", "dog"][int(torch.randint(2, (1,), generator=g))]
        b = ["car", "bus"][int(torch.randint(2, (1,), generator=g))]
        lines.append(f"the {a} eats fish and sleeps . a red {b} drives on roads fast .")
    vectors = train_skipgram(" ".join(lines), SkipGramConfig(dim=16, window=2, epochs=3, subsample=1.0, batch=512,
                                                              lr=0.02))
    assert vectors.nearest("cat", 1)[0][0] == "dog"
    assert vectors.nearest("bus", 1)[0][0] == "car"
    with pytest.raises(ValueError, match="not in the"):
        vectors.nearest("zebra")


def test_cooccurrence_oracle_counts_by_hand() -> None:
    from rnnlab.generation.embeddings import cooccurrence

    # "cat" and "dog" share every context; "sun" shares none with them.
    text = "the cat sat . the dog sat . a sun rose . the cat sat . the dog sat . a sun rose ."
    co = cooccurrence(text, top=10, window=1)
    same, other = co.similarity("cat", "dog"), co.similarity("cat", "sun")
    assert same is not None and other is not None
    assert same > 0.99 and other == 0.0
    assert co.similarity("cat", "zebra") is None
    # The whole PPMI matrix by hand with Python counts, then unit rows: the library's must match.
    words = text.replace(".", "").split()
    pairs = list(zip(words, words[1:], strict=False))
    pairs += [(b, a) for a, b in pairs]
    total = len(pairs)
    for a in co.words:
        row = []
        for b in co.words:
            n_ab = sum(p == (a, b) for p in pairs)
            n_a = sum(x == a for x, _ in pairs)
            n_b = sum(y == b for _, y in pairs)
            row.append(max(0.0, math.log(n_ab * total / (n_a * n_b))) if n_ab else 0.0)
        norm = math.sqrt(sum(v * v for v in row)) or 1.0
        got = co.ppmi[co.words.index(a)].tolist()
        assert all(abs(g - v / norm) < 1e-12 for g, v in zip(got, row, strict=True))
