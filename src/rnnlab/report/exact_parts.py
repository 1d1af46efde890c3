"""Report parts for the exact nets: S1 (alternating sum), S7 (all ones), S8 (equal so far), S9 (automata).

Each claim is a measure (subject -> evidence) and a ClaimSpec whose judge reads only the evidence, so a test can
measure a broken subject (wrong weights, a wrong h0, a closed form with a sign error, a gain one notch too low)
and see the verdict flip. Every measure calls the same library function as the claim's reproduce command, so the
command's --json output carries the evidence's numbers.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import torch
from matplotlib.ticker import FuncFormatter, NullFormatter

from rnnlab.exact.alternating_check import (
    DEFAULT_REAL,
    ClosedForm,
    check_alternating,
    check_gradients,
    check_output,
    check_parity,
)
from rnnlab.exact.automaton import Automaton
from rnnlab.exact.compiler import compile_dfa
from rnnlab.exact.compiler_check import Compile, CompilerCheckConfig, check_compiler
from rnnlab.exact.net import Net
from rnnlab.exact.oracles import TwoOracles, proof_dict, two_oracles
from rnnlab.exact.sheet import ALL_ONES, SERIAL_SUM, alternating, bits_tensor, check_adder, get_net
from rnnlab.exact.verifier import prove
from rnnlab.report.claims import FAILS, HOLDS, ClaimSpec, Part, PartResult, new_figure, verdict_of

JOIN = "; "  # reproduce commands made of several runs; each prints its own JSON object


def _flag(h0: float | None) -> str:
    return f" --h0 {h0:g}" if h0 is not None else ""


def _net(name: str, h0: float | None = None) -> Net:
    return get_net(name) if h0 is None else get_net(name).with_h0(h0)


def _num(v: float) -> float | int:
    """An integral float as an int, for tables (1 rather than 1.0)."""
    return int(v) if float(v).is_integer() else v


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _plain_log_ticks(axis: Any) -> None:
    """Log-axis tick labels as plain text (10⁻⁴): matplotlib's default typesets each one with mathtext, slowly."""
    axis.set_major_formatter(FuncFormatter(lambda v, _: f"10{str(round(math.log10(v))).translate(_SUPERSCRIPT)}"
                                           if v > 0 else "0"))
    axis.set_minor_formatter(NullFormatter())


def trace_rows(net: Net, x1: str, x2: str | None = None, spec: Automaton | None = None) -> list[dict[str, Any]]:
    """The net run step by step on an input: t, x (or x1, x2), h, y and the spec's expected output."""
    trace = net.run(bits_tensor([int(c) for c in x1], [int(c) for c in x2] if x2 is not None else None))
    h, y = trace.h[0].tolist(), trace.y[0, :, 0].tolist()
    spec = spec if spec is not None else net.spec
    expected: list[int | None] = [None] * len(x1)
    if spec is not None:
        symbols = [spec.alphabet.index(a + (b if x2 is not None else "")) for a, b in zip(x1, x2 or x1, strict=True)]
        expected = list(spec.outputs(symbols))
    rows = []
    for t in range(len(x1)):
        row: dict[str, Any] = {"t": t + 1}
        row.update({"x1": int(x1[t]), "x2": int(x2[t])} if x2 is not None else {"x": int(x1[t])})
        row.update(h=" ".join(f"{v:g}" for v in h[t]), y=_num(y[t]), expected=expected[t])
        rows.append(row)
    return rows


# --- S1 ---------------------------------------------------------------------------------------------

S1_H0 = (0.0, 1.0, -3.0)  # the sheet's h_0 = 0 and two others: the (-1)^T h_0 term must be right too


def _s1_config(scale: str) -> dict[str, Any]:
    # real_inputs and seed are `rnnlab verify alternating`'s own (it has no flags for them)
    return {"max_len": 12 if scale == "quick" else 16, "h0": list(S1_H0), "real_inputs": DEFAULT_REAL, "seed": 0}


def measure_closed_form(net: Net, h0s: Sequence[float], max_len: int, n_real: int = DEFAULT_REAL, seed: int = 0,
                        closed_form: ClosedForm | None = None) -> dict[str, Any]:
    """Simulation vs closed form from each h0 (`check_alternating`), as evidence."""
    return {"by_h0": [{"h0": h0, **check_alternating(net.with_h0(h0), max_len, n_real, seed, closed_form).to_dict()}
                      for h0 in h0s]}


