"""Every S11 claim's reproduce command, run through the CLI at a tiny size, prints the evidence's numbers (the same
training steps and accuracy, the same extraction outcome, DFA, regions and query counts); the example spec files
the round trip's commands compile give the same nets as the library's automata the part uses."""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

import pytest

from rnnlab.cli.main import main
from rnnlab.exact.automaton import Automaton
from rnnlab.exact.compiler import compile_dfa
from rnnlab.extract.languages import BUILTIN
from rnnlab.report import extract_parts as xp
from rnnlab.report.claims import Claim, PartResult

REPO = Path(__file__).resolve().parents[2]


def tiny_config(scale: str) -> dict[str, Any]:
    return {"round_trip": ["all-ones", "tomita-2"],
            "sheet_nets": [xp._net_row("all-ones", 2, 300, 8), xp._net_row("equality", 2, 300, 8)],
            "tomita_nets": [xp._net_row("tomita1", 2, 300, 8)],
            "time_limit": 20.0, "extract_seed": 0, "check_random": 20, "check_length": 50, "check_seed": 0}


@pytest.fixture(scope="module")
def result() -> PartResult:
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(xp, "_s11_config", tiny_config)
        return xp.s11("quick")


def run(command: str, capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    """Each `; `-separated command through main(); their JSON outputs in order."""
    outputs = []
    for part in command.split(xp.JOIN):
        argv = shlex.split(part)
        assert argv[0] == "rnnlab" and argv[-1] == "--json"
        main(argv[1:])
        outputs.append(json.loads(capsys.readouterr().out))
    return outputs


def same_extraction(row: dict[str, Any], out: dict[str, Any]) -> None:
    assert (out["status"], out["states"], out["regions"], out["implements"], out["wrong_input"], out["rounds"],
            out["queries"]) == (row["status"], row["dfa_states"], row["regions"], row["implements"],
                                row["wrong_input"], row["rounds"], row["queries"])


def same_training(ev: dict[str, Any], out: dict[str, Any]) -> None:
    assert (out["steps"], out["accuracy"], out["perfect"]) == (
        ev["steps_taken"], ev["heldout_accuracy"], ev["every_heldout_prefix_right"])


def check(claim: Claim, outs: list[dict[str, Any]]) -> None:
    ev = claim.evidence
    if claim.id == "S11.round-trip":
        assert len(outs) == 2 * len(ev["specs"])
        for row, compiled, extracted in zip(ev["specs"], outs[::2], outs[1::2], strict=True):
            assert compiled["gain"] == row["gain_H"] and compiled["holds"]
            same_extraction({**row, "implements": row["equals_minimal"], "wrong_input": row["first_difference"]},
                            extracted)
    elif claim.id.startswith("S11.trained-"):
        learned, extracted, verified = outs
        same_training(ev, learned)
        same_extraction(ev, extracted)
        assert (verified["holds"], verified["states_explored"]) == (ev["sheet_net"]["proved"],
                                                                   ev["sheet_net"]["states_explored"])
    else:
        assert claim.id == "S11.tomita-sound"
        assert len(outs) == 2 * len(ev["nets"])
        for row, learned, extracted in zip(ev["nets"], outs[::2], outs[1::2], strict=True):
            assert (learned["language"], learned["steps"], learned["accuracy"]) == (
                row["language"], row["steps"], row["heldout_accuracy"])
            same_extraction(row, extracted)


def test_reproduce_commands_print_the_evidence(result: PartResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "examples").symlink_to(REPO / "examples")  # the commands name examples/specs/*.json
    monkeypatch.chdir(tmp_path)
    assert [c.id for c in result.claims] == ["S11.round-trip", "S11.trained-all-ones", "S11.trained-equality",
                                             "S11.tomita-sound"]
    for claim in result.claims:
        assert claim.verdict == claim.expected, claim.id
        assert claim.criterion and claim.key and claim.scale and claim.figures
        for f in claim.figures:
            assert result.figures[f].caption.strip()
        check(claim, run(claim.reproduce, capsys))
    json.dumps(result.tables)
    assert set(result.steppers) == {"trained-all-ones", "trained-equality", "trained-tomita1"}
    assert all(st["net"]["format"] == "rnnlab-net/2" for st in result.steppers.values())


@pytest.mark.parametrize("name", sorted(xp.ROUND_TRIP))
def test_example_spec_files_compile_to_the_parts_nets(name: str) -> None:
    from_file = compile_dfa(Automaton.load(REPO / "examples" / "specs" / f"{name}.json"), "sigmoid")
    from_library = compile_dfa(xp.ROUND_TRIP[name], "sigmoid")
    assert from_file.to_dict()["layers"] == from_library.to_dict()["layers"]


@pytest.mark.parametrize("scale", ["quick", "full"])
def test_configs_name_what_exists(scale: str) -> None:
    cfg = xp._s11_config(scale)
    assert set(cfg["round_trip"]) <= set(xp.ROUND_TRIP)
    assert all(r["language"] in BUILTIN for r in cfg["sheet_nets"] + cfg["tomita_nets"])
    assert {r["language"] for r in cfg["sheet_nets"]} == set(xp.SHEET_NET)
    assert all(r["language"] in xp.STEPPER_INPUTS for r in cfg["sheet_nets"] + cfg["tomita_nets"])
