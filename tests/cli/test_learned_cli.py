"""`rnnlab run` and `rnnlab verify` on trained nets (rnnlab-net/2) and `run --inputs` on every kind of net, each
checked against an independent oracle: PyTorch's own RNN/GRU/LSTM modules (a float64 numpy loop for sigmoid
cells) for trained nets, the languages' definitions and Python integers for the built-in nets, brute force for
verify's shortest disagreement."""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from rnnlab.cli.main import main
from rnnlab.exact.compiler import compile_dfa
from rnnlab.exact.sheet import EQUAL_SO_FAR
from rnnlab.extract.languages import TOMITA
from rnnlab.extract.learn import LearnConfig, learn
from rnnlab.extract.model import LearnedNet

sys.path.insert(0, str(Path(__file__).parents[1] / "extract"))
from learned_nets import brute_force, learned_from_compiled, perturbed  # noqa: E402

SPECS = Path(__file__).parents[2] / "examples" / "specs"


def reference_logits(net: LearnedNet, word: list[int]) -> np.ndarray:
    """v . h + c after every prefix by PyTorch's modules (elman tanh: nn.RNN; GRU, LSTM), sigmoid by numpy."""
    A = len(net.alphabet)
    x = torch.nn.functional.one_hot(torch.tensor([word]), A).to(torch.float64)  # (1, T, A)
    if net.cell == "elman":
        (L,) = net.layers
        W, U, b = (np.array(m, dtype=np.float64) for m in (L.W, L.U, L.b))
        if L.act.kind == "tanh":
            rnn = torch.nn.RNN(A, len(b), batch_first=True, nonlinearity="tanh").double()
            params = {"weight_ih_l0": U, "weight_hh_l0": W, "bias_ih_l0": b, "bias_hh_l0": np.zeros_like(b)}
        else:
            h, out = np.array(L.h0, dtype=np.float64), []
            for a in word:
                h = 1 / (1 + np.exp(-(W @ h + U[:, a] + b)))
                out.append(h)
            return np.array(out) @ net.v.astype(np.float64) + net.c
    else:
        rnn = (torch.nn.GRU if net.cell == "gru" else torch.nn.LSTM)(A, net.hidden, batch_first=True).double()
        params = {"weight_ih_l0": net.weights["W_ih"], "weight_hh_l0": net.weights["W_hh"],
                  "bias_ih_l0": net.weights["b_ih"], "bias_hh_l0": net.weights["b_hh"]}
    with torch.no_grad():
        for k, v in params.items():
            getattr(rnn, k).copy_(torch.from_numpy(np.asarray(v, dtype=np.float64)))
        out, _ = rnn(x)
    return (out[0] @ torch.from_numpy(net.v.astype(np.float64)) + net.c).numpy()


@pytest.fixture(scope="module")
def net_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("nets")
    nets: dict[str, LearnedNet] = {
        cell: learn(TOMITA["tomita4"], LearnConfig(cell=cell, hidden=3, steps=10, eval_every=10), name=cell).net
        for cell in ("sigmoid", "tanh", "gru", "lstm")}
    nets["gru-pairs"] = learn(EQUAL_SO_FAR, LearnConfig(cell="gru", hidden=3, steps=10, eval_every=10)).net
    nets["good"] = learned_from_compiled(TOMITA["tomita4"], "good")
    nets["broken"] = perturbed(nets["good"])
    nets["good-pairs"] = learned_from_compiled(EQUAL_SO_FAR, "good-pairs")
    nets["broken-pairs"] = perturbed(nets["good-pairs"])
    paths = {}
    for key, net in nets.items():
        paths[key] = folder / f"{key}.json"
        net.save(paths[key])
    compile_dfa(TOMITA["tomita4"], "step").save(folder / "compiled.json")
    paths["compiled"] = folder / "compiled.json"
    return paths


def cli(capsys: pytest.CaptureFixture[str], *argv: Any) -> tuple[int, str, str]:
    rc = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return rc, out, err


