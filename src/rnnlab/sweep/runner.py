"""Run a sweep: every unfinished trial on a backend, each result persisted the moment it arrives.

    trials --(skip those with a file in DIR/trials)--> backend workers --> record --> DIR/trials/<id>.json

Backends: "local", a process pool on this machine (default), and "ray", the same trial function as a Ray task
on a local instance or an existing cluster. Either way each worker uses one intra-op thread, so the numbers are
the same bit for bit. A crash or Ctrl-C loses at most the trials that were running; re-run to finish.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rnnlab.sweep.config import SweepConfig, Trial
from rnnlab.sweep.store import TrialRecord, finished, prepare_out, save_record
from rnnlab.sweep.trial import TrialFn, execute, train_trial

BACKENDS = ("local", "ray")
MAX_ATTEMPTS = 3  # runs of a trial whose worker process died before it counts as failed


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


def died(trial: Trial, attempts: int, why: str) -> dict[str, Any]:
    """The record of a trial whose worker died on every attempt (not an exception of the trial itself)."""
    return {"id": trial.id, "status": "error", "result": None, "seconds": 0.0, "pid": None,
            "error": {"type": "WorkerDied", "message": f"the worker running it died {attempts} times ({why})"}}


def run_local(trial_fn: TrialFn, trials: list[Trial], workers: int) -> Iterator[tuple[Trial, dict[str, Any]]]:
    """A process pool (workers forked from a clean fork server, not from the caller); yields each finished trial.

    A worker that dies (killed, out of memory) breaks the pool: the trials that had not finished are
    resubmitted to a new pool, each at most MAX_ATTEMPTS times.
    """
    todo = {t.id: t for t in trials}
    attempts = dict.fromkeys(todo, 0)
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)  # takes effect when the fork server starts (once per process)
    while todo:
        pool = ProcessPoolExecutor(max_workers=max(1, min(workers, len(todo))), mp_context=context,
                                   initializer=_init_worker)
        broken = interrupted = False
        try:
            futures: dict[Future[dict[str, Any]], Trial] = {
                pool.submit(execute, trial_fn, t.id, t.config): t for t in todo.values()}
            pending = set(futures)
            while pending and not broken:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for f in done:
                    t = futures[f]
                    try:
                        record = f.result()
                    except BrokenProcessPool:
                        broken = True
                        continue
                    del todo[t.id]
                    yield t, record
        except BaseException:  # Ctrl-C, or the caller closing us (GeneratorExit)
            interrupted = True
            raise
        finally:
            # interrupted: queued trials never start and running ones are not waited for (their workers exit
            # when this process does)
            pool.shutdown(wait=not (broken or interrupted), cancel_futures=True)
        if broken:
            for t in list(todo.values()):
                attempts[t.id] += 1
                if attempts[t.id] >= MAX_ATTEMPTS:
                    del todo[t.id]
                    yield t, died(t, attempts[t.id], "process pool broken")


@dataclass(frozen=True)
class SweepRun:
    """What one run of run_sweep did."""

    out: Path  # the sweep directory
    backend: str  # "local" or "ray"
    total: int  # trials in the grid
    skipped: int  # trials already finished before this run (not run again)
    ran: int  # trials run and persisted by this run
    errors: int  # trials of the grid whose record is an error (this run's and earlier ones)
    seconds: float  # wall time of this run
    records: dict[str, TrialRecord]  # trial id -> record, every finished trial of the grid

    def to_dict(self) -> dict[str, Any]:
        return {"out": str(self.out), "backend": self.backend, "total": self.total, "skipped": self.skipped,
                "ran": self.ran, "errors": self.errors, "seconds": self.seconds}


def run_sweep(config: SweepConfig, out: str | Path, backend: str = "local", *, workers: int | None = None,
              address: str | None = None, trial_fn: TrialFn = train_trial, retry_errors: bool = False,
              progress: Callable[[int, int], None] | None = None) -> SweepRun:
    """Run every trial of config that has no record in out yet; progress(done, total) after each one.

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
    if progress:
        progress(0, len(todo))
    results: Iterator[tuple[Trial, dict[str, Any]]]
    if not todo:
        results = iter(())
    elif backend == "local":
        results = run_local(trial_fn, todo, n_workers)
    else:
        from rnnlab.sweep.ray_backend import run_ray

        results = run_ray(trial_fn, todo, address, n_workers)
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
    return SweepRun(out, backend, len(trials), skipped, ran, errors, time.perf_counter() - start, records)
