"""The diagonal linear recurrence h_t = a_t * h_{t-1} + b_t in three exact forms.

Every vector product is elementwise; a_t, b_t, h_t are (H,) per sequence, t = 1..T:

    h_t = a_t * h_{t-1} + b_t                                           (S1)  step by step
    h_t = A_{t,0} * h_0 + sum_{s=1..t} A_{t,s} * b_s,                   (S2)  closed form
          A_{t,s} = prod_{r=s+1..t} a_r = exp(sum_{r=s+1..t} log a_r)         (segsum)
    h_{c+j} = A_{c+j,c} * h_c + sum_{s=c+1..c+j} A_{c+j,s} * b_s,       (S3)  chunked:
          (S2) inside each chunk of L steps c+1..c+L, the state h_c carried from chunk to chunk

(S1) is T dependent steps of O(BH) work; (S2) is O(T^2 BH) work with no dependent steps;
(S3) is O(TLBH) work and T/L dependent steps. The log-decays are summed over the segment
itself (``segsum``), never as a ratio A_{t,0} / A_{s,0} of running products (0/0 once they
underflow) nor as a difference of running sums of log a_r (it cancels digits); exp never
sees a positive argument when a_t <= 1. On one CPU thread (S1) is the fastest
(``benchmarks/bench_glr.py``); (S3) is the form for accelerators.

Padding: mask (B, T) is False on padded steps, which keep the state (a_t = 1, b_t = 0), so
the outputs at real steps are those of the unpadded sequence and h_T is the state of the last
real step. Every function takes a, b (B, T, H), h0 (B, H) and returns h_1..h_T (B, T, H).
"""

import torch
import torch.nn.functional as F


def keep_padded(a, b, mask=None):
    """a_t = 1, b_t = 0 where mask (B, T) is False: padded steps keep the state."""
    if mask is None:
        return a, b
    m = mask.bool().unsqueeze(-1)  # (B, T, 1)
    return torch.where(m, a, 1.0), torch.where(m, b, 0.0)  # (B, T, H) each


class SequentialScan(torch.autograd.Function):
    """(S1) with its backward by hand, itself a linear recurrence run backwards in time:

        g_t = dL/dh_t (all paths) = dy_t + a_{t+1} * g_{t+1},   g_T = dy_T
        dL/db_t = g_t,   dL/da_t = g_t * h_{t-1},   dL/dh_0 = a_1 * g_1

    Buffers are time-major, (T, B, H), and returned as (B, T, H) views: a time-major caller
    (a cell's ``scan``) passes transposed views in and gets them back with no copy.
    """

    @staticmethod
    def forward(ctx, a, b, h0):
        T = a.shape[1]
        h = a.new_empty(T + 1, *h0.shape)  # (T+1, B, H): h_0 .. h_T
        h[0] = h0
        for t in range(T):
            torch.addcmul(b[:, t], a[:, t], h[t], out=h[t + 1])  # (S1)
        ctx.save_for_backward(a, h)
        return h[1:].transpose(0, 1)  # (B, T, H)

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, dy):
        a, h = ctx.saved_tensors
        T = a.shape[1]
        g = h.new_empty(T, *h.shape[1:])  # (T, B, H): g[t-1] = dL/dh_t
        g[T - 1] = dy[:, T - 1]
        for t in range(T - 2, -1, -1):
            torch.addcmul(dy[:, t], a[:, t + 1], g[t + 1], out=g[t])
        da = g * h[:-1]  # (T, B, H)
        return da.transpose(0, 1), g.transpose(0, 1), a[:, 0] * g[0]


def sequential(a, b, h0, mask=None):
    """(S1) h_t = a_t * h_{t-1} + b_t step by step: a, b (B, T, H), h0 (B, H) -> (B, T, H)."""
    a, b = keep_padded(a, b, mask)
    return SequentialScan.apply(a, b, h0)


def log_decay(a):
    """log a_t, with a_t = 0 read as the smallest normal number so that gradients stay finite
    (the difference, tiny * |h|, is below float precision of anything it is added to)."""
    return torch.log(a.clamp_min(torch.finfo(a.dtype).tiny))


