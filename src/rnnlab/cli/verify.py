"""Commands of the verifier and the compiler (SPEC S9): verify, compile."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import click

from rnnlab.cli.common import check_memory, emit_json
from rnnlab.cli.exact import H0, load_net
from rnnlab.cli.params import MAX_LENGTH, NET, SPEC, LoadedSpec, count, memory_option
from rnnlab.exact.alternating_check import check_alternating
from rnnlab.exact.automaton import Automaton
from rnnlab.exact.compiler import ACTIVATIONS, compile_dfa
from rnnlab.exact.counterexample import Counterexample
from rnnlab.exact.net import Net
from rnnlab.exact.verifier import Proof, prove

DEFAULT_MAX_LEN = 12  # exhaustive second oracle for finite machines
DEFAULT_MAX_LEN_ALTERNATING = 16
FLOAT_BITS = 16  # nets simulated in floats (sigmoid): default max_len keeps 2^16 inputs at most
EXHAUSTIVE_MAX_UNITS = 2_000  # the exhaustive oracle builds per-unit programs: beyond this, --max-len 0 only


def _cex_table(cex: Counterexample) -> list[str]:
    """The counterexample aligned step by step; the last step is where the net and the spec part."""
    two = cex.input2 is not None
    lines = [f"    {'t':<4}{'x':<3}" + (f"{'x2':<3}" if two else "") + f"{'expected':<10}got"]
    for t, (e, g) in enumerate(zip(cex.expected, cex.got, strict=True)):
        x2 = f"{cex.input2[t]:<3}" if cex.input2 is not None else ""
        mark = "   <- first difference" if t == len(cex.got) - 1 else ""
        lines.append(f"    {t + 1:<4}{cex.input[t]:<3}{x2}{e:<10}{g:.6g}{mark}")
    return lines


def _exhaustive(net: Net, spec: Automaton, max_len: int | None) -> Any:
    """The second oracle (every input up to max_len); imported here so that `prove` never depends on it."""
    from rnnlab.exact.exhaustive import exhaustive_check

    if max_len is None:
        max_len = DEFAULT_MAX_LEN if net.is_binary else min(DEFAULT_MAX_LEN, FLOAT_BITS // net.n_inputs)
    return exhaustive_check(net, spec, max_len) if max_len > 0 else None


def _disagreement(proof: Proof, ex: Any) -> str | None:
    """Both oracles answer the same question up to ex.max_len; any difference is a bug in one of them."""
    if ex is None:
        return None
    if proof.holds and not ex.holds:
        return f"the proof holds but the exhaustive check fails on input {ex.counterexample.input!r}"
    cex = proof.counterexample
    shortest = proof.interval is None or proof.interval.eps is not None  # an unproved sigmoid net's may not be
    if cex is None or not shortest:
        return None
    n = len(cex.input)
    if n <= ex.max_len and ex.holds:
        return f"the proof fails on input {cex.input!r} (length {n}) but the exhaustive check passes up to {ex.max_len}"
    if not ex.holds and len(ex.counterexample.input) != n:
        return (f"shortest counterexamples differ in length: proof {n}, exhaustive "
                f"{len(ex.counterexample.input)}")
    return None


def _interval_dict(proof: Proof) -> dict[str, Any] | None:
    if proof.interval is None:
        return None
    m = proof.interval.margins
    return {"eps": proof.interval.eps, "smallest_gain": proof.interval.smallest_gain, "gain": sorted(set(m.gain)),
            "configurations": m.configurations,
            "units": [{"unit": u, "margin": mi, "sensitivity": L, "read": r}
                      for u, mi, L, r in zip(m.units, m.margin, m.sensitivity, m.read, strict=True)]}


def _verify_alternating(net: Net, max_len: int | None, as_json: bool) -> int:
    try:
        check = check_alternating(net, DEFAULT_MAX_LEN_ALTERNATING if max_len is None else max_len)
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="--max-len") from None
    if as_json:
        emit_json({"net": net.name, "holds": check.holds, "states_explored": check.sequences,
                   "counterexample": check.counterexample, "check": "closed form vs simulation",
                   **{k: v for k, v in check.to_dict().items() if k not in ("holds", "counterexample")}})
    else:
        click.echo(f"{net.name}: not a finite machine (real-valued state); closed form "
                   "h_T = (-1)^T h_0 + sum_i (-1)^(T-i) x_i vs simulation")
        if check.holds:
            click.echo(f"  agree on all {check.binary_sequences} binary inputs of length 1..{check.max_len} (exactly) "
                       f"and {check.real_sequences} random real inputs (max |error| {check.max_abs_error:.3g})")
        else:
            c = check.counterexample or {}
            click.echo(f"  DIFFER on input {c.get('input')}: closed form {c.get('expected')}, "
                       f"simulation {c.get('got')}")
    return 0 if check.holds else 1


@click.command("verify")
@click.argument("net_name", metavar="NET", type=NET)
@click.option("--against", "spec_path", type=SPEC, help="Specification automaton (default: the net's own).")
@click.option("--h0", type=H0, metavar="V",
              help="Initial value of the recurrent units (one number, or one per unit: 1,0).")
@click.option("--max-len", type=count(0, MAX_LENGTH), default=None, metavar="N",
              help=f"Also simulate every input up to N steps, a second oracle (default {DEFAULT_MAX_LEN}; sigmoid "
                   f"nets {FLOAT_BITS} input bits; alternating {DEFAULT_MAX_LEN_ALTERNATING}, its only check; "
                   "0 disables it for automaton nets).")
@click.option("--json", "as_json", is_flag=True,
              help='Print {"holds", "states_explored", "counterexample", "exhaustive", ...}.')
def verify(net_name: Net, spec_path: LoadedSpec | None, h0: tuple[float, ...] | None, max_len: int | None,
           as_json: bool) -> int:
    """Prove NET equal to its specification automaton for inputs of EVERY length, or print the shortest
    input on which they differ. Exit 0 holds, 1 counterexample (or not proved), 2 bad input.

    \b
    Examples:
      rnnlab verify all-ones
      rnnlab verify all-ones --h0 0            # fails on input "1"
      rnnlab verify net.json --against examples/specs/parity.json
    """
    net = load_net(net_name, h0)
    spec_source = spec_path.path if spec_path else None
    if net.name == "alternating" and spec_path is None:
        return _verify_alternating(net, max_len, as_json)
    spec = spec_path.automaton if spec_path else None
    units = sum(L.size for L in net.layers)
    if units > EXHAUSTIVE_MAX_UNITS and (max_len is None or max_len > 0):
        raise click.BadParameter(f"net {net.name!r} has {units} units; the exhaustive second oracle handles up to "
                                 f"{EXHAUSTIVE_MAX_UNITS}: give --max-len 0 to rely on the all-length proof alone",
                                 param_hint="--max-len")
    proof = prove(net, spec)
    spec_used = spec or net.spec
    assert spec_used is not None
    ex = _exhaustive(net, spec_used, max_len)
    bug = _disagreement(proof, ex)
    if as_json:
        emit_json({"net": net.name, "spec": spec_source, "holds": proof.holds, "states_explored": proof.states_explored,
                   "counterexample": proof.counterexample.to_dict() if proof.counterexample else None,
                   "reason": proof.reason, "interval": _interval_dict(proof),
                   "exhaustive": ex.to_dict() if ex else None, "oracles_agree": bug is None})
    else:
        verdict = "HOLDS for inputs of every length" if proof.holds else (
            "FAILS" if proof.counterexample else "NOT PROVED")
        click.echo(f"{net.name}: {verdict} ({proof.states_explored} (net state, spec state) pairs explored)")
        click.echo(f"  {proof.reason}")
        if proof.counterexample:
            click.echo(f"  counterexample (length {len(proof.counterexample.input)}):")
            for line in _cex_table(proof.counterexample):
                click.echo(line)
        if ex is not None:
            what = "holds" if ex.holds else f"fails, shortest input {ex.counterexample.input!r}" + (
                f" / {ex.counterexample.input2!r}" if ex.counterexample.input2 is not None else "")
            click.echo(f"  exhaustive check ({ex.method}, every input of length 1..{ex.max_len}, "
                       f"{ex.sequence_steps} sequence-steps): {what}")
    if bug is not None:
        click.echo(f"rnnlab: BUG: the verifier and the exhaustive check disagree: {bug}", err=True)
        return 1
    return 0 if proof.holds else 1


@click.command("compile")
@click.argument("spec_file", metavar="SPEC.json", type=SPEC)
@click.option("--activation", type=click.Choice(ACTIVATIONS), default="step", show_default=True,
              help="Threshold units, or sigmoid(H z) units with the smallest provably safe gain H.")
@click.option("--out", metavar="NET.json", help="Write the net (accepted by `run` and `verify`).")
@click.option("--json", "as_json", is_flag=True, help='Print {"layers", "gain", "eps", "holds", "net", ...}.')
@memory_option
def compile_spec(spec_file: LoadedSpec, activation: str, out: str | None, as_json: bool, max_memory: int | None) -> int:
    """Compile a DFA spec (or a Mealy machine: "outputs" in place of "accept") into an RNN and prove the
    result equal to the spec for every length.

    \b
    Examples:
      rnnlab compile examples/specs/parity.json --out parity-net.json
      rnnlab compile examples/specs/divisible-by-3.json --activation sigmoid
      rnnlab verify adder --against examples/specs/serial-adder.json
    """
    from rnnlab.resources import compile_bytes

    spec_path, spec = spec_file.path, spec_file.automaton
    check_memory(compile_bytes(len(spec.states), len(spec.alphabet), spec.n_inputs, activation), max_memory)
    net = replace(compile_dfa(spec, activation), name=Path(spec_path).stem)
    proof = prove(net)
    if out:
        net.save(out)
    layers = [{"name": L.name, "units": L.size} for L in net.layers]
    if as_json:
        emit_json({"spec": spec_path, "activation": activation, "states": len(spec.states),
                   "alphabet": list(spec.alphabet), "layers": layers, "gain": net.meta.get("gain"),
                   "smallest_gain": net.meta.get("smallest_gain"),
                   "eps": proof.interval.eps if proof.interval else None,
                   "holds": proof.holds, "states_explored": proof.states_explored, "reason": proof.reason,
                   "net": out})
    else:
        click.echo(f"{spec_path}: {len(spec.states)} states, alphabet {' '.join(spec.alphabet)} -> {activation} net, "
                   f"layers " + ", ".join(f"{d['name']} {d['units']}" for d in layers) + " units")
        if activation == "sigmoid" and proof.interval is not None:
            click.echo(f"  gain H = {net.meta['gain']:g} (smallest provable {net.meta['smallest_gain']:.6g}), "
                       f"eps = {proof.interval.eps:.3g}: every unit stays within eps of 0 or 1")
        click.echo(f"  proof: {'holds for inputs of every length' if proof.holds else 'FAILS'} ({proof.reason})")
        if out:
            click.echo(f"  wrote {out}")
    return 0 if proof.holds else 1


COMMANDS = [verify, compile_spec]
