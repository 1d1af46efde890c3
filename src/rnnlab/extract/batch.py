"""Many inputs through one net, batched (`rnnlab run --inputs`): inputs of similar length share a forward pass,
and a file of any size runs a chunk at a time.

Outputs are read as bits the way each format defines acceptance: rnnlab-net/1 nets accept iff the output
unit y > 1/2 (one bit per output unit), rnnlab-net/2 nets iff v . h + c > 0; rnnlab-net/3 nets give the index of
their output label after every prefix (0/1 for accept/reject nets).

A pass pads its inputs to the longest with symbol 0. The nets are causal (the output after x(1..t) reads
nothing later), so the padding changes no output an input has; it is cut off. Inputs join a pass only while
at least half as long as its longest, so at most half of a pass's steps are padding, and a chunk of mixed
lengths needs a few passes (one per doubling of length), not one per distinct length.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

import numpy as np
import torch

from rnnlab.exact.net import Net
from rnnlab.extract.inputs import CHUNK_SYMBOLS, Chunk, read_chunks
from rnnlab.extract.model import LearnedNet
from rnnlab.extract.torch_net import TorchNet

__all__ = ["STEP_BUDGET", "outputs", "run_inputs"]

STEP_BUDGET = 2**22  # values one pass may hold (`_held`), to bound its memory: about 100 MB


def outputs(net: Net | LearnedNet | TorchNet, words: Sequence[np.ndarray], threads: int = 1) -> list[np.ndarray]:
    """The output bits after every prefix of each input, in the order given.

    rnnlab-net/1: words[i] (T, n_inputs) bits -> (T, n_out) uint8; rnnlab-net/2: words[i] (T,) symbol indices
    -> (T,) uint8. Longest first, inputs at least half as long as a pass's first share it (padded), at most
    STEP_BUDGET values held a pass. `threads`: torch threads meanwhile (restored after): a step's matrices
    are small, and on a shared machine threads that wait for each other at every step make it many times slower.
    """
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        return _outputs(net, words)
    finally:
        torch.set_num_threads(before)


def _outputs(net: Net | LearnedNet | TorchNet, words: Sequence[np.ndarray]) -> list[np.ndarray]:
    lengths = np.array([len(w) for w in words], dtype=np.int64)
    order = np.argsort(-lengths, kind="stable")
    out: list[np.ndarray] = [np.zeros(0, dtype=np.uint8)] * len(words)
    lo = 0
    while lo < len(order):
        T = int(lengths[order[lo]])
        most = max(1, STEP_BUDGET // _held(net, T))
        hi = lo + 1
        while hi < len(order) and hi - lo < most and 2 * lengths[order[hi]] >= T:
            hi += 1
        part = order[lo:hi]
        first = np.asarray(words[part[0]])
        x = np.zeros((len(part), T, *first.shape[1:]), dtype=np.int64)  # (B, T) or (B, T, n_inputs)
        for b, i in enumerate(part):
            x[b, :lengths[i]] = words[i]
        y = _run(net, x)
        for b, i in enumerate(part):
            out[i] = y[b, :lengths[i]]
        lo = hi
    return out


def _held(net: Net | LearnedNet | TorchNet, T: int) -> int:
    """Values a pass holds per input of T steps. An rnnlab-net/1 net keeps every unit at every step, and each
    layer's input beside it (float64, a few copies); an rnnlab-net/2 net keeps one logit a step and its state
    for one step only (with the gates, a few times state_size)."""
    if isinstance(net, TorchNet):
        return T * net.outputs + 8 * net.state_size
    if isinstance(net, LearnedNet):
        return T + 4 * net.state_size
    return max(1, T * (net.n_inputs + sum(L.size for L in net.layers)))


def _run(net: Net | LearnedNet | TorchNet, x: np.ndarray) -> np.ndarray:
    if isinstance(net, TorchNet):
        labels = net.run(x)[1]  # (B, T)
        return labels.astype(np.uint8 if len(net.labels) <= 256 else np.int64)
    if isinstance(net, LearnedNet):
        return (net.logits(x) > 0).astype(np.uint8)  # (B, T)
    with torch.no_grad():
        y = net.run(torch.as_tensor(x, dtype=torch.float64)).y  # (B, T, n_out)
    return (y > 0.5).to(torch.uint8).numpy()


def run_inputs(net: Net | LearnedNet | TorchNet, lines: Iterable[bytes], source: str = "inputs",
               chunk_symbols: int = CHUNK_SYMBOLS) -> Iterator[tuple[Chunk, list[np.ndarray]]]:
    """Each chunk of `lines` (`read_chunks`) with its outputs, in input order, as soon as it has run: the next
    chunk is not read before this one is taken, so memory is bounded by the chunk, not by the source."""
    for chunk in read_chunks(lines, net, source, chunk_symbols):
        yield chunk, outputs(net, chunk.words)
