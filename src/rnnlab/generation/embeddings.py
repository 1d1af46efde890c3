"""One-hot encoding versus dense embeddings (SPEC S2), each of the sheet's three drawbacks in numbers.

(1) Sparse and as long as the vocabulary: one_hot(tokens) @ W is exactly the lookup W[tokens], but it
    costs V numbers per token and a (N, V) x (V, d) matmul instead of N row reads.
(2) Hard-coded: a new word adds an input dimension, so the layer that reads one-hot vectors changes
    shape; an embedding table just gains a row and every existing output stays the same.
(3) No similarity: distinct one-hot vectors are orthogonal (cosine 0); embeddings learned on Tiny
    Shakespeare (skip-gram with negative sampling, Mikolov et al. 2013) put related words close.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.utils.flop_counter import FlopCounterMode

from rnnlab.generation.data import Vocab, split_words, word_vocab

Encode = Callable[[Tensor, int], Tensor]  # (token ids (N,), V) -> input vectors (N, V)


def one_hot(tokens: Tensor, V: int) -> Tensor:
    """The one-hot input vectors of `tokens`, float32: (N,) -> (N, V)."""
    return F.one_hot(tokens, V).float()


def one_hot_times(tokens: Tensor, W: Tensor, encode: Encode = one_hot) -> Tensor:
    """one_hot(tokens) @ W: tokens (N,) -> (N, d), the input layer as a matmul over V-long vectors."""
    return encode(tokens, W.shape[0]).to(W.dtype) @ W  # (N, V) @ (V, d)


@dataclass(frozen=True)
class CostRow:
    """Memory and work of one input layer read both ways, for one vocabulary size. Bytes and operation counts
    are measured on the tensors and by torch's FlopCounterMode; the times are evidence only (machines are noisy)."""

    vocab: int  # V
    dim: int  # d
    tokens: int  # tokens in the batch, N
    one_hot_bytes: int  # bytes of the encoded inputs (N, V) as built (nelement x element size)
    index_bytes: int  # bytes of the token ids (N,) int64
    weight_bytes: int  # W, V x d float32 (the same table either way)
    nonzeros_per_input: int  # most non-zero entries in one encoded input (1 for one-hot)
    matmul_flops: int  # FLOPs of encode(tokens) @ W, counted by torch.utils.flop_counter (2 N V d)
    lookup_flops: int  # FLOPs of nn.Embedding(tokens), counted the same way (0: it copies rows)
    lookup_bytes_read: int  # bytes the lookup reads: N rows of d float32
    matmul_s: float  # best time of encode(tokens) @ W, the encoding included (evidence, never a verdict)
    lookup_s: float  # best time of nn.Embedding(tokens) (evidence, never a verdict)
    equal: bool  # the two results are bit-for-bit equal


def _best(fn: Callable[[], object], repeats: int) -> float:
    best = math.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def _flops(fn: Callable[[], object]) -> int:
    with FlopCounterMode(display=False) as counter:
        fn()
    return int(counter.get_total_flops())


@torch.no_grad()
def cost_table(vocab_sizes: tuple[int, ...] = (1_000, 10_000, 100_000), dim: int = 128, tokens: int = 256,
               repeats: int = 3, seed: int = 0, encode: Encode = one_hot) -> list[CostRow]:
    """For each V: bytes, non-zeros and FLOPs of encode(tokens) @ W against the lookup W[tokens], and
    best-of-`repeats` seconds of each."""
    rows = []
    g = torch.Generator().manual_seed(seed)
    for V in vocab_sizes:
        emb = nn.Embedding(V, dim)
        nn.init.normal_(emb.weight, generator=g)
        ids = torch.randint(V, (tokens,), generator=g)
        x = encode(ids, V)  # (N, V)
        equal = torch.equal(one_hot_times(ids, emb.weight, encode), emb(ids))
        matmul = partial(one_hot_times, ids, emb.weight, encode)
        lookup = partial(emb, ids)
        rows.append(CostRow(
            V, dim, tokens, x.nelement() * x.element_size(), ids.nelement() * ids.element_size(),
            emb.weight.nelement() * emb.weight.element_size(), int((x != 0).sum(-1).max()), _flops(matmul),
            _flops(lookup), tokens * dim * emb.weight.element_size(), _best(matmul, repeats), _best(lookup, repeats),
            equal))
    return rows


