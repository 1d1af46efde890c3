"""The one place where command-line values are checked: click parameter types for rnnlab's domains.

Every command declares its options with these types, so no command can forget a check: a number out of
range, NaN or infinity, a repeated seed, a malformed bit string or a net file with non-finite weights is
refused before any work, as one line that names the option, the value and what is allowed (exit 2).
"""

from __future__ import annotations

import errno
import math
import os
import re
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from rnnlab.resources import parse_size

if TYPE_CHECKING:
    from rnnlab.exact.net import Net
    from rnnlab.extract.model import LearnedNet
    from rnnlab.extract.torch_net import TorchNet

__all__ = [
    "BITS",
    "MAX_COUNT",
    "MAX_LENGTH",
    "MAX_SEED",
    "MEMORY",
    "NET",
    "NET_SOURCE",
    "PROBABILITY",
    "PYTORCH_ADVICE",
    "SPEC",
    "Bits",
    "FiniteFloat",
    "INPUTS",
    "FloatList",
    "InputsFile",
    "IntList",
    "LoadedSpec",
    "MemorySize",
    "NetParam",
    "SeedList",
    "SpecFile",
    "count",
    "load_net",
    "memory_option",
]

MAX_LENGTH = 10_000_000  # sequence lengths, steps: more than any run on one machine needs
MAX_COUNT = 1_000_000  # sizes (hidden units, batch, trials, vocabulary): a sane upper end
MAX_SEED = 2**63 - 1  # torch.Generator.manual_seed accepts 64-bit seeds
MAX_SEEDS = 10_000  # seeds in one list
NET_SOURCE = "rnnlab.net_source"  # click context meta key: the NET argument as typed


def count(min: int = 1, max: int = MAX_COUNT) -> click.IntRange:
    """A whole number in [min, max]; click names the option and the range when it is outside."""
    return click.IntRange(min=min, max=max)


def _range_text(lo: float | None, hi: float | None, lo_open: bool, hi_open: bool) -> str:
    left = "-inf" if lo is None else f"{lo:g}"
    right = "inf" if hi is None else f"{hi:g}"
    return f"{'(' if lo_open or lo is None else '['}{left}, {right}{')' if hi_open or hi is None else ']'}"


class FiniteFloat(click.ParamType):
    """A finite real number (never NaN or infinity), optionally within bounds."""

    name = "number"

    def __init__(self, min: float | None = None, max: float | None = None, min_open: bool = False,
                 max_open: bool = False) -> None:
        self.min, self.max, self.min_open, self.max_open = min, max, min_open, max_open

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            x = float(value)
        else:
            try:
                x = float(str(value).strip())
            except ValueError:
                self.fail(f"{value!r} is not a number", param, ctx)
        allowed = _range_text(self.min, self.max, self.min_open, self.max_open)
        if not math.isfinite(x):
            self.fail(f"{value!r} is not a finite number; allowed: a number in {allowed}", param, ctx)
        below = self.min is not None and (x < self.min or (self.min_open and x == self.min))
        above = self.max is not None and (x > self.max or (self.max_open and x == self.max))
        if below or above:
            self.fail(f"{x:g} is not in the allowed range {allowed}", param, ctx)
        return x

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        return "X"


PROBABILITY = FiniteFloat(0.0, 1.0)


