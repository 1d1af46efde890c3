"""Seed-batched training: S models of one shape trained as ONE computation (SPEC S12).

A 50-unit RNN on a batch of 20 leaves a CPU idle between its tiny products; S of them with stacked weights
(S, H, H) and batched products cost little more than one. Each model stays what a solo
`rnnlab.dynamics.training.train` run with its seed would be:

    seed s --build_model--> the same initial weights     --Generator(seed)--> the same batches
           own optimizer state (Adam / SGD / msgd, its own step count)
           own clipping (norm or value on its slice of the stacked gradients) and clip statistics
           own non-finite guard (a slice whose gradient is not finite is zeroed and its step skipped)
           own stopping (once its validation batch is under 1% errors it stops; the others go on)

The tests hold the per-model losses to the solo runs' (float64: 1e-9 relative over 100 steps).
Models whose sequences differ in length at a step (the adding task draws a length per batch) run in one
group per length; solved models leave the computation.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from rnnlab.core.batched_gated import gru_batched, lstm_batched
from rnnlab.core.batched_recurrence import recur_batched
from rnnlab.core.recurrence import Recurrent
from rnnlab.dynamics.clipping import Clip, ClipLog, ClipStep
from rnnlab.dynamics.regulariser import omega
from rnnlab.dynamics.tasks import SUCCESS_ERROR_RATE, Batch, Task, get_task
from rnnlab.dynamics.training import (
    DTYPES,
    SequenceModel,
    TrainConfig,
    TrainResult,
    build_model,
    flush_denormals,
    torch_threads,
)

# --- clipping on stacked gradients ------------------------------------------------------------------------------


@dataclass(frozen=True)
class StackedClip:
    """What clipping did on one step, per model: ClipStep's fields as (S,) tensors."""

    pre_norm: Tensor  # (S,) float64: ||g_s|| before clipping (inf / nan when not finite)
    post_norm: Tensor  # (S,) float64: ||g_s|| after clipping; nan on a skipped model
    fired: Tensor  # (S,) bool: clipping changed model s's gradient
    cosine: Tensor  # (S,) float64: cos(clipped g_s, raw g_s)
    finite: Tensor  # (S,) bool: False where the model's step must be skipped

    def step(self, s: int) -> ClipStep:
        return self.steps()[s]

    def steps(self) -> list[ClipStep]:
        """Every model's ClipStep, read out of the tensors in one pass (not five reads per model)."""
        fields = (self.pre_norm.tolist(), self.post_norm.tolist(), self.fired.tolist(), self.cosine.tolist(),
                  self.finite.tolist())
        return [ClipStep(*row) for row in zip(*fields, strict=True)]


def _expand(v: Tensor, like: Tensor) -> Tensor:
    """(S,) -> (S, 1, ..., 1), to broadcast a per-model value over a stacked tensor like `like`."""
    return v.view(v.shape[0], *([1] * (like.dim() - 1)))


def clip_stacked(grads: Sequence[Tensor], clip: Clip) -> StackedClip:
    """Clip the stacked gradients (each (S, ...)) in place, model by model, as clip_gradients does for one.

    Norm: g_s <- g_s * min(1, c / (||g_s|| + 1e-6)), the coefficient computed as torch's clip_grad_norm_ does
    (the norm of the per-parameter norms, in the gradient's dtype). Value: clamp to [-c, c]. A model whose
    gradient is not finite has it zeroed and finite=False: its optimizer step must be skipped.
    """
    S = grads[0].shape[0]
    raw = torch.cat([g.detach().reshape(S, -1) for g in grads], dim=1).double()  # (S, N) a copy
    pre = torch.linalg.vector_norm(raw, dim=1)
    finite = torch.isfinite(pre)
    if not bool(finite.all()):
        for g in grads:
            g.masked_fill_(~_expand(finite, g), 0.0)
    if clip.kind == "norm":
        norms = torch.stack([torch.linalg.vector_norm(g.reshape(S, -1), dim=1) for g in grads], dim=1)  # (S, P)
        coef = (clip.c / (torch.linalg.vector_norm(norms, dim=1) + 1e-6)).clamp(max=1.0)  # (S,)
        for g in grads:
            g.mul_(_expand(coef, g))
    elif clip.kind == "value":
        for g in grads:
            g.clamp_(-clip.c, clip.c)
    clipped = torch.cat([g.detach().reshape(S, -1) for g in grads], dim=1).double()
    post = torch.linalg.vector_norm(clipped, dim=1)
    fired = (clipped != raw).any(dim=1) & finite
    ok = (pre > 0) & (post > 0)
    cosine = torch.where(ok, (clipped * raw).sum(dim=1) / torch.where(ok, post * pre, 1.0), 1.0)
    nan = torch.full_like(pre, math.nan)
    return StackedClip(pre, torch.where(finite, post, nan), fired, torch.where(finite, cosine, nan), finite)


