"""word2vec (Mikolov et al. 2013): CBOW and skip-gram, hierarchical softmax or negative sampling.

Notation (notebook 04): V words, D dimensions, input vectors v_w (rows of ``W_in``), output
vectors v'_n (rows of ``W_out``: one per inner Huffman node for hierarchical softmax, one per
word for negative sampling). CBOW predicts the centre word from the mean h of its context
vectors; skip-gram predicts each context word from the centre word's vector h = v_w.
"""

import hashlib
import heapq
import math
import time
from collections import Counter
from dataclasses import dataclass, replace

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from rnnpaper import data, metrics, paths, profiles, results, text
from rnnpaper import train as trainloop
from rnnpaper.report import latex, plotting

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
    sentences = [
        np.array([index[t] for t in toks if t in index], dtype=np.int64) for toks in token_lists
    ]
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
    return (
        torch.from_numpy(inputs[order]),
        torch.from_numpy(cmask[order]),
        torch.from_numpy(targets[order]),
        len(ids),
    )


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
        words += n_words if max_words else corpus.n_tokens  # raw tokens, as gensim counts
    return {
        "model": model,
        "words": words,
        "seconds": seconds,
        "words_per_s": words / seconds,
        "losses": losses,
    }


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


# ---------------------------------------------------------------- gensim reference


def gensim_train(corpus: Corpus, cfg: W2VConfig, workers: int = 1) -> dict:
    """gensim's Word2Vec on the same sentences and hyperparameters; vectors in our word order."""
    from gensim.models import Word2Vec as GWord2Vec

    sents = [[corpus.words[i] for i in s] for s in corpus.sentences]
    t0 = time.perf_counter()
    m = GWord2Vec(
        sents,
        vector_size=cfg.D,
        window=cfg.window,
        min_count=1,
        sg=int(cfg.arch == "skipgram"),
        hs=int(cfg.objective == "hs"),
        negative=cfg.negative if cfg.objective == "neg" else 0,
        ns_exponent=0.75,
        sample=cfg.sample,
        alpha=cfg.lr,
        min_alpha=cfg.min_alpha,
        epochs=cfg.epochs,
        cbow_mean=1,
        seed=cfg.seed,
        workers=workers,
    )
    seconds = time.perf_counter() - t0
    X = np.stack([m.wv[w] for w in corpus.words])  # (V, D)
    words = cfg.epochs * corpus.n_tokens
    return {"vectors": X, "seconds": seconds, "words_per_s": words / seconds}


# ---------------------------------------------------------------- cost formulas (eqs. 40-41)


def cost_q(
    arch: str,
    objective: str,
    D: int,
    window: int,
    V: int,
    negative: int = 5,
    path_len: float | None = None,
    n_context: float | None = None,
) -> float:
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


def time_per_word(corpus: Corpus, cfg: W2VConfig, n_tokens: int, repeats: int = 2) -> dict:
    """Seconds per training word of one configuration (no subsampling), best of ``repeats``."""
    part = slice_corpus(corpus, n_tokens)
    cfg = replace(cfg, sample=0.0, epochs=1)
    rng = np.random.default_rng(cfg.seed)
    ids, sid = _flatten(part.sentences, np.ones(len(corpus.words)), rng)
    ctx_sizes = context_windows(ids, sid, cfg.window, rng)[1].sum(1)
    runs = [train(part, cfg) for _ in range(repeats)]
    best = min(r["seconds"] / r["words"] for r in runs)
    return {
        "arch": cfg.arch,
        "objective": cfg.objective,
        "D": cfg.D,
        "window": cfg.window,
        "V": len(corpus.words),
        "negative": cfg.negative,
        "seconds_per_word": best,
        "mean_context": float(ctx_sizes.mean()),
        "path_len": mean_path_length(corpus.counts),
        "words": runs[0]["words"],
    }


