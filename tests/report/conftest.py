"""A report page with everything a page can hold: the real S7/S8 parts, plus a claim with math, units, nested
evidence, a table and a figure, and a stepper for each of the sheet's nets and a compiled automaton."""

from __future__ import annotations

import base64
import json
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from rnnlab.exact.automaton import Automaton, random_dfa
from rnnlab.exact.compiler import compile_dfa
from rnnlab.exact.net import Net
from rnnlab.exact.sheet import EQUAL_SO_FAR, PAIRS, get_net
from rnnlab.extract.languages import TOMITA
from rnnlab.extract.learn import LearnConfig, learn
from rnnlab.extract.model import LearnedNet
from rnnlab.files import write_atomic
from rnnlab.report.build import build_report
from rnnlab.report.claims import HOLDS, INCONCLUSIVE, ClaimSpec, PartResult, figure_png_base64, figure_svg, new_figure
from rnnlab.report.html import render

sys.path.insert(0, str(Path(__file__).parents[1] / "extract"))
from learned_nets import learned_from_compiled, perturbed  # noqa: E402

MATH_CLAIM = r"The gradient shrinks by at most $\|W\|_2 / 4$ per step; costs \$5 <b>not bold</b>"


@dataclass(frozen=True)
class DemoPage:
    out: Path  # the report folder
    html: Path  # index.html
    payload: dict[str, Any]  # what it was rendered from
    nets: dict[str, Net | LearnedNet]  # stepper key -> the net it steps


def stepper_nets() -> dict[str, tuple[Net, str, str | None, str]]:
    """key -> (net, example input, example input2, part)."""
    dfa = random_dfa(8, ["0", "1"], 0)
    return {
        "alternating": (get_net("alternating"), "1 0 1 1", None, "S1"),
        "all-ones": (get_net("all-ones"), "11110100", None, "S7"),
        "all-ones-h0-0": (get_net("all-ones").with_h0(0.0), "1101", None, "S7"),
        "all-ones-from-zero": (get_net("all-ones-from-zero"), "11110100", None, "S7"),
        "equality": (get_net("equality"), "0110", "0111", "S8"),
        "equality-as-written": (get_net("equality-as-written"), "0110", "0111", "S8"),
        "adder": (get_net("adder"), "10110", "11100", "S8"),
        "dfa8-sigmoid": (compile_dfa(dfa, "sigmoid"), "0110100111", None, "S9"),
        "dfa8-step": (compile_dfa(dfa, "step"), "0110100111", None, "S9"),
        "pairs16-sigmoid": (compile_dfa(random_dfa(16, PAIRS, 0), "sigmoid"), "0110", "1100", "S9"),
    }


def learned_stepper_nets() -> dict[str, tuple[LearnedNet, str, str | None]]:
    """key -> (trained-format net, example input, example input2): every cell kind, one and two sequences."""
    t4 = TOMITA["tomita4"]

    def trained(cell: str, spec: Automaton, hidden: int = 3) -> LearnedNet:
        return learn(spec, LearnConfig(cell=cell, hidden=hidden, steps=10, eval_every=10), name=f"{cell}-trained").net

    no_spec = trained("gru", t4)
    return {
        "learned-tanh": (trained("tanh", t4), "0100010", None),
        "learned-sigmoid-3-layers": (learned_from_compiled(t4, "compiled-tomita4"), "1000101", None),
        "learned-sigmoid-broken": (perturbed(learned_from_compiled(t4, "broken-tomita4")), "1000101", None),
        "learned-gru-pairs": (trained("gru", EQUAL_SO_FAR), "0110", "0111"),
        "learned-lstm": (trained("lstm", t4, 4), "0011", None),
        "learned-gru-no-spec": (replace(no_spec, spec=None), "0110", None),
    }