@dataclass(frozen=True)
class Growth:
    """What adding one token to a vocabulary of V costs each encoding."""

    vocab_before: int  # V
    one_hot_dim: tuple[int, int]  # length of an encoded input before and after: V -> V + 1
    one_hot_weight_shape: tuple[tuple[int, ...], tuple[int, ...]]  # the reading layer's W before and after
    old_inputs_fit_new_layer: bool  # can the old encoded inputs still be fed to the new layer? (no for one-hot)
    one_hot_new_parameters: int  # weights of the rebuilt layer that reads the new inputs: (V + 1) d
    embedding_rows: tuple[int, int]  # rows of the embedding table: V -> V + 1
    embedding_new_parameters: int  # weights the grown table adds: d
    embedding_outputs_unchanged: bool  # every old token's vector is bit-for-bit the same after growing


def grow_embedding(emb: nn.Embedding, extra: int = 1) -> nn.Embedding:
    """A table with `extra` new rows (initialised like nn.Embedding) and the old rows copied."""
    grown = nn.Embedding(emb.num_embeddings + extra, emb.embedding_dim)
    with torch.no_grad():
        grown.weight[: emb.num_embeddings] = emb.weight
    return grown


Grow = Callable[[nn.Embedding], nn.Embedding]  # a table -> the table with one more token


@torch.no_grad()
def vocab_growth(V: int = 1000, dim: int = 128, seed: int = 0, encode: Encode = one_hot,
                 grow: Grow = grow_embedding) -> Growth:
    """Add one token both ways and check what changes: the encoded inputs and the layer that reads them, and
    the embedding table grown by `grow`."""
    if V < 1:
        raise ValueError(f"vocabulary size must be >= 1, got {V}")
    ids = torch.arange(V)
    old_inputs, new_inputs = encode(ids, V), encode(ids, V + 1)  # (V, L), (V, L')
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        linear = nn.Linear(old_inputs.shape[1], dim, bias=False)  # reads the encoded inputs: W is (d, L)
        linear_grown = nn.Linear(new_inputs.shape[1], dim, bias=False)  # the layer for the grown vocabulary
        emb = nn.Embedding(V, dim)
        grown = grow(emb)
    try:
        linear_grown(old_inputs)
        fits = True
    except RuntimeError:
        fits = False
    unchanged = grown.num_embeddings == V + 1 and torch.equal(emb(ids), grown(ids))
    return Growth(V, (old_inputs.shape[1], new_inputs.shape[1]),
                  (tuple(linear.weight.shape), tuple(linear_grown.weight.shape)), fits, linear_grown.weight.numel(),
                  (V, grown.num_embeddings), grown.weight.numel() - emb.weight.numel(), unchanged)


def one_hot_max_cosine(V: int, encode: Encode = one_hot) -> float:
    """The largest |cosine| between the encodings of two distinct tokens of a V-word vocabulary (0 for one-hot)."""
    E = F.normalize(encode(torch.arange(V), V).float(), dim=-1)  # (V, V), unit rows
    cos = E @ E.T  # (V, V): cosine of every pair
    return cos.masked_fill(torch.eye(V, dtype=torch.bool), 0.0).abs().max().item()


# ---------------------------------------------------------------------------------------------- skip-gram


@dataclass(frozen=True)
class SkipGramConfig:
    """Skip-gram with negative sampling (Mikolov, Sutskever, Chen, Corrado, Dean 2013)."""

    dim: int = 64  # embedding size
    window: int = 4  # most words on each side counted as context (the actual window is drawn in 1..window)
    negatives: int = 5  # noise words per true pair, drawn from unigram^0.75
    min_count: int = 5  # words seen fewer times are dropped
    subsample: float = 1e-3  # frequent-word subsampling threshold t: keep with prob sqrt(t / f) (+ t / f)
    epochs: int = 5  # passes over the text
    batch: int = 4096  # pairs per step
    lr: float = 0.01  # Adam learning rate
    seed: int = 0  # seeds the windows, the noise words and the initial vectors


@dataclass(frozen=True)
class WordVectors:
    vocab: Vocab  # the words, most frequent first (index 0 is <unk>, unused)
    vectors: Tensor  # (V, dim) the centre-word ("input") vectors
    counts: Tensor  # (V,) occurrences in the text

    def nearest(self, word: str, k: int = 5) -> list[tuple[str, float]]:
        """The k words of highest cosine similarity to `word` (itself excluded)."""
        stoi = self.vocab.index()
        if word not in stoi or word == self.vocab.tokens[0]:
            raise ValueError(f"word {word!r} is not in the {self.vocab.size}-word vocabulary")
        v = F.normalize(self.vectors, dim=-1)  # (V, d)
        cos = v @ v[stoi[word]]  # (V,)
        cos[stoi[word]] = -2.0
        cos[0] = -2.0  # <unk>
        top = cos.topk(k)
        return [(self.vocab.tokens[i], float(c)) for c, i in zip(top.values.tolist(), top.indices.tolist(),
                                                                   strict=True)]


