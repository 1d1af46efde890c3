"""rnnlab-net/3 against the PyTorch modules themselves: decisions after every prefix of the framed word, save/load,
to_torch round trips, the state_dict importer, refusals."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from torch import nn

from rnnlab.extract.batch import outputs
from rnnlab.extract.model import load_any
from rnnlab.extract.state_dict import import_state_dict
from rnnlab.extract.torch_net import TorchNet, from_torch

MARGIN = 1e-5  # a decision may differ from the module's only where its top two outputs are this close: the net
#                steps a batch, the oracle one word, and a gemm's rounding may depend on the batch size (seen: 6e-8)

SYMBOLS = ("<s>", "a", "b", "c", "</s>")
CELLS = {"tanh": lambda i, h, **k: nn.RNN(i, h, **k), "relu": lambda i, h, **k: nn.RNN(i, h, nonlinearity="relu", **k),
         "gru": nn.GRU, "lstm": nn.LSTM}


def _rnn(cell: str, layers: str, n_in: int, H: int, batch_first: bool) -> nn.Module | list[nn.Module]:
    make = CELLS[cell]
    if layers == "list":
        return [make(n_in, H, batch_first=batch_first), make(H, H + 2, batch_first=batch_first)]
    return make(n_in, H, num_layers=int(layers), batch_first=batch_first)


def _head(kind: str, H: int) -> nn.Module:
    return {"1": lambda: nn.Linear(H, 1), "2": lambda: nn.Linear(H, 2), "5": lambda: nn.Linear(H, 5),
            "seq": lambda: nn.Sequential(nn.Linear(H, 6), nn.Dropout(0.3), nn.Linear(6, 3), nn.Softmax(dim=-1)),
            }[kind]().eval()


def _oracle(rnn: nn.Module | list[nn.Module], head: nn.Module, emb: nn.Embedding | None, batch_first: bool,
            seq: list[int]) -> torch.Tensor:
    """The modules on one framed word: the head's output after its last symbol (1, C)."""
    x = emb(torch.tensor(seq)) if emb is not None else nn.functional.one_hot(torch.tensor(seq), len(SYMBOLS)).float()
    x = x[None] if batch_first else x[:, None]
    for m in rnn if isinstance(rnn, list) else [rnn]:
        x, _ = m(x)
    last = x[0, -1] if batch_first else x[-1, 0]
    return head(last[None])


def _decision(y: torch.Tensor) -> int:
    return int(y[0, 0] > 0) if y.shape[1] == 1 else int(torch.argmax(y, dim=1))


def _gap(y: torch.Tensor) -> float:
    if y.shape[1] == 1:
        return abs(float(y[0, 0]))
    top = torch.topk(y[0], 2).values
    return float(top[0] - top[1])


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("framed", [False, True])
@pytest.mark.parametrize("embedded", [False, True])
@pytest.mark.parametrize("head_kind", ["1", "2", "5", "seq"])
@pytest.mark.parametrize("layers", ["1", "2", "list"])
@pytest.mark.parametrize("cell", ["tanh", "relu", "gru", "lstm"])
def test_decisions_equal_the_modules(cell: str, layers: str, head_kind: str, embedded: bool, framed: bool,
                                     batch_first: bool) -> None:
    torch.manual_seed(hash((cell, layers, head_kind, embedded, framed, batch_first)) % 2**31)
    emb = nn.Embedding(len(SYMBOLS), 4) if embedded else None
    rnn = _rnn(cell, layers, 4 if embedded else len(SYMBOLS), 6, batch_first)
    H = 8 if layers == "list" else 6
    head = _head(head_kind, H)
    prefix, suffix = (["<s>"], ["</s>"]) if framed else ([], [])
    net = from_torch(rnn, head, SYMBOLS, embedding=emb, prefix=prefix, suffix=suffix)
    assert net.alphabet == (("a", "b", "c") if framed else SYMBOLS)
    rng = np.random.default_rng(0)
    words = [rng.integers(0, len(net.alphabet), size=T) for T in (1, 3, 9, 17)]
    got = outputs(net, words)
    rows = [SYMBOLS.index(s) for s in net.alphabet]
    pre, suf = [SYMBOLS.index(s) for s in prefix], [SYMBOLS.index(s) for s in suffix]
    with torch.no_grad():
        for w, y in zip(words, got, strict=True):
            for t in range(len(w)):
                out = _oracle(rnn, head, emb, batch_first, pre + [rows[a] for a in w[:t + 1]] + suf)
                assert y[t] == _decision(out) or _gap(out) < MARGIN