class IntList(click.ParamType):
    """Comma-separated whole numbers, each in [min, max], e.g. 0,100,1000 (ranges a-b when `ranges`)."""

    name = "list"

    def __init__(self, min: int = 0, max: int = MAX_LENGTH, ranges: bool = False, unique: bool = False,
                 max_items: int = MAX_SEEDS) -> None:
        self.min, self.max, self.ranges, self.unique, self.max_items = min, max, ranges, unique, max_items

    def _item(self, text: str, param: click.Parameter | None, ctx: click.Context | None) -> list[int]:
        m = re.fullmatch(r"\s*(-?\d+)\s*(?:-\s*(-?\d+)\s*)?", text) if self.ranges else None
        if m and m.group(2) is not None:
            a, b = int(m.group(1)), int(m.group(2))
            if b < a:
                self.fail(f"range {text.strip()!r} runs backwards; write low-high, e.g. 0-15", param, ctx)
            if b - a + 1 > self.max_items:
                self.fail(f"range {text.strip()!r} has {b - a + 1} values; at most {self.max_items}", param, ctx)
            return list(range(a, b + 1))
        try:
            return [int(text.strip())]
        except ValueError:
            example = "0,1,5-7" if self.ranges else "0,1,2"
            self.fail(f"{text.strip()!r} is not a whole number; write comma-separated integers, e.g. {example}",
                      param, ctx)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> tuple[int, ...]:
        if isinstance(value, tuple):
            return value
        text = str(value)
        parts = [p for p in text.split(",") if p.strip()]
        if not parts:
            self.fail(f"{text!r} holds no number; give at least one", param, ctx)
        values = [v for p in parts for v in self._item(p, param, ctx)]
        if len(values) > self.max_items:
            self.fail(f"{len(values)} values; at most {self.max_items}", param, ctx)
        for v in values:
            if not self.min <= v <= self.max:
                self.fail(f"{v} is not in the allowed range [{self.min}, {self.max}]", param, ctx)
        if self.unique:
            seen: set[int] = set()
            for v in values:
                if v in seen:
                    self.fail(f"{v} is listed twice in {text!r}; each value once", param, ctx)
                seen.add(v)
        return tuple(values)

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        return "0,1,5-7" if self.ranges else "N,N,..."


class SeedList(IntList):
    """Seeds: "0,1,2", "0-15" or "0,1,5-7"; each seed >= 0 and listed once (a repeat would count twice)."""

    name = "seeds"

    def __init__(self) -> None:
        super().__init__(min=0, max=MAX_SEED, ranges=True, unique=True, max_items=MAX_SEEDS)


class FloatList(click.ParamType):
    """Comma-separated finite numbers, each checked by `item`."""

    name = "numbers"

    def __init__(self, item: FiniteFloat | None = None) -> None:
        self.item = item or FiniteFloat()

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> tuple[float, ...]:
        if isinstance(value, tuple):
            return value
        parts = [p for p in str(value).split(",") if p.strip()]
        if not parts:
            self.fail(f"{value!r} holds no number; give at least one", param, ctx)
        return tuple(self.item.convert(p, param, ctx) for p in parts)


class Bits(click.ParamType):
    """A non-empty string of 0s and 1s, at most MAX_LENGTH long, as a list of ints."""

    name = "bits"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> list[int]:
        if isinstance(value, list):
            return value
        text = str(value)
        if not text:
            self.fail("is empty; give a string of 0s and 1s, e.g. 0110", param, ctx)
        bad = sorted(set(text) - {"0", "1"})
        if bad:
            self.fail(f"{text[:40]!r} holds {''.join(bad)[:10]!r}; only 0s and 1s are allowed", param, ctx)
        if len(text) > MAX_LENGTH:
            self.fail(f"has {len(text)} bits; at most {MAX_LENGTH}", param, ctx)
        return [int(c) for c in text]

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        return "BITS"


# What to do with a PyTorch file given where a net file belongs. This is the one place that says it: a command
# that converts such files, once there is one, is named here.
PYTORCH_ADVICE = "import it first: `rnnlab import FILE --out NET.json` reads a PyTorch state_dict (nn.RNN, " \
                 "nn.GRU, nn.LSTM, an optional nn.Embedding, a Linear head)"
_LEGACY_TORCH = b"\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19"  # torch.save's magic number, pickled


def load_net(text: str) -> Net | LearnedNet | TorchNet:
    """NET as typed: a built-in net's name or a net file of either format (by its content, whatever its name).
    Anything else is a ValueError saying what it is: no such net or file, a folder, a PyTorch file, an automaton
    spec, a binary file, other JSON."""
    from rnnlab.exact.automaton import load_json
    from rnnlab.exact.sheet import NETS, get_net
    from rnnlab.extract.model import net_from_dict

    if text in NETS:
        return get_net(text)
    path = Path(text)
    if path.is_dir():
        raise ValueError(f"{text!r} is a folder, not a net file")
    if not path.exists() and not text.endswith(".json"):
        raise ValueError(f"unknown net {text!r}: no built-in net and no file of that name; built-in nets: "
                         f"{', '.join(NETS)}")
    kind = _binary_kind(path)
    if kind is not None:
        raise ValueError(f"{text!r} is {kind}")

    def parse(data: Any) -> Net | LearnedNet | TorchNet:
        if isinstance(data, dict) and "format" not in data and {"states", "transitions"} & set(data):
            raise ValueError(f"this is an automaton spec, not a net; compile it into one with "
                             f"`rnnlab compile {text} --out NET.json`")
        return net_from_dict(data)

    return load_json(text, "net", parse)


