"""The compiler checked on many automata (SPEC S9), each net by its proof and by a check that shares no code with it.

    threshold nets: the all-length proof, and the exhaustive simulation of every input up to a length
    sigmoid nets:   the all-length proof (interval invariant at the compiler's gain H), and a float simulation of
                    long random inputs against the automaton (`simulate.simulate_long`), which must agree at every
                    step and keep every hidden unit within the proof's eps of a bit

The compiler picks H with the same routine that proves it (`verifier.certify_gain`), so the proof alone would
check the compiler with itself; the simulation is the independent witness. `rnnlab compile --config FILE` and
the report run `check_compiler` with the same settings.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from typing import Any, get_type_hints

from rnnlab.exact.automaton import Automaton, random_dfa
from rnnlab.exact.compiler import compile_dfa
from rnnlab.exact.exhaustive import exhaustive_check
from rnnlab.exact.net import Net
from rnnlab.exact.sheet import PAIRS, SPECS
from rnnlab.exact.simulate import DTYPES, LongRun, simulate_long
from rnnlab.exact.verifier import prove
from rnnlab.fields import Field

DEVIATION_ROOM = {"float64": 1e-12, "float32": 1e-6}  # rounding room when a simulated unit is held against eps

Compile = Callable[[Automaton, str], Net]  # (spec, activation) -> net


@dataclass(frozen=True)
class CompilerCheckConfig:
    builtin: tuple[str, ...] = ("all-ones", "equal-so-far", "carry", "serial-sum")  # the sheet's automata
    random_sizes: tuple[int, ...] = (2, 4, 8, 16, 32, 64, 128)  # random DFAs over {0, 1} with these state counts
    random_pair_sizes: tuple[int, ...] = (16,)  # random DFAs over pairs "x1x2"
    seed: int = 0  # of the random DFAs
    exhaustive_len: int = 12  # threshold nets: every input up to this many steps (half for pair alphabets)
    sim_length: int = 1000  # sigmoid nets: steps of each random input
    sim_inputs: int = 256  # random inputs per sigmoid net
    sim_seed: int = 0  # of the random inputs
    dtypes: tuple[str, ...] = ("float64",)  # float types the sigmoid nets are simulated in (rnnlab runs float64)

    def __post_init__(self) -> None:
        unknown = sorted(set(self.builtin) - set(SPECS))
        if unknown:
            raise ValueError(f"unknown built-in automata {unknown}; valid: {', '.join(SPECS)}")
        bad_dtypes = sorted(set(self.dtypes) - set(DTYPES))
        if bad_dtypes:
            raise ValueError(f"unknown dtypes {bad_dtypes}; valid: {', '.join(DTYPES)}")
        if min((*self.random_sizes, *self.random_pair_sizes), default=1) < 1:
            raise ValueError("random automata need at least one state")
        if self.exhaustive_len < 2 or self.sim_length < 1 or self.sim_inputs < 1:
            raise ValueError("exhaustive_len must be >= 2, sim_length and sim_inputs >= 1")

    def to_dict(self) -> dict[str, Any]:
        """Plain lists and numbers (a TOML table)."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CompilerCheckConfig:
        """From a TOML table; an unknown or wrong-typed key raises ValueError naming it."""
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(set(data) - set(known))
        if unknown:
            raise ValueError(f"unknown setting(s) {unknown}; valid: {', '.join(known)}")
        hints = get_type_hints(cls)
        return cls(**{k: Field(v, k).typed(hints[k]) for k, v in data.items()})


def automata(cfg: CompilerCheckConfig) -> dict[str, Automaton]:
    """The automata the config names, in order: built-ins, random binary ones, random pair ones."""
    specs = {name: SPECS[name] for name in cfg.builtin}
    specs.update({f"random-{n}": random_dfa(n, ["0", "1"], cfg.seed) for n in cfg.random_sizes})
    specs.update({f"random-pairs-{n}": random_dfa(n, PAIRS, cfg.seed) for n in cfg.random_pair_sizes})
    return specs


@dataclass(frozen=True)
class CompiledCheck:
    name: str  # the automaton
    states: int  # its states
    symbols: int  # its alphabet size
    activation: str  # "step" or "sigmoid"
    units: int  # units of the compiled net
    gain: float | None  # sigmoid: the compiler's H
    eps: float | None  # sigmoid: what the proof certifies (every hidden unit within eps of a bit); None: not proved
    proved: bool  # the all-length proof holds
    states_explored: int  # reachable (net state, spec state) pairs of the proof
    exhaustive_len: int | None  # step: every input up to this length simulated
    exhaustive_holds: bool | None  # step: the exhaustive check agrees with the spec
    runs: tuple[LongRun, ...]  # sigmoid: the long random simulations, one per dtype

    def deviation_ok(self, run: LongRun) -> bool:
        """The simulated units stay within the certified eps (with rounding room for the dtype)."""
        return self.eps is not None and run.max_deviation <= self.eps + DEVIATION_ROOM[run.dtype]

    @property
    def holds(self) -> bool:
        """Proved, and the independent check agrees (and, for sigmoid nets, respects the proof's eps)."""
        if self.activation == "step":
            return self.proved and bool(self.exhaustive_holds)
        return self.proved and all(r.agree and self.deviation_ok(r) for r in self.runs)

    def row(self) -> dict[str, Any]:
        """One table row: the columns a reader needs (no blanks: every column applies to every row)."""
        row: dict[str, Any] = {"automaton": self.name, "states": self.states}
        if self.activation == "step":
            row.update(units=self.units, proved=self.proved, exhaustive_len=self.exhaustive_len,
                       exhaustive_holds=self.exhaustive_holds)
        else:
            row.update(gain_H=self.gain, eps=self.eps, proved=self.proved)
            for r in self.runs:
                row[f"{r.dtype}_agree"] = r.agree
                row[f"{r.dtype}_max_deviation"] = r.max_deviation
        row["holds"] = self.holds
        return row


def check_compiled(name: str, spec: Automaton, activation: str, cfg: CompilerCheckConfig,
                   compile: Compile = compile_dfa) -> CompiledCheck:
    """Compile `spec` (with `compile`, default the compiler) and check the net by proof and independently."""
    net = compile(spec, activation)
    proof = prove(net, spec)
    units = sum(L.size for L in net.layers)
    if activation == "step":
        n = cfg.exhaustive_len // spec.n_inputs
        ex = exhaustive_check(net, spec, n)
        return CompiledCheck(name, len(spec.states), len(spec.alphabet), activation, units, None, None, proof.holds,
                             proof.states_explored, n, ex.holds, ())
    gain = net.layers[0].act.gain
    eps = proof.interval.eps if proof.interval is not None else None
    runs = tuple(simulate_long(net, spec, cfg.sim_length, cfg.sim_inputs, cfg.sim_seed, dtype) for dtype in cfg.dtypes)
    return CompiledCheck(name, len(spec.states), len(spec.alphabet), activation, units, gain, eps, proof.holds,
                         proof.states_explored, None, None, runs)


def check_compiler(cfg: CompilerCheckConfig, activation: str, compile: Compile = compile_dfa
                   ) -> list[CompiledCheck]:
    """`check_compiled` for every automaton of the config."""
    return [check_compiled(name, spec, activation, cfg, compile) for name, spec in automata(cfg).items()]
