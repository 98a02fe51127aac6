"""Notebook 01's sizes: the truncated-BPTT sweep (the derivation checks have fixed sizes)."""

from dataclasses import dataclass

STEM = "01-bptt"
PRODUCER = f"{STEM}.ipynb"


@dataclass(frozen=True)
class Sizes:
    """The truncation sweep: relative error of dL/dW for N = 0 .. T-1 steps back."""

    truncation_T: int = 40  # sequence length
    scales: tuple = (0.5, 1.0, 2.0)  # factors on the recurrent matrix W


PROFILES = {"smoke": Sizes(), "paper": Sizes()}  # seconds either way: only the folders differ
