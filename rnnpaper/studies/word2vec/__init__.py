"""Notebook 04: word2vec (CBOW, skip-gram; hierarchical softmax, negative sampling).

``run(profile)`` writes results/04-word2vec/ (quality against gensim, the cost sweep of eqs.
40-41, word2vec vectors in the LSTM/GRU classifiers); ``report(profile)`` turns them into
tables, macros and the cost figure. The model is :mod:`rnnpaper.models.word2vec`.
"""

from rnnpaper.studies.word2vec.config import INITS, PROFILES, STEM
from rnnpaper.studies.word2vec.report import report
from rnnpaper.studies.word2vec.run import run

__all__ = ["INITS", "PROFILES", "STEM", "report", "run"]
