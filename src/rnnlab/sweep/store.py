"""A sweep directory: the sweep's config and one JSON file per finished trial, each written atomically.

    DIR/sweep.json           the grid (rnnlab-sweep/1), rewritten at every run
    DIR/trials/<id>.json     one finished trial: params, full config, status ok|error, result or error

A trial file appears all at once (temp file + os.replace), so a crash leaves either the whole record or none;
a re-run treats the trials with a file as finished.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from rnnlab import __version__
from rnnlab.files import finite, write_atomic
from rnnlab.sweep.config import SweepConfig, Trial, config_dict, parse_config

SWEEP_FILE = "sweep.json"
TRIALS_DIR = "trials"
TRIAL_FORMAT = "rnnlab-sweep-trial/1"


def write_json_atomic(path: Path, obj: Any) -> None:
    """Write obj as JSON to path so that readers see the old file or the whole new one, never a part."""
    write_atomic(path, json.dumps(finite(obj), indent=1))


@dataclass(frozen=True)
class TrialRecord:
    """A finished trial as stored."""

    id: str  # the trial's hash
    params: dict[str, Any]  # its grid values
    status: str  # "ok" or "error"
    result: dict[str, Any] | None  # what the trial function returned (status ok)
    error: dict[str, str] | None  # {"type", "message"} of the exception it raised (status error)
    seconds: float  # wall time of the trial in its worker (trials trained together share their unit's equally)
    extra: dict[str, Any] = field(default_factory=dict, compare=False)  # backend, pid, unit (trials trained
    # together), versions: not part of results

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TrialRecord:
        return cls(d["id"], d["params"], d["status"], d["result"], d["error"], d["seconds"],
                   {k: d[k] for k in ("backend", "pid", "unit", "versions") if k in d})


def trial_path(out: Path, trial_id: str) -> Path:
    return out / TRIALS_DIR / f"{trial_id}.json"


def prepare_out(out: Path, config: SweepConfig) -> None:
    """Create DIR and DIR/trials and write DIR/sweep.json; a DIR that cannot be written is a ValueError naming it."""
    try:
        (out / TRIALS_DIR).mkdir(parents=True, exist_ok=True)
        write_json_atomic(out / SWEEP_FILE, config.to_dict())
    except OSError as e:
        raise ValueError(f"cannot write the sweep directory --out {str(out)!r}: {e.strerror or e}") from None


def save_record(out: Path, trial: Trial, record: dict[str, Any], backend: str) -> TrialRecord:
    """Persist one finished trial at once (atomically) and return it as stored."""
    stored = {"format": TRIAL_FORMAT, "id": trial.id, "params": trial.params, "config": config_dict(trial.config),
              "status": record["status"], "result": record["result"], "error": record["error"],
              "seconds": record["seconds"], "backend": backend, "pid": record.get("pid"),
              "unit": record.get("unit", 1),
              "versions": {"rnnlab": __version__, "torch": torch.__version__}}
    write_json_atomic(trial_path(out, trial.id), stored)
    return TrialRecord.from_dict(json.loads(json.dumps(finite(stored))))


def read_record(path: Path) -> TrialRecord | None:
    """A stored trial, or None if the file is not a readable trial record (it is then run again)."""
    try:
        d = json.loads(path.read_text(encoding="utf-8"))
        return TrialRecord.from_dict(d) if d.get("format") == TRIAL_FORMAT and d.get("id") == path.stem else None
    except (OSError, ValueError, KeyError, AttributeError):
        return None


def finished(out: Path, trials: list[Trial]) -> dict[str, TrialRecord]:
    """The stored records of those trials that have finished."""
    records = {}
    for t in trials:
        p = trial_path(out, t.id)
        if p.is_file() and (r := read_record(p)) is not None:
            records[t.id] = r
    return records


@dataclass(frozen=True)
class SweepResult:
    """A sweep directory as loaded: its grid, its trials and the records of those that finished."""

    out: Path  # the sweep directory
    config: SweepConfig  # the grid (from DIR/sweep.json)
    trials: list[Trial]  # every trial of the grid, in grid order
    records: dict[str, TrialRecord]  # trial id -> record, finished trials only

    @property
    def missing(self) -> list[Trial]:
        """Trials with no record yet (never run, or running when the sweep stopped)."""
        return [t for t in self.trials if t.id not in self.records]

    @property
    def failed(self) -> list[TrialRecord]:
        """Finished trials whose trial function raised."""
        return [self.records[t.id] for t in self.trials if t.id in self.records and self.records[t.id].status != "ok"]

    @property
    def complete(self) -> bool:
        return not self.missing


def load_sweep(out: str | Path) -> SweepResult:
    """Load a sweep directory written by run_sweep (finished or not)."""
    out = Path(out)
    path = out / SWEEP_FILE
    if not path.is_file():
        raise ValueError(f"{str(out)!r} is not a sweep directory: no {SWEEP_FILE}")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise ValueError(f"{path}: unreadable sweep file: {e}") from None
    if not isinstance(data, dict):
        raise ValueError(f"{path}: not a sweep file")
    config = parse_config(data, str(path))
    trials = config.trials()
    return SweepResult(out, config, trials, finished(out, trials))
