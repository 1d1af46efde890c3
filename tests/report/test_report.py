"""The report: every claim gets a row with a computed verdict; cached per part; written atomically."""

import json
from pathlib import Path

import pytest

from rnnlab.cli.main import main
from rnnlab.report.build import build_report


def test_report_rows_verdicts_and_cache(tmp_path: Path) -> None:
    rep = build_report(tmp_path, "quick", only=["S7", "S8"])
    data = json.loads(rep.json_path.read_text())
    verdicts = {c["id"]: c["verdict"] for c in data["claims"]}
    # The sheet's claims that do not hold get rows too, with the verdict computed by the verifier.
    assert verdicts["S7.h0-zero"] == "does not hold"
    assert verdicts["S8.as-written"] == "does not hold"
    assert verdicts["S7.sheet-weights"] == verdicts["S8.equality"] == verdicts["S8.adder"] == "holds"
    h0_zero = next(c for c in data["claims"] if c["id"] == "S7.h0-zero")
    assert h0_zero["evidence"]["counterexample"]["input"] == "1"
    page = rep.html_path.read_text()
    assert "S7.h0-zero" in page and "does not hold" in page
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".index") or p.name.startswith(".results")]
    again = build_report(tmp_path, "quick", only=["S7", "S8"])
    assert again.cached_parts == ["S7", "S8"]
    assert [c.to_dict() for c in again.claims] == [c.to_dict() for c in rep.claims]


def test_report_s1_has_embedded_figure(tmp_path: Path) -> None:
    rep = build_report(tmp_path, "quick", only=["S1"])
    assert {c.id: c.verdict for c in rep.claims} == {
        "S1.closed-form": "holds", "S1.not-parity": "holds", "S1.gradients": "holds"}
    assert "data:image/png;base64," in rep.html_path.read_text()


def test_report_bad_input_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert main(["report", "--out", str(blocker / "sub"), "--only", "S7"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot write the report" in err
    assert main(["report", "--out", str(tmp_path), "--only", "S99"]) == 2
    assert "unknown part" in capsys.readouterr().err


def test_report_s3_bound_claims(tmp_path: Path) -> None:
    rep = build_report(tmp_path, "quick", only=["S3"])
    by_id = {c.id: c for c in rep.claims}
    assert set(by_id) == {"S3.jacobian", "S3.bound", "S3.vanishing"}
    bound = by_id["S3.bound"].evidence
    # The verdict is the measured violation count; trials with ||W||_2 > 4 are included.
    assert by_id["S3.bound"].holds == (bound["sigmoid"]["violations"] == 0 and bound["tanh"]["violations"] == 0)
    assert bound["sigmoid"]["trials_w_norm_above_4"] > 0
    assert bound["sigmoid"]["adversarial_max_ratio"] > 0.99  # the adversarial cells reach the bound
    cases = by_id["S3.vanishing"].evidence["cases"]
    assert by_id["S3.vanishing"].holds == all(c["decay_per_step"] < 1 and c["r2"] >= 0.95 for c in cases)
    assert any(c["w_norm"] > 4 for c in cases)  # a case where the bound does not force the decay


def test_report_includes_a_finished_sweep(tmp_path: Path) -> None:
    from rnnlab.sweep.config import load_config
    from rnnlab.sweep.runner import run_sweep

    repo = Path(__file__).resolve().parents[2]
    config = load_config(repo / "examples" / "sweeps" / "tiny.toml")
    run_sweep(config, tmp_path / "sweep", workers=1)
    rep = build_report(tmp_path / "report", "quick", only=["S7"], sweeps=[tmp_path / "sweep"])
    sweep_claim = next(c for c in rep.claims if c.part == "sweep")
    assert sweep_claim.holds and sweep_claim.evidence["missing"] == 0
    rows = sweep_claim.evidence["rows"]
    assert len(rows) == 4 and all(r["finished"] == 3 for r in rows)
    # The table recounts the trial files: success over seeds with a Wilson interval around it.
    for r in rows:
        lo, hi = r["success_ci95"]
        assert lo <= r["success_rate"] <= hi
    assert "<img alt='sweep.tiny'" in rep.html_path.read_text()