def cost_sweep(token_lists, base: W2VConfig, Ds, windows, Vs, n_tokens: int) -> list[dict]:
    """time_per_word over D, window and V (one varied at a time), for all four variants."""
    corpora = {v: build_corpus(token_lists, base.min_count, v) for v in (None, *Vs)}
    rows = []
    for arch, objective in VARIANTS:
        cfg = replace(base, arch=arch, objective=objective)
        grid = (
            [("D", replace(cfg, D=d), None) for d in Ds]
            + [("window", replace(cfg, window=c), None) for c in windows]
            + [("V", cfg, v) for v in Vs]
        )
        for varied, c, v in grid:
            rows.append({"varied": varied, **time_per_word(corpora[v], c, n_tokens)})
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
                q = np.array(
                    [
                        cost_q(
                            arch,
                            objective,
                            r["D"],
                            r["window"],
                            r["V"],
                            r["negative"],
                            r["path_len"] if measured else None,
                            r["mean_context"] if measured else None,
                        )
                        for r in sel
                    ]
                )
                A = np.stack([np.ones_like(q), q], 1)
                coef, *_ = np.linalg.lstsq(A, y, rcond=None)
                r2 = 1 - np.sum((y - A @ coef) ** 2) / np.sum((y - y.mean()) ** 2)
                fits |= {f"{name}_intercept": coef[0], f"{name}_slope": coef[1], f"{name}_r2": r2}
            out.append(fits)
    return out


# ---------------------------------------------------------------- the study of notebook 04

STEM = "04-word2vec"
PRODUCER = f"{STEM}.ipynb"
PROBES = (
    "good",
    "bad",
    "funny",
    "boring",
    "movie",
    "actor",
    "music",
    "story",
    "horror",
    "brilliant",
    "worst",
    "love",
)


@dataclass(frozen=True)
class Study:
    """Sizes of notebook 04 (and of the vectors notebook 05 uses)."""

    imdb_docs: int  # IMDB training documents added to all SST-2 training sentences
    w2v: W2VConfig  # shared hyperparameters of our runs and gensim's
    cost_tokens: int  # tokens timed per configuration
    cost_D: tuple
    cost_windows: tuple
    cost_V: tuple
    clf_train_limit: dict  # classifier training examples per dataset
    clf_max_len: int
    clf_epochs: int
    clf_seeds: int
    clf_eval_limit: int | None = None  # validation/test examples kept (SST-2 has < 2,000)
    clf_hidden: int = 64
    clf_batch: tuple = (("sst2", 64), ("imdb", 16))  # small IMDB batches: enough updates
    clf_lr: float = 3e-3
    clf_datasets: tuple = ("sst2", "imdb")
    clf_cells: tuple = ("lstm", "gru")


PROFILES = {
    "smoke": Study(
        imdb_docs=150,
        w2v=W2VConfig(D=32, min_count=3, epochs=1),
        cost_tokens=3000,
        cost_D=(16, 64),
        cost_windows=(2, 4),
        cost_V=(200, 800),
        clf_train_limit={"sst2": 300, "imdb": 150},
        clf_max_len=60,
        clf_epochs=1,
        clf_seeds=1,
        clf_eval_limit=200,
    ),
    "paper": Study(
        imdb_docs=5000,
        w2v=W2VConfig(D=100, min_count=5, epochs=2),
        cost_tokens=40_000,
        cost_D=(25, 50, 100, 200, 400),
        cost_windows=(1, 2, 4, 8),
        cost_V=(250, 1000, 4000, 16000),
        clf_train_limit={"imdb": 3000},
        clf_max_len=120,
        clf_epochs=3,
        clf_seeds=2,
        clf_eval_limit=2000,
    ),
}


def study_texts(study: Study):
    """Token lists of the word2vec corpus: SST-2 train and the first IMDB train documents."""
    return training_texts(("sst2", "imdb"), {"imdb": study.imdb_docs})


def cached_vectors(profile: str, arch: str, objective: str, log=print):
    """Our vectors of one variant for ``profile``, trained once and cached under build/."""
    study = profiles.resolve(PROFILES, profile)
    cfg = replace(study.w2v, arch=arch, objective=objective)
    path = (
        paths.BUILD
        / "cache"
        / STEM
        / f"{profile}-{arch}-{objective}-{_digest(cfg, study.imdb_docs)}.npz"
    )
    if not path.exists():
        log(f"training {arch}/{objective} vectors for profile {profile}")
        corpus = build_corpus(study_texts(study), cfg.min_count)
        r = train(corpus, cfg)
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(
            path,
            X=vectors(r["model"]),
            words=np.array(corpus.words),
            words_per_s=r["words_per_s"],
            seconds=r["seconds"],
        )
    z = np.load(path)
    return (
        list(z["words"]),
        z["X"],
        {"words_per_s": float(z["words_per_s"]), "seconds": float(z["seconds"])},
    )


