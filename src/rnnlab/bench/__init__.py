"""Benchmarks run by `rnnlab bench`: each case measures rnnlab and its baseline side by side in one run.

Each area module exposes CASES: list[Case]; all_cases() gathers them in a fixed order.
"""

from __future__ import annotations

from rnnlab.bench.case import Case, Result


def all_cases() -> list[Case]:
    from rnnlab.bench import (
        dynamics_cases,
        exact_cases,
        extract_cases,
        generation_cases,
        report_cases,
        run_cases,
        seeds_cases,
    )

    return [*exact_cases.CASES, *dynamics_cases.CASES, *generation_cases.CASES, *seeds_cases.CASES,
            *extract_cases.CASES, *run_cases.CASES, *report_cases.CASES]


__all__ = ["Case", "Result", "all_cases"]
