"""The temporal-order experiment of Pascanu, Mikolov & Bengio 2013 (Section 4.1): its protocol in one place.

What is followed, from the paper and the authors' code (github.com/pascanur/trainingRNNs, RNN.py):
- 50 hidden units, learning rate 0.01, batch 20, 5 seeds per cell; success = under 1% errors on 10,000
  fresh sequences (rnnlab.dynamics.tasks).
- Initialisations, as the code draws them (0.01 and 0.1 are standard deviations, rng.normal(scale=...)):
  sigmoid: U, W and the readout ~ N(0, 0.01); basic tanh: all three ~ N(0, 0.1); smart tanh: U and the readout
  ~ N(0, 0.01), W ~ N(0, 0.01) with all but 15 randomly chosen weights of each unit's row of their W_hh set to 0,
  then rescaled to spectral radius 0.95. Biases start at 0. Their W_hh acts on row vectors (h W_hh), so their
  rows are the columns of rnnlab's W (z = W h): each unit keeps 15 outgoing recurrent weights, as the code
  draws them (the paper's text says "15 non-zero incoming connections").
- Methods: MSGD (mini-batch SGD: the code's update is W <- W - lr g, no momentum), MSGD-C (norm clipping at 1),
  MSGD-CR (clipping and Omega with weight 4, the paper's; rnnlab.dynamics.regulariser says why not the code's 2).
- Up to 5,000,000 updates per run (the code's maxiters); a run stops once solved. Here a run is checked every
  CHECK_EVERY updates on 1,000 validation sequences (the code: every 20 on 10,000, stopping only at 0 errors)
  and then tested on 10,000.

A cell is (initialisation, method, length T): its SEEDS runs train as one batched computation
(rnnlab.dynamics.batched), and each run is stored as one record of the sweep store, so an interrupted run
resumes from the finished cells. Each cell is labelled against the paper's statement for it (PAPER): reproduced,
not reproduced, or not run at this budget. Each successful net is then tested on longer sequences.

    budget --cells--> train_batched (5 seeds) --> DIR/trials/<id>.json, one per seed --> table, labels, figure
"""

from __future__ import annotations

import json
import os
import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import platformdirs
import torch
from matplotlib.axes import Axes

from rnnlab import __version__
from rnnlab.dynamics.batched import train_batched
from rnnlab.dynamics.clipping import Clip
from rnnlab.dynamics.inits import INITS, SMART_NONZEROS, SMART_RADIUS, init_weights, sparse_recurrent
from rnnlab.dynamics.regulariser import DEFAULT_OMEGA_WEIGHT
from rnnlab.dynamics.tasks import TEST_SEQUENCES, get_task
from rnnlab.dynamics.training import TrainConfig, TrainResult, error_rate
from rnnlab.sweep.config import Trial, trial_id
from rnnlab.sweep.runner import run_local
from rnnlab.sweep.store import TRIALS_DIR, finished, save_record, write_json_atomic

__all__ = ["BUDGETS", "INITS", "METHODS", "PAPER", "SMART_NONZEROS", "SMART_RADIUS", "Budget", "CellResult",
           "Reproduction", "Statement", "cell_configs", "default_out", "draw_success", "draw_test_error",
           "estimate_cost", "init_weights", "label", "latest", "load", "paper_statement", "reproduce",
           "sparse_recurrent", "statements_note"]

