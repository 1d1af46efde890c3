"""Math in claim text, typeset at build time: `$...$` (LaTeX) becomes MathML, so the page needs no script or font.

    typeset(r"bound $\\|W\\|_2 / 4$ per step")  ->  Markup("bound <math ...>...</math> per step")

Everything outside `$...$` is HTML-escaped; `\\$` is a literal dollar. latex2mathml passes some text through
unescaped (`\\text{<b>}` gives `<mtext><b></mtext>`), so its output is parsed as XML, checked against the MathML
element names and written out again: only well-formed MathML reaches the page, anything else shows as the
escaped LaTeX source in a <code>.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from latex2mathml.converter import convert
from markupsafe import Markup, escape

__all__ = ["typeset", "to_mathml"]

MATHML_NS = "http://www.w3.org/1998/Math/MathML"
# Presentation MathML elements (MathML Core plus the few latex2mathml emits beyond it).
ELEMENTS = frozenset(
    "math mrow mi mn mo ms mtext mspace msub msup msubsup munder mover munderover mfrac msqrt mroot mstyle "
    "merror mpadded mphantom menclose mtable mtr mtd mlabeledtr semantics annotation mmultiscripts mprescripts "
    "none maligngroup malignmark mfenced".split())
SIGNS = frozenset("-+\u2212\u00b1")  # -, +, minus sign, plus-minus
CLOSERS = frozenset(")]}|\u2016!\u2032")  # after these a sign is binary: (a) - b, |x| - 1, n! - 1
_MATH = re.compile(r"(?<!\\)\$(.+?)(?<!\\)\$", re.DOTALL)


def to_mathml(latex: str) -> Markup:
    """One LaTeX formula as an inline <math> element, or its escaped source in <code> if it cannot be typeset."""
    try:
        raw = convert(latex)
        root = ET.fromstring(raw.replace(f' xmlns="{MATHML_NS}"', "", 1))
    except Exception:  # latex2mathml raises many kinds on bad input; the reader still gets the formula's text
        return Markup("<code class='tex'>{}</code>").format(latex)
    if any(el.tag not in ELEMENTS for el in root.iter()) or root.tag != "math":
        return Markup("<code class='tex'>{}</code>").format(latex)
    _unary_signs(root)
    root.set("xmlns", MATHML_NS)
    root.set("alttext", latex)  # what screen readers and copy-paste get
    return Markup(ET.tostring(root, encoding="unicode", short_empty_elements=False))


def _unary_signs(root: ET.Element) -> None:
    """A sign right after an operator or an opening bracket is unary: "= -0.5", "[-1, 1]" get no space after it.

    latex2mathml writes a flat row, so the browser would space it as a binary minus ("c = − 0.5").
    """
    for parent in root.iter():
        prev: ET.Element | None = None
        for child in parent:
            if (child.tag == "mo" and (child.text or "").strip() in SIGNS
                    and (prev is None or (prev.tag == "mo" and (prev.text or "").strip() not in CLOSERS))):
                child.set("form", "prefix")
                child.set("lspace", "0")
                child.set("rspace", "0")
            prev = child


def typeset(text: str | None) -> Markup:
    """Text with `$...$` formulas as MathML; the rest escaped; `\\$` a dollar sign."""
    if not text:
        return Markup("")
    out, pos = [], 0
    for m in _MATH.finditer(text):
        out.append(escape(text[pos:m.start()].replace("\\$", "$")))
        out.append(to_mathml(m.group(1)))
        pos = m.end()
    out.append(escape(text[pos:].replace("\\$", "$")))
    return Markup("").join(out)
