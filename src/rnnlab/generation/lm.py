"""Autoregressive RNN language models: the model, teacher forcing, free running, scheduled sampling (S6).

The model is embedding -> recurrent stack -> linear head. Teacher forcing runs the whole sequence
through the fused module (nn.GRU / nn.LSTM, or rnnlab's core Recurrent); free running and scheduled
sampling step the SAME weights one token at a time, because each input depends on the previous output.

    x_0 ──► [emb] ──► [rnn] ──► logits_0 ──► choose: truth x_1 (prob eps) or the model's own token
                        │ h_1                                  │
                        ▼                                      ▼
    x̃_1 ─────────────► [emb] ──► [rnn] ──► logits_1 ──► ...
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from rnnlab.core import TANH, Recurrent
from rnnlab.errors import NonFiniteError
from rnnlab.generation.data import Corpus, Vocab, random_windows
from rnnlab.generation.schedules import Strategy

CELLS = ("gru", "lstm", "rnn")  # rnn: rnnlab's own tanh Recurrent cell (core), stacked
FEEDS = ("argmax", "sample")  # how the model's own token is chosen when it is fed back
CHECKPOINT_FORMAT = "rnnlab-lm/1"

State = Any  # Tensor (L, B, H) for gru/rnn, a pair of them for lstm; None means zeros


@dataclass(frozen=True)
class LMConfig:
    """Shape of a language model."""

    vocab_size: int  # number of tokens (65 characters for Tiny Shakespeare)
    cell: str = "gru"  # one of CELLS
    embed_dim: int = 64  # size of a token's embedding (the recurrent input)
    hidden: int = 512  # recurrent units per layer
    layers: int = 1  # stacked recurrent layers
    dropout: float = 0.0  # dropout on the embeddings and the top states, training only (Zaremba et al. 2014)

    def __post_init__(self) -> None:
        if not 0 <= self.dropout < 1:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")
        if self.cell not in CELLS:
            raise ValueError(f"unknown cell {self.cell!r}; valid: {', '.join(CELLS)}")
        for name in ("vocab_size", "embed_dim", "hidden", "layers"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")


class RNNLM(nn.Module):
    """p(x_{t+1} | x_1..x_t) = softmax(head(h_t)), h_t = rnn(embed(x_t), h_{t-1})."""

    def __init__(self, config: LMConfig) -> None:
        super().__init__()
        self.config = config
        E, H, L = config.embed_dim, config.hidden, config.layers
        self.embed = nn.Embedding(config.vocab_size, E)
        self.rnn: nn.Module
        if config.cell == "gru":
            self.rnn = nn.GRU(E, H, L, batch_first=True)
        elif config.cell == "lstm":
            self.rnn = nn.LSTM(E, H, L, batch_first=True)
        else:
            self.rnn = nn.ModuleList(Recurrent(E if i == 0 else H, H, TANH, batch_first=True) for i in range(L))
        self.drop = nn.Dropout(config.dropout)
        self.head = nn.Linear(H, config.vocab_size)

    def _recur(self, e: Tensor, state: State) -> tuple[Tensor, State]:
        """e (B, T, E) -> every top-layer state (B, T, H) and the last state of every layer."""
        if isinstance(self.rnn, nn.ModuleList):
            h0 = [None] * len(self.rnn) if state is None else list(state.unbind(0))
            finals = []
            out = e
            for layer, h in zip(self.rnn, h0, strict=True):
                out, h_n = layer(out, None if h is None else h.unsqueeze(0))  # (B, T, H), (1, B, H)
                finals.append(h_n[0])
            return out, torch.stack(finals)  # (L, B, H)
        return self.rnn(e, state)

    def forward(self, x: Tensor, state: State = None) -> tuple[Tensor, State]:
        """Teacher forcing: x (B, T) token ids -> logits (B, T, V) for x_2..x_{T+1}, and the final state."""
        out, state = self._recur(self.drop(self.embed(x)), state)  # (B, T, H)
        return self.head(self.drop(out)), state

    def step(self, x_t: Tensor, state: State = None) -> tuple[Tensor, State]:
        """One token through the same weights: x_t (B,) -> logits (B, V), new state."""
        out, state = self._recur(self.drop(self.embed(x_t))[:, None, :], state)  # (B, 1, H)
        return self.head(self.drop(out[:, 0])), state


def build_model(config: LMConfig, seed: int) -> RNNLM:
    """A model with initial weights fixed by `seed` (the global RNG is forked, so callers are unaffected)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return RNNLM(config)