def words_file(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path


def random_lines(rng: random.Random, pairs: bool, n: int = 40) -> list[str]:
    """Random inputs of lengths 1..12 (several of each, so batches form), blank lines and comments between."""
    lines = ["# inputs", ""]
    for _ in range(n):
        T = rng.randint(1, 12)
        x1 = "".join(rng.choice("01") for _ in range(T))
        lines.append(x1 if not pairs else f"{x1}, {''.join(rng.choice('01') for _ in range(T))}")
        if rng.random() < 0.1:
            lines.append("   ")
    return lines


@pytest.mark.parametrize("key", ["sigmoid", "tanh", "gru", "lstm", "gru-pairs"])
def test_run_inputs_equals_pytorch_modules(key: str, net_files: dict[str, Path], tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    net = LearnedNet.load(net_files[key])
    pairs = key.endswith("pairs")
    lines = random_lines(random.Random(key), pairs)
    rc, out, err = cli(capsys, "run", net_files[key], "--inputs", words_file(tmp_path / "w.txt", lines), "--json")
    assert rc == 0, err
    runs = json.loads(out)["runs"]
    inputs = [line.replace(" ", "") for line in lines if line.strip() and not line.startswith("#")]
    assert [r["input"] for r in runs] == inputs
    checked = 0
    for r in runs:
        x1, _, x2 = r["input"].partition(",")
        word = [net.alphabet.index(a + b) for a, b in zip(x1, x2, strict=True)] if pairs else [int(c) for c in x1]
        z = reference_logits(net, word)
        sure = np.abs(z) > 1e-5  # float32 vs float64: only outputs away from the threshold are compared
        assert np.array_equal(np.array(r["y"])[sure], (z > 0)[sure].astype(int)), r
        checked += int(sure.sum())
    assert checked > 100
    # The plain output: one line per input, the input then its outputs
    rc, text, _ = cli(capsys, "run", net_files[key], "--inputs", tmp_path / "w.txt")
    assert rc == 0
    assert [line.split() for line in text.splitlines()] == [[r["input"], "".join(map(str, r["y"]))] for r in runs]


@pytest.mark.parametrize("key", ["sigmoid", "tanh", "gru", "lstm"])
def test_run_input_on_a_trained_net(key: str, net_files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    net = LearnedNet.load(net_files[key])
    rc, out, _ = cli(capsys, "run", net_files[key], "--input", "0110001", "--json")
    d = json.loads(out)
    z = reference_logits(net, [0, 1, 1, 0, 0, 0, 1])
    assert rc == 0 and len(d["y"]) == 7 and len(d["h"]) == 7 and len(d["h"][0]) == net.state_size
    np.testing.assert_allclose(d["logit"], z, atol=1e-5)
    assert d["y"] == [int(v > 0) for v in d["logit"]]
    rc, out, _ = cli(capsys, "run", net_files[key], "--input", "0110001")
    assert rc == 0 and "v . h + c" in out and len(out.splitlines()) == 2 + 7


def test_run_input_on_a_pair_alphabet(net_files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    net = LearnedNet.load(net_files["gru-pairs"])
    rc, out, _ = cli(capsys, "run", net_files["gru-pairs"], "--input", "0110", "--input2", "0111", "--json")
    z = reference_logits(net, [net.alphabet.index(s) for s in ("00", "11", "11", "01")])
    assert rc == 0
    np.testing.assert_allclose(json.loads(out)["logit"], z, atol=1e-5)


def test_run_inputs_on_built_in_and_compiled_nets(net_files: dict[str, Path], tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    rng = random.Random(0)
    one = [line for line in random_lines(rng, False) if line.strip() and not line.startswith("#")]
    two = [line.replace(" ", "") for line in random_lines(rng, True) if line.strip() and not line.startswith("#")]
    f1, f2 = words_file(tmp_path / "one.txt", one), words_file(tmp_path / "two.txt", two)

    def ys(net: str, f: Path) -> list[list[int]]:
        rc, out, err = cli(capsys, "run", net, "--inputs", f, "--json")
        assert rc == 0, err
        return [r["y"] for r in json.loads(out)["runs"]]

    # all-ones: 1 while every bit so far is 1 (S7)
    assert ys("all-ones", f1) == [[int("0" not in x[:t + 1]) for t in range(len(x))] for x in one]
    # tomita 4 compiled to threshold units: the language's own outputs
    t4 = TOMITA["tomita4"]
    assert ys(str(net_files["compiled"]), f1) == [t4.outputs([int(c) for c in x]) for x in one]
    # equality: 1 while x1 and x2 agree so far; adder: the bits of x1 + x2 (LSB first), by Python's integers
    pairs = [line.split(",") for line in two]
    assert ys("equality", f2) == [[int(a[:t + 1] == b[:t + 1]) for t in range(len(a))] for a, b in pairs]
    sums = [int(a[::-1], 2) + int(b[::-1], 2) for a, b in pairs]
    assert ys("adder", f2) == [[(s >> t) & 1 for t in range(len(a))] for s, (a, _) in zip(sums, pairs, strict=True)]


@pytest.mark.parametrize("good,broken,spec,n", [("good", "broken", TOMITA["tomita4"], 12),
                                                ("good-pairs", "broken-pairs", EQUAL_SO_FAR, 6)])
def test_verify_a_trained_net_up_to_a_length(good: str, broken: str, spec: Any, n: int, net_files: dict[str, Path],
                                             capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = cli(capsys, "verify", net_files[good], "--max-len", n, "--json")
    d = json.loads(out)
    A = len(spec.alphabet)
    assert rc == 0 and d["holds"] and d["check"] == "bounded" and d["max_len"] == n
    assert d["inputs"] == sum(A ** t for t in range(1, n + 1)) and d["counterexample"] is None
    assert d["all_lengths"] is None and d["all_lengths_command"] == f"rnnlab extract {net_files[good]}"
    rc, text, _ = cli(capsys, "verify", net_files[good], "--max-len", n)
    assert rc == 0 and f"length 1..{n}" in text and "rnnlab extract" in text and "not a proof" in text
    # the broken net: exit 1 and the brute-force shortest disagreeing input
    net = LearnedNet.load(net_files[broken])
    word, want = brute_force(net, spec, n) or ([], [])
    rc, out, _ = cli(capsys, "verify", net_files[broken], "--max-len", n, "--json")
    cex = json.loads(out)["counterexample"]
    symbols = [net.alphabet[a] for a in word]
    assert rc == 1 and cex["expected"] == want and len(cex["input"]) == len(word) > 0
    assert cex["input"] + (cex["input2"] or "") == "".join(s[0] for s in symbols) + "".join(s[1:] for s in symbols)
    rc, text, _ = cli(capsys, "verify", net_files[broken], "--max-len", n)
    assert rc == 1 and "DIFFERS" in text and "first difference" in text and "rnnlab extract" in text


def test_verify_against_another_spec_flips(net_files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = cli(capsys, "verify", net_files["good"], "--against", SPECS / "tomita-4.json", "--json")
    assert rc == 0 and json.loads(out)["max_len"] == 16
    rc, out, _ = cli(capsys, "verify", net_files["good"], "--against", SPECS / "tomita-7.json", "--json")
    d = json.loads(out)
    word, want = brute_force(LearnedNet.load(net_files["good"]), TOMITA["tomita7"], 16) or ([], [])
    cex = d["counterexample"]
    assert rc == 1 and cex["input"] == "".join(map(str, word)) and cex["expected"] == want
    assert d["all_lengths_command"].endswith("--against " + str(SPECS / "tomita-7.json"))


def one_line_exit_2(capsys: pytest.CaptureFixture[str], argv: list[Any], *names: str) -> None:
    rc, out, err = cli(capsys, *argv)
    lines = err.strip().splitlines()
    assert rc == 2 and not out and len(lines) == 1 and lines[0].startswith("rnnlab: error:"), (rc, out, err)
    for name in names:
        assert name in lines[0], (name, lines[0])


def test_bad_inputs_exit_2_in_one_line(net_files: dict[str, Path], tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    t4, pairs = net_files["gru"], net_files["gru-pairs"]
    good = words_file(tmp_path / "good.txt", ["0110"])
    cases: list[tuple[list[Any], tuple[str, ...]]] = [
        (["run", t4], ("--input", "--inputs")),  # neither
        (["run", t4, "--input", "01", "--inputs", good], ("--input", "--inputs", "not both")),
        (["run", t4, "--inputs", tmp_path / "missing.txt"], ("--inputs", "missing.txt")),
        (["run", t4, "--inputs", words_file(tmp_path / "a.txt", ["01", "# x", "", "0a1"])], ("line 4", "'a'")),
        (["run", pairs, "--inputs", words_file(tmp_path / "b.txt", ["01,01", "011,01"])], ("line 2", "x2")),
        (["run", pairs, "--inputs", words_file(tmp_path / "c.txt", ["0110"])], ("line 1", "two sequences")),
        (["run", t4, "--inputs", words_file(tmp_path / "d.txt", ["01,10"])], ("line 1", "one sequence")),
        (["run", "adder", "--inputs", words_file(tmp_path / "e.txt", ["01,12"])], ("line 1", "'2'")),
        (["run", t4, "--inputs", words_file(tmp_path / "f.txt", ["", "# only a comment"])], ("no input",)),
        (["run", t4, "--inputs", words_file(tmp_path / "g.txt", ["0,1,0"])], ("line 1", "--inputs")),
        (["run", t4, "--inputs", words_file(tmp_path / "h.txt", ["01,"])], ("line 1", "empty")),
        (["run", t4, "--inputs", good, "--input2", "01"], ("--input2",)),
        (["run", t4, "--input", "01", "--h0", "0"], ("--h0", "rnnlab-net/2")),
        (["run", pairs, "--input", "01"], ("--input2",)),
        (["verify", t4, "--max-len", "1000"], ("--max-len", "1000")),
        (["verify", t4, "--max-len", "0"], ("--max-len",)),
        (["verify", t4, "--against", SPECS / "equal-so-far.json"], ("--against", "alphabet")),
    ]
    for argv, names in cases:
        one_line_exit_2(capsys, argv, *names)
    no_spec = json.loads(Path(t4).read_text()) | {"spec": None}
    (tmp_path / "nospec.json").write_text(json.dumps(no_spec))
    one_line_exit_2(capsys, ["verify", tmp_path / "nospec.json"], "--against", "no spec")
    nan = json.loads(Path(t4).read_text())
    nan["weights"]["W_hh"][0][0] = float("nan")
    (tmp_path / "nan.json").write_text(json.dumps(nan))
    one_line_exit_2(capsys, ["run", tmp_path / "nan.json", "--input", "01"], "nan.json", "finite")
