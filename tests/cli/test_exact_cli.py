"""`rnnlab verify alternating`, `rnnlab compile --config` and `rnnlab add` through main()."""

import json
from pathlib import Path
from typing import Any

import pytest
import tomli_w

from rnnlab.cli.main import main
from rnnlab.exact.compiler_check import CompilerCheckConfig

PARITY = Path(__file__).resolve().parents[2] / "examples" / "specs" / "parity.json"


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any]]:
    rc = main([*argv, "--json"])
    return rc, json.loads(capsys.readouterr().out)


def test_verify_alternating_reports_closed_form_sign_test_parity_and_gradients(
        capsys: pytest.CaptureFixture[str]) -> None:
    rc, out = run_json(capsys, "verify", "alternating", "--h0", "-3", "--max-len", "6")
    assert rc == 0 and out["holds"] and out["closed_form_holds"]
    assert out["output"]["holds"] and out["output"]["h0"] == -3 and out["output"]["sign_violations"] == 0
    assert out["gradients"]["holds"] and out["gradients"]["T"] == 6 and out["gradients"]["dh_max_abs_error"] == 0
    assert out["parity"]["disagreements"] > 0
    assert main(["verify", "alternating", "--max-len", "5"]) == 0
    text = capsys.readouterr().out
    assert "sign of the alternating sum" in text and "dh_T/dx_i = (-1)^(T-i) exactly" in text


def test_compile_config_checks_every_listed_automaton(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    cfg = CompilerCheckConfig(builtin=("all-ones",), random_sizes=(3,), random_pair_sizes=(), exhaustive_len=6,
                              sim_length=100, sim_inputs=20)
    path = tmp_path / "c.toml"
    path.write_text(tomli_w.dumps(cfg.to_dict()))
    rc, out = run_json(capsys, "compile", "--config", str(path), "--activation", "sigmoid")
    assert rc == 0 and out["holds"] and [r["automaton"] for r in out["automata"]] == ["all-ones", "random-3"]
    assert all(r["float64_agree"] and r["proved"] for r in out["automata"])
    assert main(["compile", "--config", str(path)]) == 0
    assert "every net proved and independently checked" in capsys.readouterr().out


@pytest.mark.parametrize(("argv", "message"), [
    (["compile"], "either SPEC.json or --config"),
    (["compile", str(PARITY), "--config", "c.toml"], "either SPEC.json or --config"),
    (["compile", "--config", "missing.toml"], "cannot read config file"),
])
def test_compile_config_bad_input(capsys: pytest.CaptureFixture[str], argv: list[str], message: str) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_compile_config_bad_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    for text, message in (("sizes = [2]", "unknown setting"), ("x = ", "not valid TOML"),
                          ("dtypes = ['float16']", "unknown dtypes")):
        path = tmp_path / "bad.toml"
        path.write_text(text)
        assert main(["compile", "--config", str(path)]) == 2
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1


def test_add_random_numbers(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out = run_json(capsys, "add", "--bits", "300", "--additions", "2", "--seed", "5")
    assert rc == 0 and out == {"holds": True, "bits": 300, "additions": 2, "seed": 5, "wrong_sums": 0,
                               "first_wrong": None}
    assert main(["add", "--bits", "8"]) == 0
    assert "3/3 sums" in capsys.readouterr().out
    assert main(["add", "--bits", "0"]) == 2
