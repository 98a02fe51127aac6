"""Notebook 03, LSTM and GRU: the gates of an LSTM trained on SST-2, parameter counts, and the
throughput of every implementation (benchmarks/bench_cells.py).

``run(profile)`` trains and measures into results/03-lstm-gru/; ``report(profile)`` writes the
tables, the macros and the figures from those files only.
"""

from .config import PARAMETER_SIZES, PROFILES, STEM, Sizes
from .report import report
from .run import run

__all__ = ["PARAMETER_SIZES", "PROFILES", "STEM", "Sizes", "report", "run"]
