"""Report part S11: automata from networks. Compiled nets extract back to their DFA; small nets trained on the
sheet's two languages are certified (or not, and then said so) beside the sheet's hand-wired nets; a Tomita table.

    S11.round-trip          spec -> compiled sigmoid net (S9) -> extracted (L* + proof) -> the certified DFA equals
                            the spec's minimal DFA exactly (product construction), its certificate re-checked alone
    S11.trained-all-ones    a trained tanh net implements the sheet's language for every length (certified), as the
    S11.trained-equality    sheet's hand-wired net does (S7, S8); a checked wrong input or an unknown otherwise
    S11.tomita-sound        no DFA certified from a trained Tomita net is contradicted by running the net

Every measure takes its subject (the compiler, the extractor, the net) as an argument so that a test can hand it a
broken one and see the verdict flip. Nets are checked against DFAs by their own float32 forward pass
(`LearnedNet.logits`), which shares no code with the proof. No verdict rests on a wall-clock time: learning and
extraction times are evidence only, and the extractor's time limit is far above what these nets need (a limit
hit on a slow machine shows as "unknown", hence "inconclusive", never as a wrong verdict).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from rnnlab.exact.automaton import Automaton
from rnnlab.exact.compiler import compile_dfa
from rnnlab.exact.net import Net
from rnnlab.exact.sheet import SPECS, get_net
from rnnlab.exact.verifier import prove
from rnnlab.extract.certify import check
from rnnlab.extract.dfa import minimal, shortest_difference
from rnnlab.extract.languages import BUILTIN, TOMITA
from rnnlab.extract.learn import LearnConfig, learn
from rnnlab.extract.lstar import ExtractConfig, ExtractResult, dfa_outputs, extract
from rnnlab.extract.machine import Machine
from rnnlab.extract.model import LearnedNet
from rnnlab.extract.words import random_words
from rnnlab.generation.lm import num_threads
from rnnlab.report.automaton_figures import draw_dfa, draw_regions, draw_state_table, state_rows
from rnnlab.report.claims import FAILS, FIG_WIDTH, HOLDS, INCONCLUSIVE, ClaimSpec, Part, PartResult

JOIN = "; "
Extract = Callable[[Net | LearnedNet, ExtractConfig, Automaton | None], ExtractResult]
Compile = Callable[[Automaton, str], Net]

# The round trip's specs: the library's automata, each also shipped as examples/specs/NAME.json (the reproduce
# commands compile the file; both compile to the same net, which tests/report/test_reproduce_s11.py checks).
ROUND_TRIP: dict[str, Automaton] = {
    "all-ones": SPECS["all-ones"], "equal-so-far": SPECS["equal-so-far"], "serial-adder": SPECS["serial-sum"],
    "tomita-1": TOMITA["tomita1"], "tomita-2": TOMITA["tomita2"], "tomita-4": TOMITA["tomita4"],
    "tomita-5": TOMITA["tomita5"], "tomita-7": TOMITA["tomita7"]}
SHEET_NET = {"all-ones": "all-ones", "equality": "equality"}  # language -> the sheet's hand-wired net (S7, S8)
MAX_DRAWN_STATES = 8  # larger DFAs (unlearned nets' hypotheses) are listed, not drawn
# the page's steppers start from the sheet's examples (S7, S8), and for each Tomita grammar from an input that
# visits its accepting and rejecting states before it ends
STEPPER_INPUTS: dict[str, tuple[str, str | None]] = {
    "all-ones": ("11110100", None), "equality": ("1101011", "1101101"),
    "tomita1": ("11101", None), "tomita2": ("1010100", None), "tomita3": ("1101100", None),
    "tomita4": ("110001000", None), "tomita5": ("1001011011", None), "tomita6": ("100110101", None),
    "tomita7": ("00110010", None)}


def _net_row(language: str, hidden: int, steps: int, max_len: int, cell: str = "tanh", seed: int = 0
             ) -> dict[str, Any]:
    return {"language": language, "cell": cell, "hidden": hidden, "seed": seed, "steps": steps, "max_len": max_len}


def _s11_config(scale: str) -> dict[str, Any]:
    quick = scale == "quick"
    # Small nets with short budgets: each of these learns in about a second on one core and certifies in well
    # under one (measured); the full scale adds every Tomita grammar with more units and steps, whatever happens.
    tomita = ([_net_row("tomita1", 2, 1000, 10), _net_row("tomita2", 2, 1000, 10), _net_row("tomita4", 4, 1200, 16)]
              if quick else [_net_row(f"tomita{k}", 8, 3000, 16) for k in range(1, 8)])
    return {
        "round_trip": (["all-ones", "equal-so-far", "serial-adder", "tomita-2", "tomita-4", "tomita-7"] if quick
                       else list(ROUND_TRIP)),
        "sheet_nets": [_net_row("all-ones", 2, 400, 10), _net_row("equality", 2, 400, 10)],
        "tomita_nets": tomita,
        "time_limit": 30.0,  # `rnnlab extract --time-limit`: far above the seconds these nets need
        "extract_seed": 0,
        "check_random": 500 if quick else 2000,  # random inputs each net is run on, of length check_length
        "check_length": 1000,
        "check_seed": 0,
    }


def extract_config(cfg: dict[str, Any]) -> ExtractConfig:
    """What `rnnlab extract --time-limit T --seed S` runs with."""
    return ExtractConfig(time_limit=cfg["time_limit"], seed=cfg["extract_seed"])


def learn_config(row: dict[str, Any]) -> LearnConfig:
    """What `rnnlab learn LANG --cell --hidden --seed --steps --max-len` runs with (its growth capped by the steps)."""
    return LearnConfig(cell=row["cell"], hidden=row["hidden"], seed=row["seed"], steps=row["steps"],
                       max_len=row["max_len"], grow_steps=min(LearnConfig.grow_steps, row["steps"]))


def _word(alphabet: Sequence[str], word: Sequence[int] | None) -> str | None:
    if word is None:
        return None
    sep = "" if all(len(s) == 1 for s in alphabet) else " "
    return sep.join(alphabet[a] for a in word)


def _yes_no(v: bool | None) -> str:
    return "undecided" if v is None else "yes" if v else "no"


def _all_words(A: int, budget: int = 4096) -> np.ndarray:
    """Every input of the largest length n with A^n <= budget, (A^n, n); their prefixes are every shorter input."""
    n = 1
    while A ** (n + 1) <= budget:
        n += 1
    k = np.arange(A ** n)[:, None]
    return (k // A ** np.arange(n - 1, -1, -1)) % A


def run_against(net: LearnedNet, dfa: Automaton, n_random: int, length: int, seed: int) -> dict[str, Any]:
    """The net's output (its own float32 forward pass) against the DFA's after every prefix of every input up to
    length 12 (6 for four symbols) and of n_random random inputs of the given length (half uniform, half runs of
    one symbol: `rnnlab.extract.words`): how many inputs differ anywhere, and the shortest prefix where one does."""
    A = len(dfa.alphabet)
    exhaustive = _all_words(A)
    rng = np.random.default_rng([seed, 11])
    groups = [exhaustive, random_words(rng, n_random, length, A)]
    differ, shortest = 0, None
    for words in groups:
        for chunk in np.array_split(words, max(1, len(words) // 1024)):
            with num_threads(1):  # tiny tensors: a second thread only waits at every barrier
                got = net.logits(chunk) > 0
            bad = got != dfa_outputs(dfa, chunk)[0]  # (B, T)
            rows = np.nonzero(bad.any(axis=1))[0]
            differ += len(rows)
            for i in rows:
                t = int(np.argmax(bad[i]))
                if shortest is None or t + 1 < len(shortest):
                    shortest = chunk[i, :t + 1].tolist()
    return {"all_inputs_up_to": exhaustive.shape[1], "random_inputs": n_random, "random_length": length,
            "inputs_run": len(exhaustive) + n_random, "inputs_that_differ": differ,
            "shortest_difference": _word(dfa.alphabet, shortest)}


def _wrong_there(net: LearnedNet, spec: Automaton, word: list[int] | None) -> bool | None:
    """Whether the net's output after `word` differs from the spec's, by running the net (None: no word)."""
    if word is None:
        return None
    w = np.array([word], dtype=np.int64)
    with num_threads(1):
        got = net.logits(w)[0, -1] > 0
    return bool(got != dfa_outputs(spec, w)[0][0, -1])


# --- S11.round-trip -----------------------------------------------------------------------------------


def measure_round_trip(specs: dict[str, Automaton], config: ExtractConfig, compile: Compile = compile_dfa,
                       extract_fn: Extract = extract) -> tuple[dict[str, Any], dict[str, ExtractResult]]:
    """Each spec compiled to a sigmoid net, extracted with the spec as target, compared with its minimal DFA by
    product construction, and its certificate re-checked by `certify.check` alone; (evidence, results)."""
    rows, results = [], {}
    for name, spec in specs.items():
        net = compile(spec, "sigmoid")
        r = extract_fn(net, config, spec)
        target = minimal(spec)
        diff = shortest_difference(r.dfa, target)
        recheck = (check(Machine(net), r.certificate.to_dict(net.to_dict()), net.to_dict())[0]
                   if r.certificate is not None else False)
        rows.append({"spec": name, "minimal_states": len(target.states), "gain_H": net.meta.get("gain"),
                     "status": r.status, "dfa_states": len(r.dfa.states),
                     "equals_minimal": diff is None and len(r.dfa.states) == len(target.states),
                     "first_difference": _word(spec.alphabet, diff),
                     "regions": len(r.certificate.regions) if r.certificate else None, "certificate_rechecked": recheck,
                     "rounds": r.rounds, "queries": r.queries, "seconds": round(r.seconds, 3)})
        results[name] = r
    return {"specs": rows}, results


def _round_trip(ev: dict[str, Any]) -> str:
    ok = all(r["status"] == "certified" and r["equals_minimal"] and r["certificate_rechecked"] for r in ev["specs"])
    return HOLDS if ok else FAILS


S11_ROUND_TRIP = ClaimSpec(
    "S11.round-trip", "A DFA compiled to a sigmoid net (S9) extracts back, certified for inputs of every length, to "
                      "exactly its minimal DFA",
    source="demonstration", source_says=HOLDS, expected=HOLDS,
    criterion="For every listed spec: `rnnlab extract` ends certified, the certified DFA has the minimal DFA's number "
              "of states and no input tells them apart (breadth-first search of the product automaton), and the "
              "certificate passes `certify.check`, which re-verifies it without the search (0 failing specs)",
    judge=_round_trip)


# --- S11.trained-* ------------------------------------------------------------------------------------


def train(row: dict[str, Any]) -> tuple[LearnedNet, dict[str, Any]]:
    """`rnnlab learn` with the row's settings: the net and what training reports."""
    spec = BUILTIN[row["language"]]
    t0 = time.perf_counter()
    result = learn(spec, learn_config(row), name=f"{row['language']}-{row['cell']}{row['hidden']}-s{row['seed']}")
    return result.net, {"steps_taken": result.steps, "heldout_accuracy": result.accuracy,
                        "every_heldout_prefix_right": result.perfect,
                        "learn_seconds": round(time.perf_counter() - t0, 3)}


