"""Benchmark of the main job: `rnnlab report --scale quick` from a cold cache."""

from __future__ import annotations

import tempfile
import time

from rnnlab.bench.case import Case, Result

TARGET_S = 120.0  # the quick report must finish in under two minutes on 2 cores


def report_quick_s() -> Result:
    from rnnlab.report.build import build_report

    with tempfile.TemporaryDirectory(prefix="rnnlab-bench-report-") as out:
        start = time.perf_counter()
        rep = build_report(out, "quick", cache_dir=f"{out}/cache")
        seconds = time.perf_counter() - start
    return Result("report_quick_s", seconds, "s", None, None, f"< {TARGET_S:g} s",
                  f"every part at scale quick, empty cache, {len(rep.claims)} claims; no baseline: "
                  "the target is absolute", seconds < TARGET_S)


CASES = [Case("report_quick_s", report_quick_s, "rnnlab report --scale quick from a cold cache (target < 120 s)")]
