"""A saved PyTorch state_dict read as a net (`rnnlab import`, SPEC S11 continued): which keys are which part is
told by torch's standard parameter names and by the shapes.

    <m>.weight_ih_l<k>, <m>.weight_hh_l<k>, <m>.bias_ih_l<k>, <m>.bias_hh_l<k>   a recurrent module <m>, layer k;
        W_hh is (G H, H): G = 1 nn.RNN, 3 nn.GRU, 4 nn.LSTM (rows / columns), so the cell is read off the shape
    <e>.weight (V, I), no bias, where the first module reads I inputs                the nn.Embedding
    <l>.weight (out, in), <l>.bias (out,), chained from the last module's H          the head's nn.Linear(s)

What shapes cannot tell comes as options: nn.RNN's nonlinearity, the symbol names, the framing, which keys are
the head, what sits between two Linear layers. A key of none of these kinds, a bidirectional module
(`_reverse` keys) or an LSTM projection (`weight_hr`) is refused with every key and shape found.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from rnnlab.extract.torch_net import Block, HeadOp, TorchNet, assemble

__all__ = ["BETWEEN", "import_state_dict", "load_state_dict"]

BETWEEN = ("identity", "relu", "tanh", "sigmoid")  # what may sit between two Linear layers of the head
_RECURRENT = re.compile(r"^(?P<module>.*?)\.?(?P<kind>weight|bias)_(?P<part>ih|hh|hr)_l(?P<layer>\d+)"
                        r"(?P<rev>_reverse)?$")

SAVE_ADVICE = "save the weights alone with torch.save(model.state_dict(), PATH) and import that"


def _found(sd: Mapping[str, Any]) -> str:
    return "; found " + ", ".join(f"{k} {tuple(v.shape)}" for k, v in sd.items())


def load_state_dict(path: str | Path, trust_pickle: bool = False) -> dict[str, torch.Tensor]:
    """The tensors of a torch.save'd state_dict, loaded with weights_only=True (no code in the file runs). A
    whole pickled module needs its code run: refused unless trust_pickle, then its state_dict() is taken."""
    _check_torch_file(path)
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise ValueError(f"cannot read {str(path)!r}: no such file") from None
    except Exception as e:  # torch raises UnpicklingError, RuntimeError, ... for what weights_only refuses
        if not trust_pickle:
            raise ValueError(f"{str(path)!r} is not a plain state_dict (it holds Python objects beyond tensors, "
                             f"e.g. a whole pickled module; {type(e).__name__}); loading it would run code from the "
                             f"file: {SAVE_ADVICE}, or pass --trust-pickle if you trust the file") from None
        try:
            obj = torch.load(path, map_location="cpu", weights_only=False)
        except Exception as e:  # a pickled module whose class cannot be imported here, a corrupt file, ...
            raise ValueError(f"cannot unpickle {str(path)!r}: {type(e).__name__}: {str(e)[:200]}; {SAVE_ADVICE}") \
                from None
    if isinstance(obj, torch.nn.Module):
        if not trust_pickle:
            raise ValueError(f"{str(path)!r} holds a whole module; {SAVE_ADVICE}")
        obj = obj.state_dict()
    if not isinstance(obj, Mapping) or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        raise ValueError(f"{str(path)!r} holds {type(obj).__name__}, not a state_dict of tensors; {SAVE_ADVICE}")
    return {str(k): v.detach().to(torch.float32) for k, v in obj.items()}


def _check_torch_file(path: str | Path) -> None:
    """Refuse, saying what it is, a file that torch.save cannot have written (it writes a zip archive, or a
    pickle in the legacy format): torch.load's own complaint about such a file names no cause a user can act on."""
    try:
        with open(path, "rb") as f:
            head = f.read(64)
    except FileNotFoundError:
        raise ValueError(f"cannot read {str(path)!r}: no such file") from None
    except OSError as e:
        raise ValueError(f"cannot read {str(path)!r}: {e.strerror}") from None
    if head.startswith(b"PK\x03\x04") or head[:1] == b"\x80":
        return
    text = head.lstrip()
    if text.startswith(b"{") and b'"format"' in head and b"rnnlab-net/" in head:
        raise ValueError(f"{str(path)!r} is already an rnnlab net file; run, verify or extract it as it is")
    what = "empty" if not head else "JSON text" if text[:1] in (b"{", b"[") else "a binary file" if b"\x00" in head \
        else "text"
    raise ValueError(f"{str(path)!r} is {what}, not a PyTorch file (torch.save writes a zip archive); {SAVE_ADVICE}")


