"""Backpropagation through time written out by hand: the Elman RNN and the LSTM layer.

The LSTM scan is a ``torch.autograd.Function`` whose backward is the hand-derived BPTT of
eqs. (28)-(33); it is both an executable derivation (tests check it against autograd) and
the fast path of ``cells.Recurrent``: the weight gradient is one matmul over all steps.
"""

import torch


class LSTMScan(torch.autograd.Function):
    """LSTM over time: xp (T, B, 4H) = W_x x_t + b, W_h (4H, H), h0, C0 (B, H), m (T, B, 1)."""

    @staticmethod
    def forward(ctx, xp, W_h, h0, C0, m):
        T, B, G = xp.shape
        H = G // 4
        act = xp.new_empty(T, B, G)  # (T, B, 4H) gate activations i, f, C~, o
        hs = xp.new_empty(T + 1, B, H)  # (T+1, B, H) states h_0 .. h_T
        Cs = xp.new_empty(T + 1, B, H)  # (T+1, B, H) cell states C_0 .. C_T
        tanh_C = xp.new_empty(T, B, H)  # (T, B, H) tanh of the new cell state
        hs[0], Cs[0] = h0, C0
        W_hT = W_h.t()  # (H, 4H)
        for t in range(T):
            a = act[t]  # (B, 4H)
            torch.addmm(xp[t], hs[t], W_hT, out=a)  # pre-activations
            a[:, 2 * H : 3 * H].tanh_()  # eq. 30
            a[:, : 2 * H].sigmoid_()  # eqs. 28, 29
            a[:, 3 * H :].sigmoid_()  # eq. 32
            i, f, g, o = a.chunk(4, dim=1)  # each (B, H)
            C_new = torch.addcmul(f * Cs[t], i, g)  # eq. 31
            torch.tanh(C_new, out=tanh_C[t])
            h_new = o * tanh_C[t]  # eq. 33
            if m is None:
                Cs[t + 1], hs[t + 1] = C_new, h_new
            else:  # a padded step keeps the state
                torch.lerp(Cs[t], C_new, m[t], out=Cs[t + 1])
                torch.lerp(hs[t], h_new, m[t], out=hs[t + 1])
        y = hs[1:] if m is None else hs[1:] * m  # (T, B, H), zero at padded steps
        ctx.save_for_backward(W_h, act, hs, Cs, tanh_C, m)
        return y, hs[T].clone(), Cs[T].clone()

    @staticmethod
    def backward(ctx, dy, dh_T, dC_T):
        W_h, act, hs, Cs, tanh_C, m = ctx.saved_tensors
        T, B, G = act.shape
        da = torch.empty_like(act)  # (T, B, 4H) gradients of the pre-activations
        dh = dh_T.clone() if dh_T is not None else hs.new_zeros(B, G // 4)  # (B, H)
        dC = dC_T.clone() if dC_T is not None else hs.new_zeros(B, G // 4)  # (B, H)
        dy = dy if m is None or dy is None else dy * m  # (T, B, H)
        for t in range(T - 1, -1, -1):
            if dy is not None:
                dh += dy[t]
            i, f, g, o = act[t].chunk(4, dim=1)  # each (B, H)
            dhn, dCn = (dh, dC) if m is None else (dh * m[t], dC * m[t])
            dCn = dCn + dhn * o * (1 - tanh_C[t] ** 2)  # through eq. 33
            di, df, dg, do = da[t].chunk(4, dim=1)  # views into da
            torch.mul(dCn * g, i * (1 - i), out=di)  # sigma' = sigma (1 - sigma), eq. 25
            torch.mul(dCn * Cs[t], f * (1 - f), out=df)
            torch.mul(dCn * i, 1 - g * g, out=dg)  # tanh' = 1 - tanh^2, eq. 27
            torch.mul(dhn * tanh_C[t], o * (1 - o), out=do)
            dh_prev = da[t] @ W_h  # (B, H)
            if m is None:
                dh, dC = dh_prev, dCn * f
            else:
                dh, dC = dh_prev + dh * (1 - m[t]), dCn * f + dC * (1 - m[t])
        dW_h = da.reshape(T * B, G).t() @ hs[:-1].reshape(T * B, -1)  # (4H, H), one matmul
        return da, dW_h, dh, dC, None


def lstm_scan(xp, W_h, h0, C0, mask=None):
    """LSTM layer with hand-written BPTT: -> y (T, B, H), (h_T, C_T)."""
    y, h_T, C_T = LSTMScan.apply(xp, W_h, h0, C0, mask)
    return y, (h_T, C_T)
