"""One view of every net the extractor reads: a state vector, a step per symbol, a readout, and the same
three as sound interval maps (`bounds`).

    state   rnnlab-net/1 nets: every layer's units, in layer order (layers without memory included:
            their previous value is multiplied by W = 0); learned elman nets: every layer; GRU: h;
            LSTM: (h, c)
            rnnlab-net/3 nets (PyTorch nets as they are): every block's h (and c), after the prefix
    accept  learned nets: v . h + c > 0;  rnnlab-net/1 nets: the output unit y > 1/2 (logit y - 1/2);
            rnnlab-net/3 nets: the head's decision after the suffix (`TorchNet.logit`)

rnnlab-net/3 nets have the concrete side only (`provable` is False): L* extracts them, no proof is searched.

rnnlab-net/1 nets run in float64 (as `Net.run` does), learned nets in float32 (`LearnedNet.step`); the
rounding model of `bounds` covers both.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from rnnlab.exact.net import Layer, Net
from rnnlab.extract import affine as af
from rnnlab.extract import bounds as bd
from rnnlab.extract.bounds import Box
from rnnlab.extract.model import LearnedNet
from rnnlab.extract.torch_net import TorchNet

__all__ = ["NO_PROOF", "Machine", "machine"]

NO_PROOF = ("no proof search for this net shape yet (rnnlab-net/3: a PyTorch net as it is; the sound bounds model "
            "rnnlab-net/2's steps, not torch's)")


@dataclass(frozen=True)
class _Stack:
    """An elman layer stack in float64 numpy: s_l' = act(W_l s_l + U_l [x; s_0'; ..; s_{l-1}'] + b_l)."""

    W: tuple[np.ndarray, ...]
    U: tuple[np.ndarray, ...]
    b: tuple[np.ndarray, ...]
    acts: tuple[tuple[str, float, float, bool], ...]  # (kind, gain, threshold, strict)
    sizes: tuple[int, ...]

    @classmethod
    def of(cls, layers: Sequence[Layer]) -> _Stack:
        return cls(tuple(np.array(L.W, dtype=np.float64) for L in layers),
                   tuple(np.array(L.U, dtype=np.float64) for L in layers),
                   tuple(np.array(L.b, dtype=np.float64) for L in layers),
                   tuple((L.act.kind, L.act.gain, L.act.threshold, L.act.strict) for L in layers),
                   tuple(L.size for L in layers))

    def box_step(self, lo: np.ndarray, hi: np.ndarray, x: np.ndarray) -> Box:
        inputs_lo, inputs_hi = x, x
        out_lo, out_hi, k = [], [], 0
        n_x = len(x)
        for W, Um, b, (kind, gain, thr, strict), H in zip(self.W, self.U, self.b, self.acts, self.sizes,
                                                         strict=True):
            s_lo, s_hi = lo[k:k + H], hi[k:k + H]
            k += H
            # U [x; earlier layers] + b: the input part is exact data, the earlier layers are intervals
            Ux, Ue = Um[:, :n_x], Um[:, n_x:]
            const = Ux @ x + b
            const_mag = np.abs(Ux) @ np.abs(x) + np.abs(b)
            if Ue.shape[1]:
                e_lo, e_hi = inputs_lo[n_x:], inputs_hi[n_x:]
                Wfull = np.concatenate([W, Ue], axis=1)
                zlo, zhi = bd.linear(Wfull, np.concatenate([s_lo, e_lo]), np.concatenate([s_hi, e_hi]), const,
                                     const_mag, n_x + 1)
            else:
                zlo, zhi = bd.linear(W, s_lo, s_hi, const, const_mag, n_x + 1)
            a_lo, a_hi = bd.act(kind, zlo, zhi, gain, thr, strict)
            out_lo.append(a_lo)
            out_hi.append(a_hi)
            inputs_lo = np.concatenate([inputs_lo, a_lo])
            inputs_hi = np.concatenate([inputs_hi, a_hi])
        return np.concatenate(out_lo), np.concatenate(out_hi)

    def affine(self) -> bool:
        """Whether `affine_step` applies: every layer sigmoid, tanh or identity at gain 1."""
        return all(k in ("sigmoid", "tanh", "identity") and g == 1.0 for k, g, _, _ in self.acts)

    def affine_step(self, s: af.Form, x: np.ndarray) -> af.Form:
        n_x, k = len(x), 0
        out: list[af.Form] = []
        for W, Um, b, (kind, _, _, _), H in zip(self.W, self.U, self.b, self.acts, self.sizes, strict=True):
            Ux, Ue = Um[:, :n_x], Um[:, n_x:]
            cur = af.rows(s, slice(k, k + H))
            k += H
            Wfull, inp = (np.concatenate([W, Ue], axis=1), af.concat([cur, *out])) if Ue.shape[1] else (W, cur)
            z = af.linear(Wfull, inp, Ux @ x + b, np.abs(Ux) @ np.abs(x) + np.abs(b), n_x + 1)
            out.append(z if kind == "identity" else af.act(kind, z))
        return af.concat(out)


