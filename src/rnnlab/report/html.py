"""The report page: one self-contained HTML file from a results.json payload (Jinja2 templates, autoescaped).

    render(payload, out) -> the page; figures are read from out/figures and embedded as PNG data URIs

Python shapes the payload into a view (summary rows, evidence as tables of formatted numbers, figures);
the templates in report/templates/ only lay it out. CSS and the stepper's JavaScript are inlined from the same
folder, so the page works offline and from a file:// URL.
"""

from __future__ import annotations

import base64
from importlib import resources
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from rnnlab import format as fmt
from rnnlab.report.mathml import typeset

__all__ = ["render", "evidence_blocks", "claim_sort_key", "commands"]

FOLD_ROWS = 12  # tables and lists longer than this are folded in <details>
SHORT_LIST = 8  # lists of scalars up to this length sit in a key/value row
SIDE_BY_SIDE = 6  # up to this many records with the same fields share one table, a column each
VERDICT_CLASS = {"holds": "holds", "does not hold": "fails", "inconclusive": "inconclusive"}
KIND_CLASS = {"sheet confirmed": "confirmed", "sheet slip caught": "slip", "published result reproduced": "reproduced",
              "published result not reproduced at this scale": "not-reproduced", "demonstration": "demo"}
# The kind in two words for the summary table (the full kind is its tooltip and heads the claim's card).
KIND_SHORT = {"sheet confirmed": "sheet confirmed", "sheet slip caught": "sheet slip caught",
              "published result reproduced": "paper reproduced",
              "published result not reproduced at this scale": "paper not reproduced", "demonstration": "demo"}
SOURCE_NAME = {"sheet": "The answer sheet", "paper": "The paper"}


def commands(line: str) -> list[str]:
    """A reproduce line split into its commands at `;` and `&&` outside quotes, one per displayed line.

    "a --x; b 'c; d' && e" -> ["a --x", "b 'c; d'", "e"]; the copy button still copies the line as written.
    """
    out: list[str] = []
    cur: list[str] = []
    quote, i = "", 0
    while i < len(line):
        ch = line[i]
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch == ";" or line.startswith("&&", i):
            out.append("".join(cur).strip())
            cur, i = [], i + (2 if ch == "&" else 1)
            continue
        cur.append(ch)
        i += 1
    out.append("".join(cur).strip())
    return [c for c in out if c]


def _scalar(v: Any) -> bool:
    return v is None or isinstance(v, (bool, int, float, str)) or fmt.is_rate(v)


def _short(v: Any) -> bool:
    """A value that fits one table cell: a scalar, a rate, or a short list of scalars."""
    return _scalar(v) or (isinstance(v, (list, tuple)) and len(v) <= SHORT_LIST and all(_scalar(x) for x in v))


def label(key: str) -> str:
    """A stored name for people: "max_abs_diff" -> "max abs diff"."""
    return key.replace("_", " ")


def cell(v: Any, key: str | None = None) -> str:
    """One value as table-cell text: numbers formatted with units, records as "name value; ...", never a repr."""
    if _short(v):
        return fmt.value(v, key)
    if isinstance(v, dict):
        return "; ".join(f"{label(str(k))} {cell(x, str(k))}" for k, x in v.items())
    if isinstance(v, (list, tuple)):
        items = [cell(x, key) for x in v]
        nested = any(isinstance(x, (list, tuple)) for x in v)
        return "; ".join(items) if nested or any("," in x for x in items) else ", ".join(items)
    return str(v)


def _records(v: Any) -> bool:
    return isinstance(v, list) and bool(v) and all(isinstance(r, dict) for r in v)


def table_block(title: str | None, rows: list[dict[str, Any]], first: str | None = None) -> dict[str, Any]:
    """Rows of records as a table; `first` names a leading column holding each row's "_key"."""
    columns = list(dict.fromkeys(k for r in rows for k in r if k != "_key"))
    body = [([cell(r["_key"])] if first is not None else []) + [cell(r.get(c), c) if c in r else "" for c in columns]
            for r in rows]
    head = ([first] if first is not None else []) + [label(c) for c in columns]
    # A trace (t, x, h, y, expected): the steps where the net's output differs from the expected one are marked.
    marks = [r["y"] != r["expected"] for r in rows] if {"y", "expected"} <= set(columns) else []
    return {"kind": "table", "title": title, "columns": head, "rows": body, "fold": len(rows) > FOLD_ROWS,
            "marks": marks, "wrong": sum(marks)}


