"""What the report is made of: claims, the evidence measured for each, and a verdict that could have gone the
other way.

A claim is split in two. Its part *measures* a subject (a net, a cell, a trained model) and returns evidence,
a plain dict of numbers; the claim's `judge` turns evidence into a verdict. Keeping the two apart is what lets
a test hand `judge` the evidence of a deliberately broken subject and see the verdict flip.

    ClaimSpec (fixed in code: the words, the source, what rnnlab expects, the judge)
        .decide(evidence, ...) -> Claim (one measured record: verdict, evidence, figures, reproduce command)
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from matplotlib.figure import Figure

from rnnlab.plotting import figure_bytes

if TYPE_CHECKING:
    from rnnlab.exact.net import Net
    from rnnlab.extract.model import LearnedNet

SCALES = ("quick", "full")
VERDICTS = ("holds", "does not hold", "inconclusive")
SOURCES = ("sheet", "paper", "demonstration")  # who makes the claim: the answer sheet, a cited paper, or rnnlab
KINDS = ("sheet confirmed", "sheet slip caught", "sheet claim undecided at this scale", "published result reproduced",
         "published result not reproduced at this scale", "demonstration")
HOLDS, FAILS, INCONCLUSIVE = VERDICTS

Judge = Callable[[dict[str, Any]], str]  # evidence -> one of VERDICTS


def verdict_of(ok: bool) -> str:
    """A decisive verdict from a boolean check."""
    return HOLDS if ok else FAILS


@dataclass(frozen=True)
class ClaimSpec:
    """A claim as rnnlab states it, before anything is measured."""

    id: str  # stable identifier, e.g. "S7.sheet-weights"
    claim: str  # the claim in one line
    source: str  # one of SOURCES
    source_says: str  # what the source states: "holds" or "does not hold"
    expected: str  # the verdict rnnlab expects at this scale (the regression baseline)
    criterion: str  # one sentence: what is tested, the statistic, the threshold
    judge: Judge  # evidence -> verdict
    cite: str | None = None  # the paper, for source == "paper"
    expected_because: str | None = None  # why `expected` differs from `source_says`, where it does

    def __post_init__(self) -> None:
        if self.source not in SOURCES:
            raise ValueError(f"{self.id}: source {self.source!r} not in {SOURCES}")
        if self.source_says not in VERDICTS[:2] or self.expected not in VERDICTS:
            raise ValueError(f"{self.id}: bad source_says {self.source_says!r} or expected {self.expected!r}")
        if (self.expected != self.source_says) and not self.expected_because:
            raise ValueError(f"{self.id}: expected differs from source_says, so expected_because must say why")
        if self.source == "paper" and not self.cite:
            raise ValueError(f"{self.id}: a paper's claim needs its citation")

    @property
    def part(self) -> str:
        return self.id.split(".", 1)[0]

    def decide(self, evidence: dict[str, Any], *, scale: dict[str, Any], reproduce: str, key: str,
               figures: tuple[str, ...] = ()) -> Claim:
        """Judge the evidence and record it. `key` is the one number a reader looks at first, formatted."""
        verdict = self.judge(evidence)
        if verdict not in VERDICTS:
            raise ValueError(f"{self.id}: judge returned {verdict!r}, not one of {VERDICTS}")
        return Claim(self.id, self.part, self.claim, self.source, self.cite, self.source_says, self.expected,
                     self.expected_because, verdict, self.criterion, scale, evidence, reproduce, key, figures)


def kind_of(source: str, source_says: str, verdict: str) -> str:
    """What kind of result a verdict is, given who made the claim and what they said."""
    if source == "demonstration":
        return "demonstration"
    if source == "sheet":
        if verdict == INCONCLUSIVE:  # a statistical sheet claim the seeds could not decide: neither kind above
            return "sheet claim undecided at this scale"
        return "sheet confirmed" if verdict == source_says else "sheet slip caught"
    return "published result reproduced" if verdict == source_says else \
        "published result not reproduced at this scale"


@dataclass(frozen=True)
class Claim:
    """One measured claim: the verdict, the evidence behind it and how to reproduce it."""

    id: str
    part: str  # the SPEC part, "S1".."S12", or "sweep"
    claim: str
    source: str
    cite: str | None
    source_says: str
    expected: str
    expected_because: str | None
    verdict: str
    criterion: str
    scale: dict[str, Any]  # seeds, sizes: what the verdict was decided at
    evidence: dict[str, Any]  # the numbers behind the verdict
    reproduce: str  # the command; "{configs}" stands for the report's configs/ folder until the report writes it
    key: str  # the key number, formatted for the summary table
    figures: tuple[str, ...] = ()  # keys of the part's figures

    @property
    def kind(self) -> str:
        return kind_of(self.source, self.source_says, self.verdict)

    @property
    def as_expected(self) -> bool:
        return self.verdict == self.expected

    @property
    def holds(self) -> bool:
        return self.verdict == HOLDS

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "part": self.part, "claim": self.claim, "source": self.source, "cite": self.cite,
                "source_says": self.source_says, "expected": self.expected,
                "expected_because": self.expected_because, "verdict": self.verdict, "kind": self.kind,
                "criterion": self.criterion, "scale": self.scale, "evidence": self.evidence,
                "reproduce": self.reproduce, "key": self.key, "figures": list(self.figures)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Claim:
        return cls(d["id"], d["part"], d["claim"], d["source"], d["cite"], d["source_says"], d["expected"],
                   d["expected_because"], d["verdict"], d["criterion"], d["scale"], d["evidence"], d["reproduce"],
                   d["key"], tuple(d["figures"]))


@dataclass(frozen=True)
class FigureFile:
    """A figure as the page and the figures/ folder need it."""

    caption: str  # one sentence: what to look at
    png: str  # base64
    svg: str  # the SVG document

    def to_dict(self) -> dict[str, str]:
        return {"caption": self.caption, "png": self.png, "svg": self.svg}


@dataclass
class PartResult:
    claims: list[Claim] = field(default_factory=list)
    figures: dict[str, FigureFile] = field(default_factory=dict)  # key -> figure
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # extra tables, e.g. a step trace
    configs: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> settings, written as configs/NAME.toml
    # key -> {"net": NET.json dict (rnnlab-net/1 or /2), "spec": Automaton dict or None, "input": an example input,
    # "input2": ...}: nets the page lets a reader step through in the browser; filled by add_stepper
    steppers: dict[str, dict[str, Any]] = field(default_factory=dict)

    def add_figure(self, key: str, fig: Figure, caption: str) -> str:
        """Keep a figure (PNG and SVG) under `key`; returns the key for a claim's `figures`."""
        if not caption.strip():
            raise ValueError(f"figure {key!r} needs a caption")
        self.figures[key] = FigureFile(caption, figure_png_base64(fig), figure_svg(fig))
        return key

    def add_stepper(self, key: str, net: Net | LearnedNet, x1: str, x2: str | None = None) -> str:
        """Let the page's reader step `net` through inputs of their own, from the example x1 (x2: the second
        sequence of two-sequence nets and of pair alphabets, "x1x2" symbols), beside net.spec when it has one.

        Any net runs: built-in and compiled nets (rnnlab-net/1) and trained ones (rnnlab-net/2: elman, GRU,
        LSTM); the page's script simulates them from the weights. Returns the key (the page's anchor is
        #stepper-KEY)."""
        from rnnlab.extract.model import LearnedNet

        if isinstance(net, LearnedNet):
            allowed = set(net.alphabet)
            two = all(len(s) == 2 for s in allowed)
        else:
            two = net.n_inputs == 2
            allowed = {"00", "01", "10", "11"} if two else {"0", "1"}
        if two != (x2 is not None) or (x2 is not None and len(x2) != len(x1)):
            raise ValueError(f"stepper {key!r}: net {net.name!r} reads {'two sequences' if two else 'one sequence'}"
                             "; give x1" + (" and x2 of equal length" if two else " alone"))
        symbols = [a + b for a, b in zip(x1, x2, strict=True)] if x2 is not None else list(x1)
        if not set(symbols) <= allowed:
            raise ValueError(f"stepper {key!r}: the example holds symbols outside {sorted(allowed)}")
        self.steppers[key] = {"net": net.to_dict(), "spec": net.spec.to_dict() if net.spec else None, "input": x1,
                              "input2": x2}
        return key


