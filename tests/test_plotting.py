"""The one home for figure files: the target a path names, and what save_figure writes."""

from pathlib import Path

import pytest
from matplotlib.figure import Figure

from rnnlab.plotting import figure_bytes, figure_target, save_figure


def test_figure_target_adds_png_and_refuses_unknown_formats(tmp_path: Path) -> None:
    assert figure_target(tmp_path / "plot") == tmp_path / "plot.png"
    assert figure_target(tmp_path / "plot.svg") == tmp_path / "plot.svg"
    with pytest.raises(ValueError, match="unknown image format '.xyz'"):
        figure_target(tmp_path / "plot.xyz")
    (tmp_path / "dir.png").mkdir()
    with pytest.raises(ValueError, match="is a directory"):
        figure_target(tmp_path / "dir.png")


def test_save_figure_writes_the_format_its_suffix_names(tmp_path: Path) -> None:
    fig = Figure()
    fig.subplots().plot([0, 1], [1, 0])
    png = save_figure(fig, tmp_path / "sub" / "a")
    assert png.name == "a.png" and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = save_figure(fig, tmp_path / "a.svg")
    assert svg.read_text().lstrip().startswith("<?xml")
    assert figure_bytes(fig, "png")[:8] == b"\x89PNG\r\n\x1a\n" and b"<svg" in figure_bytes(fig, "svg")
