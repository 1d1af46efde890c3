"""Every bad input of the robustness issue, each as a test: exit 2 with one line naming the option or file,
exit 1 with the step for a run that goes non-finite, and the files where the user asked for them."""

import json
import math
import signal
import subprocess
import sys
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest
import torch

from rnnlab.cli.main import main
from rnnlab.dynamics.tasks import Batch, Task
from rnnlab.exact.sheet import get_net


def one_line_exit_2(capsys: pytest.CaptureFixture[str], argv: list[str], *names: str) -> str:
    rc = main(argv)
    out, err = capsys.readouterr()
    assert rc == 2, (rc, out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("rnnlab: error:"), err
    assert "Traceback" not in err and not out
    for name in names:
        assert name in lines[0], (name, lines[0])
    return lines[0]


@pytest.mark.parametrize("argv, names", [
    (["gradients", "--w-norm", "nan"], ["--w-norm", "nan"]),
    (["gradients", "--w-norm", "inf"], ["--w-norm", "inf"]),
    (["gradients", "--w-norm", "0"], ["--w-norm", "(0, inf)"]),
    (["bound", "--T", "1000000000"], ["--T", "1000000000"]),
    (["gradients", "--T", "1000000000"], ["--T", "1000000000"]),
    (["train", "adding", "--T", "1000000000"], ["--T"]),
    (["lm", "--hidden", "0"], ["--hidden", "0"]),
    (["lm", "--batch", "0"], ["--batch"]),
    (["lm", "--seq-len", "0"], ["--seq-len"]),
    (["lm", "--time-budget", "nan"], ["--time-budget", "nan"]),
    (["lm", "--time-budget", "-1"], ["--time-budget"]),
    (["train", "adding", "--lr", "inf"], ["--lr", "inf"]),
    (["train", "adding", "--lr", "0"], ["--lr"]),
    (["train", "adding", "--w-norm", "nan"], ["--w-norm"]),
    (["train", "adding", "--w-norm", "inf"], ["--w-norm"]),
    (["train", "adding", "--seeds", "0,0"], ["--seeds", "twice"]),
    (["train", "adding", "--seeds", "3-1"], ["--seeds"]),
    (["train", "adding", "--seeds", "-1"], ["--seeds"]),
    (["exposure", "--seeds", "1,2,1"], ["--seeds", "twice"]),
    (["experiment", "skip", "--seeds", "0,0"], ["--seeds"]),
    (["schedule", "linear", "--eps-min", "1.5"], ["--eps-min", "[0, 1]"]),
    (["schedule", "linear", "--k", "nan"], ["--k"]),
    (["run", "all-ones", "--input", "0121"], ["--input"]),
    (["run", "all-ones", "--input", ""], ["--input"]),
    (["run", "all-ones", "--input", "1", "--h0", "nan"], ["--h0"]),
    (["run", "no-such-net", "--input", "1"], ["no-such-net"]),
    (["run", "all-ones"], ["--input", "--inputs"]),
    (["run", "all-ones", "--inputs", "no-such-inputs.txt"], ["--inputs", "no-such-inputs.txt"]),
    (["verify", "no-such-net.json"], ["no-such-net.json"]),
    (["embeddings", "--vocab-sizes", "0"], ["--vocab-sizes"]),
    (["lm", "--temperature", "inf"], ["--temperature"]),
    (["lm", "--dropout", "1"], ["--dropout"]),
])
def test_bad_values_are_refused_in_one_line(capsys: pytest.CaptureFixture[str], argv: list[str],
                                            names: list[str]) -> None:
    one_line_exit_2(capsys, argv, *names)


def test_seed_ranges_expand(capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["train", "temporal_order", "--cell", "gru", "--T", "6", "--steps", "2", "--hidden", "3",
               "--seeds", "0,2-3", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 0 and [r["seed"] for r in out["runs"]] == [0, 2, 3]


@pytest.mark.parametrize("argv, names", [
    (["gradients", "--T", "5000000", "--hidden", "2000"], ["--T", "--hidden", "--max-memory"]),
    (["train", "adding", "--hidden", "1000000"], ["--hidden", "--max-memory"]),
    (["lm", "--hidden", "1000000"], ["--hidden", "--max-memory"]),
    (["bound", "--T", "100000", "--trials", "1000000"], ["--trials", "--max-memory"]),
    (["gradients", "--T", "100000", "--max-memory", "1M"], ["1 MB", "--max-memory"]),
    (["embeddings", "--vocab-sizes", "1000000", "--dim", "100000"], ["--dim"]),
    (["compile", str(Path(__file__).parents[2] / "examples" / "specs" / "parity.json"), "--max-memory", "1M"],
     ["number of states", "--max-memory"]),
])
def test_runs_too_large_for_memory_are_refused_before_work(capsys: pytest.CaptureFixture[str], argv: list[str],
                                                          names: list[str]) -> None:
    line = one_line_exit_2(capsys, argv, *names)
    assert "needs about" in line and "limit" in line


def test_max_memory_raises_the_limit_too(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["gradients", "--T", "20", "--hidden", "3", "--max-memory", "1G", "--json"]) == 0
    capsys.readouterr()
    one_line_exit_2(capsys, ["gradients", "--max-memory", "lots"], "--max-memory")


def _net_file(tmp_path: Path, field: str, value: float) -> Path:
    d = get_net("all-ones").to_dict()
    d["layers"][0][field][0] = [value] if field in ("W", "U") else value
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(d))  # Python writes NaN / Infinity, which json.loads reads back
    return path


@pytest.mark.parametrize("field, value", [("W", math.nan), ("U", math.inf), ("b", -math.inf), ("h0", math.nan)])
@pytest.mark.parametrize("command", [["run", "{net}", "--input", "11"], ["verify", "{net}"]])
def test_net_files_with_non_finite_numbers_are_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                       field: str, value: float, command: list[str]) -> None:
    path = _net_file(tmp_path, field, value)
    line = one_line_exit_2(capsys, [c.format(net=path) for c in command], str(path), field)
    assert "finite" in line


def test_corrupt_and_missing_files_name_themselves(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "x.json"
    bad.write_text("{not json")
    one_line_exit_2(capsys, ["run", str(bad), "--input", "1"], str(bad))
    one_line_exit_2(capsys, ["compile", str(bad)], str(bad))
    one_line_exit_2(capsys, ["verify", str(tmp_path / "missing.json")], "missing.json")


def test_valid_keys_list_is_the_parsers_table(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from rnnlab.exact.automaton import VALID_KEYS

    spec = tmp_path / "s.json"
    spec.write_text(json.dumps({"alphabet": ["0", "1"], "states": ["a"], "start": "a", "accept": [],
                                "transitions": {"a": {"0": "a", "1": "a"}}, "colour": "red"}))
    line = one_line_exit_2(capsys, ["compile", str(spec)], "colour")
    for key in VALID_KEYS:  # every key the parser accepts is listed, including name, description, outputs
        assert key in line
    ok = json.loads(spec.read_text())
    del ok["colour"]
    for key in ("name", "description"):
        spec.write_text(json.dumps({**ok, key: "x"}))
        assert main(["compile", str(spec), "--json"]) == 0
        capsys.readouterr()


@pytest.mark.parametrize("command, default_name", [(["gradients", "--T", "5", "--hidden", "3"], "gradients.png"),
                                                   (["bound", "--trials", "2", "--T", "4", "--hidden", "3"],
                                                    "bound.png")])
def test_plot_into_a_folder_writes_inside_it(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                             command: list[str], default_name: str) -> None:
    folder = tmp_path / "figs"
    folder.mkdir()
    assert main([*command, "--plot", str(folder), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["plot"] == str(folder / default_name) and (folder / default_name).stat().st_size > 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["figs"]  # nothing beside the folder


class _PoisonedFromSecondBatch(Task):
    """The adding task whose training batches carry a NaN target from each run's second one on.

    Non-finite on every CPU: a NaN target makes the squared error NaN whatever kernels compute the forward pass
    (a huge learning rate overflows on one CPU and stays finite on another). A run is its data generator, so the
    batched trainer and the solo rerun that names the step see the same poisoned steps."""

    def batch(self, size: int, T: int, gen: torch.Generator) -> Batch:
        b = super().batch(size, T, gen)
        if size == POISON_BATCH:
            _POISONED_CALLS[id(gen)] = _POISONED_CALLS.get(id(gen), 0) + 1
            if _POISONED_CALLS[id(gen)] >= 2:
                b.y[0] = math.nan
        return b


POISON_BATCH = 3  # the --batch of the poisoned runs; other draws (T check, test sets) have other sizes
_POISONED_CALLS: dict[int, int] = {}  # training batches drawn, per data generator


@pytest.fixture
def poisoned_adding(monkeypatch: pytest.MonkeyPatch) -> None:
    from rnnlab.dynamics import batched, training
    from rnnlab.dynamics.tasks import get_task

    task = _PoisonedFromSecondBatch(**asdict(get_task("adding")))
    _POISONED_CALLS.clear()
    for module in (training, batched):
        monkeypatch.setattr(module, "get_task", lambda name: task)


@pytest.mark.parametrize("batch_flag", [[], ["--no-batch"]])
def test_training_stops_at_the_first_non_finite_step(capsys: pytest.CaptureFixture[str], poisoned_adding: None,
                                                     batch_flag: list[str]) -> None:
    argv = ["train", "adding", "--cell", "tanh", "--steps", "20", "--T", "5", "--hidden", "4",
            "--batch", str(POISON_BATCH), *batch_flag]
    assert main(argv) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "step 2" in err[0] and "not finite" in err[0], err
    # experiment B's semantics on request: the non-finite steps are skipped and counted, the run finishes
    _POISONED_CALLS.clear()
    assert main([*argv, "--nonfinite", "skip", "--json"]) == 0
    run = json.loads(capsys.readouterr().out)["runs"][0]
    assert run["nonfinite_skipped"] == 19 and run["steps_run"] == 20


def test_training_with_finite_data_is_not_stopped(capsys: pytest.CaptureFixture[str]) -> None:
    """The stop above is the data's doing: the same run on the task as it is trains to the end."""
    argv = ["train", "adding", "--cell", "tanh", "--steps", "20", "--T", "5", "--hidden", "4",
            "--batch", str(POISON_BATCH), "--json"]
    assert main(argv) == 0
    run = json.loads(capsys.readouterr().out)["runs"][0]
    assert run["nonfinite_skipped"] == 0 and run["steps_run"] == 20


class _InfiniteGradient(torch.autograd.Function):
    """The identity forward, an infinite gradient backward: a finite loss whose gradient is not finite."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor) -> torch.Tensor:  # noqa: ANN401
        return x.clone()

    @staticmethod
    def backward(ctx: Any, g: torch.Tensor) -> torch.Tensor:  # noqa: ANN401
        return g * math.inf


@pytest.mark.parametrize("poison, what", [
    (lambda loss: loss * math.nan, "the loss is nan"),
    (_InfiniteGradient.apply, "the gradient norm is"),
])
def test_lm_stops_at_the_first_non_finite_step(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                                               poison: Callable[[torch.Tensor], torch.Tensor], what: str) -> None:
    from rnnlab.generation import lm

    real, calls = lm.train_step_loss, []

    def poisoned_from_step_3(*args: Any) -> torch.Tensor:  # noqa: ANN401
        calls.append(1)
        loss = real(*args)
        return poison(loss) if len(calls) >= 3 else loss

    argv = ["lm", "--time-budget", "0", "--steps", "5", "--hidden", "8", "--batch", "2", "--seq-len", "8",
            "--eval-windows", "2", "--sample-len", "3", "--threads", "1"]
    assert main(argv) == 0  # the run as it is trains to the end
    capsys.readouterr()
    monkeypatch.setattr(lm, "train_step_loss", poisoned_from_step_3)
    assert main(argv) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "training stopped at step 3" in err[0] and what in err[0], err


def test_lm_default_prompt_comes_from_the_data(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    data = tmp_path / "digits.txt"
    data.write_text("0123456789\n" * 400)  # no letter of ROMEO: in it
    argv = ["lm", "--data", str(data), "--time-budget", "0", "--steps", "2", "--hidden", "8", "--batch", "2",
            "--seq-len", "8", "--eval-windows", "2", "--sample-len", "4", "--threads", "1", "--json"]
    assert main(argv) == 0
    sample = json.loads(capsys.readouterr().out)["sample"]
    assert set(sample) <= set("0123456789\n") and len(sample) >= 5
    line = one_line_exit_2(capsys, [*argv, "--prompt", "ROMEO:"], "--prompt")
    assert "'R'" in line or "R" in line


@pytest.mark.slow
def test_compile_a_ten_thousand_state_dfa(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from rnnlab.exact.automaton import random_dfa

    spec = tmp_path / "big.json"
    spec.write_text(json.dumps(random_dfa(10_000, ["0", "1"], 0).to_dict()))
    assert main(["compile", str(spec), "--out", str(tmp_path / "net.json"), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["holds"] and out["states"] == 10_000
    assert main(["verify", str(tmp_path / "net.json"), "--max-len", "0", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["holds"]


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc")
def test_sweep_fork_server_ignores_ctrl_c() -> None:
    # A Ctrl-C reaches the whole terminal group; the fork server (and the workers it forks) must leave it to the
    # sweep process, else a worker still importing prints a traceback under "rnnlab: interrupted".
    code = ("import multiprocessing.forkserver as f\n"
            "from rnnlab.sweep.runner import _start_fork_server\n"
            "_start_fork_server()\n"
            "pid = f._forkserver._forkserver_pid\n"
            "status = open(f'/proc/{pid}/status').read()\n"
            "print([int(l.split()[1], 16) for l in status.splitlines() if l.startswith('SigIgn:')][0])\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert int(out.stdout) & (1 << (signal.SIGINT - 1))


# --- net files, specs and output files that a user got wrong ------------------------------------------------


@pytest.fixture(scope="module")
def learned_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    from rnnlab.extract.languages import TOMITA
    from rnnlab.extract.learn import LearnConfig, learn

    folder = tmp_path_factory.mktemp("learned")
    paths = {}
    for cell in ("tanh", "gru", "lstm"):
        paths[cell] = folder / f"{cell}.json"
        learn(TOMITA["tomita4"], LearnConfig(cell=cell, hidden=2, steps=1, eval_every=1)).net.save(paths[cell])
    return paths


def _changed(tmp_path: Path, source: Path | dict[str, Any], change: Callable[[dict[str, Any]], Any]) -> Path:
    d = json.loads(source.read_text()) if isinstance(source, Path) else source
    change(d)
    path = tmp_path / "changed.json"
    path.write_text(json.dumps(d))
    return path


def test_a_weight_beyond_float32_is_refused_by_name_without_a_warning(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, learned_files: dict[str, Path]) -> None:
    # numpy's overflow warning (with a source path) came before the error; under pytest it is an exception
    path = _changed(tmp_path, learned_files["tanh"], lambda d: d["layers"][0]["W"][1].__setitem__(1, 1e39))
    line = one_line_exit_2(capsys, ["verify", str(path), "--max-len", "2"], str(path), "layers[0].W[1][1]")
    assert "1e+39" in line and "float32" in line
    one_line_exit_2(capsys, ["extract", str(path)], "layers[0].W[1][1]", "float32")
    v1 = get_net("all-ones").to_dict()  # float64 nets hold it
    v1["layers"][0]["b"][0] = 1e39
    assert main(["run", str(_changed(tmp_path, v1, lambda d: None)), "--input", "1"]) == 0
    capsys.readouterr()


@pytest.mark.parametrize("cell, change, names", [
    ("tanh", lambda d: d["readout"].__setitem__("c", [0.1]), ["readout.c", "must be a number", "a list"]),
    ("tanh", lambda d: d["readout"].pop("v"), ["readout.v", "missing", "list of numbers"]),
    ("tanh", lambda d: d["readout"].__setitem__("c", "0.1"), ["readout.c", "must be a number", "'0.1'"]),
    ("gru", lambda d: d["readout"].__setitem__("c", True), ["readout.c", "must be a number", "true"]),
    ("gru", lambda d: d["weights"]["W_hh"][2].__setitem__(0, "1"), ["weights.W_hh[2][0]", "'1'"]),
    ("gru", lambda d: d["weights"].__setitem__("b_ih", 0.0), ["weights.b_ih", "list of numbers"]),
    ("lstm", lambda d: d.pop("c0"), ["c0", "missing"]),
    ("lstm", lambda d: d["h0"].__setitem__(0, None), ["h0[0]", "null"]),
    ("tanh", lambda d: d["layers"][0]["activation"].__setitem__("kind", "relu"), ["layers[0].activation.kind",
                                                                                   "'tanh'"]),
    ("tanh", lambda d: d.__setitem__("alphabet", [0, 1]), ["alphabet[0]", "must be a string"]),
    ("tanh", lambda d: d.__setitem__("cell", "rnn"), ["cell", "'elman'", "'gru'"]),
    ("tanh", lambda d: d["layers"][0]["W"].append([0.0]), ["layers[0].W[2]", "same length"]),
])
def test_wrong_typed_fields_of_learned_nets_are_named_by_path(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, learned_files: dict[str, Path], cell: str,
        change: Callable[[dict[str, Any]], Any], names: list[str]) -> None:
    path = _changed(tmp_path, learned_files[cell], change)
    one_line_exit_2(capsys, ["run", str(path), "--input", "01"], str(path), *names)


@pytest.mark.parametrize("change, names", [
    (lambda d: d["layers"][0]["b"].__setitem__(0, "0.5"), ["layers[0].b[0]", "must be a number", "'0.5'"]),
    (lambda d: d["layers"][1]["U"].__setitem__(0, 1.0), ["layers[1].U[0]", "list of numbers"]),
    (lambda d: d["layers"][0]["activation"].__setitem__("threshold", "0"), ["layers[0].activation.threshold"]),
    (lambda d: d["layers"][0]["activation"].__setitem__("strict", 1), ["layers[0].activation.strict",
                                                                        "true or false"]),
    (lambda d: d["layers"][0]["activation"].__setitem__("gian", 2), ["layers[0].activation", "'gian'"]),
    (lambda d: d.__setitem__("inputs", "1"), ["inputs", "whole number"]),
    (lambda d: d.__setitem__("name", 7), ["name", "must be a string"]),
    (lambda d: d["layers"][0].pop("h0"), ["layers[0].h0", "missing"]),
    (lambda d: d["spec"].__setitem__("start", ["q0"]), ["spec.start", "must be a string"]),
    (lambda d: d.__setitem__("meta", []), ["meta", "an object"]),
])
def test_wrong_typed_fields_of_hand_wired_nets_are_named_by_path(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, change: Callable[[dict[str, Any]], Any],
        names: list[str]) -> None:
    path = _changed(tmp_path, get_net("adder").to_dict(), change)
    one_line_exit_2(capsys, ["verify", str(path)], str(path), *names)


def test_a_misspelt_spec_key_is_named_with_the_keys_allowed(capsys: pytest.CaptureFixture[str],
                                                            tmp_path: Path) -> None:
    spec = {"alphabet": ["0", "1"], "states": ["a"], "start": "a", "acept": ["a"],
            "transitions": {"a": {"0": "a", "1": "a"}}}
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(spec))
    line = one_line_exit_2(capsys, ["compile", str(path)], str(path), "'acept'", "did you mean 'accept'",
                           "missing 'accept'")
    assert "valid keys: alphabet, states, start, accept, transitions" in line


def test_spec_fields_of_the_wrong_type_are_named(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    spec = {"alphabet": ["0", "1"], "states": ["a", "b"], "start": "a", "accept": ["b"],
            "transitions": {"a": {"0": "a", "1": "b"}, "b": {"0": ["a"], "1": "b"}}}
    path = _changed(tmp_path, spec, lambda d: None)
    one_line_exit_2(capsys, ["compile", str(path)], 'transitions.b["0"]', "must be a string", "a list")
    path = _changed(tmp_path, spec, lambda d: d.__setitem__("accept", "b"))
    one_line_exit_2(capsys, ["compile", str(path)], "accept", "must be a list")


def _torch_file(path: Path, legacy: bool = False) -> Path:
    import torch

    torch.save({"weight": torch.zeros(2, 2)}, path, _use_new_zipfile_serialization=not legacy)
    return path


@pytest.mark.parametrize("make, names", [
    (lambda p: _torch_file(p / "model.pt"), ["'model.pt' is a PyTorch file (torch.save)", "not an rnnlab net file"]),
    (lambda p: _torch_file(p / "old.pt", legacy=True), ["PyTorch file", "legacy"]),
    (lambda p: Path(__file__).parents[2] / "examples" / "specs" / "parity.json",
     ["automaton spec", "rnnlab compile", "--out NET.json"]),
    (lambda p: _write(p / "other.json", b'{"format": "rnnlab-certificate/2"}'), ["\"rnnlab-certificate/2\"",
                                                                                  "rnnlab-net/1"]),
    (lambda p: _write(p / "list.json", b"[1, 2]"), ["a list", "rnnlab-net/2"]),
    (lambda p: _write(p / "noise.bin", bytes(range(256))), ["binary file"]),
    (lambda p: _write(p / "latin1.json", "{\"name\": \"caf\u00e9\"}".encode("latin-1")), ["not UTF-8"]),
    (lambda p: p, ["is a folder"]),
])
def test_files_that_are_not_nets_say_what_they_are(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch, make: Callable[[Path], Path],
                                                   names: list[str]) -> None:
    monkeypatch.chdir(tmp_path)
    path = make(Path("."))
    for command in (["verify", str(path)], ["extract", str(path)], ["run", str(path), "--input", "1"]):
        line = one_line_exit_2(capsys, command, *names)
        assert "unknown net" not in line and line.count("built-in nets") == 0


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("command", [["verify"], ["extract"], ["run", "--input", "1"]])
def test_an_unknown_net_lists_the_built_in_nets_once(capsys: pytest.CaptureFixture[str], command: list[str]) -> None:
    argv = [command[0], "no-such-net", *command[1:]]
    line = one_line_exit_2(capsys, argv, "unknown net 'no-such-net'", "all-ones")
    assert line.count("built-in nets") == 1 and line.count("all-ones,") == 1


def test_a_net_file_is_read_whatever_its_name(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "all-ones.net"
    get_net("all-ones").save(path)
    assert main(["run", str(path), "--input", "110", "--json"]) == 0
    capsys.readouterr()


def test_a_full_disk_names_the_file_being_written(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    import errno
    import os

    out = tmp_path / "dfa.json"
    out.write_text("the earlier DFA\n")

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr("rnnlab.files.os.fsync", full)
    line = one_line_exit_2(capsys, ["extract", "all-ones", "--time-limit", "0.1", "--out", str(out)],
                           f"cannot write {str(out)!r}", "No space left on device")
    assert "Errno" not in line
    assert out.read_text() == "the earlier DFA\n" and sorted(p.name for p in tmp_path.iterdir()) == ["dfa.json"]
