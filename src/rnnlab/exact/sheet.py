"""The answer sheet's hand-wired networks (SPEC S1, S7, S8) and the automata they claim to implement."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import Tensor

from rnnlab.core.activations import IDENTITY, sigmoid, step
from rnnlab.exact.automaton import Automaton
from rnnlab.exact.net import Layer, Net, layer

PAIRS = ["00", "01", "10", "11"]  # symbols of two-sequence nets: "x1x2"


# --- specifications ---------------------------------------------------------------------------------

ALL_ONES = Automaton.from_dict({
    "alphabet": ["0", "1"], "states": ["ones", "seen0"], "start": "ones", "accept": ["ones"],
    "transitions": {"ones": {"0": "seen0", "1": "ones"}, "seen0": {"0": "seen0", "1": "seen0"}},
})

EQUAL_SO_FAR = Automaton.from_dict({
    "alphabet": PAIRS, "states": ["equal", "differed"], "start": "equal", "accept": ["equal"],
    "transitions": {"equal": {"00": "equal", "01": "differed", "10": "differed", "11": "equal"},
                    "differed": {s: "differed" for s in PAIRS}},
})

CARRY = Automaton.from_dict({
    "alphabet": PAIRS, "states": ["c0", "c1"], "start": "c0", "accept": ["c1"],
    "transitions": {"c0": {"00": "c0", "01": "c0", "10": "c0", "11": "c1"},
                    "c1": {"00": "c0", "01": "c1", "10": "c1", "11": "c1"}},
})


def _adder_spec() -> Automaton:
    # A serial adder is a Mealy machine; as a DFA its state is (carry out, last sum bit).
    states = [f"c{c}s{s}" for c in (0, 1) for s in (0, 1)]
    transitions: dict[str, dict[str, str]] = {}
    for q in states:
        carry = int(q[1])
        transitions[q] = {}
        for a in PAIRS:
            total = int(a[0]) + int(a[1]) + carry
            transitions[q][a] = f"c{int(total >= 2)}s{total % 2}"
    return Automaton.from_dict({"alphabet": PAIRS, "states": states, "start": "c0s0",
                                "accept": ["c0s1", "c1s1"], "transitions": transitions})


SERIAL_SUM = _adder_spec()
SPECS = {"all-ones": ALL_ONES, "equal-so-far": EQUAL_SO_FAR, "carry": CARRY, "serial-sum": SERIAL_SUM}


# --- S1 ---------------------------------------------------------------------------------------------

def alternating() -> Net:
    """S1: h_t = -h_{t-1} + x_t, y_t = sigmoid(10 h_t); the sheet's output is y_T."""
    return Net(
        "alternating", 1,
        (layer("h", [[-1]], [[1]], [0], IDENTITY), layer("y", [[0]], [[0, 1]], [0], sigmoid(10.0))),
        description="S1: h_t = -h_{t-1} + x_t, y = sigmoid(10 h_T): a soft sign test of the alternating sum",
    )


def alternating_closed_form(x: Tensor, h0: float = 0.0) -> Tensor:
    """h_T = (-1)^T h_0 + sum_{i=1..T} (-1)^(T-i) x_i for x (B, T); exact for integer inputs."""
    T = x.shape[-1]
    signs = torch.tensor([(-1) ** (T - i) for i in range(1, T + 1)], dtype=x.dtype)
    return (-1) ** T * h0 + x @ signs


# --- S7 ---------------------------------------------------------------------------------------------

def all_ones() -> Net:
    """S7 with the sheet's weights: w1 = 1, w2 = 1, b1 = -1.5, f(z) = [z >= 0.5], y = h, h_0 = 1."""
    return Net(
        "all-ones", 1,
        (layer("h", [[1]], [[1]], [-1.5], step(0.5, strict=False), h0=[1]),
         layer("y", [[0]], [[0, 1]], [0], IDENTITY)),
        ALL_ONES,
        "S7, the sheet's weights: y_t = 1 iff x_1..x_t are all 1 (correct only from h_0 = 1)",
    )


def all_ones_from_zero() -> Net:
    """S7 redesigned for h_0 = 0: h = "a zero has been seen", y = 1 - h."""
    return Net(
        "all-ones-from-zero", 1,
        (layer("h", [[1]], [[-1]], [0.5], step()), layer("y", [[0]], [[0, -1]], [1], IDENTITY)),
        ALL_ONES,
        "S7 redesigned: h_t = [h_{t-1} - x_t + 0.5 > 0] ('a zero was seen'), y_t = 1 - h_t, from h_0 = 0",
    )


# --- S8 ---------------------------------------------------------------------------------------------

def _pair_hidden() -> Layer:
    # h1 = [both 0], h2 = [both 1]
    return layer("h", [[0, 0], [0, 0]], [[-1, -1], [1, 1]], [1, -1], step())


