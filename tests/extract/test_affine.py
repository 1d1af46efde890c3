"""The affine (zonotope) domain and k-step certificates: every concrete float32 step from points of a form lies
in its enclosure, over several steps too; k-step certificates re-check, agree with the net on long inputs and
are rejected when tampered with; a GRU net with its blend broken is not certified with a wrong DFA."""

from __future__ import annotations

import copy
import functools
import time
from typing import Any

import numpy as np
import pytest
import torch

from rnnlab.bench.extract_table import run_table
from rnnlab.extract import affine as af
from rnnlab.extract.certify import Certificate, check, search
from rnnlab.extract.languages import TOMITA
from rnnlab.extract.learn import LearnConfig, learn
from rnnlab.extract.lstar import ExtractConfig, all_words, dfa_outputs, extract
from rnnlab.extract.machine import Machine
from rnnlab.extract.model import LearnedNet
from rnnlab.extract.words import random_words


def _net(cell: str, lang: str = "tomita4", steps: int = 10, seed: int = 2) -> LearnedNet:
    return learn(TOMITA[lang], LearnConfig(cell=cell, hidden=5, steps=steps, eval_every=steps, seed=seed)).net


@pytest.mark.parametrize("cell", ["sigmoid", "tanh", "gru", "lstm"])
def test_affine_forms_enclose_every_concrete_run(cell: str) -> None:
    m = Machine(_net(cell))
    rng = np.random.default_rng(1)
    lim = 0.0 if cell == "sigmoid" else -1.0
    for trial in range(12):
        width = 10.0 ** rng.uniform(-5, -0.5)
        c = rng.uniform(lim, 1.0, size=m.D)
        lo, hi = c - width * rng.random(m.D), c + width * rng.random(m.D)
        pts = np.concatenate([lo + (hi - lo) * rng.random((400, m.D)), lo[None], hi[None]])
        S = torch.from_numpy(pts).to(torch.float32)
        keep = ((S.double().numpy() >= lo) & (S.double().numpy() <= hi)).all(axis=1)  # float32 may round out
        form = af.of_box(lo, hi)
        word = rng.integers(0, 2, size=4)
        for a in word:  # several steps carried in one form, as the k-step check does
            form = af.fold(m.affine_step(form, int(a)))
            S = m.step(S, torch.full((len(pts),), int(a)))
            flo, fhi = af.box(form)
            got = S.double().numpy()[keep]
            assert ((flo <= got) & (got <= fhi)).all(), (cell, trial)
            zlo, zhi = m.affine_logit(form)
            z = m.logit(S).double().numpy()[keep]
            assert ((zlo[0] <= z) & (z <= zhi[0])).all()


def test_affine_activation_is_tight_and_sound_on_wide_ranges() -> None:
    rng = np.random.default_rng(3)
    for kind, f in (("sigmoid", lambda t: 1 / (1 + np.exp(-t))), ("tanh", np.tanh)):
        for _ in range(50):
            c, r = rng.normal(0, 5, size=3), 10.0 ** rng.uniform(-6, 1.5, size=3)
            x = af.Form(c, np.diag(r), np.zeros(3))
            y = af.act(kind, x)
            t = c + r * rng.uniform(-1, 1, size=(2000, 3))
            e = rng.uniform(-1, 1, size=(2000, 3))  # the same noise symbol for input and output
            t = c + r * e
            val = f(t)
            lin = y.c + e * np.diag(y.G)
            assert (np.abs(val - lin) <= y.d).all(), kind


@functools.cache
def _tomita1_tanh() -> tuple[LearnedNet, Any, dict[int, np.ndarray]]:
    """A trained Tomita 1 tanh net, its extracted DFA and the states it visits on inputs up to length 8."""
    net = learn(TOMITA["tomita1"], LearnConfig(cell="tanh", seed=0)).net
    r = extract(net, ExtractConfig(time_limit=20, random_words=200), TOMITA["tomita1"])
    words = all_words(2, 8)
    _, S = Machine(net).run(words, keep_states=True)
    _, q = dfa_outputs(r.dfa, words)
    assert S is not None
    return net, r.dfa, {int(s): S[q == s] for s in np.unique(q)}


def _cert_k(k: int) -> tuple[LearnedNet, Certificate]:
    net, dfa, points = _tomita1_tanh()
    out = search(Machine(net), dfa, points, time.monotonic() + 30, steps=(k,))
    assert isinstance(out, Certificate), out
    return net, out


@pytest.mark.parametrize("k", [3, 5, 7])  # the horizons certify.search tries
def test_k_step_certificates_check_agree_and_reject_tampering(k: int) -> None:
    net, cert = _cert_k(k)
    assert cert.steps == k
    m = Machine(net)
    data = cert.to_dict(net.to_dict())
    assert check(m, data, net.to_dict())[0]
    rng = np.random.default_rng(0)
    for words in (all_words(2, 12), random_words(rng, 500, 1000, 2)):
        got, _ = m.run(words)
        want, _ = dfa_outputs(cert.dfa, words)
        assert (got == want).all()
    moved = copy.deepcopy(data)
    for r in moved["regions"]:
        r["lo"] = [v + 0.5 for v in r["lo"]]
        r["hi"] = [v + 0.5 for v in r["hi"]]
    assert not check(m, moved, net.to_dict())[0]
    flipped = copy.deepcopy(data)
    flipped["dfa"]["accept"] = [s for s in flipped["dfa"]["states"] if s not in flipped["dfa"]["accept"]]
    assert not check(m, flipped, net.to_dict())[0]
    bad_k = copy.deepcopy(data)
    bad_k["steps"] = 99
    assert not check(m, bad_k, net.to_dict())[0]


def test_a_gru_with_a_broken_blend_is_not_certified_with_a_wrong_dfa() -> None:
    net = learn(TOMITA["tomita1"], LearnConfig(cell="gru", seed=0)).net
    w = {k: v.copy() for k, v in net.weights.items()}
    H = net.hidden
    w["b_hh"][H:2 * H] -= 3.0  # the update gate pushed open: the state forgets what it held
    broken = LearnedNet(net.name, net.cell, net.alphabet, net.layers, w, net.h0, net.c0, net.v, net.c, net.spec,
                        net.meta)
    m = Machine(broken)
    rng = np.random.default_rng(0)
    words = np.concatenate([all_words(2, 12), rng.integers(0, 2, size=(500, 12))])
    got, _ = m.run(words)
    want, _ = dfa_outputs(TOMITA["tomita1"], words)
    r = extract(broken, ExtractConfig(time_limit=10, random_words=200), TOMITA["tomita1"])
    if r.certificate is not None:  # the net proved equal to its DFA, whatever the target
        dgot, _ = dfa_outputs(r.dfa, words)
        assert (dgot == got).all()
    if not (got == want).all():  # the net is really broken: it must not be said to implement tomita1
        assert r.implements is not True


def test_table_resumes_without_redoing_finished_nets(tmp_path) -> None:
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "tomita1-tanh-h8-s0.json").write_text("{}")
    run_table(tmp_path, seeds=1, langs=("tomita1",), cells=("tanh",), log=lambda s: None)
    assert not list((tmp_path / "nets").iterdir())  # nothing trained: the finished net was skipped
