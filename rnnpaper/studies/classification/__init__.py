"""Notebook 06, text classification: every compared cell (one and two directions, equal size
and equal parameters, three poolings) against majority, TF-IDF + LR and NBSVM on five sets.

``run(profile)`` tunes and trains into results/06-classification/ (``user=`` runs the same
study on a user's own file); ``report(profile)`` writes the tables, the macros and the
figures from those files only.
"""

from rnnpaper.studies.classification.config import PROFILES, STEM
from rnnpaper.studies.classification.report import report
from rnnpaper.studies.classification.run import run

__all__ = ["PROFILES", "STEM", "report", "run"]
