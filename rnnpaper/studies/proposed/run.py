"""Notebook 08's compute: the GLR layer's throughput against the fused LSTM, into
results/08-proposed-model/speed.json.

The committed file is written by benchmarks/bench_glr.py (``make benchmark``, on an otherwise
idle machine); here it is measured only when missing, or for the seconds-long smoke run.
"""

import runpy
from pathlib import Path

from rnnpaper import paths, profiles, results

from .config import BENCH, PROFILES, STEM

REPS = 7  # repetitions of the committed measurement (bench_glr.py --reps)


def run(profile: str, log=print) -> dict:
    """results/08-proposed-model/speed.json (or build/<profile>/...) -> {"speed": payload}."""
    sizes = profiles.resolve(PROFILES, profile)
    path = paths.outputs(profile).results / STEM / "speed.json"
    if sizes.bench_quick or not path.exists():
        main = runpy.run_path(str(BENCH))["main"]
        args = ["--quick"] if sizes.bench_quick else ["--reps", str(REPS)]
        log(f"measuring {'(quick) ' if sizes.bench_quick else ''}into {path}")
        main([*args, "--threads", "1", "--out", str(Path(path))])
    return {"speed": results.read_json(path)}
