"""Why no proof was found, in terms a user can act on: where the search failed, how the net's step stretches its
visited states, and what may help.

The failure (`certify.Failure`) says which DFA state's region failed and how: its readout interval crossed the
threshold 0 (by how much), or its regions kept growing (by how much an image lay outside them). The contraction
is measured on the concrete step (`Machine.step`), with autograd:

    J(h, a) = d step(h, a) / dh,   sigma(h, a) = ||J(h, a)||_2   at visited states h of each DFA state,

and the top Lyapunov exponent along random inputs, lambda = (1/T) sum_t log ||J_t u_{t-1}|| with
u_t = J_t u_{t-1} / ||J_t u_{t-1}|| (Benettin et al. 1980): per step, nearby states separate by about e^lambda.
A step that stretches (sigma > 1) grows every box around those states (each image is wider than its box), so
the regions do not settle. None of this enters a proof: it only explains one that was not found.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from rnnlab.exact.automaton import Automaton
from rnnlab.extract.certify import Failure
from rnnlab.extract.machine import Machine

__all__ = ["Contraction", "Diagnosis", "contraction", "diagnose"]

SAMPLES = 16  # visited states per DFA state at which the Jacobian is taken
LYAPUNOV_LEN = 100  # symbols of the random inputs the Lyapunov exponent is measured along
LYAPUNOV_INPUTS = 8  # how many, run as one batch
EXPANDS = 1.0  # a spectral norm above this stretches some direction
CLOSE = 0.1  # visited points within this share of the region's readout width of 0 lie "close" to the threshold


@dataclass(frozen=True)
class Contraction:
    """The step Jacobian's spectral norm at visited states, per DFA state (over the sampled states and every
    symbol), and the top Lyapunov exponent along random inputs."""

    states: tuple[str, ...]  # DFA state names, in order
    median: tuple[float, ...]  # per state: median of ||J(h, a)||_2 over sampled h and every symbol a
    max: tuple[float, ...]  # per state: the largest
    worst_symbol: tuple[str, ...]  # per state: the symbol a of the largest
    samples: tuple[int, ...]  # per state: visited states sampled
    lyapunov: float | None  # mean log growth per step of a tangent vector (None: not measured)
    length: int  # symbols of the random inputs it was measured along

    @property
    def largest(self) -> tuple[str, float, str]:
        """(state, norm, symbol) of the largest spectral norm."""
        k = int(np.argmax(self.max))
        return self.states[k], self.max[k], self.worst_symbol[k]

    @property
    def expands(self) -> bool:
        return bool(self.max) and self.largest[1] > EXPANDS

    def to_dict(self) -> dict[str, Any]:
        return {"per_state": {q: {"median": md, "max": mx, "worst_symbol": a, "samples": n} for q, md, mx, a, n
                              in zip(self.states, self.median, self.max, self.worst_symbol, self.samples,
                                     strict=True)},
                "max": self.largest[1] if self.max else None,
                "lyapunov": self.lyapunov, "lyapunov_factor": None if self.lyapunov is None else
                float(np.exp(self.lyapunov)), "lyapunov_length": self.length}

    def reading(self) -> str:
        """The numbers with a plain reading, one clause each."""
        if not self.max:
            return "no visited states to measure the step at"
        q, top, a = self.largest
        per = ", ".join(f"{s} {md:.2g}/{mx:.2g}" for s, md, mx in zip(self.states, self.median, self.max,
                                                                     strict=True))
        if top > EXPANDS:
            text = (f"the step expands by up to {top:.2g}x near state {q} (symbol {a!r}): boxes around those states "
                    "grow instead of settling")
        else:
            text = f"the step contracts at every visited state (at most {top:.2g}x, near state {q})"
        text += f" [||J||_2 median/max per state: {per}]"
        if self.lyapunov is not None:
            f = float(np.exp(self.lyapunov))
            text += (f"; along random inputs of {self.length} symbols the distance between nearby states scales "
                     f"by {f:.2g}x per step ({'they separate' if f > 1 else 'they converge'})")
        return text


def _jacobians(m: Machine, S: torch.Tensor, a: int) -> torch.Tensor:
    """J (B, D, D) of the step on symbol a at each row of S (B, D): the rows are independent, so one backward
    pass per output unit gives that row of every J."""
    S = S.detach().clone().requires_grad_(True)
    out = m.step(S, torch.full((S.shape[0],), a, dtype=torch.long))  # (B, D)
    rows = [torch.autograd.grad(out[:, i].sum(), S, retain_graph=i + 1 < m.D)[0] for i in range(m.D)]  # D x (B, D)
    return torch.stack(rows, dim=1)  # (B, D, D)


def _lyapunov(m: Machine, rng: np.random.Generator, length: int, inputs: int, stop: Callable[[], bool]
              ) -> tuple[float | None, int]:
    """The top Lyapunov exponent along random inputs from h0 (module docstring), the mean over `inputs` of them
    run as one batch, and the steps taken: stop is asked before each step (None when it stopped in the first
    ten)."""
    A = len(m.alphabet)
    h = m.initial(inputs)  # (B, D)
    u = torch.as_tensor(rng.standard_normal((inputs, m.D)), dtype=h.dtype)
    u = u / torch.linalg.vector_norm(u, dim=1, keepdim=True)
    total = np.zeros(inputs)
    words = rng.integers(0, A, size=(length, inputs))
    for t in range(length):
        if stop():
            length = t
            break
        sym = torch.as_tensor(words[t])
        with torch.enable_grad():
            h, Ju = torch.autograd.functional.jvp(lambda s, sym=sym: m.step(s, sym), h, u)  # (B, D) each
        n = torch.linalg.vector_norm(Ju, dim=1, keepdim=True).clamp_min(1e-300)  # (B, 1)
        total += np.log(n[:, 0].double().numpy())
        u, h = (Ju / n).detach(), h.detach()
    if length < 10:
        return None, length
    return float(total.mean() / length), length


def contraction(m: Machine, dfa: Automaton, points: dict[int, np.ndarray], seed: int = 0, samples: int = SAMPLES,
                length: int = LYAPUNOV_LEN, inputs: int = LYAPUNOV_INPUTS, stop: Callable[[], bool] = lambda: False
                ) -> Contraction:
    """The step's spectral norms at up to `samples` visited states of each DFA state (points[q] (n_q, D)),
    seeded, and the top Lyapunov exponent along `inputs` random inputs of `length` symbols (0: not measured).
    stop is asked between DFA states and between steps (a time limit): what was measured by then is kept."""
    rng = np.random.default_rng([seed, 7])
    names, med, mx, worst, counts = [], [], [], [], []
    for q in sorted(points):
        if stop():
            break
        P = points[q]
        P = P[rng.choice(len(P), size=min(samples, len(P)), replace=False)] if len(P) else P
        if not len(P) or not np.isfinite(P).all():
            continue
        S = torch.as_tensor(P, dtype=m.dtype)
        per_symbol = []
        for a in range(len(m.alphabet)):
            if stop():
                break
            per_symbol.append(torch.linalg.matrix_norm(_jacobians(m, S, a).double(), ord=2).numpy())
        if len(per_symbol) < len(m.alphabet):
            break  # a state measured over some symbols only would read as smaller than it is
        norms = np.stack(per_symbol, axis=1)  # (n, A)
        names.append(dfa.states[q])
        med.append(float(np.median(norms)))
        mx.append(float(norms.max()))
        worst.append(m.alphabet[int(np.argmax(norms.max(axis=0)))])
        counts.append(len(P))
    lyap, steps = _lyapunov(m, rng, length, inputs, stop) if length > 0 else (None, 0)
    return Contraction(tuple(names), tuple(med), tuple(mx), tuple(worst), tuple(counts), lyap, steps)


@dataclass(frozen=True)
class Diagnosis:
    """Where and why the proof search failed, the net's measured contraction, and what may help."""

    kind: str  # certify.FAILURE_KINDS: readout, closure, time, overflow, other
    state: str  # the DFA state whose region failed
    source: str | None  # the DFA state of the region whose image failed (None: the region itself, or h0)
    word: str | None  # the input from a region of source whose image failed
    reason: str  # the failure in one line (certify's)
    readout: tuple[float, float] | None  # readout: the failing region's logit interval [zlo, zhi]
    after_word: bool  # readout: the interval is of the image after word from a region of source, in state
    crossing: float | None  # readout: how far that interval reaches past 0 on the wrong side
    margin: float | None  # readout: the smallest |logit| of the state's visited states
    excess: float | None  # closure: how far the image lay outside the nearest region of state (max norm)
    width: float | None  # the failing box's largest width
    attempt: tuple[float, int] | None  # (clustering radius, k steps) of the attempt the failure came from
    cut: bool  # the time limit ended the search before every attempt was made
    contraction: Contraction | None  # None: not measured
    hints: tuple[str, ...]  # what may help, most likely first

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "state": self.state, "source": self.source, "word": self.word,
                "reason": self.reason, "readout": None if self.readout is None else list(self.readout),
                "readout_after_word": self.after_word,
                "crossing": self.crossing, "margin": self.margin, "excess": self.excess, "width": self.width,
                "attempt": None if self.attempt is None else {"radius": self.attempt[0], "steps": self.attempt[1]},
                "time_cut": self.cut, "contraction": None if self.contraction is None else self.contraction.to_dict(),
                "hints": list(self.hints)}

    def where(self) -> str:
        """Where and by how much, one line."""
        at = "" if self.attempt is None else f" (attempt: radius {self.attempt[0]:g}, k = {self.attempt[1]})"
        if self.kind == "readout" and self.readout is not None:
            zlo, zhi = self.readout
            if self.after_word:
                what = f"from {'h0' if self.source is None else f'a region of state {self.source}'}, the readout " \
                       f"after {self.word!r} (state {self.state}) is"
            else:
                what = f"a region of state {self.state}" + ("" if self.word is None else
                                                            f", grown last to hold the image of a region of state "
                                                            f"{self.source} after {self.word!r},")
                what += " has readout"
            margin = "" if self.margin is None else f"; the state's visited points come within {self.margin:.3g} of 0"
            return f"{what} [{zlo:.4g}, {zhi:.4g}]: {self.crossing:.3g} past the threshold 0{margin}{at}"
        if self.kind == "closure" and self.excess is not None and self.width is not None:
            return (f"the image of a region of state {self.source} after {self.word!r} kept leaving the regions of "
                    f"state {self.state}, by up to {self.excess:.3g} (the image box {self.width:.3g} wide){at}")
        return f"{self.reason}{at}"

    def lines(self) -> list[str]:
        """The diagnosis as printed under "why not certified"."""
        where = self.where()
        out = [] if where.startswith(self.reason) else [f"  where: {where}"]  # nothing beyond the reason itself
        net = f"the net: {self.contraction.reading()}; " if self.contraction is not None else ""
        out.append(f"  {net}may help: {'; '.join(self.hints)}")
        return out


