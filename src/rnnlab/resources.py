"""Memory before work: what a run will allocate, estimated from its sizes, and the limit it must fit in.

Each estimator counts the tensors the computation keeps alive at its peak (states kept for the backward
pass, weights, gradients and optimizer moments, batches) plus a per-tensor overhead for the many small
tensors a step-by-step recurrence keeps. The estimates are checked in the tests against the measured peak
resident memory of the same computation (within a factor of 3 either way, at sizes where the work
dominates). They decide whether a command starts at all: a run that cannot fit is refused at once, instead
of failing after minutes with an allocation error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "DEFAULT_FRACTION",
    "Estimate",
    "available_memory",
    "bound_bytes",
    "compile_bytes",
    "default_limit",
    "embeddings_bytes",
    "exposure_bytes",
    "format_size",
    "gradients_bytes",
    "lm_bytes",
    "parse_size",
    "train_bytes",
]

DEFAULT_FRACTION = 0.5  # of the memory available when the command starts
F64, F32 = 8, 4
TENSOR_OVERHEAD = 400  # bytes per small tensor (the Python object, its storage and allocator rounding)
_UNITS = {"": 1, "B": 1, "K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}


@dataclass(frozen=True)
class Estimate:
    """What a run will allocate at its peak, and which sizes drive it."""

    bytes: int  # estimated peak of the memory the run allocates, beyond what is loaded before it
    drivers: tuple[str, ...]  # the option names that lower the estimate, e.g. ("--T", "--hidden")


def parse_size(text: str) -> int:
    """'2G' -> 2 GiB, '500M', '64K', '1.5G', or a plain number of bytes; > 0."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B)?\s*", text, flags=re.IGNORECASE)
    if not m:
        raise ValueError(f"{text!r} is not a size; write e.g. 2G, 500M or 64K")
    value = float(m.group(1)) * _UNITS[m.group(2).upper()]
    if value < 1:
        raise ValueError(f"{text!r} must be at least 1 byte")
    return int(value)


def format_size(n: float) -> str:
    """Bytes for people: 1.2 GB (binary units, as parse_size reads them)."""
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(n) < 1024 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.3g} {unit}"
        n /= 1024
    raise AssertionError("unreachable")


def available_memory() -> int:
    """Bytes the system can give a new allocation now without swapping (psutil's `available`)."""
    import psutil

    return int(psutil.virtual_memory().available)


def default_limit() -> int:
    """The limit when none is given: DEFAULT_FRACTION of the memory available now."""
    return int(available_memory() * DEFAULT_FRACTION)


def _recurrence(T: int, batch: int, hidden: int, inputs: int, tensors_per_step: int, floats_per_step: int,
                itemsize: int) -> int:
    """A step-by-step recurrence with autograd: per step a few (B, H) tensors kept for the backward pass."""
    per_step = tensors_per_step * TENSOR_OVERHEAD + floats_per_step * batch * hidden * itemsize
    return T * (per_step + batch * inputs * itemsize)


def gradients_bytes(cell: str, T: int, hidden: int, delay: int = 2) -> Estimate:
    """`rnnlab gradients` (dynamics.profile.gradient_profile): one float64 sequence, batch 1, probed."""
    gated = {"gru": 4, "lstm": 6}.get(cell, 1)
    per_step_tensors = {"gru": 40, "lstm": 50, "skip": 6}.get(cell, 5)  # nn.GRU/LSTM are probed step by step
    floats = 6 * gated + (4 if cell == "skip" else 0)
    weights = (3 if cell != "skip" else 4) * hidden * (hidden + 4) * F64 * gated
    return Estimate(_recurrence(T, 1, hidden, 4, per_step_tensors, floats, F64) + weights + T * 64 * F64,
                    ("--T", "--hidden"))


def bound_bytes(T: int, hidden: int, trials: int = 1) -> Estimate:
    """`rnnlab bound` (dynamics.jacobian.check_bound): one trial at a time, float64, plus the (trials, T) ratios
    kept across trials (stacked once more at the end)."""
    one = _recurrence(T, 1, hidden, 4, 5, 6, F64) + 4 * hidden * hidden * F64
    return Estimate(one + 2 * trials * T * F64, ("--T", "--hidden", "--trials"))


