"""The exposure-bias experiment (SPEC S6): every training strategy x several seeds, on a source.

Teacher forcing, free running and scheduled sampling with each of Bengio et al.'s three decays train
the same small RNN language model; each trained model is then scored on its own prefixes against true
ones. On the oracle source (an HMM) the scores are exact divergences from the source; on Tiny
Shakespeare they are the loss of the true continuation after a true versus a self-generated prefix.
Huszar 2015 ("How (not) to train your generative model") argues scheduled sampling's objective is
improper, so "no gain" is a possible, and reportable, outcome.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from torch import Tensor

from rnnlab.generation.data import make_corpus, random_windows
from rnnlab.generation.exposure import OracleCurves, PositionCurves, oracle_curves, oracle_logits, position_curves
from rnnlab.generation.lm import RNNLM, LMConfig, TrainConfig, build_model, train, windowed_nll
from rnnlab.generation.oracle import random_hmm
from rnnlab.generation.schedules import STRATEGIES, parse_strategy

SOURCES = ("oracle", "tinyshakespeare")
# The headline metric per source, lower is better for both. On text it is the teacher-forced validation
# NLL, a proper score: the own-prefix loss alone would reward a model that ignores its input (a model
# that always predicts the character frequencies has no exposure bias at all, and a poor likelihood).
PRIMARY = {"oracle": "kl_own", "tinyshakespeare": "val_nll"}


@dataclass(frozen=True)
class ExposureConfig:
    """One exposure-bias experiment. Defaults: the oracle source, a laptop-CPU size (about a minute)."""

    source: str = "oracle"  # "oracle" (an HMM, exact scores) or "tinyshakespeare"
    strategies: tuple[str, ...] = STRATEGIES  # training strategies compared
    seeds: tuple[int, ...] = (0, 1, 2)  # one trained model per strategy and seed
    steps: int = 400  # optimizer steps per model
    batch: int = 32  # sequences per step
    seq_len: int = 32  # training sequence length (the oracle's sequences are this long too)
    cell: str = "gru"  # recurrent cell of the model
    hidden: int = 64  # recurrent units
    embed_dim: int = 16  # token embedding size
    lr: float = 3e-3  # peak AdamW learning rate (warm-up, then linear decay to 0)
    feed: str = "sample"  # the model's own token: sampled from its distribution (Bengio et al.) or argmax
    hmm_states: int = 16  # oracle: hidden states
    hmm_symbols: int = 8  # oracle: alphabet size
    hmm_concentration: float = 0.1  # oracle: Dirichlet parameter of the rows (small = predictable source)
    hmm_stay: float = 0.5  # oracle: extra probability of keeping the hidden state (long-range structure)
    hmm_seed: int = 0  # oracle: which random HMM
    train_sequences: int = 2000  # oracle: size of the finite training set drawn from the source
    eval_samples: int = 512  # oracle: sequences scored per model (from the source and from the model)
    data: str = "tinyshakespeare"  # text source: the shipped corpus or a path
    prompt: int = 16  # text: true tokens given before the scored continuation
    length: int = 48  # text: scored positions after the prompt
    eval_windows: int = 128  # text: windows scored per model

    def __post_init__(self) -> None:
        if self.source not in SOURCES:
            raise ValueError(f"unknown source {self.source!r}; valid: {', '.join(SOURCES)}")
        if not self.seeds:
            raise ValueError("give at least one seed")
        if not self.strategies:
            raise ValueError("give at least one strategy")
        for s in self.strategies:
            parse_strategy(s, self.steps)  # raises on an unknown strategy or decay
        if self.steps < 1 or self.batch < 1 or self.seq_len < 2:
            raise ValueError(f"steps and batch must be >= 1 and seq_len >= 2, got {self.steps}, {self.batch}, "
                             f"{self.seq_len}")


def text_config(**overrides: Any) -> ExposureConfig:
    """Defaults for Tiny Shakespeare: a character model with more units and longer windows."""
    base: dict[str, Any] = {"source": "tinyshakespeare", "steps": 300, "batch": 32, "seq_len": 64, "hidden": 128,
                            "embed_dim": 32}
    return ExposureConfig(**{**base, **overrides})


@dataclass(frozen=True)
class Run:
    """One trained model and its scores."""

    strategy: str  # training strategy
    seed: int  # model seed
    metrics: dict[str, float]  # summary scores (see OracleCurves / PositionCurves .summary)
    curves: OracleCurves | PositionCurves  # per-position scores
    train_s: float  # wall seconds of training
    tokens_per_s: float  # training throughput


@dataclass(frozen=True)
class Comparison:
    """A strategy against teacher forcing on the primary metric, over seeds."""

    strategy: str
    mean: float  # mean of the primary metric over seeds
    std: float  # its sample standard deviation (0 for one seed)
    delta_vs_teacher: float  # mean - teacher's mean (negative: better than teacher forcing)
    verdict: str  # "better", "worse" or "no clear difference" (every seed beyond every teacher seed)


@dataclass(frozen=True)
class ExposureResult:
    config: ExposureConfig
    runs: list[Run]
    eps: dict[str, list[float]]  # strategy -> eps at every training step
    figures: dict[str, Figure] = field(default_factory=dict)  # "schedules", "by_position"

    @property
    def primary(self) -> str:
        return PRIMARY[self.config.source]

    def table(self) -> dict[str, dict[str, tuple[float, float]]]:
        """strategy -> metric -> (mean, sample std) over seeds."""
        out: dict[str, dict[str, tuple[float, float]]] = {}
        for s in self.config.strategies:
            runs = [r for r in self.runs if r.strategy == s]
            out[s] = {m: _mean_std([r.metrics[m] for r in runs]) for m in runs[0].metrics}
        return out

    def comparisons(self) -> list[Comparison]:
        """Each strategy against teacher forcing (only when teacher forcing was run)."""
        if "teacher" not in self.config.strategies:
            return []
        by = {s: [r.metrics[self.primary] for r in self.runs if r.strategy == s] for s in self.config.strategies}
        t_mean = statistics.fmean(by["teacher"])
        out = []
        for s, v in by.items():
            m, sd = _mean_std(v)
            if max(v) < min(by["teacher"]):
                verdict = "better"
            elif min(v) > max(by["teacher"]):
                verdict = "worse"
            else:
                verdict = "no clear difference"
            out.append(Comparison(s, m, sd, m - t_mean, "reference" if s == "teacher" else verdict))
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "config": {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self.config).items()},
            "primary_metric": self.primary,
            "table": {s: {m: {"mean": a, "std": b} for m, (a, b) in row.items()} for s, row in self.table().items()},
            "comparisons": [asdict(c) for c in self.comparisons()],
            "runs": [{"strategy": r.strategy, "seed": r.seed, **r.metrics, "train_s": r.train_s,
                      "tokens_per_s": r.tokens_per_s, "curves": asdict(r.curves)} for r in self.runs],
        }


def _mean_std(v: list[float]) -> tuple[float, float]:
    return statistics.fmean(v), statistics.stdev(v) if len(v) > 1 else 0.0


def run_exposure(config: ExposureConfig, on_step: Callable[[str, int, int, int], None] | None = None,
                 figures: bool = True) -> ExposureResult:
    """Train one model per (strategy, seed), score each, and draw the figures (unless figures=False).

    on_step(strategy, seed, step, steps) is called after each training step (progress bars).
    """
    runs = []
    eps: dict[str, list[float]] = {}
    setup = _oracle_setup(config) if config.source == "oracle" else _text_setup(config)
    for strategy_name in config.strategies:
        strategy = parse_strategy(strategy_name, config.steps)
        eps[strategy_name] = [strategy.eps(i) for i in range(config.steps)]
        for seed in config.seeds:
            model = build_model(LMConfig(setup.vocab_size, config.cell, config.embed_dim, config.hidden), seed)
            tc = TrainConfig(strategy=strategy, steps=config.steps, time_budget_s=None, batch=config.batch,
                             seq_len=config.seq_len, lr=config.lr, warmup=max(1, config.steps // 20),
                             feed=config.feed, bf16=False, eval_points=2, seed=seed,
                             threads=1)  # a small model: one thread, float32

            def progress(step: int, _p: float, _loss: float, s: str = strategy_name, sd: int = seed) -> None:
                if on_step is not None:
                    on_step(s, sd, step, config.steps)

            res = train(model, setup.batches, setup.evaluate, tc, progress)
            curves, metrics = setup.score(model)
            runs.append(Run(strategy_name, seed, metrics, curves, res.train_s, res.tokens_per_s))
    result = ExposureResult(config, runs, eps)
    if figures:
        result.figures.update(make_figures(result))
    return result


@dataclass(frozen=True)
class _Setup:
    vocab_size: int
    batches: Callable[[torch.Generator], tuple[Tensor, Tensor]]
    evaluate: Callable[[RNNLM], float]
    score: Callable[[RNNLM], tuple[OracleCurves | PositionCurves, dict[str, float]]]


def _oracle_setup(config: ExposureConfig) -> _Setup:
    hmm = random_hmm(config.hmm_states, config.hmm_symbols, config.hmm_seed, config.hmm_concentration,
                     config.hmm_stay)
    g = torch.Generator().manual_seed(config.hmm_seed + 1)
    pool = hmm.sample(config.train_sequences, config.seq_len, g)  # (N, T): the finite training set
    held_out = hmm.sample(256, config.seq_len, g)
    bos = hmm.n_symbols  # the model reads BOS first, so it predicts every symbol of a sequence

    def batches(gen: torch.Generator) -> tuple[Tensor, Tensor]:
        y = pool[torch.randint(len(pool), (config.batch,), generator=gen)]  # (B, T)
        x = torch.cat([torch.full_like(y[:, :1], bos), y[:, :-1]], dim=1)
        return x, y

    @torch.no_grad()
    def evaluate(model: RNNLM) -> float:
        logq = oracle_logits(model, held_out, bos)
        return -logq.gather(-1, held_out[..., None]).mean().item()

    def score(model: RNNLM) -> tuple[OracleCurves, dict[str, float]]:
        c = oracle_curves(model, hmm, config.eval_samples, config.seq_len)
        return c, c.summary()

    return _Setup(hmm.n_symbols + 1, batches, evaluate, score)


def _text_setup(config: ExposureConfig) -> _Setup:
    corpus = make_corpus(config.data)

    def batches(gen: torch.Generator) -> tuple[Tensor, Tensor]:
        return random_windows(corpus.train, config.batch, config.seq_len, gen)

    def evaluate(model: RNNLM) -> float:
        return windowed_nll(model, corpus.val, 128)

    def score(model: RNNLM) -> tuple[PositionCurves, dict[str, float]]:
        c = position_curves(model, corpus.val, config.eval_windows, config.prompt, config.length)
        return c, {**c.summary(), "val_nll": windowed_nll(model, corpus.val, 256)}

    return _Setup(corpus.vocab.size, batches, evaluate, score)


# ---------------------------------------------------------------------------------------------- figures


def plot_schedules(ax: Axes, eps: dict[str, list[float]]) -> list[Any]:
    """eps_i against training step i, one line per strategy."""
    artists: list[Any] = []
    for name, values in eps.items():
        artists += ax.plot(range(len(values)), values, label=name, lw=2 if name.startswith("scheduled") else 1)
    ax.set_xlabel("training step i")
    ax.set_ylabel("eps_i = P(feed the ground truth)")
    ax.set_ylim(-0.03, 1.03)
    ax.legend(fontsize=8)
    return artists


def plot_by_position(ax: Axes, result: ExposureResult, prefix: str = "own") -> list[Any]:
    """Per-position error at the model's own prefixes (prefix="own") or at true ones ("true"), one line per
    strategy: the mean over seeds with a min-max band."""
    oracle = result.config.source == "oracle"
    key = {("own", True): "kl_own", ("true", True): "kl_true", ("own", False): "fr_nll",
           ("true", False): "tf_nll"}[(prefix, oracle)]
    artists: list[Any] = []
    for s in result.config.strategies:
        rows = torch.tensor([getattr(r.curves, key) for r in result.runs if r.strategy == s])  # (seeds, T)
        t = range(1, rows.shape[1] + 1)
        artists += ax.plot(t, rows.mean(0), label=s)
        artists.append(ax.fill_between(t, rows.min(0).values, rows.max(0).values, alpha=0.15))
    where = "the model's own" if prefix == "own" else "true"
    ax.set_ylabel("KL(p || q) of the next-token distributions, nats" if oracle
                  else "NLL of the true next char, nats/char")
    ax.set_xlabel("position (tokens from the start)" if oracle
                  else f"position after a {result.config.prompt}-char true prompt (chars)")
    ax.set_title(f"{where} prefixes", fontsize=10)
    return artists


def headline(result: ExposureResult) -> str:
    """The finding in one line, computed from the runs."""
    comps = [c for c in result.comparisons() if c.strategy.startswith("scheduled")]
    if not comps:
        return f"{result.primary} by strategy"
    best = min(comps, key=lambda c: c.mean)
    teacher = next(c for c in result.comparisons() if c.strategy == "teacher")
    word = {"better": "beats", "worse": "trails", "no clear difference": "ties with"}[best.verdict]
    return (f"best scheduled ({best.strategy.split(':')[1]}) {word} teacher forcing: "
            f"{result.primary} {best.mean:.3f} vs {teacher.mean:.3f}")


def make_figures(result: ExposureResult) -> dict[str, Figure]:
    fig_s = Figure(figsize=(6.4, 4.2), layout="constrained")
    ax = fig_s.add_subplot()
    plot_schedules(ax, result.eps)
    ax.set_title(f"Scheduled sampling decays over {result.config.steps} steps (Bengio et al. 2015)")
    fig_p = Figure(figsize=(11, 4.6), layout="constrained")
    ax_true, ax_own = fig_p.subplots(1, 2, sharey=True)
    plot_by_position(ax_true, result, "true")
    plot_by_position(ax_own, result, "own")
    ax_own.legend(fontsize=8)
    fig_p.suptitle(f"{result.config.source}: {headline(result)}", fontsize=11)
    return {"schedules": fig_s, "by_position": fig_p}