def choose_own(logits: Tensor, feed: str, generator: torch.Generator | None) -> Tensor:
    """The model's own token from logits (B, V): argmax, or a sample from softmax(logits)."""
    if feed == "argmax":
        return logits.argmax(-1)
    if feed == "sample":
        return torch.multinomial(F.softmax(logits.detach().float(), -1), 1, generator=generator)[:, 0]
    raise ValueError(f"unknown feed {feed!r}; valid: {', '.join(FEEDS)}")


@dataclass(frozen=True)
class Unrolled:
    logits: Tensor  # (B, T, V) the prediction after each input
    inputs: Tensor  # (B, T) the tokens actually fed: x_1, then the truth or the model's own token


def unroll(model: RNNLM, x: Tensor, eps: float, feed: str = "argmax", generator: torch.Generator | None = None,
           state: State = None) -> Unrolled:
    """Scheduled sampling (Bengio et al. 2015): each input after the first is the ground truth x_t with
    probability eps (one coin per token), else the model's own token from its previous prediction.

    eps = 1 is teacher forcing and eps = 0 free running. The chosen token is discrete, so no gradient flows
    through the choice (as in the paper).
    """
    if not 0 <= eps <= 1:
        raise ValueError(f"eps must be in [0, 1], got {eps}")
    B, T = x.shape
    inp = x[:, 0]  # (B,)
    outs, fed = [], [inp]
    for t in range(T):
        logits_t, state = model.step(inp, state)  # (B, V)
        outs.append(logits_t)
        if t + 1 == T:
            break
        truth = x[:, t + 1]
        if eps >= 1:
            inp = truth
        else:
            own = choose_own(logits_t.detach(), feed, generator)  # (B,)
            if eps <= 0:
                inp = own
            else:
                coin = torch.rand(B, generator=generator) < eps  # True: feed the truth
                inp = torch.where(coin, truth, own)
        fed.append(inp)
    return Unrolled(torch.stack(outs, dim=1), torch.stack(fed, dim=1))


# ---------------------------------------------------------------------------------------------- evaluation


@torch.no_grad()
def windowed_nll(model: RNNLM, ids: Tensor, windows: int = 256, length: int = 64, seed: int = 1337,
                 batch: int = 128) -> float:
    """nanoGPT's validation loss: mean NLL (nats/token) over `windows` random windows of `length` tokens,
    each from a fresh (zero) state, every position counted. The windows are fixed by `seed`."""
    g = torch.Generator().manual_seed(seed)
    x, y = random_windows(ids, windows, length, g)  # (N, T)
    total = 0.0
    for i in range(0, windows, batch):
        logits, _ = model(x[i : i + batch])
        total += F.cross_entropy(logits.flatten(0, 1).float(), y[i : i + batch].flatten(), reduction="sum").item()
    return total / (windows * length)


@torch.no_grad()
def streaming_nll(model: RNNLM, ids: Tensor, chunk: int = 4096) -> float:
    """Mean NLL (nats/token) of ids[1:] given everything before, the state carried across the whole text."""
    state: State = None
    total = 0.0
    for i in range(0, len(ids) - 1, chunk):
        x = ids[i : i + chunk][None]  # (1, T)
        y = ids[i + 1 : i + 1 + chunk][None]
        x = x[:, : y.shape[1]]
        logits, state = model(x, state)
        total += F.cross_entropy(logits[0].float(), y[0], reduction="sum").item()
    return total / (len(ids) - 1)


# ---------------------------------------------------------------------------------------------- training


