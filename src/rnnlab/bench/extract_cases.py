"""`rnnlab bench --only extract`: trained Tomita nets, extracted and proved, beside AALpy's usual recipe.

For each net: rnnlab's outcome (certified / wrong / unknown: the answer to "does the net implement its language?"),
whether it was decided (implements, or an input where the net is wrong, checked by running it), whether the net was
proved equal to its extracted DFA (the DFA certified, whatever the language), and its time; beside
it AALpy's L* with its random-walk equivalence oracle (5,000 steps, reset probability 0.09), timed, and whether its
DFA is contradicted by the net on random inputs, uniform and runs (no DFA within the same time limit counts as
contradicted). Trained nets are cached (RNNLAB_CACHE_DIR or the user cache dir, under extract-nets/, one folder per
version of the training code), so a second run measures extraction only.
"""

from __future__ import annotations

import hashlib
import inspect
import os
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np
import platformdirs

from rnnlab.bench.case import Case, Result

NETS = (("tomita1", "tanh"), ("tomita2", "tanh"), ("tomita4", "tanh"), ("tomita5", "tanh"),
        ("tomita1", "sigmoid"), ("tomita4", "sigmoid"), ("tomita4", "gru"), ("tomita5", "gru"))
TEST_WORDS, TEST_LEN = 1000, 1000  # random inputs of each kind (every prefix tested) that try to contradict a DFA


def _cache() -> Path:
    """The folder of cached trained nets, one per version of the training code (its source's digest)."""
    from rnnlab.extract import learn

    override = os.environ.get("RNNLAB_CACHE_DIR")
    digest = hashlib.sha256(inspect.getsource(learn).encode()).hexdigest()[:12]
    path = (Path(override) if override else Path(platformdirs.user_cache_dir("rnnlab"))) / "extract-nets" / digest
    path.mkdir(parents=True, exist_ok=True)
    return path


def _trained(lang: str, cell: str, hidden: int, seed: int) -> Any:
    """The net `rnnlab learn` trains on a Tomita language with these settings, from the cache when it is there."""
    from rnnlab.extract.languages import TOMITA
    from rnnlab.extract.learn import LearnConfig, learn
    from rnnlab.extract.model import LearnedNet

    path = _cache() / f"{lang}-{cell}-h{hidden}-s{seed}.json"
    if path.exists():
        return LearnedNet.load(path)
    net = learn(TOMITA[lang], LearnConfig(cell=cell, hidden=hidden, seed=seed), name=f"{lang}-{cell}").net
    net.save(path)
    return net


def _aalpy_baseline(net: object, seed: int, time_limit: float = 60.0) -> tuple[object | None, float]:
    """AALpy's L* with a random-walk equivalence oracle, the net answering one symbol at a time: its DFA, or
    None when it had none within time_limit (a net that is no small DFA grows L*'s table without end)."""
    import random

    from aalpy.base import SUL
    from aalpy.learning_algs import run_Lstar
    from aalpy.oracles import RandomWalkEqOracle

    from rnnlab.extract.lstar import _NetSUL, _OutOfTime, _to_automaton
    from rnnlab.extract.machine import Machine

    m = Machine(net)  # type: ignore[arg-type]
    t0 = time.perf_counter()
    sul: SUL = _NetSUL(m, deadline=time.monotonic() + time_limit)
    random.seed(seed)
    oracle = RandomWalkEqOracle(list(m.alphabet), sul, num_steps=5000, reset_after_cex=True, reset_prob=0.09)
    try:
        hyp = run_Lstar(list(m.alphabet), sul, oracle, "dfa", print_level=0)
    except _OutOfTime:
        return None, time.perf_counter() - t0
    return _to_automaton(hyp, m.alphabet), time.perf_counter() - t0


def count_disagreements(net: object, dfa: object, seed: int, kind: str = "uniform", words: int = TEST_WORDS,
                        length: int = TEST_LEN, chunk: int = 2000) -> int:
    """How many of `words` seeded random inputs of `length` have a prefix where net and dfa differ; kind: "uniform"
    symbols or "runs" of one symbol at many time scales (`rnnlab.extract.words`)."""
    from rnnlab.extract.lstar import dfa_outputs
    from rnnlab.extract.machine import Machine
    from rnnlab.extract.words import run_words, uniform_words

    draw = {"uniform": uniform_words, "runs": run_words}[kind]
    m = Machine(net)  # type: ignore[arg-type]
    rng = np.random.default_rng([seed, 5 if kind == "uniform" else 6])
    bad = 0
    for start in range(0, words, chunk):
        w = draw(rng, min(chunk, words - start), length, len(m.alphabet))
        got, _ = m.run(w)
        want, _ = dfa_outputs(dfa, w)  # type: ignore[arg-type]
        bad += int((got != want).any(axis=1).sum())
    return bad


