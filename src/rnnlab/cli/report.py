"""`rnnlab report`: every claim of the sheet with its evidence and verdict, as HTML + JSON."""

from __future__ import annotations

import click
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from rnnlab import format as fmt
from rnnlab.cli.common import emit_json
from rnnlab.report.build import build_report
from rnnlab.report.claims import SCALES, Part


@click.command()
@click.option("--out", "out_dir", default="rnnlab-report", show_default=True, metavar="DIR",
              help="Folder for index.html, results.json and the per-part cache.")
@click.option("--scale", type=click.Choice(SCALES), default="quick", show_default=True,
              help="quick: about a minute on 2 cores (under two); full: larger runs, more seeds (about five minutes).")
@click.option("--only", metavar="PARTS", help="Comma-separated parts to run, e.g. S1,S7.")
@click.option("--sweep", "sweeps", multiple=True, metavar="DIR",
              help="Add a finished `rnnlab sweep` directory: its success rates over seeds (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print a summary as one JSON object.")
def report(out_dir: str, scale: str, only: str | None, sweeps: tuple[str, ...], as_json: bool) -> int:
    """Run every part of the sheet and write one self-contained HTML page plus results.json and figures/.

    Each claim gets a verdict (holds / does not hold / inconclusive) and the verdict rnnlab expects; the exit
    status is 0 when every verdict run is the expected one, 1 when any is not. Parts whose settings and code did
    not change come from the cache in the user's cache folder. With --only, the other parts' results already in
    DIR are kept. Every file is written atomically: an interrupted run never leaves half a page.

    \b
    Example:
      rnnlab report --out rnnlab-report && xdg-open rnnlab-report/index.html
      rnnlab report --only S4 --sweep runs/tiny       # with a finished sweep's success rates
    """
    parts = [p.strip() for p in only.split(",")] if only else None
    console = Console(stderr=True)
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                  TimeElapsedColumn(), console=console, transient=True, disable=not console.is_terminal) as progress:
        task = progress.add_task("report", total=None)

        def on_part(part: Part, i: int, n: int) -> None:
            progress.update(task, description=f"report: {part.title}", completed=i, total=n)

        rep = build_report(out_dir, scale, parts, on_part, sweeps)
    for note in rep.notes:
        click.echo(f"rnnlab: note: {note}", err=True)
    unexpected = [c.id for c in rep.unexpected]
    if as_json:
        emit_json({"html": str(rep.html_path), "json": str(rep.json_path), "seconds": rep.seconds,
                   "cached_parts": rep.cached_parts, "part_seconds": rep.part_seconds,
                   "as_expected": len(rep.claims) - len(unexpected), "unexpected": unexpected,
                   "claims": [{"id": c.id, "verdict": c.verdict, "expected": c.expected, "kind": c.kind}
                              for c in rep.claims]})
        return 1 if unexpected else 0
    width = max(len(c.id) for c in rep.claims)
    for c in rep.claims:
        mark = "" if c.as_expected else f"   <- expected: {c.expected}"
        click.echo(f"{c.id:<{width}}  {c.verdict:<13}  {c.kind}{mark}")
    click.echo("")
    for pid, seconds in rep.part_seconds.items():
        click.echo(f"{pid:<6} {fmt.duration(seconds):>9}" + (" (cached)" if pid in rep.cached_parts else ""))
    click.echo(f"\n{len(rep.claims) - len(unexpected)} as expected, {len(unexpected)} not"
               + (f" ({', '.join(unexpected)})" if unexpected else "") + f"; {fmt.duration(rep.seconds)}")
    click.echo(f"open {rep.html_path}  (machine-readable: {rep.json_path})")
    return 1 if unexpected else 0


COMMANDS = [report]
