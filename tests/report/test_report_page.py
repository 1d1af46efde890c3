"""The report page in a real headless browser: summary, typeset math, captioned figures, a stepper whose numbers
equal the Python simulation (bit for bit on threshold nets), a clean console; screenshots at desktop and phone
width (into $RNNLAB_SCREENSHOTS when set)."""

from __future__ import annotations

import json
import os
import random
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from rnnlab.exact.net import Net
from rnnlab.extract.model import LearnedNet

CHROMIUM = shutil.which("chromium")
CHROMEDRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(
    not (CHROMIUM and CHROMEDRIVER),
    reason="needs Debian's chromium and chromium-driver (.ci/run installs them)",
)

DESKTOP, PHONE = (1280, 900), (390, 844)


@pytest.fixture(scope="module")
def browser(demo_page: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--window-size=1280,900",
                 f"--user-data-dir={tmp_path_factory.mktemp('profile')}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        _viewport(driver, *DESKTOP)
        driver.get(demo_page.html.resolve().as_uri())
        yield driver
    finally:
        driver.quit()


def _viewport(driver: Any, width: int, height: int) -> None:
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600})


def _console_errors(driver: Any) -> list[Any]:
    return [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]


def test_summary_math_figures_and_anchors(browser: Any, demo_page: Any) -> None:
    d = browser
    assert d.title == "rnnlab report"
    assert d.execute_script("return document.querySelector('meta[name=viewport]').content") == \
        "width=device-width, initial-scale=1"
    claims = demo_page.payload["claims"]
    rows = d.execute_script("return Array.from(document.querySelectorAll('table.summary tbody tr'))"
                            ".map(r => [r.querySelector('a').getAttribute('href'), r.className]);")
    assert len(rows) == len(claims)
    # Unexpected verdicts first, each row linked to its claim's anchor.
    assert rows[0] == ["#S3.demo-bound", "unexpected"]
    assert all(cls == "" for _, cls in rows[1:])
    for c in claims:
        assert d.execute_script("return document.getElementById(arguments[0]).tagName", c["id"]) == "ARTICLE"
    headline = d.execute_script("return document.querySelector('.headline').textContent")
    assert " ".join(headline.split()) == f"{len(claims) - 1} as expected, 1 not (S3.demo-bound)."
    # MathML, typeset by the browser: the formula has a real size and a subscript.
    math = d.execute_script("""
        const m = document.querySelector('#S3\\\\.demo-bound .claim-text math');
        const r = m.getBoundingClientRect();
        return [m.namespaceURI, m.querySelectorAll('msub').length, r.width, r.height, m.getAttribute('alttext')];""")
    assert math[0] == "http://www.w3.org/1998/Math/MathML" and math[1] == 1 and math[2] > 10 and math[3] > 5
    assert math[4] == r"\|W\|_2 / 4"
    text = d.execute_script("return document.querySelector('#S3\\\\.demo-bound .claim-text').textContent")
    assert "costs $5 <b>not bold</b>" in text  # escaped, and \$ is a dollar
    figures = d.execute_script("""return Array.from(document.querySelectorAll('figure')).map(f => {
        const i = f.querySelector('img'); const c = f.querySelector('figcaption');
        return [i.complete, i.naturalWidth, i.src.slice(0, 22), c ? c.textContent.trim() : ''];});""")
    assert figures and all(ok and w > 0 and src == "data:image/png;base64," and cap for ok, w, src, cap in figures)
    assert not _console_errors(d)


# Summary rows as long as the real report's: a formula, a key number of many parts, the longest kind, an id with
# hyphens, an unexpected verdict (its expected one named in the same cell).
LONG_ROWS = [
    {"id": "S4.two-paths-long", "kind": "sheet confirmed", "verdict": "holds", "expected": "holds",
     "claim": r"$dL/dh_t = dL/dh_{t+1} \mathrm{diag}(s'_{t+1}) W + dL/dh_{t+2} \mathrm{diag}(s'_{t+2}) M$: both"
              " paths carry gradient",
     "key": "max |difference| 8.3e-17; M carries 100% of dL/dh_1"},
    {"id": "S6.scheduled-sampling-long", "kind": "published result not reproduced at this scale",
     "verdict": "does not hold", "expected": "inconclusive",
     "claim": "Scheduled sampling (inverse-sigmoid decay) brings a model closer to the source at its own prefixes",
     "key": "none 8/10, value:0.1 0/10, norm:1 0/10 diverged; learned: value:0.1 4/10, norm:1 2/10"},
    {"id": "S2.hard-coded-long", "kind": "sheet slip caught", "verdict": "inconclusive", "expected": "holds",
     "claim": "Adding a word lengthens every one-hot vector, so the layer reading them must be rebuilt",
     "key": "one-hot layer (128, 1000) -> (128, 1001) (rebuilt, 128,128 weights); embedding +128 weights"},
]


