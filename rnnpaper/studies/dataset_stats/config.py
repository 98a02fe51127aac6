"""Notebook 00's settings: which datasets are described, and how lengths are summarised."""

from dataclasses import dataclass

import numpy as np

from rnnpaper import data

STEM = "00-data"
PRODUCER = f"{STEM}.ipynb"
PERCENTILES = (50, 90, 99)
LENGTH_BINS = np.unique(np.logspace(0, 6, 61).astype(int))  # 1 .. 10^6 tokens


@dataclass(frozen=True)
class Sizes:
    """The datasets described (every registered one by default)."""

    datasets: tuple = tuple(data.REGISTRY)


PROFILES = {"smoke": Sizes(), "paper": Sizes()}  # seconds either way: only the folders differ
