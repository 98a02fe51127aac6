"""The display names of datasets and cells: every table, macro and figure takes them here."""

from rnnpaper.models import registry

DATASET_LABELS = {
    "sst2": "SST-2",
    "sst5": "SST-5",
    "trec": "TREC-6",
    "imdb": "IMDB",
    "20newsgroups": "20NG",
    "gigaword": "Gigaword",
    "aeslc": "AESLC",
    "user": "user",
}


def dataset(name: str) -> str:
    """Display name of a dataset, e.g. '20newsgroups' -> '20NG'."""
    return DATASET_LABELS.get(name, name)


def cell(kind: str) -> str:
    """Display name of a registered cell in tables and legends, e.g. 'rnn' -> 'RNN'."""
    return registry.spec(kind).label


def cell_title(kind: str) -> str:
    """The long name of a registered cell, e.g. 'rnn' -> 'Elman RNN'."""
    return registry.spec(kind).name


def colour(kind: str) -> str:
    """The one colour of a registered cell in every figure."""
    return registry.spec(kind).colour
