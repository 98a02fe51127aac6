"""Notebook 08's sizes: the GLR speed benchmark (benchmarks/bench_glr.py)."""

from dataclasses import dataclass

from rnnpaper import paths

STEM = "08-proposed-model"
PRODUCER = f"{STEM}.ipynb"
BENCH = paths.ROOT / "benchmarks" / "bench_glr.py"
# The committed measurement: one thread, 5 rotated repetitions in each of 3 fresh processes
# (the Makefile's results/08-proposed-model/speed.json and `make benchmark` pass the same).
BENCH_ARGS = ("--threads", "1", "--reps", "5", "--processes", "3")


@dataclass(frozen=True)
class Sizes:
    """Sizes of notebook 08's measurement."""

    bench_quick: bool = False  # smoke: a seconds-long benchmark into build/


PROFILES = {"smoke": Sizes(bench_quick=True), "paper": Sizes()}