def _digest(*parts) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:12]


def frequent_probes(words, start: int = 50, n: int = 500) -> list[str]:
    """A frequency band of the vocabulary (skipping the top ``start`` function words)."""
    return list(words[start : start + n])


def run_quality(profile: str, log=print) -> dict:
    """Ours against gensim for all four variants, in one run: words/s and neighbour overlap."""
    torch.set_num_threads(1)  # one core each, as gensim workers=1: a fair, stable timing
    study = profiles.resolve(PROFILES, profile)
    corpus = build_corpus(study_texts(study), study.w2v.min_count)
    band = frequent_probes(corpus.words)
    probes = [p for p in PROBES if p in corpus.words]
    rows, neighbours_ = [], {}
    for arch, objective in VARIANTS:
        cfg = replace(study.w2v, arch=arch, objective=objective)
        words, X, timing = cached_vectors(profile, arch, objective, log)
        g = gensim_train(corpus, cfg)
        row = {
            "arch": arch,
            "objective": objective,
            "ours_words_per_s": timing["words_per_s"],
            "gensim_words_per_s": g["words_per_s"],
            "overlap_probes": overlap_at_k(words, X, corpus.words, g["vectors"], probes).mean(),
            "overlap_band": overlap_at_k(words, X, corpus.words, g["vectors"], band).mean(),
        }
        if (arch, objective) == ("skipgram", "neg"):  # calibration: gensim against itself
            g1 = gensim_train(corpus, replace(cfg, seed=1))
            row["gensim_seed_overlap_probes"] = overlap_at_k(
                corpus.words, g["vectors"], corpus.words, g1["vectors"], probes
            ).mean()
            row["gensim_seed_overlap_band"] = overlap_at_k(
                corpus.words, g["vectors"], corpus.words, g1["vectors"], band
            ).mean()
            neighbours_ = {
                p: {
                    "ours": neighbours(words, X, p, 5),
                    "gensim": neighbours(corpus.words, g["vectors"], p, 5),
                }
                for p in probes
            }
        log(row)
        rows.append(row)
    return {
        "variants": rows,
        "neighbours": neighbours_,
        "probes": probes,
        "band": [50, 550],
        "corpus": {
            "tokens": corpus.n_tokens,
            "V": len(corpus.words),
            "sentences": len(corpus.sentences),
            "imdb_docs": study.imdb_docs,
            "data": {d: data.describe(d) for d in ("sst2", "imdb")},
        },
        "config": study.w2v,
        "environment": results.environment(),
        **results.provenance(),
    }


def run_cost(profile: str) -> dict:
    """The eqs. 40-41 timing sweep and its least-squares fits."""
    torch.set_num_threads(1)  # one core each, as gensim workers=1: a fair, stable timing
    study = profiles.resolve(PROFILES, profile)
    rows = cost_sweep(
        study_texts(study),
        study.w2v,
        study.cost_D,
        study.cost_windows,
        study.cost_V,
        study.cost_tokens,
    )
    return {
        "rows": rows,
        "fits": fit_cost(rows),
        "config": study.w2v,
        "environment": results.environment(),
        **results.provenance(),
    }


# ---------------------------------------------------------------- item 4: vectors in classifiers

INITS = (
    ("random", False),
    ("cbow", True),
    ("cbow", False),
    ("skipgram", True),
    ("skipgram", False),
)  # (initialisation, frozen)


def pretrained_matrix(itos, words, X, seed: int = 0):
    """Embedding matrix (len(itos), D): word2vec rows where known, N(0, std(X)) else, pad 0.

    Returns the matrix and the fraction of the classifier's (non-special) vocabulary covered.
    """
    index = {w: i for i, w in enumerate(words)}
    rng = np.random.default_rng(seed)
    W = rng.normal(0.0, X.std(), size=(len(itos), X.shape[1])).astype(np.float32)
    known = [(i, index[t]) for i, t in enumerate(itos) if t in index]
    if known:
        rows, src = map(list, zip(*known, strict=True))
        W[rows] = X[src]
    W[0] = 0.0  # <pad>
    return torch.from_numpy(W), len(known) / max(1, len(itos) - len(text.SPECIALS))


