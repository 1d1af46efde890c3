"""Benchmarks of gradient dynamics: what the per-timestep probe and the skip connection cost.

Each case is a function with its sizes as keyword arguments (the defaults are what `rnnlab bench` runs;
tests call them at tiny sizes), measuring rnnlab and its baseline in the same run.
"""

from __future__ import annotations

import torch

from rnnlab.bench.case import Case, Result, interleaved_times
from rnnlab.core.activations import sigmoid
from rnnlab.core.recurrence import Recurrent
from rnnlab.dynamics.probe import linear_readout, probe


def gradient_probe_overhead(batch: int = 64, steps: int = 100, inputs: int = 16, hidden: int = 128,
                            repeats: int = 25) -> Result:
    """The probe (every ||dL/dh_t|| from one backward pass) against a plain forward + backward of the same model.

    Model: rnnlab's sigmoid cell; loss L = v . h_T. The plain run calls the module and backpropagates to the
    weights; the probe steps the same weights keeping each h_t, backpropagates once, and reads every dL/dh_t.
    """
    torch.manual_seed(0)
    cell = Recurrent(inputs, hidden, sigmoid(), batch_first=True)
    x = torch.randn(batch, steps, inputs)  # (B, T, I)
    v = torch.randn(hidden) / hidden**0.5
    loss = linear_readout(v)

    def plain() -> None:
        cell.zero_grad(set_to_none=True)
        out, _ = cell(x)  # (B, T, H)
        (out[:, -1] @ v).sum().backward()

    def probed() -> None:
        cell.zero_grad(set_to_none=True)
        probe(cell, x, loss)

    ours, theirs = interleaved_times(probed, plain, repeats=repeats)
    ratio = ours / theirs
    return Result("gradient_probe_overhead", ours, "s", theirs, ratio, "ratio <= 1.2",
                  f"sigmoid cell, B={batch} T={steps} I={inputs} H={hidden}, float32, best of {repeats} interleaved; "
                  "baseline: the module's own forward + backward of the same loss", ratio <= 1.2)


def _skip_and_plain(batch: int, steps: int, inputs: int, hidden: int, delay: int, repeats: int) -> tuple[float, float]:
    """Best seconds of forward + backward for the skip cell and for the plain sigmoid cell, interleaved."""
    torch.manual_seed(0)
    skip = Recurrent(inputs, hidden, sigmoid(), delays=[delay], batch_first=True)
    plain = Recurrent(inputs, hidden, sigmoid(), batch_first=True)
    x = torch.randn(batch, steps, inputs)  # (B, T, I)

    def run(cell: Recurrent) -> None:
        cell.zero_grad(set_to_none=True)
        out, _ = cell(x)  # (B, T, H)
        out.square().mean().backward()

    return interleaved_times(lambda: run(skip), lambda: run(plain), repeats=repeats)


def skip_vs_plain_sigmoid(batch: int = 64, steps: int = 100, inputs: int = 16, hidden: int = 128, delay: int = 2,
                          repeats: int = 25, other_hidden: tuple[int, ...] = (32, 256)) -> Result:
    """Forward + backward of the skip cell (sigmoid, delay k) against the plain sigmoid cell of the same size.

    M doubles the matrix products of a step (forward, backward and weight gradient), so the ratio climbs
    towards 2 as H grows and the fixed per-step costs shrink beside them; other_hidden shows that trend.
    """
    ours, theirs = _skip_and_plain(batch, steps, inputs, hidden, delay, repeats)
    ratio = ours / theirs
    trend = []
    for h in other_hidden:
        skip_s, plain_s = _skip_and_plain(batch, steps, inputs, h, delay, repeats)
        trend.append(f"H={h}: {skip_s / plain_s:.2f}")
    return Result("skip_vs_plain_sigmoid", ours, "s", theirs, ratio, "ratio <= 1.5",
                  f"forward+backward, B={batch} T={steps} I={inputs} H={hidden}, delay {delay}, float32, "
                  f"best of {repeats} interleaved; baseline: the plain sigmoid cell"
                  + (f". Same at other sizes (not judged): {'; '.join(trend)}" if trend else ""), ratio <= 1.5)


CASES: list[Case] = [
    Case("gradient_probe_overhead", gradient_probe_overhead,
         "per-timestep gradient probe vs plain forward+backward of the same sigmoid cell (B=64, T=100, H=128)"),
    Case("skip_vs_plain_sigmoid", skip_vs_plain_sigmoid,
         "forward+backward of the skip cell (delay 2) vs the plain sigmoid cell (B=64, T=100, H=128)"),
]
