"""Numbers for people, one home for the CLI and the report page alike.

    sig(0.00123456)         -> "0.00123"         3 significant digits, no exponent between 1e-3 and 1e6
    sig(1.5e-9)             -> "1.5e-9"
    nbytes(400_000)         -> "400 KB"          decimal units: 1 KB = 1000 B
    rate(2, 3)              -> "2/3 (66.7%)"
    duration(125.0)         -> "2 min 5 s"
    value(None), value(True), value(float("nan")) -> "-", "yes", "NaN"

`value(v, key)` also reads the name a number is stored under in evidence dicts, so parts only have to name
their numbers well: `*_bytes` are bytes, `*_s` / `*_seconds` durations, `*_rate` / `*_fraction` in [0, 1]
percentages (not `learning_rate` or `decay_rate`), and a dict {"k": successes, "n": trials} a rate k/n.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["DIGITS", "sig", "integer", "nbytes", "percent", "rate", "duration", "value", "is_rate", "unit_of"]

DIGITS = 3  # significant digits of every float rnnlab shows a person
_UNITS = ("B", "KB", "MB", "GB", "TB")
_NOT_SHARES = ("learning", "decay", "growth", "lr_")


def _special(x: float) -> str | None:
    """NaN and the infinities, which have no digits."""
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "∞" if x > 0 else "-∞"
    return None


def sig(x: float, digits: int = DIGITS) -> str:
    """x to `digits` significant digits: fixed notation for 1e-3 <= |x| < 1e6, else "1.23e-7"."""
    special = _special(float(x))
    if special:
        return special
    x = float(x)
    if x == 0:
        return "0"
    if 1e-3 <= abs(x) < 1e6:
        exponent = math.floor(math.log10(abs(x)))
        ndigits = digits - 1 - exponent  # negative rounds to tens, hundreds, ...
        decimals = max(ndigits, 0)
        text = f"{round(x, ndigits):.{decimals}f}"
        # round() can carry into a new digit (9.996 -> 10.00): recount once on the rounded value.
        if decimals and abs(float(text)) >= 10 ** (exponent + 1):
            text = f"{float(text):.{max(decimals - 1, 0)}f}"
        return _trim(text)
    mantissa, _, exp = f"{x:.{digits - 1}e}".partition("e")
    return f"{_trim(mantissa)}e{int(exp)}"


def _trim(text: str) -> str:
    """Drop trailing zeros after a decimal point: "0.500" -> "0.5", "2.00" -> "2"."""
    return text.rstrip("0").rstrip(".") if "." in text else text


def integer(n: int) -> str:
    """An integer in full with thousands separators: 1,115,394."""
    return f"{n:,}"


def nbytes(n: float) -> str:
    """A size in bytes with a decimal unit: "512 B", "400 KB", "1.12 MB"."""
    special = _special(float(n))
    if special:
        return special
    size, unit = float(n), 0
    while abs(size) >= 1000 and unit < len(_UNITS) - 1:
        size /= 1000
        unit += 1
    if unit == 0:
        return f"{int(size) if size == int(size) else sig(size)} B"
    return f"{sig(size)} {_UNITS[unit]}"


def percent(fraction: float) -> str:
    """A fraction as a percentage: 0.6667 -> "66.7%"."""
    special = _special(float(fraction))
    return special if special else f"{sig(100 * fraction)}%"


def rate(k: int, n: int) -> str:
    """k successes of n as "k/n (x%)"; "0/0" when there were no trials."""
    if n == 0:
        return f"{k}/0"
    return f"{k}/{n} ({percent(k / n)})"


def duration(seconds: float) -> str:
    """A time span: "850 µs", "12.3 ms", "4.2 s", "2 min 5 s", "1 h 3 min"."""
    special = _special(float(seconds))
    if special:
        return special
    s = float(seconds)
    if s < 0:
        return "-" + duration(-s)
    if s == 0:
        return "0 s"
    if s < 1e-3:
        return f"{sig(s * 1e6)} µs"
    if s < 1:
        return f"{sig(s * 1e3)} ms"
    if s < 60:
        return f"{sig(s)} s"
    minutes, rest = divmod(round(s), 60)
    if minutes < 60:
        return f"{minutes} min {rest} s" if rest else f"{minutes} min"
    hours, minutes = divmod(round(s / 60), 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


def is_rate(v: Any) -> bool:
    """A {"k": successes, "n": trials} dict."""
    return isinstance(v, dict) and set(v) == {"k", "n"} and all(
        isinstance(x, int) and not isinstance(x, bool) for x in v.values())


def unit_of(key: str | None) -> str | None:
    """The unit a number's name implies: "bytes", "seconds", "fraction", or None."""
    if not key:
        return None
    k = key.lower()
    if k == "bytes" or k.endswith("_bytes"):
        return "bytes"
    if k in ("s", "seconds") or k.endswith(("_s", "_seconds", "_sec")):
        return "seconds"
    if k.endswith(("_fraction", "_share")) or k in ("rate", "fraction"):
        return "fraction"
    # A learning rate or a decay rate per step is not a share of trials.
    if k.endswith("_rate") and not any(w in k for w in _NOT_SHARES):
        return "fraction"
    return None


def value(v: Any, key: str | None = None, digits: int = DIGITS) -> str:
    """Any scalar for a person, with the unit its `key` implies; lists of scalars joined by commas (semicolons when
    an item holds a thousands separator); a `*shape` list of ints as 128 × 1000."""
    if v is None:
        return "-"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if is_rate(v):
        return rate(v["k"], v["n"])
    unit = unit_of(key)
    if isinstance(v, (int, float)):
        if unit == "bytes":
            return nbytes(v)
        if unit == "seconds":
            return duration(v)
        if unit == "fraction" and isinstance(v, float) and (0 <= v <= 1 or math.isnan(v)):
            return percent(v)
        return integer(v) if isinstance(v, int) else sig(v, digits)
    if isinstance(v, (list, tuple)):
        if key and key.lower().endswith("shape") and all(isinstance(x, int) and not isinstance(x, bool) for x in v):
            return " × ".join(str(x) for x in v)  # a tensor shape: 128 × 1000
        items = [value(x, key, digits) for x in v]
        # "1,000; 1,001", not "1,000, 1,001": items that hold a comma are kept apart by semicolons
        return ("; " if any("," in x for x in items) else ", ").join(items)
    return str(v)
