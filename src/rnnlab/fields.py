"""Strict reading of the JSON in user files (net files, specs, certificates; settings read from TOML too): each
value is checked for the type its field needs, and a bad one is refused by its path, e.g. `layers[0].W[1][2]`
or `readout.c`.

Python's json module reads any JSON value anywhere. A loader that then calls float() or str() on what it
finds runs a net whose bias is the string "0.1", and where a list stands for a number it reports numpy's
complaint instead of the field. Here a number is a JSON number (never a bool, never a string) and finite;
a list, an object, a string and a bool are each only what they say.

    net = Field(data)
    net["readout"]["c"].number()   # FieldError: readout.c must be a number, got a list
"""

from __future__ import annotations

import json
import math
import re
import sys
import typing
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

import numpy as np

__all__ = ["FLOAT32_MAX", "Field", "FieldError", "describe"]

FLOAT32_MAX = float(np.finfo(np.float32).max)  # 3.4028235e+38
_MISSING = object()  # the value of a member the object does not have
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class FieldError(ValueError):
    """A field that is missing, of the wrong type, or out of range; the message starts with its path."""


@dataclass(frozen=True)
class Field:
    """A JSON value and where it sits in its file. Each accessor returns the value checked for one type, or
    raises FieldError naming the path and what was expected."""

    value: Any  # as json.loads gave it; _MISSING for a member the object lacks
    path: str = ""  # e.g. "layers[0].W"; "" is the whole file

    # --- walking ----------------------------------------------------------------------------------------

    def __getitem__(self, key: str) -> Field:
        """The member `key` of this object. A missing one is reported by the accessor called on it, which knows
        what the member must be."""
        return Field(self.object().get(key, _MISSING), self._member(key))

    def get(self, key: str) -> Field | None:
        """The member `key`, or None when the object lacks it (an optional field; a null one is a value, which
        the accessor called on it refuses unless null is allowed there)."""
        data = self.object()
        return Field(data[key], self._member(key)) if key in data else None

    def elements(self) -> list[Field]:
        """The elements of this list, each with its index in its path."""
        return [Field(v, f"{self.path}[{i}]") for i, v in enumerate(self._want(list, "a list"))]

    def members(self) -> dict[str, Field]:
        """The members of this object, each with its key in its path."""
        return {k: Field(v, self._member(k)) for k, v in self.object().items()}

    def only(self, allowed: Sequence[str]) -> None:
        """Refuse a member outside `allowed` (a misspelt optional key would otherwise be ignored)."""
        unknown = [k for k in self.object() if k not in allowed]
        if unknown:
            raise FieldError(f"{self._where()} has unknown field(s) {', '.join(map(repr, unknown))}; "
                             f"valid: {', '.join(allowed)}")

    # --- values -----------------------------------------------------------------------------------------

    def object(self) -> dict[str, Any]:
        return self._want(dict, "an object")

    def string(self, choices: Sequence[str] | None = None) -> str:
        s = self._want(str, "a string" if choices is None else f"one of {', '.join(map(repr, choices))}")
        if choices is not None and s not in choices:
            raise FieldError(f"{self._where()} must be one of {', '.join(map(repr, choices))}, got {s!r}")
        return s

    def boolean(self) -> bool:
        return self._want(bool, "true or false")

    def integer(self, min: int | None = None) -> int:
        v = self.value
        if type(v) is not int:
            self._fail("a whole number" if min is None else f"a whole number >= {min}")
        if min is not None and v < min:
            raise FieldError(f"{self._where()} must be a whole number >= {min}, got {v}")
        return v

    def number(self, float32: bool = False) -> float:
        """A finite JSON number; with float32, one within float32's range, rounded to the nearest float32."""
        v = self.value
        if type(v) is not float and type(v) is not int:
            self._fail("a number")
        if isinstance(v, float) and not math.isfinite(v):
            raise FieldError(f"{self._where()} is {v}; it must be a finite number")
        limit, kind = (FLOAT32_MAX, "float32") if float32 else (sys.float_info.max, "float64")
        if not abs(v) <= limit:  # exact for ints of any size
            shown = f"{v:g}" if abs(v) <= sys.float_info.max else "a number over 1e308"
            raise FieldError(f"{self._where()} is {shown}, beyond {kind}'s range (at most {limit:g} in absolute "
                             "value)")
        return float(np.float32(v)) if float32 else float(v)

    def numbers(self, float32: bool = False) -> tuple[float, ...]:
        """A list of numbers (see `number`)."""
        values = self._want(list, "a list of numbers")
        limit = FLOAT32_MAX if float32 else sys.float_info.max
        # One pass without a Field per element (a net file holds many numbers); `abs(v) <= limit` is False for
        # NaN and infinity too. Only a list with a bad element is walked again, to name it.
        if all((type(v) is float or type(v) is int) and abs(v) <= limit for v in values):
            if float32:
                return tuple(np.asarray(values, dtype=np.float64).astype(np.float32).tolist())
            return tuple(float(v) for v in values)
        for e in self.elements():
            e.number(float32)
        raise AssertionError("unreachable: an element was refused above")

    def integers(self, min: int | None = None) -> tuple[int, ...]:
        values = self._want(list, "a list of whole numbers")
        if all(type(v) is int and (min is None or v >= min) for v in values):
            return tuple(values)
        return tuple(e.integer(min) for e in self.elements())

    def strings(self) -> tuple[str, ...]:
        values = self._want(list, "a list of strings")
        if all(type(v) is str for v in values):
            return tuple(values)
        return tuple(e.string() for e in self.elements())

    def matrix(self, float32: bool = False) -> tuple[tuple[float, ...], ...]:
        """A list of rows, each a list of numbers, all rows of one length."""
        self._want(list, "a list of rows (lists of numbers)")
        rows = tuple(e.numbers(float32) for e in self.elements())
        for i, row in enumerate(rows):
            if len(row) != len(rows[0]):
                raise FieldError(f"{self.path}[{i}] has {len(row)} number(s) but {self.path}[0] has {len(rows[0])}; "
                                 "every row must have the same length")
        return rows

    def typed(self, hint: Any) -> Any:
        """The value checked against a dataclass field's type: bool, int, float, str, or tuple[X, ...] of them
        (from a list); any other type is returned as it is, for the dataclass to check (a settings file's keys
        are a config dataclass's fields)."""
        if hint is bool:
            return self.boolean()
        if hint is int:
            return self.integer()
        if hint is float:
            return self.number()
        if hint is str:
            return self.string()
        args = typing.get_args(hint)
        if typing.get_origin(hint) is tuple and len(args) == 2 and args[1] is Ellipsis:
            return tuple(e.typed(args[0]) for e in self.elements())
        return self.value

    # --- messages ---------------------------------------------------------------------------------------

    def _member(self, key: str) -> str:
        if _NAME.fullmatch(key):
            return f"{self.path}.{key}" if self.path else key
        return f"{self.path}[{json.dumps(key)}]"

    def _where(self) -> str:
        return self.path or "the top level"

    def _want(self, kind: type, expected: str) -> Any:
        v = self.value
        # A tuple passes for a list: json never makes one, and code that builds specs and nets in Python may.
        if not (isinstance(v, (list, tuple)) if kind is list else isinstance(v, kind)):
            self._fail(expected)
        return v

    def _fail(self, expected: str) -> NoReturn:
        if self.value is _MISSING:
            raise FieldError(f"{self._where()} is missing; it must be {expected}")
        raise FieldError(f"{self._where()} must be {expected}, got {describe(self.value)}")


def describe(v: Any) -> str:
    """A JSON value as a message names it: its type, and the value itself when short."""
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return f"the number {v}"
    if isinstance(v, str):
        return f"the string {v[:40]!r}" + ("..." if len(v) > 40 else "")
    if isinstance(v, list):
        return "a list"
    if isinstance(v, dict):
        return "an object"
    return type(v).__name__
