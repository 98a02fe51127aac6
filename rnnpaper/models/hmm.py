"""Hidden Markov models in log space (numpy) and a GMM-HMM classifier (Baum-Welch of
:mod:`rnnpaper.models.hmm_em`, checked against hmmlearn).

Notation (notebook 05): M states, initial distribution pi (M,), transitions A (M, M) with
a_ij = p(z_{t+1}=j | z_t=i), emission log-densities log b_j(x_t) as a (T, M) array. What each
algorithm gives: forward -> alpha_t(j) = p(x_1..x_t, z_t=j) and the likelihood p(X) (the sum
over all state paths Z of p(X, Z)); backward -> beta_t(j) = p(x_{t+1}..x_T | z_t=j);
forward-backward -> the posteriors gamma_t(j) = p(z_t=j | X); Viterbi -> the single most
probable path argmax_Z p(X, Z) and its joint probability, not state probabilities.
"""

import itertools
from dataclasses import dataclass

import numpy as np
from scipy.special import logsumexp

from rnnpaper.models import hmm_em


def joint_log_prob(log_pi, log_A, log_B, z) -> float:
    """log p(X, Z) = log pi_{z_1} + sum_t log a_{z_t z_{t+1}} + sum_t log b_{z_t}(x_t)."""
    z = np.asarray(z)
    T = len(z)
    return float(log_pi[z[0]] + log_A[z[:-1], z[1:]].sum() + log_B[np.arange(T), z].sum())


def forward(log_pi, log_A, log_B):
    """log alpha (T, M) and log p(X): alpha_t(j) = sum_i alpha_{t-1}(i) a_ij b_j(x_t)."""
    T, M = log_B.shape
    log_alpha = np.empty((T, M))
    log_alpha[0] = log_pi + log_B[0]
    for t in range(1, T):
        log_alpha[t] = logsumexp(log_alpha[t - 1][:, None] + log_A, axis=0) + log_B[t]
    return log_alpha, float(logsumexp(log_alpha[-1]))


def backward(log_A, log_B):
    """log beta (T, M): beta_T = 1, beta_t(i) = sum_j a_ij b_j(x_{t+1}) beta_{t+1}(j)."""
    T, M = log_B.shape
    log_beta = np.zeros((T, M))
    for t in range(T - 2, -1, -1):
        log_beta[t] = logsumexp(log_A + (log_B[t + 1] + log_beta[t + 1])[None, :], axis=1)
    return log_beta


def posteriors(log_pi, log_A, log_B):
    """gamma (T, M) = p(z_t = j | X) = alpha_t(j) beta_t(j) / p(X) (forward-backward)."""
    log_alpha, loglik = forward(log_pi, log_A, log_B)
    return np.exp(log_alpha + backward(log_A, log_B) - loglik)


def viterbi(log_pi, log_A, log_B):
    """The most probable path argmax_Z log p(X, Z) (T,) and its log joint probability."""
    T, M = log_B.shape
    delta = log_pi + log_B[0]
    back = np.zeros((T, M), dtype=np.int64)
    for t in range(1, T):
        scores = delta[:, None] + log_A  # (M, M): from i to j
        back[t] = scores.argmax(0)
        delta = scores.max(0) + log_B[t]
    path = np.empty(T, dtype=np.int64)
    path[-1] = delta.argmax()
    for t in range(T - 1, 0, -1):
        path[t - 1] = back[t, path[t]]
    return path, float(delta.max())


def brute_force(log_pi, log_A, log_B):
    """Enumerate all M^T paths: log p(X), posteriors, best path and its log p(X, Z)."""
    T, M = log_B.shape
    paths = np.array(list(itertools.product(range(M), repeat=T)))  # (M^T, T)
    logp = np.array([joint_log_prob(log_pi, log_A, log_B, z) for z in paths])
    loglik = float(logsumexp(logp))
    w = np.exp(logp - loglik)
    gamma = np.stack([np.bincount(paths[:, t], weights=w, minlength=M) for t in range(T)])
    best = int(logp.argmax())
    return loglik, gamma, paths[best], float(logp[best])


