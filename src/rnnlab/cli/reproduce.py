"""The reproduce command: a published experiment rerun, each cell labelled against the paper's statement."""

from __future__ import annotations

import statistics
import sys
import textwrap
from pathlib import Path

import click
from matplotlib.figure import Figure
from rich.console import Console
from rich.table import Table

from rnnlab.cli.common import emit_json
from rnnlab.cli.params import count
from rnnlab.cli.progress import progress_bar
from rnnlab.experiments import pascanu2013 as p13
from rnnlab.plotting import save_figure
from rnnlab.sweep.ray_backend import import_ray

EXPERIMENTS = ("pascanu2013",)


def _table(r: p13.Reproduction) -> Table:
    b = r.budget
    said = "; ".join(f"{m} {p13.PAPER[m].short}: {p13.PAPER[m].text}" for m in p13.METHODS)
    table = Table(title=f"Temporal order, budget {b.name} ({b.updates:,} updates per run at most; the paper "
                        f"allowed {p13.PAPER_UPDATES:,}): successes of {p13.SEEDS} seeds",
                  caption=f"The paper ({p13.SOURCE}): {said}.")
    numbers = ("T", "solved", "median updates", "median test error")
    for head in ("init", "method", *numbers, "status", "why", "paper says"):
        table.add_column(head, justify="right" if head in numbers else "left")
    for row in r.rows():
        solved = "-" if row["successes"] is None else f"{row['successes']}/{row['seeds']}"
        med = "-" if row["median_updates"] is None else f"{row['median_updates']:,.0f}"
        err = f"{statistics.median(row['test_errors']):.3f}" if row["test_errors"] else "-"
        table.add_row(p13.INIT_LABELS[row["init"]], row["method"], str(row["T"]), solved, med, err, row["status"],
                      row["why"], row["paper_short"] or "-")
    return table


def _generalisation_table(r: p13.Reproduction) -> Table:
    table = Table(title="Generalisation: error rate of each successful net on fresh longer sequences "
                        f"({r.budget.generalisation_sequences:,} per length)")
    lengths = r.budget.generalisation_lengths
    for head in ("init", "method", "trained T", "seed", *(f"T={L}" for L in lengths)):
        table.add_column(head, justify="left" if head in ("init", "method") else "right")
    for g in r.generalisation:
        table.add_row(p13.INIT_LABELS[g["init"]], g["method"], str(g["T"]), str(g["seed"]),
                      *(f"{g['errors'][L]:.3f}" for L in lengths))
    return table


def _cells(n: int) -> str:
    return f"{n} cell" if n == 1 else f"{n} cells"


@click.command()
@click.argument("experiment", type=click.Choice(EXPERIMENTS))
@click.option("--budget", type=click.Choice(list(p13.BUDGETS)), default="quick", show_default=True,
              help="quick: about 20 s; local: ~30 min on 2 cores; paper: up to 5M updates per run (Ray only).")
@click.option("--backend", type=click.Choice(["local", "ray"]), default="local", show_default=True,
              help="local: worker processes on this machine; ray: each cell a Ray task.")
@click.option("--address", metavar="ADDR", help="ray: join this cluster (auto, or HOST:PORT); default: a local "
                                                "Ray instance on 127.0.0.1.")
@click.option("--workers", type=count(1, 4096), help="Worker processes / local Ray CPUs (default: all CPUs).")
@click.option("--out", "out_dir", metavar="DIR",
              help="Results directory, resumable (default: the user cache dir's reproduce/pascanu2013-BUDGET, "
                   "where the report looks).")
@click.option("--json", "as_json", is_flag=True,
              help='Print {"budget", "cells": [{"init", "method", "T", "seeds", "successes", "median_updates", '
                   '"status", "paper", "updates_budget", ...}], "generalisation", "figure", "seconds", ...}.')
