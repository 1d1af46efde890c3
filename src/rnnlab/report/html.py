"""One self-contained HTML page: every claim, its evidence, verdict and command; figures embedded."""

from __future__ import annotations

import html
import json
from typing import Any

from rnnlab.report.claims import Part, PartResult

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
"""


def render(parts: list[Part], results: dict[str, PartResult], meta: dict[str, Any]) -> str:
    e = html.escape
    claims = [c for p in parts for c in results[p.id].claims]
    held = sum(c.holds for c in claims)
    rows = "".join(
        f"<tr><td class='id'>{e(c.id)}</td><td><span class='verdict {'holds' if c.holds else 'fails'}'>"
        f"{e(c.verdict)}</span></td></tr>" for c in claims
    )
    out = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        "<title>rnnlab report</title>",
        f"<style>{_CSS}</style></head><body>",
        "<h1>rnnlab report</h1>",
        f"<p>Every claim of the answer sheet, the evidence rnnlab measured for it, and the verdict. "
        f"{held} of {len(claims)} claims hold. Scale <code>{e(str(meta['scale']))}</code>, "
        f"torch {e(str(meta['versions'].get('torch')))}, written {e(str(meta['written']))}.</p>",
        f"<table class='summary'>{rows}</table>",
    ]
    for part in parts:
        res = results[part.id]
        out.append(f"<h2 id='{e(part.id)}'>{e(part.title)}</h2>")
        for c in res.claims:
            cls = "holds" if c.holds else "fails"
            out.append("<div class='claim'>")
            out.append(f"<div><span class='id'>{e(c.id)}</span><span class='verdict {cls}'>{e(c.verdict)}</span></div>")
            out.append(f"<p>{e(c.claim)}</p>")
            out.append(f"<pre>{e(json.dumps(c.evidence, indent=1))}</pre>")
            if c.figure and c.figure in res.figures:
                out.append(f"<img alt='{e(c.id)}' src='data:image/png;base64,{res.figures[c.figure]}'>")
            out.append(f"<p>Reproduce: <code>{e(c.command)}</code></p></div>")
    out.append("</body></html>")
    return "\n".join(out)
