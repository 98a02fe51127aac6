"""Backpropagation through time written out by hand: the Elman RNN and the LSTM layer.

The LSTM scan is a ``torch.autograd.Function`` whose backward is the hand-derived BPTT of
eqs. (28)-(33); it is both an executable derivation (tests check it against autograd) and
the fast path of ``cells.Recurrent``: the weight gradient is one matmul over all steps.
"""

import torch


def linear(x: torch.Tensor, W: torch.Tensor, b=None) -> torch.Tensor:
    """x W^T (+ b): x (N, K), W (M, K) -> (N, M).

    float32 on CPU goes through oneDNN, the library torch.nn.LSTM itself runs on: on this
    machine's AMD CPU it multiplies these shapes about twice as fast as MKL's sgemm.
    """
    if x.dtype == torch.float32 and x.device.type == "cpu" and _ONEDNN:
        return torch.ops.mkldnn._linear_pointwise(x, W, b, "none", [None], "")
    return torch.addmm(b, x, W.t()) if b is not None else x @ W.t()


_ONEDNN = torch.backends.mkldnn.is_available() and hasattr(torch.ops.mkldnn, "_linear_pointwise")


class LSTMScan(torch.autograd.Function):
    """LSTM layer, eqs. (28)-(33): xs (T, B, E), W_x (4H, E), b (4H), W_h (4H, H), h0, C0 (B, H).

    Gates are stacked i, f, C~, o (torch.nn's order); m (T, B, 1) is 1 on real steps.
    """

    @staticmethod
    def forward(ctx, xs, W_x, b, W_h, h0, C0, m):
        T, B, E = xs.shape
        H = W_h.shape[1]
        xp = linear(xs.reshape(T * B, E), W_x, b).view(T, B, 4 * H)  # all input projections
        act = torch.empty_like(xp)  # (T, B, 4H) gate activations i, f, C~, o
        hs = xs.new_empty(T + 1, B, H)  # (T+1, B, H) states h_0 .. h_T
        Cs = xs.new_empty(T + 1, B, H)  # (T+1, B, H) cell states C_0 .. C_T
        tanh_C = xs.new_empty(T, B, H)  # (T, B, H) tanh of the new cell state
        C_new, h_new = xs.new_empty(B, H), xs.new_empty(B, H)  # (B, H) before masking
        hs[0], Cs[0] = h0, C0
        for t in range(T):
            a = act[t]  # (B, 4H)
            torch.add(xp[t], linear(hs[t], W_h), out=a)  # pre-activations
            a[:, : 2 * H].sigmoid_()  # eqs. 28, 29
            a[:, 2 * H : 3 * H].tanh_()  # eq. 30
            a[:, 3 * H :].sigmoid_()  # eq. 32
            i, f, g, o = a.chunk(4, dim=1)  # each (B, H)
            C_out, h_out = (Cs[t + 1], hs[t + 1]) if m is None else (C_new, h_new)
            torch.mul(f, Cs[t], out=C_out).addcmul_(i, g)  # eq. 31
            torch.tanh(C_out, out=tanh_C[t])
            torch.mul(o, tanh_C[t], out=h_out)  # eq. 33
            if m is not None:  # a padded step keeps the state
                torch.lerp(Cs[t], C_new, m[t], out=Cs[t + 1])
                torch.lerp(hs[t], h_new, m[t], out=hs[t + 1])
        y = hs[1:] if m is None else hs[1:] * m  # (T, B, H), zero at padded steps
        ctx.save_for_backward(xs, W_x, W_h, act, hs, Cs, tanh_C, m)
        return y, hs[T].clone(), Cs[T].clone()

    @staticmethod
    def backward(ctx, dy, dh_T, dC_T):
        xs, W_x, W_h, act, hs, Cs, tanh_C, m = ctx.saved_tensors
        T, B, G = act.shape
        da = torch.empty_like(act)  # (T, B, 4H) gradients of the pre-activations
        dh = hs.new_zeros(B, G // 4) if dh_T is None else dh_T.clone()  # (B, H)
        dC = hs.new_zeros(B, G // 4) if dC_T is None else dC_T.clone()  # (B, H)
        dy = dy if m is None or dy is None else dy * m  # (T, B, H)
        W_hT = W_h.t().contiguous()  # (H, 4H)
        for t in range(T - 1, -1, -1):
            if dy is not None:
                dh += dy[t]
            dhn, dCn = (dh, dC.clone()) if m is None else (dh * m[t], dC * m[t])
            _lstm_step_backward(act[t], Cs[t], tanh_C[t], dhn, dCn, da[t])
            dh_prev = linear(da[t], W_hT)  # (B, H)
            if m is None:
                dh, dC = dh_prev, dCn.mul_(act[t, :, G // 4 : G // 2])
            else:
                keep = 1 - m[t]  # (B, 1)
                dh = dh_prev.add_(dh * keep)
                dC = dCn.mul_(act[t, :, G // 4 : G // 2]).add_(dC * keep)
        return (*_weight_grads(da, xs, W_x, hs[:-1]), dh, dC, None)


def _lstm_step_backward(a, C_prev, tanh_C, dh, dC, da):
    """Write dL/d(pre-activations) of one step into da (B, 4H); dC gains the eq. 33 path."""
    i, f, g, o = a.chunk(4, dim=1)  # each (B, H)
    di, df, dg, do = da.chunk(4, dim=1)  # views into da, each (B, H)
    dC.addcmul_(dh * o, 1 - tanh_C * tanh_C)  # eq. 33: tanh' = 1 - tanh^2 (eq. 27)
    torch.mul(dh * tanh_C, o - o * o, out=do)  # sigma' = sigma (1 - sigma) (eq. 25)
    torch.mul(dC * g, i - i * i, out=di)  # eq. 31 -> eq. 29
    torch.mul(dC * C_prev, f - f * f, out=df)  # eq. 31 -> eq. 28
    torch.mul(dC * i, 1 - g * g, out=dg)  # eq. 31 -> eq. 30


def _weight_grads(da, xs, W_x, h_prev):
    """One matmul each over all T*B steps: dxs (T, B, E), dW_x, db, dW_h."""
    T, B, G = da.shape
    daT = da.view(T * B, G).t().contiguous()  # (4H, T*B)
    dxs = linear(da.view(T * B, G), W_x.t().contiguous()).view(T, B, -1)  # (T, B, E)
    dW_x = linear(daT, xs.reshape(T * B, -1).t().contiguous())  # (4H, E)
    dW_h = linear(daT, h_prev.reshape(T * B, -1).t().contiguous())  # (4H, H)
    return dxs, dW_x, daT.sum(1), dW_h


def lstm_scan(xs, W_x, b, W_h, h0, C0, mask=None):
    """LSTM layer with hand-written BPTT: xs (T, B, E) -> y (T, B, H), (h_T, C_T)."""
    y, h_T, C_T = LSTMScan.apply(xs, W_x, b, W_h, h0, C0, mask)
    return y, (h_T, C_T)
