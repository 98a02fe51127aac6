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


OVERWRITE = True  # backward reuses the forward's buffer; gradcheck needs False


class LSTMScan(torch.autograd.Function):
    """LSTM layer, eqs. (28)-(33): xs (T, B, E), W_x (4H, E), b (4H), W_h (4H, H), h0, C0 (B, H).

    Gates are stacked i, f, C~, o (torch.nn's order); m (T, B, 1) is 1 on real steps.
    """

    @staticmethod
    def forward(ctx, xs, W_x, b, W_h, h0, C0, m):
        T, B, E = xs.shape
        H = W_h.shape[1]
        act = linear(xs.reshape(T * B, E), W_x, b).view(T, B, 4 * H)  # input projections,
        # overwritten step by step with the gate activations i, f, C~, o (T, B, 4H)
        hs = xs.new_empty(T + 1, B, H)  # (T+1, B, H) states h_0 .. h_T
        Cs = xs.new_empty(T + 1, B, H)  # (T+1, B, H) cell states C_0 .. C_T
        tanh_C = xs.new_empty(T, B, H)  # (T, B, H) tanh of the new cell state
        C_new, h_new = xs.new_empty(B, H), xs.new_empty(B, H)  # (B, H) before masking
        hs[0], Cs[0] = h0, C0
        for t in range(T):
            a = act[t]  # (B, 4H)
            a += linear(hs[t], W_h)  # pre-activations
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
        # step t's activations are overwritten by their gradients (T, B, 4H): a second
        # backward through the same graph (retain_graph) is refused by autograd's version check
        da = act if OVERWRITE else act.clone()
        dh = hs.new_zeros(B, G // 4) if dh_T is None else dh_T.clone()  # (B, H)
        dC = hs.new_zeros(B, G // 4) if dC_T is None else dC_T.clone()  # (B, H)
        dy = dy if m is None or dy is None else dy * m  # (T, B, H)
        W_hT = W_h.t().contiguous()  # (H, 4H)
        for t in range(T - 1, -1, -1):
            if dy is not None:
                dh += dy[t]
            dhn, dCn = (dh, dC) if m is None else (dh * m[t], dC * m[t])
            dC_prev = _lstm_step_backward(da[t], Cs[t], tanh_C[t], dhn, dCn)
            dh_prev = linear(da[t], W_hT)  # (B, H)
            if m is None:
                dh, dC = dh_prev, dC_prev
            else:
                keep = 1 - m[t]  # (B, 1)
                dh, dC = dh_prev.add_(dh * keep), dC_prev.add_(dC * keep)
        return (*_weight_grads(da, xs, W_x, hs[:-1]), dh, dC, None)


def _lstm_step_backward(a, C_prev, tanh_C, dh, dC):
    """Overwrite a (B, 4H) = (i, f, C~, o) of one step with dL/d(pre-activations).

    dh, dC: gradients of h_t and C_t from later steps; dC gains the path through eq. 33.
    Returns dL/dC_{t-1} = dC f (eq. 31). sigma' = sigma (1 - sigma) (eq. 25) and
    tanh' = 1 - tanh^2 (eq. 27) are applied by aten's one-pass sigmoid/tanh_backward.
    """
    i, f, g, o = a.chunk(4, dim=1)  # each (B, H), overwritten in place below
    dC += _tanh_bw(dh * o, tanh_C)  # eq. 33
    _sigmoid_bw(dh * tanh_C, o, grad_input=o)  # eq. 33 -> eq. 32
    dC_i, dC_g = dC * i, dC * g  # (B, H) each, eq. 31
    _tanh_bw(dC_i, g, grad_input=g)  # eq. 31 -> eq. 30
    _sigmoid_bw(dC_g, i, grad_input=i)  # eq. 31 -> eq. 29
    dC_prev = dC * f  # (B, H)
    _sigmoid_bw(dC * C_prev, f, grad_input=f)  # eq. 31 -> eq. 28
    return dC_prev


def _tanh_bw(grad, y, grad_input=None):
    """grad * (1 - y^2), y = tanh(x)."""
    if grad_input is None:
        return torch.ops.aten.tanh_backward(grad, y)
    return torch.ops.aten.tanh_backward.grad_input(grad, y, grad_input=grad_input)


def _sigmoid_bw(grad, y, grad_input):
    """grad * y (1 - y), y = sigma(x), written into grad_input."""
    return torch.ops.aten.sigmoid_backward.grad_input(grad, y, grad_input=grad_input)


def _weight_grads(da, xs, W_x, h_prev):
    """One matmul each over all T*B steps: dxs (T, B, E), dW_x, db, dW_h."""
    T, B, G = da.shape
    da = da.view(T * B, G)  # (T*B, 4H)
    dxs = linear(da, W_x.t()).view(T, B, -1)  # (T, B, E)
    dW_x = da.t() @ xs.reshape(T * B, -1)  # (4H, E); BLAS reads da transposed, no copy
    dW_h = da.t() @ h_prev.reshape(T * B, -1)  # (4H, H)
    return dxs, dW_x, da.sum(0), dW_h


def lstm_scan(xs, W_x, b, W_h, h0, C0, mask=None):
    """LSTM layer with hand-written BPTT: xs (T, B, E) -> y (T, B, H), (h_T, C_T)."""
    y, h_T, C_T = LSTMScan.apply(xs, W_x, b, W_h, h0, C0, mask)
    return y, (h_T, C_T)
