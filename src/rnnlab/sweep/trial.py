"""One unit of work of a sweep: one trial, or the seeds of one grid point trained together as one batched
computation (SPEC S12); run in a worker, one record per trial, errors recorded, not raised."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

import torch

from rnnlab.dynamics.batched import train_batched
from rnnlab.dynamics.training import TrainConfig, TrainResult, train
from rnnlab.files import finite

# A trial function takes the trial's config and returns JSON-able numbers, with "solved" and "test_error" for
# the success tables; the sweep runs it in worker processes, so it must be picklable (a module-level function,
# or a functools.partial of one).
TrialFn = Callable[[TrainConfig], dict[str, Any]]
# A group function: the same numbers for several configs that differ only in their seed, one dict per config.
GroupFn = Callable[[list[TrainConfig]], list[dict[str, Any]]]


def _numbers(r: TrainResult) -> dict[str, Any]:
    return {"solved": r.solved, "test_error": r.test_error, "final_loss": r.final_loss, "steps_run": r.steps_run,
            "nonfinite_skipped": r.nonfinite_skipped, "clip": r.clip, "losses": r.losses}


def train_trial(config: TrainConfig) -> dict[str, Any]:
    """The long-range training run (SPEC S4, S5): success under Pascanu's criterion, losses, clipping statistics."""
    return _numbers(train(config))


def train_trials(configs: list[TrainConfig]) -> list[dict[str, Any]]:
    """train_trial of each config, the seeds trained as one batched computation (train_batched). Each model's
    numbers do not depend on which others share its computation (the products are per model), so a seed gets
    the same bits in a unit of 1 or of 64, on any backend; against a solo run they agree to rounding."""
    return [_numbers(r) for r in train_batched(configs)]


GROUPED: dict[TrialFn, GroupFn] = {train_trial: train_trials}  # trial functions that can run grouped


def execute(trial_fn: TrialFn, trial_id: str, config: TrainConfig) -> dict[str, Any]:
    """Run one trial in this worker and return its record; an exception becomes part of the record.

    One intra-op thread per worker: parallelism comes from the workers, and a trial then computes the same
    numbers bit for bit whichever backend (process pool or Ray) runs it.
    """
    torch.set_num_threads(1)
    start = time.perf_counter()
    result: dict[str, Any] | None = None
    error: dict[str, str] | None = None
    try:
        result = finite(trial_fn(config))
    except Exception as e:  # recorded with the trial, so a failing trial is never lost silently
        error = {"type": type(e).__name__, "message": str(e)}
    return {"id": trial_id, "status": "ok" if error is None else "error", "result": result, "error": error,
            "seconds": time.perf_counter() - start, "pid": os.getpid(), "unit": 1}


def execute_unit(trial_fn: TrialFn, group_fn: GroupFn | None, ids: list[str],
                 configs: list[TrainConfig]) -> list[dict[str, Any]]:
    """Run one unit of work in this worker: a single trial (group_fn None), or configs that differ only in their
    seed through group_fn, as one computation. One record per trial; an exception is every trial's record, and
    "seconds" is the unit's wall time shared equally among its trials."""
    if group_fn is None:
        return [execute(trial_fn, i, c) for i, c in zip(ids, configs, strict=True)]
    torch.set_num_threads(1)
    start = time.perf_counter()
    results: list[dict[str, Any] | None] = [None] * len(ids)
    error: dict[str, str] | None = None
    try:
        results = [finite(r) for r in group_fn(configs)]
    except Exception as e:  # recorded with each trial of the unit
        error = {"type": type(e).__name__, "message": str(e)}
    seconds = (time.perf_counter() - start) / len(ids)
    return [{"id": i, "status": "ok" if error is None else "error", "result": r, "error": error, "seconds": seconds,
             "pid": os.getpid(), "unit": len(ids)} for i, r in zip(ids, results, strict=True)]