def _binary_kind(path: Path) -> str | None:
    """What a file that cannot be a net file (JSON text) is, from its first bytes; None when it may be one."""
    try:
        with open(path, "rb") as f:
            head = f.read(512)
    except OSError:
        return None  # load_json names the reason
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(path) as z:
                torch_zip = any(n.rsplit("/", 1)[-1] == "data.pkl" for n in z.namelist())
        except (OSError, zipfile.BadZipFile):
            torch_zip = False
        if torch_zip:
            return f"a PyTorch file (torch.save), not an rnnlab net file; {PYTORCH_ADVICE}"
        return "a zip archive, not an rnnlab net file (a net file is JSON text)"
    if head.startswith(_LEGACY_TORCH):
        return f"a PyTorch file (torch.save, legacy format), not an rnnlab net file; {PYTORCH_ADVICE}"
    if head[:1] == b"\x80" and head[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):
        return "a Python pickle, not an rnnlab net file (a net file is JSON text)"
    if head.startswith(b"\x93NUMPY"):
        return "a NumPy array file (.npy), not an rnnlab net file (a net file is JSON text)"
    if b"\x00" in head:
        return "a binary file, not an rnnlab net file (a net file is JSON text)"
    return None


class NetParam(click.ParamType):
    """A built-in net's name or a net file of either format, rnnlab-net/1 or rnnlab-net/2 (it exists, is a net,
    and every field has its type, every weight finite); see `load_net`."""

    name = "net"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        from rnnlab.exact.net import Net
        from rnnlab.extract.model import LearnedNet
        from rnnlab.extract.torch_net import TorchNet

        if isinstance(value, (Net, LearnedNet, TorchNet)):
            return value
        text = str(value)
        if ctx is not None:
            ctx.meta[NET_SOURCE] = text  # as typed, for commands that print a follow-up command line
        try:
            return load_net(text)
        except ValueError as e:
            self.fail(str(e), param, ctx)

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        return "NET"


class InputsFile(click.ParamType):
    """A text file of inputs, one a line (format: rnnlab.extract.inputs), that can be opened for reading; the
    path as given. Its lines are read and checked against the net by the command, a chunk at a time, naming
    the line at fault (the file may be larger than memory)."""

    name = "inputs"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        path = str(value)
        try:  # not opened here: a pipe or FIFO can be read only once, by the command
            mode = os.stat(path).st_mode
        except OSError as e:
            self.fail(f"cannot read inputs file {path!r}: {e.strerror}", param, ctx)
        problem = errno.EISDIR if stat.S_ISDIR(mode) else None if os.access(path, os.R_OK) else errno.EACCES
        if problem is not None:
            self.fail(f"cannot read inputs file {path!r}: {os.strerror(problem)}", param, ctx)
        return path

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        return "FILE"


@dataclass(frozen=True)
class LoadedSpec:
    """A spec file as given on the command line and the automaton read from it."""

    path: str  # as given
    automaton: Any  # rnnlab.exact.automaton.Automaton


class SpecFile(click.ParamType):
    """An automaton spec file (SPEC S9 format), read and validated."""

    name = "spec"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> LoadedSpec:
        from rnnlab.exact.automaton import Automaton

        if isinstance(value, LoadedSpec):
            return value
        try:
            return LoadedSpec(str(value), Automaton.load(str(value)))
        except ValueError as e:
            self.fail(str(e), param, ctx)

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        return "SPEC.json"


class MemorySize(click.ParamType):
    """A number of bytes: 2G, 500M, 64K or a plain byte count."""

    name = "size"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        try:
            return parse_size(str(value))
        except ValueError as e:
            self.fail(str(e), param, ctx)

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        return "SIZE"


BITS = Bits()
NET = NetParam()
INPUTS = InputsFile()
SPEC = SpecFile()
MEMORY = MemorySize()


def memory_option(f: Any) -> Any:
    """--max-memory: the limit the command's memory estimate is checked against before any work."""
    return click.option("--max-memory", "max_memory", type=MEMORY, default=None,
                        help="Refuse to start when the estimated memory exceeds SIZE (e.g. 2G, 500M). "
                             "[default: half the memory available now]")(f)
