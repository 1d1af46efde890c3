"""What every command shares: JSON output, list parsing, the one-line error."""

from __future__ import annotations

from typing import Any

import click

from rnnlab.files import json_text
from rnnlab.resources import DEFAULT_FRACTION, Estimate, available_memory, format_size


class ResourceLimit(click.ClickException):
    """A run refused before any work because its estimate exceeds the limit (bad input: exit 2)."""

    exit_code = 2


def check_memory(estimate: Estimate, max_memory: int | None) -> None:
    """Refuse a run whose memory estimate exceeds --max-memory (default: a fraction of the available memory)."""
    if max_memory is not None:
        limit, source = max_memory, "--max-memory"
    else:
        available = available_memory()
        limit = int(available * DEFAULT_FRACTION)
        source = f"{DEFAULT_FRACTION:.0%} of the {format_size(available)} available"
    if estimate.bytes > limit:
        lower = " or ".join(estimate.drivers)
        raise ResourceLimit(f"this run needs about {format_size(estimate.bytes)} of memory, over the limit of "
                            f"{format_size(limit)} ({source}); lower {lower}, or set the limit with --max-memory SIZE")


def emit_json(obj: Any) -> None:
    """Print one JSON object on stdout (non-finite floats become null, as JSON has no NaN)."""
    click.echo(json_text(obj))


def parse_bits(text: str, flag: str) -> list[int]:
    """'0110' -> [0, 1, 1, 0]; anything but 0/1 is a bad input naming the flag."""
    bad = sorted(set(text) - {"0", "1"})
    if bad or not text:
        raise click.BadParameter(f"{text!r} must be a non-empty string of 0s and 1s", param_hint=flag)
    return [int(c) for c in text]


def parse_ints(text: str, flag: str) -> list[int]:
    """'0,1,2' -> [0, 1, 2]."""
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise click.BadParameter(f"{text!r} must be comma-separated integers, e.g. 0,1,2", param_hint=flag) from None
    if not values:
        raise click.BadParameter("needs at least one integer", param_hint=flag)
    return values