def _extraction(net: LearnedNet, spec: Automaton, config: ExtractConfig, extract_fn: Extract
                ) -> tuple[dict[str, Any], ExtractResult]:
    r = extract_fn(net, config, spec)
    return {"status": r.status, "dfa_certified": r.certificate is not None, "implements": r.implements,
            "dfa_states": len(r.dfa.states),
            "minimal_states": len(minimal(spec).states),
            "regions": len(r.certificate.regions) if r.certificate else None,
            "wrong_input": _word(spec.alphabet, r.net_wrong_input),
            "wrong_input_checked": _wrong_there(net, spec, r.net_wrong_input),
            "certificate_rechecked": (check(Machine(net), r.certificate.to_dict(net.to_dict()), net.to_dict())[0]
                                      if r.certificate is not None else False),
            "reason": r.reason or None, "rounds": r.rounds, "queries": r.queries,
            "extract_seconds": round(r.seconds, 3)}, r


def measure_trained(net: LearnedNet, language: str, sheet_net: Net, config: ExtractConfig, n_random: int,
                    length: int, seed: int, extract_fn: Extract = extract) -> tuple[dict[str, Any], ExtractResult]:
    """A trained net extracted against its language, run against the language, and the sheet's net proved."""
    spec = BUILTIN[language]
    ev, r = _extraction(net, spec, config, extract_fn)
    ev["run_against_language"] = run_against(net, spec, n_random, length, seed)
    proof = prove(sheet_net)
    ev["sheet_net"] = {"net": sheet_net.name, "units": sum(L.size for L in sheet_net.layers),
                       "proved": proof.holds, "states_explored": proof.states_explored}
    return ev, r


