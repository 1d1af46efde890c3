"""A finished `rnnlab sweep` as a report section: success rate per grid point over seeds, with spread."""

from __future__ import annotations

from pathlib import Path

from rnnlab.report.claims import Claim, Part, PartResult, new_figure
from rnnlab.sweep.store import load_sweep
from rnnlab.sweep.summary import summarize


def sweep_part(directory: str | Path) -> Part:
    """A report part for the sweep in `directory` (read when the report runs; never cached)."""
    sweep = load_sweep(directory)
    name = sweep.config.name

    def run(scale: str) -> PartResult:
        summary = summarize(load_sweep(directory))
        out = PartResult()
        figure = None
        if sorted(summary.keys) == ["T", "cell"]:
            cells, lengths, rates = summary.pivot("cell", "T")
            fig, ax = new_figure(6.5, 4)
            for cell, row in zip(cells, rates, strict=True):
                ax.plot(lengths, [r if r is not None else float("nan") for r in row], "o-", label=cell)
            ax.set_xscale("log", base=2)
            ax.set_xlabel("sequence length T (steps)")
            ax.set_ylabel("success rate over seeds")
            ax.set_ylim(-0.05, 1.05)
            ax.set_title(f"Sweep {name}: success rate against length")
            ax.legend()
            figure = out.add_figure(f"sweep-{name}", fig)
        failed = sum(r.errors for r in summary.rows)
        out.claims.append(Claim(
            f"sweep.{name}", "sweep",
            f"Every trial of the sweep {name!r} finished without error",
            summary.missing == 0 and failed == 0,
            summary.to_dict(),
            f"rnnlab sweep CONFIG.toml --out {directory}",
            figure,
        ))
        return out

    return Part(f"sweep:{name}", f"Sweep: {name} ({len(sweep.trials)} trials)", run,
                lambda scale: {"directory": str(directory)})
