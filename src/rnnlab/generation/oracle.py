"""A source of sequences whose likelihood is known exactly: a hidden Markov model (SPEC S6).

    z_1 ~ pi,   z_t ~ A[z_{t-1}],   x_t ~ B[z_t]

The forward algorithm (Rabiner 1989) gives p(x_t = v | x_<t) for every position and symbol, so a
language model's samples can be scored exactly, position by position: the next-token distribution is

    p(. | x_<t) = alpha_{t-1} A B,   alpha_t ∝ (alpha_{t-1} A) * B[:, x_t],   alpha_0 A := pi

with alpha normalised at every step (which also keeps it from underflowing).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor


@dataclass(frozen=True)
class HMM:
    """A discrete hidden Markov model; probabilities in float64."""

    pi: Tensor  # (S,) initial state distribution
    A: Tensor  # (S, S) transitions, A[i, j] = p(z_t = j | z_{t-1} = i)
    B: Tensor  # (S, V) emissions, B[i, v] = p(x_t = v | z_t = i)

    def __post_init__(self) -> None:
        S, V = self.B.shape
        if self.pi.shape != (S,) or self.A.shape != (S, S):
            raise ValueError(f"HMM shapes disagree: pi {tuple(self.pi.shape)}, A {tuple(self.A.shape)}, "
                             f"B {tuple(self.B.shape)}")
        for name, p in (("pi", self.pi), ("A", self.A), ("B", self.B)):
            if (p < 0).any() or not torch.allclose(p.sum(-1), torch.ones((), dtype=p.dtype), atol=1e-9):
                raise ValueError(f"{name} must be non-negative with rows summing to 1")

    @property
    def n_states(self) -> int:
        return self.B.shape[0]

    @property
    def n_symbols(self) -> int:
        return self.B.shape[1]

    def sample(self, n: int, T: int, generator: torch.Generator) -> Tensor:
        """n sequences of T symbols, (n, T) int64."""
        z = torch.multinomial(self.pi.expand(n, -1), 1, generator=generator)[:, 0]  # (n,)
        xs = []
        for t in range(T):
            if t > 0:
                z = torch.multinomial(self.A[z], 1, generator=generator)[:, 0]
            xs.append(torch.multinomial(self.B[z], 1, generator=generator)[:, 0])
        return torch.stack(xs, dim=1)

    def predictive(self, x: Tensor) -> Tensor:
        """p(x_t = v | x_<t) for every t and v: x (N, T) -> (N, T, V) float64 (t = 1 uses pi)."""
        N, T = x.shape
        prior = self.pi.expand(N, -1)  # (N, S): p(z_t | x_<t)
        out = []
        for t in range(T):
            out.append(prior @ self.B)  # (N, V)
            alpha = prior * self.B[:, x[:, t]].T  # (N, S) ∝ p(z_t | x_<=t)
            alpha = alpha / alpha.sum(-1, keepdim=True)
            prior = alpha @ self.A
        return torch.stack(out, dim=1)

    def conditional_nll(self, x: Tensor) -> Tensor:
        """-log p(x_t | x_<t), (N, T) float64, in nats."""
        p = self.predictive(x)
        return -p.gather(-1, x[..., None])[..., 0].log()

    def log_likelihood(self, x: Tensor) -> Tensor:
        """log p(x_1..x_T) = sum_t log p(x_t | x_<t), (N,) float64."""
        return -self.conditional_nll(x).sum(-1)


def random_hmm(n_states: int = 8, n_symbols: int = 6, seed: int = 0, concentration: float = 0.2,
               stay: float = 0.0) -> HMM:
    """A random HMM with Dirichlet(concentration) rows: small concentrations give peaked, predictable rows.

    stay adds that much probability of keeping the hidden state (slow regimes: long-range structure).
    """
    if n_states < 1 or n_symbols < 2:
        raise ValueError(f"an HMM needs >= 1 state and >= 2 symbols, got {n_states} and {n_symbols}")
    if not concentration > 0:
        raise ValueError(f"concentration must be > 0, got {concentration}")
    if not 0 <= stay < 1:
        raise ValueError(f"stay must be in [0, 1), got {stay}")
    # Dirichlet sampling takes no generator: seed a forked global RNG so the caller's stream is untouched.
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)

        def dirichlet(rows: int, cols: int) -> Tensor:
            alpha = torch.full((rows, cols), concentration, dtype=torch.float64)
            return torch.distributions.Dirichlet(alpha).sample().clamp_min(1e-12)

        pi, A, B = dirichlet(1, n_states)[0], dirichlet(n_states, n_states), dirichlet(n_states, n_symbols)
    A = (1 - stay) * A + stay * torch.eye(n_states, dtype=torch.float64)
    return HMM(pi / pi.sum(), A / A.sum(-1, keepdim=True), B / B.sum(-1, keepdim=True))
