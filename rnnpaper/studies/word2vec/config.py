"""Sizes of notebook 04: the word2vec corpus, the cost sweep and the classifier runs."""

from dataclasses import dataclass

from rnnpaper.models.word2vec import W2VConfig
from rnnpaper.tasks.word_vectors import PRESETS as VECTORS

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
INITS = (
    ("random", False),
    ("cbow", True),
    ("cbow", False),
    ("skipgram", True),
    ("skipgram", False),
)  # (initialisation, frozen) of the classifiers' embeddings


@dataclass(frozen=True)
class Study:
    """Sizes of notebook 04 (its vectors are ``tasks.word_vectors.PRESETS``, as notebook 05's)."""

    imdb_docs: int  # IMDB training documents added to all SST-2 training sentences
    w2v: W2VConfig  # shared hyperparameters of our runs and gensim's
    cost_tokens: int  # tokens timed per configuration
    cost_D: tuple
    cost_windows: tuple
    cost_V: tuple
    clf_train_limit: dict  # classifier training examples per dataset
    clf_max_len: int
    clf_epochs: int  # the cap: runs stop early after clf_patience epochs without improvement
    clf_seeds: int
    clf_eval_limit: int | None = None  # validation/test examples kept (SST-2 has < 2,000)
    clf_hidden: int = 64
    clf_batch: tuple = (("sst2", 64), ("imdb", 16))  # small IMDB batches: enough updates
    clf_lr: float = 3e-3
    clf_datasets: tuple = ("sst2", "imdb")
    clf_cells: tuple = ("lstm", "gru")
    clf_patience: int = 0  # early stopping on validation accuracy (0: every epoch runs)
    clf_schedule: str = "cosine"  # train.SCHEDULES; constant with early stopping at paper


PROFILES = {
    "smoke": Study(
        imdb_docs=VECTORS["smoke"].imdb_docs,
        w2v=VECTORS["smoke"].w2v,
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
        imdb_docs=VECTORS["paper"].imdb_docs,
        w2v=VECTORS["paper"].w2v,
        cost_tokens=40_000,
        cost_D=(25, 50, 100, 200, 400),
        cost_windows=(1, 2, 4, 8),
        cost_V=(250, 1000, 4000, 16000),
        clf_train_limit={"imdb": 3000},
        clf_max_len=120,
        clf_epochs=30,  # a cap: the classification protocol's stopping rule ends every run
        clf_seeds=2,
        clf_eval_limit=2000,
        clf_patience=3,
        clf_schedule="constant",
    ),
}
