"""word2vec (Mikolov et al. 2013): CBOW and skip-gram, hierarchical softmax or negative sampling.

Notation (notebook 04): V words, D dimensions, input vectors v_w (rows of ``W_in``), output
vectors v'_n (rows of ``W_out``: one per inner Huffman node for hierarchical softmax, one per
word for negative sampling). CBOW predicts the centre word from the mean h of its context
vectors; skip-gram predicts each context word from the centre word's vector h = v_w.
"""

import heapq
import math
import time
from collections import Counter
from dataclasses import dataclass, replace

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from rnnpaper import data, profiles, text


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


# ---------------------------------------------------------------- vocabulary, Huffman tree


@dataclass
class Corpus:
    """Sentences as int arrays over ``words`` (most frequent first) with their ``counts``."""

    words: list[str]
    counts: np.ndarray  # (V,)
    sentences: list[np.ndarray]

    @property
    def n_tokens(self) -> int:
        return int(sum(len(s) for s in self.sentences))


def build_corpus(token_lists, min_count: int = 5, max_vocab: int | None = None) -> Corpus:
    """Keep words seen ``min_count`` times (at most ``max_vocab``); drop the others."""
    counts = Counter(t for toks in token_lists for t in toks)
    words = sorted((w for w, c in counts.items() if c >= min_count), key=lambda w: (-counts[w], w))
    words = words[:max_vocab]
    index = {w: i for i, w in enumerate(words)}
    sentences = [np.array([index[t] for t in toks if t in index], dtype=np.int64)
                 for toks in token_lists]
    sentences = [s for s in sentences if len(s) > 1]
    return Corpus(words, np.array([counts[w] for w in words], dtype=np.int64), sentences)


def training_texts(datasets_: tuple[str, ...], max_docs: dict | None = None, seed: int = 0):
    """Token lists of the *training* splits only (never validation or test), shuffled."""
    out = []
    for name in datasets_:
        rows = data.load(name)["train"]["text"]
        order = np.random.default_rng(seed).permutation(len(rows))
        n = (max_docs or {}).get(name, len(rows))
        out += [text.tokenize(rows[i], data.REGISTRY[name].pretokenized) for i in order[:n]]
    return out


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
    for w, (c, p) in enumerate(zip(codes, points)):
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


def hs_loss(h, v_path, signs, mask):
    """-log p(w|h) = -sum_j log sigma(s_j v'_{n_j} . h), s_j = 1 - 2 code_j; batch summed."""
    return logistic_terms(h, v_path, signs, mask)[0]


def neg_loss(h, v_target, v_noise):
    """-log sigma(v'_o . h) - sum_k log sigma(-v'_k . h), K noise words; batch summed."""
    u = torch.cat([v_target.unsqueeze(1), v_noise], 1)  # (B, 1+K, D)
    signs = torch.ones(u.shape[:2], dtype=h.dtype)
    signs[:, 1:] = -1
    return logistic_terms(h, u, signs, torch.ones_like(signs, dtype=torch.bool))[0]


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


# ---------------------------------------------------------------- training examples


def _flatten(sentences, keep_p, rng):
    """Subsample every sentence; concatenated ids and their sentence ids (both (n,))."""
    ids, sid = [], []
    for j, s in enumerate(sentences):
        k = s[rng.random(len(s)) < keep_p[s]]
        ids.append(k)
        sid.append(np.full(len(k), j))
    return np.concatenate(ids), np.concatenate(sid)


def context_windows(ids, sid, window, rng):
    """Per centre word, its context ids (n, 2 window) and mask: window drawn from 1..window."""
    n = len(ids)
    r = rng.integers(1, window + 1, size=n)  # effective window per centre word
    offsets = np.concatenate([np.arange(-window, 0), np.arange(1, window + 1)])  # (2W,)
    pos = np.arange(n)[:, None] + offsets[None, :]  # (n, 2W)
    inside = (pos >= 0) & (pos < n)
    pos_c = np.clip(pos, 0, n - 1)
    mask = inside & (sid[pos_c] == sid[:, None]) & (np.abs(offsets)[None, :] <= r[:, None])
    return ids[pos_c], mask


