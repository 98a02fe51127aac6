"""Sizes of notebook 05: features, training subset, the (M, k) sweep and its seeds."""

from dataclasses import dataclass

STEM = "05-hmm"
PRODUCER = f"{STEM}.ipynb"
RNN_RESULTS = "04-word2vec/inits.json"  # notebook 04's LSTM/GRU runs on the same SST-2 split


@dataclass(frozen=True)
class Study:
    """Sizes of notebook 05: features, training subset, sweep grid, seeds."""

    pca_dim: int  # word vectors projected (PCA, whitened) to this many dimensions
    train_per_class: int | None  # training sentences per class used to fit each HMM
    states: tuple  # M values swept
    mixes: tuple  # k values swept
    n_iter: int
    seeds: int  # hmmlearn random_state values for the chosen (M, k)
    vectors: tuple = ("skipgram", "neg")  # which variant of tasks.word_vectors' set
    dataset: str = "sst2"


PROFILES = {
    "smoke": Study(pca_dim=8, train_per_class=150, states=(1, 2), mixes=(1, 2), n_iter=3, seeds=2),
    "paper": Study(
        pca_dim=12, train_per_class=800, states=(1, 2, 4, 8), mixes=(1, 2, 4), n_iter=10, seeds=3
    ),
}
