"""Drawings for automata and the nets that implement them (SPEC S11): a DFA as a graph beside its state table,
and a net's visited states with a certificate's regions.

    draw_dfa(ax, dfa)              states on a circle in breadth-first order from the start (at the left), an
                                   arrow into the start state, accepting states as double circles, one arrow
                                   per pair of states labelled with every symbol that takes it
    draw_state_table(ax, dfa)      the same DFA as a table: state, accepting, next state on each symbol
    draw_regions(ax, points, ...)  visited states coloured by DFA state, the certificate's boxes outlined; in
                                   2 dimensions as they are, in more as seen along the two principal axes of
                                   the points (a box seen so is the convex hull of its projected corners)

Plot functions take an `ax` and draw on it; nothing here touches pyplot.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.patches import Circle, FancyArrowPatch, Polygon
from scipy.spatial import ConvexHull

from rnnlab.exact.automaton import Automaton
from rnnlab.exact.compiler import reachable_states

__all__ = ["STATE_COLOURS", "draw_dfa", "draw_regions", "draw_state_table", "principal_axes", "state_rows"]

R = 0.27  # state circle radius, in the units of a layout on the unit circle
STATE_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf")
MAX_CORNERS_DIM = 12  # boxes of more dimensions are not projected (2^D corners)


def _layout(dfa: Automaton) -> dict[int, np.ndarray]:
    """Reachable states on the unit circle, the start at the left, the others clockwise in breadth-first order."""
    order = reachable_states(dfa)
    n = len(order)
    if n == 1:
        return {order[0]: np.zeros(2)}
    return {q: np.array([-math.cos(2 * math.pi * k / n), math.sin(2 * math.pi * k / n)]) for k, q in enumerate(order)}


def _edges(dfa: Automaton, states: list[int]) -> dict[tuple[int, int], list[str]]:
    """(from, to) -> the symbols that take it, in alphabet order."""
    edges: dict[tuple[int, int], list[str]] = {}
    for p in states:
        for a, s in enumerate(dfa.alphabet):
            edges.setdefault((p, dfa.delta[p][a]), []).append(s)
    return edges


def draw_dfa(ax: Any, dfa: Automaton, title: str | None = None, fontsize: float = 9) -> None:
    """The DFA as a graph (module docstring); only reachable states are drawn."""
    pos = _layout(dfa)
    ax.set_aspect("equal")
    ax.axis("off")
    lim = 1.0 + R + 0.7 if len(pos) > 1 else R + 0.8
    ax.set_xlim(-lim, lim)
    # one or two states lie on a line with their loops on top: a short strip, not a square
    ax.set_ylim(*((-lim, lim) if len(pos) > 2 else (-R - 0.5, R + 0.85)))
    for q, (x, y) in pos.items():
        ax.add_patch(Circle((x, y), R, fill=True, facecolor="white", edgecolor="black", lw=1.2, zorder=3))
        if q in dfa.accept:
            ax.add_patch(Circle((x, y), R * 0.78, fill=False, edgecolor="black", lw=1.0, zorder=4))
        ax.text(x, y, dfa.states[q], ha="center", va="center", fontsize=fontsize, zorder=5)
    # the start arrow comes in from the lower left: loops sit on the outside, the start state's at the left
    s = pos[dfa.start]
    into = np.array([-math.sqrt(0.5), -math.sqrt(0.5)])
    ax.add_patch(FancyArrowPatch(tuple(s + into * (R + 0.4)), tuple(s + into * R), arrowstyle="-|>",
                                 mutation_scale=10, lw=1.2, color="black", zorder=2))
    for (p, q), symbols in _edges(dfa, list(pos)).items():
        label = ",".join(symbols)
        P, Q = pos[p], pos[q]
        if p == q:
            # a loop on the outside of the circle: out of the state and back in, 50 degrees either side
            # outwards from the circle's centre; with one or two states (on a line), upwards
            out = P / np.linalg.norm(P) if len(pos) > 2 else np.array([0.0, 1.0])
            ang = math.atan2(out[1], out[0])
            a0, a1 = ang + 0.9, ang - 0.9
            start = P + R * np.array([math.cos(a0), math.sin(a0)])
            end = P + R * np.array([math.cos(a1), math.sin(a1)])
            ax.add_patch(FancyArrowPatch(tuple(start), tuple(end), connectionstyle="arc3,rad=-1.6",
                                         arrowstyle="-|>", mutation_scale=9, lw=1.0, color="black", zorder=2))
            # beside a loop that points sideways a long label would run into the neighbouring panel: put it on top
            side = abs(out[0]) > 0.7
            tx, ty = P + out * (R + (0.3 if side else 0.42)) + np.array([0.0, 0.42 if side else 0.0])
            ax.text(tx, ty, label, ha="center", va="center", fontsize=fontsize - 1, zorder=6,
                    bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.85})
            continue
        d = (Q - P) / np.linalg.norm(Q - P)
        both = (q, p) in _edges(dfa, list(pos))
        rad = 0.3 if both else 0.0
        start, end = P + d * R, Q - d * R
        ax.add_patch(FancyArrowPatch(tuple(start), tuple(end), connectionstyle=f"arc3,rad={rad}",
                                     arrowstyle="-|>", mutation_scale=9, lw=1.0, color="black", zorder=2))
        # matplotlib's arc3 curve is the quadratic Bezier with control point mid + rad (dy, -dx); the label sits
        # on it a little before the middle, so that labels of crossing or opposite edges do not meet at the middle
        chord = end - start
        control = (start + end) / 2 + rad * np.array([chord[1], -chord[0]])
        t = 0.42 if both else 0.5
        normal = np.array([chord[1], -chord[0]]) / np.linalg.norm(chord)
        tx, ty = (1 - t) ** 2 * start + 2 * (1 - t) * t * control + t ** 2 * end + (0.08 if both else 0.0) * normal
        ax.text(tx, ty, label, ha="center", va="center", fontsize=fontsize - 1, zorder=6,
                bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.85})
    if title:
        ax.set_title(title, fontsize=fontsize + 1)


def state_rows(dfa: Automaton) -> list[dict[str, Any]]:
    """The DFA's state table as records (reachable states only): state, start, accepting, next on each symbol."""
    rows = []
    for q in reachable_states(dfa):
        row: dict[str, Any] = {"state": dfa.states[q], "start": q == dfa.start, "accepting": q in dfa.accept}
        row.update({f"on {s}": dfa.states[dfa.delta[q][a]] for a, s in enumerate(dfa.alphabet)})
        rows.append(row)
    return rows