HIDDEN = 50  # hidden units
LR = 0.01  # learning rate
BATCH = 20  # sequences per update
SEEDS = 5  # seeds per (init, method, length) cell
OPTIMIZER = "sgd"  # the authors' update has no momentum
METHODS = {  # name -> (clipping, weight of Omega)
    "MSGD": (Clip(), 0.0),
    "MSGD-C": (Clip("norm", 1.0), 0.0),
    "MSGD-CR": (Clip("norm", 1.0), DEFAULT_OMEGA_WEIGHT),
}
CELLS = {"sigmoid": "sigmoid", "tanh": "tanh", "tanh_smart": "tanh"}  # init -> rnnlab cell
INIT_LABELS = {"sigmoid": "sigmoid", "tanh": "basic tanh", "tanh_smart": "smart tanh"}
PAPER_UPDATES = 5_000_000  # the code's maxiters: the most updates a run of the paper was allowed
CHECK_EVERY = 100  # updates between validation checks (the granularity of "updates to success")
GENERALISATION_LENGTHS = (500, 1000, 2000, 5000)  # successful nets are tested on these longer sequences
SOURCE = "Pascanu, Mikolov & Bengio 2013, On the difficulty of training recurrent neural networks, ICML, Section 4.1"


@dataclass(frozen=True)
class Budget:
    """What one budget runs: every init x method at each length, each run capped at `updates`."""

    name: str  # quick | local | paper
    lengths: tuple[int, ...]  # sequence lengths T
    updates: int  # the most updates a run may take (runs stop once solved)
    generalisation_sequences: int  # fresh sequences per length in the generalisation test
    note: str  # what it is for
    generalisation_lengths: tuple[int, ...] = GENERALISATION_LENGTHS  # successful nets are tested at these lengths


# The budgets, in one table (lengths T, the update cap per run, generalisation sequences per length). Sized by
# measurement on the shared 2-core machine (one cell = 5 seeds batched, float32, one thread; `rnnlab reproduce
# pascanu2013 --budget paper` prints these rates): about 7 CPU-ms per update at T = 50 and 20 at T = 200 for
# MSGD / MSGD-C, 2-2.5 times that with Omega. local: 18 cells, about 4,400 CPU-seconds if every run goes to its
# cap; measured 23 minutes wall on two workers (2026-12-03, with other jobs sharing the 2 cores for most of it).
# quick: 9 cells, 22 s wall. paper: about 1,000 CPU-hours if every run went to its cap.
BUDGETS = {
    "quick": Budget("quick", (50,), 200, 200, "minutes: the shortest length, 200 updates"),
    "local": Budget("local", (50, 100), 12_000, 1000, "about half an hour on 2 cores (23 minutes measured)"),
    "paper": Budget("paper", (50, 100, 150, 200), PAPER_UPDATES, TEST_SEQUENCES,
                    "the paper's cap of 5M updates per run: a Ray job"),
}


@dataclass(frozen=True)
class Statement:
    """What the paper says about one cell, as data: `kind` says how a cell's result is held against it.

    solves: every seed succeeds (the cell's successes == seeds).
    at_least: the cell succeeds at least as often as method `than` at the same init and length.
    at_most: the cell succeeds no more often than method `than`.
    """

    text: str  # the statement, in words
    short: str  # the same in a few symbols, for tables
    kind: str  # solves | at_least | at_most
    than: str | None = None  # the method compared with (at_least, at_most)
    source: str = SOURCE


# What Section 4.1.1 says of Fig. 7 (success rate out of 5 runs against sequence length, one panel per
# initialisation). Its text gives no number per cell: "As the length of the sequence increases, using clipping
# becomes more important to achieve a better success rate", and, of one model trained on lengths 50 to 200,
# "We achieve a success rate of 100% over 5 seeds in this regime as well". The MSGD-CR statement reads that
# "as well" as the figure's MSGD-CR curves at 100% up to length 200: a reading of the figure, said so in `text`.
PAPER = {
    "MSGD-CR": Statement("MSGD-CR solves the task at every length up to 200 (5/5 runs; Fig. 7 as the text's "
                         "\"100% over 5 seeds ... as well\" describes it)", "5/5", "solves"),
    "MSGD-C": Statement("clipping succeeds at least as often as plain MSGD (\"as the length of the sequence "
                        "increases, using clipping becomes more important\")", ">= MSGD", "at_least", "MSGD"),
    "MSGD": Statement("plain MSGD succeeds no more often than MSGD-C (the same sentence, from MSGD's side)",
                      "<= MSGD-C", "at_most", "MSGD-C"),
}
PAPER_MAX_T = 200  # the paper's statements are for lengths 50 to 200