def measure_sign_test(net: Net, h0s: Sequence[float], max_len: int) -> dict[str, Any]:
    return {"by_h0": [check_output(net.with_h0(h0), max_len).to_dict() for h0 in h0s]}


def measure_parity(net: Net, max_len: int) -> dict[str, Any]:
    return check_parity(net, max_len).to_dict()


def measure_gradients(net: Net, h0s: Sequence[float], T: int, closed_form: ClosedForm | None = None
                      ) -> dict[str, Any]:
    return {"by_h0": [check_gradients(net.with_h0(h0), T, closed_form=closed_form).to_dict() for h0 in h0s]}


def _all_hold(evidence: dict[str, Any]) -> str:
    return verdict_of(all(row["holds"] for row in evidence["by_h0"]))


S1_CLOSED_FORM = ClaimSpec(
    "S1.closed-form", r"The simulation equals the closed form $h_T = (-1)^T h_0 + \sum_i (-1)^{T-i} x_i$",
    source="sheet", source_says=HOLDS, expected=HOLDS,
    criterion=r"From $h_0 \in \{0, 1, -3\}$: $h_t$ and $y_t$ equal the closed form exactly on every binary input up to "
              r"the stated length, and within $10^{-9}(1 + |h|)$ on 1000 random real inputs",
    judge=_all_hold)
S1_SIGN = ClaimSpec(
    "S1.sign-test", r"On binary inputs y is a soft sign test of the alternating sum $S$: $y > 1/2$ iff $S \ge 1$, "
                    r"$y = 1/2$ iff $S = 0$, $y < 1/2$ iff $S \le -1$",
    source="sheet", source_says=HOLDS, expected=HOLDS,
    criterion=r"At every step of every binary input up to the stated length, from each $h_0$, y is on the side of 1/2 "
              r"that the sign of $S_t$ (computed with integers) says, and exactly 1/2 at $S_t = 0$: 0 violations",
    judge=_all_hold)
S1_NOT_PARITY = ClaimSpec(
    "S1.not-parity", "It is not a parity detector",
    source="demonstration", source_says=HOLDS, expected=HOLDS,
    criterion=r"Over every binary input up to the stated length, the decision $[y_t > 1/2]$ differs from the parity "
              r"of $x_1..x_t$ at least once (a parity detector gives 0 disagreements)",
    judge=lambda ev: verdict_of(ev["disagreements"] > 0))
S1_GRADIENTS = ClaimSpec(
    "S1.gradients", r"$|\partial h_T/\partial x_i| = 1$ for every i, while "
                    r"$\partial y/\partial x_i = 10\,\sigma'(10 h_T) (-1)^{T-i}$ saturates once $|h_T| \ge 1$",
    source="sheet", source_says=HOLDS, expected=HOLDS,
    criterion=r"Autograd on all $2^T$ binary inputs, from each $h_0$: $\partial h_T/\partial x_i = (-1)^{T-i}$ "
              r"exactly; $\partial y/\partial x_i$ within relative $10^{-9}$ of the formula where $|h_T| \le 1$ and "
              r"at most $10\,\sigma'(10) \approx 4.5 \cdot 10^{-4}$ where $|h_T| \ge 1$",
    judge=_all_hold)


def _s1_gradient_figure(out: PartResult, net: Net) -> str:
    fig, ax = new_figure()
    hs = torch.linspace(-5.5, 5.5, 1101, dtype=torch.float64)
    # sigmoid'(z) = sigmoid(z) sigmoid(-z) stays representable where 1 - sigmoid(z) rounds to 0.
    ax.semilogy(hs, 10 * torch.sigmoid(10 * hs) * torch.sigmoid(-10 * hs), label="10 σ′(10 h_T) (formula)")
    points = []
    for bits in ["0000000000", "0000000001", "0000000101", "0000010101", "0101010101", "1010101010", "1111111111"]:
        x = bits_tensor([int(c) for c in bits]).requires_grad_(True)
        trace = net.run(x)
        (dy,) = torch.autograd.grad(trace.y[0, -1, 0], x)
        points.append((trace.states[0][0, -1, 0].item(), float(dy.abs().max())))
    ax.semilogy(*zip(*points, strict=True), "o", label="autograd, max over i of |∂y/∂x_i|, T = 10")
    ax.axhline(1.0, color="gray", ls="--", lw=1, label="|∂h_T/∂x_i| = 1 (every input)")
    _plain_log_ticks(ax.yaxis)
    ax.set_xlabel("h_T (the alternating sum)")
    ax.set_ylabel("gradient magnitude")
    ax.set_title("S1: ∂h/∂x never vanishes; ∂y/∂x saturates once |h_T| ≥ 1")
    ax.legend(fontsize=9)
    return out.add_figure("s1-gradients", fig, "The gradient of y collapses by 4 orders of magnitude once the "
                                               "alternating sum reaches +-1, while the gradient of h stays at 1.")


