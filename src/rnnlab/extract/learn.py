"""`rnnlab learn`: train a recurrent accept/reject classifier on the strings of an automaton (SPEC S11).

Training is per prefix: the loss is binary cross-entropy on the readout after every symbol. Sparse
languages (Tomita 1 and 2 accept almost no random string) are made learnable by sampling half of each batch
as walks that stay inside the DFA's live states (those from which an accepting state is reachable), with a
random symbol now and then so that near misses appear; the classes are balanced by weighting the positives.
Gaussian noise on the state while polishing a perfect net (`noise`) makes the net robust to small perturbations of its
state, so its states gather in small regions that `rnnlab extract` can prove closed. Nets trained so can still
wander where nothing is left to remember: directions of the state that the readout ignores stay neutral or
expanding, and no small box around the visited states is closed under a step. A contraction penalty
(`contraction`, after the Jacobian penalty of contractive autoencoders, Rifai et al. 2011) is then added while
polishing: the squared gain |f(h + e) - f(h)|^2 / |e|^2 of a step on a small random e, above
`contraction_target`^2, averaged over the steps it applies to. GRU nets take it at every step; elman nets only at
steps from a settled DFA state (a dead state or an accepting sink, where the net has nothing to remember), since
everywhere it cost them their perfect score or their proof. Its default weight, by cell, is what measured best on
the Tomita table (README, "Measured results").
String lengths grow from `start_len` to `max_len` during training. Training stops when every prefix of a
held-out set of strings up to twice `max_len` is classified right after a final `polish_steps` with noise,
or at `steps`. The trained net is then run on run inputs ten times `max_len` long (`check_runs`), which find the
nets that lose count in a long run of one symbol; the result is reported, not used to stop.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

from rnnlab.core.activations import Activation
from rnnlab.core.recurrence import Recurrent
from rnnlab.exact.automaton import Automaton
from rnnlab.exact.net import Layer
from rnnlab.extract.model import LearnedNet
from rnnlab.extract.words import run_words

CELL_CHOICES = ("sigmoid", "tanh", "gru", "lstm")
RUNS_LENGTH = 10  # the run-input check's inputs are this many times max_len long

__all__ = ["CELL_CHOICES", "LearnConfig", "LearnResult", "accuracy_by_band", "learn", "sample_words"]


@dataclass(frozen=True)
class LearnConfig:
    cell: str = "tanh"  # one of CELL_CHOICES (sigmoid and tanh are elman cells)
    hidden: int = 8  # H, hidden units
    seed: int = 0  # seeds the weights, the training strings and the held-out strings
    steps: int = 3000  # budget: at most this many Adam steps
    batch: int = 64  # strings per step
    lr: float = 0.02  # Adam learning rate
    start_len: int = 4  # string length at the first step
    max_len: int = 16  # string length reached at `grow_steps`; held-out strings go up to 2 max_len
    grow_steps: int = 600  # steps over which the length grows linearly
    walk_fraction: float = 0.5  # share of each batch sampled as live walks of the DFA
    walk_noise: float = 0.1  # probability of a uniformly random symbol during a live walk
    eval_every: int = 100  # steps between held-out evaluations
    eval_strings: int = 1000  # held-out strings, lengths uniform in 1 .. 2 max_len
    polish_steps: int = 300  # steps trained with state noise after a perfect evaluation; then stop if still perfect
    threads: int = 1  # torch threads while training: tiny matrices run fastest on one
    noise: float = 0.1  # std of Gaussian noise added to the state at every time step while polishing (0: none)
    contraction: float | None = None  # weight of the contraction penalty while polishing (module docstring);
    # None: 1 for gru and tanh, 0 for sigmoid (on the Tomita table it cost sigmoid nets proofs) and lstm
    contraction_target: float = 0.5  # the per-step gain of a perturbation above which the penalty applies


@dataclass(frozen=True)
class LearnResult:
    net: LearnedNet  # the trained net (weights as float32)
    steps: int  # Adam steps taken
    perfect: bool  # every held-out prefix classified right at the end
    accuracy: float  # held-out per-prefix accuracy at the end
    bands: dict[str, float] = field(default_factory=dict)  # held-out accuracy by prefix-length band
    history: list[tuple[int, float]] = field(default_factory=list)  # (step, held-out accuracy) per evaluation
    runs: dict[str, Any] = field(default_factory=dict)  # the check on long run inputs (`check_runs`)


def _delta(spec: Automaton) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(delta (Q, A), accept (Q,), live (Q,)): live states can still reach an accepting state."""
    delta = np.array(spec.delta, dtype=np.int64)
    accept = np.zeros(len(spec.states), dtype=bool)
    accept[list(spec.accept)] = True
    live = accept.copy()
    while True:
        grown = live | live[delta].any(axis=1)
        if (grown == live).all():
            return delta, accept, live
        live = grown


