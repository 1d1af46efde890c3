"""Multi-seed, multi-length sweeps of the long-range training run, on a process pool or a Ray cluster.

    SweepConfig (TOML) -> trials (stable ids) -> run_sweep (local | ray) -> DIR/trials/<id>.json
                                                 load_sweep(DIR) -> summarize -> success table
"""

from rnnlab.sweep.config import SweepConfig, Trial, load_config, parse_config, trial_id
from rnnlab.sweep.runner import BACKENDS, SweepRun, run_sweep
from rnnlab.sweep.store import SweepResult, TrialRecord, load_sweep
from rnnlab.sweep.summary import PointSummary, Summary, summarize
from rnnlab.sweep.trial import TrialFn, train_trial

__all__ = ["BACKENDS", "PointSummary", "Summary", "SweepConfig", "SweepResult", "SweepRun", "Trial", "TrialFn",
           "TrialRecord", "load_config", "load_sweep", "parse_config", "run_sweep", "summarize", "train_trial",
           "trial_id"]
