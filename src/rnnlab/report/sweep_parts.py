"""A finished `rnnlab sweep` as a report section: success rate per grid point over seeds, with spread."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rnnlab.report.claims import HOLDS, ClaimSpec, Part, PartResult, new_figure, verdict_of
from rnnlab.sweep.store import load_sweep
from rnnlab.sweep.summary import summarize


def measure_sweep(directory: str | Path) -> dict[str, Any]:
    """The sweep's summary as evidence: per grid point, finished trials, errors and success over seeds."""
    summary = summarize(load_sweep(directory))
    return {**summary.to_dict(), "trial_errors": sum(r.errors for r in summary.rows)}


def sweep_spec(name: str) -> ClaimSpec:
    return ClaimSpec(
        f"sweep.{name}", f"Every trial of the sweep {name!r} finished without error",
        source="demonstration", source_says=HOLDS, expected=HOLDS,
        criterion="Counts the grid's trials without a result file and the trials that raised: holds iff both are 0",
        judge=lambda ev: verdict_of(ev["missing"] == 0 and ev["trial_errors"] == 0))


def sweep_part(directory: str | Path) -> Part:
    """A report part for the sweep in `directory` (read when the report runs; never cached)."""
    sweep = load_sweep(directory)
    name = sweep.config.name

    def run(scale: str) -> PartResult:
        evidence = measure_sweep(directory)
        summary = summarize(load_sweep(directory))
        out = PartResult()
        figures: tuple[str, ...] = ()
        if sorted(summary.keys) == ["T", "cell"]:
            fig, ax = new_figure()
            for cell in dict.fromkeys(r.point["cell"] for r in summary.rows):
                rows = [r for r in summary.rows if r.point["cell"] == cell and r.success_rate is not None]
                lengths = [r.point["T"] for r in rows]
                rates = [r.success_rate or 0.0 for r in rows]
                err = [[rate - r.success_ci95[0] for rate, r in zip(rates, rows, strict=True) if r.success_ci95],
                       [r.success_ci95[1] - rate for rate, r in zip(rates, rows, strict=True) if r.success_ci95]]
                ax.errorbar(lengths, rates, yerr=err, fmt="o", capsize=3, label=cell)
            ax.set_xscale("log", base=2)
            ax.set_xlabel("sequence length T (steps)")
            ax.set_ylabel("success rate over seeds")
            ax.set_ylim(-0.05, 1.05)
            ax.set_title(f"Sweep {name}: success rate against length")
            ax.legend()
            figures = (out.add_figure(f"sweep-{name}", fig, "Success rate at each measured length with its 95% "
                                      "Wilson interval; points are not joined, as lengths in between were not run."),)
        total = sum(r["seeds"] for r in evidence["rows"])
        out.configs[f"sweep-{name}"] = sweep.config.to_dict()
        out.claims.append(sweep_spec(name).decide(
            evidence, scale={"trials": total, "grid": summary.keys},
            reproduce=f"rnnlab sweep {{configs}}/sweep-{name}.toml --out {directory} --json",
            key=f"{total - evidence['missing'] - evidence['trial_errors']}/{total} trials finished", figures=figures))
        return out

    return Part(f"sweep:{name}", f"Sweep: {name} ({len(sweep.trials)} trials)", run,
                lambda scale: {"directory": str(directory)})