def _s1_sign_figure(out: PartResult, net: Net, T: int = 8) -> str:
    x = torch.tensor([[(s >> (T - 1 - t)) & 1 for t in range(T)] for s in range(1 << T)], dtype=torch.float64)
    y = net.run(x.unsqueeze(-1)).y[:, -1, 0]
    S = x @ torch.tensor([(-1.0) ** (T - i) for i in range(1, T + 1)], dtype=torch.float64)
    fig, ax = new_figure()
    # S and the number of 1s have the same parity, so each value of S holds inputs of one parity only.
    for odd, label, marker in ((0, "even number of 1s", "o"), (1, "odd number of 1s", "s")):
        values = sorted({int(v) for v in S.tolist() if int(v) % 2 == odd})
        counts = [int((S == v).sum()) for v in values]
        ys = [float(y[S == v].mean()) for v in values]
        ax.plot(values, ys, marker, ls="", ms=8, label=label)
        for v, c, yv in zip(values, counts, ys, strict=True):
            ax.annotate(f"{c}", (v, yv), textcoords="offset points", xytext=(0, 9 if yv < 0.9 else -16),
                        ha="center", fontsize=9)
    ax.axhline(0.5, color="gray", lw=1, ls="--")
    ax.set_ylim(-0.15, 1.15)
    ax.set_xlabel(r"alternating sum $S = \sum_i (-1)^{T-i} x_i$ over all 256 inputs of length 8 (labels: inputs)")
    ax.set_ylabel("y_T")
    ax.set_title("S1: y is the sign of S; even and odd inputs land on both sides")
    ax.legend(fontsize=9, loc="lower right")
    return out.add_figure("s1-sign", fig, "y is near 1 for every positive alternating sum, exactly 1/2 at 0 and near "
                                          "0 below, whatever the parity: both parities reach both outputs.")


def s1(scale: str) -> PartResult:
    cfg, out, net = _s1_config(scale), PartResult(), alternating()
    n, h0s = cfg["max_len"], cfg["h0"]
    out.configs["S1"] = cfg
    commands = JOIN.join(f"rnnlab verify alternating --h0 {h0:g} --max-len {n} --json" for h0 in h0s)
    scale_ = {"max_len": n, "h0": h0s, "binary_inputs_per_h0": 2 ** (n + 1) - 2}

    ev = measure_closed_form(net, h0s, n, cfg["real_inputs"], cfg["seed"])
    worst = max(r["max_abs_error"] for r in ev["by_h0"])
    out.claims.append(S1_CLOSED_FORM.decide(
        ev, scale={**scale_, "real_inputs": cfg["real_inputs"]}, reproduce=commands,
        key=f"exact on {len(h0s)} x {2 ** (n + 1) - 2} binary inputs; real inputs within {worst:.1e}"))

    sign_fig = _s1_sign_figure(out, net)
    ev = measure_sign_test(net, h0s, n)
    out.claims.append(S1_SIGN.decide(
        ev, scale=scale_, reproduce=commands, figures=(sign_fig,),
        key=f"{sum(r['sign_violations'] for r in ev['by_h0'])} violations in "
            f"{sum(r['positive'] + r['zero'] + r['negative'] for r in ev['by_h0']):,} steps"))

    ev = measure_parity(net, n)
    out.claims.append(S1_NOT_PARITY.decide(
        ev, scale={"max_len": n, "h0": 0}, reproduce=f"rnnlab verify alternating --h0 0 --max-len {n} --json",
        figures=(sign_fig,), key=f"differs from parity at {ev['disagreements']:,} of {ev['decisions']:,} steps"))

    ev = measure_gradients(net, h0s, n)
    out.claims.append(S1_GRADIENTS.decide(
        ev, scale={"T": n, "h0": h0s, "inputs_per_h0": 2 ** n}, reproduce=commands,
        figures=(_s1_gradient_figure(out, net),),
        key=f"dy/dx within {max(r['dy_max_rel_error'] for r in ev['by_h0']):.1e} (relative); "
            f"saturated max {max(r['max_abs_dy_saturated'] for r in ev['by_h0']):.2g}"))
    out.add_stepper("alternating", net, "10110")
    return out