def evidence_blocks(evidence: dict[str, Any], title: str | None = "measured") -> list[dict[str, Any]]:
    """The evidence as blocks the template lays out: key/value tables, tables of records, folded long detail.

    Short values gather in one key/value table; a list of records or a record of records becomes a table; a long
    list is folded; anything nested deeper becomes a folded group of the same blocks. No JSON reaches the page.
    """
    short = [(label(k), cell(v, k)) for k, v in evidence.items() if _short(v)]
    blocks: list[dict[str, Any]] = [{"kind": "kv", "title": title, "rows": short}] if short else []
    # Records with the same fields (per activation, per cell kind, ...) sit side by side in one table.
    flat = {k: v for k, v in evidence.items()
            if isinstance(v, dict) and v and not fmt.is_rate(v) and all(_short(x) for x in v.values())}
    alike: dict[tuple[str, ...], list[str]] = {}
    for k, v in flat.items():
        alike.setdefault(tuple(sorted(v)), []).append(k)
    together = {names[0]: names for names in alike.values() if 2 <= len(names) <= SIDE_BY_SIDE}
    grouped = {k for names in together.values() for k in names}
    for k, v in evidence.items():
        if _short(v) or (k in grouped and k not in together):
            continue
        name = label(k)
        if k in together:
            names = together[k]
            side = [[label(f)] + [cell(evidence[n][f], f) for n in names] for f in evidence[k]]
            blocks.append({"kind": "table", "title": ", ".join(label(n) for n in names),
                           "columns": [""] + [label(n) for n in names], "rows": side, "fold": False, "side": True})
        elif isinstance(v, dict) and v and all(_short(x) for x in v.values()):
            rows = [(label(str(n)), cell(x, str(n))) for n, x in v.items()]
            blocks.append({"kind": "kv", "title": name, "rows": rows})
        elif _records(v):
            blocks.append(table_block(name, v))
        elif isinstance(v, dict) and v and all(isinstance(r, dict) for r in v.values()):
            blocks.append(table_block(name, [{"_key": n, **r} for n, r in v.items()], ""))
        elif isinstance(v, (list, tuple)) and all(_scalar(x) for x in v):
            blocks.append({"kind": "list", "title": f"{name} ({len(v)} values)", "text": cell(v, k), "fold": True})
        elif isinstance(v, dict):
            blocks.append({"kind": "group", "title": name, "blocks": evidence_blocks(v, None), "fold": True})
        else:
            blocks.append({"kind": "list", "title": name, "text": cell(v, k), "fold": len(v) > SHORT_LIST})
    return blocks


def claim_sort_key(claim: dict[str, Any], order: dict[str, int]) -> tuple[int, int]:
    """Unexpected verdicts first, then SPEC order."""
    return (claim["verdict"] == claim["expected"], order.get(claim["id"], 0))


def _part_of(claim: dict[str, Any], part_ids: set[str]) -> str:
    """Sweep claims ("sweep.NAME") belong to the part "sweep:NAME"."""
    sweep = f"sweep:{claim['id'].split('.', 1)[-1]}"
    return sweep if sweep in part_ids else claim["part"]


def _figure(key: str, meta: dict[str, Any], out: Path) -> dict[str, Any]:
    """A figure for the page, its PNG embedded; src is None when the file has gone (the page says so)."""
    path = out / meta["png"]
    src = f"data:image/png;base64,{base64.b64encode(path.read_bytes()).decode('ascii')}" if path.is_file() else None
    return {"key": key, "caption": meta["caption"], "src": src, "png": meta["png"], "svg": meta["svg"]}


def when(timestamp: str | None) -> str:
    """An ISO timestamp as people write it: "2026-12-02T14:31:54+0000" -> "2026-12-02 14:31:54 +0000"."""
    if not timestamp:
        return "an earlier report"
    date, _, rest = timestamp.partition("T")
    clock, sign, zone = rest[:8], rest[8:9], rest[9:]
    return f"{date} {clock} {sign}{zone}".strip() if rest else date


def _ran_now(pid: str, rec: dict[str, Any], payload: dict[str, Any]) -> bool:
    """Whether the part was run (or loaded from the cache) by the run that wrote the payload."""
    if "parts_run" in payload:
        return pid in payload["parts_run"]
    return bool(rec.get("run") == payload["timestamp"])


def _part_status(pid: str, rec: dict[str, Any], payload: dict[str, Any]) -> str:
    """When and how a part's result was obtained, in words."""
    if not _ran_now(pid, rec, payload):
        return f"kept from the run of {when(rec.get('run'))} (not run this time)"
    if pid in payload.get("cached_parts", ()) or rec.get("cached"):
        return "from the cache (settings and code unchanged)"
    budget = rec.get("budget_s")
    seconds = rec.get("seconds") or 0.0
    over = ", over it" if budget and seconds > budget else ""
    return f"ran now in {fmt.duration(seconds)}" + (f" (budget {fmt.duration(budget)}{over})" if budget else "")


