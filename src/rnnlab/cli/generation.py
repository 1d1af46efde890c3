"""Commands for sequence generation (SPEC S2, S6): schedule, lm, exposure, embeddings."""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import click
from click.core import ParameterSource
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from rnnlab.cli.common import check_memory, emit_json
from rnnlab.cli.params import MAX_LENGTH, MAX_SEED, PROBABILITY, FiniteFloat, IntList, SeedList, count, memory_option
from rnnlab.generation.lm import LMConfig, TrainConfig
from rnnlab.generation.schedules import DECAYS, STRATEGIES, Schedule, default_schedule, parse_strategy
from rnnlab.plotting import save_figure


def _default(cls: Any, name: str) -> Any:
    """A dataclass field's default, shown in --help so that the recipe is stated in one place."""
    return cls.__dataclass_fields__[name].default


@contextmanager
def _progress(enabled: bool = True) -> Iterator[Progress]:
    """A rich progress bar on stderr (never on stdout, which --json keeps for its one object)."""
    console = Console(stderr=True)
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  TimeRemainingColumn(), TextColumn("{task.fields[info]}"), console=console,
                  disable=not enabled or not console.is_terminal, transient=False) as progress:
        yield progress


def _save_figure(fig: Any, path: Path) -> None:
    save_figure(fig, path, dpi=120, tight=False)


# ---------------------------------------------------------------------------------------------- schedule


@click.command()
@click.argument("decay", metavar="DECAY")
@click.option("--k", "k", type=FiniteFloat(),
              help="linear: eps at step 0; exponential: 0 < k < 1; inverse-sigmoid: k >= 1.")
@click.option("--c", "c", type=FiniteFloat(0), help="linear only: decrease of eps per step.")
@click.option("--eps-min", type=PROBABILITY, help="linear only: the floor of eps (default 0).")
@click.option("--steps", "steps_text", type=IntList(0, MAX_LENGTH), default="0,100,1000", show_default=True,
              help="Training steps i at which to print eps_i.")
@click.option("--span", type=count(1, MAX_LENGTH), default=1000, show_default=True,
              help="Run length the defaults of k and c are chosen for (linear reaches 0, exponential 0.01, "
                   "inverse sigmoid 1/2 at mid-run).")
@click.option("--plot", "plot_path", type=click.Path(dir_okay=False), help="Write a PNG of eps_i over the span.")
@click.option("--json", "as_json", is_flag=True, help='Print {"decay", "k", "c", "eps_min", "steps", "eps": [...]}.')
def schedule(decay: str, k: float | None, c: float | None, eps_min: float | None, steps_text: tuple[int, ...],
             span: int, plot_path: str | None, as_json: bool) -> None:
    """Print eps_i, the probability of feeding the ground truth at training step i (Bengio et al. 2015).

    DECAY is linear (max(eps_min, k - c i)), exponential (k^i) or inverse-sigmoid (k / (k + exp(i / k))).

    \b
    Examples:
      rnnlab schedule linear --k 1 --c 0.001 --eps-min 0.1 --steps 0,100,1000
      rnnlab schedule inverse-sigmoid --k 100 --steps 0,500,1000 --json
    """
    if decay not in DECAYS:
        raise click.BadParameter(f"unknown decay {decay!r}; valid: {', '.join(DECAYS)}", param_hint="DECAY")
    steps = list(steps_text)
    base = default_schedule(decay, span)
    try:
        sched = Schedule(decay, k=base.k if k is None else k, c=base.c if c is None else c,
                         eps_min=base.eps_min if eps_min is None else eps_min)
    except ValueError as err:
        raise click.BadParameter(str(err), param_hint="--k" if decay != "linear" else "--k/--c/--eps-min") from None
    eps = [sched.eps(i) for i in steps]
    if plot_path:
        from rnnlab.experiments.lm import schedule_figure

        _save_figure(schedule_figure(sched, max(max(steps), span)), Path(plot_path))
    if as_json:
        emit_json({"decay": decay, "k": sched.k, "c": sched.c, "eps_min": sched.eps_min, "steps": steps, "eps": eps})
        return
    params = f"k = {sched.k:.6g}" + (f", c = {sched.c:.6g}, eps_min = {sched.eps_min:.6g}" if decay == "linear" else "")
    click.echo(f"{decay} decay, {params}")
    click.echo(f"{'step i':>10}  eps_i")
    for i, value in zip(steps, eps, strict=True):
        click.echo(f"{i:>10}  {value:.6f}")


