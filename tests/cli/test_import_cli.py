"""`rnnlab import` on saved state_dicts of each kind, then `rnnlab run` / `extract` on the result, checked against the
torch modules; refusals are exit 2 with one stderr line naming the problem and the keys and shapes found."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from rnnlab.cli.main import main
from rnnlab.extract.torch_net import TorchNet


def _model(cell: str, C: int) -> nn.ModuleDict:
    torch.manual_seed(7)
    rnn = {"tanh": lambda: nn.RNN(3, 6, num_layers=2), "relu": lambda: nn.RNN(3, 6, nonlinearity="relu"),
           "gru": lambda: nn.GRU(3, 6), "lstm": lambda: nn.LSTM(3, 6, num_layers=2)}[cell]()
    return nn.ModuleDict({"emb": nn.Embedding(4, 3), "rnn": rnn, "head": nn.Linear(6, C)})


def _module_decisions(m: nn.ModuleDict, word: str) -> list[str]:
    """The module on <s> . w_1..t . </s> for every t (symbols <s>=0, 0=1, 1=2, </s>=3)."""
    out = []
    with torch.no_grad():
        for t in range(1, len(word) + 1):
            seq = torch.tensor([0] + [1 + int(c) for c in word[:t]] + [3])
            y = m["head"](m["rnn"](m["emb"](seq)[:, None])[0][-1])[0]  # (C,)
            out.append(str(int(y[0] > 0)) if y.shape[0] == 1 else str(int(torch.argmax(y))))
    return out


@pytest.mark.parametrize("cell, C", [("tanh", 1), ("relu", 2), ("gru", 5), ("lstm", 2)])
def test_import_then_run_equals_the_module(tmp_path: Path, capsys, cell: str, C: int) -> None:
    m = _model(cell, C)
    torch.save(m.state_dict(), tmp_path / "m.pt")
    args = ["import", str(tmp_path / "m.pt"), "--alphabet", "<s>,0,1,</s>", "--prefix", "<s>", "--suffix", "</s>",
            "--out", str(tmp_path / "m.json")] + (["--nonlinearity", "relu"] if cell == "relu" else [])
    assert main(args) == 0
    net = TorchNet.load(tmp_path / "m.json")
    assert net.alphabet == ("0", "1")
    words = ["".join(np.random.default_rng(k).choice(["0", "1"], size=n)) for k, n in enumerate((1, 4, 12))]
    (tmp_path / "in.txt").write_text("\n".join(words) + "\n")
    capsys.readouterr()
    assert main(["run", str(tmp_path / "m.json"), "--inputs", str(tmp_path / "in.txt"), "--json"]) == 0
    runs = json.loads(capsys.readouterr().out)["runs"]
    for w, r in zip(words, runs, strict=True):
        assert [str(v) for v in r["y"]] == _module_decisions(m, w)


def test_extract_an_imported_net_is_not_certified(tmp_path: Path, capsys) -> None:
    torch.save(_model("gru", 1).state_dict(), tmp_path / "m.pt")
    assert main(["import", str(tmp_path / "m.pt"), "--alphabet", "<s>,0,1,</s>", "--prefix", "<s>", "--suffix",
                 "</s>", "--out", str(tmp_path / "m.json")]) == 0
    capsys.readouterr()
    rc = main(["extract", str(tmp_path / "m.json"), "--time-limit", "20", "--json"])
    r = json.loads(capsys.readouterr().out)
    assert rc == 1 and not r["dfa_certified"] and r["certificate"] is None
    assert "no proof search for this net shape yet" in r["reason"]


def _refused(capsys, args: list[str]) -> str:
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "Traceback" not in err
    return err


def test_refusals(tmp_path: Path, capsys) -> None:
    bi = nn.ModuleDict({"rnn": nn.GRU(3, 4, bidirectional=True), "head": nn.Linear(8, 1)})
    torch.save(bi.state_dict(), tmp_path / "bi.pt")
    err = _refused(capsys, ["import", str(tmp_path / "bi.pt"), "--out", str(tmp_path / "x.json")])
    assert "bidirectional" in err and "rnn.weight_hh_l0_reverse (12, 4)" in err
    torch.save(nn.ModuleDict({"rnn": nn.LSTM(3, 4, proj_size=2)}).state_dict(), tmp_path / "proj.pt")
    assert "proj_size" in _refused(capsys, ["import", str(tmp_path / "proj.pt"), "--out", str(tmp_path / "x.json")])
    odd = {"rnn.weight_ih_l0": torch.zeros(4, 3), "rnn.weight_hh_l0": torch.zeros(4, 4),
           "bn.running_mean": torch.zeros(4)}
    torch.save(odd, tmp_path / "odd.pt")
    err = _refused(capsys, ["import", str(tmp_path / "odd.pt"), "--out", str(tmp_path / "x.json")])
    assert "bn.running_mean" in err and "rnn.weight_hh_l0 (4, 4)" in err
    two = {"rnn.weight_ih_l0": torch.zeros(4, 3), "rnn.weight_hh_l0": torch.zeros(4, 4), "a.weight": torch.zeros(1, 4),
           "b.weight": torch.zeros(2, 4)}
    torch.save(two, tmp_path / "two.pt")
    assert "ambiguous" in _refused(capsys, ["import", str(tmp_path / "two.pt"), "--out", str(tmp_path / "x.json")])
    torch.save(_model("gru", 1), tmp_path / "whole.pt")  # a pickled module: its code would run on loading
    err = _refused(capsys, ["import", str(tmp_path / "whole.pt"), "--out", str(tmp_path / "x.json")])
    assert "state_dict()" in err and "--trust-pickle" in err and not (tmp_path / "x.json").exists()


def test_a_pytorch_file_given_as_a_net_points_to_import(tmp_path: Path, capsys) -> None:
    torch.save(_model("gru", 1).state_dict(), tmp_path / "m.pt")
    assert "rnnlab import" in _refused(capsys, ["run", str(tmp_path / "m.pt"), "--input", "01"])


def test_files_that_are_not_pytorch_files_say_what_they_are(tmp_path: Path, capsys) -> None:
    spec = tmp_path / "spec.json"
    spec.write_text('{"alphabet": ["0", "1"], "states": ["a"], "start": "a", "accept": [], '
                    '"transitions": {"a": {"0": "a", "1": "a"}}}')
    words = tmp_path / "words.txt"
    words.write_text("0110\n")
    torch.save(_model("gru", 1).state_dict(), tmp_path / "m.pt")
    net = tmp_path / "m.json"
    assert main(["import", str(tmp_path / "m.pt"), "--alphabet", "<s>,0,1,</s>", "--out", str(net)]) == 0
    capsys.readouterr()
    out = str(tmp_path / "x.json")
    assert "is JSON text, not a PyTorch file" in _refused(capsys, ["import", str(spec), "--out", out])
    assert "is text, not a PyTorch file" in _refused(capsys, ["import", str(words), "--out", out])
    assert "already an rnnlab net file" in _refused(capsys, ["import", str(net), "--out", out])
    assert not Path(out).exists()


@pytest.mark.parametrize("alphabet, named", [("<s>,0,0,</s>", "symbols[2] is '0', as is symbols[1]"),
                                             ("<s>,0,#1,</s>", "symbols[2] is '#1'")])
def test_symbol_names_follow_the_word_syntax(tmp_path: Path, capsys, alphabet: str, named: str) -> None:
    torch.save(_model("gru", 1).state_dict(), tmp_path / "m.pt")
    err = _refused(capsys, ["import", str(tmp_path / "m.pt"), "--alphabet", alphabet, "--out", str(tmp_path / "x")])
    assert named in err
