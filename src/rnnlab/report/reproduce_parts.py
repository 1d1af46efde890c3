"""S12's published result: Pascanu et al. 2013's temporal-order table, rerun (rnnlab reproduce pascanu2013).

The evidence is the latest finished `rnnlab reproduce pascanu2013` run in its default folder (the user's cache
directory), saying which budget it ran at; without one, the part runs the quick budget (200 updates per run, against
the paper's up to 5M): its smart-tanh cells at quick scale, which fit the quick report's time, all of it at full.
"""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path
from typing import Any

from rnnlab.dynamics.training import torch_threads
from rnnlab.experiments import pascanu2013 as p13
from rnnlab.report.claims import FAILS, HOLDS, INCONCLUSIVE, ClaimSpec, Part, PartResult, new_figure

SUBSET_INIT = "tanh_smart"  # quick scale: the init the paper's best method is shown with


def _inits(scale: str) -> tuple[str, ...]:
    return (SUBSET_INIT,) if scale == "quick" else tuple(p13.INITS)


def finished_runs() -> list[Path]:
    """The default reproduce folders that hold a finished run, the most recently finished first."""
    found = [p13.default_out(b) for b in p13.BUDGETS if p13.latest(p13.default_out(b)) is not None]
    return sorted(found, key=lambda d: (d / p13.MANIFEST).stat().st_mtime, reverse=True)


def _config(scale: str) -> dict[str, Any]:
    runs = finished_runs()
    if runs:  # the result is that run: its manifest (which holds the whole table) is the cache key
        return {"run": str(runs[0]), "digest": hashlib.sha256((runs[0] / p13.MANIFEST).read_bytes()).hexdigest()}
    budget = p13.BUDGETS["quick"]
    return {"run": None, "inits": list(_inits(scale)), "lengths": list(budget.lengths), "updates": budget.updates,
            "workers": 1}


def measure(reproduction: p13.Reproduction) -> dict[str, Any]:
    """Evidence: the labelled cells that were run, and the counts."""
    rows = [r for r in reproduction.rows() if r["successes"] is not None]
    return {"budget": reproduction.budget.name, "updates_per_run": reproduction.budget.updates,
            "paper_updates_per_run": p13.PAPER_UPDATES, "counts": reproduction.counts(), "cells": rows,
            "generalisation": reproduction.generalisation}


def judge(ev: dict[str, Any]) -> str:
    """holds iff every cell run reproduced the paper's statement; does not hold if any did not; inconclusive if
    no cell was run."""
    run = [r for r in ev["cells"] if r["status"] != "not run at this budget"]
    if not run:
        return INCONCLUSIVE
    return HOLDS if all(r["status"] == "reproduced" for r in run) else FAILS


def spec(updates: int) -> ClaimSpec:
    """The claim; a budget under the paper's cap is expected not to reproduce the cells that need more updates."""
    short = updates < p13.PAPER_UPDATES
    return ClaimSpec(
        "S12.pascanu-table",
        "Pascanu et al.'s temporal-order results (Section 4.1, Fig. 7) hold in every cell rerun: MSGD-CR solves "
        "every length up to 200 (5/5 runs, as Fig. 7 is read), clipping does at least as well as plain MSGD",
        source="paper", source_says=HOLDS, expected=FAILS if short else HOLDS, cite=p13.SOURCE,
        expected_because=(f"runs here stop at {updates:,} updates, the paper's at up to {p13.PAPER_UPDATES:,}: on "
                          "its lengths (50 to 200) plain SGD at lr 0.01 does not solve the task that soon"
                          if short else None),
        criterion="Each cell (init x method x length, 5 seeds trained as one batch, success = under 1% errors on "
                  "10,000 fresh sequences) is labelled against the paper's statement for it: holds iff every cell "
                  "run is reproduced; inconclusive when no cell was run",
        judge=judge)


def s12(scale: str) -> PartResult:
    out = PartResult()
    runs = finished_runs()
    if runs:
        reproduction = p13.latest(runs[0])
        assert reproduction is not None
        where = f"the finished `rnnlab reproduce` run at budget {reproduction.budget.name} in {runs[0]}"
        command = f"rnnlab reproduce pascanu2013 --budget {reproduction.budget.name} --json"
    else:
        inits = _inits(scale)
        with tempfile.TemporaryDirectory() as tmp, torch_threads(1):
            reproduction = p13.reproduce(p13.BUDGETS["quick"], tmp, workers=1, inits=inits)
        which = "every cell" if len(inits) == len(p13.INITS) else f"the {p13.INIT_LABELS[SUBSET_INIT]} cells"
        where = f"{which} of the quick budget, run now (no finished `rnnlab reproduce` run found)"
        command = "rnnlab reproduce pascanu2013 --budget quick --json" + (
            "" if len(inits) == len(p13.INITS) else "  # the report ran its smart tanh rows")
    ev = measure(reproduction)
    ev["from"] = where
    fig, axes = new_figure(9.6, 3.4, len(p13.INITS))
    p13.draw_success(list(axes), reproduction)
    c = ev["counts"]
    fig.suptitle(f"Budget {ev['budget']} ({ev['updates_per_run']:,} updates per run): {c['reproduced']} cells "
                 f"reproduced, {c['not reproduced']} not", fontsize=10)
    figure = out.add_figure("s12-pascanu", fig, "Success rate of 5 seeds against length, per method; a filled "
                            "marker is a cell that reproduced the paper's statement, a hollow one a cell that did "
                            "not; the dashed line is the paper's MSGD-CR (5/5 up to 200).")
    out.tables["S12-pascanu"] = [{k: r[k] for k in ("init", "method", "T", "seeds", "successes", "median_updates",
                                                    "status", "paper", "updates_budget")} for r in ev["cells"]]
    out.claims.append(spec(ev["updates_per_run"]).decide(
        ev, scale={"budget": ev["budget"], "updates_per_run": ev["updates_per_run"], "seeds": p13.SEEDS,
                   "from": where},
        reproduce=command,
        key=f"{c['reproduced']} reproduced, {c['not reproduced']} not (budget {ev['budget']}, "
            f"{ev['updates_per_run']:,} updates per run)",
        figures=(figure,)))
    return out


PARTS = [Part("S12", "S12. A published table rerun: Pascanu et al. 2013, temporal order", s12, _config,
              budget_s=15.0)]