# ---------------------------------------------------------------------------------------------- coin


@click.command()
@click.option("--sequences", type=count(1, 100_000), default=64, show_default=True,
              help="Random token sequences to unroll.")
@click.option("--length", type=count(2, 10_000), default=33, show_default=True, help="Tokens per sequence.")
@click.option("--seed", type=count(0, MAX_SEED), default=0, show_default=True,
              help="Seeds the untrained model, the sequences and the coins.")
@click.option("--json", "as_json", is_flag=True,
              help='Print {"sequences", "length", "seed", "rows": [{"eps", "own_differs", "truth_fed", '
                   '"other_token_fed"}]}.')
def coin(sequences: int, length: int, seed: int, as_json: bool) -> None:
    """Check scheduled sampling's coin (Bengio et al. 2015): unroll an untrained GRU over random sequences at
    eps = 0.25, 0.5, 0.75 and count, where the model's own token differs from the truth, how often the truth was
    fed (it should be eps of the time) and whether any third token was fed (never). The report's S6.coin judges
    these counts with a 90% Wilson interval.

    \b
    Example:
      rnnlab coin --sequences 256 --json
    """
    from rnnlab.generation.coin import measure_coin

    check = measure_coin(batch=sequences, T=length, seed=seed)
    if as_json:
        emit_json(check.to_dict())
    else:
        click.echo(str(check))


# ---------------------------------------------------------------------------------------------- lm


@click.command()
@click.option("--data", default="tinyshakespeare", show_default=True, metavar="tinyshakespeare|PATH",
              help="The shipped Tiny Shakespeare or a UTF-8 text file (first 90% train, last 10% validation).")
@click.option("--level", type=click.Choice(["char", "word"]), default="char", show_default=True,
              help="Tokens: characters, or lower-cased words and punctuation.")
@click.option("--cell", type=click.Choice(["gru", "lstm", "rnn"]), default=None,
              help="gru / lstm (PyTorch's fused modules) or rnn (rnnlab's own tanh cell).  "
              f"[default: {_default(LMConfig, 'cell')}]")
@click.option("--hidden", type=count(), default=None,
              help=f"Recurrent units per layer.  [default: {_default(LMConfig, 'hidden')}]")
@click.option("--layers", type=count(1, 64), default=1, show_default=True, help="Stacked recurrent layers.")
@click.option("--dropout", type=FiniteFloat(0, 1, max_open=True), default=None,
              help=f"Dropout on embeddings and top states.  [default: {_default(LMConfig, 'dropout')}]")
@click.option("--embed", "embed_dim", type=count(), default=64, show_default=True, help="Token embedding size.")
@click.option("--strategy", default="teacher", show_default=True, metavar="teacher|free|scheduled:DECAY",
              help=f"Training strategy; DECAY is one of {', '.join(DECAYS)}.")
@click.option("--feed", type=click.Choice(["argmax", "sample"]), default="sample", show_default=True,
              help="How the model's own token is chosen when it is fed back (free / scheduled).")
@click.option("--k", "k", type=FiniteFloat(),
              help="Scheduled sampling: the decay's k (default: the decay spans --steps, or 2000 steps when only "
              "a time budget is given).")
@click.option("--c", "c", type=FiniteFloat(0), help="Scheduled sampling, linear: eps decrease per step.")
@click.option("--eps-min", type=PROBABILITY, help="Scheduled sampling, linear: floor of eps.")
@click.option("--steps", type=count(1, MAX_LENGTH), default=None,
              help="Most training steps.  [default: unlimited under the time budget; 2000 with --time-budget 0]")