@dataclass(frozen=True)
class Part:
    id: str  # "S1"
    title: str  # shown as the section heading
    run: Callable[[str], PartResult]  # scale -> claims and figures
    config: Callable[[str], dict[str, Any]]  # scale -> the settings the result depends on (the cache key)
    budget_s: float = 10.0  # time the part may take at quick scale on 2 cores (the quick report stays under 2 min)
    data_files: tuple[str, ...] = ()  # package data files the result depends on (hashed into the cache key)


# Figures are drawn for a column about 46rem wide: 6.4 x 3.8 inches at 110 dpi, text at 9 pt or more.
FIG_WIDTH, FIG_HEIGHT, FIG_DPI = 6.4, 3.8, 110


def new_figure(width: float = FIG_WIDTH, height: float = FIG_HEIGHT, ncols: int = 1) -> tuple[Figure, Any]:
    """A figure and its axes, outside pyplot: no global figure registry, no backend to choose."""
    fig = Figure(figsize=(width, height), layout="constrained")
    return fig, fig.subplots(1, ncols)


def figure_png_base64(fig: Figure) -> str:
    return base64.b64encode(figure_bytes(fig, "png", FIG_DPI)).decode("ascii")


def figure_svg(fig: Figure) -> str:
    return figure_bytes(fig, "svg").decode("utf-8")