@pytest.fixture(scope="module")
def long_summary_page(demo_page: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from rnnlab.report.html import render

    base = next(c for c in demo_page.payload["claims"] if c["id"] == "S7.sheet-example")
    payload = {**demo_page.payload, "claims": demo_page.payload["claims"] + [{**base, **r} for r in LONG_ROWS]}
    page = tmp_path_factory.mktemp("long") / "index.html"
    page.write_text(render(payload, demo_page.html.parent))
    return page


def test_summary_fits_its_column_and_the_page_fits_a_phone(browser: Any, demo_page: Any,
                                                           long_summary_page: Path) -> None:
    d = browser
    fits = """const t = document.querySelector('table.summary');
        return [t.scrollWidth, t.parentElement.clientWidth, document.documentElement.scrollWidth, window.innerWidth];"""
    try:
        d.get(long_summary_page.as_uri())
        _viewport(d, *DESKTOP)
        table_w, column_w, page_w, view_w = d.execute_script(fits)
        assert table_w <= column_w and page_w <= view_w  # no sideways scrollbar on a desktop
        # Every column is in view, and no claim's text (a formula included) is cut off inside its cell.
        cells = d.execute_script("""const t = document.querySelector('table.summary');
            const right = t.parentElement.getBoundingClientRect().right;
            return Array.from(t.querySelectorAll('tbody td')).map(c => [c.getBoundingClientRect().right <= right + 0.5,
                c.scrollWidth <= c.clientWidth + 1, c.className]);""")
        assert all(inside and whole for inside, whole, _ in cells), [c for c in cells if not (c[0] and c[1])]
        _viewport(d, *PHONE)
        table_w, column_w, page_w, view_w = d.execute_script(fits)
        assert table_w <= column_w and page_w <= view_w  # wide tables scroll inside their own box, not the page
    finally:
        _viewport(d, *DESKTOP)
        d.get(demo_page.html.resolve().as_uri())


def test_contents_sticky_on_desktop_folded_on_phone(browser: Any) -> None:
    d = browser
    _viewport(d, *DESKTOP)
    d.execute_script("window.scrollTo(0, document.body.scrollHeight / 2)")
    top, visible, is_open = d.execute_script("""const t = document.querySelector('nav.toc');
        const r = t.getBoundingClientRect(); return [r.top, r.height > 100, document.getElementById('toc').open];""")
    assert abs(top) < 1 and visible and is_open
    _viewport(d, *PHONE)
    d.execute_script("window.scrollTo(0, 0)")
    assert d.execute_script("return document.getElementById('toc').open") is False
    _viewport(d, *DESKTOP)


def _set_input(d: Any, key: str, x1: str, x2: str | None) -> None:
    root = d.find_element("css selector", f'[data-stepper="{key}"]')
    for name, text in (("input", x1), ("input2", x2)):
        if text is None:
            continue
        box = root.find_element("css selector", f'input[name="{name}"]')
        box.clear()
        if len(text) <= 64:
            box.send_keys(text)  # typed, key by key
        else:  # pasted: one input event, as a reader pasting a long input makes
            d.execute_script("arguments[0].value = arguments[1];"
                             "arguments[0].dispatchEvent(new Event('input', {bubbles: true}));", box, text)


def _click(d: Any, key: str, act: str) -> None:
    d.find_element("css selector", f'[data-stepper="{key}"] button[data-act="{act}"]').click()


def _rows(d: Any, key: str) -> list[dict[str, Any]]:
    """The stepper's table as data: the full-precision numbers each cell carries (its data-v attribute)."""
    raw = d.execute_script("""
        const root = document.querySelector('[data-stepper="' + arguments[0] + '"]');
        const v = (td) => td ? td.dataset.v : 'null';
        return Array.from(root.querySelectorAll('tbody tr[data-t]')).map(tr => ({
            t: tr.dataset.t, first: tr.classList.contains('first-disagreement'),
            x: Array.from(tr.querySelectorAll('td.x')).map(v),
            states: Array.from(tr.querySelectorAll('td.vec')).map(v),
            got: v(tr.querySelector('td.got')), q: v(tr.querySelector('td.q')), want: v(tr.querySelector('td.want'))}));
        """, key)
    return [{"t": int(r["t"]), "first": r["first"], "x": [json.loads(s) for s in r["x"]],
             "states": [json.loads(s) for s in r["states"]], "got": json.loads(r["got"]), "q": json.loads(r["q"]),
             "want": json.loads(r["want"])} for r in raw]


def _message(d: Any, key: str) -> str:
    return str(d.execute_script(
        "return document.querySelector('[data-stepper=\"' + arguments[0] + '\"] .message').textContent", key))


def _python_run(net: Net, x1: list[float], x2: list[float] | None) -> list[torch.Tensor]:
    x = torch.tensor(x1 if x2 is None else list(zip(x1, x2, strict=True)), dtype=torch.float64)
    return [s[0] for s in net.run(x.reshape(len(x1), net.n_inputs)).states]  # per layer (T, H_l)


def _bits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("01") for _ in range(n))


