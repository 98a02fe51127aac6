"""The classification study's configuration: datasets, named presets, profiles (notebook 06).

Presets are :class:`rnnpaper.models.classifier.ModelConfig` values: the compared cells in
one and two directions, the same cells at the LSTM's recurrent parameter count, and a
pooling ablation. :class:`Sizes` holds the data and budget of one profile.
"""

from dataclasses import dataclass, field, replace

from rnnpaper import train
from rnnpaper.models import registry
from rnnpaper.models.classifier import ModelConfig, equal_parameter_hidden, recurrent_parameters

STEM = "06-classification"
PRODUCER = f"{STEM}.ipynb"
SMALL = ("sst2", "sst5", "trec")  # sentence-level: more seeds
DOCUMENTS = ("imdb", "20newsgroups")
DATASETS = SMALL + DOCUMENTS
EQP_REFERENCE = "lstm"  # equal-parameter presets match this cell's recurrent parameters


def _presets() -> dict[str, ModelConfig]:
    base = {}
    for cell in registry.COMPARED:
        base[cell] = ModelConfig(cell=cell)
        base[f"bi{cell}"] = ModelConfig(cell=cell, bidirectional=True)
    for bi in ("", "bi"):  # equal parameter budget: the reference cell's recurrent parameters
        target = recurrent_parameters(base[f"{bi}{EQP_REFERENCE}"])
        for cell in (c for c in registry.COMPARED if c != EQP_REFERENCE):
            c = base[f"{bi}{cell}"]
            base[f"{bi}{cell}-eqp"] = replace(c, hidden_size=equal_parameter_hidden(c, target))
    base["bilstm-last"] = replace(base["bilstm"], pooling="last")
    base["bilstm-max"] = replace(base["bilstm"], pooling="max")
    base["lstm-2layer"] = replace(base["lstm"], num_layers=2)
    base["rnn-relu"] = replace(base["rnn"], nonlinearity="relu")
    for cell in registry.PROPOSED:  # the proposed cell: own data and the protocol only
        base[cell] = ModelConfig(cell=cell)
        base[f"bi{cell}"] = ModelConfig(cell=cell, bidirectional=True)
    return base


PRESETS: dict[str, ModelConfig] = _presets()
MAIN = registry.COMPARED + tuple(f"bi{c}" for c in registry.COMPARED)
PROPOSED = registry.PROPOSED + tuple(f"bi{c}" for c in registry.PROPOSED)
EQUAL_PARAMS = tuple(p for p in PRESETS if p.endswith("-eqp"))
POOLING = ("bilstm-last", "bilstm-max")
EQUAL_PARAMS_ROWS = tuple(  # rnn, rnn-eqp, gru, gru-eqp, then the reference lstm
    p for c in registry.COMPARED if c != EQP_REFERENCE for p in (c, f"{c}-eqp")
) + (EQP_REFERENCE,)
EQUAL_PARAMS_ROWS += tuple(f"bi{p}" for p in EQUAL_PARAMS_ROWS)
POOLING_ROWS = ("bilstm-last", "bilstm", "bilstm-max")


@dataclass(frozen=True)
class Sizes:
    """Data sizes and compute budget of one profile."""

    datasets: tuple = DATASETS
    presets: tuple = MAIN  # run on every dataset
    extra_presets: dict = field(default_factory=dict)  # dataset -> further presets run there
    seeds_small: int = 5
    seeds_documents: int = 3
    max_len: int = 150  # tokens kept from the start of each text
    vocab_size: int = 20000
    min_freq: int = 2
    train_limit: dict = field(default_factory=dict)  # dataset -> training examples kept
    eval_limit: int | None = None  # validation/test examples kept (smoke only)
    length_quantum: dict = field(default_factory=lambda: {"imdb": 8, "20newsgroups": 8})
    batch_size: dict = field(default_factory=lambda: {"imdb": 128, "20newsgroups": 128})
    epochs: dict = field(
        default_factory=lambda: {"sst2": 6, "sst5": 6, "trec": 8, "imdb": 8, "20newsgroups": 12}
    )
    patience: int = 2
    lr_grid: tuple = (3e-3, 1e-2, 3e-2)
    tune_dataset: str = "sst2"
    threads: int = 1  # torch threads per run
    workers: int = 1  # runs trained at once, each in its own process (see run.run_jobs)

    def batch(self, dataset: str) -> int:
        return self.batch_size.get(dataset, 64)

    def tuned_presets(self) -> list[str]:
        """Every preset the profile runs: each gets the same learning-rate grid."""
        extra = [p for ps in self.extra_presets.values() for p in ps]
        return list(dict.fromkeys(list(self.presets) + extra))


EXTRA = {  # dataset -> presets beyond MAIN: equal parameter budget, pooling ablation
    d: EQUAL_PARAMS + POOLING for d in DATASETS
}
PROFILES = {
    "smoke": Sizes(
        presets=("rnn", "lstm", "bigru"),
        extra_presets={"trec": ("bigru-eqp",)},
        seeds_small=2,
        seeds_documents=2,
        max_len=30,
        vocab_size=2000,
        train_limit={d: 200 for d in DATASETS},
        eval_limit=100,
        epochs={d: 2 for d in DATASETS},
        lr_grid=(1e-2,),
    ),
    # the reference run: 5 seeds on the sentence sets, 3 on document subsets, two runs at once
    "paper": Sizes(
        extra_presets=EXTRA,
        train_limit={"imdb": 5000, "20newsgroups": 6000},
        epochs={"sst2": 6, "sst5": 6, "trec": 8, "imdb": 8, "20newsgroups": 12},
        workers=2,
    ),
    # every training document and 5 seeds everywhere: for a bigger machine (not run here)
    "full": Sizes(extra_presets=EXTRA, seeds_documents=5, workers=2),
}


def seeds_for(dataset: str, sizes: Sizes) -> list[int]:
    """Seeds of one dataset: more on the cheap sentence-level sets."""
    n = sizes.seeds_documents if dataset in DOCUMENTS else sizes.seeds_small
    return list(range(n))


def presets_for(dataset: str, sizes: Sizes) -> list[str]:
    return list(sizes.presets) + list(sizes.extra_presets.get(dataset, ()))


def train_config(sizes: Sizes, dataset: str, lr: float, seed: int) -> train.TrainConfig:
    return train.TrainConfig(
        epochs=sizes.epochs[dataset] if dataset in sizes.epochs else 6,
        lr=lr,
        weight_decay=0.01,
        clip_norm=1.0,
        patience=sizes.patience,
        schedule="cosine",
        seed=seed,
        progress=False,
    )