def draw_state_table(ax: Any, dfa: Automaton, fontsize: float = 9) -> None:
    """The state table (`state_rows`) as a matplotlib table: a column per symbol holding the next state; '->' marks
    the start, '*' an accepting state."""
    ax.axis("off")
    rows = state_rows(dfa)
    body = [[("-> " if r["start"] else "") + r["state"] + (" *" if r["accepting"] else "")]
            + [r[f"on {s}"] for s in dfa.alphabet] for r in rows]
    A = len(dfa.alphabet)
    # the table fills its axes' width: the state column a third, the symbols share the rest
    table = ax.table(cellText=body, colLabels=["state"] + list(dfa.alphabet), loc="center",
                     cellLoc="center", colWidths=[0.34] + [0.66 / A] * A)
    table.auto_set_font_size(False)
    table.set_fontsize(fontsize if A <= 2 else fontsize - 1)
    table.scale(1.0, 1.3)


def principal_axes(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(mean (D,), P (D, 2)): the two principal axes of the points (their covariance's top eigenvectors)."""
    mean = points.mean(axis=0)
    _, _, vt = np.linalg.svd(points - mean, full_matrices=False)
    P = vt[:2].T
    if P.shape[1] < 2:
        P = np.pad(P, ((0, 0), (0, 2 - P.shape[1])))
    return mean, P


def _box_outline(lo: np.ndarray, hi: np.ndarray, mean: np.ndarray, P: np.ndarray | None) -> np.ndarray:
    """The box as a polygon in the drawing's plane: its rectangle in 2-D, the hull of its projected corners."""
    if P is None:
        return np.array([[lo[0], lo[1]], [hi[0], lo[1]], [hi[0], hi[1]], [lo[0], hi[1]]])
    D = len(lo)
    corners = np.array([[hi[j] if (k >> j) & 1 else lo[j] for j in range(D)] for k in range(2 ** D)])
    flat = (corners - mean) @ P
    try:
        return flat[ConvexHull(flat).vertices]
    except Exception:  # a degenerate box (a point or a segment in the plane): its extreme points suffice
        return flat[[int(flat[:, 0].argmin()), int(flat[:, 0].argmax())]]


def draw_regions(ax: Any, points: dict[int, np.ndarray], dfa: Automaton,
                 regions: Sequence[tuple[int, np.ndarray, np.ndarray]] = (), h0: np.ndarray | None = None,
                 readout: tuple[np.ndarray, float] | None = None, fontsize: float = 9) -> str:
    """Visited states points[q] (n_q, D) coloured by DFA state q, each region (q, lo, hi) outlined in q's colour
    over them, h0 as a star, and in 2-D the readout's line v . h + c = 0.
    Returns how the plane was chosen, for the caption."""
    allp = np.concatenate([p for p in points.values()])
    D = allp.shape[1]
    mean, P = (np.zeros(D), None) if D == 2 else principal_axes(allp)

    def flat(x: np.ndarray) -> np.ndarray:
        return x if P is None else (x - mean) @ P

    boxes = {q: sum(r[0] == q for r in regions) for q in points}
    for q in sorted(points):
        colour = STATE_COLOURS[q % len(STATE_COLOURS)]
        xy = flat(points[q])
        name = dfa.states[q] + (" (accepting)" if q in dfa.accept else "")
        ax.scatter(xy[:, 0], xy[:, 1], s=12, color=colour, alpha=0.6, zorder=3,
                   label=name + (f", {boxes[q]} box{'es' if boxes[q] != 1 else ''}" if regions else ""))
    if D <= MAX_CORNERS_DIM:
        for q, lo, hi in regions:
            colour = STATE_COLOURS[q % len(STATE_COLOURS)]
            ax.add_patch(Polygon(_box_outline(lo, hi, mean, P), closed=True, fill=False, edgecolor=colour, lw=1.3,
                                 ls="--", zorder=4))
    if h0 is not None:
        x0 = flat(h0[None, :])[0]
        ax.scatter([x0[0]], [x0[1]], marker="*", s=110, color="black", zorder=5, label="h0")
    if readout is not None and P is None:
        v, c = readout
        xs = np.array(ax.get_xlim())
        if abs(v[1]) > 1e-12:
            ax.plot(xs, -(c + v[0] * xs) / v[1], color="gray", lw=1, ls=":", label="readout v·h + c = 0")
            ax.set_xlim(*xs)
    ax.set_aspect("equal", adjustable="box")
    ax.set_xlabel("h1" if P is None else "principal axis 1", fontsize=fontsize)
    ax.set_ylabel("h2" if P is None else "principal axis 2", fontsize=fontsize)
    ax.tick_params(labelsize=fontsize - 1)
    ax.legend(fontsize=fontsize - 1.5, loc="best", framealpha=0.85)
    if P is None:
        return "the net's two hidden units, as they are"
    return (f"the {D}-dimensional states seen along their two principal axes; each box is drawn as the convex hull "
            f"of its {2 ** D} projected corners, which is exactly the box's shadow on that plane")