# --- S7, S8 -----------------------------------------------------------------------------------------


def measure_proof(net: Net) -> dict[str, Any]:
    """The all-length proof of a threshold net against its spec, as evidence."""
    d = proof_dict(prove(net))
    return {"proved_for_every_length": d["holds"], "states_explored": d["states_explored"],
            "counterexample": d["counterexample"]}


def _proved(evidence: dict[str, Any]) -> str:
    return verdict_of(evidence["proved_for_every_length"])


def _proof_key(evidence: dict[str, Any]) -> str:
    cex = evidence["counterexample"]
    if cex is None:
        return f"proved for every length ({evidence['states_explored']} states)"
    return f"counterexample: input {cex['input']}" + (f", {cex['input2']}" if cex.get("input2") else "")


PROOF_CRITERION = ("Breadth-first search over reachable (net state, automaton state) pairs: holds iff no reachable "
                   "pair disagrees, which proves equality for inputs of every length; else the shortest counterexample")

S7_INPUT, S7_OUTPUT = "11110100", "11110000"  # the sheet's example


def measure_sheet_example(net: Net) -> dict[str, Any]:
    y = net.run(bits_tensor([int(c) for c in S7_INPUT])).y[0, :, 0].tolist()
    return {"input": S7_INPUT, "output": "".join(f"{v:g}" for v in y), "sheet_output": S7_OUTPUT}


S7_EXAMPLE = ClaimSpec(
    "S7.sheet-example", "With the sheet's weights and $h_0 = 1$, input 11110100 gives output 11110000",
    source="sheet", source_says=HOLDS, expected=HOLDS,
    criterion="The net's output string for input 11110100 equals the sheet's 11110000, symbol for symbol",
    judge=lambda ev: verdict_of(ev["output"] == ev["sheet_output"]))
S7_SHEET = ClaimSpec(
    "S7.sheet-weights", "The sheet's weights ($h_0 = 1$) compute 'all inputs so far are 1' for every input",
    source="sheet", source_says=HOLDS, expected=HOLDS, criterion=PROOF_CRITERION, judge=_proved)
S7_H0_ZERO = ClaimSpec(
    "S7.h0-zero", "The same weights are correct when started from $h_0 = 0$ (as the problem is often stated)",
    source="sheet", source_says=HOLDS, expected=FAILS,
    expected_because="from $h_0 = 0$ the first step computes $f(0 + x_1 - 1.5) = 0$, so input '1' gives output 0",
    criterion=PROOF_CRITERION, judge=_proved)
S7_FROM_ZERO = ClaimSpec(
    "S7.from-zero", "The redesign (h = 'a zero was seen', y = 1 - h) is correct from $h_0 = 0$",
    source="demonstration", source_says=HOLDS, expected=HOLDS, criterion=PROOF_CRITERION, judge=_proved)


def _proof_claim(spec: ClaimSpec, net_name: str, h0: float | None = None) -> Any:
    evidence = measure_proof(_net(net_name, h0))
    return spec.decide(evidence, scale={"lengths": "every length", "net": net_name + _flag(h0)},
                       reproduce=f"rnnlab verify {net_name}{_flag(h0)} --json", key=_proof_key(evidence))


def s7(scale: str) -> PartResult:
    out = PartResult()
    evidence = measure_sheet_example(get_net("all-ones"))
    out.claims.append(S7_EXAMPLE.decide(evidence, scale={"inputs": 1}, key=f"output {evidence['output']}",
                                        reproduce=f"rnnlab run all-ones --input {S7_INPUT} --json"))
    out.claims.append(_proof_claim(S7_SHEET, "all-ones"))
    out.claims.append(_proof_claim(S7_H0_ZERO, "all-ones", h0=0.0))
    out.claims.append(_proof_claim(S7_FROM_ZERO, "all-ones-from-zero"))
    out.tables["S7.sheet-example#trace"] = trace_rows(get_net("all-ones"), S7_INPUT)
    out.tables["S7.h0-zero#trace"] = trace_rows(_net("all-ones", 0.0), S7_INPUT)
    out.tables["S7.from-zero#trace"] = trace_rows(get_net("all-ones-from-zero"), S7_INPUT)
    for name in ("all-ones", "all-ones-from-zero"):
        out.add_stepper(name, get_net(name), S7_INPUT)
    return out