# --- optimizers on stacked parameters ---------------------------------------------------------------------------


class StackedOptimizer:
    """Adam, SGD or SGD with momentum (msgd) on stacked parameters, each model with its own state and step count.

    The updates are torch.optim.Adam's / SGD's (defaults: betas 0.9, 0.999, eps 1e-8; momentum buffer
    b <- mu b + g, which starts at g as torch's does since b starts at 0). `step(mask)` moves only the models
    where mask is True; the others keep weights, moments and step count exactly.
    """

    def __init__(self, params: Sequence[nn.Parameter], kind: str, lr: float, momentum: float = 0.9) -> None:
        if kind not in ("adam", "sgd", "msgd"):
            raise ValueError(f"unknown optimizer {kind!r}; valid: adam, sgd, msgd")
        self.params, self.kind, self.lr, self.momentum = list(params), kind, lr, momentum
        S = self.params[0].shape[0]
        self.steps = torch.zeros(S, dtype=torch.float64)  # updates applied per model (Adam's bias correction)
        self.m = [torch.zeros_like(p) for p in self.params] if kind != "sgd" else []  # first moment / momentum
        self.v = [torch.zeros_like(p) for p in self.params] if kind == "adam" else []  # second moment

    @torch.no_grad()
    def step(self, mask: Tensor) -> None:
        """Apply one update from each parameter's .grad to the models where mask (S,) is True."""
        steps = torch.where(mask, self.steps + 1, self.steps)
        if self.kind == "adam":
            b1, b2, eps = 0.9, 0.999, 1e-8
            step_size = self.lr / (1 - b1**steps)  # (S,) float64, as torch's python floats
            bc2_sqrt = (1 - b2**steps).sqrt()
        for i, p in enumerate(self.params):
            g = p.grad
            assert g is not None
            keep = _expand(mask, p)
            if self.kind == "sgd":
                p.copy_(torch.where(keep, p - self.lr * g, p))
            elif self.kind == "msgd":
                buf = self.m[i].mul(self.momentum).add_(g)
                self.m[i].copy_(torch.where(keep, buf, self.m[i]))
                p.copy_(torch.where(keep, p - self.lr * buf, p))
            else:
                m = self.m[i].lerp(g, 1 - b1)
                v = self.v[i].mul(b2).addcmul_(g, g, value=1 - b2)
                denom = (v.sqrt() / _expand(bc2_sqrt, p).to(p.dtype)).add_(eps)
                new = p - _expand(step_size, p).to(p.dtype) * (m / denom)
                self.m[i].copy_(torch.where(keep, m, self.m[i]))
                self.v[i].copy_(torch.where(keep, v, self.v[i]))
                p.copy_(torch.where(keep, new, p))
        self.steps = steps


# --- the stacked model ------------------------------------------------------------------------------------------