@click.option("--time-budget", type=FiniteFloat(0, 7 * 24 * 3600), default=100.0, show_default=True,
              help="Seconds of training (the learning rate decays to 0 at the budget); 0 = no budget, use --steps.")
@click.option("--batch", type=count(), default=None,
              help=f"Windows per step.  [default: {_default(TrainConfig, 'batch')}]")
@click.option("--seq-len", type=count(1, MAX_LENGTH), default=None,
              help=f"Tokens per training window (from a zero state).  [default: {_default(TrainConfig, 'seq_len')}]")
@click.option("--lr", type=FiniteFloat(0, min_open=True), default=None,
              help=f"Peak AdamW learning rate.  [default: {_default(TrainConfig, 'lr')}]")
@click.option("--bf16/--fp32", "bf16", default=None, help="bfloat16 autocast of the matmuls.  "
              f"[default: {'bf16' if _default(TrainConfig, 'bf16') else 'fp32'}]")
@click.option("--seed", type=count(0, MAX_SEED), default=0, show_default=True, help="Seeds weights, windows and coins.")
@click.option("--threads", type=count(1, 1024), default=None,
              help="Intra-op threads of training (default: 1 or all cores, chosen by timing steps). With "
                   "--time-budget 0 a fixed count makes the run reproducible.")
@click.option("--eval-windows", type=count(), default=1024, show_default=True,
              help="Random 64-token validation windows of the final val_nll.")
@click.option("--save", "save_path", type=click.Path(dir_okay=False), help="Write a checkpoint here after training.")
@click.option("--load", "load_path", type=click.Path(dir_okay=False),
              help="Read a checkpoint instead of training (evaluate and sample it).")
@click.option("--prompt", default=None, help="Prompt of the printed sample.  [default: ROMEO: on Tiny Shakespeare, "
              "else the first line of the data's validation part, up to 16 tokens]")
@click.option("--sample-len", type=count(0, 100_000), default=200, show_default=True,
              help="Tokens to sample after the prompt.")
@click.option("--temperature", type=FiniteFloat(0, 100, min_open=True), default=0.8, show_default=True,
              help="Sampling temperature.")
@click.option("--plot", "plot_path", type=click.Path(dir_okay=False), help="Write a PNG of the validation curve.")
@click.option("--json", "as_json", is_flag=True,
              help='Print one object: "val_nll", "val_nll_streaming", "tokens_per_s", "curve", "exposure", ...')
