"""Many inputs through one net, batched: inputs of equal length share one forward pass (`rnnlab run --inputs`).

Outputs are read as bits the way each format defines acceptance: rnnlab-net/1 nets accept iff the output
unit y > 1/2 (one bit per output unit), rnnlab-net/2 nets iff v . h + c > 0.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import numpy as np
import torch

from rnnlab.exact.net import Net
from rnnlab.extract.model import LearnedNet

__all__ = ["STEP_BUDGET", "outputs"]

STEP_BUDGET = 2**24  # state values one pass may hold (inputs x length x state size), to bound memory


def outputs(net: Net | LearnedNet, words: Sequence[np.ndarray]) -> list[np.ndarray]:
    """The output bits after every prefix of each input, in the order given.

    rnnlab-net/1: words[i] (T, n_inputs) bits -> (T, n_out) int; rnnlab-net/2: words[i] (T,) symbol indices
    -> (T,) int. Inputs of one length run together, in chunks of at most STEP_BUDGET state values.
    """
    by_length: dict[int, list[int]] = defaultdict(list)
    for i, w in enumerate(words):
        by_length[len(w)].append(i)
    width = net.state_size if isinstance(net, LearnedNet) else sum(L.size for L in net.layers)
    out: list[np.ndarray] = [np.zeros(0)] * len(words)
    for T, members in by_length.items():
        chunk = max(1, STEP_BUDGET // max(1, T * width))
        for lo in range(0, len(members), chunk):
            part = members[lo:lo + chunk]
            x = np.stack([np.asarray(words[i]) for i in part])  # (B, T) or (B, T, n_inputs)
            for i, y in zip(part, _run(net, x), strict=True):
                out[i] = y
    return out


def _run(net: Net | LearnedNet, x: np.ndarray) -> np.ndarray:
    if isinstance(net, LearnedNet):
        return (net.logits(x) > 0).astype(np.int64)  # (B, T)
    with torch.no_grad():
        y = net.run(torch.as_tensor(x, dtype=torch.float64)).y  # (B, T, n_out)
    return (y > 0.5).to(torch.int64).numpy()