def _contradicted(net: object, dfa: object | None, seed: int) -> bool:
    """Whether dfa differs from the net on some prefix of the uniform or the run inputs (no DFA at all counts as
    wrong)."""
    return dfa is None or any(count_disagreements(net, dfa, seed, kind) for kind in ("uniform", "runs"))


def tomita_rows(nets: tuple[tuple[str, str], ...] = NETS, seed: int = 0, hidden: int = 8,
                time_limit: float = 60.0) -> list[dict[str, Any]]:
    """One row per (language, cell): rnnlab's outcome and time beside AALpy's (module docstring). Trained nets
    are cached, so a long table can be built over several runs."""
    import torch

    from rnnlab.extract.languages import TOMITA
    from rnnlab.extract.lstar import ExtractConfig, extract

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    rows: list[dict[str, Any]] = []
    try:
        for lang, cell in nets:
            net = _trained(lang, cell, hidden, seed)
            r = extract(net, ExtractConfig(time_limit=time_limit), TOMITA[lang])
            base, base_s = _aalpy_baseline(net, seed, time_limit)
            certified = r.certificate is not None
            rows.append({"net": f"{lang}/{cell}", "status": r.status, "decided": r.implements is not None,
                         "dfa_certified": certified, "s": r.seconds,
                         "ours_contradicted": certified and _contradicted(net, r.dfa, 0),
                         "aalpy_contradicted": _contradicted(net, base, 0), "aalpy_s": base_s})
    finally:
        torch.set_num_threads(threads)
    return rows


def extract_tomita(time_limit: float = 60.0) -> Result:
    rows = tomita_rows(NETS, time_limit=time_limit)
    n = len(rows)
    decided = sum(r["decided"] for r in rows) / n
    certified = sum(r["dfa_certified"] for r in rows) / n
    times = [float(r["s"]) for r in rows if r["decided"]]
    med = statistics.median(times) if times else float("nan")
    aalpy = sum(bool(r["aalpy_contradicted"]) for r in rows) / n
    wrong = sum(bool(r["ours_contradicted"]) for r in rows)
    detail = (f"{n} trained nets (hidden 8, seed 0): decided {decided:.0%}, DFA certified {certified:.0%}, median "
              f"decided time {med:.1f} s; certified DFAs contradicted by {TEST_WORDS} uniform and {TEST_WORDS} run "
              f"inputs of length {TEST_LEN}: "
              f"{wrong}; AALpy L* + random-walk oracle: DFA contradicted for {aalpy:.0%} of nets, median "
              f"{statistics.median(float(r['aalpy_s']) for r in rows):.2f} s. Per net: "
              + "; ".join(f"{r['net']} {r['status']} {float(r['s']):.1f} s (AALpy "
                          f"{'contradicted' if r['aalpy_contradicted'] else 'not contradicted'})" for r in rows))
    return Result("extract", decided, "fraction decided", None, None,
                  "decided >= 0.9, certified DFAs never contradicted", detail, decided >= 0.9 and wrong == 0)


LIMIT_NET = ("tomita7", "gru", 8, 0)  # loses count in long runs: L* is still asking queries when the limit comes


def extract_limit(time_limit: float = 10.0) -> Result:
    """`extract --against` on a net that L* does not finish in time: the wall seconds it took, against its limit
    (target: within 5%). The extractor's baseline is its own limit; the phases show where the time went."""
    import torch

    from rnnlab.extract.languages import TOMITA
    from rnnlab.extract.lstar import PHASES, ExtractConfig, extract

    lang, cell, hidden, seed = LIMIT_NET
    net = _trained(lang, cell, hidden, seed)
    threads = torch.get_num_threads()
    try:
        t0 = time.perf_counter()
        r = extract(net, ExtractConfig(time_limit=time_limit), TOMITA[lang])
        wall = time.perf_counter() - t0
    finally:
        torch.set_num_threads(threads)
    ratio = wall / time_limit
    detail = (f"{lang}/{cell} hidden {hidden} seed {seed} against {lang}, limit {time_limit:g} s: {r.status}, "
              f"{wall:.2f} s wall; " + ", ".join(f"{PHASES[p]} {v:.2f} s" for p, v in r.phases.items())
              + (f"; cut short: {', '.join(PHASES[p] for p in r.out_of_time)}" if r.out_of_time else
                 "; the limit was not reached"))
    return Result("extract-limit", wall, "s", time_limit, ratio, "ratio <= 1.05", detail, ratio <= 1.05)


CASES: list[Case] = [Case("extract", extract_tomita, "trained Tomita nets: decided / certified, beside AALpy's recipe"),
                     Case("extract-limit", extract_limit, "a net that L* does not finish: wall time against the limit")]