def gmm_log_emissions(X, weights, means, covars):
    """log b_j(x_t) = log sum_l c_jl N(x_t | mu_jl, diag Sigma_jl) (eq. 38): (T, M).

    X (T, d); weights (M, k); means, covars (M, k, d) (diagonal covariances).
    """
    diff = X[:, None, None, :] - means[None]  # (T, M, k, d)
    log_norm = -0.5 * (
        np.log(2 * np.pi * covars).sum(-1)[None] + (diff**2 / covars[None]).sum(-1)
    )  # (T, M, k)
    return logsumexp(np.log(weights)[None] + log_norm, axis=-1)


def model_arrays(model, X):
    """log pi, log A, log B (T, M) of a diagonal GMM-HMM (hmmlearn's or ours) on X."""
    return (
        np.log(model.startprob_),
        np.log(model.transmat_),
        gmm_log_emissions(X, model.weights_, model.means_, model.covars_),
    )


# ---------------------------------------------------------------- GMM-HMM classifier


@dataclass(frozen=True)
class HMMConfig:
    """One GMM-HMM per class: M states, k diagonal Gaussians per state, EM with restarts."""

    n_states: int = 2  # M
    n_mix: int = 2  # k
    n_iter: int = 200  # most EM iterations of one restart
    tol: float = 1e-4  # EM stops when log p(X) per frame gains less than this
    seed: int = 0  # restart r starts from k-means with random_state seed + r
    var_floor: float = 1e-2  # smallest variance of a Gaussian component (per feature)
    restarts: int = 1  # the restart with the highest training likelihood is kept
    shared_start: bool = False  # every class's EM starts from one model fitted to all classes


class GMMHMMClassifier:
    """Fit one GMM-HMM per class (:mod:`rnnpaper.models.hmm_em`) and predict
    argmax_c log p(X | c) + log p(c).

    Restarts: each class keeps its restart of highest training likelihood; with
    ``shared_start``, restart r first fits one model to every class's texts from k-means seed
    ``seed + r``, every class model starts EM from it, and the restart whose class models give
    the training set the highest likelihood is kept for all classes (so the class models
    differ by what their data moved, not by where k-means put them).
    """

    def __init__(self, cfg: HMMConfig):
        self.cfg = cfg

    def fit(self, seqs, labels):
        labels = np.asarray(labels)
        self.classes = np.unique(labels)
        self.log_prior = np.log(np.bincount(labels)[self.classes] / len(labels))
        per_class = [[s for s, y in zip(seqs, labels, strict=True) if y == c] for c in self.classes]
        R, self.starts = range(self.cfg.restarts), None
        if self.cfg.shared_start:
            self.starts = [self._fit_one(seqs, self.cfg.seed + r) for r in R]
            runs = [
                [self._fit_one(x, s["seed"], s["params"]) for s in self.starts] for x in per_class
            ]
            total = [sum(c[r]["history"][-1] * c[r]["frames"] for c in runs) for r in R]
            chosen = [int(np.argmax(total))] * len(runs)
        else:
            runs = [[self._fit_one(x, self.cfg.seed + r) for r in R] for x in per_class]
            chosen = [int(np.argmax([r["history"][-1] for r in c])) for c in runs]
        self.restarts = [{"runs": c, "chosen": b} for c, b in zip(runs, chosen, strict=True)]
        self.models = [c[b]["params"] for c, b in zip(runs, chosen, strict=True)]
        return self

    def _fit_one(self, seqs, seed: int, init=None) -> dict:
        c = self.cfg
        params, history, converged = hmm_em.fit(
            seqs, c.n_states, c.n_mix, seed, c.var_floor, c.tol, c.n_iter, init
        )
        frames = sum(len(s) for s in seqs)
        return {
            "seed": seed,
            "params": params,
            "history": history,
            "converged": converged,
            "frames": frames,
        }

    def log_likelihoods(self, seqs, models=None) -> np.ndarray:
        """log p(X | c) for every text and class (N, C), by the forward algorithm
        (``models``: one parameter set per class instead of the chosen ones)."""
        X, mask = hmm_em.pad(seqs)
        models = self.models if models is None else models
        return np.stack([hmm_em.log_likelihoods(m, X, mask) for m in models], axis=1)

    def predict(self, seqs, models=None) -> np.ndarray:
        ll = self.log_likelihoods(seqs, models)
        return self.classes[np.argmax(ll + self.log_prior, axis=1)]

    def restart_models(self, r: int) -> list:
        """Restart ``r`` of every class: the classifier that restart alone would give."""
        return [c["runs"][r]["params"] for c in self.restarts]
