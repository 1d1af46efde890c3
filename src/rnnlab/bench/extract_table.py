"""The full extraction table (SPEC S11): Tomita 1-7 x {sigmoid, tanh, GRU} x hidden 8 x 5 seeds = 105 trained nets,
each extracted by rnnlab (`extract --against`) and by AALpy's L* with its random-walk equivalence oracle.

    python -m rnnlab.bench.extract_table DIR [--seeds 5] [--time-limit 60] [--train-only]

Trained nets are kept under DIR/nets, one JSON result per net under DIR/results; a second run skips what is there,
so the table (hours on a busy machine) can be built over several runs. Nets are visited seed by seed, so an
unfinished run still covers every cell. Every net is also run on 10,000 uniform random inputs of length 1,000 and on
10,000 run inputs (runs of one symbol at many time scales, `rnnlab.extract.words`; uniform inputs of Tomita 3 and 7
reach the dead state within a few symbols and test little more), every prefix checked: its errors against the
language, and whether rnnlab's certified DFA or AALpy's DFA is contradicted there (AALpy gets the same time limit;
no DFA in time counts as contradicted). Trained nets are looked up by name: after a change to the training code,
start a new DIR. The summary prints per cell: decided (implements, or a checked wrong input), DFA certified among the
nets with no error on either kind of input, and the times.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from rnnlab.files import json_text, write_atomic

LANGS = tuple(f"tomita{k}" for k in range(1, 8))
CELLS = ("sigmoid", "tanh", "gru")
TEST_WORDS, TEST_LEN = 10_000, 1000

__all__ = ["CELLS", "LANGS", "jobs", "run_table", "summarize"]


def jobs(seeds: int, langs: tuple[str, ...] = LANGS, cells: tuple[str, ...] = CELLS) -> Iterator[tuple[str, str, int]]:
    """(language, cell, seed), seed by seed."""
    for seed in range(seeds):
        for cell in cells:
            for lang in langs:
                yield lang, cell, seed


def _name(lang: str, cell: str, seed: int, hidden: int) -> str:
    return f"{lang}-{cell}-h{hidden}-s{seed}"


def _train(path: Path, lang: str, cell: str, seed: int, hidden: int) -> tuple[Any, float]:
    from rnnlab.extract.languages import TOMITA
    from rnnlab.extract.learn import LearnConfig, learn
    from rnnlab.extract.model import LearnedNet

    side = path.with_suffix(".learn.json")
    if path.exists() and side.exists():
        return LearnedNet.load(path), float(json.loads(side.read_text())["seconds"])
    t0 = time.perf_counter()
    net = learn(TOMITA[lang], LearnConfig(cell=cell, hidden=hidden, seed=seed), name=path.stem).net
    seconds = time.perf_counter() - t0
    net.save(path)
    write_atomic(side, json_text({"seconds": seconds}))
    return net, seconds


def _one(net: Any, lang: str, seed: int, time_limit: float) -> dict[str, Any]:
    from rnnlab.bench.extract_cases import _aalpy_baseline, count_disagreements
    from rnnlab.extract.languages import TOMITA
    from rnnlab.extract.lstar import ExtractConfig, extract

    def errors(dfa: Any) -> tuple[int, int]:
        return (count_disagreements(net, dfa, seed, "uniform", TEST_WORDS, TEST_LEN),
                count_disagreements(net, dfa, seed, "runs", TEST_WORDS, TEST_LEN))

    spec = TOMITA[lang]
    uniform, runs = errors(spec)
    r = extract(net, ExtractConfig(time_limit=time_limit, seed=seed), spec)
    ours_bad = sum(errors(r.dfa)) if r.certificate is not None else None
    base, base_s = _aalpy_baseline(net, seed, time_limit)
    base_uniform, base_runs = errors(base) if base is not None else (0, 0)
    return {"status": r.status, "dfa_certified": r.certificate is not None, "implements": r.implements,
            "decided": r.implements is not None,
            "net_wrong_input": r.net_wrong_input, "seconds": r.seconds, "reason": r.reason, "rounds": r.rounds,
            "states": len(r.dfa.states), "regions": len(r.certificate.regions) if r.certificate else None,
            "net_errors": uniform, "net_errors_runs": runs, "certified_contradicted": ours_bad,
            # no DFA within the time limit counts as contradicted
            "aalpy_contradicted": base is None or base_uniform + base_runs > 0,
            "aalpy_contradicted_uniform": base is None or base_uniform > 0,
            "aalpy_seconds": base_s,
            "aalpy_timed_out": base is None,
            "aalpy_states": None if base is None else len(base.states)}  # type: ignore[attr-defined]


def run_table(folder: Path, seeds: int = 5, hidden: int = 8, time_limit: float = 60.0, train_only: bool = False,
              langs: tuple[str, ...] = LANGS, cells: tuple[str, ...] = CELLS,
              log: Callable[[str], None] = print, shard: tuple[int, int] = (0, 1)) -> None:
    """Train (cached) and extract every net not yet done (module docstring)."""
    import torch

    (folder / "nets").mkdir(parents=True, exist_ok=True)
    (folder / "results").mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(1)
    for i, (lang, cell, seed) in enumerate(jobs(seeds, langs, cells)):
        if i % shard[1] != shard[0]:
            continue
        name = _name(lang, cell, seed, hidden)
        out = folder / "results" / f"{name}.json"
        if out.exists():
            continue
        net, learn_s = _train(folder / "nets" / f"{name}.json", lang, cell, seed, hidden)
        if train_only:
            log(f"{name}: trained in {learn_s:.0f} s")
            continue
        row = {"net": name, "lang": lang, "cell": cell, "seed": seed, "hidden": hidden, "learn_seconds": learn_s,
               "time_limit": time_limit, **_one(net, lang, seed, time_limit)}
        write_atomic(out, json_text(row))
        log(f"{name}: {row['status']} decided={row['decided']} {row['seconds']:.1f} s, net errors "
            f"{row['net_errors']} uniform, {row['net_errors_runs']} runs, AALpy contradicted="
            f"{row['aalpy_contradicted']} {row['aalpy_seconds']:.1f} s")


LETTERS = {"certified": "C", "wrong": "W", "counterexample": "X", "unknown": "U"}  # per-net table


def _dfa_certified(row: dict[str, Any]) -> bool:
    """Whether the net was proved equal to its extracted DFA (rows written before "wrong" existed: certified)."""
    return bool(row.get("dfa_certified", row["status"] == "certified"))


def _pct(k: int, n: int) -> str:
    return f"{k}/{n} ({100 * k / n:.0f}%)" if n else "-"


def summarize(folder: Path) -> tuple[str, dict[str, Any]]:
    """The table of finished nets (markdown) and its totals."""
    rows = [json.loads(p.read_text()) for p in sorted((folder / "results").glob("*.json"))]
    lines = ["| cell | nets | decided | error-free (uniform only) | certified (of error-free) | median decided s | "
             "AALpy contradicted (uniform only) | AALpy median s |", "|---|---|---|---|---|---|---|---|"]
    totals: dict[str, Any] = {"nets": len(rows)}
    for cell in (*CELLS, "all"):
        rs = [r for r in rows if cell in ("all", r["cell"])]
        if not rs:
            continue
        clean = [r for r in rs if r["net_errors"] == 0 and r["net_errors_runs"] == 0]
        clean_uniform = sum(r["net_errors"] == 0 for r in rs)
        dec = [float(r["seconds"]) for r in rs if r["decided"]]
        cert = sum(_dfa_certified(r) for r in clean)
        aalpy = sum(bool(r["aalpy_contradicted"]) for r in rs)
        aalpy_uniform = sum(bool(r["aalpy_contradicted_uniform"]) for r in rs)
        lines.append(f"| {cell} | {len(rs)} | {_pct(len(dec), len(rs))} | {len(clean)} ({clean_uniform}) | "
                     f"{_pct(cert, len(clean))} | {statistics.median(dec) if dec else float('nan'):.1f} | "
                     f"{_pct(aalpy, len(rs))} ({_pct(aalpy_uniform, len(rs))}) | "
                     f"{statistics.median(float(r['aalpy_seconds']) for r in rs):.2f} |")
        totals[cell] = {"nets": len(rs), "decided": len(dec), "clean": len(clean), "certified": cert,
                        "aalpy_contradicted": aalpy}
    wrong = sum(1 for r in rows if r["certified_contradicted"])
    totals["certified_contradicted"] = wrong
    per = ["", "| cell \\ lang | " + " | ".join(f"T{k}" for k in range(1, 8)) + " |", "|---" * 8 + "|"]
    for cell in CELLS:
        cells = []
        for lang in LANGS:
            rs = [r for r in rows if r["cell"] == cell and r["lang"] == lang]
            cells.append(" ".join(LETTERS[r["status"]]
                                  + ("" if r["net_errors"] == 0 and r["net_errors_runs"] == 0 else "*")
                                  for r in rs) or "-")
        per.append(f"| {cell} | " + " | ".join(cells) + " |")
    text = "\n".join(lines + per) + (f"\n\ncertified DFAs contradicted by {TEST_WORDS} uniform and {TEST_WORDS} "
                                     f"run inputs of length {TEST_LEN}: {wrong} (C certified, W wrong: an input "
                                     "where the net is wrong, X counterexample, U unknown; * the net errs on the "
                                     "random inputs)")
    return text, totals


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m rnnlab.bench.extract_table", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("folder", type=Path)
    p.add_argument("--seeds", type=int, default=5)
    p.add_argument("--hidden", type=int, default=8)
    p.add_argument("--time-limit", type=float, default=60.0)
    p.add_argument("--train-only", action="store_true")
    p.add_argument("--summary", action="store_true", help="only print the table of finished nets")
    p.add_argument("--shard", type=int, nargs=2, default=(0, 1), metavar=("I", "N"),
                   help="do only every N-th net, starting at the I-th (to run N processes side by side)")
    a = p.parse_args(argv)
    if a.seeds < 1 or a.hidden < 1 or a.time_limit <= 0 or not 0 <= a.shard[0] < a.shard[1]:
        print("error: --seeds and --hidden must be >= 1, --time-limit > 0 and --shard I N with 0 <= I < N",
              file=sys.stderr)
        return 2
    if not a.summary:
        run_table(a.folder, a.seeds, a.hidden, a.time_limit, a.train_only, log=lambda s: print(s, flush=True),
                  shard=tuple(a.shard))
    if (a.folder / "results").exists():
        print(summarize(a.folder)[0])
    return 0


if __name__ == "__main__":
    sys.exit(main())
