"""Commands for gradient dynamics (SPEC S3, S4, S5): gradients, bound, train, experiment."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from rnnlab.cli.common import emit_json, parse_ints
from rnnlab.dynamics.clipping import Clip, parse_clip
from rnnlab.dynamics.jacobian import BoundConfig, check_bound
from rnnlab.dynamics.tasks import TASKS
from rnnlab.dynamics.training import CELLS, OPTIMIZERS, TrainConfig, TrainResult, train


def _clip_option(ctx: click.Context, param: click.Parameter, value: str) -> Clip:
    try:
        return parse_clip(value)
    except ValueError as e:
        raise click.BadParameter(str(e), ctx=ctx, param=param) from None


@contextmanager
def progress_bar(total: int, label: str, enabled: bool = True) -> Iterator[Callable[[int], None]]:
    """A rich progress bar on stderr (never on stdout, which --json keeps for its one object)."""
    if not enabled:
        yield lambda n: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(label, total=total)
        yield lambda n: bar.advance(task, n)


def _save(fig: Any, path: str) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110, bbox_inches="tight")


@click.command()
@click.option("--cell", type=click.Choice(CELLS), default="sigmoid", show_default=True, help="The recurrent cell.")
@click.option("--T", "T", type=click.IntRange(min=1), default=100, show_default=True, help="Sequence length.")
@click.option("--hidden", type=click.IntRange(min=1), default=32, show_default=True, help="Hidden units H.")
@click.option("--delay", type=click.IntRange(min=2), default=2, show_default=True,
              help="skip cell: the delay k of M h_{t-k}.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seeds weights, inputs and readout.")
@click.option("--w-norm", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Rescale W to this spectral norm (sigmoid, tanh, skip), e.g. 6: the bound is then loose.")
@click.option("--plot", "plot_path", metavar="FILE.png", help="Save log10 ||dL/dh_t|| against T - t with the bound.")
@click.option("--json", "as_json", is_flag=True,
              help='Print {"cell", "T", "norms": [t = 1..T], "bound": [...] or null, "violations"}.')
def gradients(cell: str, T: int, hidden: int, delay: int, seed: int, w_norm: float | None, plot_path: str | None,
              as_json: bool) -> None:
    """Measure ||dL/dh_t|| for every t in one backward pass, against the vanishing-gradient bound (S3, S4).

    The loss is a fixed linear readout of the last state, L = v . h_T (v ~ N(0, 1/H), seeded), on inputs
    x_t ~ N(0, 1) of size 4, with a freshly initialised cell (nn.RNN's init), in float64. For rnnlab's cells
    the bound is ||dL/dh_T|| (gamma ||W||_2)^(T-t), gamma = 1/4 for sigmoid and 1 for tanh; for the skip cell
    B_t = a B_{t+1} + b B_{t+k} with a = gamma ||W||_2, b = gamma ||M||_2. GRU and LSTM have none (null).
    Exit 1 if the bound is violated.

    \b
    Examples:
      rnnlab gradients --cell sigmoid --T 100 --plot sigmoid.png
      rnnlab gradients --cell skip --delay 2 --json
    """
    from rnnlab.dynamics.profile import gradient_profile

    profile = gradient_profile(cell, T, hidden, delay, seed, w_norm)
    if plot_path:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        from rnnlab.dynamics.profile import plot_profile

        fig, ax = plt.subplots(figsize=(7, 4.5))
        plot_profile(ax, profile)
        _save(fig, plot_path)
        plt.close(fig)
    if as_json:
        d = profile.to_dict()
        emit_json({"cell": cell, "T": T, "norms": d["norms"], "bound": d["bound"], "violations": d["violations"],
                   "hidden": hidden, "seed": seed, "w_norm": d["w_norm"], "decay_per_step": d["decay_per_step"]})
    else:
        norms, bound = profile.norms.tolist(), profile.bound
        click.echo(f"{cell}, T={T}, H={hidden}, seed={seed}; L = v . h_T"
                   + (f"; ||W||_2 = {profile.w_norm:.4g}" if profile.w_norm is not None else ""))
        click.echo(f"{'t':>5} {'T-t':>5} {'||dL/dh_t||':>12} {'bound':>12} {'ratio':>9}")
        rows = sorted({1, T, *range(T, 0, -max(1, T // 10))})
        for t in rows:
            n = norms[t - 1]
            b = float(bound[t - 1]) if bound is not None else math.nan
            ratio = n / b if bound is not None and b > 0 else math.nan
            click.echo(f"{t:>5} {T - t:>5} {n:>12.4e} {b:>12.4e} {ratio:>9.3g}")
        click.echo(f"decay per step back: x{profile.decay_per_step:.4g}; "
                   + ("no bound for this cell" if bound is None else f"bound violations: {profile.violations}"))
        if plot_path:
            click.echo(f"plot: {plot_path}")
    if profile.violations:
        raise SystemExit(1)


@click.command()
@click.option("--trials", type=click.IntRange(min=1), default=1000, show_default=True, help="Random cells.")
@click.option("--T", "T", type=click.IntRange(min=1), default=50, show_default=True, help="Sequence length.")
@click.option("--hidden", type=click.IntRange(min=1), default=16, show_default=True, help="Hidden units H.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seeds every draw.")
@click.option("--json", "as_json", is_flag=True,
              help='Print {"trials", "violations", "max_ratio", "median_ratio", ..., "tanh": {the same}}.')
def bound(trials: int, T: int, hidden: int, seed: int, as_json: bool) -> None:
    """Check ||dL/dh_t|| <= ||dL/dh_T|| (||W||_2 / 4)^(T-t) for the sigmoid cell on many random cells (S3).

    Each trial draws its own W (spectral norm log-uniform in [0.25, 8], so above 4 too, where the bound is
    loose but must still hold), U, b, inputs, h_0 and readout L = v . h_T, and compares every t in float64.
    The same check for tanh (gamma = 1) is the comparison. ratio = actual / bound over t < T (1 = tight).
    Exit 1 if any (trial, t) exceeds its bound beyond a relative tolerance of 1e-9.

    \b
    Example:
      rnnlab bound --trials 1000 --T 50 --hidden 16
    """
    reports = [check_bound(BoundConfig(trials=trials, T=T, hidden=hidden, act=act, seed=seed))
               for act in ("sigmoid", "tanh")]
    sig, tanh = (r.to_dict() for r in reports)
    if as_json:
        emit_json({**sig, "tanh": tanh})
    else:
        click.echo(f"{trials} random cells, T={T}, H={hidden}, ||W||_2 in [0.25, 8] "
                   f"({sig['trials_w_norm_above_4']} above 4); {sig['checked']} (trial, t) pairs each")
        click.echo(f"{'cell':<8} {'gamma':>6} {'violations':>10} {'max ratio':>10} {'median ratio':>13}")
        for d, g in ((sig, "1/4"), (tanh, "1")):
            click.echo(f"{d['act']:<8} {g:>6} {d['violations']:>10} {d['max_ratio']:>10.3g} {d['median_ratio']:>13.3g}")
        click.echo("the bound holds on every trial" if not (sig["violations"] or tanh["violations"])
                   else "THE BOUND IS VIOLATED")
    if sig["violations"] or tanh["violations"]:
        raise SystemExit(1)


@click.command("train")
@click.argument("task", type=click.Choice(list(TASKS)))
@click.option("--cell", type=click.Choice(CELLS), default="sigmoid", show_default=True, help="The recurrent cell.")
@click.option("--T", "T", type=click.IntRange(min=1), default=20, show_default=True, help="Sequence length.")
@click.option("--clip", "clip", default="none", show_default=True, callback=_clip_option,
              metavar="none|value:C|norm:C", help="Gradient clipping on every update.")
@click.option("--steps", type=click.IntRange(min=1), default=1000, show_default=True, help="Maximum updates.")
@click.option("--seeds", default="0", show_default=True, metavar="0,1,2", help="One run per seed.")
@click.option("--hidden", type=click.IntRange(min=1), default=32, show_default=True, help="Hidden units H.")
@click.option("--delay", type=click.IntRange(min=2), default=2, show_default=True, help="skip cell: delay k.")
@click.option("--batch", type=click.IntRange(min=1), default=32, show_default=True, help="Sequences per update.")
@click.option("--lr", type=click.FloatRange(min=0, min_open=True), default=1e-2, show_default=True,
              help="Learning rate.")
@click.option("--optimizer", type=click.Choice(OPTIMIZERS), default="adam", show_default=True)
@click.option("--w-norm", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Initial ||W||_2 of rnnlab cells (e.g. 3 with tanh for the exploding regime).")
@click.option("--json", "as_json", is_flag=True,
              help='Print {"task", "runs": [{"seed", "solved", "final_loss", "test_error", "clip", '
                   '"nonfinite_skipped"}], "success_rate"}.')
def train_cmd(task: str, cell: str, T: int, clip: Clip, steps: int, seeds: str, hidden: int, delay: int, batch: int,
              lr: float, optimizer: str, w_norm: float | None, as_json: bool) -> None:
    """Train CELL on a long-range TASK (adding, temporal_order; Pascanu et al. 2013), one run per seed.

    A run is solved with under 1% errors on 10,000 fresh sequences (adding: an error is a squared error
    above 0.04). Training stops early once a validation batch is under 1%. Clipping uses torch's
    clip_grad_norm_ / clip_grad_value_; steps with a non-finite gradient are skipped and counted.

    \b
    Examples:
      rnnlab train temporal_order --cell skip --T 20 --seeds 0,1,2
      rnnlab train adding --cell tanh --T 50 --w-norm 3 --optimizer sgd --lr 0.05 --clip norm:1 --json
    """
    seed_list = parse_ints(seeds, "--seeds")
    configs = [TrainConfig(task=task, cell=cell, T=T, hidden=hidden, delay=delay, steps=steps, batch=batch, lr=lr,
                           optimizer=optimizer, clip=clip, w_norm=w_norm, seed=s) for s in seed_list]
    results: list[TrainResult] = []
    with progress_bar(steps * len(configs), f"train {task} {cell} T={T}") as advance:
        for config in configs:
            result = train(config, lambda step: advance(1))
            advance(steps - result.steps_run)  # a run solved early skips its remaining steps
            results.append(result)
    rate = sum(r.solved for r in results) / len(results)
    if as_json:
        emit_json({"task": task, "cell": cell, "T": T, "clip": str(clip), "runs": [r.to_dict() for r in results],
                   "success_rate": rate})
        return
    click.echo(f"{task}, cell {cell}, T={T}, clip {clip}, up to {steps} steps; solved = under 1% errors on "
               f"{configs[0].test_sequences:,} fresh sequences")
    click.echo(f"{'seed':>4} {'solved':>6} {'test error':>10} {'final loss':>10} {'steps':>6} {'clipped':>8} "
               f"{'mean ||g||':>10} {'min cos':>8} {'skipped':>7}")
    for r in results:
        c = r.clip
        click.echo(f"{r.config.seed:>4} {'yes' if r.solved else 'no':>6} {r.test_error:>10.2%} {r.final_loss:>10.4g} "
                   f"{r.steps_run:>6} {c['fired']:>8} {c['mean_pre_norm']:>10.3g} {c['min_cosine']:>8.4g} "
                   f"{r.nonfinite_skipped:>7}")
    click.echo(f"success rate: {rate:.0%} ({sum(r.solved for r in results)}/{len(results)})")


COMMANDS = [gradients, bound, train_cmd]