def reproduce(experiment: str, budget: str, backend: str, address: str | None, workers: int | None,
              out_dir: str | None, as_json: bool) -> None:
    """Rerun a published experiment and label each cell against the paper: reproduced / not reproduced / not run.

    pascanu2013: the temporal-order experiment of Pascanu, Mikolov & Bengio 2013 (Section 4.1, Fig. 7): 50 tanh
    or sigmoid units, inits sigmoid N(0, 0.01), tanh N(0, 0.1) and smart tanh, trained with MSGD, MSGD-C (norm
    clipping at 1) and MSGD-CR (clipping + Omega), lr 0.01, batch 20, 5 seeds per cell trained as one batched
    computation; success = under 1% errors on 10,000 fresh sequences. Each successful net is also tested on
    lengths 500 to 5,000. Every seed's result is saved as it ends: run the same command again to continue an
    interrupted run. The paper budget prints its cost measured here first and runs only with --backend ray.

    \b
    Examples:
      rnnlab reproduce pascanu2013 --budget quick
      rnnlab reproduce pascanu2013 --budget local --out runs/pascanu-local --json
      rnnlab reproduce pascanu2013 --budget paper --backend ray --address auto
    """
    b = p13.BUDGETS[budget]
    out = Path(out_dir) if out_dir else p13.default_out(budget)
    estimate = None
    if budget == "paper":  # its cost, measured here, before anything runs
        estimate = p13.estimate_cost(b)
        problem = None
        if backend != "ray":
            problem = "the paper budget runs only as a Ray job: add --backend ray (and --address for a cluster)"
        else:
            try:
                import_ray()
            except ValueError as e:
                problem = f"{e}; the paper budget runs only as a Ray job"
        if problem:  # refused: the estimate on stdout, the reason as the one line on stderr
            if as_json:
                emit_json({"budget": budget, "error": problem, "cost_estimate": estimate.to_dict()})
            else:
                click.echo("\n".join(estimate.lines()))
            raise click.ClickException(problem)
        for line in estimate.lines():
            click.echo(line, err=True)
    with progress_bar(None, f"pascanu2013 {budget}: cells ({backend})", enabled=True) as advance:
        state = {"done": 0}

        def progress(done: int, total: int) -> None:
            if done == 0:
                click.echo(f"{total} cells to run (5 seeds each) -> {out}", err=True)
            advance(done - state["done"])
            state["done"] = done

        try:
            r = p13.reproduce(b, out, backend, workers=workers, address=address, progress=progress)
        except RuntimeError as e:  # e.g. Ray failed to start
            raise click.ClickException(str(e).splitlines()[0] if str(e) else type(e).__name__) from None
    fig = Figure(figsize=(13, 7.5), layout="constrained")
    axes = fig.subplots(2, len(p13.INITS), sharey="row")
    p13.draw_success(list(axes[0]), r)
    p13.draw_test_error(list(axes[1]), r)
    counts = r.counts()
    fig.suptitle(f"Pascanu et al. 2013 temporal order, budget {b.name}: {_cells(counts['reproduced'])} reproduced, "
                 f"{counts['not reproduced']} not, {counts['not run at this budget']} not run at this budget")
    fig.supxlabel(textwrap.fill(p13.statements_note(b), 190), fontsize=8)
    figure = save_figure(fig, out / "success.png")
    if as_json:
        emit_json({**r.to_dict(), "out": str(out), "figure": str(figure),
                   "cost_estimate": estimate.to_dict() if estimate else None})
        return
    console = Console(width=None if sys.stdout.isatty() else 160)
    console.print(_table(r))
    if r.generalisation:
        console.print(_generalisation_table(r))
    else:
        click.echo("generalisation: no net succeeded, nothing to test on longer sequences")
    click.echo(f"{counts['reproduced']} reproduced, {counts['not reproduced']} not reproduced, "
               f"{counts['not run at this budget']} not run at this budget; {r.seconds:.0f} s. "
               f"figure: {figure}; records: {out}/trials/")


COMMANDS = [reproduce]
