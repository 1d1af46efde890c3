"""Training a recurrent cell on a long-range task, with clipping statistics and a success test (SPEC S4, S5).

    x (B, L, I) --cell--> h_1..h_L --readout of h_L--> y (B, n_out)

Success follows Pascanu et al. 2013: under 1% errors on 10,000 fresh sequences from a generator that training
never sees. Training stops early once a run is solved (checked whenever a 1,000-sequence validation batch
has under 1% errors), so easy settings cost little.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor, nn

from rnnlab.core.activations import TANH, sigmoid
from rnnlab.core.recurrence import Recurrent
from rnnlab.dynamics.clipping import Clip, ClipLog, clip_gradients
from rnnlab.dynamics.inits import INITS, init_weights
from rnnlab.dynamics.regulariser import omega_backward
from rnnlab.dynamics.tasks import SUCCESS_ERROR_RATE, TEST_SEQUENCES, Task, get_task
from rnnlab.errors import NonFiniteError

CELLS = ("sigmoid", "tanh", "skip", "gru", "lstm")
OPTIMIZERS = ("adam", "sgd", "msgd")  # msgd: SGD with momentum
DTYPES = {"float32": torch.float32, "float64": torch.float64}


@contextmanager
def seeded(seed: int) -> Iterator[None]:
    """Seed torch's global generator, which nn.init draws from, inside the block only: the caller's stream is
    restored afterwards, so building a model never perturbs anything else."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield


@contextmanager
def torch_threads(n: int | None) -> Iterator[None]:
    """Run the block with n torch intra-op threads (None: leave the setting), restored afterwards. The (B, H)
    matrices of a small RNN are too small for threads to pay: on a loaded 2-core machine one thread ran 20x
    faster than two."""
    previous = torch.get_num_threads()
    if n is not None:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


@contextmanager
def flush_denormals() -> Iterator[None]:
    """Run the block with float32 subnormals (|x| < 2^-126) read and written as zero on this thread (x86 FTZ and
    DAZ), restored afterwards. A vanishing gradient walks dL/dh_t down through the subnormal range, where the
    CPU's arithmetic is about 100 times slower (a (20, 50) x (50, 50) product: 5 us, 500 us on subnormal
    input). Training loses nothing: a term under 2^-126 added to one of the gradient's normal terms leaves the
    float32 sum as it was, and the tests hold the losses equal with and without. Only threads that exist
    here see it: with more than one torch thread, the BLAS threads keep subnormals (and their speed)."""
    tiny = torch.finfo(torch.float32).tiny
    was_on = float(torch.full((1,), tiny).mul_(0.5)) == 0.0  # a subnormal result came out as zero
    torch.set_flush_denormal(True)
    try:
        yield
    finally:
        torch.set_flush_denormal(was_on)


def make_rnn(cell: str, n_in: int, hidden: int, delay: int = 2) -> nn.Module:
    """A batch-first recurrent module: rnnlab's Recurrent (sigmoid, tanh, skip = sigmoid + delay k) or nn.GRU/LSTM."""
    if cell not in CELLS:
        raise ValueError(f"unknown cell {cell!r}; valid: {', '.join(CELLS)}")
    if hidden < 1:
        raise ValueError(f"hidden size must be >= 1, got {hidden}")
    if cell == "sigmoid":
        return Recurrent(n_in, hidden, sigmoid(), batch_first=True)
    if cell == "tanh":
        return Recurrent(n_in, hidden, TANH, batch_first=True)
    if cell == "skip":
        if delay < 2:
            raise ValueError(f"the skip delay must be >= 2 (delay 1 is W itself), got {delay}")
        return Recurrent(n_in, hidden, sigmoid(), delays=[delay], batch_first=True)
    return (nn.GRU if cell == "gru" else nn.LSTM)(n_in, hidden, batch_first=True)


def set_spectral_norm(rnn: nn.Module, value: float) -> None:
    """Rescale the recurrent matrix W (rnnlab cells) so that ||W||_2 = value, e.g. to enter the exploding regime."""
    if not isinstance(rnn, Recurrent):
        raise ValueError("only rnnlab's Recurrent cells have a single recurrent matrix W to rescale")
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"the spectral norm must be a finite number > 0, got {value}")
    with torch.no_grad():
        rnn.W.mul_(value / torch.linalg.matrix_norm(rnn.W, ord=2))