def _trained(ev: dict[str, Any]) -> str:
    net_wrong = ev["run_against_language"]["inputs_that_differ"] > 0 or \
        (ev["implements"] is False and ev["wrong_input_checked"] is True)
    if net_wrong or not ev["sheet_net"]["proved"]:
        return FAILS
    if ev["status"] == "certified" and ev["implements"] is True and ev["certificate_rechecked"]:
        return HOLDS
    return INCONCLUSIVE  # no proof and no wrong input: every test passed, but not every length is covered


def _trained_spec(language: str, sheet: str, row: dict[str, Any]) -> ClaimSpec:
    return ClaimSpec(
        f"S11.trained-{language}",
        f"A {row['cell']} net with {row['hidden']} hidden units trained on the sheet's {sheet} language implements it "
        f"for inputs of every length, as the sheet's hand-wired net does",
        source="demonstration", source_says=HOLDS, expected=HOLDS,
        criterion="Holds when `rnnlab extract --against` certifies the trained net's DFA equal to the language (the "
                  "certificate re-checked by `certify.check` alone), the "
                  "net run on every short input and on random long ones (uniform, and runs of one symbol) never "
                  "differs from the language, and the "
                  "sheet's net is proved (S7/S8's verifier); does not hold when the net is wrong on an input (checked "
                  "by running it) or the sheet's net fails its proof; inconclusive when no proof was found",
        judge=_trained)