def import_state_dict(sd: Mapping[str, torch.Tensor], *, nonlinearity: str = "tanh",
                      alphabet: Sequence[str] | None = None, prefix: Sequence[str] = (), suffix: Sequence[str] = (),
                      head: Sequence[str] | None = None, between: str | None = None, softmax: bool = False,
                      labels: Sequence[str] | None = None, name: str | None = None) -> TorchNet:
    """A net from a state_dict (module docstring). head: the head's Linear modules by name, in order (default:
    read off the shapes); between: the activation between two of them; softmax: the head ends in a Softmax."""
    found = _found(sd)
    modules: dict[str, dict[int, dict[str, torch.Tensor]]] = {}
    others: dict[str, dict[str, torch.Tensor]] = {}
    for key, v in sd.items():
        m = _RECURRENT.match(key)
        if m:
            if m["rev"]:
                raise ValueError(f"{key}: a bidirectional module reads the word backwards too, so it is no automaton; "
                                 f"only unidirectional nets are supported{found}")
            if m["part"] == "hr":
                raise ValueError(f"{key}: an LSTM with proj_size (a projection of h) is not supported{found}")
            modules.setdefault(m["module"], {}).setdefault(int(m["layer"]), {})[f"{m['kind']}_{m['part']}"] = v
            continue
        module, _, leaf = key.rpartition(".")
        if leaf not in ("weight", "bias"):
            raise ValueError(f"{key}: not a recurrent, embedding or linear parameter{found}")
        others.setdefault(module, {})[leaf] = v
    if not modules:
        raise ValueError(f"no recurrent module (keys weight_ih_l0, weight_hh_l0, ...){found}")
    blocks = [_block(name_, layers, nonlinearity, found) for name_, layers in modules.items()]
    for i in range(1, len(blocks)):
        if blocks[i].input_size != blocks[i - 1].hidden:
            raise ValueError(f"the recurrent modules {', '.join(modules)} do not chain (module {i} reads "
                             f"{blocks[i].input_size} values, the one before gives {blocks[i - 1].hidden}){found}")
    for k, parts in others.items():
        if "weight" not in parts or parts["weight"].ndim != 2:
            raise ValueError(f"{k}: a parameter that is neither an embedding nor a linear layer{found}")
    chain = list(head) if head is not None else _chain(others, blocks[-1].hidden, blocks[0].input_size, found)
    ops: list[HeadOp] = []
    for i, k in enumerate(chain):
        if k not in others:
            raise ValueError(f"head module {k!r} is not in the file{found}")
        if i:
            if between is None:
                raise ValueError(f"the head has {len(chain)} Linear layers ({', '.join(chain)}); a state_dict does not "
                                 f"say what is between them: give --between {'|'.join(BETWEEN)}")
            if between != "identity":
                ops.append(HeadOp(between))
        W, b = others[k]["weight"], others[k].get("bias")
        ops.append(HeadOp("linear", W.numpy().copy(), None if b is None else b.numpy().copy()))
    if softmax:
        ops.append(HeadOp("softmax"))
    rest = [k for k in others if k not in chain]
    embedding = None
    if rest:
        if len(rest) > 1 or set(others[rest[0]]) != {"weight"} or others[rest[0]]["weight"].shape[1] != \
                blocks[0].input_size:
            raise ValueError(f"cannot tell which of {', '.join(rest)} is the embedding (an embedding is one (V, "
                             f"{blocks[0].input_size}) weight, no bias); name the head with --head{found}")
        embedding = others[rest[0]]["weight"].numpy().copy()
    V = blocks[0].input_size if embedding is None else embedding.shape[0]
    symbols = tuple(alphabet) if alphabet is not None else tuple(str(k) for k in range(V))
    return assemble(name or "imported", symbols, blocks, ops, embedding, labels, prefix, suffix, batch_first=False,
                    grouped=len(blocks) > 1)


def _block(module: str, layers: dict[int, dict[str, torch.Tensor]], nonlinearity: str, found: str) -> Block:
    where = module or "(top level)"
    if sorted(layers) != list(range(len(layers))):
        raise ValueError(f"{where}: layers {sorted(layers)} are not 0..{len(layers) - 1}{found}")
    W_hh = layers[0].get("weight_hh")
    if W_hh is None or W_hh.ndim != 2 or W_hh.shape[1] == 0 or W_hh.shape[0] % W_hh.shape[1]:
        raise ValueError(f"{where}: weight_hh_l0 must be (G H, H) with G = 1 (RNN), 3 (GRU) or 4 (LSTM){found}")
    G = W_hh.shape[0] // W_hh.shape[1]
    if G not in (1, 3, 4):
        raise ValueError(f"{where}: weight_hh_l0 is {tuple(W_hh.shape)}: {G} gates is no nn.RNN (1), nn.GRU (3) or "
                         f"nn.LSTM (4){found}")
    if G == 1 and nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"nonlinearity must be tanh or relu, got {nonlinearity!r}")
    cell = {1: f"rnn_{nonlinearity}", 3: "gru", 4: "lstm"}[G]

    def arr(t: torch.Tensor | None) -> np.ndarray | None:
        return None if t is None else t.numpy().copy()

    try:
        return Block.of(cell, [(arr(p.get("weight_ih")), arr(p.get("weight_hh")), arr(p.get("bias_ih")),
                                arr(p.get("bias_hh"))) for _, p in sorted(layers.items())])
    except (ValueError, AttributeError) as e:
        raise ValueError(f"{where}: {e}{found}") from None


def _chain(others: dict[str, dict[str, torch.Tensor]], width: int, inputs: int, found: str) -> list[str]:
    """The head's Linear modules read off the shapes: each reads what the one before gives, from the rnn's H. A
    weight without bias that could also be the embedding (it has the embedding's width) makes it ambiguous."""
    chain: list[str] = []
    while True:
        nxt = [k for k, p in others.items() if k not in chain and p["weight"].shape[1] == width]
        if not nxt:
            break
        if len(nxt) > 1 or ("bias" not in others[nxt[0]] and width == inputs):
            raise ValueError(f"ambiguous: cannot tell the head from the embedding by shape ({', '.join(nxt)} "
                             f"read {width} values); name the head's Linear modules with --head{found}")
        chain.append(nxt[0])
        width = others[nxt[0]]["weight"].shape[0]
    if not chain:
        raise ValueError(f"no linear head reads the rnn's {width} hidden values{found}")
    return chain
