// The page's small scripts: the contents sidebar, copy buttons, and a stepper for every net (exact, compiled, trained).
//
// A stepper runs a net (the NET.json format of rnnlab.exact.net) from its weights, one step at a time, beside the
// automaton it claims to implement (the S9 spec format). Layer l reads [x(t); s_0(t); ...; s_{l-1}(t)]:
//     s_l(t) = act_l(b_l + U_l [x(t); earlier layers at t] + W_l s_l(t-1)),   s_l(0) = h0_l
// The last layer is the output y; its reading as a bit follows rnnlab's rule: a sigmoid output reads 1 above 0.5
// and 0 below, any other output must be exactly 0 or 1.
// A trained net (rnnlab-net/2, rnnlab.extract.model) reads the one-hot vector e_a of each symbol a of its alphabet
// and accepts a prefix iff v . h + c > 0 (h: the last elman layer, or the GRU/LSTM h). Its cells follow PyTorch:
//     elman  layers as above, U reading [e_a; earlier layers]
//     gru    r = sig(W_ir e_a + b_ir + W_hr h + b_hr), z likewise, n = tanh(W_in e_a + b_in + r (W_hn h + b_hn)),
//            h' = (1 - z) n + z h
//     lstm   i, f, g, o from W_ih e_a + b_ih + W_hh h + b_hh (g: tanh, the others sigmoid); c' = f c + i g,
//            h' = o tanh(c')
"use strict";
(function () {
  const MAX_STEPS = 5000;

  // --- contents: open in the sidebar on a wide screen, folded into a menu on a phone -------------------------
  const toc = document.getElementById("toc");
  const wide = window.matchMedia("(min-width: 68rem)");
  const syncToc = () => { if (toc) toc.open = wide.matches; };
  syncToc();
  wide.addEventListener("change", syncToc);
  if (toc) {
    toc.addEventListener("click", (e) => {
      if (!wide.matches && e.target.closest("a")) toc.open = false;
    });
  }

  // The contents entry of what is on screen is highlighted, so the sidebar says where the reader is.
  if (toc) {
    const entries = Array.from(toc.querySelectorAll('a[href^="#"]')).map((a) => {
      return [a, document.getElementById(decodeURIComponent(a.getAttribute("href").slice(1)))];
    }).filter((pair) => pair[1] !== null);
    let pending = false;
    const mark = () => {
      pending = false;
      let best = null;
      let bestTop = -Infinity;
      for (const [a, el] of entries) {
        const top = el.getBoundingClientRect().top;
        if (top <= 90 && top > bestTop) { best = a; bestTop = top; }
      }
      for (const [a] of entries) a.classList.toggle("current", a === best);
    };
    window.addEventListener("scroll", () => {
      if (!pending) { pending = true; window.requestAnimationFrame(mark); }
    }, { passive: true });
    mark();
  }

  // --- copy buttons --------------------------------------------------------------------------------------------
  function selectCode(button) {
    const code = button.parentElement.querySelector(".cmd");  // every command, one a line
    const range = document.createRange();
    range.selectNodeContents(code);
    const sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
    button.textContent = "selected: press Ctrl+C";
  }
  document.querySelectorAll("button.copy").forEach((button) => {
    button.addEventListener("click", () => {
      const done = () => {
        button.textContent = "copied";
        setTimeout(() => { button.textContent = "copy"; }, 1500);
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(button.dataset.copy).then(done, () => selectCode(button));
      } else {
        selectCode(button);
      }
    });
  });

  // --- the net ------------------------------------------------------------------------------------------------
  function activate(a, z) {
    switch (a.kind) {
      case "identity": return z;
      case "tanh": return Math.tanh(z);
      case "sigmoid": {
        const gain = a.gain === undefined ? 1 : a.gain;
        return 1 / (1 + Math.exp(-(gain === 1 ? z : z * gain)));
      }
      case "step": {
        const threshold = a.threshold === undefined ? 0 : a.threshold;
        const strict = a.strict === undefined ? true : a.strict;
        return (strict ? z > threshold : z >= threshold) ? 1 : 0;
      }
      default: throw new Error("unknown activation " + a.kind);
    }
  }

  // One step: the states of every layer at t from those at t-1 and the input x(t).
  function step(net, state, x) {
    let inputs = x.slice();
    const next = [];
    net.layers.forEach((layer, l) => {
      const prev = state[l];
      const out = new Array(layer.b.length);
      for (let i = 0; i < layer.b.length; i++) {
        let z = layer.b[i];
        for (let k = 0; k < inputs.length; k++) z += layer.U[i][k] * inputs[k];
        for (let j = 0; j < prev.length; j++) z += layer.W[i][j] * prev[j];
        out[i] = activate(layer.activation, z);
      }
      next.push(out);
      inputs = inputs.concat(out);
    });
    return next;
  }

  // --- a trained net (rnnlab-net/2) ---------------------------------------------------------------------------
  const sigmoid = (z) => 1 / (1 + Math.exp(-z));

  // The state as the table shows it: every elman layer; GRU h; LSTM h and c.
  function learnedStart(net) {
    if (net.cell === "elman") return net.layers.map((layer) => layer.h0.slice());
    return net.cell === "lstm" ? [net.h0.slice(), net.c0.slice()] : [net.h0.slice()];
  }

  function learnedStep(net, state, a) {
    if (net.cell === "elman") {
      const A = net.alphabet.length;
      let earlier = [];
      const next = [];
      net.layers.forEach((layer, l) => {
        const prev = state[l];
        const out = new Array(layer.b.length);
        for (let i = 0; i < layer.b.length; i++) {
          let z = layer.b[i] + layer.U[i][a];
          for (let k = 0; k < earlier.length; k++) z += layer.U[i][A + k] * earlier[k];
          for (let j = 0; j < prev.length; j++) z += layer.W[i][j] * prev[j];
          out[i] = activate(layer.activation, z);
        }
        next.push(out);
        earlier = earlier.concat(out);
      });
      return next;
    }
    const w = net.weights;
    const h = state[0];
    const H = h.length;
    const gi = w.b_ih.map((b, i) => b + w.W_ih[i][a]);
    const gh = w.b_hh.map((b, i) => {
      let z = b;
      for (let j = 0; j < H; j++) z += w.W_hh[i][j] * h[j];
      return z;
    });
    const hNew = new Array(H);
    if (net.cell === "gru") {
      for (let k = 0; k < H; k++) {
        const r = sigmoid(gi[k] + gh[k]);
        const z = sigmoid(gi[H + k] + gh[H + k]);
        const n = Math.tanh(gi[2 * H + k] + r * gh[2 * H + k]);
        hNew[k] = (1 - z) * n + z * h[k];
      }
      return [hNew];
    }
    const c = state[1];
    const cNew = new Array(H);
    for (let k = 0; k < H; k++) {
      const i = sigmoid(gi[k] + gh[k]);
      const f = sigmoid(gi[H + k] + gh[H + k]);
      const g = Math.tanh(gi[2 * H + k] + gh[2 * H + k]);
      const o = sigmoid(gi[3 * H + k] + gh[3 * H + k]);
      cNew[k] = f * c[k] + i * g;
      hNew[k] = o * Math.tanh(cNew[k]);
    }
    return [hNew, cNew];
  }

  function learnedLogit(net, state) {
    const h = net.cell === "elman" ? state[state.length - 1] : state[0];
    let z = net.readout.c;
    for (let k = 0; k < h.length; k++) z += net.readout.v[k] * h[k];
    return z;
  }

  function learnedColumns(net) {
    if (net.cell === "elman") return net.layers.map((layer) => layer.name);
    return net.cell === "lstm" ? ["h", "c"] : ["h"];
  }

  function reads(layer, y) {
    if (layer.activation.kind === "sigmoid") return y > 0.5 ? 1 : (y < 0.5 ? 0 : null);
    return y === 1 ? 1 : (y === 0 ? 0 : null);
  }

  // --- the input -----------------------------------------------------------------------------------------------
  function parse(text, name, bitsOnly) {
    const t = text.trim();
    if (t === "") return [];
    if (/^[01]+$/.test(t)) return Array.from(t, Number);
    if (bitsOnly) throw new Error(name + " must be a string of 0s and 1s, e.g. 0110 (got \"" + t + "\")");
    const values = t.split(/[\s,;]+/).filter((s) => s !== "").map((s) => {
      const v = Number(s);
      if (!Number.isFinite(v)) throw new Error(name + ": \"" + s + "\" is not a number");
      return v;
    });
    return values;
  }

  // --- formatting ----------------------------------------------------------------------------------------------
  function num(v) {
    if (Number.isInteger(v)) return String(v);
    const text = v.toPrecision(3);  // 3 significant digits, as everywhere in rnnlab; the cell's title has all
    return text.indexOf("e") >= 0 ? text : text.replace(/\.?0+$/, "");
  }
  // A state vector: bits as a bit string ("0010"), anything else as numbers separated by spaces.
  function vec(values) {
    if (values.length === 1) return num(values[0]);
    if (values.every((v) => v === 0 || v === 1)) return values.join("");
    return values.map(num).join(" ");
  }
  function vecClass(values) { return values.length > 3 && vec(values).indexOf(" ") >= 0 ? "vec wide" : "vec"; }
  function td(text, value, cls) {
    const cell = document.createElement("td");
    cell.textContent = text;
    if (value !== undefined) {
      cell.dataset.v = JSON.stringify(value);
      cell.title = Array.isArray(value) ? value.join(", ") : String(value);
    }
    if (cls) cell.className = cls;
    return cell;
  }
  function th(text) {
    const cell = document.createElement("th");
    cell.scope = "col";
    cell.textContent = text;
    return cell;
  }

  // --- one stepper ---------------------------------------------------------------------------------------------
  function Stepper(root) {
    const data = JSON.parse(root.querySelector("script.stepper-data").textContent);
    const net = data.net;
    const spec = data.spec || net.spec || null;
    const learned = net.format === "rnnlab-net/2";
    const two = learned ? net.alphabet.every((s) => s.length === 2) : net.inputs === 2;
    const form = root.querySelector("form");
    const message = root.querySelector(".message");
    const head = root.querySelector("table.trace thead");
    const body = root.querySelector("table.trace tbody");
    const out = learned ? null : net.layers[net.layers.length - 1];
    let trace = null;
    let shown = 0;

    // A trained net: each character of x (or of x1 and x2) is a symbol of its alphabet.
    function computeLearned() {
      const x1 = Array.from(form.elements.input.value.trim());
      const x2 = two ? Array.from(form.elements.input2.value.trim()) : null;
      if (two && x1.length !== x2.length) {
        throw new Error("x1 and x2 must have the same length (" + x1.length + " and " + x2.length + ")");
      }
      if (x1.length > MAX_STEPS) throw new Error("at most " + MAX_STEPS + " steps, got " + x1.length);
      let state = learnedStart(net);
      let q = spec ? spec.start : null;
      const rows = [];
      let first = null;
      x1.forEach((c, i) => {
        const symbol = two ? c + x2[i] : c;
        const a = net.alphabet.indexOf(symbol);
        if (a < 0) {
          throw new Error("symbol \"" + symbol + "\" at t = " + (i + 1) + " is not in the net's alphabet ("
                          + net.alphabet.join(", ") + ")");
        }
        state = learnedStep(net, state, a);
        const logit = learnedLogit(net, state);
        const row = { t: i + 1, x: two ? [c, x2[i]] : [c], states: state, logit: logit, got: logit > 0 ? 1 : 0 };
        if (spec) {
          q = spec.transitions[q][symbol];
          row.q = q;
          row.want = spec.accept.indexOf(q) >= 0 ? 1 : 0;
          row.agree = row.got === row.want;
          if (!row.agree && first === null) first = row.t;
        }
        rows.push(row);
      });
      return { rows: rows, first: first, x0: learnedStart(net) };
    }

    function compute() {
      if (learned) return computeLearned();
      const x1 = parse(form.elements.input.value, two ? "x1" : "x", spec !== null);
      const x2 = two ? parse(form.elements.input2.value, "x2", spec !== null) : null;
      if (two && x1.length !== x2.length) {
        throw new Error("x1 and x2 must have the same length (" + x1.length + " and " + x2.length + ")");
      }
      if (x1.length > MAX_STEPS) throw new Error("at most " + MAX_STEPS + " steps, got " + x1.length);
      const xs = x1.map((v, t) => (two ? [v, x2[t]] : [v]));
      let state = net.layers.map((layer) => layer.h0.slice());
      let q = spec ? spec.start : null;
      const rows = [];
      let first = null;
      xs.forEach((x, i) => {
        state = step(net, state, x);
        const row = { t: i + 1, x: x, states: state };
        if (spec) {
          const symbol = x.map(String).join("");
          if (!(symbol in spec.transitions[q])) {
            throw new Error("symbol \"" + symbol + "\" at t = " + (i + 1) + " is not in the automaton's alphabet ("
                            + spec.alphabet.join(", ") + ")");
          }
          q = spec.transitions[q][symbol];
          row.q = q;
          row.want = spec.accept.indexOf(q) >= 0 ? 1 : 0;
          row.got = reads(out, state[state.length - 1][0]);
          row.agree = row.got === row.want;
          if (!row.agree && first === null) first = row.t;
        }
        rows.push(row);
      });
      return { rows: rows, first: first, x0: net.layers.map((layer) => layer.h0.slice()) };
    }

    function header() {
      head.textContent = "";
      const tr = document.createElement("tr");
      tr.appendChild(th("t"));
      if (two) { tr.appendChild(th("x1")); tr.appendChild(th("x2")); } else tr.appendChild(th("x"));
      if (learned) {
        learnedColumns(net).forEach((name) => tr.appendChild(th(name)));
        tr.appendChild(th("v · h + c"));
        if (!spec) tr.appendChild(th("net reads"));
      } else {
        net.layers.forEach((layer, l) => tr.appendChild(th(layer.name + (l === net.layers.length - 1 ? " (output)" : ""))));
      }
      if (spec) {
        tr.appendChild(th("net reads"));
        tr.appendChild(th("automaton state"));
        tr.appendChild(th("automaton output"));
      }
      head.appendChild(tr);
    }

    function draw() {
      body.textContent = "";
      if (trace === null) return;
      const start = document.createElement("tr");
      start.className = "start";
      start.appendChild(td("0"));
      (two ? [0, 1] : [0]).forEach(() => start.appendChild(td("")));
      trace.x0.forEach((s) => start.appendChild(td(vec(s), s, vecClass(s))));
      if (learned) start.appendChild(td(""));
      if (learned && !spec) start.appendChild(td(""));
      if (spec) { start.appendChild(td("")); start.appendChild(td(spec.start)); start.appendChild(td("")); }
      body.appendChild(start);
      trace.rows.slice(0, shown).forEach((row) => {
        const tr = document.createElement("tr");
        tr.dataset.t = String(row.t);
        if (row.t === trace.first) tr.className = "first-disagreement";
        tr.appendChild(td(String(row.t)));
        row.x.forEach((v) => tr.appendChild(td(learned ? v : num(v), v, "x")));
        row.states.forEach((s) => tr.appendChild(td(vec(s), s, vecClass(s))));
        if (learned) tr.appendChild(td(num(row.logit), row.logit, "logit"));
        if (learned && !spec) tr.appendChild(td(String(row.got), row.got, "got"));
        if (spec) {
          const bad = row.agree ? "" : " disagree";
          tr.appendChild(td(row.got === null ? "neither" : String(row.got), row.got, "got" + bad));
          tr.appendChild(td(row.q, row.q, "q"));
          tr.appendChild(td(String(row.want), row.want, "want" + bad));
        }
        body.appendChild(tr);
      });
      const T = trace.rows.length;
      message.className = "message";
      let text = "t = " + shown + " of " + T + ".";
      if (spec && trace.first !== null && trace.first <= shown) {
        const row = trace.rows[trace.first - 1];
        text += " First disagreement at t = " + row.t + ": the net's output reads "
          + (row.got === null ? "neither 0 nor 1" : row.got) + ", the automaton's is " + row.want + ".";
        message.classList.add("disagree");
      } else if (spec && shown === T && T > 0) {
        text += " The net and the automaton agree at every step.";
        message.classList.add("agree");
      } else if (spec && shown < T) {
        text += " No disagreement so far.";
      }
      message.textContent = text;
    }

    function update(keepShown) {
      try {
        trace = compute();
        shown = keepShown ? Math.min(shown, trace.rows.length) : trace.rows.length;
        draw();
      } catch (e) {
        trace = null;
        body.textContent = "";
        message.className = "message error";
        message.textContent = e.message;
      }
    }

    root.querySelectorAll("input").forEach((input) => input.addEventListener("input", () => update(true)));
    root.querySelectorAll("button[data-act]").forEach((button) => {
      button.addEventListener("click", () => {
        if (trace === null) return;
        const T = trace.rows.length;
        const act = button.dataset.act;
        shown = act === "back" ? Math.max(0, shown - 1) : act === "step" ? Math.min(T, shown + 1)
          : act === "all" ? T : 0;
        draw();
      });
    });
    header();
    update(false);
  }

  document.querySelectorAll("[data-stepper]").forEach((root) => Stepper(root));
})();
