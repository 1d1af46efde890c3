"""S2 and S6 claims: each verdict flips when its check is handed a broken subject (a mutation test per claim)."""

from __future__ import annotations

import math
from dataclasses import asdict
from typing import Any

import pytest
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from rnnlab.experiments.exposure import ExposureConfig, run_exposure
from rnnlab.generation.data import Vocab, load_text
from rnnlab.generation.embeddings import (
    WordVectors,
    cooccurrence,
    cost_table,
    one_hot_max_cosine,
    shuffled_rows,
    similarity_test,
    vocab_growth,
)
from rnnlab.generation.exposure import SourceLM, State, count_bigram, oracle_curves
from rnnlab.generation.lm import unroll
from rnnlab.generation.oracle import HMM, random_hmm
from rnnlab.generation.schedules import Schedule, default_schedule
from rnnlab.report import generation_parts as gp
from rnnlab.report.claims import FAILS, HOLDS


def dense_one_hot(tokens: Tensor, V: int) -> Tensor:
    """A broken "one-hot": label smoothing leaves every entry non-zero."""
    return F.one_hot(tokens, V).float() * 0.9 + 0.1 / V


# --- S2 ---------------------------------------------------------------------------------------------


def test_sparse_flips_on_a_dense_encoding() -> None:
    good = gp.measure_sparse(cost_table((50, 2000), dim=16, tokens=8, repeats=1))
    assert gp.S2_SPARSE.judge(good) == HOLDS == gp.S2_SPARSE.expected
    assert good["rows"][1]["matmul_flops"] == 2 * 8 * 2000 * 16  # FlopCounterMode agrees with 2 N V d
    dense = gp.measure_sparse(cost_table((50, 2000), dim=16, tokens=8, repeats=1, encode=dense_one_hot))
    assert gp.S2_SPARSE.judge(dense) == FAILS


def _growth(**kwargs: Any) -> dict[str, Any]:
    return {**asdict(vocab_growth(20, 4, **kwargs)), "dim": 4}


def test_hard_coded_flips_on_a_table_that_forgets_or_a_fixed_length_code() -> None:
    assert gp.S2_HARD_CODED.judge(_growth()) == HOLDS == gp.S2_HARD_CODED.expected

    def reinitialise(emb: nn.Embedding) -> nn.Embedding:  # grows, but loses the old rows
        return nn.Embedding(emb.num_embeddings + 1, emb.embedding_dim)

    def hashed(tokens: Tensor, V: int) -> Tensor:  # a fixed 16-long code: a new word fits the old layer
        return F.one_hot(tokens % 16, 16).float()

    assert gp.S2_HARD_CODED.judge(_growth(grow=reinitialise)) == FAILS
    assert gp.S2_HARD_CODED.judge(_growth(encode=hashed)) == FAILS


def test_no_similarity_flips_on_a_dense_encoding() -> None:
    assert gp.S2_NO_SIMILARITY.judge({"one_hot_max_cosine": one_hot_max_cosine(200)}) == HOLDS
    assert gp.S2_NO_SIMILARITY.judge({"one_hot_max_cosine": one_hot_max_cosine(200, dense_one_hot)}) == FAILS


def test_learned_similarity_flips_on_shuffled_rows() -> None:
    """Word vectors from the count matrix itself (a truncated SVD of PPMI rows, Levy & Goldberg 2014) as the good
    subject; the same vectors given to the wrong words (shuffled rows) as the broken one."""
    text = load_text("tinyshakespeare")[:400_000]
    oracle = cooccurrence(text, 500)
    U, S, _ = torch.linalg.svd(oracle.ppmi)
    vocab = Vocab(("<unk>", *oracle.words), "word")
    vectors = torch.cat([torch.zeros(1, 32, dtype=torch.float64), U[:, :32] * S[:32]]).float()
    good = WordVectors(vocab, vectors, torch.ones(len(vocab.tokens)))
    ev = gp.measure_similarity(similarity_test(good, oracle, queries=80, matched=3))
    assert gp.S2_LEARNED.judge(ev) == HOLDS
    broken = gp.measure_similarity(similarity_test(shuffled_rows(good), oracle, queries=80, matched=3))
    assert gp.S2_LEARNED.judge(broken) != HOLDS
    # The baseline is frequency-matched: each random partner comes from its neighbour's frequency band.
    rank = {w: i for i, w in enumerate(oracle.words)}
    test = similarity_test(good, oracle, queries=20, matched=3)
    assert all(oracle.band(rank[n]) >= 0 for _, n in test.pairs) and len(test.matched) == 3 * len(test.pairs)


# --- S6 ---------------------------------------------------------------------------------------------


class _OffByOne:
    """A broken schedule: eps one step late (k^(i+1) instead of k^i, ...)."""

    def __init__(self, s: Schedule) -> None:
        self.k, self.c, self.eps_min, self.s = s.k, s.c, s.eps_min, s

    def eps(self, i: int) -> float:
        return self.s.eps(i + 1)


def test_decays_flip_on_a_schedule_one_step_late() -> None:
    assert gp.S6_DECAYS.judge(gp.measure_decays(default_schedule, 60)) == HOLDS
    broken = gp.measure_decays(lambda d, n: _OffByOne(default_schedule(d, n)), 60)  # type: ignore[arg-type,return-value]
    assert gp.S6_DECAYS.judge(broken) == FAILS


