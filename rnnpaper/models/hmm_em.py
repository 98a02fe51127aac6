"""Baum-Welch (EM) for an HMM with diagonal Gaussian-mixture emissions, batched over sequences.

All N sequences of a class are padded to (N, T, d) and run through forward-backward at once
(log space), so one EM iteration over thousands of sentences is a few array operations per
time step instead of a Python call per sentence. Notation as :mod:`rnnpaper.models.hmm`: M
states, k components per state, d features; the parameters carry hmmlearn's attribute names
(``startprob_``, ``transmat_``, ``weights_``, ``means_``, ``covars_``) so that
:func:`rnnpaper.models.hmm.model_arrays` reads either.

E-step: gamma_t(j) = p(z_t=j | X), xi_t(i, j) = p(z_t=i, z_{t+1}=j | X), and the component
responsibilities r_t(j, l) = gamma_t(j) c_jl N(x_t | mu_jl, Sigma_jl) / b_j(x_t).
M-step (exact EM): pi ~ sum_n gamma_1, a_ij ~ sum_t xi_t(i, j), c_jl ~ sum_t r_t(j, l),
mu_jl = sum_t r x_t / sum_t r, Sigma_jl = max(sum_t r (x_t - mu_jl)^2 / sum_t r, floor), with
the *new* means (hmmlearn centres on the old ones) and a variance floor: word vectors repeat
exactly (one point per word type), and without a floor a component collapses onto one word
and the likelihood grows without bound.
"""

from dataclasses import dataclass

import numpy as np


@dataclass
class GMMHMMParams:
    """pi (M,), A (M, M), c (M, k), mu (M, k, d), diagonal Sigma (M, k, d)."""

    startprob_: np.ndarray
    transmat_: np.ndarray
    weights_: np.ndarray
    means_: np.ndarray
    covars_: np.ndarray


def pad(seqs) -> tuple[np.ndarray, np.ndarray]:
    """Sequences (T_n, d) -> X (N, T, d) zero-padded and mask (N, T) of real steps."""
    T, d = max(len(s) for s in seqs), seqs[0].shape[1]
    X, mask = np.zeros((len(seqs), T, d)), np.zeros((len(seqs), T), dtype=bool)
    for n, s in enumerate(seqs):
        X[n, : len(s)], mask[n, : len(s)] = s, True
    return X, mask


def component_log_densities(X, p: GMMHMMParams) -> np.ndarray:
    """log c_jl + log N(x | mu_jl, diag Sigma_jl) for frames X (F, d): (F, M, k)."""
    var = p.covars_  # (M, k, d)
    const = np.log(p.weights_) - 0.5 * np.log(2 * np.pi * var).sum(-1)  # (M, k)
    prec = 1.0 / var
    quad = (  # sum_d (x - mu)^2 / var, expanded: one (F, d) x (d, M k) product per term
        (X**2) @ prec.reshape(-1, X.shape[1]).T
        - 2 * X @ (p.means_ * prec).reshape(-1, X.shape[1]).T
        + (p.means_**2 * prec).sum(-1).reshape(-1)
    )  # (F, M k)
    return const[None] - 0.5 * quad.reshape(len(X), *const.shape)


def forward_backward(pi, A, log_B, mask):
    """Rabiner's scaled recursions, batched: alpha_hat, beta_hat (N, T, M), log scales (N, T)
    with gamma = alpha_hat beta_hat and log p(X_n) = sum_t log scale_t, and B, c (below).

    alpha_hat_t = (alpha_hat_{t-1} A) * B_t / c_t with c_t making it sum to one, beta_hat_t =
    A (B_{t+1} * beta_hat_{t+1}) / c_{t+1}; B_t = b(x_t) / max_j b_j(x_t), whose log is added
    back to the scale. Padded steps carry alpha forward with c = 1 and leave beta at 1, so
    each sequence ends at its own last step.
    """
    N, T, M = log_B.shape
    shift = log_B.max(2)  # (N, T); 0 on padding, where log_B is 0
    B = np.exp(log_B - shift[..., None])  # (N, T, M), largest entry 1 per step
    alpha, beta, c = np.empty((N, T, M)), np.ones((N, T, M)), np.ones((N, T))
    a = pi * B[:, 0]  # (N, M)
    c[:, 0] = a.sum(1)
    alpha[:, 0] = a / c[:, 0, None]
    for t in range(1, T):
        a = (alpha[:, t - 1] @ A) * B[:, t]  # (N, M)
        run = mask[:, t]
        c[:, t] = np.where(run, a.sum(1), 1.0)
        alpha[:, t] = np.where(run[:, None], a / c[:, t, None], alpha[:, t - 1])
    for t in range(T - 2, -1, -1):
        b = (B[:, t + 1] * beta[:, t + 1]) @ A.T / c[:, t + 1, None]  # (N, M)
        beta[:, t] = np.where(mask[:, t + 1, None], b, 1.0)
    return alpha, beta, (np.log(c) + shift) * mask, B, c


