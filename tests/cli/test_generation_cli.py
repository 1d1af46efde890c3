"""rnnlab schedule / lm / exposure / embeddings through main(argv), with bad input."""

import json
import math
from pathlib import Path

import pytest

from rnnlab.cli.main import main

TINY_LM = ["--hidden", "16", "--embed", "8", "--time-budget", "0", "--steps", "4", "--batch", "4", "--seq-len", "16",
           "--eval-windows", "8", "--sample-len", "12", "--fp32"]


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict:  # type: ignore[type-arg]
    assert main([*argv, "--json"]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1  # one JSON object on one line
    return json.loads(out)


def bad(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert main(list(argv)) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    return err


def test_schedule_json_values(capsys: pytest.CaptureFixture[str]) -> None:
    d = run_json(capsys, "schedule", "linear", "--k", "1", "--c", "0.001", "--eps-min", "0.1", "--steps", "0,100,1000")
    assert d["decay"] == "linear" and d["eps"] == [1.0, 1.0 - 0.001 * 100, 0.1]
    d = run_json(capsys, "schedule", "inverse-sigmoid", "--k", "100", "--steps", "0,500")
    assert d["eps"] == [100 / (100 + math.exp(0)), pytest.approx(100 / (100 + math.exp(5)))]
    d = run_json(capsys, "schedule", "exponential", "--k", "0.5", "--steps", "0,1,2,3")
    assert d["eps"] == [1.0, 0.5, 0.25, 0.125]


def test_schedule_text_and_plot(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    png = tmp_path / "eps.png"
    assert main(["schedule", "exponential", "--k", "0.99", "--steps", "0,10", "--plot", str(png)]) == 0
    assert "0.904382" in capsys.readouterr().out and png.stat().st_size > 1000


@pytest.mark.parametrize("argv", [
    ["schedule", "cosine"],
    ["schedule", "exponential", "--k", "1.5"],
    ["schedule", "inverse-sigmoid", "--k", "0.5"],
    ["schedule", "linear", "--eps-min", "2"],
    ["schedule", "linear", "--steps", "a,b"],
    ["lm", "--strategy", "beam"],
    ["lm", "--strategy", "scheduled:cosine"],
    ["lm", "--strategy", "scheduled:exponential", "--k", "2"],
    ["lm", "--data", "/no/such/file.txt"],
    ["exposure", "--strategies", "teacher,greedy"],
    ["exposure", "--seeds", "x"],
])
def test_bad_input_is_one_line_exit_2(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    bad(capsys, *argv)


def test_lm_bad_data_files(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    assert "empty" in bad(capsys, "lm", "--data", str(empty))
    assert "not a file" in bad(capsys, "lm", "--data", str(tmp_path))
    binary = tmp_path / "b.txt"
    binary.write_bytes(b"\xff\xfe\xfd")
    assert "UTF-8" in bad(capsys, "lm", "--data", str(binary))
    junk = tmp_path / "junk.pt"
    junk.write_text("junk")
    assert "checkpoint" in bad(capsys, "lm", "--load", str(junk))


def test_lm_trains_saves_loads_and_samples(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    ckpt = tmp_path / "m.pt"
    d = run_json(capsys, "lm", *TINY_LM, "--save", str(ckpt), "--prompt", "ROMEO:")
    for key in ("val_nll", "val_nll_streaming", "tokens_per_s", "curve", "exposure", "sample", "wall_s"):
        assert key in d
    assert 0 < d["val_nll"] < 6 and d["steps"] == 4 and d["sample"].startswith("ROMEO:")
    assert {"tf_nll", "fr_nll", "gap_nll"} <= set(d["exposure"])
    again = run_json(capsys, "lm", "--load", str(ckpt), "--eval-windows", "8", "--sample-len", "12")
    assert again["val_nll"] == d["val_nll"] and again["sample"] == d["sample"]


def test_lm_scheduled_and_word_level(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    d = run_json(capsys, "lm", *TINY_LM, "--strategy", "scheduled:inverse-sigmoid", "--cell", "lstm")
    assert d["strategy"] == "scheduled:inverse-sigmoid" and d["config"]["cell"] == "lstm"
    text = tmp_path / "t.txt"
    text.write_text("the cat sat on the mat . " * 200)
    d = run_json(capsys, "lm", *TINY_LM, "--data", str(text), "--level", "word", "--cell", "rnn", "--prompt", "the")
    assert d["level"] == "word" and d["val_nll"] < 6


def test_lm_human_output(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lm", *TINY_LM]) == 0
    out = capsys.readouterr().out
    assert "val_nll" in out and "val_nll_streaming" in out and "tokens/s" in out


def test_exposure_tiny(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    d = run_json(capsys, "exposure", "--seeds", "0,1", "--steps", "6", "--hidden", "8", "--out", str(tmp_path),
                 "--strategies", "teacher,free,scheduled:linear")
    assert set(d["table"]) == {"teacher", "free", "scheduled:linear"} and len(d["runs"]) == 6
    assert d["primary_metric"] == "kl_own" and Path(d["figures"]["by_position"]).exists()
    assert main(["exposure", "--seeds", "0", "--steps", "4", "--hidden", "8", "--out", str(tmp_path),
                 "--strategies", "teacher,scheduled:exponential", "--source", "tinyshakespeare"]) == 0
    assert "fr_nll" in capsys.readouterr().out


def test_embeddings(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    text = tmp_path / "t.txt"
    text.write_text("the king and the queen rode . the king and the lord spoke of love and night . " * 40)
    small = ["--vocab-sizes", "10,1000", "--epochs", "1", "--data", str(text)]
    d = run_json(capsys, "embeddings", *small, "--words", "king,love")
    assert d["equal"] is True and d["one_hot_max_cosine"] == 0.0
    assert d["growth"]["embedding_outputs_unchanged"] is True and not d["growth"]["old_inputs_fit_new_layer"]
    assert len(d["neighbours"]["king"]) == 5
    assert "not among" in bad(capsys, "embeddings", *small, "--words", "qwertyuiop")
    assert main(["embeddings", *small, "--words", "king"]) == 0
    out = capsys.readouterr().out
    assert "(1)" in out and "(2)" in out and "(3)" in out