def examples(corpus: Corpus, cfg: W2VConfig, rng, rule: str = "code"):
    """One epoch of training examples as tensors (inputs, cmask, targets), shuffled."""
    ids, sid = _flatten(corpus.sentences, keep_probability(corpus.counts, cfg.sample, rule), rng)
    ctx, mask = context_windows(ids, sid, cfg.window, rng)  # (n, 2W)
    if cfg.arch == "cbow":
        keep = mask.any(1)
        inputs, cmask, targets = ctx[keep], mask[keep], ids[keep]
    else:  # one example per (centre, context) pair: the centre predicts the context word
        rows, cols = np.nonzero(mask)
        inputs, targets = ids[rows], ctx[rows, cols]
        cmask = np.ones((len(rows), 1), dtype=bool)
    order = rng.permutation(len(targets))
    return (torch.from_numpy(inputs[order]), torch.from_numpy(cmask[order]),
            torch.from_numpy(targets[order]), len(ids))


# ---------------------------------------------------------------- training


def train(corpus: Corpus, cfg: W2VConfig, max_words: int | None = None, log=None) -> dict:
    """Train word2vec with SGD and a linearly decaying rate; return model, words/s, losses."""
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    g = torch.Generator().manual_seed(cfg.seed)
    model = Word2Vec(corpus.counts, cfg)
    total = cfg.epochs * corpus.n_tokens
    done, losses, words, seconds = 0, [], 0, 0.0
    for _ in range(cfg.epochs):
        inputs, cmask, targets, n_words = examples(corpus, cfg, rng)
        t0 = time.perf_counter()
        B = cfg.batch_size
        n_batches = math.ceil(len(targets) / B)
        for b in range(n_batches):
            sl = slice(b * B, (b + 1) * B)
            frac = (done + n_words * b / n_batches) / total
            lr = max(cfg.min_alpha, cfg.lr * (1 - frac))
            loss = model.sgd_step(inputs[sl], cmask[sl], targets[sl], lr, g)
            if b % 200 == 0:
                losses.append(loss / len(targets[sl]))
            if max_words and n_words * (b + 1) / n_batches >= max_words:
                n_words = int(n_words * (b + 1) / n_batches)
                break
        seconds += time.perf_counter() - t0
        done += corpus.n_tokens
        words += n_words
    return {"model": model, "words": words, "seconds": seconds, "words_per_s": words / seconds,
            "losses": losses}



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
    return np.array([len(set(neighbours(words_a, X_a, p, k)) & set(neighbours(words_b, X_b, p, k)))
                     / k for p in probes])


# ---------------------------------------------------------------- gensim reference


def gensim_train(corpus: Corpus, cfg: W2VConfig, workers: int = 1) -> dict:
    """gensim's Word2Vec on the same sentences and hyperparameters; vectors in our word order."""
    from gensim.models import Word2Vec as GWord2Vec

    sents = [[corpus.words[i] for i in s] for s in corpus.sentences]
    t0 = time.perf_counter()
    m = GWord2Vec(sents, vector_size=cfg.D, window=cfg.window, min_count=1,
                  sg=int(cfg.arch == "skipgram"), hs=int(cfg.objective == "hs"),
                  negative=cfg.negative if cfg.objective == "neg" else 0, ns_exponent=0.75,
                  sample=cfg.sample, alpha=cfg.lr, min_alpha=cfg.min_alpha, epochs=cfg.epochs,
                  cbow_mean=1, seed=cfg.seed, workers=workers)
    seconds = time.perf_counter() - t0
    X = np.stack([m.wv[w] for w in corpus.words])  # (V, D)
    words = cfg.epochs * corpus.n_tokens
    return {"vectors": X, "seconds": seconds, "words_per_s": words / seconds}


# ---------------------------------------------------------------- cost formulas (eqs. 40-41)