def test_coin_flips_on_an_unroll_that_never_feeds_own_tokens() -> None:
    assert gp.S6_COIN.judge(gp.coin_evidence(batch=32)) == HOLDS
    never_own = gp.coin_evidence(lambda m, x, eps, feed, g: unroll(m, x, 1.0, feed, g), batch=32)
    assert gp.S6_COIN.judge(never_own) == FAILS
    always_half = gp.coin_evidence(lambda m, x, eps, feed, g: unroll(m, x, 0.5, feed, g), batch=32)
    assert gp.S6_COIN.judge(always_half) == FAILS


class Derailing(nn.Module):
    """A model whose errors compound: the exact source, blurred towards uniform the more surprising tokens
    (p < tau under the source) its prefix holds: q = (1 - w) p + w / V, w = 1 - exp(-lam * surprises). Its own
    samples are surprising more often than the source's, which blurs it further."""

    def __init__(self, hmm: HMM, lam: float = 0.4, tau: float = 0.05) -> None:
        super().__init__()
        self.source, self.lam, self.tau = SourceLM(hmm), lam, tau

    def step(self, x_t: Tensor, state: State = None) -> tuple[Tensor, State]:
        if state is None:
            logits, prior = self.source.step(x_t, None)
            surprises = torch.zeros(len(x_t), dtype=torch.float64)
        else:
            prior, surprises, last = state
            surprises = surprises + (last.gather(1, x_t[:, None])[:, 0] < math.log(self.tau)).double()
            logits, prior = self.source.step(x_t, prior)
        V = logits.shape[1] - 1
        w = (1 - torch.exp(-self.lam * surprises))[:, None]
        q = (1 - w) * logits[:, :V].exp() + w / V
        return torch.cat([q.log(), logits[:, V:]], 1), (prior, surprises, logits[:, :V])

    def forward(self, x: Tensor, state: State = None) -> tuple[Tensor, State]:
        out = []
        for t in range(x.shape[1]):
            logits, state = self.step(x[:, t], state)
            out.append(logits)
        return torch.stack(out, 1), state


HMM_SMALL = dict(n_states=8, n_symbols=6, seed=0, concentration=0.1, stay=0.5)


def _exposure_evidence(model: Any, hmm: HMM, seeds: int = 5) -> dict[str, Any]:
    """Score a model against the exact source with a different sampling seed per 'seed'."""
    return gp.measure_exposure([oracle_curves(model, hmm, 128, 24, seed=s).summary() for s in range(seeds)],
                               list(range(seeds)))


def test_exposure_bias_passes_only_a_model_whose_errors_compound() -> None:
    hmm = random_hmm(**HMM_SMALL)  # type: ignore[arg-type]
    derailing = _exposure_evidence(Derailing(hmm), hmm)
    assert min(derailing["gap_growth"]) > 0
    assert gp.S6_EXPOSURE.judge(derailing) == HOLDS
    source = _exposure_evidence(SourceLM(hmm), hmm)
    assert max(map(abs, source["gap_growth"])) < 1e-12  # q = p: no gap anywhere
    assert gp.S6_EXPOSURE.judge(source) == FAILS
    pool = hmm.sample(2000, 24, torch.Generator().manual_seed(1))
    assert gp.S6_EXPOSURE.judge(_exposure_evidence(count_bigram(pool, hmm.n_symbols), hmm)) != HOLDS


TINY = ExposureConfig(strategies=("teacher", gp.SCHEDULED), seeds=(0, 1, 2, 3), steps=30, batch=8, seq_len=16,
                      hidden=16, embed_dim=8, eval_samples=128, train_sequences=400)


@pytest.mark.slow
def test_scheduled_sampling_flips_against_a_genuinely_worse_teacher() -> None:
    """The verdict at tiny scale, then the same scheduled models against teacher-forced models trained for one
    step only: a genuinely worse reference reverses the effect and the claim holds."""
    result = run_exposure(TINY)
    real = gp.S6_SCHEDULED.judge(gp.measure_scheduled(result))
    worse = run_exposure(ExposureConfig(**{**asdict(TINY), "strategies": ("teacher",), "steps": 1}))
    flipped = gp.S6_SCHEDULED.judge(gp.measure_scheduled(result, reference=worse))
    assert real != HOLDS and flipped == HOLDS


def test_source_model_is_the_source() -> None:
    """SourceLM's predictive equals the HMM's forward algorithm, step by step and in one pass."""
    hmm = random_hmm(**HMM_SMALL)  # type: ignore[arg-type]
    x = hmm.sample(5, 7, torch.Generator().manual_seed(0))
    bos = torch.full_like(x[:, :1], hmm.n_symbols)
    logits, _ = SourceLM(hmm)(torch.cat([bos, x[:, :-1]], 1))
    torch.testing.assert_close(logits[..., :-1].exp(), hmm.predictive(x))


def test_count_bigram_counts() -> None:
    seqs = torch.tensor([[0, 1, 1], [1, 0, 1]])
    q = count_bigram(seqs, 2, alpha=0.0).log_q.exp()
    # After BOS: 0 once, 1 once; after 0: 1 twice; after 1: 1 once, 0 once.
    torch.testing.assert_close(q[2, :2], torch.tensor([0.5, 0.5], dtype=torch.float64))
    torch.testing.assert_close(q[0, :2], torch.tensor([0.0, 1.0], dtype=torch.float64))
    torch.testing.assert_close(q[1, :2], torch.tensor([0.5, 0.5], dtype=torch.float64))
