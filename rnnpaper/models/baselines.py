"""Non-neural baselines: majority class, TF-IDF n-grams + logistic regression, NBSVM.

NBSVM (Wang & Manning 2012, Sec. 2.3), one-vs-rest for more than two classes. With binarized
n-gram indicators ``x_hat = 1{f > 0}`` and class-k indicator ``y``:

    p = alpha + sum_{i: y_i = 1} x_hat_i,   q = alpha + sum_{i: y_i = 0} x_hat_i      (1)
    r = log( (p / ||p||_1) / (q / ||q||_1) )                                           (2)

a linear SVM (L2 regularised, squared hinge) is trained on ``r * x_hat`` and its weights are
interpolated with their mean magnitude, ``w' = (1 - beta) * mean|w| + beta * w``      (3)

Every model takes token lists (the same tokens and truncation as the neural models) and picks
its regularisation constant from a small grid on the validation split.
"""

import numpy as np
from scipy import sparse
from sklearn.dummy import DummyClassifier
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.svm import LinearSVC

C_GRID = (0.1, 1.0, 10.0)  # the same three-value grid for both linear baselines


def _identity(tokens):
    return tokens


def log_count_ratio(X: sparse.csr_matrix, y: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    """Eqs. (1)-(2): r for binary indicators X (N, V) and 0/1 labels y (N,)."""
    p = alpha + np.asarray(X[y == 1].sum(0)).ravel()  # (V,)
    q = alpha + np.asarray(X[y == 0].sum(0)).ravel()  # (V,)
    return np.log((p / p.sum()) / (q / q.sum()))  # (V,)


class NBSVM:
    """NB-weighted linear SVM over binarized n-grams (module docstring, eqs. 1-3)."""

    def __init__(
        self,
        C: float = 1.0,
        beta: float = 0.25,
        alpha: float = 1.0,
        ngram_range=(1, 2),
        min_df: int = 1,
    ):
        self.C, self.beta, self.alpha = C, beta, alpha
        self.vectorizer = CountVectorizer(analyzer=_identity, binary=True)
        self.ngram_range, self.min_df = ngram_range, min_df

    def _features(self, docs):
        return self.vectorizer.transform([_ngrams(d, self.ngram_range) for d in docs])

    def fit(self, docs, y):
        self.vectorizer.set_params(min_df=self.min_df)
        X = self.vectorizer.fit_transform([_ngrams(d, self.ngram_range) for d in docs])
        y = np.asarray(y)
        self.classes_ = np.unique(y)
        targets = self.classes_[1:] if len(self.classes_) == 2 else self.classes_
        self.r_, self.w_, self.b_ = [], [], []
        for k in targets:
            yk = (y == k).astype(int)
            r = log_count_ratio(X, yk, self.alpha)  # (V,)
            svm = LinearSVC(C=self.C, loss="squared_hinge", max_iter=5000)
            svm.fit(X.multiply(r).tocsr(), yk)
            w = svm.coef_.ravel()  # (V,)
            self.r_.append(r)
            self.w_.append((1 - self.beta) * np.abs(w).mean() + self.beta * w)
            self.b_.append(float(svm.intercept_[0]))
        return self

    def decision_function(self, docs) -> np.ndarray:
        """Scores (N, K) for K > 2 classes, (N,) for two."""
        X = self._features(docs)
        s = np.stack(
            [X.multiply(r) @ w + b for r, w, b in zip(self.r_, self.w_, self.b_, strict=True)], 1
        )  # (N, K')
        return s[:, 0] if len(self.classes_) == 2 else s

    def predict(self, docs) -> np.ndarray:
        s = self.decision_function(docs)
        if len(self.classes_) == 2:
            return self.classes_[(s > 0).astype(int)]
        return self.classes_[s.argmax(1)]


def _ngrams(tokens: list[str], ngram_range) -> list[str]:
    """All n-grams of a token list, n in ngram_range (inclusive), joined by spaces."""
    lo, hi = ngram_range
    return [
        " ".join(tokens[i : i + n]) for n in range(lo, hi + 1) for i in range(len(tokens) - n + 1)
    ]


def majority():
    return DummyClassifier(strategy="most_frequent")


def tfidf_lr(C: float = 1.0):
    """TF-IDF (sublinear tf) uni+bigrams, min_df 2, and multinomial logistic regression."""
    from sklearn.pipeline import make_pipeline

    vec = TfidfVectorizer(analyzer=lambda d: _ngrams(d, (1, 2)), min_df=2, sublinear_tf=True)
    return make_pipeline(vec, LogisticRegression(C=C, max_iter=2000))


FACTORIES = {"majority": lambda C: majority(), "tfidf_lr": tfidf_lr, "nbsvm": lambda C: NBSVM(C=C)}
GRIDS = {"majority": (None,), "tfidf_lr": C_GRID, "nbsvm": C_GRID}


def fit_select(name: str, train_docs, y_train, val_docs, y_val):
    """Fit ``name`` for each C of its grid; keep the model best on validation accuracy."""
    best = None
    for C in GRIDS[name]:
        model = FACTORIES[name](C)
        model.fit(train_docs, y_train)
        acc = float(np.mean(model.predict(val_docs) == np.asarray(y_val)))
        if best is None or acc > best[1]:
            best = (model, acc, C)
    return {"model": best[0], "val_accuracy": best[1], "C": best[2], "grid": list(GRIDS[name])}
