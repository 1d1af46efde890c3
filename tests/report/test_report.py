"""The report as a whole: verdicts against expectations, exit status, the cache, partial runs that lose nothing."""

import json
import os
import stat
from dataclasses import replace
from pathlib import Path

import pytest

from rnnlab.cli.main import main
from rnnlab.report import exact_parts
from rnnlab.report.build import SCHEMA_VERSION, build_report
from rnnlab.report.claims import FAILS, HOLDS


def test_verdicts_expectations_and_metadata(tmp_path: Path) -> None:
    rep = build_report(tmp_path / "rep", "quick", only=["S7", "S8"], cache_dir=tmp_path / "cache")
    data = json.loads(rep.json_path.read_text())
    assert data["schema_version"] == SCHEMA_VERSION
    assert {"rnnlab", "git_commit", "torch", "numpy", "matplotlib", "python"} <= set(data["versions"])
    by_id = {c["id"]: c for c in data["claims"]}
    # The sheet's slips are computed by the verifier, expected not to hold, and shown as slips caught.
    for cid, cex in (("S7.h0-zero", "1"), ("S8.as-written", "0")):
        assert by_id[cid]["verdict"] == by_id[cid]["expected"] == FAILS
        assert by_id[cid]["kind"] == "sheet slip caught" and by_id[cid]["expected_because"]
        assert by_id[cid]["evidence"]["counterexample"]["input"] == cex
    assert by_id["S7.sheet-weights"]["kind"] == "sheet confirmed"
    assert data["summary"] == {"claims": len(by_id), "as_expected": len(by_id), "unexpected": []}
    assert rep.unexpected == []
    assert set(data["parts"]) == {"S7", "S8"} and all(p["seconds"] >= 0 for p in data["parts"].values())
    assert not [p for p in rep.html_path.parent.iterdir() if p.name.startswith(".")]


def test_cache_is_used_and_a_corrupt_cache_file_is_recomputed(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = build_report(tmp_path / "rep", "quick", only=["S7"], cache_dir=cache)
    again = build_report(tmp_path / "rep", "quick", only=["S7"], cache_dir=cache)
    assert again.cached_parts == ["S7"] and not again.notes
    assert [c.to_dict() for c in again.claims] == [c.to_dict() for c in first.claims]
    (cache_file,) = cache.glob("S7-*.json")
    cache_file.write_text("{not json")
    third = build_report(tmp_path / "rep", "quick", only=["S7"], cache_dir=cache)
    assert third.cached_parts == [] and str(cache_file) in third.notes[0]
    assert [c.to_dict() for c in third.claims] == [c.to_dict() for c in first.claims]
    json.loads(cache_file.read_text())  # rewritten whole


def test_partial_run_keeps_the_other_parts(tmp_path: Path) -> None:
    out, cache = tmp_path / "rep", tmp_path / "cache"
    build_report(out, "quick", only=["S7", "S8"], cache_dir=cache)
    before = json.loads((out / "results.json").read_text())
    build_report(out, "quick", only=["S7"], cache_dir=cache)
    after = json.loads((out / "results.json").read_text())
    assert [c["id"] for c in after["claims"]] == [c["id"] for c in before["claims"]]
    assert set(after["parts"]) == {"S7", "S8"}
    assert after["parts"]["S8"]["run"] == before["parts"]["S8"]["run"]
    assert "S8.adder" in (out / "index.html").read_text()


def test_files_follow_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        rep = build_report(tmp_path / "rep", "quick", only=["S7"], cache_dir=tmp_path / "cache")
    finally:
        os.umask(old)
    for path in (rep.html_path, rep.json_path):
        assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_exit_status_is_1_when_a_verdict_is_not_the_expected_one(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("RNNLAB_CACHE_DIR", str(tmp_path / "cache"))
    assert main(["report", "--out", str(tmp_path / "a"), "--only", "S7"]) == 0
    assert "4 as expected, 0 not" in capsys.readouterr().out
    # A regression: the check now expects the sheet's weights to fail from h_0 = 1 as well.
    wrong = replace(exact_parts.S7_SHEET, expected=FAILS, expected_because="a deliberately wrong baseline")
    monkeypatch.setattr(exact_parts, "S7_SHEET", wrong)
    monkeypatch.setenv("RNNLAB_CACHE_DIR", str(tmp_path / "cache2"))
    assert main(["report", "--out", str(tmp_path / "b"), "--only", "S7", "--json"]) == 1
    summary = json.loads(capsys.readouterr().out)
    assert summary["unexpected"] == ["S7.sheet-weights"] and summary["as_expected"] == 3


def test_report_bad_input_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert main(["report", "--out", str(blocker / "sub"), "--only", "S7"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot write the report" in err
    assert main(["report", "--out", str(tmp_path), "--only", "S99"]) == 2
    assert "unknown part" in capsys.readouterr().err


def test_report_includes_a_finished_sweep(tmp_path: Path) -> None:
    from rnnlab.sweep.config import load_config
    from rnnlab.sweep.runner import run_sweep

    repo = Path(__file__).resolve().parents[2]
    config = load_config(repo / "examples" / "sweeps" / "tiny.toml")
    run_sweep(config, tmp_path / "sweep", workers=1)
    rep = build_report(tmp_path / "report", "quick", only=["S7"], sweeps=[tmp_path / "sweep"],
                       cache_dir=tmp_path / "cache")
    sweep_claim = next(c for c in rep.claims if c.part == "sweep")
    assert sweep_claim.holds and sweep_claim.evidence["missing"] == 0
    rows = sweep_claim.evidence["rows"]
    assert len(rows) == 4 and all(r["finished"] == 3 for r in rows)
    for r in rows:
        lo, hi = r["success_ci95"]
        assert lo <= r["success_rate"] <= hi
    assert (tmp_path / "report" / "figures" / "sweep-tiny.png").stat().st_size > 0
    # The reproduce command names the config the report wrote, and that config reruns the same sweep.
    toml = tmp_path / "report" / "configs" / "sweep-tiny.toml"
    assert str(toml) in sweep_claim.reproduce
    assert load_config(toml).to_dict() == config.to_dict()


def test_sweep_claim_flips_when_a_trial_is_missing(tmp_path: Path) -> None:
    from rnnlab.report.sweep_parts import measure_sweep, sweep_spec
    from rnnlab.sweep.config import load_config
    from rnnlab.sweep.runner import run_sweep

    repo = Path(__file__).resolve().parents[2]
    run_sweep(load_config(repo / "examples" / "sweeps" / "tiny.toml"), tmp_path / "sweep", workers=1)
    spec = sweep_spec("tiny")
    assert spec.judge(measure_sweep(tmp_path / "sweep")) == HOLDS
    next((tmp_path / "sweep" / "trials").glob("*.json")).unlink()
    assert spec.judge(measure_sweep(tmp_path / "sweep")) == FAILS


def test_report_s3_bound_claims(tmp_path: Path) -> None:
    rep = build_report(tmp_path / "rep", "quick", only=["S3"], cache_dir=tmp_path / "cache")
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
