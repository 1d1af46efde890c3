"""Soundness of the interval rules: every concrete step from a point of a box lands in the box's image."""

from __future__ import annotations

import numpy as np
import pytest

from rnnlab.exact.compiler import compile_dfa
from rnnlab.extract.languages import TOMITA
from rnnlab.extract.learn import LearnConfig, learn
from rnnlab.extract.machine import Machine


def _machines() -> list[tuple[str, Machine]]:
    out = [(c, Machine(learn(TOMITA["tomita3"], LearnConfig(cell=c, hidden=5, steps=10, eval_every=10, seed=2)).net))
           for c in ("sigmoid", "tanh", "gru", "lstm")]
    out.append(("compiled", Machine(compile_dfa(TOMITA["tomita4"], "sigmoid"))))
    return out


MACHINES = _machines()


@pytest.mark.parametrize("name,m", MACHINES, ids=[n for n, _ in MACHINES])
def test_images_and_readouts_enclose_every_concrete_step(name: str, m: Machine) -> None:
    import torch

    rng = np.random.default_rng(0)
    lo_lim = 0.0 if name in ("sigmoid", "compiled") else -1.0
    for trial in range(30):
        width = 10.0 ** rng.uniform(-6, 0)
        c = rng.uniform(lo_lim, 1.0, size=m.D)
        lo, hi = c - width * rng.random(m.D), c + width * rng.random(m.D)
        if name == "lstm":  # c is unbounded: let it roam wider
            lo[m.D // 2:] -= 1.0
        pts = lo + (hi - lo) * rng.random((200, m.D))
        pts = np.concatenate([pts, lo[None], hi[None]])
        S = torch.from_numpy(pts).to(m.dtype)
        S64 = S.to(torch.float64).numpy()
        assert ((lo <= S64) & (S64 <= hi)).all() or m.dtype == torch.float32
        for a in range(len(m.alphabet)):
            ilo, ihi = m.box_step(lo, hi, a)
            nxt = m.step(S, torch.full((len(pts),), a)).to(torch.float64).numpy()
            inside = (S64 >= lo) & (S64 <= hi)
            keep = inside.all(axis=1)  # float32 rounding of the sampled points may step out of the box
            assert ((ilo <= nxt[keep]) & (nxt[keep] <= ihi)).all(), (name, trial, a)
        zlo, zhi = m.box_logit(lo, hi)
        z = m.logit(S).to(torch.float64).numpy()[keep]
        assert ((zlo[0] <= z) & (z <= zhi[0])).all()
