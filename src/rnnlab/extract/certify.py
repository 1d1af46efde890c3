"""The all-length proof: regions of state space, closed under the net, on the right side of the readout.

A certificate for a net and a DFA is a list of boxes (regions), each labelled with a DFA state, such that

  1. for every symbol a, the net's step from h0 lies in a box of state delta(start, a);
  2. for every box B of state q and symbol a, the image of B lies in the union of the boxes of delta(q, a);
  3. every box of an accepting state has readout logit > 0 throughout, every other box < 0.

By induction on t the net's state after any non-empty input w lies in a box of the DFA state reached by w,
so the net's output is the DFA's for inputs of every length. Images and readouts are computed by the sound
interval rules of `bounds` (real arithmetic and float32 execution alike). Covering by a union is checked by
cutting the image along the faces of the boxes it meets, up to `depth` cuts.

The search (`search`) starts from boxes around the states the net visits (leader clustering, per DFA state)
and grows the nearest box of the right state to the hull of any image it must contain (or, when every box
of that state is farther than the clustering radius, makes the image a box of its own), with a little
widening so that the growth stops
(abstract interpretation's Kleene iteration; for RNNs cf. Jacoby, Barrett, Katz 2020, who infer invariants
to prove properties). `check` re-verifies a certificate with nothing from the search.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from rnnlab.exact.automaton import Automaton
from rnnlab.extract import affine as af
from rnnlab.extract import bounds as bd
from rnnlab.extract.machine import Machine
from rnnlab.fields import Field, FieldError
from rnnlab.symbols import format_word

FORMAT = "rnnlab-certificate/2"  # /1: steps = 1 only
DEPTH = 12  # cuts allowed when checking that an image lies in a union of boxes
MAX_STEPS = 12  # k <= this: the check costs A^k affine steps per box
SEARCH_STEPS = (1, 3, 5, 7)  # the k the search tries, in turn, while A^k <= SEARCH_BRANCHES
SEARCH_BRANCHES = 256
OUT_OF_TIME = "the search ran out of time before the regions closed"

__all__ = ["Certificate", "Failure", "check", "covered", "search"]


@dataclass(frozen=True)
class Region:
    state: int  # DFA state index
    lo: np.ndarray  # (D,) lower corner
    hi: np.ndarray  # (D,) upper corner


@dataclass(frozen=True)
class Certificate:
    dfa: Automaton  # the DFA proved equal to the net on every non-empty input
    regions: tuple[Region, ...]  # the boxes
    depth: int = DEPTH  # cuts the cover check may use
    steps: int = 1  # k: the boxes are closed under k steps (module docstring)

    def to_dict(self, net_dict: dict[str, Any]) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "net_sha256": net_digest(net_dict),
            "net": net_dict,
            "dfa": self.dfa.to_dict(),
            "rounding": bd.rounding_model(),
            "depth": self.depth,
            "steps": self.steps,
            "regions": [{"state": self.dfa.states[r.state], "lo": r.lo.tolist(), "hi": r.hi.tolist()}
                        for r in self.regions],
        }


FAILURE_KINDS = ("readout", "closure", "time", "overflow", "other")


@dataclass(frozen=True)
class Failure:
    """Why a search attempt found no proof: the condition in words, and where, for a diagnosis (`diagnosis`).

    kind "readout": a region of `state` (grown last to hold the image of a region of `source` after `word`) has
    readout interval `readout` on the wrong side of 0, or, `after_word`, the image of a region of `source` (of
    h0 when None) after `word`, in `state`, has; "closure": the regions kept growing (the last growth:
    the image of a region of `source` after `word` lay up to `excess` outside the nearest region of `state`, the
    image box `width` wide); "time", "overflow", "other" as the reason says."""

    state: int  # DFA state whose box could not be closed or kept on its side of the readout
    reason: str  # one line: which condition failed
    kind: str = "other"  # one of FAILURE_KINDS
    source: int | None = None  # DFA state of the region whose image failed (None: the region itself, or h0)
    word: str | None = None  # the input (1..k symbols) from a region of source whose image failed
    readout: tuple[float, float] | None = None  # readout: [zlo, zhi] of the logit where it crossed 0
    excess: float | None = None  # closure: largest distance per dimension of the image outside the nearest region
    width: float | None = None  # closure: the image box's largest width; readout: the failing region's
    box: tuple[np.ndarray, np.ndarray] | None = None  # the region (readout) or image box (closure) that failed
    attempt: tuple[float, int] | None = None  # (clustering radius, k steps) of the search attempt
    after_word: bool = False  # readout: the interval is of the image after word, not of a region of state
    work: int = 0  # image computations the attempt did before it failed (how far it got)
    cut: bool = False  # the time limit ended the search after this failure, before every attempt was made


def net_digest(net_dict: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(net_dict, sort_keys=True).encode()).hexdigest()


def covered(lo: np.ndarray, hi: np.ndarray, boxes: list[tuple[np.ndarray, np.ndarray]], depth: int) -> bool:
    """[lo, hi] lies in the union of boxes, each (lo, hi): inside one, or cut along a face of a box it meets and
    both parts covered (at most `depth` cuts deep)."""
    if not boxes:
        return False
    return _covered(lo, hi, np.stack([b[0] for b in boxes]), np.stack([b[1] for b in boxes]), depth)


def _covered(lo: np.ndarray, hi: np.ndarray, BLO: np.ndarray, BHI: np.ndarray, depth: int) -> bool:
    """`covered` with the boxes' corners stacked, BLO and BHI (n, D)."""
    if ((BLO <= lo) & (hi <= BHI)).all(axis=1).any():
        return True
    meets = ((BLO <= hi) & (lo <= BHI)).all(axis=1)
    if not meets.any() or depth == 0:
        return False
    BLO, BHI = BLO[meets], BHI[meets]
    blo, bhi = BLO[0], BHI[0]
    j = int(np.argmax(np.maximum(blo - lo, 0) + np.maximum(hi - bhi, 0)))
    cut = blo[j] if blo[j] > lo[j] else bhi[j]
    left_hi, right_lo = hi.copy(), lo.copy()
    left_hi[j] = cut
    right_lo[j] = cut
    return _covered(lo, left_hi, BLO, BHI, depth - 1) and _covered(right_lo, hi, BLO, BHI, depth - 1)


