"""`rnnlab run NET --inputs FILE` streamed: the same stdout as the whole file run at once (the oracle: every input
encoded symbol by symbol and run alone, printed as the command printed it before it streamed), whatever the
chunk size; a bad line anywhere gives exit 2, one stderr line and no stdout; stdout stays one line per input
with a progress bar on a terminal, and a pipe can be the file."""

from __future__ import annotations

import itertools
import json
import os
import pty
import random
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from rnnlab.cli import exact as exact_cli
from rnnlab.cli.main import main
from rnnlab.core.activations import IDENTITY, step
from rnnlab.exact.net import Net, layer
from rnnlab.exact.sheet import get_net
from rnnlab.extract import batch
from rnnlab.extract.model import LearnedNet
from rnnlab.files import json_text

SRC = Path(__file__).parents[2] / "src"


def gru(alphabet: tuple[str, ...], seed: int, hidden: int = 4) -> LearnedNet:
    rng = np.random.default_rng(seed)
    G, A = 3, len(alphabet)
    weights = {"W_ih": rng.normal(size=(G * hidden, A)) * 2, "W_hh": rng.normal(size=(G * hidden, hidden)),
               "b_ih": rng.normal(size=G * hidden), "b_hh": rng.normal(size=G * hidden)}
    return LearnedNet(f"gru-{A}", "gru", alphabet, (), {k: v.astype(np.float32) for k, v in weights.items()},
                      np.zeros(hidden, dtype=np.float32), np.zeros(0, dtype=np.float32),
                      rng.normal(size=hidden).astype(np.float32), 0.1)


def two_outputs() -> Net:
    """rnnlab-net/1 with two output units: y1 = every bit so far is 1, y2 = the bit just read."""
    return Net("two-outputs", 1, (layer("h", [[1]], [[1]], [-1.5], step(0.5, strict=False), h0=[1]),
                                  layer("y", [[0, 0], [0, 0]], [[0, 1], [1, 0]], [0, 0], IDENTITY)))


NETS: dict[str, Any] = {
    "trained": gru(("a", "b", "c"), 0),
    "pairs": gru(("00", "01", "10", "11"), 1),
    "adder": "adder",  # built in, two sequences
    "two-outputs": two_outputs(),
}


@pytest.fixture(scope="module")
def net_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("nets")
    out = {}
    for key, net in NETS.items():
        if isinstance(net, str):
            out[key] = net
            continue
        out[key] = str(folder / f"{key}.json")
        net.save(out[key])
    return out


TIE = 1e-4  # float32 logits this close to 0 may round either way when batched differently (CPU kernels differ)


def _near_tie(net: LearnedNet, text: str) -> bool:
    x1, _, x2 = text.partition(",")
    word = [net.alphabet.index(a + b) for a, b in zip(x1, x2, strict=True)] if x2 else \
        [net.alphabet.index(a) for a in x1]
    return bool((np.abs(net.logits(np.array([word]))) < TIE).any())


def mixed_inputs(key: str, n: int = 120) -> list[str]:
    """Inputs of lengths 1..40 in random order, as written; for trained nets none with an output near a tie, so
    that the comparison of batched and one-at-a-time outputs holds on every CPU."""
    rng = random.Random(key)
    net = NETS[key]
    out: list[str] = []
    while len(out) < n:
        T = rng.choice([1, 2, 3, rng.randint(1, 40)])
        if isinstance(net, LearnedNet) and len(net.alphabet[0]) == 1:
            out.append("".join(rng.choice(net.alphabet) for _ in range(T)))
        elif key in ("pairs", "adder"):
            out.append("".join(rng.choice("01") for _ in range(T)) + "," + "".join(rng.choice("01") for _ in range(T)))
        else:
            out.append("".join(rng.choice("01") for _ in range(T)))
        if isinstance(net, LearnedNet) and _near_tie(net, out[-1]):
            out.pop()
    return out


