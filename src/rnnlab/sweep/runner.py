"""Run a sweep: every unfinished trial on a backend, each result persisted the moment it arrives.

    trials --(skip those with a file in DIR/trials)--> units --> backend workers --> records --> DIR/trials/<id>.json

A unit of work is the unfinished seeds of one grid point (trials whose configs differ only in the seed),
trained as one batched computation (SPEC S12), or a single trial with batch=False or a trial function that has
no grouped form. A unit still stores one record per trial, so a re-run finds exactly the seeds that are missing.

Backends: "local", a process pool on this machine (default), and "ray", the same trial function as a Ray task
on a local instance or an existing cluster. Either way each worker uses one intra-op thread, so the numbers are
the same bit for bit. A crash or Ctrl-C loses at most the trials that were running; re-run to finish.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.forkserver
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from rnnlab.dynamics.training import TrainConfig
from rnnlab.sweep.config import SweepConfig, Trial
from rnnlab.sweep.store import TrialRecord, finished, prepare_out, save_record
from rnnlab.sweep.trial import GROUPED, GroupFn, TrialFn, execute_unit, train_trial

BACKENDS = ("local", "ray")
MAX_ATTEMPTS = 3  # runs of a unit whose worker process died before its trials count as failed
MAX_UNIT = 64  # most seeds trained together in one unit


def plan_units(trials: list[Trial], workers: int, grouped: bool, most: int = MAX_UNIT) -> list[list[Trial]]:
    """The units of work for these trials, in grid order: with grouped, the trials of each shape (configs equal
    but for the seed) in units of at most `most`, split further while there are fewer units than workers so
    that none waits idle; otherwise one unit per trial. A seed's numbers do not depend on its unit."""
    if not grouped:
        return [[t] for t in trials]
    shapes: dict[TrainConfig, list[Trial]] = {}
    for t in trials:
        shapes.setdefault(replace(t.config, seed=0), []).append(t)
    per_shape = -(-workers // max(1, len(shapes)))  # units per shape that give every worker one
    units = []
    for same in shapes.values():
        n = max(-(-len(same) // most), min(len(same), per_shape))
        size = -(-len(same) // n)
        units += [same[i : i + size] for i in range(0, len(same), size)]
    return units


# Workers are forked from a fork server that imported these once (no torch threads exist there yet, so forking
# is safe); a new worker then starts in milliseconds instead of importing torch again. torch._dynamo is what
# the first optimizer imports lazily (seconds). A module missing from this list is skipped.
PRELOAD = ["rnnlab.sweep.trial", "torch._dynamo"]


def _watch_parent(parent: int) -> None:
    """Worker side: exit when the parent is gone (the sweep was SIGKILLed), instead of training for nobody."""
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


def _init_worker() -> None:
    threading.Thread(target=_watch_parent, args=(os.getppid(),), daemon=True).start()


def _start_fork_server() -> None:
    """Start the fork server with Ctrl-C ignored: the fork server and the workers it forks inherit that, so a
    Ctrl-C is handled by this process alone (no traceback from a worker mid-import); workers still exit with
    it (_watch_parent)."""
    if threading.current_thread() is not threading.main_thread():
        multiprocessing.forkserver.ensure_running()
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        multiprocessing.forkserver.ensure_running()
    finally:
        signal.signal(signal.SIGINT, previous)


def died(trial: Trial, attempts: int, why: str) -> dict[str, Any]:
    """The record of a trial whose worker died on every attempt (not an exception of the trial itself)."""
    return {"id": trial.id, "status": "error", "result": None, "seconds": 0.0, "pid": None,
            "error": {"type": "WorkerDied", "message": f"the worker running it died {attempts} times ({why})"}}


def run_local(trial_fn: TrialFn, group_fn: GroupFn | None, units: list[list[Trial]],
              workers: int) -> Iterator[tuple[Trial, dict[str, Any]]]:
    """A process pool (workers forked from a clean fork server, not from the caller); yields each trial of each
    finished unit.

    A worker that dies (killed, out of memory) breaks the pool: the units that had not finished are
    resubmitted to a new pool, each at most MAX_ATTEMPTS times.
    """
    todo = dict(enumerate(units))
    attempts = dict.fromkeys(todo, 0)
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)  # takes effect when the fork server starts (once per process)
    _start_fork_server()
    while todo:
        pool = ProcessPoolExecutor(max_workers=max(1, min(workers, len(todo))), mp_context=context,
                                   initializer=_init_worker)
        broken = interrupted = False
        try:
            futures: dict[Future[list[dict[str, Any]]], int] = {
                pool.submit(execute_unit, trial_fn, group_fn, [t.id for t in unit], [t.config for t in unit]): k
                for k, unit in todo.items()}
            pending = set(futures)
            while pending and not broken:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for f in done:
                    k = futures[f]
                    try:
                        records = f.result()
                    except BrokenProcessPool:
                        broken = True
                        continue
                    unit = todo.pop(k)
                    yield from zip(unit, records, strict=True)
        except BaseException:  # Ctrl-C, or the caller closing us (GeneratorExit)
            interrupted = True
            raise
        finally:
            # interrupted: queued units never start and running ones are not waited for (their workers exit
            # when this process does)
            pool.shutdown(wait=not (broken or interrupted), cancel_futures=True)
        if broken:
            for k in list(todo):
                attempts[k] += 1
                if attempts[k] >= MAX_ATTEMPTS:
                    for t in todo.pop(k):
                        yield t, died(t, attempts[k], "process pool broken")


@dataclass(frozen=True)
class SweepRun:
    """What one run of run_sweep did."""

    out: Path  # the sweep directory
    backend: str  # "local" or "ray"
    total: int  # trials in the grid
    skipped: int  # trials already finished before this run (not run again)
    ran: int  # trials run and persisted by this run
    units: int  # units of work this run submitted (a unit: one trial, or the seeds of a grid point together)
    errors: int  # trials of the grid whose record is an error (this run's and earlier ones)
    seconds: float  # wall time of this run
    records: dict[str, TrialRecord]  # trial id -> record, every finished trial of the grid

    def to_dict(self) -> dict[str, Any]:
        return {"out": str(self.out), "backend": self.backend, "total": self.total, "skipped": self.skipped,
                "ran": self.ran, "units": self.units, "errors": self.errors, "seconds": self.seconds}


def run_sweep(config: SweepConfig, out: str | Path, backend: str = "local", *, workers: int | None = None,
              address: str | None = None, trial_fn: TrialFn = train_trial, retry_errors: bool = False,
              batch: bool = True, progress: Callable[[int, int], None] | None = None) -> SweepRun:
    """Run every trial of config that has no record in out yet; progress(done, total) after each one.

    batch: train the unfinished seeds of each grid point as one computation (see plan_units) when trial_fn has a
    grouped form (train_trial does); False: every trial alone.
    workers: processes of the local pool, or CPUs of a local Ray instance (default: this machine's CPU count).
    address: ray only; None starts a local Ray instance bound to 127.0.0.1, "auto" or "HOST:PORT" joins a cluster.
    retry_errors: run again the trials whose record is an error (otherwise they count as finished).
    """
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; valid: {', '.join(BACKENDS)}")
    if address is not None and backend != "ray":
        raise ValueError(f"--address {address!r} is for the ray backend; add --backend ray")
    if workers is not None and workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    if backend == "ray":  # fail fast, before anything is written: Ray missing, or a cluster that does not answer
        from rnnlab.sweep.ray_backend import check_reachable, import_ray

        import_ray()
        if address is not None:
            check_reachable(address)
    n_workers = workers or os.cpu_count() or 1
    out = Path(out)
    start = time.perf_counter()
    trials = config.trials()
    prepare_out(out, config)
    records = finished(out, trials)
    if retry_errors:
        records = {k: r for k, r in records.items() if r.status == "ok"}
    todo = [t for t in trials if t.id not in records]
    skipped = len(records)
    group_fn = GROUPED.get(trial_fn) if batch else None
    units = plan_units(todo, n_workers, group_fn is not None)
    if progress:
        progress(0, len(todo))
    results: Iterator[tuple[Trial, dict[str, Any]]]
    if not todo:
        results = iter(())
    elif backend == "local":
        results = run_local(trial_fn, group_fn, units, n_workers)
    else:
        from rnnlab.sweep.ray_backend import run_ray

        results = run_ray(trial_fn, group_fn, units, address, n_workers)
    ran = 0
    try:
        for trial, record in results:
            records[trial.id] = save_record(out, trial, record, backend)  # persisted before anything else
            ran += 1
            if progress:
                progress(ran, len(todo))
    finally:
        close = getattr(results, "close", None)
        if close is not None:
            close()  # stop the backend's workers (e.g. on Ctrl-C)
    errors = sum(r.status != "ok" for r in records.values())
    return SweepRun(out, backend, len(trials), skipped, ran, len(units), errors, time.perf_counter() - start,
                    records)
