"""Commands for running nets (SPEC S1, S7, S8, S9, S11): nets, run (built-in, compiled and trained nets), add."""

from __future__ import annotations

import click
import numpy as np

from rnnlab.cli.common import emit_json
from rnnlab.cli.params import BITS, INPUTS, NET, FloatList, InputLines
from rnnlab.exact.net import Net
from rnnlab.exact.sheet import NETS, bits_tensor, check_adder
from rnnlab.extract.batch import outputs
from rnnlab.extract.machine import Machine
from rnnlab.extract.model import LearnedNet

H0 = FloatList()  # finite numbers, one or one per recurrent unit


def load_net(net: Net | LearnedNet | str, h0: tuple[float, ...] | str | None = None) -> Net | LearnedNet:
    """A net (a built-in name or a NET.json of either format, checked by the NET parameter type) with --h0
    applied if given (rnnlab-net/1 and built-in nets only)."""
    if isinstance(net, str):
        net = NET.convert(net, None, None)
    assert isinstance(net, (Net, LearnedNet))
    if h0 is not None:
        if isinstance(net, LearnedNet):
            raise click.BadParameter(f"net {net.name!r} is a trained net (rnnlab-net/2); --h0 applies to "
                                     "rnnlab-net/1 and built-in nets", param_hint="--h0")
        values = H0.convert(h0, None, None) if isinstance(h0, str) else h0
        try:
            net = net.with_h0(values[0] if len(values) == 1 else values)
        except ValueError as e:
            raise click.BadParameter(str(e), param_hint="--h0") from None
    return net


def sequences(net: Net | LearnedNet) -> int:
    """How many input sequences a line carries: 2 for two-sequence nets and pair alphabets ("x1x2" symbols)."""
    if isinstance(net, Net):
        return net.n_inputs
    widths = {len(s) for s in net.alphabet}
    if widths == {1} or widths == {2}:
        return widths.pop()
    raise ValueError(f"net {net.name!r}: its symbols {' '.join(net.alphabet)} are neither single characters nor "
                     "pairs, so its inputs cannot be written as x1 or x1,x2")


def encode(net: Net | LearnedNet, x1: str, x2: str | None) -> np.ndarray:
    """An input as the net reads it: (T, n_inputs) bits (rnnlab-net/1) or (T,) symbol indices (rnnlab-net/2).
    A symbol outside the net's alphabet raises ValueError naming it and its position."""
    two = sequences(net) == 2
    if two != (x2 is not None):
        raise ValueError(f"net {net.name!r} reads " + ("two sequences: write x1,x2" if two else
                                                       "one sequence: write x1 alone"))
    steps = list(zip(x1, x2, strict=True)) if x2 is not None else [(c,) for c in x1]
    if isinstance(net, Net):
        alphabet: tuple[str, ...] = ("0", "1")
        bad = next(((t, c) for t, step in enumerate(steps) for c in step if c not in alphabet), None)
        if bad is None:
            return np.array([[int(c) for c in step] for step in steps], dtype=np.int64)
        t, symbol = bad
    else:
        index = {s: a for a, s in enumerate(net.alphabet)}
        symbols = ["".join(step) for step in steps]
        t = next((t for t, s in enumerate(symbols) if s not in index), -1)
        if t < 0:
            return np.array([index[s] for s in symbols], dtype=np.int64)
        alphabet, symbol = net.alphabet, symbols[t]
    raise ValueError(f"symbol {symbol!r} at step {t + 1} is not in the net's alphabet {' '.join(alphabet)}")


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
@click.option("--input", "input1", type=BITS, help="Input x_1..x_T, e.g. 11110100 (bits; a trained net's symbols).")
@click.option("--input2", type=BITS, help="Second input sequence (two-sequence nets: equality, carry, adder; trained "
                                          "nets on pair alphabets).")
@click.option("--inputs", "inputs_file", type=INPUTS,
              help="Instead of --input: a file of inputs, one a line (x1, or x1,x2 for two sequences); blank lines "
                   "and lines starting with # are skipped. Prints one line of outputs per input.")
