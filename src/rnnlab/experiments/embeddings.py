"""The one-hot versus embeddings experiment (SPEC S2): the sheet's three drawbacks of one-hot vectors, measured.

    cost        one_hot(tokens) @ W against the lookup W[tokens]: bytes, non-zeros, FLOPs (times as evidence)
    growth      what adding a token does to each encoding's input layer
    similarity  one-hot cosines (all 0) against skip-gram vectors learned on the text, whose nearest
                neighbours are scored by a count oracle beside frequency-matched random pairs
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from rnnlab.generation.data import load_text
from rnnlab.generation.embeddings import (
    CostRow,
    Growth,
    SimilarityTest,
    SkipGramConfig,
    WordVectors,
    cooccurrence,
    cost_table,
    one_hot_max_cosine,
    similarity_test,
    train_skipgram,
    vocab_growth,
)
from rnnlab.generation.lm import num_threads


@dataclass(frozen=True)
class EmbeddingsConfig:
    """One run of the S2 experiment. Defaults: about half a minute on a laptop CPU."""

    vocab_sizes: tuple[int, ...] = (1_000, 10_000, 100_000)  # vocabulary sizes of the cost table
    dim: int = 128  # embedding size d of the cost table and the growth check
    tokens: int = 256  # tokens per batch in the cost table
    repeats: int = 3  # timing repeats (best of); times are evidence only
    growth_vocab: int = 1000  # V the growth check starts from
    cosine_vocab: int = 1000  # V of the one-hot cosine check (every pair of distinct tokens)
    data: str = "tinyshakespeare"  # text the word vectors are learned on
    epochs: int = 5  # skip-gram passes over the text
    vector_dim: int = 64  # skip-gram vector size
    words: tuple[str, ...] = ("king", "queen", "father", "love", "night", "sword", "lord", "sweet")  # shown
    neighbours: int = 5  # nearest neighbours shown per word
    test_queries: int = 200  # query words of the similarity test, spread over the counted words' ranks
    matched: int = 5  # frequency-matched random partners per neighbour pair
    oracle_words: int = 2000  # most frequent words the count oracle covers
    seed: int = 0  # seeds the cost table's data, the vectors and the random partners

    def __post_init__(self) -> None:
        if not self.vocab_sizes or any(not 1 <= v <= 1_000_000 for v in self.vocab_sizes):
            raise ValueError(f"vocab_sizes must be in 1..1000000, got {list(self.vocab_sizes)}")
        for name in ("dim", "tokens", "repeats", "growth_vocab", "cosine_vocab", "epochs", "vector_dim",
                     "neighbours", "test_queries", "matched", "oracle_words"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")

    def skipgram(self) -> SkipGramConfig:
        return SkipGramConfig(dim=self.vector_dim, epochs=self.epochs, seed=self.seed)


@dataclass(frozen=True)
class EmbeddingsResult:
    config: EmbeddingsConfig
    costs: list[CostRow]  # one row per vocabulary size
    growth: Growth  # adding one token
    one_hot_max_cosine: float  # largest |cosine| between distinct one-hot vectors (cosine_vocab words)
    vectors: WordVectors  # the learned skip-gram vectors
    neighbours: dict[str, list[tuple[str, float]]]  # shown word -> nearest (word, cosine)
    similarity: SimilarityTest  # neighbours against frequency-matched random pairs, by the count oracle

    def to_dict(self) -> dict[str, Any]:
        return {
            "config": asdict(self.config),
            "equal": all(r.equal for r in self.costs),
            "costs": [asdict(r) for r in self.costs],
            "growth": asdict(self.growth),
            "one_hot_max_cosine": self.one_hot_max_cosine,
            "vector_words": self.vectors.vocab.size - 1,
            "neighbours": {w: [{"word": n, "cosine": c} for n, c in ns] for w, ns in self.neighbours.items()},
            "similarity": asdict(self.similarity),
        }


def run_embeddings(config: EmbeddingsConfig) -> EmbeddingsResult:
    """Measure the three drawbacks; raises ValueError for a shown word without a vector."""
    text = load_text(config.data)
    costs = cost_table(config.vocab_sizes, config.dim, config.tokens, config.repeats, config.seed)
    growth = vocab_growth(config.growth_vocab, config.dim, config.seed)
    cos0 = one_hot_max_cosine(config.cosine_vocab)
    with num_threads(1):  # small batched ops: extra threads only synchronise
        vectors = train_skipgram(text, config.skipgram())
    missing = [w for w in config.words if w not in vectors.vocab.index()]
    if missing:
        raise ValueError(f"word(s) {', '.join(missing)} not among the {vectors.vocab.size - 1} words seen >= "
                         f"{config.skipgram().min_count} times")
    neighbours = {w: vectors.nearest(w, config.neighbours) for w in config.words}
    oracle = cooccurrence(text, config.oracle_words)
    test = similarity_test(vectors, oracle, config.test_queries, config.matched, seed=config.seed)
    return EmbeddingsResult(config, costs, growth, cos0, vectors, neighbours, test)
