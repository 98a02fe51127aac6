"""Metrics against hand computations and the reference libraries."""

import itertools
import math

import numpy as np
import pytest
from scipy import stats

from rnnpaper import metrics

Y = [0, 0, 0, 1, 1, 2, 2, 2, 2]
P = [0, 1, 0, 1, 2, 2, 2, 0, 2]


def test_scores_by_hand():
    s = metrics.scores(Y, P, 3)
    assert s["accuracy"] == pytest.approx(6 / 9)
    prec = [2 / 3, 1 / 2, 3 / 4]  # predicted 0: 3 (2 right); 1: 2 (1 right); 2: 4 (3 right)
    rec = [2 / 3, 1 / 2, 3 / 4]
    f1 = [2 * p * r / (p + r) for p, r in zip(prec, rec, strict=True)]
    assert s["macro_precision"] == pytest.approx(np.mean(prec))
    assert s["macro_recall"] == pytest.approx(np.mean(rec))
    assert s["macro_f1"] == pytest.approx(np.mean(f1))


def test_absent_class_counts_in_macro_average():
    s = metrics.scores([0, 0, 1], [0, 0, 1], 3)  # class 2 never occurs: zero F1
    assert s["macro_f1"] == pytest.approx(2 / 3)


def test_confusion_and_per_class():
    c = np.array(metrics.confusion(Y, P, 3))
    assert c.sum() == len(Y) and np.trace(c) == 6
    assert c[2, 0] == 1 and c[0, 1] == 1 and c[1, 2] == 1
    pc = metrics.per_class(Y, P, ["a", "b", "c"])
    assert pc["c"]["support"] == 4 and pc["c"]["recall"] == pytest.approx(3 / 4)


def test_mcnemar_exact_binomial():
    a = [1] * 9 + [0] * 1 + [1] * 5  # 9 only-A, 1 only-B, 5 both right
    b = [0] * 9 + [1] * 1 + [1] * 5
    r = metrics.mcnemar(a, b)
    assert (r["only_a"], r["only_b"]) == (9, 1)
    assert r["p_value"] == pytest.approx(2 * 11 / 1024)
    assert r["p_value"] == pytest.approx(stats.binomtest(1, 10, 0.5).pvalue)
    assert metrics.mcnemar([1, 0], [1, 0])["p_value"] == 1.0


def test_sign_flip_matches_exact_enumeration():
    rng = np.random.default_rng(3)
    a, b = rng.random(10), rng.random(10)
    d = a - b
    exact = np.mean(
        [abs(np.dot(s, d)) >= abs(d.sum()) - 1e-12 for s in itertools.product([-1, 1], repeat=10)]
    )
    r = metrics.sign_flip_test(a, b, n_resamples=40000)
    assert r["p_value"] == pytest.approx(exact, abs=0.01)


def test_mean_std_is_sample_std():
    m, s = metrics.mean_std([1.0, 2.0, 3.0, 6.0])
    assert m == 3.0 and s == pytest.approx(math.sqrt(14 / 3))
    assert metrics.mean_std([5.0]) == (5.0, 0.0)


def test_length_buckets():
    rows = metrics.length_buckets([1, 5, 12, 30, 31], [1, 0, 1, 1, 0], [0, 10, 30])
    assert [(r["lo"], r["hi"], r["n"]) for r in rows] == [(0, 10, 2), (10, 30, 1), (30, None, 2)]
    assert rows[0]["accuracy"] == 0.5 and rows[2]["accuracy"] == 0.5


def test_holm_adjusts_by_rank_and_keeps_order():
    p = [0.01, 0.04, 0.03, 0.005]
    # sorted 0.005, 0.01, 0.03, 0.04 -> 4x, 3x, 2x, 1x, made monotone: .02 .03 .06 .06
    assert metrics.holm(p) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert metrics.holm([0.5, 0.9]) == pytest.approx([1.0, 1.0])
    assert metrics.holm([]) == []
