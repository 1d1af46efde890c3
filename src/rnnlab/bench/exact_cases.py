"""Benchmarks of the foundation: the core recurrence and the verifier."""

from __future__ import annotations

from rnnlab.bench.case import Case

CASES: list[Case] = []
