"""Commands for gradient dynamics (SPEC S3, S4, S5): gradients, bound, train, experiment."""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from click.core import ParameterSource

from rnnlab.cli.common import check_memory, emit_json
from rnnlab.cli.params import MAX_LENGTH, MAX_SEED, FiniteFloat, IntList, SeedList, count, memory_option
from rnnlab.cli.progress import progress_bar
from rnnlab.dynamics.batched import train_batched
from rnnlab.dynamics.clipping import Clip, parse_clip
from rnnlab.dynamics.jacobian import BoundConfig, check_bound
from rnnlab.dynamics.tasks import TASKS
from rnnlab.dynamics.training import CELLS, OPTIMIZERS, TrainConfig, TrainResult, torch_threads, train
from rnnlab.files import write_atomic
from rnnlab.plotting import draw_to_file, figure_target


def _clip_option(ctx: click.Context, param: click.Parameter, value: str) -> Clip:
    try:
        return parse_clip(value)
    except ValueError as e:
        raise click.BadParameter(str(e), ctx=ctx, param=param) from None


def _draw(plot: Callable[[Any, Any], Any], result: Any, ax: Any) -> Any:
    return plot(ax, result)


def _writable_dir(directory: Path, flag: str) -> None:
    """Create directory (and its parents) now and check that files can be written in it, so that a bad path
    fails before minutes of work rather than after."""
    blocker = next((p for p in (directory, *directory.parents) if p.exists() and not p.is_dir()), None)
    if blocker is not None:
        tail = "not a directory" if blocker == directory else f"so {str(directory)!r} cannot be a directory"
        raise click.BadParameter(f"{str(blocker)!r} is a file, {tail}", param_hint=flag)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise click.BadParameter(f"cannot create directory {str(directory)!r}: {e.strerror or e}",
                                 param_hint=flag) from None
    if not os.access(directory, os.W_OK | os.X_OK):
        raise click.BadParameter(f"directory {str(directory)!r} is not writable", param_hint=flag)


def _plot_target(path: str | None, flag: str = "--plot", default_name: str = "plot.png") -> Path | None:
    """The file a plot will really be written to (see plotting.figure_target; DIR/default_name when the path is
    an existing folder or ends with a slash); its directory is created and checked now, so that a bad path fails
    before the work rather than after."""
    if not path:
        return None
    target = Path(path)
    if target.is_dir() or path.endswith(("/", "\\")):
        target = target / default_name
    try:
        target = figure_target(target)
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint=flag) from None
    _writable_dir(target.parent, flag)
    return target


def _reject_unused_delay(cell: str) -> None:
    """--delay only shapes the skip cell: given explicitly with another cell it would be silently ignored."""
    source = click.get_current_context().get_parameter_source("delay")
    if cell != "skip" and source not in (None, ParameterSource.DEFAULT):
        raise click.BadParameter(f"only the skip cell has a delay, but --cell is {cell!r}", param_hint="--delay")


def _from_log10(log10_x: float, digits: int) -> str:
    """A number given by its log10, written 10^... where the number itself is beyond float64's range."""
    if abs(log10_x) < 300:
        return f"{10**log10_x:.{digits}g}" if digits < 4 else f"{10**log10_x:.{digits}e}"
    return f"10^{log10_x:.1f}"


@click.command()
@click.option("--cell", type=click.Choice(CELLS), default="sigmoid", show_default=True, help="The recurrent cell.")
@click.option("--T", "T", type=count(1, MAX_LENGTH), default=100, show_default=True, help="Sequence length.")
@click.option("--hidden", type=count(), default=32, show_default=True, help="Hidden units H.")
@click.option("--delay", type=count(2, MAX_LENGTH), default=2, show_default=True,
              help="skip cell only: the delay k of M h_{t-k}.")
@click.option("--seed", type=count(0, MAX_SEED), default=0, show_default=True,
              help="Seeds weights, inputs and readout.")
