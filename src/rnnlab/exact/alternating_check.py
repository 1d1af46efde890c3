"""S1's checks: the alternating-sum net against its closed forms, on every binary input up to a length.

    h_T = (-1)^T h_0 + sum_{i=1..T} (-1)^(T-i) x_i,      y_T = sigmoid(10 h_T)

The net's state is a real number, so it is no finite machine and the all-length verifier does not apply;
instead every binary input of length 1..max_len is simulated (batched) and compared with the closed form
(exactly when h0 is an integer: every number is then a small integer), then random real inputs to a
relative tolerance. Every input of length t < N is the length-t
prefix of an input of length N and h_t depends only on that prefix, so comparing h_t at every step of all
2^N inputs of length N covers every length 1..N.

Two more checks read the same inputs: what the output computes (`check_output`: a sign test of the alternating
sum, computed with integers, and how often it disagrees with the parity) and the gradients (`check_gradients`:
autograd against dh_T/dx_i = (-1)^(T-i) and dy_T/dx_i = 10 sigmoid'(10 h_T) (-1)^(T-i)).
The checks accept any net of the S1 shape (an identity unit h, a sigmoid output y) so that a net with wrong
weights is checked, and fails, rather than refused.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch
from torch import Tensor

from rnnlab.exact import sheet
from rnnlab.exact.net import Net

ClosedForm = Callable[[Tensor, float], Tensor]  # (x (B, T), h0) -> h_T (B,)

MAX_LEN = 20  # 2^20 binary inputs at most
DEFAULT_MAX_LEN = 16  # what `rnnlab verify alternating` checks by default
DEFAULT_REAL = 1000  # random real inputs
GRAD_MAX_LEN = 16  # autograd holds the graph of all 2^T inputs at once
GRAD_RTOL = 1e-9  # dy/dx: autograd and the formula round differently, by a few ulps
CHUNK = 1 << 14  # inputs simulated per batch
RTOL = 1e-9  # real inputs: the recurrence and the closed form sum in different orders


@dataclass(frozen=True)
class ClosedFormCheck:
    holds: bool  # simulation equals the closed form on every input checked
    max_len: int  # binary inputs of every length 1..max_len were checked
    binary_sequences: int  # distinct binary inputs checked: 2 + 4 + ... + 2^max_len
    real_sequences: int  # random real inputs (N(0, 1) entries) of length max_len, every prefix compared
    max_abs_error: float  # largest |h_sim - h_closed| over the real inputs (binary ones must match exactly)
    counterexample: dict[str, Any] | None  # first mismatch: {"input", "input2", "expected", "got"} (h per step)

    @property
    def sequences(self) -> int:
        return self.binary_sequences + self.real_sequences

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "sequences": self.sequences}


def _require_shape(net: Net) -> None:
    """The checks read h from layer 0 and y from layer 1; any weights are allowed (wrong ones fail the check)."""
    h, y = net.layers[0], net.layers[-1]
    if not (len(net.layers) == 2 and net.n_inputs == 1 and h.size == 1 and y.size == 1 and h.act.kind == "identity"
            and y.act.kind == "sigmoid" and not y.is_recurrent):
        raise ValueError(f"net {net.name!r} is not the S1 alternating-sum net in shape (one identity unit h_t, one "
                         "sigmoid output y_t); the closed-form checks apply to that net only")


def _closed(closed_form: ClosedForm | None) -> ClosedForm:
    return closed_form if closed_form is not None else sheet.alternating_closed_form


def _all_binary(N: int, start: int, stop: int) -> Tensor:
    """Inputs start..stop-1 of length N, input s reading bit N-1-t of s at step t+1 (lexicographic): (B, N)."""
    shifts = torch.arange(N - 1, -1, -1)
    s = torch.arange(start, stop)
    return ((s[:, None] >> shifts) & 1).to(torch.float64)


def _compare(net: Net, x: Tensor, h0: float, exact: bool, closed_form: ClosedForm
             ) -> tuple[int | None, int, float]:
    """x (B, N): (first mismatching row or None, its first bad step, max abs error)."""
    trace = net.run(x.unsqueeze(-1))
    h, y = trace.states[0][..., 0], trace.y[..., 0]  # (B, N)
    closed = torch.stack([closed_form(x[:, :t], h0) for t in range(1, x.shape[1] + 1)], dim=1)
    err = (h - closed).abs()
    y_err = (y - torch.sigmoid(10 * closed)).abs()
    if exact:
        bad = (err > 0) | (y_err > 0)
    else:
        bad = (err > RTOL * (1 + closed.abs())) | (y_err > RTOL)
    rows = bad.any(dim=1).nonzero()
    if len(rows) == 0:
        return None, 0, float(err.max()) if err.numel() else 0.0
    r = int(rows[0])
    return r, int(bad[r].nonzero()[0]), float(err.max())


def _check_len(max_len: int) -> None:
    if not 1 <= max_len <= MAX_LEN:
        raise ValueError(f"max_len must be between 1 and {MAX_LEN} (2^max_len inputs), got {max_len}")


def check_alternating(net: Net, max_len: int = DEFAULT_MAX_LEN, n_real: int = DEFAULT_REAL, seed: int = 0,
                      closed_form: ClosedForm | None = None) -> ClosedFormCheck:
    """Simulation vs closed form (default: `sheet.alternating_closed_form`) for the S1 net (any h0): every
    binary input up to max_len, then n_real random real inputs (seeded)."""
    _require_shape(net)
    _check_len(max_len)
    if n_real < 0:
        raise ValueError(f"n_real must be >= 0, got {n_real}")
    form = _closed(closed_form)
    h0 = net.layers[0].h0[0]
    N, total = max_len, 1 << max_len
    for start in range(0, total, CHUNK):
        x = _all_binary(N, start, min(total, start + CHUNK))  # (B, N)
        row, t, _ = _compare(net, x, h0, float(h0).is_integer(), form)  # exact for integer h0 and bits
        if row is not None:
            return _failed(net, x[row, :t + 1], h0, N, 0, 0.0, form)
    gen = torch.Generator().manual_seed(seed)
    xr = torch.randn(n_real, N, generator=gen, dtype=torch.float64)  # (n_real, N)
    row, t, worst = _compare(net, xr, h0, False, form) if n_real else (None, 0, 0.0)
    if row is not None:
        return _failed(net, xr[row, :t + 1], h0, N, n_real, worst, form)
    return ClosedFormCheck(True, N, 2 * total - 2, n_real, worst, None)


def _failed(net: Net, x: Tensor, h0: float, N: int, n_real: int, worst: float, form: ClosedForm
            ) -> ClosedFormCheck:
    got = net.run(x.reshape(-1, 1)).states[0][0, :, 0].tolist()
    expected = [float(form(x[:t].unsqueeze(0), h0)[0]) for t in range(1, len(x) + 1)]
    binary = bool(((x == 0) | (x == 1)).all())
    shown: Any = "".join(str(int(v)) for v in x.tolist()) if binary else x.tolist()
    cex = {"input": shown, "input2": None, "expected": expected, "got": got}
    return ClosedFormCheck(False, N, 2 * (1 << N) - 2, n_real, worst, cex)


# --- what the output computes -------------------------------------------------------------------------


@dataclass(frozen=True)
class OutputCheck:
    """y_t against the sign of the alternating sum S_t = (-1)^t h_0 + sum_{i<=t} (-1)^(t-i) x_i, and the parity."""

    holds: bool  # y > 1/2 where S > 0, y = 1/2 exactly where S = 0, y < 1/2 where S < 0, at every step
    max_len: int  # every binary input of length 1..max_len (each step of the 2^max_len longest ones)
    h0: float
    positive: int  # (input, step) pairs with S > 0
    zero: int  # ... with S = 0
    negative: int  # ... with S < 0
    sign_violations: int  # pairs where y is on the wrong side of 1/2 (or not exactly 1/2 at S = 0)
    first_violation: dict[str, Any] | None  # {"input": bits, "S": S_t, "y": y_t} at the first bad step
    min_y_sum_at_least_1: float | None  # smallest y where S >= 1 (sigmoid(10) ~ 0.99995 for the S1 net)
    max_y_sum_at_most_minus_1: float | None  # largest y where S <= -1

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _bits(x: Tensor) -> str:
    return "".join(str(int(v)) for v in x.tolist())


def check_output(net: Net, max_len: int = DEFAULT_MAX_LEN) -> OutputCheck:
    """What y computes on binary inputs: the sign of the alternating sum S_t, computed with integers (numpy,
    independent of the closed form)."""
    _require_shape(net)
    _check_len(max_len)
    h0, N, total = net.layers[0].h0[0], max_len, 1 << max_len
    pos = zero = neg = bad = 0
    first: dict[str, Any] | None = None
    lo_pos, hi_neg = float("inf"), float("-inf")
    sign = (-1) ** np.arange(1, N + 1)  # (-1)^t
    for start in range(0, total, CHUNK):
        x = _all_binary(N, start, min(total, start + CHUNK))  # (B, N)
        y = net.run(x.unsqueeze(-1)).y[..., 0].numpy()  # (B, N)
        xi = x.numpy().astype(np.int64)
        S = sign * (h0 + np.cumsum(xi * sign, axis=1))  # (-1)^t (h0 + sum_i (-1)^i x_i), (B, N)
        wrong = np.where(S > 0, ~(y > 0.5), np.where(S < 0, ~(y < 0.5), y != 0.5))
        pos, zero, neg = pos + int((S > 0).sum()), zero + int((S == 0).sum()), neg + int((S < 0).sum())
        bad += int(wrong.sum())
        if first is None and wrong.any():
            r, t = (int(v[0]) for v in np.nonzero(wrong))
            first = {"input": _bits(x[r, :t + 1]), "S": float(S[r, t]), "y": float(y[r, t])}
        if (S >= 1).any():
            lo_pos = min(lo_pos, float(y[S >= 1].min()))
        if (S <= -1).any():
            hi_neg = max(hi_neg, float(y[S <= -1].max()))
    return OutputCheck(bad == 0, N, h0, pos, zero, neg, bad, first, lo_pos if lo_pos < float("inf") else None,
                       hi_neg if hi_neg > float("-inf") else None)


@dataclass(frozen=True)
class ParityCheck:
    """How often a net's decision [y_t > 1/2] differs from the parity of x_1..x_t (any one-input net)."""

    max_len: int  # every binary input of length 1..max_len
    decisions: int  # (input, step) pairs compared
    disagreements: int  # pairs where the decision is not the parity
    example: dict[str, Any] | None  # the first such input: {"input", "parity", "y"}

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def check_parity(net: Net, max_len: int = DEFAULT_MAX_LEN) -> ParityCheck:
    """Count the (input, step) pairs where the net's thresholded output is not the parity of the bits read."""
    if net.n_inputs != 1 or net.layers[-1].size != 1:
        raise ValueError(f"net {net.name!r} must read one sequence and have one output")
    _check_len(max_len)
    N, total, bad, example = max_len, 1 << max_len, 0, None
    for start in range(0, total, CHUNK):
        x = _all_binary(N, start, min(total, start + CHUNK))  # (B, N)
        y = net.run(x.unsqueeze(-1)).y[..., 0].numpy()  # (B, N)
        parity = np.cumsum(x.numpy().astype(np.int64), axis=1) % 2
        off = (y > 0.5).astype(np.int64) != parity
        bad += int(off.sum())
        if example is None and off.any():
            r, t = (int(v[0]) for v in np.nonzero(off))
            example = {"input": _bits(x[r, :t + 1]), "parity": int(parity[r, t]), "y": float(y[r, t])}
    return ParityCheck(N, total * N, bad, example)


