"""Report parts for the exact nets: S1 (alternating sum), S7 (all ones), S8 (equal so far), S9 (automata)."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from typing import Any

import torch

from rnnlab.exact.automaton import random_dfa
from rnnlab.exact.compiler import compile_dfa
from rnnlab.exact.exhaustive import exhaustive_check
from rnnlab.exact.net import Net
from rnnlab.exact.sheet import (
    ALL_ONES,
    CARRY,
    EQUAL_SO_FAR,
    NETS,
    PAIRS,
    SERIAL_SUM,
    add_numbers,
    alternating,
    alternating_closed_form,
    bits_tensor,
    get_net,
)
from rnnlab.exact.verifier import prove
from rnnlab.report.claims import FAILS, HOLDS, Claim, ClaimSpec, Part, PartResult, new_figure, verdict_of


def _all_bits(T: int) -> torch.Tensor:
    """Every binary input of length T as rows of a (2^T, T) float64 tensor."""
    return torch.tensor(list(itertools.product((0.0, 1.0), repeat=T)), dtype=torch.float64)


# --- S1 ---------------------------------------------------------------------------------------------

def _s1_config(scale: str) -> dict[str, Any]:
    return {"max_len": 12 if scale == "quick" else 16, "random_inputs": 1000, "seed": 0}


def s1(scale: str) -> PartResult:
    cfg = _s1_config(scale)
    net, out = alternating(), PartResult()
    checked, max_diff = 0, 0.0
    for T in range(1, cfg["max_len"] + 1):
        x = _all_bits(T)
        h = net.run(x.unsqueeze(-1)).states[0][:, -1, 0]
        max_diff = max(max_diff, (h - alternating_closed_form(x)).abs().max().item())
        checked += len(x)
    gen = torch.Generator().manual_seed(cfg["seed"])
    xr = torch.randn(cfg["random_inputs"], 20, generator=gen, dtype=torch.float64)
    hr = net.run(xr.unsqueeze(-1)).states[0][:, -1, 0]
    real_diff = (hr - alternating_closed_form(xr)).abs().max().item()
    out.claims.append(Claim(
        "S1.closed-form", "S1",
        "h_T = (-1)^T h_0 + sum_i (-1)^(T-i) x_i: the simulation equals the closed form (exactly on integer inputs)",
        max_diff == 0.0 and real_diff < 1e-9,
        {"binary_inputs_checked": checked, "max_len": cfg["max_len"], "max_abs_diff_binary": max_diff,
         "random_real_inputs": cfg["random_inputs"], "max_abs_diff_real": real_diff},
        f"rnnlab verify alternating --max-len {cfg['max_len']}",
    ))

    # Not parity: over all inputs up to length 8, count those where rounding y disagrees with the parity.
    disagree, total, example = 0, 0, None
    for T in range(1, 9):
        x = _all_bits(T)
        y = net.run(x.unsqueeze(-1)).y[:, -1, 0]
        parity = x.sum(1) % 2
        wrong = (y > 0.5).double() != parity
        disagree += int(wrong.sum())
        total += len(x)
        if example is None and wrong.any():
            i = int(wrong.nonzero()[0])
            example = {"input": "".join(str(int(v)) for v in x[i]), "parity": int(parity[i]), "y": float(y[i])}
    out.claims.append(Claim(
        "S1.not-parity", "S1",
        "It is not a parity detector: on binary inputs y is a soft sign test of the alternating sum",
        disagree > 0,
        {"inputs_up_to_length_8": total, "disagreeing_with_parity": disagree, "first_counterexample": example,
         "what_it_computes": "a soft sign test of the alternating sum: y ~ 1 if >= 1, 0.5 if 0, ~ 0 if <= -1"},
        "rnnlab run alternating --input 10 --json",
    ))

    # Gradients through autograd: |dh_T/dx_i| = 1 for every i; dy/dx_i = 10 sigmoid'(10 h_T) (-1)^(T-i).
    T = 10
    inputs = ["0000000000", "0000000001", "0000000101", "0000010101", "0101010101", "1010101010"]
    rows = []
    for bits in inputs:
        x = bits_tensor([int(c) for c in bits]).requires_grad_(True)
        trace = net.run(x)
        (dh,) = torch.autograd.grad(trace.states[0][0, -1, 0], x, retain_graph=True)
        (dy,) = torch.autograd.grad(trace.y[0, -1, 0], x)
        h_T = trace.states[0][0, -1, 0].item()
        s = torch.sigmoid(torch.tensor(10 * h_T, dtype=torch.float64))
        expected = [10 * float(s * (1 - s)) * (-1) ** (T - i) for i in range(1, T + 1)]
        rows.append({"input": bits, "h_T": h_T, "max_abs_dh_dx_minus_1": float((dh.abs() - 1).abs().max()),
                     "max_abs_dy_dx": float(dy.abs().max()),
                     "max_err_vs_formula": max(abs(a - b) for a, b in zip(dy[:, 0].tolist(), expected, strict=True))})
    grads_ok = all(r["max_abs_dh_dx_minus_1"] == 0 and r["max_err_vs_formula"] < 1e-12 for r in rows)
    fig, ax = new_figure(5.5, 3.5)
    hs = torch.linspace(-5.5, 5.5, 1101, dtype=torch.float64)
    # sigmoid'(z) = sigmoid(z) sigmoid(-z) stays representable where 1 - sigmoid(z) rounds to 0.
    ax.semilogy(hs, 10 * torch.sigmoid(10 * hs) * torch.sigmoid(-10 * hs), label="|dy/dx_i| = 10 sigmoid'(10 h_T)")
    ax.semilogy([r["h_T"] for r in rows], [r["max_abs_dy_dx"] for r in rows], "o", label="autograd, inputs above")
    ax.axhline(1.0, color="gray", ls="--", lw=1, label="|dh_T/dx_i| = 1")
    ax.set_xlabel("h_T (alternating sum)")
    ax.set_ylabel("gradient magnitude")
    ax.set_title("S1: dh/dx never vanishes, dy/dx saturates once |h_T| >= 1")
    ax.legend(fontsize=8)
    out.claims.append(Claim(
        "S1.gradients", "S1",
        "|dh_T/dx_i| = 1 for every i (|W| = 1), while dy/dx_i = 10 sigmoid'(10 h_T) (-1)^(T-i) saturates",
        grads_ok,
        {"T": T, "cases": rows},
        "python -m pytest tests/exact/test_sheet.py -k gradient",
        out.add_figure("s1-gradients", fig),
    ))
    return out


# --- S7, S8 -----------------------------------------------------------------------------------------
# Each claim: a measure (subject -> evidence) and a ClaimSpec whose judge reads only the evidence, so a test can
# measure a broken net and see the verdict flip.


def measure_proof(net: Net) -> dict[str, Any]:
    """The all-length proof of a threshold net against its spec, as evidence."""
    proof = prove(net)
    return {"proved_for_every_length": proof.holds, "states_explored": proof.states_explored,
            "counterexample": proof.counterexample.to_dict() if proof.counterexample else None}


def _proved(evidence: dict[str, Any]) -> str:
    return verdict_of(evidence["proved_for_every_length"])


def _proof_key(evidence: dict[str, Any]) -> str:
    cex = evidence["counterexample"]
    if cex is None:
        return f"proved for every length ({evidence['states_explored']} states)"
    return f"counterexample: input {cex['input']}" + (f", {cex['input2']}" if cex.get("input2") else "")


PROOF_CRITERION = ("Breadth-first search over reachable (net state, automaton state) pairs: holds iff no reachable "
                   "pair disagrees, which proves equality for inputs of every length; else the shortest counterexample")

S7_INPUT, S7_OUTPUT = [1, 1, 1, 1, 0, 1, 0, 0], [1, 1, 1, 1, 0, 0, 0, 0]


def measure_sheet_example(net: Net) -> dict[str, Any]:
    y = net.run(bits_tensor(S7_INPUT)).y[0, :, 0].tolist()
    return {"input": "".join(map(str, S7_INPUT)), "output": "".join(f"{v:g}" for v in y),
            "sheet_output": "".join(map(str, S7_OUTPUT))}


S7_EXAMPLE = ClaimSpec(
    "S7.sheet-example", "With the sheet's weights and h_0 = 1, input 11110100 gives output 11110000",
    source="sheet", source_says=HOLDS, expected=HOLDS,
    criterion="The net's output string for input 11110100 equals the sheet's 11110000, symbol for symbol",
    judge=lambda ev: verdict_of(ev["output"] == ev["sheet_output"]))
S7_SHEET = ClaimSpec(
    "S7.sheet-weights", "The sheet's weights (h_0 = 1) compute 'all inputs so far are 1' for every input",
    source="sheet", source_says=HOLDS, expected=HOLDS, criterion=PROOF_CRITERION, judge=_proved)
S7_H0_ZERO = ClaimSpec(
    "S7.h0-zero", "The same weights are correct when started from h_0 = 0 (as the problem is often stated)",
    source="sheet", source_says=HOLDS, expected=FAILS,
    expected_because="from h_0 = 0 the first step computes f(0 + x_1 - 1.5) = 0, so input '1' gives output 0",
    criterion=PROOF_CRITERION, judge=_proved)
S7_FROM_ZERO = ClaimSpec(
    "S7.from-zero", "The redesign (h = 'a zero was seen', y = 1 - h) is correct from h_0 = 0",
    source="demonstration", source_says=HOLDS, expected=HOLDS, criterion=PROOF_CRITERION, judge=_proved)


def _proof_claim(spec: ClaimSpec, net_name: str, h0: float | None = None) -> Claim:
    net = get_net(net_name) if h0 is None else get_net(net_name).with_h0(h0)
    evidence = measure_proof(net)
    flag = f" --h0 {h0:g}" if h0 is not None else ""
    return spec.decide(evidence, scale={"lengths": "every length", "net": net_name + flag},
                       reproduce=f"rnnlab verify {net_name}{flag} --json", key=_proof_key(evidence))


def _s78_config(scale: str) -> dict[str, Any]:
    return {"adder_bits": 1000 if scale == "quick" else 5000, "seed": 0}


def s7(scale: str) -> PartResult:
    out = PartResult()
    evidence = measure_sheet_example(get_net("all-ones"))
    out.claims.append(S7_EXAMPLE.decide(evidence, scale={"inputs": 1}, key=f"output {evidence['output']}",
                                        reproduce="rnnlab run all-ones --input 11110100 --json"))
    out.claims.append(_proof_claim(S7_SHEET, "all-ones"))
    out.claims.append(_proof_claim(S7_H0_ZERO, "all-ones", h0=0.0))
    out.claims.append(_proof_claim(S7_FROM_ZERO, "all-ones-from-zero"))
    return out


S8_EQUALITY = ClaimSpec(
    "S8.equality", "y(t) = 1 iff x1 and x2 agree at every step so far (first-step bias c0 = -0.5)",
    source="sheet", source_says=HOLDS, expected=HOLDS, criterion=PROOF_CRITERION, judge=_proved)
S8_AS_WRITTEN = ClaimSpec(
    "S8.as-written", "The sheet's y(1) = f(v.h(1) + c) with the same c = -1.5 as later steps is correct",
    source="sheet", source_says=HOLDS, expected=FAILS,
    expected_because="with c = -1.5 at t = 1, v.h(1) <= 1 gives y(1) = 0 even when the first bits match",
    criterion=PROOF_CRITERION, judge=_proved)
S8_CARRY = ClaimSpec(
    "S8.carry", "With v = [-1, 1], r = 1, c = c0 = -0.5 the same hidden layer computes the carry bit",
    source="sheet", source_says=HOLDS, expected=HOLDS, criterion=PROOF_CRITERION, judge=_proved)
S8_ADDER = ClaimSpec(
    "S8.adder", "With a sum-bit output it is a serial adder (LSB first)",
    source="sheet", source_says=HOLDS, expected=HOLDS, criterion=PROOF_CRITERION, judge=_proved)
S8_ADDER_LONG = ClaimSpec(
    "S8.adder-long", "The serial adder adds numbers of any length exactly",
    source="sheet", source_says=HOLDS, expected=HOLDS,
    criterion="For random numbers of the stated bit length, the net's sum equals Python's integer a + b exactly",
    judge=lambda ev: verdict_of(ev["wrong_sums"] == 0))


def measure_adder_long(add: Callable[[int, int], int], bits: int, additions: int, seed: int) -> dict[str, Any]:
    """Add random `bits`-bit numbers with `add` and count the sums that differ from Python's integers."""
    gen = torch.Generator().manual_seed(seed)
    wrong = 0
    for _ in range(additions):
        a, b = (int("".join(map(str, torch.randint(0, 2, (bits,), generator=gen).tolist())), 2) for _ in range(2))
        wrong += add(a, b) != a + b
    return {"bits_per_number": bits, "additions": additions, "wrong_sums": wrong, "oracle": "Python integers"}


