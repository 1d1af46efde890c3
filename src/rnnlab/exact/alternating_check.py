"""S1's check: the alternating-sum net against its closed form, on every binary input up to a length.

    h_T = (-1)^T h_0 + sum_{i=1..T} (-1)^(T-i) x_i,      y_T = sigmoid(10 h_T)

The net's state is a real number, so it is no finite machine and the all-length verifier does not apply;
instead every binary input of length 1..max_len is simulated (batched) and compared with the closed form
(exactly when h0 is an integer: every number is then a small integer), then random real inputs to a
relative tolerance. Every input of length t < N is the length-t
prefix of an input of length N and h_t depends only on that prefix, so comparing h_t at every step of all
2^N inputs of length N covers every length 1..N.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import Tensor

from rnnlab.exact.net import Net
from rnnlab.exact.sheet import alternating_closed_form

MAX_LEN = 20  # 2^20 binary inputs at most
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


def _is_alternating(net: Net) -> bool:
    h, y = net.layers[0], net.layers[-1]
    return (len(net.layers) == 2 and net.n_inputs == 1 and h.W == ((-1.0,),) and h.U == ((1.0,),)
            and h.b == (0.0,) and h.act.kind == "identity" and y.act.kind == "sigmoid" and y.act.gain == 10.0
            and y.U == ((0.0, 1.0),) and y.b == (0.0,) and not y.is_recurrent)


def _compare(net: Net, x: Tensor, h0: float, exact: bool) -> tuple[int | None, int, float]:
    """x (B, N): (first mismatching row or None, its first bad step, max abs error)."""
    trace = net.run(x.unsqueeze(-1))
    h, y = trace.states[0][..., 0], trace.y[..., 0]  # (B, N)
    closed = torch.stack([alternating_closed_form(x[:, :t], h0) for t in range(1, x.shape[1] + 1)], dim=1)
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


def check_alternating(net: Net, max_len: int = 16, n_real: int = 1000, seed: int = 0) -> ClosedFormCheck:
    """Simulation vs closed form for the S1 net (any h0): every binary input up to max_len, then n_real
    random real inputs (seeded)."""
    if not _is_alternating(net):
        raise ValueError(f"net {net.name!r} is not the S1 alternating-sum net (h_t = -h_{{t-1}} + x_t, "
                         "y = sigmoid(10 h)); the closed-form check applies to that net only")
    if not 1 <= max_len <= MAX_LEN:
        raise ValueError(f"max_len must be between 1 and {MAX_LEN} (2^max_len inputs), got {max_len}")
    if n_real < 0:
        raise ValueError(f"n_real must be >= 0, got {n_real}")
    h0 = net.layers[0].h0[0]
    N, total = max_len, 1 << max_len
    shifts = torch.arange(N - 1, -1, -1)  # input s reads bit N-1-t of s at step t+1: lexicographic order
    for start in range(0, total, CHUNK):
        s = torch.arange(start, min(total, start + CHUNK))
        x = ((s[:, None] >> shifts) & 1).to(torch.float64)  # (B, N)
        row, t, _ = _compare(net, x, h0, exact=float(h0).is_integer())  # exact for integer h0 and bits
        if row is not None:
            return _failed(net, x[row, :t + 1], h0, N, 0, 0.0)
    gen = torch.Generator().manual_seed(seed)
    xr = torch.randn(n_real, N, generator=gen, dtype=torch.float64)  # (n_real, N)
    row, t, worst = _compare(net, xr, h0, exact=False) if n_real else (None, 0, 0.0)
    if row is not None:
        return _failed(net, xr[row, :t + 1], h0, N, n_real, worst)
    return ClosedFormCheck(True, N, 2 * total - 2, n_real, worst, None)


def _failed(net: Net, x: Tensor, h0: float, N: int, n_real: int, worst: float) -> ClosedFormCheck:
    got = net.run(x.reshape(-1, 1)).states[0][0, :, 0].tolist()
    expected = [float(alternating_closed_form(x[:t].unsqueeze(0), h0)[0]) for t in range(1, len(x) + 1)]
    binary = bool(((x == 0) | (x == 1)).all())
    shown: Any = "".join(str(int(v)) for v in x.tolist()) if binary else x.tolist()
    cex = {"input": shown, "input2": None, "expected": expected, "got": got}
    return ClosedFormCheck(False, N, 2 * (1 << N) - 2, n_real, worst, cex)