def log_likelihoods(p: GMMHMMParams, X, mask) -> np.ndarray:
    """log p(X_n) of every padded sequence (N,) by the (scaled) forward recursion."""
    log_B = _log_B(p, X, mask)[0]
    return forward_backward(p.startprob_, p.transmat_, log_B, mask)[2].sum(1)


def _log_B(p, X, mask):
    """log b_j(x_t) (N, T, M), 0 on padding, and each real frame's component posteriors
    within a state, c_jl N(x | mu_jl, Sigma_jl) / b_j(x) (F, M, k)."""
    comp = component_log_densities(X[mask], p)  # (F, M, k)
    top = comp.max(2)  # (F, M): log-sum-exp by hand, sharing the exponentials
    e = np.exp(comp - top[..., None])
    total = e.sum(2)  # (F, M)
    log_B = np.zeros((*mask.shape, comp.shape[1]))
    log_B[mask] = top + np.log(total)
    return log_B, e / total[..., None]


def e_step(p: GMMHMMParams, X, mask) -> tuple[dict, float]:
    """Expected sufficient statistics and the total log-likelihood sum_n log p(X_n)."""
    log_B, within = _log_B(p, X, mask)
    alpha, beta, log_c, B, c = forward_backward(p.startprob_, p.transmat_, log_B, mask)
    gamma = alpha * beta  # (N, T, M) = p(z_t = j | X_n)
    nxt = B[:, 1:] * beta[:, 1:] / c[:, 1:, None]  # xi_t(i, j) = alpha_t(i) a_ij nxt_t+1(j)
    trans = p.transmat_ * np.einsum("nti,ntj->ij", alpha[:, :-1] * mask[:, 1:, None], nxt)
    frames, g = X[mask], gamma[mask]  # (F, d), (F, M)
    resp = g[..., None] * within  # (F, M, k) = r_t(j, l)
    stats = {
        "start": gamma[:, 0].sum(0),
        "trans": trans,  # sum_n sum_t xi_t(i, j)
        "post_mix_sum": resp.sum(0),  # (M, k)
        "m_n": np.einsum("fjl,fd->jld", resp, frames),  # (M, k, d)
        "sq_n": np.einsum("fjl,fd->jld", resp, frames**2),  # (M, k, d)
    }
    return stats, float(log_c.sum())


def m_step(stats: dict, var_floor: float) -> GMMHMMParams:
    """The maximiser of the expected complete-data log-likelihood (module docstring)."""
    nk = np.maximum(stats["post_mix_sum"], 1e-300)[..., None]  # (M, k, 1)
    means = stats["m_n"] / nk
    covars = np.maximum(stats["sq_n"] / nk - means**2, var_floor)
    trans = stats["trans"] / np.maximum(stats["trans"].sum(1, keepdims=True), 1e-300)
    weights = stats["post_mix_sum"] / stats["post_mix_sum"].sum(1, keepdims=True)
    return GMMHMMParams(stats["start"] / stats["start"].sum(), trans, weights, means, covars)


def kmeans_init(frames, M: int, k: int, seed: int, var_floor: float) -> GMMHMMParams:
    """hmmlearn's start: k-means into M clusters, k-means into k within each; uniform pi, A
    and c; every component gets the data's per-feature variance."""
    from sklearn.cluster import KMeans

    labels = KMeans(M, random_state=seed, n_init=10).fit_predict(frames)
    means = np.stack([_centres(frames[labels == j], k, seed) for j in range(M)])  # (M, k, d)
    var = np.broadcast_to(np.maximum(frames.var(0), var_floor), means.shape).copy()
    uniform = np.full(M, 1 / M)
    return GMMHMMParams(uniform, np.tile(uniform, (M, 1)), np.full((M, k), 1 / k), means, var)


def _centres(frames, k: int, seed: int) -> np.ndarray:
    """k k-means centres of a cluster (k, d); fewer distinct points than k: repeated ones."""
    from sklearn.cluster import KMeans

    distinct = np.unique(frames, axis=0)
    if len(distinct) <= k:
        return distinct[np.arange(k) % len(distinct)]
    return KMeans(k, random_state=seed, n_init=10).fit(frames).cluster_centers_


def fit(seqs, M: int, k: int, seed: int, var_floor: float, tol: float, max_iter: int, init=None):
    """EM from ``init`` (default :func:`kmeans_init`) until the log-likelihood per frame gains
    less than ``tol`` (or ``max_iter`` iterations): (params, log p per frame at every
    iteration, converged)."""
    X, mask = pad(seqs)
    n_frames = int(mask.sum())
    p = kmeans_init(X[mask], M, k, seed, var_floor) if init is None else init
    history = []
    for it in range(max_iter + 1):  # the last E-step scores the last M-step's parameters
        stats, ll = e_step(p, X, mask)
        history.append(ll / n_frames)
        if len(history) > 1 and history[-1] - history[-2] < tol:
            return p, history, True
        if it < max_iter:
            p = m_step(stats, var_floor)
    return p, history, False