def s8(scale: str) -> PartResult:
    cfg, out = _s78_config(scale), PartResult()
    out.claims.append(_proof_claim(S8_EQUALITY, "equality"))
    out.claims.append(_proof_claim(S8_AS_WRITTEN, "equality-as-written"))
    out.claims.append(_proof_claim(S8_CARRY, "carry"))
    out.claims.append(_proof_claim(S8_ADDER, "adder"))
    evidence = measure_adder_long(add_numbers, cfg["adder_bits"], 3, cfg["seed"])
    out.claims.append(S8_ADDER_LONG.decide(
        evidence, scale={"bits_per_number": cfg["adder_bits"], "additions": 3},
        key=f"{evidence['additions'] - evidence['wrong_sums']}/{evidence['additions']} sums exact",
        reproduce="python -m pytest tests/exact/test_sheet.py -k adder"))
    return out


# --- S9 ---------------------------------------------------------------------------------------------

def _s9_config(scale: str) -> dict[str, Any]:
    quick = scale == "quick"
    return {"exhaustive_len": 10 if quick else 14, "sigmoid_exhaustive_len": 6 if quick else 8,
            "dfa_sizes": [2, 4, 8, 16, 32, 64, 128, 256], "dfa_seed": 0}


def s9(scale: str) -> PartResult:
    cfg, out = _s9_config(scale), PartResult()

    # Two independent oracles on every finite-state built-in: the all-length proof and exhaustive simulation.
    rows, agree = [], True
    cases = [(name, None) for name in NETS if name != "alternating"] + [("all-ones", 0.0)]
    for name, h0 in cases:
        net = get_net(name) if h0 is None else get_net(name).with_h0(h0)
        assert net.spec is not None
        proof = prove(net)
        n = cfg["exhaustive_len"] if net.n_inputs == 1 else cfg["exhaustive_len"] // 2
        ex = exhaustive_check(net, net.spec, n)
        same = proof.holds == ex.holds and (
            proof.counterexample is None or ex.counterexample is None
            or len(proof.counterexample.input) == len(ex.counterexample.input))
        agree &= same
        rows.append({"net": name + (f" --h0 {h0:g}" if h0 is not None else ""), "proof_holds": proof.holds,
                     "states_explored": proof.states_explored, "exhaustive_holds": ex.holds,
                     "exhaustive_max_len": n, "exhaustive_sequences": ex.sequences,
                     "shortest_counterexample": proof.counterexample.to_dict() if proof.counterexample else None})
    out.claims.append(Claim(
        "S9.two-oracles", "S9",
        "The all-length verifier and the exhaustive bit-parallel checker give the same verdicts and the same "
        "shortest counterexample lengths on every built-in threshold net",
        agree, {"nets": rows}, "rnnlab verify all-ones --h0 0 --max-len 12 --json",
    ))

    # The compiler: automata become threshold and sigmoid nets that are proved for every length.
    specs = {"all-ones": ALL_ONES, "equal-so-far": EQUAL_SO_FAR, "carry": CARRY, "serial-sum": SERIAL_SUM}
    for n_states in cfg["dfa_sizes"]:
        specs[f"random-{n_states}"] = random_dfa(n_states, ["0", "1"], cfg["dfa_seed"])
    specs["random-pairs-16"] = random_dfa(16, PAIRS, cfg["dfa_seed"])
    table, all_proved = [], True
    for name, spec in specs.items():
        row: dict[str, Any] = {"spec": name, "states": len(spec.states), "symbols": len(spec.alphabet)}
        for activation in ("step", "sigmoid"):
            net = compile_dfa(spec, activation)
            start = time.perf_counter()
            proof = prove(net, spec)
            row[f"{activation}_proved"] = proof.holds
            row[f"{activation}_proof_s"] = round(time.perf_counter() - start, 4)
            all_proved &= proof.holds
            if activation == "sigmoid":
                row["units"] = sum(layer.size for layer in net.layers)
                row["gain_H"] = net.meta["gain"]
                row["eps"] = net.meta["eps"]
                if len(spec.states) <= 16:  # an independent float simulation of the sigmoid net itself
                    L = cfg["sigmoid_exhaustive_len"] if spec.n_inputs == 1 else cfg["sigmoid_exhaustive_len"] // 2
                    ex = exhaustive_check(net, spec, L)
                    row["sigmoid_simulated_len"], row["sigmoid_simulation_holds"] = L, ex.holds
                    all_proved &= ex.holds
        table.append(row)
    fig, ax = new_figure(5.5, 3.5)
    rand = [r for r in table if r["spec"].startswith("random-") and r["symbols"] == 2]
    ax.semilogx([r["states"] for r in rand], [r["gain_H"] for r in rand], "o-", base=2)
    ax.set_xlabel("DFA states (random, binary alphabet)")
    ax.set_ylabel("smallest provably safe gain H")
    ax.set_title("S9: the safe sigmoid gain grows slowly with automaton size")
    out.claims.append(Claim(
        "S9.compiler", "S9",
        "Any DFA compiles to a threshold RNN and to a sigmoid(H z) RNN with a provably safe gain H; both are "
        "proved equal to the automaton for inputs of every length",
        all_proved, {"automata": table}, "rnnlab compile examples/specs/parity.json --activation sigmoid",
        out.add_figure("s9-gain", fig),
    ))
    return out


PARTS = [
    Part("S1", "S1. The alternating-sum network", s1, _s1_config),
    Part("S7", "S7. A threshold RNN: all inputs so far are 1", s7, lambda scale: {}),
    Part("S8", "S8. Two binary sequences: equal so far, carry, serial adder", s8, _s78_config),
    Part("S9", "S9. Beyond the sheet: verifying and compiling automata", s9, _s9_config),
]