@memory_option
def lm(data: str, level: str, cell: str | None, hidden: int | None, layers: int, dropout: float | None,
       embed_dim: int, strategy: str,
       feed: str, k: float | None, c: float | None, eps_min: float | None, steps: int | None, time_budget: float,
       batch: int | None, seq_len: int | None, lr: float | None, bf16: bool | None, seed: int,
       threads: int | None, eval_windows: int,
       save_path: str | None, load_path: str | None, prompt: str | None, sample_len: int, temperature: float,
       plot_path: str | None, as_json: bool, max_memory: int | None) -> None:
    """Train (or load) an RNN language model, report its validation NLL and sample from it.

    The default is the tuned 2-minute CPU recipe on Tiny Shakespeare under teacher forcing. val_nll is
    measured as nanoGPT does (mean NLL over random 64-character validation windows, each from a zero
    state, every position counted); val_nll_streaming carries the state across the whole validation text.

    \b
    Examples:
      rnnlab lm                                   # ~2 minutes: val_nll in nats/char
      rnnlab lm --strategy scheduled:inverse-sigmoid --time-budget 0 --steps 300 --hidden 128
      rnnlab lm --save shakespeare.pt && rnnlab lm --load shakespeare.pt --prompt "JULIET:" --sample-len 400
    """
    from rnnlab.experiments.lm import curve_figure, evaluate_lm, training_dict
    from rnnlab.generation.data import make_corpus
    from rnnlab.generation.lm import build_model, load_checkpoint, save_checkpoint, train_lm
    from rnnlab.resources import lm_bytes

    t_start = time.perf_counter()
    budget = time_budget if time_budget > 0 else None
    n_steps = steps if steps is not None else (1_000_000 if budget is not None else 2000)
    if n_steps < 1:
        raise click.BadParameter(f"must be >= 1, got {n_steps}", param_hint="--steps")
    if eval_windows < 1:
        raise click.BadParameter(f"must be >= 1, got {eval_windows}", param_hint="--eval-windows")
    if strategy not in STRATEGIES:
        raise click.BadParameter(f"unknown strategy {strategy!r}; valid: {', '.join(STRATEGIES)}",
                                 param_hint="--strategy")
    strat = parse_strategy(strategy, n_steps if steps is not None or budget is None else 2000, k, c, eps_min)
    corpus = make_corpus(data, level)
    result = None
    model_defaults, train_defaults = LMConfig(corpus.vocab.size), TrainConfig()
    if prompt is None:
        prompt = corpus.default_prompt()
    try:
        corpus.vocab.encode(prompt)
    except ValueError as e:
        raise click.BadParameter(f"{e}; choose a prompt made of the data's characters", param_hint="--prompt") from None
    check_memory(lm_bytes(corpus.vocab.size, embed_dim, hidden or model_defaults.hidden, layers,
                          batch or train_defaults.batch, seq_len or train_defaults.seq_len,
                          cell or model_defaults.cell, eval_windows), max_memory)
    if load_path:
        model, vocab = load_checkpoint(load_path)
        if vocab.tokens != corpus.vocab.tokens:
            raise click.BadParameter(f"checkpoint {load_path!r} has a different vocabulary than {data!r} ({level})",
                                     param_hint="--load")
    else:
        vocab = corpus.vocab
        config = LMConfig(vocab.size, cell or model_defaults.cell, embed_dim, hidden or model_defaults.hidden, layers,
                          model_defaults.dropout if dropout is None else dropout)
        model = build_model(config, seed)
        tc = TrainConfig(strategy=strat, steps=n_steps, time_budget_s=budget, batch=batch or train_defaults.batch,
                         seq_len=seq_len or train_defaults.seq_len, lr=lr or train_defaults.lr, feed=feed,
                         bf16=train_defaults.bf16 if bf16 is None else bf16, seed=seed, threads=threads)
        with _progress(True) as bar:
            total = 1000
            task = bar.add_task(f"lm {strategy}", total=total, info="")

            def on_step(step: int, progress: float, loss: float) -> None:
                bar.update(task, completed=min(total, int(progress * total)), info=f"step {step} loss {loss:.3f}")

            result = train_lm(model, corpus, tc, on_step)
            bar.update(task, completed=total)
        if save_path:
            save_checkpoint(save_path, model, vocab, {"strategy": strategy, "seed": seed})
    ev = evaluate_lm(model, corpus, vocab, eval_windows=eval_windows, prompt=prompt, sample_len=sample_len,
                     temperature=temperature, seed=seed, threads=result.threads if result is not None else None)
    val_nll = ev.val_nll
    out: dict[str, Any] = {"data": data, "level": level, "config": asdict(model.config), "strategy": strategy,
                           **ev.to_dict(), "wall_s": time.perf_counter() - t_start}
    if result is not None:
        out.update(training_dict(result))
        if plot_path:
            _save_figure(curve_figure(result, val_nll), Path(plot_path))
    if as_json:
        emit_json(out)
        return
    click.echo(f"{data} ({level}), {model.config.cell} {model.config.layers}x{model.config.hidden}, "
               f"{out['parameters']:,} parameters, strategy {strategy}")
    if result is not None:
        click.echo(f"trained {result.steps} steps, {result.tokens:,} tokens in {result.train_s:.1f} s "
                   f"({result.tokens_per_s:,.0f} tokens/s)")
        click.echo(f"{'step':>7} {'time s':>7} {'train':>7} {'val':>7}")
        for p in result.curve:
            click.echo(f"{p.step:>7} {p.elapsed_s:>7.1f} {p.train_loss:>7.3f} {p.val_nll:>7.3f}")
    click.echo(f"val_nll  {val_nll:.4f} nats/token ({val_nll / math.log(2):.3f} bits), {eval_windows} windows of 64 "
               f"from a zero state (nanoGPT's protocol)")
    click.echo(f"val_nll_streaming  {ev.val_nll_streaming:.4f} nats/token (state carried across the validation "
               "text)")
    s = ev.exposure.summary()
    click.echo(f"exposure: NLL of the true next 48 tokens after a 16-token prompt: {s['tf_nll']:.3f} from true "
               f"prefixes, {s['fr_nll']:.3f} from the model's own (gap {s['gap_nll']:+.3f})")
    click.echo(f"wall time {out['wall_s']:.1f} s")
    if sample_len > 0:
        click.echo("--- sample ---")
        click.echo(out["sample"])


