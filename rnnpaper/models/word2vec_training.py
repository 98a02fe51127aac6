"""word2vec's corpus, training examples and SGD loop (notebook 04), and gensim as reference.

Subsampling and the drawn context window follow word2vec.c; the update is
:meth:`rnnpaper.models.word2vec.Word2Vec.sgd_step` with a linearly decaying rate.
"""

import math
import time
from collections import Counter
from dataclasses import dataclass

import numpy as np
import torch

from rnnpaper.models.word2vec import W2VConfig, Word2Vec, keep_probability

# ---------------------------------------------------------------- corpus


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


# ---------------------------------------------------------------- training examples


def flatten_subsampled(sentences, keep_p, rng):
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
    ids, sid = flatten_subsampled(
        corpus.sentences, keep_probability(corpus.counts, cfg.sample, rule), rng
    )
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


def train(corpus: Corpus, cfg: W2VConfig) -> dict:
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
        seconds += time.perf_counter() - t0
        done += corpus.n_tokens
        words += corpus.n_tokens  # raw tokens, as gensim counts
    return {
        "model": model,
        "words": words,
        "seconds": seconds,
        "words_per_s": words / seconds,
        "losses": losses,
    }


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