def init_embedding(model, W: torch.Tensor, freeze: bool) -> None:
    """Copy W into ``model.embedding.weight``; frozen means requires_grad False (no updates).

    rnnpaper.classify.Classifier has no pretrained-embedding option, so the step lives here.
    """
    with torch.no_grad():
        model.embedding.weight.copy_(W)
    model.embedding.weight.requires_grad_(not freeze)


def run_classifier(
    prep, cell: str, init: str, freeze: bool, seed: int, study: Study, W: torch.Tensor | None
) -> dict:
    """Train one classifier (classify.Classifier, train.fit) with the given embedding init."""
    import torch.nn.functional as F_

    from rnnpaper import classify

    cfg = classify.ModelConfig(cell=cell, embed_dim=study.w2v.D, hidden_size=study.clf_hidden)
    tcfg = trainloop.TrainConfig(
        epochs=study.clf_epochs,
        lr=study.clf_lr,
        patience=0,
        seed=seed,
        progress=False,
        checkpoint=False,
    )
    trainloop.seed_everything(seed)
    model = classify.Classifier(len(prep.vocab), len(prep.label_names), cfg, prep.vocab.pad_id)
    if W is not None:
        init_embedding(model, W, freeze)
    tr, va, te = (prep.splits[s] for s in ("train", "validation", "test"))
    C = len(prep.label_names)
    fit = trainloop.fit(
        model,
        tcfg,
        classify.train_batches(
            tr, dict(study.clf_batch).get(prep.name, 64), seed, 8 if prep.name == "imdb" else 1
        ),
        lambda m, b: (F_.cross_entropy(m(b[0], b[1]), b[2]), int(b[1].sum())),
        lambda m: metrics.scores(va.labels, classify.predict(m, va), C),
    )
    test = metrics.scores(te.labels, classify.predict(model, te), C)
    return {
        "dataset": prep.name,
        "cell": cell,
        "init": init,
        "frozen": freeze,
        "seed": seed,
        "validation": fit.best,
        "test": test,
        "wall_s": fit.wall_s,
        "best_epoch": fit.best_epoch,
    }


def run_inits(profile: str, log=print) -> dict:
    """Random vs CBOW vs skip-gram embeddings, frozen and fine-tuned, LSTM and GRU."""
    from rnnpaper import classify

    study = profiles.resolve(PROFILES, profile)
    torch.set_num_threads(1)
    vecs = {a: cached_vectors(profile, a, "neg", log)[:2] for a in ("cbow", "skipgram")}
    sizes = replace(
        classify.PROFILES["paper"],
        train_limit=study.clf_train_limit,
        max_len=study.clf_max_len,
        eval_limit=study.clf_eval_limit,
    )
    runs, coverage = [], {}
    for name in study.clf_datasets:
        prep = classify.prepare(name, sizes)
        mats = {a: pretrained_matrix(prep.vocab.itos, *vecs[a]) for a in vecs}
        coverage[name] = {a: m[1] for a, m in mats.items()}
        for cell in study.clf_cells:
            for init, freeze in INITS:
                for seed in range(study.clf_seeds):
                    W = mats[init][0] if init in mats else None
                    runs.append(run_classifier(prep, cell, init, freeze, seed, study, W))
                    log(
                        {k: runs[-1][k] for k in ("dataset", "cell", "init", "frozen", "seed")}
                        | {"test_acc": round(runs[-1]["test"]["accuracy"], 4)}
                    )
    return {
        "runs": runs,
        "coverage": coverage,
        "sizes": sizes,
        "study": study,
        "data": {d: data.describe(d) for d in study.clf_datasets},
        "environment": results.environment(),
        **results.provenance(),
    }


# ---------------------------------------------------------------- tables, macros, figures

LABEL = {
    ("cbow", "hs"): "CBOW, hier. softmax",
    ("cbow", "neg"): "CBOW, neg. sampling",
    ("skipgram", "hs"): "Skip-gram, hier. softmax",
    ("skipgram", "neg"): "Skip-gram, neg. sampling",
}
INIT_LABEL = {
    ("random", False): "random, trained",
    ("cbow", True): "CBOW, frozen",
    ("cbow", False): "CBOW, fine-tuned",
    ("skipgram", True): "skip-gram, frozen",
    ("skipgram", False): "skip-gram, fine-tuned",
}


def _pm(values) -> str:
    return latex.pm(values, scale=100.0)


