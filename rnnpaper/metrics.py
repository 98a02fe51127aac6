"""Classification metrics, paired significance tests and mean +- std over seeds.

Scores come from scikit-learn (``accuracy_score``, ``precision_recall_fscore_support`` with
``average="macro"``); the paired tests are written out here:

* exact McNemar test: of the ``n = b + c`` examples where exactly one of two classifiers is
  right (``b``: only A, ``c``: only B), under H0 each is A's with probability 1/2, so
  ``p = min(1, 2 * P[Binomial(n, 1/2) <= min(b, c)])``;
* paired sign-flip permutation test on per-example differences ``d_i = a_i - b_i`` (``a_i``,
  ``b_i`` in [0, 1], e.g. correctness averaged over seeds): under H0 each ``d_i`` is as likely
  to be ``-d_i``, so ``p = P[|sum_i s_i d_i| >= |sum_i d_i|]`` over random signs ``s_i``.

Summaries are scored with ROUGE-1/2/L F1 (rouge-score, Porter stemming on, per-example F1
averaged over an example's references) and corpus BLEU (sacrebleu, lowercased).
"""

import math
import statistics

import numpy as np
from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support


def scores(y_true, y_pred, n_classes: int) -> dict:
    """Accuracy and macro precision, recall, F1 (all classes 0..n_classes-1 count)."""
    labels = list(range(n_classes))
    p, r, f, _ = precision_recall_fscore_support(
        y_true, y_pred, labels=labels, average="macro", zero_division=0
    )
    return {
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "macro_precision": float(p),
        "macro_recall": float(r),
        "macro_f1": float(f),
    }


def per_class(y_true, y_pred, names: list[str]) -> dict:
    """Precision, recall, F1 and support of every class, keyed by class name."""
    p, r, f, s = precision_recall_fscore_support(
        y_true, y_pred, labels=list(range(len(names))), zero_division=0
    )
    return {
        n: {
            "precision": float(p[i]),
            "recall": float(r[i]),
            "f1": float(f[i]),
            "support": int(s[i]),
        }
        for i, n in enumerate(names)
    }


def confusion(y_true, y_pred, n_classes: int) -> list[list[int]]:
    """Confusion matrix: row = true class, column = predicted class."""
    return confusion_matrix(y_true, y_pred, labels=list(range(n_classes))).tolist()


def report(y_true, y_pred, names: list[str]) -> dict:
    """Scores, per-class report and confusion matrix in one JSON-ready dict."""
    n = len(names)
    return {
        **scores(y_true, y_pred, n),
        "per_class": per_class(y_true, y_pred, names),
        "confusion": confusion(y_true, y_pred, n),
    }


def mcnemar(correct_a, correct_b) -> dict:
    """Exact McNemar test on paired per-example correctness (module docstring)."""
    a, b_ = np.asarray(correct_a, bool), np.asarray(correct_b, bool)
    b, c = int((a & ~b_).sum()), int((~a & b_).sum())
    n, k = b + c, min(b, c)
    tail = sum(math.comb(n, i) for i in range(k + 1)) / 2**n if n else 1.0
    return {"only_a": b, "only_b": c, "p_value": min(1.0, 2 * tail)}


def sign_flip_test(score_a, score_b, n_resamples: int = 20000, seed: int = 0) -> dict:
    """Paired two-sided sign-flip permutation test on per-example scores (module docstring)."""
    d = np.asarray(score_a, float) - np.asarray(score_b, float)  # (N,)
    observed = abs(d.sum())
    rng = np.random.default_rng(seed)
    hits, done = 0, 0
    while done < n_resamples:
        m = min(2000, n_resamples - done)
        signs = rng.integers(0, 2, size=(m, d.size)) * 2 - 1  # (m, N)
        hits += int((np.abs(signs @ d) >= observed - 1e-12).sum())
        done += m
    return {"mean_difference": float(d.mean()), "p_value": (hits + 1) / (n_resamples + 1)}


def holm(p_values) -> list[float]:
    """Holm-Bonferroni adjusted p-values, in the input order: reject H_i at level a when
    holm(p)[i] <= a controls the family-wise error rate of all the tests at a."""
    p = np.asarray(p_values, float)
    order = np.argsort(p, kind="stable")
    m = len(p)
    adjusted = np.maximum.accumulate((m - np.arange(m)) * p[order])  # (m - k) p_(k), monotone
    out = np.empty(m)
    out[order] = np.minimum(adjusted, 1.0)
    return out.tolist()


def mean_std(values) -> tuple[float, float]:
    """Mean and sample standard deviation (ddof=1; 0 for a single value)."""
    v = np.asarray(values, float)
    return float(v.mean()), float(v.std(ddof=1)) if v.size > 1 else 0.0


def length_buckets(lengths, correct, edges) -> list[dict]:
    """Accuracy per length bucket ``[edges[i], edges[i+1])``; the last bucket is open."""
    lengths, correct = np.asarray(lengths), np.asarray(correct, float)
    bounds = list(edges) + [np.inf]
    rows = []
    for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
        sel = (lengths >= lo) & (lengths < hi)
        if sel.any():
            rows.append(
                {
                    "lo": int(lo),
                    "hi": None if hi == np.inf else int(hi),
                    "n": int(sel.sum()),
                    "accuracy": float(correct[sel].mean()),
                }
            )
    return rows


ROUGE_KEYS = ("rouge1", "rouge2", "rougeL")
_ROUGE = None  # one scorer per process: building it loads the stemmer


def _rouge_scorer():
    global _ROUGE
    if _ROUGE is None:
        from rouge_score import rouge_scorer  # imports nltk: seconds, so only when scoring

        _ROUGE = rouge_scorer.RougeScorer(list(ROUGE_KEYS), use_stemmer=True)
    return _ROUGE


def rouge_per_example(hyps: list[str], refs: list[list[str]]) -> dict[str, list[float]]:
    """Per-example ROUGE F1 x100, averaged over each example's references."""
    out = {k: [] for k in ROUGE_KEYS}
    for hyp, rs in zip(hyps, refs, strict=True):
        scores = [_rouge_scorer().score(r, hyp) for r in rs]  # score(target, prediction)
        for k in ROUGE_KEYS:
            out[k].append(100 * statistics.fmean(s[k].fmeasure for s in scores))
    return out


def bleu(hyps: list[str], refs: list[list[str]]) -> tuple[float, str]:
    """Corpus BLEU (sacrebleu, lowercased) against one or more references; and its signature."""
    import sacrebleu

    n_refs = max(len(r) for r in refs)
    streams = [[r[i] if i < len(r) else r[0] for r in refs] for i in range(n_refs)]
    metric = sacrebleu.metrics.BLEU(lowercase=True)
    return metric.corpus_score(hyps, streams).score, str(metric.get_signature())
