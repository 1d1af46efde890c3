"""Success rates per grid point over seeds, with their spread (SPEC S4, S5: success against length, per cell).

A run succeeds when it makes under 1% errors on 10,000 fresh sequences (Pascanu et al. 2013). Over n seeds
with k successes the rate is k/n; its spread is given as the 95% Wilson score interval (Wilson 1927), which
stays inside [0, 1] and is honest at k = 0 or k = n, and the test error as mean and standard deviation.
"""

from __future__ import annotations

import itertools
import math
import statistics
from dataclasses import dataclass
from typing import Any

from rnnlab.sweep.store import SweepResult

SEED = "seed"
Z95 = 1.959963984540054  # the 97.5% quantile of the standard normal


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval for a binomial proportion k/n (n >= 1)."""
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class PointSummary:
    """One grid point (every grid value but the seed) over its seeds."""

    point: dict[str, Any]  # the grid values, e.g. {"cell": "skip", "T": 40}
    seeds: int  # trials at this point in the grid (one per seed)
    finished: int  # of those, finished without error
    errors: int  # of those, finished with an error (the trial raised)
    solved: int  # finished runs that met the success criterion
    success_rate: float | None  # solved / finished (None when none finished)
    success_ci95: tuple[float, float] | None  # Wilson 95% interval of the success rate
    test_error_mean: float | None  # mean test error rate over the finished runs
    test_error_std: float | None  # its sample standard deviation (0 for a single run)

    def to_dict(self) -> dict[str, Any]:
        return {"point": self.point, "seeds": self.seeds, "finished": self.finished, "errors": self.errors,
                "solved": self.solved, "success_rate": self.success_rate,
                "success_ci95": list(self.success_ci95) if self.success_ci95 else None,
                "test_error_mean": self.test_error_mean, "test_error_std": self.test_error_std}


@dataclass(frozen=True)
class Summary:
    """A sweep's success table: one row per grid point, in grid order."""

    name: str  # the sweep's name
    keys: list[str]  # the grid keys of a point (the grid's keys without the seed)
    rows: list[PointSummary]
    missing: int  # trials of the grid with no record yet

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "keys": self.keys, "missing": self.missing, "rows": [r.to_dict() for r in self.rows]}

    def pivot(self, row_key: str, col_key: str) -> tuple[list[Any], list[Any], list[list[float | None]]]:
        """Success rates as a matrix (e.g. rows = cells, columns = lengths): (row values, column values, rates).

        Needs a grid of exactly these two keys (besides the seed)."""
        if sorted(self.keys) != sorted([row_key, col_key]):
            raise ValueError(f"pivot needs the grid keys {self.keys}, got {row_key!r} and {col_key!r}")
        rows = list(dict.fromkeys(r.point[row_key] for r in self.rows))
        cols = list(dict.fromkeys(r.point[col_key] for r in self.rows))
        rate = {(r.point[row_key], r.point[col_key]): r.success_rate for r in self.rows}
        return rows, cols, [[rate.get((a, b)) for b in cols] for a in rows]


def summarize(sweep: SweepResult) -> Summary:
    """Group the finished trials by grid point (all grid values but the seed) and measure success over seeds."""
    keys = [k for k in sweep.config.grid if k != SEED]
    rows = []
    for values in itertools.product(*(sweep.config.grid[k] for k in keys)):
        point = dict(zip(keys, values, strict=True))
        trials = [t for t in sweep.trials if all(t.params[k] == point[k] for k in keys)]
        records = [sweep.records[t.id] for t in trials if t.id in sweep.records]
        ok = [r.result for r in records if r.status == "ok" and r.result is not None]
        solved = sum(bool(r["solved"]) for r in ok)
        errs = [float(r["test_error"]) for r in ok]
        n = len(ok)
        rows.append(PointSummary(
            point={k: trials[0].params[k] for k in keys} if trials else point, seeds=len(trials), finished=n,
            errors=sum(r.status != "ok" for r in records), solved=solved, success_rate=solved / n if n else None,
            success_ci95=wilson(solved, n) if n else None, test_error_mean=statistics.fmean(errs) if n else None,
            test_error_std=(statistics.stdev(errs) if n > 1 else 0.0) if n else None))
    return Summary(sweep.config.name, keys, rows, len(sweep.missing))
