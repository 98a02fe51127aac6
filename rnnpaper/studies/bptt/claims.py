"""The computations behind the errata table: each predicate is True when the proposal's
statement holds as written (the table in :mod:`.errata` names them).

BPTT on two steps (eqs. 4-18), the activations (eqs. 24-27), LSTM and GRU (eqs. 28-37) and
the HMM (eqs. 38-39); every check runs in float64.
"""

from collections.abc import Callable

import numpy as np
import torch

from rnnpaper.models import bptt, cells, gradient_flow, hmm, recurrent

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


def elman_matches_torch() -> bool:
    """Eq. 1 (the from-scratch Elman cell) equals torch.nn.RNNCell with copied weights."""
    torch.manual_seed(0)
    ref, cell = torch.nn.RNNCell(3, 4).double(), cells.ElmanCell(3, 4).double()
    cell.load_torch_weights(ref.weight_ih, ref.weight_hh, ref.bias_ih, ref.bias_hh)
    x, h = torch.randn(2, 3, dtype=torch.double), torch.randn(2, 4, dtype=torch.double)
    return torch.allclose(cell(x, h), ref(x, h))


def output_activation_is_tanh_ok() -> bool:
    """Eq. 2 with the tanh of eq. 1 gives a distribution over the classes."""
    p, X, _ = _two_steps()
    y_hat = torch.tanh(bptt.elman_forward(p, X)[1])  # eq. 2 with f = tanh
    return bool((y_hat >= 0).all() and torch.allclose(y_hat.sum(-1), torch.ones(1).double()))


def yhat_has_hidden_size() -> bool:
    """The output y^_t has as many entries as hidden units (Table 1)."""
    p, X, _ = _two_steps()
    return bptt.elman_forward(p, X)[1].shape[-1] == p["W"].shape[0]  # C = 5 vs H = 4


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


def codomain_holds(key: str) -> Callable[[], bool]:
    """A check: the proposal's codomain of ``key`` (sigmoid, sigmoid', tanh, tanh') holds."""
    return lambda: dict(
        (r[0], r[3]) for r in gradient_flow.ranges_table(gradient_flow.activation_ranges())
    )[key]


def vanishing_only_from_derivative() -> bool:
    """tanh' <= 1 everywhere, yet rho = 2 makes dh_T/dh_0 grow: the claim is incomplete."""
    sweep = gradient_flow.spectral_radius_sweep([2.0], T=30, hidden=32)
    return sweep[2.0] < 1.0


def exploding_needs_large_loss() -> bool:
    """The same unit-scale loss v.h_T: the gradient still grows with T when rho > 1."""
    short = gradient_flow.spectral_radius_sweep([1.5], T=10, hidden=32)[1.5]
    long = gradient_flow.spectral_radius_sweep([1.5], T=50, hidden=32)[1.5]
    return long < 10 * short


def lstm_state_gradient(scale: float, T: int, hidden: int = 32, seed: int = 0) -> float:
    """||d(h_T + C_T)/d(h_0, C_0)|| of an LSTM with recurrent weights of std scale/sqrt(H)."""
    torch.manual_seed(seed)
    cell = cells.LSTMCell(1, hidden).double()
    with torch.no_grad():
        for g in cell.gates:
            getattr(cell, f"W_h{g}").normal_(0, scale / hidden**0.5)
    s0 = tuple(torch.zeros(4, hidden, dtype=torch.double, requires_grad=True) for _ in "hC")
    s = s0
    for x_t in torch.randn(4, T, 1, dtype=torch.double).unbind(1):
        s = cell(x_t, s)
    grads = torch.autograd.grad(s[0].sum() + s[1].sum(), s0)
    return float(torch.cat(grads).norm())


def lstm_prevents_exploding() -> bool:
    """An LSTM with large recurrent weights keeps ||d(h_T, C_T)/d(h_0, C_0)|| below 1e3."""
    return lstm_state_gradient(10.0, 100) < 1e3


