"""The errata checks of the LSTM, GRU and HMM paragraphs (eqs. 28-39): each returns a
verdict (:mod:`.claims`) or a boolean that :func:`.claims.verdict` turns into one."""

import numpy as np
import torch

from rnnpaper.models import cells, hmm, recurrent

from .claims import _orthogonal, _scan, jacobian_norm, verdict

# --- LSTM ------------------------------------------------------------------------------


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


def carried_gradients(T: int = 50, H: int = 16) -> dict:
    """||dstate_T/dstate_0|| with orthogonal recurrent weights and the same inputs: the Elman
    RNN, the Elman RNN with an output gate (no cell), and the LSTM's cell C (b_f = 3)."""
    W, Wo = _orthogonal(H, 0), _orthogonal(H, 1) / H**0.5
    X = 0.5 * torch.randn(T, H, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    elman = lambda h, x: torch.tanh(h @ W + x)  # noqa: E731
    gated = lambda h, x: torch.sigmoid(h @ Wo + x + 3) * torch.tanh(h @ W + x)  # noqa: E731
    cell = cells.LSTMCell(H, H).double()
    with torch.no_grad():
        for k, g in enumerate(cell.gates):
            getattr(cell, f"W_h{g}").copy_(_orthogonal(H, k))
        cell.b_f.fill_(3.0)
    h0 = torch.zeros(1, H, dtype=torch.float64)
    lstm = lambda C0: _scan(lambda s, x: cell(x[None], s), (h0, C0[None]), X)[1][0]  # noqa: E731
    zero = torch.zeros(H, dtype=torch.float64)
    return {
        "elman": jacobian_norm(lambda h: _scan(elman, h, X), zero),
        "gated": jacobian_norm(lambda h: _scan(gated, h, X), zero),
        "lstm": jacobian_norm(lstm, zero),
    }


def gates_are_the_difference() -> str:
    """Gates alone (an output-gated Elman RNN) lose the gradient like the Elman RNN; the
    LSTM's additive cell (dC_t/dC_{t-1} = diag(f_t) on the direct path) carries it."""
    n = carried_gradients()
    gates_alone = n["gated"] < 1e-3 and n["elman"] < 1e-3
    return verdict(True, complete=not (gates_alone and n["lstm"] > 0.1))


def forget_gate_adds() -> bool:
    """Eq. 31 with the input gate shut (i_t = 0) can increase some |C|: the forget gate adds."""
    g = torch.Generator().manual_seed(0)
    f = torch.rand(1000, generator=g, dtype=torch.float64)  # forget gate values in (0, 1)
    C_prev = torch.randn(1000, generator=g, dtype=torch.float64)
    C_t = f * C_prev + 0.0 * torch.tanh(C_prev)  # i_t = 0
    return bool((C_t.abs() > C_prev.abs()).any())


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


# --- GRU -------------------------------------------------------------------------------


def gru_proposal_is_torch() -> bool:
    """The proposal's GRU (eqs. 34-37) equals torch.nn.GRU with copied weights."""
    torch.manual_seed(0)
    ref = recurrent.Recurrent("gru", 3, 4, impl="fused").double()
    prop = recurrent.Recurrent("gru_proposal", 3, 4).double()
    recurrent.copy_weights(ref, prop)
    x = torch.randn(2, 5, 3, dtype=torch.double)
    return torch.allclose(prop(x)[0], ref(x)[0])


def update_gate_sets_retention() -> bool:
    """In eq. 37 the share of h_{t-1} kept in h_t is 1 - z_t (dh_t/dh_{t-1} with z_t and
    h~_t held fixed), so z_t decides how much of the past is retained."""
    z = torch.rand(8, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    h_prev = torch.randn(8, dtype=torch.float64, requires_grad=True)
    h_tilde = torch.randn(8, dtype=torch.float64)
    (kept,) = torch.autograd.grad(((1 - z) * h_prev + z * h_tilde).sum(), h_prev)  # eq. 37
    return torch.allclose(kept, 1 - z)


def gru_has_output_gate() -> bool:
    """A GRU has input and output gates (the notation table's labels)."""
    return {"o", "i"} <= set(cells.GRUProposalCell.gates)


def gru_is_smaller() -> bool:
    """3 (n + m + 1) m parameters and gate blocks against the LSTM's 4 (n + m + 1) m."""
    gru, lstm = recurrent.param_count("gru_proposal", 7, 5), recurrent.param_count("lstm", 7, 5)
    return gru == 3 * (7 + 5 + 1) * 5 < lstm == 4 * (7 + 5 + 1) * 5


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


def baum_welch_likelihoods(restarts: int = 4, T: int = 100) -> list:
    """Converged log p(X) of Baum-Welch (hmmlearn) from ``restarts`` random starts."""
    from hmmlearn.hmm import CategoricalHMM

    X = np.random.default_rng(0).integers(0, 4, size=(T, 1))  # one sequence of 4 symbols
    out = []
    for seed in range(restarts):
        model = CategoricalHMM(3, n_iter=1000, tol=1e-9, random_state=seed, n_features=4)
        model.fit(X)
        out.append(model.score(X) if model.monitor_.converged else np.nan)
    return out


def baum_welch_is_optimal() -> str:
    """Baum-Welch raises the likelihood, but different starts converge to different maxima."""
    lls = np.array(baum_welch_likelihoods())
    return verdict(bool(np.isfinite(lls).all()), complete=np.ptp(lls) < 1e-3)
