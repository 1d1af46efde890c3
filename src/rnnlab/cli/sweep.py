"""The sweep command: a TOML grid of training runs on a process pool or a Ray cluster, resumable."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from rnnlab.cli.common import emit_json
from rnnlab.cli.params import count
from rnnlab.sweep import BACKENDS, Summary, SweepRun, load_config, load_sweep, run_sweep, summarize


def _fmt(v: float | None, spec: str = ".3f") -> str:
    return "-" if v is None else format(v, spec)


def _table(summary: Summary) -> Table:
    table = Table(title=f"{summary.name}: success over seeds (<1% errors on the fresh test sequences)")
    for key in summary.keys:
        table.add_column(key)
    for head in ("seeds", "solved", "success", "95% interval", "test error (mean ± sd)", "errors"):
        table.add_column(head, justify="right")
    for r in summary.rows:
        ci = f"[{r.success_ci95[0]:.2f}, {r.success_ci95[1]:.2f}]" if r.success_ci95 else "-"
        err = f"{_fmt(r.test_error_mean)} ± {_fmt(r.test_error_std)}" if r.test_error_mean is not None else "-"
        table.add_row(*(str(r.point[k]) for k in summary.keys), f"{r.finished}/{r.seeds}", str(r.solved),
                      _fmt(r.success_rate, ".2f"), ci, err, str(r.errors))
    return table


@click.command()
@click.argument("config_path", metavar="CONFIG.toml", type=click.Path(dir_okay=False))
@click.option("--backend", type=click.Choice(BACKENDS), default="local", show_default=True,
              help="local: a process pool on this machine; ray: Ray tasks (pip install 'rnnlab[ray]').")
@click.option("--address", metavar="ADDR",
              help="ray: join this cluster (auto, or HOST:PORT of its head); without it a local Ray instance "
                   "listening on 127.0.0.1 only is started.")
@click.option("--out", "out_dir", metavar="DIR", help="Sweep directory (default: runs/<CONFIG name>).")
@click.option("--workers", type=count(1, 4096), help="Worker processes / local Ray CPUs (default: all CPUs).")
@click.option("--retry-errors", is_flag=True, help="Run again the trials recorded with an error.")
@click.option("--no-batch", is_flag=True,
              help="Train every trial alone instead of each grid point's seeds as one batched computation.")
@click.option("--json", "as_json", is_flag=True,
              help='Print {"out", "backend", "total", "skipped", "ran", "units", "errors", "seconds", "summary"}.')
def sweep(config_path: str, backend: str, address: str | None, out_dir: str | None, workers: int | None,
          retry_errors: bool, no_batch: bool, as_json: bool) -> None:
    """Run every combination of a TOML grid of training runs (S4, S5), each trial saved the moment it ends.

    CONFIG.toml sets TrainConfig fields for every trial (task, steps, hidden, ...) and a [grid] table of lists;
    each combination is one trial, identified by a hash of its parameters and saved as DIR/trials/<id>.json.
    A re-run skips finished trials, so after a crash or Ctrl-C only the running trials are redone. A trial
    that raises is recorded with its error. The seeds of a grid point (trials that differ only in the seed)
    train together as one batched computation, each seed's numbers its own and saved in its own file;
    --no-batch trains every trial alone. The table gives the success rate per grid point over the seeds,
    with a 95% Wilson interval. Local and Ray runs give the same numbers bit for bit.

    \b
    Examples:
      rnnlab sweep examples/sweeps/tiny.toml --out runs/tiny
      rnnlab sweep examples/sweeps/skip-success.toml --backend ray                  # local Ray instance
      rnnlab sweep examples/sweeps/skip-success.toml --backend ray --address auto   # an existing cluster
    """
    config = load_config(config_path)
    out = Path(out_dir) if out_dir else Path("runs") / Path(config_path).stem
    console = Console(stderr=True)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True, disable=not console.is_terminal) as bar:
        task = bar.add_task(f"sweep {config.name} ({backend})", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        try:
            run: SweepRun = run_sweep(config, out, backend, workers=workers, address=address,
                                      retry_errors=retry_errors, batch=not no_batch, progress=progress)
        except RuntimeError as e:  # e.g. Ray failed to start
            raise click.ClickException(str(e).splitlines()[0] if str(e) else type(e).__name__) from None
    summary = summarize(load_sweep(out))
    if as_json:
        emit_json({**run.to_dict(), "summary": summary.to_dict()})
        return
    Console(width=None if sys.stdout.isatty() else 120).print(_table(summary))  # piped: no wrapping at 80
    click.echo(f"{run.total} trials: {run.skipped} already finished, {run.ran} run now in {run.seconds:.1f} s "
               f"({backend}, {run.units} units of work); {run.errors} recorded with an error. Results: {out}/trials/")


COMMANDS = [sweep]