def _walk(spec: Automaton, words: np.ndarray) -> np.ndarray:
    """The DFA's state before and after every symbol: words (B, T) -> (B, T + 1) state indices."""
    delta, _, _ = _delta(spec)
    out = np.empty((words.shape[0], words.shape[1] + 1), dtype=np.int64)
    out[:, 0] = spec.start
    for t in range(words.shape[1]):
        out[:, t + 1] = delta[out[:, t], words[:, t]]
    return out


def labels(spec: Automaton, words: np.ndarray) -> np.ndarray:
    """The spec's output after every prefix: words (B, T) -> (B, T) bool."""
    return _delta(spec)[1][_walk(spec, words)[:, 1:]]


def _settled(spec: Automaton) -> np.ndarray:
    """(Q,) bool: states from which every reachable state gives the same output (a dead or an accepting sink)."""
    delta, accept, _ = _delta(spec)
    Q = len(accept)
    step = np.zeros((Q, Q), dtype=bool)
    step[np.repeat(np.arange(Q), delta.shape[1]), delta.ravel()] = True
    reach = np.eye(Q, dtype=bool)  # reach[q, p]: p is reachable from q
    while True:
        grown = reach | (reach.astype(np.int64) @ step > 0)
        if (grown == reach).all():
            break
        reach = grown
    return np.array([accept[reach[q]].all() or not accept[reach[q]].any() for q in range(Q)])


def sample_words(spec: Automaton, n: int, length: int, rng: np.random.Generator, walk_fraction: float = 0.5,
                 walk_noise: float = 0.1) -> np.ndarray:
    """n strings of one length (n, length): uniform symbols, or live walks of the DFA (module docstring)."""
    delta, _, live = _delta(spec)
    A = delta.shape[1]
    words = rng.integers(0, A, size=(n, length))
    walkers = np.nonzero(rng.random(n) < walk_fraction)[0]
    q = np.full(len(walkers), spec.start, dtype=np.int64)
    for t in range(length):
        ok = live[delta[q]]  # (n_w, A): symbols that keep the walk live
        scores = rng.random(ok.shape) + ok  # a live symbol beats any dead one, ties broken at random
        pick = scores.argmax(axis=1)
        noise = rng.random(len(walkers)) < walk_noise
        pick = np.where(noise, words[walkers, t], pick)
        words[walkers, t] = pick
        q = delta[q, pick]
    return words


def held_out(spec: Automaton, n: int, max_len: int, seed: int) -> list[np.ndarray]:
    """n strings with lengths uniform in 1..max_len, grouped by length (one array per length present)."""
    rng = np.random.default_rng([seed, 1])
    lengths = rng.integers(1, max_len + 1, size=n)
    return [sample_words(spec, int((lengths == L).sum()), L, rng) for L in range(1, max_len + 1)
            if (lengths == L).any()]


def check_runs(net: LearnedNet, spec: Automaton, n: int, length: int, seed: int) -> dict[str, Any]:
    """Per-prefix accuracy on n run inputs of the given length (`words.run_words`), and how many inputs are wrong
    somewhere. Not part of the stopping rule: it reports what the held-out strings miss, a net that loses count
    in a run longer than it was trained on."""
    words = run_words(np.random.default_rng([seed, 3]), n, length, len(spec.alphabet))
    ok = (net.logits(words) > 0) == labels(spec, words)
    return {"inputs": n, "length": length, "accuracy": float(ok.mean()), "inputs_wrong": int((~ok).any(axis=1).sum())}


