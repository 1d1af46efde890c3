"""`rnnlab report`: run every part, cache each part's result by its config, write HTML + JSON atomically."""

from __future__ import annotations

import hashlib
import inspect
import json
import os
import platform
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import torch

from rnnlab import __version__
from rnnlab.report.claims import SCALES, Claim, Part, PartResult
from rnnlab.report.html import render


def all_parts() -> list[Part]:
    """The report's parts in SPEC order."""
    from rnnlab.report import dynamics_parts, exact_parts, generation_parts

    parts = [*exact_parts.PARTS, *dynamics_parts.PARTS, *generation_parts.PARTS]
    return sorted(parts, key=lambda p: int(p.id[1:]))


@dataclass(frozen=True)
class Report:
    html_path: Path
    json_path: Path
    claims: list[Claim]
    seconds: float
    cached_parts: list[str]  # parts whose result came from the cache


LIBRARY = ("core", "exact", "dynamics", "generation", "experiments", "sweep")  # what a part's result depends on


def _library_digest() -> str:
    """A digest of every library module below the report: a fix anywhere there invalidates the cache."""
    root = Path(__file__).resolve().parents[1]
    h = hashlib.sha256()
    for path in sorted(p for pkg in LIBRARY for p in (root / pkg).rglob("*.py")):
        h.update(str(path.relative_to(root)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def _cache_key(part: Part, scale: str, library: str) -> str:
    # The result depends on the part's settings, its own code and the library code under it.
    source = inspect.getsource(inspect.getmodule(part.run) or part.run)
    blob = json.dumps({"config": part.config(scale), "version": __version__, "source": source, "library": library},
                      sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def _load_cached(path: Path, key: str) -> PartResult | None:
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return None
    if data.get("key") != key:
        return None
    return PartResult([Claim.from_dict(c) for c in data["claims"]], data["figures"])


def _write_atomic(path: Path, text: str) -> None:
    """Write to a temporary file beside path, then rename: a reader never sees half a file."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def build_report(
    out_dir: str | Path,
    scale: str = "quick",
    only: list[str] | None = None,
    on_part: Callable[[Part, int, int], None] | None = None,
    sweeps: Sequence[str | Path] = (),
) -> Report:
    """Run (or load from cache) every part and write out_dir/index.html and out_dir/results.json.

    Each directory in `sweeps` (written by `rnnlab sweep`) adds a section with its success-rate table; it is
    read afresh every time, since trials may have finished since the last report.
    """
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; valid: {', '.join(SCALES)}")
    parts = all_parts()
    if only:
        unknown = sorted(set(only) - {p.id for p in parts})
        if unknown:
            raise ValueError(f"unknown part(s) {unknown}; parts: {', '.join(p.id for p in parts)}")
        parts = [p for p in parts if p.id in only]
    from rnnlab.report.sweep_parts import sweep_part

    sweep_ids = set()
    for directory in sweeps:
        part = sweep_part(directory)
        sweep_ids.add(part.id)
        parts.append(part)
    out = Path(out_dir)
    try:
        (out / ".cache").mkdir(parents=True, exist_ok=True)
        probe = out / ".cache" / ".write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as e:
        raise ValueError(f"cannot write the report to {str(out)!r}: {e.strerror}") from None
    start = time.perf_counter()
    results: dict[str, PartResult] = {}
    library = _library_digest()
    cached: list[str] = []
    for i, part in enumerate(parts):
        if on_part:
            on_part(part, i, len(parts))
        key = _cache_key(part, scale, library)
        cache_file = out / ".cache" / f"{part.id}.json"
        result = None if part.id in sweep_ids else _load_cached(cache_file, key)
        if result is None:
            result = part.run(scale)
            if part.id not in sweep_ids:
                _write_atomic(cache_file, json.dumps(
                    {"key": key, "claims": [c.to_dict() for c in result.claims], "figures": result.figures}))
        else:
            cached.append(part.id)
        results[part.id] = result
    meta = {
        "scale": scale,
        "written": time.strftime("%Y-%m-%d %H:%M:%S"),
        "versions": {"rnnlab": __version__, "torch": torch.__version__, "python": platform.python_version()},
        "machine": {"processor": platform.processor() or platform.machine(), "cpus": os.cpu_count()},
    }
    claims = [c for p in parts for c in results[p.id].claims]
    payload = {
        "claims": [c.to_dict() for c in claims],
        "config": {"scale": scale, "parts": {p.id: p.config(scale) for p in parts}},
        "versions": meta["versions"],
        "machine": meta["machine"],
    }
    json_path, html_path = out / "results.json", out / "index.html"
    _write_atomic(json_path, json.dumps(payload, indent=1) + "\n")
    _write_atomic(html_path, render(parts, results, meta))
    return Report(html_path, json_path, claims, time.perf_counter() - start, cached)
