"""Scheduled sampling's coin, measured: is the truth fed with probability eps, and nothing but the truth or the
model's own token ever fed (Bengio et al. 2015, one coin per token; `rnnlab coin`, the report's S6.coin)?"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch

from rnnlab.generation.lm import LMConfig, Unrolled, build_model, unroll

__all__ = ["COIN_EPS", "CoinCheck", "CoinRow", "measure_coin"]

Unroll = Callable[..., Unrolled]  # unroll(model, x, eps, feed, generator) as in generation.lm
COIN_EPS = (0.25, 0.5, 0.75)


@dataclass(frozen=True)
class CoinRow:
    eps: float  # the probability of feeding the truth
    own_differs: int  # inputs after the first where the model's own (argmax) token differs from the truth
    truth_fed: int  # of those, how many were fed the truth
    other_token_fed: int  # inputs fed a token that is neither the truth nor the model's own: always 0 if correct

    @property
    def rate(self) -> float:
        return self.truth_fed / self.own_differs if self.own_differs else float("nan")


@dataclass(frozen=True)
class CoinCheck:
    sequences: int
    length: int
    seed: int
    rows: tuple[CoinRow, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"sequences": self.sequences, "length": self.length, "seed": self.seed,
                "rows": [{"eps": r.eps, "own_differs": r.own_differs, "truth_fed": r.truth_fed,
                          "other_token_fed": r.other_token_fed} for r in self.rows]}

    def __str__(self) -> str:
        lines = [f"scheduled sampling on {self.sequences} random sequences of length {self.length} (untrained "
                 f"GRU-16, seed {self.seed}): where the model's own token differs from the truth, the truth should "
                 "be fed at rate eps, and no third token ever",
                 f"{'eps':>6} {'own differs':>12} {'truth fed':>10} {'rate':>7} {'other fed':>10}"]
        lines += [f"{r.eps:>6g} {r.own_differs:>12} {r.truth_fed:>10} {r.rate:>7.3f} {r.other_token_fed:>10}"
                  for r in self.rows]
        return "\n".join(lines)


def measure_coin(unroll_fn: Unroll = unroll, batch: int = 64, T: int = 33, seed: int = 0,
                 eps: Sequence[float] = COIN_EPS) -> CoinCheck:
    """Where the model's own (argmax) token differs from the truth, which one was fed: the truth should be fed at
    rate eps, and nothing else ever. An untrained model is used: its own tokens mostly differ from the truth.
    unroll_fn is the sampler under test (a test hands in a broken one)."""
    if batch < 1 or T < 2:
        raise ValueError(f"need at least 1 sequence of length >= 2, got {batch} of length {T}")
    model = build_model(LMConfig(11, "gru", 8, 16), seed)
    g = torch.Generator().manual_seed(seed)
    x = torch.randint(11, (batch, T), generator=g)  # (B, T)
    rows = []
    with torch.no_grad():
        for e in eps:
            run = unroll_fn(model, x, e, "argmax", g)
            own = run.logits[:, :-1].argmax(-1)  # (B, T-1): the model's own token for inputs 2..T
            truth, fed = x[:, 1:], run.inputs[:, 1:]
            differ = own != truth
            rows.append(CoinRow(e, int(differ.sum()), int((differ & (fed == truth)).sum()),
                                int(((fed != truth) & (fed != own)).sum())))
    return CoinCheck(batch, T, seed, tuple(rows))
