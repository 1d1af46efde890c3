"""Commands for running nets (SPEC S1, S7, S8, S9, S11): nets, run (built-in, compiled and trained nets), add."""

from __future__ import annotations

import json
import os
import sys

import click
import numpy as np

from rnnlab.cli.common import emit_json
from rnnlab.cli.params import INPUTS, NET, FloatList
from rnnlab.cli.progress import progress_bar
from rnnlab.exact.net import Net
from rnnlab.exact.sheet import NETS, bits_tensor, check_adder
from rnnlab.extract.batch import run_inputs
from rnnlab.extract.inputs import CHUNK_SYMBOLS, check_inputs, encode, sequences
from rnnlab.extract.machine import Machine
from rnnlab.extract.model import LearnedNet
from rnnlab.extract.torch_net import TorchNet
from rnnlab.files import rereadable

H0 = FloatList()  # finite numbers, one or one per recurrent unit


def load_net(net: Net | LearnedNet | TorchNet | str, h0: tuple[float, ...] | str | None = None
             ) -> Net | LearnedNet | TorchNet:
    """A net (a built-in name or a NET.json of either format, checked by the NET parameter type) with --h0
    applied if given (rnnlab-net/1 and built-in nets only)."""
    if isinstance(net, str):
        net = NET.convert(net, None, None)
    assert isinstance(net, (Net, LearnedNet, TorchNet))
    if h0 is not None:
        if not isinstance(net, Net):
            raise click.BadParameter(f"net {net.name!r} is a trained net (rnnlab-net/2 or /3); --h0 applies to "
                                     "rnnlab-net/1 and built-in nets", param_hint="--h0")
        values = H0.convert(h0, None, None) if isinstance(h0, str) else h0
        try:
            net = net.with_h0(values[0] if len(values) == 1 else values)
        except ValueError as e:
            raise click.BadParameter(str(e), param_hint="--h0") from None
    return net


def _fmt(v: float) -> str:
    return f"{v:.6g}"


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def nets(as_json: bool) -> None:
    """List the built-in networks.

    \b
    Example:
      rnnlab nets
    """
    rows = [(name, factory().description) for name, factory in NETS.items()]
    if as_json:
        emit_json({"nets": [{"name": n, "description": d} for n, d in rows]})
        return
    width = max(len(n) for n, _ in rows)
    for name, description in rows:
        click.echo(f"{name:<{width}}  {description}")


@click.command("run")
@click.argument("net_name", metavar="NET", type=NET)
@click.option("--input", "input1", metavar="WORD",
              help="Input x_1..x_T, e.g. 11110100 (bits); a trained net's symbols separated by spaces ('a b c', "
                   "'s3 s12'), or end to end when every symbol is one character (abca).")
@click.option("--input2", metavar="WORD", help="Second input sequence (two-sequence nets: equality, carry, adder; "
                                               "trained nets on pair alphabets).")
@click.option("--inputs", "inputs_file", type=INPUTS,
              help="Instead of --input: a file of inputs, one a line (x1, or x1,x2 for two sequences); blank lines "
                   "and lines starting with # are skipped. Prints one line of outputs per input, in the file's order. "
                   "The file is checked whole first (a bad line: exit 2, nothing printed), then run in chunks of "
                   f"{CHUNK_SYMBOLS:,} symbols, each chunk's lines printed as soon as it is done: memory holds one "
                   "chunk whatever the file's size (1 GB of inputs to a small trained net: under 400 MB resident). "
                   "A progress bar (bytes of the file) shows on stderr when it is a terminal. A pipe (e.g. "
                   "/dev/stdin) is copied to a temporary file first.")
@click.option("--h0", type=H0, metavar="V",
              help="Initial value of the recurrent units (one number, or one per unit: 1,0; not for trained nets).")
@click.option("--json", "as_json", is_flag=True,
              help='Print {"net", "h": [[...] per step], "y": [...]} (trained nets: also "logit", v . h + c); with '
                   '--inputs {"net", "runs": [{"input", "y": [0/1 after every prefix]}, ...]}, one object written '
                   'run by run as the chunks are done.')