def segsum(log_a):
    """(segsum) log A_{t,s} = sum_{r=s+1..t} log a_r for s <= t, -inf for s > t.

    log_a (..., L) -> (..., L, L), indexed [t, s]. Each entry is a sum over its own segment
    (a masked cumulative sum), so a_r = 0 only zeroes the A_{t,s} that span it.
    """
    L = log_a.shape[-1]
    x = log_a.unsqueeze(-1).expand(*log_a.shape, L)  # (..., L, L): x[r, s] = log a_r
    lower = torch.ones(L, L, dtype=torch.bool, device=log_a.device).tril()  # s <= t
    S = x.masked_fill(~lower.tril(-1), 0.0).cumsum(-2)  # S[t, s] = sum_{s < r <= t} log a_r
    return S.masked_fill(~lower, float("-inf"))


def closed_form(a, b, h0, mask=None):
    """(S2) h_t = A_{t,0} * h_0 + sum_{s=1..t} A_{t,s} * b_s: (B, T, H) -> (B, T, H).

    Builds A (B, H, T, T): O(T^2 BH) memory, the derivation's form and the reference.
    """
    a, b = keep_padded(a, b, mask)
    log_a = log_decay(a).transpose(1, 2)  # (B, H, T)
    A = segsum(log_a).exp()  # (B, H, T, T): A[t, s] = A_{t,s}, 0 above the diagonal
    h = (A @ b.transpose(1, 2).unsqueeze(-1)).squeeze(-1)  # (B, H, T): sum_s A_{t,s} b_s
    h = h + log_a.cumsum(-1).exp() * h0.unsqueeze(-1)  # + A_{t,0} h_0
    return h.transpose(1, 2)  # (B, T, H)


def chunked(a, b, h0, mask=None, chunk: int = 16):
    """(S3) (S2) inside chunks of L = ``chunk`` steps, the state carried across chunks.

    a, b (B, T, H), h0 (B, H) -> (B, T, H); O(TLBH) memory, T/L dependent steps.
    """
    a, b = keep_padded(a, b, mask)
    B, T, H = b.shape
    L = min(chunk, T)
    n = -(-T // L)  # chunks
    pad = (0, 0, 0, n * L - T)  # steps appended after T keep the state; dropped at the end
    a, b = F.pad(a, pad, value=1.0), F.pad(b, pad)  # (B, nL, H)
    a_c, b_c = a.reshape(B * n, L, H), b.reshape(B * n, L, H)  # one row per chunk
    local = closed_form(a_c, b_c, b_c.new_zeros(B * n, H)).view(B, n, L, H)  # from h_c = 0
    A_c = log_decay(a_c).cumsum(1).exp().view(B, n, L, H)  # A_{c+j,c}, j = 1..L
    h, out = h0, []
    for c in range(n):
        h_chunk = local[:, c] + A_c[:, c] * h.unsqueeze(1)  # (B, L, H), (S3)
        out.append(h_chunk)
        h = h_chunk[:, -1]  # (B, H) the state carried into the next chunk
    return torch.cat(out, 1)[:, :T]  # (B, T, H)


FORMS = {"sequential": sequential, "closed_form": closed_form, "chunked": chunked}


def example(B=3, T=1000, H=4, seed=0, dtype=torch.float64):
    """Random a, b (B, T, H), h0 (B, H) and a right-padded mask (B, T): the decays of each
    unit span 1e-30 .. 1 - 1e-9 (log-uniform in a and in 1 - a), the hard cases for (S2)."""
    g = torch.Generator().manual_seed(seed)
    u = torch.rand(B, T, H, generator=g, dtype=dtype)
    tiny = torch.exp(-69 * u)  # 1e-30 .. 1
    near_one = 1 - torch.exp(-20.7 * torch.rand(B, T, H, generator=g, dtype=dtype))  # .. 1-1e-9
    a = torch.where(torch.rand(B, T, H, generator=g, dtype=dtype) < 0.5, tiny, near_one)
    b = torch.randn(B, T, H, generator=g, dtype=dtype)
    h0 = torch.randn(B, H, generator=g, dtype=dtype)
    lengths = torch.linspace(T, max(T // 3, 1), B).round().long()  # (B,) the first is T
    mask = torch.arange(T) < lengths.unsqueeze(1)  # (B, T)
    return a, b, h0, mask