@click.option("--h0", type=H0, metavar="V",
              help="Initial value of the recurrent units (one number, or one per unit: 1,0; not for trained nets).")
@click.option("--json", "as_json", is_flag=True,
              help='Print {"net", "h": [[...] per step], "y": [...]} (trained nets: also "logit", v . h + c); with '
                   '--inputs {"net", "runs": [{"input", "y": [0/1 after every prefix]}, ...]}.')
def run_net(net_name: Net | LearnedNet, input1: list[int] | None, input2: list[int] | None,
            inputs_file: InputLines | None, h0: tuple[float, ...] | None, as_json: bool) -> None:
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
    x1, x2 = "".join(map(str, input1)), "".join(map(str, input2)) if input2 is not None else None
    two = sequences(net) == 2
    if two and x2 is None:
        raise click.BadParameter(f"net {net.name!r} reads two sequences; give --input2 too", param_hint="--input2")
    if not two and x2 is not None:
        raise click.BadParameter(f"net {net.name!r} reads one sequence", param_hint="--input2")
    if x2 is not None and len(x2) != len(x1):
        raise click.BadParameter(f"--input has {len(x1)} bits but --input2 has {len(x2)}; they must be equal",
                                 param_hint="--input2")
    try:
        word = encode(net, x1, x2)
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="--input") from None
    if isinstance(net, LearnedNet):
        _run_learned(net, x1, x2, word, as_json)
        return
    trace = net.run(bits_tensor(input1, input2))
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


def _run_learned(net: LearnedNet, x1: str, x2: str | None, word: np.ndarray, as_json: bool) -> None:
    """A trained net on one input: the state (elman: every layer; LSTM: h then c), v . h + c and the output."""
    _, states = Machine(net).run(word[None, :], keep_states=True)
    assert states is not None
    logits = net.logits(word[None, :])[0].tolist()
    y = [int(v > 0) for v in logits]
    if as_json:
        emit_json({"net": net.name, "cell": net.cell, "h": states[0].tolist(), "logit": logits, "y": y})
        return
    state = {"elman": "h (every layer)", "gru": "h", "lstm": "h, c"}[net.cell]
    click.echo(f"{net.name}: trained {net.cell} net, {net.hidden} hidden units; accepts a prefix iff v . h + c > 0")
    head = "t  x" + ("  x2" if x2 is not None else "")
    click.echo(f"{head}  {'v . h + c':<11} y  {state}")
    for t in range(len(x1)):
        xs = f"{x1[t]}" + (f"   {x2[t]}" if x2 is not None else "")
        hs = "[" + ", ".join(_fmt(v) for v in states[0, t]) + "]"
        click.echo(f"{t + 1:<2} {xs:<{len(head) - 3}}  {_fmt(logits[t]):<11} {y[t]}  {hs}")


def _run_many(net: Net | LearnedNet, file: InputLines, as_json: bool) -> None:
    """--inputs: every line's input, run in batches of equal length, one line of outputs each."""
    words = []
    for line, x1, x2 in file.lines:
        try:
            words.append(encode(net, x1, x2))
        except ValueError as e:
            raise click.BadParameter(f"{file.path!r} line {line}: {e}", param_hint="--inputs") from None
    ys = outputs(net, words)
    texts = [x1 if x2 is None else f"{x1},{x2}" for _, x1, x2 in file.lines]
    values = [y.tolist() if y.ndim == 1 else [row[0] if len(row) == 1 else row for row in y.tolist()] for y in ys]
    if as_json:
        emit_json({"net": net.name, "runs": [{"input": x, "y": y} for x, y in zip(texts, values, strict=True)]})
        return
    width = max(len(x) for x in texts)
    for x, y in zip(texts, values, strict=True):
        click.echo(f"{x:<{width}}  " + "".join(str(v) if isinstance(v, int) else "(" + "".join(map(str, v)) + ")"
                                               for v in y))


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