SHEET_LANGUAGE = {"all-ones": "all-ones ('every input so far is 1', S7)",
                  "equality": "equality ('x1 and x2 agreed at every step so far', S8)"}


# --- S11.tomita-sound ---------------------------------------------------------------------------------


def measure_tomita(nets: Sequence[tuple[dict[str, Any], LearnedNet, dict[str, Any]]], config: ExtractConfig,
                   n_random: int, length: int, seed: int, extract_fn: Extract = extract
                   ) -> tuple[dict[str, Any], dict[str, ExtractResult]]:
    """Each trained net (settings, net, training report) extracted against its grammar; every net run against the
    grammar, and every certified net against its certified DFA; (evidence, results by language)."""
    rows, results = [], {}
    for row, net, trained in nets:
        spec = BUILTIN[row["language"]]
        ev, r = _extraction(net, spec, config, extract_fn)
        errors = run_against(net, spec, n_random, length, seed)
        on_dfa = None
        if r.certificate is not None:  # a wrong net honestly proved equal to its own DFA is checked too
            on_dfa = errors if shortest_difference(r.dfa, minimal(spec)) is None else \
                run_against(net, r.dfa, n_random, length, seed)
        # the outcome and the times first: the columns a reader of the table looks for
        rows.append({"language": row["language"], "cell": row["cell"], "hidden": row["hidden"],
                     "steps": trained["steps_taken"], "status": ev["status"], "dfa_certified": ev["dfa_certified"],
                     "implements": ev["implements"],
                     "learn_seconds": trained["learn_seconds"], "extract_seconds": ev["extract_seconds"],
                     "dfa_states": ev["dfa_states"], "minimal_states": ev["minimal_states"], "regions": ev["regions"],
                     "inputs_wrong": errors["inputs_that_differ"],
                     "certified_dfa_contradicted": None if on_dfa is None else on_dfa["inputs_that_differ"] > 0,
                     "wrong_input": ev["wrong_input"], "wrong_input_checked": ev["wrong_input_checked"],
                     "heldout_accuracy": trained["heldout_accuracy"], "rounds": ev["rounds"], "queries": ev["queries"]})
        results[row["language"]] = r
    return {"nets": rows, "certified": sum(r["dfa_certified"] for r in rows),
            "implement": sum(r["implements"] is True for r in rows),
            "contradicted": sum(r["certified_dfa_contradicted"] is True for r in rows),
            "all_inputs_up_to": _all_words(2).shape[1], "random_inputs": n_random, "random_length": length}, results


