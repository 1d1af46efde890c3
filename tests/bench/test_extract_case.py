"""The extract benchmark's rows: one trained net, extracted, beside AALpy's recipe (slow: it trains)."""

from __future__ import annotations

import pytest

from rnnlab.bench.extract_cases import tomita_rows
from rnnlab.extract.lstar import STATUSES


@pytest.mark.slow
def test_tomita_rows_report_outcome_and_baseline(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RNNLAB_CACHE_DIR", str(tmp_path))
    rows = tomita_rows((("tomita1", "tanh"),), time_limit=30.0)
    assert len(rows) == 1 and rows[0]["status"] in STATUSES and rows[0]["status"] != "counterexample"  # a target
    assert not rows[0]["ours_contradicted"]  # a certified DFA is never contradicted
    assert list((tmp_path / "extract-nets").glob("*/tomita1-tanh-h8-s0.json"))  # one folder per training code
