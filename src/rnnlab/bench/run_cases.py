"""`rnnlab bench --only run_inputs`: `rnnlab run --inputs` batched by length, beside the same inputs run one at a
time (what a loop over `rnnlab run --input` would do inside one process)."""

from __future__ import annotations

import numpy as np

from rnnlab.bench.case import Case, Result, interleaved_times


def run_inputs_batched_vs_one_at_a_time(inputs: int = 2000, max_len: int = 40, hidden: int = 16,
                                        repeats: int = 3) -> Result:
    """A GRU net of random weights (rnnlab-net/2) on `inputs` random inputs of lengths 1..max_len."""
    from rnnlab.extract.batch import outputs
    from rnnlab.extract.model import LearnedNet

    rng = np.random.default_rng(0)
    G, A = 3, 2
    weights = {"W_ih": rng.normal(size=(G * hidden, A)), "W_hh": rng.normal(size=(G * hidden, hidden)) / 4,
               "b_ih": rng.normal(size=G * hidden), "b_hh": rng.normal(size=G * hidden)}
    zeros = np.zeros(hidden, dtype=np.float32)
    net = LearnedNet("bench-gru", "gru", ("0", "1"), (), {k: v.astype(np.float32) for k, v in weights.items()},
                     zeros, np.zeros(0, dtype=np.float32), rng.normal(size=hidden).astype(np.float32), 0.0)
    words = [rng.integers(0, A, size=int(rng.integers(1, max_len + 1))) for _ in range(inputs)]
    batched, alone = interleaved_times(lambda: outputs(net, words), lambda: [outputs(net, [w]) for w in words],
                                       repeats=repeats)
    ratio = batched / alone
    return Result("run_inputs_batched_vs_one_at_a_time", batched, "s", alone, ratio, "ratio <= 0.2",
                  f"{inputs} inputs of lengths 1..{max_len}, GRU H={hidden}, float32; best of {repeats} interleaved "
                  "after a warm-up; baseline: the same inputs one at a time", ratio <= 0.2)


CASES: list[Case] = [
    Case("run_inputs_batched_vs_one_at_a_time", run_inputs_batched_vs_one_at_a_time,
         "rnnlab run --inputs: inputs of one length in one forward pass vs one input at a time"),
]
