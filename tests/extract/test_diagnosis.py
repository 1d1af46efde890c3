"""The diagnosis of a failed proof (`extract.diagnosis`): where it failed and by how much (checked against the
failing box's readout recomputed in numpy), the step's measured contraction (against a finite-difference Jacobian
of the step written out in numpy), the hints, and what `rnnlab extract` prints and --json holds."""

from __future__ import annotations

import json

import numpy as np
import pytest
from fake_clock import FakeClock
from learned_nets import learned_from_compiled, perturbed

import rnnlab.extract.lstar as lstar
from rnnlab.cli.main import main
from rnnlab.core.activations import Activation
from rnnlab.exact.automaton import Automaton
from rnnlab.exact.net import Layer
from rnnlab.extract import certify
from rnnlab.extract.diagnosis import contraction, diagnose
from rnnlab.extract.languages import TOMITA
from rnnlab.extract.lstar import ExtractConfig, all_words, dfa_outputs, extract
from rnnlab.extract.machine import Machine
from rnnlab.extract.model import LearnedNet


def _points(m: Machine, spec: Automaton, n: int = 8) -> dict[int, np.ndarray]:
    words = all_words(len(spec.alphabet), n)
    _, S = m.run(words, keep_states=True)
    _, q = dfa_outputs(spec, words)
    assert S is not None
    return {int(s): S[q == s] for s in np.unique(q)}


def _readout_interval(m: Machine, lo: np.ndarray, hi: np.ndarray) -> tuple[float, float]:
    """v . h + c over the box, endpoint by endpoint (no rounding slack)."""
    v = m.v
    return float(m.c + np.where(v > 0, v * lo, v * hi).sum()), float(m.c + np.where(v > 0, v * hi, v * lo).sum())


@pytest.fixture(scope="module")
def crossed() -> tuple[Machine, Automaton, dict[int, np.ndarray], certify.Failure]:
    """Tomita 4's compiled net with a recurrent weight moved by 0.5: right on every input up to length 8, but a
    region grown to hold its images crosses the readout threshold (one-step closure)."""
    spec = TOMITA["tomita4"]
    m = Machine(perturbed(learned_from_compiled(spec), 0.5))
    points = _points(m, spec)
    out = certify.search(m, spec, points, float("inf"), radii=(0.25,), steps=(1,))
    assert isinstance(out, certify.Failure)
    return m, spec, points, out


def test_a_crossed_readout_says_which_state_word_and_by_how_much(crossed: tuple) -> None:
    m, spec, points, f = crossed
    assert f.kind == "readout" and f.attempt == (0.25, 1) and f.box is not None and f.readout is not None
    assert f.source is not None and f.word in spec.alphabet  # the image that grew the region last
    zlo, zhi = _readout_interval(m, *f.box)
    assert f.readout[0] <= zlo and zhi <= f.readout[1]  # the sound interval encloses the exact one...
    assert f.readout == pytest.approx((zlo, zhi), abs=1e-5)  # ...within its rounding slack
    d = diagnose(m, spec, f, points)
    accepting = f.state in spec.accept
    assert d.kind == "readout" and d.state == spec.states[f.state] and d.word == f.word
    assert d.crossing == pytest.approx(-zlo if accepting else zhi, abs=1e-5) and d.crossing > 0
    assert d.margin is not None and d.margin > 0  # the visited states themselves are on the right side
    assert f"[{f.readout[0]:.4g}, {f.readout[1]:.4g}]" in d.where() and d.hints
    js = d.to_dict()
    assert js["kind"] == "readout" and js["attempt"] == {"radius": 0.25, "steps": 1} and js["word"] == f.word


def _tanh_net(scale: float) -> tuple[LearnedNet, np.ndarray, np.ndarray, np.ndarray]:
    """A 3-unit tanh elman net over {0, 1} with recurrent weights W = scale * R (R fixed, ||R||_2 about 1)."""
    rng = np.random.default_rng(3)
    R = rng.standard_normal((3, 3))
    W = (scale * R / np.linalg.norm(R, 2)).astype(np.float32)
    U = (0.3 * rng.standard_normal((3, 2))).astype(np.float32)
    b = np.zeros(3, dtype=np.float32)
    layer = Layer("h", tuple(map(tuple, W.tolist())), tuple(map(tuple, U.tolist())), tuple(b.tolist()),
                  Activation("tanh"), (0.0, 0.0, 0.0))
    empty = np.zeros(0, dtype=np.float32)
    net = LearnedNet("tanh3", "elman", ("0", "1"), (layer,), {}, empty, empty, np.array([1.0, 0, 0], np.float32),
                     0.0, None)
    return net, W.astype(np.float64), U.astype(np.float64), b.astype(np.float64)


