"""Notebook 08's compute: the GLR layer's throughput against the fused LSTM, into
results/08-proposed-model/speed.json.

The committed file is written by benchmarks/bench_glr.py (``make benchmark``, on an otherwise
idle machine); here it is measured only when missing, or for the seconds-long smoke run.
"""

import runpy
from pathlib import Path

from rnnpaper import paths, profiles, results

from .config import BENCH, BENCH_ARGS, PROFILES, STEM


def run(profile: str, log=print) -> dict:
    """results/08-proposed-model/speed.json (or build/<profile>/...) -> {"speed": payload}."""
    sizes = profiles.resolve(PROFILES, profile)
    path = paths.outputs(profile).results / STEM / "speed.json"
    if sizes.bench_quick or not path.exists():
        main = runpy.run_path(str(BENCH))["main"]
        args = ["--quick", "--threads", "1"] if sizes.bench_quick else list(BENCH_ARGS)
        log(f"measuring {'(quick) ' if sizes.bench_quick else ''}into {path}")
        main([*args, "--out", str(Path(path))])
    return {"speed": results.read_json(path)}
