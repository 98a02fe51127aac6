"""Sizes of notebook 05: features, training set, the (M, k) grid, restarts and EM stopping."""

from dataclasses import dataclass

STEM = "05-hmm"
PRODUCER = f"{STEM}.ipynb"
RNN_RESULTS = "04-word2vec/inits.json"  # notebook 04's LSTM/GRU runs on the same SST-2 split


@dataclass(frozen=True)
class Study:
    """Sizes of notebook 05.

    Every (M, k) of the grid fits one GMM-HMM per class from ``restarts`` k-means starts and
    keeps the restart with the highest training likelihood (with ``shared_start``: one model
    fitted to all training texts per restart, each class's EM starting from it, and the
    restart whose class models give the training set the highest likelihood); the grid point with
    the best validation accuracy is chosen, and its whole fit is repeated ``repeats`` times
    with fresh restart seeds for the spread. EM stops when the log-likelihood per token gains
    less than ``tol`` (at most ``n_iter`` iterations).
    """

    pca_dim: int  # word vectors projected (PCA, whitened) to this many dimensions
    train_per_class: int | None  # training sentences per class (None: the full training set)
    states: tuple  # M values of the grid (each >= 2)
    mixes: tuple  # k values of the grid (each >= 2)
    restarts: int  # k-means starts per class and grid point
    repeats: int  # fits of the chosen (M, k) with disjoint restart seeds
    n_iter: int  # most EM iterations of one restart
    tol: float  # per-token log-likelihood gain that ends EM
    var_floor: float  # smallest variance of a Gaussian component (whitened units)
    shared_start: bool = True  # class models start EM from one model fitted to all texts
    reference: tuple = (1, 1)  # (M, k) fitted beside the grid for comparison, never chosen
    vectors: tuple = ("skipgram", "neg")  # which variant of tasks.word_vectors' set
    dataset: str = "sst2"


PROFILES = {
    "smoke": Study(
        pca_dim=8,
        train_per_class=150,
        states=(2, 3),
        mixes=(2,),
        restarts=2,
        repeats=2,
        n_iter=15,
        tol=1e-3,
        var_floor=1e-2,
    ),
    "paper": Study(
        pca_dim=12,
        train_per_class=None,
        states=(2, 4, 8),
        mixes=(2, 4),
        restarts=3,
        repeats=3,
        n_iter=300,
        tol=1e-4,
        var_floor=1e-2,
    ),
}
