"""Two independent oracles on one question (SPEC S9): the all-length proof and the exhaustive simulation.

`prove` reasons about reachable states; `exhaustive_check` simulates every input up to a length. On inputs up to
that length they answer the same question, so any difference between them is a bug in one of the two. This
module runs both and names the difference, if any, so that `rnnlab verify` and the report decide it one way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rnnlab.exact import exhaustive
from rnnlab.exact.automaton import Automaton
from rnnlab.exact.net import Net
from rnnlab.exact.verifier import Proof, prove

DEFAULT_MAX_LEN = 12  # every input up to this length for threshold nets (2^12 per input sequence)
FLOAT_BITS = 16  # nets simulated in floats (sigmoid): at most 2^16 inputs of the longest length


@dataclass(frozen=True)
class TwoOracles:
    proof: Proof  # the all-length verdict
    exhaustive: exhaustive.Exhaustive | None  # every input up to its max_len (None when max_len is 0)
    disagreement: str | None  # how the two differ, in one sentence; None when they agree

    @property
    def agree(self) -> bool:
        return self.disagreement is None


def default_max_len(net: Net) -> int:
    """The exhaustive check's default length: 12 steps for threshold nets, 2^16 inputs for float nets."""
    return DEFAULT_MAX_LEN if net.is_binary else min(DEFAULT_MAX_LEN, FLOAT_BITS // net.n_inputs)


def disagreement(proof: Proof, ex: exhaustive.Exhaustive | None) -> str | None:
    """Both oracles answer the same question up to ex.max_len; any difference is a bug in one of them."""
    if ex is None:
        return None
    if proof.holds and not ex.holds:
        assert ex.counterexample is not None
        return f"the proof holds but the exhaustive check fails on input {ex.counterexample.input!r}"
    cex = proof.counterexample
    # An unproved sigmoid net's counterexample comes from its step twin and need not be a shortest one.
    shortest = proof.interval is None or proof.interval.eps is not None
    if cex is None or not shortest:
        return None
    n = len(cex.input)
    if n <= ex.max_len and ex.holds:
        return f"the proof fails on input {cex.input!r} (length {n}) but the exhaustive check passes up to {ex.max_len}"
    if not ex.holds and ex.counterexample is not None and len(ex.counterexample.input) != n:
        return f"shortest counterexamples differ in length: proof {n}, exhaustive {len(ex.counterexample.input)}"
    return None


def two_oracles(net: Net, spec: Automaton | None = None, max_len: int | None = None) -> TwoOracles:
    """Prove `net` against `spec` (default: net.spec) and check every input up to max_len (default
    `default_max_len(net)`; 0 skips the second oracle); report any disagreement."""
    proof = prove(net, spec)
    spec_used = spec if spec is not None else net.spec
    assert spec_used is not None  # prove raised otherwise
    n = default_max_len(net) if max_len is None else max_len
    if n < 0:
        raise ValueError(f"max_len must be >= 0, got {n}")
    ex = exhaustive.exhaustive_check(net, spec_used, n) if n > 0 else None
    return TwoOracles(proof, ex, disagreement(proof, ex))


def proof_dict(proof: Proof) -> dict[str, Any]:
    """The proof's verdict as plain data (for --json and the report's evidence)."""
    return {"holds": proof.holds, "states_explored": proof.states_explored,
            "counterexample": proof.counterexample.to_dict() if proof.counterexample else None}
