"""`rnnlab train --seeds RANGE`: batched by default, the loop with --no-batch, the same numbers either way."""

import json

import pytest

import rnnlab.cli.dynamics as cli_dynamics
from rnnlab.cli.main import main
from rnnlab.dynamics.batched import train_batched


def _json(capsys: pytest.CaptureFixture[str], argv: list[str]) -> dict:
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_seed_ranges_batched_equal_the_loop(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["train", "temporal_order", "--cell", "tanh", "--T", "6", "--steps", "20", "--seeds", "0-2,5",
            "--hidden", "4", "--optimizer", "msgd", "--clip", "norm:1", "--omega", "2", "--json"]
    batched, loop = _json(capsys, argv), _json(capsys, [*argv, "--no-batch"])
    assert [r["seed"] for r in batched["runs"]] == [0, 1, 2, 5]
    for a, b in zip(batched["runs"], loop["runs"], strict=True):
        assert a["final_loss"] == pytest.approx(b["final_loss"], rel=1e-4)
        assert a["solved"] == b["solved"] and a["clip"]["fired"] == b["clip"]["fired"]


@pytest.mark.parametrize("argv", [
    ["train", "adding", "--seeds", "3-1"],
    ["train", "adding", "--seeds", "0,0"],
    ["train", "adding", "--cell", "gru", "--omega", "1"],
    ["train", "adding", "--omega", "-1"],
])
def test_bad_seeds_and_omega_are_one_line_exit_2(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and len(captured.err.splitlines()) == 1


@pytest.mark.parametrize(("cell", "optimizer"), [("sigmoid", "adam"), ("tanh", "sgd"), ("skip", "msgd"),
                                                 ("gru", "adam"), ("lstm", "sgd")])
def test_every_cell_trains_batched_by_default_and_equals_the_loop(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, cell: str, optimizer: str) -> None:
    calls: list[int] = []

    def counted(configs: list, progress: object = None) -> list:
        calls.append(len(configs))
        return train_batched(configs, progress)  # type: ignore[arg-type]

    monkeypatch.setattr(cli_dynamics, "train_batched", counted)
    argv = ["train", "temporal_order", "--cell", cell, "--optimizer", optimizer, "--T", "6", "--steps", "15",
            "--seeds", "0-2", "--hidden", "4", "--clip", "norm:0.5", "--json"]
    batched = _json(capsys, argv)
    assert calls == [3]  # one batched computation for the three seeds
    loop = _json(capsys, [*argv, "--no-batch"])
    assert calls == [3]  # --no-batch never calls it
    for a, b in zip(batched["runs"], loop["runs"], strict=True):
        assert a["final_loss"] == pytest.approx(b["final_loss"], rel=1e-4)
        assert a["clip"]["fired"] == b["clip"]["fired"] and a["steps_run"] == b["steps_run"]
