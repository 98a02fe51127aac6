"""Notebook 01, backpropagation through time by hand, and the errata of the proposal's review.

``run(profile)`` checks the hand BPTT of :mod:`rnnpaper.models.bptt` and decides every
errata item into results/01-bptt/; ``report(profile)`` writes the errata tables, the macros
and the truncation figure from those files only.
"""

from .claims import two_step_terms
from .config import PROFILES, STEM, Sizes
from .report import report
from .run import run

__all__ = ["PROFILES", "STEM", "Sizes", "report", "run", "two_step_terms"]
