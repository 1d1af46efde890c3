"""The dynamics commands through main(): JSON shapes, exit codes, and bad input as one line with exit 2."""

import json
import math
from pathlib import Path

import pytest
import torch

import rnnlab.dynamics.jacobian as jacobian_module
import rnnlab.experiments.skip as skip_module
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
    out = capsys.readouterr().out
    assert path.stat().st_size > 10_000 and f"plot: {path}" in out
    assert "delay k = 2, ||M||_2 = " in out  # the skip cell's own delay and ||M||_2


def test_plot_path_printed_is_the_file_written(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """matplotlib writes FILE.png for a FILE without a suffix: the command must name that file."""
    assert main(["gradients", "--T", "5", "--hidden", "3", "--plot", str(tmp_path / "sub" / "noext")]) == 0
    written = tmp_path / "sub" / "noext.png"
    assert written.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and not (tmp_path / "sub" / "noext").exists()
    assert capsys.readouterr().out.splitlines()[-1] == f"plot: {written}"
    rc, d = _json(capsys, ["bound", "--trials", "2", "--T", "3", "--hidden", "2", "--plot", str(tmp_path / "b"),
                           "--json"])
    assert rc == 0 and d["plot"] == str(tmp_path / "b.png") and (tmp_path / "b.png").is_file()


def test_gradients_T_1_reads_without_nan(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["gradients", "--T", "1", "--hidden", "3"]) == 0
    out = capsys.readouterr().out
    assert "nan" not in out.lower() and "decay per step back: undefined" in out
    assert main(["gradients", "--cell", "lstm", "--T", "4", "--hidden", "3"]) == 0
    assert "nan" not in capsys.readouterr().out.lower()  # no bound: '-' rather than nan


def test_gradients_bound_past_float64(capsys: pytest.CaptureFixture[str]) -> None:
    """tanh with ||W||_2 = 50 over 300 steps: B_1 ~ 50^299; JSON stays finite (null where B_t > 1e308)."""
    rc, d = _json(capsys, ["gradients", "--cell", "tanh", "--w-norm", "50", "--T", "300", "--hidden", "6", "--json"])
    assert rc == 0 and d["violations"] == 0 and d["bound_overflows"] > 0
    assert sum(b is None for b in d["bound"]) == d["bound_overflows"]
    assert all(lb is not None and math.isfinite(lb) for lb in d["log10_bound"])
    assert d["log10_bound"][0] == pytest.approx(math.log10(d["norms"][-1]) + 299 * math.log10(50), rel=1e-9)
    assert all(math.log10(n) <= lb + 1e-9 for n, lb in zip(d["norms"], d["log10_bound"], strict=True) if n > 0)
    assert main(["gradients", "--cell", "tanh", "--w-norm", "50", "--T", "300", "--hidden", "6"]) == 0
    out = capsys.readouterr().out
    assert "inf" not in out and f"beyond float64's range at {d['bound_overflows']} steps" in out


def test_gradients_exit_1_on_a_violation(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """Claim gamma ten times too small: the real profile then breaks the 'bound' and the command must say so."""
    real = jacobian_module.gamma
    monkeypatch.setattr(jacobian_module, "gamma", lambda act: real(act) / 10)
    assert main(["gradients", "--cell", "sigmoid", "--T", "12", "--hidden", "4"]) == 1
    out = capsys.readouterr().out
    violations = int(out.split("bound violations at t = 1..12: ")[1].split()[0])
    assert 0 < violations <= 11  # at t = T the bound is the norm itself
    rc, d = _json(capsys, ["gradients", "--cell", "sigmoid", "--T", "12", "--hidden", "4", "--json"])
    assert rc == 1 and d["violations"] == violations
    assert d["violations"] == sum(n > b * (1 + 1e-9) for n, b in zip(d["norms"], d["bound"], strict=True))


def test_bound_exit_1_on_a_violation(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    real = jacobian_module.gamma
    monkeypatch.setattr(jacobian_module, "gamma", lambda act: real(act) / 10)
    assert main(["bound", "--trials", "5", "--T", "8", "--hidden", "4"]) == 1
    assert "THE BOUND IS VIOLATED" in capsys.readouterr().out
    rc, d = _json(capsys, ["bound", "--trials", "5", "--T", "8", "--hidden", "4", "--json"])
    assert rc == 1 and d["violations"] > 0 and d["max_ratio"] > 1 and d["tanh"]["violations"] > 0


def test_bound_json(capsys: pytest.CaptureFixture[str]) -> None:
    rc, d = _json(capsys, ["bound", "--trials", "40", "--T", "20", "--hidden", "6", "--json"])
    # the adversarial cells reach the bound: a ratio of 1 up to rounding (the violation tolerance is 1e-9)
    assert rc == 0 and d["trials"] == 40 and d["violations"] == 0 and 0.99 < d["max_ratio"] <= 1 + 1e-9
    assert 0 < d["median_ratio"] <= d["max_ratio"] and d["tanh"]["violations"] == 0
    assert d["checked"] == (40 + d["adversarial"]) * 19  # the pairs t < T


def test_experiment_out_is_checked_before_any_training(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    def no_training(*args: object, **kwargs: object) -> None:
        raise AssertionError("training started although --out cannot be written")

    monkeypatch.setattr(skip_module, "run", no_training)
    (tmp_path / "afile").write_text("")
    for out in (tmp_path / "afile" / "figs", tmp_path / "afile"):
        assert main(["experiment", "skip", "--out", str(out)]) == 2
        captured = capsys.readouterr()
        assert captured.out == "" and len(captured.err.splitlines()) == 1 and "is a file" in captured.err
    assert main(["gradients", "--T", "3", "--plot", str(tmp_path / "afile" / "g.png")]) == 2
    assert "is a file" in capsys.readouterr().err


def test_experiment_table_says_none(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """One update cannot solve temporal order: every cell's largest solved length reads 'none'."""
    argv = ["experiment", "skip", "--seeds", "0", "--steps", "1", "--lengths", "4", "--out", str(tmp_path / "x")]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "None" not in out and out.count("  none") == 5 and "least-squares fit" in out and "(k=2)" in out
    data = json.loads((tmp_path / "x" / "skip_result.json").read_text())
    assert data["largest_solved"] == {c: None for c in data["success"]}
    assert (tmp_path / "x" / "skip_decay.png").is_file()


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
    ["gradients", "--cell", "tanh", "--delay", "3"],
    ["gradients", "--delay", "2"],  # the default cell is sigmoid: an explicit delay would be ignored
    ["gradients", "--plot", "g.txt"],
    ["bound", "--T", "0"],
    ["bound", "--T", "1"],  # no t < T to compare
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
    ["train", "adding", "--cell", "gru", "--delay", "3"],
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
