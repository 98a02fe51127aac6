"""The gated linear recurrence (GLR), the repository's proposed cell, as a whole layer.

    f_t = sigma(W_xf x_t + b_f)                    forget (decay) gate            (G1)
    c~_t = tanh(W_xc x_t + b_c)                    candidate                      (G2)
    h_t = f_t * h_{t-1} + (1 - f_t) * c~_t         update; the output is h_t      (G3)

No gate sees h_{t-1} (the LSTM's and GRU's all do), so (G3) is linear in h: the gates of all
T steps are one matrix product over (B, T, n), and (G3) is the linear recurrence of
:mod:`rnnpaper.models.scan` with a_t = f_t, b_t = (1 - f_t) * c~_t. Two choices, both
for a bounded state and a small count, 2(n+1)m parameters (2 gate blocks, no W_h):

- the input gate is tied, i_t = 1 - f_t (as the GRU's z and minGRU's): h_t is a convex
  combination of h_{t-1} and c~_t, so |h_t| <= max(|h_0|, 1) at every step and length,
  and the closed form weighs the candidates with weights that sum to at most 1;
- the candidate keeps its tanh: with the identity the layer would be affine in x between
  the gates, and its outputs, unbounded, would feed the next layer, the attention and the
  pooling at another scale than the other cells' h in (-1, 1).

An output gate o_t * h_t (a third block, 3(n+1)m) is left out: equations first.
:class:`rnnpaper.models.cells.GatedLinearCell` is one step of (G1)-(G3); its ``scan`` calls
:func:`recurrence` on its own projection, and stepping the cell gives the same numbers
(tests/test_glr.py).
"""

import torch
import torch.nn.functional as F

from rnnpaper.models import scan


def coefficients(xp):
    """(G1)-(G3) as a_t = f_t, b_t = (1 - f_t) * c~_t from xp = [W_xf x + b_f, W_xc x + b_c].

    xp (..., 2H) -> a, b (..., H). 1 - f_t is computed as sigma(-z): no cancellation near 1.
    """
    z_f, z_c = xp.chunk(2, dim=-1)  # each (..., H)
    return torch.sigmoid(z_f), torch.sigmoid(-z_f) * torch.tanh(z_c)


def layer(x, W_x, b, h0, mask=None, form: str = "sequential"):
    """(G1)-(G3) over whole sequences: x (B, T, n), W_x = [W_xf; W_xc] (2H, n), b = [b_f; b_c]
    (2H,), h0 (B, H), mask (B, T) -> outputs (B, T, H), zero on padded steps, and h_T (B, H),
    the state of the last real step. ``form``: a key of :data:`rnnpaper.models.scan.FORMS`."""
    xp = F.linear(x, W_x, b)  # (B, T, 2H): every gate of every step in one matrix product
    return recurrence(xp, h0, mask, form)


def recurrence(xp, h0, mask=None, form: str = "sequential"):
    """(G3) from the gates' pre-activations xp (B, T, 2H) (any strides; a time-major caller
    passes a transposed view): outputs (B, T, H), zero on padded steps, and h_T (B, H)."""
    f, b_t = coefficients(xp)  # (B, T, H) each: a_t = f_t, b_t = (1 - f_t) c~_t
    h = scan.FORMS[form](f, b_t, h0, mask)  # (B, T, H)
    y = h if mask is None else h * mask.unsqueeze(-1)  # (B, T, H)
    return y, h[:, -1]  # padded steps kept the state: the last row is the last real state
