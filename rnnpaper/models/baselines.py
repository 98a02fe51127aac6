"""Non-neural baselines: majority class, TF-IDF n-grams + logistic regression, NBSVM.

NBSVM (Wang & Manning 2012, Sec. 2.3), one-vs-rest for more than two classes. With binarized
n-gram indicators ``x_hat = 1{f > 0}`` and class-k indicator ``y``:

    p = alpha + sum_{i: y_i = 1} x_hat_i,   q = alpha + sum_{i: y_i = 0} x_hat_i      (1)
    r = log( (p / ||p||_1) / (q / ||q||_1) )                                           (2)

a linear SVM (L2 regularised, squared hinge) is trained on ``r * x_hat`` and its weights are
interpolated with their mean magnitude, ``w' = (1 - beta) * mean|w| + beta * w``      (3)

Every model takes token lists (the same tokens and truncation as the neural models) and picks
its settings from a grid on the validation split: C for TF-IDF + LR; C and the interpolation
beta for NBSVM (beta is applied to the fitted weights, so its grid costs no refit).
"""

import numpy as np
from scipy import sparse
from sklearn.dummy import DummyClassifier
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.svm import LinearSVC

C_GRID = (0.01, 0.1, 1.0, 10.0, 100.0)  # regularisation constants of both linear baselines
BETA_GRID = (0.0, 0.25, 0.5, 0.75, 1.0)  # NBSVM's interpolation, eq. (3)


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
            self.r_.append(r)
            self.w_.append(svm.coef_.ravel())  # (V,) the SVM's own weights
            self.b_.append(float(svm.intercept_[0]))
        return self

    def weights(self, w: np.ndarray) -> np.ndarray:
        """Eq. (3): the SVM weights interpolated with their mean magnitude by ``beta``."""
        return (1 - self.beta) * np.abs(w).mean() + self.beta * w

    def decision_function(self, docs) -> np.ndarray:
        """Scores (N, K) for K > 2 classes, (N,) for two."""
        X = self._features(docs)
        s = np.stack(
            [
                X.multiply(r) @ self.weights(w) + b
                for r, w, b in zip(self.r_, self.w_, self.b_, strict=True)
            ],
            1,
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
BETAS = {"nbsvm": BETA_GRID}  # settings applied to a fitted model without refitting


def fit_select(name: str, train_docs, y_train, val_docs, y_val):
    """Fit ``name`` for each C of its grid (and each beta: NBSVM); keep the setting best on
    validation accuracy, the smaller C (then beta) on a tie. Returns the model, its validation
    accuracy, the chosen settings and every setting's validation accuracy."""
    y_val, best, scores = np.asarray(y_val), None, []
    for C in GRIDS[name]:
        model = FACTORIES[name](C)
        model.fit(train_docs, y_train)
        for beta in BETAS.get(name, (None,)):
            if beta is not None:
                model.beta = beta
            acc = float(np.mean(model.predict(val_docs) == y_val))
            scores.append({"C": C, "beta": beta, "val_accuracy": acc})
            if best is None or acc > best["val_accuracy"]:
                best = {"model": model, "val_accuracy": acc, "C": C, "beta": beta}
        if best["model"] is model and best["beta"] is not None:
            model.beta = best["beta"]  # leave the kept model at its chosen beta
    return {**best, "grid": scores}
