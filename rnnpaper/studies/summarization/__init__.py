"""The summarization study (notebook 07): attentional encoder-decoders with a copy mechanism
and each registered cell, on Gigaword and AESLC, against extractive baselines and published
numbers. ``run(profile)`` trains and scores (results/07-summarization/); ``report(profile)``
writes the tables, macros and figures from those results alone."""

from rnnpaper.studies.summarization.config import DATASETS, PROFILES, STEM
from rnnpaper.studies.summarization.report import dataframes, report
from rnnpaper.studies.summarization.run import run

__all__ = ["DATASETS", "PROFILES", "STEM", "dataframes", "report", "run"]
