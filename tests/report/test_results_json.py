"""results.json is reproducible: schema, time, versions and commit, cache use, which parts ran when; the cache key
moves with torch and the data files; the cache lives in the user's cache directory, not in the report folder."""

from __future__ import annotations

import json
import platform
from pathlib import Path

import matplotlib
import numpy
import platformdirs
import pytest
import torch

import rnnlab
from rnnlab.report import build
from rnnlab.report.build import SCHEMA_VERSION, build_report, default_cache_dir
from rnnlab.report.claims import Part, PartResult
from rnnlab.report.html import when


def test_payload_names_versions_cache_use_and_when_each_part_ran(tmp_path: Path) -> None:
    out, cache = tmp_path / "rep", tmp_path / "cache"
    build_report(out, "quick", only=["S7"], cache_dir=cache)
    first = json.loads((out / "results.json").read_text())
    assert first["schema_version"] == SCHEMA_VERSION
    assert first["versions"] == {**first["versions"], "rnnlab": rnnlab.__version__, "torch": torch.__version__,
                                 "numpy": numpy.__version__, "matplotlib": matplotlib.__version__,
                                 "python": platform.python_version()}
    assert "git_commit" in first["versions"]  # a commit in a checkout, None in an installed copy
    assert first["cached_parts"] == [] and first["parts_run"] == ["S7"]
    record = first["parts"]["S7"]
    assert record["run"] == first["timestamp"] and record["cached"] is False and record["seconds"] >= 0
    assert record["budget_s"] > 0
    assert "Ran now: S7 (" in (out / "index.html").read_text()
    # The cache went to the cache directory; the report folder holds the report only.
    assert [p.name for p in cache.iterdir()] == ["S7-quick.json"]
    assert {p.name for p in out.iterdir()} == {"index.html", "results.json", "figures", "configs"}

    build_report(out, "quick", only=["S8"], cache_dir=cache)
    second = json.loads((out / "results.json").read_text())
    # S7 was not run this time: kept with the time it ran; the page says so.
    assert second["parts_run"] == ["S8"] and set(second["parts"]) == {"S7", "S8"}
    assert second["parts"]["S7"] == record
    page = (out / "index.html").read_text()
    assert f"kept from the run of {when(record['run'])}" in page

    build_report(out, "quick", only=["S7", "S8"], cache_dir=cache)
    third = json.loads((out / "results.json").read_text())
    assert third["cached_parts"] == ["S7", "S8"] and third["parts"]["S7"]["cached"] is True
    assert "from the cache" in (out / "index.html").read_text()


def test_cache_key_moves_with_torch_and_the_data_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "data").mkdir()
    data = tmp_path / "data" / "text.txt"
    data.write_text("to be or not to be")
    monkeypatch.setattr(build, "PACKAGE", tmp_path)
    part = Part("S99", "test", lambda scale: PartResult(), lambda scale: {"n": 1}, data_files=("text.txt",))
    key = build._cache_key(part, "quick", "lib")
    assert build._cache_key(part, "quick", "lib") == key
    data.write_text("to be or not to be?")
    moved = build._cache_key(part, "quick", "lib")
    assert moved != key
    monkeypatch.setattr(build.torch, "__version__", "0.0.0-other")
    assert build._cache_key(part, "quick", "lib") != moved


def test_cache_dir_is_the_users_cache_directory(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("RNNLAB_CACHE_DIR", raising=False)
    assert default_cache_dir() == Path(platformdirs.user_cache_dir("rnnlab")) / "report"
    monkeypatch.setenv("RNNLAB_CACHE_DIR", str(tmp_path))
    assert default_cache_dir() == tmp_path
