"""Every S1, S7, S8 and S9 claim's reproduce command, run through the CLI at the part's smallest size, prints the
evidence's numbers: equal, not merely close (these claims are exact)."""

import json
import shlex
from pathlib import Path
from typing import Any

import pytest
import tomli_w

from rnnlab.cli.main import main
from rnnlab.exact.compiler_check import CompilerCheckConfig
from rnnlab.report import exact_parts as ep
from rnnlab.report.claims import Claim, PartResult

SMALL_S9 = CompilerCheckConfig(builtin=("all-ones", "carry"), random_sizes=(2, 4), random_pair_sizes=(2,),
                               exhaustive_len=6, sim_length=50, sim_inputs=20)


@pytest.fixture(scope="module")
def results() -> dict[str, PartResult]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(ep, "_s1_config", lambda scale: {"max_len": 4, "h0": list(ep.S1_H0), "real_inputs": 1000,
                                                    "seed": 0})
        mp.setattr(ep, "_s8_config", lambda scale: {"adder_bits": 24, "additions": 2, "seed": 3})
        mp.setattr(ep, "_s9_config", lambda scale: {"exhaustive_len": 6, "compiler": SMALL_S9.to_dict()})
        return {p.id: p.run("quick") for p in ep.PARTS}


def run(command: str, configs: Path, capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    """Each `; `-separated command through main(); their JSON outputs in order."""
    outputs = []
    for part in command.replace("{configs}", str(configs)).split(ep.JOIN):
        argv = shlex.split(part)
        assert argv[0] == "rnnlab" and argv[-1] == "--json"
        main(argv[1:])
        outputs.append(json.loads(capsys.readouterr().out))
    return outputs


def check(claim: Claim, outs: list[dict[str, Any]]) -> None:
    ev = claim.evidence
    if claim.id == "S1.closed-form":
        assert len(outs) == len(ev["by_h0"])
        for row, out in zip(ev["by_h0"], outs, strict=True):
            assert out["closed_form_holds"] == row["holds"] and out["counterexample"] == row["counterexample"]
            for k in ("max_len", "binary_sequences", "real_sequences", "max_abs_error", "sequences"):
                assert out[k] == row[k], k
    elif claim.id in ("S1.sign-test", "S1.gradients"):
        key = "output" if claim.id == "S1.sign-test" else "gradients"
        assert [out[key] for out in outs] == ev["by_h0"]
    elif claim.id == "S1.not-parity":
        assert [out["parity"] for out in outs] == [ev]
    elif claim.id == "S7.sheet-example":
        assert ["".join(f"{v:g}" for v in out["y"]) for out in outs] == [ev["output"]]
    elif claim.id == "S8.adder-long":
        assert outs == [ev]
    elif claim.id == "S9.two-oracles":
        assert len(outs) == len(ev["nets"])
        for row, out in zip(ev["nets"], outs, strict=True):
            cex = out["counterexample"]
            assert (out["holds"], out["states_explored"], out["exhaustive"]["holds"], out["exhaustive"]["max_len"],
                    out["oracles_agree"], cex["input"] if cex else None) == (
                row["proof_holds"], row["states_explored"], row["exhaustive_holds"], row["exhaustive_max_len"],
                row["agree"], row["shortest_counterexample"])
    elif claim.id.startswith("S9.compiler"):
        assert [out["automata"] for out in outs] == [ev["automata"]]
        assert outs[0]["holds"] == (claim.verdict == "holds")
    else:  # the proofs of S7 and S8
        assert [(o["holds"], o["states_explored"], o["counterexample"]) for o in outs] == [
            (ev["proved_for_every_length"], ev["states_explored"], ev["counterexample"])]


@pytest.mark.parametrize("part", ["S1", "S7", "S8", "S9"])
def test_reproduce_commands_print_the_evidence(part: str, results: dict[str, PartResult], tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    result = results[part]
    for name, cfg in result.configs.items():
        (tmp_path / f"{name}.toml").write_text(tomli_w.dumps(cfg))
    assert result.claims
    for claim in result.claims:
        assert claim.verdict == claim.expected, claim.id
        check(claim, run(claim.reproduce, tmp_path, capsys))


def test_every_claim_is_fully_stated(results: dict[str, PartResult]) -> None:
    for result in results.values():
        for c in result.claims:
            assert c.criterion and c.key and c.scale and c.source_says and c.reproduce, c.id
            for f in c.figures:
                assert result.figures[f].caption.strip(), f
    ids = [c.id for r in results.values() for c in r.claims]
    assert len(ids) == len(set(ids)) == 4 + 4 + 5 + 3
    steppers = {k for r in results.values() for k in r.steppers}
    assert {"alternating", "compiled-threshold-serial-sum", "compiled-sigmoid-all-ones"} <= steppers
    json.dumps([r.steppers for r in results.values()])
    json.dumps([r.tables for r in results.values()])