def _readout_ok(m: Machine, lo: np.ndarray, hi: np.ndarray, accepting: bool) -> bool:
    zlo, zhi = m.box_logit(lo, hi)
    return bool(zlo[0] > 0) if accepting else bool(zhi[0] < 0)


Image = tuple[int, np.ndarray, np.ndarray, tuple[int, ...]]  # (DFA state reached, lo, hi, the input)
Crossing = tuple[str, float, float, int]  # (input in words, zlo, zhi, DFA state reached): readout on the wrong side


def _images(m: Machine, dfa: Automaton, lo: np.ndarray, hi: np.ndarray, q: int, steps: int
            ) -> tuple[list[Image], Crossing | None]:
    """The images of [lo, hi] (the net in DFA state q) after every input of `steps` symbols, as (DFA state,
    box, input), and the first input shorter than `steps` after which the readout is not on its state's side
    (in words, with the readout interval), else None. One step: intervals (intersected with affine forms for
    gated cells); more: affine forms carried through all the steps, so the dependence on the starting box
    survives."""
    if steps == 1:
        return [(dfa.delta[q][a], *m.box_step(lo, hi, a), (a,)) for a in range(len(dfa.alphabet))], None
    out: list[Image] = []
    stack: list[tuple[af.Form, int, tuple[int, ...]]] = [(af.of_box(lo, hi), q, ())]
    while stack:
        form, p, word = stack.pop()
        for a in range(len(dfa.alphabet)):
            nxt, pa, w = af.fold(m.affine_step(form, a)), dfa.delta[p][a], (*word, a)
            if len(w) == steps:
                out.append((pa, *af.box(nxt), w))
                continue
            zlo, zhi = m.affine_logit(nxt)
            if not (zlo[0] > 0 if pa in dfa.accept else zhi[0] < 0):
                return out, (format_word(w, dfa.alphabet), float(zlo[0]), float(zhi[0]), pa)
            stack.append((nxt, pa, w))
    return out, None