def train_bytes(cell: str, T: int, hidden: int, batch: int, seeds: int = 1) -> Estimate:
    """`rnnlab train`: float32, validation batches of 1000; `seeds` models at once when they train as one
    batched computation (dynamics.batched), one at a time otherwise (seeds=1)."""
    gated = {"gru": 4, "lstm": 6}.get(cell, 1)
    eval_batch = max(batch, 1000)
    fused = cell in ("gru", "lstm")  # cuDNN-style fused kernels keep few tensors per step
    tensors = 0 if fused else 12
    train = _recurrence(T, batch, hidden, 3, tensors, 6 * gated, F32)
    evaluate = T * eval_batch * (hidden * gated * 3 + 3) * F32
    params = 4 * gated * hidden * (hidden + 4) * F32
    drivers = ("--T", "--hidden", "--batch") + (("--seeds (or --no-batch)",) if seeds > 1 else ())
    return Estimate(seeds * (max(train, evaluate) + params) + T * 256, drivers)


def lm_bytes(vocab: int, embed: int, hidden: int, layers: int, batch: int, seq_len: int, cell: str,
             eval_windows: int = 1024) -> Estimate:
    """`rnnlab lm` (generation.lm): float32 weights with AdamW's two moments and a gradient, the training
    window's activations kept for backward (gates, states, logits), the evaluation batch's logits."""
    gates = {"gru": 3, "lstm": 4, "rnn": 1}.get(cell, 4)
    params = vocab * embed + gates * hidden * (embed + hidden + 2) + (layers - 1) * gates * hidden * (2 * hidden + 2)
    params += hidden * vocab + vocab
    weights = 4 * params * F32  # weights, gradient, two AdamW moments
    steps = batch * seq_len
    train = steps * (embed + layers * hidden * (gates + 2) + 3 * vocab) * F32
    if cell == "rnn":
        train += steps * layers * 16 * TENSOR_OVERHEAD // max(1, batch)
    evaluate = min(eval_windows, 256) * 64 * (3 * vocab + layers * hidden * (gates + 2)) * F32
    return Estimate(weights + max(train, evaluate), ("--hidden", "--batch", "--seq-len", "--embed", "--layers"))


def exposure_bytes(vocab: int, hidden: int, batch: int, seq_len: int) -> Estimate:
    """`rnnlab exposure`: one small GRU language model at a time (lm_bytes with the experiment's sizes)."""
    return Estimate(lm_bytes(vocab, 32, hidden, 1, batch, seq_len, "gru", 256).bytes, ("--hidden",))


def embeddings_bytes(vocab_sizes: tuple[int, ...], dim: int, tokens: int = 256) -> Estimate:
    """`rnnlab embeddings`: the one-hot input (tokens, V) and W (V, d) of the largest vocabulary, float32."""
    V = max(vocab_sizes)
    return Estimate((tokens * V + 2 * V * dim + 2 * tokens * dim) * F32, ("--vocab-sizes", "--dim"))


def compile_bytes(states: int, alphabet: int, n_inputs: int = 1, activation: str = "step") -> Estimate:
    """`rnnlab compile` of a DFA: the sparse one-hot net (exact.compiler) and its proof (exact.verifier).

    The qa layer has n = Q A + 1 units and Q A A + A nonzero recurrent weights; the proof explores about Q
    (net state, spec state) pairs, each kept by its few nonzeros (a small dense net's: as n bits).
    """
    n = states * alphabet + 1
    nnz = states * alphabet * alphabet + alphabet + n * (n_inputs + alphabet)
    net = nnz * 120  # Python tuples of (row, col, value) while building, then index arrays
    if n * n <= 65_536:  # a small net stays dense: states kept as packed bits, frontier chunks of <= 32 MB
        proof = states * (n // 8 + 200) + states * alphabet * 300 + 32 * 2**20
    else:  # sparse rows: a pair's key is its few nonzeros; dict entries, parent links, spec bookkeeping
        proof = states * alphabet * 400 + states * 1000
    sigmoid = n * 6 * F64 if activation == "sigmoid" else 0  # per-unit margins, gains, sensitivities
    return Estimate(net + proof + sigmoid, ("the number of states",))
