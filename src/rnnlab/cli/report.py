"""`rnnlab report`: every claim of the sheet with its evidence and verdict, as HTML + JSON."""

from __future__ import annotations

import click
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

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
def report(out_dir: str, scale: str, only: str | None, sweeps: tuple[str, ...], as_json: bool) -> None:
    """Run every part of the sheet and write one self-contained HTML page plus results.json.

    Parts whose settings and code did not change since the last run in DIR are taken from its cache.
    The page and the JSON are written atomically: an interrupted run never leaves half a page.

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
    if as_json:
        emit_json({"html": str(rep.html_path), "json": str(rep.json_path), "seconds": rep.seconds,
                   "cached_parts": rep.cached_parts,
                   "claims": [{"id": c.id, "verdict": c.verdict} for c in rep.claims]})
        return
    width = max(len(c.id) for c in rep.claims)
    for c in rep.claims:
        click.echo(f"{c.id:<{width}}  {c.verdict}")
    held = sum(c.holds for c in rep.claims)
    click.echo(f"\n{held} of {len(rep.claims)} claims hold ({rep.seconds:.1f} s"
               + (f"; from cache: {', '.join(rep.cached_parts)}" if rep.cached_parts else "") + ")")
    click.echo(f"open {rep.html_path}  (machine-readable: {rep.json_path})")


COMMANDS = [report]