def _finite(images: list[Image]) -> bool:
    return all(np.isfinite(lo).all() and np.isfinite(hi).all() for _, lo, hi, _ in images)


def _verify(m: Machine, dfa: Automaton, regions: list[Region], depth: int, steps: int = 1,
            deadline: float = float("inf"), clock: Callable[[], float] = time.monotonic) -> str | None:
    """None if the regions prove dfa (module docstring), else the first failed condition in words (past
    deadline on clock, checked region by region: OUT_OF_TIME)."""
    if list(dfa.alphabet) != list(m.alphabet):
        return f"the DFA's alphabet {list(dfa.alphabet)} is not the net's {list(m.alphabet)}"
    if steps > 1 and not m.affine:
        return f"closure under {steps} steps needs affine forms, which this net's units do not have"
    by_state: dict[int, list[tuple[np.ndarray, np.ndarray]]] = {}
    for r in regions:
        if r.lo.shape != (m.D,) or r.hi.shape != (m.D,) or not (r.lo <= r.hi).all():
            return f"a region of state {dfa.states[r.state]} is not a box in the net's {m.D}-dim state space"
        by_state.setdefault(r.state, []).append((r.lo, r.hi))
    stacked = {q: (np.stack([b[0] for b in bs]), np.stack([b[1] for b in bs])) for q, bs in by_state.items()}
    empty = (np.zeros((0, m.D)), np.zeros((0, m.D)))
    images, bad = _images(m, dfa, m.h0, m.h0, dfa.start, steps)
    if bad is not None:
        return f"the readout after {bad[0]!r} is not on its state's side"
    for q, lo, hi, _ in images:
        if not _covered(lo, hi, *stacked.get(q, empty), depth):
            return f"the state after {steps} step(s) from h0 leaves the regions of state {dfa.states[q]}"
    for k, r in enumerate(regions):
        if clock() > deadline:
            return OUT_OF_TIME
        if not _readout_ok(m, r.lo, r.hi, r.state in dfa.accept):
            side = "> 0" if r.state in dfa.accept else "< 0"
            return f"region {k} (state {dfa.states[r.state]}): the readout is not {side} throughout"
        images, bad = _images(m, dfa, r.lo, r.hi, r.state, steps)
        if bad is not None:
            return (f"region {k} (state {dfa.states[r.state]}): the readout after {bad[0]!r} is not on its state's "
                    "side")
        for q, lo, hi, _ in images:
            if not _covered(lo, hi, *stacked.get(q, empty), depth):
                return (f"region {k} (state {dfa.states[r.state]}): an image after {steps} step(s) leaves the "
                        f"regions of state {dfa.states[q]}")
    return None


