"""`rnnlab report`: run every part, cache each part's result, write HTML + JSON + figures, merge partial runs.

    OUT/index.html        the page, one self-contained file (figures embedded)
    OUT/results.json      every claim, its evidence and verdict; versions, timings, cache use (schema below)
    OUT/figures/KEY.png   every figure, also as KEY.svg
    OUT/configs/NAME.toml the settings each part ran with; the claims' reproduce commands name these files

A run with `only` re-runs some parts and keeps the others' results from OUT/results.json: finished results are
never dropped, and each part records when it ran. The per-part cache lives in the user's cache directory.
"""

from __future__ import annotations

import base64
import hashlib
import inspect
import json
import os
import platform
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib
import numpy
import platformdirs
import tomli_w
import torch

from rnnlab import __version__
from rnnlab.files import json_text, write_atomic
from rnnlab.report.claims import SCALES, Claim, FigureFile, Part, PartResult
from rnnlab.report.html import render

SCHEMA_VERSION = 2
# Every other module can change a part's result, the report's own included; the page's do not.
UNUSED_BY_PARTS = ("cli", "bench", "report/html.py", "report/mathml.py")
PACKAGE = Path(__file__).resolve().parents[1]


def all_parts() -> list[Part]:
    """The report's parts in SPEC order."""
    from rnnlab.report import dynamics_parts, exact_parts, extract_parts, generation_parts, reproduce_parts

    parts = [*exact_parts.PARTS, *dynamics_parts.PARTS, *generation_parts.PARTS, *extract_parts.PARTS,
             *reproduce_parts.PARTS]
    return sorted(parts, key=lambda p: int(p.id[1:]))


@dataclass(frozen=True)
class Report:
    html_path: Path
    json_path: Path
    claims: list[Claim]  # the claims of the parts run now
    all_claims: list[Claim]  # everything on the page, kept results of earlier runs included
    seconds: float
    cached_parts: list[str]  # parts whose result came from the cache
    part_seconds: dict[str, float]  # measured time per part run now (0 when cached)
    notes: list[str]  # things the user should know that did not stop the run (a corrupt cache file ignored)

    @property
    def unexpected(self) -> list[Claim]:
        """The claims run now whose verdict is not the expected one: a regression."""
        return [c for c in self.claims if not c.as_expected]


def default_cache_dir() -> Path:
    override = os.environ.get("RNNLAB_CACHE_DIR")
    return Path(override) if override else Path(platformdirs.user_cache_dir("rnnlab")) / "report"