S8_X1, S8_X2 = "1101011", "1101101"  # agree for four steps, then differ
ADD_X1, ADD_X2 = "11010", "11100"  # 11 + 7 = 18, least significant bit first, one extra step for the carry

S8_EQUALITY = ClaimSpec(
    "S8.equality", "y(t) = 1 iff x1 and x2 agree at every step so far (first-step bias $c_0 = -0.5$)",
    source="sheet", source_says=HOLDS, expected=HOLDS, criterion=PROOF_CRITERION, judge=_proved)
S8_AS_WRITTEN = ClaimSpec(
    "S8.as-written", "The sheet's $y(1) = f(v \\cdot h(1) + c)$ with the same $c = -1.5$ as later steps is correct",
    source="sheet", source_says=HOLDS, expected=FAILS,
    expected_because="with $c = -1.5$ at $t = 1$, $v \\cdot h(1) \\le 1$ gives $y(1) = 0$ even when the first "
                     "bits match",
    criterion=PROOF_CRITERION, judge=_proved)
S8_CARRY = ClaimSpec(
    "S8.carry", "With $v = [-1, 1]$, $r = 1$, $c = c_0 = -0.5$ the same hidden layer computes the carry bit",
    source="sheet", source_says=HOLDS, expected=HOLDS, criterion=PROOF_CRITERION, judge=_proved)
S8_ADDER = ClaimSpec(
    "S8.adder", "With a sum-bit output it is a serial adder (LSB first)",
    source="sheet", source_says=HOLDS, expected=HOLDS, criterion=PROOF_CRITERION, judge=_proved)
S8_ADDER_LONG = ClaimSpec(
    "S8.adder-long", "The serial adder adds numbers of any length exactly",
    source="sheet", source_says=HOLDS, expected=HOLDS,
    criterion="For random numbers of the stated bit length, the net's sum equals Python's integer a + b exactly "
              "(0 wrong sums)",
    judge=lambda ev: verdict_of(ev["wrong_sums"] == 0))


def measure_adder_long(bits: int, additions: int, seed: int, add: Callable[[int, int], int] | None = None
                       ) -> dict[str, Any]:
    """Random `bits`-bit sums by `add` (default: the adder net) against Python's integers (`check_adder`)."""
    return check_adder(bits, additions, seed, add).to_dict()


def _s8_config(scale: str) -> dict[str, Any]:
    return {"adder_bits": 1000 if scale == "quick" else 5000, "additions": 3, "seed": 0}


def s8(scale: str) -> PartResult:
    cfg, out = _s8_config(scale), PartResult()
    out.configs["S8"] = cfg
    out.claims.append(_proof_claim(S8_EQUALITY, "equality"))
    out.claims.append(_proof_claim(S8_AS_WRITTEN, "equality-as-written"))
    out.claims.append(_proof_claim(S8_CARRY, "carry"))
    out.claims.append(_proof_claim(S8_ADDER, "adder"))
    evidence = measure_adder_long(cfg["adder_bits"], cfg["additions"], cfg["seed"])
    out.claims.append(S8_ADDER_LONG.decide(
        evidence, scale={"bits_per_number": cfg["adder_bits"], "additions": cfg["additions"]},
        key=f"{evidence['additions'] - evidence['wrong_sums']}/{evidence['additions']} sums exact",
        reproduce=f"rnnlab add --bits {cfg['adder_bits']} --additions {cfg['additions']} --seed {cfg['seed']} --json"))
    for claim, name, x1, x2 in (("S8.equality", "equality", S8_X1, S8_X2),
                                ("S8.as-written", "equality-as-written", S8_X1, S8_X2),
                                ("S8.carry", "carry", ADD_X1, ADD_X2), ("S8.adder", "adder", ADD_X1, ADD_X2)):
        out.tables[f"{claim}#trace"] = trace_rows(get_net(name), x1, x2)
        out.add_stepper(name, get_net(name), x1, x2)
    return out


# --- S9 ---------------------------------------------------------------------------------------------