def _fd_norm(W: np.ndarray, U: np.ndarray, b: np.ndarray, h: np.ndarray, a: int, eps: float = 1e-6) -> float:
    """||d tanh(W h + U e_a + b) / dh||_2 by central differences in float64."""
    f = lambda s: np.tanh(W @ s + U[:, a] + b)  # noqa: E731
    J = np.stack([(f(h + eps * e) - f(h - eps * e)) / (2 * eps) for e in np.eye(len(h))], axis=1)
    return float(np.linalg.norm(J, 2))


@pytest.mark.parametrize("scale", [0.5, 3.0])
def test_the_measured_contraction_matches_a_finite_difference_jacobian(scale: float) -> None:
    net, W, U, b = _tanh_net(scale)
    m = Machine(net)
    spec = TOMITA["tomita1"]  # any 2-symbol DFA: only its state names label the points
    P = np.random.default_rng(0).uniform(-0.2, 0.2, size=(6, 3))  # fewer than SAMPLES: every one is taken
    c = contraction(m, spec, {0: P}, length=50)
    want = [_fd_norm(W, U, b, h, a) for h in P for a in (0, 1)]
    assert c.max[0] == pytest.approx(max(want), rel=1e-4)
    assert c.median[0] == pytest.approx(float(np.median(want)), rel=1e-4)
    assert c.expands is (scale > 1) and c.lyapunov is not None
    if scale > 1:
        assert "expands by up to" in c.reading()
        d = diagnose(m, spec, certify.Failure(0, "made to fail", "closure", source=0, word="1", excess=0.1,
                                              width=0.5), {0: P})
        assert any("rnnlab learn" in h and "contraction penalty" in h for h in d.hints)


def test_a_net_that_certifies_has_no_diagnosis() -> None:
    r = extract(learned_from_compiled(TOMITA["tomita2"]), ExtractConfig(time_limit=30))
    assert r.status == "certified" and r.diagnosis is None


def test_out_of_time_says_to_raise_the_time_limit(clock: FakeClock) -> None:
    """On the fake clock, a limit that cuts the proof search short: the hint names --time-limit."""
    spec = TOMITA["tomita4"]
    net = perturbed(learned_from_compiled(spec), 0.5)
    for limit in (0.5, 1.0, 2.0, 4.0):
        r = extract(net, ExtractConfig(time_limit=limit), clock=clock)
        if r.diagnosis is not None and "proof" in r.out_of_time:
            break
    assert r.diagnosis is not None and r.diagnosis.cut
    assert any("--time-limit" in h for h in r.diagnosis.hints)


def test_the_command_prints_the_diagnosis_and_json_holds_it(tmp_path: object, capsys: pytest.CaptureFixture[str],
                                                            monkeypatch: pytest.MonkeyPatch,
                                                            crossed: tuple) -> None:
    """The search is made to fail as the crossed net's does (the hunt, which runs half the limit, is skipped)."""
    m, spec, _, f = crossed
    path = f"{tmp_path}/net.json"
    m.net.save(path)
    monkeypatch.setattr(lstar, "search", lambda *a, **k: f)
    monkeypatch.setattr(lstar._ProvingOracle, "_hunt", lambda self, dfa, failure: None)
    assert main(["extract", path, "--time-limit", "20"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(f"{path}: unknown: ")  # the first line as before
    k = next(i for i, line in enumerate(lines) if line.startswith("  why not certified: "))
    assert lines[k + 1].startswith("  where: a region of state ") and "past the threshold 0" in lines[k + 1]
    assert "the net: the step " in lines[k + 2] and "may help: " in lines[k + 2]
    assert main(["extract", path, "--time-limit", "20", "--json"]) == 1
    js = json.loads(capsys.readouterr().out)
    d = js["diagnosis"]
    assert d["kind"] == "readout" and d["state"] == js["dfa"]["states"][f.state] and d["word"] == f.word
    assert d["readout"] == list(f.readout) and d["attempt"] == {"radius": 0.25, "steps": 1}
    assert d["contraction"]["max"] > 0 and d["hints"]


def test_regions_that_do_not_close_say_which_image_kept_leaving_them() -> None:
    """Tomita 4's compiled net, its search allowed 5 image computations (it needs more): the most recurrent
    growth is named, with how far its image lay outside the state's regions."""
    spec = TOMITA["tomita4"]
    m = Machine(learned_from_compiled(spec))
    points = _points(m, spec)
    f = certify.search(m, spec, points, float("inf"), radii=(0.25,), steps=(1,), max_steps=5)
    assert isinstance(f, certify.Failure) and f.kind == "closure" and f.attempt == (0.25, 1)
    assert f.source is not None and f.word in spec.alphabet and f.excess is not None and f.excess > 0
    assert f.width is not None and f.width >= 0
    d = diagnose(m, spec, f, points)
    assert d.where().startswith(f"the image of a region of state {spec.states[f.source]} after {f.word!r} kept "
                                f"leaving the regions of state {spec.states[f.state]}, by up to {f.excess:.3g}")
