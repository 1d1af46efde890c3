"""Commands of the verifier and the compiler (SPEC S9, S11): verify, compile."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import click

from rnnlab.cli.common import check_memory, emit_json
from rnnlab.cli.exact import H0, load_net
from rnnlab.cli.params import MAX_LENGTH, NET, NET_SOURCE, SPEC, LoadedSpec, count, memory_option
from rnnlab.cli.progress import progress_bar
from rnnlab.exact.alternating_check import DEFAULT_MAX_LEN as DEFAULT_MAX_LEN_ALTERNATING
from rnnlab.exact.alternating_check import (
    GRAD_MAX_LEN,
    check_alternating,
    check_gradients,
    check_output,
    check_parity,
)
from rnnlab.exact.compiler import ACTIVATIONS, check_compilable, compile_dfa
from rnnlab.exact.compiler_check import CompilerCheckConfig, check_compiler
from rnnlab.exact.counterexample import Counterexample
from rnnlab.exact.net import Net
from rnnlab.exact.oracles import DEFAULT_MAX_LEN, FLOAT_BITS, two_oracles
from rnnlab.exact.verifier import Proof, prove
from rnnlab.extract import bounded
from rnnlab.extract.model import LearnedNet
from rnnlab.extract.torch_net import TorchNet

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


def _interval_dict(proof: Proof) -> dict[str, Any] | None:
    if proof.interval is None:
        return None
    m = proof.interval.margins
    return {"eps": proof.interval.eps, "smallest_gain": proof.interval.smallest_gain, "gain": sorted(set(m.gain)),
            "configurations": m.configurations,
            "units": [{"unit": u, "margin": mi, "sensitivity": L, "read": r}
                      for u, mi, L, r in zip(m.units, m.margin, m.sensitivity, m.read, strict=True)]}


def _verify_alternating(net: Net, max_len: int | None, as_json: bool) -> int:
    n = DEFAULT_MAX_LEN_ALTERNATING if max_len is None else max_len
    try:
        check = check_alternating(net, n)
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="--max-len") from None
    output, grads = check_output(net, n), check_gradients(net, min(n, GRAD_MAX_LEN))
    parity = check_parity(net, n)  # what it is not: no verdict, a number to read
    holds = check.holds and output.holds and grads.holds
    if as_json:
        emit_json({"net": net.name, "holds": holds, "states_explored": check.sequences,
                   "counterexample": check.counterexample, "check": "closed form vs simulation",
                   **{k: v for k, v in check.to_dict().items() if k not in ("holds", "counterexample")},
                   "closed_form_holds": check.holds, "output": output.to_dict(), "gradients": grads.to_dict(),
                   "parity": parity.to_dict()})
        return 0 if holds else 1
    click.echo(f"{net.name}: not a finite machine (real-valued state); closed form "
               "h_T = (-1)^T h_0 + sum_i (-1)^(T-i) x_i vs simulation")
    if check.holds:
        click.echo(f"  agree on all {check.binary_sequences} binary inputs of length 1..{check.max_len} (exactly) "
                   f"and {check.real_sequences} random real inputs (max |error| {check.max_abs_error:.3g})")
    else:
        c = check.counterexample or {}
        click.echo(f"  DIFFER on input {c.get('input')}: closed form {c.get('expected')}, simulation {c.get('got')}")
    click.echo("  output: the sign of the alternating sum at every step "
               + ("(y > 1/2, = 1/2, < 1/2 as S > 0, = 0, < 0)" if output.holds else
                  f"FAILS {output.sign_violations} times, first {output.first_violation}")
               + f"; differs from the parity at {parity.disagreements} of {parity.decisions} steps")
    click.echo(f"  gradients (autograd, all {grads.inputs} inputs of length {grads.T}): "
               + (f"dh_T/dx_i = (-1)^(T-i) exactly, dy_T/dx_i = 10 sigmoid'(10 h_T) (-1)^(T-i) within "
                  f"{grads.dy_max_rel_error:.2g} (relative)" if grads.holds else
                  f"FAIL (dh error {grads.dh_max_abs_error:.3g}, dy relative error {grads.dy_max_rel_error:.3g})"))
    return 0 if holds else 1


@click.command("verify")
@click.argument("net_name", metavar="NET", type=NET)
@click.option("--against", "spec_path", type=SPEC, help="Specification automaton (default: the net's own).")
@click.option("--h0", type=H0, metavar="V",
              help="Initial value of the recurrent units (one number, or one per unit: 1,0).")
@click.option("--max-len", type=count(0, MAX_LENGTH), default=None, metavar="N",
              help=f"Also simulate every input up to N steps, a second oracle (default {DEFAULT_MAX_LEN}; sigmoid "
                   f"nets {FLOAT_BITS} input bits; alternating {DEFAULT_MAX_LEN_ALTERNATING}, its only check; "
                   "0 disables it for automaton nets). Trained nets: the bounded check's length (default: "
                   f"{bounded.DEFAULT_WORDS} inputs of the longest length, so 16 for 0/1, 8 for pair alphabets).")
@click.option("--json", "as_json", is_flag=True,
              help='Print {"holds", "states_explored", "counterexample", "exhaustive", ...}; trained nets {"check": '
                   '"bounded", "holds", "max_len", "inputs", "counterexample", "all_lengths_command", ...}.')
def verify(net_name: Net | LearnedNet, spec_path: LoadedSpec | None, h0: tuple[float, ...] | None, max_len: int | None,
           as_json: bool) -> int:
    """Prove NET equal to its specification automaton for inputs of EVERY length, or print the shortest
    input on which they differ. Exit 0 holds, 1 counterexample (or not proved), 2 bad input.

    A trained net (rnnlab-net/2, from `rnnlab learn`) gets a bounded check instead: its output after every
    prefix of every input up to --max-len, against its own spec or --against; exit 0 when none differs, 1
    with the shortest input that does. For every length, use `rnnlab extract NET --against SPEC`.

    \b
    Examples:
      rnnlab verify all-ones
      rnnlab verify all-ones --h0 0            # fails on input "1"
      rnnlab verify net.json --against examples/specs/parity.json
      rnnlab verify t4.json --max-len 14       # a trained net: every input up to length 14
    """
    net = load_net(net_name, h0)
    if isinstance(net, TorchNet):
        raise click.BadParameter(f"net {net.name!r} is an imported PyTorch net (rnnlab-net/3); verify does not check "
                                 "those yet: run `rnnlab extract NET --against SPEC`", param_hint="NET")
    if isinstance(net, LearnedNet):
        return _verify_learned(net, click.get_current_context().meta.get(NET_SOURCE, "NET"), spec_path, max_len,
                               as_json)
    spec_source = spec_path.path if spec_path else None
    if net.name == "alternating" and spec_path is None:
        return _verify_alternating(net, max_len, as_json)
    try:
        spec = spec_path.automaton.require_dfa("verify of a net with binary outputs") if spec_path else None
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="--against") from None
    units = sum(L.size for L in net.layers)
    if units > EXHAUSTIVE_MAX_UNITS and (max_len is None or max_len > 0):
        raise click.BadParameter(f"net {net.name!r} has {units} units; the exhaustive second oracle handles up to "
                                 f"{EXHAUSTIVE_MAX_UNITS}: give --max-len 0 to rely on the all-length proof alone",
                                 param_hint="--max-len")
    checked = two_oracles(net, spec, max_len)
    proof, ex, bug = checked.proof, checked.exhaustive, checked.disagreement
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
            cex = ex.counterexample
            what = "holds" if ex.holds or cex is None else f"fails, shortest input {cex.input!r}" + (
                f" / {cex.input2!r}" if cex.input2 is not None else "")
            click.echo(f"  exhaustive check ({ex.method}, every input of length 1..{ex.max_len}, "
                       f"{ex.sequence_steps} sequence-steps): {what}")
    if bug is not None:
        click.echo(f"rnnlab: BUG: the verifier and the exhaustive check disagree: {bug}", err=True)
        return 1
    return 0 if proof.holds else 1


def _verify_learned(net: LearnedNet, net_name: str, spec_path: LoadedSpec | None, max_len: int | None,
                    as_json: bool) -> int:
    """rnnlab-net/2: every input up to a length against the spec (`extract.bounded`); no all-length answer."""
    spec = spec_path.automaton if spec_path else net.spec
    if spec is None:
        raise click.BadParameter(f"net {net.name!r} has no spec of its own; give --against SPEC.json",
                                 param_hint="--against")
    try:
        bounded.symbol_map(net, spec)
        bounded.spec_outputs(net, spec)
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="--against" if spec_path else "NET") from None
    top = bounded.largest_max_len(net)
    n = bounded.default_max_len(net) if max_len is None else max_len
    if not 1 <= n <= top:
        raise click.BadParameter(f"{n} is outside [1, {top}] for a trained net of {len(net.alphabet)} symbols and "
                                 f"{net.state_size} state values (every input up to N is run)", param_hint="--max-len")
    with progress_bar(bounded.inputs_up_to(net, n), f"every input up to length {n}") as advance:
        r = bounded.bounded_check(net, spec, n, advance)
    source = spec_path.path if spec_path else "its own spec"
    extract_cmd = f"rnnlab extract {net_name}" + (
        f" --against {spec_path.path}" if spec_path else "")
    d = r.disagreement
    if as_json:
        emit_json({"net": net.name, "spec": spec_path.path if spec_path else None, "check": "bounded",
                   "holds": r.holds, "max_len": n, "inputs": r.inputs,
                   "counterexample": d.to_dict() if d else None,
                   "all_lengths": None, "all_lengths_command": extract_cmd})
        return 0 if r.holds else 1
    if d is None:
        click.echo(f"{net.name}: agrees with {source} on every input of length 1..{n} ({r.inputs} inputs, the output "
                   "after every prefix compared)")
    else:
        shown = d.input if d.input2 is None else f"{d.input},{d.input2}"
        click.echo(f"{net.name}: DIFFERS from {source}; shortest input {shown!r} (length {len(d.got)}):")
        w = max(2, *map(len, d.steps)) + 1
        lines = [f"    {'t':<4}{'x':<{w}}" + (f"{'x2':<3}" if d.input2 else "")
                 + f"{'expected':<10}{'got':<5}v . h + c"]
        for t, (want, g, z) in enumerate(zip(d.expected, d.got, d.logits, strict=True)):
            x2 = f"{d.input2[t]:<3}" if d.input2 is not None else ""
            mark = "   <- first difference" if t == len(d.got) - 1 else ""
            lines.append(f"    {t + 1:<4}{d.steps[t]:<{w}}{x2}{want:<10}{g:<5}{z:.6g}{mark}")
        click.echo("\n".join(lines))
    click.echo(f"  a bounded check, not a proof for every length: run `{extract_cmd}` for that")
    return 0 if r.holds else 1


def _compile_many(config_path: str, activation: str, as_json: bool) -> int:
    """--config: compile every automaton the TOML file lists and check each net twice (compiler_check)."""
    from rnnlab.experiments.config import read_toml

    data = read_toml(config_path)
    try:
        cfg = CompilerCheckConfig.from_dict(data)
    except (TypeError, ValueError) as e:
        raise ValueError(f"config file {config_path!r}: {e}") from None
    rows = [c.row() for c in check_compiler(cfg, activation)]
    holds = all(r["holds"] for r in rows)
    if as_json:
        emit_json({"config": config_path, "activation": activation, "holds": holds, "automata": rows})
    else:
        for r in rows:
            click.echo("  ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}" for k, v in r.items()))
        click.echo(f"{len(rows)} automata compiled to {activation} nets: "
                   + ("every net proved and independently checked" if holds else "SOME FAIL (holds False above)"))
    return 0 if holds else 1


@click.command("compile")
@click.argument("spec_file", metavar="SPEC.json", type=SPEC, required=False)
@click.option("--activation", type=click.Choice(ACTIVATIONS), default="step", show_default=True,
              help="Threshold units, or sigmoid(H z) units with the smallest provably safe gain H.")
@click.option("--out", metavar="NET.json", help="Write the net (accepted by `run` and `verify`).")
@click.option("--config", "config_path", metavar="FILE.toml",
              help="Instead of SPEC.json: compile every automaton the file lists (built-ins, random sizes) and check "
                   "each net by its proof and independently (threshold: every input up to a length; sigmoid: long "
                   "random inputs in floats), as the report's S9 does.")
@click.option("--json", "as_json", is_flag=True, help='Print {"layers", "gain", "eps", "holds", "net", ...}.')
@memory_option
def compile_spec(spec_file: LoadedSpec | None, activation: str, out: str | None, config_path: str | None,
                 as_json: bool, max_memory: int | None) -> int:
    """Compile a DFA spec (or a Mealy machine: "outputs" in place of "accept") into an RNN and prove the
    result equal to the spec for every length.

    \b
    Examples:
      rnnlab compile examples/specs/parity.json --out parity-net.json
      rnnlab compile examples/specs/divisible-by-3.json --activation sigmoid
      rnnlab compile --config rnnlab-report/configs/S9-compiler.toml --activation sigmoid --json
      rnnlab verify adder --against examples/specs/serial-adder.json
    """
    from rnnlab.resources import compile_bytes

    if (spec_file is None) == (config_path is None):
        raise click.UsageError("give either SPEC.json or --config FILE.toml")
    if config_path is not None:
        if out:
            raise click.BadParameter("--out writes one net; not with --config", param_hint="--out")
        return _compile_many(config_path, activation, as_json)
    assert spec_file is not None
    spec_path, spec = spec_file.path, spec_file.automaton
    try:
        spec = check_compilable(spec)
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="SPEC.json") from None
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
