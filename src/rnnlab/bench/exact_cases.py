"""Benchmarks of the foundation: the core recurrence and the verifier.

Each case is a function with its sizes as keyword arguments (the defaults are what `rnnlab bench` runs;
tests call them at tiny sizes), measuring rnnlab and its baseline in the same run.
"""

from __future__ import annotations

import time

import torch
from torch import nn

from rnnlab.bench.case import Case, Result, best_time, interleaved_times
from rnnlab.core.recurrence import Recurrent
from rnnlab.exact.exhaustive import exhaustive_check, exhaustive_check_dense
from rnnlab.exact.sheet import NETS


def recurrence_tanh_vs_nn_rnn(batch: int = 64, steps: int = 100, inputs: int = 16, hidden: int = 128,
                              repeats: int = 7) -> Result:
    """Forward + backward of rnnlab's Recurrent (tanh, nn.RNN's weights) against torch.nn.RNN itself."""
    torch.manual_seed(0)
    rnn = nn.RNN(inputs, hidden)
    cell = Recurrent.from_rnn(rnn)
    x = torch.randn(steps, batch, inputs)  # (T, B, I)
    h0 = torch.zeros(1, batch, hidden)

    def run(module: nn.Module) -> None:
        module.zero_grad(set_to_none=True)
        output, _ = module(x, h0)  # (T, B, H)
        output.square().mean().backward()

    ours, theirs = interleaved_times(lambda: run(cell), lambda: run(rnn), repeats=repeats)
    ratio = ours / theirs
    return Result("recurrence_tanh_vs_nn_rnn", ours, "s", theirs, ratio, "ratio <= 1.1",
                  f"forward+backward, B={batch} T={steps} I={inputs} H={hidden}, float32, "
                  f"best of {repeats} interleaved after a warm-up run; baseline torch.nn.RNN", ratio <= 1.1)


def _holding_binary_nets() -> list[str]:
    """Built-in nets with a spec that run bit-parallel and hold (a failing check stops early: no rate)."""
    names = []
    for name, factory in NETS.items():
        net = factory()
        if net.spec is not None:
            check = exhaustive_check(net, net.spec, 4)
            if check.holds and check.method == "bit-parallel":
                names.append(name)
    return names


def verifier_exhaustive_seq_steps_per_s(one_len: int = 24, two_len: int = 12, dense_one_len: int = 20,
                                        dense_two_len: int = 10, repeats: int = 3) -> Result:
    """Bit-parallel exhaustive check of every built-in binary net that holds, against the dense numpy baseline.

    Rate = sequence-steps simulated / seconds, summed over the nets (best of `repeats` per net, compiling
    the word program included). The baseline runs at a smaller length (it holds every input at once).
    """
    steps = seconds = dense_steps = dense_seconds = 0.0
    per_net = []
    for name in _holding_binary_nets():
        net = NETS[name]()
        assert net.spec is not None
        spec = net.spec
        length, dense_length = (one_len, dense_one_len) if net.n_inputs == 1 else (two_len, dense_two_len)
        holds = []
        t = best_time(lambda: holds.append(exhaustive_check(net, spec, length)), repeats=repeats)  # noqa: B023
        if not all(r.holds for r in holds):
            raise RuntimeError(f"benchmark net {name!r} failed its exhaustive check")
        work = holds[-1].sequence_steps
        steps, seconds = steps + work, seconds + t
        start = time.perf_counter()
        dense = exhaustive_check_dense(net, spec, dense_length)
        dense_seconds += time.perf_counter() - start
        dense_steps += dense.sequence_steps
        per_net.append(f"{name} L={length} {work / t:.2g}/s")
    value, baseline = steps / seconds, dense_steps / dense_seconds
    return Result("verifier_exhaustive_seq_steps_per_s", value, "seq-steps/s", baseline, value / baseline,
                  ">= 5e9 seq-steps/s",
                  f"every input of length {one_len} (one-sequence nets) / {two_len} (two-sequence nets), "
                  f"best of {repeats} after a warm-up run: " + "; ".join(per_net)
                  + f". Baseline: dense numpy float64 at length {dense_one_len} / {dense_two_len}; ratio = speedup",
                  value >= 5e9)


def verifier_proof_256_state_dfa_s(n_states: int = 256, seed: int = 0, exhaustive_len: int = 16,
                                   repeats: int = 3) -> Result:
    """Seconds to prove a compiled random DFA equal to its spec for every length."""
    from rnnlab.exact.automaton import random_dfa
    from rnnlab.exact.compiler import compile_dfa
    from rnnlab.exact.verifier import prove

    spec = random_dfa(n_states, ["0", "1"], seed)
    net = compile_dfa(spec, "step")
    proofs = []
    t = best_time(lambda: proofs.append(prove(net, spec)), repeats=repeats)
    if not all(p.holds for p in proofs):
        raise RuntimeError("the compiled benchmark DFA failed its proof")
    start = time.perf_counter()
    ex = exhaustive_check(net, spec, exhaustive_len)
    exhaustive_s = time.perf_counter() - start
    return Result("verifier_proof_256_state_dfa_s", t, "s", exhaustive_s, t / exhaustive_s, "< 2 s",
                  f"prove(compile_dfa(random_dfa({n_states}, seed={seed}), 'step')): {proofs[-1].states_explored} "
                  f"(net, spec) states, every length, best of {repeats} after a warm-up run. Baseline: the "
                  f"exhaustive check of the same net, which covers only lengths 1..{exhaustive_len} "
                  f"({ex.sequences} inputs; each extra symbol doubles it)", t < 2.0)


CASES: list[Case] = [
    Case("recurrence_tanh_vs_nn_rnn", recurrence_tanh_vs_nn_rnn,
         "forward+backward of the core tanh recurrence vs torch.nn.RNN (B=64, T=100, I=16, H=128)"),
    Case("verifier_exhaustive_seq_steps_per_s", verifier_exhaustive_seq_steps_per_s,
         "bit-parallel exhaustive check of the built-in nets vs a dense numpy simulation"),
    Case("verifier_proof_256_state_dfa_s", verifier_proof_256_state_dfa_s,
         "all-length proof of a compiled random 256-state DFA"),
]
