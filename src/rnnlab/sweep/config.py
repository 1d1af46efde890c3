"""A sweep described in a TOML file: fixed TrainConfig fields plus a [grid] of lists, every combination one trial.

    task = "temporal_order"        # fixed for every trial
    steps = 200
    [grid]                         # every combination of these lists is one trial
    cell = ["sigmoid", "skip"]
    T = [10, 20]
    seed = [0, 1, 2]

A trial is identified by a stable hash of its full TrainConfig, so the same trial always lands in the same file
and a re-run (or a larger grid that contains it) finds it finished.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import tomllib
import types
import typing
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import torch

from rnnlab.dynamics.clipping import Clip, parse_clip
from rnnlab.dynamics.tasks import get_task
from rnnlab.dynamics.training import TrainConfig

FORMAT = "rnnlab-sweep/1"
META_KEYS = ("name",)  # top-level keys that are not TrainConfig fields
GRID = "grid"


def train_fields() -> dict[str, Any]:
    """TrainConfig's field names and their resolved types, in declaration order."""
    hints = typing.get_type_hints(TrainConfig)
    return {f.name: hints[f.name] for f in fields(TrainConfig)}


def _type_name(hint: Any) -> str:
    if hint is Clip:
        return "a clipping string (none, value:C or norm:C)"
    names = {int: "an integer", float: "a number", str: "a string", bool: "true or false"}
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    if isinstance(hint, types.UnionType) and len(args) == 1:
        return names.get(args[0], str(args[0]))
    return names.get(hint, str(hint))


def _convert(value: Any, hint: Any, where: str) -> Any:
    """A TOML value as the TrainConfig field's type; ValueError naming the expected type otherwise."""
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    if isinstance(hint, types.UnionType) and len(args) == 1:
        hint = args[0]  # "float | None": TOML has no null, so a given value is the float
    ok = False
    if hint is bool:
        ok = isinstance(value, bool)
    elif hint is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif hint is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        value = float(value) if ok else value
    elif hint is str:
        ok = isinstance(value, str)
    elif hint is Clip:
        if isinstance(value, str):
            try:
                return parse_clip(value)
            except ValueError as e:
                raise ValueError(f"{where}: {e}") from None
    else:
        raise ValueError(f"{where}: this field cannot be set from a sweep file")
    if not ok:
        raise ValueError(f"{where} must be {_type_name(hint)}, got {value!r} ({type(value).__name__})")
    return value


def _plain(value: Any) -> Any:
    """A value as it is written in TOML/JSON (a Clip as 'norm:1.0', its threshold exact so it parses back equal)."""
    if isinstance(value, Clip):
        return "none" if value.kind == "none" else f"{value.kind}:{value.c!r}"
    return value


@dataclass(frozen=True)
class Trial:
    """One combination of the grid."""

    id: str  # stable hash of the full config (see trial_id)
    params: dict[str, Any]  # the grid values of this trial, e.g. {"cell": "skip", "T": 20, "seed": 3}
    config: TrainConfig  # the full training config (fixed fields, grid values, TrainConfig defaults)


def config_dict(config: TrainConfig) -> dict[str, Any]:
    """A TrainConfig as plain JSON-able data (Clip as {"kind", "c"})."""
    return asdict(config)


