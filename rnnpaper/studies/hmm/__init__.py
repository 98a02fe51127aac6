"""Notebook 05: hidden Markov models, and a GMM-HMM classifier on word-vector sequences.

``run(profile)`` writes results/05-hmm/ (the (M, k) sweep with seeds, decoded examples);
``report(profile)`` turns them, with notebook 04's LSTM/GRU results file, into tables,
macros and the decoding figure. The algorithms are :mod:`rnnpaper.models.hmm`.
"""

from rnnpaper.studies.hmm.config import PROFILES, STEM
from rnnpaper.studies.hmm.report import report
from rnnpaper.studies.hmm.run import run

__all__ = ["PROFILES", "STEM", "report", "run"]
