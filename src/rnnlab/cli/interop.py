"""Commands for nets trained elsewhere (SPEC S11, continued): import (a PyTorch state_dict as an rnnlab-net/3 file)."""

from __future__ import annotations

import click

from rnnlab.cli.common import emit_json


def _names(text: str | None) -> tuple[str, ...] | None:
    if text is None:
        return None
    names = tuple(s.strip() for s in text.split(","))
    if not all(names):
        raise click.BadParameter(f"{text!r}: give names separated by commas, none empty")
    return names


@click.command("import")
@click.argument("state_dict", metavar="STATE_DICT.pt", type=click.Path(dir_okay=False))
@click.option("--out", required=True, metavar="NET.json", help="Where to write the net (rnnlab-net/3).")
@click.option("--alphabet", metavar="A,B,..", help="Names of the input indices (one-hot positions or embedding rows), "
                                                   "comma-separated; default 0,1,2,...")
@click.option("--prefix", metavar="S,..", help="Symbols fed before every word (start tokens).")
@click.option("--suffix", metavar="S,..", help="Symbols fed after every prefix of the word before the head reads "
                                                "(end tokens).")
@click.option("--nonlinearity", type=click.Choice(["tanh", "relu"]), default="tanh", show_default=True,
              help="nn.RNN's nonlinearity (a state_dict does not record it).")
@click.option("--head", metavar="NAME,..", help="The head's Linear modules by name, in order (default: read off the "
                                                 "shapes; needed when they are ambiguous).")
@click.option("--between", type=click.Choice(["identity", "relu", "tanh", "sigmoid"]),
              help="What sits between two Linear layers of the head (needed when there are two or more).")
@click.option("--softmax", is_flag=True, help="The head ends in a Softmax (it decides ties as the module does).")
@click.option("--labels", metavar="L,..", help="Names of the C > 2 output classes (default 0..C-1).")
@click.option("--name", help="The net's name (default: the file's stem).")
@click.option("--trust-pickle", is_flag=True,
              help="Accept a whole pickled module: loading it RUNS CODE from the file (torch.load with "
                   "weights_only=False). Without it only plain state_dicts are read, and no code runs.")
@click.option("--json", "as_json", is_flag=True, help='Print {"net", "out", "cells", "hidden", "symbols", "labels"}.')
def import_cmd(state_dict: str, out: str, alphabet: str | None, prefix: str | None, suffix: str | None,
               nonlinearity: str, head: str | None, between: str | None, softmax: bool, labels: str | None,
               name: str | None, trust_pickle: bool, as_json: bool) -> None:
    """Read a PyTorch net from a torch.save'd state_dict (nn.RNN / nn.GRU / nn.LSTM, any layers, an optional
    nn.Embedding, a Linear head) and write it as an rnnlab net file (rnnlab-net/3) that runs the module itself,
    step by step in float32: its decisions are the module's, but within 1e-5 of a tie.

    Cell, layers and sizes come from the parameter names and shapes; options say what they cannot.

    \b
    Example:
      python -c "import torch; torch.save(model.state_dict(), 'm.pt')"
      rnnlab import m.pt --alphabet '<s>,a,b,</s>' --prefix '<s>' --suffix '</s>' --out m.json
      rnnlab run m.json --input abba
    """
    from pathlib import Path

    from rnnlab.extract.state_dict import import_state_dict, load_state_dict

    sd = load_state_dict(state_dict, trust_pickle)
    net = import_state_dict(sd, nonlinearity=nonlinearity, alphabet=_names(alphabet), prefix=_names(prefix) or (),
                            suffix=_names(suffix) or (), head=_names(head), between=between, softmax=softmax,
                            labels=_names(labels), name=name or Path(state_dict).stem)
    net.save(out)
    cells = [f"{b.cell} x{b.layers}" for b in net.blocks]
    if as_json:
        emit_json({"net": net.name, "out": out, "cells": cells, "hidden": [b.hidden for b in net.blocks],
                   "symbols": list(net.symbols), "alphabet": list(net.alphabet), "labels": list(net.labels)})
        return
    inp = "one-hot" if net.embedding is None else f"an embedding of {net.embedding.shape[1]}"
    click.echo(f"{net.name}: {', '.join(cells)} ({', '.join(str(b.hidden) for b in net.blocks)} units), {inp}, "
               f"{net.outputs} output(s); words over {' '.join(net.alphabet)}; written to {out}")


COMMANDS = [import_cmd]
