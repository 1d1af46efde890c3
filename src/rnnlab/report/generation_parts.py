"""Report parts for sequence models: S2 (one-hot versus embeddings) and S6 (teacher forcing, scheduled sampling)."""

from __future__ import annotations

import math
from dataclasses import asdict
from typing import Any

import torch
import torch.nn.functional as F

from rnnlab.experiments.exposure import ExposureConfig, run_exposure
from rnnlab.generation.data import BUILTIN, load_text, make_corpus
from rnnlab.generation.embeddings import (
    SkipGramConfig,
    cooccurrence,
    cost_table,
    one_hot_max_cosine,
    train_skipgram,
    vocab_growth,
)
from rnnlab.generation.exposure import position_curves
from rnnlab.generation.lm import LMConfig, TrainConfig, build_model, train_lm, windowed_nll
from rnnlab.generation.schedules import default_schedule, parse_strategy
from rnnlab.report.claims import Claim, Part, PartResult, new_figure

# --- S2 ---------------------------------------------------------------------------------------------

QUERIES = ("king", "queen", "father", "love", "death", "sword")


def _s2_config(scale: str) -> dict[str, Any]:
    return {"vocab_sizes": [1_000, 10_000, 100_000], "dim": 128,
            "skipgram": asdict(SkipGramConfig(epochs=2 if scale == "quick" else 5)), "queries": list(QUERIES)}


def s2(scale: str) -> PartResult:
    cfg, out = _s2_config(scale), PartResult()
    rows = cost_table(tuple(cfg["vocab_sizes"]), cfg["dim"])
    # Bytes of real input tensors for one token at the largest vocabulary: a one-hot row against an index.
    V = cfg["vocab_sizes"][-1]
    one_hot = F.one_hot(torch.tensor([3]), V).float()
    index = torch.tensor([3])
    one_hot_bytes, index_bytes = one_hot.nelement() * one_hot.element_size(), index.nelement() * index.element_size()
    out.claims.append(Claim(
        "S2.sparse", "S2",
        "One-hot vectors are sparse and as long as the vocabulary; one_hot(w) @ W is only an expensive lookup",
        all(r.equal for r in rows) and int(one_hot.count_nonzero()) == 1 and one_hot_bytes == 4 * V
        and all(a.matmul_s > b.matmul_s for a, b in zip(rows[1:], rows, strict=False)),
        {"rows": [asdict(r) for r in rows], "one_token_one_hot_bytes": one_hot_bytes,
         "one_token_index_bytes": index_bytes, "vocab": V},
        "rnnlab embeddings --json",
    ))
    growth = vocab_growth(1000, cfg["dim"])
    out.claims.append(Claim(
        "S2.hard-coded", "S2",
        "A new word adds a one-hot dimension, so the input layer changes shape; an embedding only gains a row",
        not growth.old_inputs_fit_new_layer and growth.embedding_outputs_unchanged,
        asdict(growth),
        "rnnlab embeddings --json",
    ))
    text = load_text(BUILTIN)
    vectors = train_skipgram(text, SkipGramConfig(**cfg["skipgram"]))
    neighbours = {w: vectors.nearest(w, 5) for w in cfg["queries"]}
    max_cos = one_hot_max_cosine(1000)
    # The oracle for "related": how alike two words' contexts are in the raw counts, with no training at all.
    counts = cooccurrence(text)
    scored = [s for w, ns in neighbours.items() for n, _ in ns if (s := counts.similarity(w, n)) is not None]
    neighbour_mean, random_mean = sum(scored) / len(scored), counts.random_pair_mean()
    out.claims.append(Claim(
        "S2.no-similarity", "S2",
        "Every pair of distinct one-hot vectors is orthogonal (cosine 0); learned embeddings place related words close",
        max_cos == 0.0 and neighbour_mean > 2 * random_mean,
        {"one_hot_max_cosine_V1000": max_cos,
         "skipgram_nearest_neighbours": {w: [f"{n} ({c:.2f})" for n, c in ns] for w, ns in neighbours.items()},
         "skipgram_vocabulary": vectors.vocab.size,
         "neighbours_context_similarity": neighbour_mean,
         "random_pairs_context_similarity": random_mean,
         "neighbour_pairs_scored": len(scored),
         "context_similarity": "cosine of PPMI co-occurrence rows (window 4, 2000 most frequent words)"},
        "rnnlab embeddings",
    ))
    return out


# --- S6 ---------------------------------------------------------------------------------------------

def _s6_settings(scale: str) -> tuple[ExposureConfig, dict[str, Any]]:
    quick = scale == "quick"
    exposure = ExposureConfig(seeds=(0, 1) if quick else (0, 1, 2), steps=150 if quick else 400)
    lm = {"hidden": 128 if quick else 256, "steps": 150 if quick else 600, "windows": 128}
    return exposure, lm


