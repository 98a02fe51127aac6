"""Baselines: NBSVM's log-count ratio by hand, its reduction to an SVM, toy tasks."""

import numpy as np
import pytest
from scipy import sparse
from sklearn.svm import LinearSVC

from rnnpaper.models import baselines


def _toy(n=60, seed=0):
    rng = np.random.default_rng(seed)
    pos, neg, filler = ["good", "great", "fine"], ["bad", "awful", "poor"], list("abcdefgh")
    docs, y = [], []
    for i in range(n):
        label = i % 3
        words = list(rng.choice(filler, 5))
        if label == 0:
            words += [rng.choice(neg)]
        elif label == 1:
            words += [rng.choice(pos)]
        else:
            words += [rng.choice(["meh", "okay", "average"])]
        rng.shuffle(words)
        docs.append(words)
        y.append(label)
    return docs, np.array(y)


def test_log_count_ratio_by_hand():
    X = sparse.csr_matrix(np.array([[1, 0, 1], [1, 1, 0], [0, 1, 1]]))
    y = np.array([1, 1, 0])
    r = baselines.log_count_ratio(X, y, alpha=1.0)
    p = np.array([1 + 2, 1 + 1, 1 + 1])
    q = np.array([1 + 0, 1 + 1, 1 + 1])
    np.testing.assert_allclose(r, np.log((p / 7) / (q / 5)))


def test_ngrams():
    assert baselines._ngrams(["a", "b", "c"], (1, 2)) == ["a", "b", "c", "a b", "b c"]


def test_nbsvm_beta_one_is_svm_on_scaled_features():
    docs, y = _toy()
    yb = (y == 1).astype(int)
    m = baselines.NBSVM(C=1.0, beta=1.0).fit(docs, yb)
    X = m._features(docs)
    r = baselines.log_count_ratio(X, yb)
    svm = LinearSVC(C=1.0, max_iter=5000).fit(X.multiply(r).tocsr(), yb)
    np.testing.assert_allclose(
        m.decision_function(docs), svm.decision_function(X.multiply(r).tocsr()), atol=1e-4
    )  # liblinear's stopping tolerance


def test_baselines_learn_toy_task():
    docs, y = _toy(150)
    tr, te = slice(0, 100), slice(100, 150)
    for name in ("tfidf_lr", "nbsvm"):
        sel = baselines.fit_select(name, docs[tr], y[tr], docs[te], y[te])
        acc = np.mean(sel["model"].predict(docs[te]) == y[te])
        assert acc >= 0.9, (name, acc)
        assert sel["C"] in baselines.C_GRID
    maj = baselines.fit_select("majority", docs[tr], y[tr], docs[te], y[te])
    counts = np.bincount(y[tr])
    assert set(maj["model"].predict(docs[te])) == {counts.argmax()}
    assert maj["val_accuracy"] == pytest.approx(np.mean(y[te] == counts.argmax()))


def test_nbsvm_beta_is_applied_to_the_fitted_weights_without_refitting():
    docs, y = _toy()
    yb = (y == 1).astype(int)
    direct = baselines.NBSVM(C=1.0, beta=0.5).fit(docs, yb)
    later = baselines.NBSVM(C=1.0, beta=1.0).fit(docs, yb)
    later.beta = 0.5
    np.testing.assert_allclose(
        direct.decision_function(docs), later.decision_function(docs), atol=1e-4
    )  # two liblinear fits agree to its stopping tolerance
    w = later.w_[0]
    np.testing.assert_allclose(later.weights(w), 0.5 * np.abs(w).mean() + 0.5 * w)  # eq. (3)


def test_fit_select_tries_every_setting_and_keeps_the_best_on_validation():
    docs, y = _toy(150)
    tr, va = slice(0, 100), slice(100, 150)
    sel = baselines.fit_select("nbsvm", docs[tr], y[tr], docs[va], y[va])
    assert len(sel["grid"]) == len(baselines.C_GRID) * len(baselines.BETA_GRID)
    best = max(g["val_accuracy"] for g in sel["grid"])
    assert sel["val_accuracy"] == best and sel["beta"] in baselines.BETA_GRID
    assert sel["model"].beta == sel["beta"]
    assert np.mean(sel["model"].predict(docs[va]) == y[va]) == pytest.approx(best)