def _cell(m: Machine) -> str:
    """The net's cell in the words of `rnnlab learn --cell`."""
    if m.kind == "elman" and m.stack is not None:
        return m.stack.acts[0][0]
    return m.kind


def _hints(m: Machine, f: Failure, crossing: float | None, margin: float | None, c: Contraction | None,
           time_cut: bool) -> tuple[str, ...]:
    hints = []
    if time_cut or f.kind == "time":
        hints.append("a longer --time-limit (the time ran out before the search had made every attempt)")
    # close: the visited points lie near the threshold for the width of the region's readout, so a region that
    # holds their images reaches across (no points: the crossing is small against that width)
    close = f.kind == "readout" and crossing is not None and f.readout is not None and (
        margin if margin is not None else crossing) < CLOSE * (f.readout[1] - f.readout[0])
    if close:
        hints.append("the state's visited points lie close to the readout threshold: a net trained further (more "
                     "`rnnlab learn --steps`, or another --seed) that keeps its states farther from it")
    if c is not None and (c.expands or (c.lyapunov is not None and c.lyapunov > 0)) or \
            f.kind == "closure" or (f.kind == "readout" and not close):
        cell = _cell(m)
        if cell in ("gru", "tanh"):
            hints.append("retrain with `rnnlab learn` (its contraction penalty makes GRU and tanh states settle; "
                         "a larger --contraction weight pulls harder)")
        else:
            hints.append("retrain with `rnnlab learn --cell gru` or `--cell tanh` (its contraction penalty makes "
                         "GRU and tanh states settle)")
    if f.kind == "overflow":
        hints.append("smaller recurrent weights: the net's state overflows float")
    return tuple(hints) or ("no hint: the search failed where the measures above see nothing wrong",)


