"""`rnnlab verify` and `rnnlab compile` through main(): verdicts, exit codes, JSON, one-line errors."""

import json
from pathlib import Path
from typing import Any

import pytest

from rnnlab.cli.main import main
from rnnlab.exact import exhaustive
from rnnlab.exact.automaton import random_dfa

SPECS = Path(__file__).parents[2] / "examples" / "specs"


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any]]:
    rc = main([*argv, "--json"])
    return rc, json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("name", ["all-ones", "all-ones-from-zero", "equality", "carry", "adder"])
def test_sheet_nets_hold_with_both_oracles(capsys: pytest.CaptureFixture[str], name: str) -> None:
    rc, out = run_json(capsys, "verify", name, "--max-len", "8")
    assert rc == 0 and out["holds"] and out["counterexample"] is None and out["states_explored"] >= 2
    assert out["exhaustive"]["holds"] and out["exhaustive"]["max_len"] == 8 and out["oracles_agree"]


def test_all_ones_from_h0_zero_fails_on_1(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out = run_json(capsys, "verify", "all-ones", "--h0", "0")
    assert rc == 1 and not out["holds"]
    assert out["counterexample"] == {"input": "1", "input2": None, "expected": [1], "got": [0.0]}
    assert out["exhaustive"]["counterexample"]["input"] == "1" and out["oracles_agree"]


def test_equality_as_written_fails_at_length_1_human_output(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", "equality-as-written"]) == 1
    out = capsys.readouterr().out
    assert "FAILS" in out and "counterexample (length 1)" in out and "first difference" in out
    assert "exhaustive check" in out


def test_alternating_closed_form(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out = run_json(capsys, "verify", "alternating", "--max-len", "10")
    assert rc == 0 and out["holds"] and out["counterexample"] is None
    assert out["states_explored"] == (2**11 - 2) + out["real_sequences"] and out["real_sequences"] > 0
    assert main(["verify", "alternating", "--h0", "1", "--max-len", "6"]) == 0
    assert "agree on all 126 binary inputs" in capsys.readouterr().out


def test_compile_then_run_and_verify(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    net_path = tmp_path / "div3.json"
    rc, out = run_json(capsys, "compile", str(SPECS / "divisible-by-3.json"), "--out", str(net_path))
    assert rc == 0 and out["holds"] and out["net"] == str(net_path) and out["gain"] is None
    assert [L["units"] for L in out["layers"]] == [2, 3 * 2 + 1, 1]
    rc, run = run_json(capsys, "run", str(net_path), "--input", "110")  # 1, 3, 6
    assert rc == 0 and run["y"] == [0, 1, 1]
    rc, ver = run_json(capsys, "verify", str(net_path), "--against", str(SPECS / "divisible-by-3.json"))
    assert rc == 0 and ver["holds"] and ver["exhaustive"]["holds"]
    rc, ver = run_json(capsys, "verify", str(net_path), "--against", str(SPECS / "parity.json"))
    assert rc == 1 and ver["counterexample"]["input"] == "0" and ver["oracles_agree"]  # 0 is a multiple of 3


def test_compile_sigmoid_reports_gain_and_proof(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    net_path = tmp_path / "eq.json"
    rc, out = run_json(capsys, "compile", str(SPECS / "equal-so-far.json"), "--activation", "sigmoid",
                       "--out", str(net_path))
    assert rc == 0 and out["holds"] and out["gain"] >= out["smallest_gain"] > 0 and 0 < out["eps"] < 0.5
    rc, ver = run_json(capsys, "verify", str(net_path), "--max-len", "5")
    assert rc == 0 and ver["holds"] and ver["interval"]["eps"] == pytest.approx(out["eps"])
    assert ver["exhaustive"]["holds"]
    assert main(["compile", str(SPECS / "parity.json"), "--activation", "sigmoid"]) == 0
    text = capsys.readouterr().out
    assert "gain H =" in text and "eps =" in text and "holds for inputs of every length" in text


def test_sigmoid_net_below_the_safe_gain_is_not_passed(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    net_path = tmp_path / "t4.json"
    assert main(["compile", str(SPECS / "tomita-4.json"), "--activation", "sigmoid", "--out", str(net_path)]) == 0
    capsys.readouterr()
    data = json.loads(net_path.read_text())
    for L in data["layers"]:
        L["activation"]["gain"] = 0.5 * data["meta"]["smallest_gain"]
    low = tmp_path / "low.json"
    low.write_text(json.dumps(data))
    rc, out = run_json(capsys, "verify", str(low), "--max-len", "8")
    assert rc == 1 and not out["holds"] and "not proved" in out["reason"] and out["interval"]["eps"] is None


def test_disagreeing_oracles_are_reported_loudly(capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    real = exhaustive.exhaustive_check

    def lying(*args: Any, **kwargs: Any) -> exhaustive.Exhaustive:
        from dataclasses import replace

        from rnnlab.exact.counterexample import Counterexample

        return replace(real(*args, **kwargs), holds=False, counterexample=Counterexample("0", None, [1], [0.0]))

    monkeypatch.setattr(exhaustive, "exhaustive_check", lying)
    rc = main(["verify", "all-ones", "--max-len", "4"])
    captured = capsys.readouterr()
    assert rc == 1 and "BUG" in captured.err and "disagree" in captured.err


def test_max_len_zero_disables_the_second_oracle(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out = run_json(capsys, "verify", "carry", "--max-len", "0")
    assert rc == 0 and out["exhaustive"] is None


def write(tmp_path: Path, name: str, data: Any) -> str:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return str(path)


def good_spec() -> dict[str, Any]:
    return random_dfa(2, ["0", "1"], 0).to_dict()


@pytest.mark.parametrize("mutate, message", [
    (lambda d: d.update(start="nowhere"), "unknown state 'nowhere'"),
    (lambda d: d["transitions"]["q0"].pop("1"), "missing transition from state 'q0' on symbol '1'"),
    (lambda d: d["transitions"]["q0"].update({"2": "q0"}), "outside the alphabet"),
    (lambda d: d["transitions"]["q1"].update({"0": "q9"}), "unknown state 'q9'"),
])
def test_malformed_spec_is_one_line_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: Path, mutate: Any,
                                           message: str) -> None:
    d = good_spec()
    mutate(d)
    path = write(tmp_path, "bad.json", d)
    for argv in (["compile", path], ["verify", "all-ones", "--against", path]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1 and "Traceback" not in err


@pytest.mark.parametrize("argv, message", [
    (["verify", "no-such-net"], "unknown net 'no-such-net'"),
    (["verify", "equality", "--against", "SPEC:parity"], "reads 2"),
    (["verify", "all-ones", "--against", "missing.json"], "cannot read spec file"),
    (["verify", "all-ones", "--against", "NOT_JSON"], "not valid JSON"),
    (["verify", "all-ones", "--max-len", "-1"], "--max-len"),
    (["verify", "all-ones", "--h0", "x"], "--h0"),
    (["verify", "alternating", "--against", "SPEC:parity"], "identity activation"),
    (["compile", "SPEC:parity", "--activation", "tanh"], "--activation"),
    (["run", "all-ones", "--input", "1021"], "symbol '2' at step 3 is not in the net's alphabet 0 1"),
    (["run", "equality", "--input", "101", "--input2", "10"], "must be equal"),
])
def test_bad_input_is_one_line_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: Path, argv: list[str],
                                      message: str) -> None:
    argv = [str(SPECS / "parity.json") if a == "SPEC:parity" else
            write(tmp_path, "x.json", "{not json") if a == "NOT_JSON" else a for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_help_has_examples(capsys: pytest.CaptureFixture[str]) -> None:
    for command in ("verify", "compile"):
        assert main([command, "--help"]) == 0
        assert f"rnnlab {command} " in capsys.readouterr().out