class BatchedSequenceModel(nn.Module):
    """S SequenceModels of one shape as stacked parameters: slice s of each is model s's parameter of that name.

    forward(x (S, B, T, I)) -> (S, B, n_out), the readout of each model's last state. `select` runs a subset.
    """

    def __init__(self, models: Sequence[SequenceModel], cell: str) -> None:
        super().__init__()
        self.cell = cell
        self.names = [n for n, _ in models[0].named_parameters()]
        self.stacked = nn.ParameterList(
            nn.Parameter(torch.stack([dict(m.named_parameters())[n].detach() for m in models]).clone())
            for n in self.names)
        rnn = models[0].rnn
        self.act = rnn.act if isinstance(rnn, Recurrent) else None
        self.delays = rnn.delays if isinstance(rnn, Recurrent) else ()
        self.hidden = int(models[0].readout.in_features)

    def params(self, select: Tensor | None = None) -> dict[str, Tensor]:
        return {n: (p if select is None else p[select]) for n, p in zip(self.names, self.stacked, strict=True)}

    def states(self, x: Tensor, select: Tensor | None = None,
               grad_hook: Callable[[Tensor], None] | None = None) -> tuple[Tensor, Tensor | None]:
        """(readout (S, B, n_out), every state (T, S, B, H) for rnnlab cells, else None)."""
        p = self.params(select)
        S, B, T, n_in = x.shape
        h0 = x.new_zeros(S, B, self.hidden)
        hs: Tensor | None = None
        if self.cell in ("gru", "lstm"):
            w = [p[f"rnn.{n}_l0"] for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
            out = gru_batched(x, h0, *w) if self.cell == "gru" else lstm_batched(x, h0, h0, *w)
            last = out[:, :, -1]
        else:
            assert self.act is not None
            # the bias as a column of U against a constant 1 in x: one product per step, forward and backward
            xt = torch.cat([x.permute(2, 0, 1, 3), x.new_ones(T, S, B, 1)], dim=3)  # (T, S, B, I + 1)
            Ub = torch.cat([p["rnn.U"], p["rnn.b"].unsqueeze(2)], dim=2)  # (S, H, I + 1)
            delayed = [(k, p[f"rnn.M.{i}"]) for i, k in enumerate(self.delays)]
            hs, last = recur_batched(xt, Ub, h0, p["rnn.W"], self.act, delayed, grad_hook)
        y = torch.baddbmm(p["readout.bias"].unsqueeze(1), last, p["readout.weight"].transpose(1, 2))  # (S, B, n)
        return y, hs

    def forward(self, x: Tensor, select: Tensor | None = None) -> Tensor:
        return self.states(x, select)[0]

    @torch.no_grad()
    def write_back(self, s: int, model: SequenceModel) -> SequenceModel:
        """Copy model s's slice into a SequenceModel of the same shape (e.g. the one it was built from)."""
        for (name, p), stacked, stacked_name in zip(model.named_parameters(), self.stacked, self.names, strict=True):
            assert name == stacked_name
            p.copy_(stacked[s])
        return model


def _model_losses(task: Task, out: Tensor, y: Tensor) -> Tensor:
    """(S,) the task's loss of each model: mean cross-entropy or mean squared error over its batch."""
    S, B, n = out.shape
    if task.regression:
        return (out - y).square().mean(dim=(1, 2))
    return F.cross_entropy(out.reshape(S * B, n), y.reshape(S * B), reduction="none").view(S, B).mean(dim=1)


def _groups(batches: dict[int, Batch]) -> list[list[int]]:
    """Models whose batches share a sequence length, so that they stack (temporal order: one group)."""
    by_len: dict[int, list[int]] = {}
    for s, b in batches.items():
        by_len.setdefault(b.x.shape[1], []).append(s)
    return list(by_len.values())


def _stack(task: Task, batches: dict[int, Batch], members: list[int], dtype: torch.dtype) -> tuple[Tensor, Tensor]:
    x = torch.stack([batches[s].x for s in members]).to(dtype)  # (S_g, B, L, I)
    y = torch.stack([batches[s].y for s in members])
    return x, (y.to(dtype) if task.regression else y)


def _select(members: list[int], S: int) -> Tensor | None:
    return None if members == list(range(S)) else torch.tensor(members)


@torch.no_grad()
def error_rates(model: BatchedSequenceModel, task: Task, T: int, n: int, gens: dict[int, torch.Generator],
                dtype: torch.dtype, batch: int = 1000) -> dict[int, float]:
    """Fraction of n fresh sequences each model s in gens gets wrong, drawn from its own generator gens[s]
    exactly as training.error_rate draws them."""
    wrong = dict.fromkeys(gens, 0)
    S = len(model.stacked[0])
    for start in range(0, n, batch):
        batches = {s: task.batch(min(batch, n - start), T, g) for s, g in gens.items()}
        for members in _groups(batches):
            x, y = _stack(task, batches, members, dtype)
            out = model(x, _select(members, S))
            errs = task.errors(out.reshape(-1, out.shape[2]), y.reshape(-1, *y.shape[2:]))  # (S_g B,)
            for s, e in zip(members, errs.view(len(members), -1).sum(dim=1).tolist(), strict=True):
                wrong[s] += int(e)
    return {s: w / n for s, w in wrong.items()}


def check_batchable(configs: Sequence[TrainConfig]) -> None:
    """Configs train together only if they differ in nothing but the seed."""
    if not configs:
        raise ValueError("needs at least one config")
    shape = dataclasses.replace(configs[0], seed=0)
    for c in configs[1:]:
        if dataclasses.replace(c, seed=0) != shape:
            raise ValueError("seed-batched configs must differ only in their seed")


def train_batched(configs: Sequence[TrainConfig], progress: Callable[[int], None] | None = None) -> list[TrainResult]:
    """Train len(configs) models that differ only in seed as one computation; one TrainResult per config, equal
    (to rounding) to what train(config) returns. progress(step) is called after every step of the batch.

    Threads: configs[0].threads, as train() uses them (None: leave torch's setting); subnormals flushed as in
    train() (see training.flush_denormals).
    """
    check_batchable(configs)
    with torch_threads(configs[0].threads), flush_denormals():
        return _train_batched(list(configs), progress)


def _train_batched(configs: list[TrainConfig], progress: Callable[[int], None] | None) -> list[TrainResult]:
    base, S = configs[0], len(configs)
    task = get_task(base.task)
    task.batch(1, base.T, torch.Generator())  # reject a too-short T before any work
    dtype = DTYPES[base.dtype]
    models = [build_model(c) for c in configs]
    net = BatchedSequenceModel(models, base.cell)
    opt = StackedOptimizer(list(net.stacked), base.optimizer, base.lr, base.momentum)
    data = {s: torch.Generator().manual_seed(c.seed) for s, c in enumerate(configs)}
    check = {s: torch.Generator().manual_seed(10_000 + c.seed) for s, c in enumerate(configs)}
    logs = [ClipLog() for _ in configs]
    losses: list[list[float]] = [[] for _ in configs]
    active = list(range(S))
    for step in range(1, base.steps + 1):
        batches = {s: task.batch(base.batch, base.T, data[s]) for s in active}
        for p in net.stacked:
            p.grad = None
        step_losses: dict[int, float] = {}
        regularised: list[tuple[Tensor, Tensor | None, list[Tensor], Tensor | None]] = []
        total = None
        for members in _groups(batches):
            x, y = _stack(task, batches, members, dtype)
            select = _select(members, S)
            totals: list[Tensor] = []
            out, hs = net.states(x, select, totals.append if base.omega > 0 else None)
            per_model = _model_losses(task, out, y)  # (S_g,)
            step_losses.update(zip(members, per_model.tolist(), strict=True))
            total = per_model.sum() if total is None else total + per_model.sum()
            regularised.append((per_model, hs, totals, select))
        assert total is not None
        total.backward(retain_graph=base.omega > 0)
        if base.omega > 0:  # Omega's backward needs every dE/dh_t, which E's backward has just produced
            assert net.act is not None
            om = total.new_zeros(())
            for _, hs, totals, select in regularised:
                assert hs is not None
                om = om + omega(hs, totals[0], net.params(select)["rnn.W"], net.act).sum()
            (base.omega * om).backward()
        grads = [p.grad if p.grad is not None else torch.zeros_like(p) for p in net.stacked]
        for p, g in zip(net.stacked, grads, strict=True):
            p.grad = g
        stats = clip_stacked(grads, base.clip)
        running = torch.zeros(S, dtype=torch.bool)
        running[active] = True
        opt.step(running & stats.finite)
        steps_clip = stats.steps()
        for s in active:
            losses[s].append(step_losses[s])
            logs[s].add(steps_clip[s])
        if progress is not None:
            progress(step)
        if step % base.check_every == 0:
            rates = error_rates(net, task, base.T, 1000, {s: check[s] for s in active}, dtype)
            active = [s for s in active if not rates[s] < SUCCESS_ERROR_RATE]  # looks solved: it stops here
        if not active:
            break
    tests = {s: torch.Generator().manual_seed(1_000_000 + c.seed) for s, c in enumerate(configs)}
    test_errors = error_rates(net, task, base.T, base.test_sequences, tests, dtype)
    results = []
    for s, config in enumerate(configs):
        tail = losses[s][-max(1, len(losses[s]) // 10):]
        final_loss = sum(tail) / len(tail) if all(math.isfinite(v) for v in tail) else math.nan
        log = logs[s]
        results.append(TrainResult(config, test_errors[s] < SUCCESS_ERROR_RATE, test_errors[s], final_loss, losses[s],
                                   len(losses[s]), log.nonfinite_skipped, log.summary(),
                                   [c.pre_norm for c in log.steps], net.write_back(s, models[s])))
    return results
