"""`rnnlab train --seeds RANGE`: batched by default, the loop with --no-batch, the same numbers either way."""

import json

import pytest

from rnnlab.cli.main import main


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
