"""`rnnlab bench --only run_inputs...`: `rnnlab run --inputs` batched by length (`extract.batch`), beside the
same inputs run one at a time (what a loop over `rnnlab run --input` would do inside one process); and on a large
file, streamed (the file run a chunk at a time, each chunk's lines printed when done) beside the same file run as
one chunk."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rnnlab.bench.case import Case, Result, interleaved_times
from rnnlab.extract.model import LearnedNet

FIRST_LINE_TARGET_S = 5.0  # the first line of a 100 MB file within a few seconds
PEAK_TARGET_MB = 1024.0  # a 100 MB file in under 1 GB resident

# The baseline: the same library reading the whole file as one chunk, printing when all of it has run
WHOLE_FILE = """
import sys
from rnnlab.extract.batch import run_inputs
from rnnlab.extract.model import LearnedNet
net = LearnedNet.load(sys.argv[1])
with open(sys.argv[2], "rb") as f:
    ((chunk, ys),) = run_inputs(net, f, sys.argv[2], chunk_symbols=2**62)
width = max(map(len, chunk.texts))
for x, y in zip(chunk.texts, ys):
    sys.stdout.write(f"{x:<{width}}  " + (y + 48).tobytes().decode("ascii") + "\\n")
"""


def random_gru(hidden: int, seed: int = 0) -> LearnedNet:
    """A GRU net of random weights on the alphabet 0, 1 (rnnlab-net/2): as fast to run as a trained one."""
    rng = np.random.default_rng(seed)
    G, A = 3, 2
    weights = {"W_ih": rng.normal(size=(G * hidden, A)), "W_hh": rng.normal(size=(G * hidden, hidden)) / 4,
               "b_ih": rng.normal(size=G * hidden), "b_hh": rng.normal(size=G * hidden)}
    zeros = np.zeros(hidden, dtype=np.float32)
    return LearnedNet("bench-gru", "gru", ("0", "1"), (), {k: v.astype(np.float32) for k, v in weights.items()},
                      zeros, np.zeros(0, dtype=np.float32), rng.normal(size=hidden).astype(np.float32), 0.0)


def run_inputs_batched_vs_one_at_a_time(inputs: int = 2000, max_len: int = 40, hidden: int = 16,
                                        repeats: int = 3) -> Result:
    """A GRU net of random weights (rnnlab-net/2) on `inputs` random inputs of lengths 1..max_len."""
    from rnnlab.extract.batch import outputs

    rng = np.random.default_rng(0)
    net = random_gru(hidden)
    words = [rng.integers(0, 2, size=int(rng.integers(1, max_len + 1))) for _ in range(inputs)]
    batched, alone = interleaved_times(lambda: outputs(net, words), lambda: [outputs(net, [w]) for w in words],
                                       repeats=repeats)
    ratio = batched / alone
    return Result("run_inputs_batched_vs_one_at_a_time", batched, "s", alone, ratio, "ratio <= 0.2",
                  f"{inputs} inputs of lengths 1..{max_len}, GRU H={hidden}, float32; best of {repeats} interleaved "
                  "after a warm-up; baseline: the same inputs one at a time", ratio <= 0.2)


@dataclass(frozen=True)
class Run:
    """One command run on the file, measured from outside."""

    first_line_s: float  # seconds from start to the first line on stdout
    total_s: float  # seconds from start to exit
    peak_mb: float  # peak resident memory (the kernel's high-water mark for the process), MiB


def _measure(command: list[str]) -> Run:
    """Run command (Unix: the peak comes from wait4), reading its stdout as a reader of the lines would."""
    here = str(Path(__file__).parents[2])  # the folder rnnlab is imported from: the child runs the same code
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([here, os.environ.get("PYTHONPATH", "")])}
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        p = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=err, env=env)
        assert p.stdout is not None
        p.stdout.readline()
        first = time.perf_counter() - start
        while p.stdout.read(1 << 20):
            pass
        _, status, usage = os.wait4(p.pid, 0)
        total = time.perf_counter() - start
        p.returncode = os.waitstatus_to_exitcode(status)
        p.stdout.close()
        if p.returncode != 0:
            err.seek(0)
            raise RuntimeError(f"{' '.join(command[:4])} ... exited {p.returncode}: {err.read().decode()[-500:]}")
    peak = usage.ru_maxrss / (2**20 if sys.platform == "darwin" else 2**10)  # bytes on macOS, KiB on Linux
    return Run(first, total, peak)


def _streamed_vs_whole(inputs: int, length: int, hidden: int) -> tuple[Run, Run, str]:
    """`rnnlab run NET --inputs FILE` on a generated file of `inputs` random inputs of `length` symbols, beside the
    same file run as one chunk; and the sizes in words."""
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as folder:
        net, path = Path(folder) / "net.json", Path(folder) / "inputs.txt"
        random_gru(hidden).save(net)
        with open(path, "wb") as f:
            for lo in range(0, inputs, 1000):  # 1000 lines at a time, so that writing the file needs little memory
                rows = rng.integers(ord("0"), ord("1") + 1, size=(min(1000, inputs - lo), length + 1), dtype=np.uint8)
                rows[:, -1] = ord("\n")
                f.write(rows.tobytes())
        streamed = _measure([sys.executable, "-m", "rnnlab", "run", str(net), "--inputs", str(path)])
        whole = _measure([sys.executable, "-c", WHOLE_FILE, str(net), str(path)])
        size = path.stat().st_size
    words = (f"a {size / 1e6:.3g} MB file ({inputs:,} inputs of {length:,} random bits), GRU H={hidden} of random "
             f"weights; streamed (rnnlab run --inputs): first line {streamed.first_line_s:.2f} s, all "
             f"{streamed.total_s:.1f} s, peak {streamed.peak_mb:.0f} MB; baseline, the file as one chunk (all of "
             f"it in memory, printed at the end): first line {whole.first_line_s:.2f} s, all {whole.total_s:.1f} s, "
             f"peak {whole.peak_mb:.0f} MB; one run each (each measures a fresh process)")
    return streamed, whole, words


def run_inputs_streamed_first_line_s(inputs: int = 100_000, length: int = 1_000, hidden: int = 8) -> Result:
    """Seconds to the first line of `rnnlab run --inputs` on a large file (100 MB by default)."""
    streamed, whole, words = _streamed_vs_whole(inputs, length, hidden)
    value, baseline = streamed.first_line_s, whole.first_line_s
    return Result("run_inputs_streamed_first_line_s", value, "s", baseline, value / baseline,
                  f"value <= {FIRST_LINE_TARGET_S:g} s (100 MB file)", words, value <= FIRST_LINE_TARGET_S)


def run_inputs_streamed_peak_rss_mb(inputs: int = 100_000, length: int = 1_000, hidden: int = 8) -> Result:
    """Peak resident memory of `rnnlab run --inputs` on a large file (100 MB by default)."""
    streamed, whole, words = _streamed_vs_whole(inputs, length, hidden)
    value, baseline = streamed.peak_mb, whole.peak_mb
    return Result("run_inputs_streamed_peak_rss_mb", value, "MB", baseline, value / baseline,
                  f"value <= {PEAK_TARGET_MB:g} MB (100 MB file)", words, value <= PEAK_TARGET_MB)


CASES: list[Case] = [
    Case("run_inputs_batched_vs_one_at_a_time", run_inputs_batched_vs_one_at_a_time,
         "rnnlab run --inputs: inputs within a factor 2 of length in one padded pass vs one input at a time"),
    Case("run_inputs_streamed_first_line_s", run_inputs_streamed_first_line_s,
         "rnnlab run --inputs on a 100 MB file: seconds to the first line, streamed vs the file as one chunk"),
    Case("run_inputs_streamed_peak_rss_mb", run_inputs_streamed_peak_rss_mb,
         "rnnlab run --inputs on a 100 MB file: peak resident memory, streamed vs the file as one chunk"),
]
