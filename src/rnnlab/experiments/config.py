"""Experiment settings from TOML: a file's keys become the fields of a config dataclass, checked.

The report writes the settings each part ran with as TOML (configs/NAME.toml); `rnnlab experiment NAME
--config FILE` reads them back here, so a claim's reproduce command runs exactly what the report ran.
"""

from __future__ import annotations

import dataclasses
import tomllib
import typing
from pathlib import Path
from typing import Any, TypeVar

from rnnlab.fields import Field, FieldError

C = TypeVar("C")


def config_from_dict(cls: type[C], data: dict[str, Any], where: str = "config") -> C:
    """cls(**data) with TOML's lists turned into the tuples the dataclass fields hold; unknown keys are refused
    with one message naming them and listing the valid keys (generated from the dataclass's fields), and a
    value of the wrong type (a string for a number, a bool for an int, 2.5 for a count) by its key."""
    if not dataclasses.is_dataclass(cls):
        raise TypeError(f"{cls!r} is not a dataclass")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {', '.join(unknown)}; valid keys: {', '.join(fields)}")
    hints = typing.get_type_hints(cls)
    try:
        values = {name: Field(value, name).typed(hints.get(name)) for name, value in data.items()}
        return cls(**values)
    except (TypeError, FieldError) as e:
        raise ValueError(f"{where}: {e}") from None


def read_toml(path: str | Path) -> dict[str, Any]:
    """A settings file's table; an unreadable or malformed file is a ValueError naming it."""
    p = Path(path)
    try:
        return tomllib.loads(p.read_text(encoding="utf-8"))
    except OSError as e:
        raise ValueError(f"cannot read config file {str(p)!r}: {e.strerror or e}") from None
    except UnicodeDecodeError:
        raise ValueError(f"config file {str(p)!r} is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as e:
        raise ValueError(f"config file {str(p)!r} is not valid TOML: {e}") from None


def load_config(cls: type[C], path: str | Path) -> C:
    """Read a TOML file into the config dataclass cls (see config_from_dict)."""
    return config_from_dict(cls, read_toml(path), str(path))