def paper_statement(method: str, T: int) -> Statement | None:
    """The paper's statement for a cell of this method and length (None beyond the lengths it reports)."""
    return PAPER[method] if T <= PAPER_MAX_T else None


def cell_configs(init: str, method: str, T: int, updates: int, seeds: int = SEEDS) -> list[TrainConfig]:
    """The TrainConfigs of one cell: the protocol above, one per seed 0..seeds-1 (they differ only in seed)."""
    if init not in INITS:
        raise ValueError(f"unknown initialisation {init!r}; valid: {', '.join(INITS)}")
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; valid: {', '.join(METHODS)}")
    clip, omega = METHODS[method]
    return [TrainConfig(task="temporal_order", cell=CELLS[init], init=init, T=T, hidden=HIDDEN, steps=updates,
                        batch=BATCH, lr=LR, optimizer=OPTIMIZER, clip=clip, omega=omega, seed=seed,
                        check_every=CHECK_EVERY, test_sequences=TEST_SEQUENCES) for seed in range(seeds)]


Key = tuple[str, str, int]  # (init, method, T)


def budget_cells(budget: Budget, inits: tuple[str, ...] = tuple(INITS)) -> list[Key]:
    return [(i, m, T) for i in inits for m in METHODS for T in budget.lengths]


def generalisation(result: TrainResult, lengths: tuple[int, ...], n: int) -> dict[str, float]:
    """Error rate of a trained net on n fresh sequences at each longer length (its own test generator)."""
    task = get_task(result.config.task)
    return {str(L): error_rate(result.model, task, L, n, torch.Generator().manual_seed(2_000_000 + result.config.seed))
            for L in lengths}


def train_cell(configs: list[TrainConfig], gen_lengths: tuple[int, ...],
               gen_sequences: int) -> list[dict[str, Any]]:
    """Train one cell's seeds as one batched computation; one result per seed, the generalisation test of each
    successful net included. The sweep's group function: run in a worker with one torch thread."""
    return [{"solved": r.solved, "test_error": r.test_error, "steps_run": r.steps_run, "final_loss": r.final_loss,
             "nonfinite_skipped": r.nonfinite_skipped, "clip": r.clip,
             "generalisation": generalisation(r, gen_lengths, gen_sequences) if r.solved else None}
            for r in train_batched(configs)]


def _no_solo(config: TrainConfig) -> dict[str, Any]:
    raise AssertionError("a cell always trains its seeds together (train_cell)")


def _trials(configs: list[TrainConfig], key: Key) -> list[Trial]:
    init, method, T = key
    return [Trial(trial_id(c), {"init": init, "method": method, "T": T, "seed": c.seed}, c) for c in configs]


def default_out(budget: str) -> Path:
    """Where `rnnlab reproduce pascanu2013 --budget BUDGET` writes by default, and where the report looks: the
    user's cache directory (RNNLAB_CACHE_DIR/reproduce when that is set, as for the report's cache)."""
    override = os.environ.get("RNNLAB_CACHE_DIR")
    base = Path(override) if override else Path(platformdirs.user_cache_dir("rnnlab"))
    return base / "reproduce" / f"pascanu2013-{budget}"


MANIFEST = "reproduce.json"
FORMAT = "rnnlab-reproduce-pascanu2013/1"