def _cases() -> list[tuple[str, str, str | None]]:
    rng = random.Random(0)
    one = ["all-ones", "all-ones-h0-0", "all-ones-from-zero", "dfa8-step"]
    two = ["equality", "equality-as-written", "adder"]
    return ([(k, _bits(rng, 64), None) for k in one] + [("all-ones", "1" * 40, None)]
            + [(k, _bits(rng, 48), _bits(rng, 48)) for k in two] + [("equality", "0110" * 8, "0110" * 8)]
            + [("alternating", "1 0 1 1 0 1", None), ("alternating", "0.5, -1.25 3 2 -7.125 1e-3", None)]
            + [("dfa8-sigmoid", _bits(rng, 300), None), ("dfa8-sigmoid", "1" * 50 + "0" * 50, None)]
            + [("pairs16-sigmoid", _bits(rng, 40), _bits(rng, 40))])


@pytest.mark.parametrize(("key", "x1", "x2"), _cases())
def test_stepper_equals_the_python_simulation(browser: Any, demo_page: Any, key: str, x1: str,
                                              x2: str | None) -> None:
    d, net = browser, demo_page.nets[key]
    _set_input(d, key, x1, x2)
    _click(d, key, "all")
    rows = _rows(d, key)
    parse = (lambda s: [float(c) for c in s]) if set(x1) <= {"0", "1"} else (
        lambda s: [float(v) for v in s.replace(",", " ").split()])
    xs1, xs2 = parse(x1), parse(x2) if x2 is not None else None
    states = _python_run(net, xs1, xs2)
    assert [r["t"] for r in rows] == list(range(1, len(xs1) + 1))
    binary = net.is_binary or all(layer.act.kind in ("step", "identity") for layer in net.layers)
    for r in rows:
        t = r["t"] - 1
        assert r["x"] == ([xs1[t]] if xs2 is None else [xs1[t], xs2[t]])
        for page, python in zip(r["states"], states, strict=True):
            expect = python[t].tolist()
            if binary:
                assert page == expect, (key, r["t"])  # bit for bit
            else:
                assert max(abs(a - b) for a, b in zip(page, expect, strict=True)) <= 1e-12, (key, r["t"])
    spec = net.spec
    if spec is None:
        assert all(r["want"] is None and r["got"] is None for r in rows)
        return
    symbols = ["".join(str(int(v)) for v in ([a] if xs2 is None else [a, b]))
               for a, b in zip(xs1, xs2 or xs1, strict=True)]
    want = spec.outputs([spec.alphabet.index(s) for s in symbols])
    y = states[-1][:, 0].tolist()
    sigmoid_out = net.layers[-1].act.kind == "sigmoid"
    got = [(1 if v > 0.5 else 0 if v < 0.5 else None) if sigmoid_out else (1 if v == 1 else 0 if v == 0 else None)
           for v in y]
    assert [r["want"] for r in rows] == want
    assert [r["got"] for r in rows] == got
    disagreements = [i + 1 for i, (g, w) in enumerate(zip(got, want, strict=True)) if g != w]
    assert [r["t"] for r in rows if r["first"]] == disagreements[:1]
    assert not _console_errors(d)