@click.option("--w-norm", type=FiniteFloat(0, min_open=True), default=None,
              help="Rescale W to this spectral norm (sigmoid, tanh, skip), e.g. 6: the bound is then loose.")
@click.option("--plot", "plot_path", metavar="FILE.png",
              help="Save log10 ||dL/dh_t|| against T - t with the bound (.png added to a FILE without a suffix; "
                   "a folder gets gradients.png).")
@click.option("--json", "as_json", is_flag=True,
              help='Print {"cell", "T", "norms": [t = 1..T], "bound": [...] or null (an entry is null where the '
                   'bound is beyond float64\'s range), "log10_bound", "violations", "decay_per_step", ...}.')
@memory_option
def gradients(cell: str, T: int, hidden: int, delay: int, seed: int, w_norm: float | None, plot_path: str | None,
              as_json: bool, max_memory: int | None) -> int:
    """Measure ||dL/dh_t|| for every t in one backward pass, against the vanishing-gradient bound (S3, S4).

    The loss is a fixed linear readout of the last state, L = v . h_T (v ~ N(0, 1/H), seeded), on inputs
    x_t ~ N(0, 1) of size 4, with a freshly initialised cell (nn.RNN's init), in float64. For rnnlab's cells
    the bound is ||dL/dh_T|| (gamma ||W||_2)^(T-t), gamma = 1/4 for sigmoid and 1 for tanh; for the skip cell
    B_t = a B_{t+1} + b B_{t+k} with a = gamma ||W||_2, b = gamma ||M||_2. GRU and LSTM have none (null).
    The bound is computed as log10 B_t, so it stays exact where B_t itself is beyond float64's range.
    Decay per step back: 10^slope of the least-squares line of log10 ||dL/dh_t|| against T - t (needs T >= 2).
    Exit 1 if the bound is violated.

    \b
    Examples:
      rnnlab gradients --cell sigmoid --T 100 --plot sigmoid.png
      rnnlab gradients --cell skip --delay 2 --json
    """
    from rnnlab.dynamics.profile import DECAY_LABEL, format_rate, gradient_profile
    from rnnlab.resources import gradients_bytes

    _reject_unused_delay(cell)
    check_memory(gradients_bytes(cell, T, hidden, delay), max_memory)
    plot_file = _plot_target(plot_path, default_name="gradients.png")
    profile = gradient_profile(cell, T, hidden, delay, seed, w_norm)
    if plot_file:
        from rnnlab.dynamics.profile import plot_profile

        draw_to_file(plot_file, lambda ax: plot_profile(ax, profile))
    if as_json:
        d = profile.to_dict()
        emit_json({"cell": cell, "T": T, "norms": d["norms"], "bound": d["bound"], "log10_bound": d["log10_bound"],
                   "bound_overflows": d["bound_overflows"], "violations": d["violations"], "hidden": hidden,
                   "seed": seed, "w_norm": d["w_norm"], "delay": d["delay"], "m_norm": d["m_norm"],
                   "decay_per_step": d["decay_per_step"], "decay_r2": d["decay_r2"],
                   "plot": str(plot_file) if plot_file else None})
    else:
        norms, lb = profile.norms.tolist(), profile.log10_bound
        weights = ""
        if profile.w_norm is not None:
            weights = f"; ||W||_2 = {profile.w_norm:.4g}"
        if profile.delay is not None:
            weights += f"; delay k = {profile.delay}, ||M||_2 = {profile.m_norm:.4g}"
        click.echo(f"{cell}, T={T}, H={hidden}, seed={seed}; L = v . h_T{weights}")
        click.echo(f"{'t':>5} {'T-t':>5} {'||dL/dh_t||':>12} {'bound':>12} {'ratio':>9}")
        rows = sorted({1, T, *range(T, 0, -max(1, T // 10))})
        for t in rows:
            n = norms[t - 1]
            b_text, r_text = "-", "-"
            if lb is not None:
                log_b = float(lb[t - 1])
                if math.isfinite(log_b):
                    b_text = _from_log10(log_b, 4)
                    r_text = _from_log10(math.log10(n) - log_b, 3) if n > 0 else "0"
                else:
                    b_text = "0"  # log10 B_t = -inf
            click.echo(f"{t:>5} {T - t:>5} {n:>12.4e} {b_text:>12} {r_text:>9}")
        rate = profile.decay_per_step
        rate_text = (f"{format_rate(rate, 4)} ({DECAY_LABEL})" if math.isfinite(rate)
                     else f"undefined (T={T}: needs two nonzero norms)")
        click.echo(f"decay per step back: {rate_text}")
        if lb is None:
            click.echo("no bound for this cell")
        else:
            beyond = (f"; the bound is beyond float64's range at {profile.bound_overflows} steps (shown from log10)"
                      if profile.bound_overflows else "")
            click.echo(f"bound violations at t = 1..{T}: {profile.violations}{beyond}")
        if plot_file:
            click.echo(f"plot: {plot_file}")
    return 1 if profile.violations else 0


@click.command()
@click.option("--trials", type=count(), default=1000, show_default=True, help="Random cells.")
@click.option("--T", "T", type=count(2, MAX_LENGTH), default=50, show_default=True,
              help="Sequence length (>= 2: the bound is compared at t < T).")
@click.option("--hidden", type=count(), default=16, show_default=True, help="Hidden units H.")
@click.option("--seed", type=count(0, MAX_SEED), default=0, show_default=True, help="Seeds every draw.")
@click.option("--adversarial", type=count(0, 1_000_000), default=100, show_default=True,
              help="Extra cells built to sit on the bound (pre-activations at 0, where f' = gamma).")
@click.option("--plot", "plot_path", metavar="FILE.png",
              help="Save the max and median actual / bound against T - t (a folder gets bound.png).")
@click.option("--json", "as_json", is_flag=True,
              help='Print {"trials", "violations", "max_ratio", "median_ratio", ..., "tanh": {the same}}.')
@memory_option
def bound(trials: int, T: int, hidden: int, seed: int, adversarial: int, plot_path: str | None,
          as_json: bool, max_memory: int | None) -> int:
    """Check ||dL/dh_t|| <= ||dL/dh_T|| (||W||_2 / 4)^(T-t) for the sigmoid cell on many random cells (S3).

    Each trial draws its own W (spectral norm log-uniform in [0.25, 8], so above 4 too, where the bound is
    loose but must still hold), U, b, inputs, h_0 and readout L = v . h_T, and compares every t in float64.
    The --adversarial cells have x = 0, b = -W f(0) and h_0 = f(0) + 1e-9 noise, so every pre-activation stays
    near 0 where f' = gamma, a symmetric W and its top eigenvector as readout: they reach the bound.
    The same check for tanh (gamma = 1) is the comparison. ratio = actual / bound over t < T (1 = tight).
    Exit 1 if any (trial, t) exceeds its bound beyond a relative tolerance of 1e-9.

    \b
    Example:
      rnnlab bound --trials 1000 --T 50 --hidden 16 --plot tightness.png
    """
    from rnnlab.resources import bound_bytes

    check_memory(bound_bytes(T, hidden, trials + adversarial), max_memory)
    plot_file = _plot_target(plot_path, default_name="bound.png")
    reports = [check_bound(BoundConfig(trials=trials, T=T, hidden=hidden, act=act, seed=seed,
                                       adversarial=adversarial)) for act in ("sigmoid", "tanh")]
    sig, tanh = (r.to_dict() for r in reports)
    if plot_file:
        from rnnlab.dynamics.jacobian import plot_tightness

        draw_to_file(plot_file, lambda ax: plot_tightness(ax, reports))
    if as_json:
        emit_json({**sig, "tanh": tanh, "plot": str(plot_file) if plot_file else None})
    else:
        click.echo(f"{trials} random cells, T={T}, H={hidden}, ||W||_2 in [0.25, 8], and {adversarial} "
                   f"adversarial cells ({sig['trials_w_norm_above_4']} with ||W||_2 above 4 for sigmoid); "
                   f"{sig['checked']} (trial, t) pairs each")
        click.echo(f"{'cell':<8} {'gamma':>6} {'violations':>10} {'max ratio':>10} {'median ratio':>13} "
                   f"{'median, 1 step':>15} {'max ||W||_2':>11}")
        for d, g in ((sig, "1/4"), (tanh, "1")):
            click.echo(f"{d['act']:<8} {g:>6} {d['violations']:>10} {d['max_ratio']:>10.6g} {d['median_ratio']:>13.3g} "
                       f"{d['median_ratio_one_step']:>15.3g} {d['w_norm_max']:>11.3g}")
        click.echo("the bound holds on every trial" if not (sig["violations"] or tanh["violations"])
                   else "THE BOUND IS VIOLATED")
        if plot_file:
            click.echo(f"plot: {plot_file}")
    return 1 if sig["violations"] or tanh["violations"] else 0


@click.command("train")
@click.argument("task", type=click.Choice(list(TASKS)))
@click.option("--cell", type=click.Choice(CELLS), default="sigmoid", show_default=True, help="The recurrent cell.")
@click.option("--T", "T", type=count(1, MAX_LENGTH), default=20, show_default=True, help="Sequence length.")
@click.option("--clip", "clip", default="none", show_default=True, callback=_clip_option,
              metavar="none|value:C|norm:C", help="Gradient clipping on every update.")
@click.option("--steps", type=count(1, MAX_LENGTH), default=1000, show_default=True, help="Maximum updates.")
@click.option("--seeds", type=SeedList(), default="0", show_default=True,
              help="One run per seed: 0,1,2 or a range 0-15 (or both: 0-3,8); each seed once.")
@click.option("--no-batch", is_flag=True,
              help="Train the seeds one after another (the reference) instead of as one batched computation.")
@click.option("--omega", type=FiniteFloat(0), default=0.0, show_default=True,
              help="Weight of Pascanu et al.'s regulariser Omega (sigmoid and tanh cells; 2 in the authors' code).")
@click.option("--hidden", type=count(), default=32, show_default=True, help="Hidden units H.")
@click.option("--delay", type=count(2, MAX_LENGTH), default=2, show_default=True, help="skip cell only: delay k.")
@click.option("--batch", type=count(), default=32, show_default=True, help="Sequences per update.")
@click.option("--lr", type=FiniteFloat(0, min_open=True), default=1e-2, show_default=True,
              help="Learning rate.")
@click.option("--optimizer", type=click.Choice(OPTIMIZERS), default="adam", show_default=True)
@click.option("--nonfinite", type=click.Choice(["stop", "skip"]), default="stop", show_default=True,
              help="A non-finite loss or gradient: stop with exit 1 naming the step, or skip the update and count "
                   "it (as experiment B does).")
@click.option("--w-norm", type=FiniteFloat(0, min_open=True), default=None,
              help="Initial ||W||_2 of rnnlab cells (e.g. 3 with tanh for the exploding regime).")
@click.option("--json", "as_json", is_flag=True,
              help='Print {"task", "runs": [{"seed", "solved", "final_loss", "test_error", "clip", '
                   '"nonfinite_skipped"}], "success_rate"}.')
@memory_option
def train_cmd(task: str, cell: str, T: int, clip: Clip, steps: int, seeds: tuple[int, ...], no_batch: bool,
              omega: float, hidden: int, delay: int, batch: int, lr: float, optimizer: str, nonfinite: str,
              w_norm: float | None, as_json: bool, max_memory: int | None) -> None:
    """Train CELL on a long-range TASK (adding, temporal_order; Pascanu et al. 2013), one run per seed.

    A run is solved with under 1% errors on 10,000 fresh sequences (adding: an error is a squared error
    above 0.04). Training stops early once a validation batch is under 1%. Clipping uses torch's
    clip_grad_norm_ / clip_grad_value_; steps with a non-finite gradient are skipped and counted. The seeds train
    as one batched computation (stacked weights; each seed's numbers are its solo run's); --no-batch runs them
    one after another.

    \b
    Examples:
      rnnlab train temporal_order --cell skip --T 20 --seeds 0,1,2
      rnnlab train temporal_order --cell tanh --T 20 --seeds 0-15 --optimizer msgd --clip norm:1 --omega 2
      rnnlab train adding --cell tanh --T 50 --w-norm 3 --optimizer sgd --lr 0.05 --clip norm:1 --json
    """
    from rnnlab.resources import train_bytes

    _reject_unused_delay(cell)
    check_memory(train_bytes(cell, T, hidden, batch, 1 if no_batch else len(seeds)), max_memory)
    try:
        configs = [TrainConfig(task=task, cell=cell, T=T, hidden=hidden, delay=delay, steps=steps, batch=batch, lr=lr,
                               optimizer=optimizer, clip=clip, w_norm=w_norm, omega=omega, seed=s) for s in seeds]
    except ValueError as e:
        raise click.BadParameter(str(e)) from None
    stop = nonfinite == "stop"
    results: list[TrainResult] = []
    with progress_bar(steps * len(configs), f"train {task} {cell} T={T}") as advance:
        if not no_batch:
            results = train_batched(configs, lambda step: advance(len(configs)))
            for config, r in zip(configs, results, strict=True):
                if stop and r.nonfinite_skipped:  # the solo run is the same run: it names the step
                    train(config, stop_on_nonfinite=True)
        for config in configs if no_batch else []:
            result = train(config, lambda step: advance(1), stop_on_nonfinite=stop)
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



@click.command()
@click.argument("name", type=click.Choice(["skip", "clipping"]))
@click.option("--seeds", type=SeedList(), help="Seeds per point, e.g. 0-4 (default: the experiment's, 5).")
@click.option("--steps", type=count(1, MAX_LENGTH), help="Maximum updates per run (default: the experiment's).")
@click.option("--lengths", type=IntList(min=4, max=100_000, unique=True), help="skip: the sequence lengths (>= 4).")
@click.option("--config", "config_file", metavar="FILE.toml",
              help="Read the experiment's settings from a TOML file (e.g. the report's configs/S5.toml); "
                   "--seeds, --steps and --lengths override it.")
@click.option("--out", "out_dir", metavar="DIR", help="Save the figures (PNG) and result.json in DIR.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as one JSON object.")
def experiment(name: str, seeds: tuple[int, ...] | None, steps: int | None, lengths: tuple[int, ...] | None,
               config_file: str | None, out_dir: str | None, as_json: bool) -> None:
    """Run experiment A (skip: S4) or B (clipping: S5) at its CPU-sized defaults and print what it measured.

    skip: success rate against sequence length on temporal order for sigmoid, sigmoid + skip (k = 2), tanh,
    nn.GRU and nn.LSTM, and the gradient decay with and without M. clipping: a tanh cell with ||W||_2 = 3 at
    init on the adding problem (T = 50, SGD) under none / value:0.1 / norm:1: divergence rate, loss curves,
    clip statistics. Each takes minutes on one CPU core.

    \b
    Examples:
      rnnlab experiment clipping --out figs/
      rnnlab experiment clipping --config rnnlab-report/configs/S5.toml --json
      rnnlab experiment skip --seeds 0,1,2,3,4 --lengths 10,20,40,80 --out figs/ --json
    """
    import dataclasses
    import json

    from rnnlab.dynamics.profile import DECAY_LABEL, format_rate
    from rnnlab.experiments import clipping as exp_b
    from rnnlab.experiments import skip as exp_a
    from rnnlab.experiments.config import load_config

    overrides: dict[str, Any] = {}
    if seeds is not None:
        overrides["seeds"] = seeds
    if steps is not None:
        overrides["steps"] = steps
    if lengths is not None:
        if name != "skip":
            raise click.BadParameter("only the skip experiment has lengths", param_hint="--lengths")
        overrides["lengths"] = lengths  # SkipConfig checks them against the task
    out = Path(out_dir) if out_dir else None
    if out is not None:
        _writable_dir(out, "--out")
    result: Any
    base_a = load_config(exp_a.SkipConfig, config_file) if config_file and name == "skip" else exp_a.SkipConfig()
    base_b = (load_config(exp_b.ClippingConfig, config_file) if config_file and name == "clipping"
              else exp_b.ClippingConfig())
    if name == "skip":
        config_a = dataclasses.replace(base_a, **overrides)
        with progress_bar(config_a.total_steps, "experiment A (skip)") as advance:
            result = exp_a.run(config_a, advance)
        plots: list[tuple[str, Callable[[Any, Any], Any]]] = [("skip_decay", exp_a.plot_decay),
                                                              ("skip_success", exp_a.plot_success)]
    else:
        config_b = dataclasses.replace(base_b, **overrides)
        with progress_bar(config_b.total_steps, "experiment B (clipping)") as advance:
            result = exp_b.run(config_b, advance)
        plots = [("clipping_losses", exp_b.plot_losses), ("clipping_norms", exp_b.plot_norms),
                 ("clipping_divergence", exp_b.plot_divergence)]
    data = result.to_dict()
    saved = []
    if out is not None:
        for fname, plot in plots:
            path = out / f"{fname}.png"
            saved.append(str(draw_to_file(path, functools.partial(_draw, plot, result), (8, 5))))
        write_atomic(out / f"{name}_result.json", json.dumps(data, indent=1, default=str))
    if as_json:
        emit_json({"experiment": name, **data, "figures": saved})
        return
    if name == "skip":
        c = result.config
        click.echo(f"experiment A: {c.task}, success rate over {len(c.seeds)} seeds (solved: <1% errors on "
                   f"{c.test_sequences:,} fresh sequences, <= {c.steps} Adam steps)")
        click.echo(f"{'cell':<18}" + "".join(f"{'T=' + str(T):>8}" for T in c.lengths) + "  largest solved")
        for cell in c.cells:
            click.echo(f"{exp_a.CELL_LABELS[cell]:<18}" + "".join(f"{s:>8.0%}" for s in result.success[cell])
                       + f"  {'T=' + str(result.largest_solved[cell]) if result.largest_solved[cell] else 'none'}")
        click.echo(f"gradient decay per step back ({DECAY_LABEL}), T={c.decay_T}, median of {len(c.decay_seeds)} "
                   f"cells: plain {format_rate(result.decay.plain_rate)}, "
                   f"with M (k={c.delay}) {format_rate(result.decay.skip_rate)}")
    else:
        click.echo(f"experiment B: {result.config.task}, {result.config.cell}, ||W||_2 = {result.config.w_norm:g} at"
                   f" init, T={result.config.T}, SGD lr {result.config.lr:g}, {len(result.config.seeds)} seeds")
        chance = data["constant_predictor"]["test_error"]
        click.echo(f"{'clip':<10} {'diverged':>8} {'final loss':>10} {'test err':>8} {'learned':>7} {'fired':>6} "
                   f"{'min cos':>8} {'max ||g||':>10} {'skipped':>7}    (final loss: median over the runs that stayed "
                   f"finite; learned: test error below the constant predictor's {chance:.2f} - "
                   f"{data['constant_predictor']['learned_margin']:g})")
        for clip, s in result.summary().items():
            click.echo(f"{clip:<10} {s['diverged']:>3}/{s['runs']:<4} {s['median_final_loss']:>10.4g} "
                       f"{s['median_test_error']:>8.1%} {s['learned']:>3}/{s['runs']:<3} {s['fired_fraction']:>6.0%} "
                       f"{s['min_cosine']:>8.4g} {s['max_pre_norm']:>10.3g} {s['nonfinite_skipped']:>7}")
    for figure in saved:
        click.echo(f"figure: {figure}")


@click.command()
@click.option("--cells", type=click.IntRange(min=1), default=5, show_default=True,
              help="Random sigmoid cells, ||W||_2 log-spaced from 0.5 to 8.")
@click.option("--hidden", type=click.IntRange(min=1), default=8, show_default=True, help="Hidden units H.")
@click.option("--seed", type=count(0, MAX_SEED), default=0, show_default=True, help="Seeds every draw.")
@click.option("--json", "as_json", is_flag=True,
              help='Print {"cells", "hidden", "w_norms", "max_abs_diff_vs_autograd", "max_abs_entry"}.')
def jacobian(cells: int, hidden: int, seed: int, as_json: bool) -> int:
    """Check the step Jacobian diag(sigmoid'(W h + U x + b)) W against autograd's, in float64 (S3).

    Exit 1 if any entry differs by 1e-12 or more.

    \b
    Example:
      rnnlab jacobian --cells 5 --seed 0 --json
    """
    from rnnlab.dynamics.jacobian import check_jacobian

    with torch_threads(1):
        check = check_jacobian(cells=cells, hidden=hidden, seed=seed)
    if as_json:
        emit_json(check.to_dict())
    else:
        click.echo(f"{cells} sigmoid cells, H={hidden}, ||W||_2 = " + ", ".join(f"{w:.3g}" for w in check.w_norms))
        click.echo(f"max |closed form - autograd| = {check.max_abs_diff:.3g} (largest entry {check.max_abs_entry:.3g})")
    return 0 if check.max_abs_diff < 1e-12 else 1


@click.command("skip-paths")
@click.option("--cells", type=click.IntRange(min=1), default=3, show_default=True, help="Random skip cells.")
@click.option("--T", "T", type=click.IntRange(min=2), default=12, show_default=True, help="Sequence length.")
@click.option("--hidden", type=click.IntRange(min=1), default=8, show_default=True, help="Hidden units H.")
@click.option("--delay", type=click.IntRange(min=2), default=2, show_default=True, help="The delay k of M h_{t-k}.")
@click.option("--seed", type=count(0, MAX_SEED), default=0, show_default=True, help="Seeds every draw.")
@click.option("--json", "as_json", is_flag=True,
              help='Print {"max_abs_diff_by_hand", "max_abs_diff_probe", "min_m_path_share", ...}.')
def skip_paths(cells: int, T: int, hidden: int, delay: int, seed: int, as_json: bool) -> int:
    """Check dL/dh_t = dL/dh_{t+1} diag(s'_{t+1}) W + dL/dh_{t+k} diag(s'_{t+k}) M against autograd (S4).

    The equation run step by step and rnnlab's own backward pass are compared with autograd on the unrolled
    graph, for L = v . h_T in float64; the M path's share of dL/dh_1 says how much gradient it carries.
    Exit 1 if either differs by 1e-10 or more.

    \b
    Example:
      rnnlab skip-paths --cells 3 --T 12 --delay 2 --json
    """
    from rnnlab.dynamics.skip import check_two_paths

    if T < delay:
        raise click.BadParameter(f"T must be >= the delay {delay}, got {T}", param_hint="--T")
    with torch_threads(1):
        check = check_two_paths(cells=cells, T=T, hidden=hidden, delay=delay, seed=seed)
    if as_json:
        emit_json(check.to_dict())
    else:
        click.echo(f"{cells} skip cells, T={T}, H={hidden}, k={delay}")
        click.echo(f"max |by hand - autograd| = {check.max_abs_diff_by_hand:.3g}; "
                   f"max |backward pass - autograd| = {check.max_abs_diff_probe:.3g}")
        click.echo(f"the M path carries at least {check.min_m_path_share:.1%} of dL/dh_1")
    ok = check.max_abs_diff_by_hand < 1e-10 and check.max_abs_diff_probe < 1e-10
    return 0 if ok else 1


COMMANDS = [gradients, bound, train_cmd, experiment, jacobian, skip_paths]