def _tomita(ev: dict[str, Any]) -> str:
    unchecked = any(r["wrong_input"] is not None and r["wrong_input_checked"] is not True for r in ev["nets"])
    if ev["contradicted"] > 0 or unchecked:
        return FAILS
    return HOLDS if ev["certified"] > 0 else INCONCLUSIVE  # nothing certified: nothing to contradict


S11_TOMITA = ClaimSpec(
    "S11.tomita-sound", "No DFA certified from a trained Tomita net is contradicted by running the net",
    source="demonstration", source_says=HOLDS, expected=HOLDS,
    criterion="Each certified net, run by its own float32 forward pass on every input up to length 12 and on the "
              "stated number of random inputs of the stated length (half uniform, half runs of one symbol), gives "
              "the certified DFA's output after every "
              "prefix, and every input offered as a wrong answer of the net is wrong when the net is run; "
              "inconclusive when no net was certified",
    judge=_tomita)


# --- figures ------------------------------------------------------------------------------------------


def _dfa_grid(out: PartResult, key: str, dfas: list[tuple[str, Automaton]], caption: str, title: str) -> str:
    """The DFAs, two to a row, each drawn beside its state table."""
    rows = (len(dfas) + 1) // 2
    # a row of DFAs with at most 2 states (drawn on a line) needs less height than a row of polygons
    heights = [2.3 if max(len(d.states) for _, d in dfas[2 * r:2 * r + 2]) > 2 else 1.5 for r in range(rows)]
    height = sum(heights) + 0.4
    fig = Figure(figsize=(FIG_WIDTH, height))  # fixed margins: a constrained layout of 4 rows x 4 costs seconds
    axes = fig.subplots(rows, 4, width_ratios=[1.7, 1.2, 1.7, 1.2], height_ratios=heights, squeeze=False,
                        gridspec_kw={"left": 0.01, "right": 0.99, "bottom": 0.01, "top": 1 - 0.6 / height,
                                     "wspace": 0.05, "hspace": 0.15})
    for k in range(rows * 2):
        r, c = divmod(k, 2)
        if k < len(dfas):
            name, dfa = dfas[k]
            draw_dfa(axes[r][2 * c], dfa, name)
            draw_state_table(axes[r][2 * c + 1], dfa, fontsize=8)
        else:
            axes[r][2 * c].axis("off")
            axes[r][2 * c + 1].axis("off")
    fig.suptitle(title, fontsize=11)
    return out.add_figure(key, fig, caption)


def _visited(net: LearnedNet, dfa: Automaton, seed: int, per_state: int = 400) -> dict[int, np.ndarray]:
    """States the net visits on every input up to length 8 and on 64 random inputs of length 40, grouped by the
    DFA state reached by the same prefix; at most per_state distinct points each (seeded sample)."""
    A = len(dfa.alphabet)
    rng = np.random.default_rng([seed, 12])
    pts: dict[int, list[np.ndarray]] = {}
    for words in (_all_words(A, 256), rng.integers(0, A, size=(64, 40))):
        _, S = Machine(net).run(words, keep_states=True)
        _, q = dfa_outputs(dfa, words)
        assert S is not None
        for s in np.unique(q):
            pts.setdefault(int(s), []).append(S[q == s])
    out = {}
    for s, chunks in pts.items():
        P = np.unique(np.round(np.concatenate(chunks), 4), axis=0)
        out[s] = P[rng.choice(len(P), size=per_state, replace=False)] if len(P) > per_state else P
    return out


