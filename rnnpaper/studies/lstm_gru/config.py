"""Notebook 03's sizes: the SST-2 LSTM whose gates are plotted, the parameter-count sizes and
the benchmark (benchmarks/bench_cells.py)."""

from dataclasses import dataclass

from rnnpaper import paths

STEM = "03-lstm-gru"
PRODUCER = f"{STEM}.ipynb"
BENCH = paths.ROOT / "benchmarks" / "bench_cells.py"
# The committed measurement: one thread, 5 rotated repetitions in each of 3 fresh processes
# (the Makefile's results/03-lstm-gru/benchmark.json and `make benchmark` pass the same).
BENCH_ARGS = ("--threads", "1", "--reps", "5", "--processes", "3")
PARAMETER_SIZES = (128, 256)  # input n and hidden m of the parameter-count table
MAX_LEN = 60  # SST-2 tokens kept per sentence
BATCH = 64


@dataclass(frozen=True)
class Sizes:
    """Sizes of notebook 03."""

    train_limit: int | None = None  # SST-2 training sentences kept (None: all 6,920)
    epochs: int = 6
    embed: int = 64
    hidden: int = 64
    lr: float = 3e-3
    seed: int = 0
    n_sentences: int = 4  # test sentences whose gates are plotted
    bench_quick: bool = False  # smoke: a seconds-long benchmark into build/


PROFILES = {
    "smoke": Sizes(train_limit=300, epochs=1, embed=16, hidden=16, bench_quick=True),
    "paper": Sizes(),
}