# ---------------------------------------------------------------------------------------------- exposure


def _given(name: str) -> bool:
    """Was the option given on the command line (rather than left at its default)?"""
    return click.get_current_context().get_parameter_source(name) == ParameterSource.COMMANDLINE


def _read_config(cls: Any, path: str) -> Any:
    from rnnlab.experiments.config import load_config

    try:
        return load_config(cls, path)
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="--config") from None


@click.command()
@click.option("--config", "config_path", type=click.Path(dir_okay=False), default=None,
              help="A TOML file of ExposureConfig fields (as the report writes to configs/S6.toml); options given "
                   "on the command line override it.")
@click.option("--source", type=click.Choice(["oracle", "tinyshakespeare"]), default="oracle", show_default=True,
              help="oracle: an HMM with exact likelihood; tinyshakespeare: real text.")
@click.option("--seeds", "seeds_text", type=SeedList(), default="0,1,2", show_default=True,
              help="Model seeds, e.g. 0,1,2 or 0-4 (>= 3 for a spread).")
@click.option("--strategies", "strategies_text", default=",".join(STRATEGIES), show_default=True,
              help="Comma-separated training strategies.")
@click.option("--steps", type=count(1, MAX_LENGTH), default=None,
              help="Training steps per model.  [default: 400 oracle, 300 text]")
@click.option("--hidden", type=count(), default=None, help="Recurrent units.  [default: 64 oracle, 128 text]")
@click.option("--feed", type=click.Choice(["argmax", "sample"]), default="sample", show_default=True,
              help="How the model's own token is chosen when fed back during training.")
@click.option("--data", default="tinyshakespeare", show_default=True, help="Text source for --source tinyshakespeare.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default="out/exposure", show_default=True,
              help="Folder for the figures (schedules.png, by_position.png).")
