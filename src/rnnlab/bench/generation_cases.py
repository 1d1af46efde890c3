"""Benchmarks of sequence generation: what scheduled sampling costs against teacher forcing.

Each case is a function with its sizes as keyword arguments (the defaults are what `rnnlab bench` runs;
tests call them at tiny sizes), measuring rnnlab and its baseline in the same run.
"""

from __future__ import annotations

import torch

from rnnlab.bench.case import Case, Result, interleaved_times
from rnnlab.generation.lm import LMConfig, build_model, train_step_loss


def scheduled_sampling_vs_teacher_forcing(batch: int = 128, steps: int = 64, hidden: int = 512, vocab: int = 65,
                                          eps: float = 0.5, repeats: int = 5) -> Result:
    """Seconds per training token (forward + backward) of scheduled sampling against teacher forcing.

    Teacher forcing runs the fused nn.GRU over the whole window; scheduled sampling must step the same
    weights one token at a time, because each input may be the model's own previous output. The sizes
    are those of `rnnlab lm`'s recipe (GRU-512, 128 windows of 64 characters); float32.
    """
    model = build_model(LMConfig(vocab, "gru", 64, hidden), 0)
    g = torch.Generator().manual_seed(0)
    x = torch.randint(vocab, (batch, steps), generator=g)  # (B, T)
    y = torch.randint(vocab, (batch, steps), generator=g)

    def run(e: float) -> None:
        model.zero_grad(set_to_none=True)
        train_step_loss(model, x, y, e, "sample", g).backward()

    ours, theirs = interleaved_times(lambda: run(eps), lambda: run(1.0), repeats=repeats)
    tokens = batch * steps
    ratio = ours / theirs
    return Result("scheduled_sampling_vs_teacher_forcing", ours / tokens, "s/token", theirs / tokens, ratio,
                  "ratio <= 2.5",
                  f"forward+backward of one training batch, GRU-{hidden}, B={batch} T={steps} V={vocab}, eps={eps} "
                  f"(sampled own tokens), float32, best of {repeats} interleaved; baseline: fused teacher forcing",
                  ratio <= 2.5)


CASES: list[Case] = [
    Case("scheduled_sampling_vs_teacher_forcing", scheduled_sampling_vs_teacher_forcing,
         "training time per token, scheduled sampling (stepped) vs teacher forcing (fused nn.GRU)"),
]