def cost_frame(cost: dict):
    import pandas as pd

    return pd.DataFrame(
        [
            {
                "Variant": LABEL[(f["arch"], f["objective"])],
                "Configs": f["n"],
                "ns per op (formula)": f["formula_slope"] * 1e9,
                "R2 formula": f["formula_r2"],
                "R2 measured L, N": f["measured_r2"],
            }
            for f in cost["fits"]
        ]
    )


def quality_frame(q: dict):
    import pandas as pd

    rows = [
        {
            "Variant": LABEL[(r["arch"], r["objective"])],
            "ours kw/s": r["ours_words_per_s"] / 1e3,
            "gensim kw/s": r["gensim_words_per_s"] / 1e3,
            "probes @10": r["overlap_probes"],
            "band @10": r["overlap_band"],
        }
        for r in q["variants"]
    ]
    sg = next(r for r in q["variants"] if (r["arch"], r["objective"]) == ("skipgram", "neg"))
    rows.append(
        {
            "Variant": "gensim seed 0 vs 1 (SG, neg.)",
            "ours kw/s": float("nan"),
            "gensim kw/s": float("nan"),
            "probes @10": sg["gensim_seed_overlap_probes"],
            "band @10": sg["gensim_seed_overlap_band"],
        }
    )
    return pd.DataFrame(rows)


def neighbours_frame(q: dict, n: int = 6):
    import pandas as pd

    return pd.DataFrame(
        [
            {
                "Probe": p,
                "ours (skip-gram, neg.)": ", ".join(v["ours"]),
                "gensim (same settings)": ", ".join(v["gensim"]),
            }
            for p, v in list(q["neighbours"].items())[:n]
        ]
    )


def init_frame(inits: dict, metric: str = "accuracy"):
    import pandas as pd

    runs = inits["runs"]
    cols = [(d, c) for d in inits["study"]["clf_datasets"] for c in inits["study"]["clf_cells"]]
    rows = []
    for init, frozen in INITS:
        row = {"Embedding": INIT_LABEL[(init, frozen)]}
        for d, c in cols:
            v = [
                r["test"][metric]
                for r in runs
                if (r["dataset"], r["cell"], r["init"], r["frozen"]) == (d, c, init, frozen)
            ]
            row[f"{DATASET_LABEL[d]} {c.upper()}"] = _pm(v) if v else "--"
        rows.append(row)
    return pd.DataFrame(rows)


DATASET_LABEL = {"sst2": "SST-2", "imdb": "IMDB"}


def macro_values(q: dict, cost: dict, inits: dict) -> dict:
    """Every number notebook 04's paper section quotes."""
    speed = [r["gensim_words_per_s"] / r["ours_words_per_s"] for r in q["variants"]]
    fits = {(f["arch"], f["objective"]): f for f in cost["fits"]}
    acc = {}
    for r in inits["runs"]:
        acc.setdefault((r["dataset"], r["init"], r["frozen"]), []).append(r["test"]["accuracy"])
    out = {
        "w2v corpus tokens": q["corpus"]["tokens"],
        "w2v vocab": q["corpus"]["V"],
        "w2v imdb docs": q["corpus"]["imdb_docs"],
        "w2v dim": q["config"]["D"],
        "w2v epochs": q["config"]["epochs"],
        "w2v gensim speedup min": min(speed),
        "w2v gensim speedup max": max(speed),
        "w2v gensim seed overlap band": next(
            r["gensim_seed_overlap_band"] for r in q["variants"] if "gensim_seed_overlap_band" in r
        ),
        "w2v timing configs": len(cost["rows"]),
        "w2v clf seeds": inits["study"]["clf_seeds"],
        "w2v clf epochs": inits["study"]["clf_epochs"],
        "w2v clf imdb train": inits["study"]["clf_train_limit"].get("imdb", 0),
    }
    cfg, st = q["config"], inits["study"]
    out |= {
        "w2v window": cfg["window"],
        "w2v negative": cfg["negative"],
        "w2v sample": str(cfg["sample"]),
        "w2v min count": cfg["min_count"],
        "w2v batch": cfg["batch_size"],
        "w2v clf hidden": st["clf_hidden"],
        "w2v clf max len": st["clf_max_len"],
        "w2v probes count": len(q["probes"]),
        "w2v band lo": q["band"][0],
        "w2v band hi": q["band"][1],
        **{f"w2v clf batch {d}": b for d, b in st.get("clf_batch", [])},
        "w2v clf lr": str(st["clf_lr"]),
    }
    base = next(r for r in cost["rows"] if r["varied"] == "D")
    out |= {
        "w2v mean path len": base["path_len"],
        "w2v log two V": math.log2(base["V"]),
        "w2v cost V": base["V"],
        "w2v mean context": base["mean_context"],
        "w2v cost window": base["window"],
        "w2v clf eval limit": inits["study"].get("clf_eval_limit") or 0,
    }
    for (a, o), f in fits.items():
        key = f"w2v cost {a} {o}"
        out |= {f"{key} r2": f["formula_r2"], f"{key} r2 measured": f["measured_r2"]}
    for (a, o), r in (
        (k, v) for k, v in {(r["arch"], r["objective"]): r for r in q["variants"]}.items()
    ):
        out[f"w2v overlap band {a} {o}"] = r["overlap_band"]
    cells = {}
    for r in inits["runs"]:
        key = (r["dataset"], r["cell"], r["init"], r["frozen"])
        cells.setdefault(key, []).append(100 * r["test"]["accuracy"])
    for d in inits["study"]["clf_datasets"]:
        means = [float(np.mean(v)) for k, v in cells.items() if k[0] == d]
        out |= {f"w2v {d} cell acc min": min(means), f"w2v {d} cell acc max": max(means)}
    for (d, init, frozen), v in acc.items():
        out[f"w2v acc {d} {init} {'frozen' if frozen else 'tuned'}"] = 100 * float(np.mean(v))
    return out


