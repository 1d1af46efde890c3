"""One home for progress bars: rich, on stderr, and off when stderr is not a terminal."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager


@contextmanager
def progress_bar(total: int | None, label: str, enabled: bool = True,
                 in_bytes: bool = False) -> Iterator[Callable[[int], None]]:
    """A progress bar on stderr (never on stdout, which --json keeps for its one object); yields advance(n).
    in_bytes: n and total count bytes, shown as sizes (e.g. 12.3/100.1 MB).

    Off when stderr is not a terminal, so that piped stderr keeps the one-line error contract. What the command
    prints to stdout meanwhile stays on stdout: rich would send it through the bar's console (stderr), which is
    right only when stdout is the same terminal, where the lines then scroll above the bar."""
    if not enabled:
        yield lambda n: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn() if in_bytes else MofNCompleteColumn(),
               TimeElapsedColumn())
    console = Console(stderr=True)
    with Progress(*columns, console=console, transient=True, disable=not console.is_terminal,
                  redirect_stdout=sys.stdout.isatty()) as bar:
        task = bar.add_task(label, total=total)
        yield lambda n: bar.advance(task, n)