# --- gradients ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GradientCheck:
    """Autograd on every binary input of length T against the closed-form gradients of S1."""

    holds: bool  # dh exact; dy within rtol where |h_T| <= 1; |dy/dx| <= 10 sigmoid'(10) where |h_T| >= 1
    T: int  # input length; all 2^T inputs, one backward pass
    h0: float
    inputs: int  # 2^T
    dh_max_abs_error: float  # max |dh_T/dx_i - (-1)^(T-i)| (0: exact, the sign included)
    resolved_inputs: int  # inputs with |h_T| <= 1, where float64 resolves sigmoid' to ~1e-12 relative
    dy_max_rel_error: float  # over them: max |dy - f| / |f|, f = 10 sigmoid(10 h_T) sigmoid(-10 h_T) (-1)^(T-i)
    rtol: float  # the bound dy_max_rel_error must stay under
    saturated_inputs: int  # inputs with |h_T| >= 1
    max_abs_dy_saturated: float  # largest |dy_T/dx_i| over them
    saturation_bound: float  # 10 sigmoid'(10) ~ 4.5e-4
    max_abs_dy: float  # largest |dy_T/dx_i| over all inputs (2.5 = 10/4 at h_T = 0)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def check_gradients(net: Net, T: int = 10, rtol: float = GRAD_RTOL, closed_form: ClosedForm | None = None
                    ) -> GradientCheck:
    """dh_T/dx_i = (-1)^(T-i) exactly (|W| = 1: no vanishing, no exploding in h) and
    dy_T/dx_i = 10 sigmoid'(10 h_T) (-1)^(T-i), by autograd on all 2^T inputs.

    dy is compared to a relative tolerance where |h_T| <= 1. Beyond, autograd's sigmoid' = s - s^2 loses its
    digits to cancellation (s rounds to 1 from h_T ~ 3.7 on) while the true value falls below 10 sigmoid'(10);
    there the claim is the saturation itself, |dy/dx_i| <= 10 sigmoid'(10), which is what is checked.
    """
    _require_shape(net)
    if not 1 <= T <= GRAD_MAX_LEN:
        raise ValueError(f"T must be between 1 and {GRAD_MAX_LEN} (2^T inputs in one backward pass), got {T}")
    form = _closed(closed_form)
    h0 = net.layers[0].h0[0]
    x = _all_binary(T, 0, 1 << T).requires_grad_(True)  # (B, T); rows are independent, so one backward
    trace = net.run(x.unsqueeze(-1))
    h_T, y_T = trace.states[0][:, -1, 0], trace.y[:, -1, 0]  # (B,)
    (dh,) = torch.autograd.grad(h_T.sum(), x, retain_graph=True)  # (B, T)
    (dy,) = torch.autograd.grad(y_T.sum(), x)  # (B, T)
    signs = torch.tensor([(-1.0) ** (T - i) for i in range(1, T + 1)], dtype=torch.float64)  # (T,)
    h = form(x.detach(), h0)  # (B,)
    f = (10 * torch.sigmoid(10 * h) * torch.sigmoid(-10 * h))[:, None] * signs  # (B, T), no cancellation
    resolved, sat = h.abs() <= 1, h.abs() >= 1
    rel = ((dy - f).abs() / f.abs())[resolved]
    bound = float(10 * torch.sigmoid(torch.tensor(10.0, dtype=torch.float64))
                  * torch.sigmoid(torch.tensor(-10.0, dtype=torch.float64)))
    dh_err = float((dh - signs).abs().max())
    dy_rel = float(rel.max()) if rel.numel() else 0.0
    dy_sat = float(dy[sat].abs().max()) if sat.any() else 0.0
    ok = dh_err == 0 and dy_rel <= rtol and dy_sat <= bound * (1 + rtol)  # rtol: rounding room at |h_T| = 1
    return GradientCheck(ok, T, h0, len(x), dh_err, int(resolved.sum()), dy_rel, rtol, int(sat.sum()), dy_sat,
                         bound, float(dy.abs().max()))