def _demo_claim(figure: str) -> dict[str, Any]:
    spec = ClaimSpec(
        "S3.demo-bound", MATH_CLAIM, source="paper", source_says=HOLDS, expected=HOLDS,
        cite="Pascanu, Mikolov, Bengio 2013", judge=lambda ev: INCONCLUSIVE,
        criterion=r"Every trial has $\|dL/dh_t\| \le \|dL/dh_T\| (\gamma \|W\|_2)^{T-t}$ up to 1e-9")
    evidence = {
        "trials": 1000, "violations": 0, "proved": True, "counterexample": None, "worst_ratio": 0.9999999999999991,
        "tiny": 1.5e-9, "nan_value": float("nan"), "one_hot_bytes": 400_000, "index_bytes": 8, "proof_s": 0.0123,
        "success": {"k": 7, "n": 10}, "divergence_rate": 0.3333333333333333,
        "per_cell": {"sigmoid": {"violations": 0, "w_norm": 4.5678}, "tanh": {"violations": 0, "w_norm": 1.2}},
        "cases": [{"input": "0101", "h_T": 0.5, "ok": True}, {"input": "1111", "h_T": None, "ok": False}],
        "norms": [0.5 ** i for i in range(40)],
        "decision": {"test": {"p_value": 0.0312, "ci": [0.1, 0.5]}, "margin": 0.05},
    }
    claim = spec.decide(evidence, scale={"seeds": 10, "T": 100}, key="7/10 trials", figures=(figure,),
                        reproduce="rnnlab bound --trials 1000 --json")
    return claim.to_dict()


def build_demo_page(out: Path) -> DemoPage:
    rep = build_report(out, "quick", only=["S7", "S8"])
    payload = json.loads(rep.json_path.read_text())
    fig, ax = new_figure()
    ax.semilogy(range(40), [0.5 ** i for i in range(40)], label="||dL/dh_t||")
    ax.set_xlabel("t (step)")
    ax.set_ylabel("gradient norm")
    ax.set_title("The gradient halves every step")
    ax.legend()
    write_atomic(out / "figures" / "demo-decay.png", base64.b64decode(figure_png_base64(fig)))
    write_atomic(out / "figures" / "demo-decay.svg", figure_svg(fig))
    payload["figures"]["demo-decay"] = {"caption": "The norm falls on a straight line: exponential decay.",
                                        "png": "figures/demo-decay.png", "svg": "figures/demo-decay.svg"}
    payload["claims"].append(_demo_claim("demo-decay"))
    payload["tables"]["S3.demo-bound#per step"] = [{"t": t, "norm": 0.5 ** t, "fired": t % 2 == 0}
                                                   for t in range(1, 16)]
    earlier = "2026-01-01T00:00:00+0000"
    for pid, title in (("S1", "S1. The alternating-sum network"), ("S3", "S3. Vanishing gradients"),
                       ("S9", "S9. Automata")):
        payload["parts"][pid] = {"title": title, "run": earlier, "scale": "quick", "seconds": 1.5, "budget_s": 10,
                                 "cached": False, "config": {}}
    payload["parts"] = dict(sorted(payload["parts"].items(), key=lambda kv: int(kv[0][1:])))
    payload["summary"]["unexpected"].append("S3.demo-bound")
    nets: dict[str, Net | LearnedNet] = {}
    for key, (net, x1, x2, part) in stepper_nets().items():
        entry: dict[str, Any] = {"net": net.to_dict(), "spec": net.spec.to_dict() if net.spec else None,
                                 "input": x1, "part": part}
        if x2 is not None:
            entry["input2"] = x2
        payload["steppers"][key] = entry
        nets[key] = net
    steppers = PartResult()  # trained nets go through the API a report part uses
    for key, (learned, x1, x2) in learned_stepper_nets().items():
        steppers.add_stepper(key, learned, x1, x2)
        nets[key] = learned
    payload["steppers"].update({k: {**v, "part": "S9"} for k, v in steppers.steppers.items()})
    html = out / "index.html"
    write_atomic(html, render(payload, out))
    return DemoPage(out, html, payload, nets)


@pytest.fixture(scope="module")
def demo_page(tmp_path_factory: pytest.TempPathFactory) -> DemoPage:
    return build_demo_page(tmp_path_factory.mktemp("page") / "report")