@dataclass(frozen=True)
class TrainConfig:
    """How a language model is trained. Defaults (with LMConfig's): the 2-minute CPU recipe for Tiny Shakespeare,
    chosen by measurement: GRU-512, 64 zero-state windows of 64 characters per step, AdamW at 6e-3 with a
    linear decay to 0 at the time budget, bfloat16 matmuls."""

    strategy: Strategy = field(default_factory=lambda: Strategy("teacher"))  # teacher, free or scheduled
    steps: int = 100_000  # most optimizer steps (the run also stops at the time budget)
    time_budget_s: float | None = 100.0  # wall-clock seconds of training; None: run all `steps`
    batch: int = 64  # windows per step
    seq_len: int = 64  # tokens per window; every window starts from a zero state (as the metric does)
    lr: float = 6e-3  # peak AdamW learning rate (4e-3: 1.594, 6e-3: 1.561, 1e-2: 1.618 val NLL at 666 steps)
    warmup: int = 30  # steps of linear warm-up
    final_lr_frac: float = 0.0  # the learning rate decays linearly to this fraction of lr at the end
    weight_decay: float = 0.0  # AdamW decoupled weight decay
    clip: float = 1.0  # gradient clipping by global norm (Pascanu et al. 2013)
    feed: str = "sample"  # the model's own token when fed back: sampled (Bengio et al. 2015) or argmax
    bf16: bool = True  # bfloat16 autocast of the matmuls (fp32 master weights): ~2-3x the tokens/s on CPU
    threads: int | None = None  # intra-op threads; None: chosen by timing steps (1 or all cores), see _ThreadChooser
    probe_every_s: float = 15.0  # auto threads: first wait before the other setting is tried
    eval_points: int = 8  # points on the validation curve (one more at the end)
    eval_windows: int = 128  # windows per point of the validation curve (the final number uses more)
    eval_length: int = 64  # tokens per validation window (nanoGPT's block size on CPU)
    seed: int = 0  # seeds the initial weights, the windows and the coins

    def __post_init__(self) -> None:
        if self.steps < 1:
            raise ValueError(f"steps must be >= 1, got {self.steps}")
        if self.time_budget_s is not None and not self.time_budget_s > 0:
            raise ValueError(f"time budget must be > 0 seconds, got {self.time_budget_s}")
        if self.batch < 1 or self.seq_len < 1:
            raise ValueError(f"batch and seq_len must be >= 1, got {self.batch} and {self.seq_len}")
        if not self.lr > 0:
            raise ValueError(f"lr must be > 0, got {self.lr}")
        if self.feed not in FEEDS:
            raise ValueError(f"unknown feed {self.feed!r}; valid: {', '.join(FEEDS)}")
        if not self.clip > 0:
            raise ValueError(f"clip must be > 0, got {self.clip}")


@dataclass(frozen=True)
class CurvePoint:
    step: int  # optimizer steps done
    tokens: int  # training tokens seen
    elapsed_s: float  # wall seconds since training began
    train_loss: float  # mean training loss since the previous point, nats/token
    val_nll: float  # windowed validation NLL, nats/token
    eps: float  # probability of feeding the truth at this step


@dataclass(frozen=True)
class TrainResult:
    model: RNNLM  # the trained model (eval mode)
    curve: list[CurvePoint]  # the validation curve
    steps: int  # optimizer steps taken
    tokens: int  # training tokens processed
    train_s: float  # wall seconds of training (validation-curve points included)
    tokens_per_s: float  # training tokens per second of pure training (curve evaluations excluded)
    threads: int  # intra-op threads in use at the end (the faster one when chosen automatically)


@contextmanager
def num_threads(n: int) -> Iterator[None]:
    """Run a block with n intra-op threads, then restore the previous setting."""
    old = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(old)


class _ThreadChooser:
    """Chooses between 1 thread and every core by timing training steps, while training goes on.

    On a machine shared with other jobs, threads that wait for each other at every barrier can make an
    all-core step many times slower than a one-thread step; on a quiet machine all cores win. So the run
    starts with all cores only when the machine looks idle (load average), keeps a running estimate of
    its step time, and now and then tries the other setting for two steps (the first may pay a warm-up),
    switching when it is faster. A losing try doubles the wait before the next one, and a try whose first
    step is already 3x slower than the current setting stops there.
    """

    def __init__(self, fixed: int | None, every_s: float) -> None:
        cores = os.cpu_count() or 1
        self.auto = fixed is None and cores > 1
        if self.auto:
            busy = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
            self.current = cores if busy < 0.5 else 1
            self.other = 1 if self.current == cores else cores
        else:
            self.current = self.other = fixed or torch.get_num_threads()
        self.every_s = self.wait_s = every_s
        self.next_try = every_s
        self.est = math.inf  # recent seconds per step with the current setting
        self.trying = 0  # steps left in a try of the other setting
        self.try_best = math.inf

    def before_step(self, elapsed: float) -> int:
        if self.auto and not self.trying and elapsed >= self.next_try and math.isfinite(self.est):
            self.trying, self.try_best = 2, math.inf
        n = self.other if self.trying else self.current
        torch.set_num_threads(n)
        return n

    def after_step(self, seconds: float, elapsed: float) -> None:
        if not self.trying:
            self.est = seconds if not math.isfinite(self.est) else min(seconds, 0.7 * self.est + 0.3 * seconds)
            return
        self.trying -= 1
        self.try_best = min(self.try_best, seconds)
        if self.trying and seconds > 3 * self.est:
            self.trying = 0  # hopeless: do not pay for a second slow step
        if self.trying:
            return
        if self.try_best < 0.9 * self.est:
            self.current, self.other = self.other, self.current
            self.est, self.wait_s = self.try_best, self.every_s
        else:
            self.wait_s = min(8 * self.every_s, 2 * self.wait_s)
        self.next_try = elapsed + self.wait_s


