"""`rnnlab bench`: every benchmark beside its baseline, measured in the same run, on this machine."""

from __future__ import annotations

import click
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from rnnlab.bench import Result, all_cases
from rnnlab.bench.machine import machine_info
from rnnlab.cli.common import emit_json


def _fmt(v: float | None) -> str:
    return "-" if v is None else f"{v:.3g}"


@click.command()
@click.option("--only", "only", multiple=True, metavar="NAME", help="Run only this benchmark (repeatable).")
@click.option("--json", "as_json", is_flag=True,
              help='Print {"machine": {...}, "benchmarks": [{"name", "value", "unit", "baseline", "ratio", ...}]}.')
def bench(only: tuple[str, ...], as_json: bool) -> None:
    """Run the benchmarks, each side by side with its baseline, and print a table.

    Timings depend on the machine and its load; the machine is printed with the numbers.

    \b
    Examples:
      rnnlab bench
      rnnlab bench --only verifier_exhaustive_seq_steps_per_s --json
    """
    cases = all_cases()
    names = [c.name for c in cases]
    unknown = [n for n in only if n not in names]
    if unknown:
        raise click.BadParameter(f"unknown benchmark {unknown[0]!r}; valid: {', '.join(names)}", param_hint="--only")
    selected = [c for c in cases if not only or c.name in only]
    results: list[Result] = []
    console = Console(stderr=True)
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=console, transient=True, disable=not console.is_terminal) as progress:
        task = progress.add_task("benchmarks", total=len(selected))
        for case in selected:
            progress.update(task, description=f"bench {case.name}")
            results.append(case.run())
            progress.advance(task)
    machine = machine_info()
    if as_json:
        emit_json({"machine": machine, "benchmarks": [r.to_dict() for r in results]})
        return
    click.echo(f"machine: {machine['cpu']}, {machine['cores']} cores, torch {machine['torch']} "
               f"({machine['torch_threads']} threads), numpy {machine['numpy']}, Python {machine['python']}")
    header = ("name", "value", "unit", "baseline", "ratio", "target", "met")
    rows = [(r.name, _fmt(r.value), r.unit, _fmt(r.baseline), _fmt(r.ratio), r.target,
             "-" if r.met is None else ("yes" if r.met else "NO")) for r in results]
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]
    for row in (header, *rows):
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    for r in results:
        click.echo(f"\n{r.name}: {r.detail}")


COMMANDS = [bench]
