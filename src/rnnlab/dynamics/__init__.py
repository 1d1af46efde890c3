"""Gradient dynamics (SPEC S3, S4, S5): the per-timestep gradient probe, the step Jacobian and the
vanishing-gradient bound, the skip connection's two-path gradient, clipping statistics, long-range tasks
and their training loop."""

from rnnlab.dynamics.clipping import Clip, ClipLog, ClipStep, clip_gradients, parse_clip
from rnnlab.dynamics.jacobian import BoundConfig, BoundReport, bound_curve, cell_bound, check_bound, step_jacobian
from rnnlab.dynamics.probe import Probe, linear_readout, probe, trajectory
from rnnlab.dynamics.tasks import TASKS, Task, get_task
from rnnlab.dynamics.training import CELLS, TrainConfig, TrainResult, train

__all__ = [
    "BoundConfig", "BoundReport", "CELLS", "Clip", "ClipLog", "ClipStep", "Probe", "TASKS", "Task", "TrainConfig",
    "TrainResult", "bound_curve", "cell_bound", "check_bound", "clip_gradients", "get_task", "linear_readout",
    "parse_clip", "probe", "step_jacobian", "train", "trajectory",
]
