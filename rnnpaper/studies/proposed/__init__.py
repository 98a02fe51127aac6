"""Notebook 08, the proposed model (GLR): its speed against the fused torch.nn LSTM
(benchmarks/bench_glr.py).

``run(profile)`` measures into results/08-proposed-model/ (the committed measurement is reused;
``make benchmark`` re-measures it); ``report(profile)`` writes the speed table and the macros
from that file only.
"""

from .config import PROFILES, STEM, Sizes
from .report import report
from .run import run

__all__ = ["PROFILES", "STEM", "Sizes", "report", "run"]