def reproduce(budget: Budget, out: str | Path, backend: str = "local", *, workers: int | None = None,
              address: str | None = None, progress: Callable[[int, int], None] | None = None,
              inits: tuple[str, ...] = tuple(INITS)) -> Reproduction:
    """Run every cell of the budget (of these initialisations) that has no records in `out` yet, then load and
    label everything. workers: processes of the local pool, or CPUs of a local Ray instance (default: all).

    Each seed's result is written to out/trials/<id>.json (the sweep store's record) the moment its cell ends,
    so a run stopped at any point continues from the finished cells. progress(done, total) after each cell.
    """
    if backend not in ("local", "ray"):
        raise ValueError(f"unknown backend {backend!r}; valid: local, ray")
    unknown = [i for i in inits if i not in INITS]
    if unknown or not inits:
        raise ValueError(f"unknown initialisation(s) {unknown}; valid: {', '.join(INITS)}")
    if address is not None and backend != "ray":
        raise ValueError(f"--address {address!r} is for the ray backend; add --backend ray")
    if backend == "ray":  # fail fast, before anything is written
        from rnnlab.sweep.ray_backend import check_reachable, import_ray

        import_ray()
        if address is not None:
            check_reachable(address)
    out = Path(out)
    try:
        (out / TRIALS_DIR).mkdir(parents=True, exist_ok=True)
        write_json_atomic(out / MANIFEST, {"format": FORMAT, "budget": budget.name, "lengths": list(budget.lengths),
                                           "updates": budget.updates, "finished": False})
    except OSError as e:
        raise ValueError(f"cannot write the output directory --out {str(out)!r}: {e.strerror or e}") from None
    start = time.perf_counter()
    units = []  # one per cell with a seed not finished (a cell whose training raised is run again)
    for key in budget_cells(budget, inits):
        trials = _trials(cell_configs(*key, budget.updates), key)
        done = finished(out, trials)
        if any(t.id not in done or done[t.id].status != "ok" for t in trials):
            units.append(trials)
    units.sort(key=lambda u: -u[0].config.T * (2 if u[0].config.omega > 0 else 1))  # the longest first
    n_workers = max(1, min(workers or os.cpu_count() or 1, len(units) or 1))
    if progress:
        progress(0, len(units))
    group = partial(train_cell, gen_lengths=budget.generalisation_lengths,
                    gen_sequences=budget.generalisation_sequences)
    results: Iterator[tuple[Trial, dict[str, Any]]]
    if not units:
        results = iter(())
    elif backend == "local":
        results = run_local(_no_solo, group, units, n_workers)
    else:
        from rnnlab.sweep.ray_backend import run_ray

        results = run_ray(_no_solo, group, units, address, n_workers)
    saved = 0
    try:
        for trial, record in results:
            save_record(out, trial, record, backend)  # persisted before anything else
            saved += 1
            if progress and saved % SEEDS == 0:
                progress(saved // SEEDS, len(units))
    finally:
        close = getattr(results, "close", None)
        if close is not None:
            close()  # stop the backend's workers (e.g. on Ctrl-C)
    reproduction = load(out, budget, seconds=time.perf_counter() - start, inits=inits)
    write_json_atomic(out / MANIFEST, {"format": FORMAT, "budget": budget.name, "lengths": list(budget.lengths),
                                       "updates": budget.updates, "inits": list(inits),
                                       "finished": reproduction.complete, "rnnlab": __version__,
                                       "result": reproduction.to_dict()})
    return reproduction


@dataclass(frozen=True)
class CellResult:
    """One cell as run: its seeds' outcomes (None when it was not run at this budget)."""

    init: str
    method: str
    T: int
    updates_budget: int | None  # the update cap of its runs (None: not run)
    solved: tuple[bool, ...]  # per seed
    steps: tuple[int, ...]  # updates each seed ran
    test_errors: tuple[float, ...]  # per seed, on the 10,000 test sequences

    @property
    def run(self) -> bool:
        return self.updates_budget is not None

    @property
    def successes(self) -> int:
        return sum(self.solved)

    @property
    def median_updates(self) -> float | None:
        """Median updates to success over the successful seeds (checked every CHECK_EVERY updates)."""
        won = [s for s, ok in zip(self.steps, self.solved, strict=True) if ok]
        return float(statistics.median(won)) if won else None


def label(cells: dict[Key, CellResult], key: Key, seeds: int = SEEDS) -> tuple[str, str]:
    """(status, why) of a cell against the paper's statement: reproduced | not reproduced | not run at this budget."""
    init, method, T = key
    cell = cells.get(key)
    statement = paper_statement(method, T)
    if cell is None or not cell.run:
        return "not run at this budget", "not in this budget's cells"
    if statement is None:
        return "not run at this budget", f"the paper reports lengths up to {PAPER_MAX_T} only"
    short = cell.updates_budget is not None and cell.updates_budget < PAPER_UPDATES
    budget_note = (f" within {cell.updates_budget:,} updates per run (the paper allowed {PAPER_UPDATES:,})"
                   if short else "")
    if statement.kind == "solves":
        if cell.successes == seeds:
            return "reproduced", f"{cell.successes}/{seeds} solved"
        return "not reproduced", f"{cell.successes}/{seeds} solved{budget_note}"
    assert statement.than is not None
    other = cells.get((init, statement.than, T))
    if other is None or not other.run:
        return "not run at this budget", f"{statement.than} was not run at this length"
    if cell.successes == 0 and other.successes == 0:
        return "not reproduced", f"neither {method} nor {statement.than} solved it{budget_note}"
    holds = cell.successes >= other.successes if statement.kind == "at_least" else cell.successes <= other.successes
    why = f"{method} {cell.successes}/{seeds} vs {statement.than} {other.successes}/{seeds}"
    return ("reproduced" if holds else "not reproduced"), why + ("" if holds else budget_note)


@dataclass(frozen=True)
class Reproduction:
    """The table, its labels and the generalisation test, as loaded from a reproduce directory."""

    budget: Budget
    cells: dict[Key, CellResult]  # every init x method x length of the paper's lengths and this budget's
    generalisation: list[dict[str, Any]]  # per successful net: init, method, T, seed, {length: error rate}
    seconds: float  # wall time of this run (0 when only loaded)
    complete: bool  # every cell of the budget has its records

    def rows(self) -> list[dict[str, Any]]:
        rows = []
        for key in sorted(self.cells, key=lambda k: (list(INITS).index(k[0]), list(METHODS).index(k[1]), k[2])):
            c = self.cells[key]
            status, why = label(self.cells, key)
            statement = paper_statement(c.method, c.T)
            rows.append({"init": c.init, "method": c.method, "T": c.T, "seeds": len(c.solved) if c.run else 0,
                         "successes": c.successes if c.run else None, "median_updates": c.median_updates,
                         "status": status, "why": why, "paper": statement.text if statement else None,
                         "paper_short": statement.short if statement else None,
                         "source": statement.source if statement else None,
                         "updates_budget": c.updates_budget, "paper_updates_budget": PAPER_UPDATES,
                         "test_errors": list(c.test_errors)})
        return rows

    def counts(self) -> dict[str, int]:
        out = {"reproduced": 0, "not reproduced": 0, "not run at this budget": 0}
        for r in self.rows():
            out[r["status"]] += 1
        return out

    def to_dict(self) -> dict[str, Any]:
        b = self.budget
        return {"budget": b.name, "lengths": list(b.lengths), "updates_per_run": b.updates,
                "paper_updates_per_run": PAPER_UPDATES, "complete": self.complete, "counts": self.counts(),
                "cells": self.rows(), "generalisation": self.generalisation,
                "generalisation_lengths": list(b.generalisation_lengths),
                "generalisation_sequences": b.generalisation_sequences, "seconds": self.seconds}


def load(out: str | Path, budget: Budget, seconds: float = 0.0,
         inits: tuple[str, ...] = tuple(INITS)) -> Reproduction:
    """Read a reproduce directory: every cell of the paper's lengths and the budget's, run or not (cells of other
    initialisations than `inits` count as not run)."""
    out = Path(out)
    lengths = sorted(set(BUDGETS["paper"].lengths) | set(budget.lengths))
    cells: dict[Key, CellResult] = {}
    gen: list[dict[str, Any]] = []
    complete = True
    for init in INITS:
        for method in METHODS:
            for T in lengths:
                key = (init, method, T)
                if T not in budget.lengths or init not in inits:
                    cells[key] = CellResult(init, method, T, None, (), (), ())
                    continue
                configs = cell_configs(init, method, T, budget.updates)
                records = finished(out, _trials(configs, key))
                results = [records[t.id].result for t in _trials(configs, key)
                           if t.id in records and records[t.id].status == "ok"]
                if len(results) < len(configs) or any(r is None for r in results):
                    complete = False
                    cells[key] = CellResult(init, method, T, None, (), (), ())
                    continue
                rs: list[dict[str, Any]] = [r for r in results if r is not None]
                cells[key] = CellResult(init, method, T, budget.updates, tuple(bool(r["solved"]) for r in rs),
                                        tuple(int(r["steps_run"]) for r in rs),
                                        tuple(float(r["test_error"]) for r in rs))
                for seed, r in enumerate(rs):
                    if r["solved"] and r.get("generalisation") is not None:
                        gen.append({"init": init, "method": method, "T": T, "seed": seed,
                                    "errors": {int(k): v for k, v in r["generalisation"].items()}})
    return Reproduction(budget, cells, gen, seconds, complete)


def latest(out: str | Path) -> Reproduction | None:
    """The finished reproduction stored in `out` (its manifest says finished), else None."""
    path = Path(out) / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT or not manifest.get("finished"):
        return None
    budget = BUDGETS.get(str(manifest.get("budget")))
    if (budget is None or list(budget.lengths) != manifest.get("lengths") or budget.updates != manifest.get("updates")
            or manifest.get("inits") != list(INITS)):
        return None  # a subset, or written under another definition of the budget
    r = load(out, budget)
    return r if r.complete else None


# --- the paper budget's cost, measured here ---------------------------------------------------------------------


@dataclass(frozen=True)
class CostEstimate:
    per_1k: dict[tuple[str, int], float]  # (method, T) -> CPU seconds per 1,000 updates of one cell (5 seeds batched)
    cells: int  # cells of the budget
    updates: int  # the cap per run
    total_cpu_s: float  # every cell to its cap, one CPU each

    def lines(self) -> list[str]:
        per = ", ".join(f"{m} T={T}: {s:.1f} s" for (m, T), s in sorted(self.per_1k.items(), key=lambda x: x[0][1]))
        hours = self.total_cpu_s / 3600
        return [f"measured on this machine, CPU seconds per 1,000 updates of one cell (5 seeds batched, 1 thread): "
                f"{per}",
                f"estimated total if every one of the {self.cells} cells runs to its cap of {self.updates:,} "
                f"updates: {hours:,.0f} CPU-hours ({hours / 24:,.1f} CPU-days); runs that solve stop earlier"]

    def to_dict(self) -> dict[str, Any]:
        return {"seconds_per_1k_updates": [{"method": m, "T": T, "seconds": s} for (m, T), s in self.per_1k.items()],
                "cells": self.cells, "updates_per_run": self.updates, "total_cpu_seconds": self.total_cpu_s}


def estimate_cost(budget: Budget, updates: int = 30) -> CostEstimate:
    """Time `updates` updates of one cell per method and length (the initialisation does not change the cost),
    and scale to the budget: every cell running to its cap."""
    per_1k: dict[tuple[str, int], float] = {}
    previous = torch.get_num_threads()
    try:
        for method in METHODS:
            for T in budget.lengths:
                configs = cell_configs("tanh_smart", method, T, updates)
                configs = [TrainConfig(**{**c.__dict__, "test_sequences": 1, "check_every": updates + 1})
                           for c in configs]  # time the updates alone
                start = time.process_time()  # CPU time: what a core of its own would take, however loaded this one is
                train_batched(configs)
                per_1k[(method, T)] = (time.process_time() - start) / updates * 1000
    finally:
        torch.set_num_threads(previous)
    total = sum(per_1k[(m, T)] * budget.updates / 1000 for _, m, T in budget_cells(budget))
    return CostEstimate(per_1k, len(budget_cells(budget)), budget.updates, total)


# --- the figure ---------------------------------------------------------------------------------------------------

METHOD_STYLE = {"MSGD": ("tab:blue", "o"), "MSGD-C": ("tab:orange", "s"), "MSGD-CR": ("tab:green", "^")}


def draw_success(axes: list[Axes], r: Reproduction) -> None:
    """One panel per initialisation: success rate (of 5) against length per method; a filled marker is a cell
    that reproduced the paper's statement, a hollow one a cell that did not (methods drawn slightly apart so that
    equal rates stay visible); the paper's MSGD-CR statement (100% up to 200) is the dashed line."""
    all_T = sorted({k[2] for k in r.cells})
    for ax, init in zip(axes, INITS, strict=True):
        lengths = [T for T in all_T if r.cells[(init, "MSGD", T)].run]
        for i, (method, (color, marker)) in enumerate(METHOD_STYLE.items()):
            xs = [T * (1 + 0.03 * (i - 1)) for T in lengths]
            rate = [r.cells[(init, method, T)].successes / SEEDS for T in lengths]
            ax.plot(xs, rate, color=color, marker=marker, mfc="white", ms=8, lw=1.5, label=method)
            ok = [label(r.cells, (init, method, T))[0] == "reproduced" for T in lengths]
            ax.plot([x for x, o in zip(xs, ok, strict=True) if o], [y for y, o in zip(rate, ok, strict=True) if o],
                    marker=marker, color=color, ms=8, ls="")
        paper_T = [T for T in all_T if T <= PAPER_MAX_T]
        ax.plot(paper_T, [1.0] * len(paper_T), ls="--", color="grey", lw=1, label="paper: MSGD-CR 5/5 up to 200")
        ax.set_xscale("log")
        ax.set_xticks(paper_T, [str(T) for T in paper_T])
        ax.minorticks_off()
        ax.set_ylim(-0.05, 1.08)
        ax.set_xlabel("sequence length T (log scale)")
        ax.set_title(INIT_LABELS[init])
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("success rate (runs under 1% errors, of 5)")
    axes[-1].legend(fontsize=8, loc="center right")


def draw_test_error(axes: list[Axes], r: Reproduction) -> None:
    """One panel per initialisation: the median over seeds of the error rate on the 10,000 test sequences, per
    method, with chance (3/4 wrong: four equally likely classes) dashed; it shows how far runs got that did not
    reach the 1% of success."""
    all_T = sorted({k[2] for k in r.cells})
    for ax, init in zip(axes, INITS, strict=True):
        lengths = [T for T in all_T if r.cells[(init, "MSGD", T)].run]
        for i, (method, (color, marker)) in enumerate(METHOD_STYLE.items()):
            xs = [T * (1 + 0.03 * (i - 1)) for T in lengths]
            ax.plot(xs, [statistics.median(r.cells[(init, method, T)].test_errors) for T in lengths], color=color,
                    marker=marker, ms=7, lw=1.5, label=method)
        ax.axhline(0.75, ls="--", color="grey", lw=1, label="chance (3/4 wrong)")
        ax.axhline(0.01, ls=":", color="black", lw=1, label="success (1%)")
        ax.set_xscale("log")
        ax.set_xticks(lengths, [str(T) for T in lengths])
        ax.minorticks_off()
        ax.set_ylim(0, 0.8)
        ax.set_xlabel("sequence length T (log scale)")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("median test error rate")
    axes[-1].legend(fontsize=8, loc="lower right")


def statements_note(budget: Budget) -> str:
    """The paper's statements and the update caps, for under the figure."""
    said = "; ".join(f"{m}: {PAPER[m].text}" for m in METHODS)
    return (f"Paper (Section 4.1, Fig. 7), {said}. Runs here: at most {budget.updates:,} updates; the paper's: "
            f"up to {PAPER_UPDATES:,}. Filled marker: cell reproduced; hollow: not.")