def train_skipgram(text: str, config: SkipGramConfig = SkipGramConfig()) -> WordVectors:
    """Word vectors from `text`: maximise log s(u_w . v_c) + sum_noise log s(-u_w . v_n) over context pairs."""
    words = [w for w in split_words(text) if w[0].isalpha()]  # words only: punctuation has no neighbours to learn
    vocab = word_vocab(words, config.min_count)
    if vocab.size < 3:
        raise ValueError(f"the text has {vocab.size - 1} words seen >= {config.min_count} times; too few for vectors")
    stoi = vocab.index()
    ids = torch.tensor([stoi.get(w, 0) for w in words])
    ids = ids[ids != 0]  # rare words are dropped, not mapped to <unk>
    counts = torch.bincount(ids, minlength=vocab.size).double()
    g = torch.Generator().manual_seed(config.seed)
    freq = counts / counts.sum()
    t = config.subsample
    keep_p = ((t / freq).sqrt() + t / freq).clamp(max=1.0)  # word2vec's subsampling of frequent words
    keep_p[0] = 0.0
    noise = counts.pow(0.75)
    noise = noise / noise.sum()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.seed)
        u = nn.Embedding(vocab.size, config.dim)  # centre vectors (the word vectors kept)
        v = nn.Embedding(vocab.size, config.dim)  # context vectors
    nn.init.uniform_(u.weight, -0.5 / config.dim, 0.5 / config.dim, generator=g)
    nn.init.zeros_(v.weight)
    opt = torch.optim.Adam([*u.parameters(), *v.parameters()], lr=config.lr)
    for _ in range(config.epochs):
        seq = ids[torch.rand(len(ids), generator=g, dtype=torch.float64) < keep_p[ids]]
        centres, contexts = [], []
        reach = torch.randint(1, config.window + 1, (len(seq),), generator=g)  # dynamic window (word2vec)
        for off in range(1, config.window + 1):
            ok = reach[:-off] >= off
            centres += [seq[:-off][ok], seq[off:][reach[off:] >= off]]
            contexts += [seq[off:][ok], seq[:-off][reach[off:] >= off]]
        c, o = torch.cat(centres), torch.cat(contexts)
        order = torch.randperm(len(c), generator=g)
        for i in range(0, len(c), config.batch):
            b = order[i : i + config.batch]
            neg = torch.multinomial(noise, len(b) * config.negatives, replacement=True, generator=g)
            uc = u(c[b])  # (B, d)
            pos = (uc * v(o[b])).sum(-1)  # (B,)
            negs = torch.bmm(v(neg.view(len(b), config.negatives)), uc[:, :, None])[..., 0]  # (B, K)
            loss = -(F.logsigmoid(pos).mean() + F.logsigmoid(-negs).sum(-1).mean())
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    return WordVectors(vocab, u.weight.detach().clone(), counts)


# ---------------------------------------------------------------------------------------------- a count oracle


@dataclass(frozen=True)
class Cooccurrence:
    """Word similarity from raw counts, independent of any training: cosine of PPMI co-occurrence rows."""

    words: list[str]  # the most frequent words, most frequent first
    ppmi: Tensor  # (N, N) positive pointwise mutual information, each row scaled to unit length

    def similarity(self, a: str, b: str) -> float | None:
        """Cosine of the two words' context profiles; None if either is not among the counted words."""
        index = {w: i for i, w in enumerate(self.words)}
        if a not in index or b not in index:
            return None
        return float(self.ppmi[index[a]] @ self.ppmi[index[b]])

    def band(self, rank: int) -> int:
        """The frequency band of the word of this rank: floor(log2(rank + 1)), so band b holds ranks
        2^b - 1 .. 2^(b+1) - 2 (word frequencies fall roughly as 1 / rank, Zipf)."""
        return int(math.log2(rank + 1))


