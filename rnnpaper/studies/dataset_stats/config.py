"""Notebook 00's settings: which datasets are described, which of them the paper shows, and
how lengths are summarised."""

from dataclasses import dataclass

import numpy as np

from rnnpaper import data

STEM = "00-data"
PRODUCER = f"{STEM}.ipynb"
PERCENTILES = (50, 90, 99)
LENGTH_BINS = np.unique(np.logspace(0, 6, 61).astype(int))  # 1 .. 10^6 tokens
# The datasets some study trains or evaluates on: the paper's table, macros and figure show
# these only. AG News stays in the data layer (and in stats.json) but no study uses it.
IN_PAPER = ("sst2", "sst5", "trec", "imdb", "20newsgroups", "gigaword", "aeslc")


@dataclass(frozen=True)
class Sizes:
    """The datasets described (every registered one by default)."""

    datasets: tuple = tuple(data.REGISTRY)


PROFILES = {"smoke": Sizes(), "paper": Sizes()}  # seconds either way: only the folders differ