@click.option("--json", "as_json", is_flag=True, help='Print {"table", "comparisons", "runs", "figures", ...}.')
@memory_option
def exposure(config_path: str | None, source: str, seeds_text: tuple[int, ...], strategies_text: str,
             steps: int | None, hidden: int | None, feed: str, data: str, out_dir: str, as_json: bool,
             max_memory: int | None) -> None:
    """Train every strategy with several seeds and measure exposure bias, with mean and spread.

    On the oracle source the scores are exact: KL(p || q) at prefixes the model generated itself
    (kl_own) against at true prefixes (kl_true), and their gap early and late in the sequence
    (gap_early, gap_late, gap_growth). On Tiny Shakespeare: the NLL of the true continuation after
    the model's own prefix (fr_nll) against after the true one (tf_nll).

    \b
    Examples:
      rnnlab exposure --seeds 0,1,2
      rnnlab exposure --config rnnlab-report/configs/S6.toml --json
      rnnlab exposure --source tinyshakespeare --seeds 0,1,2 --out out/exposure-text
    """
    from rnnlab.experiments.exposure import ExposureConfig, run_exposure, text_config
    from rnnlab.resources import exposure_bytes

    overrides: dict[str, Any] = {}
    if config_path is None or _given("seeds_text"):
        overrides["seeds"] = seeds_text
    if config_path is None or _given("strategies_text"):
        strategies = tuple(s.strip() for s in strategies_text.split(",") if s.strip())
        if not strategies:
            raise click.BadParameter(f"{strategies_text!r} names no strategy; valid: {', '.join(STRATEGIES)}",
                                     param_hint="--strategies")
        for s in strategies:
            if s not in STRATEGIES:
                raise click.BadParameter(f"unknown strategy {s!r}; valid: {', '.join(STRATEGIES)}",
                                         param_hint="--strategies")
        overrides["strategies"] = strategies
    if config_path is None or _given("feed"):
        overrides["feed"] = feed
    if steps is not None:
        overrides["steps"] = steps
    if hidden is not None:
        overrides["hidden"] = hidden
    if config_path is not None:
        base = _read_config(ExposureConfig, config_path)
        if _given("source"):
            overrides["source"] = source
        if _given("data"):
            overrides["data"] = data
        config = replace(base, **overrides)
    else:
        config = ExposureConfig(**overrides) if source == "oracle" else text_config(data=data, **overrides)
    check_memory(exposure_bytes(256, config.hidden, config.batch, config.seq_len), max_memory)
    with _progress(True) as bar:
        task = bar.add_task(f"exposure ({config.source})",
                            total=len(config.strategies) * len(config.seeds) * config.steps, info="")

        def on_step(strategy: str, seed: int, step: int, total: int) -> None:
            bar.update(task, advance=1, info=f"{strategy} seed {seed}")

        result = run_exposure(config, on_step)
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    figures = {}
    for name, fig in result.figures.items():
        png = folder / f"{name}.png"
        _save_figure(fig, png)
        figures[name] = str(png)
    if as_json:
        emit_json({"source": config.source, **result.to_dict(), "figures": figures})
        return
    table = result.table()
    metrics = list(next(iter(table.values())))
    click.echo(f"exposure bias on {config.source}: {len(config.strategies)} strategies x {len(config.seeds)} seeds, "
               f"{config.steps} steps each; mean ± std over seeds (lower is better)")
    width = max(len(s) for s in config.strategies)
    click.echo(f"{'strategy':<{width}}  " + "  ".join(f"{m:>17}" for m in metrics))
    for s, row in table.items():
        click.echo(f"{s:<{width}}  " + "  ".join(f"{a:>8.4f} ± {b:<6.4f}" for a, b in row.values()))
    click.echo(f"primary metric {result.primary}, against teacher forcing:")
    for comp in result.comparisons():
        if comp.strategy != "teacher":
            click.echo(f"  {comp.strategy:<{width}}  {comp.delta_vs_teacher:+.4f}  {comp.verdict}")
    for name, where in figures.items():
        click.echo(f"figure {name}: {where}")


# ---------------------------------------------------------------------------------------------- embeddings


@click.command()
@click.option("--config", "config_path", type=click.Path(dir_okay=False), default=None,
              help="A TOML file of EmbeddingsConfig fields (as the report writes to configs/S2.toml); options "
                   "given on the command line override it.")
@click.option("--vocab-sizes", "sizes_text", type=IntList(1, 1_000_000), default="1000,10000,100000",
              show_default=True, help="Vocabulary sizes of the memory/FLOP table.")
@click.option("--dim", type=count(1, 100_000), default=128, show_default=True, help="Embedding size d.")
@click.option("--words", "words_text", default="king,queen,father,love,night,sword,lord,sweet", show_default=True,
              help="Words whose nearest neighbours are printed.")
@click.option("--epochs", type=count(1, 1000), default=5, show_default=True,
              help="Skip-gram passes over Tiny Shakespeare.")
@click.option("--data", default="tinyshakespeare", show_default=True, help="Text the word vectors are learned on.")
@click.option("--seed", type=count(0, MAX_SEED), default=0, show_default=True,
              help="Seeds the word vectors and the table's data.")
@click.option("--json", "as_json", is_flag=True, help='Print {"equal", "costs", "growth", "one_hot_max_cosine", '
              '"neighbours", "similarity"}.')