TWO_ORACLE_NETS: tuple[tuple[str, float | None], ...] = (
    ("all-ones", None), ("all-ones", 0.0), ("all-ones-from-zero", None), ("equality", None),
    ("equality-as-written", None), ("carry", None), ("adder", None))


def _s9_config(scale: str) -> dict[str, Any]:
    quick = scale == "quick"
    compiler = CompilerCheckConfig(
        random_sizes=(2, 4, 8, 16, 32, 64, 128) if quick else (2, 4, 8, 16, 32, 64, 128, 256),
        exhaustive_len=10 if quick else 14, sim_length=1000 if quick else 2000, sim_inputs=256 if quick else 300,
        dtypes=("float64",) if quick else ("float64", "float32"))
    return {"exhaustive_len": 10 if quick else 14, "compiler": compiler.to_dict()}


def measure_two_oracles(cases: Sequence[tuple[str, float | None]], exhaustive_len: int,
                        oracles: Callable[[Net, int], TwoOracles] | None = None) -> dict[str, Any]:
    """Both oracles on each built-in net (`two_oracles`, as `rnnlab verify` runs them)."""
    rows = []
    for name, h0 in cases:
        net = _net(name, h0)
        n = exhaustive_len // net.n_inputs
        both = oracles(net, n) if oracles is not None else two_oracles(net, max_len=n)
        ex = both.exhaustive
        assert ex is not None
        rows.append({"net": name + _flag(h0), "proof_holds": both.proof.holds,
                     "states_explored": both.proof.states_explored, "exhaustive_holds": ex.holds,
                     "exhaustive_max_len": ex.max_len, "shortest_counterexample":
                         both.proof.counterexample.input if both.proof.counterexample else None,
                     "agree": both.agree})
    return {"nets": rows}


S9_TWO_ORACLES = ClaimSpec(
    "S9.two-oracles", "The all-length verifier and the exhaustive bit-parallel checker give the same verdicts and "
                      "the same shortest counterexample lengths on every built-in threshold net",
    source="demonstration", source_says=HOLDS, expected=HOLDS,
    criterion="For each built-in threshold net (two of them wrong on purpose), the proof and the simulation of every "
              "input up to the stated length agree on the verdict and on the shortest counterexample's length",
    judge=lambda ev: verdict_of(all(r["agree"] for r in ev["nets"])))


def measure_compiler(cfg: CompilerCheckConfig, activation: str, compile: Compile = compile_dfa) -> dict[str, Any]:
    """Every automaton of the config compiled and checked twice (`check_compiler`, as `rnnlab compile --config`)."""
    return {"automata": [c.row() for c in check_compiler(cfg, activation, compile)]}


def _rows_hold(evidence: dict[str, Any]) -> str:
    return verdict_of(all(r["holds"] for r in evidence["automata"]))


S9_THRESHOLD = ClaimSpec(
    "S9.compiler-threshold", "Any DFA compiles to a threshold RNN equal to it for inputs of every length",
    source="demonstration", source_says=HOLDS, expected=HOLDS,
    criterion="Every listed automaton's compiled threshold net is proved equal to it for every length, and the "
              "exhaustive simulation of every input up to the stated length agrees (0 failing automata)",
    judge=_rows_hold)
S9_SIGMOID = ClaimSpec(
    "S9.compiler-sigmoid", r"Any DFA compiles to a $\sigma(H z)$ RNN whose gain H is provably safe: rounded, it "
                           r"equals the DFA for inputs of every length",
    source="demonstration", source_says=HOLDS, expected=HOLDS,
    cite="Omlin & Giles 1996, Constructing deterministic finite-state automata in recurrent neural networks, "
         "JACM 43(6)",
    criterion=r"For every listed automaton: the interval proof holds at the compiler's H, and, independently, a "
              r"float simulation of the stated number of random inputs of the stated length agrees with the DFA at "
              r"every step with every hidden unit within the proved $\epsilon$ of 0 or 1 (0 failing automata)",
    judge=_rows_hold)


