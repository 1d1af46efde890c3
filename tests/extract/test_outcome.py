"""`rnnlab extract`'s outcome: the status, the first line and the exit code for every combination of proof found or
not, input found or not, with and without --against, against a truth table written out here. Subjects: compiled
nets (their languages are known), one wrong only after 30 ones; the proof is made to fail where a combination needs
no proof, and the fake clock (`fake_clock`) stops L* with a counterexample in hand where one needs that."""

from __future__ import annotations

import functools
import itertools
import json

import numpy as np
import pytest
from fake_clock import FakeClock
from learned_nets import loses_count_at

import rnnlab.cli.extract as cli_extract
import rnnlab.extract.lstar as lstar
from rnnlab.cli.main import main
from rnnlab.exact.automaton import Automaton
from rnnlab.exact.compiler import compile_dfa
from rnnlab.extract import certify
from rnnlab.extract.languages import TOMITA
from rnnlab.extract.lstar import STATUSES, ExtractConfig, decide, dfa_outputs, extract
from rnnlab.extract.machine import Machine

PARITY = "examples/specs/parity.json"

# (target given, proof of the DFA found, an input where the net and the DFA differ, implements) -> status
TRUTH = {
    (False, True, False, None): "certified",
    (False, False, True, None): "counterexample",
    (False, False, False, None): "unknown",
    (True, True, False, True): "certified",
    (True, True, False, False): "wrong",  # the DFA is the net's and differs from the target
    (True, False, False, False): "wrong",
    (True, False, True, False): "wrong",  # the DFA's counterexample does not matter: the net is wrong
    (True, False, True, None): "unknown",  # nor here: the target is undecided
    (True, False, False, None): "unknown",
}


@pytest.mark.parametrize("key", list(TRUTH))
def test_decide_follows_the_truth_table(key: tuple[bool, bool, bool, bool | None]) -> None:
    target, certified, differs, implements = key
    assert decide(certified, differs, target, implements) == TRUTH[key]
    assert TRUTH[key] in STATUSES


def test_every_status_is_reachable() -> None:
    seen = {decide(c, d, t, i) for c, d, t, i in itertools.product([False, True], [False, True], [False, True],
                                                                     [None, True, False])}
    assert seen == set(STATUSES)


def _no_proof(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lstar, "search", lambda m, dfa, *a, **k: certify.Failure(dfa.start, "made to fail"))


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[str], dict]:
    """Exit code, the plain lines, and the --json object of the same run."""
    rc = main([*argv, "--time-limit", "20"])
    lines = capsys.readouterr().out.splitlines()
    rc_json = main([*argv, "--time-limit", "20", "--json"])
    assert rc_json == rc
    return rc, lines, json.loads(capsys.readouterr().out)