def _trained_figure(out: PartResult, key: str, row: dict[str, Any], net: LearnedNet, r: ExtractResult,
                    sheet: dict[str, Any], seed: int) -> str:
    fig = Figure(figsize=(FIG_WIDTH, 3.8), layout="constrained")
    left, mid, right = fig.subplots(1, 3, width_ratios=[1.7, 1.25, 0.9])
    regions = [(g.state, g.lo, g.hi) for g in r.certificate.regions] if r.certificate else []
    plane = draw_regions(left, _visited(net, r.dfa, seed), r.dfa, regions, h0=net.initial_state().astype(float),
                         readout=(net.v.astype(float), float(net.c)), fontsize=8)
    left.set_title(f"states of the trained net ({r.status})", fontsize=9)
    draw_dfa(mid, r.dfa, f"extracted: {len(r.dfa.states)} states")
    draw_state_table(right, r.dfa, fontsize=8)
    fig.suptitle(f"S11: a {row['cell']} net with {row['hidden']} units trained on {row['language']}", fontsize=10)
    what = (f"{len(regions)} boxes (dashed; a box smaller than a dot hides under it) prove the "
            f"{len(r.dfa.states)}-state DFA for every length" if r.certificate else f"no certificate ({r.reason})")
    caption = (f"Left: every state the trained net visits on the inputs up to length 8 and on random ones, coloured by "
               f"the DFA state the same prefix reaches, drawn in {plane}; {what}; the dotted line is the readout's "
               f"threshold. Right: the extracted DFA and its state table ('->' start, '*' accepting). The sheet's "
               f"hand-wired net has {sheet['units']} units and its proof visits {sheet['states_explored']} "
               f"(net state, DFA state) pairs: the same DFA states, as exact points rather than clusters.")
    return out.add_figure(key, fig, caption)


# --- the part -----------------------------------------------------------------------------------------


def _learn_command(row: dict[str, Any], path: str) -> str:
    return (f"rnnlab learn {row['language']} --cell {row['cell']} --hidden {row['hidden']} --seed {row['seed']} "
            f"--steps {row['steps']} --max-len {row['max_len']} --out {path} --json")


def _extract_command(path: str, against: str, cfg: dict[str, Any]) -> str:
    return f"rnnlab extract {path} --against {against} --time-limit {cfg['time_limit']:g} " \
           f"--seed {cfg['extract_seed']} --json"


def _net_file(row: dict[str, Any]) -> str:
    return f"s11-{row['language']}-{row['cell']}{row['hidden']}.json"


def s11(scale: str) -> PartResult:
    # Tiny tensors: a second thread only waits at every barrier (a (500, 2) tanh took 15 ms with two threads on
    # the loaded 2-core machine, 2 us with one); learning and extraction set one thread themselves.
    with num_threads(1):
        return _s11(scale)