@pytest.mark.parametrize("cell", ["tanh", "gru", "lstm"])
def test_round_trip_save_load_to_torch(tmp_path, cell: str) -> None:
    torch.manual_seed(3)
    emb, rnn = nn.Embedding(5, 3), _rnn(cell, "2", 3, 7, True)
    head = _head("seq", 7)
    net = from_torch(rnn, head, SYMBOLS, embedding=emb, prefix=["<s>"], suffix=["</s>"], name="rt")
    path = tmp_path / "net.json"
    net.save(path)
    back = load_any(path)
    assert isinstance(back, TorchNet) and json.loads(path.read_text())["format"] == "rnnlab-net/3"
    words = np.random.default_rng(1).integers(0, 3, size=(16, 25))
    assert (back.run(words)[1] == net.run(words)[1]).all()
    mods = back.to_torch()
    for a, b in ((rnn, mods.rnn), (head, mods.readout), (emb, mods.embedding)):
        sa, sb = a.state_dict(), b.state_dict()  # type: ignore[union-attr]
        assert sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)
    assert mods.rnn.batch_first  # type: ignore[union-attr]
    again = from_torch(mods.rnn, mods.readout, SYMBOLS, embedding=mods.embedding, prefix=["<s>"], suffix=["</s>"])
    assert (again.run(words)[1] == net.run(words)[1]).all()


@pytest.mark.parametrize("cell", ["tanh", "gru", "lstm"])
def test_state_dict_import_equals_from_torch(cell: str) -> None:
    torch.manual_seed(4)
    model = nn.ModuleDict({"emb": nn.Embedding(5, 3), "rnn": _rnn(cell, "2", 3, 6, False), "head": nn.Linear(6, 2)})
    sd = model.state_dict()
    net = import_state_dict(sd, alphabet=SYMBOLS, prefix=["<s>"], suffix=["</s>"])
    ref = from_torch(model["rnn"], model["head"], SYMBOLS, embedding=model["emb"], prefix=["<s>"], suffix=["</s>"])
    words = np.random.default_rng(2).integers(0, 3, size=(8, 20))
    assert (net.run(words)[0] == ref.run(words)[0]).all()


@pytest.mark.parametrize("make, message", [
    (lambda: from_torch(nn.GRU(3, 4, bidirectional=True), nn.Linear(8, 1), "abc"), "bidirectional"),
    (lambda: from_torch(nn.LSTM(3, 4, proj_size=2), nn.Linear(2, 1), "abc"), "proj_size"),
    (lambda: from_torch(nn.GRU(3, 4), nn.Conv1d(4, 1, 1), "abc"), "Conv1d"),
    (lambda: from_torch(nn.GRU(3, 4), nn.Linear(4, 1), "ab"), "2 symbol names were given, but the net reads 3"),
    (lambda: import_state_dict({"rnn.weight_ih_l0": torch.zeros(4, 3), "rnn.weight_hh_l0": torch.zeros(4, 4),
                                "x.running_mean": torch.zeros(4)}), "x.running_mean"),
    (lambda: import_state_dict({"rnn.weight_ih_l0": torch.zeros(8, 3), "rnn.weight_hh_l0": torch.zeros(8, 4),
                                "h.weight": torch.zeros(1, 4)}), "2 gates"),
    (lambda: import_state_dict({"rnn.weight_ih_l0": torch.zeros(4, 3), "rnn.weight_hh_l0": torch.zeros(4, 4),
                                "a.weight": torch.zeros(1, 4), "b.weight": torch.zeros(2, 4)}), "ambiguous"),
])
def test_refusals_name_the_problem(make, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make()


def test_bad_fields_are_named_by_path(tmp_path) -> None:
    net = from_torch(nn.GRU(2, 3), nn.Linear(3, 1), ["0", "1"])
    d = net.to_dict()
    d["blocks"][0]["layers"][0]["W_hh"] = 3
    with pytest.raises(ValueError, match=r"blocks\[0\]\.layers\[0\]\.W_hh"):
        TorchNet.from_dict(d)
    d = net.to_dict()
    d["head"][0]["b"] = ["x"]
    with pytest.raises(ValueError, match=r"head\[0\]\.b\[0\]"):
        TorchNet.from_dict(d)