def cost_figure(cost: dict):
    """Measured microseconds per word against eq. 40/41's Q, one panel per variant."""
    import matplotlib.pyplot as plt

    plotting.use_style()
    fig, axes = plt.subplots(1, 4, figsize=(11, 2.8))
    colors = {"D": "#1f77b4", "window": "#d62728", "V": "#2ca02c"}
    for ax, f in zip(axes, cost["fits"], strict=True):
        variant = (f["arch"], f["objective"])
        sel = [r for r in cost["rows"] if (r["arch"], r["objective"]) == variant]
        q = np.array(
            [
                cost_q(r["arch"], r["objective"], r["D"], r["window"], r["V"], r["negative"])
                for r in sel
            ]
        )
        for varied, c in colors.items():
            m = [r["varied"] == varied for r in sel]
            ax.scatter(
                q[m],
                [r["seconds_per_word"] * 1e6 for r, k in zip(sel, m, strict=True) if k],
                s=14,
                color=c,
                label=f"vary {varied}",
            )
        xs = np.linspace(0, q.max() * 1.05, 50)
        ax.plot(xs, (f["formula_intercept"] + f["formula_slope"] * xs) * 1e6, "k--", lw=0.8)
        ax.set_title(
            f"{LABEL[(f['arch'], f['objective'])]}\n$R^2$ = {f['formula_r2']:.2f}", fontsize=8
        )
        ax.set_xlabel("Q (eq. 40/41), operations per word")
    axes[0].set_ylabel("µs per training word")
    axes[0].legend(fontsize=7, frameon=False)
    fig.tight_layout()
    return fig


def build_outputs(results_dir, generated, figures=None) -> dict:
    """Tables, macros (and the figure, if ``figures``) from committed results files only."""
    from pathlib import Path

    rd = Path(results_dir) / STEM
    q, cost = results.read_json(rd / "quality.json"), results.read_json(rd / "cost.json")
    inits = results.read_json(rd / "inits.json")
    g = Path(generated)
    written = {
        "cost": latex.table(cost_frame(cost), g / f"{STEM}_cost.tex", PRODUCER, digits=2),
        "quality": latex.table(quality_frame(q), g / f"{STEM}_quality.tex", PRODUCER, digits=2),
        "neighbours": latex.table(
            neighbours_frame(q), g / f"{STEM}_neighbours.tex", PRODUCER, align="lll"
        ),
        "inits": latex.table(init_frame(inits), g / f"{STEM}_inits.tex", PRODUCER),
        "macros": latex.macros(
            macro_values(q, cost, inits), g / f"{STEM}_macros.tex", PRODUCER, digits=2
        ),
    }
    if figures is not None:
        written["figure"] = plotting.save(cost_figure(cost), Path(figures) / f"{STEM}_cost")
    return written
