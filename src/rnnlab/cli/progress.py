"""One home for progress bars: rich, on stderr, and off when stderr is not a terminal."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager


@contextmanager
def progress_bar(total: int | None, label: str, enabled: bool = True,
                 in_bytes: bool = False) -> Iterator[Callable[[int], None]]:
    """A progress bar on stderr (never on stdout, which --json keeps for its one object); yields advance(n).
    in_bytes: total and n count bytes, shown as sizes (12.3/100.1 MB).

    Off when stderr is not a terminal, so that piped stderr keeps the one-line error contract."""
    if not enabled:
        yield lambda n: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    count = DownloadColumn() if in_bytes else MofNCompleteColumn()
    columns = (TextColumn("{task.description}"), BarColumn(), count, TimeElapsedColumn())
    console = Console(stderr=True)
    with Progress(*columns, console=console, transient=True, disable=not console.is_terminal) as bar:
        task = bar.add_task(label, total=total)
        yield lambda n: bar.advance(task, n)