def equality(y0: float = 1.0, name: str = "equality") -> Net:
    """S8: y(t) = f(v.h(t) + r y(t-1) + c), v = [1, 1], r = 1, c = -1.5.

    The sheet's separate first-step bias c0 = -0.5 is this recurrence started from y(0) = 1, since
    c0 = c + r y(0). Starting from y(0) = 0 is the sheet's y(1) written with c.
    """
    written = y0 == 0.0
    return Net(
        name, 2,
        (_pair_hidden(), layer("y", [[1]], [[0, 0, 1, 1]], [-1.5], step(), h0=[y0])),
        EQUAL_SO_FAR,
        "S8 as written: y(1) = f(v.h(1) + c) with c = -1.5" if written
        else "S8: y(t) = 1 iff x1 and x2 agree at every step so far (c0 = c + r y(0) = -0.5)",
    )


def equality_as_written() -> Net:
    return equality(0.0, "equality-as-written")


def carry() -> Net:
    """S8's hidden layer with v = [-1, 1], r = 1, c = c0 = -0.5: the carry of LSB-first addition."""
    return Net(
        "carry", 2,
        (_pair_hidden(), layer("c", [[1]], [[0, 0, -1, 1]], [-0.5], step())),
        CARRY,
        "S8 variant: y(t) = carry out of x1 + x2 after t bits, least significant first",
    )


def adder() -> Net:
    """Serial adder: the carry net plus p(t) = c(t-1) and the sum bit s = [x1 + x2 + p - 2c > 0.5]."""
    return Net(
        "adder", 2,
        (
            _pair_hidden(),
            layer("c", [[1, 0], [1, 0]], [[0, 0, -1, 1], [0, 0, 0, 0]], [-0.5, -0.5], step()),
            layer("y", [[0]], [[1, 1, 0, 0, -2, 1]], [-0.5], step()),
        ),
        SERIAL_SUM,
        "serial adder: y(t) = sum bit t of x1 + x2, both least significant bit first",
    )


NETS: dict[str, Callable[[], Net]] = {
    "alternating": alternating,
    "all-ones": all_ones,
    "all-ones-from-zero": all_ones_from_zero,
    "equality": equality,
    "equality-as-written": equality_as_written,
    "carry": carry,
    "adder": adder,
}


def get_net(name: str) -> Net:
    """A built-in net by name; an unknown name raises ValueError listing the valid ones."""
    if name not in NETS:
        raise ValueError(f"unknown net {name!r}; built-in nets: {', '.join(NETS)}")
    return NETS[name]()


def add_numbers(a: int, b: int, net: Net | None = None) -> int:
    """a + b computed by the serial adder net, one bit per step (LSB first, both padded with a 0)."""
    if a < 0 or b < 0:
        raise ValueError("the serial adder adds non-negative integers")
    n = max(a.bit_length(), b.bit_length()) + 1  # the extra 0 step emits the final carry
    bits = torch.tensor([[(a >> i) & 1, (b >> i) & 1] for i in range(n)], dtype=torch.float64)
    y = (net or adder()).run(bits).y[0, :, 0]
    return sum(int(v) << i for i, v in enumerate(y.tolist()))


@dataclass(frozen=True)
class AdderCheck:
    """Random numbers added by the serial adder net, against Python's integers."""

    holds: bool  # every sum exact
    bits: int  # bits per number (each number drawn uniformly from [0, 2^bits))
    additions: int
    seed: int
    wrong_sums: int  # sums that differ from a + b
    first_wrong: dict[str, str] | None  # {"a", "b", "net", "python"} in hexadecimal, for the first wrong sum

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def check_adder(bits: int, additions: int = 3, seed: int = 0,
                add: Callable[[int, int], int] | None = None) -> AdderCheck:
    """Add `additions` pairs of random `bits`-bit numbers with `add` (default: the adder net, `add_numbers`)."""
    if bits < 1 or additions < 1:
        raise ValueError(f"bits and additions must be >= 1, got {bits} and {additions}")
    add = add or add_numbers
    gen = torch.Generator().manual_seed(seed)
    wrong, first = 0, None
    for _ in range(additions):
        a, b = (int("".join(map(str, torch.randint(0, 2, (bits,), generator=gen).tolist())), 2) for _ in range(2))
        got = add(a, b)
        if got != a + b:
            wrong += 1
            first = first or {"a": hex(a), "b": hex(b), "net": hex(got), "python": hex(a + b)}
    return AdderCheck(wrong == 0, bits, additions, seed, wrong, first)


def bits_tensor(x1: Sequence[int], x2: Sequence[int] | None = None) -> Tensor:
    """(T, n_inputs) float tensor from one or two bit lists."""
    cols = [x1] if x2 is None else [x1, x2]
    return torch.tensor(list(zip(*cols, strict=True)), dtype=torch.float64).reshape(len(x1), len(cols))
