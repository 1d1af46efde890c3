"""Experiment configs as TOML files: one frozen dataclass, read back field by field.

The report writes each part's config with `tomli_w`; `rnnlab exposure --config FILE` (and the other commands
that take one) read it here, so a claim's reproduce command runs the very settings the report ran with.
"""

from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


def config_from_dict(cls: type[T], data: dict[str, Any], where: str = "config") -> T:
    """cls(**data), refusing keys that are not fields of cls (the message names them and the valid keys).

    TOML has arrays but no tuples: a list is turned into a tuple where the field's default is one.
    """
    if not dataclasses.is_dataclass(cls):
        raise TypeError(f"{cls!r} is not a dataclass")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {', '.join(unknown)}; valid keys: {', '.join(fields)}")
    values = {}
    for name, value in data.items():
        f = fields[name]
        default = f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
        values[name] = tuple(value) if isinstance(value, list) and isinstance(default, tuple) else value
    try:
        return cls(**values)
    except TypeError as e:  # a required field missing
        raise ValueError(f"{where}: {e}") from None


def load_config(cls: type[T], path: str | Path) -> T:
    """Read a TOML file into the config dataclass cls; every problem is a ValueError naming the file."""
    p = Path(path)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except OSError as e:
        raise ValueError(f"cannot read config {str(path)!r}: {e.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise ValueError(f"config {str(path)!r} is not valid TOML: {e}") from None
    return config_from_dict(cls, data, f"config {str(path)!r}")
