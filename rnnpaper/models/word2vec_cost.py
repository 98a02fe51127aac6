"""The cost of word2vec per training word: eqs. 40-41, timed and fitted (notebook 04)."""

import math
from dataclasses import replace

import numpy as np

from rnnpaper.models.word2vec import VARIANTS, W2VConfig, huffman_tree
from rnnpaper.models.word2vec_training import (
    Corpus,
    build_corpus,
    context_windows,
    flatten_subsampled,
    train,
)

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
    ids, sid = flatten_subsampled(part.sentences, np.ones(len(corpus.words)), rng)
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
    for arch, objective in VARIANTS:
        sel = [r for r in rows if r["arch"] == arch and r["objective"] == objective]
        y = np.array([r["seconds_per_word"] for r in sel])  # (n,)
        fits = {"arch": arch, "objective": objective, "n": len(sel)}
        for name, measured in (("formula", False), ("measured", True)):
            q = np.array([_row_q(r, measured) for r in sel])  # (n,)
            a, b, r2 = _fit_line(q, y)
            fits |= {f"{name}_intercept": a, f"{name}_slope": b, f"{name}_r2": r2}
        out.append(fits)
    return out


def _row_q(r: dict, measured: bool) -> float:
    """Q of one timed row: the formula's terms, or the measured path length and context."""
    return cost_q(
        r["arch"],
        r["objective"],
        r["D"],
        r["window"],
        r["V"],
        r["negative"],
        r["path_len"] if measured else None,
        r["mean_context"] if measured else None,
    )


def _fit_line(q, y):
    """Intercept a, slope b and R^2 of the least-squares line y = a + b q."""
    A = np.stack([np.ones_like(q), q], 1)  # (n, 2)
    coef, *_ = np.linalg.lstsq(A, y, rcond=None)
    r2 = 1 - np.sum((y - A @ coef) ** 2) / np.sum((y - y.mean()) ** 2)
    return coef[0], coef[1], r2
