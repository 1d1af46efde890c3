"""A trained language model, evaluated the ways `rnnlab lm` reports it (SPEC S6): nanoGPT's windowed validation
NLL, the streaming NLL, exposure by position after a true prompt, and a sample; and its validation-curve figure."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import torch
from matplotlib.figure import Figure

from rnnlab.generation.data import Corpus, Vocab
from rnnlab.generation.exposure import PositionCurves, position_curves
from rnnlab.generation.lm import RNNLM, TrainResult, num_threads, parameter_count, sample, streaming_nll, windowed_nll
from rnnlab.generation.schedules import Schedule

WINDOW = 64  # tokens per validation window (nanoGPT's block size on CPU)


@dataclass(frozen=True)
class LMEvaluation:
    """What `rnnlab lm` prints about a model, trained now or loaded."""

    val_nll: float  # mean NLL over random validation windows from a zero state, nats/token
    eval_windows: int  # windows of WINDOW tokens behind val_nll
    val_nll_streaming: float  # NLL with the state carried across the whole validation text, nats/token
    exposure: PositionCurves  # NLL of the true continuation after a true prompt: true vs own prefixes
    sample: str  # the prompt and its sampled continuation
    threads: int  # intra-op threads used for the batched evaluation
    parameters: int  # trainable parameters of the model

    def to_dict(self) -> dict[str, Any]:
        c = self.exposure
        return {"val_nll": self.val_nll, "val_bpc": self.val_nll / math.log(2),
                "val_nll_streaming": self.val_nll_streaming, "eval_windows": self.eval_windows,
                "exposure": {**c.summary(), "prompt": c.prompt, "tf_nll_by_pos": c.tf_nll, "fr_nll_by_pos": c.fr_nll},
                "sample": self.sample, "threads": self.threads, "parameters": self.parameters}


def evaluate_lm(model: RNNLM, corpus: Corpus, vocab: Vocab, *, eval_windows: int, prompt: str, sample_len: int,
                temperature: float, seed: int, threads: int | None = None) -> LMEvaluation:
    """Every number `rnnlab lm` reports about `model` on corpus.val, and a sample continuing `prompt`."""
    n = threads if threads is not None else torch.get_num_threads()
    with num_threads(n):
        val_nll = windowed_nll(model, corpus.val, eval_windows, WINDOW)
        curves = position_curves(model, corpus.val, windows=128, prompt=16, length=48)
    with num_threads(1):  # one sequence, one token at a time: threads would only wait for each other
        val_stream = streaming_nll(model, corpus.val)
        text = sample(model, vocab, prompt, sample_len, temperature, seed) if sample_len > 0 else ""
    joined = prompt + (" " if vocab.level == "word" and text else "") + text
    return LMEvaluation(val_nll, eval_windows, val_stream, curves, joined, n, parameter_count(model))


def training_dict(result: TrainResult) -> dict[str, Any]:
    """The training run as `rnnlab lm --json` prints it."""
    return {"steps": result.steps, "tokens": result.tokens, "train_s": result.train_s,
            "tokens_per_s": result.tokens_per_s, "curve": [asdict(p) for p in result.curve]}


def curve_figure(result: TrainResult, final: float) -> Figure:
    """Training and validation NLL against wall time, beside nanoGPT's CPU recipe and the target."""
    fig = Figure(figsize=(6.4, 4.2), layout="constrained")
    ax = fig.add_subplot()
    t = [p.elapsed_s for p in result.curve]
    ax.plot(t, [p.train_loss for p in result.curve], "o-", label="train (mean since last point)")
    ax.plot(t, [p.val_nll for p in result.curve], "s-", label="validation, 128 random 64-char windows per point")
    ax.axhline(1.886, color="gray", ls="--", label="nanoGPT CPU recipe, 117 s (1.886)")
    ax.axhline(1.60, color="green", ls=":", label="target 1.60")
    ax.set_xlabel("wall time of training (s)")
    ax.set_ylabel("NLL (nats/char)")
    ax.set_title(f"Validation NLL reaches {final:.3f} nats/char after {result.train_s:.0f} s of training")
    ax.legend()
    return fig


def schedule_figure(schedule: Schedule, last: int) -> Figure:
    """eps_i of one schedule from step 0 to `last`."""
    from rnnlab.experiments.exposure import plot_schedules

    fig = Figure(figsize=(6.4, 4.2), layout="constrained")
    ax = fig.add_subplot()
    plot_schedules(ax, {schedule.decay: [schedule.eps(i) for i in range(last + 1)]})
    ax.set_title(f"{schedule.decay} decay: eps falls from {schedule.eps(0):.2f} to {schedule.eps(last):.2f} by "
                 f"step {last}")
    return fig