def accuracy_by_band(net: LearnedNet, spec: Automaton, groups: list[np.ndarray], max_len: int
                     ) -> tuple[float, dict[str, float]]:
    """Per-prefix accuracy overall and by prefix-length band (1..L/2, L/2+1..L, L+1..2L for L = max_len)."""
    bands = [(1, max(1, max_len // 2)), (max_len // 2 + 1, max_len), (max_len + 1, 2 * max_len)]
    right = np.zeros(2 * max_len + 1)
    total = np.zeros(2 * max_len + 1)
    for words in groups:
        ok = (net.logits(words) > 0) == labels(spec, words)  # (B, T)
        T = words.shape[1]
        right[1:T + 1] += ok.sum(axis=0)
        total[1:T + 1] += ok.shape[0]
    by_band = {f"{lo}-{hi}": float(right[lo:hi + 1].sum() / total[lo:hi + 1].sum())
               for lo, hi in bands if total[lo:hi + 1].sum() > 0}
    return float(right.sum() / max(total.sum(), 1)), by_band


class _Classifier(nn.Module):
    """One-hot symbols -> recurrent cell -> a logit after every prefix."""

    def __init__(self, cell: str, A: int, H: int) -> None:
        super().__init__()
        self.cell_name = cell
        self.rnn: nn.Module
        self.H = H
        if cell in ("sigmoid", "tanh"):
            self.rnn = Recurrent(A, H, Activation(cell), batch_first=True)
        elif cell == "gru":
            self.rnn = nn.GRUCell(A, H)
        else:
            self.rnn = nn.LSTMCell(A, H)
        self.readout = nn.Linear(H, 1)

    def forward(self, x: torch.Tensor, noise: float = 0.0, target: float | None = None,
                where: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """x (B, T, A) -> (logits (B, T), contraction penalty), from a zero state. Noise on the state teaches
        the net to pull perturbed states back to its attractors, which keeps its state regions small (and
        provable). With noise and a target, the penalty is the mean excess over target^2 of the squared gain of
        a step on a small random perturbation of the state, over the steps `where` (B, T) marks (default all);
        else it is 0."""
        if isinstance(self.rnn, Recurrent) and not noise:
            out_seq, _ = self.rnn(x)  # the fused recurrence, (B, T, H)
            return self.readout(out_seq).squeeze(-1), x.new_zeros(())
        B, T, _ = x.shape
        h = x.new_zeros(B, self.H)
        c = x.new_zeros(B, self.H)
        out = []
        gains = []
        for t in range(T):
            if noise and target is not None and not isinstance(self.rnn, nn.LSTMCell):
                eps = 1e-2 * torch.randn_like(h)
                step = self.rnn.step if isinstance(self.rnn, Recurrent) else self.rnn
                moved = step(x[:, t], h + eps) - step(x[:, t], h)
                gains.append(moved.pow(2).sum(1) / eps.pow(2).sum(1))
            if isinstance(self.rnn, Recurrent):
                h = self.rnn.step(x[:, t], h)
            elif isinstance(self.rnn, nn.GRUCell):
                h = self.rnn(x[:, t], h)
            else:
                h, c = self.rnn(x[:, t], (h, c))
                if noise:
                    c = c + noise * torch.randn_like(c)
            if noise:
                h = h + noise * torch.randn_like(h)
            out.append(h)
        logits = self.readout(torch.stack(out, dim=1)).squeeze(-1)  # (B, T)
        if not gains:
            return logits, x.new_zeros(())
        excess = torch.relu(torch.stack(gains, dim=1) - (target or 0.0) ** 2)  # (B, T)
        w = torch.ones_like(excess) if where is None else where.to(excess.dtype)
        return logits, (excess * w).sum() / w.sum().clamp(min=1.0)

    def export(self, name: str, spec: Automaton, meta: dict[str, Any]) -> LearnedNet:
        p = {k: v.detach().to(torch.float32).numpy().copy() for k, v in self.rnn.named_parameters()}
        v = self.readout.weight.detach().numpy()[0].astype(np.float32)
        c = float(self.readout.bias.detach().numpy()[0])
        H = v.shape[0]
        empty = np.zeros(0, dtype=np.float32)
        if self.cell_name in ("sigmoid", "tanh"):
            layer = Layer("h", tuple(map(tuple, p["W"].tolist())), tuple(map(tuple, p["U"].tolist())),
                          tuple(p["b"].tolist()), Activation(self.cell_name), (0.0,) * H)
            return LearnedNet(name, "elman", spec.alphabet, (layer,), {}, empty, empty, v, c, spec, meta)
        weights = {"W_ih": p["weight_ih"], "W_hh": p["weight_hh"], "b_ih": p["bias_ih"], "b_hh": p["bias_hh"]}
        zeros = np.zeros(H, dtype=np.float32)
        return LearnedNet(name, self.cell_name, spec.alphabet, (), weights, zeros,
                          zeros.copy() if self.cell_name == "lstm" else empty, v, c, spec, meta)


def learn(spec: Automaton, config: LearnConfig, name: str = "learned",
          progress: Callable[[int, float], None] | None = None) -> LearnResult:
    """Train a classifier on `spec` (module docstring); progress(step, last held-out accuracy) after each step."""
    if config.cell not in CELL_CHOICES:
        raise ValueError(f"unknown cell {config.cell!r}; valid: {', '.join(CELL_CHOICES)}")
    if config.hidden < 1 or config.steps < 0 or config.max_len < 1 or config.start_len < 1:
        raise ValueError("hidden, max_len and start_len must be >= 1 and steps >= 0")
    if (config.contraction or 0.0) < 0 or config.contraction_target <= 0:
        raise ValueError("contraction must be >= 0 and contraction_target > 0")
    if config.contraction and config.cell == "lstm":
        raise ValueError("the contraction penalty is not implemented for lstm (its state is (h, c))")
    threads = torch.get_num_threads()
    torch.set_num_threads(config.threads)
    try:
        return _learn(spec, config, name, progress)
    finally:
        torch.set_num_threads(threads)


def _learn(spec: Automaton, config: LearnConfig, name: str, progress: Callable[[int, float], None] | None
           ) -> LearnResult:
    torch.manual_seed(config.seed)
    rng = np.random.default_rng([config.seed, 0])
    A = len(spec.alphabet)
    model = _Classifier(config.cell, A, config.hidden)
    opt = torch.optim.Adam(model.parameters(), lr=config.lr)
    groups = held_out(spec, config.eval_strings, 2 * config.max_len, config.seed)
    meta: dict[str, Any] = {"trained": {"cell": config.cell, "hidden": config.hidden, "seed": config.seed}}
    history: list[tuple[int, float]] = []
    acc, polish_left, step, done = 0.0, -1, 0, False
    contraction = config.contraction if config.contraction is not None else float(config.cell in ("gru", "tanh"))
    accept, settled = _delta(spec)[1], _settled(spec)
    while step < config.steps and not done:
        grow = min(1.0, step / max(config.grow_steps, 1))
        L = int(round(config.start_len + grow * (config.max_len - config.start_len)))
        words = sample_words(spec, config.batch, L, rng, config.walk_fraction, config.walk_noise)
        walk = _walk(spec, words)
        y = torch.from_numpy(accept[walk[:, 1:]].astype(np.float32))
        x = nn.functional.one_hot(torch.from_numpy(words), A).to(torch.float32)  # (B, T, A)
        pos = float(y.sum())
        weight = torch.where(y > 0, (y.numel() - pos) / max(pos, 1.0), 1.0).clamp(0.05, 20.0)
        noise = config.noise if polish_left > 0 else 0.0  # state noise only while polishing a perfect net
        penalise = bool(noise and contraction)
        # gated nets: every step; elman nets: only steps from settled states (module docstring)
        where = torch.from_numpy(settled[walk[:, :-1]]) if penalise and config.cell != "gru" else None
        logits, penalty = model(x, noise, config.contraction_target if penalise else None, where)
        loss = nn.functional.binary_cross_entropy_with_logits(logits, y, weight=weight) + contraction * penalty
        opt.zero_grad()
        loss.backward()
        opt.step()
        step += 1
        if polish_left > 0:
            polish_left -= 1
        if step % config.eval_every == 0 or step == config.steps or polish_left == 0:
            acc, _ = accuracy_by_band(model.export(name, spec, meta), spec, groups, config.max_len)
            history.append((step, acc))
            if polish_left == 0:  # polishing ended: done if still perfect, else train on without noise
                done = acc == 1.0
                polish_left = -1
            elif acc == 1.0 and polish_left < 0 and step >= config.grow_steps:
                polish_left = config.polish_steps
        if progress is not None:
            progress(step, acc)
    net = model.export(name, spec, meta)
    acc, bands = accuracy_by_band(net, spec, groups, config.max_len)
    runs = check_runs(net, spec, config.eval_strings, RUNS_LENGTH * config.max_len, config.seed)
    meta["trained"].update({"steps": step, "heldout_accuracy": acc, "bands": bands, "max_len": config.max_len,
                            "runs": runs})
    return LearnResult(net, step, acc == 1.0, acc, bands, history, runs)