class Machine:
    """A net seen by the extractor (module docstring). `inputs[a]` is the input vector of symbol a."""

    provable = True  # whether the sound side (box_step, affine_step) covers the net: certificates can be sought

    def __init__(self, net: Net | LearnedNet | TorchNet) -> None:
        self.net = net
        if isinstance(net, TorchNet):
            if not net.binary:
                raise ValueError(f"net {net.name!r} gives {len(net.labels)} labels ({' '.join(net.labels)}); "
                                 "extraction learns accept/reject automata, so it needs a net of 1 or 2 outputs")
            self.provable = False
            self.alphabet = net.alphabet
            self.h0 = net.initial_state().astype(np.float64)
            self.inputs = np.eye(len(net.alphabet))
            self.dtype = torch.float32
            self.kind = "torch"
            self.stack: _Stack | None = None
            self.v, self.c = np.zeros(net.state_size), 0.0
        elif isinstance(net, LearnedNet):
            self.alphabet = net.alphabet
            self.h0 = net.initial_state().astype(np.float64)
            self.inputs = np.eye(len(net.alphabet))
            self.dtype = torch.float32
            self.kind = net.cell
            if net.cell == "elman":
                self.stack = _Stack.of(net.layers)
            else:
                self.stack = None
                self.w = {k: v.astype(np.float64) for k, v in net.weights.items()}
            H = net.hidden
            D = net.state_size
            self.v = np.zeros(D)
            if net.cell == "elman":
                self.v[D - H:] = net.v
            else:
                self.v[:H] = net.v
            self.c = float(net.c)
        else:
            if net.spec is not None:
                alphabet = net.spec.alphabet
            else:
                n = net.n_inputs
                alphabet = tuple(format(i, f"0{n}b")[::-1] for i in range(2**n))
            if net.layers[-1].size != 1:
                raise ValueError(f"net {net.name!r}: the last layer must be one output unit to extract a DFA")
            self.alphabet = tuple(alphabet)
            self.h0 = np.concatenate([np.array(L.h0, dtype=np.float64) for L in net.layers])
            self.inputs = np.array([[float(c) for c in s] for s in alphabet], dtype=np.float64)
            self.dtype = torch.float64
            self.kind = "net1"
            self.stack = _Stack.of(net.layers)
            self.v = np.zeros(len(self.h0))
            self.v[-1] = 1.0
            self.c = -0.5
        self.D = len(self.h0)

    # --- concrete -----------------------------------------------------------------------------------

    def step(self, S: torch.Tensor, a: torch.Tensor) -> torch.Tensor:
        """(B, D) states, (B,) symbols -> (B, D), in the net's own precision."""
        if isinstance(self.net, (LearnedNet, TorchNet)):
            return self.net.step(S, a)
        assert self.stack is not None
        x = torch.from_numpy(self.inputs)[a]  # (B, I)
        inputs, out, k = x, [], 0
        for L, W, Um, b, H in zip(self.net.layers, self.stack.W, self.stack.U, self.stack.b, self.stack.sizes,
                                  strict=True):
            s = S[:, k:k + H]
            k += H
            z = inputs @ torch.from_numpy(Um).T + s @ torch.from_numpy(W).T + torch.from_numpy(b)
            s_new = L.act(z)
            out.append(s_new)
            inputs = torch.cat([inputs, s_new], dim=1)
        return torch.cat(out, dim=1)

    def logit(self, S: torch.Tensor) -> torch.Tensor:
        if isinstance(self.net, (LearnedNet, TorchNet)):
            return self.net.logit(S)
        return S[:, -1] + self.c  # y - 1/2

    def initial(self, batch: int) -> torch.Tensor:
        return torch.from_numpy(self.h0).to(self.dtype).expand(batch, -1).clone()

    def run(self, words: np.ndarray, keep_states: bool = False, stop: Callable[[], bool] | None = None
            ) -> tuple[np.ndarray, np.ndarray | None]:
        """Accept bits after every prefix (B, T) and, if asked, the states (B, T, D) as float64. stop is asked
        before every step (a time limit): once it says True, the bits and states of the t steps done, (B, t)."""
        x = torch.as_tensor(np.asarray(words, dtype=np.int64))
        B, T = x.shape
        S = self.initial(B)
        acc = np.empty((B, T), dtype=bool)
        states = np.empty((B, T, self.D)) if keep_states else None
        with torch.no_grad():
            for t in range(T):
                if stop is not None and stop():
                    return acc[:, :t], None if states is None else states[:, :t]
                S = self.step(S, x[:, t])
                acc[:, t] = (self.logit(S) > 0).numpy()
                if states is not None:
                    states[:, t] = S.to(torch.float64).numpy()
        return acc, states

    # --- sound ----------------------------------------------------------------------------------------

    def box_step(self, lo: np.ndarray, hi: np.ndarray, a: int) -> Box:
        """An interval enclosing the next state of every state in [lo, hi] on symbol a (bounds' model)."""
        self._sound()
        x = self.inputs[a]
        if self.stack is not None:
            return self.stack.box_step(lo, hi, x)
        w, kind = self.w, self.kind
        H = len(self.net.h0) if isinstance(self.net, LearnedNet) else 0
        h_lo, h_hi = lo[:H], hi[:H]
        gi = w["W_ih"] @ x + w["b_ih"]  # exact one-hot column + bias: one float add, counted below

        def gate(j: int, act: str, with_h: bool = True) -> Box:
            rows = slice(j * H, (j + 1) * H)
            const = gi[rows] + w["b_hh"][rows]
            mag = np.abs(gi[rows]) + np.abs(w["b_hh"][rows])
            zlo, zhi = bd.linear(w["W_hh"][rows], h_lo, h_hi, const, mag, 3)
            return bd.act(act, zlo, zhi)

        if kind == "gru":
            r = gate(0, "sigmoid")
            z = gate(1, "sigmoid")
            rows = slice(2 * H, 3 * H)
            ghn = bd.linear(w["W_hh"][rows], h_lo, h_hi, w["b_hh"][rows], np.abs(w["b_hh"][rows]), 1)
            m = bd.mul(*r, *ghn)
            pre = bd.add(gi[rows] - 0.0, gi[rows] + 0.0, *m)
            pre = (pre[0] - bd.SAFETY * bd.U * np.abs(gi[rows]), pre[1] + bd.SAFETY * bd.U * np.abs(gi[rows]))
            n = bd.act("tanh", *pre)
            out = bd.blend(z[0], z[1], n[0], n[1], h_lo, h_hi)
        else:
            c_lo, c_hi = lo[H:], hi[H:]
            i, f, g, o = gate(0, "sigmoid"), gate(1, "sigmoid"), gate(2, "tanh"), gate(3, "sigmoid")
            c_new = bd.add(*bd.mul(*f, c_lo, c_hi), *bd.mul(*i, *g))
            h_new = bd.mul(*o, *bd.act("tanh", *c_new))
            out = np.concatenate([h_new[0], c_new[0]]), np.concatenate([h_new[1], c_new[1]])
        # both enclosures are sound, so is their intersection; the affine one keeps the gates' dependence on h
        alo, ahi = af.box(self.affine_step(af.of_box(lo, hi), a))
        return np.maximum(out[0], alo), np.minimum(out[1], ahi)

    @property
    def affine(self) -> bool:
        """Whether `affine_step` applies (learned nets and compiled nets of smooth units)."""
        return self.stack is None or self.stack.affine()

    def affine_step(self, s: af.Form, a: int) -> af.Form:
        """An affine form enclosing the next state of every state in s on symbol a, for real arithmetic and for
        every float execution (`affine`); the same float operations as the net's own step."""
        self._sound()
        x = self.inputs[a]
        if self.stack is not None:
            return self.stack.affine_step(s, x)
        w = self.w
        H = len(s.c) if self.kind == "gru" else len(s.c) // 2
        gi = w["W_ih"] @ x + w["b_ih"]
        h = af.rows(s, slice(0, H))

        def pre(j: int) -> af.Form:
            rows = slice(j * H, (j + 1) * H)
            return af.linear(w["W_hh"][rows], h, gi[rows] + w["b_hh"][rows], np.abs(gi[rows]) + np.abs(w["b_hh"][rows]),
                             3)

        if self.kind == "gru":
            r, z = af.act("sigmoid", pre(0)), af.act("sigmoid", pre(1))
            rows = slice(2 * H, 3 * H)
            ghn = af.linear(w["W_hh"][rows], h, w["b_hh"][rows], np.abs(w["b_hh"][rows]), 1)
            n = af.act("tanh", af.add_const(gi[rows], af.mul(r, ghn), bd.SAFETY * bd.U * np.abs(gi[rows])))
            return af.add(af.mul(af.one_minus(z), n), af.mul(z, h))
        c = af.rows(s, slice(H, 2 * H))
        i, f, o = af.act("sigmoid", pre(0)), af.act("sigmoid", pre(1)), af.act("sigmoid", pre(3))
        g = af.act("tanh", pre(2))
        c_new = af.add(af.mul(f, c), af.mul(i, g))
        return af.concat([af.mul(o, af.act("tanh", c_new)), c_new])

    def _sound(self) -> None:
        if not self.provable:
            raise ValueError(f"net {self.net.name!r}: {NO_PROOF}")

    def affine_logit(self, s: af.Form) -> Box:
        """An interval enclosing the readout's logit over the form."""
        self._sound()
        c = np.array([self.c])
        return af.box(af.linear(self.v[None, :], s, c, np.abs(c), 1))

    def box_logit(self, lo: np.ndarray, hi: np.ndarray) -> Box:
        """An interval enclosing the readout's logit over [lo, hi] (accept iff > 0)."""
        self._sound()
        c = np.array([self.c])
        return bd.linear(self.v[None, :], lo, hi, c, np.abs(c), 1)


def machine(net: Net | LearnedNet | TorchNet) -> Machine:
    return Machine(net)
