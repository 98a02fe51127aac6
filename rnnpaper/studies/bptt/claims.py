"""The computations behind the errata table: each check returns a verdict on one statement of
the proposal (:data:`WRONG`, :data:`INCOMPLETE` or :data:`CORRECT`) or a boolean that
:func:`verdict` turns into one; the table in :mod:`.errata` names them.

BPTT on two steps (eqs. 4-18), the activations (eqs. 24-27), LSTM and GRU (eqs. 28-37) and
the HMM (eqs. 38-39); every check runs in float64.
"""

import functools

import torch

from rnnpaper.models import bptt, cells, gradient_flow

WRONG, INCOMPLETE, CORRECT = "wrong", "incomplete", "correct"  # correct = correct as stated


def verdict(holds: bool, complete: bool = True) -> str:
    """Wrong when the statement fails; incomplete when it holds but omits what decides it."""
    return WRONG if not holds else CORRECT if complete else INCOMPLETE


def _orthogonal(H: int, seed: int = 0) -> torch.Tensor:
    """A random orthogonal (H, H) matrix, float64."""
    g = torch.Generator().manual_seed(seed)
    return torch.linalg.qr(torch.randn(H, H, generator=g, dtype=torch.float64))[0]


def jacobian_norm(run, x0: torch.Tensor) -> float:
    """Spectral norm of d run(x0) / d x0 for a map of (H,) vectors."""
    J = torch.autograd.functional.jacobian(run, x0)  # (H, H)
    return torch.linalg.matrix_norm(J, 2).item()


# --- BPTT on two steps (eqs. 4-18), h_0 = 0 as in Algorithm 1 -----------------------------


def _two_steps(seed: int = 0):
    """Elman parameters (E=3, H=4, C=5) and a batch of two 2-step sequences, float64."""
    p = bptt.elman_init(3, 4, 5, seed=seed)
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(2, 2, 3, generator=g, dtype=torch.float64)  # (B, T=2, E)
    Y = torch.randint(0, 5, (2, 2), generator=g)
    return p, X, Y


def two_step_terms(seed: int = 0) -> dict:
    """Per parameter: the proposal's eqs. 6/9/12/15/18, the missing term, and autograd."""
    p, X, Y = _two_steps(seed)
    h, o = bptt.elman_forward(p, X)  # h (3, B, H), o (2, B, C)
    do = bptt._dlogits(o, Y, [0, 1])  # (2, B, C) dL_i/do_i
    a1 = (do[0] @ p["V"].T) * (1 - h[1] ** 2)  # L_1 at step 1 (B, H)
    a2 = (do[1] @ p["V"].T) * (1 - h[2] ** 2)  # L_2 at step 2
    a21 = (a2 @ p["W"].T) * (1 - h[1] ** 2)  # L_2 carried back to step 1
    inputs = {
        "W": lambda s: h[s - 1],
        "U": lambda s: X[:, s - 1],
        "b_h": lambda s: torch.ones(X.shape[0], 1, dtype=X.dtype),
    }
    auto = bptt.elman_autograd(p, X, Y, "sum")
    out = {}
    for k, inp in inputs.items():
        c = lambda a, s, inp=inp, k=k: (inp(s).T @ a).reshape(p[k].shape)  # noqa: E731
        out[k] = {"proposal": c(a1, 1) + c(a21, 1), "missing": c(a2, 2), "autograd": auto[k]}
    for k in ("V", "b_y"):  # eqs. 12, 18: dh_i/dV = dh_i/db_y = 0, so they give zero
        out[k] = {"proposal": torch.zeros_like(p[k]), "missing": auto[k], "autograd": auto[k]}
    return out


def eq_holds(k: str) -> bool:
    """Eqs. 6-18 for parameter k equal autograd (and adding the missing term always does)."""
    t = two_step_terms()[k]
    fixed = torch.allclose(t["proposal"] + t["missing"], t["autograd"], atol=1e-12)
    assert fixed, f"the corrected form of {k} must equal autograd"
    return torch.allclose(t["proposal"], t["autograd"], atol=1e-12)


def sum_is_loss_at_2() -> bool:
    """The summed loss L_1 + L_2 has the gradients of the loss at time 2 alone."""
    p, X, Y = _two_steps()
    last, total = bptt.elman_bptt(p, X, Y, "last"), bptt.elman_bptt(p, X, Y, "sum")
    return torch.allclose(last["U"], total["U"])  # (dL_1/dW = 0 here since h_0 = 0)


def table1_shapes() -> bool:
    """Table 1's U (E, H), W (H, H), V (H, C) used transposed give h_t (H,) and o_t (C,)."""
    p, X, _ = _two_steps()
    h, o = bptt.elman_forward(p, X)  # computes x_t U + h W, i.e. U^T x_t + W^T h_{t-1}
    shapes = {k: tuple(v.shape) for k, v in p.items()}
    table = {"U": (3, 4), "W": (4, 4), "V": (4, 5), "b_h": (4,), "b_y": (5,)}
    return shapes == table and h.shape[-1] == 4 and o.shape[-1] == 5


def yhat_has_hidden_size() -> bool:
    """The output y^_t has as many entries as hidden units (Table 1)."""
    p, X, _ = _two_steps()
    return bptt.elman_forward(p, X)[1].shape[-1] == p["W"].shape[0]  # C = 5 vs H = 4


