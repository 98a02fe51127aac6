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
(tests/test_glr.py). :class:`FusedGLR` (``form="fused"``) is (G1)-(G3) and the padding in one
autograd node with its backward by hand: the same numbers, without the autograd graph of the
gates (tests/test_glr_fused.py).

Ablations: each ingredient removed in turn, everything else kept (tests/test_glr.py; the
protocol's "ablation" profile trains them):

    (A1) untied input gate:   i_t = sigma(W_xi x_t + b_i),  b_t = i_t * c~_t     3(n+1)m
    (A2) linear candidate:    c~_t = W_xc x_t + b_c (no tanh)                     2(n+1)m
    (A3) fixed decay:         f_t = sigma(b_f), the same at every step            (n+1)m + m

(A1) loses the bound |h_t| <= max(|h_0|, 1); (A2) the bounded candidate; (A3) the gate's
dependence on the input, leaving an exponential moving average of the candidates with one
learned rate per unit.
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
    the state of the last real step. ``form``: one of :data:`FORMS`, as in :func:`recurrence`."""
    xp = F.linear(x, W_x, b)  # (B, T, 2H): every gate of every step in one matrix product
    return recurrence(xp, h0, mask, form)


def untied_coefficients(xp):
    """(A1): xp = [z_f, z_i, z_c] (..., 3H) -> a_t = f_t, b_t = i_t * c~_t, each (..., H)."""
    z_f, z_i, z_c = xp.chunk(3, dim=-1)
    return torch.sigmoid(z_f), torch.sigmoid(z_i) * torch.tanh(z_c)


def linear_coefficients(xp):
    """(A2): as :func:`coefficients` with the identity for the candidate's tanh."""
    z_f, z_c = xp.chunk(2, dim=-1)
    return torch.sigmoid(z_f), torch.sigmoid(-z_f) * z_c


def fixed_decay_coefficients(xp, b_f):
    """(A3): xp = z_c (..., H), b_f (H,) -> a_t = sigma(b_f) at every step,
    b_t = sigma(-b_f) c~_t, each (..., H)."""
    return torch.sigmoid(b_f).expand_as(xp), torch.sigmoid(-b_f) * torch.tanh(xp)


FORMS = (*scan.FORMS, "fused")  # the forms of recurrence(): the scans of (G3), or "fused"


def recurrence(xp, h0, mask=None, form: str = "sequential", coef=coefficients):
    """(G3) from the gates' pre-activations xp (B, T, 2H) (any strides; a time-major caller
    passes a transposed view): outputs (B, T, H), zero on padded steps, and h_T (B, H).

    ``form``: "fused" (:class:`FusedGLR`: gates, scan, mask and their backward in one node) or a
    key of :data:`rnnpaper.models.scan.FORMS` (the gates by autograd, then that scan).
    ``coef``: xp -> (a_t, b_t), (G1)-(G2) by default, an ablation's otherwise (not
    with the fused form, whose backward is written for (G1)-(G3))."""
    if form == "fused" and coef is not coefficients:
        raise ValueError(
            "form='fused' computes (G1)-(G3) only; run an ablation with form='sequential' or "
            "'chunked'"
        )
    if form == "fused" and torch.is_grad_enabled() and (xp.requires_grad or h0.requires_grad):
        return FusedGLR.apply(xp, h0, mask)
    if form == "fused":
        return fused_forward(xp, h0, mask)[:2]  # no gradient wanted: nothing kept
    f, b_t = coef(xp)  # (B, T, H) each: a_t = f_t, b_t = (1 - f_t) c~_t
    h = scan.FORMS[form](f, b_t, h0, mask)  # (B, T, H)
    y = h if mask is None else h * mask.unsqueeze(-1)  # (B, T, H)
    return y, h[:, -1]  # padded steps kept the state: the last row is the last real state


CHUNK_ELEMENTS = 1 << 16  # gates are computed L steps at a time, L * B * H <= this: in cache


def _gates(xs, m, a, one_minus_f, c_tilde=None):
    """(G1), (G2) of the steps xs (L, B, 2H), mask m (L, B, 1) or None, into the buffers
    a = f_t, 1 - f_t = sigma(-z_f) [and c~_t] (L, B, H); a padded step gets a_t = 1, 1 - f_t = 0."""
    H = a.shape[-1]
    z_f, z_c = xs[..., :H], xs[..., H:]  # (L, B, H) views
    torch.sigmoid(z_f, out=a)  # (G1)
    torch.neg(z_f, out=one_minus_f).sigmoid_()  # 1 - f_t without cancellation near f_t = 1
    if c_tilde is not None:
        torch.tanh(z_c, out=c_tilde)  # (G2)
    if m is not None:
        a.masked_fill_(~m, 1.0)  # padded: a_t = 1 ...
        one_minus_f.masked_fill_(~m, 0.0)  # ... b_t = 0, and both dz are 0


def fused_forward(xp, h0, mask=None, keep: bool = False):
    """:class:`FusedGLR`'s forward with no autograd: xp (B, T, 2H), h0 (B, H), mask (B, T) ->
    outputs (B, T, H), h_T (B, H), and with ``keep`` what backward needs: c~ (T, B, H), h_0..h_T
    (T+1, B, H) and the mask (T, B, 1) (else c~ lives one chunk at a time: for inference)."""
    xs = xp.transpose(0, 1)  # (T, B, 2H) view
    T, (B, H) = xs.shape[0], h0.shape
    L = max(1, min(T, CHUNK_ELEMENTS // (B * H)))  # steps per chunk
    m = None if mask is None else mask.t().bool().unsqueeze(-1)  # (T, B, 1)
    a, one_minus_f = xs.new_empty(L, B, H), xs.new_empty(L, B, H)  # one chunk's gates
    c_tilde = xs.new_empty(T if keep else L, B, H)  # c~_t, all steps or one chunk's
    h = xs.new_empty(T + 1, B, H)  # (T+1, B, H): h_0 .. h_T
    h[0] = h0
    h_rows, a_rows = h.unbind(0), a.unbind(0)  # (B, H) views, made once: cheap steps
    for s in range(0, T, L):
        e = min(s + L, T)
        n = e - s
        c_c = c_tilde[s:e] if keep else c_tilde[:n]  # (n, B, H)
        _gates(xs[s:e], None if m is None else m[s:e], a[:n], one_minus_f[:n], c_c)
        torch.mul(one_minus_f[:n], c_c, out=h[s + 1 : e + 1])  # b_t = (1 - f_t) c~_t
        for t in range(s, e):
            h_rows[t + 1].addcmul_(a_rows[t - s], h_rows[t])  # (G3): b_t + f_t h_{t-1}
    y = h[1:] if m is None else h[1:] * m  # (T, B, H), zero on padded steps
    return y.transpose(0, 1), h[T].clone(), c_tilde, h, m  # y (B, T, H), h_T (B, H)


class FusedGLR(torch.autograd.Function):
    """(G1)-(G3), the padding and the outputs' mask in one autograd node, backward by hand.

    Forward: (G3) step by step in place, the gates computed L steps ahead into small reused
    buffers (large fresh buffers cost more in page faults than the arithmetic). Backward, with
    g_t = dL/dh_t over all paths (a linear recurrence run backwards in time, as in
    :class:`rnnpaper.models.scan.SequentialScan`) and the gates recomputed chunk by chunk:

        g_t = m_t dy_t + a_{t+1} g_{t+1},   g_T = m_T dy_T + dh_T        (a_t = f_t; 1 if padded)
        dz_f,t = m_t g_t f_t (1 - f_t) (h_{t-1} - c~_t)                   from (G1), (G3)
        dz_c,t = m_t g_t (1 - f_t) (1 - c~_t^2)                           from (G2), (G3)
        dh_0 = a_1 g_1

    A padded step (m_t = 0) keeps the state, a_t = 1 and b_t = 0 as in
    :func:`rnnpaper.models.scan.keep_padded`, and outputs zero; h_T is the last real state.
    1 - f_t is sigma(-z_f), as in :func:`coefficients`. Saved: xp (the input, no copy), c~ and
    h (T, B, H), time-major for contiguous steps. xp (B, T, 2H) may have any strides; its
    gradient is one (T, B, 2H) buffer (g is kept in its dz_c half, then overwritten by dz_c),
    returned as a (B, T, 2H) view: a time-major caller gets no copy.
    """

    @staticmethod
    def forward(ctx, xp, h0, mask=None):
        y, h_T, c_tilde, h, m = fused_forward(xp, h0, mask, keep=True)
        ctx.save_for_backward(xp, c_tilde, h, m)
        ctx.set_materialize_grads(False)
        return y, h_T

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, dy, dh_T):
        xp, c_tilde, h, m = ctx.saved_tensors
        xs = xp.transpose(0, 1)  # (T, B, 2H) view
        T, B, H = c_tilde.shape
        L = max(1, min(T, CHUNK_ELEMENTS // (B * H)))
        dxp = xs.new_empty(T, B, 2 * H)  # (T, B, 2H): [dz_f, dz_c] per step
        dz_f, g = dxp[..., :H], dxp[..., H:]  # (T, B, H) views; g[t-1] = dL/dh_t, then dz_c
        a, one_minus_f, d = (xs.new_empty(L, B, H) for _ in range(3))  # one chunk's
        dy = None if dy is None else dy.transpose(0, 1)  # (T, B, H) view
        one = xs.new_ones(())
        g_rows, a_rows = g.unbind(0), a.unbind(0)  # (B, H) views, made once: cheap steps
        carry = dh_T  # (B, H): what flows into g of a chunk's last step from after it
        for s in reversed(range(0, T, L)):
            e = min(s + L, T)
            n, m_c, g_c = e - s, None if m is None else m[s:e], g[s:e]
            if dy is None:
                g_c.zero_()
            elif m_c is None:
                g_c.copy_(dy[s:e])  # dy_t
            else:
                torch.mul(dy[s:e], m_c, out=g_c)  # m_t dy_t
            if carry is not None:
                g_c[-1] += carry
            _gates(xs[s:e], m_c, a[:n], one_minus_f[:n])
            for t in range(e - 2, s - 1, -1):
                g_rows[t].addcmul_(a_rows[t + 1 - s], g_rows[t + 1])  # g_t += a_{t+1} g_{t+1}
            carry = a[0] * g_c[0]  # a_s g_s, into g_{s-1}; dh_0 once s = 0
            c_c = c_tilde[s:e]
            torch.sub(h[s:e], c_c, out=d[:n]).mul_(a[:n]).mul_(one_minus_f[:n])
            torch.mul(d[:n], g_c, out=dz_f[s:e])  # g_t f_t (1 - f_t)(h_{t-1} - c~_t)
            torch.addcmul(one, c_c, c_c, value=-1.0, out=d[:n])  # 1 - c~_t^2
            g_c.mul_(one_minus_f[:n]).mul_(d[:n])  # dz_c = g_t (1 - f_t)(1 - c~_t^2)
        return dxp.transpose(0, 1), carry if ctx.needs_input_grad[1] else None, None