def _s11(scale: str) -> PartResult:
    cfg, out = _s11_config(scale), PartResult()
    out.configs["S11"] = cfg
    xcfg = extract_config(cfg)
    check_args = (cfg["check_random"], cfg["check_length"], cfg["check_seed"])

    # (a) the round trip
    specs = {name: ROUND_TRIP[name] for name in cfg["round_trip"]}
    ev, results = measure_round_trip(specs, xcfg)
    fig = _dfa_grid(out, "s11-round-trip", [(n, r.dfa) for n, r in results.items()],
                    "Each spec compiled to a sigmoid net and extracted back: the certified DFAs, drawn beside their "
                    "state tables ('->' marks the start state, '*' and a double circle an accepting one); each is the "
                    "spec's minimal DFA, state for state.", "S11: compiled nets extract back to their minimal DFA")
    rows = ev["specs"]
    out.tables["S11.round-trip#state tables"] = [{"spec": n, **s} for n, r in results.items()
                                                for s in state_rows(r.dfa)]
    out.claims.append(S11_ROUND_TRIP.decide(
        ev, scale={"specs": len(rows), "time_limit_s": cfg["time_limit"]}, figures=(fig,),
        key=f"{sum(r['status'] == 'certified' and r['equals_minimal'] for r in rows)}/{len(rows)} specs certified back "
            f"to their minimal DFA ({min(r['minimal_states'] for r in rows)}-"
            f"{max(r['minimal_states'] for r in rows)} states)",
        reproduce=JOIN.join(f"rnnlab compile examples/specs/{n}.json --activation sigmoid --out s11-{n}-net.json "
                            f"--json{JOIN}{_extract_command(f's11-{n}-net.json', f'examples/specs/{n}.json', cfg)}"
                            for n in specs)))

    # (b) trained nets on the sheet's languages, beside the sheet's hand-wired nets
    for row in cfg["sheet_nets"]:
        language = row["language"]
        net, trained = train(row)
        ev, r = measure_trained(net, language, get_net(SHEET_NET[language]), xcfg, *check_args)
        ev = {**{k: row[k] for k in ("cell", "hidden", "seed")}, **trained, **ev}
        spec = _trained_spec(language, SHEET_LANGUAGE[language], row)
        fig = _trained_figure(out, f"s11-trained-{language}", row, net, r, ev["sheet_net"], cfg["check_seed"])
        out.tables[f"{spec.id}#state table"] = state_rows(r.dfa)
        out.add_stepper(f"trained-{language}", net, *STEPPER_INPUTS[language])
        path = _net_file(row)
        sim = ev["run_against_language"]
        out.claims.append(spec.decide(
            ev, scale={**{k: row[k] for k in ("hidden", "steps", "max_len")}, "time_limit_s": cfg["time_limit"],
                       "random_inputs": sim["random_inputs"], "random_length": sim["random_length"]},
            figures=(fig,),
            key=f"{ev['status']}, implements it: {_yes_no(ev['implements'])} ({ev['dfa_states']}-state DFA"
                + (f", {ev['regions']} regions" if ev["regions"] else "")
                + f"); wrong on {sim['inputs_that_differ']} of {sim['inputs_run']:,} inputs run; "
                + f"sheet's net proved: {_yes_no(ev['sheet_net']['proved'])}",
            reproduce=JOIN.join([_learn_command(row, path), _extract_command(path, language, cfg),
                                 f"rnnlab verify {SHEET_NET[language]} --json"])))

    # (c) the Tomita table
    nets = [(row, *train(row)) for row in cfg["tomita_nets"]]
    ev, results = measure_tomita(nets, xcfg, *check_args)
    drawn = [(f"{n} ({r.status})", r.dfa) for n, r in results.items() if len(r.dfa.states) <= MAX_DRAWN_STATES]
    not_drawn = [f"{n} ({len(r.dfa.states)} states)" for n, r in results.items()
                 if len(r.dfa.states) > MAX_DRAWN_STATES]
    figures: tuple[str, ...] = ()
    if drawn:
        figures = (_dfa_grid(out, "s11-tomita", drawn,
                             "The DFAs extracted from the trained Tomita nets, each beside its state table"
                             + (f"; not drawn (too large): {', '.join(not_drawn)}" if not_drawn else "") + ".",
                             "S11: DFAs extracted from trained Tomita nets"),)
    out.tables["S11.tomita-sound#nets"] = ev["nets"]
    for row, net, _ in nets:
        out.add_stepper(f"trained-{row['language']}", net, *STEPPER_INPUTS[row["language"]])
    out.tables["S11.tomita-sound#state tables"] = [{"language": n, **s} for n, r in results.items()
                                                  if len(r.dfa.states) <= MAX_DRAWN_STATES for s in state_rows(r.dfa)]
    out.claims.append(S11_TOMITA.decide(
        ev, scale={"nets": len(nets), "all_inputs_up_to": ev["all_inputs_up_to"],
                   "random_inputs": cfg["check_random"], "random_length": cfg["check_length"],
                   "time_limit_s": cfg["time_limit"]}, figures=figures,
        key=f"{ev['certified']}/{len(nets)} DFAs certified, {ev['implement']}/{len(nets)} nets implement their "
            f"grammar; {ev['contradicted']} contradicted",
        reproduce=JOIN.join(f"{_learn_command(row, _net_file(row))}{JOIN}"
                            f"{_extract_command(_net_file(row), row['language'], cfg)}" for row in cfg["tomita_nets"])))
    return out


# budget_s: 8.8 CPU seconds measured at quick scale on the shared 2-core machine (training 6.4 of them), with about
# 30% room; the wall time there grows with its load.
PARTS = [Part("S11", "S11. Beyond the sheet: automata from trained networks", s11, _s11_config, budget_s=12.0)]
