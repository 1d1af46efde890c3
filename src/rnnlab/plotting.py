"""One home for writing figures: to a file (the CLI's --plot / --out) or to bytes (the report's PNG and SVG).

Figures are built outside pyplot (matplotlib.figure.Figure): no global figure registry and no backend to
choose, so library code never touches process state.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import matplotlib
from matplotlib.figure import Figure

from rnnlab.files import write_atomic

DPI = 110  # the report's and the CLI's raster resolution


def formats() -> dict[str, str]:
    """The file formats matplotlib writes: suffix (without the dot) -> description."""
    return Figure().canvas.get_supported_filetypes()


def figure_target(path: str | Path) -> Path:
    """The file a figure will really be written to: `path` as given if its suffix is a format matplotlib writes,
    `path`.png if it has none (as matplotlib itself would write it). Raises ValueError for an unknown suffix or
    a directory."""
    target = Path(path)
    if not target.suffix:
        target = target.with_name(target.name + ".png")
    elif target.suffix[1:].lower() not in formats():
        raise ValueError(f"{str(path)!r} has an unknown image format {target.suffix!r}; use .png "
                         f"(or .pdf, .svg: any format matplotlib writes)")
    if target.is_dir():
        raise ValueError(f"{str(target)!r} is a directory, not an image file")
    return target


def save_figure(fig: Figure, path: str | Path, dpi: int = DPI, tight: bool = True) -> Path:
    """Write fig to path (format from its suffix, see figure_target), creating the folder; returns the file.
    `tight` crops the page to what is drawn (matplotlib's bbox_inches="tight")."""
    target = figure_target(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    fmt = target.suffix[1:].lower()
    fig.savefig(buf, format=fmt, dpi=dpi, bbox_inches="tight" if tight else None,
                metadata={"Date": None} if fmt == "svg" else None)
    write_atomic(target, buf.getvalue())
    return target


def draw_to_file(path: str | Path, draw: Callable[[Any], Any], size: tuple[float, float] = (7, 4.5)) -> Path:
    """draw(ax) on a fresh one-panel figure of `size` inches and write it to path; returns the file."""
    fig = Figure(figsize=size, layout="constrained")
    draw(fig.subplots())
    return save_figure(fig, path)


def figure_bytes(fig: Figure, fmt: str, dpi: int = DPI) -> bytes:
    """The figure as a PNG or SVG document in memory (SVG without a date in its metadata)."""
    buf = io.BytesIO()
    # A fixed salt makes the SVG's element ids, and so the file, the same for the same figure.
    with matplotlib.rc_context({"svg.hashsalt": "rnnlab"}):
        fig.savefig(buf, format=fmt, dpi=dpi, metadata={"Date": None} if fmt == "svg" else None)
    return buf.getvalue()