@pytest.mark.parametrize(("key", "x1", "x2", "first"), [
    ("all-ones-h0-0", "1101", None, 1),  # the sheet's weights from h0 = 0 fail on input "1"
    ("equality-as-written", "0110", "0111", 1),  # the sheet's y(1) with c = -1.5
    ("all-ones-from-zero", "1101", None, None),
])
def test_stepper_steps_back_and_forth_and_marks_the_first_disagreement(
        browser: Any, key: str, x1: str, x2: str | None, first: int | None) -> None:
    d = browser
    _set_input(d, key, x1, x2)
    _click(d, key, "reset")
    assert _rows(d, key) == []
    for _ in range(3):
        _click(d, key, "step")
    assert [r["t"] for r in _rows(d, key)] == [1, 2, 3]
    _click(d, key, "back")
    rows = _rows(d, key)
    assert [r["t"] for r in rows] == [1, 2]
    message = _message(d, key)
    if first is None:
        assert "First disagreement" not in message and not any(r["first"] for r in rows)
        _click(d, key, "all")
        assert "agree at every step" in _message(d, key)
    else:
        assert f"First disagreement at t = {first}" in message
        assert [r["t"] for r in rows if r["first"]] == [first]


def test_stepper_says_what_is_wrong_with_an_input(browser: Any) -> None:
    d = browser
    _set_input(d, "equality", "0110", "011")
    assert "same length" in _message(d, "equality") and _rows(d, "equality") == []
    _set_input(d, "all-ones", "10a1", None)
    assert "0s and 1s" in _message(d, "all-ones") and _rows(d, "all-ones") == []
    _set_input(d, "all-ones", "1011", None)
    _click(d, "all-ones", "all")
    assert len(_rows(d, "all-ones")) == 4
    assert not _console_errors(d)