# --- LSTM and GRU ------------------------------------------------------------------------


def lstm_matches_torch(tie_b_i_to_b_c: bool = False) -> bool:
    """Eqs. 28-33 equal torch.nn.LSTMCell; with eq. 29 as printed (b_c in the input gate)."""
    torch.manual_seed(0)
    ref, cell = torch.nn.LSTMCell(3, 4).double(), cells.LSTMCell(3, 4).double()
    cell.load_torch_weights(ref.weight_ih, ref.weight_hh, ref.bias_ih, ref.bias_hh)
    if tie_b_i_to_b_c:  # eq. 29 as printed: the input gate uses b_c
        with torch.no_grad():
            cell.b_i.copy_(cell.b_c)
    x, s = torch.randn(2, 3, dtype=torch.double), (torch.randn(2, 4).double(),) * 2
    return all(torch.allclose(a, b) for a, b in zip(cell(x, s), ref(x, s), strict=True))


def gru_proposal_is_torch() -> bool:
    """The proposal's GRU (eqs. 34-37) equals torch.nn.GRU with copied weights."""
    torch.manual_seed(0)
    ref = recurrent.Recurrent("gru", 3, 4, impl="fused").double()
    prop = recurrent.Recurrent("gru_proposal", 3, 4).double()
    recurrent.copy_weights(ref, prop)
    x = torch.randn(2, 5, 3, dtype=torch.double)
    return torch.allclose(prop(x)[0], ref(x)[0])


def z_retains_past() -> bool:
    """Eq. 37 with z_t = 1: h_t = h~_t, nothing of h_{t-1} is retained."""
    h_prev, h_tilde, z = torch.tensor(0.3), torch.tensor(-0.7), torch.tensor(1.0)
    return bool((1 - z) * h_prev + z * h_tilde == h_prev)


def gru_has_output_gate() -> bool:
    """A GRU has input and output gates (the notation table's labels)."""
    return {"o", "i"} <= set(cells.GRUProposalCell.gates)


# --- HMM (eqs. 38-39) --------------------------------------------------------------------


def _random_hmm(seed: int, M: int = 2, T: int = 4):
    """log pi (M,), log A (M, M) and log B (T, M) of a random HMM."""
    rng = np.random.default_rng(seed)
    norm = lambda a: a / a.sum(-1, keepdims=True)  # noqa: E731
    return (
        np.log(norm(rng.random(M))),
        np.log(norm(rng.random((M, M)))),
        np.log(rng.random((T, M))),
    )


def eq39_is_p_of_x() -> bool:
    """Eq. 39 (one path's joint probability) equals p(X) from the forward algorithm."""
    log_pi, log_A, log_B = _random_hmm(0)
    _, loglik = hmm.forward(log_pi, log_A, log_B)
    z = np.zeros(log_B.shape[0], dtype=int)
    return np.isclose(hmm.joint_log_prob(log_pi, log_A, log_B, z), loglik)


def viterbi_gives_state_probabilities() -> bool:
    """Find an HMM whose Viterbi path disagrees with the per-step most probable state."""
    for seed in range(200):
        log_pi, log_A, log_B = _random_hmm(seed, M=3, T=5)
        path, _ = hmm.viterbi(log_pi, log_A, log_B)
        if (hmm.posteriors(log_pi, log_A, log_B).argmax(1) != path).any():
            return False
    return True


def gmm_integrates_to_one() -> bool:
    """The GMM emission density of eq. 38 integrates to 1."""
    x = np.linspace(-30, 30, 200_001)[:, None]
    logb = hmm.gmm_log_emissions(
        x, np.array([[0.3, 0.7]]), np.array([[[-1.0], [2.0]]]), np.array([[[0.5], [2.0]]])
    )
    return bool(np.isclose(np.trapezoid(np.exp(logb[:, 0]), x[:, 0]), 1.0))
