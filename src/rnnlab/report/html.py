"""One self-contained HTML page: every claim, its evidence, verdict and command; figures embedded."""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path
from typing import Any

_CSS = """
body { font-family: system-ui, sans-serif; max-width: 62rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
h1 { margin-bottom: 0.2rem; } h2 { border-bottom: 1px solid #ddd; padding-bottom: 0.3rem; margin-top: 2.5rem; }
.claim { border: 1px solid #ddd; border-radius: 6px; padding: 0.8rem 1rem; margin: 1rem 0; }
.verdict { font-weight: 600; padding: 0.1rem 0.5rem; border-radius: 4px; margin-left: 0.5rem; font-size: 0.85rem; }
.holds { background: #dff3e3; color: #14622b; } .fails { background: #fbe3e1; color: #8a1c12; }
.id { color: #666; font-family: monospace; font-size: 0.85rem; }
pre { background: #f6f6f6; padding: 0.6rem; overflow-x: auto; font-size: 0.8rem; max-height: 18rem; }
code { background: #f2f2f2; padding: 0.1rem 0.3rem; }
img { max-width: 100%; display: block; margin-top: 0.6rem; }
table.summary { border-collapse: collapse; } table.summary td, table.summary th { padding: 0.2rem 0.8rem; }
table.evidence { border-collapse: collapse; font-size: 0.82rem; margin: 0.4rem 0; display: block; overflow-x: auto; }
table.evidence td, table.evidence th { border: 1px solid #e2e2e2; padding: 0.15rem 0.5rem; text-align: left; }
table.evidence th { background: #f6f6f6; } p.key { font-weight: 600; font-size: 0.85rem; margin: 0.6rem 0 0.1rem; }
"""


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    if isinstance(v, (list, tuple)) and all(isinstance(x, (int, float, str, bool)) or x is None for x in v):
        return ", ".join(_fmt(x) for x in v)
    if isinstance(v, (dict, list)):
        return json.dumps(v)
    return str(v)


def _is_scalar(v: Any) -> bool:
    return v is None or isinstance(v, (int, float, str, bool)) or (
        isinstance(v, (list, tuple)) and len(v) <= 12 and all(isinstance(x, (int, float, str, bool)) for x in v))


def _table(rows: list[dict[str, Any]], first: str | None = None) -> str:
    """Rows of scalars as an HTML table; `first` names a leading column holding each row's key."""
    keys = list(dict.fromkeys(k for r in rows for k in r if k != "_key"))
    head = "".join(f"<th>{html.escape(k)}</th>" for k in ([first] if first is not None else []) + keys)
    body = "".join(
        "<tr>" + (f"<td>{html.escape(str(r['_key']))}</td>" if first is not None else "")
        + "".join(f"<td>{html.escape(_fmt(r.get(k, '')))}</td>" for k in keys) + "</tr>" for r in rows)
    return f"<table class='evidence'><tr>{head}</tr>{body}</table>"


def evidence_html(evidence: dict[str, Any]) -> str:
    """The evidence for people: scalars as a key/value table, lists of records and records of records as
    tables, anything deeper as indented JSON. results.json keeps all of it as data."""
    scalars = {k: v for k, v in evidence.items() if _is_scalar(v)}
    out = [_table([{"_key": k, "value": v} for k, v in scalars.items()], "measured")] if scalars else []
    for k, v in evidence.items():
        if k in scalars:
            continue
        title = f"<p class='key'>{html.escape(k)}</p>"
        if isinstance(v, dict) and v and all(_is_scalar(x) for x in v.values()):
            out.append(title + _table([{"_key": n, "value": x} for n, x in v.items()], ""))
        elif isinstance(v, list) and v and all(isinstance(r, dict) and all(_is_scalar(x) for x in r.values())
                                               for r in v):
            out.append(title + _table(v))
        elif isinstance(v, dict) and v and all(isinstance(r, dict) and all(_is_scalar(x) for x in r.values())
                                               for r in v.values()):
            out.append(title + _table([{"_key": n, **r} for n, r in v.items()], ""))
        elif len(json.dumps(v)) <= 100:
            out.append(title + f"<code>{html.escape(json.dumps(v))}</code>")
        else:
            out.append(title + f"<pre>{html.escape(json.dumps(v, indent=1))}</pre>")
    return "".join(out)


def render(payload: dict[str, Any], out: Path) -> str:
    """The page for a results.json payload; figures are read from out/figures and embedded."""
    e = html.escape
    claims = payload["claims"]
    expected = payload["summary"]["as_expected"]
    rows = "".join(
        f"<tr><td class='id'>{e(c['id'])}</td><td>{e(c['kind'])}</td><td><span class='verdict "
        f"{'holds' if c['verdict'] == c['expected'] else 'fails'}'>{e(c['verdict'])}</span></td>"
        f"<td>{e(c['key'])}</td></tr>" for c in claims
    )
    body = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        "<title>rnnlab report</title>",
        f"<style>{_CSS}</style></head><body>",
        "<h1>rnnlab report</h1>",
        f"<p>{expected} of {len(claims)} verdicts as expected. Scale <code>{e(str(payload['scale']))}</code>, "
        f"torch {e(str(payload['versions'].get('torch')))}, written {e(str(payload['timestamp']))}.</p>",
        f"<table class='summary'>{rows}</table>",
    ]
    for pid, rec in payload["parts"].items():
        body.append(f"<h2 id='{e(pid)}'>{e(rec['title'])}</h2>")
        for c in (c for c in claims if c["part"] == pid or f"sweep:{c['id'].split('.', 1)[-1]}" == pid):
            body.append(f"<div class='claim' id='{e(c['id'])}'>")
            body.append(f"<div><span class='id'>{e(c['id'])}</span><span class='verdict'>{e(c['verdict'])}</span>"
                        f"</div><p>{e(c['claim'])}</p><p>{e(c['criterion'])}</p>")
            body.append(evidence_html(c["evidence"]))
            for key in c["figures"]:
                fig = payload["figures"][key]
                data = base64.b64encode((out / fig["png"]).read_bytes()).decode("ascii")
                body.append(f"<figure><img alt='{e(key)}' src='data:image/png;base64,{data}'>"
                            f"<figcaption>{e(fig['caption'])}</figcaption></figure>")
            body.append(f"<p>Reproduce: <code>{e(c['reproduce'])}</code></p></div>")
    body.append("</body></html>")
    return "\n".join(body)