@pytest.fixture(scope="module")
def nets(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("nets")
    paths = {}
    for name, spec in (("parity", Automaton.load(PARITY)), ("loses", loses_count_at(30))):
        paths[name] = str(folder / f"{name}.json")
        compile_dfa(spec, "sigmoid").save(paths[name])
    return paths


def _net_wrong_there(path: str, spec_name: str, word: str) -> bool:
    from rnnlab.extract.model import load_any

    w = np.array([[int(c) for c in word]])
    got, _ = Machine(load_any(path)).run(w)
    return bool(got[0, -1] != dfa_outputs(TOMITA[spec_name], w)[0][0, -1])


def test_without_target_proof_found(nets: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    rc, lines, js = _cli(capsys, "extract", nets["parity"])
    assert rc == 0 and js["status"] == "certified" and js["ok"] is True and js["dfa_certified"] is True
    assert lines[0] == f"{nets['parity']}: certified: a 2-state DFA, proved equal to the net for inputs of every length"


def test_without_target_no_proof_no_difference(nets: dict[str, str], capsys: pytest.CaptureFixture[str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    _no_proof(monkeypatch)
    rc, lines, js = _cli(capsys, "extract", nets["parity"])
    assert rc == 1 and js["status"] == "unknown" and js["wrong_input"] is None and js["dfa_certified"] is False
    assert lines[0] == f"{nets['parity']}: unknown: a 2-state DFA, not proved: every input up to length 12 agrees"
    assert "made to fail" in js["reason"]


def test_without_target_a_counterexample_in_hand(nets: dict[str, str], clock: FakeClock,
                                                 capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """The limit falls while L* still holds a first DFA that the net is known to differ from. On the fake clock
    some limit in a range does that; its status, first line and exit code are checked."""
    net = compile_dfa(loses_count_at(30), "sigmoid")
    limits = [x / 100 for x in range(10, 60)]  # the CLI allows 0.1 s and up
    found = [lim for lim in limits
             if extract(net, ExtractConfig(time_limit=lim), None, clock=clock).status == "counterexample"]
    assert found
    monkeypatch.setattr(cli_extract, "extract", functools.partial(extract, clock=clock))
    monkeypatch.setattr(cli_extract, "_since_start", lambda: 0.0)
    rc = main(["extract", nets["loses"], "--time-limit", str(found[0]), "--json"])
    js = json.loads(capsys.readouterr().out)
    rc_text = main(["extract", nets["loses"], "--time-limit", str(found[0])])
    lines = capsys.readouterr().out.splitlines()
    assert rc == rc_text == 1 and js["status"] == "counterexample" and js["dfa_certified"] is False
    word = js["wrong_input"]
    assert word == js["dfa_counterexample"] and js["out_of_time"]
    assert lines[0].startswith(f"{nets['loses']}: counterexample: the net and its last ") and f"{word!r}" in lines[0]
    dfa = Automaton.from_dict(js["dfa"])  # the net and the DFA really differ there
    w = np.array([[int(c) for c in word]])
    got, _ = Machine(net).run(w)
    assert got[0, -1] != dfa_outputs(dfa, w)[0][0, -1]


def test_with_target_proof_found_and_equal(nets: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    rc, lines, js = _cli(capsys, "extract", nets["parity"], "--against", PARITY)
    assert rc == 0 and js["status"] == "certified" and js["implements"] is True
    assert lines[0].startswith(f"{nets['parity']}: certified: implements {PARITY} for inputs of every length")


def test_with_target_proof_found_and_different(nets: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    rc, lines, js = _cli(capsys, "extract", nets["parity"], "--against", "tomita1")
    assert rc == 1 and js["status"] == "wrong" and js["implements"] is False and js["dfa_certified"] is True
    word = js["wrong_input"]
    assert lines[0] == (f"{nets['parity']}: wrong: does not implement tomita1: wrong on input {word!r} (where the "
                        "DFA differs from tomita1, checked by running the net)")
    assert _net_wrong_there(nets["parity"], "tomita1", word)


def test_with_target_no_proof_and_the_net_wrong(nets: dict[str, str], capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """The defect: the outcome read "unknown" while the same output said the net is wrong on an input. A net
    wrong only after 30 ones, its proof made to fail: the answer is no, and the status and exit code say so."""
    _no_proof(monkeypatch)
    rc, lines, js = _cli(capsys, "extract", nets["loses"], "--against", "tomita1")
    assert js["status"] == "wrong" and rc == 1 and js["implements"] is False and js["dfa_certified"] is False
    word = js["wrong_input"]
    assert word == "1" * 31 and _net_wrong_there(nets["loses"], "tomita1", word)
    assert lines[0].startswith(f"{nets['loses']}: wrong: does not implement tomita1: wrong on input {word!r}")
    assert not any("unknown" in line or "undecided" in line for line in lines)


def test_with_target_no_proof_nothing_wrong(nets: dict[str, str], capsys: pytest.CaptureFixture[str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    _no_proof(monkeypatch)
    rc, lines, js = _cli(capsys, "extract", nets["parity"], "--against", PARITY)
    assert rc == 1 and js["status"] == "unknown" and js["implements"] is None and js["wrong_input"] is None
    assert lines[0] == (f"{nets['parity']}: unknown: does it implement {PARITY}? undecided: no proof, and no input "
                        "where it is wrong")


def test_help_lists_every_combination(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["extract", "--help"]) == 0
    text = capsys.readouterr().out
    for status in STATUSES:
        assert f"NET: {status}:" in text
    assert text.count("exit 0") == 2 and text.count("exit 1") == 5


def test_the_time_line_names_every_phase(nets: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    rc, lines, js = _cli(capsys, "extract", nets["parity"], "--against", PARITY)
    assert set(js["phases"]) == set(lstar.PHASES) and js["time_limit"] == 20.0
    assert abs(sum(js["phases"].values()) - js["seconds"]) < 1e-6
    (time_line,) = [line for line in lines if line.startswith("  time: ")]
    for label in ("start-up and loading", "L* queries", "equivalence tests", "proof search", "counterexample hunt",
                  "final check"):
        assert label in time_line
