"""Notebook 02, vanishing and exploding gradients: activation ranges, ||dL_T/dh_t||, the
spectral radius, clipping, and the adding problem of Hochreiter & Schmidhuber (1997).

``run(profile)`` trains and measures into results/02-gradients/; ``report(profile)`` writes
the table, the macros and the figures from those files only.
"""

from .config import PROFILES, STEM, Sizes
from .report import report
from .run import run

__all__ = ["PROFILES", "STEM", "Sizes", "report", "run"]