def check(m: Machine, data: Any, net_dict: dict[str, Any]) -> tuple[bool, str]:
    """Re-verify a certificate file's content against the net: (holds, one line saying why or why not)."""
    if not isinstance(data, dict) or data.get("format") not in (FORMAT, "rnnlab-certificate/1"):
        raise ValueError(f"not a certificate: expected an object with \"format\": \"{FORMAT}\"")
    f = Field(data)
    try:
        digest = f["net_sha256"].string()
        if digest != net_digest(net_dict) or net_digest(f["net"].object()) != digest:
            return False, "the certificate is for another net (its net digest differs)"
        if f["rounding"].object() != bd.rounding_model():
            return False, f"the certificate's rounding model {data['rounding']} is not this version's"
        dfa = Automaton.read(f["dfa"])
        index = {q: i for i, q in enumerate(dfa.states)}
        regions = []
        for r in f["regions"].elements():
            q = r["state"].string()
            if q not in index:
                raise FieldError(f"{r['state'].path}: unknown state {q!r}; the DFA's states are {list(dfa.states)}")
            regions.append(Region(index[q], np.array(r["lo"].numbers()), np.array(r["hi"].numbers())))
        depth = f["depth"].integer()
        steps = f["steps"].integer() if data["format"] == FORMAT else 1
    except FieldError as e:
        raise ValueError(f"malformed certificate: {e}") from None
    if not 0 <= depth <= 64:
        return False, f"cover depth {depth} is out of range 0..64"
    if not 1 <= steps <= MAX_STEPS:
        return False, f"steps {steps} is out of range 1..{MAX_STEPS}"
    why = _verify(m, dfa, regions, depth, steps)
    if why is not None:
        return False, why
    return True, (f"{len(regions)} regions, closed under {steps} step(s), prove the {len(dfa.states)}-state DFA for "
                  "inputs of every length")


