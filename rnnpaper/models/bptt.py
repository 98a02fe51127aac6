"""Backpropagation through time written out by hand: the Elman RNN and the LSTM layer.

The LSTM scan is a ``torch.autograd.Function`` whose backward is the hand-derived BPTT of
eqs. (28)-(33); it is both an executable derivation (tests check it against autograd) and
the fast path of ``recurrent.Recurrent``: the weight gradient is one matmul over all steps.
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
    # (x^T da)^T with oneDNN reading both operands transposed: no copies, and on this CPU
    # about twice as fast as BLAS's da^T x
    dW_x = linear(xs.reshape(T * B, -1).t(), da.t()).t().contiguous()  # (4H, E)
    dW_h = linear(h_prev.reshape(T * B, -1).t(), da.t()).t().contiguous()  # (4H, H)
    return dxs, dW_x, da.sum(0), dW_h


def lstm_scan(xs, W_x, b, W_h, h0, C0, mask=None):
    """LSTM layer with hand-written BPTT: xs (T, B, E) -> y (T, B, H), (h_T, C_T)."""
    y, h_T, C_T = LSTMScan.apply(xs, W_x, b, W_h, h0, C0, mask)
    return y, (h_T, C_T)


# --- The Elman RNN of eqs. (1)-(3), in the proposal's notation, without autograd ----------
# h_t = tanh(U^T x_t + W^T h_{t-1} + b_h)    (1)   x_t (E,), h_t (H,): U (E, H), W (H, H)
# o_t = V^T h_t + b_y,  y^_t = softmax(o_t)  (2)   the output activation is a softmax
# L_t = -log y^_t[y_t]                       (3)   cross-entropy; a batch averages over rows

ELMAN_PARAMS = ("U", "W", "V", "b_h", "b_y")


def elman_init(E: int, H: int, C: int, seed: int = 0, dtype=torch.float64) -> dict:
    """Random parameters U (E, H), W (H, H), V (H, C), b_h (H,), b_y (C,)."""
    g = torch.Generator().manual_seed(seed)
    shapes = {"U": (E, H), "W": (H, H), "V": (H, C), "b_h": (H,), "b_y": (C,)}
    return {k: torch.randn(s, generator=g, dtype=dtype) / H**0.5 for k, s in shapes.items()}


def elman_forward(p: dict, X: torch.Tensor, h0=None):
    """Eqs. (1)-(2): X (B, T, E) -> states h (T+1, B, H) with h[0] = h0, logits o (T, B, C)."""
    B, T, _ = X.shape
    h = [X.new_zeros(B, p["W"].shape[0]) if h0 is None else h0]  # h_0 (B, H)
    for x_t in X.unbind(1):  # (B, E)
        h.append(torch.tanh(x_t @ p["U"] + h[-1] @ p["W"] + p["b_h"]))  # eq. 1
    h = torch.stack(h)  # (T+1, B, H)
    return h, h[1:] @ p["V"] + p["b_y"]  # eq. 2 logits (T, B, C)


def loss_steps(T: int, loss: str) -> list:
    """The time steps whose losses count: the last one (eq. 3) or all of them (Alg. 1)."""
    return [T - 1] if loss == "last" else list(range(T))


def elman_loss(p: dict, X, Y, loss: str = "sum"):
    """L = sum over counted steps of the batch-mean cross-entropy; Y (B, T) class ids."""
    _, o = elman_forward(p, X)
    steps = loss_steps(X.shape[1], loss)
    logp = torch.log_softmax(o, dim=-1)  # (T, B, C)
    return -sum(logp[t].gather(1, Y[:, t : t + 1]).mean() for t in steps)


def _dlogits(o, Y, steps):
    """dL/do_t = (softmax(o_t) - onehot(y_t)) / B on counted steps, else 0: (T, B, C)."""
    T, B, C = o.shape
    d = torch.zeros_like(o)
    for t in steps:
        d[t] = (torch.softmax(o[t], -1) - torch.nn.functional.one_hot(Y[:, t], C)) / B
    return d


def elman_bptt(p: dict, X, Y, loss: str = "sum", truncate: int | None = None) -> dict:
    """Gradients of ``elman_loss`` by hand: full BPTT, or Algorithm 1 truncated to N steps.

    With ``truncate=N`` the loss at step t sends its gradient back through h_t, ..., h_{t-N}
    only (lines 15-22 of the proposal's Algorithm 1); N >= T - 1 is full BPTT.
    """
    h, o = elman_forward(p, X)
    T = X.shape[1]
    steps = loss_steps(T, loss)
    do = _dlogits(o, Y, steps)  # (T, B, C)
    g = {"V": torch.einsum("tbh,tbc->hc", h[1:], do), "b_y": do.sum((0, 1))}
    g.update({k: torch.zeros_like(p[k]) for k in ("U", "W", "b_h")})
    if truncate is None:  # one backward sweep: dh carries all later losses at once
        dh = torch.zeros_like(h[0])  # (B, H)
        for t in range(T - 1, -1, -1):
            dh = _elman_step_back(p, X, h, t, dh + do[t] @ p["V"].T, g)
        return g
    for t in steps:  # Algorithm 1: each L_t separately, N steps back
        dh = do[t] @ p["V"].T  # dL_t/dh_t (B, H), line 17
        for s in range(t, max(t - truncate, 0) - 1, -1):  # k = 0..N, lines 19-22
            dh = _elman_step_back(p, X, h, s, dh, g)
    return g


def _elman_step_back(p, X, h, t, dh, g):
    """Through eq. (1) at step t: accumulate dU, dW, db_h; return dL/dh_{t-1} (B, H)."""
    da = dh * (1 - h[t + 1] ** 2)  # tanh' = 1 - tanh^2 (eq. 27), (B, H)
    g["U"] += X[:, t].T @ da  # (E, H)
    g["W"] += h[t].T @ da  # (H, H)
    g["b_h"] += da.sum(0)
    return da @ p["W"].T  # (B, H)


def elman_autograd(p: dict, X, Y, loss: str = "sum", truncate: int | None = None) -> dict:
    """The same gradients by autograd; truncation cuts the graph at h_{t-N-1} (detach)."""
    q = {k: v.detach().clone().requires_grad_() for k, v in p.items()}
    if truncate is None:
        total = elman_loss(q, X, Y, loss)
    else:
        h, _ = elman_forward({k: v.detach() for k, v in p.items()}, X)
        total = 0
        for t in loss_steps(X.shape[1], loss):
            s = max(t - truncate, 0)  # the window starts at step s, from a constant h_s
            _, o = elman_forward(q, X[:, s : t + 1], h0=h[s])
            logp = torch.log_softmax(o[-1], -1)  # (B, C)
            total = total - logp.gather(1, Y[:, t : t + 1]).mean()
    grads = torch.autograd.grad(total, [q[k] for k in ELMAN_PARAMS])
    return dict(zip(ELMAN_PARAMS, grads, strict=True))


def finite_differences(f, p: dict, eps: float = 1e-6) -> dict:
    """Central differences (f(p + eps e_i) - f(p - eps e_i)) / 2 eps for every entry."""
    out = {}
    for k, v in p.items():
        d = torch.zeros_like(v)
        for i in range(v.numel()):
            orig = v.view(-1)[i].item()
            v.view(-1)[i] = orig + eps
            plus = float(f(p))
            v.view(-1)[i] = orig - eps
            minus = float(f(p))
            v.view(-1)[i] = orig
            d.view(-1)[i] = (plus - minus) / (2 * eps)
        out[k] = d
    return out


def _max_diff(a: dict, b: dict) -> float:
    return max((a[k] - b[k]).abs().max().item() for k in ELMAN_PARAMS)


def elman_problem(E=3, H=4, C=5, B=2, T=6, seed=0):
    """Parameters and a random classification sequence batch, float64."""
    g = torch.Generator().manual_seed(seed + 1)
    X = torch.randn(B, T, E, generator=g, dtype=torch.float64)
    return elman_init(E, H, C, seed=seed), X, torch.randint(0, C, (B, T), generator=g)


def checks(seed: int = 0, truncations=(0, 1, 3)) -> dict:
    """Largest absolute differences: hand vs autograd, autograd vs finite differences,
    truncated hand BPTT vs autograd on a cut graph."""
    p, X, Y = elman_problem(seed=seed)
    out = {}
    for loss in ("last", "sum"):
        auto = elman_autograd(p, X, Y, loss)
        out[f"hand_vs_autograd_{loss}"] = _max_diff(elman_bptt(p, X, Y, loss), auto)
        fd = finite_differences(lambda q, loss=loss: elman_loss(q, X, Y, loss), p)
        out[f"autograd_vs_fd_{loss}"] = _max_diff(auto, fd)
    out["truncated_vs_cut_graph"] = max(
        _max_diff(elman_bptt(p, X, Y, "sum", N), elman_autograd(p, X, Y, "sum", N))
        for N in truncations
    )
    return out


def truncation_errors(Ns, T: int = 40, H: int = 16, seed: int = 0, scale: float = 1.0) -> dict:
    """Relative error ||g_N - g|| / ||g|| of the W gradient truncated to N steps, per N."""
    p, X, Y = elman_problem(E=3, H=H, C=5, B=8, T=T, seed=seed)
    p["W"] = p["W"] * scale  # scale > 1 lengthens the memory of the recurrence
    full = elman_bptt(p, X, Y, "sum")["W"]
    return {
        int(N): ((elman_bptt(p, X, Y, "sum", N)["W"] - full).norm() / full.norm()).item()
        for N in Ns
    }
