"""word2vec (Mikolov et al. 2013): CBOW and skip-gram, hierarchical softmax or negative sampling.

Notation (notebook 04): V words, D dimensions, input vectors v_w (rows of ``W_in``), output
vectors v'_n (rows of ``W_out``: one per inner Huffman node for hierarchical softmax, one per
word for negative sampling). CBOW predicts the centre word from the mean h of its context
vectors; skip-gram predicts each context word from the centre word's vector h = v_w.
The corpus and the training loop are in :mod:`rnnpaper.models.word2vec_training`, the cost
model of eqs. 40-41 in :mod:`rnnpaper.models.word2vec_cost`.
"""

import heapq
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

VARIANTS = (("cbow", "hs"), ("cbow", "neg"), ("skipgram", "hs"), ("skipgram", "neg"))


@dataclass(frozen=True)
class W2VConfig:
    """Hyperparameters of one word2vec run (names as in word2vec.c / gensim)."""

    arch: str = "skipgram"  # "cbow" or "skipgram"
    objective: str = "neg"  # "hs" (hierarchical softmax) or "neg" (negative sampling)
    D: int = 100  # vector size
    window: int = 5  # maximal distance; the effective window is drawn from 1..window
    negative: int = 5  # K noise words per target
    min_count: int = 5
    sample: float = 1e-3  # subsampling threshold t
    epochs: int = 1
    alpha: float | None = None  # None: 0.025 for skip-gram, 0.05 for CBOW (word2vec.c)
    min_alpha: float = 1e-4
    batch_size: int = 256
    max_vocab: int | None = None
    seed: int = 0

    @property
    def lr(self) -> float:
        return self.alpha if self.alpha is not None else (0.05 if self.arch == "cbow" else 0.025)


def huffman_tree(counts) -> tuple[list[list[int]], list[list[int]]]:
    """Huffman codes and paths: codes[w] are the bits root->leaf, points[w] the inner nodes.

    Inner nodes are numbered 0..V-2 in creation order (the root is V-2). Merging the two
    lightest nodes x, y gives x the bit 0 and y the bit 1, as in word2vec.c and CLRS.
    """
    V = len(counts)
    heap = [(int(c), i, i) for i, c in enumerate(counts)]  # (weight, tie-break, node id)
    heapq.heapify(heap)
    parent, bit = {}, {}
    for inner in range(V - 1):
        wx, _, x = heapq.heappop(heap)
        wy, _, y = heapq.heappop(heap)
        node = V + inner
        parent[x], bit[x], parent[y], bit[y] = node, 0, node, 1
        heapq.heappush(heap, (wx + wy, V + inner, node))
    codes, points = [], []
    for w in range(V):
        code, point, n = [], [], w
        while n in parent:
            code.append(bit[n])
            point.append(parent[n] - V)
            n = parent[n]
        codes.append(code[::-1])
        points.append(point[::-1])
    return codes, points


def padded_paths(codes, points):
    """Huffman paths as tensors: points (V, L) long, signs (V, L) = 1 - 2 code, mask (V, L)."""
    L = max(len(c) for c in codes)
    P = torch.zeros(len(codes), L, dtype=torch.long)  # (V, L)
    S = torch.zeros(len(codes), L, dtype=torch.float64)  # (V, L)
    M = torch.zeros(len(codes), L, dtype=torch.bool)  # (V, L)
    for w, (c, p) in enumerate(zip(codes, points, strict=True)):
        P[w, : len(p)] = torch.tensor(p)
        S[w, : len(c)] = 1.0 - 2.0 * torch.tensor(c, dtype=torch.float64)
        M[w, : len(c)] = True
    return P, S, M


# ---------------------------------------------------------------- sampling distributions


def noise_distribution(counts, power: float = 0.75) -> np.ndarray:
    """P_n(w) = count(w)^0.75 / sum_u count(u)^0.75 (Mikolov et al. 2013b)."""
    p = np.asarray(counts, dtype=np.float64) ** power
    return p / p.sum()


def keep_probability(counts, t: float, rule: str = "code") -> np.ndarray:
    """Probability that subsampling keeps each occurrence of a word of relative frequency f.

    rule "paper": 1 - P_discard with P_discard = 1 - sqrt(t / f) (Mikolov et al. 2013b, eq. 5);
    rule "code": (sqrt(f / t) + 1) t / f, the variant word2vec.c and gensim implement.
    Both are clipped to [0, 1]; t = 0 keeps everything.
    """
    f = np.asarray(counts, dtype=np.float64) / np.sum(counts)
    if t <= 0:
        return np.ones_like(f)
    p = np.sqrt(t / f) if rule == "paper" else (np.sqrt(f / t) + 1.0) * t / f
    return np.clip(p, 0.0, 1.0)


# ---------------------------------------------------------------- losses (the equations)


def logistic_terms(h, u, signs, mask):
    """Loss -sum m log sigma(s u.h) and its hand-derived gradients (both objectives use it).

    h (B, D); u (B, L, D) output vectors; signs, mask (B, L). Hierarchical softmax: u are the
    inner nodes on the target's Huffman path and s = 1 - 2 code. Negative sampling: u are the
    target (s = +1) and K noise words (s = -1). d/dx[-log sigma(s x)] = -s (1 - sigma(s x)).
    Returns the summed loss, dL/dh (B, D) and dL/du (B, L, D).
    """
    x = torch.einsum("bld,bd->bl", u, h)  # (B, L)
    sx = signs.to(h.dtype) * x
    m = mask.to(h.dtype)
    loss = -(F.logsigmoid(sx) * m).sum()
    coef = -signs.to(h.dtype) * torch.sigmoid(-sx) * m  # (B, L)
    return loss, torch.einsum("bl,bld->bd", coef, u), coef.unsqueeze(-1) * h.unsqueeze(1)