def _s9_figure(out: PartResult, rows: list[dict[str, Any]]) -> str:
    fig, (left, right) = new_figure(ncols=2)
    rand = [r for r in rows if r["automaton"].startswith("random-") and not r["automaton"].startswith("random-pairs")]
    sizes, gains = [r["states"] for r in rand], [r["gain_H"] for r in rand]
    left.semilogx(sizes, gains, "o-", base=2)
    left.set_xticks(sizes, [str(n) for n in sizes])
    left.xaxis.set_minor_formatter(NullFormatter())
    left.set_xlabel("DFA states (random, alphabet {0, 1})")
    left.set_ylabel("compiled gain H")
    left.set_title(f"H stays between {min(gains):.3g} and {max(gains):.3g}", fontsize=10)
    eps = [r["eps"] for r in rows]
    dev = [r["float64_max_deviation"] for r in rows]
    right.plot(eps, dev, "o")
    hi = max(dev + eps) * 1.1
    right.plot([0, hi], [0, hi], color="gray", ls="--", lw=1, label="deviation = ε")
    right.set_xlabel("proved ε")
    right.set_ylabel("largest simulated |unit - bit|")
    right.set_title("simulation stays inside the proof", fontsize=10)
    right.legend(fontsize=9)
    fig.suptitle("S9: compiled sigmoid nets, checked by simulation")
    return out.add_figure("s9-gain", fig, "Left: the compiler's gain H against automaton size; right: every point "
                                          "(one automaton) lies below the diagonal, so no hidden unit strayed further "
                                          "from 0 or 1 than the proof allows.")


def s9(scale: str) -> PartResult:
    cfg, out = _s9_config(scale), PartResult()
    compiler = CompilerCheckConfig.from_dict(cfg["compiler"])
    out.configs["S9-compiler"] = compiler.to_dict()
    n = cfg["exhaustive_len"]
    ev = measure_two_oracles(TWO_ORACLE_NETS, n)
    out.claims.append(S9_TWO_ORACLES.decide(
        ev, scale={"exhaustive_len": n, "nets": len(ev["nets"])},
        key=f"{sum(r['agree'] for r in ev['nets'])}/{len(ev['nets'])} nets agree",
        reproduce=JOIN.join(f"rnnlab verify {name}{_flag(h0)} --max-len {n // get_net(name).n_inputs} --json"
                            for name, h0 in TWO_ORACLE_NETS)))

    out.tables["S9.two-oracles#nets"] = [
        {**r, "shortest_counterexample": r["shortest_counterexample"] or "none (holds)"} for r in ev["nets"]]
    scale_ = {"automata": len(compiler.builtin) + len(compiler.random_sizes) + len(compiler.random_pair_sizes),
              "largest_states": max((*compiler.random_sizes, *compiler.random_pair_sizes), default=0)}
    for spec, activation in ((S9_THRESHOLD, "step"), (S9_SIGMOID, "sigmoid")):
        ev = measure_compiler(compiler, activation)
        rows = ev["automata"]
        extra = ({"exhaustive_len": compiler.exhaustive_len} if activation == "step" else
                 {"sim_inputs": compiler.sim_inputs, "sim_length": compiler.sim_length,
                  "dtypes": list(compiler.dtypes)})
        figures = (_s9_figure(out, rows),) if activation == "sigmoid" else ()
        out.tables[f"{spec.id}#automata"] = rows  # every cell filled: each column applies to every automaton
        out.claims.append(spec.decide(
            ev, scale={**scale_, **extra}, figures=figures,
            key=f"{sum(r['holds'] for r in rows)}/{len(rows)} automata"
                + (f", H up to {max(r['gain_H'] for r in rows):.4g}" if activation == "sigmoid" else ""),
            reproduce=f"rnnlab compile --config {{configs}}/S9-compiler.toml --activation {activation} --json"))
    out.add_stepper("compiled-threshold-serial-sum", compile_dfa(SERIAL_SUM, "step"), ADD_X1, ADD_X2)
    out.add_stepper("compiled-sigmoid-all-ones", compile_dfa(ALL_ONES, "sigmoid"), S7_INPUT)
    return out


# budget_s: measured CPU seconds at quick scale on the shared 2-core machine (S1 3.4, S7 0.02, S8 0.24, S9 7.9),
# with about 30% room; the wall time there grows with its load.
PARTS = [
    Part("S1", "S1. The alternating-sum network", s1, _s1_config, budget_s=4.5),
    Part("S7", "S7. A threshold RNN: all inputs so far are 1", s7, lambda scale: {}, budget_s=0.5),
    Part("S8", "S8. Two binary sequences: equal so far, carry, serial adder", s8, _s8_config, budget_s=1.0),
    Part("S9", "S9. Beyond the sheet: verifying and compiling automata", s9, _s9_config, budget_s=10.0),
]