def alone(key: str, text: str) -> list[Any]:
    """The outputs after every prefix, the input encoded one symbol at a time and run by itself."""
    net = get_net(NETS[key]) if isinstance(NETS[key], str) else NETS[key]
    x1, _, x2 = text.partition(",")
    if isinstance(net, LearnedNet):
        word = [net.alphabet.index(a + b) for a, b in zip(x1, x2, strict=True)] if x2 else \
            [net.alphabet.index(a) for a in x1]
        return (net.logits(np.array([word])) > 0)[0].astype(int).tolist()
    bits = [[int(a), int(b)] for a, b in zip(x1, x2, strict=True)] if x2 else [[int(a)] for a in x1]
    with torch.no_grad():
        y = (net.run(torch.tensor([bits], dtype=torch.float64)).y[0] > 0.5).to(torch.int64).tolist()
    return [row[0] if len(row) == 1 else row for row in y]


def whole_file_text(key: str, inputs: list[str]) -> str:
    """What `run --inputs` printed when it ran the whole file at once."""
    width = max(map(len, inputs))
    return "".join(f"{x:<{width}}  " + "".join(str(v) if isinstance(v, int) else "(" + "".join(map(str, v)) + ")"
                                               for v in alone(key, x)) + "\n" for x in inputs)


def whole_file_json(key: str, inputs: list[str]) -> str:
    name = get_net(NETS[key]).name if isinstance(NETS[key], str) else NETS[key].name
    return json_text({"net": name, "runs": [{"input": x, "y": alone(key, x)} for x in inputs]}) + "\n"


def cli(capsys: pytest.CaptureFixture[str], *argv: Any) -> tuple[int, str, str]:
    rc = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return rc, out, err


def write(path: Path, inputs: list[str]) -> Path:
    """The inputs one a line, with comments, blank lines and spaces about."""
    lines = ["# inputs"]
    for i, x in enumerate(inputs):
        lines.append(f"  {x.replace(',', ' , ')} " if i % 7 == 0 else x)
        if i % 11 == 0:
            lines += ["", "# more"]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("key", list(NETS))
