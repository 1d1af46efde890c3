"""Commands for the exact nets (SPEC S1, S7, S8, S9): nets, run."""

from __future__ import annotations

import click

from rnnlab.cli.common import emit_json
from rnnlab.cli.params import BITS, NET, FloatList
from rnnlab.exact.net import Net
from rnnlab.exact.sheet import NETS, bits_tensor, check_adder

H0 = FloatList()  # finite numbers, one or one per recurrent unit


def load_net(net: Net | str, h0: tuple[float, ...] | str | None = None) -> Net:
    """A net (a built-in name or a NET.json, checked by the NET parameter type) with --h0 applied if given."""
    if isinstance(net, str):
        net = NET.convert(net, None, None)
    assert isinstance(net, Net)
    if h0 is not None:
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
@click.option("--input", "input1", required=True, type=BITS, help="Input bits x_1..x_T, e.g. 11110100.")
@click.option("--input2", type=BITS, help="Second input sequence (two-sequence nets: equality, carry, adder).")
@click.option("--h0", type=H0, metavar="V",
              help="Initial value of the recurrent units (one number, or one per unit: 1,0).")
@click.option("--json", "as_json", is_flag=True, help='Print {"net", "h": [[...] per step], "y": [...]}.')
def run_net(net_name: Net, input1: list[int], input2: list[int] | None, h0: tuple[float, ...] | None,
            as_json: bool) -> None:
    """Run NET (a built-in name or a compiled NET.json) and print every step's hidden state and output.

    \b
    Examples:
      rnnlab run all-ones --input 11110100
      rnnlab run adder --input 1101 --input2 1110     # LSB first
    """
    net = load_net(net_name, h0)
    x1, x2 = input1, input2
    if net.n_inputs == 2 and x2 is None:
        raise click.BadParameter(f"net {net.name!r} reads two sequences; give --input2 too", param_hint="--input2")
    if net.n_inputs == 1 and x2 is not None:
        raise click.BadParameter(f"net {net.name!r} reads one sequence", param_hint="--input2")
    if x2 is not None and len(x2) != len(x1):
        raise click.BadParameter(f"--input has {len(x1)} bits but --input2 has {len(x2)}; they must be equal",
                                 param_hint="--input2")
    trace = net.run(bits_tensor(x1, x2))
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