def run_net(net_name: Net | LearnedNet | TorchNet, input1: str | None, input2: str | None,
            inputs_file: str | None, h0: tuple[float, ...] | None, as_json: bool) -> None:
    """Run NET (a built-in name, a compiled NET.json or a trained one, rnnlab-net/1 or /2) and print every
    step's hidden state and output; with --inputs, the 0/1 output after every prefix of each input.

    A trained net (rnnlab-net/2) reads symbols of its alphabet (pair alphabets: x1 and x2) and accepts a
    prefix iff v . h + c > 0; other nets accept iff their output y > 1/2.

    \b
    Examples:
      rnnlab run all-ones --input 11110100
      rnnlab run adder --input 1101 --input2 1110     # LSB first
      rnnlab run t4.json --inputs words.txt --json    # words.txt: 0100, 111, ... one a line
    """
    net = load_net(net_name, h0)
    if (input1 is None) == (inputs_file is None):
        raise click.UsageError("give either --input (one input) or --inputs FILE (one input a line), not both"
                               if input1 is not None else "give --input BITS (one input) or --inputs FILE")
    if inputs_file is not None:
        if input2 is not None:
            raise click.BadParameter("goes with --input; in an --inputs file write x1,x2 on each line",
                                     param_hint="--input2")
        _run_many(net, inputs_file, as_json)
        return
    assert input1 is not None
    x1, x2 = input1, input2
    two = sequences(net) == 2
    pair_word = two and x2 is None and isinstance(net, LearnedNet) and len(x1.split()) > 1  # "ab ba" on pairs
    if two and x2 is None and not pair_word:
        raise click.BadParameter(f"net {net.name!r} reads two sequences; give --input2 too", param_hint="--input2")
    if not two and x2 is not None:
        raise click.BadParameter(f"net {net.name!r} reads one sequence", param_hint="--input2")
    for text, hint in ((x1, "--input"), (x2, "--input2")):
        if text is not None and "," in text:
            raise click.BadParameter(f"{text[:40]!r} holds a comma; symbols are separated by spaces", param_hint=hint)
    try:
        word = encode(net, x1, x2)
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="--input") from None
    if isinstance(net, TorchNet):
        _run_torch(net, [net.alphabet[a] for a in word.tolist()], word, as_json)
        return
    if isinstance(net, LearnedNet):
        steps = [net.alphabet[a] for a in word.tolist()]
        if two:
            x1, x2 = "".join(s[0] for s in steps), "".join(s[1] for s in steps)
            steps = [s[0] for s in steps]
        _run_learned(net, steps, x2, word, as_json)
        return
    bits = word.tolist()  # (T, n_inputs)
    x1 = "".join(str(b[0]) for b in bits)
    x2 = "".join(str(b[1]) for b in bits) if two else None
    trace = net.run(bits_tensor([b[0] for b in bits], [b[1] for b in bits] if two else None))
    h, y = trace.h[0].tolist(), trace.y[0].tolist()
    ys = [row[0] if len(row) == 1 else row for row in y]
    if as_json:
        emit_json({"net": net.name, "h": h, "y": ys})
        return
    click.echo(f"{net.name}: {net.description}")
    head = "t  x" + ("  x2" if x2 is not None else "")
    click.echo(f"{head}  h{' ' * 20}y")
    for t in range(len(x1)):
        xs = f"{x1[t]}" + (f"   {x2[t]}" if x2 is not None else "")
        hs = "[" + ", ".join(_fmt(v) for v in h[t]) + "]"
        click.echo(f"{t + 1:<2} {xs:<{len(head) - 3}}  {hs:<20} {', '.join(_fmt(v) for v in y[t])}")


def _run_learned(net: LearnedNet, x1: list[str], x2: str | None, word: np.ndarray, as_json: bool) -> None:
    """A trained net on one input (x1: its symbol at every step, pair alphabets: the first character): the state
    (elman: every layer; LSTM: h then c), v . h + c and the output."""
    _, states = Machine(net).run(word[None, :], keep_states=True)
    assert states is not None
    logits = net.logits(word[None, :])[0].tolist()
    y = [int(v > 0) for v in logits]
    if as_json:
        emit_json({"net": net.name, "cell": net.cell, "h": states[0].tolist(), "logit": logits, "y": y})
        return
    state = {"elman": "h (every layer)", "gru": "h", "lstm": "h, c"}[net.cell]
    click.echo(f"{net.name}: trained {net.cell} net, {net.hidden} hidden units; accepts a prefix iff v . h + c > 0")
    w = max(1, *map(len, x1))
    head = "t  " + f"{'x':<{w}}" + ("  x2" if x2 is not None else "")
    click.echo(f"{head}  {'v . h + c':<11} y  {state}")
    for t in range(len(x1)):
        xs = f"{x1[t]:<{w}}" + (f"   {x2[t]}" if x2 is not None else "")
        hs = "[" + ", ".join(_fmt(v) for v in states[0, t]) + "]"
        click.echo(f"{t + 1:<2} {xs:<{len(head) - 3}}  {_fmt(logits[t]):<11} {y[t]}  {hs}")


