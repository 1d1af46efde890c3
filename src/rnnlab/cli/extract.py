"""Commands for automata from trained networks (SPEC S11): learn, extract."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import click
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from rnnlab.cli.common import emit_json
from rnnlab.cli.params import MAX_LENGTH, MAX_SEED, FiniteFloat, count, load_net
from rnnlab.exact.automaton import Automaton, load_json
from rnnlab.exact.net import Net
from rnnlab.extract.certify import check
from rnnlab.extract.languages import BUILTIN, load_language
from rnnlab.extract.learn import CELL_CHOICES, LearnConfig, learn
from rnnlab.extract.lstar import PHASES, ExtractConfig, ExtractResult, extract
from rnnlab.extract.machine import Machine
from rnnlab.extract.model import LearnedNet
from rnnlab.extract.torch_net import TorchNet
from rnnlab.files import write_atomic
from rnnlab.symbols import format_word


def _word(alphabet: tuple[str, ...], word: list[int] | None) -> str | None:
    return None if word is None else format_word(word, alphabet)


def _load(name_or_path: str) -> Net | LearnedNet | TorchNet:
    return load_net(name_or_path)


@click.command("learn")
@click.argument("lang", metavar="LANG")
@click.option("--cell", type=click.Choice(CELL_CHOICES), default="tanh", show_default=True, help="Recurrent cell.")
@click.option("--hidden", type=count(1, 512), default=LearnConfig.hidden, show_default=True,
              help="Hidden units.")
@click.option("--seed", type=count(0, MAX_SEED), default=0, show_default=True, help="Seed of weights and strings.")
@click.option("--steps", type=count(1, MAX_LENGTH), default=LearnConfig.steps, show_default=True,
              help="Budget: most Adam steps.")
@click.option("--max-len", type=count(2, 1000), default=LearnConfig.max_len, show_default=True,
              help="Training string length reached; held-out strings go to twice this.")
@click.option("--contraction", type=FiniteFloat(0.0, 100.0), default=None,
              help="Weight of the contraction penalty while polishing (0: none); default 1 for gru and tanh, 0 for "
                   "sigmoid; not for lstm.")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="Where to write the net (rnnlab-net/2).")
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON object (held-out accuracy by length band; the check on run inputs).")
def learn_cmd(lang: str, cell: str, hidden: int, seed: int, steps: int, max_len: int, contraction: float | None,
              out: str, as_json: bool) -> int:
    """Train a net to accept/reject every prefix of the strings of LANG (a spec file or a built-in language).

    Built-ins: tomita1 .. tomita7, all-ones, equality. Once every held-out prefix is right, the net is polished
    with noise on its state and a penalty on steps that stretch it (GRU: every step; tanh: steps from states
    whose output can no longer change), so that `rnnlab extract` can prove it. Exit 1 when the budget ends
    before every held-out prefix is classified right.

    \b
    Examples:
      rnnlab learn tomita4 --cell tanh --out t4.json
      rnnlab learn examples/specs/divisible-by-3.json --cell gru --hidden 8 --seed 1 --out d3.json
    """
    spec = load_language(lang).require_dfa("learn")
    config = LearnConfig(cell=cell, hidden=hidden, seed=seed, steps=steps, max_len=max_len,
                         grow_steps=min(LearnConfig.grow_steps, steps), contraction=contraction)
    name = Path(lang).stem if lang.endswith(".json") else lang
    with Progress(TextColumn("learn"), BarColumn(), TextColumn("{task.completed}/{task.total} steps"),
                  TextColumn("held-out {task.fields[acc]:.4f}"), TimeElapsedColumn(),
                  console=_stderr(), transient=True, disable=not sys.stderr.isatty()) as bar:
        task = bar.add_task("learn", total=steps, acc=0.0)
        result = learn(spec, config, name=f"{name}-{cell}{hidden}-s{seed}",
                       progress=lambda s, a: bar.update(task, completed=s, acc=a))
    result.net.save(out)
    if as_json:
        emit_json({"language": lang, "cell": cell, "hidden": hidden, "seed": seed, "steps": result.steps,
                   "perfect": result.perfect, "accuracy": result.accuracy, "bands": result.bands,
                   "max_len": max_len, "runs": result.runs, "out": out})
    else:
        bands = ", ".join(f"lengths {k}: {v:.4f}" for k, v in result.bands.items())
        verdict = "every held-out prefix right" if result.perfect else "budget ended before 100%"
        runs = result.runs
        click.echo(f"{result.net.name}: {result.steps} steps, held-out accuracy {result.accuracy:.4f} ({bands}); "
                   f"{verdict}; wrote {out}")
        click.echo(f"  on {runs['inputs']} run inputs of length {runs['length']} (runs of one symbol, beyond the "
                   f"training lengths): accuracy {runs['accuracy']:.4f}, {runs['inputs_wrong']} inputs wrong somewhere")
    return 0 if result.perfect else 1


def _stderr() -> Any:
    from rich.console import Console

    return Console(stderr=True)


def _spec(text: str) -> Automaton:
    """--against: a built-in language or a spec file, as a DFA (the nets extracted give accept/reject)."""
    spec = BUILTIN[text] if text in BUILTIN else Automaton.load(text)
    try:
        return spec.require_dfa("extract --against")
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="--against") from None


def _since_start() -> float:
    """Seconds since this process started, when the command is the process (`main.run`); else 0 (the limit then
    counts from the command's start)."""
    obj = click.get_current_context().find_root().obj
    started = obj.get("started") if isinstance(obj, dict) else None
    return max(0.0, time.monotonic() - started) if started is not None else 0.0


def _headline(net_name: str, r: ExtractResult, against: str | None, cert_path: str | None, limit: float,
              startup: float) -> list[str]:
    """The outcome's lines: the status and its answer, how the DFA came out, why not certified, the time."""
    a, n = r.dfa.alphabet, len(r.dfa.states)
    if against is not None:
        how = "checked by running the net" if r.extra.get("wrong_input_from") != "difference" else \
            f"where the DFA differs from {against}, checked by running the net"
        answer = {"certified": f"implements {against} for inputs of every length (its {n}-state DFA is proved "
                               f"equal to the net, and equals {against})",
                  "wrong": f"does not implement {against}: wrong on input {_word(a, r.net_wrong_input)!r} ({how})",
                  "unknown": f"does it implement {against}? undecided: no proof, and no input where it is wrong"}
    else:
        answer = {"certified": f"a {n}-state DFA, proved equal to the net for inputs of every length",
                  "counterexample": f"the net and its last {n}-state DFA differ on input "
                                    f"{_word(a, r.wrong_input)!r} (found too late for L* to use)",
                  "unknown": f"a {n}-state DFA, not proved: every input up to length {r.agrees_up_to} agrees"}
    lines = [f"{net_name}: {r.status}: {answer[r.status]}"]
    dfa = (f"  the DFA: {n} states after {r.rounds} equivalence queries and {r.queries} membership queries beyond "
           "one batched run; ")
    if r.certificate is not None:
        dfa += (f"proved equal to the net by {len(r.certificate.regions)} regions (closed under "
                f"{r.certificate.steps} step(s)); certificate: {cert_path}")
    elif r.wrong_input is not None:
        dfa += f"the net differs from it on input {_word(a, r.wrong_input)!r}"
    else:
        dfa += f"no proof; every input up to length {r.agrees_up_to} agrees with it"
    lines.append(dfa)
    if r.reason and r.status != "wrong":  # a wrong input is its own reason
        lines.append(f"  why not certified: {r.reason}")
        if r.diagnosis is not None:
            lines.extend(r.diagnosis.lines())
    spent = ", ".join(f"{PHASE_LABELS[p]} {s:.1f}" for p, s in {"startup": startup, **r.phases}.items())
    cut = f"; the limit cut short the {', '.join(PHASES[p] for p in r.out_of_time)}" if r.out_of_time else ""
    lines.append(f"  time: {startup + r.seconds:.1f} s of the {limit:g} s limit ({spent} s){cut}")
    return lines


PHASE_LABELS = {"startup": "start-up and loading", "setup": "setup", "queries": "L* queries",
                "testing": "equivalence tests", "proof": "proof search", "hunt": "counterexample hunt",
                "final": "final check"}


@click.command("extract")
@click.argument("net_name", metavar="NET")
@click.option("--against", metavar="SPEC", help="A spec file or built-in language: does the net implement it?")
@click.option("--out", type=click.Path(dir_okay=False), help="Write the extracted DFA here (S9 spec format).")
@click.option("--certificate", "cert_out", type=click.Path(dir_okay=False),
              help="Where to write the certificate when certified [default: NET with .cert.json].")
@click.option("--time-limit", type=FiniteFloat(0.1, 86400.0), default=60.0, show_default=True,
              help="Seconds for all of it: L*, the proof and the final check.")
@click.option("--check", "cert_in", type=click.Path(dir_okay=False), help="Only re-verify this certificate.")
@click.option("--seed", type=count(0, MAX_SEED), default=0, show_default=True, help="Seed of the random test inputs.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def extract_cmd(net_name: str, against: str | None, out: str | None, cert_out: str | None, time_limit: float,
                cert_in: str | None, seed: int, as_json: bool) -> int:
    """Extract a DFA from NET by L* and try to prove the net equals it for inputs of every length.

    The first line is the outcome, NET: STATUS: the answer. Without --against the question is "which DFA is
    the net?"; with it, "does the net implement SPEC?", and an input where the net is wrong (checked by running
    it) answers no, whatever the proof of the extracted DFA did. Every combination:

    \b
      without --against
        proof found                                      exit 0
          NET: certified: a K-state DFA, proved equal to the net for inputs of every length
        no proof, the net and the DFA differ on w        exit 1
          NET: counterexample: the net and its last K-state DFA differ on input w
        no proof, no input where they differ             exit 1
          NET: unknown: a K-state DFA, not proved: every input up to length N agrees
      with --against SPEC
        proof found, the DFA equals SPEC                 exit 0
          NET: certified: implements SPEC for inputs of every length
        proof found, the DFA differs from SPEC           exit 1
          NET: wrong: does not implement SPEC: wrong on input w (where the DFA differs from SPEC, ...)
        no proof, the net is wrong on w                  exit 1
          NET: wrong: does not implement SPEC: wrong on input w (checked by running the net)
        no proof, no input where the net is wrong        exit 1
          NET: unknown: does it implement SPEC? undecided

    The next line says how the DFA came out (with --against, an input where the net and its DFA differ is
    shown there: it does not decide SPEC). The time limit covers everything: L*'s queries, the proof, the final
    check against SPEC; the run ends within a fraction of a second of it, and the last line says how the time
    was spent and which phases the limit cut short.

    \b
    Examples:
      rnnlab learn tomita2 --out t2.json && rnnlab extract t2.json --against tomita2 --out t2-dfa.json
      rnnlab extract t2.json --check t2.cert.json
      rnnlab compile examples/specs/parity.json --activation sigmoid --out p.json && rnnlab extract p.json
    """
    net = _load(net_name)
    if cert_in is not None:
        data = load_json(cert_in, "certificate", lambda d: d)
        holds, why = check(Machine(net), data, net.to_dict())
        if as_json:
            emit_json({"certificate": cert_in, "holds": holds, "reason": why})
        else:
            click.echo(f"{cert_in}: {'holds' if holds else 'REJECTED'}: {why}")
        return 0 if holds else 1
    target = _spec(against) if against is not None else None
    startup = _since_start()
    # what is left of the limit (a tenth of it at least, so that an absurd limit still gives an answer)
    r = extract(net, ExtractConfig(time_limit=max(time_limit - startup, 0.1 * time_limit), seed=seed), target)
    alphabet = r.dfa.alphabet
    cert_path = None
    if r.certificate is not None:
        cert_path = cert_out or str(Path(net_name).with_suffix(".cert.json")) if net_name.endswith(".json") \
            else cert_out or f"{net_name}.cert.json"
        write_atomic(cert_path, json.dumps(r.certificate.to_dict(net.to_dict())) + "\n")
    if out is not None:
        write_atomic(out, json.dumps({"name": f"extracted from {net_name}", **r.dfa.to_dict()}, indent=1) + "\n")
    if as_json:
        emit_json({"net": net_name, "status": r.status, "ok": r.ok, "states": len(r.dfa.states),
                   "implements": r.implements if target is not None else None,
                   "wrong_input": _word(alphabet, r.net_wrong_input if target is not None else r.wrong_input),
                   "dfa_certified": r.certificate is not None,
                   "dfa_counterexample": _word(alphabet, r.wrong_input),
                   "agrees_up_to": r.agrees_up_to, "certificate": cert_path,
                   "regions": len(r.certificate.regions) if r.certificate else None,
                   "seconds": r.seconds, "startup_seconds": startup, "time_limit": time_limit, "phases": r.phases,
                   "out_of_time": r.out_of_time, "rounds": r.rounds, "queries": r.queries, "reason": r.reason,
                   "diagnosis": r.diagnosis.to_dict() if r.diagnosis is not None else None,
                   "dfa": r.dfa.to_dict(), "out": out})
        return 0 if r.ok else 1
    for line in _headline(net_name, r, against, cert_path, time_limit, startup):
        click.echo(line)
    if out is not None:
        click.echo(f"  DFA written to {out}")
    return 0 if r.ok else 1


COMMANDS = [learn_cmd, extract_cmd]