@pytest.mark.parametrize("chunk_symbols", [1, 37, 10**6])
def test_the_same_lines_and_json_as_the_whole_file_run_at_once(
        key: str, chunk_symbols: int, net_files: dict[str, str], tmp_path: Path,
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(exact_cli, "CHUNK_SYMBOLS", chunk_symbols)
    inputs = mixed_inputs(key)
    f = write(tmp_path / "in.txt", inputs)
    rc, out, err = cli(capsys, "run", net_files[key], "--inputs", f)
    assert rc == 0 and not err, err
    assert out == whole_file_text(key, inputs)
    rc, out, err = cli(capsys, "run", net_files[key], "--inputs", f, "--json")
    assert rc == 0 and not err, err
    assert out == whole_file_json(key, inputs)
    assert [r["input"] for r in json.loads(out)["runs"]] == inputs


@pytest.mark.parametrize("as_json", [False, True])
def test_each_chunks_lines_are_printed_before_the_next_chunk_runs(
        as_json: bool, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(exact_cli, "CHUNK_SYMBOLS", 16)  # 4 inputs of 4 steps a chunk
    f = tmp_path / "in.txt"
    f.write_text("0110\n1111\n" * 6)
    printed: list[str] = []  # stdout so far, each time a chunk starts to run
    run = batch.outputs

    def noted(*args: Any, **kwargs: Any) -> list[np.ndarray]:
        printed.append(capsys.readouterr().out)
        return run(*args, **kwargs)

    monkeypatch.setattr(batch, "outputs", noted)
    assert main(["run", "all-ones", "--inputs", str(f), *(["--json"] if as_json else [])]) == 0
    printed.append(capsys.readouterr().out)
    so_far = list(itertools.accumulate(printed))
    assert len(printed) == 4  # three chunks, then the end
    if as_json:
        assert so_far[1].startswith('{"net": "all-ones", "runs": [{"input": "0110", "y": [0, 0, 0, 0]}, ')
        assert so_far[1].count('"input"') == 4 and so_far[2].count('"input"') == 8
        assert json.loads(so_far[3])["runs"][-1] == {"input": "1111", "y": [1, 1, 1, 1]}
    else:
        assert [text.count("\n") for text in so_far] == [0, 4, 8, 12]


@pytest.mark.parametrize("as_json", [False, True])
@pytest.mark.parametrize("bad,names", [("0120", ("line 503", "'2'", "step 3")), ("01,1", ("line 503", "x2")),
                                       ("01,10", ("line 503", "one sequence"))])
def test_a_bad_line_late_in_the_file_prints_nothing_but_one_error_line(
        bad: str, names: tuple[str, ...], as_json: bool, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(exact_cli, "CHUNK_SYMBOLS", 16)  # the bad line is many chunks in
    f = tmp_path / "in.txt"
    f.write_text("0110\n" * 502 + f"{bad}\n" + "1\n" * 10)
    rc, out, err = cli(capsys, "run", "all-ones", "--inputs", f, *(["--json"] if as_json else []))
    lines = err.strip().splitlines()
    assert rc == 2 and out == "" and len(lines) == 1 and lines[0].startswith("rnnlab: error:"), (rc, out, err)
    assert all(name in lines[0] for name in (*names, "--inputs", str(f))), lines[0]


def test_more_inputs_than_the_old_cap_of_a_million(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "many.txt"
    f.write_bytes(b"1\n" * 1_000_001 + b"10\n")
    rc, out, err = cli(capsys, "run", "all-ones", "--inputs", f)
    assert rc == 0 and not err, err
    assert out.count("\n") == 1_000_002 and out.startswith("1   1\n") and out.endswith("\n10  10\n")


def test_help_states_the_memory_bound(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = cli(capsys, "run", "--help")
    text = " ".join(out.split())
    assert rc == 0 and "2,097,152" in text and "whatever the file's size" in text


def rnnlab(args: list[str], **kw: Any) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(SRC), "COLUMNS": "80"}
    return subprocess.Popen([sys.executable, "-m", "rnnlab", *args], env=env, **kw)


def on_a_terminal(args: list[str], stdout_too: bool) -> tuple[int, bytes, bytes]:
    """Run rnnlab with stderr (and stdout, if stdout_too) on a pseudo-terminal: (exit status, stdout, what the
    terminal got)."""
    leader, follower = pty.openpty()
    seen: list[bytes] = []

    def drain() -> None:  # the terminal's side: read all it gets, so that writes to it never block
        try:
            while chunk := os.read(leader, 65536):
                seen.append(chunk)
        except OSError:
            pass

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    p = rnnlab(args, stdout=follower if stdout_too else subprocess.PIPE, stderr=follower)
    os.close(follower)
    out, _ = p.communicate(timeout=300)
    reader.join(timeout=10)
    os.close(leader)
    return p.returncode, out or b"", b"".join(seen)


def test_a_progress_bar_in_bytes_on_a_terminal_and_stdout_one_line_per_input(tmp_path: Path) -> None:
    f = tmp_path / "in.txt"
    f.write_text("0110\n1\n111\n" * 20_000)
    rc, out, terminal = on_a_terminal(["run", "all-ones", "--inputs", str(f)], stdout_too=False)
    assert rc == 0 and out.decode().splitlines()[:3] == ["0110  0000", "1     1", "111   111"]
    assert out.count(b"\n") == 60_000
    assert f"check {f}".encode() in terminal and f"run {f}".encode() in terminal and b"kB" in terminal
    # stdout the same terminal: the lines show the progress, and no bar is drawn across them
    rc, _, terminal = on_a_terminal(["run", "all-ones", "--inputs", str(f)], stdout_too=True)
    assert rc == 0 and terminal.count(b"\n") >= 60_000 and f"run {f}".encode() not in terminal
    assert b"Traceback" not in terminal


def test_a_pipe_can_be_the_file() -> None:
    p = rnnlab(["run", "equality", "--inputs", "/dev/stdin"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
               stderr=subprocess.PIPE)
    out, err = p.communicate(b"01,01\n0110,0111\n", timeout=120)
    assert p.returncode == 0 and not err, err
    assert out.decode() == "01,01      11\n0110,0111  1110\n"


def test_a_named_fifo_can_be_the_file(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)

    def feed() -> None:  # opening blocks until the command opens the FIFO to read
        with open(fifo, "wb") as f:
            f.write(b"01\n111\n")

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    p = rnnlab(["run", "all-ones", "--inputs", str(fifo)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = p.communicate(timeout=120)
    assert p.returncode == 0 and not err, err
    assert out.decode() == "01   00\n111  111\n"