def trial_id(config: TrainConfig) -> str:
    """sha256 of the canonical JSON of the full config: the same trial gets the same id in every run and sweep."""
    blob = json.dumps({"format": FORMAT, "config": config_dict(config)}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class SweepConfig:
    """What to sweep: fields fixed for every trial and a grid of lists whose combinations are the trials."""

    fixed: dict[str, Any]  # TrainConfig field -> value, as converted (a Clip for clip)
    grid: dict[str, tuple[Any, ...]]  # TrainConfig field -> values, in file order; the trials are the product
    name: str = "sweep"  # a label for tables and the report

    def trials(self) -> list[Trial]:
        """Every combination of the grid, in file order (the last key varies fastest)."""
        keys = list(self.grid)
        out = []
        for values in itertools.product(*(self.grid[k] for k in keys)):
            params = dict(zip(keys, values, strict=True))
            config = TrainConfig(**self.fixed, **params)
            out.append(Trial(trial_id(config), {k: _plain(v) for k, v in params.items()}, config))
        return out

    def to_dict(self) -> dict[str, Any]:
        """As written in a sweep file (and in the sweep directory's sweep.json)."""
        return {"format": FORMAT, "name": self.name, **{k: _plain(v) for k, v in self.fixed.items()},
                GRID: {k: [_plain(v) for v in vs] for k, vs in self.grid.items()}}


def parse_config(data: dict[str, Any], source: str = "sweep config") -> SweepConfig:
    """Validate a parsed sweep file; every problem is a ValueError that names it and what would be valid."""
    known = train_fields()
    valid = f"valid: {', '.join([*META_KEYS, *known, f'[{GRID}]'])}"
    if data.get("format", FORMAT) != FORMAT:
        raise ValueError(f"{source}: unknown format {data['format']!r}; this rnnlab reads {FORMAT!r}")
    data = {k: v for k, v in data.items() if k != "format"}
    unknown = [k for k in data if k not in known and k not in META_KEYS and k != GRID]
    if unknown:
        raise ValueError(f"{source}: unknown key {unknown[0]!r}; {valid}")
    name = data.get("name", "sweep")
    if not isinstance(name, str):
        raise ValueError(f"{source}: 'name' must be a string, got {name!r} ({type(name).__name__})")
    if GRID not in data:
        raise ValueError(f"{source}: no [{GRID}] table; add one with at least one list, e.g. seed = [0, 1, 2]")
    grid_in = data[GRID]
    if not isinstance(grid_in, dict):
        raise ValueError(f"{source}: '{GRID}' must be a table [{GRID}] of lists, got {grid_in!r}")
    if not grid_in:
        raise ValueError(f"{source}: [{GRID}] is empty; give at least one list, e.g. seed = [0, 1, 2]")
    fixed = {k: _convert(v, known[k], f"{source}: {k!r}") for k, v in data.items() if k in known}
    grid: dict[str, tuple[Any, ...]] = {}
    for key, values in grid_in.items():
        where = f"{source}: [{GRID}] {key!r}"
        if key not in known:
            raise ValueError(f"{where} is not a TrainConfig field; valid: {', '.join(known)}")
        if key in fixed:
            raise ValueError(f"{where} is also fixed at the top level; give it in one place only")
        if not isinstance(values, list):
            raise ValueError(f"{where} must be a list of values, each {_type_name(known[key])}, got {values!r}")
        if not values:
            raise ValueError(f"{where} is an empty list; give at least one value")
        converted = tuple(_convert(v, known[key], f"{where} value") for v in values)
        repeated = [v for i, v in enumerate(converted) if v in converted[:i]]
        if repeated:
            raise ValueError(f"{where} lists {_plain(repeated[0])!r} twice; each value once")
        grid[key] = converted
    config = SweepConfig(fixed, grid, name)
    _check_trials(config, source)
    return config


def _check_trials(config: SweepConfig, source: str) -> None:
    """Build every trial's TrainConfig (its own checks) and reject a too-short T before any work."""
    keys = list(config.grid)
    for values in itertools.product(*(config.grid[k] for k in keys)):
        params = dict(zip(keys, values, strict=True))
        try:
            c = TrainConfig(**config.fixed, **params)
            get_task(c.task).batch(1, c.T, torch.Generator())
        except (ValueError, TypeError) as e:
            point = ", ".join(f"{k}={_plain(v)!r}" for k, v in params.items())
            raise ValueError(f"{source}: trial {point}: {e}") from None


def load_config(path: str | Path) -> SweepConfig:
    """Read and validate a sweep TOML file (missing file and malformed TOML are ValueErrors too)."""
    p = Path(path)
    if not p.is_file():
        raise ValueError(f"sweep config {str(p)!r} not found" if not p.exists() else f"{str(p)!r} is not a file")
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as e:
        raise ValueError(f"{p}: malformed TOML: {e}") from None
    except UnicodeDecodeError:
        raise ValueError(f"{p}: not a UTF-8 text file") from None
    return parse_config(data, str(p))