def hs_probabilities(h, W_out, points, signs, mask):
    """p(w|h) for every word w (V,), from the Huffman paths; sums to one."""
    score = W_out[points] @ h  # (V, L)
    return torch.exp((F.logsigmoid(signs.to(h.dtype) * score) * mask).sum(-1))


def cbow_hidden(v_context, cmask):
    """h = mean of the context input vectors (B, D); v_context (B, N, D), padded slots masked."""
    m = cmask.to(v_context.dtype)  # (B, N)
    return (v_context * m.unsqueeze(-1)).sum(1) / m.sum(1, keepdim=True).clamp_min(1)


# ---------------------------------------------------------------- model


class Word2Vec(nn.Module):
    """W_in (V, D) input vectors and W_out (V-1 or V, D) output vectors, as in word2vec.c."""

    def __init__(self, corpus_counts, cfg: W2VConfig):
        super().__init__()
        V, D = len(corpus_counts), cfg.D
        self.cfg = cfg
        g = torch.Generator().manual_seed(cfg.seed)
        self.W_in = nn.Parameter((torch.rand(V, D, generator=g) - 0.5) / D, requires_grad=False)
        n_out = V - 1 if cfg.objective == "hs" else V
        self.W_out = nn.Parameter(torch.zeros(n_out, D), requires_grad=False)  # (V-1 | V, D)
        if cfg.objective == "hs":
            P, S, M = padded_paths(*huffman_tree(corpus_counts))
            self.register_buffer("points", P)
            self.register_buffer("signs", S.float())
            self.register_buffer("pmask", M)
        cdf = np.cumsum(noise_distribution(corpus_counts))
        self.register_buffer("noise_cdf", torch.tensor(cdf / cdf[-1], dtype=torch.float64))

    def sample_noise(self, shape, generator=None):
        """Noise words drawn from P_n(w) ~ count^0.75 by inverting its CDF."""
        u = torch.rand(shape, generator=generator, dtype=torch.float64)
        return torch.searchsorted(self.noise_cdf, u).clamp_max(len(self.noise_cdf) - 1)

    def outputs(self, targets, generator=None):
        """Output rows, signs and mask per target: Huffman path, or target + K noise words."""
        if self.cfg.objective == "hs":
            return self.points[targets], self.signs[targets], self.pmask[targets]
        noise = self.sample_noise((len(targets), self.cfg.negative), generator)  # (B, K)
        idx = torch.cat([targets.unsqueeze(1), noise], 1)  # (B, 1+K)
        signs = torch.ones(idx.shape)
        signs[:, 1:] = -1
        return idx, signs, torch.ones_like(idx, dtype=torch.bool)

    def hidden(self, inputs, cmask):
        """h: CBOW's context mean, or skip-gram's centre vector (B, D)."""
        if self.cfg.arch == "cbow":
            return cbow_hidden(self.W_in[inputs], cmask)
        return self.W_in[inputs]  # (B, D)

    @torch.no_grad()
    def sgd_step(self, inputs, cmask, targets, lr, generator=None) -> float:
        """One SGD step on a batch with the hand-derived gradients; returns the summed loss."""
        h = self.hidden(inputs, cmask)  # (B, D)
        idx, signs, mask = self.outputs(targets, generator)  # (B, L)
        loss, g_h, g_u = logistic_terms(h, self.W_out[idx], signs, mask)
        self.W_out.index_add_(0, idx[mask], g_u[mask], alpha=-lr)
        if self.cfg.arch == "cbow":  # d h / d v_c = 1/N for each of the N context words
            g_h = g_h / cmask.sum(1, keepdim=True).clamp_min(1)
            rows = cmask.nonzero(as_tuple=True)[0]
            self.W_in.index_add_(0, inputs[cmask], g_h[rows], alpha=-lr)
        else:
            self.W_in.index_add_(0, inputs, g_h, alpha=-lr)
        return loss.item()


# ---------------------------------------------------------------- vectors and neighbours


def vectors(model: Word2Vec) -> np.ndarray:
    """The input vectors v_w (V, D): what word2vec publishes as the word vectors."""
    return model.W_in.detach().numpy().copy()


def neighbours(words, X, probe: str, k: int = 10) -> list[str]:
    """The k nearest words to ``probe`` by cosine similarity, itself excluded."""
    index = {w: i for i, w in enumerate(words)}
    Xn = X / np.linalg.norm(X, axis=1, keepdims=True).clip(1e-12)
    sim = Xn @ Xn[index[probe]]  # (V,)
    sim[index[probe]] = -np.inf
    return [words[i] for i in np.argsort(-sim, kind="stable")[:k]]


def overlap_at_k(words_a, X_a, words_b, X_b, probes, k: int = 10) -> np.ndarray:
    """|N_k^a(w) & N_k^b(w)| / k for each probe word (both models must know it)."""
    return np.array(
        [
            len(set(neighbours(words_a, X_a, p, k)) & set(neighbours(words_b, X_b, p, k))) / k
            for p in probes
        ]
    )