class SequenceModel(nn.Module):
    """A recurrent module and a linear readout of its last state."""

    def __init__(self, rnn: nn.Module, hidden: int, n_out: int) -> None:
        super().__init__()
        self.rnn = rnn
        self.readout = nn.Linear(hidden, n_out)

    def forward(self, x: Tensor) -> Tensor:
        out, _ = self.rnn(x)  # (B, L, H)
        return self.readout(out[:, -1])  # (B, n_out)


@dataclass(frozen=True)
class TrainConfig:
    task: str = "temporal_order"  # "adding" or "temporal_order"
    cell: str = "sigmoid"  # one of CELLS
    T: int = 20  # sequence length
    hidden: int = 32  # hidden units H
    delay: int = 2  # skip cell only: the delay k of M h_{t-k}
    steps: int = 1000  # maximum number of parameter updates
    batch: int = 32  # sequences per update
    lr: float = 1e-2  # learning rate
    optimizer: str = "adam"  # one of OPTIMIZERS
    clip: Clip = field(default_factory=Clip)  # gradient clipping applied to every update
    w_norm: float | None = None  # rnnlab cells: rescale W to this spectral norm at init (None: keep nn.RNN's init)
    seed: int = 0  # seeds the initial weights and the training data
    check_every: int = 50  # steps between validation checks (early stop once solved)
    test_sequences: int = TEST_SEQUENCES  # fresh sequences in the final success test
    threads: int | None = 1  # torch intra-op threads while training (None: leave torch's setting); see train()
    momentum: float = 0.9  # msgd only: torch.optim.SGD's momentum
    omega: float = 0.0  # weight of the regulariser Omega (Pascanu et al. 2013, 3.3); sigmoid and tanh cells only
    dtype: str = "float32"  # "float32" or "float64": weights and data
    init: str | None = None  # one of inits.INITS: Pascanu et al. 2013's initialisation (None: the cell's default)

    def __post_init__(self) -> None:
        get_task(self.task)
        if self.cell not in CELLS:
            raise ValueError(f"unknown cell {self.cell!r}; valid: {', '.join(CELLS)}")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"unknown optimizer {self.optimizer!r}; valid: {', '.join(OPTIMIZERS)}")
        if self.threads is not None and self.threads < 1:
            raise ValueError(f"threads must be >= 1 or None, got {self.threads}")
        for name in ("T", "hidden", "steps", "batch", "check_every", "test_sequences"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if not (self.lr > 0 and math.isfinite(self.lr)):
            raise ValueError(f"learning rate must be a finite number > 0, got {self.lr}")
        if self.w_norm is not None and not (self.w_norm > 0 and math.isfinite(self.w_norm)):
            raise ValueError(f"w_norm must be a finite number > 0, got {self.w_norm}")
        if not 0 <= self.momentum < 1:
            raise ValueError(f"momentum must be in [0, 1), got {self.momentum}")
        if not (self.omega >= 0 and math.isfinite(self.omega)):
            raise ValueError(f"the weight of Omega must be a finite number >= 0, got {self.omega}")
        if self.omega > 0 and self.cell not in ("sigmoid", "tanh"):
            raise ValueError(f"Omega needs a sigmoid or tanh cell (one recurrent matrix), got {self.cell!r}")
        if self.dtype not in DTYPES:
            raise ValueError(f"unknown dtype {self.dtype!r}; valid: {', '.join(DTYPES)}")
        if self.init is not None:
            if self.init not in INITS:
                raise ValueError(f"unknown initialisation {self.init!r}; valid: {', '.join(INITS)}")
            if self.cell != INITS[self.init][0]:
                raise ValueError(f"initialisation {self.init!r} needs cell {INITS[self.init][0]!r}, got {self.cell!r}")


@dataclass(frozen=True)
class TrainResult:
    config: TrainConfig
    solved: bool  # test error rate under 1%
    test_error: float  # error rate on the fresh test sequences
    final_loss: float  # mean training loss over the last 10% of the steps run (nan if any was not finite)
    losses: list[float]  # training loss at every step run
    steps_run: int  # updates attempted (fewer than config.steps when solved early)
    nonfinite_skipped: int  # steps whose gradient was not finite: skipped, weights untouched
    clip: dict[str, float | int]  # ClipLog.summary(): steps, fired, mean_pre_norm, max_pre_norm, min_cosine
    pre_norms: list[float]  # ||g|| before clipping at every step
    model: nn.Module = field(repr=False, compare=False)  # the trained model

    def to_dict(self) -> dict[str, Any]:
        return {"seed": self.config.seed, "solved": self.solved, "final_loss": self.final_loss,
                "test_error": self.test_error, "steps_run": self.steps_run, "clip": self.clip,
                "nonfinite_skipped": self.nonfinite_skipped}


def build_model(config: TrainConfig) -> SequenceModel:
    task = get_task(config.task)
    with seeded(config.seed):
        rnn = make_rnn(config.cell, task.n_in, config.hidden, config.delay)
        model = SequenceModel(rnn, config.hidden, task.n_out)
    if config.init is not None:  # drawn from its own generator, as the authors' code draws from RandomState(seed)
        assert isinstance(rnn, Recurrent)
        init_weights(rnn, model.readout, config.init, torch.Generator().manual_seed(config.seed))
    if config.w_norm is not None:
        set_spectral_norm(rnn, config.w_norm)
    return model.to(DTYPES[config.dtype])


@torch.no_grad()
def error_rate(model: nn.Module, task: Task, T: int, n: int, gen: torch.Generator, batch: int = 1000) -> float:
    """Fraction of n fresh sequences that the model gets wrong under the task's criterion."""
    wrong, dtype = 0, next(model.parameters()).dtype
    for start in range(0, n, batch):
        b = task.batch(min(batch, n - start), T, gen)
        wrong += int(task.errors(model(b.x.to(dtype)), b.y.to(dtype) if task.regression else b.y).sum())
    return wrong / n


def make_optimizer(params: list[nn.Parameter], config: TrainConfig) -> torch.optim.Optimizer:
    """Adam, plain SGD, or SGD with momentum (msgd), at config.lr."""
    if config.optimizer == "adam":
        return torch.optim.Adam(params, lr=config.lr)
    return torch.optim.SGD(params, lr=config.lr, momentum=config.momentum if config.optimizer == "msgd" else 0.0)


def train(config: TrainConfig, progress: Callable[[int], None] | None = None,
          stop_on_nonfinite: bool = False) -> TrainResult:
    """Train one model; `progress(step)` is called after every update (e.g. to advance a progress bar).

    A step with a non-finite loss or gradient is skipped and counted (S5: it never reaches the weights), or,
    with stop_on_nonfinite, ends training with NonFiniteError naming the step.

    Training runs with config.threads torch threads (see torch_threads) and subnormals flushed (see
    flush_denormals), both restored afterwards.
    """
    with torch_threads(config.threads), flush_denormals():
        return _train(config, progress, stop_on_nonfinite)


def _train(config: TrainConfig, progress: Callable[[int], None] | None, stop_on_nonfinite: bool) -> TrainResult:
    task = get_task(config.task)
    task.batch(1, config.T, torch.Generator())  # reject a too-short T before any work
    model = build_model(config)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = make_optimizer(params, config)
    dtype = DTYPES[config.dtype]
    data = torch.Generator().manual_seed(config.seed)
    check = torch.Generator().manual_seed(10_000 + config.seed)  # validation data, never trained on
    log, losses = ClipLog(), []
    for step in range(1, config.steps + 1):
        b = task.batch(config.batch, config.T, data)
        x, y = b.x.to(dtype), (b.y.to(dtype) if task.regression else b.y)
        opt.zero_grad(set_to_none=True)
        if config.omega > 0:
            assert isinstance(model.rnn, Recurrent)
            loss, _ = omega_backward(model.rnn, model.readout, x, y, task.loss, config.omega)
        else:
            loss = task.loss(model(x), y)
            loss.backward()
        if stop_on_nonfinite and not math.isfinite(float(loss.detach())):
            raise NonFiniteError("loss", step, float(loss.detach()))
        stats = clip_gradients(params, config.clip)
        if stop_on_nonfinite and not stats.finite:
            raise NonFiniteError("gradient norm", step, stats.pre_norm)
        log.add(stats)
        if stats.finite:  # a non-finite gradient never reaches the weights
            opt.step()
        losses.append(float(loss.detach()))
        if progress is not None:
            progress(step)
        if step % config.check_every == 0 and error_rate(model, task, config.T, 1000, check) < SUCCESS_ERROR_RATE:
            break  # looks solved; the fresh test below decides
    test = torch.Generator().manual_seed(1_000_000 + config.seed)  # the success test: fresh sequences
    test_error = error_rate(model, task, config.T, config.test_sequences, test)
    tail = losses[-max(1, len(losses) // 10):]
    final_loss = sum(tail) / len(tail) if all(math.isfinite(v) for v in tail) else math.nan
    return TrainResult(config, test_error < SUCCESS_ERROR_RATE, test_error, final_loss, losses, len(losses),
                       log.nonfinite_skipped, log.summary(), [s.pre_norm for s in log.steps], model)
