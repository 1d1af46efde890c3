"""`extract`'s time limit, on a fake clock that advances only when the net or the proof works (`fake_clock`): the
run is the same on any machine, and the limit can be checked exactly: nothing starts after it, and the end overruns
it by at most one unit of work (one step of a batched run, one single step, one box's images)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from fake_clock import IMAGE, RUN, RUN_STEP, STEP, FakeClock
from learned_nets import loses_count_at

from rnnlab.exact.compiler import compile_dfa
from rnnlab.extract import certify
from rnnlab.extract.languages import TOMITA
from rnnlab.extract.lstar import EXHAUSTIVE_WORDS, PHASES, ExtractConfig, ExtractResult, extract
from rnnlab.extract.machine import Machine


def _bounded(r: ExtractResult, clock: FakeClock, t0: float, limit: float) -> None:
    """The limit holds: the result's time is the clock's, its phases add up to it, no work starts after the
    limit, and the end is past it by at most the last unit of work begun before it."""
    assert r.seconds == pytest.approx(clock.t - t0)
    assert set(r.phases) == set(PHASES) and sum(r.phases.values()) == pytest.approx(r.seconds)
    end = t0 + limit
    assert not [u for u in clock.units if u[0] >= end], "work started after the limit"
    # so the overrun is the last unit's: one step of a batched run (of at most EXHAUSTIVE_WORDS inputs, the
    # largest batch), one single step, or one image
    one_unit = max(RUN_STEP + clock.run * EXHAUSTIVE_WORDS, STEP, IMAGE)
    assert max(cost for _, cost, _ in clock.units) <= one_unit
    assert clock.t - end <= one_unit


# The limits put the end in different phases: L*'s queries, the tests, the proof, the hunt, the final check.
@pytest.mark.parametrize("limit", [0.2, 0.5, 1.0, 2.0, 4.0, 8.0])
@pytest.mark.parametrize("with_target", [False, True])
def test_the_limit_holds_in_every_phase(limit: float, with_target: bool, clock: FakeClock) -> None:
    net = compile_dfa(loses_count_at(30), "sigmoid")
    t0 = clock()
    r = extract(net, ExtractConfig(time_limit=limit, random_words=300), TOMITA["tomita1"] if with_target else None,
                clock=clock)
    _bounded(r, clock, t0, limit)
    assert r.time_limit == limit
    assert set(r.out_of_time) <= set(PHASES)
    if r.out_of_time and r.status != "wrong":  # a phase cut short says so (a wrong input is its own reason)
        assert "time limit" in r.reason and all(PHASES[p] in r.reason for p in r.out_of_time)
    if not with_target:
        assert r.phases["final"] == 0.0


def test_a_proof_search_past_its_deadline_stops_within_one_image(clock: FakeClock) -> None:
    """certify.search alone: the deadline falls in the middle of growing boxes; it stops after one box's images."""
    from rnnlab.extract.lstar import all_words, dfa_outputs

    spec = TOMITA["tomita4"]
    m = Machine(compile_dfa(spec, "sigmoid"))
    words = all_words(2, 8)
    _, S = m.run(words, keep_states=True)
    _, q = dfa_outputs(spec, words)
    assert S is not None
    points = {int(s): S[q == s] for s in np.unique(q)}
    unbounded = certify.search(m, spec, points, float("inf"), clock=clock)
    assert isinstance(unbounded, certify.Certificate) and unbounded.steps == 1
    images = sum(kind == "image" for _, _, kind in clock.units)
    assert images > 20
    t0 = clock()
    deadline = t0 + IMAGE * images / 2  # half of what the proof needs
    out = certify.search(m, spec, points, deadline, clock=clock)
    assert isinstance(out, certify.Failure) and out.reason == certify.OUT_OF_TIME
    assert deadline <= clock.t <= deadline + 2 * IMAGE + 1e-12  # one box: its image on each of 2 symbols


def test_the_final_check_keeps_its_time_and_says_when_it_is_cut(clock: FakeClock, monkeypatch: pytest.MonkeyPatch
                                                                ) -> None:
    """With a target, L* and the proof stop early enough for the final check (estimated from the net runs so far)
    to run all its inputs; when its runs turn out dearer than estimated, it stops at the limit and says how far it
    got. The net is its spec's, the proof is made to fail: the hunt runs, and the final check finds nothing."""
    import rnnlab.extract.lstar as lstar

    spec = loses_count_at(30)
    net = compile_dfa(spec, "sigmoid")
    monkeypatch.setattr(lstar, "search", lambda m, dfa, *a, **k: certify.Failure(dfa.start, "no proof (made to fail)"))
    t0 = clock()
    r = extract(net, ExtractConfig(time_limit=40.0, random_words=300), spec, clock=clock)
    _bounded(r, clock, t0, 40.0)
    assert r.status == "unknown" and r.out_of_time == () and r.phases["hunt"] > 0
    assert r.extra["final_inputs_run"] == r.extra["final_inputs"] > 0
    assert "no proof (made to fail)" in r.reason

    against = lstar._against

    def dear(*args: Any) -> Any:  # the final check's runs: 50x dearer than all before
        clock.run = 50 * RUN
        return against(*args)

    monkeypatch.setattr(lstar, "_against", dear)
    t0 = clock()
    r = extract(net, ExtractConfig(time_limit=40.0, random_words=300), spec, clock=clock)
    _bounded(r, clock, t0, 40.0)
    assert r.status == "unknown" and r.out_of_time == ("final",)
    assert 0 < r.extra["final_inputs_run"] < r.extra["final_inputs"]
    assert f"of {r.extra['final_inputs']:,} inputs run" in r.reason


def test_the_command_counts_the_start_up_of_its_process(tmp_path: Any, capsys: pytest.CaptureFixture[str],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """`rnnlab extract --time-limit 8` in a process that started 6 s ago leaves the extraction 2 s. The net's
    proof is made to fail, so its counterexample hunt would run half of whatever limit it gets (4 s of 8)."""
    import json
    import time

    import rnnlab.extract.lstar as lstar
    from rnnlab.cli.main import _process_start, main

    started = _process_start()
    assert started is None or started <= time.monotonic()
    monkeypatch.setattr(lstar, "search", lambda m, dfa, *a, **k: certify.Failure(dfa.start, "made to fail"))
    path = tmp_path / "net.json"
    compile_dfa(loses_count_at(30), "sigmoid").save(path)
    assert main(["extract", str(path), "--time-limit", "8", "--json"], started=time.monotonic() - 6.0) == 1
    js = json.loads(capsys.readouterr().out)
    assert js["startup_seconds"] >= 6.0 and js["time_limit"] == 8.0
    assert js["seconds"] < 3.5  # about 1 s: half of the 2 s left (generous: a loaded machine)
    assert main(["extract", str(path), "--time-limit", "8", "--json"]) == 1  # in-process, no start: 8 s left
    js = json.loads(capsys.readouterr().out)
    assert js["startup_seconds"] == 0.0 and js["seconds"] > 3.5
