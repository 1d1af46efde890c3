"""GRU and LSTM layers for S models at once, with nn.GRU / nn.LSTM's equations and weight layout (SPEC S12).

Weights are nn.GRU's / nn.LSTM's, stacked over a leading model axis: w_ih (S, G H, I), w_hh (S, G H, H),
b_ih, b_hh (S, G H), with G = 3 gates (r, z, n) for the GRU and 4 (i, f, g, o) for the LSTM, in torch's
order, so that slice s of a stack is exactly the parameters of one nn.GRU / nn.LSTM. Autograd differentiates
the steps; the input products of all steps are one batched product before the loop.

    GRU:  r = sig(W_ir x + b_ir + W_hr h + b_hr),  z = sig(W_iz x + b_iz + W_hz h + b_hz),
          n = tanh(W_in x + b_in + r * (W_hn h + b_hn)),  h' = (1 - z) * n + z * h
    LSTM: i, f, o = sig(.), g = tanh(.),  c' = f * c + i * g,  h' = o * tanh(c')
"""

from __future__ import annotations

import torch
from torch import Tensor


def _input_terms(x: Tensor, w_ih: Tensor, b_ih: Tensor) -> Tensor:
    """x (S, B, T, I) -> W_ih x_t + b_ih for every step, time-major (T, S, B, G H)."""
    S, B, T, n_in = x.shape
    gi = torch.baddbmm(b_ih.unsqueeze(1), x.reshape(S, B * T, n_in), w_ih.transpose(1, 2))  # (S, B T, G H)
    return gi.view(S, B, T, -1).permute(2, 0, 1, 3)


def gru_batched(x: Tensor, h0: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor, b_hh: Tensor) -> Tensor:
    """S GRUs over x (S, B, T, I) from h0 (S, B, H); returns every state, (S, B, T, H)."""
    gi = _input_terms(x, w_ih, b_ih)  # (T, S, B, 3H)
    w_hh_t, b_hh = w_hh.transpose(1, 2), b_hh.unsqueeze(1)
    h, states = h0, []
    for gi_t in gi.unbind(0):
        gh = torch.baddbmm(b_hh, h, w_hh_t)  # (S, B, 3H)
        i_r, i_z, i_n = gi_t.chunk(3, dim=2)
        h_r, h_z, h_n = gh.chunk(3, dim=2)
        r = torch.sigmoid(i_r + h_r)
        z = torch.sigmoid(i_z + h_z)
        n = torch.tanh(i_n + r * h_n)
        h = n + z * (h - n)  # (1 - z) n + z h
        states.append(h)
    return torch.stack(states, dim=2)


def lstm_batched(x: Tensor, h0: Tensor, c0: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor,
                 b_hh: Tensor) -> Tensor:
    """S LSTMs over x (S, B, T, I) from (h0, c0), each (S, B, H); returns every state h_t, (S, B, T, H)."""
    gi = _input_terms(x, w_ih, b_ih)  # (T, S, B, 4H)
    w_hh_t, b_hh = w_hh.transpose(1, 2), b_hh.unsqueeze(1)
    h, c, states = h0, c0, []
    for gi_t in gi.unbind(0):
        gates = torch.baddbmm(b_hh, h, w_hh_t) + gi_t  # (S, B, 4H)
        i, f, g, o = gates.chunk(4, dim=2)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(c)
        states.append(h)
    return torch.stack(states, dim=2)