@memory_option
def embeddings(config_path: str | None, sizes_text: tuple[int, ...], dim: int, words_text: str, epochs: int,
               data: str, seed: int, as_json: bool, max_memory: int | None) -> None:
    """One-hot versus dense embeddings: exact equality, bytes and FLOPs, vocabulary growth, similarity.

    \b
    Examples:
      rnnlab embeddings
      rnnlab embeddings --words king,love,death --json
      rnnlab embeddings --config rnnlab-report/configs/S2.toml --json
    """
    from rnnlab.experiments.embeddings import EmbeddingsConfig, run_embeddings
    from rnnlab.resources import embeddings_bytes

    overrides: dict[str, Any] = {}
    if config_path is None or _given("sizes_text"):
        overrides["vocab_sizes"] = tuple(sizes_text)
    for name, value in (("dim", dim), ("epochs", epochs)):
        if config_path is None or _given(name):
            overrides[name] = value
    if config_path is None or _given("words_text"):
        overrides["words"] = tuple(w.strip().lower() for w in words_text.split(",") if w.strip())
    if config_path is None or _given("data"):
        overrides["data"] = data
    if config_path is None or _given("seed"):
        overrides["seed"] = seed
    base = _read_config(EmbeddingsConfig, config_path) if config_path is not None else EmbeddingsConfig()
    config = replace(base, **overrides)
    check_memory(embeddings_bytes(config.vocab_sizes, config.dim), max_memory)
    with _progress(True) as bar:
        task = bar.add_task("one-hot costs, skip-gram vectors", total=None, info="")
        result = run_embeddings(config)  # a word without a vector: ValueError, one line and exit 2
        bar.update(task, completed=1, total=1)
    if as_json:
        emit_json(result.to_dict())
        return
    costs, g = result.costs, result.growth
    click.echo(f"(1) one_hot(tokens) @ W versus nn.Embedding(tokens), {costs[0].tokens} tokens, d = {config.dim} "
               "(times are noisy: bytes and FLOPs are the measure):")
    click.echo(f"{'V':>8} {'one-hot input':>14} {'index input':>12} {'W':>10} {'matmul FLOPs':>13} {'lookup':>7} "
               f"{'matmul ms':>10} {'lookup ms':>10} {'equal':>6}")
    for r in costs:
        click.echo(f"{r.vocab:>8} {_bytes(r.one_hot_bytes):>14} {_bytes(r.index_bytes):>12} "
                   f"{_bytes(r.weight_bytes):>10} {r.matmul_flops:>13.3g} {r.lookup_flops:>7} "
                   f"{r.matmul_s * 1e3:>10.3f} {r.lookup_s * 1e3:>10.3f} {str(r.equal):>6}")
    click.echo(f"(2) adding one token to V = {g.vocab_before}: one-hot input length {g.one_hot_dim[0]} -> "
               f"{g.one_hot_dim[1]}, its layer's W {g.one_hot_weight_shape[0]} -> {g.one_hot_weight_shape[1]} "
               f"(old inputs still fit: {g.old_inputs_fit_new_layer}); embedding rows {g.embedding_rows[0]} -> "
               f"{g.embedding_rows[1]}, existing outputs unchanged: {g.embedding_outputs_unchanged}")
    click.echo(f"(3) largest |cosine| between distinct one-hot vectors (V = {config.cosine_vocab}): "
               f"{result.one_hot_max_cosine:g}; skip-gram vectors (d = {config.vector_dim}, "
               f"{result.vectors.vocab.size - 1} words) on {config.data}, nearest by cosine:")
    for w, ns in result.neighbours.items():
        click.echo(f"  {w:<10} " + ", ".join(f"{n} {cv:.2f}" for n, cv in ns))
    sim = result.similarity
    if sim.neighbour:
        click.echo(f"    context similarity (PPMI counts) of {len(sim.pairs)} neighbour pairs "
                   f"{sum(sim.neighbour) / len(sim.neighbour):.3f} vs frequency-matched random pairs "
                   f"{sum(sim.matched) / max(1, len(sim.matched)):.3f}")


def _bytes(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1000:
            return f"{n:.0f} {unit}"
        n //= 1000
    return f"{n} TB"


COMMANDS = [schedule, coin, lm, exposure, embeddings]
