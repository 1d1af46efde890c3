"""One trial of a sweep: train one model and return its numbers; run in a worker, errors recorded, not raised."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

import torch

from rnnlab.dynamics.training import TrainConfig, train
from rnnlab.files import finite

# A trial function takes the trial's config and returns JSON-able numbers, with "solved" and "test_error" for
# the success tables; the sweep runs it in worker processes, so it must be picklable (a module-level function,
# or a functools.partial of one).
TrialFn = Callable[[TrainConfig], dict[str, Any]]


def train_trial(config: TrainConfig) -> dict[str, Any]:
    """The long-range training run (SPEC S4, S5): success under Pascanu's criterion, losses, clipping statistics."""
    r = train(config)
    return {"solved": r.solved, "test_error": r.test_error, "final_loss": r.final_loss, "steps_run": r.steps_run,
            "nonfinite_skipped": r.nonfinite_skipped, "clip": r.clip, "losses": r.losses}


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
            "seconds": time.perf_counter() - start, "pid": os.getpid()}