def _digest_files(paths: Sequence[Path]) -> str:
    h = hashlib.sha256()
    for path in paths:
        h.update(str(path.relative_to(PACKAGE)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def _library_digest() -> str:
    """A digest of every module a part can run: a fix anywhere there invalidates the cache."""
    return _digest_files(sorted(p for p in PACKAGE.rglob("*.py") if not any(
        str(p.relative_to(PACKAGE)).startswith(skip) for skip in UNUSED_BY_PARTS)))


def _cache_key(part: Part, scale: str, library: str) -> str:
    # The result depends on the part's settings, its own code, the library under it, torch and its data files.
    source = inspect.getsource(inspect.getmodule(part.run) or part.run)
    data = _digest_files([PACKAGE / "data" / name for name in part.data_files])
    blob = json.dumps({"config": part.config(scale), "scale": scale, "version": __version__, "source": source,
                       "library": library, "torch": torch.__version__, "data": data}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def _result_to_dict(result: PartResult) -> dict[str, Any]:
    return {"claims": [c.to_dict() for c in result.claims],
            "figures": {k: f.to_dict() for k, f in result.figures.items()},
            "tables": result.tables, "configs": result.configs, "steppers": result.steppers}


def _result_from_dict(data: dict[str, Any]) -> PartResult:
    return PartResult([Claim.from_dict(c) for c in data["claims"]],
                      {k: FigureFile(**f) for k, f in data["figures"].items()}, data["tables"], data["configs"],
                      data["steppers"])


def _load_cached(path: Path, key: str) -> tuple[PartResult | None, str | None]:
    """The cached result, or None; a file that exists but cannot be read is named in the second value."""
    if not path.exists():
        return None, None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("key") != key:
            return None, None
        return _result_from_dict(data["result"]), None
    except (OSError, ValueError, KeyError, TypeError) as e:
        return None, f"ignored the unreadable cache file {path} ({type(e).__name__}); recomputed"


def _git_commit() -> str | None:
    """The commit when rnnlab runs from a git checkout, else None."""
    try:
        out = subprocess.run(["git", "-C", str(PACKAGE), "rev-parse", "HEAD"], capture_output=True, text=True,
                             timeout=5, check=False)
        dirty = subprocess.run(["git", "-C", str(PACKAGE), "status", "--porcelain", "--", "."],
                               capture_output=True, text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    return out.stdout.strip() + ("+modified" if dirty.stdout.strip() else "")


def _previous(json_path: Path) -> dict[str, Any] | None:
    """An earlier results.json in the folder, if it is one this version can merge with."""
    try:
        data = json.loads(json_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("schema_version") == SCHEMA_VERSION else None


def _fill(command: str, configs: Path) -> str:
    return command.replace("{configs}", str(configs))


def build_report(
    out_dir: str | Path,
    scale: str = "quick",
    only: list[str] | None = None,
    on_part: Callable[[Part, int, int], None] | None = None,
    sweeps: Sequence[str | Path] = (),
    cache_dir: str | Path | None = None,
) -> Report:
    """Run (or load from the cache) the parts and write the report into out_dir.

    Each directory in `sweeps` (written by `rnnlab sweep`) adds a section with its success-rate table; it is
    read afresh every time, since trials may have finished since the last report.
    """
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; valid: {', '.join(SCALES)}")
    parts = all_parts()
    if only:
        unknown = sorted(set(only) - {p.id for p in parts})
        if unknown:
            raise ValueError(f"unknown part(s) {', '.join(unknown)}; parts: {', '.join(p.id for p in parts)}")
        parts = [p for p in parts if p.id in only]
    from rnnlab.report.sweep_parts import sweep_part

    sweep_ids = set()
    for directory in sweeps:
        part = sweep_part(directory)
        sweep_ids.add(part.id)
        parts.append(part)
    out = Path(out_dir)
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    for folder, what in ((out / "figures", "the report"), (out / "configs", "the report"), (cache, "the cache")):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            probe = folder / ".write-test"
            probe.write_text("")
            probe.unlink()
        except OSError as e:
            raise ValueError(f"cannot write {what} to {str(folder)!r}: {e.strerror}") from None

    start = time.perf_counter()
    results: dict[str, PartResult] = {}
    library = _library_digest()
    cached: list[str] = []
    notes: list[str] = []
    records: dict[str, dict[str, Any]] = {}
    now = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    for i, part in enumerate(parts):
        if on_part:
            on_part(part, i, len(parts))
        key = _cache_key(part, scale, library)
        cache_file = cache / f"{part.id.replace(':', '-')}-{scale}.json"
        result, note = (None, None) if part.id in sweep_ids else _load_cached(cache_file, key)
        if note:
            notes.append(note)
        t0 = time.perf_counter()
        if result is None:
            result = part.run(scale)
            if part.id not in sweep_ids:
                write_atomic(cache_file, json_text({"key": key, "result": _result_to_dict(result)}))
        else:
            cached.append(part.id)
        seconds = time.perf_counter() - t0
        results[part.id] = result
        records[part.id] = {"title": part.title, "run": now, "scale": scale, "seconds": round(seconds, 2),
                            "budget_s": part.budget_s if scale == "quick" else None,
                            "cached": part.id in cached, "config": part.config(scale)}

    configs = out / "configs"
    figures_meta: dict[str, dict[str, str]] = {}
    tables: dict[str, list[dict[str, Any]]] = {}
    steppers: dict[str, dict[str, Any]] = {}
    claims_now: list[Claim] = []
    for part in parts:
        result = results[part.id]
        for name, cfg in result.configs.items():
            write_atomic(configs / f"{name}.toml", tomli_w.dumps(cfg))
        for fkey, fig in result.figures.items():
            write_atomic(out / "figures" / f"{fkey}.png", base64.b64decode(fig.png))
            write_atomic(out / "figures" / f"{fkey}.svg", fig.svg)
            figures_meta[fkey] = {"caption": fig.caption, "png": f"figures/{fkey}.png", "svg": f"figures/{fkey}.svg"}
        tables.update(result.tables)
        steppers.update({k: {**v, "part": part.id} for k, v in result.steppers.items()})
        for c in result.claims:
            claims_now.append(Claim.from_dict({**c.to_dict(), "reproduce": _fill(c.reproduce, configs)}))

    # Merge: keep every part of an earlier report in this folder that was not run now.
    json_path, html_path = out / "results.json", out / "index.html"
    previous = _previous(json_path)
    kept_claims: list[Claim] = []
    if previous:
        run_ids = {p.id for p in parts}
        for pid, rec in previous["parts"].items():
            if pid not in run_ids:
                records[pid] = rec
        kept_claims = [Claim.from_dict(c) for c in previous["claims"] if c["part"] not in run_ids
                       and f"sweep:{c['id'].split('.', 1)[-1]}" not in run_ids]
        kept_figs = {k for c in kept_claims for k in c.figures}
        figures_meta.update({k: v for k, v in previous.get("figures", {}).items() if k in kept_figs})
        kept_tables = {c.id for c in kept_claims}
        tables.update({k: v for k, v in previous.get("tables", {}).items() if k.split("#")[0] in kept_tables})
        steppers.update({k: v for k, v in previous.get("steppers", {}).items() if v["part"] not in run_ids})
    order = {p.id: i for i, p in enumerate(all_parts())}
    all_claims = sorted(claims_now + kept_claims, key=lambda c: (order.get(c.part, len(order)), ))
    part_order = sorted(records, key=lambda pid: order.get(pid, len(order)))
    payload = {
        "schema_version": SCHEMA_VERSION,
        "timestamp": now,
        "scale": scale,
        "versions": {"rnnlab": __version__, "git_commit": _git_commit(), "torch": torch.__version__,
                     "numpy": numpy.__version__, "matplotlib": matplotlib.__version__,
                     "python": platform.python_version()},
        "machine": {"processor": platform.processor() or platform.machine(), "cpus": os.cpu_count()},
        "cached_parts": cached,
        "parts_run": [p.id for p in parts],  # run now (computed or from the cache); the others kept from earlier runs
        "parts": {pid: records[pid] for pid in part_order},
        "summary": {"claims": len(all_claims), "as_expected": sum(c.as_expected for c in all_claims),
                    "unexpected": [c.id for c in all_claims if not c.as_expected]},
        "claims": [c.to_dict() for c in all_claims],
        "figures": figures_meta,
        "tables": tables,  # "CLAIM_ID#name" -> rows, e.g. a step-by-step trace
        "steppers": steppers,
    }
    write_atomic(json_path, json_text(payload, indent=1) + "\n")
    write_atomic(html_path, render(payload, out))
    return Report(html_path, json_path, claims_now, all_claims, time.perf_counter() - start, cached,
                  {pid: records[pid]["seconds"] for pid in results}, notes)