def lr_at(config: TrainConfig, step: int, progress: float) -> float:
    """Linear warm-up, then linear decay to final_lr_frac * lr as progress (0..1) reaches 1."""
    warm = min(1.0, (step + 1) / max(1, config.warmup))
    decay = config.final_lr_frac + (1 - config.final_lr_frac) * max(0.0, 1.0 - progress)
    return config.lr * warm * decay


def train_step_loss(model: RNNLM, x: Tensor, y: Tensor, eps: float, feed: str,
                    generator: torch.Generator | None) -> Tensor:
    """The training loss of one batch: the fused teacher-forced pass when eps = 1, else the stepped unroll."""
    logits = model(x)[0] if eps >= 1 else unroll(model, x, eps, feed, generator).logits
    return F.cross_entropy(logits.flatten(0, 1).float(), y.flatten())


Batches = Callable[[torch.Generator], tuple[Tensor, Tensor]]  # generator -> inputs x (B, T), targets y (B, T)


def train_lm(model: RNNLM, corpus: Corpus, config: TrainConfig,
             on_step: Callable[[int, float, float], None] | None = None) -> TrainResult:
    """Train on random windows of corpus.train (each from a zero state); the curve is the windowed val NLL."""

    def batches(g: torch.Generator) -> tuple[Tensor, Tensor]:
        return random_windows(corpus.train, config.batch, config.seq_len, g)

    def evaluate(m: RNNLM) -> float:
        return windowed_nll(m, corpus.val, config.eval_windows, config.eval_length)

    return train(model, batches, evaluate, config, on_step)


