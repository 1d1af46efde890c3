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