def _clusters(points: np.ndarray, radius: float, cap: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Leader clustering in the max norm: each point joins the first leader within radius, else leads (or, past
    cap leaders, joins the nearest)."""
    leaders = np.empty((0, points.shape[1]))  # (n, D)
    members: list[list[np.ndarray]] = []
    for p in np.unique(points, axis=0):
        d = np.abs(leaders - p).max(axis=1)  # (n,)
        near = np.flatnonzero(d <= radius)
        if len(near):
            members[int(near[0])].append(p)
        elif len(leaders) >= cap:
            members[int(np.argmin(d))].append(p)
        else:
            leaders = np.concatenate([leaders, p[None]])
            members.append([p])
    return [(np.min(ms, axis=0), np.max(ms, axis=0)) for ms in members]


def search(m: Machine, dfa: Automaton, points: dict[int, np.ndarray], deadline: float,
           radii: tuple[float, ...] = (0.25, 0.08, 0.02), cap: int = 48, max_steps: int = 20000,
           steps: tuple[int, ...] = SEARCH_STEPS, clock: Callable[[], float] = time.monotonic
           ) -> Certificate | Failure:
    """Try to prove dfa for the net from visited states points[q] (n_q, D) (module docstring): boxes closed
    under one step first, then under k steps (nets that contract over k steps but expand boxes in one: a
    trained net's states often settle only after a few symbols), for each k with A^k <= SEARCH_BRANCHES.
    Fails with the failure of the attempt that got furthest (`_further`); stops at deadline on clock (checked
    between boxes) with that failure marked cut, or OUT_OF_TIME when the limit cut the first attempt short."""
    for q, P in points.items():
        if not np.isfinite(P).all():
            return Failure(q, f"the net's state in DFA state {dfa.states[q]} is not finite (it overflows): no box "
                              "can hold it", "overflow")
    # a net that overflows only from a grown box gives non-finite images, refused below: no warning meanwhile
    with np.errstate(over="ignore", invalid="ignore"):
        return _search(m, dfa, points, deadline, radii, cap, max_steps, steps, clock)


def _search(m: Machine, dfa: Automaton, points: dict[int, np.ndarray], deadline: float, radii: tuple[float, ...],
            cap: int, max_steps: int, steps: tuple[int, ...], clock: Callable[[], float]) -> Certificate | Failure:
    failure: Failure | None = None  # the failure of the attempt that got furthest (`_further`)
    A = len(dfa.alphabet)
    seeds: dict[float, list[tuple[int, np.ndarray, np.ndarray]]] = {}  # the clusters depend on the radius only
    for k in [k for k in steps if k == 1 or A**k <= SEARCH_BRANCHES] if m.affine else (1,):
        for radius in radii:
            if clock() > deadline:
                return _out_of_time(failure, dfa)
            if radius not in seeds:
                seeds[radius] = [(q, lo, hi) for q, P in points.items() for lo, hi in _clusters(P, radius, cap)]
            # k steps cost A^k affine steps per box: fewer boxes allowed
            out = _grow(m, dfa, seeds[radius], radius, deadline, max_steps, k, 400 if k == 1 else 64, clock)
            if isinstance(out, Certificate):
                return out
            if out.kind == "time":
                return _out_of_time(failure, dfa)
            out = replace(out, attempt=(radius, k))
            failure = out if failure is None or _further(out, failure) else failure
    assert failure is not None
    return failure


def _further(new: Failure, old: Failure) -> bool:
    """Whether the attempt that failed with `new` got further than the one of `old`: it did more image
    computations before failing (ties: the later attempt, which has the smaller radius or more steps)."""
    return new.work >= old.work


def _out_of_time(failure: Failure | None, dfa: Automaton) -> Failure:
    """The time ran out: the furthest attempt's failure so far, marked cut; OUT_OF_TIME when there is none."""
    if failure is None:
        return Failure(dfa.start, OUT_OF_TIME, "time")
    return replace(failure, cut=True)


def _excess(lo: np.ndarray, hi: np.ndarray, blo: np.ndarray, bhi: np.ndarray) -> float:
    """How far [lo, hi] reaches outside [blo, bhi]: the largest distance over the dimensions and both sides."""
    return float(max(np.max(blo - lo), np.max(hi - bhi), 0.0))


def _grow(m: Machine, dfa: Automaton, seeds: list[tuple[int, np.ndarray, np.ndarray]], radius: float,
          deadline: float, max_steps: int, n_steps: int, max_regions: int = 400,
          clock: Callable[[], float] = time.monotonic) -> Certificate | Failure:
    boxes: list[list[np.ndarray]] = []  # [lo, hi] per region, grown in place
    state: list[int] = []
    grown_by: list[tuple[int, tuple[int, ...]] | None] = []  # per region: (DFA state, input) of its last growth
    # (source state, input, state reached) -> [growths, largest excess, the image's width then]: for a diagnosis
    growths: dict[tuple[int, tuple[int, ...], int], list[float]] = {}
    for q, lo, hi in seeds:  # (DFA state, box) each
        boxes.append([lo.copy(), hi.copy()])
        state.append(q)
        grown_by.append(None)
    of_state: dict[int, list[int]] = {}
    for k, q in enumerate(state):
        of_state.setdefault(q, []).append(k)

    def place(lo: np.ndarray, hi: np.ndarray, q: int, by: tuple[int, tuple[int, ...]] | None = None) -> int | None:
        """Make the regions of q cover [lo, hi]; the index of a grown (or new) region, None if none changed."""
        ks = of_state.get(q, [])
        if covered(lo, hi, [(boxes[k][0], boxes[k][1]) for k in ks], DEPTH):
            return None
        if by is not None and ks:  # bookkeeping for the diagnosis only
            g = growths.setdefault((*by, q), [0.0, 0.0, 0.0])
            ex = min(_excess(lo, hi, *boxes[k]) for k in ks)
            g[0] += 1
            if ex >= g[1]:
                g[1], g[2] = ex, float(np.max(hi - lo))
        if not ks:
            boxes.append([lo.copy(), hi.copy()])
            state.append(q)
            grown_by.append(by)
            of_state[q] = [len(boxes) - 1]
            return len(boxes) - 1

        def growth(k: int) -> float:
            blo, bhi = boxes[k]
            return float((np.maximum(bhi, hi) - np.minimum(blo, lo) - (bhi - blo)).sum())

        k = min(ks, key=growth)
        if growth(k) > radius and len(boxes) < max_regions:  # far from every region of q: a region of its own
            boxes.append([lo.copy(), hi.copy()])
            state.append(q)
            grown_by.append(by)
            of_state[q].append(len(boxes) - 1)
            return len(boxes) - 1
        blo, bhi = boxes[k]
        nlo, nhi = np.minimum(blo, lo), np.maximum(bhi, hi)
        # widening: overshoot every grown face by a tenth of its growth (and a hair), so the chain ends
        nlo = np.where(nlo < blo, nlo - 0.1 * (blo - nlo) - 1e-7, nlo)
        nhi = np.where(nhi > bhi, nhi + 0.1 * (nhi - bhi) + 1e-7, nhi)
        boxes[k] = [nlo, nhi]
        grown_by[k] = by
        return k

    def word(w: tuple[int, ...]) -> str:
        return format_word(w, dfa.alphabet)

    images, bad = _images(m, dfa, m.h0, m.h0, dfa.start, n_steps)
    if bad is not None:
        return Failure(bad[3], f"the readout after {bad[0]!r} is on the wrong side", "readout", word=bad[0],
                       readout=bad[1:3], after_word=True)
    if not _finite(images):
        return Failure(dfa.start, "the states reached from h0 are not finite (the net overflows)", "overflow")
    for q, lo, hi, _ in images:
        place(lo, hi, q)
    work = list(range(len(boxes)))
    queued = set(work)
    steps = 0
    while work:
        if clock() > deadline:
            return Failure(state[work[0]], OUT_OF_TIME, "time", work=steps)
        if steps > max_steps:
            unclosed = f"the regions did not close within {max_steps} image computations"
            if not growths:
                return Failure(state[work[0]], unclosed, "closure", work=steps)
            # the growth that recurred most: the image that kept leaving its state's regions
            (p, w, q), (_, ex, width) = max(growths.items(), key=lambda kv: kv[1][0])
            return Failure(q, unclosed, "closure", source=p, word=word(w), excess=ex, width=width, work=steps)
        j = work.pop()
        queued.discard(j)
        q = state[j]
        lo, hi = boxes[j]
        if not _readout_ok(m, lo, hi, q in dfa.accept):
            zlo, zhi = m.box_logit(lo, hi)
            by = grown_by[j]
            return Failure(q, f"a region of state {dfa.states[q]} crosses the readout threshold", "readout",
                           source=None if by is None else by[0], word=None if by is None else word(by[1]),
                           readout=(float(zlo[0]), float(zhi[0])), width=float(np.max(hi - lo)),
                           box=(lo.copy(), hi.copy()), work=steps)
        images, bad = _images(m, dfa, lo, hi, q, n_steps)
        steps += len(images) if n_steps == 1 else 1
        if bad is not None:
            return Failure(bad[3], f"from a region of state {dfa.states[q]}, the readout after {bad[0]!r} crosses "
                                   "the threshold", "readout", source=q, word=bad[0], readout=bad[1:3], after_word=True,
                           width=float(np.max(hi - lo)), box=(lo.copy(), hi.copy()), work=steps)
        if not _finite(images):
            return Failure(q, f"from a region of state {dfa.states[q]}, an image is not finite (the net's state "
                              "overflows): no box can hold it", "overflow", work=steps)
        for p, ilo, ihi, w in images:
            grown = place(ilo, ihi, p, (q, w))
            if grown is not None and grown not in queued:
                work.append(grown)
                queued.add(grown)
    regions = tuple(Region(q, b[0], b[1]) for q, b in zip(state, boxes, strict=True))
    why = _verify(m, dfa, list(regions), DEPTH, n_steps, deadline, clock)
    if why == OUT_OF_TIME:
        return Failure(dfa.start, why, "time", work=steps)
    if why is not None:  # the loop above checks the same conditions; a mismatch would be a bug here
        return Failure(dfa.start, f"internal: the grown regions fail the check: {why}")
    return Certificate(dfa, regions, DEPTH, n_steps)