def cost_q(arch: str, objective: str, D: int, window: int, V: int, negative: int = 5,
           path_len: float | None = None, n_context: float | None = None) -> float:
    """Operations per training word: eq. 40 (CBOW) N D + D log2 V, eq. 41 (skip-gram)
    C (D + D log2 V). Negative sampling replaces log2 V by K + 1. ``path_len`` (the mean
    Huffman code length) and ``n_context`` (the mean number of context words) replace
    log2 V and N = C = 2 window where given."""
    out = (path_len or math.log2(V)) if objective == "hs" else negative + 1
    n = n_context or 2 * window
    return n * D + D * out if arch == "cbow" else n * (D + D * out)


def slice_corpus(corpus: Corpus, n_tokens: int) -> Corpus:
    """The first sentences of ``corpus`` holding about ``n_tokens`` tokens."""
    lengths = np.cumsum([len(s) for s in corpus.sentences])
    n = int(np.searchsorted(lengths, n_tokens)) + 1
    return Corpus(corpus.words, corpus.counts, corpus.sentences[:n])


def mean_path_length(counts) -> float:
    """Mean Huffman code length per running word: sum_w f(w) len(code_w)."""
    codes, _ = huffman_tree(counts)
    f = np.asarray(counts, dtype=np.float64) / np.sum(counts)
    return float(np.sum(f * np.array([len(c) for c in codes])))


def time_per_word(token_lists, cfg: W2VConfig, n_tokens: int, repeats: int = 2) -> dict:
    """Seconds per training word of one configuration (no subsampling), best of ``repeats``."""
    corpus = build_corpus(token_lists, cfg.min_count, cfg.max_vocab)
    part = slice_corpus(corpus, n_tokens)
    cfg = replace(cfg, sample=0.0, epochs=1)
    rng = np.random.default_rng(cfg.seed)
    ctx_sizes = context_windows(*_flatten(part.sentences, np.ones(len(corpus.words)), rng),
                                cfg.window, rng)[1].sum(1)
    runs = [train(part, cfg) for _ in range(repeats)]
    best = min(r["seconds"] / r["words"] for r in runs)
    return {"arch": cfg.arch, "objective": cfg.objective, "D": cfg.D, "window": cfg.window,
            "V": len(corpus.words), "negative": cfg.negative, "seconds_per_word": best,
            "mean_context": float(ctx_sizes.mean()), "path_len": mean_path_length(corpus.counts),
            "words": runs[0]["words"]}


def cost_sweep(token_lists, base: W2VConfig, Ds, windows, Vs, n_tokens: int) -> list[dict]:
    """time_per_word over D, window and V (one varied at a time), for all four variants."""
    rows = []
    for arch in ("cbow", "skipgram"):
        for objective in ("hs", "neg"):
            cfg = replace(base, arch=arch, objective=objective)
            grid = ([("D", replace(cfg, D=d)) for d in Ds]
                    + [("window", replace(cfg, window=c)) for c in windows]
                    + [("V", replace(cfg, max_vocab=v)) for v in Vs])
            for varied, c in grid:
                rows.append({"varied": varied, **time_per_word(token_lists, c, n_tokens)})
    return rows


def fit_cost(rows) -> list[dict]:
    """Least-squares fit seconds/word = a + b Q per variant, with Q from the formula (log2 V,
    N = C = 2 window) and from the measured context size and Huffman path length; R^2 each."""
    out = []
    for arch in ("cbow", "skipgram"):
        for objective in ("hs", "neg"):
            sel = [r for r in rows if r["arch"] == arch and r["objective"] == objective]
            y = np.array([r["seconds_per_word"] for r in sel])
            fits = {"arch": arch, "objective": objective, "n": len(sel)}
            for name, measured in (("formula", False), ("measured", True)):
                q = np.array([cost_q(arch, objective, r["D"], r["window"], r["V"], r["negative"],
                                     r["path_len"] if measured else None,
                                     r["mean_context"] if measured else None) for r in sel])
                A = np.stack([np.ones_like(q), q], 1)
                coef, *_ = np.linalg.lstsq(A, y, rcond=None)
                r2 = 1 - np.sum((y - A @ coef) ** 2) / np.sum((y - y.mean()) ** 2)
                fits |= {f"{name}_intercept": coef[0], f"{name}_slope": coef[1], f"{name}_r2": r2}
            out.append(fits)
    return out
