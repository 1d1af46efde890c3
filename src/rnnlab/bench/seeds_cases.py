"""Benchmark of seed-batched training (SPEC S12): S models as one computation against S solo runs in a loop.

Both sides are the trainers themselves (`train_batched` and `train`), timed per training step from their
progress callbacks (so model building and the final test are left out), on the same configs. Each side runs at
each thread count from 1 to the machine's cores, and its best is kept (said in the detail).

Beside them, a bound: the bare recurrence of S models (per step the batched products and activations of the
forward and backward passes, and the weight gradient as one product; no data, loss, clipping or optimizer), timed
the same way. The loop's time over this one is the most any batched trainer built from these products can gain.
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable, Sequence

import torch

from rnnlab.bench.case import Case, Result
from rnnlab.dynamics.batched import train_batched
from rnnlab.dynamics.training import TrainConfig, flush_denormals, train

TARGETS = {16: 6.0, 64: 10.0}  # speed-up of the batched trainer over the loop, at S models


def _step_seconds(run: Callable[[Callable[[int], None]], object], steps: int) -> float:
    """Seconds per step of one training run, from the times its progress callback is called (the first step,
    which warms caches, left out)."""
    stamps: list[float] = []
    run(lambda step: stamps.append(time.perf_counter()))
    assert len(stamps) == steps
    return (stamps[-1] - stamps[0]) / (steps - 1)


def _run_batched(configs: list[TrainConfig], progress: Callable[[int], None]) -> object:
    return train_batched(configs, progress)


def _run_solo(config: TrainConfig, progress: Callable[[int], None]) -> object:
    return train(config, progress)


def _configs(S: int, steps: int, threads: int, T: int, hidden: int, batch: int) -> list[TrainConfig]:
    return [TrainConfig(task="temporal_order", cell="sigmoid", T=T, hidden=hidden, batch=batch, steps=steps, lr=0.01,
                        optimizer="sgd", check_every=10**9, test_sequences=1, seed=s, threads=threads)
            for s in range(S)]


def _bare_seconds(S: int, T: int, hidden: int, batch: int, repeats: int = 5) -> float:
    """Seconds per step of the bare recurrence of S sigmoid models (module docstring), float32."""
    g = torch.Generator().manual_seed(0)
    h = torch.rand(T + 1, S, batch, hidden, generator=g)
    W = torch.randn(S, hidden, hidden, generator=g) * 0.1
    xu = torch.randn(T, S, batch, hidden, generator=g)
    dz, dh, dW = torch.empty(T, S, batch, hidden), torch.randn(2, S, batch, hidden, generator=g), torch.empty_like(W)

    def step() -> None:
        for t in range(1, T + 1):
            torch.baddbmm(xu[t - 1], h[t - 1], W.transpose(1, 2), out=h[t]).sigmoid_()
        for t in range(T, 0, -1):
            torch.ops.aten.sigmoid_backward.grad_input(dh[t % 2], h[t], grad_input=dz[t - 1])
            torch.bmm(dz[t - 1], W, out=dh[(t - 1) % 2])
        torch.bmm(dz.permute(1, 3, 0, 2).reshape(S, hidden, T * batch),
                  h[:-1].permute(1, 0, 2, 3).reshape(S, T * batch, hidden), out=dW)

    with flush_denormals():
        step()
        t0 = time.perf_counter()
        for _ in range(repeats):
            step()
    return (time.perf_counter() - t0) / repeats


def seeds(sizes: Sequence[int] = (1, 4, 16, 64), T: int = 100, hidden: int = 50, batch: int = 20, steps: int = 6,
          repeats: int = 2, threads: Sequence[int] | None = None) -> Result:
    """Time per training step of S models (temporal order, sigmoid cell, SGD): batched against the loop."""
    counts = list(threads) if threads is not None else list(range(1, (os.cpu_count() or 1) + 1))
    previous = torch.get_num_threads()
    curve = []
    try:
        for S in sizes:
            best: dict[str, tuple[float, int]] = {k: (float("inf"), 0) for k in ("batched", "loop", "bare")}
            for _ in range(repeats):
                for n in counts:  # the two sides alternate, so that both see the same machine load
                    configs = _configs(S, steps, n, T, hidden, batch)
                    b = _step_seconds(functools.partial(_run_batched, configs), steps)
                    loop = sum(_step_seconds(functools.partial(_run_solo, c), steps) for c in configs)
                    best["batched"] = min(best["batched"], (b, n))
                    best["loop"] = min(best["loop"], (loop, n))
                    torch.set_num_threads(n)
                    best["bare"] = min(best["bare"], (_bare_seconds(S, T, hidden, batch), n))
            curve.append((S, *best["batched"], *best["loop"], best["bare"][0]))
    finally:
        torch.set_num_threads(previous)
    speedups = {S: loop / b for S, b, _, loop, _, _ in curve}
    judged = [S for S in TARGETS if S in speedups]
    met = all(speedups[S] >= TARGETS[S] for S in judged) if judged else None
    S_main = 16 if 16 in speedups else curve[-1][0]
    _, value, _, baseline, _, _ = next(row for row in curve if row[0] == S_main)
    detail = (f"temporal order, sigmoid cell, H={hidden} B={batch} T={T}, SGD; seconds per training step of S "
              f"models, best of {repeats} over {counts} threads, steps 2..{steps}; value/baseline at S={S_main}. "
              "Curve (S: batched ms [threads], loop ms [threads], speed-up; bound = loop / bare recurrence, the most "
              "any trainer built from the same batched products could gain): "
              + "; ".join(f"S={S}: {b * 1e3:.1f} [{nb}], {loop * 1e3:.1f} [{nl}], {loop / b:.1f}x (bound "
                          f"{loop / bare:.1f}x)" for S, b, nb, loop, nl, bare in curve))
    target = ", ".join(f"speed-up >= {v:g} at S={S}" for S, v in TARGETS.items())
    return Result("seeds", value, "s", baseline, baseline / value, target, detail, met)


CASES = [Case("seeds", seeds, "seed-batched training vs the loop: time per step of S = 1, 4, 16, 64 models "
              "(temporal order, H=50, B=20, T=100)")]
