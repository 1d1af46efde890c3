"""Soundness of the interval rules: every concrete step from a point of a box lands in the box's image."""

from __future__ import annotations

import numpy as np
import pytest

from rnnlab.exact.compiler import compile_dfa
from rnnlab.extract.certify import covered
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


@pytest.mark.parametrize("seed", range(40))
def test_covered_agrees_with_a_dense_grid_of_points(seed: int) -> None:
    """covered() against brute force: a box is covered iff every point of a grid fine enough to fall in every
    gap between the random boxes' faces lies in some box (faces on the 1/8 grid, points on the 1/16 grid)."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 6))
    a = rng.integers(0, 8, size=(n, 2))
    b = a + rng.integers(1, 5, size=(n, 2))
    boxes = [(a[i] / 8.0, b[i] / 8.0) for i in range(n)]
    lo = rng.integers(0, 8, size=2)
    hi = lo + rng.integers(1, 4, size=2)
    g = np.stack(np.meshgrid(*(np.arange(2 * lo[j], 2 * hi[j] + 1) / 16.0 for j in range(2))), -1).reshape(-1, 2)
    inside = np.zeros(len(g), dtype=bool)
    for blo, bhi in boxes:
        inside |= ((blo <= g) & (g <= bhi)).all(axis=1)
    assert covered(lo / 8.0, hi / 8.0, boxes, depth=16) == bool(inside.all())
