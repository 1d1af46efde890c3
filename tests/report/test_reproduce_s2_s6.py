"""S2 and S6 reproduce commands: the config the report writes runs through the CLI and gives the evidence's numbers."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest
import tomli_w
import torch

from rnnlab.cli.main import main
from rnnlab.experiments.config import load_config
from rnnlab.experiments.embeddings import EmbeddingsConfig, run_embeddings
from rnnlab.experiments.exposure import ExposureConfig, run_exposure
from rnnlab.generation.schedules import default_schedule
from rnnlab.report import generation_parts as gp


def _cli_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    assert main([*argv, "--json"]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    return json.loads(out)  # type: ignore[no-any-return]


def _write(path: Path, cfg: Any) -> str:
    path.write_text(tomli_w.dumps(asdict(cfg)))
    return str(path)


@pytest.mark.parametrize("scale", ["quick", "full"])
def test_part_configs_round_trip_through_toml(scale: str, tmp_path: Path) -> None:
    for settings, cls in ((gp._s2_settings, EmbeddingsConfig), (gp._s6_settings, ExposureConfig)):
        cfg = settings(scale)
        assert load_config(cls, _write(tmp_path / "c.toml", cfg)) == cfg


def test_unknown_config_keys_are_refused_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("stepz = 3\nseeds = [0]\n")
    for command in ("exposure", "embeddings"):
        assert main([command, "--config", str(bad)]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "stepz" in err and "valid keys" in err and "seeds" in err
    bad.write_text("steps = [")
    assert main(["exposure", "--config", str(bad)]) == 2
    assert "not valid TOML" in capsys.readouterr().err
    bad.write_text("steps = 0\n")
    assert main(["exposure", "--config", str(bad)]) == 2  # the dataclass refuses the value
    assert "steps" in capsys.readouterr().err


TINY_S6 = ExposureConfig(strategies=("teacher", gp.SCHEDULED), seeds=(0, 1), steps=5, batch=4, seq_len=8, hidden=8,
                         embed_dim=4, eval_samples=32, train_sequences=64)


def test_s6_reproduce_command_prints_the_evidence(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = run_exposure(TINY_S6, figures=False)
    teacher = [r for r in result.runs if r.strategy == "teacher"]
    exposure = gp.measure_exposure([r.metrics for r in teacher], [r.seed for r in teacher])
    scheduled = gp.measure_scheduled(result)
    path = _write(tmp_path / "S6.toml", TINY_S6)
    d = _cli_json(capsys, "exposure", "--config", path, "--out", str(tmp_path / "figs"))
    runs = {(r["strategy"], r["seed"]): r for r in d["runs"]}
    for m in ("gap_early", "gap_late", "gap_growth", "kl_true", "kl_own"):
        assert exposure[m] == [runs["teacher", s][m] for s in TINY_S6.seeds]  # identical for the same seeds
    assert scheduled["scheduled_kl_own"] == [runs[gp.SCHEDULED, s]["kl_own"] for s in TINY_S6.seeds]
    assert scheduled["teacher_kl_own"] == [runs["teacher", s]["kl_own"] for s in TINY_S6.seeds]
    assert d["config"] == {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(TINY_S6).items()}


def test_s6_decays_reproduce_command(capsys: pytest.CaptureFixture[str]) -> None:
    steps = 100
    ev = gp.measure_decays(default_schedule, steps)["schedules"]["inverse-sigmoid"]
    d = _cli_json(capsys, "schedule", "inverse-sigmoid", "--span", str(steps), "--steps",
                  f"0,{steps // 2},{steps - 1}")
    assert d["eps"] == [ev["eps_first"], ev["eps_mid"], ev["eps_last"]] and d["k"] == ev["k"]


def test_s2_reproduce_command_prints_the_evidence(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    g = torch.Generator().manual_seed(0)
    words = [f"w{chr(97 + i // 26)}{chr(97 + i % 26)}" for i in range(80)]
    weights = 1.0 / torch.arange(1, 81, dtype=torch.float64)  # Zipf-like frequencies
    text = " ".join(words[int(i)] for i in torch.multinomial(weights, 6000, replacement=True, generator=g))
    (tmp_path / "t.txt").write_text(text)
    cfg = EmbeddingsConfig(vocab_sizes=(10, 300), dim=8, tokens=4, repeats=1, growth_vocab=30, cosine_vocab=40,
                           data=str(tmp_path / "t.txt"), epochs=1, vector_dim=8, words=("waa",), test_queries=20,
                           matched=2, oracle_words=80)
    res = run_embeddings(cfg)
    sparse = gp.measure_sparse(res.costs)
    sim = gp.measure_similarity(res.similarity)
    d = _cli_json(capsys, "embeddings", "--config", _write(tmp_path / "S2.toml", cfg))
    for mine, theirs in zip(sparse["rows"], d["costs"], strict=True):
        for k in ("vocab", "one_hot_bytes", "index_bytes", "nonzeros_per_input", "matmul_flops", "lookup_flops",
                  "equal"):
            assert mine[k] == theirs[k]
    assert d["growth"] == json.loads(json.dumps(asdict(res.growth)))
    assert d["one_hot_max_cosine"] == res.one_hot_max_cosine == 0.0
    assert d["similarity"]["neighbour"] == sim["neighbour_similarity"]
    assert d["similarity"]["matched"] == sim["matched_random_similarity"]


def test_s6_coin_reproduce_command_prints_the_evidence(capsys: pytest.CaptureFixture[str]) -> None:
    argv = gp.COIN_COMMAND.split()
    assert argv[:2] == ["rnnlab", "coin"] and argv[-1] == "--json"
    printed = _cli_json(capsys, *argv[1:-1])
    evidence = gp.coin_evidence()
    assert printed["rows"] == evidence["rows"] and printed["sequences"] == evidence["sequences"]


def test_coin_prints_a_table_and_refuses_a_length_of_one(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["coin", "--sequences", "8", "--length", "5"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 2 + 3 and out[2].split()[0] == "0.25"
    assert main(["coin", "--length", "1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--length" in err[0]