def _run_torch(net: TorchNet, x1: list[str], word: np.ndarray, as_json: bool) -> None:
    """An imported PyTorch net on one input (x1: its symbol at every step): the head's output and the decision
    after every prefix."""
    ys, labels = net.run(word[None, :])
    outs = [[float(v) for v in row] for row in ys[0]]
    decided = [net.labels[k] for k in labels[0]] if not net.binary else [int(k) for k in labels[0]]
    if as_json:
        emit_json({"net": net.name, "cells": [b.cell for b in net.blocks], "output": outs, "y": decided})
        return
    frame = "".join(f", {w} {' '.join(f)}" for w, f in (("prefix", net.prefix), ("suffix", net.suffix)) if f)
    click.echo(f"{net.name}: PyTorch net ({', '.join(f'{b.cell} x{b.layers}' for b in net.blocks)}, "
               f"{net.hidden} hidden units{frame}); {net.rule}")
    w = max(2, *map(len, x1))
    click.echo(f"t  {'x':<{w}} {'decision':<9}y (the head's output)")
    for t in range(len(x1)):
        click.echo(f"{t + 1:<2} {x1[t]:<{w}} {decided[t]!s:<9}[" + ", ".join(_fmt(v) for v in outs[t]) + "]")


def _run_many(net: Net | LearnedNet | TorchNet, path: str, as_json: bool) -> None:
    """--inputs: the file checked whole first (nothing is printed for a file with a bad line, and the text column's
    width is known), then run a chunk at a time, each chunk's lines printed as soon as it has run."""
    with rereadable(path) as f:
        size = os.fstat(f.fileno()).st_size
        try:
            with progress_bar(size, f"check {path}", in_bytes=True) as advance:
                width = check_inputs(f, net, path, advance, CHUNK_SYMBOLS).width
        except ValueError as e:
            raise click.BadParameter(str(e), param_hint="--inputs") from None
        f.seek(0)
        # On a terminal the lines themselves show the progress (and would be written across a bar)
        with progress_bar(size, f"run {path}", enabled=not sys.stdout.isatty(), in_bytes=True) as advance:
            if as_json:
                click.echo('{"net": ' + json.dumps(net.name) + ', "runs": [', nl=False)
            done = 0
            names = net.labels if isinstance(net, TorchNet) and not net.binary else None
            for chunk, ys in run_inputs(net, f, path, CHUNK_SYMBOLS):
                texts = [_bits_text(y) if names is None else " ".join(names[k] for k in y) for y in ys]
                if as_json:
                    runs = [f'{{"input": {json.dumps(x)}, "y": '
                            f'{_bits_json(y, t) if names is None else json.dumps([names[k] for k in y])}}}'
                            for x, y, t in zip(chunk.texts, ys, texts, strict=True)]
                    click.echo((", " if done else "") + ", ".join(runs), nl=False)
                else:
                    click.echo("\n".join(f"{x:<{width}}  {t}" for x, t in zip(chunk.texts, texts, strict=True)))
                advance(chunk.end - done)
                done = chunk.end
            if as_json:
                click.echo("]}")


def _bits_text(y: np.ndarray) -> str:
    """Output bits as printed: 0110 (one output unit), (01)(11) (several: one group a step)."""
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim == 1:
        return (y + ord("0")).astype(np.uint8).tobytes().decode("ascii")
    grid = np.empty((y.shape[0], y.shape[1] + 2), dtype=np.uint8)  # (T, "(" bits ")")
    grid[:, 0], grid[:, -1], grid[:, 1:-1] = ord("("), ord(")"), y + ord("0")
    return grid.tobytes().decode("ascii")


def _bits_json(y: np.ndarray, text: str) -> str:
    """Output bits as JSON, as json.dumps writes them: [0, 1, ...], or [[0, 1], ...] for several output units."""
    if y.ndim == 1 or y.shape[1] == 1:
        return "[" + ", ".join(text) + "]"
    return json.dumps(y.tolist())


@click.command("add")
@click.option("--bits", type=click.IntRange(min=1), required=True, metavar="N", help="Bits per random number.")
@click.option("--additions", type=click.IntRange(min=1), default=3, show_default=True, metavar="K",
              help="Random pairs to add.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the random numbers.")
@click.option("--json", "as_json", is_flag=True, help='Print {"holds", "bits", "additions", "wrong_sums", ...}.')
def add(bits: int, additions: int, seed: int, as_json: bool) -> int:
    """Add K pairs of random N-bit numbers with the serial adder net (S8, one bit per step, least significant
    first) and compare each sum with Python's integers. Exit 0 when every sum is exact, 1 otherwise.

    \b
    Example:
      rnnlab add --bits 1000 --additions 3
    """
    check = check_adder(bits, additions, seed)
    if as_json:
        emit_json(check.to_dict())
    else:
        click.echo(f"adder net: {additions - check.wrong_sums}/{additions} sums of random {bits}-bit numbers equal "
                   f"Python's a + b (seed {seed})" + ("" if check.holds else f"; first wrong: {check.first_wrong}"))
    return 0 if check.holds else 1


COMMANDS = [nets, run_net, add]