def cooccurrence(text: str, top: int = 2000, window: int = 4) -> Cooccurrence:
    """Count how often two of the `top` most frequent words stand within `window` words of each other, then
    PPMI(a, b) = max(0, log P(a, b) / (P(a) P(b))) (Church & Hanks 1990) and unit rows."""
    words = [w for w in split_words(text) if w[0].isalpha()]
    counts: dict[str, int] = {}
    for w in words:
        counts[w] = counts.get(w, 0) + 1
    vocab = sorted(counts, key=lambda w: (-counts[w], w))[:top]
    index = {w: i for i, w in enumerate(vocab)}
    ids = torch.tensor([index.get(w, -1) for w in words])
    N = len(vocab)
    C = torch.zeros(N * N, dtype=torch.float64)
    for d in range(1, window + 1):
        a, b = ids[:-d], ids[d:]
        ok = (a >= 0) & (b >= 0)
        for x, y in ((a[ok], b[ok]), (b[ok], a[ok])):  # symmetric: b follows a, a precedes b
            C.index_add_(0, x * N + y, torch.ones(len(x), dtype=torch.float64))
    C = C.view(N, N)
    expected = C.sum(1, keepdim=True) * C.sum(0, keepdim=True) / C.sum()  # (N, N) counts under independence
    ppmi = torch.where(C > 0, (C / expected.clamp_min(1e-300)).log(), 0.0).clamp_min(0.0)
    return Cooccurrence(vocab, F.normalize(ppmi, dim=-1))


@dataclass(frozen=True)
class SimilarityTest:
    """Nearest neighbours in embedding space, scored by the count oracle, beside frequency-matched random pairs."""

    pairs: list[tuple[str, str]]  # (query, its nearest neighbour by embedding cosine)
    neighbour: list[float]  # [i] oracle similarity of pairs[i]
    matched: list[float]  # oracle similarity of (query, r), r random from the neighbour's frequency band
    matched_per_pair: int  # random partners drawn per pair


def similarity_test(vectors: WordVectors, oracle: Cooccurrence, queries: int = 200, matched: int = 5,
                    skip_top: int = 50, seed: int = 0) -> SimilarityTest:
    """Do embeddings put related words close? For `queries` words spread evenly over the oracle's ranks
    skip_top.., take each one's nearest neighbour by embedding cosine among the oracle's words, and score the
    pair by the oracle's context similarity. The baseline pairs the same query with random words drawn from
    the neighbour's frequency band, so that frequency alone (frequent words share contexts with everything)
    cannot make the neighbours look related."""
    stoi = vectors.vocab.index()
    words = [w for w in oracle.words if w in stoi]  # the oracle's words that have a vector, by frequency
    rank = {w: i for i, w in enumerate(oracle.words)}
    if len(words) < 3:
        raise ValueError(f"only {len(words)} words have both a vector and counts; the similarity test needs 3")
    skip_top = min(skip_top, len(words) // 4)  # a short text has few words: skip fewer
    v = F.normalize(vectors.vectors[torch.tensor([stoi[w] for w in words])], dim=-1)  # (W, d)
    candidates = list(range(skip_top, len(words)))
    step = max(1, len(candidates) // queries)
    chosen = candidates[::step][:queries]
    bands: dict[int, list[str]] = {}
    for w in words:
        bands.setdefault(oracle.band(rank[w]), []).append(w)
    g = torch.Generator().manual_seed(seed)
    pairs, neighbour, baseline = [], [], []
    for qi in chosen:
        cos = v @ v[qi]  # (W,)
        cos[qi] = -2.0
        q, n = words[qi], words[int(cos.argmax())]
        pool = [w for w in bands[oracle.band(rank[n])] if w not in (q, n)]
        if not pool:
            continue
        pairs.append((q, n))
        neighbour.append(_sim(oracle, q, n))
        for j in torch.randint(len(pool), (matched,), generator=g).tolist():
            baseline.append(_sim(oracle, q, pool[j]))
    return SimilarityTest(pairs, neighbour, baseline, matched)


def _sim(oracle: Cooccurrence, a: str, b: str) -> float:
    s = oracle.similarity(a, b)
    assert s is not None  # both words are the oracle's by construction
    return s


def shuffled_rows(vectors: WordVectors, seed: int = 0) -> WordVectors:
    """The same vectors given to the wrong words: a permutation of the rows. Any similarity is then chance."""
    g = torch.Generator().manual_seed(seed)
    perm = torch.randperm(len(vectors.vectors), generator=g)
    return WordVectors(vectors.vocab, vectors.vectors[perm], vectors.counts)
