"""Notebook 00, the datasets as used: sizes, class balance and token lengths of each.

``run(profile)`` describes every dataset into results/00-data/stats.json; ``report(profile)``
writes the dataset table, the macros and the length histograms from that file only.
"""

from .config import PROFILES, STEM
from .report import in_paper, report, stats_table, write_report
from .run import run

__all__ = ["PROFILES", "STEM", "in_paper", "report", "run", "stats_table", "write_report"]
