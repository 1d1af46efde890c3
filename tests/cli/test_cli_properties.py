"""A property-based test of the whole command line: arguments for every command drawn from a grammar that
mixes valid and invalid values (zero, negative, NaN, infinity, huge, empty, wrong type, missing files, corrupt
JSON, NaN in a net file). Whatever the arguments:

- the exit status is 0, 1 or 2, and no exception escapes (no traceback);
- on exit 2, stderr is exactly one line, naming an option, an argument or a file;
- with --json and exit 0 or 1, stdout is exactly one JSON object;
- every invocation ends within its time limit (valid values are kept small: tiny T, steps, hidden).

The default run draws a small number of examples per command; `pytest -m fuzz` draws many more (see the
README's testing section for the count and time of the last such run). Examples hypothesis once found are
kept below as explicit regression cases.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rnnlab.cli.main import main
from rnnlab.exact.sheet import EQUAL_SO_FAR, get_net
from rnnlab.extract.languages import TOMITA
from rnnlab.extract.model import LearnedNet

FUZZ = os.environ.get("RNNLAB_FUZZ_EXAMPLES")
TIME_LIMIT_S = 120.0  # any single invocation; the valid branch is sized to take a few seconds at most
FILES = Path(__file__).parent / "_fuzz_files"  # made once by `files()`; removed by nothing (ignored by git)
SPECS = Path(__file__).parents[2] / "examples" / "specs"


def trained_net(cell: str, spec: Any, hidden: int = 3, seed: int = 0) -> LearnedNet:
    """An rnnlab-net/2 net with random weights (the format is what the grammar exercises, not the training)."""
    rng = np.random.default_rng(seed)
    A, G = len(spec.alphabet), 3 if cell == "gru" else 4
    weights = {"W_ih": rng.normal(size=(G * hidden, A)), "W_hh": rng.normal(size=(G * hidden, hidden)),
               "b_ih": rng.normal(size=G * hidden), "b_hh": rng.normal(size=G * hidden)}
    zeros = np.zeros(hidden, dtype=np.float32)
    return LearnedNet(f"{cell}-random", cell, spec.alphabet, (), {k: v.astype(np.float32) for k, v in weights.items()},
                      zeros, zeros.copy() if cell == "lstm" else np.zeros(0, dtype=np.float32),
                      rng.normal(size=hidden).astype(np.float32), 0.1, spec)


def files() -> dict[str, str]:
    """The files the grammar draws from: good and bad nets (both formats) and specs, inputs files, a small text,
    a sweep config."""
    FILES.mkdir(exist_ok=True)
    net = get_net("all-ones").to_dict()
    nan_net = json.loads(json.dumps(net))
    nan_net["layers"][0]["W"][0][0] = math.nan
    inf_net = json.loads(json.dumps(net))
    inf_net["layers"][-1]["b"][0] = math.inf
    out = {
        "net": FILES / "all-ones.json", "nan_net": FILES / "nan-net.json", "inf_net": FILES / "inf-net.json",
        "corrupt": FILES / "corrupt.json", "empty": FILES / "empty.json", "text": FILES / "words.txt",
        "bad_spec": FILES / "bad-spec.json", "sweep": FILES / "tiny.toml", "bad_toml": FILES / "bad.toml",
    }
    out |= {"net2": FILES / "lstm-tomita4.json", "net2_pairs": FILES / "gru-equality.json",
            "nan_net2": FILES / "nan-net2.json", "inputs": FILES / "inputs.txt", "inputs_pairs": FILES / "pairs.txt",
            "inputs_bad_symbol": FILES / "bad-symbol.txt", "inputs_unequal": FILES / "unequal.txt",
            "inputs_comments": FILES / "comments.txt", "inputs_three": FILES / "three.txt"}
    trained_net("lstm", TOMITA["tomita4"]).save(out["net2"])
    trained_net("gru", EQUAL_SO_FAR).save(out["net2_pairs"])
    nan_net2 = trained_net("gru", TOMITA["tomita4"]).to_dict()
    nan_net2["readout"]["v"][0] = math.nan
    out["nan_net2"].write_text(json.dumps(nan_net2))
    out["inputs"].write_text("# one input a line\n0110\n\n1\n0001\n1111\n")
    out["inputs_pairs"].write_text("01,11\n0110,0111\n1,0\n")
    out["inputs_bad_symbol"].write_text("0110\n01x0\n")
    out["inputs_unequal"].write_text("01,11\n011,01\n")
    out["inputs_comments"].write_text("# nothing but a comment\n\n")
    out["inputs_three"].write_text("0,1,0\n")
    out["net"].write_text(json.dumps(net))
    out["nan_net"].write_text(json.dumps(nan_net))
    out["inf_net"].write_text(json.dumps(inf_net))
    out["corrupt"].write_text('{"format": "rnnlab-net/1", "layers": [')
    out["empty"].write_text("")
    out["text"].write_text(("king queen lord love night sword sweet father the and " * 10 + "\n") * 60)
    out["bad_spec"].write_text(json.dumps({"alphabet": ["0", "1"], "states": ["a"], "start": "b", "accept": [],
                                           "transitions": {"a": {"0": "a", "1": "a"}}}))
    out["sweep"].write_text('name = "t"\ntask = "temporal_order"\nhidden = 2\nsteps = 1\ntest_sequences = 10\n'
                            '[grid]\nseed = [0]\n')
    out["bad_toml"].write_text("[grid\nseed = [0,")
    return {k: str(v) for k, v in out.items()}


F = files()
MISSING = str(FILES / "no-such-file.json")
FILES_DIR = str(FILES)  # a folder where a file is expected

# --- value pools -------------------------------------------------------------------------------------------
BAD_NUMBERS = ["nan", "inf", "-inf", "-1", "0", "1e999", "abc", "", "1e308", "99999999999999999999", "0x10"]
BAD_INTS = ["0", "-1", "-5", "1.5", "nan", "abc", "", "1000000000", "99999999999999999999"]


def pool(valid: list[str], invalid: list[str]) -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(valid), st.sampled_from(invalid))


def option(flag: str, values: st.SearchStrategy[str]) -> st.SearchStrategy[list[str]]:
    """Absent, or the flag with a value."""
    return st.one_of(st.just([]), values.map(lambda v: [flag, v]))


def flag(name: str) -> st.SearchStrategy[list[str]]:
    return st.sampled_from([[], [name]])


def command(head: list[str] | st.SearchStrategy[list[str]], *options: st.SearchStrategy[list[str]],
            json_flag: bool = True) -> st.SearchStrategy[list[str]]:
    parts = [head if isinstance(head, st.SearchStrategy) else st.just(head), *options]
    if json_flag:
        parts.append(flag("--json"))
    return st.tuples(*parts).map(lambda ps: [a for p in ps for a in p])


NETS = pool(["all-ones", "adder", "equality", "alternating", F["net"], F["net2"], F["net2_pairs"]],
            ["bogus", "", F["nan_net"], F["inf_net"], F["nan_net2"], F["corrupt"], F["empty"], MISSING])
INPUTS = pool([F["inputs"], F["inputs_pairs"]],
              [F["inputs_bad_symbol"], F["inputs_unequal"], F["inputs_comments"], F["inputs_three"], F["empty"],
               MISSING, str(FILES)])
SPEC_FILES = pool([str(SPECS / "parity.json"), str(SPECS / "divisible-by-3.json")],
                  [F["bad_spec"], F["corrupt"], F["empty"], MISSING, F["net"]])
BITS = pool(["0", "1", "0110", "11110100", "1" * 40], ["", "012", "ab", " 1", "2", "1 0"])
H0 = pool(["0", "1", "1,0", "0.5"], ["nan", "inf", "", "a", "1,,", "1e999"])
T_SMALL = pool(["1", "2", "5", "12"], BAD_INTS)
HIDDEN = pool(["1", "3", "8"], [*BAD_INTS, "1000000"])
SEED = pool(["0", "1", "12345"], ["-1", "nan", "x", "", "1.5"])
SEEDS = pool(["0", "0,1", "0-2", "1,3-4"], ["0,0", "1,1,2", "3-1", "-1", "", ",", "a", "0-99999999"])
W_NORM = pool(["0.5", "3", "1e-3"], BAD_NUMBERS)
LR = pool(["0.01", "0.1"], [*BAD_NUMBERS, "1e30"])
MAX_MEMORY = pool(["1G", "512M"], ["0", "-1G", "lots", "1X", "", "1K"])
PLOT = pool(["{tmp}/p.png", "{tmp}/noext", "{tmp}/sub/", "{tmp}"], ["{tmp}/p.xyz", F["net"] + "/p.png"])

GRAMMAR: dict[str, st.SearchStrategy[list[str]]] = {
    "nets": command(["nets"]),
    # --input or --inputs (mostly one of them; sometimes both or neither, which is refused)
    "run": command(st.tuples(st.just("run"), NETS).map(list),
                   st.one_of(option("--input", BITS).map(lambda o: o or ["--input", "1"]),
                             option("--inputs", INPUTS).map(lambda o: o or ["--inputs", F["inputs"]]),
                             st.tuples(option("--input", BITS), option("--inputs", INPUTS)).map(lambda p: p[0] + p[1])),
                   option("--input2", BITS), option("--h0", H0)),
    "verify": command(st.tuples(st.just("verify"), NETS).map(list), option("--against", SPEC_FILES),
                      option("--h0", H0), option("--max-len", pool(["0", "3", "6"], BAD_INTS))),
    "compile": command(st.tuples(st.just("compile"), SPEC_FILES).map(list),
                       option("--activation", pool(["step", "sigmoid"], ["tanh", "", "STEP"])),
                       option("--out", pool(["{tmp}/net.json"], ["{tmp}", F["net"] + "/x.json"])),
                       option("--max-memory", MAX_MEMORY)),
    "gradients": command(["gradients"], option("--cell", pool(["sigmoid", "tanh", "skip", "gru", "lstm"], ["x"])),
                         option("--T", T_SMALL), option("--hidden", HIDDEN),
                         option("--delay", pool(["2", "3"], ["1", "0", "nan"])), option("--seed", SEED),
                         option("--w-norm", W_NORM), option("--plot", PLOT), option("--max-memory", MAX_MEMORY)),
    "bound": command(["bound"], option("--trials", pool(["1", "3"], [*BAD_INTS, "1000001"])).map(
                         lambda o: o or ["--trials", "2"]),
                     option("--T", pool(["2", "6"], [*BAD_INTS, "1"])), option("--hidden", HIDDEN),
                     option("--seed", SEED), option("--plot", PLOT), option("--max-memory", MAX_MEMORY)),
    "train": command(st.tuples(st.just("train"), pool(["adding", "temporal_order"], ["bogus", ""])).map(list),
                     option("--cell", pool(["sigmoid", "tanh", "gru"], ["rnn", ""])),
                     option("--T", pool(["6", "10"], BAD_INTS)),
                     option("--steps", pool(["1", "3"], BAD_INTS)).map(lambda o: o or ["--steps", "2"]),
                     option("--seeds", SEEDS), option("--hidden", HIDDEN),
                     option("--batch", pool(["1", "4"], BAD_INTS)), option("--lr", LR),
                     option("--clip", pool(["none", "norm:1", "value:0.1"], ["norm:0", "norm:nan", "value:-1",
                                                                             "bogus", "norm:inf"])),
                     option("--optimizer", pool(["adam", "sgd"], ["x"])),
                     option("--nonfinite", pool(["stop", "skip"], ["x"])),
                     option("--w-norm", W_NORM), option("--max-memory", MAX_MEMORY)),
    "schedule": command(st.tuples(st.just("schedule"),
                                  pool(["linear", "exponential", "inverse-sigmoid"], ["bogus", ""])).map(list),
                        option("--k", pool(["0.5", "1", "100"], BAD_NUMBERS)),
                        option("--c", pool(["0.001", "0"], BAD_NUMBERS)),
                        option("--eps-min", pool(["0", "0.1"], [*BAD_NUMBERS, "1.5"])),
                        option("--steps", pool(["0,100", "5"], ["-1", "a", "", "1,,x", "1e9"])),
                        option("--span", pool(["10", "1000"], BAD_INTS)), option("--plot", PLOT)),
}

# Commands whose valid runs take tens of seconds: every example carries at least one invalid value (exit 2
# before any work); their valid runs are covered by their own tests.
HEAVY_INVALID: dict[str, list[tuple[str, list[str]]]] = {
    "lm": [("--hidden", BAD_INTS), ("--batch", BAD_INTS), ("--seq-len", BAD_INTS), ("--time-budget", BAD_NUMBERS),
           ("--lr", BAD_NUMBERS), ("--temperature", BAD_NUMBERS), ("--dropout", ["nan", "1", "-0.1", "x"]),
           ("--layers", BAD_INTS), ("--steps", BAD_INTS), ("--eval-windows", BAD_INTS), ("--max-memory", ["0", "x"]),
           ("--seed", ["-1", "x"])],
    "exposure": [("--seeds", ["0,0", "-1", "", "3-1"]), ("--steps", BAD_INTS), ("--hidden", BAD_INTS),
                 ("--strategies", ["", ",", "bogus"])],
    "embeddings": [("--vocab-sizes", ["0", "-1", "", "x", "2000000"]), ("--dim", BAD_INTS),
                   ("--epochs", BAD_INTS), ("--seed", ["-1", "x"])],
    "experiment skip": [("--seeds", ["0,0", "-1", ""]), ("--steps", BAD_INTS), ("--lengths", ["3", "0", "", "5,5"])],
    "sweep": [("CONFIG", [F["bad_toml"], MISSING, F["empty"]]), ("--workers", BAD_INTS)],
    "bench": [("--only", ["bogus", ""])],
    "report": [("--scale", ["huge", ""])],
    "learn tomita2": [("--cell", ["elman", ""]), ("--hidden", [*BAD_INTS, "513"]), ("--steps", BAD_INTS),
                      ("--contraction", ["-1", "nan", "inf", "x", "101"]),
                      ("--max-len", ["1", "0", "1001", "x"]), ("--seed", ["x", "1.5"]), ("--out", [FILES_DIR])],
    "extract": [("NET", [F["nan_net2"], F["corrupt"], MISSING, F["empty"]]), ("--time-limit", [*BAD_NUMBERS, "0.01"]),
                ("--against", [F["bad_spec"], MISSING, "tomita9"]), ("--check", [MISSING, F["corrupt"]])],
    "reproduce pascanu2013": [("--budget", ["huge", ""]), ("--backend", ["mpi", ""]), ("--workers", BAD_INTS)],
}
HEAVY_VALID: dict[str, list[tuple[str, list[str]]]] = {
    "lm": [("--data", [F["text"]]), ("--hidden", ["4"]), ("--steps", ["1"]), ("--time-budget", ["0"])],
    "exposure": [("--steps", ["1"]), ("--hidden", ["4"]), ("--seeds", ["0"])],
    "embeddings": [("--data", [F["text"]]), ("--epochs", ["1"]), ("--dim", ["4"])],
    "experiment skip": [("--steps", ["1"]), ("--seeds", ["0"])],
    "sweep": [("--workers", ["1"])],
    "bench": [],
    "report": [],
    "learn tomita2": [("--out", ["{tmp}/t2.json"]), ("--steps", ["1"]), ("--hidden", ["2"]),
                      ("--contraction", ["0", "2"])],
    "extract": [("--time-limit", ["1"])],
    "reproduce pascanu2013": [("--out", ["{tmp}/pascanu"])],
}


@st.composite
def heavy(draw: Any, name: str) -> list[str]:
    """One or more refused values plus valid ones for the rest."""
    bad = HEAVY_INVALID[name]
    chosen = draw(st.lists(st.sampled_from(bad), min_size=1, max_size=3, unique_by=lambda p: p[0]))
    argv = name.split()
    config = F["sweep"] if name == "sweep" else F["net2"]
    for opt, values in chosen:
        if opt in ("CONFIG", "NET"):
            config = draw(st.sampled_from(values))
        else:
            argv += [opt, draw(st.sampled_from(values))]
    names = {o for o, _ in chosen}
    for opt, values in HEAVY_VALID[name]:
        if opt not in names:
            argv += [opt, draw(st.sampled_from(values))]
    if name in ("sweep", "extract"):
        argv.insert(1, config)
    if draw(st.booleans()):
        argv.append("--json")
    return argv


def invoke(argv: list[str], tmp: Path) -> tuple[int, str, str, float]:
    args = [a.replace("{tmp}", str(tmp)) for a in argv]
    out, err = io.StringIO(), io.StringIO()
    t0 = time.perf_counter()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main(args)
    return rc, out.getvalue(), err.getvalue(), time.perf_counter() - t0


def check(argv: list[str], tmp: Path) -> int:
    rc, out, err, seconds = invoke(argv, tmp)
    if os.environ.get("RNNLAB_FUZZ_LOG"):  # one line per invocation: how many ran, and how each ended
        with open(os.environ["RNNLAB_FUZZ_LOG"], "a") as log:
            log.write(json.dumps({"argv": argv, "rc": rc, "s": round(seconds, 3)}) + "\n")
    shown = f"argv={argv!r} rc={rc} stderr={err!r}"
    assert rc in (0, 1, 2), shown
    assert "Traceback" not in err, shown
    assert seconds < TIME_LIMIT_S, f"{shown} took {seconds:.0f} s"
    if rc == 2:
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("rnnlab: error:"), shown
        line = lines[0]
        assert "--" in line or "'" in line or "/" in line, shown  # names an option, an argument or a file
        assert not out.strip() or not argv[-1:] == ["--json"], shown
    elif "--json" in argv:
        obj = json.loads(out)  # exactly one JSON value on stdout...
        assert isinstance(obj, dict), shown  # ...and it is an object
    return rc


def _settings(n: int, derandomize: bool = True) -> Any:
    return settings(max_examples=n, deadline=None, derandomize=derandomize, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                           HealthCheck.data_too_large])


LIGHT = {"nets": 2, "run": 16, "verify": 10, "compile": 6, "gradients": 10, "bound": 6, "train": 6, "schedule": 8}
HEAVY_N = {"lm": 4, "exposure": 3, "embeddings": 3, "experiment skip": 3, "sweep": 3, "bench": 2, "report": 2,
           "learn tomita2": 4, "extract": 4, "reproduce pascanu2013": 3}


@pytest.mark.parametrize("name", list(LIGHT))
def test_light_commands(name: str, tmp_path: Path) -> None:
    @_settings(LIGHT[name])
    @given(GRAMMAR[name])
    def prop(argv: list[str]) -> None:
        check(argv, tmp_path)

    prop()


@pytest.mark.parametrize("name", list(HEAVY_N))
def test_heavy_commands_refuse_bad_values_before_work(name: str, tmp_path: Path) -> None:
    @_settings(HEAVY_N[name])
    @given(heavy(name))
    def prop(argv: list[str]) -> None:
        assert check(argv, tmp_path) == 2

    prop()


# --- regression cases: examples the search found, kept as plain cases ---------------------------------------
FOUND = [
    ["gradients", "--w-norm", "1e308", "--json"],  # ||W|| = 1e308: the bound overflows; was inf * 0 = nan
    ["train", "adding", "--lr", "1e30", "--steps", "2", "--json"],  # non-finite loss: exit 1 with the step
    ["run", F["net"], "--input", "1", "--h0", "1,0"],  # wrong number of h0 values for the net
    ["verify", "alternating", "--against", str(SPECS / "parity.json"), "--max-len", "3"],  # not a finite machine
    ["schedule", "exponential", "--k", "1"],  # exponential decay needs k < 1
    ["compile", str(SPECS / "parity.json"), "--out", "{tmp}"],  # --out is a folder
    ["verify", "alternating", "--max-len", "0"],  # the closed-form check's range: the message named no option
    ["run", F["net2"], "--inputs", F["inputs"], "--json"],  # a trained net, a batch of inputs
    ["run", F["net2_pairs"], "--inputs", F["inputs_pairs"]],  # pair alphabet: x1,x2 lines
    ["run", "adder", "--inputs", F["inputs_pairs"], "--json"],  # a built-in two-sequence net, batched
    ["run", F["net2"], "--inputs", F["inputs_bad_symbol"]],  # exit 2 naming line 2 and 'x'
    ["run", F["net2_pairs"], "--inputs", F["inputs_unequal"]],  # exit 2 naming line 2
    ["run", F["net2"], "--input", "01", "--inputs", F["inputs"]],  # both: exit 2
    ["verify", F["net2"], "--max-len", "6", "--json"],  # a trained net: the bounded check
    ["verify", F["net2_pairs"], "--against", str(SPECS / "parity.json")],  # alphabets differ: exit 2
    ["extract", F["net2"], "--time-limit", "nan"],  # was taken as a time limit: exit 1 after no search at all
]


@pytest.mark.parametrize("argv", FOUND)
def test_found_examples(argv: list[str], tmp_path: Path) -> None:
    check(argv, tmp_path)


@pytest.mark.fuzz
@pytest.mark.parametrize("name", [*LIGHT, *HEAVY_N])
def test_fuzz(name: str, tmp_path: Path) -> None:
    """The opt-in run: RNNLAB_FUZZ_EXAMPLES examples per command (default 150), random each run."""
    n = int(FUZZ or 150)

    if name in LIGHT:
        @_settings(n, derandomize=False)
        @given(GRAMMAR[name])
        def prop(argv: list[str]) -> None:
            check(argv, tmp_path)
    else:
        @_settings(max(1, n // 4), derandomize=False)
        @given(heavy(name))
        def prop(argv: list[str]) -> None:
            assert check(argv, tmp_path) == 2

    prop()