def elman_matches_torch(nonlinearity: str = "tanh") -> bool:
    """Eq. 1 with f = tanh or ReLU equals torch.nn.RNNCell with copied weights."""
    torch.manual_seed(0)
    ref = torch.nn.RNNCell(3, 4, nonlinearity=nonlinearity).double()
    cell = cells.ElmanCell(3, 4, nonlinearity=nonlinearity).double()
    cell.load_torch_weights(ref.weight_ih, ref.weight_hh, ref.bias_ih, ref.bias_hh)
    x, h = torch.randn(2, 3, dtype=torch.double), torch.randn(2, 4, dtype=torch.double)
    return torch.allclose(cell(x, h), ref(x, h))


def eq2_with_softmax_is_the_classifier() -> bool:
    """Eq. 2 with f = softmax is a distribution whose -log y^_t[y_t] is torch's cross-entropy."""
    p, X, Y = _two_steps()
    o = bptt.elman_forward(p, X)[1]  # (T, B, C) logits V^T h_t + b_y
    y_hat = torch.softmax(o, -1)  # eq. 2 with f = softmax
    nll = -y_hat.gather(-1, Y.T[..., None]).log().squeeze(-1)  # eq. 3 per step (T, B)
    ce = torch.nn.functional.cross_entropy(o.flatten(0, 1), Y.T.flatten(), reduction="none")
    return torch.allclose(y_hat.sum(-1), torch.ones(1).double()) and torch.allclose(
        nll.flatten(), ce
    )


def algorithm1_literal() -> bool:
    """Lines 18-22 add only step t's own term to dL/dtheta: that is N = 0 for every N."""
    p = bptt.elman_init(3, 4, 5, seed=1)
    g = torch.Generator().manual_seed(1)
    X, Y = torch.randn(2, 6, 3, generator=g, dtype=torch.float64), torch.randint(0, 5, (2, 6))
    literal = bptt.elman_bptt(p, X, Y, "sum", truncate=0)
    return torch.allclose(literal["W"], bptt.elman_bptt(p, X, Y, "sum", truncate=3)["W"])


def sgd_step_lowers_loss() -> bool:
    """A small step against the BPTT gradient (eqs. 19-23) lowers the loss."""
    p, X, Y = _two_steps()
    g = bptt.elman_bptt(p, X, Y, "sum")
    q = {k: v - 1e-3 * g[k] for k, v in p.items()}  # eqs. 19-23
    return bool(bptt.elman_loss(q, X, Y) < bptt.elman_loss(p, X, Y))


# --- activations and gradients --------------------------------------------------------


def derivative_formulas() -> bool:
    """sigma' = sigma (1 - sigma), tanh' = 1 - tanh^2 and tanh's exponential form (24-27)."""
    x = torch.linspace(-8, 8, 401, dtype=torch.float64, requires_grad=True)
    ok = True
    for f, df in ((torch.sigmoid, lambda s: s * (1 - s)), (torch.tanh, lambda t: 1 - t**2)):
        (g,) = torch.autograd.grad(f(x).sum(), x)
        ok &= torch.allclose(g, df(f(x)).detach())
    e = torch.exp(x.detach())
    return ok and torch.allclose((e - 1 / e) / (e + 1 / e), torch.tanh(x.detach()))


@functools.cache
def _ranges() -> dict:
    return gradient_flow.activation_ranges()


def codomain(key: str, lo: float, hi: float) -> bool:
    """A stated codomain [lo, hi] of sigmoid, sigmoid', tanh or tanh' is tight: its ends are
    the infimum and supremum of the range (measured on a fine float64 grid)."""
    r = _ranges()[key]
    return abs(r["min"] - lo) < 1e-6 and abs(r["max"] - hi) < 1e-6


def sigmoid_vanishing(T: int = 30, H: int = 16) -> str:
    """sigma' <= 1/4 makes ||dh_T/dh_0|| vanish only while ||W|| < 4: at the fixed point
    h = 1/2 of h_t = sigma(W^T h_{t-1} + b) with W = s Q (Q orthogonal) it is (s/4)^T."""
    norms = {}
    for s in (2.0, 6.0):
        W = s * _orthogonal(H)  # (H, H)
        b = -0.5 * W.sum(0)  # puts the fixed point at h = 1/2, where sigma' = 1/4
        run = lambda h, W=W, b=b: _repeat(lambda h: torch.sigmoid(h @ W + b), h, T)  # noqa: E731
        norms[s] = jacobian_norm(run, torch.full((H,), 0.5, dtype=torch.float64))
    return verdict(norms[2.0] < 1e-6, complete=norms[6.0] < 1.0)  # (1/2)^30, (3/2)^30


def _repeat(step, h, T: int):
    for _ in range(T):
        h = step(h)
    return h


def tanh_gradient_stable(T: int = 50, H: int = 16) -> bool:
    """tanh' stays away from 0, and a tanh RNN keeps ||dh_T/dh_0|| from vanishing."""
    saturated = 1 - torch.tanh(torch.tensor(5.0, dtype=torch.float64)) ** 2  # 1.8e-4
    W, g = 0.9 * _orthogonal(H), torch.Generator().manual_seed(1)
    X = torch.randn(T, H, generator=g, dtype=torch.float64)  # (T, H) input projections
    carried = jacobian_norm(lambda h: _scan(lambda h, x: torch.tanh(h @ W + x), h, X), X[0] * 0)
    return bool(saturated > 1e-2 and carried > 1e-2)


def _scan(step, h, X):
    for x in X:
        h = step(h, x)
    return h


def exploding_needs_large_loss() -> bool:
    """The same unit-scale loss v.h_T: the gradient still grows with T when rho > 1."""
    short = gradient_flow.spectral_radius_sweep([1.5], T=10, hidden=32)[1.5]
    long = gradient_flow.spectral_radius_sweep([1.5], T=50, hidden=32)[1.5]
    return long < 10 * short
