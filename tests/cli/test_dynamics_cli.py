"""The dynamics commands through main(): JSON shapes, exit codes, and bad input as one line with exit 2."""

import json

import pytest
import torch

from rnnlab.cli.main import main
from rnnlab.dynamics.training import make_rnn


def _json(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, dict]:
    rc = main(argv)
    out = capsys.readouterr().out
    assert len(out.strip().splitlines()) == 1  # ONE JSON object
    return rc, json.loads(out)


@pytest.mark.parametrize("cell", ["sigmoid", "tanh", "skip", "gru", "lstm"])
def test_gradients_json(capsys: pytest.CaptureFixture[str], cell: str) -> None:
    rc, d = _json(capsys, ["gradients", "--cell", cell, "--T", "12", "--hidden", "5", "--json"])
    assert rc == 0 and d["cell"] == cell and d["T"] == 12 and len(d["norms"]) == 12 and d["violations"] == 0
    assert (d["bound"] is None) == (cell in ("gru", "lstm"))
    if d["bound"] is not None:
        assert all(n <= b * (1 + 1e-9) for n, b in zip(d["norms"], d["bound"], strict=True))
        assert d["bound"][-1] == pytest.approx(d["norms"][-1])


def test_gradients_norms_are_the_stated_loss(capsys: pytest.CaptureFixture[str]) -> None:
    """Recompute from the --help's loss L = v . h_T on the same seeded cell, with the module's own forward."""
    _, d = _json(capsys, ["gradients", "--cell", "tanh", "--T", "7", "--hidden", "3", "--seed", "4", "--json"])
    torch.manual_seed(4)
    rnn = make_rnn("tanh", 4, 3).double()
    gen = torch.Generator().manual_seed(4)
    x = torch.randn(1, 7, 4, generator=gen, dtype=torch.float64)
    v = torch.randn(3, generator=gen, dtype=torch.float64) / 3**0.5
    out, _ = rnn(x)
    for t in (1, 4):  # restart the module's forward at h_t, a leaf, and let autograd give dL/dh_t
        h_t = out[:, t - 1].detach().requires_grad_(True)
        _, h_T = rnn(x[:, t:], h_t.unsqueeze(0))
        (h_T[0, 0] @ v).backward()
        assert d["norms"][t - 1] == pytest.approx(float(h_t.grad.norm()), rel=1e-9)
    assert d["norms"][-1] == pytest.approx(float(v.norm()))


def test_gradients_plot(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: ANN001
    path = tmp_path / "g.png"
    assert main(["gradients", "--cell", "skip", "--T", "20", "--plot", str(path)]) == 0
    assert path.stat().st_size > 10_000 and "plot:" in capsys.readouterr().out


def test_bound_json(capsys: pytest.CaptureFixture[str]) -> None:
    rc, d = _json(capsys, ["bound", "--trials", "40", "--T", "20", "--hidden", "6", "--json"])
    assert rc == 0 and d["trials"] == 40 and d["violations"] == 0 and 0 < d["max_ratio"] <= 1
    assert 0 < d["median_ratio"] <= d["max_ratio"] and d["tanh"]["violations"] == 0


def test_train_json(capsys: pytest.CaptureFixture[str]) -> None:
    rc, d = _json(capsys, ["train", "adding", "--cell", "tanh", "--T", "6", "--steps", "30", "--seeds", "0,1",
                           "--clip", "norm:0.5", "--hidden", "4", "--json"])
    assert rc == 0 and d["task"] == "adding" and [r["seed"] for r in d["runs"]] == [0, 1]
    for r in d["runs"]:
        assert set(r) >= {"seed", "solved", "final_loss", "test_error", "clip", "nonfinite_skipped"}
        assert set(r["clip"]) >= {"fired", "steps", "mean_pre_norm", "min_cosine"}
    assert d["success_rate"] == sum(r["solved"] for r in d["runs"]) / 2


def test_train_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["train", "temporal_order", "--cell", "gru", "--T", "6", "--steps", "5", "--hidden", "4"]) == 0
    assert "success rate" in capsys.readouterr().out


@pytest.mark.parametrize("argv", [
    ["gradients", "--cell", "elman"],
    ["gradients", "--T", "0"],
    ["gradients", "--hidden", "0"],
    ["gradients", "--cell", "skip", "--delay", "1"],
    ["bound", "--T", "0"],
    ["bound", "--hidden", "0"],
    ["train", "copy"],
    ["train", "adding", "--cell", "rnn"],
    ["train", "adding", "--T", "0"],
    ["train", "adding", "--T", "2"],
    ["train", "adding", "--hidden", "0"],
    ["train", "adding", "--clip", "norm"],
    ["train", "adding", "--clip", "norm:-1"],
    ["train", "adding", "--clip", "max:3"],
    ["train", "adding", "--seeds", "a,b"],
])
def test_bad_input_is_one_line_exit_2(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert len(captured.err.splitlines()) == 1 and "Traceback" not in captured.err


@pytest.mark.parametrize("command", ["gradients", "bound", "train"])
def test_help_has_an_example(capsys: pytest.CaptureFixture[str], command: str) -> None:
    assert main([command, "--help"]) == 0
    out = capsys.readouterr().out
    assert "Example" in out and f"rnnlab {command} " in out