def diagnose(m: Machine, dfa: Automaton, f: Failure, points: dict[int, np.ndarray] | None, seed: int = 0,
             time_cut: bool = False, stop: Callable[[], bool] = lambda: False) -> Diagnosis:
    """The diagnosis of failure f of the search for dfa from the visited states points (None: none were run);
    time_cut: the time limit cut the proof search short. The contraction (`contraction`: about SAMPLES x A x D
    backward passes per DFA state and LYAPUNOV_LEN forward-mode steps) is measured until stop says so."""
    crossing = margin = None
    if f.kind == "readout" and f.readout is not None:
        zlo, zhi = f.readout
        crossing = -zlo if f.state in dfa.accept else zhi
        P = None if points is None else points.get(f.state)
        if P is not None and len(P) and np.isfinite(P).all():
            with torch.no_grad():
                margin = float(m.logit(torch.as_tensor(P, dtype=m.dtype)).abs().min())
    c = contraction(m, dfa, points, seed, stop=stop) if points and not stop() else None
    name = dfa.states
    return Diagnosis(f.kind, name[f.state], None if f.source is None else name[f.source], f.word, f.reason,
                     f.readout, f.after_word, crossing, margin, f.excess, f.width, f.attempt, time_cut or f.cut, c,
                     _hints(m, f, crossing, margin, c, time_cut or f.cut))