def _s6_config(scale: str) -> dict[str, Any]:
    exposure, lm = _s6_settings(scale)
    return {"exposure": asdict(exposure), "lm": lm}


def _closed_form_eps(decay: str, k: float, c: float, eps_min: float, i: int) -> float:
    """Bengio et al. 2015, written out again here as the oracle for the library's schedules."""
    if decay == "linear":
        return max(eps_min, k - c * i)
    if decay == "exponential":
        return k**i
    return k / (k + math.exp(i / k))


def s6(scale: str) -> PartResult:
    exposure_config, lm_cfg = _s6_settings(scale)
    out = PartResult()

    steps = exposure_config.steps
    points = sorted({0, steps // 4, steps // 2, steps - 1})
    table, exact = {}, True
    for decay in ("linear", "exponential", "inverse-sigmoid"):
        sch = default_schedule(decay, steps)
        got = [sch.eps(i) for i in points]
        want = [_closed_form_eps(decay, sch.k, sch.c, sch.eps_min, i) for i in points]
        exact &= all(abs(a - b) < 1e-12 for a, b in zip(got, want, strict=True))
        exact &= all(sch.eps(i + 1) <= sch.eps(i) for i in range(steps - 1))
        table[decay] = {"k": sch.k, "c": sch.c, "eps_min": sch.eps_min, "eps": dict(zip(points, got, strict=True))}
    fig, ax = new_figure(6, 3.6)
    for decay in table:
        strategy = parse_strategy(f"scheduled:{decay}", steps)
        ax.plot(range(steps), [strategy.eps(i) for i in range(steps)], label=decay)
    ax.set_xlabel("training step i")
    ax.set_ylabel("eps_i = P(feed the ground truth)")
    ax.set_title("S6: the three decays move from teacher forcing towards free running")
    ax.legend()
    out.claims.append(Claim(
        "S6.decays", "S6",
        "Scheduled sampling feeds the truth with probability eps_i: linear max(eps_min, k - c i), exponential k^i, "
        "inverse sigmoid k / (k + exp(i / k)), each decaying over training",
        exact, {"steps": steps, "schedules": table},
        f"rnnlab schedule inverse-sigmoid --steps {','.join(str(p) for p in points)}",
        out.add_figure("s6-decays", fig),
    ))

    # Exposure bias on real text: a teacher-forced model scored from true prefixes and from its own.
    corpus = make_corpus(BUILTIN, "char")
    model = build_model(LMConfig(corpus.vocab.size, "gru", 64, lm_cfg["hidden"]), 0)
    train_lm(model, corpus, TrainConfig(steps=lm_cfg["steps"], time_budget_s=None, eval_points=1, threads=1))
    curves = position_curves(model, corpus.val, windows=lm_cfg["windows"], prompt=16, length=48)
    summary = curves.summary()
    val = windowed_nll(model, corpus.val, 256, 64)
    out.claims.append(Claim(
        "S6.exposure-bias", "S6",
        "A model trained with teacher forcing does worse when it must continue from its own predictions: "
        "errors compound (exposure bias)",
        summary["fr_nll"] > summary["tf_nll"] and summary["fr_err"] > summary["tf_err"],
        {"model": f"GRU-{lm_cfg['hidden']}, {lm_cfg['steps']} teacher-forced steps on Tiny Shakespeare",
         "val_nll_windowed": val, **summary},
        f"rnnlab lm --hidden {lm_cfg['hidden']} --steps {lm_cfg['steps']} --time-budget 0 --json",
    ))

    # Does scheduled sampling help? Measured exactly on a source whose likelihood is known.
    result = run_exposure(exposure_config)
    comparisons = result.comparisons()
    # Only scheduled sampling is on trial here; free running beating teacher forcing would not count.
    better = [c.strategy for c in comparisons if c.strategy.startswith("scheduled:") and c.verdict == "better"]
    out.claims.append(Claim(
        "S6.scheduled-sampling", "S6",
        "Scheduled sampling (Bengio et al. 2015) reduces the error at the model's own prefixes compared with "
        "teacher forcing (here: exact KL to an HMM source at self-generated prefixes)",
        bool(better),
        {"primary_metric": result.primary,
         "comparisons": [asdict(c) for c in comparisons],
         "seeds": len(exposure_config.seeds), "steps": exposure_config.steps,
         "note": "Huszar 2015 argues the scheduled-sampling objective is improper; a null result is expected"},
        f"rnnlab exposure --source oracle --seeds {','.join(str(s) for s in exposure_config.seeds)}",
        out.add_figure("s6-exposure", result.figures["by_position"]),
    ))
    return out


PARTS = [
    Part("S2", "S2. One-hot encoding versus dense embeddings", s2, _s2_config),
    Part("S6", "S6. Teacher forcing, exposure bias, scheduled sampling", s6, _s6_config),
]