def _view(payload: dict[str, Any], out: Path) -> dict[str, Any]:
    claims = payload["claims"]
    order = {c["id"]: i for i, c in enumerate(claims)}
    tables = payload.get("tables", {})
    figures = payload.get("figures", {})
    parts = payload["parts"]
    part_ids = set(parts)
    unexpected = [c["id"] for c in claims if c["verdict"] != c["expected"]]
    shaped = []
    for c in claims:
        own = [table_block(label(name.partition("#")[2]) or None, rows) for name, rows in tables.items()
               if name.partition("#")[0] == c["id"] and rows]
        # A records list the part also stored as a table is shown once, as the table.
        shown = {(t["title"], len(t["rows"])) for t in own}
        evidence = [b for b in evidence_blocks(c.get("evidence") or {})
                    if not (b["kind"] == "table" and (b["title"], len(b["rows"])) in shown)]
        shaped.append({
            **c,
            "anchor": c["id"],
            "verdict_class": VERDICT_CLASS.get(c["verdict"], "inconclusive"),
            "expected_class": VERDICT_CLASS.get(c["expected"], "inconclusive"),
            "kind_class": KIND_CLASS.get(c["kind"], "demo"),
            "kind_short": KIND_SHORT.get(c["kind"], c["kind"]),
            "commands": commands(c.get("reproduce") or ""),
            "as_expected": c["verdict"] == c["expected"],
            "source_name": c["cite"] if c["source"] == "paper" and c.get("cite") else SOURCE_NAME.get(c["source"]),
            "scale_text": "; ".join(f"{label(k)}: {cell(v, k)}" for k, v in (c.get("scale") or {}).items()),
            "evidence_blocks": evidence,
            "tables": own,
            "figures": [_figure(k, figures[k], out) for k in c.get("figures", ()) if k in figures],
            "section": _part_of(c, part_ids),
        })
    steppers = [{"key": k, **v, "title": k, "description": v["net"].get("description", ""),
                 "learned": v["net"].get("format") == "rnnlab-net/2", "two": _two_sequences(v["net"])}
                for k, v in payload.get("steppers", {}).items()]
    sections = []
    for pid, rec in parts.items():
        sections.append({"id": pid, "title": rec.get("title", pid), "status": _part_status(pid, rec, payload),
                         "claims": [c for c in shaped if c["section"] == pid],
                         "steppers": [s for s in steppers if s.get("part") == pid]})
    # Claims of parts without a record (should not happen) still get a section, so nothing is dropped.
    orphans = [c for c in shaped if c["section"] not in part_ids]
    if orphans:
        sections.append({"id": "other", "title": "Other claims", "status": "", "claims": orphans, "steppers": []})
    versions = payload.get("versions", {})
    return {
        "payload": payload,
        "summary_rows": sorted(shaped, key=lambda c: claim_sort_key(c, order)),
        "as_expected": len(claims) - len(unexpected),
        "unexpected": unexpected,
        "sections": sections,
        "versions": versions,
        "commit": versions.get("git_commit"),
        "machine": payload.get("machine", {}),
        "part_rows": [{"id": pid, "title": rec.get("title", pid), "status": _part_status(pid, rec, payload),
                       "scale": rec.get("scale", payload.get("scale"))} for pid, rec in parts.items()],
        "cached": payload.get("cached_parts", []),
        "kept": [pid for pid, rec in parts.items() if not _ran_now(pid, rec, payload)],
        "computed": [f"{pid} ({fmt.duration(rec.get('seconds') or 0.0)})" for pid, rec in parts.items()
                     if _ran_now(pid, rec, payload) and pid not in payload.get("cached_parts", ())],
        "n_steppers": len(steppers),
    }


def _two_sequences(net: dict[str, Any]) -> bool:
    """A stepper reads x1 and x2: a two-sequence rnnlab-net/1 net, or an rnnlab-net/2 net on pair symbols."""
    if net.get("format") == "rnnlab-net/2":
        return all(len(s) == 2 for s in net["alphabet"])
    return bool(net.get("inputs") == 2)


def _static(name: str) -> Markup:
    """A CSS or JavaScript file of the templates folder, inlined verbatim."""
    text = (resources.files("rnnlab.report") / "templates" / name).read_text(encoding="utf-8")
    if "</" + ("style" if name.endswith(".css") else "script") in text.lower():
        raise ValueError(f"{name} would close its own element early")
    return Markup(text)


def environment() -> Environment:
    env = Environment(loader=PackageLoader("rnnlab.report", "templates"), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["math"] = typeset
    env.filters["value"] = fmt.value
    env.filters["duration"] = fmt.duration
    env.filters["label"] = label
    env.filters["when"] = when
    return env


def render(payload: dict[str, Any], out: Path) -> str:
    """The page for a results.json payload; figures are read from out/figures and embedded."""
    template = environment().get_template("page.html.j2")
    return template.render(**_view(payload, Path(out)), css=_static("page.css"), script=_static("stepper.js"))