def train(model: RNNLM, batches: Batches, evaluate: Callable[[RNNLM], float], config: TrainConfig,
          on_step: Callable[[int, float, float], None] | None = None) -> TrainResult:
    """AdamW on batches(g) until `steps` or the time budget, whichever comes first; evaluate(model) gives
    the validation curve. on_step(step, progress 0..1, loss) is called after every step (progress bars).
    """
    g = torch.Generator().manual_seed(config.seed)
    threads_before = torch.get_num_threads()
    chooser = _ThreadChooser(config.threads, config.probe_every_s)
    opt = torch.optim.AdamW(model.parameters(), lr=config.lr, betas=(0.9, 0.99), weight_decay=config.weight_decay)
    curve: list[CurvePoint] = []
    next_point = 1
    loss_sum, loss_n, tokens, eval_s = 0.0, 0, 0, 0.0
    start = time.perf_counter()
    step = 0
    progress = 0.0
    while step < config.steps:
        elapsed = time.perf_counter() - start
        progress = step / config.steps
        if config.time_budget_s is not None:
            progress = max(progress, elapsed / config.time_budget_s)
        if progress >= 1:
            break
        lr = lr_at(config, step, progress)
        for group in opt.param_groups:
            group["lr"] = lr
        eps = config.strategy.eps(step)
        model.train()
        chooser.before_step(elapsed)
        t_step = time.perf_counter()
        x, y = batches(g)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=config.bf16):
            loss = train_step_loss(model, x, y, eps, config.feed, g)
        if not math.isfinite(loss.item()):
            raise NonFiniteError("loss", step + 1, loss.item())
        opt.zero_grad(set_to_none=True)
        loss.backward()
        # Clipping by norm keeps the direction; it tames the rare exploding step at a high learning rate.
        norm = float(nn.utils.clip_grad_norm_(model.parameters(), config.clip))
        if not math.isfinite(norm):  # the analogue of error_if_nonfinite, with the step in the message
            raise NonFiniteError("gradient norm", step + 1, norm)
        opt.step()
        chooser.after_step(time.perf_counter() - t_step, time.perf_counter() - start)
        step += 1
        tokens += x.numel()
        loss_sum += loss.item()
        loss_n += 1
        if on_step is not None:
            on_step(step, progress, loss.item())
        if progress >= next_point / (config.eval_points + 1) or step == config.steps:
            t0 = time.perf_counter()
            model.eval()
            val = evaluate(model)
            eval_s += time.perf_counter() - t0
            curve.append(CurvePoint(step, tokens, time.perf_counter() - start, loss_sum / loss_n, val, eps))
            loss_sum, loss_n = 0.0, 0
            while next_point / (config.eval_points + 1) <= progress:
                next_point += 1
    if step > 0 and (not curve or curve[-1].step != step):  # the curve ends where training ends
        t0 = time.perf_counter()
        model.eval()
        val = evaluate(model)
        eval_s += time.perf_counter() - t0
        curve.append(CurvePoint(step, tokens, time.perf_counter() - start, loss_sum / max(1, loss_n), val,
                                config.strategy.eps(step - 1)))
    train_s = time.perf_counter() - start
    model.eval()
    torch.set_num_threads(threads_before)
    return TrainResult(model, curve, step, tokens, train_s, tokens / max(1e-9, train_s - eval_s), chooser.current)


# ---------------------------------------------------------------------------------------------- use


@torch.no_grad()
def sample(model: RNNLM, vocab: Vocab, prompt: str, length: int = 200, temperature: float = 1.0,
           seed: int = 0) -> str:
    """Continue `prompt` by `length` tokens drawn one at a time from softmax(logits / temperature)."""
    if length < 0:
        raise ValueError(f"sample length must be >= 0, got {length}")
    if not temperature > 0:
        raise ValueError(f"temperature must be > 0, got {temperature}")
    ids = vocab.encode(prompt) if prompt else torch.tensor([0])
    if len(ids) == 0:
        raise ValueError(f"prompt {prompt!r} has no token in the vocabulary")
    g = torch.Generator().manual_seed(seed)
    model.eval()
    logits, state = model(ids[None])
    last = logits[:, -1]  # (1, V)
    out: list[int] = []
    for _ in range(length):
        token = torch.multinomial(F.softmax(last / temperature, -1), 1, generator=g)[:, 0]  # (1,)
        out.append(int(token))
        last, state = model.step(token, state)
    return vocab.decode(out)


def save_checkpoint(path: str | Path, model: RNNLM, vocab: Vocab, extra: dict[str, Any] | None = None) -> None:
    """Write the model's weights, shape and vocabulary to one file."""
    torch.save({"format": CHECKPOINT_FORMAT, "config": asdict(model.config), "vocab": list(vocab.tokens),
                "level": vocab.level, "extra": extra or {}, "state_dict": model.state_dict()}, Path(path))


def load_checkpoint(path: str | Path) -> tuple[RNNLM, Vocab]:
    """Read a checkpoint written by save_checkpoint (tensors and plain data only: no code is unpickled)."""
    p = Path(path)
    if not p.is_file():
        raise ValueError(f"checkpoint {str(path)!r} does not exist or is not a file")
    try:
        data = torch.load(p, map_location="cpu", weights_only=True)
    except Exception as e:  # torch raises several types for a file that is not a checkpoint
        raise ValueError(f"{str(path)!r} is not an rnnlab checkpoint ({type(e).__name__})") from None
    if not isinstance(data, dict) or data.get("format") != CHECKPOINT_FORMAT:
        raise ValueError(f"{str(path)!r} is not an rnnlab checkpoint (format {CHECKPOINT_FORMAT} expected)")
    model = RNNLM(LMConfig(**data["config"]))
    model.load_state_dict(data["state_dict"])
    model.eval()
    return model, Vocab(tuple(data["vocab"]), data["level"])


def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def bits_per_token(nats: float) -> float:
    return nats / math.log(2)