def test_screenshots_desktop_and_phone(browser: Any, tmp_path: Path) -> None:
    d = browser
    folder = Path(os.environ.get("RNNLAB_SCREENSHOTS", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    for name, size in (("desktop", DESKTOP), ("phone", PHONE)):
        _viewport(d, *size)
        for anchor in ("", "S3.demo-bound", "stepper-all-ones-h0-0", "stepper-dfa8-sigmoid"):
            d.execute_script("if (arguments[0]) document.getElementById(arguments[0]).scrollIntoView();"
                             "else window.scrollTo(0, 0);", anchor)
            # Nothing may be wider than the screen: wide tables scroll inside their own box.
            overflow = d.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, (name, anchor, overflow)
            assert d.save_screenshot(str(folder / f"{name}-{anchor or 'top'}.png"))
    _viewport(d, *DESKTOP)
    assert not _console_errors(d)


def test_contents_highlight_what_is_on_screen(browser: Any) -> None:
    d = browser
    _viewport(d, *DESKTOP)
    d.execute_script("document.getElementById('S8.adder').scrollIntoView();")
    current = d.execute_script("""return new Promise(done => requestAnimationFrame(() => requestAnimationFrame(() =>
        done(Array.from(document.querySelectorAll('nav.toc a.current')).map(a => a.getAttribute('href'))))));""")
    assert current == ["#S8.adder"]


# --- trained nets (rnnlab-net/2) ------------------------------------------------------------------------------

def _learned_reference(net: LearnedNet, word: list[int]) -> tuple[list[np.ndarray], np.ndarray]:
    """Every column of the stepper's state (elman: each layer; GRU: h; LSTM: h, c) as (T, H) float64, and
    v . h + c, by PyTorch's own cells in double precision (elman: rnnlab's activations, layer by layer)."""
    A = len(net.alphabet)
    x = torch.nn.functional.one_hot(torch.tensor(word), A).to(torch.float64)  # (T, A)
    cols: list[list[torch.Tensor]]
    with torch.no_grad():
        if net.cell == "elman":
            s = [torch.tensor(L.h0, dtype=torch.float64) for L in net.layers]
            cols = [[] for _ in net.layers]
            for t in range(len(word)):
                inputs = x[t]
                for k, L in enumerate(net.layers):
                    W, U, b = (torch.tensor(m, dtype=torch.float64) for m in (L.W, L.U, L.b))
                    s[k] = L.act(W @ s[k] + U @ inputs + b)
                    cols[k].append(s[k])
                    inputs = torch.cat([inputs, s[k]])
            h = torch.stack(cols[-1])
        else:
            module = (torch.nn.GRUCell if net.cell == "gru" else torch.nn.LSTMCell)(A, net.hidden).double()
            for k, name in [("W_ih", "weight_ih"), ("W_hh", "weight_hh"), ("b_ih", "bias_ih"), ("b_hh", "bias_hh")]:
                getattr(module, name).copy_(torch.from_numpy(net.weights[k].astype(np.float64)))
            hc = torch.from_numpy(net.h0.astype(np.float64))[None]
            c = torch.from_numpy(net.c0.astype(np.float64))[None] if net.cell == "lstm" else None
            cols = [[], []] if net.cell == "lstm" else [[]]
            for t in range(len(word)):
                if c is None:
                    hc = module(x[t][None], hc)
                else:
                    hc, c = module(x[t][None], (hc, c))
                    cols[1].append(c[0])
                cols[0].append(hc[0])
            h = torch.stack(cols[0])
    logit = h @ torch.from_numpy(net.v.astype(np.float64)) + net.c
    return [torch.stack(col).numpy() for col in cols], logit.numpy()


def _learned_cases() -> list[tuple[str, str, str | None]]:
    rng = random.Random(1)
    return ([(k, _bits(rng, 40), None) for k in ("learned-tanh", "learned-sigmoid-3-layers",
                                                 "learned-sigmoid-broken", "learned-lstm", "learned-gru-no-spec")]
            + [("learned-gru-pairs", _bits(rng, 30), _bits(rng, 30)), ("learned-sigmoid-3-layers", "1000101", None)])


@pytest.mark.parametrize(("key", "x1", "x2"), _learned_cases())
def test_stepper_runs_trained_nets_as_pytorch_does(browser: Any, demo_page: Any, key: str, x1: str,
                                                  x2: str | None) -> None:
    d, net = browser, demo_page.nets[key]
    _set_input(d, key, x1, x2)
    _click(d, key, "all")
    rows = _rows(d, key)
    symbols = [a + b for a, b in zip(x1, x2, strict=True)] if x2 is not None else list(x1)
    word = [net.alphabet.index(s) for s in symbols]
    states, logit = _learned_reference(net, word)
    logits = _logits(d, key)
    assert [r["t"] for r in rows] == list(range(1, len(word) + 1))
    assert max(abs(a - b) for a, b in zip(logits, logit, strict=True)) <= 1e-12
    float32 = net.logits([word])[0]  # rnnlab's own run of the net, in float32
    assert max(abs(a - b) for a, b in zip(logits, float32, strict=True)) <= 1e-4
    for r in rows:
        t = r["t"] - 1
        assert r["x"] == ([x1[t]] if x2 is None else [x1[t], x2[t]])
        assert len(r["states"]) == len(states)
        for page, python in zip(r["states"], states, strict=True):
            assert max(abs(a - b) for a, b in zip(page, python[t].tolist(), strict=True)) <= 1e-12, (key, r["t"])
        assert r["got"] == int(logits[t] > 0)
        if abs(float32[t]) > 1e-4:
            assert r["got"] == int(float32[t] > 0)  # the page reads the output as rnnlab does
    if net.spec is None:
        assert all(r["want"] is None and r["q"] is None for r in rows)
        return
    want = net.spec.outputs([net.spec.alphabet.index(s) for s in symbols])
    assert [r["want"] for r in rows] == want
    disagreements = [i + 1 for i, (r, w) in enumerate(zip(rows, want, strict=True)) if r["got"] != w]
    assert [r["t"] for r in rows if r["first"]] == disagreements[:1]
    if key == "learned-sigmoid-3-layers":
        assert disagreements == [] and "agree at every step" in _message(d, key)
    if key == "learned-sigmoid-broken":
        assert disagreements and f"First disagreement at t = {disagreements[0]}" in _message(d, key)
    assert not _console_errors(d)


def test_trained_stepper_says_what_is_wrong_with_an_input(browser: Any) -> None:
    d = browser
    _set_input(d, "learned-gru-pairs", "0110", "011")
    assert "same length" in _message(d, "learned-gru-pairs") and _rows(d, "learned-gru-pairs") == []
    _set_input(d, "learned-lstm", "10a1", None)
    assert "\"a\" at t = 3" in _message(d, "learned-lstm") and _rows(d, "learned-lstm") == []
    _set_input(d, "learned-lstm", "1011", None)
    _click(d, "learned-lstm", "all")
    assert len(_rows(d, "learned-lstm")) == 4
    assert not _console_errors(d)


def _logits(d: Any, key: str) -> list[float]:
    return [float(json.loads(v)) for v in d.execute_script(
        "return Array.from(document.querySelectorAll('[data-stepper=\"' + arguments[0] + '\"] tbody tr[data-t] "
        "td.logit')).map(td => td.dataset.v);", key)]
